import Foundation
import Testing
import EtcdTestSupport
import WarRoomCore
import WarRoomEtcd
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized, .disabled(if: etcdMissing, etcdSkipReason)) struct EtcdDriverLease {
    /// One driver at a time; a take-over only once the etcd lease expired (the key vanished); the deposed driver's
    /// append is refused by the txn's fencing compare, and its renewal says the lease is lost.
    @Test func takeOverAfterExpiryFencesTheOldDriver() throws {
        let etcd = try EtcdCluster(size: 1); defer { etcd.shutdown() }
        let url = etcd.url("runs/lease")
        let dana = try EtcdJournal.open(url: url, actor: "dana", now: t0)
        let lee = try EtcdJournal.open(url: url, actor: "lee", now: t0)
        let now = { Millis(Date().timeIntervalSince1970 * 1000) }
        let g1 = try dana.acquireLease(now: now(), ttlMs: 2_000)
        #expect(g1.previous == nil && g1.lease.token > 0)
        try dana.append(.runStarted(started), actor: "dana", time: t0)
        let e1 = try dana.append(trip("Error rate"), actor: "dana", time: t0 + 1)
        #expect(e1.token == g1.lease.token)
        // A crew append needs no token; a driver event without one is refused.
        try lee.append(item("T1"), actor: "lee", time: t0 + 2)
        #expect(throws: LeaseError.self) { try lee.append(trip("x"), actor: "lee", time: t0 + 3) }

        do {
            try lee.acquireLease(now: now(), ttlMs: 2_000)
            Issue.record("acquired a held lease")
        } catch let e as LeaseError {
            guard case .held(_, let current, _) = e else { Issue.record("\(e)"); return }
            #expect(current.actor == "dana" && current.token == g1.lease.token)
            #expect(e.description.hasPrefix("\(url)/lease: the driver lease is held by dana (pid \(getpid())"))
        }
        try dana.renewLease(now: now())
        do {
            try lee.takeOverLease(reason: "dana's laptop died", now: now(), ttlMs: 2_000)
            Issue.record("took over a live lease")
        } catch let e as LeaseError {
            guard case .notExpired = e else { Issue.record("\(e)"); return }
            #expect(e.description.contains("take-over refused"))
        }

        // dana stops renewing: after the TTL etcd deletes the key, and lee may take over.
        let stoppedAt = now()
        var g2: LeaseGrant?
        let deadline = Date().addingTimeInterval(6)
        while g2 == nil, Date() < deadline {
            do { g2 = try lee.takeOverLease(reason: "dana's laptop died", now: now(), ttlMs: 2_000) } catch let e as LeaseError {
                guard case .notExpired = e else { throw e }
                usleep(200_000)
            }
        }
        let grant = try #require(g2)
        #expect(now() - stoppedAt >= 1_500, "not before the TTL")
        #expect(grant.lease.token > g1.lease.token)
        #expect(grant.previous?.actor == "dana" && grant.previous?.token == g1.lease.token)
        #expect((grant.gapMs ?? 0) >= 1_500)
        try lee.append(.handover(Handover(from: "dana", to: "lee", reason: "dana's laptop died", gapMs: grant.gapMs ?? 0)),
                       actor: "lee", time: t0 + 10)

        // The deposed driver resumes: its driver append is refused, nothing written; its renewal finds the lease lost.
        let before = lee.lineCount
        do {
            try dana.append(trip("Latency"), actor: "dana", time: t0 + 11)
            Issue.record("stale driver wrote")
        } catch let e as LeaseError {
            guard case .staleToken(_, _, let token, let current, _) = e else { Issue.record("\(e)"); return }
            #expect(token == g1.lease.token && current?.actor == "lee")
            #expect(e.description.contains("refused: driver token \(g1.lease.token) is stale") && e.description.contains("nothing was written"))
        }
        #expect(try lee.catchUp(now: t0).isEmpty && lee.lineCount == before)
        #expect(throws: LeaseError.self) { try dana.renewLease(now: now()) }
        #expect(dana.lease == nil)

        // Release: the next driver acquires at once, and no previous holder is named (it was given up).
        try lee.releaseLease(now: now())
        let g3 = try dana.acquireLease(now: now(), ttlMs: 2_000)
        #expect(g3.previous == nil && g3.lease.token > grant.lease.token)
        try dana.append(trip("Latency"), actor: "dana", time: t0 + 12)
        let dir = tempDir(); defer { try? FileManager.default.removeItem(atPath: dir) }
        try dana.export(to: dir)
        #expect(try Journal.replay(stateDir: dir).lineCount == 5)
        try dana.releaseLease(now: now())
    }
}
