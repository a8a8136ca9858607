import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// Legible at the sizes the README promises: names wrap instead of being cut, a list longer than its pane says
/// "+N more" and shows what needs attention first, and the ramp percentage is drawn large where the pane is tall.
@Suite struct Legibility {
    let theme = ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:])
    static let names = ["Critical security vulnerability discovered", "Data corruption detected", ">5% error rate sustained for >10 minutes",
                        "Complete service outage", "Payment provider rejecting more than 2% of charges", "Queue backlog over 10k",
                        "Regulator asks to stop", "On-call lead says roll back"]

    func state(_ size: Size, tripped: String? = nil) throws -> ConsoleState {
        let c = fixtureChecklist()
        let config = RunConfig(path: nil, service: "payments-gw", checklist: c.path, t0: t0,
                               plan: RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 50), RampStep(percent: 100)]),
                               lights: Self.names.map { LightConfig(name: $0) })
        var run = sampleRun(c)
        if let tripped {
            try run.apply(JournalEvent(seq: run.lastSeq + 1, time: t0 - 1_000, actor: "dana",
                                       body: .lightTrip(LightChange(name: tripped, reason: "pager 4411", detail: "manual"))))
        }
        let engine = Engine(config: config, session: Session(actor: "dana", role: .driver, stateDir: ".warroom"), checklist: c, run: run, now: t0)
        return ConsoleState(engine: engine, size: size)
    }

    func paneText(_ b: Buffer, _ r: Rect) -> String {
        (r.y..<r.maxY).map { y in (r.x..<r.maxX).map { String(b[$0, y].char) }.joined() }.joined(separator: "\n")
    }

    @Test func aLongNameWrapsAndTheListSaysHowManyAreNotShown() throws {
        let s = try state(Size(width: 80, height: 24))
        let b = Renderer.render(s, theme: theme, glyphs: .unicode, size: s.size)
        let pane = paneText(b, Layout(s.size).rollback)
        #expect(!pane.contains("…"), "\(pane)")
        #expect(pane.contains("Critical") && pane.contains("security vulnerability") && pane.contains("discovered"), "\(pane)")
        let shown = Self.names.filter { n in n.split(separator: " ").allSatisfy { pane.contains($0) } }.count
        #expect(pane.contains("+\(Self.names.count - shown) more"), "\(pane)")
    }

    @Test func aTrippedCriterionIsShownFirstWhenThePaneIsTooShort() throws {
        let s = try state(Size(width: 80, height: 24), tripped: "On-call lead says roll back")
        let b = Renderer.render(s, theme: theme, glyphs: .unicode, size: s.size)
        let pane = paneText(b, Layout(s.size).rollback)
        let lines = pane.split(separator: "\n")
        #expect(lines.count > 1 && lines[1].contains("On-call lead") && lines[1].contains("TRIPPED"), "\(pane)")
    }

    @Test func theFocusedPaneScrollsToItsCursorAndKeepsTheConfigOrder() throws {
        var s = try state(Size(width: 80, height: 24))
        s.focus = .rollback
        s.lightCursor = 6
        let b = Renderer.render(s, theme: theme, glyphs: .unicode, size: s.size)
        let pane = paneText(b, Layout(s.size).rollback)
        #expect(pane.contains("Regulator asks") && pane.contains("to stop"), "\(pane)")
        #expect(pane.contains("more"), "\(pane)")
    }

    @Test func bigDigitsWhereTheRampPaneIsTall() throws {
        #expect(BigDigits.rows("25%", unicode: true) == ["▀▀█ █▀▀ ▀ █", "█▀▀ ▀▀█ ▄▀ ", "▀▀▀ ▀▀▀ ▀ ▀"])
        #expect(BigDigits.rows("1x", unicode: true) == nil)
        let tall = try state(Size(width: 160, height: 50))
        let big = paneText(Renderer.render(tall, theme: theme, glyphs: .unicode, size: tall.size), Layout(tall.size).ramp)
        #expect(big.contains("█▀█ ▀ █"), "0 % in big digits: \(big)")
        let small = try state(Size(width: 120, height: 40))
        let plain = paneText(Renderer.render(small, theme: theme, glyphs: .unicode, size: small.size), Layout(small.size).ramp)
        #expect(plain.contains("0 %  not started") && !plain.contains("█▀█"), "\(plain)")
    }

    @Test func theFooterKeepsEveryDecisionAndChecklistKeyAt80Columns() {
        let layout = KeyMap.standard.footerLayout(ramp: true, demo: true, width: 80)
        for key in ["g GO", "n NO-GO", "R rollback", "f fault", "space done", "s skip", "b block", "u undo", "? help", "q quit"] {
            #expect(layout.items.contains(key), "\(layout)")
        }
        #expect(KeyMap.standard.footerLayout(ramp: true, width: 200).gap == 2)
    }
}
