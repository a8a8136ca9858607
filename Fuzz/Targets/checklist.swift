// Fuzz target: the GFM checklist parser (WarRoomCore's ChecklistParser) on arbitrary bytes.
// Invariants: the same bytes parse to the same items; CRLF line ends read like LF; items are in line order,
// on lines that exist, with unique IDs, parents before children, and each item listed by its own section.
import WarRoomCore

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzChecklist(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let list = ChecklistParser.parse(bytes, path: "fuzz.md")
    let again = ChecklistParser.parse(bytes, path: "fuzz.md")
    fuzzCheck(list.items == again.items, "two parses of the same bytes differ")

    var sectionOf = [Int](repeating: -1, count: list.items.count)
    for section in list.sections {
        for k in section.items {
            fuzzCheck(sectionOf.indices.contains(k) && sectionOf[k] == -1, "item \(k) listed twice or out of range")
            sectionOf[k] = section.index
        }
    }
    var previousLine = 0
    var ids = Set<String>()
    for (k, item) in list.items.enumerated() {
        fuzzCheck(item.line > previousLine && item.line <= max(list.lineCount, 1),
                  "item \(k) on line \(item.line) (previous \(previousLine), \(list.lineCount) lines)")
        previousLine = item.line
        fuzzCheck(ids.insert(item.id).inserted, "duplicate ID \(item.id)")
        fuzzCheck(list.item(id: item.id) == item, "ID index does not find item \(k)")
        if let p = item.parent { fuzzCheck(p < k && item.depth > list.items[p].depth, "item \(k)'s parent \(p)") }
        fuzzCheck(sectionOf[k] == item.section, "item \(k) is not in its section's items")
    }
    // What later readers take from a parse must not trap either.
    _ = list.contacts
    _ = list.signOffs

    // CommonMark reads CRLF like LF: the same items on the same lines.
    if !bytes.contains(0x0D), bytes.contains(0x0A) {
        var crlf: [UInt8] = []
        crlf.reserveCapacity(bytes.count * 2)
        for b in bytes {
            if b == 0x0A { crlf.append(0x0D) }
            crlf.append(b)
        }
        let other = ChecklistParser.parse(crlf, path: "fuzz.md")
        fuzzCheck(other.items.map(\.line) == list.items.map(\.line) && other.items.map(\.text) == list.items.map(\.text),
                  "CRLF line ends give other items than LF")
    }
    return 0
}
