import Testing
@testable import WarRoomCore

/// The journaled SLO series (`gauge.points`): when a point is due (pure, clock injected), how the run keeps the
/// points, what the driver's engine journals and how much.
@Suite struct GaugeSeriesRule {
    let t0: Millis = 1_795_424_400_000
    func p(_ name: String, _ v: Double?, _ s: GaugeStatus) -> GaugePoint { GaugePoint(name: name, value: v, state: s.rawValue) }

    @Test func oneAMinuteAndAtEveryVerdictChange() {
        var rule = SeriesRule()
        // First call: every gauge with something to say.
        var (next, out) = SeriesRule.reduce(rule, now: t0, gauges: [p("P95", 1.2, .ok), p("Errors", 0.2, .ok)])
        rule = next
        #expect(out.map(\.name) == ["P95", "Errors"])
        // Within the minute, same verdicts: nothing, however the values move.
        for s in 1..<60 {
            (next, out) = SeriesRule.reduce(rule, now: t0 + Millis(s) * 1_000, gauges: [p("P95", 1.2 + Double(s) / 100, .ok), p("Errors", 0.3, .ok)])
            rule = next
            #expect(out.isEmpty, "second \(s)")
        }
        // A verdict change: that gauge alone, at once, with the value that caused it.
        (next, out) = SeriesRule.reduce(rule, now: t0 + 30_500, gauges: [p("P95", 2.4, .breach), p("Errors", 0.3, .ok)])
        rule = next
        #expect(out == [p("P95", 2.4, .breach)])
        (next, out) = SeriesRule.reduce(rule, now: t0 + 31_000, gauges: [p("P95", 2.5, .breach), p("Errors", 0.3, .ok)])
        rule = next
        #expect(out.isEmpty, "still BREACH: no new point")
        // The minute is up (measured from the last regular point, not the change): everyone.
        (next, out) = SeriesRule.reduce(rule, now: t0 + 59_999, gauges: [p("P95", 2.5, .breach), p("Errors", 0.3, .ok)])
        rule = next
        #expect(out.isEmpty)
        (next, out) = SeriesRule.reduce(rule, now: t0 + 60_000, gauges: [p("P95", 2.5, .breach), p("Errors", 0.3, .ok)])
        rule = next
        #expect(out == [p("P95", 2.5, .breach), p("Errors", 0.3, .ok)])
        #expect(rule.lastRegular == t0 + 60_000)
    }

    @Test func aGaugeWithNothingToSayWaitsForItsFirstValue() {
        var rule = SeriesRule(everyMs: 60_000)
        #expect(rule.take(now: t0, gauges: [p("P95", nil, .unknown), p("Errors", 0.1, .ok)]) == [p("Errors", 0.1, .ok)])
        // Its first value is a change (from nothing): pointed at once, not a minute later.
        #expect(rule.take(now: t0 + 2_000, gauges: [p("P95", 0.8, .ok), p("Errors", 0.1, .ok)]) == [p("P95", 0.8, .ok)])
        // Going UNKNOWN or STALE later is a change like any other.
        #expect(rule.take(now: t0 + 9_000, gauges: [p("P95", 0.8, .stale), p("Errors", 0.1, .ok)]) == [p("P95", 0.8, .stale)])
    }

    @Test func theRunKeepsEachGaugesPointsInOrder() throws {
        var run = RunState()
        let points = JournalEvent(seq: 1, time: t0, actor: "dana", body: .gaugePoints(GaugePoints(points: [p("P95", 1, .ok)])))
        #expect(throws: ReduceError.self) { try run.apply(points) }
        #expect(run.lastSeq == 0, "refused before run.started, nothing changed")
        try run.apply(JournalEvent(seq: 1, time: t0, actor: "dana",
                                   body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1))))
        try run.apply(JournalEvent(seq: 2, time: t0 + 60_000, actor: "dana",
                                   body: .gaugePoints(GaugePoints(points: [p("P95", 1.1, .ok), p("Errors", 0.2, .ok)]))))
        try run.apply(JournalEvent(seq: 3, time: t0 + 70_000, actor: "dana",
                                   body: .gaugePoints(GaugePoints(points: [p("P95", 2.6, .breach)]))))
        #expect(run.seriesOrder == ["P95", "Errors"])
        #expect(run.series["P95"] == [SeriesPoint(time: t0 + 60_000, value: 1.1, state: "ok"),
                                      SeriesPoint(time: t0 + 70_000, value: 2.6, state: "breach")])
        #expect(run.series["Errors"]?.count == 1)
        #expect(EventBody.gaugePoints(GaugePoints(points: [])).isDriverOnly)
    }
}

/// The driver's engine journals the points; followers never do; and the journal grows by about one line a minute.
@Suite struct GaugeSeriesJournaling {
    static let t0: Millis = 1_795_424_400_000

    /// A driver with `n` SLOs on one source polled every `pollMs`.
    static func engine(slos n: Int, pollMs: Millis, role: Role = .driver) -> Engine {
        let checklist = ChecklistParser.parse("# Go-live\n\n## Pre-flight\n- [ ] T1 Backups verified\n", path: "c.md")
        let config = RunConfig(path: "/srv/warroom.yaml", service: "checkout", checklist: "c.md",
                               plan: RampPlan(steps: [RampStep(percent: 100)], holdMs: 0, hasApply: false, hasRollbackHook: false),
                               sources: [SourceConfig(name: "prom", kind: .prometheus(url: "http://127.0.0.1:9090"), intervalMs: pollMs)],
                               slos: (1...n).map { SLOConfig(name: "SLO \($0)", source: "prom", query: "q\($0)", unit: "s",
                                                             objective: Condition(.le, 2), warn: Condition(.le, 1.5)) })
        var run = RunState()
        try? run.apply(JournalEvent(seq: 1, time: t0 - 1_000, actor: "dana",
                                    body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1))))
        return Engine(config: config, session: Session(actor: "dana", role: role, stateDir: "/srv/.warroom"), checklist: checklist,
                      run: run, now: t0)
    }

    /// Plays `seconds` of 1 s polls through the engine (each append acknowledged at once); returns the journaled bodies.
    static func play(_ e: inout Engine, seconds: Int, value: (Int, Int) -> Double) -> [EventBody] {
        var journaled: [EventBody] = []
        var seq = e.run.lastSeq
        func run(_ cmds: [Command], _ e: inout Engine) {
            for case .append(let id, let body) in cmds {
                journaled.append(body)
                seq += 1
                run(e.reduce(.appended(id: id, JournalEvent(seq: seq, time: e.now, actor: "dana", body: body))), &e)
            }
        }
        let names = e.config.slos.map(\.name)
        for s in 0..<seconds {
            let t = t0 + Millis(s) * 1_000
            run(e.reduce(.tick(t)), &e)
            for (k, name) in names.enumerated() {
                run(e.reduce(.reading(ProbeReading(probe: .slo(name), source: "prom", time: t, observation: .value(value(s, k))))), &e)
            }
        }
        return journaled
    }

    @Test func theDriverJournalsAPointAMinuteAndEachChange() {
        var e = Self.engine(slos: 2, pollMs: 1_000)
        // SLO 1 breaches from 00:02:30 to 00:03:10; SLO 2 stays fine.
        let bodies = Self.play(&e, seconds: 300) { s, k in k == 0 && (150..<190).contains(s) ? 2.5 : 0.5 }
        let points = bodies.compactMap { if case .gaugePoints(let g) = $0 { g.points } else { nil } }
        // Minutes 0–4 (both gauges) + the breach and the recovery (SLO 1 alone).
        #expect(points.count == 7, "\(points)")
        #expect(points.filter { $0.count == 2 }.count == 5)
        #expect(points.contains([GaugePoint(name: "SLO 1", value: 2.5, state: "breach")]))
        #expect(points.contains([GaugePoint(name: "SLO 1", value: 0.5, state: "ok")]))
        #expect(e.run.series["SLO 1"]?.count == 7 && e.run.series["SLO 2"]?.count == 5, "acknowledged into the run")
    }

    @Test func followersNeverJournalPoints() {
        var e = Self.engine(slos: 2, pollMs: 1_000, role: .follower(driver: "dana"))
        let bodies = Self.play(&e, seconds: 120) { _, _ in 0.5 }
        #expect(bodies.isEmpty)
    }

    /// The figure the README states: 5 SLOs polled every second, an hour with a verdict change every 10 minutes.
    @Test func journalGrowthForFiveGaugesAtOneSecond() {
        var e = Self.engine(slos: 5, pollMs: 1_000)
        // Each gauge goes to WARN for a minute once every 10 minutes (staggered): 6 × 2 changes an hour per gauge.
        let bodies = Self.play(&e, seconds: 3_600) { s, k in (s + k * 120) % 600 < 60 ? 1.8 : 0.5 }
        let pointEvents = bodies.filter { if case .gaugePoints = $0 { true } else { false } }.count
        let verdicts = bodies.filter { if case .verdictChange = $0 { true } else { false } }.count
        print("gauge.points: \(pointEvents) events/hour (5 SLOs, 1 s poll, \(verdicts) verdict changes/hour); polls: \(5 * 3_600)")
        // 60 a minute + one per change (5 gauges × ~12 changes), against 18 000 polls.
        #expect(pointEvents >= 60 && pointEvents <= 60 + verdicts + 1, "\(pointEvents) for \(verdicts) changes")
        #expect(verdicts >= 60 && verdicts <= 66, "5 first readings + 5 gauges × 12 changes")
    }
}
