import Testing
@testable import WarRoomCore

private let start = JournalEvent(seq: 1, time: 1_000, actor: "dana",
                                 body: .runStarted(RunStarted(checklist: "c.md", checklistSHA256: "ab", items: 3, host: "h", pid: 1)))

@Suite struct Reducer {
    let checklist = ChecklistParser.parse("## S\n- [ ] T1 a\n- [x] T2 b\n- [ ] T3 c\n", path: "c.md")

    @Test func setAndUndoRestorePreviousState() throws {
        var s = RunState()
        try s.apply(start)
        try s.apply(JournalEvent(seq: 2, time: 2_000, actor: "dana", body: .itemSet(ItemSet(id: "T1", status: .done))))
        try s.apply(JournalEvent(seq: 3, time: 3_000, actor: "lee", body: .itemSet(ItemSet(id: "T1", status: .blocked, reason: "db down"))))
        #expect(s.status(of: checklist.items[0]) == .blocked)
        #expect(s.record("T1")?.reason == "db down")
        try s.apply(JournalEvent(seq: 4, time: 4_000, actor: "lee", body: .itemUndo(ItemUndo(id: "T1"))))
        #expect(s.status(of: checklist.items[0]) == .done)
        #expect(s.record("T1")?.actor == "dana")
        try s.apply(JournalEvent(seq: 5, time: 5_000, actor: "lee", body: .itemUndo(ItemUndo(id: "T1"))))
        #expect(s.status(of: checklist.items[0]) == .open)
        #expect(s.changes.map(\.undo) == [false, false, true, true])
        #expect(s.changes[2].from == .blocked && s.changes[2].to == .done)
    }

    @Test func fileCheckboxIsTheDefault() {
        let s = RunState()
        #expect(s.status(of: checklist.items[1]) == .done)
        #expect(ChecklistProgress(checklist: checklist, state: s, indices: checklist.items.indices) == {
            var p = ChecklistProgress(); p.items = 3; p.done = 1; p.open = 2; return p
        }())
    }

    @Test func rejectsGapsDoubleStartAndEmptyUndo() throws {
        var s = RunState()
        #expect(throws: ReduceError.self) { try s.apply(JournalEvent(seq: 2, time: 0, actor: "a", body: .itemSet(ItemSet(id: "T1", status: .done)))) }
        #expect(throws: ReduceError.self) { try s.apply(JournalEvent(seq: 1, time: 0, actor: "a", body: .itemSet(ItemSet(id: "T1", status: .done)))) }
        try s.apply(start)
        #expect(throws: ReduceError.self) { try s.apply(JournalEvent(seq: 2, time: 0, actor: "a", body: start.body)) }
        #expect(throws: ReduceError.self) { try s.apply(JournalEvent(seq: 2, time: 0, actor: "a", body: .itemUndo(ItemUndo(id: "T3")))) }
        #expect(s.lastSeq == 1)
    }

    @Test func lastUndoableIsYourOwnLatest() throws {
        var s = RunState()
        try s.apply(start)
        try s.apply(JournalEvent(seq: 2, time: 2, actor: "dana", body: .itemSet(ItemSet(id: "T1", status: .done))))
        try s.apply(JournalEvent(seq: 3, time: 3, actor: "dana", body: .itemSet(ItemSet(id: "T3", status: .done))))
        try s.apply(JournalEvent(seq: 4, time: 4, actor: "lee", body: .itemSet(ItemSet(id: "T3", status: .skipped, reason: "n/a"))))
        #expect(s.lastUndoable(by: "dana") == "T1", "T3's latest change is lee's")
        #expect(s.lastUndoable(by: "lee") == "T3")
        #expect(s.lastUndoable(by: "kim") == nil)
    }

    @Test func orphansAreReported() throws {
        var s = RunState()
        try s.apply(start)
        try s.apply(JournalEvent(seq: 2, time: 2, actor: "dana", body: .itemSet(ItemSet(id: "T9", status: .done))))
        #expect(s.orphans(in: checklist) == ["T9"])
    }
}

@Suite struct Timestamps {
    @Test(arguments: [Int64(0), 1_763_776_261_123, -1, 951_782_400_000, 4_102_444_799_999])
    func roundTrip(ms: Int64) {
        #expect(Timestamp.parse(Timestamp.iso8601(ms)) == ms)
    }

    @Test func knownValues() {
        #expect(Timestamp.iso8601(1_763_776_261_123) == "2025-11-22T01:51:01.123Z")
        #expect(Timestamp.parse("2026-11-23T09:00:00Z") == 1_795_424_400_000)
        #expect(Timestamp.parse("2026-11-23T10:00:00+01:00") == 1_795_424_400_000)
        #expect(Timestamp.parse("2026-13-23T10:00:00Z") == nil)
        #expect(Timestamp.parse("yesterday") == nil)
        #expect(Timestamp.clock(-90_000, signed: true) == "T-00:01:30")
        #expect(Timestamp.clock(3_723_000, signed: false) == "01:02:03")
    }
}
