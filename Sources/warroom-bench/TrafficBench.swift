import Foundation
import WarRoomCore
import WarRoomTelemetry

/// `warroom-bench haproxy`: the haproxy adapter's round trip (set + read back, as a GO step does) and a read-back
/// alone (as the drift check does), against a real HAProxy started here on loopback, on the unix socket and on TCP.
func benchHAProxy(rounds: Int = 500) {
    guard HAProxyProcess.binary() != nil else {
        print("haproxy benchmark skipped: haproxy is not installed (scripts/deps haproxy)")
        return
    }
    func port() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: a.sin_port))
    }
    let dir = NSTemporaryDirectory() + "warroom-bench-haproxy-\(getpid())"
    do {
        let tcp = port()
        let h = try HAProxyProcess(directory: dir, frontendPort: port(), tcpPort: tcp, backend: "web",
                                   servers: [.init(name: "stable", port: port(), weight: 100), .init(name: "canary", port: port(), weight: 0)])
        defer { h.remove() }
        for (label, socket) in [("unix socket", h.socketPath), ("tcp", "tcp://127.0.0.1:\(tcp)")] {
            let a = try HAProxyAdapter(TrafficConfig(adapter: "haproxy", settings: ["socket": socket, "backend": "web", "stable": "stable",
                                                                                 "canary": "canary"]))
            let steps = [10, 25, 50, 75, 100, 0]
            for i in 0..<20 { _ = Traffic.setAndReadBack(a, TrafficRequest(decision: 0, percent: steps[i % steps.count])) }
            var failures = 0
            var i = 0
            let trip = time(rounds) {
                let r = Traffic.setAndReadBack(a, TrafficRequest(decision: 0, percent: steps[i % steps.count]))
                if r.error != nil || r.observed != r.intended { failures += 1 }
                i += 1
            }
            line("haproxy set + read back (\(label), \(rounds))", "p50 \(ms(percentile(trip, 0.5))), p99 \(ms(percentile(trip, 0.99)))",
                 goal: failures == 0 ? "all agreed" : "\(failures) FAILED")
            let read = time(rounds) { _ = Traffic.readBack(a) }
            line("haproxy read back only (\(label))", "p50 \(ms(percentile(read, 0.5))), p99 \(ms(percentile(read, 0.99)))",
                 goal: "drift check, every 10 s by default")
            // The drift check's CPU: this process's user + system time per read-back (the console's side only).
            let before = ownCPU()
            for _ in 0..<rounds { _ = Traffic.readBack(a) }
            let perRead = (ownCPU() - before) * 1e6 / Double(rounds)
            line("drift check CPU (\(label))", String(format: "%.0f µs a read-back", perRead),
                 goal: String(format: "%.2f ms CPU/min at every 10 s", perRead * 6 / 1000))
        }
        // The engine's side of a read-back: reducing `.trafficRead` (the screen thread's work), at 10 % and agreeing.
        var config = RunConfig(path: nil, service: "bench", checklist: "c.md", plan: RampPlan(steps: [RampStep(percent: 10)]))
        config.traffic = TrafficConfig(adapter: "haproxy")
        var engine = Engine(config: config,
                            session: Session(actor: "bench", role: .driver, stateDir: "/tmp"),
                            checklist: ChecklistParser.parse("# c\n- [ ] T1 a\n", path: "c.md"), run: RunState(), now: 0)
        let reduce = time(rounds * 20) { _ = engine.reduce(.trafficRead(TrafficReading(adapter: "haproxy", observed: 0, durationMs: 1))) }
        line("engine reduce of a read-back (\(rounds * 20))",
             String(format: "p50 %.1f µs, p99 %.1f µs", Double(percentile(reduce, 0.5)) / 1e3, Double(percentile(reduce, 0.99)) / 1e3),
             goal: "on the screen thread")
    } catch {
        print("haproxy benchmark failed: \(error)")
    }
}

