import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// The ramp end to end in tmux: a config with a hook that writes the traffic percentage to a file, as a real
/// set-weight script would move a load balancer.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct RampEndToEnd {
    /// A directory with the checklist, a hook and a config ramping 10 → 50 with short observation windows.
    func makeRun(hold: String = "4s") throws -> (dir: String, config: String) {
        let dir = tempDir("ramp-e2e")
        try FileManager.default.copyItem(atPath: canary, toPath: dir + "/checklist.md")
        let hook = dir + "/set-weight"
        try """
        #!/bin/sh
        # Moves "traffic": writes the percentage it was given, and says so.
        printf '%s' "$1" > weight
        echo "weight for $WARROOM_SERVICE set to $1 (was $WARROOM_PREVIOUS)"
        """.write(toFile: hook, atomically: true, encoding: .utf8)
        chmod(hook, 0o755)
        let config = dir + "/warroom.yaml"
        try """
        service: checkout-api
        checklist: checklist.md
        ramp:
          steps: [{percent: 10, hold: \(hold)}, {percent: 50, hold: \(hold)}]
          apply: ["./set-weight", "{percent}"]
          rollback: ["./set-weight", "0"]
          timeout: 10s
          targets: {decide: 5m, execute: 10m, verify: 5m}
        rollback:
          - {name: Security incident, manual: true}
          - {name: Data corruption detected, manual: true}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        return (dir, config)
    }

    func weight(_ dir: String) -> String? { try? String(contentsOfFile: dir + "/weight", encoding: .utf8) }

    /// A run whose apply hook is `script`, its console started, and GO pressed (no reason).
    func goWithHook(_ script: String, hold: String = "4s") throws -> (dir: String, state: String, console: TmuxConsole) {
        let (dir, config) = try makeRun(hold: hold)
        try script.write(toFile: dir + "/set-weight", atomically: true, encoding: .utf8)
        chmod(dir + "/set-weight", 0o755)
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))")
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        return (dir, state, t)
    }

    /// Quitting while a hook runs ends the hook's whole process group and journals how it ended: a hook left behind
    /// could move traffic after the next console decided otherwise. A process that escaped the group with `setsid`
    /// is ended too, and the journal names it by pid.
    @Test func quittingEndsARunningHook() throws {
        let (dir, state, t) = try goWithHook("""
        #!/bin/sh
        setsid sh -c 'sleep 60; printf "%s" "$0" > weight' "$1" &
        echo $! > escaped.pid
        echo $$ > hook.pid
        sleep 60
        printf '%s' "$1" > weight
        """)
        t.waitFor(text: "applying 10 %")
        let deadline = Date().addingTimeInterval(30) // the hook starts after the decision is saved; generous under load
        while !FileManager.default.fileExists(atPath: dir + "/hook.pid"), Date() < deadline { usleep(50_000) }
        let pidText = try String(contentsOfFile: dir + "/hook.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let pid = try #require(Int32(pidText))
        try t.send("q")
        t.waitFor(text: "quitting ends it")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        #expect(kill(pid, 0) != 0, "the hook's process is gone")
        let escapedText = try String(contentsOfFile: dir + "/escaped.pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let escaped = try #require(Int32(escapedText))
        // Gone, or a zombie waiting for init to reap it (it was re-parented there when the hook ended).
        let stat = (try? String(contentsOfFile: "/proc/\(escaped)/stat", encoding: .utf8)) ?? ""
        let escapedState = stat.lastIndex(of: ")").map { stat[stat.index(after: $0)...].trimmingCharacters(in: .whitespaces).prefix(1) }
        #expect(stat.isEmpty || escapedState == "Z", "the process that escaped the group with setsid is gone too: \(stat)")
        #expect(weight(dir) == nil, "the hook never moved traffic")
        let status = try warroom(["status", "--state", state, "--json"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let decisions = try #require(json["decisions"] as? [[String: Any]])
        let hook = decisions.last?["hook"] as? String ?? ""
        #expect(!hook.hasPrefix("ok") && !hook.isEmpty && hook.contains("killed by signal"), "the journal says how the hook ended: \(hook)")
        #expect(hook.contains("left pid \(escaped) (sh) outside its process group"), "and names the escaped process: \(hook)")
        #expect((json["ramp"] as? [String: Any])?["percent"] as? Int == 0)
    }

    @Test func rampRefuseTripRollBackAndJournal() throws {
        let (dir, config) = try makeRun()
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))")
        t.waitFor(text: "RAMP")
        t.waitFor(text: "READY")
        #expect(weight(dir) == nil, "nothing moves before a decision")

        // GO 0 → 10: one key, the hook runs, then the reason prompt.
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.type("canary healthy")
        try t.send("Enter")
        t.waitFor(text: "10 %  step 1/2")
        #expect(weight(dir) == "10")

        // GO again at once: the observation window has not elapsed.
        try t.send("g")
        t.waitFor(text: "GO refused: WAITING")
        #expect(weight(dir) == "10")

        // Once the window is over the gate says READY and GO moves to 50.
        t.waitFor("READY at 10 %", timeout: 15) { $0.contains("READY") && $0.contains("g → 50 %") }
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        t.waitFor(text: "50 %  step 2/2")
        #expect(weight(dir) == "50")

        // Trip a manual criterion from the ROLLBACK pane, with a reason: the banner goes up and GO is blocked.
        try t.send("Tab")
        try t.send("x")
        t.waitFor(text: "trip “Security incident”")
        try t.type("pager 4411")
        try t.send("Enter")
        t.waitFor(text: "ROLLBACK CRITERION TRIPPED: Security incident — R to roll back")

        // Roll back: R asks y, the rollback hook runs, the ramp is at 0 % and the timeline shows.
        try t.send("R")
        t.waitFor(text: "ROLL BACK 50 % → 0 %?")
        try t.send("y")
        t.waitFor(text: "reason for ROLLBACK")
        try t.type("security")
        try t.send("Enter")
        t.waitFor(text: "ROLLED BACK · V verifies")
        #expect(weight(dir) == "0")
        t.waitFor(text: "execute")

        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)

        // The journal holds every decision with actor, reason, verdict and hook outcome.
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.err)")
        let status = try warroom(["status", "--config", config, "--state", state, "--json"])
        #expect(status.status == 0, "\(status.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let ramp = try #require(json["ramp"] as? [String: Any])
        #expect(ramp["percent"] as? Int == 0)
        #expect(ramp["rolledBack"] as? Bool == true)
        let decisions = try #require(json["decisions"] as? [[String: Any]])
        #expect(decisions.map { $0["kind"] as? String } == ["go", "go", "rollback"])
        #expect(decisions.map { $0["to"] as? Int } == [10, 50, 0])
        #expect(decisions.map { $0["actor"] as? String } == ["dana", "dana", "dana"])
        #expect(decisions.first?["reason"] as? String == "canary healthy")
        #expect(decisions.last?["reason"] as? String == "security")
        #expect(decisions.allSatisfy { ($0["hook"] as? String)?.hasPrefix("ok") == true })
        let tripped = json["tripped"] as? [[String: Any]] ?? []
        #expect(tripped.first?["name"] as? String == "Security incident")
        #expect(tripped.first?["reason"] as? String == "pager 4411")
        // The raw journal: the rollback decision carries the light snapshot with the tripped criterion.
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        let rollbackLine = try #require(journal.split(separator: "\n").first { $0.contains("\"kind\":\"rollback\"") })
        #expect(rollbackLine.contains("\"state\":\"tripped\""))
        #expect(rollbackLine.contains("\"hook\":[\"./set-weight\",\"0\"]"))
    }

    @Test func failingHookLeavesTheRampAndSaysWhy() throws {
        let (dir, state, t) = try goWithHook("""
        #!/bin/sh
        echo "load balancer API: 503 Service Unavailable" >&2
        exit 3
        """, hold: "1s")
        t.waitFor(text: "hook failed: exit 3")
        let s = t.waitFor(text: "503 Service")
        #expect(s.contains("0 %  not started"), "the ramp stayed at 0 %")
        #expect(s.contains("HOOK FAILED"), "the decisions pane says so")
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        #expect(journal.contains("\"type\":\"ramp.hook\""))
        #expect(journal.contains("503 Service Unavailable"))
    }
}

/// A state directory describes its own run: with the config and the checklist moved away, `status`, `report`,
/// `replay` and `follow` given `--state` alone, from another directory, show the run as it was.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct SelfContainedState {
    @Test func theStateDirectoryAloneShowsTheRun() throws {
        let (dir, config) = try RampEndToEnd().makeRun(hold: "1h")
        let state = tempDir("self-contained") + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))")
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        t.waitFor(text: "10 %  step 1/2")
        try t.checkItem("T102")
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        // The config and the checklist go away; the commands run from an unrelated directory.
        try FileManager.default.removeItem(atPath: dir)
        let elsewhere = tempDir("elsewhere")

        let status = try warroom(["status", "--state", state, "--json"], cwd: elsewhere)
        #expect(status.status == 0, "\(status.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let ramp = try #require(json["ramp"] as? [String: Any])
        #expect(ramp["steps"] as? [Int] == [10, 50], "the recorded plan, not one derived from the checklist")
        #expect(ramp["percent"] as? Int == 10 && ramp["tracker"] as? Bool == false)
        let items = json["items"] as? [[String: Any]] ?? []
        #expect(items.first { $0["id"] as? String == "T102" }?["status"] as? String == "done")

        let report = try warroom(["report", "--state", state], cwd: elsewhere)
        #expect(report.status == 0, "\(report.err)")
        #expect(report.out.contains("checkout-api"))
        #expect(report.out.contains("Data corruption detected"), "the recorded criteria")

        let replay = try TmuxConsole(command: "cd \(shellQuote(elsewhere)) && \(shellQuote(warroomBinary)) replay --state \(shellQuote(state)) --speed 3600")
        replay.waitFor(text: "checkout-api")
        replay.waitFor(text: "Data corruption detected")
        try replay.send("q")
        try replay.send("y")
        #expect(replay.waitForExit() == 0)

        let follow = try TmuxConsole(command: "cd \(shellQuote(elsewhere)) && \(shellQuote(warroomBinary)) follow --state \(shellQuote(state))")
        follow.waitFor(text: "checkout-api")
        follow.waitFor(text: "[10] → 50")
        try follow.send("q")
        try follow.send("y")
        #expect(follow.waitForExit() == 0)

        // A kept checklist that no longer matches its hash is named, not used.
        let copies = try FileManager.default.contentsOfDirectory(atPath: state + "/checklists")
        let copy = state + "/checklists/" + (try #require(copies.first))
        chmod(copy, 0o600)
        try "- [ ] forged\n".write(toFile: copy, atomically: false, encoding: .utf8)
        let tampered = try warroom(["status", "--state", state], cwd: elsewhere)
        #expect(tampered.status == 1)
        #expect(tampered.err.contains(copy) || tampered.err.contains("checklists/"), "\(tampered.err)")

        // A FIFO planted in its place is named at once, never waited on.
        try FileManager.default.removeItem(atPath: copy)
        #expect(mkfifo(copy, 0o600) == 0)
        let fifo = try warroom(["status", "--state", state], cwd: elsewhere)
        #expect(fifo.status == 1 && fifo.err.contains("not a regular file"), "\(fifo.err)")

        // No copy at all, and a different checklist at the recorded name in the working directory: not used.
        try FileManager.default.removeItem(atPath: copy)
        try "# Decoy\n- [x] T1 something else\n".write(toFile: elsewhere + "/checklist.md", atomically: true, encoding: .utf8)
        let missing = try warroom(["status", "--state", state], cwd: elsewhere)
        #expect(missing.status == 1 && missing.err.contains("copy is missing"), "\(missing.err)")
    }
}
