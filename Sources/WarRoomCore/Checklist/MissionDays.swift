/// The phases that hang on t0's calendar day: clock ranges on headings and items, day headings and their "Hour a-b"
/// timeline bullets (the rule is on `PhaseDue`). Days are t0's local days in the UTC offset t0 was written with.
struct MissionDays {
    static let day: Millis = 86_400_000
    let c: Checklist
    /// The start of t0's local day, from t0 (≤ 0).
    let dayZero: Millis
    /// The day number that is t0's day.
    let base: Int
    /// Day headings: section index → the days it names.
    let labels: [Int: (first: Int, last: Int)]

    init(_ c: Checklist, t0: Millis, utcOffsetMinutes: Int) {
        self.c = c
        let off = Millis(utcOffsetMinutes) * 60_000
        let local = t0 + off
        let midnight = (local >= 0 ? local / Self.day : (local - Self.day + 1) / Self.day) * Self.day - off
        dayZero = midnight - t0
        var labels: [Int: (first: Int, last: Int)] = [:]
        for s in c.sections where s.offsetMinutes == nil && !c.conditional(s.index) {
            if let l = dayLabel(s.title) { labels[s.index] = l }
        }
        self.labels = labels
        base = labels.values.contains { $0.first <= 0 } ? 0 : labels.values.map(\.first).min() ?? 0
    }

    /// The start of day `n`, from t0.
    func dayStart(_ n: Int) -> Millis { dayZero + Millis(n - base) * Self.day }

    /// The nearest day heading at or above section `s`.
    func daySection(_ s: Int) -> Int? {
        var cur: Int? = s
        while let x = cur {
            if labels[x] != nil { return x }
            cur = c.sections[x].parent
        }
        return nil
    }

    func phases() -> [PhaseDue] {
        let clock = clockPhases()
        var out = clock.map(\.phase)
        let byTask = taskIndex()
        for (s, label) in labels.sorted(by: { $0.key < $1.key }) {
            let sec = c.sections[s]
            guard clockRange(sec.title) == nil else { continue } // a heading with its own clock range is a clock phase
            var named: Set<Int> = []
            var spans: [(start: Millis, due: Millis)] = clock.filter { $0.day == s }.map { ($0.phase.startOffset, $0.phase.dueOffset) }
            for case .bullet(let line, _, _, let text) in sec.blocks {
                let tasks = taskRanges(text).flatMap { r in byTask.filter { $0.key.prefix == r.prefix && (r.low...r.high).contains($0.key.number) }.flatMap(\.value) }
                named.formUnion(tasks)
                guard let h = hourLabel(text) else { continue }
                let dayOffset = Millis(label.first - base) * Self.day
                let start = dayOffset + Millis(h.first) * 3_600_000, due = dayOffset + Millis(h.last) * 3_600_000
                spans.append((start, due))
                out.append(PhaseDue(owner: .timeline(line: line), title: phaseTitle(text), section: s, line: line, items: tasks.sorted(),
                                    startOffset: start, dueOffset: due))
            }
            let start = spans.map(\.start).min() ?? dayStart(label.first)
            let due = spans.map(\.due).max() ?? dayStart(label.last + 1)
            out.append(PhaseDue(owner: .section(s), title: phaseTitle(sec.title), section: s, line: sec.line,
                                items: Set(c.itemIndices(inSubtree: s)).union(named).sorted(), startOffset: start, dueOffset: due))
        }
        return out
    }

    /// Headings and items with a clock range, with the day heading they fall under.
    func clockPhases() -> [(phase: PhaseDue, day: Int?)] {
        var found: [(owner: PhaseDue.Owner, title: String, section: Int, line: Int, items: [Int], range: ClockRange)] = []
        for s in c.sections where s.offsetMinutes == nil && !c.conditional(s.index) {
            if let r = clockRange(s.title) { found.append((.section(s.index), phaseTitle(s.title), s.index, s.line, c.itemIndices(inSubtree: s.index), r)) }
        }
        for (i, item) in c.items.enumerated() where !c.conditional(item.section) {
            if let r = clockRange(item.text) { found.append((.item(i), phaseTitle(item.title + (item.detail.map { " " + $0 } ?? "")), item.section, item.line, c.itemIndices(inItem: i), r)) }
        }
        found.sort { $0.line < $1.line }
        let days = found.map { daySection($0.section) }
        let starts = found.indices.map { k in dayStart(days[k].flatMap { labels[$0]?.first } ?? base) + Millis(found[k].range.start) * 60_000 }
        return found.indices.map { k in
            let f = found[k]
            var due = starts[k] + Millis(f.range.end - f.range.start) * 60_000
            if f.range.single, let next = found.indices.first(where: { $0 > k && days[$0] == days[k] && starts[$0] > starts[k] }) {
                due = starts[next]
            }
            return (PhaseDue(owner: f.owner, title: f.title, section: f.section, line: f.line, items: f.items,
                             startOffset: starts[k], dueOffset: due), days[k])
        }
    }

    /// Items by the task ID written in them: (prefix, number) → indices ("T1180a" counts as T1180).
    func taskIndex() -> [Key: [Int]] {
        var out: [Key: [Int]] = [:]
        for (i, item) in c.items.enumerated() {
            if let id = item.taskID, let r = taskRanges(id).first { out[Key(r.prefix, r.low), default: []].append(i) }
        }
        return out
    }

    struct Key: Hashable {
        var prefix: String
        var number: Int
        init(_ p: String, _ n: Int) { prefix = p; number = n }
    }
}

/// A heading or bullet as people read it: Markdown emphasis removed, spaces trimmed.
func phaseTitle(_ text: String) -> String {
    String(String(text.filter { $0 != "*" }).drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
}
