import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
@testable import WarRoomUI

/// The first screen of each seed (as `run --checklist` derives it) and of the demo, at the two sizes the README
/// promises (80×24 and 120×40), as golden screens; and, on each, nothing that carries meaning cut in the panes beside
/// the checklist (a name, a value, a state, a reason: no ellipsis there). Re-record with WARROOM_RECORD=1.
@Suite struct SeedScreens {
    static let seeds = ["000", "001", "002", "003", "004"]
    static let sizes = [Size(width: 80, height: 24), Size(width: 120, height: 40)]
    /// 2026-11-23T09:00:00Z: a fixed now, so the clock in the header is stable.
    static let now: Millis = 1_795_424_400_000

    func seedPath(_ n: String) throws -> String {
        let dir = repoRoot.appendingPathComponent("Tests/Fixtures/seeds").path
        let name = try #require(try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasPrefix(n + "_") })
        return dir + "/" + name
    }

    func screen(_ loaded: LoadedRun, size: Size, demo: Bool = false) throws -> (text: String, state: ConsoleState, buffer: Buffer) {
        var run = RunState()
        run.runID = "5eed5eed"
        let c = loaded.checklist.checklist
        try run.apply(JournalEvent(seq: 1, time: Self.now, actor: "dana", body: .runStarted(RunStarted(
            checklist: c.path, checklistSHA256: loaded.checklist.sha256, items: c.items.count, host: "h", pid: 1))))
        let session = Session(actor: "dana", role: .driver, stateDir: ".warroom", demo: demo)
        let engine = Engine(config: loaded.config, session: session, checklist: c, run: run, now: Self.now + 65_000)
        let state = ConsoleState(engine: engine, size: size)
        let theme = try #require(ThemeLoader.builtin("default"))
        let buffer = Renderer.render(state, theme: theme, glyphs: .unicode, size: size)
        let text = buffer.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0 + "|" }.joined(separator: "\n") + "\n"
        return (text, state, buffer)
    }

    /// No cell of the RAMP, SLO and ROLLBACK panes (and the footer) holds an ellipsis: what they show is whole.
    func expectNothingCut(_ s: ConsoleState, _ b: Buffer, _ name: String) {
        let layout = Layout(s.size)
        for (pane, rect) in [("RAMP", layout.ramp), ("SLO", layout.slo), ("ROLLBACK", layout.rollback), ("footer", layout.footer)] {
            for y in rect.y..<rect.maxY {
                let row = (rect.x..<rect.maxX).map { String(b[$0, y].char) }.joined()
                #expect(!row.contains("…"), "\(name): the \(pane) pane cuts text: \(row)")
            }
        }
        // The footer keeps every decision and checklist key there is room for at this width (80: all of them).
        let footer = (0..<s.size.width).map { String(b[$0, layout.footer.y].char) }.joined()
        for key in ["space done", "s skip", "b block", "u undo", "? help", "q quit"] {
            #expect(footer.contains(key), "\(name): the footer lacks “\(key)”: \(footer)")
        }
    }

    func check(_ name: String, _ text: String) throws {
        let url = repoRoot.appendingPathComponent("Tests/Fixtures/golden/seeds/\(name).txt")
        if ProcessInfo.processInfo.environment["WARROOM_RECORD"] == "1" {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try #require(try? String(contentsOf: url, encoding: .utf8), "missing golden seeds/\(name).txt — record with WARROOM_RECORD=1")
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false), a = text.split(separator: "\n", omittingEmptySubsequences: false)
        if let first = zip(e, a).enumerated().first(where: { $0.element.0 != $0.element.1 })?.offset ?? (e.count != a.count ? min(e.count, a.count) : nil) {
            Issue.record("seeds/\(name): differs at line \(first + 1)\n  expected: \(first < e.count ? String(e[first]) : "<end>")\n  actual:   \(first < a.count ? String(a[first]) : "<end>")")
        }
    }

    @Test(arguments: seeds)
    func seedFirstScreens(_ seed: String) throws {
        let loaded = try deriveRunConfig(checklistPath: try seedPath(seed))
        for size in Self.sizes {
            let (text, state, buffer) = try screen(loaded, size: size)
            let name = "\(seed)-\(size.width)x\(size.height)"
            try check(name, text)
            expectNothingCut(state, buffer, name)
        }
    }

    @Test func demoFirstScreens() throws {
        let dir = NSTemporaryDirectory() + "warroom-demo-screens-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DemoSetup.write(DemoSetup.checklistText, to: dir + "/checklist.md")
        try DemoSetup.write(DemoSetup.configYAML(port: 9, binary: warroomBinary, dir: dir, fast: false), to: dir + "/warroom.yaml")
        let loaded = try loadRunConfig(dir + "/warroom.yaml")
        for size in Self.sizes {
            let (text, state, buffer) = try screen(loaded, size: size, demo: true)
            let name = "demo-\(size.width)x\(size.height)"
            try check(name, text.replacingOccurrences(of: dir, with: "DEMO").replacingOccurrences(of: warroomBinary, with: "WARROOM"))
            expectNothingCut(state, buffer, name)
        }
    }
}
