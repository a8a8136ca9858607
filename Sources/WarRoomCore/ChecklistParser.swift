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

// MARK: - Line scanning helpers

private let SP: UInt8 = 0x20, TAB: UInt8 = 0x09, LF: UInt8 = 0x0A, CR: UInt8 = 0x0D
private let HASH: UInt8 = 0x23, GT: UInt8 = 0x3E, LT: UInt8 = 0x3C, LBR: UInt8 = 0x5B, RBR: UInt8 = 0x5D
private let STAR: UInt8 = 0x2A, DASH: UInt8 = 0x2D, PLUS: UInt8 = 0x2B, UNDERSCORE: UInt8 = 0x5F
private let BACKTICK: UInt8 = 0x60, TILDE: UInt8 = 0x7E, EQUALS: UInt8 = 0x3D, PIPE: UInt8 = 0x7C
private let DOT: UInt8 = 0x2E, RPAREN: UInt8 = 0x29, BACKSLASH: UInt8 = 0x5C, COLON: UInt8 = 0x3A

@inline(__always) private func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
@inline(__always) private func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A }

/// Expands tabs to spaces (tab stops of 4, as CommonMark does for block structure).
private func expandTabs(_ line: [UInt8]) -> [UInt8] {
    guard line.contains(TAB) else { return line }
    var out: [UInt8] = []
    out.reserveCapacity(line.count + 8)
    var col = 0
    for c in line {
        if c == TAB {
            let n = 4 - (col % 4)
            for _ in 0..<n { out.append(SP) }
            col += n
        } else {
            out.append(c)
            // Continuation bytes of UTF-8 do not advance the column.
            if c & 0xC0 != 0x80 { col += 1 }
        }
    }
    return out
}

private struct Line {
    var b: [UInt8]
    var number: Int
    /// Memo for `nonSpace(from:)`: every byte in cacheFrom..<cacheResult is a space.
    var cacheFrom = Int.max
    var cacheResult = -1

    init(b: [UInt8], number: Int) {
        self.b = b
        self.number = number
    }

    /// Memo for `isThematicBreak`: a scan for `breakChar` starting at or after breakFrom fails at breakFail.
    var breakChar: UInt8 = 0
    var breakFrom = Int.max
    var breakFail = -1

    /// `***`, `- - -`, `___` from `i` to the end of the line (also amortised linear).
    mutating func isThematicBreak(from i: Int) -> Bool {
        let ch = b[i]
        if ch == breakChar, i >= breakFrom, i < breakFail { return false }
        var count = 0
        var j = i
        while j < b.count {
            let c = b[j]
            if c == ch { count += 1 } else if c != SP {
                breakChar = ch; breakFrom = i; breakFail = j
                return false
            }
            j += 1
        }
        return count >= 3
    }

    /// The first non-space index at or after `from` (b.count if none). Amortised linear over a line however
    /// many containers ask, so deep nesting cannot make matching quadratic.
    mutating func nonSpace(from: Int) -> Int {
        if from >= cacheFrom, from <= cacheResult { return cacheResult }
        var j = from
        while j < b.count, b[j] == SP { j += 1 }
        cacheFrom = from
        cacheResult = j
        return j
    }

    func spaces(from i: Int) -> Int {
        var j = i
        while j < b.count, b[j] == SP { j += 1 }
        return j - i
    }

    func isBlank(from i: Int) -> Bool {
        var j = i
        while j < b.count { if b[j] != SP { return false }; j += 1 }
        return true
    }

    func text(_ from: Int, _ to: Int? = nil) -> String {
        let end = to ?? b.count
        guard from < end else { return "" }
        return String(decoding: b[from..<end], as: UTF8.self)
    }

    subscript(i: Int) -> UInt8 { i < b.count ? b[i] : 0 }
}

// MARK: - The parser

private struct Container {
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

private enum Leaf {
    case none
    case paragraph(owner: Owner, lines: Int)
    case fence(char: UInt8, count: Int, line: Int)
    case indentedCode
    case html(end: HTMLEnd, line: Int)
    case table(section: Int, block: Int, columns: Int)
}

/// Who the open paragraph's text belongs to (continuation lines are appended there).
private enum Owner {
    case task(Int)
    case plain(section: Int, block: Int)
    case text(section: Int, block: Int)
    case heading(section: Int) // a paragraph that may still become a setext heading: nothing to own
    case none
}

private enum HTMLEnd { case tag([UInt8]), comment, processing, declaration, cdata, blank }

private struct RawItem {
    var line: Int
    var section: Int
    var parent: Int?
    var depth: Int
    var text: String
    var checked: Bool
    var group: String?
}

private struct Parser {
    let path: String
    var diagnostics: [Diagnostic] = []
    var sections: [Section] = [Section(index: 0, parent: nil, level: 0, title: "", line: 0, path: [])]
    var current = 0
    var items: [RawItem] = []
    var containers: [Container] = []
    var leaf: Leaf = .none
    var lineCount = 0
    var invalidUTF8Lines = 0
    var mojibakeLines = 0
    var firstMojibakeLine = 0
    var paragraphLines: [String] = [] // pending paragraph text, for a possible setext heading

    init(path: String) { self.path = path }

    // MARK: Reading lines

    mutating func run(_ input: [UInt8]) {
        var start = 0
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF { start = 3 }
        var lineNo = 0
        var i = start
        let n = input.count
        while i < n {
            var j = i
            while j < n, input[j] != LF, input[j] != CR { j += 1 }
            lineNo += 1
            process(decode(input[i..<j], line: lineNo), number: lineNo, bomBefore: lineNo == 1 && start == 3)
            if j < n, input[j] == CR, j + 1 < n, input[j + 1] == LF { j += 1 }
            i = j + 1
        }
        lineCount = lineNo
        closeAll()
    }

    mutating func decode(_ raw: ArraySlice<UInt8>, line: Int) -> [UInt8] {
        var ascii = true
        var nul = false
        for c in raw where c >= 0x80 || c == 0 { if c == 0 { nul = true } else { ascii = false } }
        // NUL becomes U+FFFD, as cmark does.
        if nul { return decode(ArraySlice(raw.flatMap { $0 == 0 ? [0xEF, 0xBF, 0xBD] : [$0] }), line: line) }
        if ascii { return Array(raw) }
        if let s = String(validating: raw, as: UTF8.self) {
            if looksDoubleEncoded(s) {
                mojibakeLines += 1
                if firstMojibakeLine == 0 { firstMojibakeLine = line }
            }
            return Array(raw)
        }
        invalidUTF8Lines += 1
        if invalidUTF8Lines <= 20 {
            diagnostics.append(Diagnostic(.warning, line: line, "invalid UTF-8 replaced with U+FFFD"))
        }
        return Array(String(decoding: raw, as: UTF8.self).utf8)
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
            // Table delimiter row under a one-line paragraph.
            if case .paragraph(let owner, let lines) = leaf, lines == 1, allMatched, !openedNew,
               let header = paragraphLines.first, let cols = delimiterRow(line, from: first),
               splitCells(header).count == cols {
                startTable(header: header, columns: cols, owner: owner, line: number - 1)
                return
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

    // MARK: Blocks

    /// A new block begins: close containers this line did not continue, then the open leaf.
    mutating func startBlock(_ closedUnmatched: inout Bool, _ matched: Int) {
        if !closedUnmatched {
            closeContainers(from: matched)
            closedUnmatched = true
        }
        closeLeaf()
    }

    mutating func closeContainers(from index: Int) {
        if containers.count > index {
            closeLeaf()
            containers.removeSubrange(index...)
        }
    }

    mutating func closeLeaf() {
        leaf = .none
        paragraphLines.removeAll(keepingCapacity: true)
    }

    mutating func closeAll() {
        switch leaf {
        case .fence(_, _, let line):
            diagnostics.append(Diagnostic(.warning, line: line,
                "fenced code block is never closed: everything after it is code, not checklist items"))
        case .html(let end, let line) where end == .comment:
            diagnostics.append(Diagnostic(.warning, line: line,
                "HTML comment is never closed (missing -->): everything after it is hidden"))
        default: break
        }
        closeLeaf()
        containers.removeAll()
    }

    mutating func markContent() {
        if let last = containers.indices.last { containers[last].hasContent = true }
    }

    mutating func startParagraph(_ line: Line, from first: Int) {
        let text = line.text(first)
        var owner = Owner.none
        if let last = containers.indices.last, containers[last].kind == .item, !containers[last].hasContent {
            if let idx = containers[last].task {
                owner = .task(idx)
                markContent()
                paragraphLines = [text]
                leaf = .paragraph(owner: owner, lines: 1)
                return
            } else {
                warnIfAlmostTask(line, at: first)
                let depth = containers.reduce(0) { $0 + ($1.kind == .item ? 1 : 0) } - 1
                sections[current].blocks.append(.bullet(line: line.number, depth: depth, ordered: false, text: text))
                let blk = sections[current].blocks.count - 1
                containers[last].plain = (current, blk)
                owner = .plain(section: current, block: blk)
            }
        } else {
            warnIfAlmostTask(line, at: first)
            if containers.isEmpty {
                sections[current].blocks.append(.text(line: line.number, text: text))
                owner = .text(section: current, block: sections[current].blocks.count - 1)
            }
        }
        markContent()
        paragraphLines = [text]
        leaf = .paragraph(owner: owner, lines: 1)
    }

    mutating func appendParagraph(owner: Owner, text: String) {
        paragraphLines.append(text)
        let add = text.trimmingSpaces()
        guard !add.isEmpty else { return }
        switch owner {
        case .task(let i): items[i].text += " " + add
        case .plain(let s, let b):
            if case .bullet(let l, let d, let o, let t) = sections[s].blocks[b] {
                sections[s].blocks[b] = .bullet(line: l, depth: d, ordered: o, text: t + " " + add)
            }
        case .text(let s, let b):
            if case .text(let l, let t) = sections[s].blocks[b] {
                sections[s].blocks[b] = .text(line: l, text: t + " " + add)
            }
        case .heading, .none: break
        }
    }

    mutating func openTask(_ task: (checked: Bool, text: String), line: Int) {
        let idx = items.count
        let (parent, depth, group) = ancestry()
        items.append(RawItem(line: line, section: current, parent: parent, depth: depth,
                             text: task.text, checked: task.checked, group: group))
        sections[current].items.append(idx)
        containers[containers.count - 1].task = idx
    }

    /// Parent task item, depth among task items, and the nearest plain list item's text.
    func ancestry() -> (Int?, Int, String?) {
        var parent: Int?
        var depth = 0
        var group: String?
        for c in containers.dropLast().reversed() where c.kind == .item {
            if let t = c.task {
                if parent == nil { parent = t }
                depth += 1
            } else if parent == nil, group == nil, let p = c.plain,
                      case .bullet(_, _, _, let text) = sections[p.section].blocks[p.block] {
                group = plainInline(text)
            }
        }
        return (parent, depth, group)
    }

    mutating func setextHeading(level: Int, line: Int) {
        let title = paragraphLines.map { $0.trimmingSpaces() }.joined(separator: " ")
        let startLine = line - paragraphLines.count
        // The paragraph was recorded as text or as a task/plain item's first paragraph; it is a heading instead.
        if case .paragraph(let owner, _) = leaf {
            switch owner {
            case .text(let s, let b) where b == sections[s].blocks.count - 1:
                sections[s].blocks.removeLast()
            case .plain(let s, let b) where b == sections[s].blocks.count - 1:
                sections[s].blocks.removeLast()
                if let last = containers.indices.last { containers[last].plain = nil }
            default: break
            }
        }
        leaf = .none
        paragraphLines.removeAll()
        if containers.isEmpty { openSection(level: level, title: title, line: max(1, startLine)) }
    }

    mutating func openSection(level: Int, title: String, line: Int) {
        var parent = current
        while parent != 0, sections[parent].level >= level { parent = sections[parent].parent ?? 0 }
        let clean = plainInline(title)
        var s = Section(index: sections.count, parent: parent, level: level, title: clean, line: line,
                        path: sections[parent].path + [clean])
        s.offsetMinutes = missionOffset(clean)
        sections[parent].children.append(s.index)
        sections.append(s)
        current = s.index
    }

    mutating func startTable(header: String, columns: Int, owner: Owner, line: Int) {
        var section = current
        switch owner {
        case .text(let s, let b) where b == sections[s].blocks.count - 1:
            sections[s].blocks.removeLast(); section = s
        case .plain(let s, let b) where b == sections[s].blocks.count - 1:
            sections[s].blocks.removeLast(); section = s
            if let last = containers.indices.last { containers[last].plain = nil }
        default: break
        }
        sections[section].blocks.append(.table(line: line, header: splitCells(header), rows: []))
        leaf = .table(section: section, block: sections[section].blocks.count - 1, columns: columns)
        paragraphLines.removeAll()
    }

    mutating func appendTableRow(section: Int, block: Int, columns: Int, text: String) {
        guard case .table(let l, let h, var rows) = sections[section].blocks[block] else { return }
        var cells = splitCells(text)
        if cells.count > columns { cells.removeLast(cells.count - columns) }
        while cells.count < columns { cells.append("") }
        rows.append(cells)
        sections[section].blocks[block] = .table(line: l, header: h, rows: rows)
    }

    mutating func warnIfAlmostTask(_ line: Line, at i: Int) {
        // `[] x`, `[ ]x`, `[x]x` at the start of a list item or paragraph: GitHub shows no checkbox.
        guard line[i] == LBR else { return }
        let a = line[i + 1], b = line[i + 2], c = line[i + 3]
        let almost = (a == RBR) || ((a == SP || a == 0x78 || a == 0x58) && b == RBR && c != SP && c != 0 && c != 0x28 && c != COLON)
        guard almost, !containers.isEmpty, containers.last?.kind == .item else { return }
        diagnostics.append(Diagnostic(.warning, line: line.number,
            "looks like a task item, but GitHub renders no checkbox here: write `- [ ] text`"))
    }

    // MARK: Finish: IDs, titles, diagnostics

    mutating func finish() -> Checklist {
        if mojibakeLines > 0 {
            diagnostics.append(Diagnostic(.warning, line: firstMojibakeLine,
                "text looks double-encoded (UTF-8 read as Windows-1252, e.g. \"ðŸ“‹\"); kept as written (\(mojibakeLines) line\(mojibakeLines == 1 ? "" : "s"))"))
        }
        if invalidUTF8Lines > 20 {
            diagnostics.append(Diagnostic(.warning, line: lineCount,
                "\(invalidUTF8Lines - 20) more lines with invalid UTF-8 not listed"))
        }
        if lineCount == 0 {
            diagnostics.append(Diagnostic(.error, line: 1, "file is empty: no checklist items"))
        } else if items.isEmpty {
            diagnostics.append(Diagnostic(.error, line: 1, "no checklist items: no `- [ ]` task item that GitHub would render"))
        }

        var result: [Item] = []
        result.reserveCapacity(items.count)
        // One map serves duplicate detection and becomes the checklist's ID index: ID → item index.
        var index: [String: Int] = [:]
        index.reserveCapacity(items.count)
        var sectionHashes: [UInt64?] = Array(repeating: nil, count: sections.count)
        let texts = items.map { ItemText($0.text) }
        // Derived IDs: section path + text. Items that share those (the same "Verify health" under two services)
        // also hash their context — the parent item's text, or the plain list item they sit under — so removing
        // one can never hand its state to the other. Only what is still identical falls back to an ordinal.
        var base: [String?] = Array(repeating: nil, count: items.count)
        var baseCount: [String: Int] = [:]
        for (k, raw) in items.enumerated() where texts[k].taskID == nil {
            let sh = sectionHashes[raw.section] ?? sectionPathHash(sections[raw.section].path)
            sectionHashes[raw.section] = sh
            let b = derivedID(sectionHash: sh, text: raw.text, title: texts[k].title)
            base[k] = b
            baseCount[b, default: 0] += 1
        }
        var firstLine: [String: Int] = [:]
        var derivedCount: [String: Int] = [:]
        for (k, raw) in items.enumerated() {
            let parsed = texts[k]
            var id: String
            if let t = parsed.taskID {
                id = t
                if let first = index[t] {
                    diagnostics.append(Diagnostic(.error, line: raw.line, "duplicate task ID \(t) (first at line \(items[first].line))"))
                    var n = 2
                    while index["\(t)-\(n)"] != nil { n += 1 }
                    id = "\(t)-\(n)"
                }
            } else {
                var b = base[k] ?? "item"
                if baseCount[b, default: 0] > 1, let context = raw.parent.map({ items[$0].text }) ?? raw.group {
                    b = derivedID(sectionHash: sectionHashes[raw.section] ?? 0, text: raw.text, title: parsed.title, context: context)
                }
                let n = (derivedCount[b] ?? 0) + 1
                derivedCount[b] = n
                id = n == 1 ? b : "\(b)-\(n)"
                if n == 1 { firstLine[b] = raw.line } else {
                    diagnostics.append(Diagnostic(.warning, line: raw.line,
                        "same item as line \(firstLine[b] ?? 0) (same section and text): its ID \(id) depends on its position; give it a task ID or different text"))
                }
            }
            index[id] = result.count
            result.append(Item(id: id, taskID: parsed.taskID, line: raw.line, section: raw.section, parent: raw.parent,
                               depth: raw.depth, text: raw.text, title: parsed.title, detail: parsed.detail,
                               parallel: parsed.parallel, checked: raw.checked, group: raw.group))
        }
        diagnostics.sort { ($0.line, $0.severity == .error ? 0 : 1) < ($1.line, $1.severity == .error ? 0 : 1) }
        return Checklist(path: path, sections: sections, items: result, diagnostics: diagnostics, lineCount: lineCount, index: index)
    }
}

// MARK: - Block recognisers

private struct ListMarker { var end: Int; var ordered: Bool; var number: Int }

private func listMarker(_ line: Line, at i: Int) -> ListMarker? {
    let c = line[i]
    if c == DASH || c == STAR || c == PLUS {
        let n = line[i + 1]
        guard n == SP || n == 0 else { return nil }
        return ListMarker(end: i + 1, ordered: false, number: 0)
    }
    guard isDigit(c) else { return nil }
    var j = i
    var value = 0
    while isDigit(line[j]), j - i < 9 { value = value * 10 + Int(line[j] - 0x30); j += 1 }
    guard j - i <= 9, line[j] == DOT || line[j] == RPAREN else { return nil }
    let n = line[j + 1]
    guard n == SP || n == 0 else { return nil }
    return ListMarker(end: j + 1, ordered: true, number: value)
}

/// GitHub's task-list test, applied to the whole physical line when a list item opens on it:
/// `^[ \t]*([-+*]|[0-9]+[.)])[ \t]+\[[ xX]\][ \t\v\f]`. Like cmark-gfm, any `[x]`/`[X]` on the line marks it done.
private func taskLine(_ raw: [UInt8]) -> (checked: Bool, text: String)? {
    var j = 0
    let n = raw.count
    while j < n, raw[j] == SP || raw[j] == TAB { j += 1 }
    guard j < n else { return nil }
    if raw[j] == DASH || raw[j] == PLUS || raw[j] == STAR {
        j += 1
    } else {
        let d = j
        while j < n, isDigit(raw[j]) { j += 1 }
        guard j > d, j < n, raw[j] == DOT || raw[j] == RPAREN else { return nil }
        j += 1
    }
    let ws = j
    while j < n, raw[j] == SP || raw[j] == TAB || raw[j] == 0x0B || raw[j] == 0x0C { j += 1 }
    guard j > ws, j + 3 < n, raw[j] == LBR, raw[j + 2] == RBR else { return nil }
    let m = raw[j + 1]
    guard m == SP || m == 0x78 || m == 0x58 else { return nil }
    let after = raw[j + 3]
    guard after == SP || after == TAB || after == 0x0B || after == 0x0C else { return nil }
    var checked = false
    var k = 0
    while k + 2 < n {
        if raw[k] == LBR, raw[k + 1] == 0x78 || raw[k + 1] == 0x58, raw[k + 2] == RBR { checked = true; break }
        k += 1
    }
    return (checked, String(decoding: raw[(j + 4)...], as: UTF8.self).trimmingSpaces())
}


private func isSetextUnderline(_ line: Line, from i: Int, char: UInt8) -> Bool {
    var j = i
    while j < line.b.count, line.b[j] == char { j += 1 }
    return line.isBlank(from: j)
}

private func atxHeading(_ line: Line, from i: Int) -> (level: Int, title: String)? {
    var j = i
    while line[j] == HASH { j += 1 }
    let level = j - i
    guard level >= 1, level <= 6, line[j] == SP || j >= line.b.count else { return nil }
    var end = line.b.count
    while end > j, line.b[end - 1] == SP { end -= 1 }
    // Optional closing sequence: spaces then #s.
    var k = end
    while k > j, line.b[k - 1] == HASH { k -= 1 }
    if k < end, k == j || line.b[k - 1] == SP { end = k }
    return (level, line.text(j, end).trimmingSpaces())
}

private func fenceOpen(_ line: Line, from i: Int) -> Int? {
    let ch = line[i]
    var j = i
    while line[j] == ch { j += 1 }
    let count = j - i
    guard count >= 3 else { return nil }
    if ch == BACKTICK, line.b[j...].contains(BACKTICK) { return nil }
    return count
}

private func isClosingFence(_ line: Line, from pos: Int, char: UInt8, count: Int) -> Bool {
    let ind = line.spaces(from: pos)
    guard ind <= 3 else { return false }
    var j = pos + ind
    while line[j] == char { j += 1 }
    return j - (pos + ind) >= count && line.isBlank(from: j)
}

private let htmlBlockTags: Set<String> = [
    "address", "article", "aside", "base", "basefont", "blockquote", "body", "caption", "center", "col",
    "colgroup", "dd", "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5", "h6", "head", "header", "hr",
    "html", "iframe", "legend", "li", "link", "main", "menu", "menuitem", "nav", "noframes", "ol",
    "optgroup", "option", "p", "param", "search", "section", "summary", "table", "tbody", "td", "tfoot",
    "th", "thead", "title", "tr", "track", "ul",
]

private func htmlStart(_ line: Line, from i: Int, canInterrupt: Bool) -> HTMLEnd? {
    let rest = Array(line.b[i...])
    func lower(_ k: Int) -> UInt8 { k < rest.count ? rest[k] | (isAlpha(rest[k]) ? 0x20 : 0) : 0 }
    func hasPrefix(_ s: String) -> Bool {
        let u = Array(s.utf8)
        guard rest.count >= u.count else { return false }
        for k in 0..<u.count where lower(k) != u[k] { return false }
        return true
    }
    for tag in ["script", "pre", "style", "textarea"] where hasPrefix("<" + tag) {
        let n = lower(tag.utf8.count + 1)
        if n == SP || n == GT || n == 0 { return .tag(Array("</\(tag)>".utf8)) }
    }
    if hasPrefix("<!--") { return .comment }
    if hasPrefix("<?") { return .processing }
    if hasPrefix("<![cdata[") { return .cdata }
    if rest.count > 2, rest[1] == 0x21, isAlpha(rest[2]) { return .declaration }
    // Type 6: known block tags.
    var k = 1
    if lower(k) == 0x2F { k += 1 }
    let nameStart = k
    while isAlpha(lower(k)) || isDigit(lower(k)) { k += 1 }
    if k > nameStart {
        let name = String(decoding: (nameStart..<k).map { lower($0) }, as: UTF8.self)
        let n = lower(k)
        if htmlBlockTags.contains(name), n == SP || n == GT || n == 0 || (n == 0x2F && lower(k + 1) == GT) {
            return .blank
        }
        // Type 7: a complete open or closing tag alone on the line; cannot interrupt a paragraph.
        // (`<https://…>` and `<oncall@example.com>` are autolinks, not tags.)
        if canInterrupt, name != "script", name != "style", name != "pre", name != "textarea",
           let end = completeTag(rest), rest[end...].allSatisfy({ $0 == SP }) {
            return .blank
        }
    }
    return nil
}

/// CommonMark's open tag (`<name attr="v" … />`) or closing tag (`</name >`) at the start of `t`:
/// the index just past its `>`, or nil.
private func completeTag(_ t: [UInt8]) -> Int? {
    func isNameChar(_ c: UInt8) -> Bool { isAlpha(c) || isDigit(c) || c == DASH }
    func isSpace(_ c: UInt8) -> Bool { c == SP || c == TAB || c == LF || c == CR }
    guard t.first == LT else { return nil }
    var k = 1
    let closing = k < t.count && t[k] == 0x2F
    if closing { k += 1 }
    guard k < t.count, isAlpha(t[k]) else { return nil }
    while k < t.count, isNameChar(t[k]) { k += 1 }
    if closing {
        while k < t.count, isSpace(t[k]) { k += 1 }
        return k < t.count && t[k] == GT ? k + 1 : nil
    }
    while true {
        let wsStart = k
        while k < t.count, isSpace(t[k]) { k += 1 }
        guard k < t.count else { return nil }
        if t[k] == GT { return k + 1 }
        if t[k] == 0x2F { return k + 1 < t.count && t[k + 1] == GT ? k + 2 : nil }
        // An attribute needs white space before it.
        guard k > wsStart, isAlpha(t[k]) || t[k] == UNDERSCORE || t[k] == COLON else { return nil }
        while k < t.count, isAlpha(t[k]) || isDigit(t[k]) || t[k] == UNDERSCORE || t[k] == DOT || t[k] == COLON || t[k] == DASH { k += 1 }
        var v = k
        while v < t.count, isSpace(t[v]) { v += 1 }
        guard v < t.count, t[v] == EQUALS else { continue }
        v += 1
        while v < t.count, isSpace(t[v]) { v += 1 }
        guard v < t.count else { return nil }
        if t[v] == 0x22 || t[v] == 0x27 {
            let q = t[v]
            v += 1
            while v < t.count, t[v] != q { v += 1 }
            guard v < t.count else { return nil }
            k = v + 1
        } else {
            let start = v
            while v < t.count, !isSpace(t[v]), ![0x22, 0x27, EQUALS, LT, GT, BACKTICK].contains(t[v]) { v += 1 }
            guard v > start else { return nil }
            k = v
        }
    }
}

private func htmlEnds(_ line: Line, from i: Int, _ end: HTMLEnd) -> Bool {
    let rest = line.b.count > i ? Array(line.b[i...]) : []
    func contains(_ needle: [UInt8], caseInsensitive: Bool) -> Bool {
        guard rest.count >= needle.count, !needle.isEmpty else { return false }
        outer: for s in 0...(rest.count - needle.count) {
            for k in 0..<needle.count {
                var a = rest[s + k]
                if caseInsensitive, isAlpha(a) { a |= 0x20 }
                if a != needle[k] { continue outer }
            }
            return true
        }
        return false
    }
    switch end {
    case .tag(let t): return contains(t, caseInsensitive: true)
    case .comment: return contains(Array("-->".utf8), caseInsensitive: false)
    case .processing: return contains(Array("?>".utf8), caseInsensitive: false)
    case .declaration: return rest.contains(GT)
    case .cdata: return contains(Array("]]>".utf8), caseInsensitive: false)
    case .blank: return false
    }
}

extension HTMLEnd: Equatable {}

/// A GFM table delimiter row (`| --- | :-: |`): returns its column count.
private func delimiterRow(_ line: Line, from i: Int) -> Int? {
    let cells = splitCells(line.text(i))
    guard !cells.isEmpty else { return nil }
    let text = line.text(i)
    guard text.contains("|") || cells.count == 1 else { return nil }
    for cell in cells {
        var u = Array(cell.utf8)
        guard !u.isEmpty else { return nil }
        if u.first == COLON { u.removeFirst() }
        if u.last == COLON { u.removeLast() }
        guard !u.isEmpty, u.allSatisfy({ $0 == DASH }) else { return nil }
    }
    if cells.count == 1, !text.contains("|") { return nil }
    return cells.count
}

/// Splits a table row on unescaped pipes, dropping the optional outer pipes.
func splitCells(_ row: String) -> [String] {
    var cells: [String] = []
    var cur: [UInt8] = []
    let u = Array(row.trimmingSpaces().utf8)
    var k = 0
    while k < u.count {
        let c = u[k]
        if c == BACKSLASH, k + 1 < u.count, u[k + 1] == PIPE {
            cur.append(PIPE); k += 2; continue
        }
        if c == PIPE {
            cells.append(String(decoding: cur, as: UTF8.self).trimmingSpaces())
            cur.removeAll()
        } else {
            cur.append(c)
        }
        k += 1
    }
    cells.append(String(decoding: cur, as: UTF8.self).trimmingSpaces())
    if u.first == PIPE, !cells.isEmpty { cells.removeFirst() }
    if u.last == PIPE, u.count > 1, !cells.isEmpty, u[u.count - 2] != BACKSLASH { cells.removeLast() }
    return cells
}

// MARK: - Item text: task ID, [P], bold lead

struct ItemText {
    var taskID: String?
    var parallel = false
    var title: String
    var detail: String?

    init(_ text: String) {
        let u = Array(text.utf8)
        var a = 0, b = u.count
        while a < b, u[a] == SP || u[a] == TAB { a += 1 }
        while b > a, u[b - 1] == SP || u[b - 1] == TAB { b -= 1 }
        // Leading task ID: T1137, T1180a, CHK012 — followed by space, ':' or end.
        if let n = ItemText.leadingTaskID(u, a, b) {
            taskID = String(decoding: u[a..<(a + n)], as: UTF8.self)
            a += n
            if a < b, u[a] == COLON { a += 1 }
            while a < b, u[a] == SP { a += 1 }
        }
        if b - a >= 3, u[a] == LBR, u[a + 1] == 0x50, u[a + 2] == RBR { // [P]
            parallel = true
            a += 3
            while a < b, u[a] == SP { a += 1 }
        }
        if b - a >= 4, (u[a] == STAR && u[a + 1] == STAR) || (u[a] == UNDERSCORE && u[a + 1] == UNDERSCORE) {
            let d = u[a]
            var close = a + 3
            while close + 1 < b, !(u[close] == d && u[close + 1] == d) { close += 1 }
            if close + 1 < b {
                var ls = a + 2, le = close
                while ls < le, u[ls] == SP { ls += 1 }
                while le > ls, u[le - 1] == SP { le -= 1 }
                if le > ls, u[le - 1] == COLON { le -= 1 }
                var rs = close + 2
                while rs < b, u[rs] == SP { rs += 1 }
                if rs < b, u[rs] == COLON { rs += 1; while rs < b, u[rs] == SP { rs += 1 } }
                if rs + 1 < b, u[rs] == DASH, u[rs + 1] == SP { rs += 2 }
                else if rs + 3 < b, u[rs] == 0xE2, u[rs + 1] == 0x80, u[rs + 2] == 0x94 || u[rs + 2] == 0x93, u[rs + 3] == SP {
                    rs += 4 // "— " or "– "
                }
                title = plainInline(u[ls..<le])
                let dtl = plainInline(u[rs..<b])
                detail = dtl.isEmpty ? nil : dtl
                return
            }
        }
        title = plainInline(u[a..<b])
    }

    init(_ text: Substring) { self.init(String(text)) }

    /// Length of a leading task ID (`T1137`, `T1180a`, `CHK012`) in `u[a..<b]`, if there is one.
    static func leadingTaskID(_ u: [UInt8], _ a: Int, _ b: Int) -> Int? {
        var j = a
        if b - a >= 4, u[a] == 0x43, u[a + 1] == 0x48, u[a + 2] == 0x4B { j += 3 } // CHK
        else if a < b, u[a] == 0x54 { j += 1 } // T
        else { return nil }
        let digitsStart = j
        while j < b, isDigit(u[j]) { j += 1 }
        guard j > digitsStart, j - digitsStart <= 6 else { return nil }
        if j < b, u[j] >= 0x61, u[j] <= 0x7A { j += 1 }
        guard j == b || u[j] == SP || u[j] == COLON else { return nil }
        return j - a
    }
}

/// Inline Markdown reduced to what a person reads: emphasis markers, code ticks and escapes removed.
func plainInline(_ s: String) -> String { plainInline(Array(s.utf8)[...]) }

func plainInline(_ u: ArraySlice<UInt8>) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(u.count)
    var k = u.startIndex
    while k < u.endIndex {
        let c = u[k]
        if c == BACKSLASH, k + 1 < u.endIndex, u[k + 1] < 0x80, !isAlpha(u[k + 1]), !isDigit(u[k + 1]), u[k + 1] != SP {
            out.append(u[k + 1]); k += 2; continue
        }
        if c == STAR || c == BACKTICK { k += 1; continue }
        if c == UNDERSCORE, k + 1 < u.endIndex, u[k + 1] == UNDERSCORE {
            var e = k
            while e < u.endIndex, u[e] == UNDERSCORE { e += 1 }
            // "__bold__" markers go; long "_____" blanks (signature lines) stay.
            if e - k == 2 { k = e; continue }
            out.append(contentsOf: u[k..<e]); k = e; continue
        }
        if c == SP || c == TAB {
            if !out.isEmpty, out.last != SP { out.append(SP) }
            k += 1
            continue
        }
        out.append(c)
        k += 1
    }
    if out.last == SP { out.removeLast() }
    return String(decoding: out, as: UTF8.self)
}

// MARK: - Stable IDs

/// `kubernetes-cluster-3fa2c1`: a readable slug of the title plus a short hash of section path and text.
/// Editing one item changes only that item's ID; true duplicates get `-2`, `-3` in document order.
func derivedID(sectionPath: [String], text: String, title: String) -> String {
    derivedID(sectionHash: sectionPathHash(sectionPath), text: text, title: title)
}

private let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
private let fnvPrime: UInt64 = 0x100_0000_01b3

/// FNV-1a over the section titles (each followed by 0x1F); computed once per section.
func sectionPathHash(_ path: [String]) -> UInt64 {
    var h = fnvOffset
    for part in path {
        for b in part.utf8 { h ^= UInt64(b); h = h &* fnvPrime }
        h ^= 0x1F; h = h &* fnvPrime
    }
    return h
}

func derivedID(sectionHash: UInt64, text: String, title: String, context: String? = nil) -> String {
    var slug: [UInt8] = []
    slug.reserveCapacity(32)
    var words = 0
    var inWord = false
    for c in title.utf8 {
        if isAlpha(c) || isDigit(c) {
            if !inWord {
                if words == 4 || slug.count > 28 { break }
                if words > 0 { slug.append(DASH) }
                words += 1
                inWord = true
            }
            slug.append(c | (isAlpha(c) ? 0x20 : 0))
        } else {
            inWord = false
        }
    }
    if slug.isEmpty { slug = Array("item".utf8) }
    // Hash the text with runs of spaces and tabs folded to one space and the ends trimmed.
    var h = sectionHash
    h ^= 0x1E; h = h &* fnvPrime
    var pendingSpace = false
    var started = false
    for b in text.utf8 {
        if b == SP || b == TAB {
            pendingSpace = started
            continue
        }
        if pendingSpace { h ^= UInt64(SP); h = h &* fnvPrime; pendingSpace = false }
        h ^= UInt64(b); h = h &* fnvPrime
        started = true
    }
    if let context {
        h ^= 0x1D; h = h &* fnvPrime
        for b in context.utf8 { h ^= UInt64(b); h = h &* fnvPrime }
    }
    let top = h >> 40
    let hexDigits = Array("0123456789abcdef".utf8)
    slug.append(DASH)
    for shift in stride(from: 20, through: 0, by: -4) { slug.append(hexDigits[Int((top >> UInt64(shift)) & 0xF)]) }
    return String(decoding: slug, as: UTF8.self)
}

// MARK: - Mission-clock offsets in headings

/// "Pre-Deployment (T-30 min)" → -30; "PRE-DEPLOYMENT PHASE (T-24 Hours)" → -1440; "(T+1h to T+4h)" → 60.
func missionOffset(_ title: String) -> Int? {
    let u = Array(title.utf8)
    var k = 0
    while k + 2 < u.count {
        defer { k += 1 }
        guard u[k] == 0x54, k == 0 || !(isAlpha(u[k - 1]) || isDigit(u[k - 1])) else { continue }
        var j = k + 1
        var sign = 0
        if u[j] == PLUS { sign = 1; j += 1 } else if u[j] == DASH { sign = -1; j += 1 }
        else if j + 2 < u.count, u[j] == 0xE2, u[j + 1] == 0x88, u[j + 2] == 0x92 { sign = -1; j += 3 } // U+2212
        guard sign != 0, j < u.count, isDigit(u[j]) else { continue }
        var value = 0
        let digitsStart = j
        while j < u.count, isDigit(u[j]) {
            value = value * 10 + Int(u[j] - 0x30)
            j += 1
            if j - digitsStart > 6 { return nil } // no go-live is a million units away; and no overflow
        }
        if value == 0 { return 0 }
        // The unit follows this number, or the end of a range ("T+15 to T+60 min").
        let unit = unitMinutes(Array(u[j...]))
        return sign * value * unit
    }
    return nil
}

private func unitMinutes(_ rest: [UInt8]) -> Int {
    var k = 0
    while k < rest.count {
        if isAlpha(rest[k]) {
            var e = k
            while e < rest.count, isAlpha(rest[e]) { e += 1 }
            let w = String(decoding: rest[k..<e].map { $0 | 0x20 }, as: UTF8.self)
            switch w {
            case "m", "min", "mins", "minute", "minutes": return 1
            case "h", "hr", "hrs", "hour", "hours": return 60
            case "d", "day", "days": return 1440
            case "to": k = e; continue
            default: return 1
            }
        }
        k += 1
    }
    return 1
}

// MARK: - Mojibake

/// Characters that UTF-8 bytes 0x80–0xBF turn into when read as Windows-1252.
private let cp1252Continuation: Set<Unicode.Scalar> = {
    var s = Set<Unicode.Scalar>()
    for v in 0xA0...0xBF { s.insert(Unicode.Scalar(UInt32(v))!) }
    for v: UInt32 in [0x20AC, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
                      0x0152, 0x017D, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122,
                      0x0161, 0x203A, 0x0153, 0x017E, 0x0178] { s.insert(Unicode.Scalar(v)!) }
    return s
}()

/// `ðŸ“‹`, `âœ…`, `Ã©`: a UTF-8 lead byte's Latin-1 character followed by a continuation byte's.
private func looksDoubleEncoded(_ s: String) -> Bool {
    var prev: Unicode.Scalar?
    for sc in s.unicodeScalars {
        if let p = prev, (0xC2...0xF4).contains(p.value), cp1252Continuation.contains(sc) { return true }
        prev = sc
    }
    return false
}

extension String {
    func trimmingSpaces() -> String {
        let u = utf8
        guard let f = u.first, let l = u.last, f == SP || f == TAB || l == SP || l == TAB else { return self }
        var a = u.startIndex, b = u.endIndex
        while a < b, u[a] == SP || u[a] == TAB { a = u.index(after: a) }
        while b > a, u[u.index(before: b)] == SP || u[u.index(before: b)] == TAB { b = u.index(before: b) }
        return String(Substring(u[a..<b])) 
    }
}
