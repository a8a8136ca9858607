/// Everything a key can do in the console.
public enum KeyCommand: String, Sendable, CaseIterable {
    case down, up, pageDown, pageUp, top, bottom
    case toggle, skip, block, undo, signOff
    case expand, collapse, toggleSection
    case nextPane, previousPane
    case search, nextMatch, previousMatch
    case cycleTheme, help, quit, redraw
    /// Why the selected light or SLO is in its state.
    case explain
    /// The stakeholder update drafted from the journal (`comms:`), over the console.
    case draftUpdate
    case go, nogo, rollback, override, verify, toggleLight, fault
    case handOver
    // `warroom replay` only: the player's controls.
    case replayPause, replayStep, replayStepBack, replayForward, replayBack, replayFaster, replaySlower, replayRestart
}

/// One row of the key table: the keys, what they do, and how the footer and the help overlay name them.
public struct Binding: Sendable {
    public var keys: [Key]
    public var command: KeyCommand
    /// Words for the help overlay.
    public var help: String
    /// Short label for the footer; nil keeps the binding out of the footer.
    public var footer: String?
    public var group: String
    /// Changes run state (so it is refused when read-only).
    public var writes: Bool

    public init(_ keys: [Key], _ command: KeyCommand, _ help: String, footer: String? = nil, group: String, writes: Bool = false) {
        self.keys = keys
        self.command = command
        self.help = help
        self.footer = footer
        self.group = group
        self.writes = writes
    }
}

/// The one key table: dispatch, the footer hints and the `?` help overlay all read it (k9s style).
/// `g` GO, `n` NO-GO, `R` rollback and `G` override are the ramp decisions: one key each, nothing else binds them.
public enum KeyTable {
    public static let reserved: Set<Key> = [.char("g"), .char("n"), .char("R"), .char("G")]
    /// Prefix keys of tmux (^B) and screen (^A): a binding on them would never reach the console under either.
    public static let multiplexerPrefixes: Set<Key> = [.ctrl("b"), .ctrl("a")]

    public static let bindings: [Binding] = [
        Binding([.char("g")], .go, "GO: next ramp step (only when the gate says READY)", footer: "g GO", group: "Ramp", writes: true),
        Binding([.char("n")], .nogo, "NO-GO: hold here and restart the observation window", footer: "n NO-GO", group: "Ramp", writes: true),
        Binding([.char("R")], .rollback, "ROLLBACK to 0 % (asks y, runs the rollback hook)", footer: "R rollback", group: "Ramp", writes: true),
        Binding([.char("G")], .override, "override a WAITING/BLOCKED gate (asks a reason)", group: "Ramp", writes: true),
        Binding([.char("V")], .verify, "mark a completed rollback verified", group: "Ramp", writes: true),
        Binding([.char("D")], .handOver, "hand over driving (asks who drives next)", group: "Ramp", writes: true),
        Binding([.char("x")], .toggleLight, "trip / clear the selected rollback criterion (ROLLBACK pane)", group: "Ramp", writes: true),
        Binding([.char("f")], .fault, "demo only: next simulated fault", group: "Ramp", writes: true),
        Binding([.char("j"), .down], .down, "move down", group: "Move"),
        Binding([.char("k"), .up], .up, "move up", footer: "j/k move", group: "Move"),
        Binding([.pageDown, .ctrl("f"), .ctrl("d")], .pageDown, "page down", group: "Move"),
        // Not ^B or ^A: tmux and screen take them as their prefix, so the console would never see them.
        Binding([.pageUp, .ctrl("u")], .pageUp, "page up", group: "Move"),
        Binding([.home], .top, "first row", group: "Move"),
        Binding([.end], .bottom, "last row", group: "Move"),
        Binding([.tab], .nextPane, "next pane", footer: "tab pane", group: "Move"),
        Binding([.backTab], .previousPane, "previous pane", group: "Move"),
        Binding([.char(" ")], .toggle, "toggle the selected item done/open (section: fold)", footer: "space done", group: "Checklist", writes: true),
        Binding([.char("s")], .skip, "skip the selected item (asks a reason)", footer: "s skip", group: "Checklist", writes: true),
        Binding([.char("b")], .block, "mark the selected item blocked (asks a reason)", footer: "b block", group: "Checklist", writes: true),
        Binding([.char("u")], .undo, "undo your last change", footer: "u undo", group: "Checklist", writes: true),
        Binding([.char("S")], .signOff, "sign off the selected sign-off (asks y)", group: "Checklist", writes: true),
        Binding([.enter], .toggleSection, "fold/unfold a section; why on a light/SLO", group: "Checklist"),
        Binding([.right, .char("l")], .expand, "unfold the section", group: "Checklist"),
        Binding([.left, .char("h")], .collapse, "fold the section (on an item: its section)", group: "Checklist"),
        Binding([.char("/")], .search, "search items and sections", footer: "/ search", group: "Search"),
        Binding([.char("]")], .nextMatch, "next match", group: "Search"),
        Binding([.char("[")], .previousMatch, "previous match", group: "Search"),
        Binding([.char("i")], .explain, "why the selected light/SLO is in its state", group: "Screen"),
        Binding([.char("U")], .draftUpdate, "draft a stakeholder update (w saves it)", group: "Screen"),
        Binding([.char("t")], .cycleTheme, "next theme", group: "Screen"),
        Binding([.ctrl("l")], .redraw, "redraw the screen", group: "Screen"),
        Binding([.char("?")], .help, "this help", footer: "? help", group: "Screen"),
        Binding([.char("q")], .quit, "quit (asks y)", footer: "q quit", group: "Screen"),
    ]

    /// `warroom replay`'s controls: in a replay they take their keys first (space pauses there); elsewhere they do
    /// nothing. Same table, same help overlay.
    public static let replayBindings: [Binding] = [
        Binding([.char("p"), .char(" ")], .replayPause, "pause / resume", footer: "p pause", group: "Replay"),
        Binding([.char(".")], .replayStep, "step one event (pauses)", footer: ". step", group: "Replay"),
        Binding([.char(",")], .replayStepBack, "step back one event (pauses)", footer: ", back", group: "Replay"),
        Binding([.char("<")], .replayBack, "back 5 min", footer: "< > ±5 min", group: "Replay"),
        Binding([.char(">")], .replayForward, "forward 5 min", group: "Replay"),
        Binding([.char("+"), .char("=")], .replayFaster, "faster (×2)", footer: "+ - speed", group: "Replay"),
        Binding([.char("-"), .char("_")], .replaySlower, "slower (÷2)", group: "Replay"),
        Binding([.char("0")], .replayRestart, "restart from the first event", footer: "0 restart", group: "Replay"),
    ]

    static let index: [Key: Binding] = {
        var m: [Key: Binding] = [:]
        for b in bindings { for k in b.keys { m[k] = b } }
        return m
    }()

    static let replayIndex: [Key: Binding] = {
        var m: [Key: Binding] = [:]
        for b in replayBindings { for k in b.keys { m[k] = b } }
        return m
    }()

    public static func binding(for key: Key) -> Binding? { index[key] }

    /// A replay control, or nil when the key belongs to the console.
    public static func replayBinding(for key: Key) -> Binding? { replayIndex[key] }

    /// The replay's hint line, from the same table: "p pause · . step · … · q quit".
    public static var replayHint: String {
        (replayBindings.compactMap(\.footer) + ["q quit"]).joined(separator: " · ")
    }

    /// The footer: the labelled bindings, as many as fit.
    public static var footerItems: [String] { footerItems(ramp: true) }

    /// Without a ramp the decision keys are not advertised (they answer that no ramp is configured). What must stay
    /// findable comes first, so a narrow terminal cuts the least important hints: the decisions, then `? help` and
    /// `q quit`, then the rest in table order.
    /// `writes: false` (a follower, a deposed driver, a replay): only the keys that read are advertised, as the
    /// others are refused there.
    public static func footerItems(ramp: Bool, demo: Bool = false, width: Int = .max, writes: Bool = true) -> [String] {
        footerItems(bindings, ramp: ramp, demo: demo ? "f fault" : nil, width: width, writes: writes)
    }

    static func footerItems(_ bindings: [Binding], ramp: Bool, demo: String?, width: Int, writes: Bool) -> [String] {
        footerLayout(bindings, ramp: ramp, demo: demo, width: width, writes: writes).items
    }

    /// The commands the footer keeps before any other: the decisions, the checklist's own changes, help and quit.
    /// Moving (j/k, tab, /) is what the help overlay is for when a narrow footer has no room for it.
    static let footerFirst: Set<KeyCommand> = [.go, .nogo, .rollback, .toggle, .skip, .block, .undo, .help, .quit]

    /// The footer's items (in table order) and the gap between them: two spaces when everything the footer keeps
    /// first fits so, else one (the keys are bold, the words muted: still readable), so a narrow terminal never drops
    /// a decision or a checklist key (at 80 columns it used to drop `s b u`).
    static func footerLayout(_ bindings: [Binding], ramp: Bool, demo: String?, width: Int, writes: Bool) -> (items: [String], gap: Int) {
        var items = bindings.filter { (ramp || $0.group != "Ramp") && (writes || !$0.writes) }.compactMap(\.footer)
        if let demo, writes { items.insert(demo, at: min(3, items.count)) }
        let firstLabels = Set(bindings.filter { footerFirst.contains($0.command) }.compactMap(\.footer) + [demo].compactMap { $0 })
        let first = items.filter { firstLabels.contains($0) }
        let rest = items.filter { !first.contains($0) }
        func fit(gap: Int) -> [String] {
            var out: [String] = []
            var used = 0
            for item in first + rest {
                let w = DisplayWidth.of(item) + (out.isEmpty ? 0 : gap)
                if used + w > width { continue }
                out.append(item)
                used += w
            }
            // Back in table order for reading.
            return items.filter { out.contains($0) }
        }
        let wide = fit(gap: 2)
        if first.allSatisfy(wide.contains) { return (wide, 2) }
        return (fit(gap: 1), 1)
    }

    /// Help overlay lines, grouped.
    public static var helpLines: [(group: String, keys: String, help: String)] { helpLines(replay: false) }

    /// Help overlay lines, grouped; a replay lists its controls first.
    public static func helpLines(replay: Bool) -> [(group: String, keys: String, help: String)] {
        ((replay ? replayBindings : []) + bindings).map { b in (b.group, b.keys.map(\.label).joined(separator: " "), b.help) }
    }
}
