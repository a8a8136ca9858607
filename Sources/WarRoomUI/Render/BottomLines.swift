import WarRoomCore

/// The message line (prompts, banner, messages), the footer and the help overlay.
extension Painter {
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
        case .handOver(let text):
            let withdraw = s.engine.pendingOffer.map { " · Enter alone withdraws the offer to \($0.to)" } ?? ""
            prompt("hand over driving to: ", text, "  Enter offers\(withdraw) · Esc cancels", rect)
            return
        case .lightReason(let name, let trip, let text):
            prompt("\(trip ? "trip" : "clear") “\(name)” — reason: ", text, "  Enter saves · Esc cancels", rect)
            return
        case .confirmSignOff(let role, let sign):
            let ask = sign ? "sign \(role) as \(s.config.actor)? y signs, any other key cancels"
                : "take back your signature for \(role)? y takes it back, any other key keeps it"
            put(ask, x: 0, y: y, max: rect.width, style: Style(.accent, [.bold, .reverse]))
            return
        case .confirmRollback:
            put("ROLL BACK \(s.run.percent) % → 0 %? y rolls back, any other key cancels", x: 0, y: y, max: rect.width,
                style: Style(.crit, [.bold, .reverse]))
            return
        case .confirmQuit:
            var ask = s.saving ? "Quit warroom? A change is still being saved: y quits once it is, any other key stays"
                               : "Quit warroom? y quits, any other key stays"
            if s.engine.driving, let p = s.run.pendingDecision {
                let d = s.run.decisions[p]
                ask = "A hook is still \(d.kind == .rollback ? "rolling back" : "applying \(d.decision.to) %"): quitting ends it — check the traffic by hand. y quits anyway, any other key stays"
            }
            put(ask, x: 0, y: y, max: rect.width, style: Style(.warn, [.bold, .reverse]))
            return
        case .confirmUndo(let what):
            put("undo \(what) — not your last change? y undoes it, any other key keeps it", x: 0, y: y, max: rect.width,
                style: Style(.warn, [.bold, .reverse]))
            return
        case .held(let why, _):
            let hint = "keys held after a refusal — Esc"
            let x = put(why, x: 0, y: y, max: max(1, rect.width - DisplayWidth.of(hint) - 3), style: Style(.warn, .bold))
            put(" · " + hint, x: x, y: y, max: max(0, rect.width - x), style: Style(.warn, [.bold, .reverse]))
            return
        case .normal, .help, .why, .update:
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
        case .normal, .help, .why, .update: false
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
        let writes = s.engine.refusal(.write) == nil
        let layout = s.keyMap.footerLayout(ramp: s.config.hasRamp && !s.config.crew, demo: s.config.demo, width: rect.width, writes: writes)
        for item in layout.items {
            let w = DisplayWidth.of(item)
            if x + w > rect.width { break }
            if let space = item.firstIndex(of: " ") {
                put(String(item[..<space]), x: x, y: rect.y, style: Style(.accent, .bold))
                put(String(item[space...]), x: x + DisplayWidth.of(item[..<space]), y: rect.y, style: Style(.muted))
            } else {
                put(item, x: x, y: rect.y, style: Style(.muted))
            }
            x += w + layout.gap
        }
    }

    mutating func help(_ size: Size, keys: KeyMap = .standard, replay: Bool = false) {
        let lines = keys.helpLines(replay: replay)
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
