import WarRoomCore

/// Moving around the console: the cursor, panes, folding and search. None of it touches the run.
extension ConsoleState {
    /// Moves focus to the next pane the current layout draws (at 80×24 contacts and decisions are not shown).
    mutating func cycleFocus(by step: Int) {
        let layout = Layout(size)
        var p = focus
        for _ in Pane.allCases {
            p = Pane(rawValue: (p.rawValue + step) % Pane.allCases.count) ?? .checklist
            let drawn: Bool
            switch p {
            case .contacts: drawn = layout.contacts != nil
            case .decisions: drawn = layout.decisions != nil
            case .checklist, .rollback, .slo: drawn = true
            }
            if drawn { break }
        }
        focus = p
    }

    /// Lines in a non-checklist pane (for Home/End there).
    func paneLength() -> Int {
        switch focus {
        case .contacts: contacts.count
        case .decisions: run.decisions.count
        case .rollback: config.lights.count
        case .slo: config.slos.count
        case .checklist: 0
        }
    }

    mutating func move(by delta: Int) {
        if focus == .rollback {
            lightCursor = min(max(0, lightCursor + delta), max(0, config.lights.count - 1))
        } else if focus == .slo {
            sloCursor = min(max(0, sloCursor + delta), max(0, config.slos.count - 1))
        } else if focus == .checklist {
            guard !rows.isEmpty else { return }
            cursor = min(max(0, cursor + delta), rows.count - 1)
            clampScroll()
        } else {
            let length = paneLength()
            paneScroll[focus] = min(max(0, (paneScroll[focus] ?? 0) + delta), max(0, length - 1))
        }
    }

    mutating func fold(_ section: Int, _ fold: Bool) {
        if fold { collapsed.insert(section) } else { collapsed.remove(section) }
        if fold, case .item(let i) = selectedRow, checklist.items[i].section == section || isDescendant(checklist.items[i].section, of: section) {
            if let r = rows.firstIndex(of: .section(section)) { cursor = r }
        }
        rebuildRows()
    }

    func isDescendant(_ s: Int, of ancestor: Int) -> Bool {
        var p = checklist.sections[s].parent
        while let pi = p {
            if pi == ancestor { return true }
            p = checklist.sections[pi].parent
        }
        return false
    }

    // MARK: Search


    mutating func editSearch(_ q: String, _ key: Key) -> [ConsoleEffect] {
        switch key {
        case .escape:
            mode = .normal
            dismissMessage()
        case .enter:
            mode = .normal
            lastQuery = q
            if !q.isEmpty { reportMatches(q) }
        case .backspace:
            let nq = String(q.dropLast())
            mode = .search(nq)
            if !nq.isEmpty { jumpToMatch(nq, forward: true, includeCurrent: true) }
        case .ctrl("u"):
            mode = .search("")
        case .down, .tab:
            lastQuery = q
            jumpToMatch(q, forward: true, includeCurrent: false)
        case .up, .backTab:
            lastQuery = q
            jumpToMatch(q, forward: false, includeCurrent: false)
        case .char, .paste:
            let nq = Self.edit(q, key) ?? q
            mode = .search(nq)
            lastQuery = nq
            jumpToMatch(nq, forward: true, includeCurrent: true)
        default:
            break
        }
        return []
    }

    func matches(_ row: Row, _ needle: String) -> Bool {
        switch row {
        case .section(let s): return checklist.sections[s].title.lowercased().contains(needle)
        case .item(let i):
            let it = checklist.items[i]
            return it.text.lowercased().contains(needle) || it.id.lowercased().contains(needle)
        }
    }

    /// All matching rows in document order, folded sections included.
    func allMatches(_ q: String) -> [Row] {
        let needle = q.lowercased()
        guard !needle.isEmpty else { return [] }
        var out: [Row] = []
        for s in checklist.sections where listed[s.index] {
            if s.index != 0, s.index != titleSection, matches(.section(s.index), needle) { out.append(.section(s.index)) }
            for i in s.items where matches(.item(i), needle) { out.append(.item(i)) }
        }
        return out
    }

    func documentOrder(_ r: Row) -> (Int, Int) {
        switch r {
        case .section(let s): (checklist.sections[s].line, 0)
        case .item(let i): (checklist.items[i].line, 1)
        }
    }

    mutating func jumpToMatch(_ q: String, forward: Bool, includeCurrent: Bool) {
        guard !q.isEmpty else {
            say("no search yet — / to search", .info)
            return
        }
        let all = allMatches(q)
        guard !all.isEmpty else {
            say("no match for “\(q)”", .warn)
            return
        }
        let here = selectedRow.map(documentOrder) ?? (0, 0)
        let target: Row
        if forward {
            target = all.first { includeCurrent ? documentOrder($0) >= here : documentOrder($0) > here } ?? all[0]
        } else {
            target = all.last { documentOrder($0) < here } ?? all[all.count - 1]
        }
        reveal(target)
        let n = (all.firstIndex(of: target) ?? 0) + 1
        say("“\(q)”: match \(n) of \(all.count) — ] next, [ previous", .info)
    }

    mutating func reportMatches(_ q: String) {
        let all = allMatches(q)
        if all.isEmpty { say("no match for “\(q)”", .warn) } else {
            let n = selectedRow.flatMap { all.firstIndex(of: $0) }.map { $0 + 1 } ?? 1
            say("“\(q)”: match \(n) of \(all.count) — ] next, [ previous", .info)
        }
    }

    /// Unfolds whatever hides `row`, then puts the cursor on it.
    mutating func reveal(_ row: Row) {
        var s: Int? = {
            switch row {
            case .section(let s): return checklist.sections[s].parent
            case .item(let i): return checklist.items[i].section
            }
        }()
        var changed = false
        while let si = s {
            if collapsed.remove(si) != nil { changed = true }
            s = checklist.sections[si].parent
        }
        if changed { rebuildRows() }
        if let r = rows.firstIndex(of: row) {
            cursor = r
            clampScroll()
        }
    }

}
