import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// One driver and two followers on one state directory, each in its own tmux server (as people on their own
/// terminals would be).
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct FollowEndToEnd {
    @Test func followersSeeEveryChangeAndCannotWrite() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1s")
        let state = dir + "/state"
        let me = shellQuote(warroomBinary)
        let driver = try TmuxConsole(command: "\(me) run \(shellQuote(config)) --state \(shellQuote(state))")
        driver.waitFor(text: "READY")
        let followCommand = "\(me) follow --state \(shellQuote(state))"
        var first: TmuxConsole? = try TmuxConsole(command: followCommand, env: ["USER": "lee", "SUDO_USER": "lee"])
        let second = try TmuxConsole(command: followCommand, env: ["USER": "sam", "SUDO_USER": "sam"])
        for f in [first!, second] {
            f.waitFor(text: "READ-ONLY · dana drives")
            f.waitFor("the driver's live view") { $0.contains("old ") }
        }

        // A checked item reaches both followers within a second or so (they look four times a second).
        try driver.checkItem("T102")
        for f in [first!, second] {
            let start = Date()
            f.waitFor(text: "dana: saved: T102 done", timeout: 5)
            #expect(Date().timeIntervalSince(start) < 2.0, "a follower saw the change late")
        }

        // A ramp decision too.
        try driver.send("g")
        driver.waitFor(text: "reason for GO")
        try driver.send("Escape")
        driver.waitFor(text: "10 %  step 1/2")
        for f in [first!, second] { f.waitFor(text: "10 %  step 1/2", timeout: 5) }

        // A follower's keys change nothing.
        let before = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        try second.send("g")
        second.waitFor(text: "read-only — dana is driving")
        try second.send("Space")
        try second.send("R")
        #expect(try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8) == before)

        // Killing a follower leaves the driver untouched.
        try first!.tmux(["kill-server"])
        first = nil
        try driver.checkItem("T104")
        second.waitFor(text: "dana: saved: T104 done", timeout: 5)

        // The driver stops: its view goes stale on the follower, nothing stays green.
        try driver.send("q")
        try driver.send("y")
        #expect(driver.waitForExit() == 0)
        second.waitFor(text: "DRIVER SILENT", timeout: 10)
        try second.send("q")
        try second.send("y")
        #expect(second.waitForExit() == 0)
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
    }
}
