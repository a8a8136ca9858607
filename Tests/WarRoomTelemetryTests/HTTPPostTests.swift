import Foundation
import Testing
@testable import WarRoomTelemetry

/// POST with a body (the etcd store's JSON gateway calls), through the blocking client other modules use.
@Suite struct HTTPPostTests {
    @Test(arguments: Scheme.allCases) func postSendsBodyAndHeadersAndKeepsTheConnection(scheme: Scheme) async throws {
        let server = try await scheme.server { request in .json(#"{"echo":\#(request.body.count)}"#) }
        defer { server.stop() }
        let client = BlockingHTTPClient(caFile: scheme == .https ? try await TestTLS.loopback().caFile : nil)
        let body = Array(#"{"key":"Zm9v"}"#.utf8)
        for _ in 0..<2 {
            let r = client.post(server.baseURL + "/v3/kv/range", body: body, headers: [("Grpc-Metadata-hasleader", "true")], timeoutMs: 2_000)
            #expect(r == .success(BlockingHTTPClient.Response(status: 200, body: Array(#"{"echo":14}"#.utf8))))
        }
        let requests = server.received
        #expect(requests.count == 2)
        let first = try #require(requests.first)
        #expect(first.method == "POST" && first.target == "/v3/kv/range")
        #expect(first.body == body)
        #expect(first.headers["content-type"] == "application/json")
        #expect(first.headers["content-length"] == "14")
        #expect(first.headers["grpc-metadata-hasleader"] == "true")
    }

    @Test func refusedConnectionIsNotSent() {
        let port = freeLoopbackPort()
        let r = BlockingHTTPClient().post("http://127.0.0.1:\(port)/v3/kv/put", body: [], timeoutMs: 1_000)
        #expect(r == .failure(BlockingHTTPError(message: "connection refused", sent: false)))
    }
}

private func freeLoopbackPort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
    _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return UInt16(bigEndian: addr.sin_port)
}
