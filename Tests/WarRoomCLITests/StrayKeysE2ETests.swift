import Foundation
import Testing

/// Issue 14, typed exactly as it was seen: a refused key, then the reason a person types for a prompt that never
/// opened. The journal must not change.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct StrayKeysEndToEnd {
    func journal(_ state: String) -> Data? { FileManager.default.contents(atPath: state + "/journal.jsonl") }

    /// Waits until the hold has shown, then until it has ended by itself (the keyboard quiet): by then every key
    /// typed has reached the console.
    func waitOutTheHold(_ t: TmuxConsole) {
        t.waitFor(text: "keys held after a refusal — Esc")
        t.waitFor("the hold to end", timeout: 20) { !$0.contains("keys held after a refusal") }
    }

    @Test func aReasonTypedAfterARefusedKeyChangesNothing() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1h")
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))")
        t.waitFor(text: "READY")
        t.waitFor(text: "▾ 📋 Pre-Deployment (T-24h)")
        let before = journal(state)

        // `b` on a section row: "select an item first", no prompt; what follows was meant as the reason.
        try t.send("b")
        try t.type("fraud team not reachable")
        try t.send("Enter")
        waitOutTheHold(t)
        #expect(journal(state) == before, "the reason ran as commands")

        // `G` at a READY gate: "GO is allowed: press g"; the override reason typed next.
        try t.send("G")
        try t.type("everyone agreed, ship it now")
        try t.send("Enter")
        waitOutTheHold(t)
        #expect(journal(state) == before, "the reason ran as commands")
        let screen = t.screen()
        #expect(!screen.contains("NO-GO 0"), "\(screen)")
        #expect(screen.contains("READY") && !screen.contains("10 %  step 1/2"), "\(screen)")

        // Esc ends a hold at once: the next key is a command again.
        try t.send("G")
        t.waitFor(text: "keys held after a refusal — Esc")
        try t.send("Escape")
        t.waitFor("the hold released") { !$0.contains("keys held after a refusal") }
        try t.send("?")
        t.waitFor(text: "page up")
    }
}
