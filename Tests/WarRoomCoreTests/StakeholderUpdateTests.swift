import Testing
@testable import WarRoomCore

/// `comms:`: reminders during the ramp, once per update due, and the drafted update from the journal.
@Suite struct StakeholderUpdates {
    static func comms(_ c: inout RunConfig) { c.comms = CommsConfig(everyMs: 30 * 60_000) }

    @Test func theDriverIsRemindedOncePerUpdateDueDuringTheRampOnly() throws {
        var h = EngineHarness(apply: false, configure: Self.comms)
        let t = EngineHarness.t0
        h.send(.tick(t + 40 * 60_000))
        #expect(!h.shown.contains { $0.text.hasPrefix("stakeholder update due") }, "no ramp yet")
        h.reading(.slo("P95"), 1.2, at: t + 40 * 60_000)
        h.send(.intent(.go))
        h.send(.tick(t + 69 * 60_000))
        #expect(!h.shown.contains { $0.text.hasPrefix("stakeholder update due") })
        h.send(.tick(t + 71 * 60_000))
        h.send(.tick(t + 72 * 60_000))
        #expect(h.shown.filter { $0.text.hasPrefix("stakeholder update due (every 30m)") }.count == 1)
        let r = try #require(StakeholderUpdate.reminder(run: h.engine.run, comms: h.engine.config.comms, now: t + 72 * 60_000))
        #expect(r.index == 1 && r.due && r.next == t + 100 * 60_000)
        #expect(StakeholderUpdate.reminder(run: h.engine.run, comms: h.engine.config.comms, now: t + 80 * 60_000)?.due == false)
        h.send(.tick(t + 101 * 60_000))
        #expect(h.shown.filter { $0.text.hasPrefix("stakeholder update due") }.count == 2)
    }

    @Test func followersAreNotReminded() {
        var h = EngineHarness(role: .follower(driver: "dana"), configure: Self.comms)
        h.send(.merged([JournalEvent(seq: 2, time: EngineHarness.t0, actor: "dana",
                                     body: .rampDecision(RampDecision(kind: .go, from: 0, to: 10, verdict: "READY")))]))
        h.send(.tick(EngineHarness.t0 + 31 * 60_000))
        #expect(!h.shown.contains { $0.text.hasPrefix("stakeholder update due") })
    }

    @Test func theDraftSaysTrafficDecisionsCriteriaAndSLOsFromTheJournal() {
        var h = EngineHarness(apply: false, configure: Self.comms)
        let t = EngineHarness.t0
        h.reading(.slo("P95"), 1.2, at: t)
        h.send(.intent(.go))
        h.send(.intent(.decisionReason(.saved(seq: h.journal.last!.seq), reason: "canary green")))
        h.send(.intent(.tripLight(name: "Security incident", reason: "pager")))
        let text = StakeholderUpdate.draft(run: h.engine.run, config: h.engine.config, now: t + 60_000)
        #expect(text.hasPrefix("Update on checkout (\(Timestamp.hms(t + 60_000)) UTC): traffic at 10 %; plan 10 → 50 → 100 %.\n"))
        #expect(text.contains("Latest decisions:\n- \(Timestamp.hms(t)) GO 0 → 10 % by dana: canary green\n"))
        #expect(text.contains("Rollback criteria TRIPPED: Security incident since \(Timestamp.hms(t))."))
        #expect(text.contains("SLOs: P95 ok."), "\(text)")
        #expect(text.hasSuffix("Next update by \(Timestamp.hms(t + 30 * 60_000)) UTC.\n"))
        #expect(StakeholderUpdate.draft(run: h.engine.run, config: h.engine.config, now: t + 60_000) == text, "pure")
    }
}
