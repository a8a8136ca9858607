/// `ramp.traffic:` — a built-in adapter moves the canary's share of traffic and reads back the share in effect. The
/// engine's side: what the config says, what a step asks the adapter for, and what comes back.

/// The adapter as configured. `settings` are the adapter's own keys (for haproxy: `socket`, `backend`, `stable`,
/// `canary`), checked by the config loader; never a secret's value (tokens are named by variable or file).
public struct TrafficConfig: Sendable, Equatable, Codable {
    /// `haproxy`, …
    public var adapter: String
    public var settings: [String: String]
    /// How often the weight in effect is read back between steps (drift detection).
    public var checkEveryMs: Millis
    /// Each call to the adapter (set, read back) gives up after this long.
    public var timeoutMs: Millis
    public var line: Int

    public init(adapter: String, settings: [String: String] = [:], checkEveryMs: Millis = 10_000, timeoutMs: Millis = 5_000,
                line: Int = 0) {
        self.adapter = adapter
        self.settings = settings
        self.checkEveryMs = checkEveryMs
        self.timeoutMs = timeoutMs
        self.line = line
    }
}

/// A decision's traffic move: set the canary's share to `percent`, then read it back. Answered by `.trafficRead`.
public struct TrafficRequest: Sendable, Equatable {
    /// Seq of the decision it carries out.
    public var decision: Int
    public var percent: Int

    public init(decision: Int, percent: Int) {
        self.decision = decision
        self.percent = percent
    }
}

/// What the adapter answered: after a decision's set (`decision` and `intended` given), or a timed read-back.
public struct TrafficReading: Sendable, Equatable {
    public var adapter: String
    /// The decision whose set this answers; nil for a read-back on the timer.
    public var decision: Int?
    /// The share asked for (a set); nil for a read-back.
    public var intended: Int?
    /// The canary's share in effect as read back; nil when the set or the read-back failed.
    public var observed: Int?
    /// Why the set or the read-back failed.
    public var error: String?
    public var durationMs: Millis

    public init(adapter: String, decision: Int? = nil, intended: Int? = nil, observed: Int?, error: String? = nil,
                durationMs: Millis = 0) {
        self.adapter = adapter
        self.decision = decision
        self.intended = intended
        self.observed = observed
        self.error = error
        self.durationMs = durationMs
    }
}

/// The console's latest knowledge of the traffic (not journaled itself: its changes of state are).
public struct TrafficStatus: Sendable, Equatable {
    public var adapter: String
    public var observed: Int?
    public var error: String?
    public var at: Millis
    /// As last journaled: "ok", "drift" or "failed" (one `verdict.change` per episode).
    public var journaled = "ok"

    public init(adapter: String, observed: Int?, error: String?, at: Millis) {
        self.adapter = adapter
        self.observed = observed
        self.error = error
        self.at = at
    }
}
