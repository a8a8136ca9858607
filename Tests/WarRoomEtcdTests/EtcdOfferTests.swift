import Foundation
import Testing
import EtcdTestSupport
import WarRoomCore
import WarRoomEtcd
import WarRoomStore

/// `D` on etcd: the driver offers driving to a named person (the lease key's value names them, its token unchanged);
/// their `--take-over` is accepted at once, with a new, higher token; anyone else is refused; the old driver is
/// fenced off (its append refused, its renewal finds the lease lost); a claim in progress keeps others out.
@Suite(.serialized, .disabled(if: etcdMissing, etcdSkipReason)) struct EtcdDriverOffer {
    @Test func anOfferedLeaseIsTakenAtOnceByTheNamedDriverOnly() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let url = etcd.url("runs/offer")
        let now = { Millis(Date().timeIntervalSince1970 * 1000) }
        let dana = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        let g1 = try dana.acquireLease(now: now(), ttlMs: 10_000)
        try dana.append(.runStarted(started), actor: "dana", time: t0)
        let keeper = try #require(EtcdLeaseKeeper(journal: dana))
        try keeper.offer(to: "lee", now: now())
        #expect(keeper.lease?.offeredTo == "lee" && keeper.lease?.token == g1.lease.token, "an offer keeps the token")
        try keeper.renew(now: now())  // the offer survives the heartbeat

        let sam = try EtcdJournal.open(url: url, actor: "sam", now: t0)
        #expect(try sam.currentLease(now: now())?.offeredTo == "lee")
        do {
            try sam.takeOverLease(reason: "me instead", now: now(), ttlMs: 10_000)
            Issue.record("sam took a lease offered to lee")
        } catch let e as LeaseError {
            guard case .notExpired = e else { Issue.record("\(e)"); return }
            #expect(e.description.contains("offered to lee only"), "\(e)")
        }
        // lee, without --take-over: refused, told how to accept.
        let lee = try EtcdJournal.open(url: url, actor: "lee", now: t0)
        #expect(throws: LeaseError.self) { try lee.acquireLease(now: now(), ttlMs: 10_000) }

        let started = Date()
        let g2 = try lee.takeOverLease(reason: "shift change", now: now(), ttlMs: 10_000)
        #expect(Date().timeIntervalSince(started) < 5, "at once, not after the lease's life")
        #expect(g2.lease.token > g1.lease.token && g2.previous?.actor == "dana")
        #expect(g2.offered && g2.gapMs == 0, "an offer accepted: nobody was without a driver")
        #expect(try sam.currentLease(now: now())?.actor == "lee")
        // dana is fenced off: its driver append is refused and its heartbeat finds the lease lost.
        #expect(throws: LeaseError.self) { try dana.append(trip("late"), actor: "dana", time: t0 + 5) }
        #expect(throws: LeaseError.self) { try keeper.renew(now: now()) }
        try lee.append(.handover(Handover(from: "dana", to: "lee", reason: "shift change", gapMs: 0)), actor: "lee", time: t0 + 6)
        try lee.append(trip("driven by lee"), actor: "lee", time: t0 + 7)

        // A claim in progress (someone between the two steps of a hand-over) keeps everyone else out.
        try lee.releaseLease(now: now())
        let client = EtcdClient(url: url)
        let claimKey = Array((url.prefix + "/lease-claim").utf8)
        _ = try client.put(claimKey, Array(#"{"actor":"kim"}"#.utf8))
        do {
            try sam.acquireLease(now: now(), ttlMs: 10_000)
            Issue.record("sam took the lease during kim's claim")
        } catch {
            #expect("\(error)".contains("being handed over to kim"), "\(error)")
        }
        _ = try client.txn(compare: [], success: [.delete(key: claimKey, rangeEnd: [])])
        try sam.acquireLease(now: now(), ttlMs: 10_000)
        try sam.releaseLease(now: now())
    }
}
