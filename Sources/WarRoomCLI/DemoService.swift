import Foundation
import WarRoomJSON
import WarRoomCore
import WarRoomTelemetry
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The simulated checkout-api of `warroom demo`: a tiny HTTP/1.1 server on 127.0.0.1 (an ephemeral port) that
/// answers like Prometheus (`GET /api/v1/query?query=NAME`) and Alertmanager (`GET /api/v2/alerts`).
///
/// The model: the traffic share of the new version is the weight (0–100 %) that the ramp's hooks last wrote to
/// `weightPath` (`warroom demo-weight`), read on every request. Healthy, P95 ≈ 0.45 s, errors ≈ 0.03 %,
/// availability ≈ 99.97 %, with a little seeded noise. A fault hits only the new version, so its effect grows with
/// the weight and a rollback to 0 % removes it:
///
/// - latency spike: P95 + 12 s × share (10 % → 1.65 s WARN, 25 % → 3.45 s, over the 3 s rollback trip);
/// - error burst: errors + 24 % × share (10 % → 2.4 %, breaching the SLO; 25 % → 6 %, over the 5 % trip); the
///   `CheckoutErrorBurst` alert fires once the error rate has been over 5 % for `alertPendingMs`, like a
///   Prometheus alert rule with `for:`;
/// - outage: the metrics endpoint answers `503 Service Unavailable` (an HTML page, as a proxy would), so gauges
///   go STALE and metric lights BLIND — what the console does when it cannot see — while Alertmanager, still up,
///   fires `CheckoutDown` and the alert light trips.
///
/// Metrics: `demo:latency_p95_seconds`, `demo:error_rate_percent`, `demo:availability_percent`,
/// `demo:canary_weight_percent`. Any other query is an empty vector (no data). Served by `LoopbackHTTPServer` (the
/// tests' server too): one request per connection (`Connection: close`), each on a thread of its own.
final class DemoService: @unchecked Sendable {
    enum Fault: String, CaseIterable, Sendable {
        case healthy
        case latencySpike = "latency spike"
        case errorBurst = "error burst"
        case outage

        /// The `f` key's order.
        var next: Fault {
            switch self {
            case .healthy: .latencySpike
            case .latencySpike: .errorBurst
            case .errorBurst: .outage
            case .outage: .healthy
            }
        }
    }

    static let latencyMetric = "demo:latency_p95_seconds"
    static let errorMetric = "demo:error_rate_percent"
    static let availabilityMetric = "demo:availability_percent"
    static let weightMetric = "demo:canary_weight_percent"
    static let metrics = [latencyMetric, errorMetric, availabilityMetric, weightMetric]

    /// The error rate (%) over which the error-burst alert rule counts.
    static let alertThreshold = 5.0

    let weightPath: String
    /// How long the error rate must stay over 5 % before `CheckoutErrorBurst` fires.
    let alertPendingMs: Int64
    private(set) var port: UInt16 = 0

    private let lock = NSLock()
    private var fault: Fault = .healthy
    private var faultSince: Int64
    private var burstPendingSince: Int64?
    private var rng: SplitMix64
    private let now: @Sendable () -> Int64

    private var server: LoopbackHTTPServer?

    /// `seed`: nil takes `WARROOM_DEMO_SEED` from the environment when set (repeatable noise), else the time.
    init(weightPath: String, alertPendingMs: Int64 = 15_000, seed: UInt64? = nil,
         now: @escaping @Sendable () -> Int64 = { DemoService.wallMillis() }) {
        self.weightPath = weightPath
        self.alertPendingMs = alertPendingMs
        self.now = now
        let envSeed = ProcessInfo.processInfo.environment["WARROOM_DEMO_SEED"].flatMap { UInt64($0) }
        rng = SplitMix64(seed: seed ?? envSeed ?? UInt64(bitPattern: DemoService.wallMillis()))
        faultSince = now()
    }

    deinit { stop() }

    static func wallMillis() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    // MARK: The model

    var currentFault: Fault {
        lock.lock()
        defer { lock.unlock() }
        return fault
    }

    /// Switches to `fault` (also from tests).
    func setFault(_ f: Fault) {
        lock.lock()
        fault = f
        faultSince = now()
        burstPendingSince = nil
        lock.unlock()
    }

    /// The `f` key: the next fault, and one line saying what it does at the current weight.
    func cycleFault() -> String {
        let next = currentFault.next
        setFault(next)
        return Self.describe(next, weight: readWeight())
    }

    /// At most 80 columns: it is shown on the console's message line.
    static func describe(_ f: Fault, weight: Double) -> String {
        let pct = Int(weight.rounded())
        let share = weight / 100
        switch f {
        case .healthy:
            return "fault cleared: the simulated service is healthy again (f: next fault)"
        case .latencySpike:
            guard weight > 0 else { return "fault: latency spike (new version): no effect at 0 % — g moves traffic onto it" }
            let p95 = mean(latencyMetric, share: share, fault: f)
            return "fault: latency spike (new version): P95 ≈ \(String(format: "%.1f", p95)) s at \(pct) %; a rollback clears it"
        case .errorBurst:
            guard weight > 0 else { return "fault: error burst (new version): no effect at 0 % — g moves traffic onto it" }
            let e = mean(errorMetric, share: share, fault: f)
            return "fault: error burst (new version): errors ≈ \(String(format: "%.1f", e)) % at \(pct) %; a rollback clears it"
        case .outage:
            return "fault: outage — Prometheus 503s: gauges STALE, lights BLIND; CheckoutDown fires"
        }
    }

    /// The noiseless value of `metric` with `share` (0–1) of the traffic on the new version.
    static func mean(_ metric: String, share: Double, fault: Fault) -> Double {
        switch metric {
        case latencyMetric: return 0.45 + 0.02 * share + (fault == .latencySpike ? 12 * share : 0)
        case errorMetric: return 0.03 + (fault == .errorBurst ? 24 * share : 0)
        case availabilityMetric: return 100 - mean(errorMetric, share: share, fault: fault)
        case weightMetric: return share * 100
        default: return .nan
        }
    }

    /// The traffic on the new version, 0–100, as the hooks last wrote it (0 before the first hook).
    func readWeight() -> Double {
        guard let data = FileManager.default.contents(atPath: weightPath),
              let x = Double(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              x.isFinite
        else { return 0 }
        return min(100, max(0, x))
    }

    /// A noisy reading of `metric`; nil for an unknown metric.
    func sample(_ metric: String) -> Double? {
        let share = readWeight() / 100
        lock.lock()
        defer { lock.unlock() }
        let f = fault
        let base = Self.mean(metric, share: share, fault: .healthy)
        let extra = Self.mean(metric, share: share, fault: f) - base
        switch metric {
        case Self.latencyMetric:
            return max(0.05, base + 0.04 * rng.wobble() + extra * (1 + 0.03 * rng.wobble()))
        case Self.errorMetric:
            return max(0.001, base + 0.012 * rng.wobble() + extra * (1 + 0.03 * rng.wobble()))
        case Self.availabilityMetric:
            // `base` and `extra` are 100 − errors here: the noise is the error rate's.
            return min(100, max(0, base - 0.012 * rng.wobble() + extra * (1 + 0.03 * rng.wobble())))
        case Self.weightMetric:
            return base
        default:
            return nil
        }
    }

    struct Alert: Equatable {
        var name: String
        var summary: String
        var startsAt: Int64
    }

    /// The alerts firing now (the alert rules are evaluated on each request).
    func firingAlerts() -> [Alert] {
        let share = readWeight() / 100
        let t = now()
        lock.lock()
        defer { lock.unlock() }
        switch fault {
        case .outage:
            burstPendingSince = nil
            return [Alert(name: "CheckoutDown", summary: "checkout-api is down: health checks failing", startsAt: faultSince)]
        case .errorBurst:
            guard Self.mean(Self.errorMetric, share: share, fault: fault) > Self.alertThreshold else {
                burstPendingSince = nil
                return []
            }
            let since = burstPendingSince ?? t
            burstPendingSince = since
            guard t - since >= alertPendingMs else { return [] }
            return [Alert(name: "CheckoutErrorBurst", summary: "checkout-api error rate over 5 % on the new version",
                          startsAt: since + alertPendingMs)]
        case .healthy, .latencySpike:
            burstPendingSince = nil
            return []
        }
    }

    // MARK: HTTP answers

    struct Response {
        var status: Int
        var contentType: String
        var body: String
    }

    /// The answer to `GET target` (path and query string).
    func respond(method: String, target: String) -> Response {
        let (path, params) = Self.splitTarget(target)
        guard method == "GET" || method == "HEAD" else {
            return Response(status: 405, contentType: "text/plain; charset=utf-8", body: "method not allowed\n")
        }
        switch path {
        case "/api/v1/query":
            if currentFault == .outage {
                return Response(status: 503, contentType: "text/html; charset=utf-8", body: """
                    <html><head><title>503 Service Unavailable</title></head>
                    <body><h1>503 Service Unavailable</h1><p>No server is available to handle this request.</p></body></html>

                    """)
            }
            let query = (params["query"] ?? "").trimmingCharacters(in: .whitespaces)
            guard !query.isEmpty else {
                return Response(status: 400, contentType: "application/json",
                                body: #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": empty query"}"#)
            }
            let ts = String(format: "%.3f", Double(now()) / 1000)
            guard let v = sample(query) else {
                return Response(status: 200, contentType: "application/json",
                                body: #"{"status":"success","data":{"resultType":"vector","result":[]}}"#)
            }
            let value = String(format: "%.4f", v)
            let body = #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":""#
                + Self.jsonEscape(query) + #"","service":"checkout"},"value":["# + ts + #",""# + value + #""]}]}}"#
            return Response(status: 200, contentType: "application/json", body: body)
        case "/api/v2/alerts":
            let t = now()
            let items = firingAlerts().map { a in
                let labels = #"{"alertname":""# + Self.jsonEscape(a.name) + #"","service":"checkout","severity":"critical"}"#
                return #"{"labels":"# + labels + #","annotations":{"summary":""# + Self.jsonEscape(a.summary)
                    + #""},"startsAt":""# + Timestamp.iso8601(a.startsAt) + #"","endsAt":""#
                    + Timestamp.iso8601(t + 5 * 60_000) + #"","updatedAt":""# + Timestamp.iso8601(t)
                    + #"","fingerprint":""# + String(UInt64(bitPattern: a.startsAt) &* 31 &+ UInt64(a.name.utf8.count), radix: 16)
                    + #"","receivers":[{"name":"warroom-demo"}],"status":{"state":"active","silencedBy":[],"inhibitedBy":[]}}"#
            }
            return Response(status: 200, contentType: "application/json", body: "[" + items.joined(separator: ",") + "]")
        case "/", "/-/healthy":
            let w = Int(readWeight().rounded())
            return Response(status: 200, contentType: "text/plain; charset=utf-8", body: """
                warroom demo: simulated checkout-api
                weight on the new version: \(w) %
                fault: \(currentFault.rawValue)
                metrics: \(Self.metrics.joined(separator: ", ")) at /api/v1/query?query=NAME
                alerts: /api/v2/alerts

                """)
        default:
            return Response(status: 404, contentType: "text/plain; charset=utf-8", body: "404 page not found\n")
        }
    }

    static func splitTarget(_ target: String) -> (path: String, params: [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        var params: [String: String] = [:]
        for pair in target[target.index(after: q)...].split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            let k = decode(kv[0])
            if params[k] == nil { params[k] = kv.count > 1 ? decode(kv[1]) : "" }
        }
        return (String(target[..<q]), params)
    }

    static func jsonEscape(_ s: String) -> String { JSONText.escaped(s) }

    // MARK: The server

    /// Starts the loopback server (127.0.0.1, an ephemeral port) answering with `respond`. Returns the port.
    @discardableResult
    func start() throws(Failure) -> UInt16 {
        let made: LoopbackHTTPServer
        do {
            made = try LoopbackHTTPServer(keepRequests: false) { [weak self] request in
                guard let self else { return .text("stopped\n", status: 503) }
                let r = self.respond(method: request.method, target: request.target)
                return .respond(status: r.status, contentType: r.contentType, body: Array(r.body.utf8),
                                extraHeaders: [("Cache-Control", "no-store")])
            }
        } catch {
            throw Failure("demo service: \(error.description)")
        }
        lock.lock()
        server = made
        port = made.port
        lock.unlock()
        return made.port
    }

    /// Stops the server (requests being answered end). Safe to call twice.
    func stop() {
        lock.lock()
        let running = server
        server = nil
        lock.unlock()
        running?.stop()
    }
}

/// A small seeded PRNG (SplitMix64): the demo's noise, repeatable with `WARROOM_DEMO_SEED`.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A value in (−1, 1), more often near 0 (the sum of two uniforms).
    mutating func wobble() -> Double {
        Double.random(in: 0..<1, using: &self) + Double.random(in: 0..<1, using: &self) - 1
    }
}
