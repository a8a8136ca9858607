import Foundation
import WarRoomCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few platform differences.
enum SocketHTTPSys {
    #if canImport(Glibc)
    static let streamType = Int32(SOCK_STREAM.rawValue)
    static let cloexecFlag = Int32(SOCK_CLOEXEC.rawValue)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #elseif canImport(Musl)
    static let streamType = Int32(SOCK_STREAM)
    static let cloexecFlag = Int32(SOCK_CLOEXEC)
    static let sendFlags = Int32(MSG_NOSIGNAL)
    #else
    static let streamType = SOCK_STREAM
    static let cloexecFlag: Int32 = 0
    static let sendFlags: Int32 = 0
    #endif

    /// A pipe for waking a request's `poll()`: (read end, polled; write end, written by `cancel`).
    static func makeWake() -> (Int32, Int32)? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFL, O_NONBLOCK)  // a fresh pipe has no other status flags
        return (fds[0], fds[1])
    }

    static func signalWake(_ fd: Int32) {
        var byte: UInt8 = 1
        _ = write(fd, &byte, 1)
    }

    /// For threads that write to sockets through OpenSSL (which writes without MSG_NOSIGNAL): a peer that went away
    /// makes the write fail with EPIPE instead of killing the process with SIGPIPE (the signal stays pending for this
    /// thread, never delivered). The console ignores SIGPIPE anyway; other hosts (tests) may not.
    static func blockSIGPIPEOnThisThread() {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &set, nil)
    }

    /// Non-blocking, close-on-exec, no SIGPIPE.
    static func prepare(_ fd: Int32) {
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
        #if canImport(Darwin)
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
    }

    /// Blocks in `poll()` until `fd` has `events` (or an error/hang-up, which the next call reports), the deadline
    /// passes, or `wake` becomes readable (cancelled).
    static func wait(_ fd: Int32, events: Int16, wake: Int32, deadlineNs: UInt64) throws {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadlineNs else { throw SocketHTTPFailure.timedOut }
            // Round up, so the poll never returns just before the deadline and spins on a 0 ms timeout.
            let leftMs = Int32(clamping: (deadlineNs - now + 999_999) / 1_000_000)
            var fds = [pollfd(fd: fd, events: events, revents: 0), pollfd(fd: wake, events: Int16(POLLIN), revents: 0)]
            let ready = poll(&fds, nfds_t(fds.count), leftMs)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SocketHTTPFailure.errno(errno)
            }
            if fds[1].revents != 0 { throw SocketHTTPFailure.cancelled }
            if fds[0].revents != 0 { return }
        }
    }
}

// `connect`, `close` and `send` are shadowed by methods of the types that use them; these reach the C functions.
@inline(__always)
func sysConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>, _ length: socklen_t) -> Int32 {
    connect(fd, address, length)
}

@inline(__always)
func sysClose(_ fd: Int32) -> Int32 {
    close(fd)
}

@inline(__always)
func sysSend(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    send(fd, bytes, count, SocketHTTPSys.sendFlags)
}

/// A connected socket, plain or TLS, and the only code that moves bytes on it: sends and receives wait in `poll()`
/// with the request's deadline and wake pipe (no CPU while the server is silent).
final class HTTPConnection {
    let fd: Int32
    private let tls: TLSSession?
    private var closed = false

    private init(fd: Int32, tls: TLSSession?) {
        self.fd = fd
        self.tls = tls
    }

    /// A connected plain socket.
    static func plain(_ fd: Int32) -> HTTPConnection {
        HTTPConnection(fd: fd, tls: nil)
    }

    /// TLS as a client over the connected socket `fd`: the handshake, within the deadline; the certificate must be
    /// trusted and name `host`. Owns `fd` from here on (closed when this fails).
    static func tlsClient(_ fd: Int32, host: String, caFile: String?, identity: TLSClientIdentity? = nil, maxTLS12: Bool = false,
                          wake: Int32, deadlineNs: UInt64) throws -> HTTPConnection {
        try tls(fd, context: { () throws(SocketHTTPFailure) in try TLSContext.client(caFile: caFile, identity: identity, maxTLS12: maxTLS12) },
                host: host,
                wake: wake, deadlineNs: deadlineNs)
    }

    /// TLS as a server over the accepted socket `fd` (the loopback server). Owns `fd` from here on.
    static func tlsServer(_ fd: Int32, context: TLSContext, wake: Int32, deadlineNs: UInt64) throws -> HTTPConnection {
        try tls(fd, context: { () throws(SocketHTTPFailure) in context }, host: nil, wake: wake, deadlineNs: deadlineNs)
    }

    private static func tls(_ fd: Int32, context: () throws(SocketHTTPFailure) -> TLSContext, host: String?, wake: Int32,
                            deadlineNs: UInt64) throws -> HTTPConnection {
        let session: TLSSession
        do {
            session = try TLSSession(context: try context(), fd: fd, host: host)
        } catch {
            _ = sysClose(fd)
            throw error
        }
        let connection = HTTPConnection(fd: fd, tls: session)
        do {
            try connection.handshake(wake: wake, deadlineNs: deadlineNs)
        } catch {
            connection.abandon()
            throw error
        }
        return connection
    }

    var isTLS: Bool { tls != nil }

    private func handshake(wake: Int32, deadlineNs: UInt64) throws {
        guard let tls else { return }
        while true {
            switch try tls.handshake() {
            case .done: return
            case .wantRead: try SocketHTTPSys.wait(fd, events: Int16(POLLIN), wake: wake, deadlineNs: deadlineNs)
            case .wantWrite: try SocketHTTPSys.wait(fd, events: Int16(POLLOUT), wake: wake, deadlineNs: deadlineNs)
            }
        }
    }

    func send(_ bytes: [UInt8], wake: Int32, deadlineNs: UInt64) throws {
        var offset = 0
        while offset < bytes.count {
            if let tls {
                let step = try bytes[offset...].withUnsafeBytes { try tls.write($0.baseAddress!, $0.count) }
                switch step {
                case .done(let n) where n > 0: offset += n
                case .done: throw SocketHTTPFailure.closed
                case .wantRead: try SocketHTTPSys.wait(fd, events: Int16(POLLIN), wake: wake, deadlineNs: deadlineNs)
                case .wantWrite: try SocketHTTPSys.wait(fd, events: Int16(POLLOUT), wake: wake, deadlineNs: deadlineNs)
                }
                continue
            }
            let n = bytes[offset...].withUnsafeBytes { sysSend(fd, $0.baseAddress, $0.count) }
            if n > 0 {
                offset += n
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try SocketHTTPSys.wait(fd, events: Int16(POLLOUT), wake: wake, deadlineNs: deadlineNs)
            } else {
                throw SocketHTTPFailure.errno(n < 0 ? errno : EPIPE)
            }
        }
    }

    /// Reads what is there into `chunk` (waiting in `poll()` until something is): the count, 0 at the end of the
    /// stream. A server dripping bytes never blocks the read, so the deadline is checked here too.
    func receive(_ chunk: inout [UInt8], wake: Int32, deadlineNs: UInt64) throws -> Int {
        while true {
            if DispatchTime.now().uptimeNanoseconds >= deadlineNs { throw SocketHTTPFailure.timedOut }
            if let tls {
                switch try chunk.withUnsafeMutableBytes({ try tls.read($0.baseAddress!, $0.count) }) {
                case .done(let n): return n
                case .wantRead: try SocketHTTPSys.wait(fd, events: Int16(POLLIN), wake: wake, deadlineNs: deadlineNs)
                case .wantWrite: try SocketHTTPSys.wait(fd, events: Int16(POLLOUT), wake: wake, deadlineNs: deadlineNs)
                }
                continue
            }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n >= 0 { return n }
            let error = errno
            if error == EAGAIN || error == EWOULDBLOCK || error == EINTR {
                try SocketHTTPSys.wait(fd, events: Int16(POLLIN), wake: wake, deadlineNs: deadlineNs)
                continue
            }
            throw SocketHTTPFailure.errno(error)
        }
    }

    /// An idle kept-alive connection can carry another request: nothing arrived while it waited (readable or hung
    /// up means closed by the server, or data nobody asked for). TLS servers may send session tickets after the
    /// handshake: those are read here and do not count.
    func isStillUsable() -> Bool {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let ready = poll(&pfd, 1, 0)
        if ready == 0 { return !(tls?.pending ?? false) }
        guard ready > 0, let tls else { return false }
        var byte: UInt8 = 0
        guard let step = try? tls.read(&byte, 1), case .wantRead = step else { return false }
        var again = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&again, 1, 0) == 0
    }

    /// Done sending (the loopback server, after its answer): TLS close_notify, then the write side shut down; reading
    /// goes on.
    func finishWriting() {
        guard !closed else { return }
        tls?.close()
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Sends TLS close_notify (best effort) and closes the socket. Once.
    func close() {
        guard !closed else { return }
        closed = true
        tls?.close()
        _ = sysClose(fd)
    }

    /// Closes the socket without a TLS goodbye (after a failed handshake, or a fatal TLS error).
    func abandon() {
        guard !closed else { return }
        closed = true
        _ = sysClose(fd)
    }

    deinit {
        close()
    }
}
