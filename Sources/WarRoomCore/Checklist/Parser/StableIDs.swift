// Finishing a parse: item titles, stable IDs (task IDs, else slug + hash of section path and text), duplicates,
// whole-file diagnostics.
extension Parser {
    mutating func finish() -> Checklist {
        if mojibakeLines > 0 {
            diagnostics.append(Diagnostic(.warning, line: firstMojibakeLine,
                "text looks double-encoded (UTF-8 read as Windows-1252, e.g. \"ðŸ“‹\"); kept as written (\(mojibakeLines) line\(mojibakeLines == 1 ? "" : "s"))"))
        }
        if invalidUTF8Lines > 20 {
            diagnostics.append(Diagnostic(.warning, line: lineCount,
                "\(invalidUTF8Lines - 20) more lines with invalid UTF-8 not listed"))
        }
        if lineCount == 0 {
            diagnostics.append(Diagnostic(.error, line: 1, "file is empty: no checklist items"))
        } else if items.isEmpty {
            diagnostics.append(Diagnostic(.error, line: 1, "no checklist items: no `- [ ]` task item that GitHub would render"))
        }

        // One map serves duplicate detection and becomes the checklist's ID index: ID → item index.
        var index: [String: Int] = [:]
        index.reserveCapacity(items.count)
        var sectionHashes: [UInt64?] = Array(repeating: nil, count: sections.count)
        // Titles, task IDs, [P] and bold leads, read in place; then derived IDs: section path + text. Items that
        // share those (the same "Verify health" under two services) also hash their context — the parent item's
        // text, or the plain list item they sit under — so removing one can never hand its state to the other.
        // Only what is still identical falls back to an ordinal. The bases, in item order, become most items' IDs
        // (and their index keys) as they are: one string each.
        var bases: [String] = []
        for k in items.indices {
            let parsed = ItemText(items[k].text)
            items[k].taskID = parsed.taskID
            items[k].title = parsed.title
            items[k].detail = parsed.detail
            items[k].parallel = parsed.parallel
            guard parsed.taskID == nil else { continue }
            let s = items[k].section
            let sh = sectionHashes[s] ?? sectionPathHash(sections[s].path)
            sectionHashes[s] = sh
            bases.append(derivedID(sectionHash: sh, text: items[k].text, title: parsed.title))
        }
        var baseCount: [String: Int] = [:]
        baseCount.reserveCapacity(bases.count)
        for b in bases { baseCount[b, default: 0] += 1 }
        var nextBase = 0
        // Each item's ID goes into the index as it is given; an ID already there is a duplicate, numbered on
        // (`-2`, `-3`, …, found in the index: ordinals never collide with task IDs or derived bases). One hash
        // per item in the usual case: the insert that also answers whether the ID was taken.
        var ordinals: [String: Int] = [:]
        for k in items.indices {
            let line = items[k].line
            let id: String
            if let t = items[k].taskID {
                id = t
                if let first = index.updateValue(k, forKey: t) {
                    index[t] = first
                    diagnostics.append(Diagnostic(.error, line: line, "duplicate task ID \(t) (first at line \(items[first].line))"))
                    items[k].id = Self.ordinal(t, in: &index, next: &ordinals, for: k)
                    continue
                }
            } else {
                let sh = sectionHashes[items[k].section] ?? 0
                var b = bases[nextBase]
                nextBase += 1
                if baseCount[b, default: 0] > 1, let context = items[k].parent.map({ items[$0].text }) ?? items[k].group {
                    b = derivedID(sectionHash: sh, text: items[k].text, title: items[k].title, context: context)
                }
                id = b
                if let first = index.updateValue(k, forKey: b) {
                    index[b] = first
                    let numbered = Self.ordinal(b, in: &index, next: &ordinals, for: k)
                    diagnostics.append(Diagnostic(.warning, line: line,
                        "same item as line \(items[first].line) (same section and text): its ID \(numbered) depends on its position; give it a task ID or different text"))
                    items[k].id = numbered
                    continue
                }
            }
            items[k].id = id
        }
        diagnostics.sort { ($0.line, $0.severity == .error ? 0 : 1) < ($1.line, $1.severity == .error ? 0 : 1) }
        return Checklist(path: path, sections: sections, items: items, diagnostics: diagnostics, lineCount: lineCount, index: index)
    }

    /// `id-2`, `id-3`, …: the first not yet in the index, entered for item `k`. `next` remembers where each
    /// duplicated ID's numbering stands, so a thousand copies of one line do not probe a thousand times each.
    static func ordinal(_ id: String, in index: inout [String: Int], next: inout [String: Int], for k: Int) -> String {
        var n = next[id] ?? 2
        while index["\(id)-\(n)"] != nil { n += 1 }
        next[id] = n + 1
        let numbered = "\(id)-\(n)"
        index[numbered] = k
        return numbered
    }
}

// MARK: - Stable IDs

/// `kubernetes-cluster-3fa2c1`: a readable slug of the title plus a short hash of section path and text.
/// Editing one item changes only that item's ID; true duplicates get `-2`, `-3` in document order.
func derivedID(sectionPath: [String], text: String, title: String) -> String {
    derivedID(sectionHash: sectionPathHash(sectionPath), text: text, title: title)
}

private let fnvOffset: UInt64 = 0xcbf2_9ce4_8422_2325
private let fnvPrime: UInt64 = 0x100_0000_01b3

/// FNV-1a over the section titles (each followed by 0x1F); computed once per section.
func sectionPathHash(_ path: [String]) -> UInt64 {
    var h = fnvOffset
    for part in path {
        for b in part.utf8 { h ^= UInt64(b); h = h &* fnvPrime }
        h ^= 0x1F; h = h &* fnvPrime
    }
    return h
}

func derivedID(sectionHash: UInt64, text: String, title: String, context: String? = nil) -> String {
    var slug: [UInt8] = []
    slug.reserveCapacity(32)
    var words = 0
    var inWord = false
    for c in title.utf8 {
        if isAlpha(c) || isDigit(c) {
            if !inWord {
                if words == 4 || slug.count > 28 { break }
                if words > 0 { slug.append(DASH) }
                words += 1
                inWord = true
            }
            slug.append(c | (isAlpha(c) ? 0x20 : 0))
        } else {
            inWord = false
        }
    }
    if slug.isEmpty { slug = Array("item".utf8) }
    // Hash the text with runs of spaces and tabs folded to one space and the ends trimmed.
    var h = sectionHash
    h ^= 0x1E; h = h &* fnvPrime
    var pendingSpace = false
    var started = false
    for b in text.utf8 {
        if b == SP || b == TAB {
            pendingSpace = started
            continue
        }
        if pendingSpace { h ^= UInt64(SP); h = h &* fnvPrime; pendingSpace = false }
        h ^= UInt64(b); h = h &* fnvPrime
        started = true
    }
    if let context {
        h ^= 0x1D; h = h &* fnvPrime
        for b in context.utf8 { h ^= UInt64(b); h = h &* fnvPrime }
    }
    let top = h >> 40
    let hexDigits = Array("0123456789abcdef".utf8)
    slug.append(DASH)
    for shift in stride(from: 20, through: 0, by: -4) { slug.append(hexDigits[Int((top >> UInt64(shift)) & 0xF)]) }
    return String(decoding: slug, as: UTF8.self)
}
