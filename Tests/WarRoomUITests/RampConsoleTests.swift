import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// A console with a ramp 10 → 25 → 50 (5 min holds), one manual and one telemetry-bound criterion, and one SLO.
func rampState(apply: Bool = true, driving: Bool = true) -> ConsoleState {
    let c = fixtureChecklist()
    let plan = RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 25), RampStep(percent: 50)], holdMs: 300_000,
                        hasApply: apply, hasRollbackHook: apply, targets: RollbackTargets(decideMs: 300_000, executeMs: 600_000, verifyMs: 300_000))
    let config = ConsoleConfig(service: "checkout-api", actor: "dana", driving: driving, t0: t0, stateDir: ".warroom", ramp: plan,
                               lights: [LightInfo(name: "Security incident", manual: true),
                                        LightInfo(name: "Error rate spike", manual: false, watches: "value > 1 for 5m")],
                               slos: ["P95 latency"], driver: driving ? nil : "dana")
    var s = ConsoleState(config: config, checklist: c, run: sampleRun(c), now: t0, size: Size(width: 120, height: 40))
    _ = s.update(.telemetry(TelemetryView(gauges: [.init(name: "P95 latency", status: "ok", value: "1.2 s", objective: "<= 2",
                                                      detail: "", history: [1.1, 1.2])])))
    return s
}

/// Saves what the reducer asked for, as the driver would (hook-less decisions take effect at once).
@discardableResult
func save(_ s: inout ConsoleState, _ body: EventBody, actor: String = "dana") throws -> JournalEvent {
    var run = s.run
    let e = JournalEvent(seq: run.lastSeq + 1, time: s.now, actor: actor, body: body)
    try run.apply(e)
    _ = s.update(.saved(run, e))
    return e
}

@Suite struct RampKeys {
    @Test func goIsOneKeyThenAnOptionalReason() throws {
        var s = rampState()
        let effects = press(&s, .char("g"))
        guard case .decide(let d) = effects.first else { Issue.record("no decision: \(effects)"); return }
        #expect(d.kind == .go && d.from == 0 && d.to == 10 && d.verdict == "READY" && d.hook == [])
        #expect(d.gauges == [SnapshotEntry(name: "P95 latency", state: "ok", detail: "1.2 s")])
        #expect(d.lights.map(\.state) == ["ok", "ok"])
        let e = try save(&s, .rampDecision(d))
        #expect(s.mode == .decisionReason(seq: e.seq, kind: .go, text: ""))
        let reasonEffects = press(&s, typed("dashboards ok") + [.enter])
        #expect(reasonEffects == [.append(.decisionReason(DecisionReason(decision: e.seq, reason: "dashboards ok")))])
        #expect(s.mode == .normal)
        // While the hook runs, GO/NO-GO/rollback are refused.
        #expect(s.verdict.state == .busy)
        #expect(press(&s, .char("n")).isEmpty)
        #expect(s.message?.text.contains("one hook at a time") == true)
    }

    @Test func escLeavesTheReasonEmpty() throws {
        var s = rampState(apply: false)
        guard case .decide(let d) = press(&s, .char("n")).first else { Issue.record("no decision"); return }
        #expect(d.kind == .nogo && d.hook == nil)
        try save(&s, .rampDecision(d))
        #expect(press(&s, .escape).isEmpty && s.mode == .normal)
    }

    @Test func goIsRefusedWhileWaitingAndOverrideNeedsAReason() throws {
        var s = rampState(apply: false)
        guard case .decide(let d) = press(&s, .char("g")).first else { Issue.record("no decision"); return }
        try save(&s, .rampDecision(d))
        press(&s, .escape)
        #expect(s.run.percent == 10)
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text.hasPrefix("GO refused: WAITING 5:00") == true)
        press(&s, .char("G"))
        #expect(s.mode == .overrideReason(text: ""))
        #expect(press(&s, .enter).isEmpty, "an override needs a reason")
        let effects = press(&s, typed("VP approved") + [.enter])
        guard case .decide(let o) = effects.first else { Issue.record("no override"); return }
        #expect(o.kind == .override && o.to == 25 && o.reason == "VP approved" && o.verdict == "WAITING")
        #expect(o.unmet.first?.hasPrefix("observation window at 10 %") == true)
    }

    @Test func sloNotGreenBlocksGo() {
        var s = rampState()
        _ = s.update(.telemetry(TelemetryView(gauges: [.init(name: "P95 latency", status: "stale", value: "1.2 s", objective: "<= 2",
                                                                detail: "stale 42 s", history: [])])))
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text.contains("SLO P95 latency STALE") == true)
    }

    @Test func manualLightTripsWithAReasonBlocksGoAndRaisesTheBanner() throws {
        var s = rampState(apply: false)
        guard case .decide(let d) = press(&s, .char("g")).first else { Issue.record("no decision"); return }
        try save(&s, .rampDecision(d))
        press(&s, .escape)
        press(&s, .tab) // rollback pane
        #expect(s.focus == .rollback)
        press(&s, .char("x"))
        #expect(s.mode == .lightReason(name: "Security incident", trip: true, text: ""))
        let effects = press(&s, typed("pager 4411") + [.enter])
        #expect(effects == [.append(.lightTrip(LightChange(name: "Security incident", reason: "pager 4411", detail: "manual")))])
        try save(&s, .lightTrip(LightChange(name: "Security incident", reason: "pager 4411", detail: "manual")))
        #expect(s.banner == "ROLLBACK CRITERION TRIPPED: Security incident — R to roll back")
        #expect(s.verdict.blockers.contains("Security incident tripped"))
        // A telemetry-bound light is not toggled by hand until it has tripped.
        press(&s, .char("j"), .char("x"))
        #expect(s.mode == .normal && s.message?.text.contains("watched by telemetry") == true)
    }

    @Test func rollbackAsksYThenDecidesAndVerifies() throws {
        var s = rampState(apply: false)
        guard case .decide(let d) = press(&s, .char("g")).first else { Issue.record("no decision"); return }
        try save(&s, .rampDecision(d))
        press(&s, .escape)
        press(&s, .char("R"))
        #expect(s.mode == .confirmRollback)
        #expect(press(&s, .char("n")).isEmpty && s.mode == .normal, "any other key cancels")
        press(&s, .char("R"))
        guard case .decide(let r) = press(&s, .char("y")).first else { Issue.record("no rollback"); return }
        #expect(r.kind == .rollback && r.from == 10 && r.to == 0 && r.hook == nil)
        try save(&s, .rampDecision(r))
        press(&s, .escape)
        #expect(s.run.percent == 0 && s.run.rollback?.executedAt != nil)
        guard case .decide(let v) = press(&s, .char("V")).first else { Issue.record("no verify"); return }
        #expect(v.kind == .verified)
    }

    @Test func automaticRollbackIsTheSameDecisionWithItsReason() throws {
        var s = rampState()
        #expect(s.automaticRollback(reason: "auto") == nil, "nothing to roll back at 0 %")
        guard case .decide(var d) = press(&s, .char("g")).first else { Issue.record("no GO"); return }
        d.hook = ["./set-weight", "10"]
        let go = try save(&s, .rampDecision(d))
        #expect(s.automaticRollback(reason: "auto") == nil, "one hook at a time")
        press(&s, .escape)
        try save(&s, .hookResult(HookResult(decision: go.seq, ok: true, summary: "exit 0", durationMs: 5)))
        let r = try #require(s.automaticRollback(reason: "automatic: “Error rate spike” tripped (auto: true)"))
        #expect(r.kind == .rollback && r.from == 10 && r.to == 0 && r.hook == [])
        try save(&s, .rampDecision(r))
        #expect(s.mode == .normal, "an automatic decision asks nobody for a reason")
    }

    @Test func followerKeysAnswerWhoIsDriving() {
        var s = rampState(driving: false)
        #expect(press(&s, .char("g")).isEmpty)
        #expect(s.message?.text == "read-only — dana is driving")
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
        guard case .decide(var d) = press(&s, .char("g")).first else { throw Failure("no GO") }
        d.hook = ["./set-weight", "10"]
        let go = try save(&s, .rampDecision(d))
        press(&s, typed("canary healthy") + [.enter])
        try save(&s, .decisionReason(DecisionReason(decision: go.seq, reason: "canary healthy")))
        try save(&s, .hookResult(HookResult(decision: go.seq, ok: true, summary: "exit 0", durationMs: 420)))
        _ = s.update(.tick(t0 + 400_000))
        guard case .decide(var d2) = press(&s, .char("g")).first else { throw Failure("no second GO") }
        d2.hook = ["./set-weight", "25"]
        let go2 = try save(&s, .rampDecision(d2))
        press(&s, .escape)
        try save(&s, .hookResult(HookResult(decision: go2.seq, ok: true, summary: "exit 0", durationMs: 380)))
        _ = s.update(.tick(t0 + 460_000))
        _ = s.update(.telemetry(TelemetryView(
            gauges: [.init(name: "P95 latency", status: "warn", value: "1.62 s", objective: "<= 2 s", detail: "1.62 s",
                           history: [0.9, 1.0, 1.1, 1.2, 1.3, 1.5, 1.62])],
            lights: [.init(name: "Error rate spike", status: "watch", detail: "1.4 % (> 1 % for 5 min)", tripsAt: t0 + 640_000)])))
        try save(&s, .lightTrip(LightChange(name: "Security incident", reason: "WAF alert", detail: "manual")))
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
        guard case .decide(var r) = press(&s, .char("y")).first else { throw Failure("no rollback") }
        r.hook = ["./set-weight", "0"]
        let rb = try save(&s, .rampDecision(r))
        press(&s, .escape)
        _ = s.update(.tick(t0 + 470_000))
        try save(&s, .hookResult(HookResult(decision: rb.seq, ok: true, summary: "exit 0", durationMs: 2_100)))
        _ = s.update(.tick(t0 + 530_000))
        try Golden.check("rollback-120x40", Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)))
    }
}

struct Failure: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
