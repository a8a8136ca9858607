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
    /// The ramp's steps and holds; no steps: checklist tracking only.
    public var ramp: RampPlan
    /// Rollback criteria, in config order.
    public var lights: [LightInfo]
    /// SLOs, in config order (bound or not).
    public var slos: [String]
    /// SLOs listed without a query (derived from the checklist's text): shown, never gated on.
    public var unboundSLOs: Set<String>
    /// `warroom demo`: the fault key drives the simulated service.
    public var demo: Bool
    /// Who holds the writer's lock, for the read-only answer.
    public var driver: String?
    /// Replaces the DRIVING / READ-ONLY badge (e.g. "REPLAY 60×").
    public var badge: String?

    public init(service: String, actor: String, driving: Bool, t0: Millis? = nil, stateDir: String,
                ramp: RampPlan = RampPlan(steps: []), lights: [LightInfo] = [], slos: [String] = [],
                unboundSLOs: Set<String> = [], demo: Bool = false, driver: String? = nil) {
        self.service = service
        self.actor = actor
        self.driving = driving
        self.t0 = t0
        self.stateDir = stateDir
        self.ramp = ramp
        self.lights = lights
        self.slos = slos
        self.unboundSLOs = unboundSLOs
        self.demo = demo
        self.driver = driver
    }

    public var hasRamp: Bool { !ramp.steps.isEmpty }
}

/// A rollback criterion as the console shows it.
public struct LightInfo: Sendable, Equatable {
    public var name: String
    /// Tripped and cleared by a person (no telemetry bound).
    public var manual: Bool
    /// "error rate > 5 % for 10m", "alerts severity=critical": what it watches.
    public var watches: String?
    public var auto: Bool

    public init(name: String, manual: Bool, watches: String? = nil, auto: Bool = false) {
        self.name = name
        self.manual = manual
        self.watches = watches
        self.auto = auto
    }
}

/// Live telemetry as the console shows it: built by the driver from its gauges and monitors after every sample.
public struct TelemetryView: Sendable, Equatable, Codable {
    public struct Gauge: Sendable, Equatable, Codable {
        public var name: String
        /// ok, warn, breach, unknown, stale
        public var status: String
        public var value: String
        public var objective: String
        public var detail: String
        public var history: [Double]
        /// The sparkline's top: the objective's threshold, so healthy noise stays low.
        public var scale: Double?

        public init(name: String, status: String, value: String, objective: String, detail: String, history: [Double],
                    scale: Double? = nil) {
            self.name = name
            self.status = status
            self.value = value
            self.objective = objective
            self.detail = detail
            self.history = history
            self.scale = scale
        }

        public var green: Bool { status == "ok" }
    }

    public struct Light: Sendable, Equatable, Codable {
        public var name: String
        /// ok, watch, tripped, blind
        public var status: String
        public var detail: String
        /// While watching: when it trips if the condition keeps holding.
        public var tripsAt: Millis?

        public init(name: String, status: String, detail: String, tripsAt: Millis? = nil) {
            self.name = name
            self.status = status
            self.detail = detail
            self.tripsAt = tripsAt
        }
    }

    public var gauges: [Gauge]
    public var lights: [Light]
    public var sourceErrors: [String]

    public init(gauges: [Gauge] = [], lights: [Light] = [], sourceErrors: [String] = []) {
        self.gauges = gauges
        self.lights = lights
        self.sourceErrors = sourceErrors
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
    /// After a decision: an optional reason (Enter saves, Esc leaves it empty).
    case decisionReason(seq: Int, kind: DecisionKind, text: String)
    /// `G`: the reason is mandatory, and the override happens on Enter.
    case overrideReason(text: String)
    case confirmRollback
    /// Trip or clear a rollback criterion: the reason is mandatory.
    case lightReason(name: String, trip: Bool, text: String)
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
    /// A follower re-read the journal: the run as it now stands, and its newest event.
    case reloaded(RunState, latest: JournalEvent?)
    /// A follower's view of the driver's telemetry: how old it is (nil: the driver never published).
    case viewAge(Millis?)
    /// The journal could not write: nothing changed.
    case notSaved(String)
    case themeChanged(String)
    /// New gauge and light readings.
    case telemetry(TelemetryView)
    /// Something outside the reducer wants to say something (a hook refused, a fault injected).
    case notice(String, Message.Level)
}

/// What the reducer asks the outside world to do.
public enum ConsoleEffect: Sendable, Equatable {
    case append(EventBody)
    /// Journal a ramp decision; when `hook` is non-nil the driver fills in the expanded argv and runs it.
    case decide(RampDecision)
    /// `warroom demo`: cycle the simulated service's fault.
    case cycleFault
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
    public private(set) var telemetry = TelemetryView()
    /// Followers: how old the driver's published view is (nil: none yet).
    public private(set) var viewAge: Millis?
    /// Selected row of the ROLLBACK pane.
    public private(set) var lightCursor = 0

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
            if case .verdictChange = event.body {} else {
                message = Message(text: describe(event), level: .info, until: now + 6_000)
            }
            if case .hookResult(let h) = event.body, !h.ok { message = Message(text: describe(event), level: .error, until: nil) }
            if case .rampDecision(let d) = event.body, event.actor == config.actor, config.driving,
               [.go, .nogo, .rollback].contains(d.kind), d.reason == nil, mode == .normal {
                mode = .decisionReason(seq: event.seq, kind: d.kind, text: "")
            }
            return []
        case .reloaded(let state, let latest):
            let grew = state.lastSeq != run.lastSeq
            run = state
            recomputeProgress()
            rebuildRows()
            if grew, let e = latest { message = Message(text: "\(e.actor): " + describe(e), level: .info, until: now + 6_000) }
            return []
        case .viewAge(let age):
            viewAge = age
            return []
        case .notSaved(let error):
            message = Message(text: "NOT SAVED: \(error)", level: .error, until: nil)
            return []
        case .themeChanged(let name):
            themeName = name
            message = Message(text: "theme: \(name)", level: .info, until: now + 3_000)
            return [.redraw]
        case .telemetry(let t):
            telemetry = t
            return []
        case .notice(let text, let level):
            say(text, level)
            return []
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
        case .decisionReason(let seq, let kind, let text):
            return editDecisionReason(seq, kind, text, key)
        case .overrideReason(let text):
            return editOverride(text, key)
        case .confirmRollback:
            mode = .normal
            if key == .char("y") || key == .char("Y") { return rollbackNow() }
            say("rollback cancelled", .info)
            return []
        case .lightReason(let name, let trip, let text):
            return editLightReason(name, trip, text, key)
        case .normal:
            break
        }
        guard let binding = KeyTable.binding(for: key) else {
            if key != .escape {
                say("\(key.label) does nothing here — ? for help", .info)
            } else {
                message = nil
            }
            return []
        }
        if binding.writes, !config.driving {
            say(config.badge.map { "\($0): read-only" } ?? "read-only — \(config.driver ?? "another console") is driving", .warn)
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
        case .nextPane: cycleFocus(by: 1)
        case .previousPane: cycleFocus(by: Pane.allCases.count - 1)
        case .go: return go()
        case .nogo: return nogo()
        case .rollback:
            guard config.hasRamp else { return noRamp("R") }
            if let refusal = busyRefusal() { say(refusal, .warn); return [] }
            guard run.percent > 0 else {
                say("nothing to roll back: the ramp is at 0 %", .info)
                return []
            }
            mode = .confirmRollback
        case .override:
            guard config.hasRamp else { return noRamp("G") }
            let v = verdict
            switch v.state {
            case .ready: say("GO is allowed: press g (override is for when the gates say no)", .info)
            case .busy: say(busyRefusal() ?? "a hook is running", .warn)
            case .complete: say("the ramp is at its last step (\(run.percent) %)", .info)
            case .none: return noRamp("G")
            case .waiting, .blocked: mode = .overrideReason(text: "")
            }
        case .verify:
            guard let r = run.rollback, r.executedAt != nil, r.verifiedAt == nil else {
                say("nothing to verify: V confirms a completed rollback", .info)
                return []
            }
            return [.decide(RampDecision(kind: .verified, from: run.percent, to: run.percent, verdict: verdict.state.rawValue,
                                         gauges: gaugeSnapshot, lights: lightSnapshot))]
        case .toggleLight:
            return toggleLight()
        case .fault:
            guard config.demo else {
                say("f injects faults in warroom demo only", .info)
                return []
            }
            return [.cycleFault]
        case .toggle:
            if focus == .rollback { return toggleLight() }
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
            case .checklist, .rollback: drawn = true
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
        case .checklist: 0
        }
    }

    mutating func move(by delta: Int) {
        if focus == .rollback {
            lightCursor = min(max(0, lightCursor + delta), max(0, config.lights.count - 1))
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
        default:
            if let t = Self.edit(text, key) { mode = .reason(kind, item: item, text: t) }
        }
        return []
    }

    // MARK: Ramp decisions

    /// Rollback criteria as the gates see them: tripped in the journal (manual, or latched by telemetry), or
    /// tripped right now by telemetry.
    public var lightSignals: [GateSignal] {
        config.lights.map { l in
            let live = telemetry.lights.first { $0.name == l.name }
            let tripped = run.tripped[l.name] != nil || live?.status == "tripped"
            return GateSignal(name: l.name, green: !tripped, state: tripped ? "tripped" : (live?.status ?? "ok"),
                              detail: run.tripped[l.name]?.detail ?? live?.detail ?? "")
        }
    }

    /// SLOs as the gates see them: not yet read counts as not green; an SLO with no query is not gated on
    /// (there is no telemetry for it: the team watches it by other means).
    public var sloSignals: [GateSignal] {
        config.slos.map { name in
            if config.unboundSLOs.contains(name) {
                return GateSignal(name: name, green: true, state: "unbound", detail: "no query: not gated")
            }
            if let g = telemetry.gauges.first(where: { $0.name == name }) {
                return GateSignal(name: name, green: g.green, state: g.status, detail: g.value.isEmpty ? g.detail : g.value)
            }
            return GateSignal(name: name, green: false, state: "unknown", detail: "not bound to a query")
        }
    }

    public var verdict: GateVerdict {
        Gates.evaluate(plan: config.ramp, run: run, checklist: checklist, slos: sloSignals, lights: lightSignals, now: now)
    }

    var gaugeSnapshot: [SnapshotEntry] {
        sloSignals.map { SnapshotEntry(name: $0.name, state: $0.state, detail: $0.detail.isEmpty ? nil : $0.detail) }
    }

    var lightSnapshot: [SnapshotEntry] {
        lightSignals.map { SnapshotEntry(name: $0.name, state: $0.state, detail: $0.detail.isEmpty ? nil : $0.detail) }
    }

    /// The trip banner: the first tripped criterion while traffic is still on the new version.
    public var banner: String? {
        guard run.percent > 0 else { return nil }
        guard let l = lightSignals.first(where: { !$0.green }) else { return nil }
        return "ROLLBACK CRITERION TRIPPED: \(l.name) — R to roll back"
    }

    func busyRefusal() -> String? {
        guard let p = run.pendingDecision else { return nil }
        let d = run.decisions[p]
        let what = d.kind == .rollback ? "the rollback hook" : "the hook applying \(d.decision.to) %"
        return "refused: \(what) is still running — one hook at a time"
    }

    mutating func noRamp(_ key: String) -> [ConsoleEffect] {
        say("\(key): ramp decisions need a ramp — none is configured for this run", .warn)
        return []
    }

    func decision(_ kind: DecisionKind, to: Int, verdict v: GateVerdict, reason: String? = nil, hook: Bool) -> RampDecision {
        RampDecision(kind: kind, from: run.percent, to: to, reason: reason, verdict: v.state.rawValue, unmet: v.unmet,
                     gauges: gaugeSnapshot, lights: lightSnapshot, hook: hook ? [] : nil)
    }

    /// An automatic rollback (a criterion with `auto: true` tripped): the decision `R` `y` makes, with its reason.
    public func automaticRollback(reason: String) -> RampDecision? {
        guard config.hasRamp, run.percent > 0, run.pendingDecision == nil else { return nil }
        return decision(.rollback, to: 0, verdict: verdict, reason: reason, hook: config.ramp.hasRollbackHook)
    }

    mutating func go() -> [ConsoleEffect] {
        guard config.hasRamp else { return noRamp("g") }
        let v = verdict
        switch v.state {
        case .ready:
            guard let next = v.next else { return [] }
            return [.decide(decision(.go, to: next.percent, verdict: v, hook: config.ramp.hasApply))]
        case .waiting:
            say("GO refused: \(v.summary(now: now)) — G overrides with a reason", .warn)
        case .blocked:
            say("GO refused: \(v.summary(now: now)) — G overrides with a reason", .warn)
        case .busy:
            say(busyRefusal() ?? "a hook is running", .warn)
        case .complete:
            say("the ramp is complete at \(run.percent) %", .info)
        case .none:
            return noRamp("g")
        }
        return []
    }

    mutating func nogo() -> [ConsoleEffect] {
        guard config.hasRamp else { return noRamp("n") }
        if let refusal = busyRefusal() { say(refusal, .warn); return [] }
        let v = verdict
        return [.decide(decision(.nogo, to: run.percent, verdict: v, hook: false))]
    }

    mutating func rollbackNow() -> [ConsoleEffect] {
        if let refusal = busyRefusal() { say(refusal, .warn); return [] }
        guard run.percent > 0 else { return [] }
        let v = verdict
        return [.decide(decision(.rollback, to: 0, verdict: v, hook: config.ramp.hasRollbackHook))]
    }

    mutating func editDecisionReason(_ seq: Int, _ kind: DecisionKind, _ text: String, _ key: Key) -> [ConsoleEffect] {
        switch key {
        case .escape:
            mode = .normal
            say("\(kind.label) saved without a reason", .info)
        case .enter:
            mode = .normal
            let reason = text.trimmingCharacters(in: " ")
            if reason.isEmpty { return [] }
            return [.append(.decisionReason(DecisionReason(decision: seq, reason: reason)))]
        default:
            if let t = Self.edit(text, key) { mode = .decisionReason(seq: seq, kind: kind, text: t) }
        }
        return []
    }

    mutating func editOverride(_ text: String, _ key: Key) -> [ConsoleEffect] {
        switch key {
        case .escape:
            mode = .normal
            say("override cancelled", .info)
        case .enter:
            let reason = text.trimmingCharacters(in: " ")
            guard !reason.isEmpty else {
                say("an override needs a reason — type it, or Esc to cancel", .warn)
                return []
            }
            mode = .normal
            let v = verdict
            guard [.waiting, .blocked].contains(v.state), let next = v.next else {
                say(v.state == .ready ? "GO is allowed now: press g" : (busyRefusal() ?? "nothing to override"), .info)
                return []
            }
            return [.decide(decision(.override, to: next.percent, verdict: v, reason: reason, hook: config.ramp.hasApply))]
        default:
            if let t = Self.edit(text, key) { mode = .overrideReason(text: t) }
        }
        return []
    }

    public var selectedLight: LightInfo? {
        config.lights.indices.contains(lightCursor) ? config.lights[lightCursor] : nil
    }

    mutating func toggleLight() -> [ConsoleEffect] {
        guard let l = selectedLight else {
            say(config.lights.isEmpty ? "no rollback criteria configured" : "select a criterion in the ROLLBACK pane (tab)", .info)
            return []
        }
        if focus != .rollback {
            say("select a criterion in the ROLLBACK pane first (tab to it)", .info)
            return []
        }
        if run.tripped[l.name] != nil {
            mode = .lightReason(name: l.name, trip: false, text: "")
        } else if l.manual {
            mode = .lightReason(name: l.name, trip: true, text: "")
        } else {
            say("“\(l.name)” is watched by telemetry: it trips by itself (x acknowledges it once tripped)", .info)
        }
        return []
    }

    mutating func editLightReason(_ name: String, _ trip: Bool, _ text: String, _ key: Key) -> [ConsoleEffect] {
        switch key {
        case .escape:
            mode = .normal
            say("cancelled", .info)
        case .enter:
            let reason = text.trimmingCharacters(in: " ")
            guard !reason.isEmpty else {
                say("a reason is required — type it, or Esc to cancel", .warn)
                return []
            }
            mode = .normal
            if trip { return [.append(.lightTrip(LightChange(name: name, reason: reason, detail: "manual")))] }
            return [.append(.lightClear(LightChange(name: name, reason: reason)))]
        default:
            if let t = Self.edit(text, key) { mode = .lightReason(name: name, trip: trip, text: t) }
        }
        return []
    }

    /// Line editing shared by every prompt: the new text for an editing key, nil for any other key.
    static func edit(_ text: String, _ key: Key) -> String? {
        switch key {
        case .backspace: return String(text.dropLast())
        case .ctrl("u"): return ""
        case .char(let c): return text.count < 500 ? text + String(c) : text
        default: return nil
        }
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
        case .rampDecision(let d):
            switch d.kind {
            case .nogo: return "saved: NO-GO at \(d.from) % — observation window restarted"
            case .verified: return "saved: rollback VERIFIED"
            case .rollback where d.hook != nil: return "ROLLBACK decided — running the rollback hook…"
            case .rollback: return "saved: ROLLBACK to 0 % (no hook: move the traffic yourself)"
            case .go, .override:
                return d.hook != nil ? "\(d.kind.label) decided — applying \(d.to) %…" : "saved: \(d.kind.label) \(d.from) → \(d.to) %"
            }
        case .hookResult(let h):
            if h.ok { return "hook done (\(h.summary), \(h.durationMs) ms): ramp at \(run.percent) %" }
            return "HOOK FAILED: \(h.summary)\(h.tail.last.map { " — \($0)" } ?? "") · ramp stays at \(run.percent) %"
        case .decisionReason(let r): return "saved: reason “\(r.reason)”"
        case .lightTrip(let l): return "TRIPPED: \(l.name)\(l.reason.map { " (\($0))" } ?? "")"
        case .lightClear(let l): return "cleared: \(l.name)\(l.reason.map { " (\($0))" } ?? "")"
        case .verdictChange(let v): return "\(v.name): \(v.from) → \(v.to)"
        case .runConfig(let c): return "config: \(c.config.service), \(c.config.plan.steps.count) ramp steps"
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
