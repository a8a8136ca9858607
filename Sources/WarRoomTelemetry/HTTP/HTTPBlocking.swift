import Foundation

/// Synchronous requests for callers outside this module that wait for their answer on their own thread (the etcd
/// store, `WarRoomEtcd`): one `HTTPClient` underneath (its kept-alive pool, its worker threads, its deadlines), the
/// calling thread parked on a semaphore until the request's completion runs. No CPU is spent while waiting.
package final class BlockingHTTPClient: @unchecked Sendable {
    let client: HTTPClient

    /// `caFile`: a CA certificate (PEM) trusted for https besides the system store (nil: `WARROOM_TLS_CA_FILE`);
    /// `identity`: a client certificate and key, presented when the server asks for one; `maxTLS12`: TLS 1.2 at
    /// most, so a server's refusal of the client certificate is a named handshake alert (see `TLSContext.client`).
    package init(caFile: String? = nil, identity: TLSClientIdentity? = nil, maxTLS12: Bool = false) {
        client = HTTPClient(token: nil, caFile: caFile, identity: identity, maxTLS12: maxTLS12)
    }

    /// Loads the CA file and the client certificate and key as https requests would (nil: the environment's
    /// `WARROOM_TLS_CA_FILE`), so a bad file fails before anything starts. The error names the file and what is
    /// wrong with it (missing, unreadable, not PEM, key not matching the certificate).
    package static func checkTLSFiles(caFile: String?, identity: TLSClientIdentity?) -> String? {
        let ca = caFile ?? ProcessInfo.processInfo.environment[HTTPClient.caFileVariable].flatMap { $0.isEmpty ? nil : $0 }
        do throws(SocketHTTPFailure) { _ = try TLSContext.client(caFile: ca, identity: identity) } catch {
            return error.message(timeoutMs: 0)
        }
        return nil
    }

    deinit { client.invalidate() }

    package struct Response: Sendable, Equatable {
        package var status: Int
        package var body: [UInt8]
    }

    /// `POST url` with `body` (JSON), waiting at most `timeoutMs`. The failure is a readable line without the URL
    /// ("connection refused", "timed out after 2 s", "connection closed by the server").
    package func post(_ url: String, body: [UInt8], headers: [(String, String)] = [], timeoutMs: Int64) -> Result<Response, BlockingHTTPError> {
        let box = OutcomeBox()
        let started = client.send(url, method: "POST", body: body, contentType: "application/json", headers: headers,
                                  accept: "application/json", timeoutMs: timeoutMs, keepBody: true) { outcome in
            box.set(outcome)
        }
        if case .failure(let e) = started { return .failure(BlockingHTTPError(message: e.message, sent: false)) }
        switch box.wait() {
        case .response(let r): return .success(Response(status: r.status, body: r.body))
        case .failure(let message):
            return .failure(BlockingHTTPError(message: message, sent: !Self.neverSent(message)))
        }
    }

    /// Refused or unresolvable: the request never reached a server.
    static func neverSent(_ message: String) -> Bool {
        message == "connection refused" || message.hasPrefix("cannot resolve host")
            || message == "network unreachable" || message == "host unreachable" || message == "address not available"
    }

    private final class OutcomeBox: @unchecked Sendable {
        private let semaphore = DispatchSemaphore(value: 0)
        private var outcome: HTTPOutcome?
        func set(_ o: HTTPOutcome) {
            outcome = o
            semaphore.signal()
        }
        func wait() -> HTTPOutcome {
            semaphore.wait()
            return outcome ?? .failure("no answer")
        }
    }
}

/// Why a blocking request failed. `sent` is false when the request certainly never reached a server (connection
/// refused, host unknown): a caller may then try another endpoint without wondering whether it was carried out.
package struct BlockingHTTPError: Error, Sendable, Equatable {
    package var message: String
    package var sent: Bool
}
