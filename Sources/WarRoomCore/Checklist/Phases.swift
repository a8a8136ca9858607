/// Phases on the mission clock: a section whose heading carries a T-offset ("Pre-Deployment (T-30 min)", "(T+15 to
/// T+60 min)") is due by the end of its range, else by the start of the next phase with a later offset, else at its
/// own offset. Past due with open or blocked items, it is OVERDUE. Pure: the caller passes t0 and now.
public struct PhaseDue: Sendable, Equatable {
    public var section: Int
    /// Minutes from t0 the phase starts and is due by.
    public var startMinutes: Int
    public var dueMinutes: Int

    public func due(t0: Millis) -> Millis { t0 + Millis(dueMinutes) * 60_000 }
}

extension Checklist {
    /// Every phase with a T-offset, in document order. Sections under a rollback heading ("ROLLBACK CHECKLIST (If
    /// Needed)") are conditional and have no due time.
    public var phases: [PhaseDue] {
        let timed = sections.filter { $0.offsetMinutes != nil && !conditional($0.index) }
        return timed.map { sec in
            let start = sec.offsetMinutes!
            let due: Int
            if let end = missionRangeEnd(sec.title), end > start {
                due = end
            } else if let next = timed.first(where: { $0.line > sec.line && $0.offsetMinutes! > start && !isDescendant($0.index, of: sec.index) }) {
                due = next.offsetMinutes!
            } else {
                due = start
            }
            return PhaseDue(section: sec.index, startMinutes: start, dueMinutes: due)
        }
    }

    /// Whether the phase is past due with items not done or skipped.
    public func overdue(_ p: PhaseDue, t0: Millis, now: Millis, run: RunState) -> Bool {
        guard now > p.due(t0: t0) else { return false }
        let progress = ChecklistProgress(checklist: self, state: run, indices: itemIndices(inSubtree: p.section))
        return progress.complete < progress.items
    }

    func isDescendant(_ s: Int, of ancestor: Int) -> Bool {
        var p = sections[s].parent
        while let x = p {
            if x == ancestor { return true }
            p = sections[x].parent
        }
        return false
    }

    func conditional(_ s: Int) -> Bool {
        var cur: Int? = s
        while let x = cur {
            let t = sections[x].title.lowercased()
            if t.contains("rollback") || t.contains("roll back") || t.contains("if needed") { return true }
            cur = sections[x].parent
        }
        return false
    }
}

/// The end of a T-offset range in a heading: "T-0 to T+15 min" → 15, "T+1h to T+4h" → 240; nil without a range.
func missionRangeEnd(_ title: String) -> Int? {
    let u = Array(title.utf8)
    let pat = Array(" to t".utf8)
    guard u.count > pat.count else { return nil }
    for k in 0...(u.count - pat.count) where (0..<pat.count).allSatisfy({ (u[k + $0] | 0x20) == (pat[$0] | 0x20) }) {
        return missionOffset(String(decoding: u[(k + 4)...], as: UTF8.self))
    }
    return nil
}
