import Foundation
import Testing
import WarRoomJSON
@testable import WarRoomTelemetry

/// Streamed answers (etcd's watch): bytes handed over as they arrive, chunks decoded; the end, a refusal, the
/// silence limit and cancel.
@Suite struct HTTPStreamTests {
    /// Collects what a stream delivered (thread-safe).
    final class Got: @unchecked Sendable {
        private let lock = NSLock()
        private var splitter = JSONStreamSplitter()
        private var valuesStore: [JSONValue] = []
        private var endStore: Result<BlockingHTTPClient.Response, BlockingHTTPError>?
        private var ends = 0
        func bytes(_ b: ArraySlice<UInt8>) {
            lock.lock()
            valuesStore += (try? splitter.feed(b)) ?? []
            lock.unlock()
        }
        func end(_ r: Result<BlockingHTTPClient.Response, BlockingHTTPError>) {
            lock.lock()
            endStore = r
            ends += 1
            lock.unlock()
        }
        var values: [JSONValue] { lock.lock(); defer { lock.unlock() }; return valuesStore }
        var ended: Result<BlockingHTTPClient.Response, BlockingHTTPError>? { lock.lock(); defer { lock.unlock() }; return endStore }
        var endCount: Int { lock.lock(); defer { lock.unlock() }; return ends }
    }

    @Test func bytesArriveAsTheServerWritesThemAcrossChunkBoundaries() async throws {
        let next = DispatchSemaphore(value: 0)
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
            // One object cut across two chunks, then the start of the next: it must be handed over before the rest.
            rawSend(fd, "a\r\n{\"result\":\r\n")
            rawSend(fd, "10\r\n{\"n\":1,\"s\":\"}\"}}\r\n")
            rawSend(fd, "3\r\n\n{\"\r\n")
            _ = next.wait(timeout: .now() + 30)  // the test saw the first object while the stream stayed open
            rawSend(fd, "b\r\nresult\":{}}\r\n0\r\n\r\n")
        }
        defer { server.stop() }
        let got = Got()
        let client = BlockingHTTPClient()
        defer { withExtendedLifetime(client) {} }
        let stream = client.stream(server.baseURL + "/v3/watch", body: Array("{}".utf8), timeoutMs: 5_000,
                                   onBytes: { got.bytes($0) }, onEnd: { got.end($0) })
        guard case .success = stream else { Issue.record("not started: \(stream)"); return }
        #expect(await eventually(timeoutMs: 20_000) { got.values.count == 1 })
        #expect(got.values.first?["result"]?["n"]?.int == 1)
        #expect(got.values.first?["result"]?["s"]?.string == "}")
        #expect(got.ended == nil)
        next.signal()
        #expect(await eventually(timeoutMs: 20_000) { got.ended != nil })
        #expect(got.values.count == 2)
        #expect(got.ended == .success(BlockingHTTPClient.Response(status: 200, body: [])))
        #expect(server.heads.first?.hasPrefix("POST /v3/watch HTTP/1.1") == true)
    }

    @Test func anErrorAnswerEndsWithItsStatusAndBody() async throws {
        let server = try RawHTTPServer { fd, _ in
            let body = #"{"error":"etcdserver: no leader","code":14}"#
            rawSend(fd, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
        }
        defer { server.stop() }
        let got = Got()
        let client = BlockingHTTPClient()  // its requests end with it: kept to the end of the test
        defer { withExtendedLifetime(client) {} }
        _ = client.stream(server.baseURL + "/v3/watch", body: [], timeoutMs: 5_000, onBytes: { got.bytes($0) }, onEnd: { got.end($0) })
        #expect(await eventually(timeoutMs: 20_000) { got.ended != nil })
        #expect(got.ended == .success(BlockingHTTPClient.Response(status: 503, body: Array(#"{"error":"etcdserver: no leader","code":14}"#.utf8))))
        #expect(got.values.isEmpty)
    }

    @Test func silenceLongerThanTheIdleLimitEndsTheStream() async throws {
        let release = DispatchSemaphore(value: 0)
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n")
            _ = release.wait(timeout: .now() + 30)
        }
        defer { release.signal(); server.stop() }
        let got = Got()
        let started = DispatchTime.now().uptimeNanoseconds
        let client = BlockingHTTPClient()
        defer { withExtendedLifetime(client) {} }
        _ = client.stream(server.baseURL + "/", body: [], timeoutMs: 5_000, idleTimeoutMs: 300,
                                        onBytes: { got.bytes($0) }, onEnd: { got.end($0) })
        #expect(await eventually(timeoutMs: 20_000) { got.ended != nil })
        let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        #expect(got.values.count == 1)
        if case .failure(let f)? = got.ended { #expect(f.message.hasPrefix("timed out")) } else { Issue.record("ended: \(String(describing: got.ended))") }
        #expect(ms >= 300)
    }

    @Test func cancelClosesTheConnectionAndNoEndIsReported() async throws {
        let server = try RawHTTPServer { fd, _ in
            rawSend(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n")
            var b = [UInt8](repeating: 0, count: 64)
            while recv(fd, &b, b.count, 0) > 0 {}  // until the client closes
        }
        defer { server.stop() }
        let got = Got()
        let client = BlockingHTTPClient()
        defer { withExtendedLifetime(client) {} }
        let stream = try client.stream(server.baseURL + "/", body: [], timeoutMs: 5_000,
                                                     onBytes: { got.bytes($0) }, onEnd: { got.end($0) }).get()
        #expect(await eventually(timeoutMs: 20_000) { got.values.count == 1 })
        stream.cancel()
        #expect(await eventually(timeoutMs: 20_000) { server.openConnections == 0 })
        try? await Task.sleep(nanoseconds: 100_000_000)
        #expect(got.endCount == 0)
    }
}

@Suite struct JSONStreamSplitterTests {
    static let stream = #"{"result":{"a":"x{y}\"z\\"}}"# + "\n" + #"  {"result":{"events":[{"kv":{"key":"cC9h"}}]}}[1,{"b":[]}]"#

    @Test func valuesComeOutWhateverTheCutsAndAreParsedByTheScanner() throws {
        let bytes = Array(Self.stream.utf8)
        var whole = JSONStreamSplitter()
        let expected = try whole.feed(bytes)
        #expect(expected.count == 3)
        #expect(expected[0]["result"]?["a"]?.string == "x{y}\"z\\")
        #expect(expected[1]["result"]?["events"]?.array?.first?["kv"]?["key"]?.string == "cC9h")
        // Byte by byte, and at every single cut.
        var one = JSONStreamSplitter()
        var got: [JSONValue] = []
        for b in bytes { got += try one.feed([b]) }
        #expect(got == expected)
        #expect(one.pending == 0)
        for cut in 1..<bytes.count {
            var s = JSONStreamSplitter()
            let parts = try s.feed(bytes[..<cut]) + s.feed(bytes[cut...])
            #expect(parts == expected, "cut at \(cut)")
        }
    }

    @Test func aValueUnderWayWaitsForItsRest() throws {
        var s = JSONStreamSplitter()
        #expect(try s.feed(Array(#"{"a":"}"#.utf8)).isEmpty)
        #expect(s.pending == 7)
        #expect(try s.feed(Array(#""}"#.utf8)) == [.object([JSONMember(key: "a", value: .string("}"))])])
    }

    @Test func garbageAndOversizedValuesFailWithTheirOffset() {
        var s = JSONStreamSplitter()
        #expect(throws: JSONFailure(message: "expected a JSON object in the stream", offset: 3)) { try s.feed(Array("{} x".utf8)) }
        var bad = JSONStreamSplitter()
        #expect(throws: JSONFailure.self) { try bad.feed(Array(#"{"a":tru}"#.utf8)) }
        var small = JSONStreamSplitter(maxValueBytes: 8)
        #expect(throws: JSONFailure.self) { try small.feed(Array(#"{"a":"0123456789"#.utf8)) }
    }
}
