import WarRoomCore

/// The console's whole state: the engine (every rule of the run) plus what only the screen has — navigation,
/// folding, search, prompts, the message line. `update` is the only way it changes; `Renderer.render` only reads it.
public struct ConsoleState: Sendable {
    public internal(set) var engine: Engine
    public let config: ConsoleConfig
    public internal(set) var contacts: [Contact]
    public internal(set) var size: Size
    public var themeName: String

    public internal(set) var rows: [Row] = []
    public internal(set) var cursor = 0
    public internal(set) var scroll = 0
    public internal(set) var collapsed: Set<Int> = []
    public internal(set) var focus: Pane = .checklist
    public internal(set) var mode: Mode = .normal
    public internal(set) var message: Message?
    /// The last sticky notice (a lost lease, NOT SAVED, a damaged journal): a passing message covers it only for its
    /// own few seconds, then it shows again; Escape dismisses it.
    var pinned: Message?
    public internal(set) var lastQuery = ""
    public internal(set) var paneScroll: [Pane: Int] = [:]
    /// Selected row of the ROLLBACK pane.
    public internal(set) var lightCursor = 0
    /// Selected row of the SLO pane.
    public internal(set) var sloCursor = 0
    /// A follower's reading of the driver lease (`ConsoleAction.driverLease`): names the driver in the header.
    public internal(set) var leaseDriver: String?
    /// The key table with the config's `keys:` applied (what has a problem keeps its default; lint names it).
    public let keyMap: KeyMap

    /// ChecklistProgress of each section's subtree, and of the whole checklist; recomputed when the run changes.
    public internal(set) var sectionProgress: [ChecklistProgress] = []
    public internal(set) var total = ChecklistProgress()
    /// The run's seq the progress was computed at.
    var progressSeq = -1
    /// Counts messages shown; `askedAt` remembers the count when each append was asked for, so its acknowledgement
    /// knows whether a warning came up after it (a key refused meanwhile).
    var messageCount = 0
    var askedAt: [Int: Int] = [:]
    /// Sections listed: their subtree has items or a sign-off (the others are prose).
    var listed: [Bool] = []
    /// The rows that carry sign-offs (the sign key's and the pane's).
    public let signOffRows: SignOffRows
    /// A lone level-1 heading over the whole document is the checklist's title (the header shows it), not a row.
    public internal(set) var titleSection: Int?
    /// The checklist's phases on the mission clock, by due time (computed once: the checklist and t0 do not change
    /// under a console); empty without t0. `phaseProgress` is each one's progress.
    public internal(set) var phases: [PhaseDue] = []
    public internal(set) var phaseProgress: [ChecklistProgress] = []

    public init(engine: Engine, contacts: [Contact]? = nil, size: Size, themeName: String = "default") {
        self.engine = engine
        config = ConsoleConfig(engine)
        self.contacts = contacts ?? engine.config.contacts ?? engine.checklist.contacts
        self.size = size
        self.themeName = themeName
        titleSection = engine.checklist.titleSection
        if let t0 = engine.config.t0 {
            phases = engine.checklist.phases(t0: t0, utcOffsetMinutes: engine.config.t0UTCOffsetMinutes ?? 0)
        }
        signOffRows = SignOffRows(engine.checklist)
        keyMap = KeyMap.remapped(engine.config.keys ?? []).map
        recomputeProgress()
        rebuildRows()
    }

    // MARK: The engine's state, as the panes read it

    public var checklist: Checklist { engine.checklist }
    public var run: RunState { engine.run }
    public var now: Millis { engine.now }
    public var telemetry: TelemetryView { engine.telemetry }
    public var viewAge: Millis? { engine.viewAge }
    public var verdict: GateVerdict { engine.verdict }
    public var banner: String? { engine.banner }
    public var lightSignals: [GateSignal] { engine.lightSignals }
    public var sloSignals: [GateSignal] { engine.sloSignals }
    /// Something is on its way to the journal: shown as "saving…" until it is acknowledged.
    public var saving: Bool { engine.isSaving }

    /// How deep a section sits below the top level shown (the title section does not count).
    public func displayDepth(_ section: Int) -> Int {
        var d = 0
        var p = checklist.sections[section].parent
        while let pi = p, pi != 0, pi != titleSection {
            d += 1
            p = checklist.sections[pi].parent
        }
        return d
    }

    // MARK: Derived data

    mutating func recomputeProgress() {
        guard progressSeq != run.lastSeq else { return }
        progressSeq = run.lastSeq
        var progress = Array(repeating: ChecklistProgress(), count: checklist.sections.count)
        var t = ChecklistProgress()
        for item in checklist.items {
            let status = run.status(of: item)
            func add(_ p: inout ChecklistProgress) {
                p.items += 1
                switch status {
                case .done: p.done += 1
                case .skipped: p.skipped += 1
                case .blocked: p.blocked += 1
                case .open: p.open += 1
                }
            }
            add(&t)
            var s: Int? = item.section
            while let si = s {
                add(&progress[si])
                s = checklist.sections[si].parent
            }
        }
        sectionProgress = progress
        total = t
        phaseProgress = phases.map { ChecklistProgress(checklist: checklist, state: run, indices: $0.items) }
        listed = progress.map { $0.items > 0 }
        for s in signOffRows.listed { listed[s] = true }
        rebuildRows()
    }

    mutating func rebuildRows() {
        let keep = rows.indices.contains(cursor) ? rows[cursor] : nil
        var out: [Row] = []
        out.reserveCapacity(checklist.items.count + checklist.sections.count)
        for s in checklist.sections where listed[s.index] {
            if isHidden(section: s.index) { continue }
            let isTitle = s.index == 0 || s.index == titleSection
            if !isTitle { out.append(.section(s.index)) }
            if isTitle || !collapsed.contains(s.index) {
                for i in s.items { out.append(.item(i)) }
            }
        }
        rows = out
        if let keep, let i = rows.firstIndex(of: keep) { cursor = i }
        cursor = min(max(0, cursor), max(0, rows.count - 1))
        clampScroll()
    }

    /// Whether an ancestor of `section` is folded.
    func isHidden(section: Int) -> Bool {
        var p = checklist.sections[section].parent
        while let pi = p {
            if collapsed.contains(pi) { return true }
            p = checklist.sections[pi].parent
        }
        return false
    }

    public var selectedRow: Row? { rows.indices.contains(cursor) ? rows[cursor] : nil }

    public var selectedItem: Item? {
        if case .item(let i) = selectedRow { return checklist.items[i] }
        return nil
    }

    /// Rows the checklist pane shows at the current size (from the same layout render uses).
    public var checklistPageSize: Int { max(1, Layout(size).checklistRows) }

    mutating func clampScroll() {
        let page = checklistPageSize
        if cursor < scroll { scroll = cursor }
        if cursor >= scroll + page { scroll = cursor - page + 1 }
        scroll = max(0, min(scroll, max(0, rows.count - page)))
    }

    // MARK: Update

    /// The reducer: applies one action and returns the effects to carry out.
    public mutating func update(_ action: ConsoleAction) -> [ConsoleEffect] {
        switch action {
        case .tick(let t):
            let effects = send(.tick(t))
            if let m = message, let until = m.until, until <= t { message = pinned }
            if case .held(_, let last) = mode, t - last >= Self.holdQuietMs { mode = .normal }
            return effects
        case .resize(let s):
            size = s
            clampScroll()
            return [.redraw]
        case .themeChanged(let name):
            themeName = name
            message = Message(text: "theme: \(name)", level: .info, until: now + 3_000)
            return [.redraw]
        case .engine(let a):
            let effects = send(a)
            // The reason prompt of a decision still being saved learns its seq, or closes if it was not saved.
            if case .decisionReason(.saving(let pending), let kind, let text) = mode {
                if case .appended(pending, let event) = a {
                    mode = .decisionReason(.saved(seq: event.seq), kind: kind, text: text)
                } else if case .appendFailed(pending, _) = a {
                    mode = .normal
                }
            }
            return effects
        case .key(let key):
            return handle(key)
        case .driverLease(let text):
            leaseDriver = text
            return []
        }
    }

    /// Hands an action to the engine: its notices become the message line, its other commands effects.
    mutating func send(_ action: Action) -> [ConsoleEffect] {
        let commands = engine.reduce(action)
        recomputeProgress()
        var effects: [ConsoleEffect] = []
        var warningsSince: Int?
        if case .appended(let id, _) = action { warningsSince = askedAt.removeValue(forKey: id) ?? messageCount }
        if case .appendFailed(let id, _) = action { askedAt[id] = nil }
        for c in commands {
            switch c {
            case .show(let n): show(n, keepingWarningsAfter: warningsSince)
            case .append(let id, _):
                askedAt[id] = messageCount
                effects.append(.command(c))
            default: effects.append(.command(c))
            }
        }
        return effects
    }

    /// `keepingWarningsAfter`: the notice answers one of our own appends, asked for when `messageCount` was this.
    mutating func show(_ n: Notice, keepingWarningsAfter asked: Int? = nil) {
        // The journal's acknowledgement arrives after the keys typed meanwhile: its "saved" must not wipe a warning a
        // key raised after the change was asked for (a refusal), which still has seconds to live. A warning from
        // before it (the key that was refused, then this change) gives way. Other writers' news always shows.
        if let asked, messageCount > asked, n.level == .info, let m = message, m.level != .info, let until = m.until,
           until > now { return }
        message = Message(text: n.text, level: n.level,
                          until: n.sticky ? nil : now + (n.level == .info ? 5_000 : 8_000))
        if n.sticky { pinned = message }
        messageCount += 1
    }

    mutating func say(_ text: String, _ level: Message.Level) { show(Notice(text, level)) }

    /// Escape, or a search given up: clears a passing message back to the pinned one, or dismisses the pinned one.
    mutating func dismissMessage() {
        if message == nil || message == pinned { pinned = nil }
        message = pinned
    }
}

extension String {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

extension ConsoleState {
    /// Whether phase `k` (an index into `phases`) is past its due time with items not done or skipped.
    public func phaseOverdue(phase k: Int) -> Bool {
        guard let t0 = config.t0, phases.indices.contains(k), phaseProgress.indices.contains(k) else { return false }
        return now > phases[k].due(t0: t0) && phaseProgress[k].complete < phaseProgress[k].items
    }

    /// Whether section `si` owns a phase past due with items open (its own due time, or a timeline bullet's in it).
    public func phaseOverdue(_ si: Int) -> Bool {
        phases.indices.contains { k in
            let p = phases[k]
            let here: Bool = switch p.owner {
            case .section(let s): s == si
            case .timeline: p.section == si
            case .item: false
            }
            return here && phaseOverdue(phase: k)
        }
    }

    /// Whether item `ii` owns a phase past due ("**Infrastructure Validation** (9:15-9:45 AM)") with items open.
    public func itemPhaseOverdue(_ ii: Int) -> Bool {
        phases.indices.contains { phases[$0].ownerItem == ii && phaseOverdue(phase: $0) }
    }
}
