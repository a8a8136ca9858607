import Testing
import WarRoomCore
@testable import WarRoomUI

/// `U`: the stakeholder update drafted from the journal, over the console; `w` saves it on the driving console.
@Suite struct UpdateDraftView {
    let dark = ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:])

    func screen(_ s: ConsoleState) -> String {
        Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size))
    }

    @Test func uShowsTheDraftAndWSavesItOnTheDriver() throws {
        var s = rampState()
        press(&s, .char("U"))
        #expect(s.mode == .update)
        let draft = try #require(s.updateDraft)
        #expect(draft == StakeholderUpdate.draft(run: s.engine.run, config: s.engine.config, now: s.now))
        let text = screen(s)
        #expect(text.contains("STAKEHOLDER UPDATE · draft from the journal"))
        #expect(text.contains("Update on checkout-api (") && text.contains("traffic not started (0 %); plan 10 → 25 → 50 %."))
        #expect(text.contains("w saves to a file · Esc closes"))
        #expect(press(&s, .char("g")).isEmpty && s.mode == .update, "decision keys do nothing behind it")
        let saved = press(&s, .char("w"))
        #expect(saved == [.saveUpdate(draft)] && s.mode == .normal)
        press(&s, .char("U"), .escape)
        #expect(s.mode == .normal && s.updateDraft == nil)
        press(&s, .char("U"), .char("U"))
        #expect(s.mode == .normal, "U closes it too")
    }

    @Test func aFollowerSeesTheDraftButDoesNotSaveIt() {
        var s = rampState(driving: false)
        press(&s, .char("U"))
        #expect(screen(s).contains("Esc closes · warroom report --update prints it"))
        #expect(press(&s, .char("w")).isEmpty)
        #expect(s.message?.text.hasPrefix("the driving console saves drafts") == true)
    }

    @Test func helpListsTheKey() {
        #expect(KeyTable.bindings.contains { $0.command == .draftUpdate && $0.keys == [.char("U")] })
    }
}
