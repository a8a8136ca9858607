import Foundation
@testable import WarRoomTelemetry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The tests' HTTP server is the product's one loopback server (`LoopbackHTTPServer`, also `warroom demo`'s):
/// 127.0.0.1, an ephemeral port, one thread per connection, `Connection: close` on every answer; the handler
/// answers (optionally after a delay) or never answers.
typealias TestHTTPServer = LoopbackHTTPServer

extension LoopbackHTTPServer {
    /// A test's own error while it sets up raw sockets.
    struct ServerError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Collects delivered samples (thread-safe) and waits for conditions with a deadline (polling, no blind sleeps).
final class SampleBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [Sample] = []
    /// Monotonic arrival times (ns), parallel to `items`.
    private var arrivals: [UInt64] = []

    var deliver: @Sendable (Sample) -> Void {
        { [self] sample in
            let now = DispatchTime.now().uptimeNanoseconds
            lock.lock()
            items.append(sample)
            arrivals.append(now)
            lock.unlock()
        }
    }

    var all: [Sample] {
        lock.lock()
        defer { lock.unlock() }
        return items
    }

    func samples(probe: String) -> [Sample] { all.filter { $0.probe == probe } }

    func arrivalTimes(probe: String) -> [UInt64] {
        lock.lock()
        defer { lock.unlock() }
        return zip(items, arrivals).filter { $0.0.probe == probe }.map { $0.1 }
    }

    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return items.count
    }

    /// Waits until `condition` holds for the samples so far; returns the first sample of `probe` (arriving after
    /// `after` samples of it) satisfying `match`, or nil at the deadline.
    func waitFor(probe: String, timeoutMs: Int, after: Int = 0,
                 _ match: @escaping (Sample) -> Bool = { _ in true }) async -> Sample? {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
        while true {
            let list = samples(probe: probe)
            if list.count > after, let hit = list[after...].first(where: match) { return hit }
            if DispatchTime.now().uptimeNanoseconds > deadline { return nil }
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
    }
}

/// Polls `condition` every 10 ms until it holds or `timeoutMs` passes.
func eventually(timeoutMs: Int, _ condition: () -> Bool) async -> Bool {
    let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(timeoutMs) * 1_000_000
    while !condition() {
        if DispatchTime.now().uptimeNanoseconds > deadline { return false }
        try? await Task.sleep(nanoseconds: 10_000_000)
    }
    return true
}

func wallClockMs() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

func monotonicMs() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1_000_000 }
