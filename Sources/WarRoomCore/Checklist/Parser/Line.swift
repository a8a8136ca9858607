// One line of input as the block parser scans it: tabs expanded, amortised scans for spaces and thematic breaks.

/// Expands tabs to spaces (tab stops of 4, as CommonMark does for block structure).
func expandTabs(_ line: [UInt8]) -> [UInt8] {
    guard line.contains(TAB) else { return line }
    var out: [UInt8] = []
    out.reserveCapacity(line.count + 8)
    var col = 0
    for c in line {
        if c == TAB {
            let n = 4 - (col % 4)
            for _ in 0..<n { out.append(SP) }
            col += n
        } else {
            out.append(c)
            // Continuation bytes of UTF-8 do not advance the column.
            if c & 0xC0 != 0x80 { col += 1 }
        }
    }
    return out
}

struct Line {
    var b: [UInt8]
    var number: Int
    /// Memo for `nonSpace(from:)`: every byte in cacheFrom..<cacheResult is a space.
    var cacheFrom = Int.max
    var cacheResult = -1

    init(b: [UInt8], number: Int) {
        self.b = b
        self.number = number
    }

    /// Memo for `isThematicBreak`: a scan for `breakChar` starting at or after breakFrom fails at breakFail.
    var breakChar: UInt8 = 0
    var breakFrom = Int.max
    var breakFail = -1

    /// `***`, `- - -`, `___` from `i` to the end of the line (also amortised linear).
    mutating func isThematicBreak(from i: Int) -> Bool {
        let ch = b[i]
        if ch == breakChar, i >= breakFrom, i < breakFail { return false }
        var count = 0
        var j = i
        while j < b.count {
            let c = b[j]
            if c == ch { count += 1 } else if c != SP {
                breakChar = ch; breakFrom = i; breakFail = j
                return false
            }
            j += 1
        }
        return count >= 3
    }

    /// The first non-space index at or after `from` (b.count if none). Amortised linear over a line however
    /// many containers ask, so deep nesting cannot make matching quadratic.
    mutating func nonSpace(from: Int) -> Int {
        if from >= cacheFrom, from <= cacheResult { return cacheResult }
        var j = from
        while j < b.count, b[j] == SP { j += 1 }
        cacheFrom = from
        cacheResult = j
        return j
    }

    func spaces(from i: Int) -> Int {
        var j = i
        while j < b.count, b[j] == SP { j += 1 }
        return j - i
    }

    func isBlank(from i: Int) -> Bool {
        var j = i
        while j < b.count { if b[j] != SP { return false }; j += 1 }
        return true
    }

    func text(_ from: Int, _ to: Int? = nil) -> String {
        let end = to ?? b.count
        guard from < end else { return "" }
        return String(decoding: b[from..<end], as: UTF8.self)
    }

    subscript(i: Int) -> UInt8 { i < b.count ? b[i] : 0 }
}
