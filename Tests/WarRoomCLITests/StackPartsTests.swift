import Foundation
import Testing
@testable import WarRoomCLI
@testable import WarRoomTelemetry

/// The parts of `warroom demo --stack` on their own: the backend's answers and faults, the load generator against a
/// local server, the generated configs.
@Suite struct StackPartsTests {
    func request(_ method: String, _ target: String, body: String = "") -> LoopbackHTTPServer.Request {
        LoopbackHTTPServer.Request(method: method, target: target, headers: [:], body: Array(body.utf8))
    }

    func status(_ a: LoopbackHTTPServer.Answer) -> (status: Int, delayMs: Int) {
        if case .respond(let s, _, _, _, let d) = a { return (s, d) }
        return (0, 0)
    }

    @Test func backendCountsAndObeysItsFaults() throws {
        let m = BackendModel(name: "canary", seed: 5)
        for _ in 0..<50 {
            let a = status(m.answer(request("GET", "/checkout")))
            #expect(a.status == 200 && (8...20).contains(a.delayMs), "\(a)")
        }
        #expect(status(m.answer(request("POST", "/_admin/fault", body: "latency-spike"))).status == 200)
        for _ in 0..<50 { #expect(status(m.answer(request("GET", "/checkout"))).delayMs >= 1_000) }
        #expect(status(m.answer(request("POST", "/_admin/fault", body: "error-burst"))).status == 200)
        let codes = (0..<1_000).map { _ in status(m.answer(request("GET", "/checkout"))).status }
        let failed = codes.filter { $0 == 500 }.count
        #expect((320...480).contains(failed), "about 40 % HTTP 500: \(failed) of 1000")
        #expect(status(m.answer(request("POST", "/_admin/fault", body: "outage"))).status == 400)
        guard case .respond(_, _, let body, _, _) = m.answer(request("GET", "/_admin/stats")) else { return }
        #expect(String(decoding: body, as: UTF8.self) == "served 1100\nfault error-burst\n", "admin requests are not counted")
    }

    @Test func faultsCycleAndTheirMessagesFitTheMessageLine() {
        #expect(StackFault.healthy.next == .latencySpike && StackFault.latencySpike.next == .errorBurst
                && StackFault.errorBurst.next == .healthy)
        for f in StackFault.allCases {
            #expect(f.message.count <= 80, "\(f.message)")
            #expect(f.messageAtZero.count <= 80, "\(f.messageAtZero)")
        }
    }

    @Test func answerParsing() {
        #expect(LoadGenerator.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab".utf8)) == nil, "body incomplete")
        #expect(LoadGenerator.parse(Array("HTTP/1.1 200 OK\r\nContent-Len".utf8)) == nil)
        let ok = LoadGenerator.parse(Array("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabcd".utf8))
        #expect(ok?.status == 200 && ok?.close == false)
        let closing = LoadGenerator.parse(Array("HTTP/1.1 503 Service Unavailable\r\nconnection: Close\r\ncontent-length: 0\r\n\r\n".utf8))
        #expect(closing?.status == 503 && closing?.close == true)
    }

    /// Open loop: a slow server does not slow the rate; answers are counted by status.
    @Test func loadKeepsItsRateAgainstASlowServer() throws {
        let served = LockedCounter()
        let server = try LoopbackHTTPServer(keepRequests: false, keepAlive: true) { _ in
            let n = served.next()
            return .respond(status: n % 4 == 0 ? 500 : 200, contentType: "text/plain", body: Array("ok\n".utf8), delayMs: 300)
        }
        defer { server.stop() }
        let load = LoadGenerator(port: server.port, rate: 200)
        load.start()
        let begin = Date()
        while Date().timeIntervalSince(begin) < 1.5 { usleep(50_000) }
        load.stop()
        let s = load.stats
        #expect(s.sent >= 250 && s.sent <= 320, "about 200 a second for 1.5 s: \(s)")
        #expect(s.skipped == 0 && s.failed == 0, "\(s)")
        #expect(s.ok + s.errors >= 180, "most answered within the time: \(s)")
        #expect(Double(s.errors) / Double(s.ok + s.errors) > 0.15, "500s counted as errors: \(s)")
        #expect(server.connections > 40, "answers taking 0.3 s need many connections at once: \(server.connections)")
    }

    @Test func blockingGetReadsStatusAndBody() throws {
        let server = try LoopbackHTTPServer(keepRequests: false) { r in .text("served 7\npath \(r.target)\n", status: r.path == "/x" ? 200 : 404) }
        defer { server.stop() }
        let ok = StackHTTP.get(port: server.port, path: "/x")
        #expect(ok?.status == 200 && ok?.body == "served 7\npath /x\n", "\(String(describing: ok))")
        #expect(StackHTTP.get(port: server.port, path: "/y")?.status == 404)
        #expect(StackHTTP.get(port: LoopbackHTTPServer.refusedPort(), path: "/x") == nil, "refused")
    }

    @Test func generatedConfigsAreValid() throws {
        let dir = tempDir("stack-cfg")
        let ports = StackFiles.Ports(frontend: 18_001, metrics: 18_002, stable: 18_003, canary: 18_004, prometheus: 18_005)
        try DemoSetup.write(DemoSetup.checklistText, to: dir + "/checklist.md")
        try DemoSetup.write(StackFiles.warroomConfig(socket: dir + "/admin.sock", ports: ports, sharePath: dir + "/share.json", fast: true),
                            to: dir + "/warroom.yaml")
        let lint = try warroom(["lint", dir + "/warroom.yaml"])
        #expect(lint.status == 0 && !lint.out.contains("warning") && !lint.err.contains("warning"), "\(lint.out)\(lint.err)")
        if let haproxy = HAProxyProcess.binary() {
            try StackFiles.haproxyConfig(socket: dir + "/admin.sock", ports: ports).write(toFile: dir + "/haproxy.cfg", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: haproxy)
            p.arguments = ["-c", "-f", dir + "/haproxy.cfg"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "haproxy -c accepts the demo's haproxy.cfg")
        }
    }
}

final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        n += 1
        return n
    }
}
