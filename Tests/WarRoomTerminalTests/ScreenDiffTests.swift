import Testing
import WarRoomTerminal
import WarRoomUI

@Suite struct ScreenDiffTests {
    func screen(_ w: Int = 10, _ h: Int = 3) -> Buffer {
        var b = Buffer(Size(width: w, height: h))
        b.put("hello", x: 0, y: 0)
        b.put("world", x: 2, y: 1, style: Style(.ok))
        return b
    }

    @Test func identicalBuffersWriteNothing() {
        let d = ScreenDiff.compute(from: screen(), to: screen())
        #expect(!d.full)
        #expect(d.runs.isEmpty)
        #expect(d.cellCount == 0)
    }

    @Test func oneChangedCellIsOneRunOfOne() {
        var b = screen()
        b[4, 0] = Cell("!")
        let d = ScreenDiff.compute(from: screen(), to: b)
        #expect(d.runs == [DrawRun(x: 4, y: 0, style: .text, scalars: ["!"], width: 1)])
        #expect(d.cellCount == 1)
    }

    @Test func adjacentChangesWithOneStyleAreOneRun() {
        var b = screen()
        b.put("12:34:56", x: 1, y: 2)
        let d = ScreenDiff.compute(from: screen(), to: b)
        #expect(d.runs.count == 1)
        #expect(d.runs[0].text == "12:34:56")
        #expect(d.runs[0].x == 1 && d.runs[0].y == 2)
    }

    @Test func clockTickWritesOnlyTheDigitsThatChanged() {
        var a = screen()
        a.put("12:34:56", x: 1, y: 2)
        var b = screen()
        b.put("12:34:57", x: 1, y: 2)
        let d = ScreenDiff.compute(from: a, to: b)
        #expect(d.runs == [DrawRun(x: 8, y: 2, style: .text, scalars: ["7"], width: 1)])
    }

    @Test func unchangedCellsSplitRuns() {
        var b = screen()
        b[0, 0] = Cell("H")
        b[4, 0] = Cell("O")
        let d = ScreenDiff.compute(from: screen(), to: b)
        #expect(d.runs.map(\.x) == [0, 4])
        #expect(d.cellCount == 2)
    }

    @Test func styleChangeSplitsRunsAndIsAChange() {
        var b = screen()
        b.restyle(Rect(x: 0, y: 0, width: 2, height: 1), Style(.crit, .bold))
        b[2, 0] = Cell("L")
        let d = ScreenDiff.compute(from: screen(), to: b)
        #expect(d.runs.count == 2)
        #expect(d.runs[0] == DrawRun(x: 0, y: 0, style: Style(.crit, .bold), scalars: ["h", "e"], width: 2))
        #expect(d.runs[1] == DrawRun(x: 2, y: 0, style: .text, scalars: ["L"], width: 1))
    }

    @Test func wideCharacterIsWrittenWholeAndContinuationSkipped() {
        var b = screen()
        b.put("日本", x: 0, y: 2)
        let d = ScreenDiff.compute(from: screen(), to: b)
        #expect(d.runs == [DrawRun(x: 0, y: 2, style: .text, scalars: ["日", "本"], width: 4)])
    }

    @Test func changedRightHalfRewritesTheWideCharacter() {
        var a = screen()
        a.put("日本", x: 0, y: 2)
        var b = a
        // Only the continuation cell's style changed: the whole wide character is rewritten from its left half.
        b[1, 2] = Cell(" ", Style(.warn), continuation: true)
        let d = ScreenDiff.compute(from: a, to: b)
        #expect(d.runs == [DrawRun(x: 0, y: 2, style: .text, scalars: ["日"], width: 2)])
    }

    @Test func overwritingHalfAnOldWideCharacterRewritesItsNeighbour() {
        var a = screen()
        a.put("日本", x: 0, y: 2)
        var b = a
        b[1, 2] = Cell("x")  // right half of 日 becomes a narrow char; 日 (now without its half) is redrawn
        let d = ScreenDiff.compute(from: a, to: b)
        #expect(d.runs.count == 1)
        #expect(d.runs[0].x == 0 && d.runs[0].width == 2)
        #expect(d.runs[0].text == " x")  // the buffer blanked the orphaned left half; columns stay aligned
    }

    @Test func emojiAndUnrenderableGlyphsKeepColumns() {
        var b = Buffer(Size(width: 6, height: 1))
        b.put("🚀a", x: 0, y: 0)
        let d = ScreenDiff.compute(from: nil, to: b)
        #expect(d.runs[0].text == "🚀a   ")
        // A terminal (curses) that cannot print non-ASCII: every cell still advances by its layout width.
        let ascii = ScreenDiff.compute(from: nil, to: b, width: { $0.value < 0x7F ? 1 : -1 })
        #expect(ascii.runs[0].text == "? a   ")
        #expect(ascii.cellCount == 6)
    }

    @Test func resizeIsFull() {
        let d = ScreenDiff.compute(from: screen(10, 3), to: screen(12, 4))
        #expect(d.full)
        #expect(d.cellCount == 12 * 4)
        // One run per style per row: row 1 is "  " / "world" (ok) / rest.
        #expect(d.runs.filter { $0.y == 1 }.map(\.width) == [2, 5, 5])
    }

    @Test func firstFrameAndForcedAreFull() {
        #expect(ScreenDiff.compute(from: nil, to: screen()).full)
        let forced = ScreenDiff.compute(from: screen(), to: screen(), forceFull: true)
        #expect(forced.full && forced.cellCount == 30)
    }

    @Test func clipToWindow() {
        let d = ScreenDiff.compute(from: nil, to: screen(10, 3), clip: Size(width: 4, height: 2))
        #expect(d.runs.allSatisfy { $0.y < 2 && $0.x + $0.width <= 4 })
        #expect(d.cellCount == 8)
    }
}

@Suite struct FullRedrawSkipsErasedBlanks {
    @Test func blanksThatLookErasedAreNotWritten() {
        var b = Buffer(Size(width: 10, height: 2))
        b.put("ab", x: 0, y: 0)
        b.put("  ", x: 5, y: 0, style: Style(.crit, .reverse))
        let all = ScreenDiff.compute(from: nil, to: b)
        let skipping = ScreenDiff.compute(from: nil, to: b, erasedLooksLike: { !$0.attrs.contains(.reverse) })
        #expect(all.cellCount == 20)
        #expect(skipping.runs.map(\.text) == ["ab", "  "], "reverse blanks are still drawn")
        #expect(skipping.runs.map(\.x) == [0, 5])
        #expect(skipping.cellCount == 4)
    }

    @Test func incrementalDiffsStillWriteBlanks() {
        var a = Buffer(Size(width: 4, height: 1))
        a.put("abcd", x: 0, y: 0)
        var b = a
        b.put("  ", x: 1, y: 0)
        let d = ScreenDiff.compute(from: a, to: b, erasedLooksLike: { _ in true })
        #expect(d.runs.map(\.text) == ["  "], "only full redraws follow an erase")
    }
}
