import Foundation

/// `t0` as a checklist states it: a "Target Deployment" line, else a "Date:" line, with an ISO date
/// (`2025-10-25 01:00 CDT`, `Date: 2025-11-13`). `init --from` writes it as a commented proposal with its line.
struct ProposedT0: Equatable {
    /// ISO 8601, in the zone the line states (`2025-10-25T01:00:00-05:00`), else UTC.
    var iso: String
    var line: Int
    var text: String
    /// The line gives a date without a time of day (t0 is then that day's 00:00 UTC).
    var dateOnly: Bool

    /// US zone abbreviations as checklists write them, in hours from UTC.
    static let zones: [String: Int] = ["UTC": 0, "GMT": 0, "Z": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
                                       "MST": -7, "MDT": -6, "PST": -8, "PDT": -7, "CET": 1, "CEST": 2]

    static func find(in text: String) -> ProposedT0? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        for key in ["target deployment", "deployment date", "go-live date", "date:"] {
            for (i, l) in lines.enumerated() where l.lowercased().contains(key) {
                if let p = parse(l, line: i + 1) { return p }
            }
        }
        return nil
    }

    static func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }

    static func parse(_ l: String, line: Int) -> ProposedT0? {
        guard let m = l.firstMatch(of: #/(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{1,2}):(\d{2}))?(?:\s*([A-Z]{1,4}))?/#),
              let y = Int(m.1), let mo = Int(m.2), let d = Int(m.3), (1...12).contains(mo), (1...31).contains(d) else { return nil }
        var c = DateComponents()
        c.year = y; c.month = mo; c.day = d
        c.hour = m.4.flatMap { Int($0) } ?? 0
        c.minute = m.5.flatMap { Int($0) } ?? 0
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: 0)!
        guard c.hour! < 24, c.minute! < 60, cal.date(from: c) != nil else { return nil }
        // A stated zone stays the offset t0 is written with: the mission's days and clock times are read in it.
        var zone = "Z"
        if m.4 != nil, let z = m.6.map(String.init), let off = zones[z], off != 0 {
            zone = (off < 0 ? "-" : "+") + two(abs(off)) + ":00"
        }
        let iso = "\(y)-\(two(mo))-\(two(d))T\(two(c.hour!)):\(two(c.minute!)):00" + zone
        let plain = l.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "*", with: "")
        return ProposedT0(iso: iso, line: line, text: plain, dateOnly: m.4 == nil)
    }
}
