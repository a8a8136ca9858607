import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Idle kept-alive connections of one client, by origin (scheme, host, port). Nobody watches them while they wait
/// (no CPU); `take` drops those the server has closed meanwhile, and those idle for longer than `maxIdleNs`.
/// Connections still here when the pool goes away close with it.
final class SocketHTTPPool: @unchecked Sendable {
    /// At most this many idle connections per origin (a source has one per query it runs at once).
    static let maxIdlePerOrigin = 4
    /// Older idle connections are closed rather than reused (the server, or a middlebox, may have forgotten them).
    static let maxIdleNs: UInt64 = 30_000_000_000

    private struct Idle {
        var connection: HTTPConnection
        var since: UInt64
    }

    private let lock = NSLock()
    private var idle: [String: [Idle]] = [:]
    private var closed = false

    /// A connection to `origin` that still looks open, or nil.
    func take(_ origin: String) -> HTTPConnection? {
        let now = DispatchTime.now().uptimeNanoseconds
        while true {
            lock.lock()
            guard let entry = idle[origin]?.popLast() else {
                lock.unlock()
                return nil
            }
            lock.unlock()
            if now &- entry.since < Self.maxIdleNs, entry.connection.isStillUsable() { return entry.connection }
            entry.connection.close()
        }
    }

    /// Keeps `connection` for the next request to `origin` (closes it when the pool is full or closed).
    func put(_ origin: String, _ connection: HTTPConnection) {
        lock.lock()
        if closed || idle[origin, default: []].count >= Self.maxIdlePerOrigin {
            lock.unlock()
            connection.close()
            return
        }
        idle[origin, default: []].append(Idle(connection: connection, since: DispatchTime.now().uptimeNanoseconds))
        lock.unlock()
    }

    /// Closes every idle connection; later `put`s close theirs.
    func closeAll() {
        lock.lock()
        closed = true
        let all = idle.values.flatMap { $0 }
        idle.removeAll()
        lock.unlock()
        for entry in all { entry.connection.close() }
    }

    /// Idle connections (for tests).
    var idleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.values.reduce(0) { $0 + $1.count }
    }
}
