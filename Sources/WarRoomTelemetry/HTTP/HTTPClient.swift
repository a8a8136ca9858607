import Foundation

/// A finished HTTP exchange (any status).
struct HTTPResponse: Sendable, Equatable {
    var status: Int
    var contentType: String?
    var body: [UInt8]
}

enum HTTPOutcome: Sendable, Equatable {
    case response(HTTPResponse)
    /// A readable line: "connection refused", "timed out after 2 s", "cannot resolve host x".
    case failure(String)
}

/// GET requests for one source: no cache, no cookies, no credential store, bounded bodies, redirects followed only
/// within the same scheme, host and port (so a bearer token never travels elsewhere; another origin's 3xx is the
/// response).
///
/// `http://` and `https://` take the same path, over our own sockets (`SocketHTTPRequest`; TLS with the system
/// OpenSSL, `TLS.swift`): each request has a worker thread to itself (`SocketHTTPWorkers`: parked threads are reused,
/// new ones started when none is free), blocked in `poll()` until the server answers, the request's `timeoutMs`
/// passes or it is cancelled. Waiting costs no CPU, even for a server that accepted the connection and never
/// answers. Connections are kept alive in this client's own idle pool (`SocketHTTPPool`), so a hung server's
/// connections never hold another source's.
///
/// (Before, https went through Foundation's URLSession, whose Linux implementation drives libcurl from libdispatch:
/// while a request waited on a server that accepted the connection and never answered, the dispatch manager thread
/// spun, ~250 wake-ups/s, 40–70 % of a core in a debug build for one hung source.)
///
/// Completions run at most once per request, on the request's own thread. After `cancel` returns, that request's
/// completion is not called, unless it was already running (callers ignore completions they no longer wait for).
final class HTTPClient: @unchecked Sendable {
    /// Bodies larger than this fail ("response larger than 8 MiB") instead of being buffered.
    static let maxBodyBytes = 8 << 20
    /// The environment variable naming a CA file (PEM) trusted for https besides the system store.
    static let caFileVariable = "WARROOM_TLS_CA_FILE"

    private let lock = NSLock()
    private var nextID = 0
    private var stopped = false
    /// Requests in flight, by id.
    private var requests: [Int: SocketHTTPRequest] = [:]
    private let token: String?
    private let caFile: String?
    private let identity: TLSClientIdentity?
    private let maxTLS12: Bool
    /// Kept-alive connections between requests.
    let pool = SocketHTTPPool()
    /// URLs already checked and parsed (a source asks for the same few URLs every tick).
    private var parsedURLs: [String: SocketHTTPURL] = [:]

    /// `caFile`: a CA certificate file (PEM) trusted for https besides the system store; nil takes
    /// `WARROOM_TLS_CA_FILE` from the environment, if set.
    /// `identity`: a client certificate and key presented when a server asks for one.
    init(token: String?, caFile: String? = nil, identity: TLSClientIdentity? = nil, maxTLS12: Bool = false) {
        self.token = token
        self.identity = identity
        self.maxTLS12 = maxTLS12
        self.caFile = caFile ?? ProcessInfo.processInfo.environment[Self.caFileVariable].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Starts `GET url`. Returns a handle for `cancel`, or a failure (and never calls `completion`) when the URL
    /// is unusable or the client was invalidated.
    func get(_ urlText: String, accept: String, timeoutMs: Int64, keepBody: Bool,
             completion: @escaping @Sendable (HTTPOutcome) -> Void) -> Result<Int, HTTPClientError> {
        send(urlText, accept: accept, timeoutMs: timeoutMs, keepBody: keepBody, completion: completion)
    }

    /// Starts `METHOD url` (GET, or POST with `body`), as `get` does; `headers` are sent as given.
    func send(_ urlText: String, method: String = "GET", body: [UInt8]? = nil, contentType: String? = nil,
              headers: [(String, String)] = [], accept: String, timeoutMs: Int64, keepBody: Bool,
              stream: (@Sendable (ArraySlice<UInt8>) -> Void)? = nil, streamIdleMs: Int64? = nil,
              completion: @escaping @Sendable (HTTPOutcome) -> Void) -> Result<Int, HTTPClientError> {
        lock.lock()
        var target = parsedURLs[urlText]
        lock.unlock()
        if target == nil {
            guard let parsed = SocketHTTPURL.parse(urlText) else {
                return .failure(HTTPClientError(message: "invalid URL (expected http:// or https://)"))
            }
            target = parsed
            lock.lock()
            if parsedURLs.count >= 64 { parsedURLs.removeAll() }
            parsedURLs[urlText] = parsed
            lock.unlock()
        }
        guard let target else { return .failure(HTTPClientError(message: "invalid URL (expected http:// or https://)")) }
        let token = self.token
        let options = SocketHTTPRequest.Options(
            accept: accept, authorization: token.flatMap { $0.isEmpty ? nil : "Bearer \($0)" },
            timeoutMs: max(1, timeoutMs), keepBody: keepBody, maxBodyBytes: Self.maxBodyBytes, caFile: caFile,
            identity: identity, maxTLS12: maxTLS12, method: method, body: body, contentType: contentType, headers: headers,
            stream: stream, streamIdleMs: streamIdleMs)
        lock.lock()
        guard !stopped else {
            lock.unlock()
            return .failure(HTTPClientError(message: "stopped"))
        }
        nextID += 1
        let id = nextID
        // The completion holds the client until the request ends (by answer, deadline or `cancel`/`invalidate`).
        // A stream holds its connection to the end: a connection of its own, never pooled.
        let request = SocketHTTPRequest(url: target, options: options, pool: stream == nil ? pool : nil) { [self] outcome in
            self.lock.lock()
            let mine = self.requests.removeValue(forKey: id) != nil
            self.lock.unlock()
            guard mine else { return }  // cancelled meanwhile
            if case .failure(let message) = outcome {
                completion(.failure(TelemetryText.redact(message, token)))
            } else {
                completion(outcome)
            }
        }
        requests[id] = request
        // Started under the lock, so the completion (which takes it) cannot run before the request is registered.
        if let problem = request.start() {
            requests.removeValue(forKey: id)
            lock.unlock()
            return .failure(HTTPClientError(message: problem))
        }
        lock.unlock()
        return .success(id)
    }

    /// Cancels a request; its completion is never called.
    func cancel(_ id: Int) {
        lock.lock()
        let request = requests.removeValue(forKey: id)
        lock.unlock()
        request?.cancel()
    }

    /// Cancels everything and closes the kept-alive connections.
    func invalidate() {
        lock.lock()
        stopped = true
        let all = Array(requests.values)
        requests.removeAll()
        lock.unlock()
        for request in all { request.cancel() }
        pool.closeAll()
    }
}

struct HTTPClientError: Error, Equatable {
    var message: String
}
