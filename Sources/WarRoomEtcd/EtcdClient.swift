import Foundation
import WarRoomJSON
import WarRoomTelemetry

/// One key-value as etcd returns it.
public struct EtcdKV: Sendable, Equatable {
    public var key: [UInt8]
    public var value: [UInt8]
    public var createRevision: Int64
    public var modRevision: Int64
    public var version: Int64
    /// The etcd lease attached (0: none).
    public var lease: Int64
}

/// What a range returned: the kvs, whether more match past the limit, and the store revision it was read at.
public struct EtcdRange: Sendable, Equatable {
    public var kvs: [EtcdKV]
    public var more: Bool
    public var count: Int64
    public var revision: Int64
}

/// A txn compare: `key`'s `target` `==`/`!=`/`<`/`>` a value.
public struct EtcdCompare: Sendable, Equatable {
    public enum Target: String, Sendable { case version = "VERSION", create = "CREATE", mod = "MOD", value = "VALUE" }
    public enum Result: String, Sendable { case equal = "EQUAL", notEqual = "NOT_EQUAL", greater = "GREATER", less = "LESS" }
    public var key: [UInt8]
    public var target: Target
    public var result: Result
    /// The revision or version compared (target version, create, mod).
    public var number: Int64 = 0
    /// The value compared (target value).
    public var value: [UInt8] = []

    public static func createRevision(_ key: [UInt8], _ r: Result = .equal, _ n: Int64) -> EtcdCompare {
        EtcdCompare(key: key, target: .create, result: r, number: n)
    }
    public static func modRevision(_ key: [UInt8], _ r: Result = .equal, _ n: Int64) -> EtcdCompare {
        EtcdCompare(key: key, target: .mod, result: r, number: n)
    }
    public static func version(_ key: [UInt8], _ r: Result = .equal, _ n: Int64) -> EtcdCompare {
        EtcdCompare(key: key, target: .version, result: r, number: n)
    }
    public static func value(_ key: [UInt8], _ r: Result = .equal, _ v: [UInt8]) -> EtcdCompare {
        EtcdCompare(key: key, target: .value, result: r, value: v)
    }
}

/// One operation of a txn branch.
public enum EtcdOp: Sendable, Equatable {
    case put(key: [UInt8], value: [UInt8], lease: Int64)
    /// `rangeEnd` empty: the key alone; `limit` 0: no limit; `revision` 0: the latest.
    case range(key: [UInt8], rangeEnd: [UInt8], limit: Int64, revision: Int64)
    case delete(key: [UInt8], rangeEnd: [UInt8])
}

/// What a txn did: whether the compares held, the store revision after it, and each op's answer (range answers
/// carry kvs; others none).
public struct EtcdTxnResult: Sendable, Equatable {
    public var succeeded: Bool
    public var revision: Int64
    public var ranges: [EtcdRange?]
}

/// etcd v3 through its JSON gateway (`POST /v3/kv/…`, `/v3/lease/…`), over warroom's one HTTP client. Keys and values
/// are bytes (base64 on the wire); 64-bit numbers travel as JSON strings. Every request has a deadline
/// (`timeoutMs`); endpoints are tried in turn, starting with the one that answered last, moving on when one cannot
/// be reached or answers that it has no leader. Every request asks for a leader (`Grpc-Metadata-hasleader: true`):
/// a member cut off from its quorum answers "etcdserver: no leader" at once instead of waiting out its 7 s
/// proposal timeout. Thread-safe.
///
/// Access (`url.access`): TLS with the CA file and the client certificate and key given (etcdctl's `--cacert`,
/// `--cert`, `--key`), and, with a user, a token from `POST /v3/auth/authenticate` sent in the `Authorization`
/// header of every request — shared by every client with the same `EtcdCredentials` and fetched again, once per
/// request, when etcd says it no longer knows it (simple tokens expire). An authentication or permission failure
/// is a `.denied` error saying who was refused and what to do; no message carries the password or a token.
public final class EtcdClient: @unchecked Sendable {
    public let url: EtcdURL
    /// Deadline of one request to one endpoint.
    public let timeoutMs: Int64
    let http: BlockingHTTPClient
    private let lock = NSLock()
    private var current = 0

    /// `caFile`: overrides `url.access.caFile`.
    public init(url: EtcdURL, timeoutMs: Int64 = 3_000, caFile: String? = nil) {
        self.url = url
        self.timeoutMs = timeoutMs
        // TLS 1.2 at most: etcd's refusal of a (missing or untrusted) client certificate is then the handshake's
        // named alert; under TLS 1.3 it races the first request and often shows as a bare connection reset.
        http = BlockingHTTPClient(caFile: caFile ?? url.access.caFile, identity: url.access.identity, maxTLS12: true)
    }

    /// The gateway's path prefix. etcd 3.4 serves both `/v3/` and `/v3beta/`; 3.5 dropped `/v3beta/`.
    static let apiPrefix = "/v3"

    // MARK: requests

    public func range(_ key: [UInt8], rangeEnd: [UInt8] = [], limit: Int64 = 0, revision: Int64 = 0) throws(EtcdError) -> EtcdRange {
        var j = JSONOut()
        j.bytes("key", key)
        if !rangeEnd.isEmpty { j.bytes("range_end", rangeEnd) }
        if limit > 0 { j.number("limit", limit) }
        if revision > 0 { j.number("revision", revision) }
        let (v, at) = try call("/kv/range", j.done(), key: key)
        return try parseRange(v, endpoint: at, path: "/kv/range")
    }

    /// All keys starting with `prefix`.
    public func rangePrefix(_ prefix: [UInt8], limit: Int64 = 0, revision: Int64 = 0) throws(EtcdError) -> EtcdRange {
        try range(prefix, rangeEnd: Self.prefixEnd(prefix), limit: limit, revision: revision)
    }

    /// Returns the revision after the put.
    @discardableResult
    public func put(_ key: [UInt8], _ value: [UInt8], lease: Int64 = 0) throws(EtcdError) -> Int64 {
        var j = JSONOut()
        j.bytes("key", key)
        j.bytes("value", value)
        if lease != 0 { j.number("lease", lease) }
        let (v, at) = try call("/kv/put", j.done(), key: key)
        return try revision(v, endpoint: at, path: "/kv/put")
    }

    /// Returns how many keys were deleted.
    @discardableResult
    public func delete(_ key: [UInt8], rangeEnd: [UInt8] = []) throws(EtcdError) -> Int64 {
        var j = JSONOut()
        j.bytes("key", key)
        if !rangeEnd.isEmpty { j.bytes("range_end", rangeEnd) }
        let (v, _) = try call("/kv/deleterange", j.done(), key: key)
        return Self.int(v["deleted"]) ?? 0
    }

    public func txn(compare: [EtcdCompare], success: [EtcdOp], failure: [EtcdOp] = []) throws(EtcdError) -> EtcdTxnResult {
        var j = JSONOut()
        j.raw("compare", "[" + compare.map(Self.compareJSON).joined(separator: ",") + "]")
        j.raw("success", "[" + success.map(Self.opJSON).joined(separator: ",") + "]")
        j.raw("failure", "[" + failure.map(Self.opJSON).joined(separator: ",") + "]")
        let (v, at) = try call("/kv/txn", j.done(), key: compare.first?.key ?? success.first?.key)
        let succeeded: Bool
        if case .bool(let b)? = v["succeeded"] { succeeded = b } else { succeeded = false }  // false is omitted
        let ops = succeeded ? success : failure
        let answers = v["responses"]?.array ?? []
        var ranges: [EtcdRange?] = []
        for (k, op) in ops.enumerated() {
            guard case .range = op else { ranges.append(nil); continue }
            guard k < answers.count, let r = answers[k]["response_range"] else {
                throw EtcdError(kind: .badResponse, endpoint: at, path: Self.apiPrefix + "/kv/txn", message: "no response_range for op \(k + 1)")
            }
            var parsed = try parseRange(r, endpoint: at, path: "/kv/txn")
            if parsed.revision == 0 { parsed.revision = Self.int(v["header"]?["revision"]) ?? 0 }
            ranges.append(parsed)
        }
        return EtcdTxnResult(succeeded: succeeded, revision: try revision(v, endpoint: at, path: "/kv/txn"), ranges: ranges)
    }

    /// A new etcd lease of `ttlSeconds`: its ID and the TTL etcd granted.
    public func leaseGrant(ttlSeconds: Int64) throws(EtcdError) -> (id: Int64, ttl: Int64) {
        var j = JSONOut()
        j.number("TTL", ttlSeconds)
        let (v, at) = try call("/lease/grant", j.done())
        if let e = v["error"]?.string, !e.isEmpty { throw EtcdError(kind: .rejected, endpoint: at, path: Self.apiPrefix + "/lease/grant", message: e) }
        guard let id = Self.int(v["ID"]), id != 0, let ttl = Self.int(v["TTL"]) else {
            throw EtcdError(kind: .badResponse, endpoint: at, path: Self.apiPrefix + "/lease/grant", message: "no lease ID or TTL")
        }
        return (id, ttl)
    }

    /// Renews the lease once; returns its new TTL in seconds, 0 when it no longer exists (expired or revoked).
    public func leaseKeepAlive(_ id: Int64) throws(EtcdError) -> Int64 {
        var j = JSONOut()
        j.number("ID", id)
        // A streaming call: the gateway answers one `{"result":{…}}` per request message, then ends the stream.
        let (v, _) = try call("/lease/keepalive", j.done())
        let r = v["result"] ?? v
        return Self.int(r["TTL"]) ?? 0
    }

    /// Seconds left (-1: the lease does not exist) and the TTL it was granted with.
    public func leaseTimeToLive(_ id: Int64) throws(EtcdError) -> (ttl: Int64, granted: Int64) {
        var j = JSONOut()
        j.number("ID", id)
        let (v, _) = try call("/lease/timetolive", j.done())
        return (Self.int(v["TTL"]) ?? -1, Self.int(v["grantedTTL"]) ?? 0)
    }

    /// Revokes the lease (its keys are deleted); a lease already gone is not an error.
    public func leaseRevoke(_ id: Int64) throws(EtcdError) {
        var j = JSONOut()
        j.number("ID", id)
        do throws(EtcdError) { _ = try call("/lease/revoke", j.done()) } catch {
            if error.isLeaseNotFound { return }
            throw error
        }
    }

    /// The answering member's ID and the leader it knows (0: none), from `/v3/maintenance/status`.
    public func status() throws(EtcdError) -> (member: UInt64, leader: UInt64) {
        let (v, _) = try call("/maintenance/status", Array("{}".utf8))
        let member = v["header"]?["member_id"]?.string.flatMap { UInt64($0) } ?? 0
        return (member, v["leader"]?.string.flatMap { UInt64($0) } ?? 0)
    }

    // MARK: transport

    /// `exchange` with the user's token (authenticating first when there is none, and once more when etcd no longer
    /// knows it); failures worded for people (`explain`) and without the password or a token. `key`: the key the
    /// request is about, for a permission failure's message.
    func call(_ path: String, _ body: [UInt8], key: [UInt8]? = nil, only: EtcdURL.Endpoint? = nil) throws(EtcdError) -> (JSONValue, String) {
        let credentials = url.access.credentials
        do throws(EtcdError) {
            guard let credentials else { return try exchange(path, body, token: nil, only: only) }
            var token = credentials.token
            if token == nil { token = try authenticate(credentials, replacing: nil) }
            do throws(EtcdError) { return try exchange(path, body, token: token, only: only) } catch {
                guard Self.meansStaleToken(error, token: token) else { throw error }
                token = try authenticate(credentials, replacing: token)
                return try exchange(path, body, token: token, only: only)
            }
        } catch {
            var e = explain(error, key: key)
            if let credentials { e.message = credentials.redact(e.message) }
            throw e
        }
    }

    /// The headers a request outside `call` (the watch's stream) sends: the leader check and, for a user, the token
    /// (authenticating first when there is none yet).
    func requestHeaders() throws(EtcdError) -> [(String, String)] {
        var headers = [("Grpc-Metadata-hasleader", "true")]
        guard let credentials = url.access.credentials else { return headers }
        var token = credentials.token
        if token == nil { token = try authenticate(credentials, replacing: nil) }
        if let token, !token.isEmpty { headers.append(("Authorization", token)) }
        return headers
    }

    /// Asks etcd for a token for `credentials` (kept in them for every client sharing them). An etcd without
    /// authentication gives none: requests then go without (as etcdctl does).
    private func authenticate(_ credentials: EtcdCredentials, replacing old: String?) throws(EtcdError) -> String {
        credentials.noteAuthentication()
        do throws(EtcdError) {
            let (v, at) = try exchange("/auth/authenticate", credentials.authenticateBody(), token: nil)
            guard let token = v["token"]?.string, !token.isEmpty else {
                throw EtcdError(kind: .badResponse, endpoint: at, path: Self.apiPrefix + "/auth/authenticate", message: "no token")
            }
            credentials.store(token: token, replacing: old)
            return token
        } catch {
            if error.kind == .rejected, error.message.contains("authentication is not enabled") {
                credentials.store(token: "", replacing: old)
                return ""
            }
            throw error
        }
    }

    /// etcd no longer knows the token (expired, or etcd restarted: simple tokens live in its memory), or its auth
    /// store changed since; or authentication was switched on after we found it off.
    static func meansStaleToken(_ e: EtcdError, token: String?) -> Bool {
        guard e.kind == .rejected else { return false }
        return e.message.contains("invalid auth token") || e.message.contains("revision of auth store is old")
            || (token == "" && e.message.contains("user name is empty"))
    }

    /// Authentication and permission failures as `.denied`, saying who was refused and what to do; TLS failures
    /// with their likely cause. Others as they are.
    private func explain(_ e: EtcdError, key: [UInt8]?) -> EtcdError {
        let credentials = url.access.credentials
        var out = e
        switch e.kind {
        case .rejected:
            let m = e.message
            if m.contains("authentication failed") {
                out.kind = .denied
                out.message = "etcd refused user \(credentials?.user ?? "?"): authentication failed (at \(e.endpoint); "
                    + "check the password from \(credentials?.passwordSource ?? "the password file") and the user name)"
            } else if m.contains("user name is empty") {
                out.kind = .denied
                out.message = "etcd \(e.endpoint) has authentication on: give --user NAME, with the password in --password-file FILE "
                    + "or $\(EtcdCredentials.defaultPasswordVariable)"
            } else if m.contains("permission denied") {
                out.kind = .denied
                let who = credentials.map { "user \($0.user)" } ?? "a request without --user"
                let name = key.map { String(decoding: $0, as: UTF8.self) } ?? url.prefix
                out.message = "etcd \(e.endpoint) refused \(who): permission denied on key \(name) (\(e.path ?? "")); the run needs "
                    + "readwrite on the prefix \(url.prefix)/ (etcdctl role grant-permission ROLE --prefix=true readwrite \(url.prefix)/)"
            } else if m.contains("invalid auth token") {
                out.kind = .denied
                out.message = "etcd \(e.endpoint) refused the token of \(credentials.map { "user \($0.user)" } ?? "the request") "
                    + "even after authenticating again (\(m))"
            }
        case .tls:
            out.message = Self.tlsCause(e.message, access: url.access)
        default: break
        }
        return out
    }

    /// A handshake failure's likely cause and what to do, from OpenSSL's words.
    static func tlsCause(_ message: String, access: EtcdAccess) -> String {
        let m = EtcdAccess.plainTLS(message)
        if m.contains("certificate verify failed") {
            let which = access.caFile.map { "--cacert \($0) did not sign it" } ?? "give --cacert FILE, the CA that signed it"
            return "etcd's certificate is not trusted: \(m); \(which)"
        }
        let asksForCert = m.contains("certificate required") || m.contains("handshake failure")
        let refusesCert = m.contains("bad certificate") || m.contains("unknown ca") || m.contains("certificate unknown")
        if asksForCert || refusesCert {
            if let cert = access.certFile {
                return "etcd does not accept the client certificate \(cert) (\(m)); it must be signed by a CA in etcd's --trusted-ca-file"
            }
            return "etcd asks for a client certificate (\(m)); give --cert FILE and --key FILE"
        }
        return m
    }

    /// POSTs `body` to each endpoint in turn (from the one that answered last) until one answers; returns the
    /// parsed answer and the endpoint that gave it. An error body is thrown as an `EtcdError`. `token`: sent as
    /// `Authorization` (nil or empty: none). `only`: that endpoint alone, the one that answered last left as it was
    /// (a probe of each member, `EtcdClient.probe`).
    private func exchange(_ path: String, _ body: [UInt8], token: String?, only: EtcdURL.Endpoint? = nil) throws(EtcdError) -> (JSONValue, String) {
        let full = Self.apiPrefix + path
        let endpoints = only.map { [$0] } ?? url.endpoints
        lock.lock()
        let start = only == nil ? current : 0
        lock.unlock()
        let n = endpoints.count
        guard n > 0 else { throw EtcdError(kind: .unreachable, endpoint: "(none)", path: full, message: "\(url) names no endpoint") }
        var failures: [EtcdError] = []
        for k in 0..<n {
            let e = endpoints[(start + k) % n]
            var headers = [("Grpc-Metadata-hasleader", "true")]
            if let token, !token.isEmpty { headers.append(("Authorization", token)) }
            let result = http.post(url.base(e) + full, body: body, headers: headers, timeoutMs: timeoutMs)
            switch result {
            case .failure(let f):
                let timedOut = f.message.hasPrefix("timed out")
                let kind: EtcdError.Kind = f.message.hasPrefix("TLS error") ? .tls : timedOut ? .timedOut : .unreachable
                failures.append(EtcdError(kind: kind, endpoint: e.description, path: full, message: f.message))
                continue
            case .success(let r):
                let parsed: JSONValue
                switch JSONValue.parse(r.body) {
                case .success(let v): parsed = v
                case .failure(let jf):
                    throw EtcdError(kind: .badResponse, endpoint: e.description, path: full,
                                    message: "HTTP \(r.status), not JSON (\(jf.message)): " + Self.snippet(r.body))
                }
                if r.status != 200 || parsed["error"] != nil && parsed["header"] == nil {
                    let message = parsed["error"]?.string ?? parsed["message"]?.string ?? "HTTP \(r.status): " + Self.snippet(r.body)
                    let code = Self.int(parsed["code"]).map { Int($0) }
                    if EtcdError.meansNoQuorum(message) || code == 14 {
                        failures.append(EtcdError(kind: .noQuorum, endpoint: e.description, path: full, message: message, code: code))
                        continue
                    }
                    throw EtcdError(kind: .rejected, endpoint: e.description, path: full, message: message, code: code)
                }
                if only == nil {
                    lock.lock()
                    current = (start + k) % n
                    lock.unlock()
                }
                return (parsed, e.description)
            }
        }
        // Every endpoint failed: say the most telling failure (no quorum over no answer over no connection).
        let all = endpoints.map(\.description).joined(separator: ",")
        let best = failures.first { $0.kind == .noQuorum } ?? failures.first { $0.kind == .timedOut } ?? failures[0]
        var e = best
        if n > 1 {
            e.endpoint = all
            e.message = failures.map { "\($0.endpoint): \($0.message)" }.joined(separator: "; ")
        }
        throw e
    }

    func parseRange(_ v: JSONValue, endpoint: String, path: String) throws(EtcdError) -> EtcdRange {
        var kvs: [EtcdKV] = []
        for kv in v["kvs"]?.array ?? [] {
            guard let key = Self.base64(kv["key"]) else {
                throw EtcdError(kind: .badResponse, endpoint: endpoint, path: Self.apiPrefix + path, message: "a kv without a base64 key")
            }
            kvs.append(EtcdKV(key: key, value: Self.base64(kv["value"]) ?? [],
                              createRevision: Self.int(kv["create_revision"]) ?? 0, modRevision: Self.int(kv["mod_revision"]) ?? 0,
                              version: Self.int(kv["version"]) ?? 0, lease: Self.int(kv["lease"]) ?? 0))
        }
        var more = false
        if case .bool(let b)? = v["more"] { more = b }
        return EtcdRange(kvs: kvs, more: more, count: Self.int(v["count"]) ?? Int64(kvs.count),
                         revision: Self.int(v["header"]?["revision"]) ?? 0)
    }

    private func revision(_ v: JSONValue, endpoint: String, path: String) throws(EtcdError) -> Int64 {
        guard let r = Self.int(v["header"]?["revision"]) else {
            throw EtcdError(kind: .badResponse, endpoint: endpoint, path: Self.apiPrefix + path, message: "no header.revision")
        }
        return r
    }

    // MARK: JSON

    /// The gateway sends int64 as strings (and omits zero values).
    static func int(_ v: JSONValue?) -> Int64? {
        switch v {
        case .int(let n)?: return n
        case .string(let s)?: return Int64(s)
        default: return nil
        }
    }

    static func base64(_ v: JSONValue?) -> [UInt8]? {
        guard let s = v?.string else { return nil }
        return Data(base64Encoded: s).map { [UInt8]($0) }
    }

    static func snippet(_ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ")
        return text.isEmpty ? "(empty body)" : text
    }

    /// The end of the range of every key starting with `prefix` (its last byte below 0xff plus one).
    public static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xFF {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]  // every key
    }

    static func compareJSON(_ c: EtcdCompare) -> String {
        var j = JSONOut()
        j.bytes("key", c.key)
        j.string("target", c.target.rawValue)
        j.string("result", c.result.rawValue)
        switch c.target {
        case .version: j.number("version", c.number)
        case .create: j.number("create_revision", c.number)
        case .mod: j.number("mod_revision", c.number)
        case .value: j.bytes("value", c.value)
        }
        return j.text()
    }

    static func opJSON(_ op: EtcdOp) -> String {
        var j = JSONOut()
        switch op {
        case .put(let key, let value, let lease):
            j.bytes("key", key)
            j.bytes("value", value)
            if lease != 0 { j.number("lease", lease) }
            return #"{"request_put":"# + j.text() + "}"
        case .range(let key, let end, let limit, let revision):
            j.bytes("key", key)
            if !end.isEmpty { j.bytes("range_end", end) }
            if limit > 0 { j.number("limit", limit) }
            if revision > 0 { j.number("revision", revision) }
            return #"{"request_range":"# + j.text() + "}"
        case .delete(let key, let end):
            j.bytes("key", key)
            if !end.isEmpty { j.bytes("range_end", end) }
            return #"{"request_delete_range":"# + j.text() + "}"
        }
    }
}

/// A flat JSON object built member by member (the gateway's request bodies).
struct JSONOut {
    private var parts: [String] = []
    mutating func bytes(_ name: String, _ v: [UInt8]) { parts.append("\"\(name)\":\"\(Data(v).base64EncodedString())\"") }
    mutating func number(_ name: String, _ v: Int64) { parts.append("\"\(name)\":\"\(v)\"") }
    mutating func string(_ name: String, _ v: String) { parts.append("\"\(name)\":\"\(v)\"") }
    mutating func raw(_ name: String, _ json: String) { parts.append("\"\(name)\":\(json)") }
    func text() -> String { "{" + parts.joined(separator: ",") + "}" }
    func done() -> [UInt8] { Array(text().utf8) }
}

extension EtcdOp {
    /// The (first) key the op is about.
    var key: [UInt8] {
        switch self {
        case .put(let key, _, _), .range(let key, _, _, _), .delete(let key, _): return key
        }
    }
}
