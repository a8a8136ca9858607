import Foundation
@testable import WarRoomTelemetry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A tiny HTTP/1.1 server for tests: 127.0.0.1, an ephemeral port, one thread per connection,
/// `Connection: close` on every answer. The handler decides per request: a canned answer (optionally after a
/// delay), or never answering at all (the connection stays open until `stop()`).
final class TestHTTPServer: @unchecked Sendable {
    struct Request: Sendable {
        var method: String
        /// Path and query as sent (`/api/v1/query?query=up`).
        var target: String
        /// Header names lower-cased.
        var headers: [String: String]
        var body: [UInt8]

        var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    }

    enum Answer: Sendable {
        case respond(status: Int, contentType: String?, body: [UInt8], extraHeaders: [(String, String)] = [], delayMs: Int = 0)
        /// Read the request, then never answer.
        case hang

        static func json(_ text: String, status: Int = 200, delayMs: Int = 0) -> Answer {
            .respond(status: status, contentType: "application/json", body: Array(text.utf8), delayMs: delayMs)
        }

        static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Answer {
            .respond(status: status, contentType: contentType, body: Array(text.utf8))
        }
    }

    typealias Handler = @Sendable (Request) -> Answer

    let port: UInt16
    var baseURL: String { "http://127.0.0.1:\(port)" }

    private let lock = NSLock()
    private var handler: Handler
    private var requests: [Request] = []
    private var connectionCount = 0
    private var openConnections: Set<Int32> = []
    private var stopped = false
    private let listenFD: Int32
    private let acceptDone = DispatchSemaphore(value: 0)

    init(handler: @escaping Handler) throws {
        self.handler = handler
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ServerError("socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 128) == 0 else {
            let message = String(cString: strerror(errno))
            close(fd)
            throw ServerError("bind/listen: \(message)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        listenFD = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "test-http-accept"
        thread.start()
    }

    deinit {
        stop()
    }

    func setHandler(_ handler: @escaping Handler) {
        lock.lock()
        self.handler = handler
        lock.unlock()
    }

    /// Requests received so far (complete request heads).
    var received: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    /// Connections accepted so far.
    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return connectionCount
    }

    /// Connections currently open (accepted, not yet closed by either side).
    var openConnectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return openConnections.count
    }

    /// Closes the listening socket and every open connection; hanging answers end.
    func stop() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        let open = openConnections
        lock.unlock()
        shutdown(listenFD, Int32(SHUT_RDWR))
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        acceptDone.wait()
        close(listenFD)
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            lock.lock()
            if stopped {
                lock.unlock()
                close(fd)
                return
            }
            connectionCount += 1
            openConnections.insert(fd)
            lock.unlock()
            let thread = Thread { [self] in serve(fd) }
            thread.name = "test-http-conn"
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        defer {
            lock.lock()
            openConnections.remove(fd)
            lock.unlock()
            close(fd)
        }
        guard let request = readRequest(fd) else { return }
        lock.lock()
        requests.append(request)
        let handler = self.handler
        lock.unlock()
        switch handler(request) {
        case .hang:
            // Hold the connection open, unanswered, until stop() (or the client goes away).
            var buffer = [UInt8](repeating: 0, count: 1024)
            while !isStopped {
                var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                let ready = poll(&pfd, 1, 50)
                if ready > 0 {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { return }
                }
            }
        case .respond(let status, let contentType, let body, let extraHeaders, let delayMs):
            if delayMs > 0 {
                let until = DispatchTime.now().uptimeNanoseconds + UInt64(delayMs) * 1_000_000
                while DispatchTime.now().uptimeNanoseconds < until, !isStopped {
                    usleep(10_000)
                }
                if isStopped { return }
            }
            var head = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
            if let contentType { head += "Content-Type: \(contentType)\r\n" }
            for (name, value) in extraHeaders { head += "\(name): \(value)\r\n" }
            head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
            var bytes = Array(head.utf8)
            if request.method != "HEAD" { bytes += body }
            var offset = 0
            while offset < bytes.count {
                let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 { return }
                offset += n
            }
            shutdown(fd, Int32(SHUT_WR))
            // Drain until the client closes (bounded), so the close does not reset the connection.
            var buffer = [UInt8](repeating: 0, count: 1024)
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            for _ in 0..<20 {
                if poll(&pfd, 1, 50) > 0 {
                    let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { return }
                }
            }
        }
    }

    private func readRequest(_ fd: Int32) -> Request? {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headEnd: Int?
        while headEnd == nil {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            data += buffer[0..<n]
            if data.count > 1 << 20 { return nil }
            headEnd = Self.find([13, 10, 13, 10], in: data)
        }
        guard let end = headEnd else { return nil }
        let head = String(decoding: data[0..<end], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers[name] = value
        }
        var body = Array(data[(end + 4)...])
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while body.count < length {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            body += buffer[0..<n]
        }
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for i in 0...(haystack.count - needle.count) where haystack[i] == needle[0] {
            if Array(haystack[i..<(i + needle.count)]) == needle { return i }
        }
        return nil
    }

    private static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 302: return "Found"
        case 401: return "Unauthorized"
        case 404: return "Not Found"
        case 500: return "Internal Server Error"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        default: return "Status"
        }
    }

    /// A 127.0.0.1 port nothing listens on (bound, then closed): connecting is refused.
    static func refusedPort() -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        close(fd)
        return UInt16(bigEndian: actual.sin_port)
    }

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
