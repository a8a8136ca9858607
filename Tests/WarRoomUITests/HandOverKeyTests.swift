import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// `D` in the driver's console: the next driver's name, then the offer is journaled (through the lease: the
/// effect runner's business); Enter alone withdraws it; Escape cancels; read-only seats open no prompt.
@Suite struct HandOverKey {
    func screen(_ s: ConsoleState) -> String {
        Renderer.render(s, theme: ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:]), glyphs: .unicode, size: s.size).text
    }

    @Test func dAsksForTheNameThenOffersAndEnterAloneWithdraws() throws {
        var s = rampState()
        #expect(press(&s, .char("D")).isEmpty)
        #expect(s.mode == .handOver(text: ""))
        #expect(screen(s).contains("hand over driving to: "))
        #expect(press(&s, .enter).isEmpty && s.mode == .handOver(text: ""), "a name is required")
        #expect(s.message?.text == "a name is required — type it, or Esc to cancel")
        let effects = press(&s, typed("lee") + [.enter])
        #expect(appends(effects) == [.driverOffer(DriverOffer(to: "lee"))] && s.mode.noPrompt)
        #expect(!screen(s).contains("offered to lee"), "nothing shown as offered before it is saved")
        try journal(&s, effects)
        #expect(s.message?.text == "offered to lee — waiting for lee to take over (D again to cancel or change)")
        #expect(screen(s).contains("DRIVING · offered to lee"))
        var narrow = s
        _ = narrow.update(.resize(Size(width: 80, height: 24)))
        #expect(screen(narrow).contains("DRIVING · offered to lee"), "the badge is the last thing a narrow header drops")
        press(&s, .char("D"))
        #expect(screen(s).contains("Enter alone withdraws the offer to lee"))
        let withdraw = press(&s, .enter)
        #expect(appends(withdraw) == [.driverOffer(DriverOffer(to: nil))])
        try journal(&s, withdraw)
        #expect(s.engine.pendingOffer == nil && !screen(s).contains("offered to lee"))
        // Escape: nothing offered.
        press(&s, .char("D"))
        #expect(press(&s, typed("sam") + [.escape]).isEmpty && s.mode.noPrompt)
        #expect(s.message?.text == "hand-over cancelled")
    }

    @Test func readOnlySeatsOpenNoPrompt() {
        var follower = rampState(driving: false)
        #expect(press(&follower, .char("D")).isEmpty && follower.mode.noPrompt)
        #expect(follower.message?.text == "read-only — dana is driving")
        var crew = rampState(crew: "lee")
        #expect(press(&crew, .char("D")).isEmpty && crew.mode.noPrompt)
        #expect(crew.message?.text == "hand-over: dana drives — crew can tick items, not decide")
        var deposed = rampState()
        _ = deposed.update(.engine(.deposed(by: "lee")))
        #expect(press(&deposed, .char("D")).isEmpty && deposed.mode.noPrompt)
        #expect(deposed.message?.text == "read-only — lee took over driving")
        #expect(KeyTable.binding(for: .char("D"))?.writes == true)
    }
}
