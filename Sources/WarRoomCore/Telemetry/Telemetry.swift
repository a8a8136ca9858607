/// Telemetry verdicts: SLO gauges and rollback lights, as pure state machines over `Observation`s.
///
/// The poller (WarRoomTelemetry) maps each reading to an `Observation` and hands it, with the time it was taken,
/// to a `Gauge` or a `LightMonitor`. Both return a change record when their verdict changes, for the caller to
/// journal; both answer `status(now:)` for the console without side effects. Time is always passed in.
///
/// Shared rule: a source's readings are expected every `intervalMs`; the *grace* is three intervals. A gauge whose
/// last good value is older than the grace is STALE; a light with no reading at all for longer than the grace is
/// BLIND. Callers that want those time-driven changes journaled call `tick(now:)` (the console's one-second tick);
/// `status(now:)` always shows them regardless.

// MARK: Conditions

public enum Comparison: String, Sendable, Codable, CaseIterable {
    case lt = "<", le = "<=", gt = ">", ge = ">=", eq = "==", ne = "!="
}

/// A threshold such as `<= 2` or `> 5`, compared against a metric in the metric's own unit.
public struct Condition: Sendable, Equatable, Codable, CustomStringConvertible {
    public var op: Comparison
    public var value: Double

    public init(_ op: Comparison, _ value: Double) {
        self.op = op
        self.value = value
    }

    /// Parses `<op> <number> [unit]`.
    ///
    /// - Operators: `<`, `<=`, `>`, `>=`, `==`, `!=` (also `≤`, `≥`, `≠`). A bare `=` or a missing operator is
    ///   rejected: a threshold must say which way it goes.
    /// - Number: decimal, optional sign, optional fraction and exponent (`2`, `-1`, `.5`, `99.9`, `1e-3`). `nan`,
    ///   `inf`, hex and anything that overflows to infinity are rejected.
    /// - Whitespace around the operator and the number is optional.
    /// - A trailing unit is accepted only when it cannot change the meaning: it must equal `unit` (the metric's unit,
    ///   e.g. `<= 2 s` for unit `s`), or, when no unit is given, be `%` (so `> 5%` reads as `> 5` against a metric
    ///   expressed in percent). Any other trailing text is rejected rather than ignored, so `<= 2000 ms` can never be
    ///   silently compared against a metric in seconds.
    public static func parse(_ text: String, unit: String? = nil) -> Condition? {
        let s = Array(text.unicodeScalars)
        var i = 0
        func skipSpace() { while i < s.count, s[i] == " " || s[i] == "\t" { i += 1 } }
        func at(_ k: Int) -> Unicode.Scalar? { k < s.count ? s[k] : nil }
        skipSpace()
        guard let c0 = at(i) else { return nil }
        let op: Comparison
        switch (c0, at(i + 1)) {
        case ("<", "="): op = .le; i += 2
        case (">", "="): op = .ge; i += 2
        case ("=", "="): op = .eq; i += 2
        case ("!", "="): op = .ne; i += 2
        case ("<", _): op = .lt; i += 1
        case (">", _): op = .gt; i += 1
        case ("≤", _): op = .le; i += 1
        case ("≥", _): op = .ge; i += 1
        case ("≠", _): op = .ne; i += 1
        default: return nil
        }
        skipSpace()
        let start = i
        func isDigit(_ c: Unicode.Scalar?) -> Bool { c.map { $0 >= "0" && $0 <= "9" } ?? false }
        if at(i) == "+" || at(i) == "-" { i += 1 }
        var mantissaDigits = 0
        while isDigit(at(i)) { i += 1; mantissaDigits += 1 }
        if at(i) == "." {
            i += 1
            while isDigit(at(i)) { i += 1; mantissaDigits += 1 }
        }
        guard mantissaDigits > 0 else { return nil }
        if at(i) == "e" || at(i) == "E" {
            var j = i + 1
            if at(j) == "+" || at(j) == "-" { j += 1 }
            if isDigit(at(j)) {
                while isDigit(at(j)) { j += 1 }
                i = j
            }
        }
        var number = ""
        number.unicodeScalars.append(contentsOf: s[start..<i])
        guard let v = Double(number), v.isFinite else { return nil }
        skipSpace()
        var rest = ""
        rest.unicodeScalars.append(contentsOf: s[i...])
        while let last = rest.unicodeScalars.last, last == " " || last == "\t" { rest.unicodeScalars.removeLast() }
        if !rest.isEmpty {
            if let unit {
                guard rest == unit else { return nil }
            } else {
                guard rest == "%" else { return nil }
            }
        }
        return Condition(op, v)
    }

    /// Exact IEEE comparison (`==`/`!=` compare exactly). NaN never holds, on either side, for any operator
    /// (not even `!=`). Infinities compare normally: `+Inf` fails `<= 2` and holds `> 5`.
    public func holds(_ x: Double) -> Bool {
        guard !x.isNaN, !value.isNaN else { return false }
        switch op {
        case .lt: return x < value
        case .le: return x <= value
        case .gt: return x > value
        case .ge: return x >= value
        case .eq: return x == value
        case .ne: return x != value
        }
    }

    /// `<= 2`, `< 0.1`, `>= 99.9`: parses back to the same condition.
    public var description: String { "\(op.rawValue) \(plainNumber(value))" }

    /// `> 5 %` when a unit is given, else `description`.
    public func description(unit: String?) -> String {
        guard let unit, !unit.isEmpty else { return description }
        return "\(description) \(unit)"
    }
}

// MARK: Observations

/// One firing alert as Alertmanager reported it.
public struct AlertSummary: Sendable, Equatable, Codable {
    public var name: String
    public var summary: String?
    /// Stable identity of this firing (e.g. sorted labels + startsAt); acknowledgements are remembered by it.
    public var fingerprint: String

    public init(name: String, summary: String? = nil, fingerprint: String) {
        self.name = name
        self.summary = summary
        self.fingerprint = fingerprint
    }
}

/// What a poll produced, in core terms (the telemetry layer maps its readings to this).
public enum Observation: Sendable, Equatable {
    /// A number (NaN counts as "no usable value"; ±Inf is a value and compares normally).
    case value(Double)
    /// The query answered but returned nothing (an empty vector).
    case noData
    /// The read failed: connection refused, timeout, bad response. The text is shown to the operator.
    case failure(String)
    /// The matching alerts currently firing (empty: none).
    case alerts([AlertSummary])
}

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
/// - After a good reading, bad readings do *not* turn the gauge grey at once: the last good value keeps its verdict
///   for three intervals (the explanation says the latest read failed: `1.84 s (error: timeout)`), then the gauge is
///   STALE with the value's age. Why: a single failed scrape should not flip the board grey and journal two
///   transitions; three intervals is exactly the tolerance the spec gives a value before calling it stale, and the
///   staleness applies identically whether the reads fail or the poller stops delivering.
/// - STALE means `now - lastGoodAt > 3 × intervalMs` (exactly three intervals is still fresh).
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
        if telemetrySub(now, at) > graceMs { return .stale }
        return spec.status(of: last)
    }

    /// `1.84 s`; `1.84 s (error: timeout)` (fresh value, latest read bad); `no data`, `NaN`, `error: connection
    /// refused`, `no data yet` (UNKNOWN); `stale 42 s (last 1.84 s)`, with `; error: …` when reads are failing.
    public func explanation(now: Millis) -> String {
        guard let last, let at = lastGoodAt else { return problem ?? "no data yet" }
        let v = formatValue(last, unit: spec.unit)
        let age = telemetrySub(now, at)
        if age > graceMs {
            return "stale \(DurationText.spoken(age)) (last \(v)\(problem.map { "; \($0)" } ?? ""))"
        }
        if let problem { return "\(v) (\(problem))" }
        return v
    }

    public func snapshot(now: Millis) -> GaugeSnapshot {
        let s = status(now: now)
        return GaugeSnapshot(name: spec.name, status: s, value: shownValue(s), unit: spec.unit,
                             detail: explanation(now: now))
    }
}

// MARK: Rollback lights

public enum LightKind: Sendable, Equatable, Codable {
    /// Trips when `condition` holds continuously for `forMs` (0: on the first reading that holds).
    case metric(Condition, forMs: Int64)
    /// Trips while a matching Alertmanager alert fires (the matching itself is the poller's).
    case alerts
}

public struct LightSpec: Sendable, Equatable, Codable {
    public var name: String
    public var kind: LightKind
    /// Roll back without asking when it trips. Only a fresh trip (`LightTransition.autoRollback`) does so.
    public var auto: Bool
    /// How often the source is read; no reading at all for three intervals makes the light BLIND.
    /// Non-positive values are treated as 1 ms (blind almost at once: a misconfiguration never shows OK).
    public var intervalMs: Int64
    /// The metric's unit, for details (`5.3 % (> 5 % for 10 min)`). Not used for comparison.
    public var unit: String?

    public init(name: String, kind: LightKind, auto: Bool = false, intervalMs: Int64, unit: String? = nil) {
        self.name = name
        self.kind = kind
        self.auto = auto
        self.intervalMs = intervalMs
        self.unit = unit
    }
}

public enum LightStatus: Sendable, Equatable, Codable {
    case ok
    /// The condition holds (since the first reading that held it); not yet for `for`.
    case watch(since: Millis)
    /// Latched until acknowledged.
    case tripped(since: Millis, detail: String)
    /// No usable reading: the light can neither trip nor clear.
    case blind(since: Millis, reason: String)

    public var isTripped: Bool { if case .tripped = self { true } else { false } }

    /// `ok`, `watch`, `tripped`, `blind`.
    public var state: String {
        switch self {
        case .ok: "ok"
        case .watch: "watch"
        case .tripped: "tripped"
        case .blind: "blind"
        }
    }
}

/// A light's verdict change, to journal.
public struct LightTransition: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// OK (or a restarted window) → WATCH.
        case watch
        /// → TRIPPED. The only kind that can trigger an automatic rollback.
        case tripped
        /// WATCH → OK: the condition stopped holding before `for`.
        case cleared
        /// → BLIND (from OK or WATCH; a tripped light stays tripped).
        case blind
        /// BLIND → OK or WATCH.
        case sighted
        /// TRIPPED → whatever the readings say now, by an operator, with a reason.
        case acknowledged
    }

    public var light: String
    public var kind: Kind
    public var at: Millis
    public var from: LightStatus
    public var to: LightStatus
    /// One line for the journal and the event log.
    public var detail: String
    /// True only for a fresh trip of a light whose spec says `auto: true`.
    public var autoRollback: Bool
    /// Alert lights: the new alerts that tripped it (`tripped`) or the alerts acknowledged (`acknowledged`);
    /// journal these so `restoreAcknowledged` can rebuild the monitor after a restart.
    public var fingerprints: [String]
    /// The operator's reason (`acknowledged` only).
    public var reason: String?

    public init(light: String, kind: Kind, at: Millis, from: LightStatus, to: LightStatus, detail: String,
                autoRollback: Bool = false, fingerprints: [String] = [], reason: String? = nil) {
        self.light = light
        self.kind = kind
        self.at = at
        self.from = from
        self.to = to
        self.detail = detail
        self.autoRollback = autoRollback
        self.fingerprints = fingerprints
        self.reason = reason
    }
}

/// A light as it stood at one moment, for the journal's decision snapshots.
public struct LightSnapshot: Sendable, Equatable, Codable {
    public var name: String
    /// `ok`, `watch`, `tripped`, `blind`.
    public var state: String
    public var detail: String
    public var since: Millis?
    /// While WATCH: milliseconds until it can trip.
    public var countdownMs: Int64?
    public var auto: Bool

    public init(name: String, state: String, detail: String, since: Millis?, countdownMs: Int64?, auto: Bool) {
        self.name = name
        self.state = state
        self.detail = detail
        self.since = since
        self.countdownMs = countdownMs
        self.auto = auto
    }
}

/// One rollback criterion bound to telemetry.
///
/// Semantics (metric lights, `condition` + `for`):
/// - A good reading (a non-NaN value) that holds the condition starts the window (WATCH since that reading's time)
///   or continues it. A reading that does not hold it ends the window (WATCH → OK: `cleared`).
/// - WATCH → TRIPPED only on a reading that holds the condition at or after `since + for` (`>=`: exactly `for`
///   trips). There is no trip on a clock tick alone: deciding that the condition still holds without a reading
///   would not be honest. `countdownMs` reaches 0 and stays there until the next reading decides.
/// - A bad reading (`.noData`, NaN, `.failure`, an alert list) makes the light BLIND at once (from OK as from
///   WATCH: never a silent OK). No reading at all for more than three intervals also shows BLIND (`status(now:)`,
///   journaled via `tick(now:)`). BLIND neither trips nor clears anything.
/// - Blind gap during WATCH: when a good reading returns and still holds the condition, the window continues from
///   its original start if the gap since the previous good reading is at most three intervals (a flaky source must
///   not be able to postpone a rollback forever), and can trip on that very reading; after a longer gap the window
///   restarts at the returning reading (we cannot claim the condition held through it). A returning reading that
///   does not hold the condition ends the window.
///
/// Alert lights: `.alerts([])` is OK; a list with an alert whose fingerprint has not been acknowledged trips at
/// once (`for` is not used), with the first new alert's summary (or name) and the number firing as the detail.
/// `.failure`, `.noData` and `.value` make it BLIND.
///
/// Both kinds: a trip is latched. It survives the condition clearing, the alerts resolving and blind periods until
/// `acknowledge(at:reason:)`. After an acknowledgement a metric light needs the condition to hold for a fresh
/// `for`, counted from the acknowledgement at the earliest; an alert light ignores the alerts firing at the
/// acknowledgement (by fingerprint) and trips again only on a new one. An acknowledged fingerprint is forgotten
/// once an alert list arrives without it, so the same alert resolving and firing again trips again.
/// `restoreTripped` / `restoreAcknowledged` rebuild the latched state from the journal after a restart.
public struct LightMonitor: Sendable {
    public let spec: LightSpec
    /// The first time this monitor saw a reading or a tick (or the `startedAt` given); BLIND since then until the
    /// first reading.
    public private(set) var startedAt: Millis?
    /// The latest reading of any kind.
    public private(set) var lastObservedAt: Millis?
    /// The latest good reading (a value for metric lights, an alert list for alert lights).
    public private(set) var lastGoodAt: Millis?
    /// Metric lights: the latest good value.
    public private(set) var lastValue: Double?
    /// Alert lights: the alerts in the latest list.
    public private(set) var firing: [AlertSummary] = []
    /// Alert lights: fingerprints acknowledged and still firing; they do not trip the light again.
    public private(set) var acknowledgedFingerprints: Set<String> = []

    private struct Problem: Sendable { var since: Millis; var reason: String }
    private struct Trip: Sendable { var since: Millis; var detail: String }
    private var problem: Problem?
    private var trip: Trip?
    /// Metric lights: start of the run of good readings holding the condition (nil when the last good one did not).
    private var windowStart: Millis?
    /// The status last returned in a transition (nil: nothing reported yet).
    private var reported: LightStatus?

    public init(spec: LightSpec, startedAt: Millis? = nil) {
        self.spec = spec
        self.startedAt = startedAt
    }

    private var graceMs: Int64 { telemetryGrace(spec.intervalMs) }

    /// Records one reading taken at `at`; returns the transition when the light's verdict changed from the last one
    /// reported. Underlying changes while tripped (condition clearing, going blind) return nil: the verdict is
    /// still TRIPPED.
    public mutating func observe(_ o: Observation, at: Millis) -> LightTransition? {
        if startedAt == nil { startedAt = at }
        let before = reported ?? status(now: at)
        lastObservedAt = at
        var fresh: [String] = []
        switch spec.kind {
        case .metric(let condition, let forMs):
            switch o {
            case .value(let x) where !x.isNaN:
                let gapOK = lastGoodAt.map { telemetrySub(at, $0) <= graceMs } ?? true
                problem = nil
                lastGoodAt = at
                lastValue = x
                if condition.holds(x) {
                    if windowStart == nil || !gapOK { windowStart = at }
                    let start = windowStart ?? at
                    let held = telemetrySub(at, start)
                    if trip == nil, held >= max(0, forMs) {
                        let cond = condition.description(unit: spec.unit)
                        let detail = forMs > 0
                            ? "\(formatValue(x, unit: spec.unit)) (\(cond) for \(DurationText.spoken(held)))"
                            : "\(formatValue(x, unit: spec.unit)) (\(cond))"
                        trip = Trip(since: at, detail: detail)
                    }
                } else {
                    windowStart = nil
                }
            case .value: setProblem("NaN", at)
            case .noData: setProblem("no data", at)
            case .failure(let message): setProblem("error: \(message)", at)
            case .alerts: setProblem("not a metric (got an alert list)", at)
            }
        case .alerts:
            switch o {
            case .alerts(let list):
                problem = nil
                lastGoodAt = at
                firing = list
                acknowledgedFingerprints.formIntersection(list.map(\.fingerprint))
                let new = list.filter { !acknowledgedFingerprints.contains($0.fingerprint) }
                if trip == nil, let first = new.first {
                    let what = first.summary.flatMap { $0.isEmpty ? nil : $0 } ?? first.name
                    trip = Trip(since: at, detail: "\(what) (\(list.count) \(list.count == 1 ? "alert" : "alerts") firing)")
                    fresh = new.map(\.fingerprint)
                }
            case .noData: setProblem("no data", at)
            case .failure(let message): setProblem("error: \(message)", at)
            case .value: setProblem("not an alert list (got a value)", at)
            }
        }
        return report(from: before, at: at, fingerprints: fresh)
    }

    /// Re-evaluates the time-driven part (no reading for more than three intervals → BLIND) and returns that
    /// transition once. Never trips a light (see the type's comment).
    public mutating func tick(now: Millis) -> LightTransition? {
        if startedAt == nil { startedAt = now }
        let before = reported ?? status(now: now)
        return report(from: before, at: now, fingerprints: [])
    }

    /// Clears a latched trip. Returns the `acknowledged` transition (to journal, with the reason and, for alert
    /// lights, the acknowledged fingerprints), or nil when the light was not tripped or the reason is blank
    /// (an acknowledgement needs a reason; nothing changes then).
    @discardableResult
    public mutating func acknowledge(at: Millis, reason: String) -> LightTransition? {
        guard trip != nil, reason.contains(where: { !$0.isWhitespace }) else { return nil }
        if startedAt == nil { startedAt = at }
        let before = status(now: at)
        trip = nil
        var fingerprints: [String] = []
        switch spec.kind {
        case .metric:
            // A fresh `for`, counted from now at the earliest.
            if windowStart != nil { windowStart = at }
        case .alerts:
            fingerprints = firing.map(\.fingerprint).sorted()
            acknowledgedFingerprints.formUnion(fingerprints)
        }
        let after = status(now: at)
        reported = after
        return LightTransition(light: spec.name, kind: .acknowledged, at: at, from: before, to: after,
                               detail: "acknowledged: \(reason)", fingerprints: fingerprints, reason: reason)
    }

    /// Restart: the journal says this light was tripped (and not acknowledged since). No transition is returned
    /// or later reported for it, and it never triggers an automatic rollback again.
    public mutating func restoreTripped(since: Millis, detail: String) {
        trip = Trip(since: since, detail: detail)
        reported = .tripped(since: since, detail: detail)
    }

    /// Restart: the journal's last acknowledgement of this alert light listed these fingerprints; alerts with them
    /// still firing do not trip it again.
    public mutating func restoreAcknowledged(fingerprints: [String]) {
        acknowledgedFingerprints.formUnion(fingerprints)
    }

    public func status(now: Millis) -> LightStatus {
        if let trip { return .tripped(since: trip.since, detail: trip.detail) }
        return underlying(now: now)
    }

    /// Why the light cannot see, even while it is tripped (the latched status hides it); nil when it can.
    public func blindReason(now: Millis) -> String? {
        if case .blind(_, let reason) = underlying(now: now) { return reason }
        return nil
    }

    /// While WATCH: time left until a reading that still holds the condition trips it (0 once due). Else nil.
    public func countdownMs(now: Millis) -> Int64? {
        guard case .watch(let since) = status(now: now), case .metric(_, let forMs) = spec.kind else { return nil }
        return max(0, telemetrySub(telemetryAdd(since, max(0, forMs)), now))
    }

    public func snapshot(now: Millis) -> LightSnapshot {
        let s = status(now: now)
        let detail: String
        var since: Millis?
        switch s {
        case .ok:
            switch spec.kind {
            case .metric(let condition, _):
                detail = lastValue.map { "\(formatValue($0, unit: spec.unit)) (trips \(condition.description(unit: spec.unit)))" } ?? "ok"
            case .alerts:
                detail = firing.isEmpty ? "no alerts firing"
                    : "\(firing.count) acknowledged \(firing.count == 1 ? "alert" : "alerts") still firing"
            }
        case .watch(let start):
            since = start
            let left = countdownMs(now: now) ?? 0
            let value = lastValue.map { formatValue($0, unit: spec.unit) } ?? "?"
            var cond = ""
            if case .metric(let c, _) = spec.kind { cond = " (\(c.description(unit: spec.unit)))" }
            detail = left > 0 ? "\(value)\(cond), trips in \(DurationText.spoken(left))" : "\(value)\(cond), trips on the next reading that holds"
        case .tripped(let start, let d):
            since = start
            if let blind = blindReason(now: now) { detail = "\(d); now blind: \(blind)" } else { detail = d }
        case .blind(let start, let reason):
            since = start
            detail = reason
        }
        return LightSnapshot(name: spec.name, state: s.state, detail: detail, since: since,
                             countdownMs: countdownMs(now: now), auto: spec.auto)
    }

    private func underlying(now: Millis) -> LightStatus {
        if let problem { return .blind(since: problem.since, reason: problem.reason) }
        guard let last = lastObservedAt else { return .blind(since: startedAt ?? now, reason: "no reading yet") }
        if telemetrySub(now, last) > graceMs {
            return .blind(since: telemetryAdd(last, graceMs), reason: "no reading for over \(DurationText.spoken(graceMs))")
        }
        if case .metric = spec.kind, let windowStart { return .watch(since: windowStart) }
        return .ok
    }

    private mutating func setProblem(_ reason: String, _ at: Millis) {
        if problem == nil { problem = Problem(since: at, reason: reason) } else { problem?.reason = reason }
    }

    private mutating func report(from before: LightStatus, at: Millis, fingerprints: [String]) -> LightTransition? {
        let after = status(now: at)
        reported = after
        let kind: LightTransition.Kind
        switch (before, after) {
        case (.tripped, .tripped): return nil
        case (_, .tripped): kind = .tripped
        case (.tripped, _): kind = .acknowledged  // only `acknowledge` untrips, and it reports itself
        case (.blind, .blind): return nil
        case (_, .blind): kind = .blind
        case (.blind, _): kind = .sighted
        case (.ok, .ok): return nil
        case (.ok, .watch): kind = .watch
        case (.watch(let a), .watch(let b)):
            if a == b { return nil }
            kind = .watch
        case (.watch, .ok): kind = .cleared
        }
        let detail: String
        switch after {
        case .ok:
            switch spec.kind {
            case .metric(let condition, _):
                detail = lastValue.map { "\(formatValue($0, unit: spec.unit)) (not \(condition.description(unit: spec.unit)))" } ?? "ok"
            case .alerts: detail = "no new alerts firing"
            }
        case .watch:
            let value = lastValue.map { formatValue($0, unit: spec.unit) } ?? "?"
            var cond = "", left = ""
            if case .metric(let c, let forMs) = spec.kind {
                cond = " (\(c.description(unit: spec.unit)))"
                left = ", trips after \(DurationText.spoken(max(0, forMs)))"
                if let ms = countdownMs(now: at) { left = ", trips in \(DurationText.spoken(ms))" }
            }
            detail = "\(value)\(cond)\(left)"
        case .tripped(_, let d): detail = d
        case .blind(_, let reason): detail = reason
        }
        return LightTransition(light: spec.name, kind: kind, at: at, from: before, to: after, detail: detail,
                               autoRollback: kind == .tripped && spec.auto, fingerprints: fingerprints)
    }
}

// MARK: Formatting

/// A value for a gauge cell: the number, then the unit. `1.84 s`, `840 ms`, `0.07 %`, `99.95 %`, `1.234 s`,
/// `12345 req/s`; `NaN`, `+Inf`, `-Inf` without a unit.
///
/// Decimals by magnitude (trailing zeros trimmed): ≥ 1000 none, ≥ 100 one, ≥ 10 two, ≥ 0.1 three, ≥ 0.01 four;
/// below 0.01 or from 1e8 on, three significant digits in exponent form (`1.23e-3`, `1.5e9`). So a number in
/// [0.01, 100 000) takes at most 6 characters and, with a one-character unit, fits 8 (`0.0123 %`, `99.95 %`).
/// A value is never rounded up across a power of ten (99.9996 shows `99.99`, not `100`; 0.0999996 shows `0.0999`,
/// not `0.1`), so a value just short of a round threshold never looks like it reached it.
public func formatValue(_ v: Double, unit: String?) -> String {
    let n = formatNumber(v)
    guard v.isFinite, let unit, !unit.isEmpty else { return n }
    return "\(n) \(unit)"
}

private func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return "0" }
    let sign = v < 0 ? "-" : ""
    let a = v.magnitude
    if a >= 1e8 || a < 0.01 { return sign + exponentForm(a) }
    // (upper bound of the magnitude, decimals): at most 6 characters below 100 000.
    let (upper, decimals): (Double, Int)
    switch a {
    case 1000...: (upper, decimals) = (1e8, 0)
    case 100...: (upper, decimals) = (1000, 1)
    case 10...: (upper, decimals) = (100, 2)
    case 1...: (upper, decimals) = (10, 3)
    case 0.1...: (upper, decimals) = (1, 3)
    default: (upper, decimals) = (0.1, 4)
    }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    var scaled = (a * scale).rounded()
    // 99.996 rounded to 2 decimals is 100.00: that crosses a power of ten upward. Truncate instead.
    if scaled >= (upper * scale).rounded() { scaled = (a * scale).rounded(.down) }
    var digits = String(Int64(scaled))
    if decimals > 0 {
        if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -decimals)
        var frac = String(digits[cut...])
        while frac.last == "0" { frac.removeLast() }
        digits = String(digits[..<cut]) + (frac.isEmpty ? "" : "." + frac)
    }
    return sign + digits
}

/// `1.23e-4`, `1.5e9`: three significant digits.
private func exponentForm(_ a: Double) -> String {
    var m = a, e = 0
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    var hundredths = Int64((m * 100).rounded())
    // 9.996e-4 would round to 1.00e-3: never round up across a power of ten, truncate instead.
    if hundredths >= 1000 { hundredths = min(999, Int64((m * 100).rounded(.down))) }
    var text = String(hundredths / 100)
    var frac = String(hundredths % 100)
    if frac.count < 2 { frac = "0" + frac }
    while frac.last == "0" { frac.removeLast() }
    if !frac.isEmpty { text += "." + frac }
    return "\(text)e\(e)"
}

/// `2`, `0.1`, `99.9`, `-1`: integers without `.0`, others in Swift's shortest round-trip form.
private func plainNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded(), v.magnitude < 1e15 { return String(Int64(v)) }
    return v.description
}

// MARK: Helpers

/// Three intervals, the tolerance before STALE / BLIND; saturating, and at least 3 ms.
private func telemetryGrace(_ intervalMs: Int64) -> Int64 {
    let (r, overflow) = max(1, intervalMs).multipliedReportingOverflow(by: 3)
    return overflow ? .max : r
}

private func telemetrySub(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, overflow) = a.subtractingReportingOverflow(b)
    return overflow ? (b < 0 ? .max : .min) : r
}

private func telemetryAdd(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? .max : .min) : r
}

/// Fixed-capacity ring of the newest values: appending past capacity overwrites the oldest in place.
private struct TelemetryRing: Sendable {
    let capacity: Int
    private var storage: [Double] = []
    /// Index of the oldest element once full.
    private var head = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    mutating func append(_ x: Double) {
        guard capacity > 0 else { return }
        if storage.count < capacity {
            storage.append(x)
        } else {
            storage[head] = x
            head += 1
            if head == capacity { head = 0 }
        }
    }

    var ordered: [Double] {
        head == 0 ? storage : Array(storage[head...]) + Array(storage[..<head])
    }
}
