import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomStore
import WarRoomUI

/// A small seedable generator (SplitMix64): the "random" chunks are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum ReplayFixture {
    static let t0 = Timestamp.parse("2026-11-23T09:00:00Z")!
    static func at(_ minutes: Double) -> Millis { t0 + Millis(minutes * 60_000) }

    /// A recorded run with every kind of event: items set, skipped, blocked and undone (some at the same
    /// instant), GO with a hook, a reason, NO-GO, a verdict change, GO without a hook, a trip, a rollback whose
    /// hook fails, a second rollback that works, VERIFIED, a clear, and a last item.
    static func makeJournal() throws -> String {
        let dir = tempDir("replay") + "/state"
        let w = try JournalWriter.open(stateDir: dir, actor: "dana", now: t0)
        defer { w.close() }
        try w.acquireLease(now: t0) // driver entries carry the lease's token, as the console writes them
        func add(_ b: EventBody, _ minutes: Double, _ actor: String = "dana") throws -> JournalEvent {
            try w.append(b, actor: actor, time: at(minutes))
        }
        let ok = [SnapshotEntry(name: "Error rate", state: "ok", detail: "0.02 %")]
        let quiet = [SnapshotEntry(name: "Security incident", state: "ok")]
        let tripped = [SnapshotEntry(name: "Security incident", state: "tripped", detail: "manual")]
        _ = try add(.runStarted(RunStarted(checklist: canary, checklistSHA256: String(repeating: "a", count: 64), items: 46,
                                           host: "host", pid: 1)), 0)
        _ = try add(.itemSet(ItemSet(id: "T102", status: .done)), 0)
        _ = try add(.itemSet(ItemSet(id: "T103", status: .done, note: "1.5× peak")), 0.5, "lee")
        _ = try add(.itemSet(ItemSet(id: "T104", status: .blocked, reason: "flag service down")), 0.5, "lee")
        _ = try add(.itemSet(ItemSet(id: "T105a", status: .skipped, reason: "quota already 500")), 2)
        _ = try add(.itemUndo(ItemUndo(id: "T103")), 3, "lee")
        _ = try add(.itemSet(ItemSet(id: "T104", status: .done)), 7)
        let go1 = try add(.rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY", gauges: ok, lights: quiet,
                                                     hook: ["./set-weight", "10"])), 10)
        _ = try add(.hookResult(HookResult(decision: go1.seq, ok: true, summary: "exit 0", durationMs: 1_200)), 10.02)
        _ = try add(.decisionReason(DecisionReason(decision: go1.seq, reason: "canary healthy")), 10.5)
        _ = try add(.rampDecision(RampDecision(kind: .nogo, from: 10, to: 10, verdict: "READY", gauges: ok, lights: quiet)), 20)
        _ = try add(.verdictChange(VerdictChange(subject: "slo", name: "Error rate", from: "ok", to: "warn", detail: "0.08 %")), 22)
        _ = try add(.rampDecision(RampDecision(kind: .go, from: 10, to: 25, verdict: "READY", gauges: ok, lights: quiet)), 30)
        _ = try add(.lightTrip(LightChange(name: "Security incident", reason: "pager 4411", detail: "manual")), 35)
        let rb1 = try add(.rampDecision(RampDecision(kind: .rollback, from: 25, to: 0, verdict: "BLOCKED", gauges: ok,
                                                     lights: tripped, hook: ["./set-weight", "0"])), 36)
        _ = try add(.hookResult(HookResult(decision: rb1.seq, ok: false, summary: "exit 1", tail: ["router busy"], durationMs: 900)), 36.5)
        let rb2 = try add(.rampDecision(RampDecision(kind: .rollback, from: 25, to: 0, verdict: "BLOCKED", gauges: ok,
                                                     lights: tripped, hook: ["./set-weight", "0"])), 37)
        _ = try add(.hookResult(HookResult(decision: rb2.seq, ok: true, summary: "exit 0", durationMs: 800)), 37.3)
        _ = try add(.rampDecision(RampDecision(kind: .verified, from: 0, to: 0, verdict: "NONE", gauges: ok, lights: tripped)), 45)
        _ = try add(.lightClear(LightChange(name: "Security incident", reason: "false alarm")), 50)
        _ = try add(.itemSet(ItemSet(id: "T110", status: .done)), 60, "sam")
        return dir
    }

    static let checklist: Checklist = try! loadChecklist(canary).checklist

    /// The run states agree on everything a console shows.
    static func expectSame(_ a: RunState, _ b: RunState, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(a.lastSeq == b.lastSeq, "\(what): lastSeq", sourceLocation: sourceLocation)
        #expect(a.lastTime == b.lastTime, "\(what): lastTime", sourceLocation: sourceLocation)
        #expect(a.runID == b.runID, "\(what): runID", sourceLocation: sourceLocation)
        #expect(a.percent == b.percent, "\(what): percent", sourceLocation: sourceLocation)
        #expect(a.windowStart == b.windowStart, "\(what): windowStart", sourceLocation: sourceLocation)
        #expect(a.decisions == b.decisions, "\(what): decisions", sourceLocation: sourceLocation)
        #expect(a.pendingDecision == b.pendingDecision, "\(what): pendingDecision", sourceLocation: sourceLocation)
        #expect(a.records == b.records, "\(what): records", sourceLocation: sourceLocation)
        #expect(a.changes == b.changes, "\(what): changes", sourceLocation: sourceLocation)
        #expect(a.tripped == b.tripped, "\(what): tripped", sourceLocation: sourceLocation)
        #expect(a.rollback == b.rollback, "\(what): rollback", sourceLocation: sourceLocation)
        #expect(a.lightHistory.map(\.seq) == b.lightHistory.map(\.seq), "\(what): lightHistory", sourceLocation: sourceLocation)
        #expect(a.verdictChanges.map(\.seq) == b.verdictChanges.map(\.seq), "\(what): verdictChanges", sourceLocation: sourceLocation)
        let sa = checklist.items.map { a.status(of: $0) }, sb = checklist.items.map { b.status(of: $0) }
        #expect(sa == sb, "\(what): item statuses", sourceLocation: sourceLocation)
    }

    /// The events' prefix that is due at `time`, applied directly: what a cursor at `time` must hold.
    static func stateAt(_ time: Millis, _ r: Replay) -> RunState {
        var s = RunState()
        s.runID = r.state.runID
        for e in r.events {
            guard e.time <= time else { break }
            try! s.apply(e)
        }
        return s
    }
}

@Suite struct ReplayCursorTests {
    @Test func randomChunksReachTheJournalsFinalState() throws {
        let dir = try ReplayFixture.makeJournal()
        let r = try Journal.replay(stateDir: dir)
        #expect(r.events.count == 21)
        for seed in UInt64(1)...UInt64(20) {
            var rng = SplitMix64(state: seed)
            var c = ReplayCursor(events: r.events, runID: r.state.runID)
            #expect(c.time == r.events[0].time)
            #expect(c.position == 2, "run.started and the item set in the same millisecond are both due at the start")
            var turns = 0
            while !c.atEnd {
                let before = (c.position, c.time)
                let speed = [1, 7, 60, 600, 3600].randomElement(using: &rng)!
                c.advance(byRealMs: Millis.random(in: 1...3_000, using: &rng), speed: speed)
                #expect(c.position >= before.0 && c.time >= before.1, "never backwards")
                // Exactly the events due are applied.
                #expect(r.events.prefix(c.position).allSatisfy { $0.time <= c.time })
                if let n = c.next { #expect(n.time > c.time) }
                #expect(c.state.lastSeq == c.position)
                turns += 1
                #expect(turns < 100_000)
                if turns >= 100_000 { break }
            }
            ReplayFixture.expectSame(c.state, r.state, "seed \(seed)")
            // At the end the clock stops at the last event.
            #expect(c.time == r.events.last!.time)
            let more = c.advance(byRealMs: 60_000, speed: 3600)
            #expect(more == 0)
            #expect(c.time == r.events.last!.time)
        }
    }

    @Test func steppingAppliesOneEventAtATime() throws {
        let r = try Journal.replay(stateDir: ReplayFixture.makeJournal())
        var c = ReplayCursor(events: r.events, runID: r.state.runID)
        var k = c.position
        while let e = c.step() {
            k += 1
            #expect(c.position == k)
            #expect(c.state.lastSeq == e.seq)
            #expect(c.time == e.time)
        }
        #expect(c.atEnd && k == r.events.count)
        ReplayFixture.expectSame(c.state, r.state, "stepped")
    }

    @Test func seekBackwardsThenForwards() throws {
        let r = try Journal.replay(stateDir: ReplayFixture.makeJournal())
        var c = ReplayCursor(events: r.events, runID: r.state.runID)
        c.seek(to: .max)
        #expect(c.atEnd && c.time == r.events.last!.time, "seeking past the end stops at the last event")
        ReplayFixture.expectSame(c.state, r.state, "seek to the end")
        // Back into the middle of the rollback: the failed hook is in, the second rollback is not.
        let mid = ReplayFixture.at(36.7)
        c.seek(to: mid)
        #expect(c.time == mid)
        ReplayFixture.expectSame(c.state, ReplayFixture.stateAt(mid, r), "seek back")
        #expect(c.state.percent == 25 && c.state.tripped["Security incident"] != nil && c.state.rollback?.failed == "exit 1")
        c.seek(to: .min)
        #expect(c.position == 2 && c.time == r.events[0].time, "seeking before the start stops at the first event")
        c.seek(to: ReplayFixture.at(60))
        ReplayFixture.expectSame(c.state, r.state, "seek forwards again")
        // One event back, by count.
        c.seek(toEvent: r.events.count - 1)
        ReplayFixture.expectSame(c.state, ReplayFixture.stateAt(r.events[r.events.count - 2].time, r), "one event back")
        #expect(c.position == r.events.count - 1)
        // And playing from a seek reaches the same end.
        c.seek(to: ReplayFixture.at(20))
        while !c.atEnd { c.advance(byRealMs: 250, speed: 600) }
        ReplayFixture.expectSame(c.state, r.state, "played on after a seek")
    }

    @Test func aGrowingJournalIsPickedUp() throws {
        let dir = try ReplayFixture.makeJournal()
        let r = try Journal.replay(stateDir: dir)
        var c = ReplayCursor(events: Array(r.events.prefix(10)), runID: r.state.runID)
        c.seek(to: .max)
        #expect(c.atEnd && c.position == 10)
        let same = c.reload(Array(r.events.prefix(10)), runID: r.state.runID)
        #expect(!same, "nothing new")
        let grew = c.reload(r.events, runID: r.state.runID)
        #expect(grew)
        #expect(!c.atEnd && c.position == 10, "new events wait for the clock")
        while !c.atEnd { c.advance(byRealMs: 1_000, speed: 60) }
        ReplayFixture.expectSame(c.state, r.state, "grown")
    }

    @Test func playerKeysPauseStepSeekAndSpeed() throws {
        let r = try Journal.replay(stateDir: ReplayFixture.makeJournal())
        var p = ReplayPlayer(cursor: ReplayCursor(events: r.events, runID: r.state.runID), speed: 60)
        // Console keys are not the replay's.
        for k: Key in [.char("q"), .char("g"), .char("j"), .char("k"), .char("t"), .char("?"), .tab, .char("/"), .home, .char("y")] {
            let said = p.handle(k)
            #expect(said == nil, "\(k.label)")
        }
        var applied = p.tick(realMs: 10_000)
        #expect(applied == 6, "10 s at 60× is 10 min of the run: six more events")
        let (paused, time) = (p.cursor.position, p.cursor.time)
        var said = p.handle(.char("p"))
        #expect(said == "paused — p resumes, . steps")
        #expect(p.paused)
        applied = p.tick(realMs: 3_600_000)
        #expect(applied == 0)
        #expect(p.cursor.position == paused && p.cursor.time == time, "paused: the clock stands still")
        #expect(p.status == "paused · event \(paused)/21")
        said = p.handle(.char(" "))
        #expect(said == "playing at 60×")
        #expect(!p.paused)
        applied = p.tick(realMs: 1_000)
        #expect(applied == 2 && p.cursor.time == time + 60_000, "a minute more: the hook result and the reason")
        let pos = p.cursor.position
        #expect(p.status == "▶ 60× · event \(pos)/21")
        // Step: exactly one event, and paused.
        said = p.handle(.char("."))
        #expect(said == "stepped to event \(pos + 1) of 21")
        #expect(p.paused && p.cursor.position == pos + 1)
        said = p.handle(.char(","))
        #expect(said == "back to event \(pos) of 21")
        #expect(p.cursor.position == pos)
        // Seek ±5 min.
        let before = p.cursor.time
        _ = p.handle(.char(">"))
        #expect(p.cursor.time == before + 300_000)
        _ = p.handle(.char("<"))
        #expect(p.cursor.time == before)
        ReplayFixture.expectSame(p.cursor.state, ReplayFixture.stateAt(before, r), "after > <")
        // Speed: doubling and halving, within 1…3600.
        for _ in 0..<10 { _ = p.handle(.char("+")) }
        #expect(p.speed == 3600)
        said = p.handle(.char("-"))
        #expect(said == "speed 1800×")
        for _ in 0..<20 { _ = p.handle(.char("-")) }
        #expect(p.speed == 1)
        // Restart.
        _ = p.handle(.char("0"))
        #expect(p.cursor.position == 2 && p.cursor.time == r.events[0].time)
        _ = p.handle(.char("p"))
        for _ in 0..<12 { _ = p.handle(.char("+")) }
        while !p.cursor.atEnd { p.tick(realMs: 100) }
        #expect(p.status == "end of journal — 21 events")
        ReplayFixture.expectSame(p.cursor.state, r.state, "played to the end")
    }

    /// The session as the screen loop drives it (wall-clock tick, turn, keys), without a terminal.
    @Test func sessionShowsVirtualTimeKeepsMessagesAndNeverWrites() throws {
        let dir = try ReplayFixture.makeJournal()
        let journalBefore = try Data(contentsOf: URL(fileURLWithPath: Journal.path(in: dir)))
        let r = try Journal.replay(stateDir: dir)
        final class FakeClock { var ns: UInt64 = 1_000_000_000 }
        let clock = FakeClock()
        let setup = try deriveRunConfig(checklistPath: canary)
        let s = ReplaySession(setup: setup, stateDir: dir, replay: r, speed: 3600, realClock: { clock.ns })
        #expect(s.state.config.badge == "REPLAY")
        #expect(s.state.now == r.events[0].time)
        #expect(s.state.message?.text.hasPrefix("▶ 3600× · event 2/21 · keys: p pause") == true, "\(s.state.message?.text ?? "nil")")
        let wall = Timestamp.parse("2027-01-01T00:00:00Z")!
        func loopTurn(realMs: UInt64, keys: [Key] = []) {
            clock.ns += realMs * 1_000_000
            _ = s.state.update(.tick(wall))
            s.turn(now: wall)
            for k in keys where !s.intercept(k) { _ = s.state.update(.key(k)) }
        }
        loopTurn(realMs: 100)
        #expect(s.state.now == r.events[0].time + 360_000, "the virtual clock wins over the wall clock")
        #expect(s.state.run.lastSeq == 6, "six minutes of the run: up to the undo")
        #expect(s.state.message?.text == "▶ 3600× · event 6/21 · lee: saved: undo T103 → open", "the first event replaces the keys hint")
        #expect(s.state.telemetry == TelemetryView(), "no decision yet: no snapshot")
        #expect(s.state.message?.level == .info)
        var turns = 0
        var sawFailedHook = false
        while !s.player.cursor.atEnd, turns < 1_000 {
            loopTurn(realMs: 10)
            turns += 1
            if s.state.run.lastSeq == 16 {
                sawFailedHook = true
                #expect(s.state.message?.level == .error && s.state.message?.text.contains("HOOK FAILED: exit 1") == true)
            }
        }
        #expect(sawFailedHook, "36 s of the run per turn: the failed hook is the latest event for a while")
        ReplayFixture.expectSame(s.state.run, r.state, "the session's console")
        #expect(s.state.now == r.events.last!.time)
        loopTurn(realMs: 9_000) // the first hint has gone
        #expect(s.state.message?.text == "end of journal — 21 events · sam: saved: T110 done — War room open, roles confirmed (see contacts below)",
                "\(s.state.message?.text ?? "nil")")
        // Telemetry: the VERIFIED decision's snapshot, with the light cleared since.
        #expect(s.state.telemetry.gauges.map(\.name) == ["Error rate"])
        #expect(s.state.telemetry.gauges.first?.value == "0.02 %")
        #expect(s.state.telemetry.lights.map(\.status) == [.ok])
        #expect(s.state.telemetry.lights.first?.detail == "cleared since")

        // A writing key: refused, and the answer stays up across turns (on real time).
        loopTurn(realMs: 100, keys: [.char("g")])
        #expect(s.state.message?.text.contains("REPLAY: read-only") == true, "\(s.state.message?.text ?? "nil")")
        loopTurn(realMs: 1_000)
        #expect(s.state.message?.text == "end of journal — 21 events · REPLAY: read-only")
        loopTurn(realMs: 9_000)
        #expect(s.state.message?.text.contains("read-only") == false)
        // Navigation still reaches the console; replay keys do not.
        let cursorBefore = s.state.cursor
        loopTurn(realMs: 100, keys: [.char("j"), .char("j")])
        #expect(s.state.cursor == cursorBefore + 2)
        loopTurn(realMs: 100, keys: [.char("<")])
        #expect(s.state.run.lastSeq == 20 && s.state.now == ReplayFixture.at(55))
        #expect(s.state.message?.text.contains("back 5 min") == true)
        loopTurn(realMs: 100, keys: [.char("p"), .char("0")])
        #expect(s.state.run.lastSeq == 2 && s.state.message?.text.hasPrefix("paused · event 2/21") == true)
        // A prompt owns its keys: "p" typed into a search is text, not pause.
        loopTurn(realMs: 100, keys: [.char("/"), .char("p"), .escape])
        #expect(s.player.paused)
        // Quit is the console's.
        var effects: [ConsoleEffect] = []
        for k: Key in [.char("q"), .char("y")] where !s.intercept(k) { effects += s.state.update(.key(k)) }
        #expect(effects == [.quit])
        #expect(try Data(contentsOf: URL(fileURLWithPath: Journal.path(in: dir))) == journalBefore, "a replay never writes")
        #expect(!FileManager.default.fileExists(atPath: dir + "/view.json"))

        // The run goes on (a live journal): at the end, the replay picks the new event up.
        // (q y left the console asking to quit: any other key answers "still here"; then p resumes.)
        loopTurn(realMs: 100, keys: [.escape, .char("p")])
        #expect(!s.player.paused)
        turns = 0
        while !s.player.cursor.atEnd, turns < 1_000 { loopTurn(realMs: 100); turns += 1 }
        let w = try JournalWriter.open(stateDir: dir, actor: "sam", now: ReplayFixture.at(61))
        _ = try w.append(.itemSet(ItemSet(id: "T111", status: .done)), actor: "sam", time: ReplayFixture.at(61))
        w.close()
        loopTurn(realMs: 10)
        #expect(s.state.message?.text.contains("the journal grew: 22 events") == true, "\(s.state.message?.text ?? "nil")")
        while !s.player.cursor.atEnd, turns < 2_000 { loopTurn(realMs: 100); turns += 1 }
        ReplayFixture.expectSame(s.state.run, try Journal.replay(stateDir: dir).state, "grown")
        #expect(s.state.run.lastSeq == 22)
    }
}

@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct ReplayEndToEnd {
    @Test func replayARecordedRunToItsEnd() throws {
        let state = tempDir("replay-e2e") + "/state"
        // Recorded: `warroom check` starts the run at 09:00 (pinned), then a ramp as a console would journal it.
        let check = try warroom(["check", "T102", "--checklist", canary, "--state", state])
        #expect(check.status == 0, "\(check.err)")
        do {
            let w = try JournalWriter.open(stateDir: state, actor: "dana", now: ReplayFixture.t0)
            defer { w.close() }
            try w.acquireLease(now: ReplayFixture.t0)
            let go = try w.append(.rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY", hook: ["./set-weight", "10"])),
                                  actor: "dana", time: ReplayFixture.at(5))
            _ = try w.append(.hookResult(HookResult(decision: go.seq, ok: true, summary: "exit 0", durationMs: 700)), actor: "dana",
                             time: ReplayFixture.at(5.1))
            _ = try w.append(.rampDecision(RampDecision(kind: .go, from: 10, to: 25, verdict: "READY")), actor: "dana",
                             time: ReplayFixture.at(20))
            _ = try w.append(.lightTrip(LightChange(name: "Security incident", reason: "pager 4411", detail: "manual")),
                             actor: "lee", time: ReplayFixture.at(24.5))
            _ = try w.append(.rampDecision(RampDecision(kind: .rollback, from: 25, to: 0, verdict: "BLOCKED")), actor: "dana",
                             time: ReplayFixture.at(26))
            _ = try w.append(.itemSet(ItemSet(id: "T104", status: .done)), actor: "sam", time: ReplayFixture.at(30))
        }
        let journal = try Data(contentsOf: URL(fileURLWithPath: state + "/journal.jsonl"))

        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) replay --state \(shellQuote(state)) --checklist \(shellQuote(canary)) --speed 3600")
        t.waitFor(text: "REPLAY")
        // 30 minutes of run at 3600× is half a second.
        t.waitFor(text: "end of journal — 8 events", timeout: 20)
        t.waitFor(text: "sam: saved: T104 done")
        t.waitFor(text: "09:30:00 UTC") // the header's clock is the run's
        // Back five minutes (paused first, or it plays on at once): the trip and 25 % are back, the rollback is not.
        try t.send("p")
        t.waitFor(text: "paused")
        try t.send("<")
        t.waitFor(text: "ROLLBACK CRITERION TRIPPED: Security incident")
        t.waitFor(text: "09:25:00 UTC")
        // Step: exactly the next event, the rollback.
        try t.send(".")
        t.waitFor(text: "stepped to event 7 of 8")
        t.waitFor("the banner gone: rolled back") { !$0.contains("ROLLBACK CRITERION TRIPPED") }
        // Writing keys answer read-only; the item search (navigation) works.
        try t.send("g")
        t.waitFor(text: "REPLAY: read-only")
        try t.search("T102")
        t.waitFor(text: "done by dana")
        try t.send("q")
        t.waitFor(text: "Quit warroom?")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        #expect(t.screenWithHistory().contains("stopped at event 7 of 8 (nothing written)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: state + "/journal.jsonl")) == journal, "a replay never writes")
        #expect(!FileManager.default.fileExists(atPath: state + "/view.json"))
    }
}
