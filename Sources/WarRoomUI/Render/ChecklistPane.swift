import WarRoomCore

/// The checklist pane and the selected item's detail.
extension Painter {
    mutating func checklist(_ s: ConsoleState, _ layout: Layout) {
        let rect = layout.checklist
        let total = s.total
        let pct = NumberText.percent(total.complete, of: total.items)
        var right = "\(total.complete)/\(total.items) \(pct)%"
        if total.blocked > 0 { right += " · \(total.blocked) blocked" }
        let position = s.rows.isEmpty ? nil : "\(s.cursor + 1)/\(s.rows.count)"
        box(rect, title: "CHECKLIST", focused: s.focus == .checklist, right: right, bottom: position)
        let inner = rect.inset(1)
        let visible = layout.checklistRows
        let wide = inner.width >= 70
        for r in 0..<visible {
            let index = s.scroll + r
            guard index < s.rows.count else { break }
            let y = inner.y + r
            let selected = index == s.cursor
            switch s.rows[index] {
            case .section(let si):
                let sec = s.checklist.sections[si]
                let p = s.sectionProgress[si]
                let indent = s.displayDepth(si) * 2
                let mark = s.collapsed.contains(si) ? glyphs.collapsed : glyphs.expanded
                var tail = p.items > 0 ? "\(p.complete)/\(p.items)" : ""
                if p.blocked > 0 { tail = "\(p.blocked) blocked  " + tail }
                // A phase past its due time on the mission clock with items open.
                let late = s.phaseOverdue(si)
                if late { tail = "OVERDUE  " + tail }
                var tw = DisplayWidth.of(tail)
                let tailStyle: Style = p.blocked > 0 || late ? Style(.crit, .bold) : (p.complete == p.items ? Style(.ok) : Style(.muted))
                put(tail, x: inner.maxX - tw - 1, y: y, style: tailStyle)
                if let so = s.signOffRows.bySection[si] {
                    let (text, style) = signOffState(s, so, wide: wide)
                    let gap = tail.isEmpty ? 0 : 2
                    let sw = DisplayWidth.of(text)
                    if sw + gap + tw + indent + 8 < inner.width {
                        put(text, x: inner.maxX - tw - 1 - gap - sw, y: y, style: style)
                        tw += sw + gap
                    }
                }
                put("\(mark) \(sec.title)", x: inner.x + 1 + indent, y: y, max: inner.width - indent - tw - 3, style: Style(.title, .bold))
            case .item(let ii):
                let item = s.checklist.items[ii]
                let status = s.run.status(of: item)
                let top = item.section == 0 || item.section == s.titleSection
                let indent = (top ? 0 : (s.displayDepth(item.section) + 1) * 2) + item.depth * 2
                let (glyph, gstyle, tstyle): (String, Style, Style) = {
                    switch status {
                    case .done: return (glyphs.done, Style(.ok, .bold), Style(.muted))
                    case .skipped: return (glyphs.skipped, Style(.muted), Style(.muted))
                    case .blocked: return (glyphs.blocked, Style(.crit, .bold), Style(.crit))
                    case .open: return (glyphs.open, Style(.text), Style(.text))
                    }
                }()
                var x = inner.x + 1 + indent
                x += put(glyph + " ", x: x, y: y, max: inner.maxX - x, style: gstyle)
                var who = ""
                var whoStyle = Style(.muted)
                if let so = s.signOffRows.byItem[ii] {
                    // A sign-off item: its signature, not the checkbox's last change (the detail line has that).
                    (who, whoStyle) = signOffState(s, so, wide: wide)
                    if DisplayWidth.of(who) + 2 > inner.width / 2 { who = "" }
                } else if wide, let rec = s.run.record(item.id) {
                    who = "\(rec.actor) \(Timestamp.hm(rec.time))"
                }
                // An item that owns a due time on the mission clock, past due with items open.
                if s.itemPhaseOverdue(ii) { who = who.isEmpty ? "OVERDUE" : "OVERDUE  " + who; whoStyle = Style(.crit, .bold) }
                let ww = who.isEmpty ? 0 : DisplayWidth.of(who) + 2
                if let t = item.taskID { x += put(t + " ", x: x, y: y, max: inner.maxX - x - ww, style: Style(.muted)) }
                if item.parallel { x += put("[P] ", x: x, y: y, max: inner.maxX - x - ww, style: Style(.accent)) }
                var text = item.title
                if let d = item.detail { text += " — " + d }
                if text.isEmpty { text = "(no text)" }
                put(text, x: x, y: y, max: inner.maxX - x - ww, style: tstyle)
                if !who.isEmpty { put(who, x: inner.maxX - ww + 1, y: y, style: whoStyle) }
            }
            if selected {
                let focusStyle = s.focus == .checklist ? Style(.selection) : Style(.selection, .dim)
                buffer.restyle(Rect(x: inner.x, y: y, width: inner.width, height: 1), focusStyle)
            }
        }
        if s.rows.isEmpty {
            put("no items", x: inner.x + 1, y: inner.y, style: Style(.muted))
        }
        detail(s, layout, inner)
    }

    /// A sign-off's state on its row: "✍ signed by dana 17:02" (narrow: "✍ dana 17:02"), or "unsigned" (muted).
    func signOffState(_ s: ConsoleState, _ so: SignOff, wide: Bool) -> (String, Style) {
        guard let sig = s.run.signature(so.role) else { return ("unsigned", Style(.muted)) }
        let mark = glyphs.signed.isEmpty ? "" : glyphs.signed + " "
        return (mark + (wide ? "signed by " : "") + "\(sig.actor) \(Timestamp.hm(sig.time))", Style(.ok))
    }

    /// The detail line for a selected sign-off: its role, who signed and when, or how to sign it.
    func signOffDetail(_ s: ConsoleState, _ so: SignOff) -> (String, Style) {
        guard let sig = s.run.signature(so.role) else {
            return ("sign-off: \(so.role) · unsigned — S signs as \(s.config.actor)", Style(.text))
        }
        var text = "sign-off: \(sig.role) · signed by \(sig.actor) at \(Timestamp.hms(sig.time))Z (journal seq \(sig.seq))"
        if sig.actor == s.config.actor { text += " — S takes it back" }
        return (text, Style(.ok))
    }

    mutating func detail(_ s: ConsoleState, _ layout: Layout, _ inner: Rect) {
        guard layout.detailLines > 0 else { return }
        var y = inner.maxY - layout.detailLines
        if layout.detailLines == 3 {
            for x in inner.x..<inner.maxX { buffer[x, y] = Cell(glyphs.horizontal, Style(.border)) }
            y += 1
        }
        let lines: [(String, Style)]
        switch s.selectedRow {
        case .item(let i):
            let item = s.checklist.items[i]
            var first = "\(item.id) · line \(item.line)"
            if let g = item.group { first += " · \(g)" }
            if let rec = s.run.record(item.id) {
                first += " · \(rec.status.rawValue) by \(rec.actor) at \(Timestamp.hms(rec.time))Z"
            } else {
                first += item.checked ? " · done as written in the checklist" : " · open"
            }
            var second = item.text
            if let rec = s.run.record(item.id) {
                var extra: [String] = []
                if let r = rec.reason { extra.append("reason: \(r)") }
                if let n = rec.note { extra.append("note: \(n)") }
                if !extra.isEmpty { second = extra.joined(separator: " · ") }
            }
            lines = [(first, Style(.accent)), s.signOffRows.byItem[i].map { signOffDetail(s, $0) } ?? (second, Style(.text))]
        case .section(let si):
            let sec = s.checklist.sections[si]
            let p = s.sectionProgress[si]
            let shown = s.titleSection.map { sec.path.dropFirst(s.checklist.sections[$0].path.count) } ?? sec.path[...]
            var first = "\(shown.joined(separator: " / ")) · line \(sec.line)"
            if let off = sec.offsetMinutes { first += " · " + missionOffsetText(off) }
            let progress = "\(p.done) done, \(p.skipped) skipped, \(p.blocked) blocked, \(p.open) open"
            if let so = s.signOffRows.bySection[si] {
                let (text, style) = signOffDetail(s, so)
                lines = [(first, Style(.accent)), (p.items > 0 ? text + " · " + progress : text, style)]
            } else {
                lines = [(first, Style(.accent)), (progress, Style(.text))]
            }
        case nil:
            lines = []
        }
        for (k, l) in lines.prefix(inner.maxY - y).enumerated() {
            put(l.0, x: inner.x + 1, y: y + k, max: inner.width - 2, style: l.1)
        }
    }
}
