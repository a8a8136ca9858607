// Mission-clock offsets written in headings ("(T-30 min)").

/// "Pre-Deployment (T-30 min)" → -30; "PRE-DEPLOYMENT PHASE (T-24 Hours)" → -1440; "(T+1h to T+4h)" → 60.
func missionOffset(_ title: String) -> Int? {
    let u = Array(title.utf8)
    var k = 0
    while k + 2 < u.count {
        defer { k += 1 }
        guard u[k] == 0x54, k == 0 || !(isAlpha(u[k - 1]) || isDigit(u[k - 1])) else { continue }
        var j = k + 1
        var sign = 0
        if u[j] == PLUS { sign = 1; j += 1 } else if u[j] == DASH { sign = -1; j += 1 }
        else if j + 2 < u.count, u[j] == 0xE2, u[j + 1] == 0x88, u[j + 2] == 0x92 { sign = -1; j += 3 } // U+2212
        guard sign != 0, j < u.count, isDigit(u[j]) else { continue }
        var value = 0
        let digitsStart = j
        while j < u.count, isDigit(u[j]) {
            value = value * 10 + Int(u[j] - 0x30)
            j += 1
            if j - digitsStart > 6 { return nil } // no go-live is a million units away; and no overflow
        }
        if value == 0 { return 0 }
        // The unit follows this number, or the end of a range ("T+15 to T+60 min").
        let unit = unitMinutes(Array(u[j...]))
        return sign * value * unit
    }
    return nil
}

func unitMinutes(_ rest: [UInt8]) -> Int {
    var k = 0
    while k < rest.count {
        if isAlpha(rest[k]) {
            var e = k
            while e < rest.count, isAlpha(rest[e]) { e += 1 }
            let w = String(decoding: rest[k..<e].map { $0 | 0x20 }, as: UTF8.self)
            switch w {
            case "m", "min", "mins", "minute", "minutes": return 1
            case "h", "hr", "hrs", "hour", "hours": return 60
            case "d", "day", "days": return 1440
            case "to": k = e; continue
            default: return 1
            }
        }
        k += 1
    }
    return 1
}
