import Testing
import WarRoomCore
@testable import WarRoomUI

/// Issue 14: select a light or an SLO and press `i` (or Enter) to see why it is in its state.
@Suite struct WhyView {
    let dark = ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:])

    /// At 0 % with the error-rate light watching for 2 min 30 s of its 5 min (a reading every 5 s).
    func watching(size: Size) -> ConsoleState {
        var s = rampState()
        for t in stride(from: t0 + 10_000, to: t0 + 160_000, by: 5_000) { feed(&s, p95: 1.62, errors: 1.4, at: t) }
        feed(&s, p95: 1.62, errors: 1.6, at: t0 + 160_000)
        _ = s.update(.resize(size))
        return s
    }

    @Test func iOnALightOpensItsDetailAndEscClosesIt() {
        var s = watching(size: Size(width: 120, height: 40))
        press(&s, .char("i"))
        #expect(s.mode == .normal && s.message?.text.hasPrefix("select a light (ROLLBACK) or an SLO first") == true,
                "on the checklist, i says where to go")
        press(&s, .tab, .char("j"), .char("i"))
        #expect(s.mode == .why(.light("Error rate spike")))
        #expect(s.explanation?.text.contains("value   1.6 > 1 for 2 min 30 s of 5 min — trips in 2 min 30 s") == true,
                "\(s.explanation?.text ?? [])")
        #expect(press(&s, .char("g")).isEmpty && s.mode == .why(.light("Error rate spike")), "keys do nothing behind it")
        press(&s, .char("k"))
        #expect(s.mode == .why(.light("Security incident")), "up moves to the light above")
        press(&s, .escape)
        #expect(s.mode == .normal)
        press(&s, .tab, .enter)
        #expect(s.focus == .slo && s.mode == .why(.slo("P95 latency")), "Enter on an SLO opens it too")
        press(&s, .char("i"))
        #expect(s.mode == .normal, "i closes it")
    }

    @Test func iIsRemappable() {
        var config = alertConfig()
        config.keys = [KeyRemap(command: "explain", keys: ["w"], line: 3)]
        let c = fixtureChecklist()
        var s = ConsoleState(engine: Engine(config: config, session: Session(actor: "dana", role: .driver, stateDir: ".warroom"),
                                            checklist: c, run: sampleRun(c), now: t0), size: Size(width: 120, height: 40))
        press(&s, .tab)
        #expect(s.whyHint == "w why", "the pane's hint names the key as mapped")
        press(&s, .char("i"))
        #expect(s.mode == .normal)
        press(&s, .char("w"))
        #expect(s.mode == .why(.light("Paged")))
    }

    func alertConfig() -> RunConfig {
        RunConfig(path: nil, service: "checkout-api", checklist: fixtureChecklist().path, t0: t0,
                  plan: RampPlan(steps: [RampStep(percent: 10), RampStep(percent: 50)], holdMs: 300_000),
                  lights: [LightConfig(name: "Paged", source: "am", match: ["severity": "critical"]),
                           LightConfig(name: "Security incident")],
                  sources: [SourceConfig(name: "am", kind: .alertmanager(url: "http://am:9093"))])
    }

    @Test func detail120x40() throws {
        var s = watching(size: Size(width: 120, height: 40))
        press(&s, .tab, .char("j"), .char("i"))
        try Golden.check("why-light-120x40", Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)))
    }

    @Test func detail80x24() throws {
        var s = watching(size: Size(width: 80, height: 24))
        press(&s, .tab, .tab, .char("i"))
        #expect(s.mode == .why(.slo("P95 latency")))
        try Golden.check("why-slo-80x24", Golden.snapshot(Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)))
    }

    /// A tripped Alertmanager light names what fired on the main screen, not only "TRIPPED".
    @Test func anAlertTripShowsItsSummaryInTheRollbackPane() throws {
        let c = fixtureChecklist()
        let config = alertConfig()
        for size in [Size(width: 120, height: 40), Size(width: 80, height: 24)] {
            var s = ConsoleState(engine: Engine(config: config, session: Session(actor: "dana", role: .driver, stateDir: ".warroom"),
                                                checklist: c, run: sampleRun(c), now: t0), size: size)
            let alert = AlertSummary(name: "HighErrorRate", summary: "Checkout errors above 5 %", fingerprint: "f1",
                                     labels: ["severity": "critical"])
            var effects = s.update(.engine(.reading(ProbeReading(probe: .light("Paged"), source: "am", time: t0, observation: .alerts([alert])))))
            effects += s.update(.tick(t0))
            let (events, _) = try journal(&s, effects)
            #expect(events.contains { $0.actor == "warroom" && $0.body.type == "light.trip" })
            let screen = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size).text
            #expect(screen.contains("Checkout errors above 5 %"), "\(size): \(screen)")
            #expect(screen.contains("TRIPPED"))
        }
    }

    /// A follower before the driver's first view: bound lights say UNKNOWN, not "waiting".
    @Test func aBoundLightWithNoReadingSaysUnknown() {
        let s = rampState(driving: false)
        let screen = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size).text
        #expect(screen.contains("UNKNOWN") && !screen.contains("waiting"), "\(screen)")
    }
}
