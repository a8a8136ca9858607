import Foundation
import Testing
@testable import WarRoomTelemetry
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What only https has: the certificate must be trusted and name the host; and another TLS implementation (the
/// `openssl s_server` command) as the server. Behaviour shared with http (bodies, timeouts, hung servers, refused
/// connections, redirects, the token) is checked over both schemes in SocketHTTPTests.
@Suite("https: certificates and another TLS stack")
struct HTTPSTests {
    @Test func untrustedCertificateFails() async throws {
        let server = try await Scheme.https.server { _ in .text("secret") }
        defer { server.stop() }
        let client = HTTPClient(token: "tok-TLS-1")
        defer { client.invalidate() }
        let outcome = await get(client, server.baseURL + "/")
        guard case .failure(let message) = outcome else {
            Issue.record("a self-signed certificate must not be trusted: \(outcome)")
            return
        }
        #expect(message.hasPrefix("TLS error: certificate verify failed ("), "\(message)")
        #expect(message.contains("self-signed") || message.contains("self signed"), "\(message)")
        #expect(server.received.isEmpty, "no request may be sent over an untrusted connection")
    }

    @Test func certificateMustNameTheHost() async throws {
        let server = try LoopbackHTTPServer(tls: try await TestTLS.otherName().files) { _ in .text("wrong host") }
        defer { server.stop() }
        let client = HTTPClient(token: nil, caFile: try await TestTLS.otherName().caFile)
        defer { client.invalidate() }
        #expect(await get(client, "https://127.0.0.1:\(server.port)/")
            == .failure("TLS error: certificate verify failed (IP address mismatch)"))
        #expect(await get(client, "https://localhost:\(server.port)/")
            == .failure("TLS error: certificate verify failed (hostname mismatch)"))
        #expect(server.received.isEmpty)
    }

    @Test func trustedThroughTheCAFile() async throws {
        let server = try await Scheme.https.server { _ in .text("hello over TLS") }
        defer { server.stop() }
        let client = try await Scheme.https.client()
        defer { client.invalidate() }
        for host in ["127.0.0.1", "localhost"] {
            #expect(await get(client, "https://\(host):\(server.port)/x") == .response(
                HTTPResponse(status: 200, contentType: "text/plain; charset=utf-8", body: Array("hello over TLS".utf8))))
        }
        #expect(server.received.map(\.target) == ["/x", "/x"])
        // A missing CA file is a readable failure, not a crash.
        let broken = HTTPClient(token: nil, caFile: "/nonexistent/ca.pem")
        defer { broken.invalidate() }
        guard case .failure(let message) = await get(broken, server.baseURL) else {
            Issue.record("a missing CA file must fail")
            return
        }
        #expect(message.hasPrefix("TLS error: cannot load CA file /nonexistent/ca.pem"), "\(message)")
    }

    /// The client against OpenSSL's own test server (`openssl s_server -www`, HTTP/1.0, body until close).
    @Test func anotherTLSServer() async throws {
        let port = LoopbackHTTPServer.refusedPort()
        let certificate = try await TestTLS.loopback()
        let spec = ProcessSpec(argv: ["openssl", "s_server", "-accept", "127.0.0.1:\(port)", "-cert", certificate.files.certificate,
                                      "-key", certificate.files.key, "-www", "-quiet"], timeoutMs: 60_000)
        let server = Task { await ProcessRunner.run(spec) }
        defer { server.cancel() }  // cancelling the run kills the server's process group
        let client = try await Scheme.https.client()
        defer { client.invalidate() }
        var outcome = HTTPOutcome.failure("not tried")
        let deadline = monotonicMs() + 10_000
        repeat {
            outcome = await get(client, "https://localhost:\(port)/")
            if case .response = outcome { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        } while monotonicMs() < deadline
        server.cancel()
        guard case .response(let response) = outcome else {
            Issue.record("openssl s_server: \(outcome); \(await server.value)")
            return
        }
        #expect(response.status == 200)
        #expect(String(decoding: response.body, as: UTF8.self).contains("s_server"))
    }
}

private func get(_ client: HTTPClient, _ url: String) async -> HTTPOutcome {
    await withCheckedContinuation { continuation in
        let started = client.get(url, accept: "*/*", timeoutMs: 5_000, keepBody: true) { outcome in
            continuation.resume(returning: outcome)
        }
        if case .failure(let error) = started { continuation.resume(returning: .failure("get: " + error.message)) }
    }
}
