import EtcdTestSupport
import Foundation
import Testing
import WarRoomTelemetry

/// `warroom traffic CONFIG`: one read-back through the config's adapter, against a real HAProxy; read-only.
@Suite(.serialized, .enabled(if: HAProxyProcess.binary() != nil, "haproxy is not installed (scripts/deps haproxy)"))
struct TrafficCommandRead {
    @Test func readsTheShareInEffectAndNeverSetsIt() throws {
        let dir = tempDir("traffic-cmd")
        let haproxy = try HAProxyProcess(directory: dir + "/haproxy", frontendPort: Int(freePort()), backend: "web",
                                         servers: [.init(name: "blue", port: Int(freePort()), weight: 75),
                                                   .init(name: "green", port: Int(freePort()), weight: 25)])
        defer { haproxy.stop() }
        let config = try writeRun(in: dir, """
        ramp:
          steps: [10, 25, 50]
          traffic: {adapter: haproxy, socket: \(haproxy.socketPath), backend: web, stable: blue, canary: green}
        """)
        let r = try warroom(["traffic", config])
        #expect(r.status == 0 && r.out.hasPrefix("observed 25 % (haproxy) in "), "\(r.out)\(r.err)")
        let weights = try RuntimeSocket.exchange(.unix(haproxy.socketPath), "get weight web/green\n", timeoutMs: 2_000)
        #expect(weights.hasPrefix("25 "), "read-only: \(weights)")
        let j = try warroom(["traffic", config, "--json"])
        let answer = try JSONSerialization.jsonObject(with: Data(j.out.utf8)) as? [String: Any]
        #expect(j.status == 0 && answer?["observed"] as? Int == 25 && answer?["adapter"] as? String == "haproxy", "\(j.out)")
        // A wrong server name: the adapter's own words, exit 1.
        try String(contentsOfFile: config, encoding: .utf8).replacingOccurrences(of: "canary: green", with: "canary: greem")
            .write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try warroom(["traffic", config])
        #expect(bad.status == 1 && bad.err.contains("haproxy: read-back failed:") && bad.err.contains("greem"), "\(bad.out)\(bad.err)")
        haproxy.stop()
        let gone = try warroom(["traffic", config])
        #expect(gone.status == 1 && gone.err.contains("read-back failed"), "\(gone.err)")
    }

    @Test func aConfigWithoutAnAdapterSaysSo() throws {
        let dir = tempDir("traffic-cmd-none")
        let config = try writeRun(in: dir, "ramp:\n  steps: [10, 50]\n")
        let r = try warroom(["traffic", config])
        #expect(r.status == 1 && r.err.contains("no ramp.traffic adapter"), "\(r.err)")
    }
}
