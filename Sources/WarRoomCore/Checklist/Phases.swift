/// Phases on the mission clock. Three ways a checklist writes when something is due:
/// - a T-offset in a heading ("Pre-Deployment (T-30 min)", "(T+15 to T+60 min)"): due by the end of its range, else
///   by the start of the next phase with a later offset, else at its own offset;
/// - a clock range in parentheses on a heading or an item ("**Infrastructure Validation** (9:15-9:45 AM)"): due at the
///   range's end (a single time "(9:00 AM)": at the next timed phase's start under the same day, else at that time), on
///   the day of the enclosing day heading, in t0's own UTC offset;
/// - a day heading ("Day -7: Final Preparation", "Phase 3 (Day 8)", "Day 1-7: Hypercare"): Day 0 is t0's day (with
///   no day 0 or below, the lowest day written is t0's day); its timeline bullets "Hour a-b: …" are due at
///   t0 + N days + b hours; the heading is due at the latest of its bullets' and clock phases' due times, else at the
///   end of its last day. Task IDs a timeline bullet names ("(T1137-T1162)") are covered by that bullet's phase, and
///   by the day heading's.
/// Past due with open or blocked items, a phase is OVERDUE. Pure: the caller passes t0, its UTC offset and now.
public struct PhaseDue: Sendable, Equatable {
    /// What owns the due time: a heading (its whole subtree), an item (it and its sub-items), or a timeline bullet
    /// (the items its task IDs name).
    public enum Owner: Sendable, Equatable {
        case section(Int)
        case item(Int)
        case timeline(line: Int)
    }

    public var owner: Owner
    public var title: String
    /// The heading the phase is written in (for a heading's phase: that heading).
    public var section: Int
    /// 1-based line where the due time is written.
    public var line: Int
    /// The items the phase covers (indices into `Checklist.items`, ascending).
    public var items: [Int]
    /// From t0, in milliseconds: when the phase starts and when it is due.
    public var startOffset: Millis
    public var dueOffset: Millis

    public var startMinutes: Int { Int(startOffset / 60_000) }
    public var dueMinutes: Int { Int(dueOffset / 60_000) }
    public func due(t0: Millis) -> Millis { t0 + dueOffset }
    public func start(t0: Millis) -> Millis { t0 + startOffset }

    /// The heading whose row carries the phase (nil for an item's phase).
    public var ownerSection: Int? { if case .section(let s) = owner { s } else { nil } }
    public var ownerItem: Int? { if case .item(let i) = owner { i } else { nil } }
}

extension Checklist {
    /// The phases with a T-offset, in document order: the ones that do not depend on t0's day. Sections under a
    /// rollback heading ("ROLLBACK CHECKLIST (If Needed)") are conditional and have no due time.
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
            return PhaseDue(owner: .section(sec.index), title: sec.title, section: sec.index, line: sec.line,
                            items: itemIndices(inSubtree: sec.index),
                            startOffset: Millis(start) * 60_000, dueOffset: Millis(due) * 60_000)
        }
    }

    /// Every phase (T-offsets, clock ranges, day offsets) for a t0 written with `utcOffsetMinutes` (-300 for
    /// `…-05:00`; 0 for `Z`), ordered by due time, then the fewer items, then by line.
    public func phases(t0: Millis, utcOffsetMinutes: Int) -> [PhaseDue] {
        var out = phases
        out += MissionDays(self, t0: t0, utcOffsetMinutes: utcOffsetMinutes).phases()
        // Due at once, the narrower phase (an item inside the heading that ends with it) comes first.
        return out.sorted { ($0.dueOffset, $0.items.count, $0.line) < ($1.dueOffset, $1.items.count, $1.line) }
    }

    /// Whether the phase is past due with items not done or skipped.
    public func overdue(_ p: PhaseDue, t0: Millis, now: Millis, run: RunState) -> Bool {
        guard now > p.due(t0: t0) else { return false }
        let progress = ChecklistProgress(checklist: self, state: run, indices: p.items)
        return progress.complete < progress.items
    }

    /// Item `i` and its sub-items.
    public func itemIndices(inItem i: Int) -> [Int] {
        var out = [i]
        var j = i + 1
        while j < items.count, items[j].section == items[i].section, items[j].depth > items[i].depth {
            var p = items[j].parent
            while let x = p, x != i { p = items[x].parent }
            if p == i { out.append(j) }
            j += 1
        }
        return out
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
