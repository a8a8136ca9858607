import WarRoomTelemetry

/// One blocking `GET` to a 127.0.0.1 port, for the stack demo's own checks: Prometheus's `/-/ready` and the
/// backends' `/_admin/stats`. Nil when refused, reset, or not answered within `timeoutMs`. The one blocking client
/// the notifier and the etcd store use (its own worker threads: callers may be on any thread).
enum StackHTTP {
    static let client = BlockingHTTPClient()

    static func get(port: UInt16, path: String, timeoutMs: Int = 1_000) -> (status: Int, body: String)? {
        switch client.request("http://127.0.0.1:\(port)\(path)", method: "GET", timeoutMs: Int64(timeoutMs)) {
        case .success(let r): return (r.status, String(decoding: r.body, as: UTF8.self))
        case .failure: return nil
        }
    }
}
