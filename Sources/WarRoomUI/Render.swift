import WarRoomCore

/// Where everything goes at a given terminal size. Pure: the reducer uses it for page sizes, render for drawing.
public struct Layout: Sendable, Equatable {
    public enum Kind: Sendable { case full, compact, tooSmall }
    public static let minimum = Size(width: 60, height: 15)

    public var kind: Kind
    public var header: Rect
    public var ramp: Rect
    public var slo: Rect
    public var rollback: Rect
    public var contacts: Rect?
    public var checklist: Rect
    public var decisions: Rect?
    public var message: Rect
    public var footer: Rect
    /// Lines at the bottom of the checklist pane for the selected item's detail (0–3).
    public var detailLines: Int

    public init(_ size: Size) {
        let w = size.width, h = size.height
        let zero = Rect(x: 0, y: 0, width: 0, height: 0)
        header = Rect(x: 0, y: 0, width: w, height: 1)
        message = Rect(x: 0, y: h - 2, width: w, height: 1)
        footer = Rect(x: 0, y: h - 1, width: w, height: 1)
        if w < Layout.minimum.width || h < Layout.minimum.height {
            kind = .tooSmall
            ramp = zero; slo = zero; rollback = zero; checklist = zero
            contacts = nil; decisions = nil; detailLines = 0
            return
        }
        let bodyY = 1, bodyH = h - 3
        if w >= 100 && h >= 30 {
            kind = .full
            let left = min(48, max(36, w * 36 / 100))
            // Contacts keep at least a third of the column; ramp, SLO and rollback share the rest.
            let upper = bodyH - max(7, bodyH / 3)
            let rampH = max(5, upper * 3 / 10)
            let sloH = max(5, (upper - rampH) / 2)
            ramp = Rect(x: 0, y: bodyY, width: left, height: rampH)
            slo = Rect(x: 0, y: ramp.maxY, width: left, height: sloH)
            rollback = Rect(x: 0, y: slo.maxY, width: left, height: max(5, upper - rampH - sloH))
            contacts = Rect(x: 0, y: rollback.maxY, width: left, height: bodyY + bodyH - rollback.maxY)
            let decisionsH = max(6, min(10, bodyH / 4))
            checklist = Rect(x: left, y: bodyY, width: w - left, height: bodyH - decisionsH)
            decisions = Rect(x: left, y: checklist.maxY, width: w - left, height: decisionsH)
        } else {
            kind = .compact
            let strip = h >= 24 ? 6 : 5
            let third = w / 3
            ramp = Rect(x: 0, y: bodyY, width: third, height: strip)
            slo = Rect(x: third, y: bodyY, width: third, height: strip)
            rollback = Rect(x: 2 * third, y: bodyY, width: w - 2 * third, height: strip)
            checklist = Rect(x: 0, y: bodyY + strip, width: w, height: bodyH - strip)
            contacts = nil
            decisions = nil
        }
        let inner = checklist.height - 2
        detailLines = inner >= 12 ? 3 : (inner >= 7 ? 1 : 0)
    }

    /// Item rows visible in the checklist pane.
    public var checklistRows: Int { max(0, checklist.height - 2 - detailLines) }
}

/// `T-24h`, `T-30m`, `T+1h30m`, `T-0`: a phase's offset from mission-clock zero, as people write it.
public func missionOffsetText(_ minutes: Int) -> String {
    guard minutes != 0 else { return "T-0" }
    let sign = minutes < 0 ? "-" : "+"
    let m = abs(minutes)
    if m < 60 { return "T\(sign)\(m)m" }
    return "T\(sign)\(m / 60)h" + (m % 60 == 0 ? "" : "\(m % 60)m")
}

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
        if state.mode == .help { r.help(size, replay: state.config.badge != nil) }
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
        buffer.put(text, x: x, y: y, maxWidth: max, style: style, ellipsis: true, ellipsisChar: glyphs.ellipsis)
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
        let badge = s.config.driving ? (s.config.demo ? " DEMO · DRIVING " : " DRIVING ", Style(.ok, [.reverse, .bold]))
            : (" READ-ONLY\(s.engine.driver.map { " · \($0) drives" } ?? "") ", Style(.warn, [.reverse, .bold]))
        var viewText = ""
        var viewStyle = bar
        if !s.config.driving, s.config.badge == nil {
            if let age = s.viewAge {
                viewText = age > 3_000 ? " DRIVER SILENT \(DurationText.clockish(age)) " : " view \(age < 1_000 ? "<1s" : DurationText.clockish(age)) old "
                if age > 3_000 { viewStyle = Style(.unknown, [.reverse, .bold]) }
            } else {
                viewText = " no live view yet "
                viewStyle = Style(.unknown, .reverse)
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

    mutating func ramp(_ s: ConsoleState, _ rect: Rect) {
        let plan = s.config.ramp
        guard !plan.steps.isEmpty else {
            box(rect, title: "RAMP")
            placeholder(rect, ["no ramp configured", "checklist tracking only"])
            return
        }
        let run = s.run
        let v = s.verdict
        box(rect, title: "RAMP", right: plan.hasApply ? nil : "tracker only")
        let inner = rect.inset(1)
        let w = inner.width - 2
        var y = inner.y
        func line(_ text: String, _ style: Style) {
            guard y < inner.maxY else { return }
            put(text, x: inner.x + 1, y: y, max: w, style: style)
            y += 1
        }
        // 1: percentage, step, bar.
        let rolledBack = run.percent == 0 && run.rollback?.executedAt != nil
        let stepNo = plan.stepIndex(at: run.percent).map { "step \($0 + 1)/\(plan.steps.count)" }
            ?? (rolledBack ? "rolled back" : run.percent == 0 ? "not started" : "off-plan")
        let head = "\(run.percent) %"
        var x = inner.x + 1
        x += put(head, x: x, y: y, style: Style(.title, .bold))
        x += put("  " + stepNo, x: x, y: y, max: inner.maxX - x - 1, style: Style(.muted))
        let barW = inner.maxX - x - 3
        if barW >= 6 {
            let filled = run.percent * barW / 100
            put(String(repeating: glyphs.barFull, count: filled) + String(repeating: glyphs.barEmpty, count: barW - filled),
                x: inner.maxX - barW - 1, y: y, style: Style(run.rollback?.executedAt != nil && run.percent == 0 ? .crit : .ok))
        }
        y += 1
        let showTimeline = run.rollback.map { run.percent == 0 || $0.executedAt == nil } ?? false
        // 2: the ladder (left out under a rollback timeline, which needs the rows).
        if y < inner.maxY, !showTimeline {
            var lx = inner.x + 1
            for (i, st) in plan.steps.enumerated() {
                let label = st.percent == run.percent ? "[\(st.percent)]" : "\(st.percent)"
                let style = st.percent == run.percent ? Style(.accent, [.bold, .reverse]) : (st.percent < run.percent ? Style(.ok) : Style(.muted))
                let sep = i == 0 ? "" : " " + glyphs.arrow + " "
                let more = i < plan.steps.count - 1 ? 2 : 0 // room for the ellipsis if later steps do not fit
                guard lx + DisplayWidth.of(sep + label) + more <= inner.maxX - 1 || (i == plan.steps.count - 1 && lx + DisplayWidth.of(sep + label) <= inner.maxX - 1) else {
                    put(" " + String(glyphs.ellipsis), x: lx, y: y, style: Style(.muted))
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
        // 3: the gate.
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
        if y < inner.maxY {
            var gx = inner.x + 1
            gx += put(" \(label) ", x: gx, y: y, style: style)
            let rest: String
            switch v.state {
            case .ready: rest = v.next.map { " g → \($0.percent) %" } ?? ""
            case .waiting: rest = " " + DurationText.countdown((v.waitUntil ?? s.now) - s.now) + " left" + (v.next.map { " · then \($0.percent) %" } ?? "")
            case .blocked: rest = " \(v.blockers.count) unmet" + (v.next.map { " · next \($0.percent) %" } ?? "")
            case .busy: rest = " " + (v.blockers.first ?? "")
            case .complete: rest = " at \(run.percent) %"
            case .none: rest = ""
            }
            put(rest, x: gx, y: y, max: inner.maxX - gx - 1, style: Style(.text))
            y += 1
        }
        if v.state == .blocked {
            let room = inner.maxY - y
            for (i, b) in v.blockers.enumerated() {
                guard i < room else { break }
                if i == room - 1, v.blockers.count > room {
                    line("\(glyphs.bullet) (+\(v.blockers.count - i - 1) more) \(b)", Style(.crit))
                    break
                }
                line(glyphs.bullet + " " + b, Style(.crit))
            }
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
        if run.percent > 0, hold > 0, y < inner.maxY { line("hold \(DurationText.format(hold)) at each step", Style(.muted)) }
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
            put(" " + head.0 + " ", x: inner.x + 1, y: y, max: inner.width - 2, style: head.1)
            y += 1
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
        box(rect, title: "SLO", right: names.isEmpty ? nil : (bound.isEmpty ? "no queries" : "\(okCount)/\(bound.count) ok"))
        guard !names.isEmpty else {
            placeholder(rect, ["no SLOs configured"])
            return
        }
        let inner = rect.inset(1)
        var y = inner.y
        for name in names {
            guard y < inner.maxY else { break }
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
            let value = status == .unbound ? (g?.objective ?? "") : (g?.value ?? "")
            let spark = g.map { sparkline($0.history, width: 10, scale: $0.scale) } ?? ""
            // name … value STATUS spark
            // Fixed columns: a value that changes width never moves the status word or the sparkline.
            let valueColumn = max(8, DisplayWidth.of(value))
            let paddedValue = String(repeating: " ", count: valueColumn - DisplayWidth.of(value)) + value
            let right = "\(paddedValue) \(label.padding(toLength: 7, withPad: " ", startingAt: 0))"
            let rw = DisplayWidth.of(right)
            let sw = inner.width >= 36 ? DisplayWidth.of(spark) + 1 : 0
            put(name, x: inner.x + 1, y: y, max: max(4, inner.width - rw - sw - 3), style: Style(.text))
            let rx = inner.maxX - 1 - rw - sw
            put(paddedValue + " ", x: rx, y: y, style: Style(.text, .bold))
            put(label, x: rx + valueColumn + 1, y: y, style: style)
            if sw > 0 { put(spark, x: inner.maxX - sw, y: y, style: Style(.accent)) }
            y += 1
            if let g, !g.green, status != .unbound, y < inner.maxY, inner.height >= names.count * 2 {
                let text = g.detail.isEmpty || g.detail == g.value ? "objective \(g.objective)" : g.detail
                put("  " + text, x: inner.x + 1, y: y, max: inner.width - 2, style: Style(.muted))
                y += 1
            }
        }
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
        box(rect, title: "ROLLBACK", focused: s.focus == .rollback, right: lights.isEmpty ? nil : title)
        guard !lights.isEmpty else {
            placeholder(rect, ["no rollback criteria configured"])
            return
        }
        let inner = rect.inset(1)
        let first = max(0, min(s.lightCursor - inner.height + 1, lights.count - inner.height))
        var y = inner.y
        for (i, l) in lights.enumerated().dropFirst(first) {
            guard y < inner.maxY else { break }
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
                default: return (glyphs.lightOff, l.manual ? "manual" : "waiting", Style(.muted))
                }
            }()
            let sw = DisplayWidth.of(state)
            var x = inner.x + 1
            x += put(glyph + " ", x: x, y: y, style: style == Style(.crit, [.bold, .reverse]) ? Style(.crit, .bold) : style)
            put(l.name, x: x, y: y, max: inner.maxX - x - sw - 2, style: Style(.text))
            put(state, x: inner.maxX - sw - 1, y: y, style: style)
            if s.focus == .rollback, i == s.lightCursor {
                buffer.restyle(Rect(x: inner.x, y: y, width: inner.width, height: 1), Style(.selection))
            }
            y += 1
        }
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
            let handle = c.handle
            let hw = DisplayWidth.of(handle)
            let roleMax = inner.width - 2 - (hw > 0 ? hw + 1 : 0)
            put(c.role, x: inner.x + 1, y: y, max: max(4, roleMax), style: Style(.accent, .bold))
            if hw > 0, hw + 6 < inner.width { put(handle, x: inner.maxX - hw - 1, y: y, style: Style(.text)) }
            let second = [c.name, c.phone].filter { !$0.isEmpty }.joined(separator: glyphs.separator)
            put(second, x: inner.x + 3, y: y + 1, max: inner.width - 3, style: Style(.text))
            y += perContact
        }
    }

    // MARK: Checklist

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
                var tail = "\(p.complete)/\(p.items)"
                if p.blocked > 0 { tail = "\(p.blocked) blocked  " + tail }
                let tw = DisplayWidth.of(tail)
                put("\(mark) \(sec.title)", x: inner.x + 1 + indent, y: y, max: inner.width - indent - tw - 3, style: Style(.title, .bold))
                let tailStyle: Style = p.blocked > 0 ? Style(.crit, .bold) : (p.complete == p.items ? Style(.ok) : Style(.muted))
                put(tail, x: inner.maxX - tw - 1, y: y, style: tailStyle)
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
                if wide, let rec = s.run.record(item.id) {
                    who = "\(rec.actor) \(Timestamp.hm(rec.time))"
                }
                let ww = who.isEmpty ? 0 : DisplayWidth.of(who) + 2
                if let t = item.taskID { x += put(t + " ", x: x, y: y, max: inner.maxX - x - ww, style: Style(.muted)) }
                if item.parallel { x += put("[P] ", x: x, y: y, max: inner.maxX - x - ww, style: Style(.accent)) }
                var text = item.title
                if let d = item.detail { text += " — " + d }
                if text.isEmpty { text = "(no text)" }
                put(text, x: x, y: y, max: inner.maxX - x - ww, style: tstyle)
                if !who.isEmpty { put(who, x: inner.maxX - ww + 1, y: y, style: Style(.muted)) }
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
            lines = [(first, Style(.accent)), (second, Style(.text))]
        case .section(let si):
            let sec = s.checklist.sections[si]
            let p = s.sectionProgress[si]
            let shown = s.titleSection.map { sec.path.dropFirst(s.checklist.sections[$0].path.count) } ?? sec.path[...]
            var first = "\(shown.joined(separator: " / ")) · line \(sec.line)"
            if let off = sec.offsetMinutes { first += " · " + missionOffsetText(off) }
            lines = [(first, Style(.accent)),
                     ("\(p.done) done, \(p.skipped) skipped, \(p.blocked) blocked, \(p.open) open", Style(.text))]
        case nil:
            lines = []
        }
        for (k, l) in lines.prefix(inner.maxY - y).enumerated() {
            put(l.0, x: inner.x + 1, y: y + k, max: inner.width - 2, style: l.1)
        }
    }

    // MARK: Bottom lines

    mutating func messageLine(_ s: ConsoleState, _ rect: Rect) {
        let y = rect.y
        switch s.mode {
        case .search(let q):
            let x = put("/", x: 0, y: y, style: Style(.accent, .bold))
            put(q + "▌", x: x, y: y, max: rect.width - x, style: Style(.text, .bold))
            return
        case .reason(let kind, let item, let text):
            let x = put("\(kind.prompt) for \(item): ", x: 0, y: y, max: rect.width / 2, style: Style(.accent, .bold))
            let hint = "  Enter saves · Esc cancels"
            let hw = DisplayWidth.of(hint)
            put(text + "▌", x: x, y: y, max: max(1, rect.width - x - hw), style: Style(.text, .bold))
            if x + hw + 4 < rect.width { put(hint, x: rect.width - hw, y: y, style: Style(.muted)) }
            return
        case .decisionReason(let ref, let kind, let text):
            let which: String
            switch ref {
            case .saving: which = "saving…"
            case .saved(let seq): which = "seq \(seq)"
            }
            prompt("reason for \(kind.label) (\(which)): ", text, "  Enter saves · Esc leaves it empty", rect)
            return
        case .overrideReason(let text):
            prompt("OVERRIDE — reason (required): ", text, "  Enter overrides · Esc cancels", rect)
            return
        case .lightReason(let name, let trip, let text):
            prompt("\(trip ? "trip" : "clear") “\(name)” — reason: ", text, "  Enter saves · Esc cancels", rect)
            return
        case .confirmRollback:
            put("ROLL BACK \(s.run.percent) % → 0 %? y rolls back, any other key cancels", x: 0, y: y, max: rect.width,
                style: Style(.crit, [.bold, .reverse]))
            return
        case .confirmQuit:
            var ask = "Quit warroom? y quits, any other key stays"
            if s.config.driving, let p = s.run.pendingDecision {
                let d = s.run.decisions[p]
                ask = "A hook is still \(d.kind == .rollback ? "rolling back" : "applying \(d.decision.to) %"): quitting leaves its outcome unknown. y quits anyway, any other key stays"
            }
            put(ask, x: 0, y: y, max: rect.width, style: Style(.warn, [.bold, .reverse]))
            return
        case .normal, .help:
            break
        }
        if let b = s.banner {
            buffer.fill(rect, Cell(" ", Style(.crit, [.bold, .reverse])))
            put((theme.monochrome ? "!! " : "") + b, x: 0, y: y, max: rect.width, style: Style(.crit, [.bold, .reverse]))
            return
        }
        messageText(s, rect)
    }

    static func isPrompt(_ m: Mode) -> Bool {
        switch m {
        case .normal, .help: false
        default: true
        }
    }

    mutating func prompt(_ label: String, _ text: String, _ hint: String, _ rect: Rect) {
        let x = put(label, x: 0, y: rect.y, max: rect.width / 2, style: Style(.accent, .bold))
        let hw = DisplayWidth.of(hint)
        put(text + "▌", x: x, y: rect.y, max: max(1, rect.width - x - hw), style: Style(.text, .bold))
        if x + hw + 4 < rect.width { put(hint, x: rect.width - hw, y: rect.y, style: Style(.muted)) }
    }

    mutating func messageText(_ s: ConsoleState, _ rect: Rect) {
        let y = rect.y
        if s.saving {
            // Written but not yet acknowledged by the journal: nothing is shown as done until it is.
            put("saving…", x: 0, y: y, max: rect.width, style: Style(.warn, .bold))
        } else if let m = s.message {
            let style: Style
            switch m.level {
            case .info: style = Style(.text)
            case .warn: style = Style(.warn, .bold)
            case .error: style = Style(.crit, [.bold, .reverse])
            }
            put(m.level == .error && theme.monochrome ? "!! " + m.text : m.text, x: 0, y: y, max: rect.width, style: style)
        } else {
            put("state \(s.config.stateDir) · journal seq \(s.run.lastSeq)", x: 0, y: y, max: rect.width, style: Style(.muted))
        }
    }

    mutating func footer(_ s: ConsoleState, _ rect: Rect) {
        var x = 0
        if s.banner != nil, s.message != nil || s.saving, !Painter.isPrompt(s.mode) {
            // The banner holds the message line; the message takes the footer's place.
            messageText(s, rect)
            return
        }
        for item in KeyTable.footerItems(ramp: s.config.hasRamp, demo: s.config.demo, width: rect.width) {
            let w = DisplayWidth.of(item)
            if x + w > rect.width { break }
            if let space = item.firstIndex(of: " ") {
                put(String(item[..<space]), x: x, y: rect.y, style: Style(.accent, .bold))
                put(String(item[space...]), x: x + DisplayWidth.of(item[..<space]), y: rect.y, style: Style(.muted))
            } else {
                put(item, x: x, y: rect.y, style: Style(.muted))
            }
            x += w + 2
        }
    }

    mutating func help(_ size: Size, replay: Bool = false) {
        let lines = KeyTable.helpLines(replay: replay)
        let width = min(size.width - 4, 72)
        let height = min(size.height - 2, lines.count + 6)
        let rect = Rect(x: (size.width - width) / 2, y: max(0, (size.height - height) / 2), width: width, height: height)
        buffer.fill(rect, Cell(" ", Style(.text)))
        box(rect, title: "KEYS", focused: true, bottom: "any key closes")
        let inner = rect.inset(1)
        var y = inner.y
        var group = ""
        for l in lines {
            guard y < inner.maxY else { break }
            if l.group != group {
                group = l.group
                put(group, x: inner.x + 1, y: y, style: Style(.title, .bold))
            }
            put(l.keys, x: inner.x + 12, y: y, max: 14, style: Style(.accent, .bold))
            put(l.help, x: inner.x + 27, y: y, max: inner.width - 28, style: Style(.text))
            y += 1
        }
    }
}
