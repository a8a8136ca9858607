import Foundation
import WarRoomTelemetry

/// The canary's real share of the traffic, from the backends' own request counts (not HAProxy's), compared with
/// the share HAProxy's weights give it. Every half second it reads both backends' counts and the two weights; the
/// share is the canary's part of the requests received over the last `windowMs` — counted only since the weights
/// last changed, so a step is judged on requests routed under it alone. Written to `outputPath` as JSON (the
/// console's "Canary share drift" gauge reads `drift_points`; the end-of-demo summary and the tests read it):
///
///     {"canary_share_percent":24.8,"weight_percent":25.0,"drift_points":0.2,"window_requests":290,
///      "canary_served":1234,"stable_served":5678,"settling":false}
final class ShareMeter: @unchecked Sendable {
    struct Reading: Sendable, Equatable {
        /// The canary's share of the requests in the window, in percent (nil before any request).
        var share: Double?
        /// The share HAProxy's weights give the canary, in percent (nil when they cannot be read).
        var weight: Double?
        var windowRequests: UInt64 = 0
        var canaryServed: UInt64 = 0
        var stableServed: UInt64 = 0
        /// The weights changed less than a few dozen requests ago: the share is the last one measured before.
        var settling = false

        var drift: Double? {
            guard let share, let weight else { return nil }
            return abs(share - weight)
        }

        var json: String {
            func num(_ x: Double?) -> String { x.map { String(format: "%.1f", $0) } ?? "null" }
            return "{\"canary_share_percent\":\(num(share)),\"weight_percent\":\(num(weight)),\"drift_points\":\(num(drift)),"
                + "\"window_requests\":\(windowRequests),\"canary_served\":\(canaryServed),\"stable_served\":\(stableServed),"
                + "\"settling\":\(settling)}\n"
        }
    }

    /// Fewer requests than this since the weights changed: too few to judge the share.
    static let minimumRequests: UInt64 = 100

    let stablePort: UInt16
    let canaryPort: UInt16
    let socket: String
    let backend: String
    let outputPath: String
    let windowMs: UInt64
    let intervalMs: UInt64

    private let lock = NSLock()
    private var last = Reading()
    private let thread = StackThread(name: "warroom.demo-share", waitSeconds: 3)

    private struct Sample { var ns: UInt64; var stable: UInt64; var canary: UInt64 }
    private var samples: [Sample] = []
    private var weightSeen: Double?
    /// Samples before this index were taken under other weights.
    private var segmentStart = 0

    init(stablePort: UInt16, canaryPort: UInt16, socket: String, backend: String, outputPath: String,
         windowMs: UInt64 = 3_000, intervalMs: UInt64 = 500) {
        self.stablePort = stablePort
        self.canaryPort = canaryPort
        self.socket = socket
        self.backend = backend
        self.outputPath = outputPath
        self.windowMs = windowMs
        self.intervalMs = intervalMs
    }

    var latest: Reading {
        lock.lock()
        defer { lock.unlock() }
        return last
    }

    func start() {
        thread.start { [self] in
            while !thread.isStopping {
                tick()
                usleep(UInt32(intervalMs * 1000))
            }
        }
    }

    func stop() { thread.stop() }

    /// `served N` from a backend's stats.
    func served(_ port: UInt16) -> UInt64? {
        guard let r = StackHTTP.get(port: port, path: "/_admin/stats"), r.status == 200 else { return nil }
        let line = r.body.split(separator: "\n").first { $0.hasPrefix("served ") }
        return line.flatMap { UInt64($0.dropFirst("served ".count)) }
    }

    /// The canary's share by HAProxy's weights, in percent.
    func weightShare() -> Double? {
        func weight(_ server: String) -> Double? {
            guard let answer = try? RuntimeSocket.exchange(.unix(socket), "get weight \(backend)/\(server)\n", timeoutMs: 1_000)
            else { return nil }
            return Double(answer.prefix { $0.isNumber })
        }
        guard let s = weight("stable"), let c = weight("canary"), s + c > 0 else { return nil }
        return 100 * c / (s + c)
    }

    private func tick() {
        guard let stable = served(stablePort), let canary = served(canaryPort) else { return }
        let weight = weightShare()
        let now = monotonicNS()
        let reading = record(Sample(ns: now, stable: stable, canary: canary), weight: weight)
        lock.lock()
        last = reading
        lock.unlock()
        try? DemoSetup.write(reading.json, to: outputPath)
    }

    /// Adds a sample and judges the window (the thread's own state; also for tests).
    private func record(_ s: Sample, weight: Double?) -> Reading {
        if weight != weightSeen {
            weightSeen = weight
            segmentStart = samples.count  // requests counted from this sample on were routed under the new weights
        }
        samples.append(s)
        // Drop what is older than the window (keeping one sample at or before its start as the base).
        let cut = s.ns > windowMs * 1_000_000 ? s.ns - windowMs * 1_000_000 : 0
        while samples.count > 2, samples[1].ns <= cut {
            samples.removeFirst()
            segmentStart = max(0, segmentStart - 1)
        }
        let base = samples[min(segmentStart, samples.count - 1)]
        let dc = s.canary - min(s.canary, base.canary), ds = s.stable - min(s.stable, base.stable)
        guard dc + ds >= Self.minimumRequests else {
            // Too few requests under these weights yet: the last judgement stands (with its weights).
            var held = last
            held.settling = true
            held.canaryServed = s.canary
            held.stableServed = s.stable
            return held
        }
        return Reading(share: 100 * Double(dc) / Double(dc + ds), weight: weight, windowRequests: dc + ds,
                       canaryServed: s.canary, stableServed: s.stable)
    }
}
