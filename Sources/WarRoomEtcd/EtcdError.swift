/// Why an etcd request failed. `description` names the endpoint(s) and what failed, e.g.
/// `etcd 127.0.0.1:2379 unreachable: connection refused` or
/// `etcd 127.0.0.1:2379: no leader / lost quorum (etcdserver: no leader)`.
public struct EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// No connection (refused, unresolvable, reset): the request may not have reached etcd.
        case unreachable
        /// Sent, and no answer in time: it may or may not have been carried out.
        case timedOut
        /// etcd answered that it has no leader or cannot reach a quorum: nothing was carried out.
        case noQuorum
        /// etcd refused the request (bad request, lease not found, …).
        case rejected
        /// The answer was not what the gateway sends.
        case badResponse
        /// etcd did not let us in: wrong password, no user given to an etcd with auth on, no permission on a key.
        /// The message says who and what to do.
        case denied
        /// The TLS handshake failed (etcd's certificate not trusted, no or an untrusted client certificate); the
        /// message names the cause.
        case tls
    }

    public var kind: Kind
    /// The endpoint(s) tried, `127.0.0.1:2379` or `127.0.0.1:2379,127.0.0.1:22379`.
    public var endpoint: String
    /// The gateway path (`/v3/kv/txn`), when one was sent.
    public var path: String?
    public var message: String
    /// etcd's gRPC status code from the error body, when it sent one.
    public var code: Int?

    public init(kind: Kind, endpoint: String, path: String? = nil, message: String, code: Int? = nil) {
        self.kind = kind
        self.endpoint = endpoint
        self.path = path
        self.message = message
        self.code = code
    }

    /// Worth trying again on this or another endpoint: the cluster may answer in a moment.
    public var isTransient: Bool { kind == .unreachable || kind == .timedOut || kind == .noQuorum }

    /// etcd reported a missing lease (expired or revoked).
    public var isLeaseNotFound: Bool { message.contains("requested lease not found") }

    public var description: String {
        let what = path.map { " (\($0))" } ?? ""
        switch kind {
        case .unreachable: return "etcd \(endpoint) unreachable: \(message)"
        case .timedOut: return "etcd \(endpoint): no answer\(what): \(message) (a lost quorum looks like this too)"
        case .noQuorum: return "etcd \(endpoint): no leader / lost quorum (\(message))"
        case .rejected: return "etcd \(endpoint)\(what) refused: \(message)"
        case .badResponse: return "etcd \(endpoint)\(what): unexpected answer: \(message)"
        case .denied: return message
        case .tls: return "etcd \(endpoint): TLS handshake failed: \(message)"
        }
    }

    /// Messages of the gateway's error body that mean the cluster cannot serve a write (or a linearizable read) now.
    static func meansNoQuorum(_ message: String) -> Bool {
        ["no leader", "request timed out", "leader changed", "context deadline exceeded", "not enough started members",
         "too many requests", "timed out waiting for read index", "raft proposal dropped", "server stopped",
         "not capable"].contains { message.contains($0) }
    }
}
