import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
/// - `http://` URLs go over plain sockets (`SocketHTTPRequest`): each request has a worker thread to itself
///   (`SocketHTTPWorkers`: parked threads are reused, new ones started when none is free), blocked in `poll()`
///   until the server answers, the request's `timeoutMs` passes or it is cancelled. Waiting costs no CPU, even for
///   a server that accepted the connection and never answers. Connections are kept alive in this client's own
///   idle pool (`SocketHTTPPool`), so a hung server's connections never hold another source's.
/// - `https://` URLs still go through one ephemeral `URLSession` per client (TLS), created on the first https
///   request, and keep its cost: swift-corelibs-foundation drives libcurl from libdispatch, and while a request
///   waits on a server that accepted the connection but never answers, the dispatch manager thread spins (libcurl
///   re-arms EPOLLOUT on the connected socket, ~250 wake-ups/s). Measured with http through URLSession (debug
///   build): one such hung source ≈ 40–70 % of a core for the whole process, 100 healthy sources at 1 s ≈ 9–10 %.
///   A hung https source still costs that until its timeout; prefer http for sources polled every second.
///
/// Completions run at most once per request: for http on the request's own thread, for https on the session's
/// private serial delegate queue. After `cancel` returns, that request's completion is not called, unless it was
/// already running (callers ignore completions they no longer wait for).
final class HTTPClient: NSObject, URLSessionDataDelegate, @unchecked Sendable {
    /// Bodies larger than this fail ("response larger than 8 MiB") instead of being buffered.
    static let maxBodyBytes = 8 << 20

    private struct Pending {
        var id: Int
        var completion: @Sendable (HTTPOutcome) -> Void
        var timeoutMs: Int64
        var keepBody: Bool
        var body: [UInt8] = []
        var response: HTTPURLResponse?
        var origin: String
        var tooLarge = false
        var task: URLSessionDataTask?
    }

    private let lock = NSLock()
    private var nextID = 0
    private var stopped = false
    /// http requests in flight, by id.
    private var socketRequests: [Int: SocketHTTPRequest] = [:]
    /// https requests in flight, by the session's task identifier; `taskByID` maps our ids to those.
    private var pending: [Int: Pending] = [:]
    private var taskByID: [Int: Int] = [:]
    private var session: URLSession?
    private let token: String?
    /// Kept-alive http connections between requests.
    let pool = SocketHTTPPool()
    /// http URLs already checked and parsed (a source asks for the same few URLs every tick).
    private var parsedURLs: [String: SocketHTTPURL] = [:]

    init(token: String?) {
        self.token = token
        super.init()
    }

    /// The https session, made on first use (under `lock`).
    private func httpsSession() -> URLSession {
        if let session { return session }
        let config = URLSessionConfiguration.ephemeral
        config.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        config.urlCache = nil
        config.httpCookieStorage = nil
        config.httpShouldSetCookies = false
        config.httpCookieAcceptPolicy = .never
        config.urlCredentialStorage = nil
        config.httpMaximumConnectionsPerHost = 8
        config.timeoutIntervalForResource = 24 * 3600  // never the limit: the poller enforces each timeout
        let queue = OperationQueue()
        queue.maxConcurrentOperationCount = 1
        queue.name = "warroom.telemetry.http"
        let made = URLSession(configuration: config, delegate: self, delegateQueue: queue)
        session = made
        return made
    }

    /// Starts `GET url`. Returns a handle for `cancel`, or a failure (and never calls `completion`) when the URL
    /// is unusable or the client was invalidated.
    func get(_ urlText: String, accept: String, timeoutMs: Int64, keepBody: Bool,
             completion: @escaping @Sendable (HTTPOutcome) -> Void) -> Result<Int, HTTPClientError> {
        lock.lock()
        let known = parsedURLs[urlText]
        lock.unlock()
        if let known {
            return getPlain(known, accept: accept, timeoutMs: timeoutMs, keepBody: keepBody, completion: completion)
        }
        guard let url = URL(string: urlText), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            url.host != nil
        else {
            return .failure(HTTPClientError(message: "invalid URL (expected http:// or https://)"))
        }
        if scheme == "http" {
            guard let target = SocketHTTPURL.parse(urlText) else {
                return .failure(HTTPClientError(message: "invalid URL (expected http:// or https://)"))
            }
            lock.lock()
            if parsedURLs.count >= 64 { parsedURLs.removeAll() }
            parsedURLs[urlText] = target
            lock.unlock()
            return getPlain(target, accept: accept, timeoutMs: timeoutMs, keepBody: keepBody, completion: completion)
        }
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        // Only a backstop: the poller enforces `timeoutMs` itself. swift-corelibs-foundation arms its watchdog
        // with `Int(timeoutInterval) * 1000` ms (a 0.5 s timeout would become 0 ms and fail at once) and resets
        // it whenever data arrives (a slow drip never times out), so it cannot be the deadline.
        request.timeoutInterval = Double(timeoutMs / 1000 + 2)
        request.cachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        request.httpShouldHandleCookies = false
        request.setValue(accept, forHTTPHeaderField: "Accept")
        request.setValue("warroom", forHTTPHeaderField: "User-Agent")
        if let token, !token.isEmpty {
            request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        }
        lock.lock()
        guard !stopped else {
            lock.unlock()
            return .failure(HTTPClientError(message: "stopped"))
        }
        let task = httpsSession().dataTask(with: request)
        nextID += 1
        let id = nextID
        pending[task.taskIdentifier] = Pending(id: id, completion: completion, timeoutMs: timeoutMs, keepBody: keepBody,
                                                origin: Self.origin(url), task: task)
        taskByID[id] = task.taskIdentifier
        lock.unlock()
        task.resume()
        return .success(id)
    }

    /// `http://`: a plain-socket request on a worker thread of its own.
    private func getPlain(_ target: SocketHTTPURL, accept: String, timeoutMs: Int64, keepBody: Bool,
                          completion: @escaping @Sendable (HTTPOutcome) -> Void) -> Result<Int, HTTPClientError> {
        let token = self.token
        let options = SocketHTTPRequest.Options(
            accept: accept, authorization: token.flatMap { $0.isEmpty ? nil : "Bearer \($0)" },
            timeoutMs: max(1, timeoutMs), keepBody: keepBody, maxBodyBytes: Self.maxBodyBytes)
        lock.lock()
        guard !stopped else {
            lock.unlock()
            return .failure(HTTPClientError(message: "stopped"))
        }
        nextID += 1
        let id = nextID
        // The completion holds the client until the request ends (by answer, deadline or `cancel`/`invalidate`),
        // as the session holds its delegate.
        let request = SocketHTTPRequest(url: target, options: options, pool: pool) { [self] outcome in
            self.lock.lock()
            let mine = self.socketRequests.removeValue(forKey: id) != nil
            self.lock.unlock()
            guard mine else { return }  // cancelled meanwhile
            if case .failure(let message) = outcome {
                completion(.failure(TelemetryText.redact(message, token)))
            } else {
                completion(outcome)
            }
        }
        socketRequests[id] = request
        // Started under the lock, so the completion (which takes it) cannot run before the request is registered.
        if let problem = request.start() {
            socketRequests.removeValue(forKey: id)
            lock.unlock()
            return .failure(HTTPClientError(message: problem))
        }
        lock.unlock()
        return .success(id)
    }

    /// Cancels a request; its completion is never called.
    func cancel(_ id: Int) {
        lock.lock()
        let socketRequest = socketRequests.removeValue(forKey: id)
        var task: URLSessionDataTask?
        if let taskID = taskByID.removeValue(forKey: id) {
            task = pending.removeValue(forKey: taskID)?.task
        }
        lock.unlock()
        socketRequest?.cancel()
        task?.cancel()
    }

    /// Cancels everything and releases the session (which retains this delegate until then).
    func invalidate() {
        lock.lock()
        stopped = true
        let session = self.session
        self.session = nil
        let requests = Array(socketRequests.values)
        socketRequests.removeAll()
        pending.removeAll()
        taskByID.removeAll()
        lock.unlock()
        for request in requests { request.cancel() }
        pool.closeAll()
        session?.invalidateAndCancel()
    }

    // MARK: URLSessionDataDelegate

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive response: URLResponse,
                    completionHandler: @escaping (URLSession.ResponseDisposition) -> Void) {
        lock.lock()
        pending[dataTask.taskIdentifier]?.response = response as? HTTPURLResponse
        lock.unlock()
        completionHandler(.allow)
    }

    func urlSession(_ session: URLSession, dataTask: URLSessionDataTask, didReceive data: Data) {
        lock.lock()
        var cancelIt = false
        if var entry = pending[dataTask.taskIdentifier], entry.keepBody {
            if entry.body.count + data.count > Self.maxBodyBytes {
                entry.tooLarge = true
                cancelIt = true
            } else {
                entry.body.append(contentsOf: data)
            }
            pending[dataTask.taskIdentifier] = entry
        }
        lock.unlock()
        if cancelIt { dataTask.cancel() }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping (URLRequest?) -> Void) {
        lock.lock()
        let origin = pending[task.taskIdentifier]?.origin
        lock.unlock()
        if let url = request.url, let origin, Self.origin(url) == origin {
            completionHandler(request)
        } else {
            completionHandler(nil)  // the 3xx itself becomes the response
        }
    }

    func urlSession(_ session: URLSession, task: URLSessionTask, didCompleteWithError error: Error?) {
        lock.lock()
        let entry = pending.removeValue(forKey: task.taskIdentifier)
        if let entry { taskByID.removeValue(forKey: entry.id) }
        lock.unlock()
        guard let entry else { return }
        let outcome: HTTPOutcome
        if entry.tooLarge {
            outcome = .failure("response larger than \(Self.maxBodyBytes >> 20) MiB")
        } else if let error {
            outcome = .failure(TelemetryText.redact(Self.describe(error, timeoutMs: entry.timeoutMs, url: task.originalRequest?.url), token))
        } else if let response = entry.response ?? (task.response as? HTTPURLResponse) {
            outcome = .response(HTTPResponse(status: response.statusCode,
                                             contentType: response.value(forHTTPHeaderField: "Content-Type"),
                                             body: entry.body))
        } else {
            outcome = .failure("no HTTP response")
        }
        entry.completion(outcome)
    }

    // MARK: Helpers

    static func origin(_ url: URL) -> String {
        let scheme = url.scheme?.lowercased() ?? ""
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        return "\(scheme)://\(url.host?.lowercased() ?? ""):\(port)"
    }

    /// URLSession's errors as one short line, without the URL (which may carry credentials).
    static func describe(_ error: Error, timeoutMs: Int64, url: URL?) -> String {
        let ns = error as NSError
        guard ns.domain == NSURLErrorDomain else { return TelemetryText.oneLine(ns.localizedDescription, limit: 160) }
        switch URLError.Code(rawValue: ns.code) {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "timed out after \(TelemetryText.seconds(timeoutMs))"
        case .cannotFindHost, .dnsLookupFailed: return "cannot resolve host \(url?.host ?? "")"
        case .networkConnectionLost: return "connection closed by the server"
        case .notConnectedToInternet: return "network unreachable"
        case .badServerResponse: return "bad HTTP response"
        case .unsupportedURL: return "unsupported URL"
        case .cancelled: return "cancelled"
        case .httpTooManyRedirects: return "too many redirects"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate,
            .serverCertificateHasUnknownRoot, .serverCertificateNotYetValid, .clientCertificateRejected,
            .clientCertificateRequired:
            return "TLS error: " + TelemetryText.oneLine(ns.localizedDescription, limit: 160)
        default:
            return "network error \(ns.code): " + TelemetryText.oneLine(ns.localizedDescription, limit: 160)
        }
    }
}

struct HTTPClientError: Error, Equatable {
    var message: String
}
