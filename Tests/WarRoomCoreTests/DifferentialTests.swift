import Testing
@testable import WarRoomCore

// Minimal documents from scripts/fuzz-diff where warroom's parser disagreed with cmark-gfm (GitHub's own parser).
// Each expectation is cmark-gfm's answer (task items by the line of their list marker).
private func lines(_ s: String) -> [Int] { ChecklistParser.parse(s, path: "t.md").items.map(\.line) }

@Suite struct CmarkGFMDifferential {
    /// The document: the checkbox is all the item has, so `text line` is no lazy continuation of it (it
    /// starts a paragraph after the list) and the indented item below is a lazy line of that paragraph.
    @Test func checkboxOnlyItemHasNoParagraphForLazyLines() {
        #expect(lines("- [ ]  \ntext line\n    - [ ] h\n") == [1])
    }

    /// A blank line ends an item that has only its checkbox; the line after it, indented 8, is indented code.
    @Test func blankLineEndsCheckboxOnlyItem() {
        #expect(lines("   * [x] \n\n\t\t- [ ] \n") == [1])
        #expect(lines("1. [ ] \n\n\t1. [ ] \n") == [1])
    }

    /// With no paragraph open, a list starting at 0 or 2 is a nested list, not an interruption.
    @Test func orderedItemAfterCheckboxOnlyItemNests() {
        #expect(lines("* [ ] \n  0. [X] \n") == [1, 2])
        #expect(lines("-\t[x] \n    0. [X]\t\n") == [1, 2])
    }

    /// The paragraph that follows a checkbox-only item's line inside the item is the item's text.
    @Test func checkboxOnlyItemTakesNextParagraphAsText() {
        let c = ChecklistParser.parse("1. [X] \n   Drain the canary\n   pool\n", path: "t.md")
        #expect(c.items.map(\.text) == ["Drain the canary pool"])
        #expect(c.items.map(\.checked) == [true])
    }

    /// cmark-gfm makes the last line of a paragraph a table's header row; the lines before stay a paragraph.
    /// So the table (not the paragraph) is what the list after it follows, and `2.` may start a list there.
    @Test func tableAfterParagraphLinesThenTaskItem() {
        #expect(lines("c\n||a\n-|-\n2. [ ] \n") == [4])
        let c = ChecklistParser.parse("intro\n| a | b |\n|---|---|\n| x | y |\n- [ ] t\n", path: "t.md")
        #expect(c.items.map(\.line) == [5])
        #expect(c.sections[0].blocks.first == .text(line: 1, text: "intro"))
        #expect(c.sections[0].blocks.dropFirst().first == .table(line: 2, header: ["a", "b"], rows: [["x", "y"]]))
    }

    /// cmark-gfm tries a table last: a delimiter row that starts `- ` is a list item (here holding `|-|-`).
    @Test func delimiterRowStartingWithDashIsListItem() {
        #expect(lines("c||a\n- |-|-\n\t- [X] \n") == [3])
    }

    /// A header row that is a lone `|` has no cells: no table, so the lines stay one paragraph.
    @Test func lonePipeIsNoTableHeader() {
        #expect(lines("|\n|-\n0. [ ] \n") == [])
        #expect(lines("|\n|-\n- [ ] x\n") == [3])
    }

    /// A paragraph that met a delimiter row of the wrong width once never becomes a table (cmark-gfm tries once):
    /// the `0.` line after it cannot interrupt it.
    @Test func paragraphTriedAsTableOnce() {
        #expect(lines("|\n|-\nT||t\n-|-|-\n0. [ ] \n") == [])
        #expect(lines("a|b\n-|-|-\nx|y\n-|-\n2. [ ] z\n") == [])
        #expect(lines("a|b\nx|y\n-|-\n2. [ ] z\n") == [4])
    }

    /// A task item's paragraph can end in a table header too: the item keeps its own text.
    @Test func taskParagraphThenTable() {
        let c = ChecklistParser.parse("- [ ] deploy\n  | a |\n  | - |\n", path: "t.md")
        #expect(c.items.map(\.text) == ["deploy"])
    }

    /// `</pre>` alone on a line is an HTML block (cmark-gfm's type 7): the item below it is raw HTML until a blank line.
    @Test func closingPreTagStartsHTMLBlock() {
        #expect(lines("</pre>\n- [ ] a\n") == [])
        #expect(lines("</pre>\n- [ ] a\n\n- [ ] b\n") == [4])
        #expect(lines("</script>\n- [ ] a\n") == [])
    }
}
