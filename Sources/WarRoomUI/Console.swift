import WarRoomCore

/// What the console is about: fixed for the session.
public struct ConsoleConfig: Sendable {
    public var service: String
    public var actor: String
    /// DRIVING (this console holds the writer's lock) or READ-ONLY.
    public var driving: Bool
    /// Mission clock zero; without it the clock shows time since the run started.
    public var t0: Millis?
    public var stateDir: String

    public init(service: String, actor: String, driving: Bool, t0: Millis? = nil, stateDir: String) {
        self.service = service
        self.actor = actor
        self.driving = driving
        self.t0 = t0
        self.stateDir = stateDir
    }
}

/// A row of the checklist pane.
public enum Row: Sendable, Hashable {
    case section(Int)
    case item(Int)
}

public enum Pane: Int, Sendable, CaseIterable {
    case checklist, rollback, contacts, decisions

    public var title: String {
        switch self {
        case .checklist: "CHECKLIST"
        case .rollback: "ROLLBACK"
        case .contacts: "CONTACTS"
        case .decisions: "DECISIONS"
        }
    }
}

public enum Mode: Sendable, Equatable {
    case normal
    case search(String)
    case reason(ReasonKind, item: String, text: String)
    case confirmQuit
    case help
}

public enum ReasonKind: Sendable, Equatable {
    case skip, block
    public var prompt: String { self == .skip ? "skip reason" : "block reason" }
}

public struct Message: Sendable, Equatable {
    public enum Level: Sendable { case info, warn, error }
    public var text: String
    public var level: Level
    /// When it disappears; nil keeps it until replaced.
    public var until: Millis?
}

/// Inputs to the console reducer.
public enum ConsoleAction: Sendable {
    case key(Key)
    case tick(Millis)
    case resize(Size)
    /// The journal accepted (wrote and fsync'd) an event: here is the run state that includes it.
    case saved(RunState, JournalEvent)
    /// The journal could not write: nothing changed.
    case notSaved(String)
    case themeChanged(String)
}

/// What the reducer asks the outside world to do.
public enum ConsoleEffect: Sendable, Equatable {
    case append(EventBody)
    case cycleTheme
    case redraw
    case quit
}

/// The console's whole state. `update` is the only way it changes; `Renderer.render` only reads it.
public struct ConsoleState: Sendable {
    public let config: ConsoleConfig
    public private(set) var checklist: Checklist
    public private(set) var run: RunState
    public private(set) var contacts: [Contact]
    public private(set) var now: Millis
    public private(set) var size: Size
    public var themeName: String

    public private(set) var rows: [Row] = []
    public private(set) var cursor = 0
    public private(set) var scroll = 0
    public private(set) var collapsed: Set<Int> = []
    public private(set) var focus: Pane = .checklist
    public private(set) var mode: Mode = .normal
    public private(set) var message: Message?
    public private(set) var lastQuery = ""
    public private(set) var paneScroll: [Pane: Int] = [:]

    /// ChecklistProgress of each section's subtree, and of the whole checklist; recomputed when the run changes.
    public private(set) var sectionProgress: [ChecklistProgress] = []
    public private(set) var total = ChecklistProgress()
    /// Sections whose subtree has items (the others are prose: not listed).
    private var hasItems: [Bool] = []
    /// A lone level-1 heading over the whole document is the checklist's title (the header shows it), not a row.
    public private(set) var titleSection: Int?

    public init(config: ConsoleConfig, checklist: Checklist, run: RunState, contacts: [Contact]? = nil, now: Millis,
                size: Size, themeName: String = "default") {
        self.config = config
        self.checklist = checklist
        self.run = run
        self.contacts = contacts ?? checklist.contacts
        self.now = now
        self.size = size
        self.themeName = themeName
        titleSection = checklist.titleSection
        recomputeProgress()
        rebuildRows()
    }

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
        hasItems = progress.map { $0.items > 0 }
    }

    mutating func rebuildRows() {
        let keep = rows.indices.contains(cursor) ? rows[cursor] : nil
        var out: [Row] = []
        out.reserveCapacity(checklist.items.count + checklist.sections.count)
        for s in checklist.sections where hasItems[s.index] {
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
            now = t
            if let m = message, let until = m.until, until <= t { message = nil }
            return []
        case .resize(let s):
            size = s
            clampScroll()
            return [.redraw]
        case .saved(let state, let event):
            run = state
            recomputeProgress()
            rebuildRows()
            message = Message(text: describe(event), level: .info, until: now + 6_000)
            return []
        case .notSaved(let error):
            message = Message(text: "NOT SAVED: \(error)", level: .error, until: nil)
            return []
        case .themeChanged(let name):
            themeName = name
            message = Message(text: "theme: \(name)", level: .info, until: now + 3_000)
            return [.redraw]
        case .key(let key):
            return handle(key)
        }
    }

    mutating func handle(_ key: Key) -> [ConsoleEffect] {
        if key == .resize { return [] }
        switch mode {
        case .help:
            mode = .normal
            return []
        case .confirmQuit:
            if key == .char("y") || key == .char("Y") { return [.quit] }
            mode = .normal
            say("still here", .info)
            return []
        case .search(let q):
            return editSearch(q, key)
        case .reason(let kind, let item, let text):
            return editReason(kind, item, text, key)
        case .normal:
            break
        }
        guard let binding = KeyTable.binding(for: key) else {
            if KeyTable.reserved.contains(key) {
                say("\(key.label): ramp decisions need a ramp — none is configured for this run", .warn)
            } else if key != .escape {
                say("\(key.label) does nothing here — ? for help", .info)
            } else {
                message = nil
            }
            return []
        }
        if binding.writes, !config.driving {
            say("read-only — another console is driving", .warn)
            return []
        }
        return perform(binding.command)
    }

    mutating func perform(_ command: Command) -> [ConsoleEffect] {
        let page = checklistPageSize
        switch command {
        case .down: move(by: 1)
        case .up: move(by: -1)
        case .pageDown: move(by: page)
        case .pageUp: move(by: -page)
        case .top: move(by: -rows.count - paneLength())
        case .bottom: move(by: rows.count + paneLength())
        case .nextPane: focus = Pane(rawValue: (focus.rawValue + 1) % Pane.allCases.count) ?? .checklist
        case .previousPane: focus = Pane(rawValue: (focus.rawValue + Pane.allCases.count - 1) % Pane.allCases.count) ?? .checklist
        case .toggle:
            guard focus == .checklist else { return [] }
            switch selectedRow {
            case .section(let s): fold(s, !collapsed.contains(s))
            case .item(let i):
                let item = checklist.items[i]
                let target: ItemStatus = run.status(of: item) == .done ? .open : .done
                return [.append(.itemSet(ItemSet(id: item.id, status: target)))]
            case nil: break
            }
        case .skip, .block:
            guard focus == .checklist, let item = selectedItem else {
                say("select an item first", .info)
                return []
            }
            mode = .reason(command == .skip ? .skip : .block, item: item.id, text: "")
        case .undo:
            guard let id = run.lastUndoable(by: config.actor) else {
                say("nothing of yours to undo", .info)
                return []
            }
            return [.append(.itemUndo(ItemUndo(id: id)))]
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
            mode = .confirmQuit
        case .redraw: return [.redraw]
        }
        return []
    }

    /// Lines in a non-checklist pane (for Home/End there).
    func paneLength() -> Int {
        switch focus {
        case .contacts: contacts.count
        case .decisions, .rollback, .checklist: 0
        }
    }

    mutating func move(by delta: Int) {
        if focus == .checklist {
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
            message = nil
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
        case .char(let c):
            let nq = q + String(c)
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
        for s in checklist.sections where hasItems[s.index] {
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

    // MARK: Reasons

    mutating func editReason(_ kind: ReasonKind, _ item: String, _ text: String, _ key: Key) -> [ConsoleEffect] {
        switch key {
        case .escape:
            mode = .normal
            say("\(kind == .skip ? "skip" : "block") cancelled", .info)
        case .enter:
            let reason = text.trimmingCharacters(in: " ")
            guard !reason.isEmpty else {
                say("a reason is required — type it, or Esc to cancel", .warn)
                return []
            }
            mode = .normal
            return [.append(.itemSet(ItemSet(id: item, status: kind == .skip ? .skipped : .blocked, reason: reason)))]
        case .backspace:
            mode = .reason(kind, item: item, text: String(text.dropLast()))
        case .ctrl("u"):
            mode = .reason(kind, item: item, text: "")
        case .char(let c):
            if text.count < 500 { mode = .reason(kind, item: item, text: text + String(c)) }
        default:
            break
        }
        return []
    }

    // MARK: Messages

    mutating func say(_ text: String, _ level: Message.Level) {
        message = Message(text: text, level: level, until: now + (level == .info ? 5_000 : 8_000))
    }

    func describe(_ e: JournalEvent) -> String {
        switch e.body {
        case .itemSet(let s):
            let title = checklist.item(id: s.id)?.title ?? s.id
            return "saved: \(s.id) \(s.status.rawValue)\(s.reason.map { " (\($0))" } ?? "") — \(title)"
        case .itemUndo(let u):
            let now = checklist.item(id: u.id).map { run.status(of: $0).rawValue } ?? "?"
            return "saved: undo \(u.id) → \(now)"
        case .runStarted:
            return "run started"
        }
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
