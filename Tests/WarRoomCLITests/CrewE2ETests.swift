import Foundation
import Testing
@testable import WarRoomCLI

/// Many hands on one run: a driver console, a crew console and `warroom check` from a shell, each change seen by
/// the others within about a second, with who made it.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct CrewEndToEnd {
    /// Polls `console` until `text` shows; records an issue when it took longer than `within` seconds.
    func seen(_ text: String, on console: TmuxConsole, within: Double = 2.0) {
        let start = Date()
        console.waitFor(text: text, timeout: 10)
        let took = Date().timeIntervalSince(start)
        #expect(took < within, "“\(text)” took \(took) s to show")
    }

    @Test func driverCrewAndShellSeeEachOthersChanges() throws {
        let state = tempDir("crew") + "/state"
        let me = shellQuote(warroomBinary)
        let driver = try TmuxConsole(command: "\(me) run --checklist \(shellQuote(canary)) --state \(shellQuote(state))")
        driver.waitFor(text: "DRIVING")
        let crew = try TmuxConsole(command: "\(me) follow --state \(shellQuote(state)) --crew --actor lee")
        crew.waitFor(text: "CREW · lee · dana drives")

        // The driver's change reaches the crew console, attributed.
        try driver.checkItem("T102")
        seen("dana: saved: T102 done", on: crew)

        // The crew's own change is shown once journaled (as its own), and reaches the driver, attributed.
        try crew.checkItem("T103")
        seen("lee: saved: T103 done", on: driver)

        // A check from a shell reaches both.
        let shell = try warroom(["check", "T104", "--checklist", canary, "--state", state, "--actor", "sam"])
        #expect(shell.status == 0, "\(shell.err)")
        seen("sam: saved: T104 done", on: crew)
        seen("sam: saved: T104 done", on: driver)

        // The crew ticks, it does not decide; its u takes back its own change only.
        try crew.send("g")
        crew.waitFor(text: "GO: dana drives — crew can tick items, not decide")
        // Esc clears the refusal (an acknowledgement's "saved" never wipes a fresh warning).
        try crew.send("Escape")
        crew.waitFor("the refusal cleared") { !$0.contains("crew can tick items") }
        try crew.send("u")
        crew.waitFor(text: "saved: undo T103 → open")
        seen("lee: saved: undo T103 → open", on: driver)

        // The journal says who did what; the shell's view agrees.
        let lines = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        let items = lines.filter { $0.contains("\"type\":\"item.") }
        #expect(items.count == 4)
        #expect(items.map { $0.contains("\"actor\":\"dana\"") } == [true, false, false, false])
        #expect(items.map { $0.contains("\"actor\":\"lee\"") } == [false, true, false, true])
        #expect(items[2].contains("\"actor\":\"sam\""))
        #expect(!lines.contains { $0.contains("ramp.decision") }, "the crew's g decided nothing")

        // A shell undo of lee's change is lee's to make: refused for dana without --force.
        try crew.search("T102")
        try crew.send("Space")
        crew.waitFor(text: "saved: T102 open")
        seen("lee: saved: T102 open", on: driver)
        let refused = try warroom(["check", "T102", "--checklist", canary, "--state", state, "--undo", "--actor", "dana"])
        #expect(refused.status == 1 && refused.err.contains("was made by lee, not dana"), "\(refused.err)")

        for c in [crew, driver] {
            try c.send("q")
            c.waitFor(text: "Quit warroom?")
            try c.send("y")
            #expect(c.waitForExit() == 0)
        }
        #expect(try warroom(["verify", "--state", state]).status == 0)
    }
}

/// Who the person is when `--actor` is not given: the one behind sudo, else the account, else $USER.
@Suite struct ActorDefault {
    @Test func sudoUserThenAccountThenUser() {
        #expect(defaultActor(environment: ["SUDO_USER": "lee", "USER": "root"], account: { "root" }) == "lee")
        #expect(defaultActor(environment: ["SUDO_USER": "", "USER": "mallory"], account: { "dana" }) == "dana")
        #expect(defaultActor(environment: ["USER": "sam"], account: { nil }) == "sam")
        #expect(defaultActor(environment: ["LOGNAME": "kim"], account: { nil }) == "kim")
        #expect(defaultActor(environment: [:], account: { nil }) == "unknown")
    }
}
