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
        #expect(s.run.percent == 50 && s.verdict.state == .complete)
        #expect(press(&s, .char("n")).isEmpty)
        #expect(s.message?.text.contains("complete") == true)
    }
}
