import Testing
@testable import WarRoomCore

/// A run driven event by event with an injected clock.
private struct Driver {
    var state = RunState()
    var seq = 0

    init() throws {
        try add(.runStarted(RunStarted(checklist: "c.md", checklistSHA256: "ab", items: 3, host: "h", pid: 1)), at: 0)
    }

    mutating func add(_ body: EventBody, at time: Millis, actor: String = "dana") throws {
        seq += 1
        try state.apply(JournalEvent(seq: seq, time: time, actor: actor, body: body))
    }

    mutating func decide(_ kind: DecisionKind, _ from: Int, _ to: Int, at time: Millis, hook: Bool = false, reason: String? = nil) throws {
        try add(.rampDecision(RampDecision(kind: kind, from: from, to: to, reason: reason, verdict: "READY", hook: hook ? ["./set", "\(to)"] : nil)), at: time)
    }
}

private let minute: Millis = 60_000

@Suite struct RampGates {
    let checklist = ChecklistParser.parse("""
        # Go-live
        ## Blue Validation
        - [ ] T1 smoke tests pass
        - [ ] T2 dashboards green
        ## Other
        - [ ] T3 tell support
        """, path: "c.md")
    let plan = RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 25, holdMs: 30 * minute, require: ["Blue Validation"]),
                                RampStep(percent: 50, require: ["T3"]), RampStep(percent: 100)],
                        holdMs: 5 * minute)

    func verdict(_ s: RunState, at now: Millis, slos: [GateSignal] = [], lights: [GateSignal] = []) -> GateVerdict {
        Gates.evaluate(plan: plan, run: s, checklist: checklist, slos: slos, lights: lights, now: now)
    }

    @Test func firstGoIsReadyAndMovesToTheFirstStep() throws {
        var d = try Driver()
        let v = verdict(d.state, at: 1_000)
        #expect(v.state == .ready && v.next?.percent == 10)
        try d.decide(.go, 0, 10, at: 1_000)
        #expect(d.state.percent == 10 && d.state.windowStart == 1_000)
    }

    @Test func observationWindowCountsDownThenRequirementsBlock() throws {
        var d = try Driver()
        try d.decide(.go, 0, 10, at: 0)
        let waiting = verdict(d.state, at: 4 * minute)
        #expect(waiting.state == .blocked) // the window is running AND Blue Validation is not done
        #expect(waiting.waitUntil == 5 * minute)
        #expect(waiting.blockers == ["T1 open", "T2 open"])
        try d.add(.itemSet(ItemSet(id: "T1", status: .done)), at: 4 * minute)
        try d.add(.itemSet(ItemSet(id: "T2", status: .done)), at: 4 * minute)
        let w = verdict(d.state, at: 4 * minute)
        #expect(w.state == .waiting)
        #expect(w.summary(now: 4 * minute).hasPrefix("WAITING 1:00"))
        // One millisecond before the end it still waits; at the end it is READY.
        #expect(verdict(d.state, at: 5 * minute - 1).state == .waiting)
        #expect(verdict(d.state, at: 5 * minute).state == .ready)
    }

    @Test func stepHoldOverridesTheDefaultAndNoGoRestartsTheWindow() throws {
        var d = try Driver()
        try d.decide(.go, 0, 10, at: 0)
        try d.add(.itemSet(ItemSet(id: "T1", status: .done)), at: 1)
        try d.add(.itemSet(ItemSet(id: "T2", status: .done)), at: 2)
        try d.decide(.go, 10, 25, at: 6 * minute)
        #expect(verdict(d.state, at: 6 * minute + 29 * minute).waitUntil == 36 * minute)
        try d.decide(.nogo, 25, 25, at: 20 * minute)
        #expect(d.state.percent == 25)
        #expect(verdict(d.state, at: 36 * minute).state == .blocked) // T3 for 50 %, and the window restarted at 20m
        #expect(verdict(d.state, at: 36 * minute).waitUntil == 50 * minute)
    }

    @Test func sloNotGreenAndTrippedLightsBlock() throws {
        var d = try Driver()
        let slos = [GateSignal(name: "P95 latency", green: false, state: .stale, detail: "stale 42 s"),
                    GateSignal(name: "Errors", green: true, state: .ok)]
        let lights = [GateSignal(name: "Security incident", green: false, state: .tripped)]
        let v = verdict(d.state, at: 0, slos: slos, lights: lights)
        #expect(v.state == .blocked)
        #expect(v.blockers == ["SLO P95 latency STALE stale 42 s", "Security incident tripped"])
        #expect(v.unmet == v.blockers)
        try d.decide(.override, 0, 10, at: 0, reason: "CTO approved")
        #expect(d.state.percent == 10 && d.state.decisions[0].reason == "CTO approved")
    }

    @Test func requirementThatMatchesNothingBlocks() {
        let bad = RampPlan(steps: [RampStep(percent: 10, require: ["No Such Section"])])
        let v = Gates.evaluate(plan: bad, run: RunState(), checklist: checklist, slos: [], lights: [], now: 0)
        #expect(v.state == .blocked && v.blockers == ["required “No Such Section” is not in the checklist"])
    }

    @Test func lastStepIsCompleteAndNoStepsIsNone() throws {
        var d = try Driver()
        try d.decide(.go, 0, 100, at: 0)
        #expect(verdict(d.state, at: 10 * minute).state == .complete)
        #expect(Gates.evaluate(plan: RampPlan(steps: []), run: d.state, checklist: checklist, slos: [], lights: [], now: 0).state == .none)
    }

    @Test func requirementsResolveByIDTaskIDAndSectionTitle() {
        #expect(checklist.requirement("T3") == .item(2))
        #expect(checklist.requirement("blue validation") == .section(2))
        #expect(checklist.requirement("Validation") == .section(2))
        #expect(checklist.requirement("") == nil)
        #expect(checklist.requirement("Nope") == nil)
    }
}

@Suite struct RampHooksAndRollback {
    @Test func hookHoldsTheRampUntilItExitsZero() throws {
        var d = try Driver()
        try d.decide(.go, 0, 10, at: 1_000, hook: true)
        #expect(d.state.percent == 0 && d.state.pendingDecision == 0)
        #expect(d.state.decisions[0].pending)
        // A second decision while the hook runs is rejected, and rejecting changes nothing.
        #expect(throws: ReduceError.self) { try d.decide(.nogo, 0, 0, at: 1_500) }
        d.seq -= 1
        try d.add(.hookResult(HookResult(decision: 2, ok: true, summary: "exit 0", durationMs: 800)), at: 1_800)
        #expect(d.state.percent == 10 && d.state.windowStart == 1_800 && d.state.pendingDecision == nil)
        #expect(d.state.decisions[0].effective)
    }

    @Test func failedHookLeavesTheRampWhereItWas() throws {
        var d = try Driver()
        try d.decide(.go, 0, 10, at: 0)
        try d.decide(.go, 10, 25, at: 10 * minute, hook: true)
        try d.add(.hookResult(HookResult(decision: 3, ok: false, summary: "exit 3", tail: ["weight API 503"], durationMs: 50)), at: 10 * minute + 50)
        #expect(d.state.percent == 10)
        #expect(d.state.windowStart == 0)
        #expect(d.state.decisions[1].effective == false)
        #expect(throws: ReduceError.self) { try d.add(.hookResult(HookResult(decision: 3, ok: true, summary: "exit 0", durationMs: 1)), at: 0) }
    }

    @Test func rollbackTimelineMeasuresDecideExecuteVerify() throws {
        var d = try Driver()
        try d.decide(.go, 0, 25, at: 0)
        try d.add(.lightTrip(LightChange(name: "Error rate spike", detail: "6.2 > 5 for 10m")), at: 2 * minute)
        try d.add(.lightTrip(LightChange(name: "Security incident", reason: "pager", detail: "manual")), at: 3 * minute)
        try d.decide(.rollback, 25, 0, at: 6 * minute, hook: true)
        let r = try #require(d.state.rollback)
        #expect(r.decideMs == 4 * minute) // from the first trip
        #expect(r.executedAt == nil && d.state.percent == 25)
        try d.add(.hookResult(HookResult(decision: 5, ok: true, summary: "exit 0", durationMs: 3_000)), at: 6 * minute + 3_000)
        #expect(d.state.percent == 0 && d.state.rollback?.executeMs == 3_000)
        try d.decide(.verified, 0, 0, at: 9 * minute)
        #expect(d.state.rollback?.verifyMs == 3 * minute - 3_000)
        #expect(throws: ReduceError.self) { try d.decide(.verified, 0, 0, at: 10 * minute) }
    }

    @Test func failedRollbackCanBeRetried() throws {
        var d = try Driver()
        try d.decide(.go, 0, 10, at: 0)
        try d.decide(.rollback, 10, 0, at: 1_000, hook: true)
        try d.add(.hookResult(HookResult(decision: 3, ok: false, summary: "timed out after 60 s", durationMs: 60_000)), at: 61_000)
        #expect(d.state.rollback?.failed == "timed out after 60 s" && d.state.percent == 10)
        #expect(throws: ReduceError.self) { try d.decide(.verified, 10, 10, at: 62_000) }
        d.seq -= 1
        try d.decide(.rollback, 10, 0, at: 62_000)
        #expect(d.state.percent == 0 && d.state.rollback?.failed == nil && d.state.rollback?.executeMs == 0)
    }

    @Test func decisionsMustMatchTheRamp() throws {
        var d = try Driver()
        #expect(throws: ReduceError.self) { try d.decide(.go, 10, 25, at: 0) } // from is not where the ramp is
        d.seq -= 1
        #expect(throws: ReduceError.self) { try d.decide(.go, 0, 0, at: 0) }
        d.seq -= 1
        #expect(throws: ReduceError.self) { try d.decide(.nogo, 0, 10, at: 0) }
        d.seq -= 1
        #expect(throws: ReduceError.self) { try d.decide(.rollback, 0, 5, at: 0) }
        d.seq -= 1
        #expect(throws: ReduceError.self) { try d.decide(.go, 0, 101, at: 0) }
        d.seq -= 1
        #expect(d.state.decisions.isEmpty && d.state.lastSeq == 1)
    }

    @Test func reasonsAttachAfterTheFactAndLightsClear() throws {
        var d = try Driver()
        try d.decide(.nogo, 0, 0, at: 0)
        try d.add(.decisionReason(DecisionReason(decision: 2, reason: "waiting for DBA")), at: 10)
        #expect(d.state.decisions[0].reason == "waiting for DBA")
        #expect(throws: ReduceError.self) { try d.add(.decisionReason(DecisionReason(decision: 1, reason: "x")), at: 11) }
        d.seq -= 1
        #expect(throws: ReduceError.self) { try d.add(.lightClear(LightChange(name: "Nope", reason: "x")), at: 12) }
        d.seq -= 1
        try d.add(.lightTrip(LightChange(name: "Security incident", reason: "pager", detail: "manual")), at: 20)
        try d.add(.lightTrip(LightChange(name: "Security incident", reason: "again")), at: 30)
        #expect(d.state.tripped["Security incident"]?.since == 20)
        try d.add(.lightClear(LightChange(name: "Security incident", reason: "false alarm")), at: 40, actor: "lee")
        #expect(d.state.tripped.isEmpty && d.state.lightHistory.count == 3)
    }
}

@Suite struct Durations {
    @Test func parseAndFormat() {
        #expect(DurationText.parse("5m") == 300_000)
        #expect(DurationText.parse("1h30m") == 5_400_000)
        #expect(DurationText.parse("90") == 90_000)
        #expect(DurationText.parse("250ms") == 250)
        #expect(DurationText.parse("2 h") == 7_200_000)
        #expect(DurationText.parse("5 minutes") == 300_000)
        for bad in ["", "m", "5x", "-5m", "5m3", "1.5m", "five"] { #expect(DurationText.parse(bad) == nil, "\(bad)") }
        #expect(DurationText.format(5_400_000) == "1h30m")
        #expect(DurationText.format(30_000) == "30s")
        #expect(DurationText.format(1_500) == "1500ms")
        #expect(DurationText.countdown(61_001) == "1:02")
        #expect(DurationText.countdown(3_600_000) == "1:00:00")
        #expect(DurationText.countdown(-5) == "0:00")
        #expect(DurationText.clockish(252_000) == "4m12s")
    }
}
