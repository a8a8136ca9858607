// Times of day, day offsets, hours and task-ID ranges as checklists write them in headings, items and timeline
// bullets ("(9:15-9:45 AM)", "Day -7: Final Preparation", "**Hour 4-5:** Gradual traffic cutover (T1217-T1226)").

/// A clock range written in parentheses: minutes of the day it starts and ends (the end may pass midnight:
/// "(11:00 PM-1:00 AM)" → 1380…1500). A single time starts and ends at once; `single` says so.
struct ClockRange: Equatable {
    var start: Int
    var end: Int
    var single: Bool
}

/// `(9:15-9:45 AM)` → 555…585; `(10:00 AM-5:00 PM)` → 600…1020; `(1:00-2:00 PM)` → 780…840; `(9:00 AM)` → 540.
/// The whole parenthesis must be the time (or range): "(T1137-T1162)", "(Day 7 Morning)", "(24h stable)" are not.
func clockRange(_ text: String) -> ClockRange? {
    let u = Array(text.utf8)
    var k = 0
    while k < u.count {
        defer { k += 1 }
        guard u[k] == LPAREN, let close = u[(k + 1)...].firstIndex(of: RPAREN) else { continue }
        if let r = clockRangeBody(Array(u[(k + 1)..<close])) { return r }
    }
    return nil
}

private struct ClockTime { var hour: Int; var minute: Int; var meridiem: UInt8? } // 0x61 am, 0x70 pm

private func clockRangeBody(_ u: [UInt8]) -> ClockRange? {
    var j = 0
    func spaces() { while j < u.count, u[j] == SP { j += 1 } }
    func time() -> ClockTime? {
        spaces()
        var h = 0, digits = 0
        while j < u.count, isDigit(u[j]), digits < 2 { h = h * 10 + Int(u[j] - 0x30); j += 1; digits += 1 }
        guard digits > 0 else { return nil }
        var m = 0
        var colon = false
        if j < u.count, u[j] == COLON {
            guard j + 2 < u.count, isDigit(u[j + 1]), isDigit(u[j + 2]) else { return nil }
            m = Int(u[j + 1] - 0x30) * 10 + Int(u[j + 2] - 0x30)
            j += 3
            colon = true
        }
        spaces()
        var mer: UInt8?
        if j + 1 < u.count, (u[j] | 0x20) == 0x61 || (u[j] | 0x20) == 0x70, (u[j + 1] | 0x20) == 0x6D {
            mer = u[j] | 0x20
            j += 2
        } else if j + 3 < u.count, (u[j] | 0x20) == 0x61 || (u[j] | 0x20) == 0x70, u[j + 1] == DOT, (u[j + 2] | 0x20) == 0x6D, u[j + 3] == DOT {
            mer = u[j] | 0x20
            j += 4
        }
        guard colon || mer != nil, m < 60, mer == nil ? h < 24 : (1...12).contains(h) else { return nil }
        return ClockTime(hour: h, minute: m, meridiem: mer)
    }
    guard let a = time() else { return nil }
    spaces()
    var b: ClockTime?
    if j < u.count, u[j] == DASH { j += 1; b = time() }
    else if j + 2 < u.count, u[j] == 0xE2, u[j + 1] == 0x80, u[j + 2] == 0x93 || u[j + 2] == 0x94 { j += 3; b = time() } // – —
    else if j + 1 < u.count, (u[j] | 0x20) == 0x74, (u[j + 1] | 0x20) == 0x6F { j += 2; b = time() }
    else if j < u.count { return nil }
    spaces()
    guard j == u.count else { return nil }
    func minutes(_ t: ClockTime, _ mer: UInt8?) -> Int {
        var h = t.hour
        if mer != nil, h == 12 { h = 0 } // 12 AM is 0:00; 12 PM stays 12 (below)
        if mer == 0x70 { h += 12 }
        return h * 60 + t.minute
    }
    guard let b else {
        let m = minutes(a, a.meridiem)
        return ClockRange(start: m, end: m, single: true)
    }
    let end = minutes(b, b.meridiem)
    var start = minutes(a, a.meridiem ?? b.meridiem)
    // "11:00-1:00 PM": the start is in the morning.
    if a.meridiem == nil, b.meridiem == 0x70, start > end { start = minutes(a, 0x61) }
    return ClockRange(start: start, end: end < start ? end + 1440 : end, single: false)
}

/// "Day -7: Final Preparation" → (-7, -7); "Day 1-7: Hypercare Period" → (1, 7); "Phase 1 (Day 7 Morning)" → (7, 7).
func dayLabel(_ title: String) -> (first: Int, last: Int)? {
    let u = Array(title.utf8)
    var k = 0
    while k + 3 < u.count {
        defer { k += 1 }
        guard (u[k] | 0x20) == 0x64, (u[k + 1] | 0x20) == 0x61, (u[k + 2] | 0x20) == 0x79, k == 0 || !isAlpha(u[k - 1]) else { continue }
        var j = k + 3
        guard j < u.count, u[j] == SP else { continue }
        while j < u.count, u[j] == SP { j += 1 }
        guard let (first, after) = signedNumber(u, j) else { continue }
        j = after
        var last = first
        if j + 1 < u.count, u[j] == DASH, let (n, _) = signedNumber(u, j + 1), n >= first { last = n }
        return (first, last)
    }
    return nil
}

/// "**Hour 4-5:** Gradual traffic cutover" → (4, 5); "Hour 3" → (3, 3).
func hourLabel(_ text: String) -> (first: Int, last: Int)? {
    let u = Array(text.utf8).filter { $0 != STAR }
    var k = 0
    while k + 4 < u.count {
        defer { k += 1 }
        let w = String(decoding: u[k..<(k + 4)].map { $0 | 0x20 }, as: UTF8.self)
        guard w == "hour", k == 0 || !isAlpha(u[k - 1]) else { continue }
        var j = k + 4
        if j < u.count, (u[j] | 0x20) == 0x73 { j += 1 }
        guard j < u.count, u[j] == SP else { continue }
        while j < u.count, u[j] == SP { j += 1 }
        guard let (first, after) = signedNumber(u, j), first >= 0 else { continue }
        var last = first
        if after + 1 < u.count, u[after] == DASH, let (n, _) = signedNumber(u, after + 1), n >= first { last = n }
        return (first, last)
    }
    return nil
}

private func signedNumber(_ u: [UInt8], _ from: Int) -> (Int, Int)? {
    var j = from
    var sign = 1
    if j < u.count, u[j] == DASH { sign = -1; j += 1 }
    else if j + 2 < u.count, u[j] == 0xE2, u[j + 1] == 0x88, u[j + 2] == 0x92 { sign = -1; j += 3 } // U+2212
    let start = j
    var v = 0
    while j < u.count, isDigit(u[j]), j - start < 5 { v = v * 10 + Int(u[j] - 0x30); j += 1 }
    guard j > start else { return nil }
    return (sign * v, j)
}

/// Task IDs a timeline bullet names: "(T1137-T1162)" → T1137…T1162 as (prefix, low, high); "T1216" → T1216…T1216.
func taskRanges(_ text: String) -> [(prefix: String, low: Int, high: Int)] {
    let u = Array(text.utf8)
    var out: [(String, Int, Int)] = []
    var k = 0
    func idAt(_ i: Int) -> (String, Int, Int)? { // prefix, number, end index
        var j = i
        while j < u.count, u[j] >= 0x41, u[j] <= 0x5A, j - i < 3 { j += 1 }
        guard j > i, j < u.count, isDigit(u[j]) else { return nil }
        let p = String(decoding: u[i..<j], as: UTF8.self)
        var v = 0, n = 0
        while j < u.count, isDigit(u[j]), n < 7 { v = v * 10 + Int(u[j] - 0x30); j += 1; n += 1 }
        if j < u.count, u[j] >= 0x61, u[j] <= 0x7A { j += 1 } // "T1180a"
        guard n >= 2, j == u.count || !(isAlpha(u[j]) || isDigit(u[j])) else { return nil }
        return (p, v, j)
    }
    while k < u.count {
        guard k == 0 || !(isAlpha(u[k - 1]) || isDigit(u[k - 1])), let (p, low, end) = idAt(k) else { k += 1; continue }
        var high = low
        var next = end
        if next < u.count, u[next] == DASH, let (p2, h, e2) = idAt(next + 1), p2 == p, h >= low {
            high = h
            next = e2
        }
        out.append((p, low, high))
        k = next
    }
    return out
}
