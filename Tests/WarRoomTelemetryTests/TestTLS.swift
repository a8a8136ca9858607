import Foundation
import Testing
@testable import WarRoomTelemetry

/// Certificates for the https tests, made on first use in each test process with the `openssl` command
/// (scripts/deps installs it), run through the project's own `ProcessRunner` (Foundation's `Process` can miss its
/// child's exit while the process-runner tests reap theirs); self-signed, valid for a day, in a temporary folder.
enum TestTLS {
    struct Certificate: Sendable {
        var files: LoopbackHTTPServer.TLSFiles
        /// The certificate itself, to trust as a CA (`HTTPClient(caFile:)`).
        var caFile: String { files.certificate }
    }

    /// Names `localhost` and `127.0.0.1`: what the tests connect to.
    static func loopback() async throws -> Certificate {
        try await Maker.shared.certificate("loopback", subjectAltName: "DNS:localhost,IP:127.0.0.1")
    }

    /// Names only `other.example`: trusted, but not for the loopback names.
    static func otherName() async throws -> Certificate {
        try await Maker.shared.certificate("other", subjectAltName: "DNS:other.example")
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private actor Maker {
        static let shared = Maker()
        /// One making per certificate: every caller waits for the same one (a server and the client that trusts it
        /// must get the same certificate).
        private var making: [String: Task<Certificate, Error>] = [:]
        private let folder: String = {
            let path = NSTemporaryDirectory() + "warroom-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }()

        func certificate(_ name: String, subjectAltName: String) async throws -> Certificate {
            if let task = making[name] { return try await task.value }
            let cert = folder + "/\(name)-cert.pem"
            let key = folder + "/\(name)-key.pem"
            let task = Task {
                let outcome = await ProcessRunner.run(ProcessSpec(argv: [
                    "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=warroom test \(name)",
                    "-addext", "subjectAltName=\(subjectAltName)",
                ], timeoutMs: 30_000))
                guard outcome.termination == .exited(0) else {
                    throw Failure(description: "openssl req: \(outcome.summary) \(outcome.tail) (is openssl installed? scripts/deps)")
                }
                return Certificate(files: .init(certificate: cert, key: key))
            }
            making[name] = task
            return try await task.value
        }
    }
}

/// The schemes the client's behaviour is checked over: plain and TLS take the same path.
enum Scheme: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case http
    case https

    var testDescription: String { rawValue }

    /// A loopback server speaking this scheme.
    func server(_ handler: @escaping LoopbackHTTPServer.Handler) async throws -> LoopbackHTTPServer {
        try LoopbackHTTPServer(tls: self == .https ? try await TestTLS.loopback().files : nil, handler: handler)
    }

    /// A client trusting the test certificate.
    func client(token: String? = nil) async throws -> HTTPClient {
        HTTPClient(token: token, caFile: self == .https ? try await TestTLS.loopback().caFile : nil)
    }
}
