// Quantities in prose: numbers, percentages, durations (also spelled out), T-offsets, clock times and ranges.

struct Num {
    var value: Double
    var int: Int?
    var start: Int
    var end: Int
}

func readNumber(_ b: [UInt8], _ i: Int) -> Num? {
    guard i < b.count, isDigitB(b[i]) else { return nil }
    var j = i
    while j < b.count, isDigitB(b[j]) { j += 1 }
    var isInt = true
    // 10,000
    if j - i <= 3, j + 3 < b.count, b[j] == COMMA, isDigitB(b[j + 1]), isDigitB(b[j + 2]), isDigitB(b[j + 3]),
       j + 4 >= b.count || !isDigitB(b[j + 4]) {
        j += 4
    }
    if j + 1 < b.count, b[j] == DOT, isDigitB(b[j + 1]) {
        isInt = false
        j += 1
        while j < b.count, isDigitB(b[j]) { j += 1 }
    }
    let digits = b[i..<j].filter { $0 != COMMA }
    // Long runs of digits are not quantities anyone writes in a checklist; keep them finite and harmless.
    let text = digits.count > 18 ? "1e18" : str(digits[...])
    let value = Double(text) ?? 0
    let int = isInt && digits.count <= 9 ? Int(value) : nil
    return Num(value: value, int: int, start: i, end: j)
}

/// Milliseconds per unit for a time word ("min", "minutes", "h", "s", …).
func timeUnit(_ w: ArraySlice<UInt8>) -> Double? {
    switch str(w) {
    case "ms", "msec", "msecs", "millisecond", "milliseconds": return 1
    case "s", "sec", "secs", "second", "seconds": return 1000
    case "m", "min", "mins", "minute", "minutes": return 60_000
    case "h", "hr", "hrs", "hour", "hours": return 3_600_000
    case "d", "day", "days": return 86_400_000
    case "wk", "wks", "week", "weeks": return 604_800_000
    default: return nil
    }
}

/// The letters of the word starting at `i` (ASCII letters only).
func wordEnd(_ l: [UInt8], _ i: Int) -> Int {
    var e = i
    while e < l.count, isLetterB(l[e]) { e += 1 }
    return e
}

func msValue(_ v: Double, _ mult: Double) -> Int64? {
    let ms = (v * mult).rounded()
    guard ms.isFinite, ms >= 0, ms < 1e15 else { return nil }
    return Int64(ms)
}

enum AtomKind: Equatable {
    case percent, bare
    case duration(Int64)
    /// A mission-clock offset such as "T+10 min": a point in time, not a length.
    case offset
    case clock
    case clockRange(Int64)
}

struct Atom {
    var kind: AtomKind
    var num: Num
    var end: Int
    var start: Int { num.start }
}

let numberWords: [String: Double] = [
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "sixty": 60,
]

/// "am"/"pm"/"a.m."/"p.m." at `k` (after an optional space): true for pm, false for am, nil for none.
func meridian(_ l: [UInt8], _ k: inout Int) -> Bool? {
    var j = k
    if j < l.count, l[j] == SP { j += 1 }
    guard j + 1 < l.count, l[j] == 0x61 || l[j] == 0x70 else { return nil }
    let pm = l[j] == 0x70
    var e: Int
    if l[j + 1] == 0x6D { e = j + 2 }
    else if j + 3 < l.count, l[j + 1] == DOT, l[j + 2] == 0x6D, l[j + 3] == DOT { e = j + 4 }
    else { return nil }
    guard e >= l.count || !isLetterB(l[e]) else { return nil }
    k = e
    return pm
}

/// "H:MM" at `i`: minutes after midnight (12-hour unknown) and the index after it.
func clockAt(_ b: [UInt8], _ i: Int) -> (Int, Int)? {
    guard let n = readNumber(b, i), let h = n.int, h <= 24, n.end + 2 < b.count, b[n.end] == COLON,
          isDigitB(b[n.end + 1]), isDigitB(b[n.end + 2]), n.end + 3 >= b.count || !isDigitB(b[n.end + 3]) else { return nil }
    let m = Int(b[n.end + 1] - 0x30) * 10 + Int(b[n.end + 2] - 0x30)
    guard m < 60 else { return nil }
    return (h * 60 + m, n.end + 3)
}

func to24(_ minutes: Int, _ pm: Bool?) -> Int {
    guard let pm else { return minutes }
    var h = minutes / 60
    let m = minutes % 60
    if pm, h < 12 { h += 12 }
    if !pm, h == 12 { h = 0 }
    return h * 60 + m
}

func atom(_ b: [UInt8], _ l: [UInt8], _ i: Int) -> Atom? {
    guard let n = readNumber(b, i) else { return nil }
    // Clock time, and a clock range "1:00-2:00 PM", "10:00 AM-5:00 PM".
    if let (m1, e1) = clockAt(b, i) {
        var k = e1
        let mer1 = meridian(l, &k)
        var r = k
        while r < b.count, b[r] == SP { r += 1 }
        var sep = false
        if r < b.count, b[r] == DASH { r += 1; sep = true }
        else if r + 2 < l.count, l[r] == 0x74, l[r + 1] == 0x6F, l[r + 2] == SP { r += 3; sep = true }
        if sep {
            while r < b.count, b[r] == SP { r += 1 }
            if let (m2, e2) = clockAt(b, r) {
                var k2 = e2
                let mer2 = meridian(l, &k2)
                let end = to24(m2, mer2)
                var start = to24(m1, mer1 ?? mer2)
                if mer1 == nil, mer2 != nil, start > end { start = to24(m1, !(mer2!)) }
                var diff = end - start
                if diff <= 0 { diff += (mer1 == nil && mer2 == nil) ? 720 : 1440 }
                if diff > 0, diff <= 1440 {
                    return Atom(kind: .clockRange(Int64(diff) * 60_000), num: n, end: k2)
                }
            }
        }
        return Atom(kind: .clock, num: n, end: k)
    }
    let j = n.end
    var k = j
    if k < b.count, b[k] == SP { k += 1 }
    if k < b.count, b[k] == PCT { return Atom(kind: .percent, num: n, end: k + 1) }
    if k < l.count, isLetterB(l[k]) {
        let e = wordEnd(l, k)
        if str(l[k..<e]) == "percent" { return Atom(kind: .percent, num: n, end: e) }
    }
    // Duration: "5 min", "30s", "5+ minutes", "24-hour", "5-15 minutes" (the upper end).
    var hi = n
    var r = j
    if r < b.count, b[r] == PLUS { r += 1 }
    if r + 1 < b.count, b[r] == DASH, isDigitB(b[r + 1]), let n2 = readNumber(b, r + 1) {
        hi = n2; r = n2.end
    } else if r + 4 < l.count, l[r] == SP, l[r + 1] == 0x74, l[r + 2] == 0x6F, l[r + 3] == SP, isDigitB(b[r + 4]),
              let n2 = readNumber(b, r + 4) {
        hi = n2; r = n2.end
    }
    var u = r
    if u < b.count, b[u] == SP || b[u] == DASH { u += 1 }
    let e = wordEnd(l, u)
    if e > u, e >= l.count || !isDigitB(l[e]), let mult = timeUnit(l[u..<e]), let ms = msValue(hi.value, mult) {
        let isOffset = i >= 2 && (b[i - 1] == PLUS || b[i - 1] == DASH) && l[i - 2] == 0x74 && (i < 3 || !isAlnumB(b[i - 3]))
        return Atom(kind: isOffset ? .offset : .duration(ms), num: n, end: e)
    }
    return Atom(kind: .bare, num: n, end: j)
}

/// "one hour", "seven days", "an hour".
func wordDuration(_ l: [UInt8], _ i: Int) -> Atom? {
    let e = wordEnd(l, i)
    // Only "a", "an", "one" … "sixty" can start a spelled-out duration.
    guard e > i, e - i <= 7, [0x61, 0x6F, 0x74, 0x66, 0x73, 0x65, 0x6E].contains(l[i]),
          let v = numberWords[str(l[i..<e])] else { return nil }
    var u = e
    if u < l.count, l[u] == SP || l[u] == DASH { u += 1 } else { return nil }
    let ue = wordEnd(l, u)
    guard ue > u, let mult = timeUnit(l[u..<ue]), mult >= 1000, let ms = msValue(v, mult) else { return nil }
    return Atom(kind: .duration(ms), num: Num(value: v, int: Int(v), start: i, end: e), end: ue)
}

func scanAtoms(_ b: [UInt8], _ l: [UInt8]) -> [Atom] {
    var out: [Atom] = []
    var i = 0
    while i < b.count {
        let c = b[i]
        let boundary = i == 0 || !(isAlnumB(b[i - 1]) || b[i - 1] == DOT || b[i - 1] == COLON)
        if isDigitB(c), boundary, let a = atom(b, l, i) {
            out.append(a)
            i = max(a.end, i + 1)
            continue
        }
        if isLetterB(c), i == 0 || !isWordB(b[i - 1]) {
            if let a = wordDuration(l, i) {
                out.append(a)
                i = a.end
                continue
            }
            i = wordEnd(l, i)
            continue
        }
        i += 1
    }
    return out
}

/// The previous word before `i` (skipping spaces and the punctuation in `skip`), lower-cased, and where it starts.
func previousWord(_ l: [UInt8], before i: Int, skip: [UInt8] = [SP]) -> (String, Int)? {
    var k = i - 1
    while k >= 0, skip.contains(l[k]) || l[k] == SP { k -= 1 }
    guard k >= 0, isLetterB(l[k]) else { return nil }
    let e = k + 1
    var s = k
    while s > 0, isLetterB(l[s - 1]), e - s < 24 { s -= 1 }
    return (str(l[s..<e]), s)
}
