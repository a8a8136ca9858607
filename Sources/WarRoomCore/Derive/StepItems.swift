// Which checklist items belong to each ramp step: the step's own items (ticked by GO) and what must be done before
// GO into it (the checks before the first step; the previous step's validation items before the next).

struct StepItems {
    let c: Checklist
    /// Past this many items between two steps, the derivation requires their sections instead.
    static let itemCap = 12

    init(_ c: Checklist) { self.c = c }

    func ref(_ i: Int) -> DerivedRef {
        let item = c.items[i]
        return DerivedRef(ref: item.taskID ?? item.id, line: item.line, text: item.title)
    }

    func sectionRef(_ s: Int) -> DerivedRef? {
        let sec = c.sections[s]
        // Only a title that resolves back to this very section can stand for it.
        guard c.requirement(sec.title) == .section(s) else { return nil }
        return DerivedRef(ref: sec.title, line: sec.line, text: sec.title)
    }

    /// The step's own items: the item the step was read from, and its sub-items that move the traffic
    /// ("Route 10% of queries to …", "Increase traffic to 25%", "Route all eligible queries").
    func own(_ step: DerivedStep) -> [Int] {
        guard let i = c.items.firstIndex(where: { $0.line == step.line }) else { return [] }
        var out = [i]
        for k in (i + 1)..<c.items.count {
            guard c.items[k].parent == i else {
                if c.items[k].depth <= c.items[i].depth { break }
                continue
            }
            let t = c.items[k].title.lowercased()
            let moves = ["route", "increase", "shift", "switch", "send", "cut over", "cutover", "move"].contains { t.hasPrefix($0) }
            if moves, t.contains("\(step.percent)%") || t.contains("all") || t.contains("traffic") { out.append(k) }
        }
        return out
    }

    func assign(_ steps: inout [DerivedStep]) {
        let owns = steps.map(own)
        let owned = Set(owns.joined())
        for k in steps.indices {
            steps[k].ticks = owns[k].map(ref)
            guard let first = owns[k].first else { continue }
            if k == 0 {
                steps[k].require = before(first, owned: owned)
            } else {
                // The previous step's validation: the items between its own items and this step's.
                let from = (owns[k - 1].last.map { c.items[$0].line } ?? steps[k - 1].line)
                let between = c.items.indices.filter { c.items[$0].line > from && c.items[$0].line < c.items[first].line && !owned.contains($0) }
                steps[k].require = capped(between)
            }
        }
    }

    /// Before the first step: the section just before the step's (walking up until one has a previous sibling), and
    /// the items of the step's own section above it that are not its parents.
    func before(_ first: Int, owned: Set<Int>) -> [DerivedRef] {
        var out: [DerivedRef] = []
        var s: Int? = c.items[first].section
        while let cur = s, cur != 0, cur != c.titleSection {
            if let p = c.sections[cur].parent {
                let siblings = c.sections[p].children
                if let at = siblings.firstIndex(of: cur), at > 0 {
                    let prev = siblings[at - 1]
                    if !c.itemIndices(inSubtree: prev).isEmpty, let r = sectionRef(prev) { out.append(r) }
                    break
                }
            }
            s = c.sections[cur].parent
        }
        var ancestors = Set<Int>()
        var a = c.items[first].parent
        while let x = a { ancestors.insert(x); a = c.items[x].parent }
        let mine = c.sections[c.items[first].section].items.filter {
            c.items[$0].line < c.items[first].line && !ancestors.contains($0) && !owned.contains($0)
        }
        return out + capped(mine)
    }

    /// Items by ID; past the cap, the sections they are in.
    func capped(_ indices: [Int]) -> [DerivedRef] {
        guard indices.count > Self.itemCap else { return indices.map(ref) }
        var secs: [Int] = []
        for i in indices where !secs.contains(c.items[i].section) { secs.append(c.items[i].section) }
        let refs = secs.compactMap(sectionRef)
        return refs.count == secs.count ? refs : indices.map(ref)
    }
}
