import Foundation
import WarRoomJSON
import WarRoomTelemetry

/// One change a watch reported.
public struct EtcdWatchEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable { case put, delete }
    public var kind: Kind
    /// For a delete: the key, and `modRevision` the revision of the delete.
    public var kv: EtcdKV
}

/// What one answer of a watch stream said.
public enum EtcdWatchMessage: Sendable, Equatable {
    /// The watch exists (events from the start revision on follow).
    case created
    /// Changes, in revision order.
    case events([EtcdWatchEvent])
    /// Every change up to `revision` has been sent (etcd's progress notification).
    case progress(revision: Int64)
    /// The start revision was compacted away: read the keys afresh, then watch from after that read.
    case compacted(revision: Int64)
    /// etcd ended the watch (no leader, …) or sent something that is not a watch answer.
    case failed(EtcdError)
}

/// One `POST /v3/watch` stream on one endpoint (the JSON gateway's long-lived chunked answer, one
/// `{"result":{…}}` per batch of events), split into values by `JSONStreamSplitter` and read into
/// `EtcdWatchMessage`s as they arrive. `onMessage` and then `onEnd` (once, unless cancelled) run on the stream's
/// thread. The request asks for a leader (`Grpc-Metadata-hasleader`): a member cut off from its quorum ends the
/// watch ("etcdserver: no leader") instead of holding it open silently; and for progress notifications.
public final class EtcdWatchStream: @unchecked Sendable {
    public let endpoint: EtcdURL.Endpoint
    private let handle: HTTPStream

    private init(endpoint: EtcdURL.Endpoint, handle: HTTPStream) {
        self.endpoint = endpoint
        self.handle = handle
    }

    /// Opens a watch of the keys in `[key, rangeEnd)` from `startRevision` on (0: from now) on `endpoint`.
    /// `timeoutMs` bounds the wait for the answer's head. Fails at once only when no request could be started.
    public static func open(_ client: EtcdClient, endpoint: EtcdURL.Endpoint, key: [UInt8], rangeEnd: [UInt8], startRevision: Int64,
                            timeoutMs: Int64, onMessage: @escaping @Sendable (EtcdWatchMessage) -> Void,
                            onEnd: @escaping @Sendable (EtcdError) -> Void) -> Result<EtcdWatchStream, EtcdError> {
        var create = JSONOut()
        create.bytes("key", key)
        create.bytes("range_end", rangeEnd)
        if startRevision > 0 { create.number("start_revision", startRevision) }
        create.raw("progress_notify", "true")
        var body = JSONOut()
        body.raw("create_request", create.text())
        let path = EtcdClient.apiPrefix + "/watch"
        let at = endpoint.description
        let reader = Reader(endpoint: at, path: path, onMessage: onMessage)
        let headers: [(String, String)]
        do throws(EtcdError) { headers = try client.requestHeaders() } catch { return .failure(error) }
        let started = client.http.stream(client.url.base(endpoint) + path, body: body.done(), headers: headers,
                                         timeoutMs: timeoutMs, onBytes: { reader.take($0) }) { end in
            switch end {
            case .success(let r):
                if r.status / 100 != 2 {
                    onEnd(EtcdWatchStream.errorAnswer(status: r.status, body: r.body, endpoint: at, path: path))
                } else {
                    onEnd(EtcdError(kind: .unreachable, endpoint: at, path: path, message: "the watch stream ended"))
                }
            case .failure(let f):
                onEnd(EtcdError(kind: f.message.hasPrefix("timed out") ? .timedOut : .unreachable, endpoint: at, path: path, message: f.message))
            }
        }
        switch started {
        case .success(let h): return .success(EtcdWatchStream(endpoint: endpoint, handle: h))
        case .failure(let f): return .failure(EtcdError(kind: .unreachable, endpoint: at, path: path, message: f.message))
        }
    }

    /// Ends the stream (its connection closes); `onEnd` is not called after this returns.
    public func cancel() { handle.cancel() }

    /// A non-2xx answer to the watch: no quorum (transient), or a refusal (a gateway without `/v3/watch`, …).
    static func errorAnswer(status: Int, body: [UInt8], endpoint: String, path: String) -> EtcdError {
        let parsed = try? JSONValue.parse(body).get()
        let message = parsed.flatMap(errorMessage) ?? "HTTP \(status): " + EtcdClient.snippet(body)
        let code = parsed.flatMap { EtcdClient.int($0["code"]) ?? EtcdClient.int($0["error"]?["grpc_code"]) }.map { Int($0) }
        let transient = EtcdError.meansNoQuorum(message) || code == 14 || status == 503
        return EtcdError(kind: transient ? .noQuorum : .rejected, endpoint: endpoint, path: path, message: message, code: code)
    }

    /// etcd 3.4's `{"error":"…","message":"…","code":N}` or 3.5's `{"error":{"grpc_code":N,"message":"…"}}`.
    static func errorMessage(_ v: JSONValue) -> String? {
        v["error"]?["message"]?.string ?? v["message"]?.string ?? v["error"]?.string
    }

    /// Splits the stream's bytes into answers and reads each (on the stream's thread; one reader per stream).
    private final class Reader: @unchecked Sendable {
        let endpoint: String
        let path: String
        let onMessage: @Sendable (EtcdWatchMessage) -> Void
        var splitter = JSONStreamSplitter()
        var broken = false

        init(endpoint: String, path: String, onMessage: @escaping @Sendable (EtcdWatchMessage) -> Void) {
            self.endpoint = endpoint
            self.path = path
            self.onMessage = onMessage
        }

        func take(_ bytes: ArraySlice<UInt8>) {
            guard !broken else { return }
            let values: [JSONValue]
            do throws(JSONFailure) { values = try splitter.feed(bytes) } catch {
                broken = true
                onMessage(.failed(EtcdError(kind: .badResponse, endpoint: endpoint, path: path, message: "the watch stream is not JSON: \(error)")))
                return
            }
            for v in values {
                let m = EtcdWatchStream.message(v, endpoint: endpoint, path: path)
                if case .failed = m { broken = true }
                onMessage(m)
                if broken { return }
            }
        }
    }

    /// One answer of the stream as a message.
    static func message(_ v: JSONValue, endpoint: String, path: String) -> EtcdWatchMessage {
        guard let r = v["result"] else {
            let message = errorMessage(v) ?? "not a watch answer: " + EtcdClient.snippet(Array("\(v)".utf8))
            let code = EtcdClient.int(v["code"]) ?? EtcdClient.int(v["error"]?["grpc_code"])
            let transient = EtcdError.meansNoQuorum(message) || code == 14
            return .failed(EtcdError(kind: transient ? .noQuorum : .badResponse, endpoint: endpoint, path: path, message: message,
                                     code: code.map { Int($0) }))
        }
        func flag(_ name: String) -> Bool { if case .bool(true)? = r[name] { return true } else { return false } }
        if flag("canceled") {
            if let compacted = EtcdClient.int(r["compact_revision"]), compacted > 0 { return .compacted(revision: compacted) }
            let reason = r["cancel_reason"]?.string ?? "the watch was cancelled"
            return .failed(EtcdError(kind: EtcdError.meansNoQuorum(reason) ? .noQuorum : .unreachable, endpoint: endpoint, path: path, message: reason))
        }
        if flag("created") { return .created }
        let list = r["events"]?.array ?? []
        if list.isEmpty { return .progress(revision: EtcdClient.int(r["header"]?["revision"]) ?? 0) }
        var events: [EtcdWatchEvent] = []
        for e in list {
            let kv = e["kv"]
            guard let key = EtcdClient.base64(kv?["key"]) else {
                return .failed(EtcdError(kind: .badResponse, endpoint: endpoint, path: path, message: "a watch event without a base64 key"))
            }
            events.append(EtcdWatchEvent(kind: e["type"]?.string == "DELETE" ? .delete : .put,
                                         kv: EtcdKV(key: key, value: EtcdClient.base64(kv?["value"]) ?? [],
                                                    createRevision: EtcdClient.int(kv?["create_revision"]) ?? 0,
                                                    modRevision: EtcdClient.int(kv?["mod_revision"]) ?? 0,
                                                    version: EtcdClient.int(kv?["version"]) ?? 0, lease: EtcdClient.int(kv?["lease"]) ?? 0)))
        }
        return .events(events)
    }
}
