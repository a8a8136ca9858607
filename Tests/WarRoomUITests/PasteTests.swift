import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// Bracketed paste (`Key.paste`): text in a prompt, never command keys, never Enter.
@Suite struct PasteKeys {
    @Test func aPasteInAPromptIsInsertedLiterallyAndNeverPressesEnter() throws {
        var s = rampState(apply: false)
        // An open item to skip: the skip reason is a text prompt.
        for _ in 0..<20 where s.selectedItem.map({ s.run.status(of: $0) != .open }) ?? true { press(&s, .down) }
        let item = try #require(s.selectedItem)
        press(&s, .char("s"))
        #expect(s.mode == .reason(.skip, item: item.id, text: ""))
        let effects = press(&s, .paste("fraud team\r\nnot reachable\tyet\u{1B}[A\n"), .char("!"))
        #expect(effects.isEmpty, "a newline in a paste is not Enter: \(effects)")
        #expect(s.mode == .reason(.skip, item: item.id, text: "fraud team not reachable yet[A !"))
        let before = s.run.lastSeq
        try pressAndSave(&s, .enter)
        #expect(s.run.lastSeq == before + 1)
        #expect(s.run.record(item.id)?.reason == "fraud team not reachable yet[A !", "saved trimmed, as typed")
    }

    @Test func aPasteOutsideAPromptRunsNoCommand() {
        var s = rampState(apply: false)
        let before = s.run.lastSeq
        let mode = s.mode
        // "g" would GO, "q" would ask to quit, "?" would open help: none of it happens.
        let effects = press(&s, .paste("gq?nfu\n"))
        #expect(effects.isEmpty)
        #expect(s.mode == mode && s.run.lastSeq == before)
        #expect(s.message?.text == "paste ignored outside a prompt")
        // A y/n question is not a text prompt either: a pasted "y" does not answer it.
        press(&s, .char("q"))
        #expect(s.mode == .confirmQuit)
        #expect(press(&s, .paste("y")).isEmpty)
        #expect(s.mode == .confirmQuit, "still asking")
        press(&s, .char("n"))
        // Keys held after a refusal stay held through a paste.
        press(&s, .char("G"))
        guard case .held = s.mode else { Issue.record("not held: \(s.mode)"); return }
        #expect(press(&s, .paste("everyone agreed, go\n")).isEmpty)
        guard case .held = s.mode else { Issue.record("the paste ended the hold: \(s.mode)"); return }
    }

    @Test func aPasteInTheSearchFindsWhatWasPasted() throws {
        var s = rampState(apply: false)
        press(&s, .char("/"))
        press(&s, .paste("T2\n"))
        #expect(s.mode == .search("T2 "))
        #expect(ConsoleState.pasted("a\r\nb\rc\nd\u{7}e") == "a b c de")
        #expect(Key.paste("x").label == "paste")
    }
}
