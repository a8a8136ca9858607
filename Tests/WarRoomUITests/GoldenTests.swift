import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomUI

/// Golden snapshots of rendered buffers. Re-record with `WARROOM_RECORD=1 swift test --filter Golden`,
/// then read the diff before committing it.
enum Golden {
    static let record = ProcessInfo.processInfo.environment["WARROOM_RECORD"] == "1"

    /// Each row ends in `|` so trailing spaces survive editors.
    static func snapshot(_ b: Buffer, styles theme: Theme? = nil) -> String {
        var out = b.text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { $0 + "|" }.joined(separator: "\n") + "\n"
        if let theme {
            out += "--- attributes (0 none, 1 bold, 2 reverse, 4 underline, 8 dim; summed, hex) ---\n"
            for y in 0..<b.size.height {
                var line = ""
                for x in 0..<b.size.width {
                    let c = b[x, y]
                    let a = theme.style(c.style.role).attrs.union(c.style.attrs).rawValue
                    line += a == 0 ? "." : String(a, radix: 16)
                }
                out += line + "|\n"
            }
        }
        return out
    }

    static func check(_ name: String, _ actual: String) throws {
        let url = fixtureDir.appendingPathComponent("golden/\(name).txt")
        if record {
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try #require(try? String(contentsOf: url, encoding: .utf8), "missing golden \(name).txt — record with WARROOM_RECORD=1")
        if expected != actual {
            let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
            let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
            let first = Array(zip(e, a)).firstIndex { $0 != $1 } ?? min(e.count, a.count)
            Issue.record("""
            \(name): rendering differs from golden at line \(first + 1)
              expected: \(first < e.count ? String(e[first]) : "<end>")
              actual:   \(first < a.count ? String(a[first]) : "<end>")
            (re-record with WARROOM_RECORD=1 if the change is intended)
            """)
        }
    }
}

@Suite struct GoldenScreens {
    let dark = ThemeLoader.builtin("default") ?? Theme(name: "default", roles: [:])

    func render(_ size: Size, glyphs: Glyphs = .unicode, theme: Theme? = nil, _ tweak: (inout ConsoleState) -> Void = { _ in }) -> Buffer {
        var s = sampleState(size: size)
        tweak(&s)
        return Renderer.render(s, theme: theme ?? dark, glyphs: glyphs, size: size)
    }

    @Test func full120x40() throws {
        try Golden.check("120x40", Golden.snapshot(render(Size(width: 120, height: 40)) { s in
            _ = s.update(.key(.down)); _ = s.update(.key(.down))
        }))
    }

    @Test func compact80x24() throws {
        try Golden.check("80x24", Golden.snapshot(render(Size(width: 80, height: 24))))
    }

    @Test func minimum60x15() throws {
        try Golden.check("60x15", Golden.snapshot(render(Size(width: 60, height: 15))))
    }

    @Test func tooSmall() throws {
        let b = render(Size(width: 50, height: 12))
        #expect(b.text.contains("terminal too small — need 60×15"))
        try Golden.check("50x12-too-small", Golden.snapshot(b))
    }

    @Test func wideCharactersAlign() throws {
        let b = render(Size(width: 120, height: 40))
        let lines = b.text.split(separator: "\n")
        // Every row is exactly 120 columns wide, CJK and emoji included, so the right border lines up.
        for line in lines { #expect(DisplayWidth.of(line) == 120, "\(line)") }
        let cjk = try #require(lines.first { $0.contains("データベース") })
        // The fixture's `âœ…` (UTF-8 read as Windows-1252) is shown as meant, and still lines up.
        let mojibake = try #require(lines.first { $0.contains("passing ✅ (mojibake") })
        #expect(!b.text.contains("âœ…"))
        #expect(cjk.hasSuffix("│") && mojibake.hasSuffix("│"))
    }

    @Test func monochromeWithAttributes() throws {
        let mono = try #require(ThemeLoader.builtin("monochrome"))
        try Golden.check("120x40-monochrome", Golden.snapshot(render(Size(width: 120, height: 40), theme: mono), styles: mono))
    }

    @Test func asciiGlyphs() throws {
        let b = render(Size(width: 80, height: 24), glyphs: .ascii)
        #expect(b.text.unicodeScalars.allSatisfy { $0.value < 0x80 || !"─│┌┐└┘▸▾✓✗".unicodeScalars.contains($0) })
        try Golden.check("80x24-ascii", Golden.snapshot(b))
    }

    @Test func helpOverlay() throws {
        try Golden.check("120x40-help", Golden.snapshot(render(Size(width: 120, height: 40)) { s in _ = s.update(.key(.char("?"))) }))
    }

    @Test func reasonPromptAndNotSaved() {
        let prompt = render(Size(width: 100, height: 30)) { s in
            _ = s.update(.key(.down))
            _ = s.update(.key(.char("s")))
            for k in typed("vendor window") { _ = s.update(.key(k)) }
        }
        #expect(prompt.text.contains("skip reason for T10: vendor window▌"))
        let failed = render(Size(width: 100, height: 30)) { s in
            if case .command(.append(let id, _))? = s.update(.key(.char("u"))).first {
                _ = s.update(.engine(.appendFailed(id: id, "Read-only file system")))
            }
        }
        #expect(failed.text.contains("NOT SAVED: Read-only file system"))
    }

    @Test func controlCharactersNeverReachTheScreen() {
        let c = ChecklistParser.parse("- [ ] evil \u{1B}]0;pwned\u{07} title\n", path: "x.md")
        let s = sampleState(checklist: c)
        let b = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)
        #expect(!b.text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
        #expect(b.text.contains("evil �]0;pwned� title"))
    }

    @Test func renderIsPure() {
        let a = render(Size(width: 120, height: 40))
        let b = render(Size(width: 120, height: 40))
        #expect(a == b)
    }

    @Test func clockTickChangesOnlyTheClock() {
        var s = sampleState()
        let a = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)
        _ = s.update(.tick(s.now + 1000))
        let b = Renderer.render(s, theme: dark, glyphs: .unicode, size: s.size)
        let changed = zip(a.cells, b.cells).filter { $0 != $1 }.count
        #expect(changed > 0 && changed <= 4, "\(changed) cells changed for one second")
    }
}

@Suite struct BufferWrites {
    @Test func overwritingHalfAWideCharacterBlanksTheOtherHalf() {
        var b = Buffer(Size(width: 6, height: 1))
        b.put("日本語", x: 0, y: 0)
        #expect(b.text == "日本語\n")
        b[3, 0] = Cell("|")
        #expect(b.text == "日 |語\n")
        b[4, 0] = Cell("x")
        #expect(b.text == "日 |x \n")
    }

    @Test func restylingKeepsWideCharactersWhole() {
        var b = Buffer(Size(width: 8, height: 1))
        b.put("▾ 📋 x", x: 0, y: 0)
        b.restyle(Rect(x: 0, y: 0, width: 8, height: 1), Style(.selection))
        #expect(b[3, 0].continuation, "the emoji keeps its right half")
        #expect(b.text == "▾ 📋 x  \n")
        #expect(b[2, 0].style == Style(.selection))
    }

    @Test func putClipsWithEllipsisAndNeverSplitsAWideCharacter() {
        var b = Buffer(Size(width: 7, height: 1))
        #expect(b.put("ab日本語", x: 0, y: 0) == 7)
        #expect(b.text == "ab日本…\n")
        var c = Buffer(Size(width: 6, height: 1))
        #expect(c.put("ab日本語", x: 0, y: 0) == 5, "本 does not fit before the ellipsis")
        #expect(c.text == "ab日… \n")
    }
}

@Suite struct LayoutRules {
    @Test(arguments: [(100, 30), (120, 40), (160, 50), (100, 31)])
    func contactsAlwaysHaveRoomInTheFullLayout(_ w: Int, _ h: Int) {
        let l = Layout(Size(width: w, height: h))
        #expect(l.kind == .full)
        let contacts = try! #require(l.contacts)
        #expect(contacts.height >= 7, "at least two contacts visible")
        #expect(contacts.maxY == h - 2, "the column fills the body")
        #expect(l.ramp.height >= 5 && l.slo.height >= 5 && l.rollback.height >= 5)
    }

    @Test func offsetsReadAsPeopleWriteThem() {
        #expect(missionOffsetText(-1440) == "T-24h")
        #expect(missionOffsetText(-30) == "T-30m")
        #expect(missionOffsetText(90) == "T+1h30m")
        #expect(missionOffsetText(0) == "T-0")
    }
}
