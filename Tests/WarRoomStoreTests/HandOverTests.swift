import Foundation
import Testing
import WarRoomCore
@testable import WarRoomStore

/// A deliberate hand-over: the driver offers driving by name on the lease; the named actor's take-over is
/// accepted at once while the lease is live, everyone else's still refused.
@Suite struct HandOverLease {
    @Test func anOfferLetsTheNamedActorTakeOverAtOnceAndNobodyElse() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let dana = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        let lee = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        let sam = try JournalWriter.open(stateDir: dir.state, actor: "sam", now: t0)
        defer { dana.close(); lee.close(); sam.close() }
        let first = try dana.acquireLease(now: t0, ttlMs: 10_000).lease
        let holder = try LeaseHolder(stateDir: dir.state, actor: "dana", lease: first)
        // Before the offer, lee's take-over of a live lease is refused like anyone's.
        #expect(throws: LeaseError.notExpired(dir: dir.state, current: first, now: t0 + 100)) {
            try lee.takeOverLease(reason: "planned", now: t0 + 100)
        }
        try holder.offer(to: "lee", now: t0 + 200)
        #expect(holder.lease?.offeredTo == "lee" && holder.lease?.heartbeat == t0 + 200)
        #expect(try DriverLease.read(stateDir: dir.state)?.offeredTo == "lee")
        #expect(String(decoding: dir.read(dir.lease), as: UTF8.self).hasSuffix(#""released":false,"offered_to":"lee"}"# + "\n"))
        // A renewal keeps the offer.
        try holder.renew(now: t0 + 300)
        #expect(try DriverLease.read(stateDir: dir.state)?.offeredTo == "lee")
        // Someone else: refused, and told whom it is offered to. Names compare exactly.
        let refused = #expect(throws: LeaseError.self) { try sam.takeOverLease(reason: "me instead", now: t0 + 400) }
        #expect("\(refused.map { "\($0)" } ?? "")".contains("it is offered to lee only"), "\(refused.map { "\($0)" } ?? "")")
        let held = #expect(throws: LeaseError.self) { try lee.acquireLease(now: t0 + 400) }
        #expect("\(held.map { "\($0)" } ?? "")".contains("dana offers driving to lee, who accepts with --take-over REASON"))
        let upper = try JournalWriter.open(stateDir: dir.state, actor: "Lee", now: t0)
        defer { upper.close() }
        #expect(throws: LeaseError.self) { try upper.takeOverLease(reason: "planned", now: t0 + 400) }
        // lee: accepted at once, while live, with no gap; the new lease carries no offer.
        let g = try lee.takeOverLease(reason: "planned hand-over", now: t0 + 500)
        #expect(g.offered && g.gapMs == 0 && g.previous?.actor == "dana" && g.previous?.offeredTo == "lee")
        #expect(g.lease.token == first.token + 1 && g.lease.actor == "lee" && g.lease.offeredTo == nil)
        // dana's heartbeat learns of it; her driver entries are fenced off.
        let lost = #expect(throws: LeaseError.self) { try holder.renew(now: t0 + 600) }
        #expect("\(lost.map { "\($0)" } ?? "")".contains("held by lee"))
        #expect(throws: LeaseError.self) {
            try dana.append(.lightTrip(LightChange(name: "late", reason: "r")), actor: "dana", time: t0 + 600)
        }
        #expect(throws: LeaseError.self) { try dana.append(.driverOffer(DriverOffer(to: "sam")), actor: "dana", time: t0 + 600) }
        #expect(try DriverLease.read(stateDir: dir.state)?.token == g.lease.token)
    }

    @Test func anOfferIsWithdrawnOrChangedAndNeedsTheCurrentToken() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let dana = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        let lee = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { dana.close(); lee.close() }
        let holder = try LeaseHolder(stateDir: dir.state, actor: "dana", lease: try dana.acquireLease(now: t0, ttlMs: 1_000).lease)
        try holder.offer(to: "lee", now: t0 + 10)
        try holder.offer(to: "sam", now: t0 + 20)
        #expect(throws: LeaseError.self) { try lee.takeOverLease(reason: "planned", now: t0 + 30) }
        try holder.offer(to: nil, now: t0 + 40)
        #expect(try DriverLease.read(stateDir: dir.state)?.offeredTo == nil)
        #expect(!String(decoding: dir.read(dir.lease), as: UTF8.self).contains("offered_to"), "old readers see the old format")
        // An expired lease is taken over as before (not offered, with its gap), even if it still offered.
        try holder.offer(to: "lee", now: t0 + 50)
        let late = try lee.takeOverLease(reason: "dana gone", now: t0 + 5_050)
        #expect(late.offered && late.gapMs == 5_000)
        // A stale holder cannot offer: lost, and it holds nothing after.
        let e = #expect(throws: LeaseError.self) { try holder.offer(to: "sam", now: t0 + 5_100) }
        if case .lost? = e {} else { Issue.record("expected lost, got \(String(describing: e))") }
        #expect(holder.lease == nil)
        #expect(throws: LeaseError.notHolding(dir: dir.state)) { try holder.offer(to: nil, now: t0 + 5_200) }
        #expect(try DriverLease.read(stateDir: dir.state)?.actor == "lee")
    }

    @Test func releasingTheLeaseEndsItsOffer() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let dana = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        let lee = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { dana.close(); lee.close() }
        let holder = try LeaseHolder(stateDir: dir.state, actor: "dana", lease: try dana.acquireLease(now: t0).lease)
        try holder.offer(to: "lee", now: t0 + 10)
        try holder.release(now: t0 + 20)
        let released = try #require(try DriverLease.read(stateDir: dir.state))
        #expect(released.released && released.offeredTo == nil)
        let g = try lee.takeOverLease(reason: "dana left", now: t0 + 30)
        #expect(!g.offered && g.previous == nil, "a released lease is free for anyone: nothing was handed over")
    }

    @Test func leaseFilesWithoutAnOfferStillParseAndABadOneDoesNot() throws {
        let old = #"{"token":3,"actor":"dana","pid":4242,"host":"h1","since":1,"heartbeat":2,"ttl":10000,"released":false}"#
        let r = try #require(LeaseRecord.parse(Array(old.utf8)))
        #expect(r.offeredTo == nil && r.token == 3)
        #expect(r.encoded() == Array((old + "\n").utf8), "no offer: byte for byte the old format")
        let withNull = old.dropLast() + #","offered_to":null}"#
        #expect(LeaseRecord.parse(Array(withNull.utf8))?.offeredTo == nil)
        let offered = old.dropLast() + #","offered_to":"l\"ee"}"#
        #expect(LeaseRecord.parse(Array(offered.utf8))?.offeredTo == "l\"ee")
        #expect(LeaseRecord.parse(LeaseRecord.parse(Array(offered.utf8))!.encoded())?.offeredTo == "l\"ee")
        #expect(LeaseRecord.parse(Array((old.dropLast() + #","offered_to":7}"#).utf8)) == nil)
    }

    @Test func theOfferAndTheAcceptedHandOverAreJournaledAndVerify() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let dana = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        defer { dana.close() }
        try dana.acquireLease(now: t0)
        let offer = try dana.append(.driverOffer(DriverOffer(to: "lee", note: "shift ends")), actor: "dana", time: t0 + 10)
        #expect(dir.journalLines().last?.contains(#""type":"driver.offer","payload":{"note":"shift ends","to":"lee"}"#) == true,
                "\(dir.journalLines().last ?? "")")
        #expect(dana.state.driverOffer?.to == "lee" && dana.state.driverOffer?.seq == offer.seq)
        try dana.append(.driverOffer(DriverOffer(to: nil)), actor: "dana", time: t0 + 20)
        #expect(dir.journalLines().last?.contains(#""type":"driver.offer","payload":{}"#) == true)
        let lee = try JournalWriter.open(stateDir: dir.state, actor: "lee", now: t0)
        defer { lee.close() }
        #expect(throws: LeaseError.self) { try lee.append(.driverOffer(DriverOffer(to: "sam")), actor: "lee", time: t0 + 30) }
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.state.offers.map(\.offer) == [DriverOffer(to: "lee", note: "shift ends"), DriverOffer(to: nil)])
        #expect(r.state.driverOffer == nil)
        #expect(r.events.suffix(2).map(\.token) == [1, 1])
    }
}
