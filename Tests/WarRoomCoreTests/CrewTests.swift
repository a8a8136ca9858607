import Testing
@testable import WarRoomCore

/// A crew console: ticks items (journaled as its actor, no lease), never decides.
@Suite struct EngineCrew {
    static func crew() -> EngineHarness { EngineHarness(role: .crew(driver: "dana"), actor: "lee") }

    @Test func rampDecisionsAndCriteriaAreRefusedNamingTheDriver() {
        var h = Self.crew()
        let before = h.journal.count
        let decisions: [(Intent, String)] = [(.go, "GO"), (.nogo, "NO-GO"), (.rollback, "ROLLBACK"), (.override(reason: "ship it"), "OVERRIDE"),
                                             (.verify, "VERIFY")]
        for (intent, label) in decisions {
            let out = h.send(.intent(intent))
            #expect(out == [.show(Notice("\(label): dana drives — crew can tick items, not decide", .warn))])
        }
        let others: [Intent] = [.tripLight(name: "Security incident", reason: "r"), .clearLight(name: "Security incident", reason: "r"),
                                .decisionReason(.saved(seq: 1), reason: "r")]
        for intent in others {
            let out = h.send(.intent(intent))
            guard case .show(let n)? = out.first, out.count == 1 else {
                Issue.record("\(intent) was not refused: \(out)")
                continue
            }
            #expect(n.text.hasSuffix("dana drives — crew can tick items, not decide"))
        }
        #expect(h.journal.count == before, "nothing journaled")
        #expect(h.engine.refusal(.go)?.text == "GO: dana drives — crew can tick items, not decide")
        #expect(h.engine.refusal(.criterion) != nil)
        #expect(h.engine.refusal(.write) == nil, "checklist changes are allowed")
        #expect(h.hooks.isEmpty && h.published.isEmpty, "a crew console runs no hook and publishes no view")
    }

    @Test func checklistChangesAreJournaledAsTheCrewActor() throws {
        var h = Self.crew()
        h.send(.intent(.toggleItem(id: "T1")))
        h.send(.intent(.setItem(id: "T2", status: .blocked, reason: "waiting on DBA")))
        #expect(h.journal.suffix(2).map(\.actor) == ["lee", "lee"])
        #expect(h.journal.suffix(2).map(\.body) == [.itemSet(ItemSet(id: "T1", status: .done)),
                                                    .itemSet(ItemSet(id: "T2", status: .blocked, reason: "waiting on DBA"))])
        #expect(h.engine.run.record("T1")?.actor == "lee" && h.engine.run.record("T1")?.status == .done)
        #expect(h.shown.last == Notice("saved: T2 blocked (waiting on DBA) — Flags ready", .info))
    }

    @Test func undoTakesBackOnlyTheCrewsOwnChange() {
        var h = Self.crew()
        h.send(.intent(.toggleItem(id: "T1")))
        // The driver changes T2 afterwards: lee's `u` still takes back lee's T1, never dana's T2.
        let dana = JournalEvent(seq: h.journal.count + 1, time: EngineHarness.t0, actor: "dana", body: .itemSet(ItemSet(id: "T2", status: .done)))
        h.journal.append(dana)
        h.send(.merged([dana]))
        #expect(h.shown.last?.text == "dana: saved: T2 done — Flags ready")
        h.send(.intent(.undo))
        #expect(h.journal.last?.body == .itemUndo(ItemUndo(id: "T1", undoes: 2)) && h.journal.last?.actor == "lee")
        h.send(.intent(.undo))
        #expect(h.shown.last == Notice("nothing of yours to undo", .info))
        #expect(h.engine.run.record("T2")?.actor == "dana")
    }

    /// A tail reader can hand the console its own line before the acknowledgement: the run takes it once.
    @Test func anAcknowledgementAlreadyMergedIsNotAppliedTwice() throws {
        var h = Self.crew()
        let out = h.send(.intent(.toggleItem(id: "T1")), hold: true)
        guard case .append(let id, let body)? = out.first else {
            Issue.record("no append: \(out)")
            return
        }
        let e = JournalEvent(seq: 2, time: EngineHarness.t0, actor: "lee", body: body)
        h.send(.merged([e]))
        #expect(h.engine.run.lastSeq == 2 && h.engine.isSaving)
        let ack = h.send(.appended(id: id, e))
        #expect(ack == [.show(Notice("saved: T1 done — Backups verified", .info))], "saved, and no 'out of step' error")
        #expect(!h.engine.isSaving && h.engine.run.lastSeq == 2 && h.engine.run.changes.count == 1)
    }

    @Test func aForcedUndoKeepsItsReason() throws {
        var run = RunState()
        try run.apply(JournalEvent(seq: 1, time: 0, actor: "dana",
                                   body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1))))
        try run.apply(JournalEvent(seq: 2, time: 1, actor: "lee", body: .itemSet(ItemSet(id: "T1", status: .done))))
        try run.apply(JournalEvent(seq: 3, time: 2, actor: "dana", body: .itemUndo(ItemUndo(id: "T1", reason: "lee ticked the wrong box"))))
        #expect(run.record("T1") == nil)
        #expect(run.changes.last?.undo == true && run.changes.last?.reason == "lee ticked the wrong box")
    }

    /// An undo names the change it takes back: if another writer changed the item first, the journal's tip refuses it
    /// instead of taking back that other person's change.
    @Test func anUndoOfAChangeNoLongerOnTopIsRefused() throws {
        var run = RunState()
        try run.apply(JournalEvent(seq: 1, time: 0, actor: "dana",
                                   body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "00", items: 1, host: "h", pid: 1))))
        try run.apply(JournalEvent(seq: 2, time: 1, actor: "lee", body: .itemSet(ItemSet(id: "T1", status: .done))))
        try run.apply(JournalEvent(seq: 3, time: 2, actor: "dana", body: .itemSet(ItemSet(id: "T1", status: .blocked, reason: "db"))))
        let stale = JournalEvent(seq: 4, time: 3, actor: "lee", body: .itemUndo(ItemUndo(id: "T1", undoes: 2)))
        #expect(throws: ReduceError.self) { try run.apply(stale) }
        #expect(run.record("T1")?.actor == "dana" && run.lastSeq == 3, "nothing changed")
        try run.apply(JournalEvent(seq: 4, time: 3, actor: "dana", body: .itemUndo(ItemUndo(id: "T1", undoes: 3))))
        #expect(run.record("T1")?.actor == "lee")
    }
}
