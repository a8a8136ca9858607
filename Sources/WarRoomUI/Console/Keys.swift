import WarRoomCore

/// Keys: the prompts that are open take them first; otherwise the one key table maps them to a navigation step here
/// or to an intent for the engine. A key the engine would refuse opens no prompt; instead the keys typed after it are
/// held (swallowed) until Escape or a quiet moment, so a reason typed for a prompt that never opened is never read as
/// commands.
extension ConsoleState {
    /// How long the keyboard must be quiet before a hold after a refusal ends by itself.
    public static let holdQuietMs: Millis = 1_200

    mutating func handle(_ key: Key) -> [ConsoleEffect] {
        if key == .resize { return [] }
        // A paste is text: typed into an open prompt (below, by `edit`), never a command key anywhere else.
        if case .paste = key, !mode.takesText {
            say("paste ignored outside a prompt", .warn)
            return []
        }
        switch mode {
        case .held(let why, let last):
            if key == .escape {
                mode = .normal // the refusal stays on the message line for its few seconds
                return []
            }
            // Only what typing produces is held (characters, space, Enter, Backspace): arrows, Tab and the like are
            // never text, so they act at once.
            if Self.isText(key), now - last < Self.holdQuietMs {
                mode = .held(refusal: why, lastKey: now)
                return []
            }
            mode = .normal // quiet long enough, or not text: this key is a new command
        case .help:
            mode = .normal
            return []
        case .why:
            return whyKey(key)
        case .update:
            return updateKey(key)
        case .confirmQuit:
            if key == .char("y") || key == .char("Y") { return [.quit] }
            mode = .normal
            say("still here", .info)
            return []
        case .search(let q):
            return editSearch(q, key)
        case .reason(let kind, let item, let text):
            return editPrompt(text, key, update: { .reason(kind, item: item, text: $0) }, required: "a reason is required",
                              cancelled: "\(kind == .skip ? "skip" : "block") cancelled") { s, reason in
                s.send(.intent(.setItem(id: item, status: kind == .skip ? .skipped : .blocked, reason: reason)))
            }
        case .confirmSignOff(let role, let sign):
            return confirmSignOff(role, sign: sign, key)
        case .decisionReason(let ref, let kind, let text):
            return editPrompt(text, key, update: { .decisionReason(ref, kind: kind, text: $0) }, required: nil,
                              cancelled: "\(kind.label) saved without a reason") { s, reason in
                s.send(.intent(.decisionReason(ref, reason: reason)))
            }
        case .overrideReason(let text):
            return editPrompt(text, key, update: { .overrideReason(text: $0) }, required: "an override needs a reason",
                              cancelled: "override cancelled") { s, reason in
                s.send(.intent(.override(reason: reason)))
            }
        case .confirmUndo:
            mode = .normal
            if key == .char("y") || key == .char("Y") { return send(.intent(.undo)) }
            say("nothing undone", .info)
            return []
        case .confirmRollback:
            mode = .normal
            if key == .char("y") || key == .char("Y") { return decide(.rollback) }
            say("rollback cancelled", .info)
            return []
        case .lightReason(let name, let trip, let text):
            return editPrompt(text, key, update: { .lightReason(name: name, trip: trip, text: $0) }, required: "a reason is required",
                              cancelled: "cancelled") { s, reason in
                s.send(.intent(trip ? .tripLight(name: name, reason: reason) : .clearLight(name: name, reason: reason)))
            }
        case .handOver(let text):
            if key == .enter, text.trimmingCharacters(in: " ").isEmpty, engine.pendingOffer != nil {
                mode = .normal
                return send(.intent(.offerDriving(to: nil))) // Enter alone withdraws the offer
            }
            return editPrompt(text, key, update: { .handOver(text: $0) }, required: "a name is required",
                              cancelled: "hand-over cancelled") { s, name in s.send(.intent(.offerDriving(to: name))) }
        case .normal:
            break
        }
        guard let binding = keyMap.binding(for: key) else {
            if key != .escape { say("\(key.label) does nothing here — ? for help", .info) } else { dismissMessage() }
            return []
        }
        if binding.writes, let no = engine.refusal(.write) {
            show(no)
            hold()
            return []
        }
        let shown = messageCount
        let effects = perform(binding.command)
        // A writing key that changed nothing, opened no prompt and said why: a refusal. Hold what is typed next.
        if binding.writes, effects.isEmpty, mode == .normal, messageCount > shown { hold() }
        return effects
    }

    static func isText(_ key: Key) -> Bool {
        switch key {
        case .char, .enter, .backspace: true
        default: false
        }
    }

    /// `u`: undoes your last change at once; when what it would take back is an older change of yours, it first
    /// says which and asks `y`.
    mutating func undoKey() -> [ConsoleEffect] {
        let me = config.actor
        guard engine.refusal(.write) == nil, !saving, let id = run.lastUndoable(by: me),
              let change = run.changes.last(where: { !$0.undo && $0.actor == me && $0.item == id }) else {
            return send(.intent(.undo)) // the engine says why not
        }
        let lastOwn = run.changes.last { $0.actor == me }
        if lastOwn?.seq == change.seq { return send(.intent(.undo)) }
        let text = checklist.itemIndex(id: id).map { " “\(String(checklist.items[$0].text.prefix(40)))”" } ?? ""
        mode = .confirmUndo(what: "\(id)\(text): \(change.to?.rawValue ?? "open") at \(Timestamp.hms(change.time))")
        return []
    }

    /// Holds the keys typed next after a refusal (see `Mode.held`).
    mutating func hold() {
        mode = .held(refusal: message?.text ?? "refused", lastKey: now)
    }

    /// One prompt's editing: Esc cancels, Enter submits the trimmed text (refused while empty when `required` says
    /// why), editing keys edit, anything else is ignored.
    mutating func editPrompt(_ text: String, _ key: Key, update: (String) -> Mode, required: String?, cancelled: String,
                             submit: (inout ConsoleState, String) -> [ConsoleEffect]) -> [ConsoleEffect] {
        switch key {
        case .escape:
            mode = .normal
            say(cancelled, .info)
        case .enter:
            let reason = text.trimmingCharacters(in: " ")
            if reason.isEmpty {
                if let required {
                    say("\(required) — type it, or Esc to cancel", .warn)
                    return []
                }
                mode = .normal
                return []
            }
            mode = .normal
            return submit(&self, reason)
        default:
            if let t = Self.edit(text, key) { mode = update(t) }
        }
        return []
    }

    /// Line editing shared by every prompt: the new text for an editing key, nil for any other key.
    static func edit(_ text: String, _ key: Key) -> String? {
        switch key {
        case .backspace: return String(text.dropLast())
        case .ctrl("u"): return ""
        case .char(let c): return text.count < 500 ? text + String(c) : text
        case .paste(let p): return String((text + pasted(p)).prefix(500))
        default: return nil
        }
    }

    /// Pasted text as a prompt takes it: each line break (CR LF, LF or CR) and tab becomes a space — a paste never
    /// presses Enter — and other control characters are dropped.
    static func pasted(_ text: String) -> String {
        var out = ""
        var lastCR = false
        for u in text.unicodeScalars {
            defer { lastCR = u == "\r" }
            switch u.value {
            case 0x0A where lastCR: continue
            case 0x0A, 0x0D, 0x09: out.append(" ")
            case 0..<0x20, 0x7F..<0xA0: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A decision key: the engine decides; if it asks to journal the decision, the reason prompt opens at once, so
    /// the keys typed next are the reason even while the decision is still being saved.
    mutating func decide(_ intent: Intent) -> [ConsoleEffect] {
        let effects = send(.intent(intent))
        for case .command(.append(let id, .rampDecision(let d))) in effects where d.reason == nil && mode == .normal {
            mode = .decisionReason(.saving(append: id), kind: d.kind, text: "")
        }
        return effects
    }

    /// Asks the engine first; opens `prompt` only when the intent is allowed now.
    mutating func prompt(_ kind: IntentKind, _ prompt: Mode) {
        if let no = engine.refusal(kind) { show(no) } else { mode = prompt }
    }

    mutating func perform(_ command: KeyCommand) -> [ConsoleEffect] {
        let page = checklistPageSize
        switch command {
        case .down: move(by: 1)
        case .up: move(by: -1)
        case .pageDown: move(by: page)
        case .pageUp: move(by: -page)
        case .top: move(by: -rows.count - paneLength())
        case .bottom: move(by: rows.count + paneLength())
        case .nextPane: cycleFocus(by: 1)
        case .previousPane: cycleFocus(by: Pane.allCases.count - 1)
        case .go: return decide(.go)
        case .nogo: return decide(.nogo)
        case .rollback: prompt(.rollback, .confirmRollback)
        case .override: prompt(.override, .overrideReason(text: ""))
        case .verify: return send(.intent(.verify))
        case .handOver: prompt(.handOver, .handOver(text: ""))
        case .toggleLight: toggleLight()
        case .fault:
            guard config.demo else {
                say("f injects faults in warroom demo only", .info)
                return []
            }
            return [.cycleFault]
        case .toggle:
            if focus == .rollback { toggleLight(); return [] }
            guard focus == .checklist else { return [] }
            switch selectedRow {
            case .section(let s): fold(s, !collapsed.contains(s))
            case .item(let i): return send(.intent(.toggleItem(id: checklist.items[i].id)))
            case nil: break
            }
        case .skip, .block:
            guard focus == .checklist, let item = selectedItem else {
                say("select an item first", .info)
                return []
            }
            mode = .reason(command == .skip ? .skip : .block, item: item.id, text: "")
        case .undo:
            return undoKey()
        case .signOff: signOffKey()
        case .explain:
            explain()
        case .draftUpdate:
            mode = .update
        case .toggleSection where focus == .rollback || focus == .slo:
            explain()
        case .toggleSection, .expand, .collapse:
            guard focus == .checklist, let row = selectedRow else { return [] }
            switch (row, command) {
            case (.section(let s), .toggleSection): fold(s, !collapsed.contains(s))
            case (.section(let s), .expand): fold(s, false)
            case (.section(let s), .collapse):
                if collapsed.contains(s), let p = checklist.sections[s].parent, p != 0, p != titleSection { fold(p, true) } else { fold(s, true) }
            case (.item(let i), .collapse):
                let s = checklist.items[i].section
                if s != 0, s != titleSection { fold(s, true) }
            default: break
            }
        case .search:
            focus = .checklist
            mode = .search("")
        case .nextMatch: jumpToMatch(lastQuery, forward: true, includeCurrent: false)
        case .previousMatch: jumpToMatch(lastQuery, forward: false, includeCurrent: false)
        case .cycleTheme: return [.cycleTheme]
        case .help: mode = .help
        case .quit:
            // Telemetry's verdict changes save every few seconds on their own: q always asks; a change still on
            // its way is written and acknowledged before the console closes (the prompt says so).
            mode = .confirmQuit
        case .redraw: return [.redraw]
        case .replayPause, .replayStep, .replayStepBack, .replayForward, .replayBack, .replayFaster, .replaySlower, .replayRestart:
            break // the replay session takes these first; the console has no replay to steer
        }
        return []
    }

    public var selectedLight: LightInfo? {
        config.lights.indices.contains(lightCursor) ? config.lights[lightCursor] : nil
    }

    /// `i why`: the bottom hint of a focused ROLLBACK or SLO pane, with the key as mapped.
    public var whyHint: String { (keyMap.bindings.first { $0.command == .explain }?.keys.first?.label ?? "i") + " why" }

    public var selectedSLO: String? { config.slos.indices.contains(sloCursor) ? config.slos[sloCursor] : nil }

    /// `i` (Enter on a light or an SLO): opens the detail view of the selected one.
    mutating func explain() {
        switch focus {
        case .rollback:
            guard let l = selectedLight else { return say("no rollback criteria configured", .info) }
            mode = .why(.light(l.name))
        case .slo:
            guard let name = selectedSLO else { return say("no SLOs configured", .info) }
            mode = .why(.slo(name))
        default:
            let key = keyMap.bindings.first { $0.command == .nextPane }?.keys.first?.label ?? "tab"
            say("select a light (ROLLBACK) or an SLO first: \(key) moves between panes", .info)
        }
    }

    /// The detail view's keys: up and down move to the next light or SLO, the closing keys close, the rest do nothing.
    mutating func whyKey(_ key: Key) -> [ConsoleEffect] {
        let command = keyMap.binding(for: key)?.command
        switch command {
        case .down?, .up?:
            move(by: command == .down ? 1 : -1)
            explain()
        default:
            if key == .escape || key == .enter || command.map({ [.explain, .quit, .toggleSection].contains($0) }) == true { mode = .normal }
        }
        return []
    }

    /// The drafted update's keys: `w` saves it (on the driving console), the closing keys close, the rest do nothing.
    mutating func updateKey(_ key: Key) -> [ConsoleEffect] {
        let command = keyMap.binding(for: key)?.command
        if key == .char("w"), let draft = updateDraft {
            guard engine.driving else {
                say("the driving console saves drafts; here: warroom report --update > update.md", .info)
                return []
            }
            mode = .normal
            return [.saveUpdate(draft)]
        }
        if key == .escape || key == .enter || command.map({ [.draftUpdate, .quit].contains($0) }) == true { mode = .normal }
        return []
    }

    /// The stakeholder update drafted from the journal while `U` shows it (nil otherwise).
    public var updateDraft: String? {
        guard mode == .update else { return nil }
        return StakeholderUpdate.draft(run: engine.run, config: engine.config, now: now)
    }

    /// The text of the open detail view (nil when none is open).
    public var explanation: Explanation? {
        switch mode {
        case .why(.light(let name)): engine.explainLight(name)
        case .why(.slo(let name)): engine.explainSLO(name)
        default: nil
        }
    }

    mutating func toggleLight() {
        if let no = engine.refusal(.criterion) {
            show(no)
            return
        }
        guard let l = selectedLight else {
            say(config.lights.isEmpty ? "no rollback criteria configured" : "select a criterion in the ROLLBACK pane (tab)", .info)
            return
        }
        if focus != .rollback {
            say("select a criterion in the ROLLBACK pane first (tab to it)", .info)
            return
        }
        if run.tripped[l.name] != nil {
            mode = .lightReason(name: l.name, trip: false, text: "")
        } else if l.manual {
            mode = .lightReason(name: l.name, trip: true, text: "")
        } else {
            say("“\(l.name)” is watched by telemetry: it trips by itself (x acknowledges it once tripped)", .info)
        }
    }
}
