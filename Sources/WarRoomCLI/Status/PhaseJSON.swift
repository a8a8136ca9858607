import WarRoomCore

/// A phase on the mission clock in `status --json` and the JSON report: when it was due, whether it is past due with
/// items open, the items it covers, when its last item was done and how late that was.
struct PhaseJSON: Encodable {
    var title: String
    /// `section`, `item` or `timeline` (a timeline bullet naming task IDs).
    var kind: String
    var line: Int
    /// ISO 8601, UTC.
    var due: String
    /// `T+00:45:00`: the due time on the mission clock.
    var dueT: String
    var overdue: Bool
    /// IDs of the items it covers, in document order.
    var items: [String]
    var progress: ChecklistProgress
    /// When its last item was done or skipped (nil while any is open).
    var doneAt: String?
    /// How late it finished, or how late it is so far when overdue; nil: on time (or not due yet).
    var lateMs: Int64?

    init(_ p: RunSummary.PhaseSummary, _ s: RunSummary) {
        title = p.title
        kind = p.kind
        line = p.line
        due = Timestamp.iso8601(p.due)
        dueT = s.missionTime(p.due)
        overdue = p.overdue
        items = p.items
        progress = p.progress
        doneAt = p.finishedAt.map(Timestamp.iso8601)
        lateMs = p.lateMs(now: s.now)
    }
}
