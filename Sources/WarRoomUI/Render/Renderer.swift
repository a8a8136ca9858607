import WarRoomCore

/// Render is a pure function of (state, theme, size): the same inputs always give the same cells.
public enum Renderer {
    public static func render(_ state: ConsoleState, theme: Theme, glyphs: Glyphs, size: Size) -> Buffer {
        var r = Painter(buffer: Buffer(size), glyphs: glyphs, theme: theme)
        let layout = Layout(size)
        if layout.kind == .tooSmall {
            r.tooSmall(size)
            return r.buffer
        }
        r.header(state, layout.header)
        r.ramp(state, layout.ramp)
        r.slo(state, layout.slo)
        r.rollback(state, layout.rollback)
        if let c = layout.contacts { r.contacts(state, c) }
        r.checklist(state, layout)
        if let d = layout.decisions { r.decisions(state, d) }
        r.messageLine(state, layout.message)
        r.footer(state, layout.footer)
        if state.mode == .help { r.help(size, keys: state.keyMap, replay: state.config.badge != nil) }
        if let e = state.explanation { r.why(e, size: size, closeKey: "Esc") }
        if let d = state.updateDraft { r.updateDraft(d, size: size, saves: state.engine.driving) }
        return r.buffer
    }
}

struct Painter {
    var buffer: Buffer
    let glyphs: Glyphs
    let theme: Theme

    // MARK: Frame pieces

    mutating func box(_ rect: Rect, title: String, focused: Bool = false, right: String? = nil, bottom: String? = nil) {
        guard rect.width >= 2, rect.height >= 2 else { return }
        let style = focused ? Style(.accent, .bold) : Style(.border)
        let g = glyphs
        for x in rect.x..<rect.maxX {
            buffer[x, rect.y] = Cell(g.horizontal, style)
            buffer[x, rect.maxY - 1] = Cell(g.horizontal, style)
        }
        for y in rect.y..<rect.maxY {
            buffer[rect.x, y] = Cell(g.vertical, style)
            buffer[rect.maxX - 1, y] = Cell(g.vertical, style)
        }
        buffer[rect.x, rect.y] = Cell(g.topLeft, style)
        buffer[rect.maxX - 1, rect.y] = Cell(g.topRight, style)
        buffer[rect.x, rect.maxY - 1] = Cell(g.bottomLeft, style)
        buffer[rect.maxX - 1, rect.maxY - 1] = Cell(g.bottomRight, style)
        let used = put(" \(title) ", x: rect.x + 1, y: rect.y, max: rect.width - 2, style: focused ? Style(.title, [.bold, .reverse]) : Style(.title, .bold))
        if let right {
            let w = DisplayWidth.of(right) + 2
            if w + used + 3 <= rect.width { put(" \(right) ", x: rect.maxX - 1 - w, y: rect.y, style: Style(.muted)) }
        }
        if let bottom {
            let w = DisplayWidth.of(bottom) + 2
            if w + 4 <= rect.width { put(" \(bottom) ", x: rect.maxX - 2 - w, y: rect.maxY - 1, style: Style(.muted)) }
        }
    }

    @discardableResult
    mutating func put(_ text: String, x: Int, y: Int, max: Int? = nil, style: Style = .text) -> Int {
        // Text as people wrote it: UTF-8 once read as Windows-1252 (`ðŸ“‹`) is shown as meant (📋); files keep their bytes.
        buffer.put(Mojibake.repaired(text), x: x, y: y, maxWidth: max, style: style, ellipsis: true, ellipsisChar: glyphs.ellipsis)
    }

    mutating func tooSmall(_ size: Size) {
        let need = "terminal too small — need \(Layout.minimum.width)×\(Layout.minimum.height)"
        let have = "now \(size.width)×\(size.height): enlarge the window"
        let y = max(0, size.height / 2 - 1)
        for (i, line) in [need, have].enumerated() {
            let w = min(DisplayWidth.of(line), size.width)
            put(line, x: max(0, (size.width - w) / 2), y: y + i, max: size.width, style: i == 0 ? Style(.warn, .bold) : Style(.muted))
        }
    }

    mutating func header(_ s: ConsoleState, _ rect: Rect) {
        let bar = Style(.title, .reverse)
        let strong = Style(.title, [.reverse, .bold])
        buffer.fill(rect, Cell(" ", bar))
        let sep = glyphs.separator
        let wall = Timestamp.hms(s.now) + " UTC"
        let mission: String
        if let t0 = s.config.t0 {
            mission = Timestamp.clock(s.now - t0, signed: true)
        } else if let started = s.run.startedAt {
            mission = "elapsed " + Timestamp.clock(s.now - started, signed: false)
        } else {
            mission = "no run yet"
        }
        let offered = s.engine.pendingOffer.map { " · offered to \($0.to)" } ?? ""
        // Who drives, for a follower: the lease says whether anyone does (a driver that quit drives no more).
        let drives = s.leaseDriver ?? s.engine.driver.map { "\($0) drives" } ?? "driver unknown"
        let badge = s.engine.driving ? (s.config.demo ? " DEMO · DRIVING\(offered) " : " DRIVING\(offered) ", Style(.ok, [.reverse, .bold]))
            : s.config.crew ? (" CREW · \(s.config.actor) · \(drives) ", Style(.accent, [.reverse, .bold]))
            : (" READ-ONLY · \(drives) ", Style(.warn, [.reverse, .bold]))
        var viewText = ""
        var viewStyle = bar
        if !s.engine.driving, !s.config.driving, s.config.badge == nil {
            if let age = s.viewAge {
                viewText = age > 3_000 ? " DRIVER SILENT \(DurationText.clockish(age)) " : " view \(age < 1_000 ? "<1s" : DurationText.clockish(age)) old "
                if age > 3_000 { viewStyle = Style(.unknown, [.reverse, .bold]) }
            } else {
                viewText = " no live view yet "
                viewStyle = Style(.unknown, .reverse)
            }
        }
        // The mission clock's phases: the first overdue one, else the current phase and the next due.
        var phaseText = "", currentText = ""
        var phaseStyle = bar
        if let t0 = s.config.t0 {
            let phases = s.phases
            func name(_ k: Int) -> String {
                let t = phases[k].title
                return t.count > 28 ? String(t.prefix(27)) + "…" : t
            }
            if let late = phases.indices.first(where: { s.phaseOverdue(phase: $0) }) {
                phaseText = " OVERDUE: \(name(late)) "
                phaseStyle = Style(.crit, [.reverse, .bold])
            } else if let next = phases.indices.first(where: { phases[$0].due(t0: t0) >= s.now && s.phaseProgress[$0].complete < s.phaseProgress[$0].items }) {
                // The current phase (the last one started that is not yet due), when it is not the one due next.
                let current = phases.indices.last { phases[$0].start(t0: t0) <= s.now && phases[$0].due(t0: t0) >= s.now }
                currentText = current.map { $0 != next ? " " + name($0) + " ·" : "" } ?? ""
                phaseText = " " + name(next) + " due in " + DurationText.countdown(phases[next].due(t0: t0) - s.now) + sep
            }
        }
        // Segments in display order with a priority (lower = kept longer when the width runs out).
        let segments: [(text: String, style: Style, priority: Int, right: Bool)] = [
            (" WARROOM ", strong, 5, false),
            (sep + s.config.service, strong, 1, false),
            (sep + "run " + (s.run.runID ?? "—"), bar, 6, false),
            (sep + s.config.actor + " ", bar, 4, false),
            (s.config.badge.map { " \($0) " } ?? badge.0, s.config.badge != nil ? Style(.accent, [.reverse, .bold]) : badge.1, 0, false),
            (viewText, viewStyle, 2, false),
            (s.config.hasRamp && !s.config.ramp.hasApply ? " TRACKER ONLY (no apply hook) " : "", Style(.warn, [.reverse]), 3, false),
            (currentText, bar, 8, true),
            // `comms:`: a stakeholder update is due.
            (StakeholderUpdate.reminder(run: s.run, comms: s.engine.config.comms, now: s.now)?.due == true ? " UPDATE DUE (U) " : "",
             Style(.warn, [.reverse, .bold]), 2, false),
            // Notifications given up on (notify: targets), this session.
            (s.engine.notifyFailedCount > 0 ? " notify: \(s.engine.notifyFailedCount) failed " : "", Style(.warn, [.reverse, .bold]), 2, false),
            (phaseText, phaseStyle, phaseStyle == bar ? 7 : 1, true),
            (mission, strong, 2, true),
            (sep + wall + " ", strong, 3, true),
        ]
        var keep = Set(segments.indices)
        func width(_ set: Set<Int>) -> Int { set.reduce(0) { $0 + DisplayWidth.of(segments[$1].text) } + 1 }
        for i in segments.indices.sorted(by: { segments[$0].priority > segments[$1].priority }) where width(keep) > rect.width {
            keep.remove(i)
        }
        var x = rect.x
        for i in segments.indices where keep.contains(i) && !segments[i].right {
            var text = segments[i].text
            if x == rect.x, text.hasPrefix(sep) { text = " " + text.dropFirst(sep.count) }
            x += put(text, x: x, y: rect.y, max: rect.maxX - x, style: segments[i].style)
        }
        var rx = rect.maxX
        for i in segments.indices.reversed() where keep.contains(i) && segments[i].right {
            let w = DisplayWidth.of(segments[i].text)
            rx -= w
            if rx >= x { put(segments[i].text, x: rx, y: rect.y, style: segments[i].style) }
        }
    }

    /// Plain words for a pane without data, wrapped to the pane: never an invented value.
    mutating func placeholder(_ rect: Rect, _ lines: [String]) {
        let inner = rect.inset(1)
        var y = inner.y
        for (i, l) in lines.enumerated() {
            for row in wrap(l, width: inner.width - 1) {
                guard y < inner.maxY else { return }
                put(row, x: inner.x + 1, y: y, max: inner.width - 1, style: Style(i == 0 ? .unknown : .muted))
                y += 1
            }
        }
    }

    func wrap(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [] }
        var rows: [String] = []
        var cur = ""
        for word in text.split(separator: " ") {
            let candidate = cur.isEmpty ? String(word) : cur + " " + word
            if DisplayWidth.of(candidate) <= width || cur.isEmpty {
                cur = candidate
            } else {
                rows.append(cur)
                cur = String(word)
            }
        }
        if !cur.isEmpty { rows.append(cur) }
        return rows
    }
}
