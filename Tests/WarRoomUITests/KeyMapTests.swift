import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// Issue 14: keys remappable in `keys:`; the one key table still drives dispatch, footer and help.
@Suite struct KeyRemaps {
    @Test func aRemappedKeyDrivesDispatchFooterAndHelp() {
        let (map, problems) = KeyMap.remapped([KeyRemap(command: "skip", keys: ["z"], line: 7)])
        #expect(problems.isEmpty)
        #expect(map.binding(for: .char("z"))?.command == .skip)
        #expect(map.binding(for: .char("s")) == nil)
        #expect(map.footerItems(ramp: true).contains("z skip"))
        #expect(map.helpLines(replay: false).contains { $0.keys == "z" && $0.help.hasPrefix("skip the selected item") })

        let c = fixtureChecklist()
        var config = RunConfig(path: nil, service: "x", checklist: c.path, t0: t0, plan: RampPlan(steps: []))
        config.keys = [KeyRemap(command: "skip", keys: ["z"], line: 7)]
        let engine = Engine(config: config, session: Session(actor: "dana", role: .driver, stateDir: ".w"), checklist: c,
                            run: sampleRun(c), now: t0)
        var s = ConsoleState(engine: engine, size: Size(width: 120, height: 40))
        press(&s, .down)
        press(&s, .char("z"))
        guard case .reason(.skip, _, _) = s.mode else { Issue.record("z did not skip: \(s.mode)"); return }
        press(&s, .escape, .char("s"))
        #expect(s.message?.text.contains("does nothing") == true)
        let screen = Renderer.render(s, theme: Theme(name: "t", roles: [:]), glyphs: .unicode, size: s.size).text
        #expect(screen.split(separator: "\n").last?.contains("z skip") == true)
    }

    @Test func clashesPrefixKeysAndUnknownNamesAreProblemsAtTheirLine() {
        let clash = KeyMap.remapped([KeyRemap(command: "skip", keys: ["b"], line: 4)]).problems
        #expect(clash == [KeyMap.Problem(line: 4, message: "keys: b is bound to both skip and block")])
        let prefix = KeyMap.remapped([KeyRemap(command: "pageUp", keys: ["^B"], line: 5)]).problems
        #expect(prefix.first?.message.contains("prefix key of tmux or screen") == true && prefix.first?.line == 5)
        let unknown = KeyMap.remapped([KeyRemap(command: "launch", keys: ["L"], line: 6), KeyRemap(command: "go", keys: ["PageTop"], line: 8)]).problems
        #expect(unknown.map(\.line) == [6, 8])
    }

    @Test func noDefaultUsesAMultiplexerPrefix() {
        let all = KeyTable.bindings.flatMap(\.keys) + KeyTable.replayBindings.flatMap(\.keys)
        #expect(all.allSatisfy { !KeyTable.multiplexerPrefixes.contains($0) })
        #expect(KeyMap.remapped([]).problems.isEmpty, "the defaults do not clash")
    }
}
