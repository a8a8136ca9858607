/// The downsampled history of every SLO gauge, journaled so reports can chart it and replays can show it.
///
/// Not every poll is kept (a 1 s poll would write 3 600 lines an hour per gauge): `SeriesRule` keeps one point per
/// gauge a minute (`everyMs`), plus one at every change of a gauge's verdict (ok → breach, breach → ok, → stale …),
/// so each breach appears with the value that caused it. The points of one moment go into one `gauge.points` event.

/// One gauge's value at one moment, as journaled.
public struct GaugePoint: Sendable, Equatable, Codable {
    /// The SLO's name.
    public var name: String
    /// The last good value; nil when there is none or it is not finite (JSON cannot carry ±Inf).
    public var value: Double?
    /// The gauge's verdict (`GaugeStatus` raw value: ok, warn, breach, unknown, stale).
    public var state: String

    public init(name: String, value: Double?, state: String) {
        self.name = name
        self.value = value
        self.state = state
    }
}

/// The `gauge.points` event: one or more gauges' points taken at the event's time.
public struct GaugePoints: Sendable, Equatable, Codable {
    public var points: [GaugePoint]
    public init(points: [GaugePoint]) { self.points = points }
}

/// One journaled point with its time, as the run keeps it (`RunState.series`).
public struct SeriesPoint: Sendable, Equatable {
    public var time: Millis
    public var value: Double?
    public var state: String

    public init(time: Millis, value: Double?, state: String) {
        self.time = time
        self.value = value
        self.state = state
    }
}

/// When to journal a gauge's point: pure, the clock injected (`now` comes with every call).
///
/// - A gauge gets a point when its verdict differs from the one in its last point (so every transition is charted
///   with its value), and
/// - every gauge gets a point once `everyMs` has passed since the last regular point (one a minute), so a steady run
///   still draws a line.
/// Gauges with nothing to say yet (UNKNOWN with no value, never pointed) are left out until they have a value or a
/// verdict other than UNKNOWN.
public struct SeriesRule: Sendable, Equatable {
    /// How often every gauge gets a point regardless of changes.
    public static let everyMs: Millis = 60_000

    public let everyMs: Millis
    /// When the last regular (every-minute) point was taken; nil before the first.
    public private(set) var lastRegular: Millis?
    /// The verdict of each gauge's last point.
    public private(set) var lastState: [String: String] = [:]

    public init(everyMs: Millis = SeriesRule.everyMs) { self.everyMs = max(1, everyMs) }

    /// The reducer: given every gauge's point as of `now` (in display order), the state after and the points to
    /// journal now (empty: nothing).
    public static func reduce(_ state: SeriesRule, now: Millis, gauges: [GaugePoint]) -> (SeriesRule, [GaugePoint]) {
        var s = state
        let out = s.take(now: now, gauges: gauges)
        return (s, out)
    }

    public mutating func take(now: Millis, gauges: [GaugePoint]) -> [GaugePoint] {
        let regular = lastRegular.map { now - $0 >= everyMs } ?? true
        var out: [GaugePoint] = []
        for g in gauges {
            let known = lastState[g.name]
            let nothingYet = known == nil && g.value == nil && g.state == GaugeStatus.unknown.rawValue
            if nothingYet { continue }
            if regular || known != g.state { out.append(g) }
        }
        if regular { lastRegular = now }
        for p in out { lastState[p.name] = p.state }
        return out
    }
}

extension Gauge {
    /// This gauge's point as of `now`: its verdict and last good value (nil while UNKNOWN or not finite).
    public func point(now: Millis) -> GaugePoint {
        let s = snapshot(now: now)
        return GaugePoint(name: spec.name, value: s.value, state: s.status.rawValue)
    }
}
