import WarRoomCore

// The telemetry layer's data types: what to read (`SourceSpec`, `Probe`), what came back (`Reading`, `Sample`).
// The `Poller` (Poller.swift) reads sources on timers and delivers `Sample`s; the decoders
// (PrometheusDecoder, AlertmanagerDecoder, FileSourceReader, CommandSourceReader) are pure functions over
// recorded bytes. `Reading.observation` maps a reading to the Core's `Observation` for gauges and lights.

public struct SourceSpec: Sendable, Equatable {
    /// Unique among the sources; probes name it.
    public var name: String
    public var kind: SourceKind
    /// How often the source is read (the first read is immediate). Values below 10 ms are raised to 10 ms.
    public var intervalMs: Int64
    /// A read that takes longer fails with "timed out after N s". Values below 1 ms are raised to 1 ms.
    public var timeoutMs: Int64
    /// The bearer token VALUE (already resolved from the environment or a file by the caller), sent as
    /// `Authorization: Bearer <token>` to prometheus, alertmanager and http sources. It never appears in a
    /// failure text (occurrences echoed by a server are replaced by `[redacted]`) nor in `description`.
    public var token: String?

    public init(name: String, kind: SourceKind, intervalMs: Int64, timeoutMs: Int64, token: String? = nil) {
        self.name = name
        self.kind = kind
        self.intervalMs = intervalMs
        self.timeoutMs = timeoutMs
        self.token = token
    }
}

extension SourceSpec: CustomStringConvertible, CustomDebugStringConvertible {
    /// Names the source without its token: `checkout-prom (prometheus http://…, every 15 s, token set)`.
    public var description: String {
        let what: String
        switch kind {
        case .prometheus(let url): what = "prometheus \(url)"
        case .alertmanager(let url): what = "alertmanager \(url)"
        case .http(let url, let expect): what = "http \(url) expect \(expect)"
        case .command(let argv): what = "command \(argv)"
        case .file(let path, let field): what = "file \(path)" + (field.map { " field \($0)" } ?? "")
        }
        let every = DurationText.seconds(intervalMs)
        return "\(name) (\(TelemetryText.redact(what, token)), every \(every)\(token == nil ? "" : ", token set"))"
    }

    public var debugDescription: String { description }
}

extension SourceSpec: CustomReflectable {
    /// `dump()` and debuggers show `token: "[redacted]"`, never the value.
    public var customMirror: Mirror {
        Mirror(self, children: [
            "name": name, "kind": kind, "intervalMs": intervalMs, "timeoutMs": timeoutMs,
            "token": token == nil ? "nil" : "[redacted]",
        ], displayStyle: .struct)
    }
}

/// One thing to read from a source. Several probes can share a source: an Alertmanager or http source is read
/// once per tick for all its probes; a Prometheus source sends one query per distinct `query`.
public struct Probe: Sendable, Equatable {
    /// An opaque key chosen by the caller (e.g. `"slo/P95 latency"`); echoed in each `Sample`.
    public var id: String
    /// The `SourceSpec.name` to read from.
    public var source: String
    /// Prometheus: the PromQL expression (instant query). Ignored by other kinds.
    public var query: String?
    /// Alertmanager: the alert's labels must contain every pair (exact match). Nil or empty: every firing alert.
    public var match: [String: String]?
    /// Prometheus: label matchers choosing one series when the query returns several (exact match).
    public var pick: [String: String]?

    public init(id: String, source: String, query: String? = nil, match: [String: String]? = nil,
                pick: [String: String]? = nil) {
        self.id = id
        self.source = source
        self.query = query
        self.match = match
        self.pick = pick
    }
}

/// A firing alert as Alertmanager reported it.
public struct FiringAlert: Sendable, Equatable {
    public var labels: [String: String]
    /// `annotations.summary`.
    public var summary: String?
    /// `startsAt` as Alertmanager wrote it (RFC 3339).
    public var startsAt: String?

    public init(labels: [String: String], summary: String? = nil, startsAt: String? = nil) {
        self.labels = labels
        self.summary = summary
        self.startsAt = startsAt
    }

    /// `labels["alertname"]`, or `"alert"` when missing.
    public var name: String { labels["alertname"] ?? "alert" }

    /// Identity of this firing: a 64-bit FNV-1a hash (16 hex digits) of the sorted labels and `startsAt`.
    /// The same alert resolving and firing again gets a new `startsAt`, hence a new fingerprint.
    public var fingerprint: String {
        var text = ""
        for key in labels.keys.sorted() {
            text += key
            text += "=\""
            text += labels[key] ?? ""
            text += "\"\u{1F}"
        }
        text += "@"
        text += startsAt ?? ""
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// What one read of one probe produced.
public enum Reading: Sendable, Equatable {
    /// A number. NaN and ±Inf are possible (Prometheus returns them; the Core decides what they mean).
    case value(Double)
    /// The query answered but returned nothing (an empty vector). Not zero, not an error.
    case noData
    /// The matching alerts currently firing (empty: nothing firing).
    case alerts([FiringAlert])
    /// The read failed; one readable line for the operator ("connection refused", "timed out after 2 s",
    /// "HTTP 502: not JSON (text/html): 502 Bad Gateway"). Never contains the source's token.
    case failure(String)

    /// The Core's view of this reading, for `Gauge.observe` / `LightMonitor.observe`.
    public var observation: Observation {
        switch self {
        case .value(let x): return .value(x)
        case .noData: return .noData
        case .failure(let text): return .failure(text)
        case .alerts(let list):
            return .alerts(list.map { AlertSummary(name: $0.name, summary: $0.summary, fingerprint: $0.fingerprint, labels: $0.labels) })
        }
    }

    // Equatable: NaN == NaN here, so a recorded `.value(.nan)` compares equal to a decoded one.
    public static func == (a: Reading, b: Reading) -> Bool {
        switch (a, b) {
        case (.value(let x), .value(let y)): return x == y || (x.isNaN && y.isNaN)
        case (.noData, .noData): return true
        case (.alerts(let x), .alerts(let y)): return x == y
        case (.failure(let x), .failure(let y)): return x == y
        default: return false
        }
    }
}

/// One delivered reading.
public struct Sample: Sendable, Equatable {
    /// The `Probe.id`.
    public var probe: String
    /// The `SourceSpec.name`.
    public var source: String
    public var reading: Reading
    /// Wall time when the read completed (or timed out), from the poller's injected clock, ms since the epoch.
    public var time: Int64
    /// How long the read took (monotonic clock), from the start of the tick's read to its completion.
    public var latencyMs: Double
    /// Prometheus `warnings` that came with a successful answer (e.g. partial data from Thanos/Mimir);
    /// empty otherwise. The reading is still the value.
    public var warnings: [String]

    public init(probe: String, source: String, reading: Reading, time: Int64, latencyMs: Double,
                warnings: [String] = []) {
        self.probe = probe
        self.source = source
        self.reading = reading
        self.time = time
        self.latencyMs = latencyMs
        self.warnings = warnings
    }
}
