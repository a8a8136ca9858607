import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// A console with a ramp 10 → 25 → 50 (5 min holds), one manual and one telemetry-bound criterion, and one SLO,
/// with a first reading in (P95 1.2 s, error rate 0.2).
func rampState(apply: Bool = true, driving: Bool = true, crew: String? = nil) -> ConsoleState {
    let c = fixtureChecklist()
    let plan = RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 25), RampStep(percent: 50)], holdMs: 300_000,
                        hasApply: apply, hasRollbackHook: apply, targets: RollbackTargets(decideMs: 300_000, executeMs: 600_000, verifyMs: 300_000))
    let config = RunConfig(path: nil, service: "checkout-api", checklist: c.path, t0: t0, plan: plan,
                           apply: apply ? ["./set-weight", "{percent}"] : nil, rollbackHook: apply ? ["./set-weight", "0"] : nil,
                           lights: [LightConfig(name: "Security incident"),
                                    LightConfig(name: "Error rate spike", source: "prom", query: "errors", trip: Condition(.gt, 1), forMs: 300_000)],
                           sources: [SourceConfig(name: "prom", kind: .prometheus(url: "http://127.0.0.1:9090"))],
                           slos: [SLOConfig(name: "P95 latency", source: "prom", query: "p95", unit: "s", objective: Condition(.le, 2),
                                            warn: Condition(.le, 1.5))])
    let session = crew.map { Session(actor: $0, role: .crew(driver: "dana"), stateDir: ".warroom") }
        ?? Session(actor: "dana", role: driving ? .driver : .follower(driver: "dana"), stateDir: ".warroom")
    var s = ConsoleState(engine: Engine(config: config, session: session, checklist: c, run: sampleRun(c), now: t0),
                         size: Size(width: 120, height: 40))
    feed(&s, p95: 1.2, errors: 0.2)
    return s
}

/// One reading of each probe at `time` (default: the console's clock), then a tick so the panes show it; what the
/// readings ask to journal (verdict changes, trips) is journaled.
func feed(_ s: inout ConsoleState, p95: Double? = nil, errors: Double? = nil, at time: Millis? = nil) {
    let t = time ?? s.now
    var effects: [ConsoleEffect] = []
    if let p95 { effects += s.update(.engine(.reading(ProbeReading(probe: .slo("P95 latency"), source: "prom", time: t, observation: .value(p95))))) }
    if let errors { effects += s.update(.engine(.reading(ProbeReading(probe: .light("Error rate spike"), source: "prom", time: t, observation: .value(errors))))) }
    effects += s.update(.tick(t))
    _ = try? journal(&s, effects)
}

/// The decision among the effects, if they ask to journal one.
func decision(_ effects: [ConsoleEffect]) -> RampDecision? {
    for body in appends(effects) { if case .rampDecision(let d) = body { return d } }
    return nil
}

/// Saves a body as if another writer (or the telemetry) had appended it: merged into the run.
@discardableResult
func merge(_ s: inout ConsoleState, _ body: EventBody, actor: String = "dana") throws -> JournalEvent {
    var run = s.run
    let e = JournalEvent(seq: run.lastSeq + 1, time: s.now, actor: actor, body: body)
    try run.apply(e)
    _ = s.update(.engine(.merged([e])))
    return e
}

@Suite struct RampKeys {
    @Test func goIsOneKeyThenAnOptionalReason() throws {
        var s = rampState()
        let effects = press(&s, .char("g"))
        let d = try #require(decision(effects), "no decision: \(effects)")
        #expect(d.kind == .go && d.from == 0 && d.to == 10 && d.verdict == "READY" && d.hook == ["./set-weight", "10"])
        #expect(d.gauges == [SnapshotEntry(name: "P95 latency", state: "ok", detail: "1.2 s")])
        #expect(d.lights.map(\.state) == ["ok", "ok"])
        #expect(s.run.decisions.isEmpty && s.saving, "nothing decided until the journal says so")
        guard case .decisionReason(.saving, .go, "") = s.mode else { Issue.record("the reason prompt opens at once: \(s.mode)"); return }
        #expect(s.verdict.state == .busy, "no second decision while the first is being saved")
        let (events, hooksAsked) = try journal(&s, effects)
        let e = try #require(events.first)
        #expect(hooksAsked.map(\.argv) == [["./set-weight", "10"]], "the hook runs once the decision is journaled")
        #expect(hooksAsked.first?.values["state_dir"] == ".warroom" && hooksAsked.first?.decision == e.seq)
        #expect(s.mode == .decisionReason(.saved(seq: e.seq), kind: .go, text: ""))
        let reasonEffects = press(&s, typed("dashboards ok") + [.enter])
        #expect(appends(reasonEffects) == [.decisionReason(DecisionReason(decision: e.seq, reason: "dashboards ok"))])
        #expect(s.mode.noPrompt)
        // While the hook runs, GO/NO-GO/rollback are refused.
        try journal(&s, reasonEffects)
        #expect(s.verdict.state == .busy)
        #expect(press(&s, .char("n")).isEmpty)
        #expect(s.message?.text.contains("one hook at a time") == true)
        // The hook's result is journaled; its acknowledgement moves the ramp.
        let done = s.update(.engine(.hookFinished(HookResult(decision: e.seq, ok: true, summary: "exit 0", durationMs: 40))))
        #expect(s.run.percent == 0)
        try journal(&s, done)
        #expect(s.run.percent == 10)
    }

    @Test func escLeavesTheReasonEmpty() throws {
        var s = rampState(apply: false)
        try pressAndSave(&s, .char("g"))
        press(&s, .escape)
        let effects = press(&s, .char("n"))
        let d = try #require(decision(effects))
        #expect(d.kind == .nogo && d.hook == nil)
        try journal(&s, effects)
        #expect(press(&s, .escape).isEmpty && s.mode.noPrompt)
    }

    @Test func goIsRefusedWhileWaitingAndOverrideNeedsAReason() throws {
        var s = rampState(apply: false)
        try pressAndSave(&s, .char("g"))
        press(&s, .escape)
        #expect(s.run.percent == 10)
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text.hasPrefix("GO refused: WAITING 5:00") == true)
        press(&s, .char("G"))
        #expect(s.mode != .overrideReason(text: ""), "typed right after a refusal: held")
        press(&s, .escape)
        press(&s, .char("G"))
        #expect(s.mode == .overrideReason(text: ""))
        #expect(press(&s, .enter).isEmpty, "an override needs a reason")
        let effects = press(&s, typed("VP approved") + [.enter])
        let o = try #require(decision(effects), "no override")
        #expect(o.kind == .override && o.to == 25 && o.reason == "VP approved" && o.verdict == "WAITING")
        #expect(o.unmet.first?.hasPrefix("observation window at 10 %") == true)
    }

    @Test func overrideAtAReadyGateOpensNoPrompt() {
        var s = rampState()
        press(&s, .char("G"))
        if case .held = s.mode {} else { Issue.record("refused before any prompt opens, and what is typed next is held: \(s.mode)") }
        #expect(s.message?.text.hasPrefix("GO is allowed") == true)
    }

    @Test func sloNotGreenBlocksGo() {
        var s = rampState()
        // No reading for three intervals (5 s each): the gauge goes STALE.
        _ = s.update(.tick(t0 + 16_000))
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text.contains("SLO P95 latency STALE") == true)
    }

    @Test func manualLightTripsWithAReasonBlocksGoAndRaisesTheBanner() throws {
        var s = rampState(apply: false)
        try pressAndSave(&s, .char("g"))
        press(&s, .escape)
        press(&s, .tab) // rollback pane
        #expect(s.focus == .rollback)
        press(&s, .char("x"))
        #expect(s.mode == .lightReason(name: "Security incident", trip: true, text: ""))
        let effects = press(&s, typed("pager 4411") + [.enter])
        #expect(appends(effects) == [.lightTrip(LightChange(name: "Security incident", reason: "pager 4411", detail: "manual"))])
        #expect(s.banner == nil, "not tripped until journaled")
        try journal(&s, effects)
        #expect(s.banner == "ROLLBACK CRITERION TRIPPED: Security incident — R to roll back")
        #expect(s.verdict.blockers.contains("Security incident tripped"))
        // A telemetry-bound light is not toggled by hand until it has tripped.
        press(&s, .char("j"), .char("x"))
        #expect(s.mode.noPrompt && s.message?.text.contains("watched by telemetry") == true)
    }

    @Test func rollbackAsksYThenDecidesAndVerifies() throws {
        var s = rampState(apply: false)
        try pressAndSave(&s, .char("g"))
        press(&s, .escape)
        press(&s, .char("R"))
        #expect(s.mode == .confirmRollback)
        #expect(press(&s, .char("n")).isEmpty && s.mode.noPrompt, "any other key cancels")
        press(&s, .char("R"))
        let effects = press(&s, .char("y"))
        let r = try #require(decision(effects), "no rollback")
        #expect(r.kind == .rollback && r.from == 10 && r.to == 0 && r.hook == nil)
        try journal(&s, effects)
        press(&s, .escape)
        #expect(s.run.percent == 0 && s.run.rollback?.executedAt != nil)
        let v = try #require(decision(press(&s, .char("V"))), "no verify")
        #expect(v.kind == .verified)
    }

    @Test func rollbackAtZeroOpensNoPrompt() {
        var s = rampState()
        press(&s, .char("R"))
        #expect(s.mode.noPrompt && s.message?.text.contains("nothing to roll back") == true)
    }

    @Test func automaticRollbackIsTheSameDecisionWithItsReason() throws {
        var s = rampState()
        #expect(s.engine.automaticRollback(reason: "auto") == nil, "nothing to roll back at 0 %")
        let (events, _) = try journal(&s, press(&s, .char("g")))
        let go = try #require(events.first)
        #expect(s.engine.automaticRollback(reason: "auto") == nil, "one hook at a time")
        press(&s, .escape)
        try journal(&s, s.update(.engine(.hookFinished(HookResult(decision: go.seq, ok: true, summary: "exit 0", durationMs: 5)))))
        let r = try #require(s.engine.automaticRollback(reason: "automatic: “Error rate spike” tripped (auto: true)"))
        #expect(r.kind == .rollback && r.from == 10 && r.to == 0 && r.hook == ["./set-weight", "0"])
        try merge(&s, .rampDecision(r))
        #expect(s.mode.noPrompt, "an automatic decision asks nobody for a reason")
    }

    @Test func keysTypedWhileTheDecisionIsSavingAreItsReasonNotCommands() throws {
        var s = rampState(apply: false)
        press(&s, .down) // an item under the cursor: `s` there would skip it
        let go = press(&s, .char("g"))
        let typedEffects = press(&s, typed("ship it") + [.enter])
        #expect(appends(typedEffects).isEmpty, "no skip, no other command: the text is the reason")
        #expect(s.mode.noPrompt)
        let (events, _) = try journal(&s, go)
        #expect(events.map(\.body.type) == ["ramp.decision", "decision.reason"])
        #expect(s.run.decisions.last?.reason == "ship it")
    }

    @Test func aDecisionThatIsNotSavedClosesItsPrompt() {
        var s = rampState(apply: false)
        let go = press(&s, .char("g"))
        guard case .command(.append(let id, _))? = go.first else { Issue.record("no append"); return }
        press(&s, typed("hal"))
        _ = s.update(.engine(.appendFailed(id: id, "No space left on device")))
        #expect(s.mode.noPrompt && s.message?.text.hasPrefix("NOT SAVED") == true)
    }

    @Test func undoWaitsForTheChangeStillBeingSaved() throws {
        var s = rampState(apply: false)
        press(&s, .down)
        let toggle = press(&s, .char(" "))
        #expect(appends(press(&s, .char("u"))).isEmpty, "u cannot yet see the change it should undo")
        #expect(s.message?.level == .warn)
        press(&s, .escape) // the refusal holds typed keys until Esc
        let saved = try journal(&s, toggle).events.first { if case .itemSet = $0.body { true } else { false } }
        let undo = appends(press(&s, .char("u")))
        #expect(saved != nil && undo == [.itemUndo(ItemUndo(id: "T10", undoes: saved?.seq))], "the newest change, now journaled, named by its seq")
    }

    @Test func aCriterionIsNotTrippedTwiceWhileSaving() {
        var s = rampState(apply: false)
        press(&s, .tab)
        press(&s, .char("x"))
        let first = press(&s, typed("a") + [.enter])
        press(&s, .char("x"))
        let second = press(&s, typed("b") + [.enter])
        #expect(appends(first).count == 1 && appends(second).isEmpty)
    }

    @Test func aLateAcknowledgementNeverWipesARefusalTypedAfterIt() throws {
        var s = rampState(apply: false)
        let go = press(&s, .char("g"))       // asked for, not yet saved
        press(&s, .escape)                   // no reason
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text.contains("still being saved") == true)
        try journal(&s, go)                  // the first GO's acknowledgement arrives
        #expect(s.message?.text.contains("still being saved") == true, "the refusal stays up")
        try merge(&s, .itemSet(ItemSet(id: "T10", status: .done)), actor: "lee")
        #expect(s.message?.text.hasPrefix("lee: saved: T10 done") == true, "another writer's news always shows")
    }

    @Test func followerKeysAnswerWhoIsDriving() {
        var s = rampState(driving: false)
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text == "read-only — dana is driving")
    }

    /// A crew console: its checklist keys append (as its actor); decision and criterion keys open no prompt and
    /// name who drives.
    @Test func crewTicksItemsButDoesNotDecide() throws {
        var s = rampState(crew: "lee")
        for k in ["g", "n", "R", "G", "V"] {
            #expect(press(&s, .char(Character(k))).isEmpty, "\(k)")
            #expect(s.mode.noPrompt, "\(k) opened no prompt")
            #expect(s.message?.text.hasSuffix(": dana drives — crew can tick items, not decide") == true, "\(k): \(s.message?.text ?? "")")
            press(&s, .escape)
        }
        #expect(s.message?.text == "VERIFY: dana drives — crew can tick items, not decide")
        press(&s, [.tab])
        #expect(s.focus == .rollback)
        #expect(press(&s, .char("x")).isEmpty && s.mode.noPrompt)
        #expect(s.message?.text == "criteria: dana drives — crew can tick items, not decide")
        press(&s, [.tab, .tab, .tab, .tab])
        #expect(s.focus == .checklist)

        press(&s, [.char("/"), .char("T"), .char("1"), .char("0"), .enter])
        let effects = press(&s, .char(" "))
        #expect(appends(effects) == [.itemSet(ItemSet(id: "T10", status: .open))], "T10 is checked in the file: space opens it")
        #expect(s.run.record("T10") == nil, "not shown as done before its acknowledgement")
        let journaled = try journal(&s, effects, actor: "lee")
        #expect(journaled.events.map(\.actor) == ["lee"] && s.run.record("T10")?.actor == "lee")
        let screen = Renderer.render(s, theme: ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:]), glyphs: .unicode,
                                     size: s.size).text
        #expect(screen.contains("CREW · lee · dana drives"))
    }

    @Test func noRampSaysSo() {
        var s = sampleState()
        for k in ["g", "n", "R", "G"] {
            #expect(press(&s, .char(Character(k))).isEmpty)
            #expect(s.message?.text.contains("none is configured") == true)
        }
    }
}

@discardableResult
func press(_ s: inout ConsoleState, _ keys: [Key]) -> [ConsoleEffect] {
    keys.flatMap { s.update(.key($0)) }
}

/// The ramp panes as an incident commander sees them: mid-ramp with live telemetry, and after a rollback.
@Suite struct RampGoldens {
    let dark = ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:])

    /// At 25 %: a decision history, an SLO warning, a light watching, a manual light tripped.
    func midRamp(size: Size) throws -> ConsoleState {
        var s = rampState(apply: true)
        let (events, _) = try journal(&s, press(&s, .char("g")))
        let go = try #require(events.first)
        try journal(&s, press(&s, typed("canary healthy") + [.enter]))
        try journal(&s, s.update(.engine(.hookFinished(HookResult(decision: go.seq, ok: true, summary: "exit 0", durationMs: 420)))))
        for (i, v) in [0.9, 1.0, 1.1, 1.2].enumerated() { feed(&s, p95: v, errors: 0.2, at: t0 + 100_000 * Millis(i + 1)) }
        let (events2, _) = try journal(&s, press(&s, .char("g")))
        let go2 = try #require(events2.first)
        press(&s, .escape)
        try journal(&s, s.update(.engine(.hookFinished(HookResult(decision: go2.seq, ok: true, summary: "exit 0", durationMs: 380)))))
        for (i, v) in [1.3, 1.5, 1.62].enumerated() { feed(&s, p95: v, at: t0 + 440_000 + 5_000 * Millis(i)) }
        feed(&s, p95: 1.62, errors: 1.4, at: t0 + 455_000)
        feed(&s, p95: 1.62, errors: 1.4, at: t0 + 460_000)
        press(&s, .tab)
        press(&s, .char("x"))
        try journal(&s, press(&s, typed("WAF alert") + [.enter]))
        press(&s, .tab, .tab, .tab, .tab)
        _ = s.update(.resize(size))
        return s
    }

    @Test func midRampFull() throws {
        let s = try midRamp(size: Size(width: 120, height: 40))
        try Golden.check("ramp-120x40", Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)))
    }

    @Test func midRampCompact() throws {
        let s = try midRamp(size: Size(width: 80, height: 24))
        try Golden.check("ramp-80x24", Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)))
    }

    @Test func afterRollback() throws {
        var s = try midRamp(size: Size(width: 120, height: 40))
        press(&s, .char("R"))
        let (events, _) = try journal(&s, press(&s, .char("y")))
        let rb = try #require(events.first)
        press(&s, .escape)
        feed(&s, p95: 1.62, errors: 1.4, at: t0 + 470_000)
        try journal(&s, s.update(.engine(.hookFinished(HookResult(decision: rb.seq, ok: true, summary: "exit 0", durationMs: 2_100)))))
        for t in stride(from: t0 + 475_000, through: t0 + 530_000, by: 5_000) { feed(&s, p95: 1.62, errors: 1.4, at: t) }
        try Golden.check("rollback-120x40", Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)))
    }

    /// A failed rollback says so whole at 80×24, what to do included (it used to end "timed out after 3 s …").
    @Test func aFailedRollbackIsNeverCut() throws {
        var s = try midRamp(size: Size(width: 80, height: 24))
        press(&s, .char("R"))
        let (events, _) = try journal(&s, press(&s, .char("y")))
        let rb = try #require(events.first)
        press(&s, .escape)
        try journal(&s, s.update(.engine(.hookFinished(HookResult(decision: rb.seq, ok: false, summary: "timed out after 3 s", durationMs: 3_000)))))
        let b = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)
        let r = Layout(s.size).ramp
        let pane = (r.y..<r.maxY).map { y in (r.x..<r.maxX).map { String(b[$0, y].char) }.joined() }.joined(separator: "\n")
        #expect(pane.contains("ROLLBACK FAILED:") && pane.contains("R retries") && !pane.contains("…"), "\(pane)")
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
