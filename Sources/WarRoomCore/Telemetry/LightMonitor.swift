/// Rollback lights: OK / WATCH / TRIPPED (latched) / BLIND over observations.

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
