/// The state of one gauge or light as the console, the gates and the journal's snapshots name it. The raw values are
/// the words the journal has always used (`"ok"`, `"tripped"`, …).
public enum SignalState: String, Sendable, Equatable, Codable, CaseIterable {
    // Gauges (SLOs).
    case ok, warn, breach, unknown, stale
    /// An SLO with no query (derived from a checklist's text): shown, never gated on.
    case unbound
    // Lights (rollback criteria); `ok` is shared.
    case watch, tripped, blind

    public init(_ g: GaugeStatus) {
        switch g {
        case .ok: self = .ok
        case .warn: self = .warn
        case .breach: self = .breach
        case .unknown: self = .unknown
        case .stale: self = .stale
        }
    }

    public init(_ l: LightStatus) {
        switch l {
        case .ok: self = .ok
        case .watch: self = .watch
        case .tripped: self = .tripped
        case .blind: self = .blind
        }
    }

    public var label: String { rawValue.uppercased() }
}

/// Live telemetry as the console shows it (and as the driver publishes it for followers): built by the engine from
/// its gauges and light monitors, or received from the driver.
public struct TelemetryView: Sendable, Equatable, Codable {
    public struct Gauge: Sendable, Equatable, Codable {
        public var name: String
        public var status: SignalState
        public var value: String
        public var objective: String
        public var detail: String
        public var history: [Double]
        /// The sparkline's top: the objective's threshold, so healthy noise stays low.
        public var scale: Double?
        /// For the detail view (absent in views from older drivers and in replays): the last good value (finite),
        /// when it and the latest reading of any kind were taken, and what the latest reading said when it was bad.
        public var number: Double?
        public var lastGoodAt: Millis?
        public var lastReadAt: Millis?
        public var problem: String?

        public init(name: String, status: SignalState, value: String, objective: String, detail: String,
                    history: [Double], scale: Double? = nil, number: Double? = nil, lastGoodAt: Millis? = nil,
                    lastReadAt: Millis? = nil, problem: String? = nil) {
            self.name = name
            self.status = status
            self.value = value
            self.objective = objective
            self.detail = detail
            self.history = history
            self.scale = scale
            self.number = number.flatMap { $0.isFinite ? $0 : nil }
            self.lastGoodAt = lastGoodAt
            self.lastReadAt = lastReadAt
            self.problem = problem
        }

        public var green: Bool { status == .ok }
    }

    public struct Light: Sendable, Equatable, Codable {
        public var name: String
        public var status: SignalState
        public var detail: String
        /// While watching: when it trips if the condition keeps holding.
        public var tripsAt: Millis?
        /// For the detail view (absent in views from older drivers and in replays): since when it is in its state
        /// (the `for` window's start while watching), the last good value (finite), when it and the latest reading
        /// were taken, why it cannot see (also while tripped), and an alert light's firing alerts.
        public var since: Millis?
        public var number: Double?
        public var lastGoodAt: Millis?
        public var lastReadAt: Millis?
        public var problem: String?
        public var alerts: [AlertSummary]?

        public init(name: String, status: SignalState, detail: String, tripsAt: Millis? = nil, since: Millis? = nil,
                    number: Double? = nil, lastGoodAt: Millis? = nil, lastReadAt: Millis? = nil, problem: String? = nil,
                    alerts: [AlertSummary]? = nil) {
            self.name = name
            self.status = status
            self.detail = detail
            self.tripsAt = tripsAt
            self.since = since
            self.number = number.flatMap { $0.isFinite ? $0 : nil }
            self.lastGoodAt = lastGoodAt
            self.lastReadAt = lastReadAt
            self.problem = problem
            self.alerts = alerts
        }
    }

    public var gauges: [Gauge]
    public var lights: [Light]
    public var sourceErrors: [String]

    public init(gauges: [Gauge] = [], lights: [Light] = [], sourceErrors: [String] = []) {
        self.gauges = gauges
        self.lights = lights
        self.sourceErrors = sourceErrors
    }

    /// What a follower shows once the driver has been silent for a while: what it last saw is no longer live, so
    /// nothing shows green (gauges go STALE, untripped lights BLIND).
    public func silenced(ageMs: Millis) -> TelemetryView {
        let silent = "driver silent \(DurationText.clockish(ageMs))"
        var t = self
        t.gauges = gauges.map { g in
            var g = g
            if g.status != .unbound { g.status = .stale; g.detail = silent }
            return g
        }
        t.lights = lights.map { l in
            var l = l
            if l.status != .tripped { l.status = .blind; l.detail = silent }
            return l
        }
        return t
    }

    /// A replay has no live gauges: the SLO and ROLLBACK panes show what the latest ramp decision recorded (its
    /// gauge and light snapshots), with lights cleared in the journal since then shown cleared. Before the first
    /// decision: nothing (the panes say unknown / waiting).
    public static func recorded(in run: RunState) -> TelemetryView {
        guard let d = run.decisions.last else { return TelemetryView().withJournaledSeries(run, snapshotAt: nil) }
        let when = "as recorded with \(d.kind.label) (seq \(d.seq), \(Timestamp.hms(d.time)))"
        let gauges = d.decision.gauges.map { g in
            Gauge(name: g.name, status: SignalState(rawValue: g.state) ?? .unknown, value: g.detail ?? "", objective: "",
                  detail: "\(g.detail.map { "\($0) " } ?? "")\(when)", history: [])
        }
        let lights = d.decision.lights.map { l -> Light in
            var status = SignalState(rawValue: l.state) ?? .unknown
            var detail = l.detail ?? ""
            if status == .tripped, run.tripped[l.name] == nil,
               run.lightHistory.contains(where: { !$0.trip && $0.change.name == l.name && $0.seq > d.seq }) {
                status = .ok
                detail = "cleared since"
            }
            return Light(name: l.name, status: status, detail: detail)
        }
        return TelemetryView(gauges: gauges, lights: lights).withJournaledSeries(run, snapshotAt: d.time)
    }
}
