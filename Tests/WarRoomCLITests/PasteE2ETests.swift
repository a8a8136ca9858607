import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// Bracketed paste through a real terminal (tmux `paste-buffer -p` brackets the text only when the console asked
/// for it with ESC[?2004h): in a prompt the text is typed literally, never Enter; outside one it runs no command;
/// and every way out turns the mode off again (ESC[?2004l), so the shell after it gets plain pastes.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct PasteEndToEnd {
    /// The console, then `cat -v` recording what a paste looks like to the program that comes after it.
    func start(_ state: String) throws -> (TmuxConsole, after: String) {
        let dir = tempDir("paste")
        let after = dir + "/after.txt"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run --checklist \(shellQuote(canary)) --state \(shellQuote(state)); "
                                + "echo console-exited; cat -v > \(shellQuote(after))")
        return (t, after)
    }

    func paste(_ t: TmuxConsole, _ text: String) throws {
        try t.tmux(["set-buffer", "-b", "wr", "--", text])
        try t.tmux(["paste-buffer", "-p", "-b", "wr", "-t", t.session])
    }

    /// After the console: a paste reaches `cat` without bracket markers.
    func expectPasteModeOff(_ t: TmuxConsole, _ after: String) throws {
        t.waitFor(text: "console-exited")
        try paste(t, "plain-after\n")
        try t.send("C-d")
        #expect(t.waitForExit() == 0)
        let seen = try String(contentsOfFile: after, encoding: .utf8)
        #expect(seen.contains("plain-after"), "\(seen)")
        #expect(!seen.contains("[200~") && !seen.contains("[201~"), "bracketed paste left on: \(seen)")
    }

    @Test func pasteIsTextInAPromptAndNeverCommandsOutsideOne() throws {
        let state = tempDir("paste-e2e") + "/state"
        let (t, after) = try start(state)
        t.waitFor(text: "CHECKLIST")
        t.waitFor(text: "DRIVING")
        let journal = { try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8) }
        let before = try journal()
        // Outside a prompt: "q y" typed would quit, "/" would search; pasted, nothing runs.
        try paste(t, "qy/T104\n")
        t.waitFor(text: "paste ignored outside a prompt")
        #expect(!t.screen().contains("Quit warroom?"))
        #expect(t.exitStatus() == nil)
        #expect(try journal() == before)
        // In a prompt: the skip reason takes the paste literally; its newline is a space, not Enter.
        try t.search("T104")
        try t.send("s")
        t.waitFor(text: "skip reason")
        try paste(t, "fraud team\nnot reachable\n")
        t.waitFor(text: "fraud team not reachable")
        #expect(try journal() == before, "a pasted newline submitted nothing")
        try t.type("(pager)")
        try t.send("Enter")
        t.waitFor(text: "saved: T104 skipped (fraud team not reachable (pager))")
        try t.send("q")
        t.waitFor(text: "Quit warroom?")
        try t.send("y")
        try expectPasteModeOff(t, after)
    }

    /// A supervisor's SIGTERM and a crash leave the console by other ways than `q`: the mode is turned off there too.
    @Test(arguments: [SIGTERM, SIGSEGV])
    func signalsTurnPasteModeOff(_ sig: Int32) throws {
        let state = tempDir("paste-e2e") + "/state"
        let (t, after) = try start(state)
        t.waitFor(text: "CHECKLIST")
        let log = try String(contentsOfFile: state + "/warroom.log", encoding: .utf8)
        let pid = try #require(log.firstMatch(of: #/pid (\d+)/#).flatMap { Int32($0.1) })
        kill(pid, sig)
        try expectPasteModeOff(t, after)
    }
}
