// The derivation: what headings say about their sections, every line in document order, then each part read out.

struct Deriver {
    let c: Checklist
    var rollbackCtx: [Bool] = []
    var criteriaSec: [Bool] = []
    var sloSec: [Bool] = []
    var quietSec: [Bool] = []

    init(_ c: Checklist) {
        self.c = c
        sectionContexts()
    }

    /// One pass over the lines, each part reading every line as it comes (no line is kept).
    func run() -> Derivation {
        var stepReader = RampStepReader(), criteriaReader = CriteriaReader()
        var sloReader = SLOReader(), targetReader = TargetReader()
        forEachLine { d in
            stepReader.read(d, self)
            criteriaReader.read(d, self)
            sloReader.read(d, self)
            targetReader.read(d, self)
        }
        var notes: [String] = []
        var steps = stepReader.finish(notes: &notes)
        StepItems(c).assign(&steps)
        let criteria = criteriaReader.finish(notes: &notes)
        let slos = sloReader.finish(notes: &notes)
        let targets = targetReader.finish(notes: &notes)
        let contacts = c.contacts
        if contacts.isEmpty { notes.append("no contacts found: the contacts are left for you to fill in") }
        return Derivation(steps: steps, criteria: criteria, slos: slos, targets: targets, contacts: contacts, notes: notes)
    }

    // MARK: Sections

    /// What each heading says about its content, inherited by the sections under it. A checklist's lone title
    /// heading says nothing (a document titled "Canary with rollback" is not all rollback).
    mutating func sectionContexts() {
        let n = c.sections.count
        rollbackCtx = Array(repeating: false, count: n)
        criteriaSec = rollbackCtx
        sloSec = rollbackCtx
        quietSec = rollbackCtx
        let titleSection = c.titleSection
        for s in c.sections {
            let p = s.parent
            let t = s.index == titleSection || s.index == 0 ? [] : lowered(normalized(s.title))
            let ownRollback = hasAny(t, rollbackWords)
            let rollback = ownRollback || (p.map { rollbackCtx[$0] } ?? false)
            rollbackCtx[s.index] = rollback
            let trigger = hasAny(t, triggerWords)
            let procedure = hasAny(t, procedureWords, whole: true)
            criteriaSec[s.index] = (trigger && rollback) || (!procedure && (p.map { criteriaSec[$0] } ?? false))
            sloSec[s.index] = hasAny(t, sloTitleWords, whole: true) || (p.map { sloSec[$0] } ?? false)
            quietSec[s.index] = hasAny(t, quietSLOWords) || (p.map { quietSec[$0] } ?? false)
        }
    }

    // MARK: Lines in document order

    func forEachLine(_ body: (DLine) -> Void) {
        // Context flags of each item's own title, so children look them up instead of re-reading long texts.
        var itemQuiet = Array(repeating: false, count: c.items.count)
        var itemSLO = itemQuiet
        for i in c.items.indices {
            let t = lowered(prefixBytes(c.items[i].title, 200))
            itemQuiet[i] = hasAny(t, quietSLOWords)
            itemSLO[i] = hasAny(t, sloTitleWords, whole: true)
        }
        for sec in c.sections {
            let its = sec.items
            let blocks = sec.blocks
            var ii = 0, bi = 0
            var bulletFlags: [(quiet: Bool, slo: Bool)] = []
            func blockLine(_ b: Block) -> Int {
                switch b {
                case .bullet(let line, _, _, _), .table(let line, _, _), .text(let line, _): return line
                }
            }
            while ii < its.count || bi < blocks.count {
                let il = ii < its.count ? c.items[its[ii]].line : Int.max
                let bl = bi < blocks.count ? blockLine(blocks[bi]) : Int.max
                if il <= bl {
                    let idx = its[ii]
                    ii += 1
                    // Field by field: a copy of the whole item would retain and release every one of its strings.
                    var d = makeLine(.item, c.items[idx].line, sec.index, raw: c.items[idx].text,
                                     read: (c.items[idx].title, c.items[idx].detail))
                    if let p = c.items[idx].parent {
                        d.quietParent = itemQuiet[p]
                        d.sloParent = itemSLO[p]
                    }
                    if let g = c.items[idx].group {
                        let t = lowered(prefixBytes(g, 200))
                        d.quietParent = d.quietParent || hasAny(t, quietSLOWords)
                        d.sloParent = d.sloParent || hasAny(t, sloTitleWords, whole: true)
                    }
                    body(d)
                    continue
                }
                let block = blocks[bi]
                bi += 1
                switch block {
                case .bullet(let line, let depth, _, let text):
                    var d = makeLine(.bullet, line, sec.index, raw: text)
                    if depth < bulletFlags.count { bulletFlags.removeSubrange(depth...) }
                    if let parent = bulletFlags.last, depth > 0 {
                        d.quietParent = parent.quiet
                        d.sloParent = parent.slo
                    }
                    let t = lowered(prefixBytes(d.plain, 200))
                    bulletFlags.append((d.quietParent || hasAny(t, quietSLOWords),
                                        d.sloParent || hasAny(t, sloTitleWords, whole: true)))
                    body(d)
                case .text(let line, let text):
                    bulletFlags.removeAll()
                    body(makeLine(.text, line, sec.index, raw: text))
                case .table(let line, let header, let rows):
                    bulletFlags.removeAll()
                    let hl = header.map { lowered(normalized(plainInline($0))) }
                    let percentCol = hl.firstIndex { hasAny($0, rampColumnWords) }
                        ?? (hl.contains { hasAny($0, stepColumnWords) }
                            ? hl.firstIndex { $0.contains(PCT) || hasAny($0, percentWord) } : nil)
                    let holdCol = hl.firstIndex { hasAny($0, holdColumnWords) }
                    for (r, row) in rows.enumerated() {
                        let cells = row.map { plainInline($0) }
                        var d = makeLine(.row, line + 2 + r, sec.index, raw: cells.joined(separator: " "))
                        d.cells = cells
                        d.percentCol = percentCol
                        d.holdCol = holdCol == percentCol ? nil : holdCol
                        body(d)
                    }
                }
            }
        }
    }

    /// `read`: the text's title and detail when already known (an item's, as the parser read them from its text).
    func makeLine(_ kind: DLine.Kind, _ line: Int, _ section: Int, raw: String,
                  read: (title: String, detail: String?)? = nil) -> DLine {
        let plain = withoutLeadingSymbols(plainInline(withoutIDs(raw)))
        let b = normalized(plain)
        var d = DLine(kind: kind, line: line, section: section, plain: plain, b: b, l: lowered(b))
        d.rollbackWord = hasAny(d.l, rollbackWords)
        d.rollbackLineWord = d.rollbackWord || hasAny(d.l, backToWords)
        if kind != .row {
            let parsed = read ?? { let t = ItemText(raw); return (t.title, t.detail) }()
            if let detail = parsed.detail {
                d.lead = withoutLeadingSymbols(parsed.title)
                d.detail = detail
            }
        }
        return d
    }
}
