/// The mission clock's phases as a run summary sees them (`status --json`, the report): when each is due, whether it
/// is past due with items open, when its last item was done and how late that was.
extension RunSummary {
    public struct PhaseSummary: Sendable, Equatable {
        public var title: String
        /// `section`, `item` or `timeline` (a timeline bullet naming task IDs).
        public var kind: String
        /// 1-based line where the due time is written.
        public var line: Int
        public var due: Millis
        /// Past due with items not done or skipped.
        public var overdue: Bool
        /// IDs of the items the phase covers, in document order.
        public var items: [String]
        public var progress: ChecklistProgress
        /// When the last of its items was done or skipped (nil while any is open or blocked, or none was changed).
        public var finishedAt: Millis?

        /// How late it finished (finishedAt after due), or how late it is now (overdue); nil when on time.
        public func lateMs(now: Millis) -> Millis? {
            if let f = finishedAt { return f > due ? f - due : nil }
            return overdue ? now - due : nil
        }

        static func all(_ c: Checklist, _ run: RunState, t0: Millis?, utcOffsetMinutes: Int?, now: Millis) -> [PhaseSummary] {
            guard let t0 else { return [] }
            return c.phases(t0: t0, utcOffsetMinutes: utcOffsetMinutes ?? 0).map { p in
                let progress = ChecklistProgress(checklist: c, state: run, indices: p.items)
                let kind = switch p.owner { case .section: "section"; case .item: "item"; case .timeline: "timeline" }
                var finished: Millis?
                if progress.items > 0, progress.complete == progress.items {
                    finished = p.items.compactMap { run.record(c.items[$0].id)?.time }.max()
                }
                return PhaseSummary(title: p.title, kind: kind, line: p.line, due: p.due(t0: t0),
                                    overdue: now > p.due(t0: t0) && progress.complete < progress.items,
                                    items: p.items.map { c.items[$0].id }, progress: progress, finishedAt: finished)
            }
        }
    }
}
