import Testing
@testable import WarRoomCore

/// `notify:`: which journaled entries the driver sends, exactly once each; never on followers, crew or replays.
@Suite struct NotifyEngine {
    static func withTarget(_ c: inout RunConfig) {
        c.notify = [NotifyTarget(name: "ops", kind: .webhook, url: "https://hooks.example/secret-path", line: 3)]
    }

    @Test func aDecisionAndItsReasonAreSentOnceWithActorPercentVerdict() throws {
        var h = EngineHarness(apply: false, configure: Self.withTarget)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.toggleItem(id: "T2")))
        #expect(h.notified.isEmpty, "item changes and verdict changes are not sent")
        h.send(.intent(.go))
        let n = try #require(h.notified.first)
        #expect(h.notified.count == 1)
        #expect(n.event == "decision.go" && n.actor == "dana" && n.percent == 10 && n.from == 0 && n.to == 10)
        #expect(n.verdict == "READY" && n.service == "checkout" && n.seq == h.journal.last?.seq)
        #expect(n.summary == "[checkout] GO 0 → 10 % (gate READY) by dana · ramp at 10 %")
        #expect(!n.summary.contains("http"), "link-free")
        let seq = try #require(n.seq)
        h.send(.intent(.decisionReason(.saved(seq: seq), reason: "all green")))
        #expect(h.notified.count == 2)
        #expect(h.notified[1].event == "decision.reason" && h.notified[1].reason == "all green" && h.notified[1].to == 10)
    }

    @Test func overrideNoGoRollbackVerifiedTripClearAndHookFailureAreSent() throws {
        var h = EngineHarness(apply: true, configure: Self.withTarget)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        h.send(.hookFinished(HookResult(decision: h.journal.last!.seq, ok: false, summary: "exit 3", durationMs: 5)))
        #expect(h.notified.map(\.event) == ["decision.go", "hook.failed"])
        #expect(h.notified[1].reason == "exit 3" && h.notified[1].percent == 0)
        h.send(.intent(.tripLight(name: "Security incident", reason: "pager")))
        h.send(.intent(.override(reason: "CTO approved")))
        h.send(.hookFinished(HookResult(decision: h.journal.last!.seq, ok: true, summary: "exit 0", durationMs: 5)))
        h.send(.intent(.nogo))
        h.send(.intent(.rollback))
        h.send(.hookFinished(HookResult(decision: h.journal.last!.seq, ok: true, summary: "exit 0", durationMs: 5)))
        h.send(.intent(.clearLight(name: "Security incident", reason: "false alarm")))
        h.send(.intent(.verify))
        #expect(h.notified.map(\.event) == ["decision.go", "hook.failed", "light.trip", "decision.override", "decision.nogo",
                                            "decision.rollback", "light.clear", "decision.verified"])
        let override = try #require(h.notified.first { $0.event == "decision.override" })
        #expect(override.reason == "CTO approved" && override.unmet == ["Security incident tripped"])
        #expect(h.notified.first { $0.event == "light.trip" }?.reason == "pager")
        // One per journaled entry: no seq twice.
        let seqs = h.notified.compactMap(\.seq)
        #expect(Set(seqs).count == seqs.count)
    }

    @Test func anEntryAlreadyMergedIsNotSentAgainWhenItsAcknowledgementArrives() throws {
        var h = EngineHarness(apply: false, configure: Self.withTarget)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        let pending = h.send(.intent(.tripLight(name: "Security incident", reason: "pager")), hold: true)
        guard case .append(let id, let body) = try #require(pending.first) else { Issue.record("no append"); return }
        let e = JournalEvent(seq: h.engine.run.lastSeq + 1, time: EngineHarness.t0, actor: "dana", body: body)
        h.send(.merged([e])) // a tail reader got there first
        h.send(.appended(id: id, e))
        #expect(h.notified.map(\.event) == ["light.trip"])
    }

    @Test func followersCrewAndReplaysNeverNotify() throws {
        let trip = JournalEvent(seq: 2, time: EngineHarness.t0, actor: "dana", body: .lightTrip(LightChange(name: "Security incident", reason: "x")))
        for role: Role in [.follower(driver: "dana"), .crew(driver: "dana"), .replay(badge: "REPLAY 1×")] {
            var h = EngineHarness(role: role, configure: Self.withTarget)
            h.send(.merged([trip]))
            h.send(.announce(trip))
            h.send(.notifyFailed(NotifyFailed(target: "ops", event: "light.trip", seq: 2, attempts: 5, error: "HTTP 500")))
            #expect(h.notified.isEmpty, "\(role)")
            #expect(h.journal.count == 1, "\(role): only the driver journals notify.failed")
            #expect(h.engine.notifyFailedCount == 1)
        }
    }

    @Test func withoutTargetsNothingIsSent() {
        var h = EngineHarness(apply: false)
        h.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        h.send(.intent(.go))
        #expect(h.notified.isEmpty)
    }

    @Test func aTakeOversHandOverIsAnnouncedOnceAndAFailureIsJournaledAndCounted() throws {
        var h = EngineHarness(configure: Self.withTarget)
        let hand = JournalEvent(seq: 2, time: EngineHarness.t0, actor: "dana",
                                body: .handover(Handover(from: "sam", to: "dana", reason: "sam's laptop died", gapMs: 40_000)))
        h.journal.append(hand)
        h.send(.merged([hand]))
        #expect(h.notified.map(\.event) == ["driver.handover"])
        h.send(.announce(JournalEvent(seq: 9, time: EngineHarness.t0, actor: "dana", body: hand.body)))
        #expect(h.notified.count == 1, "an entry not in the run yet is not announced")
        h.send(.notifyFailed(NotifyFailed(target: "ops (webhook https://hooks.example/[redacted])", event: "driver.handover",
                                          seq: 2, attempts: 5, error: "HTTP 500")))
        #expect(h.engine.notifyFailedCount == 1)
        guard case .notifyFailed(let f) = try #require(h.journal.last).body else { Issue.record("not journaled"); return }
        #expect(f.attempts == 5 && f.event == "driver.handover" && !f.target.contains("secret"))
        #expect(h.engine.run.notifyFailures.count == 1)
        #expect(h.notified.count == 1, "notify.failed is not itself sent")
        #expect(h.shown.last?.level == .warn && h.shown.last?.text.hasPrefix("NOTIFY FAILED") == true)
    }

    static let phasesText = "# Go-live\n\n## Pre-flight (T-30 min)\n- [ ] T1 Backups verified\n\n## Cutover (T+0 to T+10 min)\n- [ ] T2 Flags ready\n"

    @Test func anOverduePhaseIsSentOnceAndNotForPhasesTheLastDriverAnnounced() {
        // The previous driver was alive until a second before this console opened: Pre-flight was its to announce.
        var h = EngineHarness(apply: false, announcedUntil: EngineHarness.t0 - 1_000,
                              configure: { Self.withTarget(&$0); $0.t0 = EngineHarness.t0 - 60_000 }, checklistText: Self.phasesText)
        h.send(.tick(EngineHarness.t0))
        #expect(h.notified.isEmpty, "Pre-flight was overdue while the last driver drove")
        h.send(.tick(EngineHarness.t0 + 10 * 60_000))
        #expect(h.notified.map(\.event) == ["phase.overdue"])
        #expect(h.notified.first?.summary.contains("phase “Cutover (T+0 to T+10 min)” OVERDUE") == true)
        #expect(h.notified.first?.seq == nil)
        h.send(.tick(EngineHarness.t0 + 11 * 60_000))
        #expect(h.notified.count == 1)
    }

    @Test func inlineURLsAreCutToTheirHostWhenJournaled() {
        var c = RunConfig(path: nil, service: "s", checklist: "c.md", plan: RampPlan(steps: []))
        c.notify = [NotifyTarget(name: "slack", kind: .slack, url: "https://hooks.slack.com/services/T0/B0/xyzTOKEN")]
        #expect(c.redactingCredentials().notify?.first?.url == "https://hooks.slack.com/[redacted]")
        #expect(NotifyTarget.hostOnly("https://user:pw@hooks.example:8443/a?b") == "https://hooks.example:8443/[redacted]")
        #expect(c.notify?.first?.label == "slack (slack https://hooks.slack.com/[redacted])")
    }

    /// A phase that fell overdue while nobody drove (or before anyone did) is sent by the console that opens next.
    @Test func aPhaseOverdueWhileNobodyDroveIsSentAtStart() {
        let configure: (inout RunConfig) -> Void = { Self.withTarget(&$0); $0.t0 = EngineHarness.t0 - 60_000 }
        var first = EngineHarness(apply: false, configure: configure, checklistText: Self.phasesText)
        first.send(.tick(EngineHarness.t0))
        #expect(first.notified.map(\.event) == ["phase.overdue"], "nobody drove before: nobody announced it")
        // Pre-flight fell due at t0 − 31 min; the last driver stopped at t0 − 40 min.
        var later = EngineHarness(apply: false, announcedUntil: EngineHarness.t0 - 40 * 60_000, configure: configure,
                                  checklistText: Self.phasesText)
        later.send(.tick(EngineHarness.t0))
        #expect(later.notified.first?.summary.contains("Pre-flight") == true && later.notified.count == 1)
        later.send(.tick(EngineHarness.t0 + 1_000))
        #expect(later.notified.count == 1, "once")
        var follower = EngineHarness(apply: false, role: .follower(driver: "dana"), configure: configure, checklistText: Self.phasesText)
        follower.send(.tick(EngineHarness.t0))
        #expect(follower.notified.isEmpty, "followers never notify")
    }
}
