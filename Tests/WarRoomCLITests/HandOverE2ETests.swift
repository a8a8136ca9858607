import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// A deliberate hand-over: dana drives, presses D and names lee; lee's `run --take-over` drives at once (the lease
/// is live: no waiting for it to expire), where the run was; dana's console learns it at its next heartbeat and
/// turns read-only, naming lee.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct HandOverEndToEnd {
    @Test func theDriverOffersByNameAndTheNamedDriverTakesOverAtOnce() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1h")
        let state = dir + "/state"
        let journalPath = state + "/journal.jsonl"
        // A 3 s lease: dana's heartbeat is every second.
        let env = ["WARROOM_LEASE_TTL_MS": "3000"]
        func run(_ actor: String, _ extra: String = "") -> String {
            "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor \(actor)\(extra)"
        }
        // A long error line wraps at the pane's width.
        func unwrapped(_ screen: String) -> String { screen.replacingOccurrences(of: "\n", with: "") }
        let dana = try TmuxConsole(command: run("dana"), env: env)
        dana.waitFor(text: "READY")
        try dana.send("g")
        dana.waitFor(text: "reason for GO")
        try dana.send("Escape")
        dana.waitFor(text: "10 %  step 1/2")

        try dana.send("D")
        dana.waitFor(text: "hand over driving to: ")
        try dana.type("lee")
        try dana.send("Enter")
        dana.waitFor(text: "waiting for lee to take over (D again to cancel or change)")
        dana.waitFor(text: "DRIVING · offered to lee")
        #expect(try DriverLease.read(stateDir: state)?.offeredTo == "lee")

        // Someone else's take-over is still refused (the lease is live), and says whom it is offered to.
        let sam = try TmuxConsole(command: run("sam", " --take-over 'me instead'") + "; sleep 30", env: env)
        sam.waitFor("the refusal") { unwrapped($0).contains("take-over refused") && unwrapped($0).contains("it is offered to lee only") }
        // lee without --take-over: told how to accept.
        let plain = try TmuxConsole(command: run("lee") + "; sleep 30", env: env)
        plain.waitFor("how to accept") { unwrapped($0).contains("dana offers you driving: add --take-over REASON to accept") }

        // lee accepts: drives at once, at 10 %, and the journal says it was an offer accepted without a gap.
        let lee = try TmuxConsole(command: run("lee", " --take-over 'planned hand-over'"), env: env)
        lee.waitFor(text: "DRIVING")
        lee.waitFor(text: "10 %  step 1/2")
        lee.waitFor(text: "lee drives now — took over from dana as offered")
        #expect(!lee.screen().contains("offered to"), "the hand-over settled the offer")
        let events = try Journal.replay(stateDir: state).events
        let handover = try #require(events.last { if case .handover = $0.body { true } else { false } })
        #expect(handover.body == .handover(Handover(from: "dana", to: "lee", reason: "planned hand-over", gapMs: 0, offered: true)))
        #expect(events.contains { $0.body == .driverOffer(DriverOffer(to: "lee")) && $0.actor == "dana" })

        // dana's console learns it at its next heartbeat: read-only, naming lee; its keys write nothing.
        dana.waitFor(text: "lee took over driving", timeout: 20)
        let before = try String(contentsOfFile: journalPath, encoding: .utf8)
        try dana.send("n")
        dana.waitFor(text: "read-only — lee took over driving")
        // The refusal holds the keys typed next: Esc ends the hold, and D is refused in its turn.
        dana.waitFor(text: "keys held after a refusal — Esc")
        try dana.send("Escape")
        dana.waitFor("the hold released") { !$0.contains("keys held after a refusal") }
        try dana.send("D")
        dana.waitFor(text: "read-only — lee took over driving")
        #expect(!dana.screen().contains("hand over driving to:"), "no prompt on a read-only console")
        #expect(try String(contentsOfFile: journalPath, encoding: .utf8) == before)

        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        let report = try warroom(["report", "--state", state, "--config", config])
        #expect(report.out.contains("## Hand-overs") && report.out.contains("| offered | dana | lee |")
                && report.out.contains("| accepted offer | dana | lee | 0s | planned hand-over |"), "\(report.out)\(report.err)")
        try lee.send("q")
        try lee.send("y")
        #expect(lee.waitForExit() == 0)
        try dana.send("Escape") // D's refusal holds keys
        try dana.send("q")
        try dana.send("y")
        _ = dana.waitForExit()
    }

    /// An offer lives on the lease it was made on: the driver quits (releasing the lease), the next console drives
    /// without --take-over and journals that the offer lapsed, so nobody reads a stale offer.
    @Test func anOfferLapsesWithTheLeaseItWasMadeOn() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1h")
        let state = dir + "/state"
        func run(_ actor: String) -> String {
            "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor \(actor)"
        }
        let dana = try TmuxConsole(command: run("dana"))
        dana.waitFor(text: "DRIVING")
        try dana.send("D")
        dana.waitFor(text: "hand over driving to: ")
        try dana.type("lee")
        try dana.send("Enter")
        dana.waitFor(text: "DRIVING · offered to lee")
        try dana.send("q")
        dana.waitFor(text: "Quit warroom?")
        try dana.send("y")
        #expect(dana.waitForExit() == 0)
        let sam = try TmuxConsole(command: run("sam"))
        sam.waitFor(text: "DRIVING")
        sam.waitFor(text: "sam withdrew the offer of driving (dana's offer to lee lapsed: a new driver lease)")
        #expect(!sam.screen().contains("offered to lee"))
        let offers = try Journal.replay(stateDir: state).events.compactMap { e -> DriverOffer? in
            if case .driverOffer(let o) = e.body { o } else { nil }
        }
        #expect(offers.map(\.to) == ["lee", nil])
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        try sam.send("q")
        try sam.send("y")
        #expect(sam.waitForExit() == 0)
    }
}
