import COpenSSL
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

// TLS for `https://` sources (and the loopback server's tests) with the system OpenSSL, over the same non-blocking
// sockets and `poll()` waits as plain http: a request waiting on a hung TLS server costs no CPU either.
//
// Clients verify the server's certificate against the system CA store (OpenSSL's default paths: /etc/ssl/certs on
// Debian), plus one extra CA file when given (`HTTPClient(caFile:)`, or `WARROOM_TLS_CA_FILE` in the environment:
// for tests and private CAs), and check that it names the host of the URL (DNS name, or IP address for an address
// literal). TLS 1.2 at least. A client certificate and key (`TLSClientIdentity`) are presented when given (the etcd
// store's `--cert`/`--key`). No session resumption across connections (kept-alive connections already avoid most
// handshakes).

/// A client certificate (chain, PEM) and its private key (PEM, unencrypted), presented to servers that ask for one.
package struct TLSClientIdentity: Sendable, Equatable {
    package var certificateFile: String
    package var keyFile: String
    package init(certificateFile: String, keyFile: String) {
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

/// An OpenSSL context: made once per configuration, shared by every connection (thread-safe once set up).
final class TLSContext: @unchecked Sendable {
    let ctx: OpaquePointer

    private init(ctx: OpaquePointer) {
        self.ctx = ctx
    }

    deinit {
        SSL_CTX_free(ctx)
    }

    private static let lock = NSLock()
    nonisolated(unsafe) private static var clients: [String: TLSContext] = [:]

    /// The client context trusting the system store and `caFile` (if any), presenting `identity` (a client
    /// certificate and its key, for servers that ask for one: etcd with `--client-cert-auth`). Made on first use, then
    /// reused. A file that cannot be used fails naming it and why (missing, unreadable, not PEM, key not matching).
    ///
    /// `maxTLS12`: TLS 1.2 at most. In TLS 1.2 a server checks the client's certificate inside the handshake, so its
    /// refusal ("bad certificate", "unknown ca") is the handshake's own alert, named to the user; in TLS 1.3 it comes
    /// after the client's handshake ended, racing the first request, and often arrives as a bare connection reset.
    static func client(caFile: String?, identity: TLSClientIdentity? = nil, maxTLS12: Bool = false) throws(SocketHTTPFailure) -> TLSContext {
        let key = [caFile ?? "", identity?.certificateFile ?? "", identity?.keyFile ?? "", maxTLS12 ? "1.2" : ""].joined(separator: "\u{0}")
        lock.lock()
        defer { lock.unlock() }
        if let known = clients[key] { return known }
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw .text("TLS error: cannot create a context") }
        let context = TLSContext(ctx: ctx)
        _ = warroom_ssl_ctx_min_tls12(ctx)
        warroom_ssl_ctx_set_modes(ctx)
        warroom_ssl_ctx_ignore_unexpected_eof(ctx)
        warroom_ssl_ctx_no_passphrase(ctx)
        if maxTLS12 { _ = warroom_ssl_ctx_max_tls12(ctx) }
        if SSL_CTX_set_default_verify_paths(ctx) != 1 {
            throw .text("TLS error: cannot load the system CA store: \(lastError())")
        }
        if let caFile, !caFile.isEmpty {
            try readable(caFile, what: "cannot load CA file")
            if SSL_CTX_load_verify_locations(ctx, caFile, nil) != 1 {
                throw .text("TLS error: cannot load CA file \(caFile): it is not a PEM certificate (\(lastError()))")
            }
        }
        if let identity {
            try readable(identity.certificateFile, what: "client certificate")
            try readable(identity.keyFile, what: "client key")
            if SSL_CTX_use_certificate_chain_file(ctx, identity.certificateFile) != 1 {
                throw .text("TLS error: client certificate \(identity.certificateFile) is not a PEM certificate (\(lastError()))")
            }
            if SSL_CTX_use_PrivateKey_file(ctx, identity.keyFile, SSL_FILETYPE_PEM) != 1 {
                let reason = lastError()
                if reason.contains("key values mismatch") {  // a key that loads, checked against the certificate here
                    throw .text("TLS error: client key \(identity.keyFile) does not match the certificate \(identity.certificateFile)")
                }
                throw .text("TLS error: client key \(identity.keyFile) is not an unencrypted PEM private key (\(reason))")
            }
            if SSL_CTX_check_private_key(ctx) != 1 {
                ERR_clear_error()
                throw .text("TLS error: client key \(identity.keyFile) does not match the certificate \(identity.certificateFile)")
            }
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nil)
        clients[key] = context
        return context
    }

    /// Fails naming `path` when it is missing, not a regular file, or unreadable (OpenSSL's own errors do not say):
    /// "TLS error: client key k.pem does not exist", "TLS error: cannot load CA file ca.pem: it does not exist".
    private static func readable(_ path: String, what: String) throws(SocketHTTPFailure) {
        let name = what.hasPrefix("cannot") ? "\(what) \(path): it" : "\(what) \(path)"
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw .text("TLS error: \(name) does not exist")
        }
        if isDir.boolValue { throw .text("TLS error: \(name) is a directory, not a PEM file") }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .text("TLS error: \(name) cannot be read: \(String(cString: strerror(errno)))") }
        close(fd)
    }

    /// A server context with a certificate chain and its key (PEM files).
    static func server(certificateFile: String, keyFile: String) throws(SocketHTTPFailure) -> TLSContext {
        ERR_clear_error()
        guard let ctx = SSL_CTX_new(TLS_server_method()) else { throw .text("TLS error: cannot create a context") }
        let context = TLSContext(ctx: ctx)
        _ = warroom_ssl_ctx_min_tls12(ctx)
        warroom_ssl_ctx_set_modes(ctx)
        warroom_ssl_ctx_ignore_unexpected_eof(ctx)
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateFile) == 1,
            SSL_CTX_use_PrivateKey_file(ctx, keyFile, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(ctx) == 1
        else { throw .text("TLS error: cannot load \(certificateFile) / \(keyFile): \(lastError())") }
        return context
    }

    /// The oldest queued OpenSSL error as text ("certificate verify failed"), and the queue cleared.
    static func lastError() -> String {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0, let reason = ERR_reason_error_string(code) else { return "unknown error" }
        return String(cString: reason)
    }
}

/// One TLS connection over a connected non-blocking socket. Every call that would block returns what to wait for;
/// the caller waits in `poll()` (with its deadline and wake pipe) and calls again.
final class TLSSession {
    enum Step {
        case done(Int)
        case wantRead
        case wantWrite
    }

    private let ssl: OpaquePointer
    private let isClient: Bool

    /// `host`: the name the server's certificate must carry (clients; also sent as SNI unless an address).
    init(context: TLSContext, fd: Int32, host: String?) throws(SocketHTTPFailure) {
        ERR_clear_error()
        guard let ssl = SSL_new(context.ctx) else { throw .text("TLS error: \(TLSContext.lastError())") }
        self.ssl = ssl
        isClient = host != nil
        guard SSL_set_fd(ssl, fd) == 1 else { throw .text("TLS error: \(TLSContext.lastError())") }
        if let host {
            let isAddress = Self.isAddress(host)
            if !isAddress { _ = warroom_ssl_set_sni(ssl, host) }
            guard warroom_ssl_expect_host(ssl, host, isAddress ? 1 : 0) == 1 else {
                throw .text("TLS error: cannot check the certificate against \(host)")
            }
            SSL_set_connect_state(ssl)
        } else {
            SSL_set_accept_state(ssl)
        }
    }

    deinit {
        SSL_free(ssl)
    }

    static func isAddress(_ host: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, host, &v4) == 1 || inet_pton(AF_INET6, host, &v6) == 1
    }

    func handshake() throws(SocketHTTPFailure) -> Step {
        ERR_clear_error()
        let r = SSL_do_handshake(ssl)
        if r == 1 { return .done(0) }
        let next = try step(r, during: "handshake")
        if case .done = next { throw .closed }  // the peer went away before the handshake ended
        return next
    }

    /// Up to `count` bytes of application data: `.done(0)` at the end of the stream.
    func read(_ buffer: UnsafeMutableRawPointer, _ count: Int) throws(SocketHTTPFailure) -> Step {
        ERR_clear_error()
        let r = SSL_read(ssl, buffer, Int32(clamping: count))
        if r > 0 { return .done(Int(r)) }
        return try step(r, during: "read")
    }

    func write(_ bytes: UnsafeRawPointer, _ count: Int) throws(SocketHTTPFailure) -> Step {
        ERR_clear_error()
        let r = SSL_write(ssl, bytes, Int32(clamping: count))
        if r > 0 { return .done(Int(r)) }
        return try step(r, during: "write")
    }

    /// Application data already decrypted and buffered (a `poll()` on the socket would not see it).
    var pending: Bool { SSL_pending(ssl) > 0 }

    /// Sends close_notify if it can without waiting (best effort: the socket is closed next anyway).
    func close() {
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    private func step(_ result: Int32, during what: String) throws(SocketHTTPFailure) -> Step {
        let error = SSL_get_error(ssl, result)
        switch error {
        case SSL_ERROR_WANT_READ: return .wantRead
        case SSL_ERROR_WANT_WRITE: return .wantWrite
        case SSL_ERROR_ZERO_RETURN: return .done(0)
        case SSL_ERROR_SYSCALL:
            let code = errno
            ERR_clear_error()
            if code == 0 || result == 0 { return .done(0) }  // the peer went away without close_notify
            throw .errno(code)
        default:
            if isClient, what == "handshake" {
                let verify = SSL_get_verify_result(ssl)
                if verify != X509_V_OK {
                    ERR_clear_error()
                    let reason = X509_verify_cert_error_string(verify).map { String(cString: $0) } ?? "code \(verify)"
                    throw .text("TLS error: certificate verify failed (\(reason))")
                }
            }
            throw .text("TLS error: \(what) failed: \(TLSContext.lastError())")
        }
    }
}
