/// Reads a GitHub-flavoured Markdown checklist the way GitHub renders it.
///
/// The block structure follows CommonMark's two-phase line algorithm (open containers — block
/// quotes and list items — are matched line by line; leaves are paragraphs, code, HTML blocks,
/// headings and tables), which is what decides whether `- [ ] x` is a task item or just text in a
/// code block, a comment or a lazy paragraph line. Inline Markdown is not parsed beyond what the
/// checklist needs (task ID, `[P]`, bold lead).
public enum ChecklistParser {
    public static func parse(_ bytes: [UInt8], path: String) -> Checklist {
        var p = Parser(path: path)
        p.run(bytes)
        return p.finish()
    }

    public static func parse(_ text: String, path: String) -> Checklist {
        parse(Array(text.utf8), path: path)
    }
}

// MARK: - The parser

struct Container {
    enum Kind { case quote, item }
    var kind: Kind
    /// For list items: columns of indentation the item's content needs, relative to where the item began.
    var width = 0
    var startedBlank = false
    var hasContent = false
    /// Index into `items` when this list item is a task item.
    var task: Int?
    /// Index into the section's blocks when this is a plain list item.
    var plain: (section: Int, block: Int)?
}

enum Leaf {
    case none
    case paragraph(owner: Owner, lines: Int)
    case fence(char: UInt8, count: Int, line: Int)
    case indentedCode
    case html(end: HTMLEnd, line: Int)
    case table(section: Int, block: Int, columns: Int)
}

/// Who the open paragraph's text belongs to (continuation lines are appended there).
enum Owner {
    case task(Int)
    case plain(section: Int, block: Int)
    case text(section: Int, block: Int)
    case heading(section: Int) // a paragraph that may still become a setext heading: nothing to own
    case none
}

enum HTMLEnd: Equatable { case tag([UInt8]), comment, processing, declaration, cdata, blank }

struct Parser {
    let path: String
    var diagnostics: [Diagnostic] = []
    var sections: [Section] = [Section(index: 0, parent: nil, level: 0, title: "", line: 0, path: [])]
    var current = 0
    /// Task items as they open; IDs and titles are filled in by `finish()`.
    var items: [Item] = []
    var containers: [Container] = []
    var leaf: Leaf = .none
    var lineCount = 0
    var invalidUTF8Lines = 0
    var mojibakeLines = 0
    var firstMojibakeLine = 0
    var paragraphLines: [String] = [] // pending paragraph text, for a possible setext heading
    /// The open paragraph met a delimiter row its last line did not match: it can no longer become a table.
    var paragraphTableTried = false
    /// The last plain list item a task item was grouped under, and its text without inline Markdown: one string
    /// shared by the items of a group. (A plain item's block is final once an item opens inside it.)
    var groupCache: (section: Int, block: Int, text: String)?

    init(path: String) { self.path = path }

    // MARK: Reading lines

    mutating func run(_ input: [UInt8]) {
        var start = 0
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { start = 3 }
        var lineNo = 0
        var i = start
        let n = input.count
        items.reserveCapacity(Self.checkboxCount(input, from: start))
        // One buffer for every line: nothing keeps a line's bytes after `process`, so it is reused, not reallocated.
        var buffer: [UInt8] = []
        while i < n {
            var j = i
            while j < n, input[j] != LF, input[j] != CR { j += 1 }
            lineNo += 1
            buffer.removeAll(keepingCapacity: true)
            decode(input[i..<j], line: lineNo, into: &buffer)
            process(buffer, number: lineNo, bomBefore: lineNo == 1 && start == 3)
            if j < n, input[j] == CR, j + 1 < n, input[j + 1] == LF { j += 1 }
            i = j + 1
        }
        lineCount = lineNo
        closeAll()
    }

    /// `[ ]`, `[x]` and `[X]` in the input: at least one on every task item's line, so an upper bound on the items.
    /// Reserving it spares the item array its growth copies (each briefly holding the old and the new array).
    static func checkboxCount(_ input: [UInt8], from start: Int) -> Int {
        var count = 0
        var k = start
        let n = input.count
        while k + 2 < n {
            if input[k] == LBR, input[k + 2] == RBR, input[k + 1] == SP || input[k + 1] | 0x20 == 0x78 {
                count += 1
                k += 3
            } else {
                k += 1
            }
        }
        // A task item's line takes at least 7 bytes ("- [ ] " and its end): the bound for text full of boxes.
        return min(count, n / 7 + 1)
    }

    // MARK: One line

    mutating func process(_ raw: [UInt8], number: Int, bomBefore: Bool = false) {
        var line = Line(b: expandTabs(raw), number: number)
        var openedItem = false
        var pos = 0
        var matched = 0

        // Phase 1: which open containers does this line continue?
        for c in containers.indices {
            let container = containers[c]
            if container.kind == .quote {
                let ind = line.nonSpace(from: pos) - pos
                if ind <= 3, line[pos + ind] == GT {
                    pos += ind + 1
                    if line[pos] == SP { pos += 1 }
                    matched += 1
                } else { break }
            } else {
                let next = line.nonSpace(from: pos)
                if next >= line.b.count {
                    if container.startedBlank && !container.hasContent { break }
                    matched += 1
                } else if next - pos >= container.width {
                    pos += container.width
                    matched += 1
                } else { break }
            }
        }
        let allMatched = matched == containers.count

        // Leaves that swallow lines whole.
        if allMatched {
            switch leaf {
            case .fence(let ch, let count, _):
                if isClosingFence(line, from: pos, char: ch, count: count) { leaf = .none }
                return
            case .html(let end, _):
                if end == .blank {
                    if line.isBlank(from: pos) { leaf = .none } else { return }
                } else {
                    if htmlEnds(line, from: pos, end) { leaf = .none }
                    return
                }
            case .indentedCode:
                if line.isBlank(from: pos) || line.spaces(from: pos) >= 4 { return }
                leaf = .none
            default: break
            }
        }

        // Phase 2: new block starts.
        var closedUnmatched = allMatched
        var openedNew = false
        func paragraphOpen(_ leaf: Leaf) -> Bool { if case .paragraph = leaf { return true }; return false }

        while true {
            let ind = line.nonSpace(from: pos) - pos
            let first = pos + ind
            let blank = first >= line.b.count

            if blank {
                if !closedUnmatched { closeContainers(from: matched) }
                closeLeaf()
                if let last = containers.indices.last, containers[last].kind == .item, openedNew {
                    containers[last].startedBlank = true
                }
                return
            }

            let canLazy = paragraphOpen(leaf) && !openedNew
            if ind >= 4 {
                if canLazy { break } // paragraph continuation (indented code cannot interrupt a paragraph)
                startBlock(&closedUnmatched, matched)
                leaf = .indentedCode
                markContent()
                return
            }
            let c = line[first]

            // Setext underline turns the open paragraph (same container) into a heading.
            if paragraphOpen(leaf), allMatched, !openedNew, c == EQUALS || c == DASH,
               isSetextUnderline(line, from: first, char: c) {
                setextHeading(level: c == EQUALS ? 1 : 2, line: number)
                return
            }
            // Table delimiter row under a paragraph: its last line is the header row (as cmark-gfm reads it, the
            // lines before stay a paragraph). Tables come last in cmark-gfm: `- |-|-` is a list item. A paragraph
            // whose header did not fit a delimiter row once is never a table (cmark-gfm tries each paragraph once).
            if case .paragraph(let owner, let lines) = leaf, allMatched, !openedNew, !paragraphTableTried,
               let header = paragraphLines.last, listMarker(line, at: first) == nil,
               let cols = delimiterRow(line, from: first) {
                if splitCells(header).count == cols {
                    startTable(header: header, columns: cols, owner: owner, line: number - 1, paragraphLines: lines)
                    return
                }
                paragraphTableTried = true
            }
            if c == GT {
                startBlock(&closedUnmatched, matched)
                // `- >5% error rate for >10 minutes`: Markdown reads a quote inside the item, but the bullet's text
                // as written is what later readers (rollback triggers) need.
                if openedNew, let last = containers.indices.last, containers[last].kind == .item,
                   !containers[last].hasContent, containers[last].task == nil {
                    let depth = containers.reduce(0) { $0 + ($1.kind == .item ? 1 : 0) } - 1
                    sections[current].blocks.append(.bullet(line: number, depth: depth, ordered: false, text: line.text(first).trimmingSpaces()))
                    containers[last].plain = (current, sections[current].blocks.count - 1)
                    containers[last].hasContent = true
                }
                markContent() // a quote inside a list item is that item's content
                containers.append(Container(kind: .quote))
                openedNew = true
                pos = first + 1
                if line[pos] == SP { pos += 1 }
                continue
            }
            if (c == STAR || c == DASH || c == UNDERSCORE), line.isThematicBreak(from: first) {
                startBlock(&closedUnmatched, matched)
                return
            }
            if let marker = listMarker(line, at: first) {
                let afterMarker = line.nonSpace(from: marker.end)
                let restBlank = afterMarker >= line.b.count
                // As cmark does: only a paragraph in the deepest matched container can be interrupted.
                let interrupting = paragraphOpen(leaf) && allMatched && !openedNew
                if !(interrupting && (restBlank || (marker.ordered && marker.number != 1))) {
                    startBlock(&closedUnmatched, matched)
                    let after = afterMarker - marker.end
                    var item = Container(kind: .item)
                    if restBlank {
                        item.width = marker.end - pos + 1
                        item.startedBlank = true
                        pos = line.b.count
                    } else if after >= 5 {
                        item.width = marker.end - pos + 1
                        pos = marker.end + 1
                    } else {
                        item.width = marker.end - pos + after
                        pos = marker.end + after
                    }
                    markContent() // a list inside a list item is that item's content
                    containers.append(item)
                    // GitHub's tasklist extension decides when an item opens, from the whole physical line;
                    // only the first item opened on a line qualifies, and not when its content is indented code.
                    if !openedItem, !bomBefore, after < 5, !restBlank, let task = taskLine(raw) {
                        openTask(task, line: number)
                        // cmark-gfm's tasklist extension consumes the checkbox: with only spaces after it the item
                        // has no content yet, like one that starts blank (a blank line ends it, a lazy line does not
                        // continue it, a list after it interrupts no paragraph).
                        if line.isBlank(from: pos + 3) {
                            containers[containers.count - 1].startedBlank = true
                            return
                        }
                    }
                    openedItem = true
                    openedNew = true
                    continue
                }
            }
            if c == HASH, let h = atxHeading(line, from: first) {
                startBlock(&closedUnmatched, matched)
                if containers.isEmpty {
                    openSection(level: h.level, title: h.title, line: number)
                } else {
                    markContent()
                }
                return
            }
            if c == BACKTICK || c == TILDE, let f = fenceOpen(line, from: first) {
                startBlock(&closedUnmatched, matched)
                leaf = .fence(char: c, count: f, line: number)
                markContent()
                return
            }
            if c == LT, let end = htmlStart(line, from: first, canInterrupt: !(paragraphOpen(leaf) && allMatched && !openedNew)) {
                startBlock(&closedUnmatched, matched)
                markContent()
                if end != .blank, htmlEnds(line, from: first, end) { return }
                leaf = .html(end: end, line: number)
                return
            }
            break
        }

        // Text: continue the open paragraph (possibly lazily) or start a new one.
        let first = pos + line.spaces(from: pos)
        if case .paragraph(let owner, let lines) = leaf, !openedNew {
            appendParagraph(owner: owner, text: line.text(first))
            leaf = .paragraph(owner: owner, lines: lines + 1)
            return
        }
        if case .table(let s, let blk, let cols) = leaf, allMatched, !openedNew {
            appendTableRow(section: s, block: blk, columns: cols, text: line.text(first))
            return
        }
        if !closedUnmatched { closeContainers(from: matched) }
        closeLeaf()
        startParagraph(line, from: first)
    }
}
