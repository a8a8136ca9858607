import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// Issue 14: a refused key must not leave the console where the text typed next becomes decisions.
@Suite struct StrayKeys {
    /// The row of the first section (not an item).
    func onSectionRow(_ s: inout ConsoleState) throws {
        let r = try #require(s.rows.firstIndex { if case .section = $0 { true } else { false } })
        press(&s, Array(repeating: Key.up, count: s.rows.count))
        press(&s, Array(repeating: Key.down, count: r))
        guard case .section = s.selectedRow else { Issue.record("not on a section row"); return }
    }

    @Test func aReasonTypedAfterARefusedBlockKeyIsHeldNotRun() throws {
        var s = rampState(apply: false)
        try pressAndSave(&s, .char("g"))
        press(&s, .escape)
        #expect(s.run.percent == 10)
        try onSectionRow(&s)
        let before = s.run.lastSeq
        let effects = press(&s, [.char("b")] + typed("fraud team not reachable") + [.enter])
        #expect(effects.isEmpty, "the text ran as commands: \(effects)")
        #expect(s.run.lastSeq == before)
        guard case .held(let why, _) = s.mode else { Issue.record("keys not held: \(s.mode)"); return }
        #expect(why == "select an item first")
        let screen = Golden.snapshot(Renderer.render(s, theme: Theme(name: "t", roles: [:]), glyphs: .unicode, size: s.size))
        #expect(screen.contains("keys held after a refusal — Esc"))
    }

    @Test func textAfterARefusedOverrideAtAReadyGateIsHeld() {
        var s = rampState()
        #expect(s.verdict.state == .ready)
        let effects = press(&s, [.char("G")] + typed("everyone agreed, go") + [.enter])
        #expect(effects.isEmpty, "\(effects)")
        #expect(s.run.decisions.isEmpty)
    }

    @Test func theHoldEndsWithEscapeOrAQuietMoment() {
        var s = rampState()
        press(&s, .char("G"))
        press(&s, .escape)
        #expect(s.mode == .normal)
        #expect(s.message?.text.hasPrefix("GO is allowed") == true)
        press(&s, .char("G"))
        _ = s.update(.tick(s.now + ConsoleState.holdQuietMs - 1))
        press(&s, .char("?"))
        #expect(s.mode != .help, "a key inside the quiet time is held")
        _ = s.update(.tick(s.now + ConsoleState.holdQuietMs))
        #expect(s.mode == .normal)
        press(&s, .char("?"))
        #expect(s.mode == .help)
    }

    @Test func noGoIsRefusedAtZeroAndAfterCompletion() throws {
        var s = rampState(apply: false)
        #expect(press(&s, .char("n")).isEmpty)
        #expect(s.message?.text.contains("0 %") == true)
        for _ in 0..<3 {
            press(&s, .escape)
            _ = s.update(.tick(s.now + 400_000))
            feed(&s, p95: 1.2, errors: 0.2)
            try journal(&s, s.update(.key(.char("g"))))
            press(&s, .escape)
        }
        // The last step's hold must run out before the ramp is complete.
        _ = s.update(.tick(s.now + 400_000))
        feed(&s, p95: 1.2, errors: 0.2)
        #expect(s.run.percent == 50 && s.verdict.state == .complete)
        #expect(press(&s, .char("n")).isEmpty)
        #expect(s.message?.text.contains("complete") == true)
    }
}

@Suite struct UndoKey {
    @Test func yourLastChangeIsUndoneAtOnce() {
        var s = sampleState()
        #expect(appends(press(&s, .char("u"))) == [.itemUndo(ItemUndo(id: "T13", undoes: 4))], "dana's last change: the skip of T13")
    }

    @Test func anOlderChangeIsNamedAndAsksY() throws {
        var s = sampleState()
        // lee changed T13 since: dana's newest undoable change is now T11, which is not her last change.
        try merge(&s, .itemSet(ItemSet(id: "T13", status: .done)), actor: "lee")
        #expect(appends(press(&s, .char("u"))).isEmpty, "not undone before y")
        guard case .confirmUndo(let what) = s.mode else { Issue.record("no confirmation: \(s.mode)"); return }
        #expect(what.hasPrefix("T11 “") && what.contains(": done at "), "\(what)")
        let screen = Renderer.render(s, theme: Theme(name: "t", roles: [:]), glyphs: .unicode, size: s.size).text
        #expect(screen.contains("undo T11"), "the prompt shows what it will undo")
        #expect(appends(press(&s, .char("n"))).isEmpty && s.message?.text == "nothing undone")
        press(&s, .char("u"))
        #expect(appends(press(&s, .char("y"))) == [.itemUndo(ItemUndo(id: "T11", undoes: 2))])
    }
}

@Suite struct FollowerScreen {
    @Test func aFollowerSeesOnlyItsKeysAndWhoDrives() {
        var s = rampState(driving: false)
        let theme = Theme(name: "t", roles: [:])
        var screen = Renderer.render(s, theme: theme, glyphs: .unicode, size: s.size).text
        let footer = screen.split(separator: "\n").last.map(String.init) ?? ""
        #expect(!footer.contains("g GO") && !footer.contains("space done") && !footer.contains("u undo"), "\(footer)")
        #expect(footer.contains("j/k move") && footer.contains("q quit"), "\(footer)")
        #expect(screen.contains("READ-ONLY · dana drives"))
        _ = s.update(.driverLease("nobody drives (dana quit at 09:12:00Z)"))
        screen = Renderer.render(s, theme: theme, glyphs: .unicode, size: s.size).text
        #expect(screen.contains("READ-ONLY · nobody drives (dana quit at 09:12:00Z)"))
        let driver = rampState()
        let driverFooter = Renderer.render(driver, theme: theme, glyphs: .unicode, size: driver.size).text.split(separator: "\n").last ?? ""
        #expect(driverFooter.contains("g GO") && driverFooter.contains("u undo"))
    }
}

@Suite struct MojibakeOnScreen {
    @Test func doubleEncodedTextIsShownRepaired() {
        let c = ChecklistParser.parse("## ðŸ“‹ Pre-flight\n- [ ] T1 P95 â‰¤ 2 s\n", path: "m.md")
        let s = sampleState(checklist: c)
        let screen = Renderer.render(s, theme: Theme(name: "t", roles: [:]), glyphs: .unicode, size: s.size).text
        #expect(screen.contains("📋 Pre-flight") && screen.contains("P95 ≤ 2 s"), "\(screen)")
        #expect(!screen.contains("ðŸ") && !screen.contains("â‰"))
        #expect(s.checklist.items[0].text.contains("â‰¤"), "the model keeps the text as written")
    }
}
