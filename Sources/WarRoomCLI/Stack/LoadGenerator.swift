import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The demo's users: `GET /checkout` through HAProxy at a steady rate, from one thread of the console process (it
/// ends with it). Open loop: a request starts every 1/rate seconds whatever the answers take, on an idle kept-alive
/// connection or a new one (at most `maxConnections`), so a slow canary does not slow the traffic down; non-blocking
/// sockets and one `poll()`, so 100 requests a second cost a few percent of a core.
final class LoadGenerator: @unchecked Sendable {
    struct Stats: Sendable, Equatable {
        var sent: UInt64 = 0
        var ok: UInt64 = 0
        /// Answers other than 2xx (HAProxy's 5xx, the canary's 500s).
        var errors: UInt64 = 0
        /// Connections refused or reset, answers not complete within 5 s.
        var failed: UInt64 = 0
        /// Requests not sent: every connection was busy.
        var skipped: UInt64 = 0
    }

    let port: UInt16
    let rate: Double
    let maxConnections: Int
    static let requestTimeoutNS: UInt64 = 5_000_000_000

    private let lock = NSLock()
    private var counts = Stats()
    private let thread = StackThread(name: "warroom.demo-load", waitSeconds: 2)

    init(port: UInt16, rate: Double = 100, maxConnections: Int = 128) {
        self.port = port
        self.rate = rate
        self.maxConnections = maxConnections
    }

    var stats: Stats {
        lock.lock()
        defer { lock.unlock() }
        return counts
    }

    func start() { thread.start { [self] in run() } }

    /// Stops sending and closes every connection. Safe to call twice.
    func stop() { thread.stop() }

    private var isStopping: Bool { thread.isStopping }

    private func count(_ change: (inout Stats) -> Void) {
        lock.lock()
        change(&counts)
        lock.unlock()
    }

    // MARK: The loop

    private enum Phase { case connecting, sending, reading, idle, closed }

    private final class Connection {
        let fd: Int32
        var phase: Phase = .connecting
        var sentBytes = 0
        var buffer: [UInt8] = []
        var startedNS: UInt64 = 0
        var pending = false  // a request waits for the connection to open
        init(fd: Int32) { self.fd = fd }
    }

    private static let request = Array("GET /checkout HTTP/1.1\r\nHost: checkout-api\r\nUser-Agent: warroom-demo-load\r\n\r\n".utf8)

    private func run() {
        signal(SIGPIPE, SIG_IGN)
        let begin = monotonicNS()
        var issued: UInt64 = 0
        var connections: [Connection] = []
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        while !isStopping {
            let now = monotonicNS()
            let due = UInt64(Double(now - begin) / 1e9 * rate)
            while issued < due {
                issued += 1
                if let idle = connections.first(where: { $0.phase == .idle }) {
                    startRequest(idle, now: now)
                } else if connections.count < maxConnections, let c = open() {
                    c.startedNS = now
                    c.pending = true
                    connections.append(c)
                    count { $0.sent += 1 }
                } else {
                    count { $0.skipped += 1 }
                }
            }
            for c in connections where c.phase != .idle && c.phase != .closed && now - c.startedNS > Self.requestTimeoutNS {
                close(c)
                count { $0.failed += 1 }
            }
            connections.removeAll { $0.phase == .closed }
            var fds = connections.map { c in
                pollfd(fd: c.fd, events: Int16(c.phase == .connecting || c.phase == .sending ? POLLOUT : POLLIN), revents: 0)
            }
            let next = begin + UInt64(Double(issued + 1) / rate * 1e9)
            let waitMs = Int32(max(1, min(50, next > now ? (next - now) / 1_000_000 : 1)))
            let n = poll(&fds, nfds_t(fds.count), waitMs)
            guard n > 0 else { continue }
            for (i, c) in connections.enumerated() where fds[i].revents != 0 {
                handle(c, revents: fds[i].revents, chunk: &chunk)
            }
        }
        for c in connections where c.phase != .closed { close(c) }
    }

    private func open() -> Connection? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        var yes: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let r = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        if r != 0 && errno != EINPROGRESS {
            Glibc.close(fd)
            count { $0.failed += 1 }
            return nil
        }
        return Connection(fd: fd)
    }

    private func startRequest(_ c: Connection, now: UInt64) {
        c.startedNS = now
        c.sentBytes = 0
        c.buffer.removeAll(keepingCapacity: true)
        c.phase = .sending
        count { $0.sent += 1 }
    }

    private func close(_ c: Connection) {
        Glibc.close(c.fd)
        c.phase = .closed
    }

    private func fail(_ c: Connection) {
        let busy = c.phase != .idle
        close(c)
        if busy { count { $0.failed += 1 } }
    }

    private func handle(_ c: Connection, revents: Int16, chunk: inout [UInt8]) {
        switch c.phase {
        case .connecting:
            var err: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len)
            guard err == 0 else { return fail(c) }
            c.phase = .sending
            c.sentBytes = 0
            c.pending = false
            send(c)
        case .sending:
            send(c)
        case .reading, .idle:
            let n = recv(c.fd, &chunk, chunk.count, 0)
            if n <= 0 {
                if n < 0 && (errno == EAGAIN || errno == EINTR) { return }
                return fail(c)  // an idle connection the server closed ends quietly
            }
            guard c.phase == .reading else { return close(c) }  // bytes nobody asked for
            c.buffer += chunk[0..<n]
            guard let answer = Self.parse(c.buffer) else { return }
            count { if (200..<300).contains(answer.status) { $0.ok += 1 } else { $0.errors += 1 } }
            if answer.close { close(c) } else { c.phase = .idle }
        case .closed:
            break
        }
    }

    private func send(_ c: Connection) {
        let n = Self.request.withUnsafeBytes { raw in
            Glibc.send(c.fd, raw.baseAddress! + c.sentBytes, raw.count - c.sentBytes, Int32(MSG_NOSIGNAL))
        }
        if n < 0 {
            if errno == EAGAIN || errno == EINTR { return }
            return fail(c)
        }
        c.sentBytes += n
        if c.sentBytes == Self.request.count { c.phase = .reading }
    }

    /// A complete HTTP/1.1 answer in `bytes`: its status and whether the server closes the connection; nil while
    /// incomplete.
    static func parse(_ bytes: [UInt8]) -> (status: Int, close: Bool)? {
        guard bytes.count >= 4 else { return nil }
        var headEnd: Int?
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            headEnd = i
            break
        }
        guard let end = headEnd else { return nil }
        let lines = String(decoding: bytes[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let first = lines.first?.split(separator: " ") ?? []
        guard first.count >= 2, let status = Int(first[1]) else { return (0, true) }
        var length = 0, close = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased(), value = parts[1].trimmingCharacters(in: .whitespaces)
            if name == "content-length" { length = Int(value) ?? 0 }
            if name == "connection", value.lowercased() == "close" { close = true }
        }
        guard bytes.count >= end + 4 + length else { return nil }
        return (status, close)
    }
}
