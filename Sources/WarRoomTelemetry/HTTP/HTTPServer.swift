import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The one small HTTP/1.1 server: `warroom demo`'s simulated service and the tests' servers. 127.0.0.1 only, an
/// ephemeral port, a thread per connection, one request per connection (`Connection: close` on every answer;
/// `keepAlive` answers more),
/// optionally TLS (a certificate and key in PEM files, the same OpenSSL code as the client).
///
/// The handler decides per request: an answer (optionally after a delay), or never answering at all (the
/// connection stays open until the client goes or `stop()`). Waiting costs no CPU: every wait is a `poll()` that
/// `stop()` wakes.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        /// Path and query as sent (`/api/v1/query?query=up`).
        public var target: String
        /// Header names lower-cased (the last of repeated headers).
        public var headers: [String: String]
        public var body: [UInt8]

        public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
    }

    public enum Answer: Sendable {
        case respond(status: Int, contentType: String?, body: [UInt8], extraHeaders: [(String, String)] = [], delayMs: Int = 0)
        /// Read the request, then never answer.
        case hang

        public static func json(_ text: String, status: Int = 200, delayMs: Int = 0) -> Answer {
            .respond(status: status, contentType: "application/json", body: Array(text.utf8), delayMs: delayMs)
        }

        public static func text(_ text: String, status: Int = 200, contentType: String = "text/plain; charset=utf-8") -> Answer {
            .respond(status: status, contentType: contentType, body: Array(text.utf8))
        }
    }

    /// A certificate chain and its private key, PEM files: the server speaks TLS.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public typealias Handler = @Sendable (Request) -> Answer

    /// Request heads larger than this, and bodies larger than `maxBodyBytes`, end the connection unanswered.
    static let maxHeadBytes = 64 << 10
    static let maxBodyBytes = 1 << 20
    /// A client has this long to send its request (and finish the TLS handshake).
    static let requestTimeoutMs: UInt64 = 5_000

    public let port: UInt16
    public let isTLS: Bool
    public var baseURL: String { "\(isTLS ? "https" : "http")://127.0.0.1:\(port)" }

    private let lock = NSLock()
    private var handler: Handler
    private let keepRequests: Bool
    private let keepAlive: Bool
    private var requests: [Request] = []
    private var connectionCount = 0
    private var openConnections = 0
    private var stopped = false
    private let listenFD: Int32
    /// Written once by `stop()` and never read: every connection's and the accept loop's `poll()` wakes.
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let tls: TLSContext?
    private let acceptDone = DispatchSemaphore(value: 0)

    /// Binds 127.0.0.1 on an ephemeral port and starts accepting. `keepRequests`: remember every request for
    /// `received` (tests); a long-running server passes false. `keepAlive`: answer further requests on a
    /// connection (HTTP/1.1 keep-alive) instead of closing it after the first.
    public init(tls files: TLSFiles? = nil, keepRequests: Bool = true, keepAlive: Bool = false,
                handler: @escaping Handler) throws(Failure) {
        self.handler = handler
        self.keepRequests = keepRequests
        self.keepAlive = keepAlive
        do {
            tls = try files.map { files throws(SocketHTTPFailure) in
                try TLSContext.server(certificateFile: files.certificate, keyFile: files.key)
            }
        } catch {
            throw Failure(description: error.message(timeoutMs: 0))
        }
        isTLS = files != nil
        guard let (wakeRead, wakeWrite) = SocketHTTPSys.makeWake() else {
            throw Failure(description: "cannot create a pipe: \(String(cString: strerror(errno)))")
        }
        let fd = socket(AF_INET, SocketHTTPSys.streamType | SocketHTTPSys.cloexecFlag, 0)
        guard fd >= 0 else {
            close(wakeRead)
            close(wakeWrite)
            throw Failure(description: "cannot create a socket: \(String(cString: strerror(errno)))")
        }
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
            let why = String(cString: strerror(errno))
            close(fd)
            close(wakeRead)
            close(wakeWrite)
            throw Failure(description: "cannot listen on 127.0.0.1: \(why)")
        }
        var actual = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: actual.sin_port)
        listenFD = fd
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "warroom.http-server"
        thread.start()
    }

    deinit {
        stop()
        close(wakeRead)
        close(wakeWrite)
    }

    public func setHandler(_ handler: @escaping Handler) {
        lock.lock()
        self.handler = handler
        lock.unlock()
    }

    /// Requests received so far (complete requests), when kept.
    public var received: [Request] {
        lock.lock()
        defer { lock.unlock() }
        return requests
    }

    /// Connections accepted so far.
    public var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return connectionCount
    }

    /// Connections currently open (accepted, not yet closed by either side).
    public var openConnectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return openConnections
    }

    /// Stops accepting and ends every connection (hanging and delayed answers too). Safe to call twice.
    public func stop() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        lock.unlock()
        SocketHTTPSys.signalWake(wakeWrite)
        acceptDone.wait()
        close(listenFD)
    }

    /// A 127.0.0.1 port nothing listens on (bound, then closed): connecting is refused.
    public static func refusedPort() -> UInt16 {
        let fd = socket(AF_INET, SocketHTTPSys.streamType, 0)
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

    // MARK: Connections

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while true {
            var fds = [pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return
            }
            if fds[1].revents != 0 { return }
            guard fds[0].revents != 0 else { continue }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR || errno == EAGAIN || errno == ECONNABORTED { continue }
                usleep(10_000)  // out of descriptors: let some close
                continue
            }
            SocketHTTPSys.prepare(fd)
            lock.lock()
            connectionCount += 1
            openConnections += 1
            lock.unlock()
            let thread = Thread { [self] in serve(fd) }
            thread.name = "warroom.http-server.conn"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        SocketHTTPSys.blockSIGPIPEOnThisThread()
        defer {
            lock.lock()
            openConnections -= 1
            lock.unlock()
        }
        let requestDeadline = DispatchTime.now().uptimeNanoseconds + Self.requestTimeoutMs * 1_000_000
        let connection: HTTPConnection
        if let tls {
            guard let made = try? HTTPConnection.tlsServer(fd, context: tls, wake: wakeRead, deadlineNs: requestDeadline)
            else { return }
            connection = made
        } else {
            connection = .plain(fd)
        }
        defer { connection.close() }
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        var deadline = requestDeadline
        // One request, or with `keepAlive` each request in turn until the client closes (or idles too long).
        while let another = answerOne(connection, &chunk, deadlineNs: deadline), another {
            deadline = DispatchTime.now().uptimeNanoseconds + Self.requestTimeoutMs * 1_000_000
        }
    }

    /// Reads and answers one request. True when the connection stays open for another (`keepAlive`); false or nil
    /// when it is done.
    private func answerOne(_ connection: HTTPConnection, _ chunk: inout [UInt8], deadlineNs: UInt64) -> Bool? {
        let request: Request?
        do {
            request = try readRequest(connection, &chunk, deadlineNs: deadlineNs)
        } catch {
            return nil  // the client went away, or too slow or too large
        }
        lock.lock()
        if keepRequests, let request { requests.append(request) }
        let handler = self.handler
        lock.unlock()
        let forever = DispatchTime.now().uptimeNanoseconds + 24 * 3_600 * 1_000_000_000  // until the client goes or stop()
        guard let request else {
            try? write(connection, status: 400, contentType: "text/plain; charset=utf-8", body: Array("bad request\n".utf8),
                       extraHeaders: [], head: false, close: true)
            return false
        }
        switch handler(request) {
        case .hang:
            // Hold the connection open, unanswered, until the client goes away or stop().
            while let n = try? connection.receive(&chunk, wake: wakeRead, deadlineNs: forever), n > 0 {}
            return false
        case .respond(let status, let contentType, let body, let extraHeaders, let delayMs):
            if delayMs > 0 {
                var wake = pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)
                if poll(&wake, 1, Int32(clamping: delayMs)) != 0 { return false }  // stopped meanwhile
            }
            let close = !keepAlive || request.headers["connection"]?.lowercased() == "close"
            guard (try? write(connection, status: status, contentType: contentType, body: body,
                              extraHeaders: extraHeaders, head: request.method == "HEAD", close: close)) != nil
            else { return false }
            if !close { return true }
            // Read on until the client closes (at most a second), so closing does not reset the connection.
            let drainUntil = DispatchTime.now().uptimeNanoseconds + 1_000_000_000
            while let n = try? connection.receive(&chunk, wake: wakeRead, deadlineNs: drainUntil), n > 0 {}
            return false
        }
    }

    /// The request, or nil when it is not an HTTP/1.x request line; throws when the client went away, the deadline
    /// passed or it is too large.
    private func readRequest(_ connection: HTTPConnection, _ chunk: inout [UInt8], deadlineNs: UInt64) throws -> Request? {
        var data: [UInt8] = []
        var headEnd: Int?
        while headEnd == nil {
            let n = try connection.receive(&chunk, wake: wakeRead, deadlineNs: deadlineNs)
            if n == 0 { throw SocketHTTPFailure.closed }
            let searchFrom = max(0, data.count - 3)
            data += chunk[0..<n]
            if data.count > Self.maxHeadBytes + Self.maxBodyBytes { throw SocketHTTPFailure.tooLarge(Self.maxHeadBytes) }
            headEnd = Self.blankLine(in: data, from: searchFrom)
        }
        guard let end = headEnd, end <= Self.maxHeadBytes else { throw SocketHTTPFailure.tooLarge(Self.maxHeadBytes) }
        var lines = String(decoding: data[0..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3, requestLine[2].hasPrefix("HTTP/1.") else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = Array(data[(end + 4)...])
        let length = min(Int(headers["content-length"] ?? "0") ?? 0, Self.maxBodyBytes)
        while body.count < length {
            let n = try connection.receive(&chunk, wake: wakeRead, deadlineNs: deadlineNs)
            if n == 0 { break }
            body += chunk[0..<n]
        }
        return Request(method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
    }

    private func write(_ connection: HTTPConnection, status: Int, contentType: String?, body: [UInt8],
                       extraHeaders: [(String, String)], head: Bool, close: Bool) throws {
        var text = "HTTP/1.1 \(status) \(Self.reason(status))\r\n"
        if let contentType { text += "Content-Type: \(contentType)\r\n" }
        for (name, value) in extraHeaders { text += "\(name): \(value)\r\n" }
        text += "Content-Length: \(body.count)\r\n" + (close ? "Connection: close\r\n\r\n" : "\r\n")
        var bytes = Array(text.utf8)
        if !head { bytes += body }
        let deadline = DispatchTime.now().uptimeNanoseconds + Self.requestTimeoutMs * 1_000_000
        try connection.send(bytes, wake: wakeRead, deadlineNs: deadline)
        if close { connection.finishWriting() }
    }

    /// The index of the first CRLF CRLF at or after `from`.
    private static func blankLine(in data: [UInt8], from: Int) -> Int? {
        guard data.count >= 4, from <= data.count - 4 else { return nil }
        for i in from...(data.count - 4) where data[i] == 13 && data[i + 1] == 10 && data[i + 2] == 13 && data[i + 3] == 10 {
            return i
        }
        return nil
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: return "OK"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 307: return "Temporary Redirect"
        case 308: return "Permanent Redirect"
        default: return HTTPText.reasonPhrase(status) ?? "Status"
        }
    }
}
