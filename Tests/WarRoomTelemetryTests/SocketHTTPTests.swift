import Foundation
import Testing
@testable import WarRoomTelemetry
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("HTTP over our own sockets, http:// and https://")
struct SocketHTTPTests {
    // MARK: Bodies

    @Test(arguments: Scheme.allCases) func contentLengthBodyAndRequestHead(scheme: Scheme) async throws {
        let server = try await scheme.server { _ in .json(#"{"ok":true}"#) }
        defer { server.stop() }
        let client = try await scheme.client()
        defer { client.invalidate() }
        let outcome = await fetch(client, server.baseURL + "/api/v1/query?query=up%5B5m%5D#frag")
        #expect(outcome == .response(HTTPResponse(status: 200, contentType: "application/json", body: Array(#"{"ok":true}"#.utf8))))
        let request = try #require(server.received.first)
        #expect(request.method == "GET")
        #expect(request.target == "/api/v1/query?query=up%5B5m%5D")
        #expect(request.headers["host"] == "127.0.0.1:\(server.port)")
        #expect(request.headers["accept"] == "application/json")
        #expect(request.headers["user-agent"] == "warroom")
        #expect(request.headers["connection"] == nil)  // HTTP/1.1: keep-alive
        #expect(request.headers["authorization"] == nil)
    }

    @Test func chunkedBodyInPieces() async throws {
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel")
            usleep(30_000)
            rawSend(fd, "lo\r\n7;name=value\r\n, world\r\n")
            usleep(30_000)
            rawSend(fd, "A\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n")
            usleep(2_000_000)  // the client must not wait for the close
        }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let started = monotonicMs()
        let outcome = await fetch(client, server.baseURL + "/")
        #expect(outcome == .response(HTTPResponse(status: 200, contentType: "text/plain", body: Array("hello, world0123456789".utf8))))
        // Far below the 2 s the server waits before closing: the end is the last chunk, not the close (a margin wide
        // enough for a loaded machine; it was 190 ms of 200, which a busy test run could miss).
        #expect(monotonicMs() - started < 1_500, "waited for the close after the last chunk")
    }

    @Test func bodyUntilTheConnectionCloses() async throws {
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.0 503 Service Unavailable\nContent-Type: text/html\n\n<title>down</title>\n")
            usleep(30_000)
            rawSend(fd, "more")
        }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let outcome = await fetch(client, server.baseURL)
        #expect(outcome == .response(HTTPResponse(status: 503, contentType: "text/html", body: Array("<title>down</title>\nmore".utf8))))
        #expect(server.targets == ["/"])
    }

    @Test func interimResponsesAreSkippedAndNoContentHasNoBody() async throws {
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Type: text/plain\r\n\r\n")
            usleep(4_000_000) // the connection stays open: a 204 has no body to wait for
        }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let started = monotonicMs()
        #expect(await fetch(client, server.baseURL) == .response(HTTPResponse(status: 204, contentType: "text/plain", body: [])))
        #expect(monotonicMs() - started < 3_000, "answered without waiting for the server to close")
    }

    @Test func bodyIsDiscardedWhenNotKept() async throws {
        let big = [UInt8](repeating: 65, count: HTTPClient.maxBodyBytes + 1_000)
        let server = try TestHTTPServer { _ in .respond(status: 200, contentType: "text/plain", body: big) }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        #expect(await fetch(client, server.baseURL, timeoutMs: 10_000, keepBody: false)
            == .response(HTTPResponse(status: 200, contentType: "text/plain", body: [])))
    }

    @Test func largeBodiesFailReadably() async throws {
        let limit = HTTPClient.maxBodyBytes
        let server = try RawHTTPServer { fd, head in
            if head.hasPrefix("GET /length") {
                rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(limit + 1)\r\n\r\n")
                usleep(200_000)
            } else if head.hasPrefix("GET /chunked") {
                rawSend(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                let piece = String(repeating: "x", count: 1 << 20)
                for _ in 0..<9 {
                    guard rawSend(fd, "100000\r\n" + piece + "\r\n") else { return }
                }
            } else {
                rawSend(fd, "HTTP/1.1 200 OK\r\n\r\n")
                let piece = String(repeating: "y", count: 1 << 20)
                for _ in 0..<9 {
                    guard rawSend(fd, piece) else { return }
                }
            }
        }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        for path in ["/length", "/chunked", "/close"] {
            let outcome = await fetch(client, server.baseURL + path, timeoutMs: 10_000)
            #expect(outcome == .failure("response larger than 8 MiB"), "\(path)")
        }
        // Exactly the limit is fine.
        server.script = { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: \(limit)\r\n\r\n")
            let piece = String(repeating: "z", count: 1 << 20)
            for _ in 0..<(limit >> 20) {
                guard rawSend(fd, piece) else { return }
            }
        }
        guard case .response(let response) = await fetch(client, server.baseURL, timeoutMs: 10_000) else {
            Issue.record("a body of exactly the limit should be read")
            return
        }
        #expect(response.body.count == limit)
    }

    @Test func malformedAndTruncatedResponses() async throws {
        let server = try RawHTTPServer { fd, head in
            if head.hasPrefix("GET /garbage") {
                rawSend(fd, "SSH-2.0-OpenSSH_9.2\r\n\r\n")
            } else if head.hasPrefix("GET /short") {
                rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this")
            } else if head.hasPrefix("GET /chunk") {
                rawSend(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
            }  // else: close without a word
        }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        #expect(await fetch(client, server.baseURL + "/garbage") == .failure("bad HTTP response"))
        #expect(await fetch(client, server.baseURL + "/short") == .failure("connection closed by the server"))
        #expect(await fetch(client, server.baseURL + "/chunk") == .failure("bad HTTP response (chunk size)"))
        #expect(await fetch(client, server.baseURL + "/nothing") == .failure("connection closed by the server"))
    }

    // MARK: Keep-alive

    @Test func keepAliveReusesTheConnection() async throws {
        let server = try RawHTTPServer(keepAlive: { fd, head, nth in
            if head.hasPrefix("GET /chunked") {
                rawSend(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nc\(nth)\r\n0\r\n\r\n")
            } else if head.hasPrefix("GET /last") {
                rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlast")
                return false
            } else if head.hasPrefix("GET /old") {
                rawSend(fd, "HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold")
                return false
            } else {
                rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nk\(nth)")
            }
            return true
        })
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        var bodies: [String] = []
        for path in ["/a", "/chunked", "/b", "/last", "/c", "/old", "/d"] {
            guard case .response(let response) = await fetch(client, server.baseURL + path) else {
                Issue.record("\(path) failed")
                return
            }
            bodies.append(String(decoding: response.body, as: UTF8.self))
        }
        #expect(bodies == ["k1", "c2", "k3", "last", "k1", "old", "k1"])
        // One connection until the server said close, then one more each time it did (or spoke HTTP/1.0).
        #expect(server.connections == 3)
        #expect(client.pool.idleCount == 1)
        client.invalidate()
        #expect(client.pool.idleCount == 0)
        #expect(await eventually(timeoutMs: 2_000) { server.openConnections == 0 })
    }

    /// The loopback server keeping connections alive, over both schemes: one connection carries every request (for
    /// https one TLS session; the server's post-handshake session tickets are read, not mistaken for a close).
    @Test(arguments: Scheme.allCases) func keepAliveOverBothSchemes(scheme: Scheme) async throws {
        let files = scheme == .https ? try await TestTLS.loopback().files : nil
        let server = try LoopbackHTTPServer(tls: files, keepAlive: true) { _ in .text("again") }
        defer { server.stop() }
        let client = try await scheme.client()
        defer { client.invalidate() }
        for _ in 0..<3 {
            #expect(await fetch(client, server.baseURL + "/k") == .response(
                HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: Array("again".utf8))))
            try await Task.sleep(nanoseconds: 50_000_000)  // idle in the pool a moment
        }
        #expect(server.received.count == 3)
        #expect(server.connections == 1)
        #expect(client.pool.idleCount == 1)
    }

    @Test func staleKeptAliveConnectionsAreReplaced() async throws {
        // The server closes each connection right after its answer, without saying so: the pooled connection is
        // found closed when taken.
        let closing = try RawHTTPServer(keepAlive: { fd, _, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return false
        })
        defer { closing.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let ok = HTTPOutcome.response(HTTPResponse(status: 200, contentType: nil, body: Array("ok".utf8)))
        #expect(await fetch(client, closing.baseURL) == ok)
        #expect(await eventually(timeoutMs: 2_000) { closing.openConnections == 0 })
        #expect(await fetch(client, closing.baseURL) == ok)
        #expect(closing.connections == 2)
        // The server closes a connection when the next request arrives on it (the race a poll cannot see): the
        // request is sent again, once, on a new connection.
        let racing = try RawHTTPServer(keepAlive: { fd, _, nth in
            guard nth == 1 else { return false }  // the second request on a connection: closed without an answer
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            return true
        })
        defer { racing.stop() }
        #expect(await fetch(client, racing.baseURL) == ok)
        #expect(await fetch(client, racing.baseURL) == ok)
        #expect(racing.connections == 2)
        #expect(racing.heads.count == 3)
        // A fresh connection closed without an answer is an error, not retried.
        #expect(await fetch(client, racing.baseURL + "/x") == ok)  // pooled: closed, then anew → ok
        let silent = try RawHTTPServer { _, _ in }
        defer { silent.stop() }
        #expect(await fetch(client, silent.baseURL) == .failure("connection closed by the server"))
        #expect(silent.heads.count == 1)
    }

    @Test func timedOutConnectionsAreNotKept() async throws {
        let server = try RawHTTPServer(keepAlive: { fd, _, nth in
            if nth == 1 {
                rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                return true
            }
            usleep(1_000_000)  // the second request on the connection gets no answer in time
            return false
        })
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        _ = await fetch(client, server.baseURL)
        #expect(client.pool.idleCount == 1)
        #expect(await fetch(client, server.baseURL, timeoutMs: 300) == .failure("timed out after 0.3 s"))
        #expect(client.pool.idleCount == 0)
    }

    // MARK: Failures and deadlines

    @Test(arguments: Scheme.allCases) func slowServerTimesOutWithinTheTimeout(scheme: Scheme) async throws {
        let server = try await scheme.server { _ in .json("{}", delayMs: 5_000) }
        defer { server.stop() }
        let client = try await scheme.client()
        defer { client.invalidate() }
        let started = monotonicMs()
        let outcome = await fetch(client, server.baseURL, timeoutMs: 500)
        let waited = monotonicMs() - started
        #expect(outcome == .failure("timed out after 0.5 s"))
        #expect(waited >= 490 && waited < 1_200, "timeout took \(waited) ms")
    }

    @Test func drippingServerStillTimesOut() async throws {
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
            for _ in 0..<100 {
                guard rawSend(fd, "x") else { return }
                usleep(50_000)
            }
        }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let started = monotonicMs()
        #expect(await fetch(client, server.baseURL, timeoutMs: 700) == .failure("timed out after 0.7 s"))
        let waited = monotonicMs() - started
        #expect(waited >= 690 && waited < 1_400, "timeout took \(waited) ms")
    }

    @Test(arguments: Scheme.allCases) func connectionRefused(scheme: Scheme) async throws {
        let client = try await scheme.client()
        defer { client.invalidate() }
        #expect(await fetch(client, "\(scheme)://127.0.0.1:\(TestHTTPServer.refusedPort())/x") == .failure("connection refused"))
    }

    @Test func unknownHost() async throws {
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let outcome = await fetch(client, "http://no-such-host.invalid:9090/", timeoutMs: 20_000)
        #expect(outcome == .failure("cannot resolve host no-such-host.invalid"))
    }

    @Test func namesAndIPv6Literals() async throws {
        let server = try TestHTTPServer { _ in .text("v4") }
        defer { server.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        // localhost may resolve to ::1 first (refused here): the next address is tried.
        #expect(await fetch(client, "http://localhost:\(server.port)/") == .response(
            HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: Array("v4".utf8))))
        #expect(server.received.last?.headers["host"] == "localhost:\(server.port)")
        guard let v6 = try? RawHTTPServer(ipv6: true, script: { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6")
        }) else { return }  // no IPv6 loopback here
        defer { v6.stop() }
        #expect(await fetch(client, "http://[::1]:\(v6.port)/six?x=1") == .response(HTTPResponse(status: 200, contentType: nil, body: Array("v6".utf8))))
        #expect(v6.heads.first?.contains("\r\nHost: [::1]:\(v6.port)\r\n") == true)
        #expect(v6.targets == ["/six?x=1"])
    }

    // MARK: Redirects and the token

    @Test(arguments: Scheme.allCases) func tokenIsSentAsAHeaderAndNeverShownInErrors(scheme: Scheme) async throws {
        let token = "tok-SECRET-4711"
        let server = try await scheme.server { _ in .text("fine") }
        defer { server.stop() }
        let client = try await scheme.client(token: token)
        defer { client.invalidate() }
        _ = await fetch(client, server.baseURL + "/a")
        #expect(server.received.first?.headers["authorization"] == "Bearer \(token)")
        // Errors never carry it, even where they name the host.
        let failures = [
            await fetch(client, "\(scheme)://\(token).invalid/", timeoutMs: 20_000),
            await fetch(client, "\(scheme)://127.0.0.1:\(TestHTTPServer.refusedPort())/?t=\(token)"),
        ]
        #expect(failures[0] == .failure("cannot resolve host [redacted].invalid"))
        #expect(failures[1] == .failure("connection refused"))
        for failure in failures { #expect(!"\(failure)".contains(token)) }
    }

    @Test(arguments: Scheme.allCases) func redirectsOnlyWithinTheOrigin(scheme: Scheme) async throws {
        let other = try await scheme.server { _ in .text("elsewhere") }
        defer { other.stop() }
        let origin = try await scheme.server { request in
            switch request.path {
            case "/same": return .respond(status: 302, contentType: nil, body: [], extraHeaders: [("Location", "next?a=1")])
            case "/next": return .text("arrived")
            case "/loop": return .respond(status: 307, contentType: nil, body: [], extraHeaders: [("Location", "/loop")])
            case "/scheme":  // the same host and port, the other scheme: another origin
                let flipped = scheme == .https ? "http" : "https"
                return .respond(status: 301, contentType: nil, body: [],
                                extraHeaders: [("Location", "\(flipped)://\(request.headers["host"] ?? "")/next")])
            default:
                return .respond(status: 302, contentType: "text/html", body: Array("moved".utf8),
                                extraHeaders: [("Location", other.baseURL + "/x")])
            }
        }
        defer { origin.stop() }
        let client = try await scheme.client(token: "t0k")
        defer { client.invalidate() }
        #expect(await fetch(client, origin.baseURL + "/same") == .response(
            HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: Array("arrived".utf8))))
        #expect(origin.received.map(\.target) == ["/same", "/next?a=1"])
        #expect(origin.received.allSatisfy { $0.headers["authorization"] == "Bearer t0k" })
        #expect(await fetch(client, origin.baseURL + "/cross") == .response(
            HTTPResponse(status: 302, contentType: "text/html", body: Array("moved".utf8))))
        #expect(other.received.isEmpty)
        #expect(await fetch(client, origin.baseURL + "/loop") == .failure("too many redirects"))
        #expect(await fetch(client, origin.baseURL + "/scheme") == .response(HTTPResponse(status: 301, contentType: nil, body: [])))
        #expect(origin.received.filter { $0.path == "/next" }.count == 1)
    }

    // MARK: Cancellation and the cost of waiting

    @Test(arguments: Scheme.allCases) func cancelClosesTheConnectionAndSkipsTheCompletion(scheme: Scheme) async throws {
        let hung = try await scheme.server { _ in .hang }
        defer { hung.stop() }
        let client = try await scheme.client()
        let calls = Counter()
        let id = try client.get(hung.baseURL, accept: "*/*", timeoutMs: 30_000, keepBody: false) { _ in calls.add() }.get()
        #expect(await eventually(timeoutMs: 5_000) { hung.received.count == 1 })
        client.cancel(id)
        #expect(await eventually(timeoutMs: 2_000) { hung.openConnectionCount == 0 })
        // invalidate does the same for whatever is still running, and later requests are refused.
        _ = try client.get(hung.baseURL, accept: "*/*", timeoutMs: 30_000, keepBody: false) { _ in calls.add() }.get()
        #expect(await eventually(timeoutMs: 5_000) { hung.received.count == 2 })
        client.invalidate()
        #expect(await eventually(timeoutMs: 2_000) { hung.openConnectionCount == 0 })
        try await Task.sleep(nanoseconds: 100_000_000)
        #expect(calls.value == 0)
        let late = client.get(hung.baseURL, accept: "*/*", timeoutMs: 1_000, keepBody: false) { _ in calls.add() }
        #expect(late == .failure(HTTPClientError(message: "stopped")))
    }

    /// More hung requests than parked workers: a new request still gets a thread at once.
    @Test func hungRequestsDoNotHoldUpOthers() async throws {
        let hung = try TestHTTPServer { _ in .hang }
        defer { hung.stop() }
        let fine = try TestHTTPServer { _ in .text("ok") }
        defer { fine.stop() }
        let client = HTTPClient(token: nil)
        defer { client.invalidate() }
        let count = SocketHTTPWorkers.maxIdle + 8
        for _ in 0..<count {
            _ = try client.get(hung.baseURL, accept: "*/*", timeoutMs: 10_000, keepBody: false) { _ in }.get()
        }
        #expect(await eventually(timeoutMs: 10_000) { hung.received.count == count })
        let started = monotonicMs()
        #expect(await fetch(client, fine.baseURL) == .response(HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: Array("ok".utf8))))
        #expect(monotonicMs() - started < 1_000)
        client.invalidate()
        #expect(await eventually(timeoutMs: 5_000) { hung.openConnectionCount == 0 })
    }

    /// The regression test for the spin: URLSession's libcurl/libdispatch loop woke ~250 times a second while a
    /// request waited on a server that accepted and never answered (~40 % of a core). Waiting must cost nothing.
    /// Other suites run in parallel in this process, so the check is the quietest 2 s window while the request
    /// waits: one window under 50 ms of process CPU passes (the spin made every window cost ~800 ms).
    @Test(arguments: Scheme.allCases) func waitingOnAHungServerCostsNoCPU(scheme: Scheme) async throws {
        let hung = try await scheme.server { _ in .hang }
        defer { hung.stop() }
        let client = try await scheme.client()
        defer { client.invalidate() }
        let done = Counter()
        _ = try client.get(hung.baseURL, accept: "*/*", timeoutMs: 30_000, keepBody: true) { _ in done.add() }.get()
        #expect(await eventually(timeoutMs: 5_000) { hung.received.count == 1 })
        var windows: [Double] = []
        for _ in 0..<10 {
            let before = processCPUMs()
            try await Task.sleep(nanoseconds: 2_000_000_000)
            windows.append(processCPUMs() - before)
            if windows.last! < 50 { break }
        }
        #expect(done.value == 0, "the request should still be waiting")
        #expect(hung.openConnectionCount == 1)
        #expect(windows.contains { $0 < 50 }, "process CPU per 2 s while waiting: \(windows.map { Int($0) }) ms")
    }

    // MARK: URLs

    @Test func parsesHTTPURLs() {
        let plain = SocketHTTPURL.parse("http://Prom.Example:9090/api/v1/query?query=up#x")
        #expect(plain == SocketHTTPURL(host: "Prom.Example", port: 9090, target: "/api/v1/query?query=up",
                                       hostHeader: "Prom.Example:9090", userinfo: nil))
        #expect(plain?.origin == "http://prom.example:9090")
        #expect(SocketHTTPURL.parse("HTTP://host") == SocketHTTPURL(host: "host", port: 80, target: "/", hostHeader: "host", userinfo: nil))
        #expect(SocketHTTPURL.parse("http://host:80?q=1")?.target == "/?q=1")
        #expect(SocketHTTPURL.parse("http://host:80?q=1")?.hostHeader == "host")
        #expect(SocketHTTPURL.parse("http://[::1]:8080/m") == SocketHTTPURL(host: "::1", port: 8080, target: "/m", hostHeader: "[::1]:8080", userinfo: nil))
        #expect(SocketHTTPURL.parse("http://[fe80::1]")?.origin == "http://[fe80::1]:80")
        #expect(SocketHTTPURL.parse("http://u:p%40ss@h:1/")?.userinfo == "u:p%40ss")
        #expect(SocketHTTPURL.parse("HTTPS://Prom.Example/q") == SocketHTTPURL(
            secure: true, host: "Prom.Example", port: 443, target: "/q", hostHeader: "Prom.Example", userinfo: nil))
        #expect(SocketHTTPURL.parse("https://h:8443/")?.origin == "https://h:8443")
        #expect(SocketHTTPURL.parse("https://h:443/")?.hostHeader == "h")
        #expect(SocketHTTPURL.parse("https://h:80/")?.hostHeader == "h:80")
        #expect(SocketHTTPURL.parse("https://h:1/a/b")?.resolve("c") == "https://h:1/a/c")
        for bad in ["https://", "http://", "http://:80/", "http://h:0/", "http://h:99999/", "http://h:x/", "http://[::1/",
                    "http://::1/", "http://h/a b", "ftp://h/"] {
            #expect(SocketHTTPURL.parse(bad) == nil, "\(bad)")
        }
        #expect(SocketHTTPURL.parse("http://h:1/a/b")?.resolve("c?d=1") == "http://h:1/a/c?d=1")
        #expect(SocketHTTPURL.parse("http://h:1/a/b")?.resolve("//other/x") == "http://other/x")
    }
}

// MARK: Helpers

/// `GET url` through `client`, waiting for the outcome (`get`'s own failure as `.failure("get: …")`).
private func fetch(_ client: HTTPClient, _ url: String, timeoutMs: Int64 = 2_000, keepBody: Bool = true) async -> HTTPOutcome {
    await withCheckedContinuation { continuation in
        let started = client.get(url, accept: "application/json", timeoutMs: timeoutMs, keepBody: keepBody) { outcome in
            continuation.resume(returning: outcome)
        }
        if case .failure(let error) = started { continuation.resume(returning: .failure("get: \(error.message)")) }
    }
}

/// User + system CPU time of this process, in milliseconds.
private func processCPUMs() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func ms(_ t: timeval) -> Double { Double(t.tv_sec) * 1_000 + Double(t.tv_usec) / 1_000 }
    return ms(usage.ru_utime) + ms(usage.ru_stime)
}

private final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() {
        lock.lock()
        count += 1
        lock.unlock()
    }
    var value: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// Writes all of `text` (or bytes); false once the peer is gone.
@discardableResult
func rawSend(_ fd: Int32, _ text: String) -> Bool {
    let bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if n <= 0 { return false }
        offset += n
    }
    return true
}

/// A server whose answers are written by hand (chunked, close-delimited, malformed, dripping): 127.0.0.1 or ::1,
/// one thread per connection; reads the request head, runs `script(fd, head)`, then closes the connection.
final class RawHTTPServer: @unchecked Sendable {
    typealias Script = @Sendable (Int32, String) -> Void
    /// Answers the `nth` request (from 1) of a connection; true keeps the connection for the next request.
    typealias KeepAliveScript = @Sendable (_ fd: Int32, _ head: String, _ nth: Int) -> Bool

    let port: UInt16
    var baseURL: String { "http://127.0.0.1:\(port)" }
    private let listenFD: Int32
    private let lock = NSLock()
    private var scriptValue: Script
    private var receivedHeads: [String] = []
    private var keepAliveScript: KeepAliveScript?
    private var accepted = 0
    private var open = 0
    private var stopped = false
    private let acceptDone = DispatchSemaphore(value: 0)

    var script: Script {
        get { lock.lock(); defer { lock.unlock() }; return scriptValue }
        set { lock.lock(); scriptValue = newValue; lock.unlock() }
    }

    var heads: [String] {
        lock.lock()
        defer { lock.unlock() }
        return receivedHeads
    }

    var targets: [String] { heads.map { String($0.split(separator: " ").dropFirst().first ?? "") } }

    var connections: Int {
        lock.lock()
        defer { lock.unlock() }
        return accepted
    }

    var openConnections: Int {
        lock.lock()
        defer { lock.unlock() }
        return open
    }

    /// A server answering several requests per connection (HTTP/1.1 keep-alive), as `keepAlive` decides.
    convenience init(keepAlive: @escaping KeepAliveScript) throws {
        try self.init(script: { _, _ in })
        lock.lock()
        keepAliveScript = keepAlive
        lock.unlock()
    }

    init(ipv6: Bool = false, script: @escaping Script) throws {
        scriptValue = script
        let fd = socket(ipv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestHTTPServer.ServerError("socket") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var bound: Int32
        if ipv6 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_addr = in6addr_loopback
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        } else {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        }
        guard bound == 0, listen(fd, 64) == 0 else {
            close(fd)
            throw TestHTTPServer.ServerError("bind/listen")
        }
        var storage = sockaddr_in6()
        var length = socklen_t(MemoryLayout<sockaddr_in6>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        // sin_port and sin6_port sit at the same offset.
        port = UInt16(bigEndian: storage.sin6_port)
        listenFD = fd
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    func stop() {
        lock.lock()
        if stopped {
            lock.unlock()
            return
        }
        stopped = true
        lock.unlock()
        shutdown(listenFD, Int32(SHUT_RDWR))
        acceptDone.wait()
        close(listenFD)
    }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while true {
            let fd = accept(listenFD, nil, nil)
            if fd < 0 {
                if errno == EINTR { continue }
                return
            }
            let thread = Thread { [self] in serve(fd) }
            thread.start()
        }
    }

    private func serve(_ fd: Int32) {
        lock.lock()
        accepted += 1
        open += 1
        lock.unlock()
        defer {
            close(fd)
            lock.lock()
            open -= 1
            lock.unlock()
        }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var nth = 0
        while true {
            var end: Range<String.Index>?
            while true {
                let text = String(decoding: data, as: UTF8.self)
                end = text.range(of: "\r\n\r\n")
                if end != nil { break }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { return }
                data += buffer[0..<n]
            }
            let text = String(decoding: data, as: UTF8.self)
            let head = String(text[..<end!.upperBound])
            data = Array(text[end!.upperBound...].utf8)
            nth += 1
            lock.lock()
            receivedHeads.append(head)
            let script = scriptValue
            let keepAlive = keepAliveScript
            lock.unlock()
            if let keepAlive {
                if !keepAlive(fd, head, nth) { return }
            } else {
                script(fd, head)
                return
            }
        }
    }
}
