import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomTelemetry

/// `notify:` deliveries against a local receiver: the JSON webhook, Slack's format, a slow receiver (timeout, then
/// retry), a failing one (500 → every retry → one `.notifyFailed`), and a command target.
@Suite(.serialized) struct NotifyDelivery {
    final class Answers: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [Action] = []
        func add(_ a: Action) { lock.lock(); list.append(a); lock.unlock() }
        var failures: [NotifyFailed] {
            lock.lock(); defer { lock.unlock() }
            return list.compactMap { if case .notifyFailed(let f) = $0 { f } else { nil } }
        }
    }

    static let message = RunNotification(event: "decision.go", service: "checkout", run: "r1", seq: 7, time: 1_795_424_400_000,
                                         actor: "dana", percent: 25, from: 10, to: 25, reason: "all green", verdict: "READY",
                                         summary: "[checkout] GO 10 → 25 % (gate READY) by dana: all green · ramp at 25 %")

    func waitUntil(_ ms: Int = 20_000, _ condition: () -> Bool) -> Bool {
        let end = Date().addingTimeInterval(Double(ms) / 1000)
        while Date() < end { if condition() { return true }; usleep(10_000) }
        return condition()
    }

    @Test func aWebhookGetsTheJSONWithActorPercentReasonAndItsBearerToken() throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let answers = Answers()
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/hook/s3cret", tokenEnv: "OPS_TOKEN")],
                         environment: ["OPS_TOKEN": "tok-123"], children: ChildProcesses(), backoffMs: 10) { answers.add($0) }
        n.send(Self.message)
        #expect(n.drain(timeoutMs: 20_000))
        let r = try #require(server.received.first)
        #expect(r.method == "POST" && r.path == "/hook/s3cret")
        #expect(r.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(r.headers["authorization"] == "Bearer tok-123")
        let got = try JSONDecoder().decode(RunNotification.self, from: Data(r.body))
        #expect(got == Self.message)
        #expect(answers.failures.isEmpty)
    }

    @Test func slackGetsText() throws {
        let server = try LoopbackHTTPServer { _ in .text("ok") }
        defer { server.stop() }
        let n = Notifier(targets: [NotifyTarget(name: "slack", kind: .slack, urlEnv: "SLACK_URL")],
                         environment: ["SLACK_URL": "http://127.0.0.1:\(server.port)/services/T0/B0/x"], children: ChildProcesses(),
                         backoffMs: 10) { _ in }
        n.send(Self.message)
        #expect(n.drain(timeoutMs: 20_000))
        let body = try #require(server.received.first?.body)
        #expect(String(decoding: body, as: UTF8.self) == #"{"text":"[checkout] GO 10 → 25 % (gate READY) by dana: all green · ramp at 25 %"}"#)
    }

    @Test func aSlowReceiverTimesOutThenTheRetryDelivers() throws {
        let calls = Answers()
        let count = NSLock()
        nonisolated(unsafe) var seen = 0
        let server = try LoopbackHTTPServer { _ in
            count.lock(); seen += 1; let k = seen; count.unlock()
            return k == 1 ? .json("{}", delayMs: 3_000) : .json("{}")
        }
        defer { server.stop() }
        let delivered = Answers()
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/h", timeoutMs: 400)],
                         environment: [:], children: ChildProcesses(), backoffMs: 20) { calls.add($0) }
        nonisolated(unsafe) var attempt = 0
        n.delivered = { _, k in attempt = k; delivered.add(.stop) }
        n.send(Self.message)
        #expect(n.drain(timeoutMs: 20_000))
        #expect(attempt == 2, "the first try timed out, the second delivered")
        #expect(calls.failures.isEmpty)
        #expect(server.received.count == 2)
    }

    @Test func aFailingReceiverIsTriedEveryTimeThenGivenUpOnOnce() throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"error":"boom"}"#, status: 500) }
        defer { server.stop() }
        let answers = Answers()
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/hook/s3cret")],
                         environment: [:], children: ChildProcesses(), tries: 3, backoffMs: 20) { answers.add($0) }
        n.send(Self.message)
        #expect(n.drain(timeoutMs: 20_000))
        #expect(server.received.count == 3)
        let f = try #require(answers.failures.first)
        #expect(answers.failures.count == 1)
        #expect(f.attempts == 3 && f.error == "HTTP 500" && f.event == "decision.go" && f.seq == 7)
        #expect(f.target == "ops (webhook http://127.0.0.1:\(server.port)/[redacted])" && !f.target.contains("s3cret"))
    }

    @Test func aTargetWhoseURLVariableIsUnsetFailsAtOnce() {
        let answers = Answers()
        let n = Notifier(targets: [NotifyTarget(name: "slack", kind: .slack, urlEnv: "NOPE_URL")], environment: [:],
                         children: ChildProcesses()) { answers.add($0) }
        n.send(Self.message)
        #expect(answers.failures.map(\.attempts) == [0])
        #expect(answers.failures.first?.error.contains("NOPE_URL") == true)
    }

    @Test func aCommandTargetGetsTheMessageInItsEnvironment() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("notify-cmd-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let script = dir + "/page.sh"
        try "#!/bin/sh\nprintf '%s\\n%s\\n' \"$WARROOM_NOTIFY_EVENT\" \"$WARROOM_NOTIFY_TEXT\" > \"$1\"\nprintf '%s' \"$WARROOM_NOTIFY_JSON\" > \"$1.json\"\n"
            .write(toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o755)
        let answers = Answers()
        let out = dir + "/got"
        let n = Notifier(targets: [NotifyTarget(name: "pager", kind: .command, argv: [script, out]),
                                   NotifyTarget(name: "broken", kind: .command, argv: ["/bin/false"])],
                         environment: [:], children: ChildProcesses(), tries: 2, backoffMs: 10) { answers.add($0) }
        n.send(Self.message)
        // Generous: the runner's tasks share the cooperative pool with every suite running beside this one.
        #expect(n.drain(timeoutMs: 90_000))
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "decision.go\n\(Self.message.summary)\n")
        let json = try JSONDecoder().decode(RunNotification.self, from: Data(contentsOf: URL(fileURLWithPath: out + ".json")))
        #expect(json == Self.message)
        #expect(answers.failures.map(\.target) == ["broken (command /bin/false)"])
        #expect(answers.failures.first?.error == "exit 1" && answers.failures.first?.attempts == 2)
    }

    /// Quitting while a retry waits out its backoff: the retry goes at once (the receiver is back), not dropped.
    @Test func closingGivesAWaitingRetryItsTryNow() throws {
        let count = NSLock()
        nonisolated(unsafe) var seen = 0
        let server = try LoopbackHTTPServer { _ in
            count.lock(); seen += 1; let k = seen; count.unlock()
            return k == 1 ? .json("{}", status: 503) : .json("{}")
        }
        defer { server.stop() }
        let answers = Answers()
        // A backoff of ten minutes: without close() the second try would come long after the test.
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/h")],
                         environment: [:], children: ChildProcesses(), backoffMs: 600_000) { answers.add($0) }
        n.send(Self.message)
        #expect(waitUntil { server.received.count == 1 })
        #expect(!n.drain(timeoutMs: 200), "the retry waits out its backoff")
        n.close()
        #expect(n.drain(timeoutMs: 20_000))
        #expect(server.received.count == 2 && answers.failures.isEmpty)
    }

    /// Quitting while a retry waits, and the receiver still fails: given up on at once, saying why.
    @Test func closingGivesUpOnAFailingReceiverAfterOneMoreTry() throws {
        let server = try LoopbackHTTPServer { _ in .json("{}", status: 500) }
        defer { server.stop() }
        let answers = Answers()
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/h")],
                         environment: [:], children: ChildProcesses(), backoffMs: 600_000) { answers.add($0) }
        n.send(Self.message)
        #expect(waitUntil { server.received.count == 1 })
        n.close()
        #expect(n.drain(timeoutMs: 20_000))
        #expect(server.received.count == 2)
        #expect(answers.failures.map(\.attempts) == [2])
        #expect(answers.failures.first?.error == "HTTP 500 (no more tries: the console closed)")
    }

    /// A receiver that hangs past the close: the message is answered as given up on once, and its late end adds nothing.
    @Test func abandonAnswersAHungDeliveryOnce() throws {
        let server = try LoopbackHTTPServer { _ in .json("{}", delayMs: 2_000) }
        defer { server.stop() }
        let answers = Answers()
        let n = Notifier(targets: [NotifyTarget(name: "ops", kind: .webhook, url: "http://127.0.0.1:\(server.port)/h", timeoutMs: 1_500)],
                         environment: [:], children: ChildProcesses(), backoffMs: 10) { answers.add($0) }
        n.send(Self.message)
        #expect(waitUntil { server.received.count == 1 })
        n.close()
        #expect(!n.drain(timeoutMs: 100))
        n.abandon()
        #expect(answers.failures.map(\.error) == ["still being delivered when the console closed"])
        usleep(1_800_000) // the hung try ends (its timeout): nothing more is answered
        #expect(answers.failures.count == 1)
    }
}
