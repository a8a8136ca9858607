import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// HTTP/1.1 GET over our own sockets, for `http://` and (TLS, `TLS.swift`) `https://` URLs.
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

/// One `GET` over a TCP connection (TLS for https), on a worker thread of its own (`SocketHTTPWorkers`).
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
        /// A CA file trusted besides the system store (https).
        var caFile: String?
        /// A client certificate and key presented when the server asks (https).
        var identity: TLSClientIdentity? = nil
        /// TLS 1.2 at most (the etcd store: a refused client certificate is then a named handshake alert).
        var maxTLS12 = false
        /// "GET" (the sources) or "POST" (with `body`; the etcd store's JSON gateway).
        var method = "GET"
        /// The request body (sent with `Content-Length`), for POST.
        var body: [UInt8]? = nil
        var contentType: String? = nil
        /// More request headers (name, value).
        var headers: [(String, String)] = []
        /// A streamed answer (`HTTPClient.stream`): a 2xx body's bytes, as they arrive; `timeoutMs` then bounds only
        /// the wait for the answer's head, and `streamIdleMs` (nil: no limit) the silence after it.
        var stream: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil
        var streamIdleMs: Int64? = nil
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
                current = SocketHTTPURL(secure: next.secure, host: next.host, port: next.port, target: next.target, hostHeader: next.hostHeader,
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
            let connection = try pooled ?? connect(target)
            let exchange = SocketHTTPExchange(connection: connection, wake: wakeRead, deadlineNs: deadlineNs, keepBody: options.keepBody,
                                              maxBodyBytes: options.maxBodyBytes, sink: options.stream, idleMs: options.streamIdleMs)
            do {
                try exchange.send(requestHead(target))
                let result = try exchange.readResponse()
                if result.reusable, let pool {
                    pool.put(origin, connection)
                } else {
                    connection.close()
                }
                return result
            } catch let failure as SocketHTTPFailure {
                connection.close()
                // Sent again only when idempotent: a POST the server may have carried out is not repeated here (the
                // caller, which knows what the request does, decides).
                if pooled != nil, !exchange.receivedAny, failure.isConnectionLoss, options.method == "GET" { continue }
                throw failure
            }
        }
    }

    private func requestHead(_ target: SocketHTTPURL) -> [UInt8] {
        var head = "\(options.method) \(target.target) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
        head += "Accept: \(Self.headerValue(options.accept))\r\nUser-Agent: warroom\r\n"
        if let body = options.body {
            head += "Content-Type: \(Self.headerValue(options.contentType ?? "application/octet-stream"))\r\n"
            head += "Content-Length: \(body.count)\r\n"
        }
        for (name, value) in options.headers { head += "\(Self.headerValue(name)): \(Self.headerValue(value))\r\n" }
        if let authorization = options.authorization {
            head += "Authorization: \(Self.headerValue(authorization))\r\n"
        } else if let userinfo = target.userinfo {
            let plain = userinfo.removingPercentEncoding ?? userinfo
            head += "Authorization: Basic \(Data(plain.utf8).base64EncodedString())\r\n"
        }
        head += pool == nil ? "Connection: close\r\n\r\n" : "\r\n"  // HTTP/1.1: keep-alive unless said otherwise
        var bytes = Array(head.utf8)
        if let body = options.body { bytes.append(contentsOf: body) }
        return bytes
    }

    /// A header value without line breaks (a value cannot add headers).
    private static func headerValue(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0 != "\r" && $0 != "\n" }.map(Character.init))
    }

    /// Connects (`connectSocket`), then for https runs the TLS handshake (certificate checked against the host).
    private func connect(_ target: SocketHTTPURL) throws -> HTTPConnection {
        let fd = try connectSocket(target)
        guard target.secure else { return .plain(fd) }
        return try HTTPConnection.tlsClient(fd, host: target.host, caFile: options.caFile, identity: options.identity,
                                            maxTLS12: options.maxTLS12, wake: wakeRead,
                                            deadlineNs: deadlineNs)
    }

    /// Resolves and connects (each address in turn), within the deadline. Returns a connected, non-blocking socket.
    private func connectSocket(_ target: SocketHTTPURL) throws -> Int32 {
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
