import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// The haproxy adapter against a real HAProxy (Debian's 2.6; `scripts/deps haproxy`) started on 127.0.0.1 with its
/// runtime API on a unix socket (and TCP) in a temporary directory.
@Suite(.serialized) struct HAProxyAdapterReal {
    static func start() throws -> (HAProxyProcess, tcpPort: Int) {
        let dir = NSTemporaryDirectory() + "warroom-haproxy-\(getpid())-\(UUID().uuidString.prefix(8))"
        let tcp = Int(TestHTTPServer.refusedPort())
        let h = try HAProxyProcess(directory: dir, frontendPort: Int(TestHTTPServer.refusedPort()), tcpPort: tcp, backend: "web",
                                   servers: [.init(name: "blue", port: Int(TestHTTPServer.refusedPort()), weight: 1),
                                             .init(name: "green", port: Int(TestHTTPServer.refusedPort()), weight: 1)])
        return (h, tcp)
    }

    static func adapter(_ socket: String) throws -> HAProxyAdapter {
        try HAProxyAdapter(TrafficConfig(adapter: "haproxy", settings: ["socket": socket, "backend": "web", "stable": "blue", "canary": "green"],
                                         timeoutMs: 2_000))
    }

    static func weight(_ h: HAProxyProcess, _ server: String) throws -> String {
        try RuntimeSocket.exchange(.unix(h.socketPath), "get weight web/\(server)\n", timeoutMs: 2_000)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func setAndReadBackRoundTripOnTheUnixSocket() throws {
        let (h, _) = try Self.start()
        defer { h.remove() }
        let a = try Self.adapter(h.socketPath)
        #expect(try a.read() == 50, "1:1 as configured")
        let r = Traffic.setAndReadBack(a, TrafficRequest(decision: 7, percent: 25))
        #expect(r.error == nil && r.observed == 25 && r.intended == 25 && r.decision == 7)
        #expect(try Self.weight(h, "green").hasPrefix("25 ") && Self.weight(h, "blue").hasPrefix("75 "))
        for p in [0, 10, 100] {
            try a.set(percent: p)
            #expect(try a.read() == p)
        }
    }

    @Test func theTCPRuntimeAPIWorksToo() throws {
        let (h, tcp) = try Self.start()
        defer { h.remove() }
        let a = try Self.adapter("tcp://127.0.0.1:\(tcp)")
        try a.set(percent: 40)
        #expect(try a.read() == 40)
        #expect(try Self.weight(h, "green").hasPrefix("40 "))
    }

    @Test func settingTheSameShareTwiceChangesNothing() throws {
        let (h, _) = try Self.start()
        defer { h.remove() }
        let a = try Self.adapter(h.socketPath)
        try a.set(percent: 25)
        let before = try [Self.weight(h, "blue"), Self.weight(h, "green")]
        try a.set(percent: 25)
        #expect(try [Self.weight(h, "blue"), Self.weight(h, "green")] == before)
        #expect(try a.read() == 25)
    }

    @Test func aWeightChangedBehindItsBackIsReadBack() throws {
        let (h, _) = try Self.start()
        defer { h.remove() }
        let a = try Self.adapter(h.socketPath)
        try a.set(percent: 10)
        // Someone else moves the canary's weight on the socket.
        #expect(try RuntimeSocket.exchange(.unix(h.socketPath), "set weight web/green 90\n", timeoutMs: 2_000)
            .trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        let r = Traffic.readBack(a)
        #expect(r.error == nil && r.observed == 50, "90 against 90: half")
    }

    @Test func readBackFailsWhenHAProxyIsStopped() throws {
        let (h, _) = try Self.start()
        defer { h.remove() }
        let a = try Self.adapter(h.socketPath)
        try a.set(percent: 10)
        h.stop()
        let r = Traffic.readBack(a)
        #expect(r.observed == nil && r.error?.contains("cannot connect to \(h.socketPath)") == true, "\(r)")
        let s = Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 25))
        #expect(s.observed == nil && s.error?.hasPrefix("set 25 % failed: cannot connect") == true, "\(s)")
    }

    @Test func unknownServersAreNamed() throws {
        let (h, _) = try Self.start()
        defer { h.remove() }
        let a = try HAProxyAdapter(TrafficConfig(adapter: "haproxy", settings: ["socket": h.socketPath, "backend": "web", "stable": "blue",
                                                                             "canary": "nope"]))
        #expect(throws: TrafficError.self) { try a.set(percent: 10) }
        let r = Traffic.readBack(a)
        #expect(r.error?.contains("get weight web/nope") == true, "\(r)")
    }
}

@Suite struct HAProxyWeights {
    @Test func sharesAndWeights() throws {
        #expect(HAProxyAdapter.weights(percent: 25) == (75, 25))
        #expect(HAProxyAdapter.weights(percent: 0) == (100, 0) && HAProxyAdapter.weights(percent: 100) == (0, 100))
        for p in 0...100 {
            let w = HAProxyAdapter.weights(percent: p)
            #expect(w.stable <= 256 && w.canary <= 256, "HAProxy's weights are 0–256")
            #expect(HAProxyAdapter.share(stable: w.stable, canary: w.canary) == p)
        }
        #expect(HAProxyAdapter.share(stable: 0, canary: 0) == nil)
        #expect(HAProxyAdapter.share(stable: 256, canary: 1) == 0 && HAProxyAdapter.share(stable: 1, canary: 2) == 67)
    }

    @Test func socketAddresses() throws {
        #expect(try RuntimeSocket.Address.parse("/run/haproxy/admin.sock") == .unix("/run/haproxy/admin.sock"))
        #expect(try RuntimeSocket.Address.parse("tcp://127.0.0.1:9999") == .tcp(host: "127.0.0.1", port: 9999))
        #expect(try RuntimeSocket.Address.parse("localhost:81") == .tcp(host: "localhost", port: 81))
        #expect(throws: TrafficError.self) { try RuntimeSocket.Address.parse("admin.sock") }
        #expect(throws: TrafficError.self) { try RuntimeSocket.Address.parse("tcp://h:0") }
    }

    @Test func anOutOfRangeShareIsRefused() throws {
        let a = try HAProxyAdapter(TrafficConfig(adapter: "haproxy", settings: ["socket": "/nonexistent", "backend": "b", "stable": "s", "canary": "c"]))
        #expect(throws: TrafficError.self) { try a.set(percent: 101) }
    }
}
