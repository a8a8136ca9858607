import Testing
@testable import WarRoomCore

/// `RunSummary`: one model of a run for status, report and a follower's header.
@Suite struct RunSummaryTests {
    static let minute: Millis = 60_000
    static let t0: Millis = 1_795_424_400_000 // 2026-11-23T09:00:00Z

    let checklist = ChecklistParser.parse("""
        # Go-live
        ## Prepare
        - [x] T1 **Change ticket** approved
        - [ ] T2 smoke tests pass
        ### Deep
        - [ ] T3 dashboards green
        ## Sign-Off
        - [ ] **Engineering Lead:** go before T-0
        """, path: "c.md")

    func config(t0: Millis? = RunSummaryTests.t0, hasApply: Bool = true) -> RunConfig {
        let plan = RampPlan(steps: [RampStep(percent: 10, require: ["T2"]), RampStep(percent: 50), RampStep(percent: 100)],
                            holdMs: 10 * Self.minute, hasApply: hasApply,
                            targets: RollbackTargets(decideMs: 5 * Self.minute, executeMs: 10 * Self.minute))
        return RunConfig(path: nil, service: "checkout-api", checklist: "c.md", t0: t0, plan: plan,
                         lights: [LightConfig(name: "Errors"), LightConfig(name: "Security")],
                         slos: [SLOConfig(name: "P95", source: "prom", objective: Condition(.lt, 1)),
                                SLOConfig(name: "Saturation", objective: Condition(.lt, 80))])
    }

    /// A run built event by event.
    struct Events {
        var state = RunState()
        var seq = 0
        init(by actor: String = "dana", at time: Millis = RunSummaryTests.t0 - 30 * RunSummaryTests.minute, sha: String = "sha") throws {
            try add(.runStarted(RunStarted(checklist: "c.md", checklistSHA256: sha, items: 4, host: "h", pid: 1)), at: time, by: actor)
        }
        mutating func add(_ body: EventBody, at time: Millis, by actor: String = "dana") throws {
            seq += 1
            try state.apply(JournalEvent(seq: seq, time: time, actor: actor, body: body))
        }
        mutating func decide(_ kind: DecisionKind, _ from: Int, _ to: Int, at time: Millis, by actor: String = "dana",
                             hook: Bool = false) throws {
            try add(.rampDecision(RampDecision(kind: kind, from: from, to: to, verdict: "READY", hook: hook ? ["./set"] : nil)),
                    at: time, by: actor)
        }
    }

    func summary(_ run: RunState, config: RunConfig? = nil, sha: String = "sha", now: Millis = RunSummaryTests.t0,
                 lines: Int = 0) -> RunSummary {
        let config = config ?? self.config()
        return RunSummary(config: config, checklist: checklist, checklistSHA256: sha, run: run,
                          journal: JournalFacts(path: "j", lines: lines), slos: RunSummary.unread(config.slos, detail: "(no reading)"),
                          now: now)
    }

    @Test func beforeAnyRunItIsTheChecklistAsWritten() {
        let s = summary(RunState())
        #expect(s.start == nil && s.driver == nil && s.events == 0 && s.lastEntry == nil && s.durationMs == nil)
        #expect(s.outcome.state == .notStarted && s.outcome.text == "Not started (0 %)")
        #expect(s.total == { var p = ChecklistProgress(); p.items = 4; p.done = 1; p.open = 3; return p }())
        #expect(s.sections.map(\.title) == ["Prepare", "Deep", "Sign-Off"])
        #expect(s.sections.map(\.depth) == [0, 1, 0])
        #expect(s.sections.map(\.progress.items) == [3, 1, 1])
        #expect(s.parts.map(\.title) == ["Prepare", "Sign-Off"])
        #expect(s.parts.map(\.items) == [[0, 1, 2], [3]])
        #expect(s.items[0].asWritten && s.items[0].status == .done && s.items[0].record == nil)
        #expect(s.items[2].path == ["Go-live", "Prepare", "Deep"] && s.items[2].pathBelowTitle == ["Prepare", "Deep"])
        #expect(s.signOffs == [0, 3], "approved in the text; Sign-Off in the heading")
        #expect(s.items[3].displayTitle == "Engineering Lead: go before T-0")
        // The bound SLO has no reading and blocks GO, with the requirement; the unbound one does not.
        #expect(s.ramp.gate?.state == .blocked)
        #expect(s.ramp.gate?.blockers == ["T2 open", "SLO P95 UNKNOWN (no reading)"])
        #expect(s.header.gate == "BLOCKED: T2 open; SLO P95 UNKNOWN (no reading)")
        #expect(s.header.percentComplete == 25 && s.header.steps == 3 && s.header.step == nil)
        #expect(!s.checklistChanged, "no run: nothing to compare with")
    }

    @Test func aRampThatRolledBackAgainstItsTargets() throws {
        var e = try Events()
        try e.add(.itemSet(ItemSet(id: "T2", status: .done)), at: Self.t0 - Self.minute, by: "lee")
        try e.decide(.go, 0, 10, at: Self.t0, hook: true)
        try e.add(.hookResult(HookResult(decision: e.seq, ok: true, summary: "exit 0", durationMs: 3_000)), at: Self.t0 + 3_000)
        try e.add(.lightTrip(LightChange(name: "Security", reason: "WAF alert", detail: "manual")), at: Self.t0 + 20 * Self.minute, by: "sun-hee")
        try e.add(.lightTrip(LightChange(name: "Errors", detail: "6 % > 5")), at: Self.t0 + 21 * Self.minute)
        #expect(summary(e.state).driver == "dana", "the latest trip is dana's")
        try e.decide(.rollback, 10, 0, at: Self.t0 + 23 * Self.minute, by: "priya", hook: true)
        let running = summary(e.state)
        #expect(running.driver == "priya")
        #expect(running.decisions.last?.hook?.status == .running && running.decisions.last?.applied == false)
        #expect(running.outcome.notes == ["the hook for ROLLBACK 10 → 0 % has not reported"])
        #expect(running.header.gateState == .busy)
        try e.add(.hookResult(HookResult(decision: e.seq, ok: true, summary: "exit 0", durationMs: 11 * Self.minute)),
                  at: Self.t0 + 34 * Self.minute, by: "priya")
        try e.add(.lightClear(LightChange(name: "Errors", reason: "back to baseline")), at: Self.t0 + 35 * Self.minute, by: "sun-hee")

        let s = summary(e.state, sha: "other", lines: 9)
        #expect(s.checklistChanged)
        #expect(s.driver == "sun-hee", "the clear is the latest driver event")
        #expect(s.start?.by == "dana" && s.start?.at == Self.t0 - 30 * Self.minute)
        #expect(s.durationMs == 65 * Self.minute)
        #expect(s.missionTime(Self.t0 + 23 * Self.minute) == "T+00:23:00")
        #expect(s.outcome.state == .rolledBack && s.outcome.verified == false)
        #expect(s.outcome.text.hasPrefix("Rolled back to 0 % — not verified — with ") && s.outcome.notes.isEmpty, "\(s.outcome.text)")
        #expect(s.ramp.rolledBack && s.ramp.percent == 0 && s.ramp.step == nil)
        #expect(s.decisionCounts == [.go: 1, .rollback: 1])
        #expect(s.decisions.map(\.applied) == [true, true])
        #expect(s.decisions[0].hook == RunSummary.Hook(status: .ok, summary: "exit 0", durationMs: 3_000, tail: [], at: Self.t0 + 3_000))
        #expect(s.tripped.map(\.name) == ["Security"])
        #expect(s.criterionEvents.map(\.trip) == [true, true, false])
        let r = try #require(s.rollback)
        #expect(r.actor == "priya" && r.trippedAt == Self.t0 + 20 * Self.minute)
        #expect(r.phases.map(\.ms) == [3 * Self.minute, 11 * Self.minute, nil])
        #expect(r.phases.map(\.result) == [.within, .over, .notMeasured])
        #expect(s.items[1].record?.actor == "lee" && !s.items[1].asWritten)
        #expect(s.journal.lines == 9)

        try e.decide(.verified, 0, 0, at: Self.t0 + 40 * Self.minute, by: "sun-hee")
        let verified = summary(e.state)
        #expect(verified.outcome.text.hasPrefix("Rolled back to 0 % — verified by sun-hee at T+00:40:00 — with ") && verified.outcome.verified == true)
        #expect(verified.rollback?.phases.last == RunSummary.Phase(name: .verify, ms: 6 * Self.minute, targetMs: nil), "no verify target")
        #expect(verified.rollback?.phases.last?.result == .noTarget)
    }

    @Test func progressAndOutcomeAlongTheRamp() throws {
        var e = try Events()
        try e.add(.itemSet(ItemSet(id: "T2", status: .skipped, reason: "n/a")), at: Self.t0)
        try e.decide(.go, 0, 10, at: Self.t0 + Self.minute)
        let early = summary(e.state, now: Self.t0 + 2 * Self.minute)
        #expect(early.outcome.state == .inProgress && early.outcome.text.hasPrefix("In progress at 10 % — with "), "\(early.outcome.text)")
        #expect(early.header.step == 1 && early.header.percent == 10)
        #expect(early.header.gate == "BLOCKED: SLO P95 UNKNOWN (no reading) · hold 9:00 left", "the countdown stays while blocked")
        try e.decide(.go, 10, 50, at: Self.t0 + 20 * Self.minute)
        try e.add(.rampDecision(RampDecision(kind: .override, from: 50, to: 100, reason: "board said so", verdict: "WAITING")),
                  at: Self.t0 + 40 * Self.minute)
        let done = summary(e.state, config: config(t0: nil, hasApply: false), now: Self.t0 + 120 * Self.minute)
        // Reached the last step, but not cleanly: the line says what was left behind, and it is no ✅.
        #expect(done.outcome.state == .completed && done.outcome.text.hasPrefix("Reached 100 % — with "), "\(done.outcome.text)")
        #expect(!done.outcome.clean && done.outcome.shortfalls.contains { $0.hasSuffix("open") })
        #expect(done.outcome.shortfalls.first == "1 override (50 → 100 % by dana: “board said so”)", "\(done.outcome.shortfalls)")
        #expect(done.header.gate == "COMPLETE: at the last step" && done.ramp.tracker)
        #expect(done.clockOrigin == Self.t0 - 30 * Self.minute, "no t0: times count from the run's start")
        #expect(done.rollback == nil)
    }

    @Test func onlyANothingLeftBehindCompletionIsClean() {
        var o = RunSummary.Outcome(run: RunState(), lastStep: 100, clockOrigin: 0)
        o.state = .completed
        o.text = "Completed at 100 %"
        o.account(overrides: [], open: 0, blocked: 0, missingSignOffs: [])
        #expect(o.clean && o.text == "Completed at 100 %")
        o.account(overrides: [], open: 0, blocked: 1, missingSignOffs: ["SRE Lead"])
        #expect(!o.clean && o.text == "Reached 100 % — with 1 blocked, 1 sign-off missing (SRE Lead)")
    }

    @Test func orphansAndChanges() throws {
        var e = try Events()
        try e.add(.itemSet(ItemSet(id: "T9", status: .done)), at: Self.t0, by: "lee")
        try e.add(.itemSet(ItemSet(id: "T3", status: .blocked, reason: "down")), at: Self.t0)
        try e.add(.itemUndo(ItemUndo(id: "T3")), at: Self.t0 + 1)
        let s = summary(e.state)
        #expect(s.orphans.map(\.id) == ["T9"] && s.orphans.first?.record?.actor == "lee")
        #expect(s.changes.map(\.item) == ["T9", "T3", "T3"] && s.changes.last?.undo == true)
        #expect(s.items[2].status == .open && s.items[2].record == nil)
        // Equatable, so a console can redraw only when the summary changed.
        #expect(summary(e.state) == s)
        try e.add(.itemSet(ItemSet(id: "T2", status: .done)), at: Self.t0 + 2)
        #expect(summary(e.state) != s)
    }

    @Test func unreadSLOs() {
        let slos = RunSummary.unread(config().slos, detail: "(status does not poll)")
        #expect(slos == [GateSignal(name: "P95", green: false, state: .unknown, detail: "(status does not poll)"),
                         GateSignal(name: "Saturation", green: true, state: .unbound)])
    }
}
