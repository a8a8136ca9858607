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

        var result: [Item] = []
        result.reserveCapacity(items.count)
        // One map serves duplicate detection and becomes the checklist's ID index: ID → item index.
        var index: [String: Int] = [:]
        index.reserveCapacity(items.count)
        var sectionHashes: [UInt64?] = Array(repeating: nil, count: sections.count)
        let texts = items.map { ItemText($0.text) }
        // Derived IDs: section path + text. Items that share those (the same "Verify health" under two services)
        // also hash their context — the parent item's text, or the plain list item they sit under — so removing
        // one can never hand its state to the other. Only what is still identical falls back to an ordinal.
        var base: [String?] = Array(repeating: nil, count: items.count)
        var baseCount: [String: Int] = [:]
        for (k, raw) in items.enumerated() where texts[k].taskID == nil {
            let sh = sectionHashes[raw.section] ?? sectionPathHash(sections[raw.section].path)
            sectionHashes[raw.section] = sh
            let b = derivedID(sectionHash: sh, text: raw.text, title: texts[k].title)
            base[k] = b
            baseCount[b, default: 0] += 1
        }
        var firstLine: [String: Int] = [:]
        var derivedCount: [String: Int] = [:]
        for (k, raw) in items.enumerated() {
            let parsed = texts[k]
            var id: String
            if let t = parsed.taskID {
                id = t
                if let first = index[t] {
                    diagnostics.append(Diagnostic(.error, line: raw.line, "duplicate task ID \(t) (first at line \(items[first].line))"))
                    var n = 2
                    while index["\(t)-\(n)"] != nil { n += 1 }
                    id = "\(t)-\(n)"
                }
            } else {
                var b = base[k] ?? "item"
                if baseCount[b, default: 0] > 1, let context = raw.parent.map({ items[$0].text }) ?? raw.group {
                    b = derivedID(sectionHash: sectionHashes[raw.section] ?? 0, text: raw.text, title: parsed.title, context: context)
                }
                let n = (derivedCount[b] ?? 0) + 1
                derivedCount[b] = n
                id = n == 1 ? b : "\(b)-\(n)"
                if n == 1 { firstLine[b] = raw.line } else {
                    diagnostics.append(Diagnostic(.warning, line: raw.line,
                        "same item as line \(firstLine[b] ?? 0) (same section and text): its ID \(id) depends on its position; give it a task ID or different text"))
                }
            }
            index[id] = result.count
            result.append(Item(id: id, taskID: parsed.taskID, line: raw.line, section: raw.section, parent: raw.parent,
                               depth: raw.depth, text: raw.text, title: parsed.title, detail: parsed.detail,
                               parallel: parsed.parallel, checked: raw.checked, group: raw.group))
        }
        diagnostics.sort { ($0.line, $0.severity == .error ? 0 : 1) < ($1.line, $1.severity == .error ? 0 : 1) }
        return Checklist(path: path, sections: sections, items: result, diagnostics: diagnostics, lineCount: lineCount, index: index)
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
