import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One blocking `GET` to a 127.0.0.1 port (`Connection: close`), for the stack demo's own checks: Prometheus's
/// `/-/ready` and the backends' `/_admin/stats`. Nil when refused, reset, or not answered within `timeoutMs`.
enum StackHTTP {
    static func get(port: UInt16, path: String, timeoutMs: Int = 1_000) -> (status: Int, body: String)? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var tv = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let request = Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n".utf8)
        guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == request.count else { return nil }
        var data: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 8 << 10)
        let deadline = monotonicNS() + UInt64(timeoutMs) * 1_000_000
        while monotonicNS() < deadline {
            if let answer = LoadGenerator.parse(data), let end = headEnd(data) {
                return (answer.status, String(decoding: data[(end + 4)...], as: UTF8.self))
            }
            let n = recv(fd, &chunk, chunk.count, 0)
            if n <= 0 { return nil }
            data += chunk[0..<n]
        }
        return nil
    }

    static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        return (0...(bytes.count - 4)).first { bytes[$0] == 13 && bytes[$0 + 1] == 10 && bytes[$0 + 2] == 13 && bytes[$0 + 3] == 10 }
    }
}
