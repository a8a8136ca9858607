import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// The sign key (`S`): a confirmation only on a row that carries a sign-off, the journal's rule (signed once; only
/// the signer takes it back), nothing shown as signed before the journal acknowledges it.
@Suite struct SignOffKey {
    let theme = Theme(name: "t", roles: [:])

    /// Puts the cursor on the item whose title is `title` (search, as a person would).
    func select(_ s: inout ConsoleState, _ title: String) throws {
        press(&s, .char("/"))
        for k in typed(title) { press(&s, k) }
        press(&s, .enter)
        #expect(s.selectedItem?.title == title)
        #expect(s.mode.noPrompt)
    }

    /// Another writer's signature, merged as the tail reader hands it over.
    func mergeSignature(_ s: inout ConsoleState, _ role: String, by actor: String, at time: Millis) {
        let e = JournalEvent(seq: s.run.lastSeq + 1, time: time, actor: actor, body: .signOff(SignOffEvent(role: role)))
        _ = s.update(.engine(.merged([e])))
    }

    func screen(_ s: ConsoleState, glyphs: Glyphs = .unicode) -> String {
        Renderer.render(s, theme: theme, glyphs: glyphs, size: s.size).text
    }

    @Test func theKeyIsAChecklistWriteRightAfterUndo() throws {
        let b = try #require(KeyTable.binding(for: .char("S")))
        #expect(b.command == .signOff && b.group == "Checklist" && b.writes)
        let commands = KeyTable.bindings.map(\.command)
        #expect(commands.firstIndex(of: .signOff) == commands.firstIndex(of: .undo).map { $0 + 1 })
        #expect(KeyTable.helpLines.contains { $0.keys == "S" && $0.help.hasPrefix("sign off the selected sign-off") })
    }

    @Test func elsewhereItRefusesWithoutAPromptAndTheNextKeysAreCommands() {
        var s = sampleState()
        #expect(s.selectedRow == .section(2))
        #expect(press(&s, .char("S")).isEmpty)
        #expect(s.mode.noPrompt, "no prompt opened")
        #expect(s.message?.text == "not a sign-off line — sign-offs: Engineering Lead, SRE Lead")
        // What is typed next is held, not read as an answer to a prompt; after Esc keys are commands again.
        press(&s, .char("y"))
        #expect(s.run.signatures.isEmpty && s.mode.noPrompt)
        press(&s, .escape, .char("j"))
        #expect(s.selectedItem?.id == "T10")
        #expect(press(&s, .char("S")).isEmpty)
        #expect(s.mode.noPrompt)
        press(&s, .escape, .char("y"))
        #expect(s.mode.noPrompt && s.run.signatures.isEmpty, "a stray y signs nothing")
    }

    @Test func confirmSignsThroughTheJournalAndNothingShowsBeforeTheAck() throws {
        var s = sampleState()
        try select(&s, "SRE Lead")
        #expect(press(&s, .char("S")).isEmpty, "asks first")
        #expect(s.mode == .confirmSignOff(role: "SRE Lead", sign: true))
        #expect(screen(s).contains("sign SRE Lead as dana? y signs, any other key cancels"))
        let effects = press(&s, .char("y"))
        #expect(appends(effects) == [.signOff(SignOffEvent(role: "SRE Lead"))])
        #expect(s.mode.noPrompt)
        #expect(s.run.signature("SRE Lead") == nil, "not signed before the journal acknowledged it")
        #expect(s.saving)
        let before = screen(s)
        #expect(before.contains("saving…") && !before.contains("signed by dana"))
        let saved = try journal(&s, effects).events
        #expect(saved.count == 1 && saved[0].actor == "dana")
        #expect(s.run.signature("sre lead")?.actor == "dana")
        #expect(s.message?.text == "signed: SRE Lead by dana")
        #expect(screen(s).contains("✍ signed by dana \(Timestamp.hm(s.now))"))
    }

    @Test func aSecondPressWhileItSavesOpensNothing() throws {
        var s = sampleState()
        try select(&s, "SRE Lead")
        let effects = press(&s, .char("S"), .char("y"))
        #expect(appends(press(&s, .char("S"))).isEmpty)
        #expect(s.mode.noPrompt && s.message?.text == "still saving the last change to SRE Lead — this press did nothing")
        try journal(&s, effects)
        #expect(s.run.signature("SRE Lead")?.actor == "dana")
    }

    @Test func anyOtherKeyCancels() throws {
        var s = sampleState()
        try select(&s, "Engineering Lead")
        press(&s, .char("S"))
        #expect(appends(press(&s, .char("n"))).isEmpty)
        #expect(s.mode.noPrompt && s.message?.text == "not signed: Engineering Lead")
        #expect(s.run.signatures.isEmpty)
    }

    @Test func someoneElsesSignatureIsRefusedWithoutAPrompt() throws {
        var s = sampleState()
        try select(&s, "SRE Lead")
        mergeSignature(&s, "SRE Lead", by: "lee", at: t0 - 600_000)
        #expect(press(&s, .char("S")).isEmpty)
        #expect(s.mode.noPrompt)
        #expect(s.message?.text == "SRE Lead was signed by lee at \(Timestamp.hms(t0 - 600_000))Z; only they can take it back")
        // The engine holds the same rule if asked directly.
        let direct = s.update(.engine(.intent(.signOff(role: "SRE Lead", sign: false))))
        #expect(appends(direct).isEmpty && s.run.signature("SRE Lead")?.actor == "lee")
    }

    @Test func theSignerTakesItBack() throws {
        var s = sampleState()
        try select(&s, "Engineering Lead")
        try journal(&s, press(&s, .char("S"), .char("y")))
        #expect(s.run.signature("Engineering Lead")?.actor == "dana")
        press(&s, .char("S"))
        #expect(s.mode == .confirmSignOff(role: "Engineering Lead", sign: false))
        #expect(screen(s).contains("take back your signature for Engineering Lead? y takes it back"))
        let effects = press(&s, .char("y"))
        #expect(appends(effects) == [.signOffUndo(SignOffEvent(role: "Engineering Lead"))])
        #expect(s.run.signature("Engineering Lead") != nil, "still signed until acknowledged")
        try journal(&s, effects)
        #expect(s.run.signature("Engineering Lead") == nil)
        #expect(s.message?.text == "signature taken back: Engineering Lead by dana")
    }

    @Test func aReadOnlyFollowerCannotButACrewConsoleCan() throws {
        var ro = sampleState(driving: false)
        try select(&ro, "SRE Lead")
        #expect(press(&ro, .char("S")).isEmpty)
        #expect(ro.mode.noPrompt && ro.message?.text.hasPrefix("read-only") == true)

        let c = fixtureChecklist()
        let config = RunConfig(path: nil, service: "payments-gw", checklist: c.path, t0: t0, plan: RampPlan(steps: []))
        let engine = Engine(config: config, session: Session(actor: "lee", role: .crew(driver: "dana"), stateDir: ".warroom"),
                            checklist: c, run: sampleRun(c), now: t0)
        var crew = ConsoleState(engine: engine, size: Size(width: 120, height: 40))
        try select(&crew, "SRE Lead")
        press(&crew, .char("S"))
        #expect(crew.mode == .confirmSignOff(role: "SRE Lead", sign: true))
        let saved = try journal(&crew, press(&crew, .char("y"))).events
        #expect(saved.map(\.body) == [.signOff(SignOffEvent(role: "SRE Lead"))] && saved[0].actor == "lee")
    }

    /// A heading sign-off over Name/Date bullets has no task items: its section is listed so it can be signed.
    @Test func aSectionSignOffIsARowAndSignable() throws {
        let c = ChecklistParser.parse("""
        # Go-live
        ## Checks
        - [ ] T1 Smoke test
        ## Sign-Off
        ### Technical Lead Sign-Off
        - Name: _______________
        - Date: _______________
        ### Notes
        Nothing to sign here.
        """, path: "s.md")
        var s = sampleState(checklist: c)
        let section = try #require(c.sections.first { $0.title == "Technical Lead Sign-Off" })
        let row = try #require(s.rows.firstIndex(of: .section(section.index)), "listed though it has no items")
        #expect(!s.rows.contains { if case .section(let i) = $0 { c.sections[i].title == "Notes" } else { false } })
        press(&s, .end)
        #expect(s.cursor == row)
        #expect(screen(s).contains("unsigned"))
        press(&s, .char("S"))
        #expect(s.mode == .confirmSignOff(role: "Technical Lead", sign: true))
        try journal(&s, press(&s, .char("y")))
        #expect(s.run.signature("Technical Lead")?.actor == "dana")
        let text = screen(s)
        #expect(text.contains("✍ signed by dana"))
        #expect(text.contains("sign-off: Technical Lead · signed by dana at"))
    }

    @Test func aSignedRowAndItsDetailRender() throws {
        var s = sampleState()
        try select(&s, "SRE Lead")
        mergeSignature(&s, "SRE Lead", by: "lee", at: t0 - 600_000)
        let hm = Timestamp.hm(t0 - 600_000), hms = Timestamp.hms(t0 - 600_000)
        let lines = screen(s).split(separator: "\n")
        let sre = try #require(lines.first { $0.contains("SRE Lead") && $0.contains("sign-off before T-0") })
        #expect(sre.contains("✍ signed by lee \(hm)"))
        let eng = try #require(lines.first { $0.contains("Engineering Lead") && $0.contains("sign-off before T-0") })
        #expect(eng.contains("unsigned"))
        #expect(lines.contains { $0.contains("sign-off: SRE Lead · signed by lee at \(hms)Z (journal seq 5)") })
        // Narrow and ASCII: shorter, no mark, still inside the pane.
        var narrow = sampleState(size: Size(width: 60, height: 15))
        try select(&narrow, "SRE Lead")
        mergeSignature(&narrow, "SRE Lead", by: "lee", at: t0 - 600_000)
        let row = try #require(screen(narrow, glyphs: .ascii).split(separator: "\n").first { $0.contains("lee \(hm)") })
        #expect(!row.contains("✍") && row.count == 60 && row.hasSuffix("|"))
    }
}
