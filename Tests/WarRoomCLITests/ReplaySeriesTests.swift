import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomStore
import WarRoomUI

/// `warroom replay` draws its gauges from the journaled series (`gauge.points`) where the journal has them.
@Suite struct ReplaySeries {
    func p(_ v: Double, _ s: String = "ok") -> EventBody {
        .gaugePoints(GaugePoints(points: [GaugePoint(name: "P95 latency", value: v, state: s)]))
    }

    func journal() throws -> String {
        let dir = tempDir("replay-series") + "/state"
        let w = try JournalWriter.open(stateDir: dir, actor: "dana", now: ReplayFixture.t0)
        defer { w.close() }
        try w.acquireLease(now: ReplayFixture.t0)
        let at = ReplayFixture.at
        _ = try w.append(.runStarted(RunStarted(checklist: canary, checklistSHA256: String(repeating: "a", count: 64), items: 46,
                                                host: "host", pid: 1)), actor: "dana", time: at(0))
        let config = RunConfig(path: nil, service: "checkout-api", checklist: canary, plan: RampPlan(steps: [RampStep(percent: 100)], holdMs: 0,
                                                                                                    hasApply: false, hasRollbackHook: false),
                               slos: [SLOConfig(name: "P95 latency", source: "prom", query: "p95", unit: "s", objective: Condition(.le, 2))])
        _ = try w.append(.runConfig(RunConfigRecord(config: config, checklistSHA256: String(repeating: "a", count: 64))), actor: "dana", time: at(0))
        _ = try w.append(p(0.4), actor: "dana", time: at(1))
        _ = try w.append(p(0.5), actor: "dana", time: at(2))
        _ = try w.append(p(2.6, "breach"), actor: "dana", time: at(3))
        _ = try w.append(.rampDecision(RampDecision(kind: .nogo, from: 0, to: 0, verdict: "BLOCKED",
                                                    gauges: [SnapshotEntry(name: "P95 latency", state: "breach", detail: "2.6 s")])),
                         actor: "dana", time: at(4))
        _ = try w.append(p(0.7), actor: "dana", time: at(5))
        return dir
    }

    @Test func theGaugesHistoryAndStateComeFromTheJournaledPoints() throws {
        let dir = try journal()
        let r = try Journal.replay(stateDir: dir)
        var c = ReplayCursor(events: r.events, runID: r.state.runID)
        func gauge(_ c: ReplayCursor) -> TelemetryView.Gauge? { TelemetryView.recorded(in: c.state).gauges.first }
        #expect(gauge(c) == nil, "nothing journaled yet: nothing shown")
        _ = c.step() // 0.4 at 09:01
        #expect(gauge(c)?.history == [0.4])
        #expect(gauge(c)?.status == .ok && gauge(c)?.value == formatValue(0.4, unit: "s") && gauge(c)?.scale == 2)
        _ = c.step()
        _ = c.step() // 2.6 breach at 09:03
        #expect(gauge(c)?.history == [0.4, 0.5, 2.6])
        #expect(gauge(c)?.status == .breach && gauge(c)?.detail == formatValue(2.6, unit: "s") + " as journaled 09:03:00")
        _ = c.step() // the NO-GO: its snapshot, with the points' sparkline
        #expect(gauge(c)?.status == .breach && gauge(c)?.value == "2.6 s")
        #expect(gauge(c)?.detail.contains("as recorded with NO-GO") == true)
        #expect(gauge(c)?.history == [0.4, 0.5, 2.6])
        _ = c.step() // a point newer than the snapshot
        #expect(gauge(c)?.status == .ok && gauge(c)?.value == formatValue(0.7, unit: "s") && gauge(c)?.history.count == 4)

        // The console a replay drives shows the same.
        let setup = try deriveRunConfig(checklistPath: canary)
        final class FakeClock { var ns: UInt64 = 1_000_000_000 }
        let clock = FakeClock()
        let s = ReplaySession(setup: setup, stateDir: dir, replay: r, speed: 3600, realClock: { clock.ns })
        clock.ns += 1_000_000_000 // an hour of run: to the end
        s.turn(now: Timestamp.parse("2027-01-01T00:00:00Z")!)
        #expect(s.state.telemetry.gauges.first?.history == [0.4, 0.5, 2.6, 0.7])
        // The message line names the last event worth reading (the NO-GO), not the point journaled after it.
        #expect(s.state.message?.text.contains("NO-GO") == true, "\(s.state.message?.text ?? "nil")")
        #expect(s.state.message?.text.contains("SLO point") == false)
    }

    /// A journal from before `gauge.points`: the snapshot alone, as before.
    @Test func withoutPointsTheSnapshotAlone() throws {
        let r = try Journal.replay(stateDir: ReplayFixture.makeJournal())
        let view = TelemetryView.recorded(in: r.state)
        #expect(view.gauges.map(\.name) == ["Error rate"] && view.gauges.first?.history == [])
    }
}
