import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomStore
#if canImport(Glibc)
import Glibc
#endif

/// The effect runner's side of `D`: the offer is written to the lease, then journaled; a journal that cannot take it
/// puts the lease's offer back; a lease taken over meanwhile offers nothing and turns the console read-only.
@Suite struct HandOverEffects {
    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [Action] = []
        func add(_ a: Action) { lock.lock(); items.append(a); lock.unlock() }
        var all: [Action] { lock.lock(); defer { lock.unlock() }; return items }
    }

    @Test func leaseFirstThenJournalAndTheLeaseIsPutBackWhenTheJournalFails() throws {
        let state = tempDir("offer") + "/state"
        let writer = try JournalWriter.open(stateDir: state, actor: "dana", now: wallClockNow())
        defer { writer.close() }
        try writer.append(.runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1)),
                          actor: "dana", time: wallClockNow())
        let grant = try writer.acquireLease(now: wallClockNow())
        let holder = try LeaseHolder(stateDir: state, actor: "dana", lease: grant.lease)
        let answers = Answers()
        let runner = EffectRunner(writer: writer, actor: "dana", lease: holder, view: nil) { answers.add($0) }

        runner.run(.append(id: 1, .driverOffer(DriverOffer(to: "lee"))))
        runner.drain()
        #expect(try DriverLease.read(stateDir: state)?.offeredTo == "lee")
        guard case .appended(1, let e)? = answers.all.last else { Issue.record("\(answers.all)"); return }
        #expect(e.body == .driverOffer(DriverOffer(to: "lee")) && e.token == grant.lease.token && e.actor == "dana")

        // The journal fails: NOT SAVED, and the lease offers what it did before (lee, not sam).
        writer.faults.writeError = EIO
        runner.run(.append(id: 2, .driverOffer(DriverOffer(to: "sam"))))
        runner.drain()
        guard case .appendFailed(2, let failed)? = answers.all.last else { Issue.record("\(answers.all)"); return }
        #expect(failed.contains("the lease's offer was put back"), "\(failed)")
        #expect(try DriverLease.read(stateDir: state)?.offeredTo == "lee")

        // lee takes over: the next offer is refused at the lease, nothing is journaled, and the console is deposed.
        let lee = try JournalWriter.open(stateDir: state, actor: "lee", now: wallClockNow())
        defer { lee.close() }
        #expect(try lee.takeOverLease(reason: "planned", now: wallClockNow()).offered)
        let lines = try Journal.replay(stateDir: state).events.count
        runner.run(.append(id: 3, .driverOffer(DriverOffer(to: nil))))
        runner.drain()
        let last = answers.all.suffix(2)
        guard case .deposed(by: "lee")? = last.first, case .appendFailed(3, let refused)? = last.last else {
            Issue.record("\(answers.all)")
            return
        }
        #expect(refused.contains("nothing offered") && refused.contains("driver lease lost"), "\(refused)")
        #expect(try Journal.replay(stateDir: state).events.count == lines)
        #expect(try DriverLease.read(stateDir: state)?.actor == "lee")
    }
}
