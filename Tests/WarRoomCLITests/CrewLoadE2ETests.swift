import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// The crew at full tilt while the driver ramps: three lanes of `warroom check` processes (300 each) append while a
/// driver console holds the lease, merges their entries and moves the ramp 0 → 10 → 50 %. All 900 checks are in the
/// journal at the seq each printed, in the order of their acknowledgements, beside both decisions; the chain verifies;
/// and the console has merged every entry (its footer shows the journal's last seq).
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct CrewLoadEndToEnd {
    @Test func nineHundredChecksWhileTheDriverRamps() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "2s")
        let state = dir + "/state"
        let console = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor dana")
        console.waitFor(text: "READY  g → 10 %")
        try ManyWritersEndToEnd().checkLanes(state: state, lanes: 3, each: 300) {
            try console.send("g")
            console.waitFor(text: "reason for GO", timeout: 30)
            try console.send("Escape")
            console.waitFor(text: "10 %  step 1/2", timeout: 30)
            console.waitFor(text: "READY  g → 50 %", timeout: 30) // (the decisions pane says READY at once)
            try console.send("g")
            console.waitFor(text: "reason for GO", timeout: 30)
            try console.send("Escape")
            console.waitFor(text: "50 %  step 2/2", timeout: 30)
        }
        let replay = try Journal.replay(stateDir: state)
        let decisions = replay.events.compactMap { e -> Int? in
            if case .rampDecision(let d) = e.body { return d.to } else { return nil }
        }
        #expect(decisions == [10, 50], "\(decisions)")
        let last = try #require(replay.events.last?.seq)
        console.waitFor(text: "journal seq \(last)", timeout: 10)
        try console.send("q")
        try console.send("y")
        #expect(console.waitForExit() == 0)
        #expect(try warroom(["verify", "--state", state]).status == 0)
    }
}
