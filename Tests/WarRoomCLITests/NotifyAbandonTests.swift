import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomTelemetry

/// `abandon()` answers every message still being delivered: nothing is left outstanding after it (the group balances,
/// so a later `drain` does not wait, and the notifier can go away without libdispatch's "group deallocated while in use").
@Suite(.serialized) struct NotifyAbandon {
    @Test func afterAbandonNothingIsOutstanding() throws {
        let server = try LoopbackHTTPServer { _ in .json("{}", delayMs: 3_000) }
        defer { server.stop() }
        let answers = NotifyDelivery.Answers()
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/h", timeoutMs: 2_500)],
                         environment: [:], children: ChildProcesses(), backoffMs: 10) { answers.add($0) }
        n.send(NotifyDelivery.message)
        let end = Date().addingTimeInterval(20)
        while server.received.isEmpty, Date() < end { usleep(10_000) }
        n.close()
        #expect(!n.drain(timeoutMs: 100))
        n.abandon()
        #expect(answers.failures.count == 1)
        #expect(n.drain(timeoutMs: 100), "every message was answered: nothing left to wait for")
        usleep(2_800_000) // the hung try ends: nothing more is answered, and the group stays balanced
        #expect(answers.failures.count == 1)
        #expect(n.drain(timeoutMs: 100))
    }
}
