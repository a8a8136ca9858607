import Foundation

/// A long-lived streamed answer (etcd's `/v3/watch`): the body's bytes are handed over as they arrive, chunked
/// transfer decoded, on the request's own worker thread (blocked in `poll()` in between: no CPU while nothing comes).
/// The same `HTTPClient` underneath as every other request (its sockets, TLS, deadlines), on a connection of the
/// stream's own. `cancel()` ends it: the connection closes and `onEnd` is not called afterwards.
package final class HTTPStream: @unchecked Sendable {
    private let client: HTTPClient
    private let lock = NSLock()
    private var id: Int?
    private var cancelled = false

    fileprivate init(client: HTTPClient) {
        self.client = client
    }

    fileprivate func started(_ id: Int) {
        lock.lock()
        self.id = id
        let stop = cancelled
        lock.unlock()
        if stop { client.cancel(id) }
    }

    /// True once `cancel()` was called (bytes may still be on their way to `onBytes` then: callers ignore them).
    package var isCancelled: Bool {
        lock.lock()
        defer { lock.unlock() }
        return cancelled
    }

    package func cancel() {
        lock.lock()
        cancelled = true
        let id = self.id
        lock.unlock()
        if let id { client.cancel(id) }
    }
}

extension BlockingHTTPClient {
    /// `POST url` with `body`, streaming the answer: a 2xx body's bytes go to `onBytes` as they arrive; `onEnd` gets
    /// the end — the status (and for a non-2xx answer its whole body, as `post` returns it) when the server ended
    /// the answer, or the failure ("connection closed by the server", "timed out after 2 s", "connection refused").
    /// `timeoutMs` bounds the wait for the answer's head; `idleTimeoutMs` (nil: none) the silence after it. The stream ends with
    /// this client (keep it). Both
    /// callbacks run on the stream's thread, `onEnd` last and at most once, never after `cancel()` returned.
    package func stream(_ url: String, body: [UInt8], headers: [(String, String)] = [], timeoutMs: Int64, idleTimeoutMs: Int64? = nil,
                        onBytes: @escaping @Sendable (ArraySlice<UInt8>) -> Void,
                        onEnd: @escaping @Sendable (Result<Response, BlockingHTTPError>) -> Void) -> Result<HTTPStream, BlockingHTTPError> {
        let handle = HTTPStream(client: client)
        let started = client.send(url, method: "POST", body: body, contentType: "application/json", headers: headers,
                                  accept: "application/json", timeoutMs: timeoutMs, keepBody: true,
                                  stream: { bytes in
                                      guard !handle.isCancelled else { return }
                                      onBytes(bytes)
                                  }, streamIdleMs: idleTimeoutMs) { outcome in
            switch outcome {
            case .response(let r): onEnd(.success(Response(status: r.status, body: r.body)))
            case .failure(let message): onEnd(.failure(BlockingHTTPError(message: message, sent: !Self.neverSent(message))))
            }
        }
        switch started {
        case .failure(let e): return .failure(BlockingHTTPError(message: e.message, sent: false))
        case .success(let id):
            handle.started(id)
            return .success(handle)
        }
    }
}
