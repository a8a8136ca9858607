import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import WarRoomCore

/// A line-oriented control socket (HAProxy's runtime API): connect (unix socket or TCP), send one command, read the
/// answer until the other side closes, all within a deadline.
public enum RuntimeSocket {
    public enum Address: Sendable, Equatable {
        case unix(String)
        case tcp(host: String, port: Int)

        /// `/path/to.sock`, `unix:/path`, `tcp://HOST:PORT` or `HOST:PORT`.
        public static func parse(_ text: String) throws -> Address {
            if text.hasPrefix("unix:") { return .unix(String(text.dropFirst(5))) }
            if text.hasPrefix("/") || text.hasPrefix(".") { return .unix(text) }
            let rest = text.hasPrefix("tcp://") ? String(text.dropFirst(6)) : text
            guard let colon = rest.lastIndex(of: ":"), let port = Int(rest[rest.index(after: colon)...]), (1...65535).contains(port),
                  colon > rest.startIndex else {
                throw TrafficError("socket \"\(text)\" is neither a unix socket path nor tcp://HOST:PORT")
            }
            return .tcp(host: String(rest[..<colon]), port: port)
        }

        public var description: String {
            switch self {
            case .unix(let p): p
            case .tcp(let h, let p): "tcp://\(h):\(p)"
            }
        }
    }

    /// Sends `text` and returns everything answered until the peer closes.
    public static func exchange(_ address: Address, _ text: String, timeoutMs: Millis) throws -> String {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(max(1, timeoutMs)) * 1_000_000
        let fd = try connect(address, deadline: deadline)
        defer { _ = close(fd) }
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            try wait(fd, Int16(POLLOUT), deadline, address)
            let total = bytes.count
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, total - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw TrafficError("\(address.description): cannot send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
        var answer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            try wait(fd, Int16(POLLIN), deadline, address)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
            if n == 0 { break }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw TrafficError("\(address.description): cannot read: \(String(cString: strerror(errno)))")
            }
            answer += chunk[0..<n]
            if answer.count > 1 << 20 { throw TrafficError("\(address.description): answer longer than 1 MiB") }
        }
        return String(decoding: answer, as: UTF8.self)
    }

    static func wait(_ fd: Int32, _ events: Int16, _ deadline: UInt64, _ address: Address) throws {
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { throw TrafficError("\(address.description): no answer in time") }
            var p = pollfd(fd: fd, events: events, revents: 0)
            let r = poll(&p, 1, Int32(min(UInt64(Int32.max), (deadline - now) / 1_000_000 + 1)))
            if r < 0, errno == EINTR { continue }
            if r < 0 { throw TrafficError("\(address.description): poll: \(String(cString: strerror(errno)))") }
            if r > 0 { return }
        }
    }

    static func connect(_ address: Address, deadline: UInt64) throws -> Int32 {
        switch address {
        case .unix(let path):
            let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { throw TrafficError("cannot make a socket: \(String(cString: strerror(errno)))") }
            var sa = sockaddr_un()
            sa.sun_family = sa_family_t(AF_UNIX)
            let utf8 = Array(path.utf8)
            guard utf8.count < MemoryLayout.size(ofValue: sa.sun_path) else {
                _ = close(fd)
                throw TrafficError("socket path too long: \(path)")
            }
            withUnsafeMutableBytes(of: &sa.sun_path) { raw in
                for (i, b) in utf8.enumerated() { raw[i] = b }
                raw[utf8.count] = 0
            }
            let r = withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            if r != 0 {
                let e = String(cString: strerror(errno))
                _ = close(fd)
                throw TrafficError("cannot connect to \(path): \(e)")
            }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            return fd
        case .tcp(let host, let port):
            var hints = addrinfo()
            hints.ai_family = AF_UNSPEC
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
            var list: UnsafeMutablePointer<addrinfo>?
            let g = getaddrinfo(host, String(port), &hints, &list)
            guard g == 0, let first = list else { throw TrafficError("cannot resolve \(host): \(String(cString: gai_strerror(g)))") }
            defer { freeaddrinfo(list) }
            var failure = "no address"
            var ai: UnsafeMutablePointer<addrinfo>? = first
            while let a = ai {
                ai = a.pointee.ai_next
                let fd = socket(a.pointee.ai_family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
                guard fd >= 0 else { continue }
                _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                if Glibc.connect(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) == 0 { return fd }
                if errno == EINPROGRESS {
                    do {
                        try wait(fd, Int16(POLLOUT), deadline, address)
                        var err: Int32 = 0
                        var len = socklen_t(MemoryLayout<Int32>.size)
                        _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                        if err == 0 { return fd }
                        failure = String(cString: strerror(err))
                    } catch {
                        failure = "\(error)"
                    }
                } else {
                    failure = String(cString: strerror(errno))
                }
                _ = close(fd)
            }
            throw TrafficError("cannot connect to \(address.description): \(failure)")
        }
    }
}
