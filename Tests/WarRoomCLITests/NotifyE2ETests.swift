import Foundation
import Testing
import WarRoomCore
import WarRoomTelemetry

/// `notify:` end to end in tmux: a console with a webhook target; GO and its reason reach a local receiver as JSON,
/// with actor, percentages and reason; the URL (its path holds the "token") never reaches the journal.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct NotifyEndToEnd {
    @Test func goReachesTheWebhookWithActorPercentAndReason() throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.stop() }
        let dir = tempDir("notify-e2e")
        let config = try writeRun(in: dir, """
        ramp:
          steps: [{percent: 10, hold: 4s}, {percent: 50, hold: 4s}]
        rollback:
          - {name: Security incident, manual: true}
        notify:
          ops: {kind: webhook, url_env: OPS_HOOK_URL}
        """)
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor dana",
                                env: ["OPS_HOOK_URL": "http://127.0.0.1:\(server.port)/hooks/t0k3n-path"])
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.type("canary green")
        try t.send("Enter")
        let deadline = Date().addingTimeInterval(30)
        func got() -> [RunNotification] {
            server.received.compactMap { try? JSONDecoder().decode(RunNotification.self, from: Data($0.body)) }
        }
        while got().count < 2, Date() < deadline { usleep(50_000) }
        let messages = got()
        let go = try #require(messages.first { $0.event == "decision.go" }, "received: \(messages)")
        #expect(go.actor == "dana" && go.from == 0 && go.to == 10 && go.percent == 10 && go.service == "checkout-api")
        #expect(go.verdict == "READY")
        let reason = try #require(messages.first { $0.event == "decision.reason" }, "received: \(messages)")
        #expect(reason.reason == "canary green" && reason.actor == "dana" && reason.percent == 10)
        #expect(server.received.allSatisfy { $0.path == "/hooks/t0k3n-path" && $0.method == "POST" })
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(!journal.contains("t0k3n"), "the URL never reaches the journal")
        #expect(journal.contains(#""urlEnv":"OPS_HOOK_URL""#))
        // Each message carries the journal's head as a witness, and the journal extends it (issue: a witness kept
        // outside the state directory, printed in each notification).
        let witness = try #require(go.witness, "the GO message carries a witness")
        #expect(witness.hasPrefix("warroom-witness run=") && witness.contains("seq="))
        let verify = try warroom(["verify", "--state", state, "--witness", witness])
        #expect(verify.status == 0 && verify.out.contains("the journal extends it"), "\(verify.out)\(verify.err)")
    }

    /// Quitting while retries wait out their backoff: each gets its try at once (a receiver that is back gets the
    /// message; one still failing is journaled as given up on, saying the console closed). And `U` then `w` saves
    /// the drafted stakeholder update next to the journal.
    @Test func quittingTriesWaitingRetriesAndUSavesTheDraftedUpdate() throws {
        let lock = NSLock()
        nonisolated(unsafe) var flaky = 0
        let back = try LoopbackHTTPServer { _ in
            lock.lock(); flaky += 1; let k = flaky; lock.unlock()
            return k == 1 ? .json("{}", status: 503) : .json("{}")
        }
        defer { back.stop() }
        let down = try LoopbackHTTPServer { _ in .json("{}", status: 500) }
        defer { down.stop() }
        let dir = tempDir("notify-quit")
        let config = try writeRun(in: dir, """
        ramp:
          steps: [{percent: 10, hold: 4s}, {percent: 50, hold: 4s}]
        rollback:
          - {name: Security incident, manual: true}
        notify:
          back: {kind: webhook, url_env: BACK_URL}
          down: {kind: webhook, url_env: DOWN_URL}
        """)
        let state = dir + "/state"
        // Ten minutes between tries: only the close can give the second one in the test's time.
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor dana",
                                env: ["BACK_URL": "http://127.0.0.1:\(back.port)/b", "DOWN_URL": "http://127.0.0.1:\(down.port)/d",
                                      "WARROOM_NOTIFY_BACKOFF_MS": "600000"])
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        let deadline = Date().addingTimeInterval(30)
        while (back.received.count < 1 || down.received.count < 1), Date() < deadline { usleep(50_000) }
        #expect(back.received.count == 1 && down.received.count == 1, "each first try failed")
        try t.send("U")
        t.waitFor(text: "STAKEHOLDER UPDATE")
        t.waitFor(text: "Latest decisions:")
        try t.send("w")
        t.waitFor(text: "stakeholder update saved to")
        let saved = try FileManager.default.contentsOfDirectory(atPath: state + "/updates")
        #expect(saved.count == 1 && saved[0].hasPrefix("update-") && saved[0].hasSuffix("Z.md"), "\(saved)")
        let draft = try String(contentsOfFile: state + "/updates/" + saved[0], encoding: .utf8)
        #expect(draft.hasPrefix("Update on checkout-api (") && draft.contains("GO 0 → 10 % by dana"), "\(draft)")
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        #expect(back.received.count == 2, "the waiting retry went at the close and was delivered")
        #expect(down.received.count == 2)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        let failed = journal.split(separator: "\n").filter { $0.contains(#""type":"notify.failed""#) }
        #expect(failed.count == 1 && failed[0].contains("no more tries: the console closed") && failed[0].contains("down (webhook"),
                "\(failed)")
    }
}
