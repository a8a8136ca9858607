/// SLO gauges: OK / WARN / BREACH / UNKNOWN / STALE over observations (see Conditions.swift for the shared rules).

// MARK: Gauges

public struct SLOSpec: Sendable, Equatable, Codable {
    public var name: String
    public var unit: String?
    /// Outside it: BREACH.
    public var objective: Condition
    /// Inside `objective` but outside `warn`: WARN. Nil: no warning band.
    public var warn: Condition?
    /// How often the source is read; three intervals without a good value make the gauge STALE.
    /// Non-positive values are treated as 1 ms (stale almost at once: a misconfiguration shows grey, never green).
    public var intervalMs: Int64

    public init(name: String, unit: String? = nil, objective: Condition, warn: Condition? = nil, intervalMs: Int64) {
        self.name = name
        self.unit = unit
        self.objective = objective
        self.warn = warn
        self.intervalMs = intervalMs
    }

    /// The verdict for one value, ignoring time: NaN → unknown; fails `objective` → breach; fails `warn` → warn.
    public func status(of x: Double) -> GaugeStatus {
        if x.isNaN { return .unknown }
        if !objective.holds(x) { return .breach }
        if let warn, !warn.holds(x) { return .warn }
        return .ok
    }
}

public enum GaugeStatus: String, Sendable, Codable, CaseIterable {
    case ok, warn, breach, unknown, stale

    /// Only OK is green. WARN is amber, BREACH red, UNKNOWN and STALE grey.
    public var isGreen: Bool { self == .ok }
    /// UNKNOWN and STALE: we cannot say. They are never green and block GO.
    public var isGrey: Bool { self == .unknown || self == .stale }
}

/// A gauge's status change, to journal.
public struct GaugeChange: Sendable, Equatable, Codable {
    public var gauge: String
    public var at: Millis
    public var from: GaugeStatus
    public var to: GaugeStatus
    /// The value shown after the change (the last good value, also while STALE); nil when UNKNOWN or not finite
    /// (JSON cannot carry ±Inf; `reason` still says `+Inf`).
    public var value: Double?
    /// `explanation(now: at)` after the change.
    public var reason: String

    public init(gauge: String, at: Millis, from: GaugeStatus, to: GaugeStatus, value: Double?, reason: String) {
        self.gauge = gauge
        self.at = at
        self.from = from
        self.to = to
        self.value = value
        self.reason = reason
    }
}

/// A gauge as it stood at one moment, for the journal's decision snapshots.
public struct GaugeSnapshot: Sendable, Equatable, Codable {
    public var name: String
    public var status: GaugeStatus
    /// Finite values only (nil when UNKNOWN or ±Inf; `detail` says which).
    public var value: Double?
    public var unit: String?
    public var detail: String

    public init(name: String, status: GaugeStatus, value: Double?, unit: String?, detail: String) {
        self.name = name
        self.status = status
        self.value = value
        self.unit = unit
        self.detail = detail
    }
}

/// One SLO: its latest verdict, the last good value and a bounded history for the sparkline.
///
/// Semantics:
/// - A *good* reading is `.value(x)` with x not NaN (±Inf included: `+Inf` breaches `<= 2`). It replaces the shown
///   value and is appended to the history.
/// - A *bad* reading (`.noData`, `.value(.nan)`, `.failure`, or an alert list sent to a gauge) never erases the last
///   good value and is not added to the history.
/// - Before any good reading the gauge is UNKNOWN, explained by the latest bad reading (`no data`, `NaN`,
///   `error: …`) or `no data yet`.
/// - After a good reading, a bad reading turns the gauge UNKNOWN at once, like its light goes BLIND: a source that
///   is failing never keeps showing the last verdict (issue 14: seconds of OK while the light said BLIND). The
///   explanation keeps the last value and its age: `error: timeout (last 1.84 s, 10 s ago)`.
/// - With no reading at all (the poller stopped delivering), the last value keeps its verdict for three intervals,
///   then the gauge is STALE: `now - lastGoodAt > 3 × intervalMs` (exactly three intervals is still fresh).
/// - The first good reading after STALE makes the gauge fresh again with that value.
public struct Gauge: Sendable {
    public let spec: SLOSpec
    /// The last good value (never NaN).
    public private(set) var last: Double?
    public private(set) var lastGoodAt: Millis?
    /// When the latest reading of any kind arrived.
    public private(set) var lastObservedAt: Millis?
    /// What the latest reading said when it was bad (`no data`, `NaN`, `error: …`); nil when it was good.
    public private(set) var problem: String?
    private var ring: TelemetryRing
    private var reported: GaugeStatus = .unknown

    public init(spec: SLOSpec, historyCapacity: Int = 120) {
        self.spec = spec
        self.ring = TelemetryRing(capacity: historyCapacity)
    }

    /// The good values, oldest first: at most `historyCapacity` (older ones are overwritten in place, so memory is
    /// flat however long the run). ±Inf can appear; NaN never does. Gaps (bad readings) are not recorded.
    public var history: [Double] { ring.ordered }
    public var historyCapacity: Int { ring.capacity }

    private var graceMs: Int64 { telemetryGrace(spec.intervalMs) }

    /// Records one reading taken at `at`. Returns the change when the status (as of `at`) differs from the last one
    /// reported (by `observe` or `tick`); a new value with the same status returns nil.
    public mutating func observe(_ o: Observation, at: Millis) -> GaugeChange? {
        switch o {
        case .value(let x) where !x.isNaN:
            last = x
            lastGoodAt = at
            problem = nil
            ring.append(x)
        case .value: problem = "NaN"
        case .noData: problem = "no data"
        case .failure(let message): problem = "error: \(message)"
        case .alerts: problem = "not a metric (got an alert list)"
        }
        lastObservedAt = at
        return report(at: at)
    }

    /// Re-evaluates the time-driven part (fresh → STALE when readings stop arriving) and returns the change, if any,
    /// once. Call it from the console's tick to journal staleness even when the poller has gone quiet.
    public mutating func tick(now: Millis) -> GaugeChange? { report(at: now) }

    private mutating func report(at: Millis) -> GaugeChange? {
        let to = status(now: at)
        guard to != reported else { return nil }
        let from = reported
        reported = to
        return GaugeChange(gauge: spec.name, at: at, from: from, to: to, value: shownValue(to), reason: explanation(now: at))
    }

    private func shownValue(_ s: GaugeStatus) -> Double? {
        guard s != .unknown, let last, last.isFinite else { return nil }
        return last
    }

    public func status(now: Millis) -> GaugeStatus {
        guard let last, let at = lastGoodAt else { return .unknown }
        if problem != nil { return .unknown } // the latest read was bad: we cannot say
        if telemetrySub(now, at) > graceMs { return .stale }
        return spec.status(of: last)
    }

    /// `1.84 s`; `no data`, `NaN`, `error: connection refused`, `no data yet` (UNKNOWN before any value);
    /// `error: timeout (last 1.84 s, 10 s ago)` (UNKNOWN: the latest read was bad); `stale 42 s (last 1.84 s)`.
    public func explanation(now: Millis) -> String {
        guard let last, let at = lastGoodAt else { return problem ?? "no data yet" }
        let v = formatValue(last, unit: spec.unit)
        let age = telemetrySub(now, at)
        if let problem { return "\(problem) (last \(v), \(DurationText.spoken(age)) ago)" }
        if age > graceMs { return "stale \(DurationText.spoken(age)) (last \(v))" }
        return v
    }

    public func snapshot(now: Millis) -> GaugeSnapshot {
        let s = status(now: now)
        return GaugeSnapshot(name: spec.name, status: s, value: shownValue(s), unit: spec.unit,
                             detail: explanation(now: now))
    }
}
