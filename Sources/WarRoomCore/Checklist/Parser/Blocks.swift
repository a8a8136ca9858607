// Opening and closing blocks as lines arrive: containers, paragraphs (and who owns their text), setext headings,
// sections, tables, task items and their ancestry.
extension Parser {
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
        paragraphTableTried = false
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
        paragraphTableTried = false
        let text = line.text(first)
        var owner = Owner.none
        if let last = containers.indices.last, containers[last].kind == .item, !containers[last].hasContent {
            if let idx = containers[last].task {
                owner = .task(idx)
                // An item that had only its checkbox: its first paragraph, on a later line, is its text.
                if items[idx].line != line.number { items[idx].text = text.trimmingSpaces() }
                markContent()
                paragraphLines.removeAll(keepingCapacity: true)
                paragraphLines.append(text)
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
        paragraphLines.removeAll(keepingCapacity: true)
        paragraphLines.append(text)
        leaf = .paragraph(owner: owner, lines: 1)
    }

    /// Stands in for a block while its payload is extended outside the array, so the payload is not shared (and
    /// each appended line or row does not copy everything before it).
    static let placeholder = Block.text(line: 0, text: "")

    mutating func appendParagraph(owner: Owner, text: String) {
        paragraphLines.append(text)
        let add = text.trimmingSpaces()
        guard !add.isEmpty else { return }
        switch owner {
        case .task(let i): items[i].text += " " + add
        case .plain(let s, let b):
            if case .bullet(let l, let d, let o, var t) = sections[s].blocks[b] {
                sections[s].blocks[b] = Self.placeholder // the text is now only in `t`: appending does not copy it
                t += " "
                t += add
                sections[s].blocks[b] = .bullet(line: l, depth: d, ordered: o, text: t)
            }
        case .text(let s, let b):
            if case .text(let l, var t) = sections[s].blocks[b] {
                sections[s].blocks[b] = Self.placeholder
                t += " "
                t += add
                sections[s].blocks[b] = .text(line: l, text: t)
            }
        case .heading, .none: break
        }
    }

    mutating func openTask(_ task: (checked: Bool, text: String), line: Int) {
        let idx = items.count
        let (parent, depth, group) = ancestry()
        // ID, title, detail and [P] are read from the whole text (continuation lines too) by finish().
        items.append(Item(id: "", taskID: nil, line: line, section: current, parent: parent, depth: depth,
                          text: task.text, title: "", detail: nil, parallel: false, checked: task.checked, group: group))
        sections[current].items.append(idx)
        containers[containers.count - 1].task = idx
    }

    /// Parent task item, depth among task items, and the nearest plain list item's text.
    mutating func ancestry() -> (Int?, Int, String?) {
        var parent: Int?
        var depth = 0
        var group: String?
        var ci = containers.count - 1
        while ci > 0 {
            ci -= 1
            guard containers[ci].kind == .item else { continue }
            if let t = containers[ci].task {
                if parent == nil { parent = t }
                depth += 1
            } else if parent == nil, group == nil, let p = containers[ci].plain {
                if let g = groupCache, g.section == p.section, g.block == p.block {
                    group = g.text
                } else if case .bullet(_, _, _, let text) = sections[p.section].blocks[p.block] {
                    let g = plainInline(text)
                    groupCache = (p.section, p.block, g)
                    group = g
                }
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

    /// `paragraphLines`: the lines of the paragraph whose last line is the header row. A one-line paragraph was
    /// only the header; a longer one keeps its other lines, and its owner loses the header's text.
    mutating func startTable(header: String, columns: Int, owner: Owner, line: Int, paragraphLines lines: Int) {
        var section = current
        if lines > 1 {
            dropParagraphLine(owner: owner, text: header)
        } else {
            switch owner {
            case .text(let s, let b) where b == sections[s].blocks.count - 1:
                sections[s].blocks.removeLast(); section = s
            case .plain(let s, let b) where b == sections[s].blocks.count - 1:
                sections[s].blocks.removeLast(); section = s
                if let last = containers.indices.last { containers[last].plain = nil }
            default: break
            }
        }
        sections[section].blocks.append(.table(line: line, header: splitCells(header), rows: []))
        leaf = .table(section: section, block: sections[section].blocks.count - 1, columns: columns)
        paragraphLines.removeAll()
    }

    /// Takes back what `appendParagraph` added for the paragraph's last line.
    mutating func dropParagraphLine(owner: Owner, text: String) {
        let add = text.trimmingSpaces()
        guard !add.isEmpty else { return }
        let suffix = " " + add
        func dropped(_ t: String) -> String { t.hasSuffix(suffix) ? String(t.dropLast(suffix.count)) : t }
        switch owner {
        case .task(let i): items[i].text = dropped(items[i].text)
        case .plain(let s, let b):
            if case .bullet(let l, let d, let o, let t) = sections[s].blocks[b] {
                sections[s].blocks[b] = .bullet(line: l, depth: d, ordered: o, text: dropped(t))
            }
        case .text(let s, let b):
            if case .text(let l, let t) = sections[s].blocks[b] { sections[s].blocks[b] = .text(line: l, text: dropped(t)) }
        case .heading, .none: break
        }
    }

    mutating func appendTableRow(section: Int, block: Int, columns: Int, text: String) {
        guard case .table(let l, let h, var rows) = sections[section].blocks[block] else { return }
        sections[section].blocks[block] = Self.placeholder // the rows are now only in `rows`: appending does not copy them
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
}
