import Testing
@testable import WarRoomCore

/// `ramp.traffic`: a decision's move goes to the adapter, the ramp moves only when the weight read back agrees, and
/// read-backs between steps show (and journal once) a weight changed behind the console's back.
@Suite struct TrafficEngine {
    static func read(_ observed: Int?, error: String? = nil, decision: Int? = nil, intended: Int? = nil) -> Action {
        .trafficRead(TrafficReading(adapter: "haproxy", decision: decision, intended: intended, observed: observed, error: error,
                                    durationMs: 3))
    }

    /// A harness at 0 % whose first read-back agreed, SLOs green.
    static func ready() -> EngineHarness {
        var h = EngineHarness(apply: false, traffic: true)
        h.send(read(0))
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        return h
    }

    var verdictChanges: (EngineHarness) -> [VerdictChange] = { h in
        h.journal.compactMap { if case .verdictChange(let v) = $0.body, v.subject == "traffic" { v } else { nil } }
    }

    @Test func goSetsTheWeightAndTheRampMovesWhenTheReadBackAgrees() throws {
        var h = Self.ready()
        #expect(h.engine.verdict.state == .ready)
        h.send(.intent(.go))
        let d = try #require(h.journal.last.flatMap { if case .rampDecision(let d) = $0.body { d } else { nil } })
        #expect(d.traffic == "haproxy" && d.hook == nil && d.to == 10)
        let r = try #require(h.trafficRequests.first)
        #expect(r.percent == 10 && r.decision == h.journal.last?.seq && h.hooks.isEmpty)
        #expect(h.engine.run.percent == 0 && h.engine.verdict.state == .busy, "not shown as done before set + read-back")
        h.send(Self.read(10, decision: r.decision, intended: 10))
        let result = try #require(h.journal.last.flatMap { if case .hookResult(let x) = $0.body { x } else { nil } })
        #expect(result.ok && result.summary == "intended 10 % · observed 10 % (haproxy)")
        #expect(h.engine.run.percent == 10)
        #expect(h.engine.trafficLine?.text == "intended 10 % · observed 10 % (haproxy)" && h.engine.trafficLine?.trouble == false)
        #expect(h.shown.last?.text.hasPrefix("traffic moved: intended 10 %") == true)
    }

    @Test func aMismatchAfterAStepKeepsTheRampAndBlocksTheGate() throws {
        var h = Self.ready()
        h.send(.intent(.go))
        let r = try #require(h.trafficRequests.first)
        h.send(Self.read(7, decision: r.decision, intended: 10))
        let result = try #require(h.journal.last.flatMap { if case .hookResult(let x) = $0.body { x } else { nil } })
        #expect(!result.ok && result.summary == "MISMATCH: intended 10 % · observed 7 % (haproxy)")
        #expect(h.engine.run.percent == 0)
        let v = h.engine.verdict
        #expect(v.state == .blocked && v.blockers.contains("traffic DRIFT: intended 0 % · observed 7 % (haproxy)"), "\(v)")
    }

    @Test func aFailedSetIsJournaledAndBlocks() throws {
        var h = Self.ready()
        h.send(.intent(.go))
        let r = try #require(h.trafficRequests.first)
        h.send(Self.read(nil, error: "set 10 % failed: cannot connect to /s: No such file or directory", decision: r.decision, intended: 10))
        let result = try #require(h.journal.last.flatMap { if case .hookResult(let x) = $0.body { x } else { nil } })
        #expect(!result.ok && result.summary.hasPrefix("haproxy: set 10 % failed"))
        #expect(h.engine.verdict.blockers.contains { $0.hasPrefix("traffic read-back failed (haproxy)") })
    }

    @Test func driftIsJournaledOncePerEpisodeAndClears() throws {
        var h = Self.ready()
        h.send(.intent(.go))
        h.send(Self.read(10, decision: h.trafficRequests[0].decision, intended: 10))
        #expect(verdictChanges(h).isEmpty)
        h.send(Self.read(25))
        h.send(Self.read(25))
        h.send(Self.read(30))
        #expect(verdictChanges(h).map(\.to) == ["drift"], "one entry per episode")
        #expect(verdictChanges(h).first?.detail == "intended 10 % · observed 25 % (haproxy)")
        #expect(h.engine.trafficLine?.text == "DRIFT: observed 30 % ≠ intended 10 %" && h.engine.trafficLine?.trouble == true)
        #expect(h.engine.verdict.blockers.contains("traffic DRIFT: intended 10 % · observed 30 % (haproxy)"))
        h.send(Self.read(10))
        #expect(verdictChanges(h).map(\.to) == ["drift", "ok"])
        #expect(h.engine.trafficLine?.trouble == false && !h.engine.verdict.blockers.contains { $0.hasPrefix("traffic") })
    }

    @Test func aFailedReadBackBlocksAndIsJournaled() {
        var h = Self.ready()
        h.send(Self.read(nil, error: "cannot connect to /s: Connection refused"))
        #expect(verdictChanges(h).map(\.to) == ["failed"])
        #expect(h.engine.verdict.blockers == ["traffic read-back failed (haproxy): cannot connect to /s: Connection refused"])
        #expect(h.engine.trafficLine?.text.hasPrefix("READ-BACK FAILED (haproxy)") == true)
    }

    @Test func noReadBackYetBlocksGo() {
        var h = EngineHarness(apply: false, traffic: true)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        #expect(h.engine.verdict.blockers == ["traffic: no read-back yet (haproxy)"])
        #expect(h.engine.trafficLine?.text == "intended 0 % · observed … (haproxy)")
    }

    @Test func aFollowerIsNotBlockedOnTrafficItCannotRead() {
        var h = EngineHarness(apply: false, role: .follower(driver: "dana"), traffic: true)
        h.send(.tick(EngineHarness.t0))
        #expect(h.engine.trafficBlocker == nil && h.engine.trafficLine == nil)
    }

    /// Followers read nothing back: their RAMP pane shows what the driver journaled (the step's answer, then a drift
    /// episode and its end), and nothing blocks them.
    @Test func aFollowerShowsTheTrafficTheDriverJournaled() throws {
        var h = Self.ready()
        func follower() -> Engine {
            Engine(config: h.engine.config, session: Session(actor: "lee", role: .follower(driver: "dana"), stateDir: "/srv/.warroom"),
                   checklist: h.engine.checklist, run: h.engine.run, now: EngineHarness.t0 + 60_000)
        }
        #expect(follower().trafficLine == nil, "no decision went through the adapter yet")
        h.send(.intent(.go))
        #expect(follower().trafficLine?.text == "setting 10 % through haproxy…")
        h.send(Self.read(10, decision: h.trafficRequests[0].decision, intended: 10))
        #expect(follower().trafficLine?.text == "intended 10 % · observed 10 % (haproxy)" && follower().trafficLine?.trouble == false)
        h.send(Self.read(40))
        let drifted = try #require(follower().trafficLine)
        #expect(drifted.text == "DRIFT (driver's read-back): intended 10 % · observed 40 % (haproxy)" && drifted.trouble)
        #expect(follower().trafficBlocker == nil)
        h.send(Self.read(10))
        #expect(follower().trafficLine?.text == "intended 10 % · observed 10 % (haproxy)" && follower().trafficLine?.trouble == false)
        h.send(Self.read(nil, error: "cannot connect to /s: Connection refused"))
        #expect(follower().trafficLine?.text == "READ-BACK FAILED (driver's): read-back failed: cannot connect to /s: Connection refused")
        h.send(Self.read(10))
        h.send(.intent(.rollback))
        h.send(Self.read(3, decision: h.trafficRequests.last?.decision, intended: 0))
        let failed = try #require(follower().trafficLine)
        #expect(failed.text == "traffic: MISMATCH: intended 0 % · observed 3 % (haproxy)" && failed.trouble, "\(failed)")
    }

    @Test func aTimedReadDuringAStepIsNoDrift() throws {
        var h = Self.ready()
        h.send(.intent(.go))
        h.send(Self.read(10)) // the timer's read-back lands after the set, before the step's answer
        #expect(verdictChanges(h).isEmpty && h.engine.verdict.state == .busy)
    }

    @Test func rollbackMovesTheTrafficToZero() throws {
        var h = Self.ready()
        h.send(.intent(.go))
        h.send(Self.read(10, decision: h.trafficRequests[0].decision, intended: 10))
        h.send(.intent(.rollback))
        let r = try #require(h.trafficRequests.last)
        #expect(r.percent == 0 && h.engine.run.percent == 10)
        h.send(Self.read(0, decision: r.decision, intended: 0))
        #expect(h.engine.run.percent == 0 && h.engine.run.rollback?.executedAt != nil)
    }
}
