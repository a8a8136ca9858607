/// The checklist as a run summary sees it: progress by heading and by top-level part, and every item with who
/// changed it last.

extension RunSummary {
    /// One heading below the checklist's title, with the progress of its whole subtree.
    public struct SectionProgress: Sendable, Equatable {
        public var title: String
        /// Headings from the outermost down to this one (the title included).
        public var path: [String]
        public var level: Int
        /// Nesting below the checklist's top level (0 = top).
        public var depth: Int
        public var line: Int
        public var progress: ChecklistProgress
        /// With t0: when the heading's phase is due (see `Checklist.phases(t0:utcOffsetMinutes:)`), and whether it is past due with items open.
        public var due: Millis?
        public var overdue = false
        /// When the last of its items was done or skipped (nil while any is open or blocked, or none was changed).
        public var finishedAt: Millis?

        static func all(_ c: Checklist, _ run: RunState, t0: Millis? = nil, utcOffsetMinutes: Int? = nil, now: Millis = 0) -> [SectionProgress] {
            let title = c.titleSection
            let phases = t0.map { c.phases(t0: $0, utcOffsetMinutes: utcOffsetMinutes ?? 0) } ?? []
            return c.sections.dropFirst().filter { $0.index != title }.map { s -> SectionProgress in
                var depth = 0
                var p = s.parent
                while let pi = p, pi != 0, pi != title { depth += 1; p = c.sections[pi].parent }
                var sp = SectionProgress(title: s.title, path: s.path, level: s.level, depth: depth, line: s.line,
                                         progress: ChecklistProgress(checklist: c, state: run, indices: c.itemIndices(inSubtree: s.index)))
                if let t0, let ph = phases.first(where: { $0.ownerSection == s.index }) {
                    // The phase's items: the subtree, and the task IDs its timeline bullets name.
                    let progress = ChecklistProgress(checklist: c, state: run, indices: ph.items)
                    sp.due = ph.due(t0: t0)
                    if progress.items > 0, progress.complete == progress.items {
                        sp.finishedAt = ph.items.compactMap { run.record(c.items[$0].id)?.time }.max()
                    }
                    sp.overdue = now > ph.due(t0: t0) && progress.complete < progress.items
                }
                return sp
            }
        }
    }

    /// A top-level part of the checklist (the title's sections, or the root's), with every item under it.
    public struct Part: Sendable, Equatable {
        /// The heading; `(before the first heading)` for items above every heading under the title.
        public var title: String
        public var progress: ChecklistProgress
        /// Indices into `items` (and the checklist's items), in document order.
        public var items: [Int]

        static func all(_ c: Checklist, _ run: RunState) -> [Part] {
            var groups: [(title: String, indices: [Int])] = []
            let top = c.titleSection ?? 0
            if !c.sections[top].items.isEmpty {
                groups.append((c.sections[top].title.isEmpty ? "(before the first heading)" : c.sections[top].title,
                               c.itemIndices(inSubtree: top).filter { c.items[$0].section == top }))
            }
            for s in c.sections[top].children {
                let idx = c.itemIndices(inSubtree: s)
                if !idx.isEmpty { groups.append((c.sections[s].title, idx)) }
            }
            if top == 0, groups.isEmpty, !c.items.isEmpty { groups.append((c.title ?? "Checklist", Array(c.items.indices))) }
            return groups.map { Part(title: $0.title, progress: ChecklistProgress(checklist: c, state: run, indices: $0.indices), items: $0.indices) }
        }
    }

    public struct ItemSummary: Sendable, Equatable {
        public var id: String
        public var taskID: String?
        /// 1-based line in the checklist file.
        public var line: Int
        public var title: String
        /// The bold lead and what follows it (`Engineering Lead: sign-off before T-0`), else the title.
        public var displayTitle: String
        /// The headings the item sits under, outermost first (the title included).
        public var path: [String]
        /// `path` without the checklist's title.
        public var pathBelowTitle: [String]
        public var status: ItemStatus
        /// The latest change in this run; nil: as written in the file.
        public var record: ItemRecord?
        /// Checked as written in the file, with no change in this run.
        public var asWritten: Bool
        /// A sign-off or approval: the item says so, or a heading above it does.
        public var signOff: Bool

        init(_ c: Checklist, _ i: Int, _ run: RunState) {
            let item = c.items[i]
            id = item.id
            taskID = item.taskID
            line = item.line
            title = item.title
            displayTitle = Self.displayTitle(item)
            path = c.sections[item.section].path
            pathBelowTitle = c.titleSection != nil && !path.isEmpty ? Array(path.dropFirst()) : path
            status = run.status(of: item)
            record = run.record(item.id)
            asWritten = record == nil && item.checked
            signOff = Self.isSignOff(item.text) || path.contains(where: Self.isSignOff)
        }

        static func isSignOff(_ text: String) -> Bool {
            let t = String(text.lowercased().map { $0 == "-" || $0 == "_" ? " " : $0 })
            return ["sign off", "signoff", "signed off", "approv"].contains { t.contains($0) }
        }

        static func displayTitle(_ item: Item) -> String {
            guard let d = item.detail, !d.isEmpty else { return item.title }
            let lead = item.title.hasSuffix(":") ? item.title : item.title + ":"
            return lead + " " + d
        }
    }

    /// State recorded for an item the checklist no longer has.
    public struct Orphan: Sendable, Equatable {
        public var id: String
        public var record: ItemRecord?
    }
}
