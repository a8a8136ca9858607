import EtcdTestSupport
import Foundation
import Testing
import WarRoomCore
import WarRoomTelemetry

/// `ramp.traffic: haproxy` end to end in tmux against a real HAProxy on 127.0.0.1: GO sets the canary's weight and
/// the RAMP pane shows what was asked for and what HAProxy has; a weight changed behind the console's back shows as
/// DRIFT (journaled once), blocks the gate, and clears when put back.
@Suite(.serialized, .enabled(if: tmuxAvailable && HAProxyProcess.binary() != nil,
                             "tmux or haproxy is not installed (scripts/deps haproxy)"))
struct TrafficEndToEnd {
    @Test func goMovesHAProxyAndDriftShows() throws {
        let dir = tempDir("traffic-e2e")
        let haproxy = try HAProxyProcess(directory: dir + "/haproxy", frontendPort: Int(freePort()), backend: "web",
                                         servers: [.init(name: "blue", port: Int(freePort()), weight: 100),
                                                   .init(name: "green", port: Int(freePort()), weight: 0)])
        defer { haproxy.stop() }
        let config = try writeRun(in: dir, """
        ramp:
          steps: [{percent: 10, hold: 1h}, {percent: 50, hold: 1h}]
          traffic:
            adapter: haproxy
            socket: \(haproxy.socketPath)
            backend: web
            stable: blue
            canary: green
            check_every: 1s
        rollback:
          - {name: Security incident, manual: true}
        """)
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state))")
        t.waitFor(text: "intended 0 % · observed 0 % (haproxy)", timeout: 30)
        t.waitFor(text: "READY")
        try t.send("g")
        t.waitFor(text: "reason for GO")
        try t.send("Escape")
        t.waitFor(text: "intended 10 % · observed 10 % (haproxy)", timeout: 30)
        func weight(_ server: String) throws -> String {
            try RuntimeSocket.exchange(.unix(haproxy.socketPath), "get weight web/\(server)\n", timeoutMs: 2_000)
        }
        #expect(try weight("green").hasPrefix("10 ") && weight("blue").hasPrefix("90 "))
        // Behind warroom's back: the canary gets as much as the stable.
        _ = try RuntimeSocket.exchange(.unix(haproxy.socketPath), "set weight web/green 90\n", timeoutMs: 2_000)
        // One frame may reach the pane in more than one write: wait for the whole of it (pane, message, gate).
        let drift = t.waitFor("the drift shown", timeout: 60) {
            $0.contains("DRIFT: observed 50 % ≠ intended 10 %") && $0.contains("TRAFFIC DRIFT: intended 10 % · observed 50 % (haproxy)")
                && $0.contains("BLOCKED")
        }
        #expect(drift.contains("TRAFFIC DRIFT: intended 10 % · observed 50 % (haproxy)"), "the message names the adapter")
        #expect(drift.contains("BLOCKED"), "\(drift)")
        // Put back: the drift clears.
        _ = try RuntimeSocket.exchange(.unix(haproxy.socketPath), "set weight web/green 10\n", timeoutMs: 2_000)
        let back = t.waitFor("the drift cleared", timeout: 60) { !$0.contains("DRIFT:") && $0.contains("intended 10 % · observed 10 % (haproxy)") }
        #expect(!back.contains("DRIFT: observed"))
        try t.send("q")
        try t.send("y")
        #expect(t.waitForExit() == 0)
        let journal = try String(contentsOfFile: state + "/journal.jsonl", encoding: .utf8)
        let lines = journal.split(separator: "\n")
        #expect(lines.contains { $0.contains("\"type\":\"ramp.hook\"") && $0.contains("intended 10 % · observed 10 % (haproxy)") })
        let changes = lines.filter { $0.contains("\"type\":\"verdict.change\"") && $0.contains("\"subject\":\"traffic\"") }
        #expect(changes.count == 2, "one drift episode: its start and its end\n\(changes.joined(separator: "\n"))")
        #expect(changes.first?.contains("\"to\":\"drift\"") == true && changes.last?.contains("\"to\":\"ok\"") == true)
    }
}
