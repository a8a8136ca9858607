import Testing
@testable import WarRoomCore

/// `D`: the driver offers driving by name; the offer is journaled (`driver.offer`), everyone reads it, and the
/// hand-over that follows settles it.
@Suite struct EngineHandOver {
    @Test func theDriverOffersWithdrawsAndTheMessageSaysWhoToWaitFor() throws {
        var h = EngineHarness(apply: false)
        let pending = h.send(.intent(.offerDriving(to: " lee ")), hold: true)
        #expect(pending.count == 1 && h.engine.pendingOffer == nil, "nothing shown as offered before it is saved")
        h.send(.intent(.offerDriving(to: "lee")))
        #expect(h.shown.last?.text == "still saving the last offer — press D again in a moment")
        guard case .append(let id, .driverOffer(let o))? = pending.first else { Issue.record("\(pending)"); return }
        #expect(o == DriverOffer(to: "lee"))
        let e = JournalEvent(seq: 2, time: EngineHarness.t0, actor: "dana", body: .driverOffer(o), token: 1)
        h.journal.append(e)
        h.send(.appended(id: id, e))
        #expect(h.engine.pendingOffer?.to == "lee" && h.engine.pendingOffer?.from == "dana")
        #expect(h.shown.last == Notice("offered to lee — waiting for lee to take over (D again to cancel or change)", .warn))
        #expect(h.engine.driving, "dana drives until lee takes over")
        // Again to the same person: nothing new; to oneself: refused; empty withdraws.
        h.send(.intent(.offerDriving(to: "lee")))
        #expect(h.journal.count == 2)
        h.send(.intent(.offerDriving(to: "dana")))
        #expect(h.shown.last?.text == "you drive already — name the next driver" && h.journal.count == 2)
        h.send(.intent(.offerDriving(to: "")))
        #expect(h.journal.last?.body == .driverOffer(DriverOffer(to: nil)) && h.engine.pendingOffer == nil)
        #expect(h.shown.last?.text == "offer withdrawn — you keep driving")
        h.send(.intent(.offerDriving(to: nil)))
        #expect(h.shown.last?.text.hasPrefix("no offer to withdraw") == true && h.journal.count == 3)
        // A name that would forge lines wherever it is printed: refused, nothing asked of the journal.
        let forged = h.send(.intent(.offerDriving(to: "lee\u{1B}[2J")))
        #expect(forged.allSatisfy { if case .append = $0 { false } else { true } })
        #expect(h.shown.last?.text.hasPrefix("D: a name cannot contain control characters") == true, "\(String(describing: h.shown.last))")
    }

    @Test func anOfferThatIsNotSavedSaysSoAndOffersNothing() {
        var h = EngineHarness(apply: false)
        let pending = h.send(.intent(.offerDriving(to: "lee")), hold: true)
        guard case .append(let id, _)? = pending.first else { Issue.record("\(pending)"); return }
        h.send(.appendFailed(id: id, "driver lease: lost; nothing offered"))
        #expect(h.engine.pendingOffer == nil && !h.engine.isSaving)
        #expect(h.shown.last == Notice("NOT SAVED: driver lease: lost; nothing offered", .error, sticky: true))
    }

    @Test func onlyTheDrivingConsoleMayOffer() {
        var crew = EngineHarness(role: .crew(driver: "dana"), actor: "lee")
        crew.send(.intent(.offerDriving(to: "sam")))
        #expect(crew.shown.last?.text == "hand-over: dana drives — crew can tick items, not decide")
        var follower = EngineHarness(role: .follower(driver: "dana"), actor: "lee")
        follower.send(.intent(.offerDriving(to: "sam")))
        #expect(follower.shown.last?.text == "read-only — dana is driving")
        var deposed = EngineHarness(apply: false)
        deposed.send(.deposed(by: "lee"))
        deposed.send(.intent(.offerDriving(to: "sam")))
        #expect(deposed.shown.last?.text == "read-only — lee took over driving")
        for h in [crew, follower, deposed] { #expect(h.journal.count == 1, "nothing journaled") }
        // While a hook applies a step, the next driver would inherit a hook of unknown outcome: not now.
        var busy = EngineHarness()
        busy.reading(.slo("P95"), 1.2, at: EngineHarness.t0)
        busy.send(.intent(.go))
        busy.send(.intent(.offerDriving(to: "lee")))
        #expect(busy.shown.last?.text == "refused: the hook applying 10 % is still running — one hook at a time")
    }

    @Test func everyoneReadsTheOfferAndTheHandOverSettlesIt() throws {
        var run = RunState()
        try run.apply(JournalEvent(seq: 1, time: 0, actor: "dana",
                                   body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1))))
        #expect(throws: ReduceError.self) {
            var r = run
            try r.apply(JournalEvent(seq: 2, time: 1, actor: "dana", body: .driverOffer(DriverOffer(to: "")), token: 1))
        }
        let offer = JournalEvent(seq: 2, time: 1_000, actor: "dana", body: .driverOffer(DriverOffer(to: "lee", note: "shift ends")), token: 1)
        try run.apply(offer)
        #expect(run.driverOffer == PendingOffer(from: "dana", to: "lee", note: "shift ends", seq: 2, time: 1_000))
        let handover = JournalEvent(seq: 3, time: 2_000, actor: "lee",
                                    body: .handover(Handover(from: "dana", to: "lee", reason: "planned hand-over", gapMs: 0, offered: true)),
                                    token: 2)
        var crew = EngineHarness(role: .crew(driver: "dana"), actor: "sam")
        crew.send(.merged([offer]))
        #expect(crew.shown.last?.text == "dana offers driving to lee (shift ends) — lee: warroom run … --take-over REASON")
        crew.send(.merged([handover]))
        #expect(crew.engine.pendingOffer == nil && crew.engine.run.offers.count == 1)
        #expect(crew.shown.last?.text == "lee: lee drives now — took over from dana as offered, without a gap: planned hand-over")
        #expect(crew.engine.driver == "lee", "the journal says who drives after a hand-over")
        #expect(EventBody.driverOffer(DriverOffer(to: nil)).isDriverOnly && EventBody.driverOffer(DriverOffer(to: nil)).type == "driver.offer")
        #expect(crew.engine.describe(JournalEvent(seq: 4, time: 0, actor: "lee", body: .driverOffer(DriverOffer(to: nil))))
                == "lee withdrew the offer of driving — lee keeps driving")
    }
}
