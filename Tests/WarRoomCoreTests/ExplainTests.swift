import Testing
@testable import WarRoomCore

/// Issue 14: every light and gauge explains itself; automatic trips are the telemetry's.
@Suite struct Explain {
    static let t0: Millis = 1_795_424_400_000

    static let config = RunConfig(
        path: "/srv/warroom.yaml", service: "checkout", checklist: "c.md",
        plan: RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 100)], holdMs: 60_000),
        lights: [LightConfig(name: "Error rate", source: "prom", query: "sum(rate(errors[5m]))", trip: Condition(.gt, 5),
                             forMs: 600_000, unit: "%"),
                 LightConfig(name: "Paged", source: "am", match: ["severity": "critical"]),
                 LightConfig(name: "Security incident")],
        sources: [SourceConfig(name: "prom", kind: .prometheus(url: "https://bot:s3cret@prom.example:9090/api"), intervalMs: 5_000),
                  SourceConfig(name: "am", kind: .alertmanager(url: "http://am:9093"), intervalMs: 10_000)],
        slos: [SLOConfig(name: "P95 latency", source: "prom", query: "histogram_quantile(0.95, x)", unit: "s",
                         objective: Condition(.le, 2), warn: Condition(.le, 1.5)),
               SLOConfig(name: "Availability", objective: Condition(.ge, 99.9))])

    /// The engine with every append journaled (as the effect runner does: telemetry entries as `warroom`) and
    /// acknowledged at once.
    struct Rig {
        var engine: Engine
        var journal: [JournalEvent] = []

        init(role: Role = .driver, actor: String = "dana") {
            let checklist = ChecklistParser.parse("# Go-live\n- [ ] T1 Backups\n", path: "c.md")
            var run = RunState()
            let start = JournalEvent(seq: 1, time: Explain.t0 - 1_000, actor: "dana",
                                     body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1)))
            try? run.apply(start)
            journal = [start]
            engine = Engine(config: Explain.config, session: Session(actor: actor, role: role, stateDir: "/srv/.warroom"),
                            checklist: checklist, run: run, now: Explain.t0)
        }

        mutating func send(_ action: Action) {
            for c in engine.reduce(action) {
                guard case .append(let id, let body) = c else { continue }
                let e = JournalEvent(seq: journal.count + 1, time: engine.now, actor: body.author(console: engine.session.actor),
                                     body: body)
                journal.append(e)
                send(.appended(id: id, e))
            }
        }

        mutating func read(_ probe: ProbeKey, _ o: Observation, source: String = "prom", at t: Millis) {
            send(.tick(t))
            send(.reading(ProbeReading(probe: probe, source: source, time: t, observation: o)))
            send(.tick(t))
        }
    }

    @Test func aWatchingLightSaysItsValueThresholdAndWindow() throws {
        var r = Rig()
        // A reading every 5 s (the source's interval): the window keeps its start.
        for t in stride(from: Self.t0, through: Self.t0 + 372_000, by: 4_000) { r.read(.light("Error rate"), .value(9.5), at: t) }
        let e = try #require(r.engine.explainLight("Error rate"))
        #expect(e.state == .watch)
        #expect(e.text == [
            "state   WATCH since 09:00:00 (6 min 12 s ago)",
            "source  prom — prometheus https://***@prom.example:9090/api",
            "query   sum(rate(errors[5m]))",
            "value   9.5 % > 5 % for 6 min 12 s of 10 min — trips in 3 min 48 s",
            "sample  0 s old (09:06:12)",
        ], "\(e.text)")
        r.send(.tick(Self.t0 + 380_000))
        #expect(try #require(r.engine.explainLight("Error rate")).text.last == "sample  8 s old (09:06:12)")
    }

    @Test func anAlertmanagerTripIsTheTelemetrysWithTheAlertsNamesSummariesAndLabels() throws {
        var r = Rig()
        let alert = AlertSummary(name: "HighErrorRate", summary: "Checkout errors above 5 % for 5 min", fingerprint: "f1",
                                 labels: ["alertname": "HighErrorRate", "severity": "critical", "service": "checkout", "pod": "c-7"])
        r.read(.light("Paged"), .alerts([alert]), source: "am", at: Self.t0 + 5_000)
        let trip = try #require(r.journal.last)
        #expect(trip.actor == "warroom", "the telemetry tripped it, not dana")
        guard case .lightTrip(let l) = trip.body else { Issue.record("\(trip.body)"); return }
        #expect(l.reason == nil && l.source == "am" && l.console == "dana" && l.detail == "Checkout errors above 5 % for 5 min (1 alert firing)")
        #expect(r.engine.run.tripped["Paged"]?.by == "warroom (telemetry, source am, in dana's console)")
        #expect(RunSummary.driver(of: r.engine.run) == "dana", "a trip by the telemetry does not make warroom the driver")

        let e = try #require(r.engine.explainLight("Paged"))
        #expect(e.state == .tripped)
        #expect(e.text == [
            "state    TRIPPED since 09:00:05 (0 s ago)",
            "tripped  by warroom (telemetry, source am, in dana's console)",
            "         on Checkout errors above 5 % for 5 min (1 alert firing)",
            "source   am — alertmanager http://am:9093",
            "match    severity=critical",
            "alerts   HighErrorRate — Checkout errors above 5 % for 5 min",
            "           severity=critical service=checkout pod=c-7",
            "sample   0 s old (09:00:05)",
        ], "\(e.text)")
    }

    @Test func aFirstPollThatFailsIsUnknownAtOnceWithItsReason() throws {
        var r = Rig()
        r.read(.slo("P95 latency"), .failure("connection refused"), at: Self.t0 + 1_000)
        r.read(.light("Error rate"), .failure("connection refused"), at: Self.t0 + 1_000)
        #expect(r.engine.telemetry.gauges.first?.status == .unknown)
        #expect(r.engine.telemetry.lights.first?.status == .blind)
        let g = try #require(r.engine.explainSLO("P95 latency"))
        #expect(g.text == [
            "state     UNKNOWN",
            "source    prom — prometheus https://***@prom.example:9090/api",
            "query     histogram_quantile(0.95, x)",
            "value     none yet — objective <= 2 s, warn outside <= 1.5 s",
            "sample    none good yet",
            "failing   last read 0 s ago: error: connection refused",
            "interval  read every 5 s; STALE after 15 s without a reading",
        ], "\(g.text)")
        let l = try #require(r.engine.explainLight("Error rate"))
        #expect(l.text.contains("failing  last read 0 s ago: error: connection refused"), "\(l.text)")

        // After a good value, a failed read is UNKNOWN at once too (not seconds of OK while the light says BLIND).
        r.read(.slo("P95 latency"), .value(1.8), at: Self.t0 + 5_000)
        #expect(try #require(r.engine.explainSLO("P95 latency")).text.contains(
            "value     1.8 s meets the objective <= 2 s, outside the warning band <= 1.5 s"))
        r.read(.slo("P95 latency"), .failure("timed out after 2 s"), at: Self.t0 + 10_000)
        #expect(r.engine.telemetry.gauges.first?.status == .unknown)
        let after = try #require(r.engine.explainSLO("P95 latency")).text
        #expect(after.contains("value     last 1.8 s meets the objective <= 2 s, outside the warning band <= 1.5 s"), "\(after)")
        #expect(after.contains("sample    5 s old (09:00:05)") && after.contains("failing   last read 0 s ago: error: timed out after 2 s"))
    }

    @Test func aFollowerExplainsFromTheDriversView() throws {
        var driver = Rig()
        driver.read(.light("Error rate"), .value(9.5), at: Self.t0)
        driver.read(.slo("P95 latency"), .value(2.6), at: Self.t0 + 60_000)
        var follower = Rig(role: .follower(driver: "dana"), actor: "lee")
        follower.send(.tick(Self.t0 + 60_000))
        #expect(follower.engine.explainLight("Error rate")?.text.first == "state   UNKNOWN — no reading: no view from the driver yet")
        follower.send(.remoteView(driver.engine.telemetry, publishedAt: Self.t0 + 60_000, driver: "dana"))
        follower.send(.tick(Self.t0 + 60_000))
        #expect(follower.engine.explainLight("Error rate") == driver.engine.explainLight("Error rate"))
        #expect(follower.engine.explainSLO("P95 latency") == driver.engine.explainSLO("P95 latency"))
        #expect(follower.engine.explainSLO("P95 latency")?.text.contains("value     2.6 s breaks the objective <= 2 s") == true)
    }

    @Test func manualAndUnboundSayWhatTheyAre() throws {
        var r = Rig()
        #expect(r.engine.explainLight("Security incident")?.text == ["state  OK — manual: a person trips it with x and a reason"])
        r.send(.intent(.tripLight(name: "Security incident", reason: "pager 4411")))
        #expect(r.journal.last?.actor == "dana", "a person's trip is the person's")
        #expect(r.engine.explainLight("Security incident")?.text.dropFirst().first == "tripped  by dana: “pager 4411”")
        #expect(r.engine.explainSLO("Availability")?.text == [
            "state      UNBOUND",
            "source     none: no query, shown and not gated on (the team watches it by other means)",
            "objective  >= 99.9",
        ])
        #expect(r.engine.explainLight("nope") == nil)
    }

    @Test func noKeyCanJournalAsTheTelemetry() {
        var r = Rig()
        let before = r.journal.count
        r.send(.intent(.tripLight(name: "Security incident", reason: "  ")))
        #expect(r.journal.count == before, "a blank reason would read as the telemetry's trip")
        #expect(EventBody.lightTrip(LightChange(name: "x", reason: "r")).author(console: "dana") == "dana")
        #expect(EventBody.lightTrip(LightChange(name: "x")).author(console: "dana") == "warroom")
        #expect(EventBody.itemSet(ItemSet(id: "T1", status: .done)).author(console: "dana") == "dana")
    }

    @Test func oldJournalsStillReadAsTheTelemetrysInTheDriversConsole() {
        // Before issue 14 the driving console's person was the actor of the telemetry's trips.
        let old = LightChange(name: "Errors", reason: nil, detail: "7 % (> 5 % for 10 min)")
        #expect(old.attribution(actor: "dana") == "warroom (telemetry, in dana's console)")
        #expect(LightChange(name: "Errors", reason: "pager").attribution(actor: "dana") == "dana")
        #expect(Engine.maskUserInfo("http://prom:9090") == "http://prom:9090")
        #expect(Engine.maskUserInfo("https://a:b@h/x@y") == "https://***@h/x@y")
    }
}
