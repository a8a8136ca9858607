/// Every pure text formatter for durations, times and counts lives under Format/: `DurationText` (spans of time),
/// `Timestamp` (instants, UTC) and `NumberText` (counts and percentages). Renderers in the CLI and the UI call these
/// rather than keeping their own copies.

/// Spans of time, in milliseconds, as text (and back: `parse` reads what configs say).
public enum DurationText {
    /// `90s`, `5m`, `1h30m`, `500ms`, `2h`, `1d`, `5 minutes`; a bare number is seconds. Nil for anything else or negatives.
    public static func parse(_ text: String) -> Millis? {
        let s = Array(text.utf8).filter { $0 != 32 }
        guard !s.isEmpty else { return nil }
        var i = 0
        var total: Millis = 0
        var any = false
        while i < s.count {
            var n: Millis = 0
            var digits = 0
            while i < s.count, s[i] >= 48, s[i] <= 57 {
                guard n < 1_000_000_000 else { return nil }
                n = n * 10 + Millis(s[i] - 48)
                i += 1
                digits += 1
            }
            guard digits > 0 else { return nil }
            var unit = ""
            while i < s.count, (s[i] >= 97 && s[i] <= 122) || (s[i] >= 65 && s[i] <= 90) {
                unit.append(Character(Unicode.Scalar(s[i] | 0x20)))
                i += 1
            }
            let scale: Millis
            switch unit {
            case "ms": scale = 1
            case "", "s", "sec", "secs", "second", "seconds": scale = 1000
            case "m", "min", "mins", "minute", "minutes": scale = 60_000
            case "h", "hr", "hrs", "hour", "hours": scale = 3_600_000
            case "d", "day", "days": scale = 86_400_000
            default: return nil
            }
            if unit.isEmpty, any || i < s.count { return nil } // a bare number is seconds, alone
            total += n * scale
            any = true
        }
        return any ? total : nil
    }

    /// `5m`, `30s`, `1h30m`, `250ms`: the short form people write in configs.
    public static func format(_ ms: Millis) -> String {
        if ms == 0 { return "0s" }
        if ms % 1000 != 0 { return "\(ms)ms" }
        var s = ms / 1000
        var out = ""
        if s >= 3600 { out += "\(s / 3600)h"; s %= 3600 }
        if s >= 60 { out += "\(s / 60)m"; s %= 60 }
        if s > 0 { out += "\(s)s" }
        return out
    }

    /// `4:59`, `1:02:03`: time left, rounded up to the second.
    public static func countdown(_ ms: Millis) -> String {
        let total = max(0, (ms + 999) / 1000)
        let h = total / 3600, m = (total % 3600) / 60, s = total % 60
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }
}

extension DurationText {
    /// `42s`, `4m12s`, `1h02m`: an elapsed time, compact.
    public static func clockish(_ ms: Millis) -> String {
        let t = max(0, ms) / 1000
        if t < 60 { return "\(t)s" }
        if t < 3600 { return "\(t / 60)m\(t % 60 < 10 ? "0" : "")\(t % 60)s" }
        return "\(t / 3600)h\((t % 3600) / 60 < 10 ? "0" : "")\((t % 3600) / 60)m"
    }
}

extension DurationText {
    /// `0 s`, `42 s`, `10 min`, `4 min 12 s`, `2 h`, `1 h 5 min`: floored, in words' units; negatives show as `0 s`.
    public static func spoken(_ ms: Millis) -> String {
        let total = max(0, ms) / 1000
        if total < 60 { return "\(total) s" }
        if total < 3600 {
            let m = total / 60, s = total % 60
            return s == 0 ? "\(m) min" : "\(m) min \(s) s"
        }
        let h = total / 3600, m = (total % 3600) / 60
        return m == 0 ? "\(h) h" : "\(h) h \(m) min"
    }

    /// `2 h`, `90 min`, `30 s`, `250 ms`: exact, in the largest unit that divides it (thresholds as configured).
    public static func exactUnit(_ ms: Millis) -> String {
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000) h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000) min" }
        if ms % 1000 == 0 { return "\(ms / 1000) s" }
        return "\(ms) ms"
    }

    /// `2 s`, `0.5 s`, `1.3 s` (to the tenth, rounded), `40 ms` below 0.05 s: timeouts and intervals in messages.
    public static func seconds(_ ms: Millis) -> String {
        if ms % 1_000 == 0 { return "\(ms / 1_000) s" }
        let tenths = (ms + 50) / 100
        if tenths == 0 { return "\(ms) ms" }
        return "\(tenths / 10).\(tenths % 10) s"
    }
}
