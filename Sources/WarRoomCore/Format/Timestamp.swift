/// Instants (`Millis` since the epoch) as UTC text, and offsets from a mission clock's origin.
public enum Timestamp {
    /// `2026-11-22T02:11:01.123Z`
    public static func iso8601(_ ms: Millis) -> String {
        let (secs, milli) = floorDivMod(ms, 1000)
        let (days, secOfDay) = floorDivMod(secs, 86_400)
        let (y, m, d) = civil(fromDays: days)
        let hh = secOfDay / 3600, mm = (secOfDay % 3600) / 60, ss = secOfDay % 60
        return "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(hh, 2)):\(pad(mm, 2)):\(pad(ss, 2)).\(pad(milli, 3))Z"
    }

    /// `09:00:00`: the time of day, UTC (for table cells and "at …" in messages).
    public static func hms(_ ms: Millis) -> String {
        let secOfDay = floorDivMod(floorDivMod(ms, 1000).0, 86_400).1
        return "\(pad(secOfDay / 3600, 2)):\(pad((secOfDay % 3600) / 60, 2)):\(pad(secOfDay % 60, 2))"
    }

    /// `09:00`: the time of day to the minute, UTC.
    public static func hm(_ ms: Millis) -> String { String(hms(ms).prefix(5)) }

    /// `2026-11-23 09:00:00 UTC`: a date and time for people.
    public static func long(_ ms: Millis) -> String {
        let iso = iso8601(ms)
        return "\(iso.prefix(10)) \(hms(ms)) UTC"
    }

    /// The UTC offset a timestamp is written with, in minutes east of UTC: `…-05:00` → -300, `…Z` → 0; nil when
    /// `text` is not a timestamp `parse` reads.
    public static func utcOffsetMinutes(_ text: String) -> Int? {
        guard parse(text) != nil else { return nil }
        let s = Array(text.utf8)
        guard s.count >= 6, s[s.count - 3] == 58, s[s.count - 6] == 43 || s[s.count - 6] == 45 else { return 0 }
        let h = Int(s[s.count - 5] - 48) * 10 + Int(s[s.count - 4] - 48)
        let m = Int(s[s.count - 2] - 48) * 10 + Int(s[s.count - 1] - 48)
        return (h * 60 + m) * (s[s.count - 6] == 43 ? 1 : -1)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`. Returns nil for anything else.
    public static func parse(_ text: String) -> Millis? {
        let s = Array(text.utf8)
        func num(_ from: Int, _ len: Int) -> Int64? {
            guard from + len <= s.count else { return nil }
            var v: Int64 = 0
            for i in from..<(from + len) {
                let c = s[i]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int64(c - 48)
            }
            return v
        }
        guard s.count >= 20, s[4] == 45, s[7] == 45, s[10] == 84 || s[10] == 116 || s[10] == 32,
              s[13] == 58, s[16] == 58,
              let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2),
              let h = num(11, 2), let mi = num(14, 2), let se = num(17, 2),
              (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, se < 61 else { return nil }
        var i = 19
        var frac: Int64 = 0
        if i < s.count, s[i] == 46 {
            i += 1
            var digits = 0
            while i < s.count, s[i] >= 48, s[i] <= 57 {
                if digits < 3 { frac = frac * 10 + Int64(s[i] - 48) }
                digits += 1; i += 1
            }
            guard digits > 0 else { return nil }
            while digits < 3 { frac *= 10; digits += 1 }
        }
        var offset: Int64 = 0
        guard i < s.count else { return nil }
        if s[i] == 90 || s[i] == 122 { i += 1 } else if s[i] == 43 || s[i] == 45 {
            guard let oh = num(i + 1, 2), s.count > i + 3, s[i + 3] == 58, let om = num(i + 4, 2) else { return nil }
            offset = (oh * 60 + om) * 60 * (s[i] == 43 ? 1 : -1)
            i += 6
        } else { return nil }
        guard i == s.count else { return nil }
        let days = days(fromCivil: y, mo, d)
        return ((days * 86_400 + h * 3600 + mi * 60 + se) - offset) * 1000 + frac
    }

    /// `T-01:30:00` / `T+00:05:12` relative to t0, or plain elapsed `00:05:12`.
    public static func clock(_ deltaMs: Millis, signed: Bool) -> String {
        let neg = deltaMs < 0
        let total = abs(deltaMs) / 1000
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        let body = "\(pad(h, 2)):\(pad(m, 2)):\(pad(s, 2))"
        return signed ? "T\(neg ? "-" : "+")\(body)" : body
    }

    static func pad(_ v: Int64, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    static func floorDivMod(_ a: Int64, _ b: Int64) -> (Int64, Int64) {
        var q = a / b, r = a % b
        if r < 0 { q -= 1; r += b }
        return (q, r)
    }

    // Howard Hinnant's civil-calendar algorithms.
    static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
