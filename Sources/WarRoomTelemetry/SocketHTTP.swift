import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// Plain-socket HTTP/1.1 GET for `http://` URLs.
//
// Why not URLSession: swift-corelibs-foundation drives libcurl from libdispatch, and while a request waits for a
// server that accepted the connection but never answers, libcurl keeps asking for write readiness on the connected
// socket (`EPOLL_CTL_ADD … EPOLLOUT|EPOLLONESHOT`, which fires at once), so the dispatch manager thread spins
// (~250 wake-ups/s, ~40 % of a core for one hung source). Here every request runs on its own thread that blocks in
// `poll()` (no CPU while waiting) until the socket is ready, the request's deadline passes, or `cancel()` writes to
// the request's wake pipe.
//
// Connections are kept alive (HTTP/1.1) in the client's own small idle pool (`SocketHTTPPool`, one per source), so a
// source polled every second does not connect every second. A connection returns to the pool only after a complete,
// well-framed response (Content-Length or chunked, no `Connection: close`); a timed-out, cancelled or failed exchange
// closes its connection, so a hung server never holds a pooled one. Idle pooled sockets are not watched (no CPU); a
// stale one is noticed when taken (readable or hung up: closed) or when the server closed it just before the request
// was written (no byte of answer: the request is sent again once on a new connection — GET is idempotent).

/// The parts of an `http://` URL a request needs.
struct SocketHTTPURL: Equatable, Sendable {
    /// Host name or address, without IPv6 brackets ("::1", "127.0.0.1", "prometheus.internal").
    var host: String
    var port: UInt16
    /// Path and query as written (never empty: "/" at least), without the fragment.
    var target: String
    /// The `Host` header's value ("[::1]:9090", "example.com").
    var hostHeader: String
    /// `user:password` from the URL (still percent-encoded), sent as basic authentication when there is no token.
    var userinfo: String?

    /// "http://host:port", host lower-cased: redirects are followed only within one origin.
    var origin: String { "http://\(hostHeaderName.lowercased()):\(port)" }

    private var hostHeaderName: String { host.contains(":") ? "[\(host)]" : host }

    /// Parses `http://[userinfo@]host[:port][/path][?query][#fragment]`; nil for other schemes or a bad authority.
    static func parse(_ text: String) -> SocketHTTPURL? {
        let trimmed = text.trimmingASCIIWhitespace()
        guard trimmed.count > 7, trimmed.prefix(7).lowercased() == "http://" else { return nil }
        var rest = Substring(trimmed.dropFirst(7))
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        var authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if target.isEmpty {
            target = "/"
        } else if target.hasPrefix("?") {
            target = "/" + target
        }
        var userinfo: String?
        if let at = authority.lastIndex(of: "@") {
            userinfo = String(authority[..<at])
            authority = authority[authority.index(after: at)...]
        }
        var host: Substring
        var portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { return nil }
                portText = after.dropFirst()
            }
            guard host.contains(":") else { return nil }
        } else {
            if let colon = authority.lastIndex(of: ":") {
                host = authority[..<colon]
                portText = authority[authority.index(after: colon)...]
            } else {
                host = authority
            }
            guard !host.contains(":") else { return nil }
        }
        guard !host.isEmpty, !host.contains(where: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" || $0 == "/" })
        else { return nil }
        var port: UInt16 = 80
        var explicitPort = false
        if let portText, !portText.isEmpty {
            guard portText.allSatisfy({ $0.isASCII && $0.isNumber }), let value = UInt16(portText), value > 0 else { return nil }
            port = value
            explicitPort = true
        }
        let bracketed = host.contains(":") ? "[\(host)]" : String(host)
        let hostHeader = explicitPort && port != 80 ? "\(bracketed):\(port)" : bracketed
        guard !target.contains(where: { $0 == " " || $0 == "\r" || $0 == "\n" }) else { return nil }
        // A zone in an IPv6 literal is written %25 ("[fe80::1%25eth0]"); getaddrinfo wants "fe80::1%eth0".
        let address = host.contains(":") ? (String(host).removingPercentEncoding ?? String(host)) : String(host)
        return SocketHTTPURL(host: address, port: port, target: target, hostHeader: hostHeader,
                             userinfo: userinfo.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// The absolute URL `location` (a redirect's `Location`) points to, relative to this one.
    func resolve(_ location: String) -> String? {
        let base = "http://\(hostHeader)\(target)"
        guard let baseURL = URL(string: base), let url = URL(string: location.trimmingASCIIWhitespace(), relativeTo: baseURL)
        else { return nil }
        return url.absoluteString
    }
}

/// One `GET` over a plain TCP connection, on a worker thread of its own (`SocketHTTPWorkers`).
///
/// The thread resolves the host (`getaddrinfo`, which blocks and cannot be interrupted: a cancelled request ends
/// when it returns), connects, writes the request and reads the answer, blocking only in `poll()` on the socket and
/// the request's wake pipe, with the time left to the deadline as the poll timeout. At the deadline the request
/// fails ("timed out after 2 s"); `cancel()` wakes it; either way it closes its connection and frees the thread.
/// The completion runs on that thread, at most once, never after `cancel()` returned (unless it was already
/// running).
final class SocketHTTPRequest: @unchecked Sendable {
    struct Options: Sendable {
        var accept: String
        /// The `Authorization` header's value ("Bearer …"), if any.
        var authorization: String?
        var timeoutMs: Int64
        var keepBody: Bool
        var maxBodyBytes: Int
        var maxRedirects = 10
    }

    private let url: SocketHTTPURL
    private let options: Options
    private let pool: SocketHTTPPool?
    private let completion: @Sendable (HTTPOutcome) -> Void
    private let deadlineNs: UInt64

    private let lock = NSLock()
    private var cancelled = false
    private var finished = false
    /// The wake pipe (read end, polled; write end, written by `cancel`); -1 once closed by the request's thread.
    private var wakeRead: Int32 = -1
    private var wakeWrite: Int32 = -1

    /// `pool`: where kept-alive connections wait between requests (nil: one connection per request).
    init(url: SocketHTTPURL, options: Options, pool: SocketHTTPPool? = nil,
         completion: @escaping @Sendable (HTTPOutcome) -> Void) {
        self.url = url
        self.options = options
        self.pool = pool
        self.completion = completion
        deadlineNs = DispatchTime.now().uptimeNanoseconds &+ UInt64(max(1, options.timeoutMs)) &* 1_000_000
    }

    /// Starts the request on a worker thread. Returns a failure message (and never calls the completion) when the
    /// wake descriptor cannot be made (out of file descriptors).
    func start() -> String? {
        guard let (read, write) = SocketHTTPSys.makeWake() else {
            return "cannot start request: \(String(cString: strerror(errno)))"
        }
        lock.lock()
        wakeRead = read
        wakeWrite = write
        lock.unlock()
        SocketHTTPWorkers.shared.run { [self] in run() }
        return nil
    }

    /// Stops the request: its thread closes the connection and ends; the completion is not called after this returns.
    func cancel() {
        lock.lock()
        defer { lock.unlock() }
        guard !cancelled, !finished else { return }
        cancelled = true
        if wakeWrite >= 0 { SocketHTTPSys.signalWake(wakeWrite) }
    }

    private var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    // MARK: The request's thread

    private func run() {
        let outcome = perform()
        lock.lock()
        let call = !cancelled
        finished = true
        close(wakeRead)
        close(wakeWrite)
        wakeRead = -1
        wakeWrite = -1
        lock.unlock()
        if call { completion(outcome) }
    }

    private func perform() -> HTTPOutcome {
        var current = url
        var redirects = 0
        while true {
            let response: SocketHTTPExchange.Result
            do {
                response = try exchange(current)
            } catch let failure as SocketHTTPFailure {
                return .failure(failure.message(timeoutMs: options.timeoutMs))
            } catch {
                return .failure("network error")
            }
            if [301, 302, 303, 307, 308].contains(response.status), let location = response.location,
                let next = current.resolve(location).flatMap(SocketHTTPURL.parse), next.origin == current.origin
            {
                redirects += 1
                if redirects > options.maxRedirects { return .failure("too many redirects") }
                // Credentials from the URL stay with the URL that named them (as URLSession does).
                current = SocketHTTPURL(host: next.host, port: next.port, target: next.target, hostHeader: next.hostHeader,
                                        userinfo: next.userinfo ?? current.userinfo)
                continue
            }
            // A redirect elsewhere (another host, port or scheme) is not followed: the 3xx is the answer, so a
            // bearer token never travels to another origin.
            return .response(HTTPResponse(status: response.status, contentType: response.contentType, body: response.body))
        }
    }

    /// One request and its response, on a pooled connection when there is one (a stale one is replaced by a new
    /// connection), else on a new one. The connection goes back to the pool when it can carry another request.
    private func exchange(_ target: SocketHTTPURL) throws -> SocketHTTPExchange.Result {
        let origin = target.origin
        while true {
            let pooled = pool?.take(origin)
            let fd = try pooled ?? connect(target)
            let exchange = SocketHTTPExchange(fd: fd, wake: wakeRead, deadlineNs: deadlineNs, keepBody: options.keepBody,
                                              maxBodyBytes: options.maxBodyBytes)
            do {
                try exchange.send(requestHead(target))
                let result = try exchange.readResponse()
                if result.reusable, let pool {
                    pool.put(origin, fd)
                } else {
                    close(fd)
                }
                return result
            } catch let failure as SocketHTTPFailure {
                close(fd)
                if pooled != nil, !exchange.receivedAny, failure.isConnectionLoss { continue }
                throw failure
            }
        }
    }

    private func requestHead(_ target: SocketHTTPURL) -> [UInt8] {
        var head = "GET \(target.target) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        head += "Accept: \(Self.headerValue(options.accept))\r\nUser-Agent: warroom\r\n"
        if let authorization = options.authorization {
            head += "Authorization: \(Self.headerValue(authorization))\r\n"
        } else if let userinfo = target.userinfo {
            let plain = userinfo.removingPercentEncoding ?? userinfo
            head += "Authorization: Basic \(Data(plain.utf8).base64EncodedString())\r\n"
        }
        head += pool == nil ? "Connection: close\r\n\r\n" : "\r\n"  // HTTP/1.1: keep-alive unless said otherwise
        return Array(head.utf8)
    }

    /// A header value without line breaks (a value cannot add headers).
    private static func headerValue(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// Resolves and connects (each address in turn), within the deadline. Returns a connected, non-blocking socket.
    private func connect(_ target: SocketHTTPURL) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = SocketHTTPSys.streamType
        hints.ai_flags = AI_NUMERICSERV
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        if isCancelled { throw SocketHTTPFailure.cancelled }
        if DispatchTime.now().uptimeNanoseconds >= deadlineNs { throw SocketHTTPFailure.timedOut }
        guard status == 0, list != nil else { throw SocketHTTPFailure.text("cannot resolve host \(target.host)") }
        var firstError: Int32?
        var entry = list
        while let info = entry?.pointee {
            entry = info.ai_next
            guard let address = info.ai_addr else { continue }
            let fd = socket(info.ai_family, SocketHTTPSys.streamType | SocketHTTPSys.cloexecFlag, info.ai_protocol)
            if fd < 0 {
                firstError = firstError ?? errno
                continue
            }
            SocketHTTPSys.prepare(fd)
            if sysConnect(fd, address, info.ai_addrlen) == 0 { return fd }
            var error = errno
            if error == EINPROGRESS || error == EINTR {
                do {
                    try wait(fd, events: Int16(POLLOUT))
                } catch {
                    close(fd)
                    throw error
                }
                var soError: Int32 = 0
                var length = socklen_t(MemoryLayout<Int32>.size)
                if getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) != 0 { soError = errno }
                if soError == 0 { return fd }
                error = soError
            }
            close(fd)
            firstError = firstError ?? error
        }
        throw SocketHTTPFailure.errno(firstError ?? ECONNREFUSED)
    }

    /// Blocks in `poll()` until `fd` has `events`, the deadline passes (`.timedOut`) or `cancel()` (`.cancelled`).
    private func wait(_ fd: Int32, events: Int16) throws {
        try SocketHTTPSys.wait(fd, events: events, wake: wakeRead, deadlineNs: deadlineNs)
    }
}

/// The threads requests run on: a job gets a parked worker when one is idle, else a new thread, so a request never
/// waits behind another (a hung one holds its worker until its deadline). Idle workers park on a condition variable
/// (no timer, no CPU); beyond `maxIdle` they end.
final class SocketHTTPWorkers: @unchecked Sendable {
    static let shared = SocketHTTPWorkers()
    /// Parked workers kept for the next requests (sources polled together start their requests together).
    static let maxIdle = 64

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []
    private var head = 0
    /// Parked workers not yet claimed by a job.
    private var idle = 0
    /// Claims made by `run` on parked workers, not yet taken up by one of them.
    private var wakes = 0

    func run(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        let spawn: Bool
        if idle > 0 {
            idle -= 1
            wakes += 1
            condition.signal()
            spawn = false
        } else {
            spawn = true
        }
        condition.unlock()
        if spawn {
            let thread = Thread { [self] in work() }
            thread.name = "warroom.http"
            thread.stackSize = 1 << 20  // getaddrinfo (NSS) wants more than a tiny stack
            thread.start()
        }
    }

    private func work() {
        condition.lock()
        while true {
            if head < jobs.count {
                let job = jobs[head]
                head += 1
                if head == jobs.count {
                    jobs.removeAll(keepingCapacity: true)
                    head = 0
                }
                condition.unlock()
                job()
                condition.lock()
                continue
            }
            if idle >= Self.maxIdle { break }
            idle += 1
            while wakes == 0 { condition.wait() }
            wakes -= 1
        }
        condition.unlock()
    }
}

/// Idle kept-alive connections of one client, by origin. Nobody watches them while they wait (no CPU); `take`
/// drops those the server has closed meanwhile, and those idle for longer than `maxIdleNs`.
final class SocketHTTPPool: @unchecked Sendable {
    /// At most this many idle connections per origin (a source has one per query it runs at once).
    static let maxIdlePerOrigin = 4
    /// Older idle connections are closed rather than reused (the server, or a middlebox, may have forgotten them).
    static let maxIdleNs: UInt64 = 30_000_000_000

    private struct Idle {
        var fd: Int32
        var since: UInt64
    }

    private let lock = NSLock()
    private var idle: [String: [Idle]] = [:]
    private var closed = false

    deinit {
        for list in idle.values {
            for entry in list { _ = sysClose(entry.fd) }
        }
    }

    /// A connection to `origin` that still looks open, or nil.
    func take(_ origin: String) -> Int32? {
        let now = DispatchTime.now().uptimeNanoseconds
        while true {
            lock.lock()
            guard let entry = idle[origin]?.popLast() else {
                lock.unlock()
                return nil
            }
            lock.unlock()
            // Readable or hung up while idle: closed by the server (or it sent something unasked): not usable.
            var pfd = pollfd(fd: entry.fd, events: Int16(POLLIN), revents: 0)
            if now &- entry.since < Self.maxIdleNs, poll(&pfd, 1, 0) == 0 { return entry.fd }
            _ = sysClose(entry.fd)
        }
    }

    /// Keeps `fd` for the next request to `origin` (closes it when the pool is full or closed).
    func put(_ origin: String, _ fd: Int32) {
        lock.lock()
        if closed || idle[origin, default: []].count >= Self.maxIdlePerOrigin {
            lock.unlock()
            _ = sysClose(fd)
            return
        }
        idle[origin, default: []].append(Idle(fd: fd, since: DispatchTime.now().uptimeNanoseconds))
        lock.unlock()
    }

    /// Closes every idle connection; later `put`s close theirs.
    func closeAll() {
        lock.lock()
        closed = true
        let all = idle.values.flatMap { $0 }
        idle.removeAll()
        lock.unlock()
        for entry in all { _ = sysClose(entry.fd) }
    }

    /// Idle connections (for tests).
    var idleCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return idle.values.reduce(0) { $0 + $1.count }
    }
}

/// Why an exchange failed, before it is worded.
enum SocketHTTPFailure: Error {
    case timedOut
    case cancelled
    case errno(Int32)
    case closed
    case bad
    case tooLarge(Int)
    case text(String)

    /// The server closed or reset the connection (for a reused connection before any answer: stale, try anew).
    var isConnectionLoss: Bool {
        switch self {
        case .closed: return true
        case .errno(let code): return code == ECONNRESET || code == EPIPE
        default: return false
        }
    }

    func message(timeoutMs: Int64) -> String {
        switch self {
        case .timedOut: return "timed out after \(TelemetryText.seconds(timeoutMs))"
        case .cancelled: return "cancelled"
        case .closed: return "connection closed by the server"
        case .bad: return "bad HTTP response"
        case .tooLarge(let limit): return "response larger than \(limit >> 20) MiB"
        case .text(let text): return text
        case .errno(let code):
            switch code {
            case ECONNREFUSED: return "connection refused"
            case ETIMEDOUT: return "timed out after \(TelemetryText.seconds(timeoutMs))"
            case ECONNRESET, EPIPE: return "connection closed by the server"
            case ENETUNREACH, ENETDOWN: return "network unreachable"
            case EHOSTUNREACH, EHOSTDOWN: return "host unreachable"
            case EADDRNOTAVAIL, EAFNOSUPPORT: return "address not available"
            default: return "network error: " + String(cString: strerror(code))
            }
        }
    }
}

/// Reads one response from a connected socket.
final class SocketHTTPExchange {
    struct Result {
        var status: Int
        var contentType: String?
        var location: String?
        var body: [UInt8]
        /// The connection can carry another request: HTTP/1.1, no `Connection: close`, the body framed by length or
        /// chunks and read to its end, nothing left over.
        var reusable: Bool
    }

    private let fd: Int32
    private let wake: Int32
    private let deadlineNs: UInt64
    private let keepBody: Bool
    private let maxBodyBytes: Int
    private var buffer: [UInt8] = []
    private var position = 0
    private var atEOF = false
    private var chunk = [UInt8](repeating: 0, count: 32 << 10)
    private var body: [UInt8] = []
    /// Some byte of the answer arrived.
    private(set) var receivedAny = false

    /// Response heads larger than this are refused.
    static let maxHeadBytes = 64 << 10

    init(fd: Int32, wake: Int32, deadlineNs: UInt64, keepBody: Bool, maxBodyBytes: Int) {
        self.fd = fd
        self.wake = wake
        self.deadlineNs = deadlineNs
        self.keepBody = keepBody
        self.maxBodyBytes = maxBodyBytes
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { sysSend(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try SocketHTTPSys.wait(fd, events: Int16(POLLOUT), wake: wake, deadlineNs: deadlineNs)
            } else {
                throw SocketHTTPFailure.errno(n < 0 ? errno : EPIPE)
            }
        }
    }

    func readResponse() throws -> Result {
        var status: Int
        var version: String
        var headers: [(name: String, value: String)]
        repeat {
            (version, status, headers) = try readHead()
        } while (100..<200).contains(status) && status != 101  // interim answers (100 Continue, 103 Early Hints)
        func header(_ name: String) -> [String] { headers.filter { $0.name == name }.map(\.value) }
        let contentType = header("content-type").first
        let location = header("location").first
        let connection = header("connection").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        var reusable = version == "HTTP/1.1" && !connection.contains("close") && status != 101
        func result() -> Result {
            Result(status: status, contentType: contentType, location: location, body: body,
                   reusable: reusable && !atEOF && position == buffer.count)
        }
        if status == 101 || status == 204 || status == 304 {
            return result()
        }
        let codings = header("transfer-encoding").flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }.filter { !$0.isEmpty }
        if !codings.isEmpty {
            guard codings.last == "chunked" else { throw SocketHTTPFailure.text("unsupported transfer encoding \(codings.joined(separator: ", "))") }
            guard codings.count == 1 else { throw SocketHTTPFailure.text("unsupported transfer encoding \(codings.dropLast().joined(separator: ", "))") }
            try readChunked()
        } else if let lengthText = header("content-length").first {
            let lengths = Set(header("content-length").flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) })
            guard lengths.count == 1, let length = Int(lengthText.trimmingCharacters(in: .whitespaces)), length >= 0
            else { throw SocketHTTPFailure.bad }
            if keepBody, length > maxBodyBytes { throw SocketHTTPFailure.tooLarge(maxBodyBytes) }
            try readBody(count: length)
        } else {
            reusable = false
            try readUntilClose()
        }
        return result()
    }

    // MARK: Parts

    /// The status line's version ("HTTP/1.1"), the status and the headers (names lower-cased).
    private func readHead() throws -> (String, Int, [(name: String, value: String)]) {
        var lines: [String] = []
        var headBytes = 0
        while true {
            guard let line = try readLine(limit: Self.maxHeadBytes, eofIsClosed: true) else { throw SocketHTTPFailure.closed }
            headBytes += line.utf8.count + 2
            if headBytes > Self.maxHeadBytes { throw SocketHTTPFailure.text("bad HTTP response (header too large)") }
            if line.isEmpty {
                if lines.isEmpty { continue }  // stray blank line before the status line
                break
            }
            lines.append(line)
        }
        let statusLine = lines.removeFirst()
        let parts = statusLine.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/"), parts[1].count == 3, let status = Int(parts[1]),
            (100...999).contains(status)
        else { throw SocketHTTPFailure.bad }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            if line.first == " " || line.first == "\t", !headers.isEmpty {  // obsolete line folding
                headers[headers.count - 1].value += " " + line.trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { throw SocketHTTPFailure.bad }
            let name = line[..<colon].lowercased()
            guard !name.isEmpty, !name.contains(" ") else { throw SocketHTTPFailure.bad }
            headers.append((name, line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        return (String(parts[0]), status, headers)
    }

    private func readChunked() throws {
        while true {
            guard let line = try readLine(limit: 4096, eofIsClosed: true) else { throw SocketHTTPFailure.closed }
            let sizeText = line.split(separator: ";", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
            guard !sizeText.isEmpty, sizeText.count <= 15, let size = Int(sizeText, radix: 16), size >= 0 else {
                throw SocketHTTPFailure.text("bad HTTP response (chunk size)")
            }
            if size == 0 {
                // Trailers, up to the blank line that ends the message.
                while let trailer = try readLine(limit: 4096, eofIsClosed: false), !trailer.isEmpty {}
                return
            }
            if keepBody, body.count + size > maxBodyBytes { throw SocketHTTPFailure.tooLarge(maxBodyBytes) }
            try readBody(count: size)
            guard let end = try readLine(limit: 4096, eofIsClosed: true), end.isEmpty else {
                throw SocketHTTPFailure.text("bad HTTP response (chunk framing)")
            }
        }
    }

    private func readBody(count: Int) throws {
        var remaining = count
        while remaining > 0 {
            if position == buffer.count, try !fill() { throw SocketHTTPFailure.closed }
            let take = min(remaining, buffer.count - position)
            if keepBody { body.append(contentsOf: buffer[position..<(position + take)]) }
            position += take
            remaining -= take
        }
    }

    private func readUntilClose() throws {
        while true {
            if position < buffer.count {
                let take = buffer.count - position
                if keepBody {
                    if body.count + take > maxBodyBytes { throw SocketHTTPFailure.tooLarge(maxBodyBytes) }
                    body.append(contentsOf: buffer[position...])
                }
                position += take
            }
            if try !fill() { return }
        }
    }

    /// One line without its CRLF (or bare LF); nil at the end of the stream (an error if `eofIsClosed`).
    private func readLine(limit: Int, eofIsClosed: Bool) throws -> String? {
        var scanned = 0  // bytes after `position` already searched (`fill` may move the buffer's contents)
        while true {
            if let newline = buffer[(position + scanned)...].firstIndex(of: 10) {
                var end = newline
                if end > position, buffer[end - 1] == 13 { end -= 1 }
                let line = String(decoding: buffer[position..<end], as: UTF8.self)
                position = newline + 1
                return line
            }
            scanned = buffer.count - position
            if scanned > limit { throw SocketHTTPFailure.text("bad HTTP response (line too long)") }
            if try !fill() {
                if eofIsClosed { throw SocketHTTPFailure.closed }
                return nil
            }
        }
    }

    /// Reads what the socket has (waiting in `poll()` for it). False at the end of the stream.
    private func fill() throws -> Bool {
        if atEOF { return false }
        if position > 0, position == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            position = 0
        } else if position >= 64 << 10 {
            buffer.removeFirst(position)
            position = 0
        }
        while true {
            // A server dripping bytes never blocks the read, so the deadline is checked here too.
            if DispatchTime.now().uptimeNanoseconds >= deadlineNs { throw SocketHTTPFailure.timedOut }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                receivedAny = true
                return true
            }
            if n == 0 {
                atEOF = true
                return false
            }
            let error = errno
            if error == EAGAIN || error == EWOULDBLOCK || error == EINTR {
                try SocketHTTPSys.wait(fd, events: Int16(POLLIN), wake: wake, deadlineNs: deadlineNs)
                continue
            }
            throw SocketHTTPFailure.errno(error)
        }
    }
}

/// The few platform differences.
enum SocketHTTPSys {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let cloexecFlag = Int32(SOCK_CLOEXEC.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #elseif canImport(Musl)
    static let streamType = Int32(SOCK_STREAM)
    static let cloexecFlag = Int32(SOCK_CLOEXEC)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    static let streamType = SOCK_STREAM
    static let cloexecFlag: Int32 = 0
    static let sendFlags: Int32 = 0
    #endif

    /// A pipe for waking a request's `poll()`: (read end, polled; write end, written by `cancel`).
    static func makeWake() -> (Int32, Int32)? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)  // a fresh pipe has no other status flags
        return (fds[0], fds[1])
    }

    static func signalWake(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }

    /// Non-blocking, close-on-exec, no SIGPIPE.
    static func prepare(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Blocks in `poll()` until `fd` has `events` (or an error/hang-up, which the next call reports), the deadline
    /// passes, or `wake` becomes readable (cancelled).
    static func wait(_ fd: Int32, events: Int16, wake: Int32, deadlineNs: UInt64) throws {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadlineNs else { throw SocketHTTPFailure.timedOut }
            // Round up, so the poll never returns just before the deadline and spins on a 0 ms timeout.
            let leftMs = Int32(clamping: (deadlineNs - now + 999_999) / 1_000_000)
            var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), leftMs)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SocketHTTPFailure.errno(errno)
            }
            if fds[1].revents != 0 { throw SocketHTTPFailure.cancelled }
            if fds[0].revents != 0 { return }
        }
    }
}

// `connect` and `send` are shadowed by methods above; these reach the C functions.
@inline(__always)
private func sysConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

@inline(__always)
private func sysClose(_ fd: Int32) -> Int32 {
    close(fd)
}

@inline(__always)
private func sysSend(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    send(fd, bytes, count, SocketHTTPSys.sendFlags)
}
