import Testing
@testable import WarRoomCore
@testable import WarRoomUI

@Suite struct KeySequences {
    @Test func movingClampsAtBothEnds() {
        var s = sampleState()
        #expect(s.selectedRow == .section(2), "first row: the first section with items")
        press(&s, .char("k"), .up)
        #expect(s.cursor == 0)
        press(&s, .char("j"), .down)
        #expect(s.selectedItem?.id == "T11")
        press(&s, .end)
        #expect(s.cursor == s.rows.count - 1)
        press(&s, .char("j"))
        #expect(s.cursor == s.rows.count - 1)
        press(&s, .home)
        #expect(s.cursor == 0)
    }

    @Test func spaceAsksTheJournalAndChangesNothingUntilSaved() throws {
        var s = sampleState()
        press(&s, .down, .down, .down) // T11a? rows: section, T10, T11, T11a
        let item = try #require(s.selectedItem)
        let effects = press(&s, .char(" "))
        #expect(appends(effects) == [.itemSet(ItemSet(id: item.id, status: .done))])
        #expect(s.run.status(of: item) == .blocked, "not shown as done before the journal saved it")
        #expect(s.saving, "saving… until the journal answers")
        try journal(&s, effects)
        #expect(!s.saving)
        #expect(s.run.status(of: item) == .done)
        #expect(s.message?.text.hasPrefix("saved: \(item.id) done") == true)
        // A second press while the first is saving does nothing, and says so past the acknowledgement.
        let again = press(&s, .char(" "))
        #expect(appends(press(&s, .char(" "))).isEmpty, "a press while the last change to it is saving waits")
        #expect(s.message?.level == .warn && s.message?.text.contains("this press did nothing") == true)
        try journal(&s, again)
        #expect(s.message?.text.contains("this press did nothing") == true, "the acknowledgement does not hide it")
        #expect(s.run.status(of: item) == .open)
    }

    /// Telemetry saves verdict changes on its own every few seconds: q must not be refused while one is on its way.
    @Test func quitAsksEvenWhileSavingAndSaysTheChangeIsFinishedFirst() {
        var s = sampleState()
        press(&s, .down, .down)
        _ = press(&s, .char(" "))
        #expect(s.saving)
        press(&s, .char("q"))
        #expect(s.mode == .confirmQuit)
        let screen = Renderer.render(s, theme: ThemeLoader.builtin("default")!, glyphs: .unicode, size: s.size).text
        #expect(screen.contains("A change is still being saved: y quits once it is"), "\(screen)")
        #expect(press(&s, .char("y")).contains { if case .quit = $0 { true } else { false } })
    }

    @Test func notSavedLeavesStateAlone() {
        var s = sampleState()
        let before = s.total
        let effects = press(&s, .down, .char(" "))
        guard case .command(.append(let id, _))? = effects.first else { Issue.record("no append: \(effects)"); return }
        _ = s.update(.engine(.appendFailed(id: id, "No space left on device")))
        #expect(!s.saving)
        #expect(s.total == before)
        #expect(s.message?.text == "NOT SAVED: No space left on device")
        #expect(s.message?.level == .error)
    }

    /// A sticky notice (a lost lease, NOT SAVED) outlives the passing news that covers it: another writer's entry shows
    /// for its few seconds, then the sticky one is back; Escape dismisses it.
    @Test func aStickyNoticeComesBackAfterPassingNews() {
        var s = sampleState()
        _ = s.update(.engine(.notice(Notice("lee took over driving: this console is read-only now", .error, sticky: true))))
        _ = s.update(.engine(.notice(Notice("lee: driver hand-over", .info))))
        #expect(s.message?.text == "lee: driver hand-over")
        _ = s.update(.tick(s.now + 6_000))
        #expect(s.message?.text == "lee took over driving: this console is read-only now")
        _ = s.update(.tick(s.now + 60_000))
        #expect(s.message?.level == .error, "sticky: no timeout")
        press(&s, .escape)
        #expect(s.message == nil, "Escape dismisses it")
        _ = s.update(.engine(.notice(Notice("passing", .info))))
        _ = s.update(.tick(s.now + 6_000))
        #expect(s.message == nil, "and it stays dismissed")
    }

    @Test func spaceOnADoneItemReopensIt() throws {
        var s = sampleState()
        press(&s, .down, .down)
        #expect(s.selectedItem?.id == "T11")
        #expect(appends(press(&s, .char(" "))) == [.itemSet(ItemSet(id: "T11", status: .open))])
    }

    @Test func skipNeedsAReasonAndEscCancels() {
        var s = sampleState()
        press(&s, .down) // T10
        press(&s, .char("s"))
        #expect(s.mode == .reason(.skip, item: "T10", text: ""))
        #expect(press(&s, .enter).isEmpty, "empty reason refused")
        #expect(s.message?.text.contains("reason is required") == true)
        press(&s, .escape)
        #expect(s.mode.noPrompt)
        press(&s, .char("b"))
        for k in typed("db host down") { press(&s, k) }
        press(&s, .backspace)
        #expect(appends(press(&s, .enter)) == [.itemSet(ItemSet(id: "T10", status: .blocked, reason: "db host dow"))])
        #expect(s.mode.noPrompt)
    }

    @Test func undoTakesBackYourOwnLatestChange() {
        var s = sampleState()
        #expect(appends(press(&s, .char("u"))) == [.itemUndo(ItemUndo(id: "T13", undoes: 4))], "dana's T13 skip, journal seq 4")
    }

    @Test func sectionsFoldAndUnfold() {
        var s = sampleState()
        let all = s.rows.count
        press(&s, .char(" "))
        #expect(s.collapsed == [2])
        #expect(s.rows.count == all - 6)
        press(&s, .enter)
        #expect(s.rows.count == all)
        press(&s, .down, .down, .left)
        #expect(s.selectedRow == .section(2), "folding from an item moves the cursor to its section")
    }

    @Test func searchFindsInsideFoldedSectionsAndCycles() {
        var s = sampleState()
        press(&s, .end, .left) // fold Sign-Off
        press(&s, .home, .char("/"))
        for k in typed("lead") { press(&s, k) }
        #expect(s.selectedItem?.title == "Engineering Lead", "search unfolds the section")
        press(&s, .enter)
        #expect(s.mode.noPrompt)
        press(&s, .char("]"))
        #expect(s.selectedItem?.title == "SRE Lead")
        press(&s, .char("]"))
        #expect(s.selectedItem?.title == "Engineering Lead", "wraps around")
        press(&s, .char("["))
        #expect(s.selectedItem?.title == "SRE Lead")
        press(&s, .char("/"))
        for k in typed("zzz") { press(&s, k) }
        #expect(s.message?.text.contains("no match") == true)
    }

    @Test func quitAsksFirst() {
        var s = sampleState()
        #expect(press(&s, .char("q")).isEmpty)
        #expect(s.mode == .confirmQuit)
        #expect(press(&s, .char("x")).isEmpty)
        #expect(s.mode.noPrompt)
        #expect(press(&s, .char("q"), .char("y")) == [.quit])
    }

    @Test func decisionKeysDoNothingElse() {
        var s = sampleState()
        let decisions: [KeyCommand] = [.go, .nogo, .rollback, .override]
        for k in KeyTable.reserved {
            #expect(press(&s, k).isEmpty, "no ramp configured: nothing happens")
            #expect(decisions.contains(KeyTable.binding(for: k)?.command ?? .help), "\(k) is a decision key")
        }
        #expect(KeyTable.bindings.filter { decisions.contains($0.command) }.allSatisfy { Set($0.keys).isSubset(of: KeyTable.reserved) })
        #expect(s.message?.text.contains("ramp") == true)
    }

    @Test func readOnlyRefusesWrites() {
        var s = sampleState(driving: false)
        press(&s, .down)
        #expect(press(&s, .char(" ")).isEmpty)
        #expect(press(&s, .char("u")).isEmpty)
        #expect(s.message?.text.hasPrefix("read-only") == true)
        press(&s, .down)
        #expect(s.cursor == 2, "moving is fine")
    }

    @Test func pageKeysMoveByThePaneHeight() {
        let c = ChecklistParser.parse("## Big\n" + (1...500).map { "- [ ] item \($0)\n" }.joined(), path: "big.md")
        var s = sampleState(size: Size(width: 80, height: 24), checklist: c)
        press(&s, .pageDown)
        #expect(s.cursor == s.checklistPageSize)
        #expect(s.scroll == 1)
        press(&s, .pageUp)
        #expect(s.cursor == 0 && s.scroll == 0)
    }

    @Test func helpOpensAndAnyKeyCloses() {
        var s = sampleState()
        press(&s, .char("?"))
        #expect(s.mode == .help)
        press(&s, .char("j"))
        #expect(s.mode.noPrompt)
        #expect(s.cursor == 0, "the closing key is not also acted on")
    }

    @Test func tabCyclesPanes() {
        var s = sampleState()
        press(&s, .tab)
        #expect(s.focus == .rollback)
        press(&s, .tab, .tab, .tab, .tab)
        #expect(s.focus == .checklist)
        press(&s, .backTab)
        #expect(s.focus == .decisions)
    }

    @Test func everyFooterHintComesFromTheKeyTable() {
        for hint in KeyTable.footerItems {
            #expect(KeyTable.bindings.contains { $0.footer == hint })
        }
        var seen = Set<Key>()
        for b in KeyTable.bindings { for k in b.keys { #expect(seen.insert(k).inserted, "\(k) bound twice") } }
    }

    @Test func tenThousandItems() {
        let c = ChecklistParser.parse((0..<100).map { s in "## Section \(s)\n" + (0..<100).map { "- [ ] task \(s)-\($0)\n" }.joined() }.joined(), path: "big.md")
        var s = sampleState(checklist: c)
        #expect(c.items.count == 10_000)
        press(&s, .end)
        #expect(s.cursor == 10_099)
        let buf = Renderer.render(s, theme: Theme(name: "t", roles: [:]), glyphs: .unicode, size: s.size)
        #expect(buf.text.contains("task 99-99"))
    }
}
