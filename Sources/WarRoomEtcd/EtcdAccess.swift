import Foundation
import WarRoomCore
import WarRoomTelemetry
import WarRoomJSON

/// How to get into etcd besides its address, as etcdctl's flags say it: the CA that signed etcd's certificate
/// (`--cacert`), a client certificate and key for mutual TLS (`--cert`, `--key`; etcd's `--client-cert-auth`), and a
/// user with a password (`--user`; etcd's `auth enable`). Travels with the `EtcdURL`, so every client of a run uses it.
public struct EtcdAccess: Sendable, Equatable {
    /// A CA certificate (PEM) trusted besides the system store (nil: `WARROOM_TLS_CA_FILE`, if set).
    public var caFile: String?
    /// The client certificate (PEM; a chain may follow it) and its unencrypted private key (PEM).
    public var certFile: String?
    public var keyFile: String?
    public var credentials: EtcdCredentials?

    public init(caFile: String? = nil, certFile: String? = nil, keyFile: String? = nil, credentials: EtcdCredentials? = nil) {
        self.caFile = caFile
        self.certFile = certFile
        self.keyFile = keyFile
        self.credentials = credentials
    }

    var identity: TLSClientIdentity? {
        guard let certFile, let keyFile else { return nil }
        return TLSClientIdentity(certificateFile: certFile, keyFile: keyFile)
    }

    /// What is wrong with these settings for a store at `secure` (etcds://) or plain etcd://, nil when nothing: TLS
    /// files on a plain URL, a certificate without its key, or a file that cannot be loaded (named, with why).
    public func problem(secure: Bool) -> String? {
        let tlsFlags = [caFile.map { _ in "--cacert" }, certFile.map { _ in "--cert" }, keyFile.map { _ in "--key" }].compactMap { $0 }
        if !secure, !tlsFlags.isEmpty {
            return "\(tlsFlags.joined(separator: ", ")) need a TLS store: write etcds://HOST:PORT/PREFIX"
        }
        if (certFile == nil) != (keyFile == nil) {
            return certFile == nil ? "--key needs --cert (the client certificate it belongs to)" : "--cert needs --key (the certificate's private key)"
        }
        guard secure else { return nil }
        return BlockingHTTPClient.checkTLSFiles(caFile: caFile, identity: identity).map { Self.plainTLS($0) }
    }

    /// "TLS error: client key k.pem does not match …" → "client key k.pem does not match …"
    static func plainTLS(_ message: String) -> String {
        message.hasPrefix("TLS error: ") ? String(message.dropFirst(11)) : message
    }
}

/// An etcd user, its password and the token etcd gave for them (`POST /v3/auth/authenticate`). Shared by every client
/// of a run, so one authentication serves them all; a token etcd no longer knows (simple tokens expire after
/// `--auth-token-ttl`, 300 s by default) is replaced by authenticating again. The password and the tokens never leave
/// this object except in the authenticate request and the `Authorization` header: `redact` takes them out of any text.
public final class EtcdCredentials: @unchecked Sendable, Equatable, CustomStringConvertible {
    /// The environment variable holding the password when no password file is given.
    public static let defaultPasswordVariable = StoreAccessConfig.defaultPasswordEnv
    public let user: String
    /// Where the password came from, for messages ("--password-file /etc/warroom/etcd-pass", "$WARROOM_ETCD_PASSWORD").
    public let passwordSource: String
    private let password: String
    private let lock = NSLock()
    /// The current token; "" when etcd has authentication disabled (requests go without one, as etcdctl does).
    private var current: String?
    /// Every token received (for redaction).
    private var issued: [String] = []
    private var asked = 0
    /// How many times etcd was asked for a token (for tests).
    public var authentications: Int {
        lock.lock()
        defer { lock.unlock() }
        return asked
    }

    public init(user: String, password: String, passwordSource: String) {
        self.user = user
        self.password = password
        self.passwordSource = passwordSource
    }

    public static func == (a: EtcdCredentials, b: EtcdCredentials) -> Bool { a === b }

    public var description: String { "user \(user)" }

    /// The password and every token seen: the values to redact from anything shown or kept.
    public var secrets: [String] {
        lock.lock()
        defer { lock.unlock() }
        return [password] + issued
    }

    /// `text` with the password and every token replaced by `[redacted]`.
    public func redact(_ text: String) -> String { Redactor(secrets: secrets).redact(text) }

    var token: String? {
        lock.lock()
        defer { lock.unlock() }
        return current
    }

    /// Keeps the token etcd gave (nil: forget it, so the next request authenticates).
    func store(token: String?, replacing old: String?) {
        lock.lock()
        defer { lock.unlock() }
        if current == old || token == nil { current = token }
        if let token, !token.isEmpty, !issued.contains(token) { issued.append(token) }
    }

    func noteAuthentication() {
        lock.lock()
        asked += 1
        lock.unlock()
    }

    /// The authenticate request's body (the name and password as JSON strings).
    func authenticateBody() -> [UInt8] {
        Array(("{\"name\":" + Self.jsonString(user) + ",\"password\":" + Self.jsonString(password) + "}").utf8)
    }

    static func jsonString(_ s: String) -> String { JSONText.quoted(s) }
}
