import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomTelemetry
import WarRoomUI

/// The driving console's live telemetry: the poller's samples become gauge and light readings (the Core's pure
/// models), their verdict changes become journal events, and the screen gets a `TelemetryView`.
/// Only the console's loop thread touches it; the poller hands samples over through the inbox.
final class Live {
    private(set) var gauges: [String: Gauge] = [:]
    private(set) var monitors: [String: LightMonitor] = [:]
    let sloOrder: [String]
    let lightOrder: [String]
    let units: [String: String]
    let objectives: [String: String]
    private(set) var poller: Poller?
    /// Source errors by source name, for the SLO pane's title and the log.
    private(set) var sourceErrors: [String: String] = [:]

    static func probeID(slo name: String) -> String { "slo/" + name }
    static func probeID(light name: String) -> String { "light/" + name }

    /// Builds the models for every bound SLO and light, restores lights tripped before a restart from the journal,
    /// and (with `deliver`) the poller. Throws when a source's token cannot be read.
    init(config: RunConfig, run: RunState, now: Millis, environment: [String: String],
         deliver: (@Sendable (Sample) -> Void)?) throws(Failure) {
        var units: [String: String] = [:]
        var objectives: [String: String] = [:]
        let intervals = Dictionary(config.sources.map { ($0.name, $0.intervalMs) }, uniquingKeysWith: { a, _ in a })
        var probes: [Probe] = []
        for s in config.slos {
            objectives[s.name] = s.objective.description(unit: s.unit)
            if let u = s.unit { units[s.name] = u }
            guard let source = s.source else { continue }
            gauges[s.name] = Gauge(spec: SLOSpec(name: s.name, unit: s.unit, objective: s.objective, warn: s.warn,
                                                 intervalMs: intervals[source] ?? 5_000))
            probes.append(Probe(id: Self.probeID(slo: s.name), source: source, query: s.query, pick: s.pick))
        }
        for l in config.lights {
            guard let source = l.source else { continue }
            let kind: LightKind = l.match != nil ? .alerts : .metric(l.trip ?? Condition(.gt, .infinity), forMs: l.forMs)
            var m = LightMonitor(spec: LightSpec(name: l.name, kind: kind, auto: l.auto, intervalMs: intervals[source] ?? 5_000),
                                 startedAt: now)
            if let t = run.tripped[l.name] { m.restoreTripped(since: t.since, detail: t.detail ?? "tripped before a restart") }
            monitors[l.name] = m
            probes.append(Probe(id: Self.probeID(light: l.name), source: source, query: l.query, match: l.match, pick: l.pick))
        }
        sloOrder = config.slos.map(\.name)
        lightOrder = config.lights.map(\.name)
        self.units = units
        self.objectives = objectives
        guard let deliver, !probes.isEmpty else { return }
        var specs: [SourceSpec] = []
        for s in config.sources {
            var token: String?
            if let e = s.tokenEnv {
                guard let v = environment[e], !v.isEmpty else { throw Failure("source \(s.name): environment variable \(e) is not set (token_env)") }
                token = v
            } else if let f = s.tokenFile {
                guard let data = FileManager.default.contents(atPath: f) else { throw Failure("source \(s.name): cannot read token_file \(f)") }
                token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            specs.append(SourceSpec(name: s.name, kind: s.kind, intervalMs: s.intervalMs, timeoutMs: s.timeoutMs, token: token))
        }
        poller = Poller(sources: specs, probes: probes, clock: { Clock.now() }, deliver: deliver)
    }

    func start() { poller?.start() }
    func stop() { poller?.stop() }

    /// What happened that the journal (and perhaps an automatic rollback) must hear about.
    struct Outcome {
        var events: [EventBody] = []
        /// Lights whose fresh trip asks for an automatic rollback.
        var autoRollback: [String] = []
    }

    func take(_ sample: Sample, now: Millis) -> Outcome {
        var out = Outcome()
        if case .failure(let why) = sample.reading { sourceErrors[sample.source] = why } else { sourceErrors[sample.source] = nil }
        let o = sample.reading.observation
        if sample.probe.hasPrefix("slo/") {
            let name = String(sample.probe.dropFirst(4))
            if let change = gauges[name]?.observe(o, at: sample.time) { out.events.append(event(change)) }
        } else if sample.probe.hasPrefix("light/") {
            let name = String(sample.probe.dropFirst(6))
            if let t = monitors[name]?.observe(o, at: sample.time) { record(t, into: &out) }
        }
        return out
    }

    /// Staleness and blindness that come from silence rather than a reading.
    func tick(now: Millis) -> Outcome {
        var out = Outcome()
        for name in sloOrder {
            if let change = gauges[name]?.tick(now: now) { out.events.append(event(change)) }
        }
        for name in lightOrder {
            if let t = monitors[name]?.tick(now: now) { record(t, into: &out) }
        }
        return out
    }

    /// An operator cleared a tripped light: a bound one starts watching afresh.
    func acknowledge(_ name: String, at: Millis, reason: String) {
        _ = monitors[name]?.acknowledge(at: at, reason: reason)
    }

    func event(_ c: GaugeChange) -> EventBody {
        .verdictChange(VerdictChange(subject: "slo", name: c.gauge, from: c.from.rawValue, to: c.to.rawValue, detail: c.reason))
    }

    func record(_ t: LightTransition, into out: inout Outcome) {
        switch t.kind {
        case .tripped:
            out.events.append(.lightTrip(LightChange(name: t.light, reason: nil, detail: t.detail)))
            if t.autoRollback { out.autoRollback.append(t.light) }
        case .acknowledged:
            break // journaled by the operator's light.clear
        default:
            out.events.append(.verdictChange(VerdictChange(subject: "light", name: t.light, from: t.from.state, to: t.to.state,
                                                           detail: t.detail)))
        }
    }

    func view(now: Millis) -> TelemetryView {
        var g: [TelemetryView.Gauge] = []
        for name in sloOrder {
            guard let gauge = gauges[name] else {
                g.append(TelemetryView.Gauge(name: name, status: "unbound", value: "", objective: objectives[name] ?? "",
                                             detail: "no query: shown, not gated", history: []))
                continue
            }
            let status = gauge.status(now: now)
            let value = gauge.last.map { formatValue($0, unit: gauge.spec.unit) } ?? ""
            g.append(TelemetryView.Gauge(name: name, status: status.rawValue, value: status == .unknown ? "" : value,
                                         objective: objectives[name] ?? "", detail: gauge.explanation(now: now),
                                         history: gauge.history,
                                         scale: gauge.spec.objective.value.isFinite ? gauge.spec.objective.value : nil))
        }
        var l: [TelemetryView.Light] = []
        for name in lightOrder {
            guard let m = monitors[name] else { continue }
            let snap = m.snapshot(now: now)
            l.append(TelemetryView.Light(name: name, status: snap.state, detail: snap.detail,
                                         tripsAt: snap.countdownMs.map { now + $0 }))
        }
        return TelemetryView(gauges: g, lights: l, sourceErrors: sourceErrors.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" })
    }
}
