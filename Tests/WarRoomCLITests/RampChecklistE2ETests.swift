import Foundation
import Testing
import WarRoomCore

/// The checklist drives the ramp, end to end in tmux on seed 004 (copied into Tests/Fixtures/seeds for CI):
/// `run --checklist` derives that 10 % requires the Pre-Cutover Checklist and ticks T1217.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct RampChecklistEndToEnd {
    func seed004(_ dir: String) throws -> String {
        let seeds = repoRoot.appendingPathComponent("Tests/Fixtures/seeds").path
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: seeds).first { $0.hasPrefix("004") })
        let path = dir + "/tasks.md"
        try FileManager.default.copyItem(atPath: seeds + "/" + name, toPath: path)
        return path
    }

    @Test func goBlockedOnT1216UntilCheckedThenGoTicksT1217() throws {
        let dir = tempDir("ramp-checklist")
        let checklist = try seed004(dir)
        let state = dir + "/state"
        for id in ["T1212", "T1213", "T1214", "T1215"] {
            let r = try warroom(["check", id, "--checklist", checklist, "--state", state, "--actor", "lee"])
            #expect(r.status == 0, "\(r.err)")
        }
        let blocked = try warroom(["check", "T1216", "--block", "checklist owner absent", "--checklist", checklist, "--state", state, "--actor", "lee"])
        #expect(blocked.status == 0, "\(blocked.err)")

        let t = try TmuxConsole(width: 160, height: 48,
                                command: "\(shellQuote(warroomBinary)) run --checklist \(shellQuote(checklist)) --state \(shellQuote(state))")
        t.waitFor(text: "DRIVING", timeout: 30)
        // The gate names the item and its state, not a count.
        t.waitFor(text: "T1216 blocked: checklist owner absent", timeout: 30)
        try t.send("g")
        t.waitFor(text: "GO refused", timeout: 30)

        // The crew clears it from the shell; the console sees the journal and the gate opens.
        let check = try warroom(["check", "T1216", "--checklist", checklist, "--state", state, "--actor", "lee"])
        #expect(check.status == 0, "\(check.err)")
        t.waitFor("READY → 10 %", timeout: 30) { $0.contains("READY") && $0.contains("10 %") && !$0.contains("T1216 blocked") }
        try t.send("g")
        t.waitFor(text: "reason for GO", timeout: 30)
        try t.send("Escape")
        t.waitFor(text: "step 1/5", timeout: 30)

        // GO ticked T1217, in the decision, attributed to the driver.
        let status = try warroom(["status", "--checklist", checklist, "--state", state, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let items = json["items"] as? [[String: Any]] ?? []
        let t1217 = items.first { $0["id"] as? String == "T1217" }
        #expect(t1217?["status"] as? String == "done")
        #expect(t1217?["actor"] as? String == "dana")
        #expect(items.first { $0["id"] as? String == "T1220" }?["status"] as? String == "open")
        let decisions = json["decisions"] as? [[String: Any]] ?? []
        let go = try #require(decisions.last)
        #expect(go["kind"] as? String == "go" && go["to"] as? Int == 10)
        #expect(items.first { $0["id"] as? String == "T1217" }?["reason"] as? String == "GO → 10 %")

        try t.send("q")
        t.waitFor(text: "Quit warroom?")
        try t.send("y")
        #expect(t.waitForExit(timeout: 30) == 0)
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
    }
}
