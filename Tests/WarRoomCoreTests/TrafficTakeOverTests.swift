import Testing
@testable import WarRoomCore

/// A driver that takes over after its predecessor journaled a drift: when the traffic is back as intended, the end of
/// the drift is journaled, so followers' traffic line (`journaledTraffic`) does not say DRIFT for ever.
@Suite struct TrafficTakeOver {
    @Test func aTakeOverEndsTheDriftThePreviousDriverLeftOpen() throws {
        var h = TrafficEngine.ready()
        h.send(.intent(.go))
        h.send(TrafficEngine.read(10, decision: h.trafficRequests[0].decision, intended: 10))
        h.send(TrafficEngine.read(40))
        #expect(h.engine.run.journaledTraffic?.trouble == true, "the first driver journaled the drift")
        // The first driver dies; another takes over with the journal as it is, and reads the traffic back as intended.
        h.engine = Engine(config: h.engine.config, session: Session(actor: "lee", role: .driver, stateDir: "/srv/.warroom"),
                          checklist: h.engine.checklist, run: h.engine.run, now: EngineHarness.t0 + 120_000)
        h.send(TrafficEngine.read(10))
        let line = try #require(h.engine.run.journaledTraffic)
        #expect(line.text == "intended 10 % · observed 10 % (haproxy)" && !line.trouble, "\(line)")
        // and a drift it sees again is not journaled twice
        h.send(TrafficEngine.read(40))
        h.engine = Engine(config: h.engine.config, session: Session(actor: "kim", role: .driver, stateDir: "/srv/.warroom"),
                          checklist: h.engine.checklist, run: h.engine.run, now: EngineHarness.t0 + 180_000)
        let before = h.engine.run.verdictChanges.count
        h.send(TrafficEngine.read(40))
        #expect(h.engine.run.verdictChanges.count == before)
    }

    /// A drift journaled after the step's answer by a console whose clock is behind: still the newer news.
    @Test func aDriftJournaledOnASlowerClockIsShown() throws {
        var h = TrafficEngine.ready()
        h.send(.intent(.go))
        h.send(TrafficEngine.read(10, decision: h.trafficRequests[0].decision, intended: 10))
        var run = h.engine.run
        let answered = try #require(run.decisions.last?.hookTime)
        try run.apply(JournalEvent(seq: run.lastSeq + 1, time: answered - 5_000, actor: "lee",
                                   body: .verdictChange(VerdictChange(subject: "traffic", name: "traffic (haproxy)", from: "ok", to: "drift",
                                                                      detail: "intended 10 % · observed 40 % (haproxy)"))))
        let line = try #require(run.journaledTraffic)
        #expect(line.text == "DRIFT (driver's read-back): intended 10 % · observed 40 % (haproxy)" && line.trouble, "\(line)")
    }
}
