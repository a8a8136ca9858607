import Foundation
import Testing
@testable import WarRoomCLI

/// The sign key in real consoles: a crew console signs a role with `S` `y`; the driver's console shows the
/// signature within seconds; `status` lists it; `warroom sign` by someone else is refused, as is `S` in the driver's
/// console (without leaving a prompt that would read the next keys).
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct SignKeyEndToEnd {
    @Test func crewSignsWithTheKeyAndEveryoneSeesIt() throws {
        let state = tempDir("signkey") + "/state"
        let me = shellQuote(warroomBinary)
        let driver = try TmuxConsole(command: "\(me) run --checklist \(shellQuote(canary)) --state \(shellQuote(state))")
        driver.waitFor(text: "DRIVING", timeout: 30)
        let crew = try TmuxConsole(command: "\(me) follow --state \(shellQuote(state)) --crew --actor lee")
        crew.waitFor(text: "CREW · lee · dana drives", timeout: 30)

        // Not a sign-off row: it says which rows are, and opens nothing; the keys typed next are held until Esc.
        try crew.send("S")
        crew.waitFor(text: "not a sign-off line — sign-offs: Engineering Lead, SRE Lead, Product Owner")
        crew.waitFor(text: "keys held after a refusal — Esc")
        try crew.send("Escape")
        crew.waitFor("the hold released") { !$0.contains("keys held after a refusal") }
        try crew.send("?")
        crew.waitFor(text: "sign off the selected sign-off")
        try crew.send("Escape")
        crew.waitFor("the help closed") { !$0.contains("any key closes") }

        // Both consoles look at the SRE Lead row.
        try driver.search("SRE Lead")
        driver.waitFor(text: "sign-off: SRE Lead · unsigned")
        try crew.search("SRE Lead")
        try crew.send("S")
        crew.waitFor(text: "sign SRE Lead as lee? y signs, any other key cancels")
        try crew.send("y")
        crew.waitFor(text: "signed: SRE Lead by lee", timeout: 30)
        crew.waitFor(text: "✍ signed by lee")

        // The driver sees it, attributed, on the row and in the detail line.
        let start = Date()
        driver.waitFor(text: "✍ signed by lee", timeout: 30)
        driver.waitFor(text: "sign-off: SRE Lead · signed by lee at")
        #expect(Date().timeIntervalSince(start) < 5, "the driver showed lee's signature after \(Date().timeIntervalSince(start)) s")

        // The driver cannot take lee's signature back: refused with no prompt, so the next keys are keys.
        try driver.send("S")
        driver.waitFor(text: "SRE Lead was signed by lee at")
        driver.waitFor(text: "only they can take it back")
        try driver.send("Escape") // the refusal holds typed keys until Esc
        driver.waitFor("the hold released") { !$0.contains("keys held after a refusal") }
        try driver.send("k")
        driver.waitFor("the cursor moved up to Engineering Lead") { $0.contains("sign-off: Engineering Lead · unsigned") }

        // The shell agrees; signing again by someone else is refused, naming lee.
        let status = try warroom(["status", "--state", state])
        #expect(status.status == 0, "\(status.err)")
        let sre = status.out.split(separator: "\n").first { $0.contains("SRE Lead") && $0.contains("signed by") }
        #expect(sre?.contains("signed by lee at") == true, "\(status.out)")
        let again = try warroom(["sign", "SRE Lead", "--state", state, "--actor", "sun"])
        #expect(again.status != 0, "\(again.out)\(again.err)")
        #expect(again.err.contains("SRE Lead is already signed off by lee"), "\(again.err)")

        // lee takes it back from the crew console; the driver sees that too.
        try crew.send("S")
        crew.waitFor(text: "take back your signature for SRE Lead?")
        try crew.send("y")
        crew.waitFor(text: "signature taken back: SRE Lead by lee", timeout: 30)
        driver.waitFor(text: "sign-off: Engineering Lead · unsigned")
        driver.waitFor(text: "lee: signature taken back: SRE Lead by lee", timeout: 30)

        for c in [crew, driver] {
            try c.send("q")
            c.waitFor(text: "Quit warroom?")
            try c.send("y")
            #expect(c.waitForExit(timeout: 30) == 0)
        }
        let lines = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8).split(separator: "\n")
        let signs = lines.filter { $0.contains("\"type\":\"signoff.") }
        #expect(signs.count == 2 && signs.allSatisfy { $0.contains("\"actor\":\"lee\"") }, "\(signs)")
        #expect(try warroom(["verify", "--state", state]).status == 0)
    }
}
