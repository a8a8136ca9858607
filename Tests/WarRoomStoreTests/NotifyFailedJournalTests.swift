import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// `notify.failed`: a delivery given up on, journaled by the driver; replays and reopens like every other entry.
@Suite struct NotifyFailedJournal {
    @Test func aNotifyFailedEntryRoundTripsAndReplays() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        try makeJournal(dir)
        let f = NotifyFailed(target: "ops (webhook https://hooks.example/[redacted])", event: "decision.go", seq: 3, attempts: 5,
                             error: "HTTP 500")
        do {
            let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0 + 9000)
            defer { w.close() }
            let e = try w.append(.notifyFailed(f), actor: "dana", time: t0 + 9000)
            #expect(e.seq == 7 && e.token == nil, "not a driver-only entry: it steers nothing")
        }
        let line = try #require(dir.journalLines().last)
        #expect(line.contains(#""type":"notify.failed","payload":{"#))
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.warnings.isEmpty && r.tornTail == nil)
        #expect(r.events.last?.body == .notifyFailed(f))
        #expect(r.state.notifyFailures.map(\.failure) == [f])
        // Reopened, the chain continues past it.
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0 + 10_000)
        defer { w.close() }
        #expect(try w.append(.itemSet(ItemSet(id: "T1", status: .open)), actor: "dana", time: t0 + 10_000).seq == 8)
    }

    @Test func aPayloadMissingItsFieldsIsNamed() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let first = JournalTestSupport.sealedLine(seq: 1, time: "2026-11-22T02:11:01.000Z", actor: "dana", type: "run.started",
                                                  payload: #"{"checklist":"c.md","checklistSHA256":"00","items":1,"host":"h","pid":1}"#, prev: nil)
        let second = JournalTestSupport.sealedLine(seq: 2, time: "2026-11-22T02:11:02.000Z", actor: "dana", type: "notify.failed",
                                                   payload: #"{"event":"decision.go"}"#, prev: first.hash)
        dir.writeJournal(lines: [String(first.line.dropLast()), String(second.line.dropLast())])
        #expect(throws: (any Error).self) { try Journal.replay(stateDir: dir.state) }
    }
}
