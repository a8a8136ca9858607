/// The driver's live telemetry: readings become gauge and light verdicts (the pure models in Telemetry.swift),
/// their changes become journal events, and the screen gets a `TelemetryView`. Part of the engine's state.
public struct LiveTelemetry: Sendable {
    public private(set) var gauges: [String: Gauge] = [:]
    public private(set) var monitors: [String: LightMonitor] = [:]
    let sloOrder: [String]
    let lightOrder: [String]
    let objectives: [String: String]
    /// Source errors by source name, for the SLO pane's title and the log.
    public private(set) var sourceErrors: [String: String] = [:]
    /// When each gauge's next point is journaled (`gauge.points`): once a minute and at every verdict change.
    public private(set) var series = SeriesRule()

    /// Models for every bound SLO and light; lights tripped before a restart are restored from the journal.
    public init(config: RunConfig, run: RunState, now: Millis) {
        var objectives: [String: String] = [:]
        let intervals = Dictionary(config.sources.map { ($0.name, $0.intervalMs) }, uniquingKeysWith: { a, _ in a })
        for s in config.slos {
            objectives[s.name] = s.objective.description(unit: s.unit)
            guard let source = s.source else { continue }
            gauges[s.name] = Gauge(spec: SLOSpec(name: s.name, unit: s.unit, objective: s.objective, warn: s.warn,
                                                 intervalMs: intervals[source] ?? 5_000))
        }
        for l in config.lights {
            guard let source = l.source else { continue }
            let kind: LightKind = l.match != nil ? .alerts : .metric(l.trip ?? Condition(.gt, .infinity), forMs: l.forMs)
            var m = LightMonitor(spec: LightSpec(name: l.name, kind: kind, auto: l.auto, intervalMs: intervals[source] ?? 5_000,
                                                 unit: l.unit),
                                 startedAt: now)
            if let t = run.tripped[l.name] { m.restoreTripped(since: t.since, detail: t.detail ?? "tripped before a restart") }
            monitors[l.name] = m
        }
        sloOrder = config.slos.map(\.name)
        lightOrder = config.lights.map(\.name)
        self.objectives = objectives
    }

    /// What happened that the journal (and perhaps an automatic rollback) must hear about.
    public struct Outcome: Sendable, Equatable {
        public var events: [EventBody] = []
        /// Lights whose fresh trip asks for an automatic rollback.
        public var autoRollback: [String] = []
    }

    /// `console`: the driving console's person, named in the telemetry's trips (whose actor is `warroom`).
    mutating func take(_ r: ProbeReading, console: String) -> Outcome {
        var out = Outcome()
        if case .failure(let why) = r.observation { sourceErrors[r.source] = why } else { sourceErrors[r.source] = nil }
        switch r.probe {
        case .slo(let name):
            if let change = gauges[name]?.observe(r.observation, at: r.time) { out.events.append(Self.event(change)) }
        case .light(let name):
            if let t = monitors[name]?.observe(r.observation, at: r.time) {
                var value: Double?
                if case .value(let x) = r.observation { value = x }
                Self.record(t, source: r.source, value: value, console: console, into: &out)
            }
        }
        return out
    }

    /// Staleness and blindness that come from silence rather than a reading.
    mutating func tick(now: Millis) -> Outcome {
        var out = Outcome()
        for name in sloOrder {
            if let change = gauges[name]?.tick(now: now) { out.events.append(Self.event(change)) }
        }
        for name in lightOrder {
            if let t = monitors[name]?.tick(now: now) { Self.record(t, source: nil, value: nil, console: nil, into: &out) }
        }
        samplePoints(now: now, into: &out)
        return out
    }

    /// The gauges' points the series rule says are due now, as one `gauge.points` event. Taken on the clock's tick
    /// (every second), so a change's point follows its `verdict.change` within the second, and the points of one
    /// moment share one journal line.
    mutating func samplePoints(now: Millis, into out: inout Outcome) {
        let points = sloOrder.compactMap { gauges[$0]?.point(now: now) }
        guard !points.isEmpty else { return }
        let due = series.take(now: now, gauges: points)
        if !due.isEmpty { out.events.append(.gaugePoints(GaugePoints(points: due))) }
    }

    /// An operator cleared a tripped light: a bound one starts watching afresh.
    mutating func acknowledge(_ name: String, at: Millis, reason: String) {
        _ = monitors[name]?.acknowledge(at: at, reason: reason)
    }

    static func event(_ c: GaugeChange) -> EventBody {
        .verdictChange(VerdictChange(subject: "slo", name: c.gauge, from: c.from.rawValue, to: c.to.rawValue, detail: c.reason))
    }

    static func record(_ t: LightTransition, source: String?, value: Double?, console: String?, into out: inout Outcome) {
        switch t.kind {
        case .tripped:
            out.events.append(.lightTrip(LightChange(name: t.light, reason: nil, detail: t.detail, source: source, value: value,
                                                     console: console)))
            if t.autoRollback { out.autoRollback.append(t.light) }
        case .acknowledged:
            break // journaled by the operator's light.clear
        default:
            out.events.append(.verdictChange(VerdictChange(subject: "light", name: t.light, from: t.from.state, to: t.to.state,
                                                           detail: t.detail)))
        }
    }

    public func view(now: Millis) -> TelemetryView {
        var g: [TelemetryView.Gauge] = []
        for name in sloOrder {
            guard let gauge = gauges[name] else {
                g.append(TelemetryView.Gauge(name: name, status: .unbound, value: "", objective: objectives[name] ?? "",
                                             detail: "no query: shown, not gated", history: []))
                continue
            }
            let status = gauge.status(now: now)
            let value = gauge.last.map { formatValue($0, unit: gauge.spec.unit) } ?? ""
            g.append(TelemetryView.Gauge(name: name, status: SignalState(status), value: status == .unknown ? "" : value,
                                         objective: objectives[name] ?? "", detail: gauge.explanation(now: now),
                                         history: gauge.history,
                                         scale: gauge.spec.objective.value.isFinite ? gauge.spec.objective.value : nil,
                                         number: gauge.last, lastGoodAt: gauge.lastGoodAt, lastReadAt: gauge.lastObservedAt,
                                         problem: gauge.problem))
        }
        var l: [TelemetryView.Light] = []
        for name in lightOrder {
            guard let m = monitors[name] else { continue }
            let snap = m.snapshot(now: now)
            var alerts: [AlertSummary]?
            if case .alerts = m.spec.kind { alerts = m.firing }
            l.append(TelemetryView.Light(name: name, status: SignalState(rawValue: snap.state) ?? .unknown, detail: snap.detail,
                                         tripsAt: snap.countdownMs.map { now + $0 }, since: snap.since, number: m.lastValue,
                                         lastGoodAt: m.lastGoodAt, lastReadAt: m.lastObservedAt,
                                         problem: m.blindReason(now: now), alerts: alerts))
        }
        return TelemetryView(gauges: g, lights: l,
                             sourceErrors: sourceErrors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" })
    }
}
