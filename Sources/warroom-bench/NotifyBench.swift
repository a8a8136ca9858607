import Foundation
import WarRoomCLI
import WarRoomCore
import WarRoomStore
import WarRoomTelemetry

/// `warroom-bench notify`: notification delivery latency on loopback, from the journal's acknowledgement of an entry
/// (the append returned, fsync'd) to a local webhook receiver having read the request: the notifier's queue, the JSON,
/// the HTTP client's kept-alive connection and the receiver. The engine's reduce between the two (microseconds) is
/// not in it.
func benchNotify(base: String, count: Int = 400) {
    final class Arrivals: @unchecked Sendable {
        let lock = NSLock()
        let signal = DispatchSemaphore(value: 0)
        var at: UInt64 = 0
    }
    let arrivals = Arrivals()
    do {
        let server = try LoopbackHTTPServer(keepRequests: false, keepAlive: true) { _ in
            arrivals.lock.lock(); arrivals.at = nowNS(); arrivals.lock.unlock()
            arrivals.signal.signal()
            return .json("{}")
        }
        defer { server.stop() }
        let notifier = Notifier(targets: [NotifyTarget(name: "bench", kind: .webhook, url: "http://127.0.0.1:\(server.port)/hook")],
                                environment: [:], children: ChildProcesses()) { a in
            if case .notifyFailed(let f) = a { print("delivery failed: \(f.error)") }
        }
        let writer = try JournalWriter.open(stateDir: base + "/notify", actor: "bench", now: 0)
        defer { writer.close() }
        try writer.append(.runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "bench", pid: getpid())),
                          actor: "bench", time: 0)
        var latencies: [UInt64] = []
        for i in 0..<count {
            // A crew entry (a driver entry needs the driver lease); the message is built as for a decision.
            let e = try writer.append(.itemSet(ItemSet(id: "T1", status: i % 2 == 0 ? .done : .open)), actor: "bench", time: Millis(i + 1))
            let acked = nowNS()
            let n = RunNotification(event: "decision.go", service: "bench", run: writer.state.runID, seq: e.seq, time: e.time,
                                    actor: "bench", percent: 10, from: 0, to: 10, reason: "bench \(i)", verdict: "READY",
                                    summary: "[bench] GO 0 → 10 % (gate READY) by bench: bench \(i) · ramp at 10 %")
            notifier.send(n)
            guard arrivals.signal.wait(timeout: .now() + 10) == .success else { print("receiver got nothing in 10 s"); return }
            arrivals.lock.lock(); let at = arrivals.at; arrivals.lock.unlock()
            if i >= 20 { latencies.append(at - acked) } // the first connect and warm-up left out
        }
        notifier.drain(timeoutMs: 5_000)
        line("notify: append ack → loopback webhook got it", "p50 \(ms(percentile(latencies, 0.5))) · p99 \(ms(percentile(latencies, 0.99)))",
             goal: "goal: p99 < 50 ms (\(latencies.count) messages)")
    } catch {
        print("notify bench: \(error)")
    }
}
