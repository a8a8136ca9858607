/// A parsed go-live checklist: nested sections (from headings) holding task items and the
/// plain blocks (bullets, tables, text) that later parts read for contacts and rollback triggers.
public struct Checklist: Sendable {
    /// The path the checklist was read from, as given (used in diagnostics).
    public var path: String
    /// Section 0 is the document root (level 0, empty title); headings follow in document order.
    public var sections: [Section]
    /// Every task item in document order.
    public var items: [Item]
    public var diagnostics: [Diagnostic]
    /// Number of lines in the file.
    public var lineCount: Int

    var index: [String: Int]

    public init(path: String, sections: [Section], items: [Item], diagnostics: [Diagnostic], lineCount: Int) {
        var index: [String: Int] = [:]
        index.reserveCapacity(items.count)
        for (i, item) in items.enumerated() where index[item.id] == nil { index[item.id] = i }
        self.init(path: path, sections: sections, items: items, diagnostics: diagnostics, lineCount: lineCount, index: index)
    }

    /// For the parser, which already holds the ID → item index.
    init(path: String, sections: [Section], items: [Item], diagnostics: [Diagnostic], lineCount: Int, index: [String: Int]) {
        self.path = path
        self.sections = sections
        self.items = items
        self.diagnostics = diagnostics
        self.lineCount = lineCount
        self.index = index
    }

    public var errors: [Diagnostic] { diagnostics.filter { $0.severity == .error } }
    public var warnings: [Diagnostic] { diagnostics.filter { $0.severity == .warning } }
    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public func item(id: String) -> Item? { index[id].map { items[$0] } }
    public func itemIndex(id: String) -> Int? { index[id] }

    /// A lone level-1 heading over the whole document (no items before it, no other top-level heading) is the
    /// checklist's title rather than a section of it.
    public var titleSection: Int? {
        guard let root = sections.first, root.items.isEmpty, root.children.count == 1,
              sections[root.children[0]].level == 1 else { return nil }
        return root.children[0]
    }

    /// The first level-1 heading, if any: the checklist's own title.
    public var title: String? { sections.first { $0.level == 1 }?.title }

    /// Items written as `[x]` in the file.
    public var checkedInFile: Int { items.reduce(0) { $0 + ($1.checked ? 1 : 0) } }

    /// Indices of every item in `section` and all of its descendant sections.
    public func itemIndices(inSubtree section: Int) -> [Int] {
        var out: [Int] = []
        var stack = [section]
        while let s = stack.popLast() {
            out.append(contentsOf: sections[s].items)
            stack.append(contentsOf: sections[s].children.reversed())
        }
        return out.sorted()
    }
}

public struct Section: Sendable, Equatable {
    public var index: Int
    public var parent: Int?
    public var children: [Int]
    /// Heading level 1–6; 0 for the document root.
    public var level: Int
    public var title: String
    /// 1-based line of the heading (0 for the root).
    public var line: Int
    /// Titles from the outermost heading down to this one.
    public var path: [String]
    /// A mission-clock offset written in the heading, e.g. "(T-30 min)" → -30 minutes.
    public var offsetMinutes: Int?
    /// Task items directly in this section (indices into `Checklist.items`).
    public var items: [Int]
    /// Plain bullets, tables and text lines kept with the section, in document order.
    public var blocks: [Block]

    public init(index: Int, parent: Int?, level: Int, title: String, line: Int, path: [String]) {
        self.index = index
        self.parent = parent
        self.children = []
        self.level = level
        self.title = title
        self.line = line
        self.path = path
        self.offsetMinutes = nil
        self.items = []
        self.blocks = []
    }
}

public struct Item: Sendable, Equatable {
    /// Stable ID: the task ID written in the item (`T1137`), else derived from section path and text.
    public var id: String
    /// The task ID as written, e.g. `T1180a`.
    public var taskID: String?
    public var line: Int
    public var section: Int
    /// Index of the enclosing task item, for sub-items.
    public var parent: Int?
    /// 0 for a top-level item, 1 for its sub-items, …
    public var depth: Int
    /// The item's text as written after the checkbox (inline Markdown kept).
    public var text: String
    /// What to show: the bold lead if there is one, else the text without the task ID and `[P]`, Markdown emphasis removed.
    public var title: String
    /// Text after a bold lead (`**Policy Violation:** Any confirmed …` → `Any confirmed …`).
    public var detail: String?
    /// `[P]`: can run in parallel with its neighbours.
    public var parallel: Bool
    /// Written as `[x]` in the file.
    public var checked: Bool
    /// Text of the nearest enclosing plain (non-task) list item, e.g. "Immediate Actions (0-5 minutes)".
    public var group: String?

    public init(id: String, taskID: String?, line: Int, section: Int, parent: Int?, depth: Int, text: String,
                title: String, detail: String?, parallel: Bool, checked: Bool, group: String?) {
        self.id = id
        self.taskID = taskID
        self.line = line
        self.section = section
        self.parent = parent
        self.depth = depth
        self.text = text
        self.title = title
        self.detail = detail
        self.parallel = parallel
        self.checked = checked
        self.group = group
    }
}

/// Non-task content kept with its section.
public enum Block: Sendable, Equatable {
    /// A plain list item (bullet or ordered), with its nesting depth among lists.
    case bullet(line: Int, depth: Int, ordered: Bool, text: String)
    /// A GFM table: header cells, then body rows.
    case table(line: Int, header: [String], rows: [[String]])
    /// A paragraph line that is not in a list.
    case text(line: Int, text: String)
}
