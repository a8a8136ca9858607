import Testing
import WarRoomCore
@testable import WarRoomUI

/// Notifications given up on show in the header ("notify: 3 failed"); none, nothing.
@Suite struct NotifyHeader {
    let dark = ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:])

    func header(_ s: ConsoleState) -> String {
        let b = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)
        return String(b.row(0).map { $0.char })
    }

    @Test func theHeaderCountsFailedDeliveries() throws {
        var s = sampleState()
        #expect(!header(s).contains("notify:"))
        for k in 1...3 {
            let effects = s.update(.engine(.notifyFailed(NotifyFailed(target: "ops (webhook https://h.example/[redacted])",
                                                                       event: "decision.go", seq: k, attempts: 5, error: "HTTP 500"))))
            _ = try journal(&s, effects)
        }
        #expect(header(s).contains(" notify: 3 failed "))
        #expect(s.run.notifyFailures.count == 3, "each journaled once")
    }
}
