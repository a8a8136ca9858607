import WarRoomCore

/// The panes beside the checklist: ramp (with the rollback timeline), SLOs, rollback criteria, decisions, contacts.
extension Painter {
    mutating func ramp(_ s: ConsoleState, _ rect: Rect) {
        let plan = s.config.ramp
        guard !plan.steps.isEmpty else {
            box(rect, title: "RAMP")
            placeholder(rect, ["no ramp:", "tracker of the checklist only"])
            return
        }
        let run = s.run
        let v = s.verdict
        box(rect, title: "RAMP", right: plan.hasApply ? nil : "tracker only")
        let inner = rect.inset(1)
        let w = inner.width - 2
        var y = inner.y
        /// A line of text, wrapped (never cut) while there is room.
        func line(_ text: String, _ style: Style) {
            for l in wrapHard(text, first: w, rest: w) {
                guard y < inner.maxY else { return }
                put(l, x: inner.x + 1, y: y, max: w, style: style)
                y += 1
            }
        }
        // 1: percentage, step, bar.
        let rolledBack = run.percent == 0 && run.rollback?.executedAt != nil
        let stepNo = plan.stepIndex(at: run.percent).map { "step \($0 + 1)/\(plan.steps.count)" }
            ?? (rolledBack ? "rolled back" : run.percent == 0 ? "not started" : "off-plan")
        let head = "\(run.percent) %"
        var x = inner.x + 1
        let barStyle = Style(run.rollback?.executedAt != nil && run.percent == 0 ? .crit : .ok)
        // Tall enough (three rows for the digits and still four for the ladder, the gate and what blocks it): the
        // percentage in big digits, the step and the bar beside it.
        let big = "\(run.percent)%"
        if inner.height >= 7, BigDigits.width(big) + 14 <= w, let rows = BigDigits.rows(big, unicode: glyphs.ellipsis == "…") {
            for (k, r) in rows.enumerated() { put(r, x: x, y: y + k, style: Style(.title, .bold)) }
            let sx = x + BigDigits.width(big) + 2
            put(stepNo, x: sx, y: y, max: inner.maxX - sx - 1, style: Style(.muted))
            let barW = inner.maxX - sx - 1
            if barW >= 6 {
                let filled = run.percent * barW / 100
                put(String(repeating: glyphs.barFull, count: filled) + String(repeating: glyphs.barEmpty, count: barW - filled),
                    x: sx, y: y + 1, style: barStyle)
            }
            y += 3
        } else {
            x += put(head, x: x, y: y, style: Style(.title, .bold))
            x += put("  " + stepNo, x: x, y: y, max: inner.maxX - x - 1, style: Style(.muted))
            let barW = inner.maxX - x - 3
            if barW >= 6 {
                let filled = run.percent * barW / 100
                put(String(repeating: glyphs.barFull, count: filled) + String(repeating: glyphs.barEmpty, count: barW - filled),
                    x: inner.maxX - barW - 1, y: y, style: barStyle)
            }
            y += 1
        }
        let showTimeline = run.rollback.map { run.percent == 0 || $0.executedAt == nil } ?? false
        // 3 (laid out first, for the ladder's room): the gate.
        let (label, style): (String, Style) = {
            switch v.state {
            case .ready: return ("READY", Style(.ok, [.bold, .reverse]))
            case .waiting: return ("WAITING", Style(.warn, [.bold, .reverse]))
            case .blocked: return ("BLOCKED", Style(.crit, [.bold, .reverse]))
            case .busy: return ("BUSY", Style(.accent, [.bold, .reverse]))
            case .complete: return ("COMPLETE", Style(.ok, .bold))
            case .none: return ("—", Style(.muted))
            }
        }()
        let gx = inner.x + 1 + DisplayWidth.of(" \(label) ")
        var rest: String
        switch v.state {
        case .ready: rest = v.next.map { " g → \($0.percent) %" } ?? ""
        case .waiting: rest = " " + DurationText.countdown((v.waitUntil ?? s.now) - s.now) + " left" + (v.next.map { " · then \($0.percent) %" } ?? " · then complete")
        case .blocked:
            // The observation countdown stays on screen while blocked (first, so a narrow pane keeps it).
            rest = (v.waitUntil.map { " hold " + DurationText.countdown($0 - s.now) + " ·" } ?? "") + " \(v.blockers.count) unmet"
            // The next step only where it fits beside the rest (the ladder shows it too): the rows go to the blockers.
            if let n = v.next, gx + DisplayWidth.of(rest + " · next \(n.percent) %") <= inner.maxX - 1 { rest += " · next \(n.percent) %" }
        case .busy: rest = " " + (v.blockers.first ?? "")
        case .complete: rest = " at \(run.percent) %"
        case .none: rest = ""
        }
        // What does not fit beside the label wraps under it (the countdown and the count are never cut).
        let parts = wrapSegments(rest.trimmingCharacters(in: .whitespaces), first: inner.maxX - gx - 2, rest: w)
        let firstBlocker = v.state == .blocked ? v.blockers.first.map { wrapHard($0, first: w - 2, rest: w - 2).count } ?? 0 : 0
        // 2: the ladder — left out under a rollback timeline (it needs the rows), and while BLOCKED in a pane too
        // short for the gate and the first blocker under it: what blocks matters more than the steps ahead.
        if y < inner.maxY, !showTimeline, inner.maxY - y - 1 >= parts.count + firstBlocker {
            var lx = inner.x + 1
            let labels = plan.steps.map { $0.percent == run.percent ? "[\($0.percent)]" : "\($0.percent)" }
            // Spaced arrows where the whole ladder fits so, else tight ones; else as many steps as fit and "+N".
            let spaced = " " + glyphs.arrow + " "
            let arrow = DisplayWidth.of(labels.joined(separator: spaced)) <= w ? spaced : glyphs.arrow
            for (i, st) in plan.steps.enumerated() {
                let label = labels[i]
                let style = st.percent == run.percent ? Style(.accent, [.bold, .reverse]) : (st.percent < run.percent ? Style(.ok) : Style(.muted))
                let sep = i == 0 ? "" : arrow
                let left = plan.steps.count - i - 1
                let more = left > 0 ? DisplayWidth.of(" +\(left)") : 0 // room for the count if later steps do not fit
                guard lx + DisplayWidth.of(sep + label) + more <= inner.maxX - 1 || (left == 0 && lx + DisplayWidth.of(sep + label) <= inner.maxX - 1) else {
                    put(" +\(left + 1)", x: lx, y: y, style: Style(.muted))
                    break
                }
                lx += put(sep, x: lx, y: y, style: Style(.muted))
                lx += put(label, x: lx, y: y, style: style)
            }
            y += 1
        }
        // The rollback timeline replaces the gate once a rollback was decided and not yet re-ramped.
        if let r = run.rollback, showTimeline {
            rollbackTimeline(s, r, &y, inner)
            return
        }
        if y < inner.maxY {
            put(" \(label) ", x: inner.x + 1, y: y, style: style)
            for (k, p) in parts.enumerated() where y < inner.maxY {
                put(p, x: k == 0 ? gx + 1 : inner.x + 1, y: y, max: k == 0 ? inner.maxX - gx - 2 : w, style: Style(.text))
                y += 1
            }
        }
        // `ramp.traffic`: the weight asked for and the weight read back.
        if let t = s.engine.trafficLine { line(t.text, t.trouble ? Style(.crit, .bold) : Style(.ok)) }
        if v.state == .blocked, y < inner.maxY {
            let rows = v.blockers.map { ListRow(glyph: (glyphs.bullet, Style(.crit)), name: $0, nameStyle: Style(.crit)) }
            listRows(rows, in: Rect(x: inner.x, y: y, width: inner.width, height: inner.maxY - y), marker: false)
            y = inner.maxY
        }
        if v.state == .waiting, let wtxt = v.waits.first { line(wtxt, Style(.muted)) }
        // The last decision's hook, when it failed.
        if let last = run.decisions.last, let h = last.hook, !h.ok, run.pendingDecision == nil {
            line("hook failed: \(h.summary)", Style(.crit, .bold))
            if let t = h.tail.last { line(t, Style(.muted)) }
        } else if let p = run.pendingDecision {
            let d = run.decisions[p]
            line("running for \(DurationText.countdown(max(0, s.now - d.time)))", Style(.muted))
        }
        let hold = plan.hold(at: run.percent)
        if run.percent > 0, hold > 0, y < inner.maxY { line("hold \(DurationText.format(hold)) at \(run.percent) %", Style(.muted)) }
    }

    mutating func rollbackTimeline(_ s: ConsoleState, _ r: RollbackTimeline, _ y: inout Int, _ inner: Rect) {
        let t = s.config.ramp.targets
        func row(_ name: String, _ took: Millis?, running since: Millis?, target: Millis?, hint: String = "") {
            guard y < inner.maxY else { return }
            var text = name.padding(toLength: 8, withPad: " ", startingAt: 0)
            var style = Style(.text)
            if let took {
                text += DurationText.clockish(took)
                if let target {
                    text += " / \(DurationText.format(target))"
                    style = took <= target ? Style(.ok) : Style(.crit, .bold)
                    text += took <= target ? " " + glyphs.done : " over"
                }
            } else if let since {
                let el = s.now - since
                text += "running " + DurationText.clockish(el)
                if let target {
                    text += " / \(DurationText.format(target))"
                    style = el <= target ? Style(.warn) : Style(.crit, .bold)
                }
                text += hint
            } else {
                text += "—"
                style = Style(.muted)
            }
            put(text, x: inner.x + 1, y: y, max: inner.width - 2, style: style)
            y += 1
        }
        if y < inner.maxY {
            let head: (String, Style)
            if let f = r.failed { head = ("ROLLBACK FAILED: \(f) — R retries", Style(.crit, [.bold, .reverse])) }
            else if r.executedAt == nil { head = ("ROLLING BACK…", Style(.crit, [.bold, .reverse])) }
            else if r.verifiedAt == nil { head = ("ROLLED BACK · V verifies", Style(.warn, [.bold, .reverse])) }
            else { head = ("ROLLED BACK and verified", Style(.ok, [.bold, .reverse])) }
            // Wrapped, never cut: "ROLLBACK FAILED: timed out after 3 s — R retries" says what to do at its end.
            for l in wrapHard(head.0, first: inner.width - 4, rest: inner.width - 4) where y < inner.maxY {
                put(" " + l + " ", x: inner.x + 1, y: y, max: inner.width - 2, style: head.1)
                y += 1
            }
        }
        if r.trippedAt != nil {
            row("decide", r.decideMs, running: nil, target: t.decideMs)
        } else if y < inner.maxY {
            put("decide  (no criterion tripped)", x: inner.x + 1, y: y, max: inner.width - 2, style: Style(.muted))
            y += 1
        }
        row("execute", r.executeMs, running: r.failed == nil ? r.decidedAt : nil, target: t.executeMs)
        row("verify", r.verifyMs, running: r.executedAt, target: t.verifyMs, hint: r.executedAt != nil ? " · V" : "")
    }

    mutating func slo(_ s: ConsoleState, _ rect: Rect) {
        let names = s.config.slos
        let bound = names.filter { !s.config.unboundSLOs.contains($0) }
        let okCount = s.sloSignals.filter { $0.state == .ok }.count
        box(rect, title: "SLO", focused: s.focus == .slo, right: names.isEmpty ? nil : (bound.isEmpty ? "no queries" : "\(okCount)/\(bound.count) ok"),
            bottom: s.focus == .slo && !names.isEmpty ? s.whyHint : nil)
        guard !names.isEmpty else {
            placeholder(rect, ["no SLOs configured"])
            return
        }
        let inner = rect.inset(1)
        let wide = inner.width >= 36
        // Sparklines go first when a name would not fit beside them (a name is never cut; it wraps when even that fails).
        // The sparkline takes what the longest name leaves, up to 10 columns; under 5 it goes.
        let longest = names.map { DisplayWidth.of($0) }.max() ?? 0
        let sparkWidth = min(10, inner.width - 2 - longest - (8 + 7 + 3))
        let sparks = wide && sparkWidth >= 5 && s.telemetry.gauges.contains { !$0.history.isEmpty }
        let rows = names.enumerated().map { (i, name) -> (Int, ListRow) in
            let g = s.telemetry.gauges.first { $0.name == name }
            let status: SignalState = s.config.unboundSLOs.contains(name) ? .unbound : (g?.status ?? .unknown)
            let style: Style = {
                switch status {
                case .ok: return Style(.ok, .bold)
                case .warn: return Style(.warn, .bold)
                case .breach: return Style(.crit, [.bold, .reverse])
                default: return Style(.unknown)
                }
            }()
            let label = status.label
            var value = status == .unbound ? (g?.objective ?? "") : (g?.value ?? "")
            var right: [(text: String, style: Style)] = []
            if wide {
                // Fixed columns: a value that changes width never moves the status word or the sparkline.
                value = String(repeating: " ", count: max(0, 8 - DisplayWidth.of(value))) + value
                right = [(value, Style(.text, .bold)), (label.padding(toLength: 7, withPad: " ", startingAt: 0), style)]
                if sparks {
                    let spark = g.map { sparkline($0.history, width: sparkWidth, scale: $0.scale) } ?? ""
                    right.append((spark.padding(toLength: sparkWidth, withPad: " ", startingAt: 0), Style(.accent)))
                }
            } else {
                // A narrow pane: units abbreviated, no sparkline, so the name keeps its room.
                // Not measured: a dash (the title says "no queries" or counts only the measured ones).
                right = [(compactQuantity(value), Style(.text, .bold)), (status == .unbound ? "—" : label, style)]
            }
            var detail: (String, Style)?
            if let g, !g.green, status != .unbound {
                detail = (g.detail.isEmpty || g.detail == g.value ? "objective \(g.objective)" : g.detail, Style(.muted))
            }
            let rank = status == .breach ? 0 : status == .warn ? 1 : status == .ok || status == .unbound ? 3 : 2
            return (rank, ListRow(name: name, right: right.filter { !$0.text.isEmpty }, detail: detail,
                                  selected: s.focus == .slo && i == s.sloCursor))
        }
        // What needs attention first (a breach, a warning, no data), so a pane too short for every SLO shows it;
        // focused, the config's order (the cursor walks it, and `i` explains the selected one).
        let focused = s.focus == .slo
        let ordered = focused ? rows.map(\.1) : rows.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
        listRows(ordered, in: inner, cursor: focused ? s.sloCursor : nil)
    }

    /// "<= 500 ms" → "≤500ms", "99.9 %" → "99.9%": the same quantity in fewer columns, for a narrow pane.
    func compactQuantity(_ text: String) -> String {
        var t = text
        if glyphs.ellipsis == "…" {
            t = t.replacingOccurrences(of: "<= ", with: "≤").replacingOccurrences(of: ">= ", with: "≥")
        }
        t = t.replacingOccurrences(of: "< ", with: "<").replacingOccurrences(of: "> ", with: ">")
        var out = ""
        let chars = Array(t)
        for (i, c) in chars.enumerated() {
            // A space between a digit and a unit goes.
            if c == " ", i > 0, chars[i - 1].isNumber, i + 1 < chars.count, chars[i + 1].isLetter || chars[i + 1] == "%" { continue }
            out.append(c)
        }
        return out
    }

    /// Scaled from 0 (or the lowest value, if negative) to the objective or the highest value, whichever is larger:
    /// healthy noise stays flat and low, a breach reaches the top.
    func sparkline(_ values: [Double], width: Int, scale: Double? = nil) -> String {
        let tail = values.suffix(width).filter { $0.isFinite }
        guard let low = tail.min(), let high = tail.max() else { return "" }
        let lo = min(0, low)
        let hi = max(high, scale.map { $0.isFinite ? $0 : high } ?? high)
        let levels = glyphs.spark
        return String(tail.map { v -> Character in
            let i = hi > lo ? Int((v - lo) / (hi - lo) * Double(levels.count - 1) + 0.5) : 0
            return levels[min(max(0, i), levels.count - 1)]
        })
    }

    mutating func rollback(_ s: ConsoleState, _ rect: Rect) {
        let lights = s.config.lights
        let signals = s.lightSignals
        let trippedCount = signals.filter { !$0.green }.count
        let watching = s.telemetry.lights.filter { $0.status == .watch }.count
        let blind = s.telemetry.lights.filter { $0.status == .blind }.count
        let title = trippedCount > 0 ? "\(trippedCount) TRIPPED" : watching > 0 ? "\(watching) watching"
            : blind > 0 ? "\(blind) blind" : "\(lights.count) ok"
        box(rect, title: "ROLLBACK", focused: s.focus == .rollback, right: lights.isEmpty ? nil : title,
            bottom: s.focus == .rollback && !lights.isEmpty ? s.whyHint : nil)
        guard !lights.isEmpty else {
            placeholder(rect, ["no rollback criteria configured"])
            return
        }
        let inner = rect.inset(1)
        // A tripped Alertmanager light says what fired: the alert's summary after its name (names wrap, never cut).
        func alertSummary(_ l: LightInfo) -> String? {
            guard l.alerts else { return nil }
            let live = s.telemetry.lights.first { $0.name == l.name }
            guard s.run.tripped[l.name] != nil || live?.status == .tripped else { return nil }
            return (s.run.tripped[l.name]?.detail ?? live?.detail).flatMap { $0.isEmpty ? nil : $0 }
        }
        let rows = lights.enumerated().map { (i, l) -> (Int, ListRow) in
            let live = s.telemetry.lights.first { $0.name == l.name }
            let tripped = s.run.tripped[l.name]
            let (glyph, state, style): (String, String, Style) = {
                if tripped != nil || live?.status == .tripped { return (glyphs.lightOn, "TRIPPED", Style(.crit, [.bold, .reverse])) }
                switch live?.status {
                case .watch?:
                    let left = live?.tripsAt.map { DurationText.countdown($0 - s.now) } ?? ""
                    return (glyphs.lightWatch, "WATCH \(left)", Style(.warn, .bold))
                case .blind?: return (glyphs.lightOff, "BLIND", Style(.unknown))
                case .ok?: return (glyphs.lightOff, "ok", Style(.ok))
                // Bound, and nothing read yet (a follower before the driver's view): we cannot say.
                default: return (glyphs.lightOff, l.manual ? "manual" : "UNKNOWN", l.manual ? Style(.muted) : Style(.unknown))
                }
            }()
            let glyphStyle = style == Style(.crit, [.bold, .reverse]) ? Style(.crit, .bold) : style
            let rank = state == "TRIPPED" ? 0 : live?.status == .watch ? 1 : live?.status == .blind ? 2 : 3
            let name = alertSummary(l).map { "\(l.name) · \($0)" } ?? l.name
            return (rank, ListRow(glyph: (glyph, glyphStyle), name: name, right: [(state, style)],
                                  selected: s.focus == .rollback && i == s.lightCursor))
        }
        // Focused, the rows keep the config's order (the cursor walks it); otherwise what needs attention comes
        // first, so a pane too short for every criterion still shows the tripped ones.
        let focused = s.focus == .rollback
        let ordered = focused ? rows.map(\.1) : rows.enumerated().sorted { ($0.element.0, $0.offset) < ($1.element.0, $1.offset) }.map(\.element.1)
        listRows(ordered, in: inner, cursor: focused ? s.lightCursor : nil, moreHint: focused ? "" : " · tab")
    }

    mutating func decisions(_ s: ConsoleState, _ rect: Rect) {
        let list = s.run.decisions
        box(rect, title: "DECISIONS", focused: s.focus == .decisions, right: list.isEmpty ? nil : "\(list.count)")
        guard !list.isEmpty else {
            placeholder(rect, [s.config.hasRamp ? "no decisions yet — g GO, n NO-GO, R rollback" : "no decisions yet"])
            return
        }
        let inner = rect.inset(1)
        let skip = min(s.paneScroll[.decisions] ?? 0, max(0, list.count - 1))
        var y = inner.y
        for d in list.reversed().dropFirst(skip) {
            guard y < inner.maxY else { break }
            let when: String
            if let t0 = s.config.t0 { when = Timestamp.clock(d.time - t0, signed: true) } else {
                when = Timestamp.hms(d.time)
            }
            let kindStyle: Style = {
                switch d.kind {
                case .go, .verified: return Style(.ok, .bold)
                case .nogo: return Style(.warn, .bold)
                case .override: return Style(.warn, [.bold, .reverse])
                case .rollback: return Style(.crit, [.bold, .reverse])
                }
            }()
            var x = inner.x + 1
            x += put(when + " ", x: x, y: y, style: Style(.muted))
            x += put(d.kind.label, x: x, y: y, style: kindStyle)
            var text = " \(d.decision.from)→\(d.decision.to) % \(d.actor)"
            if d.pending { text += " · hook running" } else if let h = d.hook { text += h.ok ? " · hook ok" : " · HOOK FAILED \(h.summary)" }
            text += " · \(d.decision.verdict)"
            if let r = d.reason { text += " · “\(r)”" }
            put(text, x: x, y: y, max: inner.maxX - x - 1, style: d.hook?.ok == false ? Style(.crit) : Style(.text))
            y += 1
        }
    }

    mutating func contacts(_ s: ConsoleState, _ rect: Rect) {
        let list = s.contacts
        box(rect, title: "CONTACTS", focused: s.focus == .contacts, right: list.isEmpty ? nil : "\(list.count)")
        guard !list.isEmpty else {
            placeholder(rect, ["no contacts in the checklist"])
            return
        }
        let inner = rect.inset(1)
        let perContact = 2
        let fit = max(1, inner.height / perContact)
        let first = min(s.paneScroll[.contacts] ?? 0, max(0, list.count - fit))
        var y = inner.y
        for c in list[first...] {
            guard y + 1 < inner.maxY || (y < inner.maxY && perContact == 1) else { break }
            let handle = Contact.isPlaceholder(c.handle) ? "" : c.handle
            let hw = DisplayWidth.of(handle)
            let roleMax = inner.width - 2 - (hw > 0 ? hw + 1 : 0)
            put(c.role, x: inner.x + 1, y: y, max: max(4, roleMax), style: Style(.accent, .bold))
            if hw > 0, hw + 6 < inner.width { put(handle, x: inner.maxX - hw - 1, y: y, style: Style(.text)) }
            // A template's blanks ("[Name]", "___") are shown as unfilled, muted: never as a person to call.
            if Contact.isPlaceholder(c.name) || c.name.isEmpty && Contact.isPlaceholder(c.phone) {
                put("unfilled", x: inner.x + 3, y: y + 1, max: inner.width - 3, style: Style(.muted))
            } else {
                let phone = Contact.isPlaceholder(c.phone) ? "" : c.phone
                let second = [c.name, phone].filter { !$0.isEmpty }.joined(separator: glyphs.separator)
                put(second, x: inner.x + 3, y: y + 1, max: inner.width - 3, style: Style(.text))
            }
            y += perContact
        }
    }
}
