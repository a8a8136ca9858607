import Testing
@testable import WarRoomCore

/// The engine as the effect runner drives it: actions in, commands out, the run moving only on acknowledgements.
struct EngineHarness {
    var engine: Engine
    var journal: [JournalEvent] = []
    var hooks: [HookRequest] = []
    var trafficRequests: [TrafficRequest] = []
    var published: [TelemetryView] = []
    var shown: [Notice] = []
    var logs: [String] = []
    var notified: [RunNotification] = []

    static let t0: Millis = 1_795_424_400_000

    init(apply: Bool = true, role: Role = .driver, auto: Bool = false, actor: String = "dana", traffic: Bool = false,
         announcedUntil: Millis? = nil, configure: (inout RunConfig) -> Void = { _ in }, checklistText: String? = nil) {
        let checklist = ChecklistParser.parse(checklistText ?? "# Go-live\n\n## Pre-flight\n- [ ] T1 Backups verified\n- [ ] T2 Flags ready\n", path: "c.md")
        let plan = RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 50, require: ["T1"]), RampStep(percent: 100)],
                            holdMs: 60_000, hasApply: apply, hasRollbackHook: apply)
        var config = RunConfig(path: "/srv/warroom.yaml", service: "checkout", checklist: "c.md", plan: plan,
                               apply: apply ? ["./set-weight", "{percent}"] : nil, rollbackHook: apply ? ["./set-weight", "0"] : nil,
                               hookTimeoutMs: 30_000, hookDirectory: "/srv",
                               lights: [LightConfig(name: "Security incident"),
                                        LightConfig(name: "Errors", source: "prom", query: "e", trip: Condition(.gt, 5), forMs: 0, auto: auto)],
                               sources: [SourceConfig(name: "prom", kind: .prometheus(url: "http://127.0.0.1:9090"), intervalMs: 5_000)],
                               slos: [SLOConfig(name: "P95", source: "prom", query: "p", unit: "s", objective: Condition(.le, 2)),
                                      SLOConfig(name: "Availability", objective: Condition(.ge, 99.9))])
        if traffic { config.traffic = TrafficConfig(adapter: "haproxy") }
        configure(&config)
        var run = RunState()
        try? run.apply(JournalEvent(seq: 1, time: Self.t0 - 1_000, actor: "dana",
                                    body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 2, host: "h", pid: 1))))
        engine = Engine(config: config, session: Session(actor: actor, role: role, stateDir: "/srv/.warroom", announcedUntil: announcedUntil),
                        checklist: checklist,
                        run: run, now: Self.t0)
        journal = [JournalEvent(seq: 1, time: Self.t0 - 1_000, actor: "dana",
                                body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 2, host: "h", pid: 1)))]
    }

    /// Sends an action; appends it asks for are written and acknowledged at once unless `hold` is set.
    @discardableResult
    mutating func send(_ action: Action, hold: Bool = false) -> [Command] {
        let out = engine.reduce(action)
        var pending: [Command] = []
        for c in out {
            switch c {
            case .append(let id, let body):
                if hold { pending.append(c); continue }
                let e = JournalEvent(seq: (journal.last?.seq ?? 0) + 1, time: engine.now, actor: body.author(console: engine.session.actor), body: body)
                journal.append(e)
                send(.appended(id: id, e))
            case .runHook(let r): hooks.append(r)
            case .setTraffic(let r): trafficRequests.append(r)
            case .publish(let v): published.append(v)
            case .show(let n): shown.append(n)
            case .log(let l): logs.append(l)
            case .notify(let n): notified.append(n)
            }
        }
        return hold ? pending : out
    }

    mutating func reading(_ probe: ProbeKey, _ v: Double, at t: Millis) {
        send(.reading(ProbeReading(probe: probe, source: "prom", time: t, observation: .value(v))))
        send(.tick(t))
    }
}

@Suite struct EngineDecisions {
    @Test func goIsJournaledThenItsHookRunsThenTheRampMoves() throws {
        var h = EngineHarness()
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        let d = try #require(h.journal.last.flatMap { if case .rampDecision(let d) = $0.body { d } else { nil } })
        #expect(d.kind == .go && d.to == 10 && d.hook == ["./set-weight", "10"] && d.verdict == "READY")
        #expect(d.gauges.map(\.state) == ["ok", "unbound"], "the snapshot: every gauge as it stood")
        #expect(h.engine.run.percent == 0, "the hook has not run yet")
        let hook = try #require(h.hooks.first)
        #expect(hook.argv == ["./set-weight", "10"] && hook.directory == "/srv" && hook.timeoutMs == 30_000)
        #expect(hook.values["percent"] == "10" && hook.values["previous"] == "0" && hook.values["step"] == "1")
        #expect(hook.values["state_dir"] == "/srv/.warroom" && hook.values["kind"] == "go")
        h.send(.hookFinished(HookResult(decision: h.journal.last!.seq, ok: true, summary: "exit 0", durationMs: 12)))
        #expect(h.engine.run.percent == 10)
        #expect(h.engine.verdict.state == .blocked && h.engine.verdict.waits.count == 1, "T1 is required for 50 %; the window runs too")
    }

    @Test func nothingChangesBeforeTheAcknowledgementAndOneDecisionAtATime() {
        var h = EngineHarness(apply: false)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        let pending = h.send(.intent(.go), hold: true)
        #expect(pending.count == 1 && h.engine.isSaving)
        #expect(h.engine.run.decisions.isEmpty)
        #expect(h.engine.verdict.state == .busy)
        let again = h.send(.intent(.go), hold: true)
        #expect(again.isEmpty, "a second GO while the first is saving is refused")
        #expect(h.shown.last?.text.contains("still being saved") == true)
        guard case .append(let id, _) = pending[0] else { return }
        h.send(.appendFailed(id: id, "No space left on device"))
        #expect(!h.engine.isSaving && h.engine.run.percent == 0)
        #expect(h.shown.last == Notice("NOT SAVED: No space left on device", .error, sticky: true))
    }

    @Test func requirementsAndTrippedLightsBlockAndOverrideRecordsThem() throws {
        var h = EngineHarness(apply: false)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        h.send(.tick(EngineHarness.t0 + 61_000))
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0 + 61_000)
        #expect(h.engine.verdict.state == .blocked)
        #expect(h.engine.verdict.blockers == ["T1 open"])
        #expect(h.engine.refusal(.go)?.text.hasPrefix("GO refused: BLOCKED: T1 open") == true)
        h.send(.intent(.tripLight(name: "Security incident", reason: "pager")))
        #expect(h.engine.banner == "ROLLBACK CRITERION TRIPPED: Security incident — R to roll back")
        h.send(.intent(.override(reason: "CTO approved")))
        let d = try #require(h.engine.run.decisions.last)
        #expect(d.kind == .override && d.decision.unmet == ["T1 open", "Security incident tripped"])
        #expect(h.engine.run.percent == 50)
    }

    @Test func readOnlySeatsRefuseEveryWrite() {
        var h = EngineHarness(role: .follower(driver: "dana"))
        for i: Intent in [.go, .nogo, .undo, .toggleItem(id: "T1"), .tripLight(name: "Security incident", reason: "x")] {
            #expect(h.send(.intent(i)).allSatisfy { if case .show = $0 { true } else { false } })
        }
        #expect(h.journal.count == 1)
        #expect(h.shown.last?.text == "read-only — dana is driving")
    }

    @Test func aTripFromTelemetryIsJournaledAndAutoRollsBack() throws {
        var h = EngineHarness(apply: false, auto: true)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        h.reading(.light("Errors"), 9, at: EngineHarness.t0 + 5_000)
        let types = h.journal.map(\.body.type)
        #expect(types.contains("light.trip"))
        let rollback = try #require(h.engine.run.decisions.last)
        #expect(rollback.kind == .rollback && rollback.reason?.hasPrefix("automatic: “Errors” tripped") == true)
        #expect(h.engine.run.percent == 0)
        #expect(h.logs.contains { $0.hasPrefix("automatic rollback: Errors") })
    }

    @Test func startSettlesAHookLeftRunningAndPublishes() throws {
        var h = EngineHarness()
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        #expect(h.engine.run.pendingDecision != nil)
        // A new console on the same run.
        var next = EngineHarness()
        next.engine = Engine(config: h.engine.config, session: h.engine.session, checklist: h.engine.checklist, run: h.engine.run,
                             now: EngineHarness.t0 + 90_000)
        next.journal = h.journal
        next.send(.start(EngineHarness.t0 + 90_000))
        #expect(next.engine.run.pendingDecision == nil && next.engine.run.percent == 0)
        #expect(next.engine.run.decisions.last?.hook?.summary.hasPrefix("outcome unknown") == true)
        #expect(next.published.count == 1, "followers find a view at once")
        #expect(next.hooks.isEmpty, "a hook of a previous console is never run again by itself")
    }

    /// A GO whose append said NOT SAVED but which etcd carried out later (a request it had queued while stopped) is
    /// found by the next look: its hook is not run late, the result says why, and the ramp is not left BUSY.
    @Test func ourDecisionFoundAfterNotSavedRunsNoHookAndLeavesTheRampFree() throws {
        var h = EngineHarness()
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        let asked = h.send(.intent(.go), hold: true)
        guard case .append(let id, let body)? = asked.first(where: { if case .append = $0 { true } else { false } }) else {
            Issue.record("GO asked for no append: \(asked)")
            return
        }
        h.send(.appendFailed(id: id, "etcd://127.0.0.1:2379/run: could not save ramp.decision: timed out; it may still have been recorded"))
        #expect(h.engine.run.pendingDecision == nil)
        // The next look finds it, as another writer's entry would be found.
        let landed = JournalEvent(seq: (h.journal.last?.seq ?? 0) + 1, time: EngineHarness.t0 + 5_000, actor: "dana", body: body)
        h.journal.append(landed)
        h.send(.merged([landed]))
        #expect(h.hooks.isEmpty, "no hook runs for a decision the commander was told was not saved")
        let result = try #require(h.journal.lazy.compactMap { if case .hookResult(let r) = $0.body { r } else { nil } }.last)
        #expect(result.decision == landed.seq && !result.ok && result.summary.contains("recorded after this console said NOT SAVED"))
        #expect(h.engine.run.pendingDecision == nil && h.engine.run.percent == 0, "not BUSY: the ramp stays, GO can be decided again")
        // Another driver's decision merged in (after a take-over, say) is not ours: nothing is appended for it.
        var f = EngineHarness(actor: "lee")
        let theirs = JournalEvent(seq: 2, time: EngineHarness.t0, actor: "dana", body: body)
        f.send(.merged([theirs]))
        #expect(!f.journal.contains { if case .hookResult = $0.body { true } else { false } })
    }

    /// A GO with a hook says it is applying the step; with a traffic adapter, that the adapter is setting it (a
    /// `where` clause on `case .go, .override` once applied to .override alone, so every GO read as the adapter's).
    @Test func aGoSaysWhatMovesTheTraffic() throws {
        var hooked = EngineHarness()
        hooked.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        hooked.send(.intent(.go))
        #expect(hooked.shown.contains { $0.text == "GO decided — applying 10 %…" }, "\(hooked.shown.map(\.text))")
        var adapter = TrafficEngine.ready()
        adapter.send(.intent(.go))
        #expect(adapter.shown.contains { $0.text == "GO decided — haproxy setting 10 %…" }, "\(adapter.shown.map(\.text))")
    }

    @Test func publishesAtMostOnceASecond() {
        var h = EngineHarness()
        h.send(.start(EngineHarness.t0))
        for ms in stride(from: 100, through: 2_500, by: 100) { h.send(.tick(EngineHarness.t0 + Millis(ms))) }
        #expect(h.published.count == 3)
    }

    @Test func otherWritersEntriesAreMergedAndNamed() {
        var h = EngineHarness(role: .follower(driver: "dana"))
        let e = JournalEvent(seq: 2, time: EngineHarness.t0, actor: "lee", body: .itemSet(ItemSet(id: "T1", status: .done)))
        h.send(.merged([e]))
        #expect(h.engine.run.lastSeq == 2)
        #expect(h.shown.last?.text.hasPrefix("lee: saved: T1 done") == true)
        h.send(.merged([e]))
        #expect(h.engine.run.lastSeq == 2, "an entry already merged is not applied twice")
    }

    @Test func aSilentDriverGreysTheFollowersView() {
        var h = EngineHarness(role: .follower(driver: "dana"))
        let view = TelemetryView(gauges: [.init(name: "P95", status: .ok, value: "1.2 s", objective: "<= 2 s", detail: "", history: [])],
                                 lights: [.init(name: "Errors", status: .ok, detail: "")])
        h.send(.remoteView(view, publishedAt: EngineHarness.t0, driver: "dana"))
        h.send(.tick(EngineHarness.t0 + 1_000))
        #expect(h.engine.telemetry == view && h.engine.viewAge == 1_000)
        h.send(.tick(EngineHarness.t0 + 4_000))
        #expect(h.engine.telemetry.gauges.first?.status == .stale && h.engine.telemetry.lights.first?.status == .blind)
        #expect(h.engine.sloSignals.first?.green == false, "nothing from a silent driver gates green")
    }

    @Test func aHookResultTheJournalRefusedIsRetriedSoTheRampNeverStaysBusy() throws {
        var h = EngineHarness()
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        let seq = h.journal.last!.seq
        let asked = h.send(.hookFinished(HookResult(decision: seq, ok: true, summary: "exit 0", durationMs: 5)), hold: true)
        guard case .append(let id, _)? = asked.first(where: { if case .append = $0 { true } else { false } }) else {
            Issue.record("no append"); return
        }
        h.send(.appendFailed(id: id, "No space left on device"))
        #expect(h.engine.run.pendingDecision != nil && h.shown.last?.text.contains("retrying") == true)
        h.send(.tick(EngineHarness.t0 + 2_000)) // the disk has room again
        #expect(h.engine.run.pendingDecision == nil && h.engine.run.percent == 10, "the real exit 0, not 'outcome unknown'")
        h.send(.intent(.rollback))
        #expect(h.engine.run.decisions.last?.kind == .rollback, "rollback is possible again")
    }

    @Test func anAutomaticRollbackAskedForDuringAHookFollowsWhenItSettles() throws {
        var h = EngineHarness(apply: true, auto: true)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        let go = h.journal.last!.seq
        h.reading(.light("Errors"), 9, at: EngineHarness.t0 + 1_000) // trips while the GO hook runs
        #expect(h.engine.run.decisions.count == 1, "one decision at a time")
        h.send(.hookFinished(HookResult(decision: go, ok: true, summary: "exit 0", durationMs: 5)))
        let last = try #require(h.engine.run.decisions.last)
        #expect(last.kind == .rollback && last.reason?.contains("while a decision was under way") == true)
    }

    @Test func closingStartsNoHookAndSaysSo() throws {
        var h = EngineHarness()
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        let asked = h.send(.intent(.go), hold: true)
        h.send(.stop)
        guard case .append(let id, let body)? = asked.first else { Issue.record("no append"); return }
        let e = JournalEvent(seq: h.journal.count + 1, time: h.engine.now, actor: "dana", body: body)
        h.journal.append(e)
        h.send(.appended(id: id, e))
        #expect(h.hooks.isEmpty)
        #expect(h.engine.run.pendingDecision == nil)
        #expect(h.engine.run.decisions.last?.hook?.summary == "not run: the console closed before the hook started")
    }

    @Test func theFollowerNamesWhoPublishesAndDistrustsAClockAhead() {
        var h = EngineHarness(role: .follower(driver: "ic"))
        h.send(.tick(EngineHarness.t0))
        h.send(.remoteView(TelemetryView(), publishedAt: EngineHarness.t0 + 3_600_000, driver: "ic3"))
        #expect(h.engine.driver == "ic3", "after a hand-over, the driver publishing now")
        h.send(.tick(EngineHarness.t0 + 5_000))
        #expect(h.engine.viewAge == 5_000, "a view dated an hour ahead ages from when it arrived")
        #expect(h.engine.telemetry.gauges.isEmpty)
    }

    @Test func aFollowersRunNeverGoesBackQuietly() {
        var h = EngineHarness(role: .follower(driver: "dana"))
        h.send(.merged([JournalEvent(seq: 2, time: EngineHarness.t0, actor: "dana", body: .itemSet(ItemSet(id: "T1", status: .done)))]))
        var shorter = RunState()
        try? shorter.apply(h.journal[0])
        h.send(.reset(shorter, latest: h.journal[0]))
        #expect(h.shown.last?.text.hasPrefix("the journal went backwards: entries 2–2 are gone") == true)
        #expect(h.shown.last?.level == .error)
    }

    @Test func aDriverTakenOverWritesNothingMoreAndSaysWhoDrives() {
        var h = EngineHarness(apply: false)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.deposed(by: "lee"))
        #expect(!h.engine.driving && h.engine.driver == "lee")
        #expect(h.shown.last?.text == "lee took over driving: this console is read-only now")
        let before = h.journal.count
        h.send(.intent(.go))
        h.send(.intent(.toggleItem(id: "T1")))
        h.reading(.light("Errors"), 9, at: EngineHarness.t0 + 5_000)
        h.send(.tick(EngineHarness.t0 + 6_000))
        #expect(h.journal.count == before, "no decision, no tick, no telemetry entry from a deposed driver")
        #expect(h.shown.last?.text == "read-only — lee took over driving" || h.shown.contains { $0.text == "read-only — lee took over driving" })
    }

    @Test func theStaticReducerIsTheSameFunction() {
        let h = EngineHarness(apply: false)
        let (after, commands) = Engine.reduce(h.engine, .intent(.toggleItem(id: "T1")))
        #expect(after.isSaving && commands.count == 1)
        #expect(!h.engine.isSaving, "the state passed in is a value: untouched")
    }
}

@Suite struct ConfigRedaction {
    @Test func passwordsInSourceURLsNeverReachTheJournal() {
        #expect(RunConfig.redactPassword("https://admin:hunter2pass@127.0.0.1:18441/x?y=1") == "https://admin:[redacted]@127.0.0.1:18441/x?y=1")
        #expect(RunConfig.redactPassword("https://127.0.0.1:9090") == "https://127.0.0.1:9090")
        #expect(RunConfig.redactPassword("http://user@host/") == "http://user@host/")
        let c = RunConfig(path: nil, service: "s", checklist: "c.md", plan: RampPlan(steps: []),
                          sources: [SourceConfig(name: "p", kind: .prometheus(url: "https://a:b-secret@h:1"))])
        #expect(c.redactingCredentials().sources[0].kind == .prometheus(url: "https://a:[redacted]@h:1"))
    }
}
