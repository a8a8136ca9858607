import Foundation
import WarRoomCore

/// The report's charts: Mermaid `xychart-beta` blocks (GitHub renders them in Markdown) for the ramp percentage and
/// each SLO over the run's time. Mermaid's xychart has a categorical x-axis, unnamed series and no annotations, so:
/// - the run's time is cut into at most `maxBuckets` buckets of a round width (labels `HH:MM` UTC, or `HH:MM:SS` for
///   runs shorter than a few minutes);
/// - the ramp is a bar per bucket (the percentage in effect at the bucket's end);
/// - an SLO is a line of its worst journaled value per bucket (largest for `<=` objectives, smallest for `>=`), a
///   bucket without a point repeating the one before, and a second, flat line at its threshold;
/// - decisions, trips and clears get letters (A, B, …) appended to their bucket's label, and a table under the charts
///   maps each letter to its time and what happened.
struct ReportChart {
    static let maxBuckets = 24
    /// Round bucket widths, smallest first.
    static let widths: [Millis] = [5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400]
        .map { $0 * 1_000 }

    struct Axis: Equatable {
        var origin: Millis
        var width: Millis
        var count: Int
        /// Bucket index for a time (clamped to the axis).
        func index(_ t: Millis) -> Int { max(0, min(count - 1, Int((t - origin) / width))) }
        func start(_ i: Int) -> Millis { origin + Millis(i) * width }
        func end(_ i: Int) -> Millis { origin + Millis(i + 1) * width }
    }

    /// The smallest round width that fits the run into `maxBuckets`, buckets aligned to it (UTC).
    static func axis(start: Millis, end: Millis) -> Axis {
        let span = max(end - start, 1)
        let width = widths.first { w in (start / w * w + Millis(maxBuckets) * w) > end } ?? max(1, span / Millis(maxBuckets) + 1)
        let origin = start / width * width
        let count = Int((end - origin) / width) + 1
        return Axis(origin: origin, width: width, count: max(1, min(count, maxBuckets)))
    }

    /// Letters for marks: A…Z, then AA, AB, …
    static func letter(_ n: Int) -> String {
        let a = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        return n < 26 ? String(a[n]) : String(a[n / 26 - 1]) + String(a[n % 26])
    }

    /// A number as Mermaid reads it: plain decimal, at most 4 decimals, no exponent.
    static func number(_ x: Double) -> String {
        guard x.isFinite else { return "0" }
        if x == x.rounded(), abs(x) < 1e15 { return String(Int64(x)) }
        var s = String(format: "%.4f", x)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s == "-0" ? "0" : s
    }

    /// Text inside a Mermaid string: no double quotes, no line breaks.
    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\""
    }

    /// The y-axis for `values`: from 0 when the data sits within one of its own spans of 0 (latencies, error
    /// rates), else hugging the data (an availability of 99.95 against 99.9 must not be drawn flat at the top of
    /// 0–100); 10 % headroom above.
    static func yRange(_ values: [Double]) -> (Double, Double) {
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        if lo >= 0, lo <= hi - lo { lo = 0 }
        if hi <= 0, -hi <= hi - lo { hi = 0 }
        let span = hi - lo
        if span == 0 { return lo > 0 ? (0, hi * 1.1) : lo < 0 ? (lo * 1.1, 0) : (0, 1) }
        return (lo == 0 ? 0 : lo - span * 0.1, hi + span * 0.1)
    }

    static func label(_ t: Millis, width: Millis) -> String {
        width < 60_000 ? Timestamp.hms(t) : Timestamp.hm(t)
    }

    /// The Markdown lines of the charts section (empty when there is no run).
    static func render(_ chart: RunChart, missionTime: (Millis) -> String) -> [String] {
        guard let start = chart.start, let end = chart.end else { return [] }
        var out = ["## Timeline", ""]
        if chart.isEmpty { return out + ["Nothing to chart yet: no decision, trip or SLO point journaled.", ""] }
        let axis = Self.axis(start: start, end: max(end, start))
        var marksByBucket: [Int: [String]] = [:]
        let letters = chart.marks.enumerated().map { (n, m) -> String in
            let l = letter(n)
            marksByBucket[axis.index(m.time), default: []].append(l)
            return l
        }
        func labels(_ range: Range<Int>) -> String {
            "[" + range.map { i -> String in
                let marks = marksByBucket[i].map { " " + ($0.count > 3 ? "\($0[0])–\($0[$0.count - 1])" : $0.joined(separator: "+")) } ?? ""
                return quoted(label(axis.start(i), width: axis.width) + marks)
            }.joined(separator: ", ") + "]"
        }
        let widthText = DurationText.spoken(axis.width)
        let clipped = Millis(axis.count) * axis.width < end - axis.origin + 1
        out.append("Each column is \(widthText) (UTC, labelled by its start)"
                   + (clipped ? ", up to \(Timestamp.hms(axis.end(axis.count - 1) - 1)) (the rest is not drawn)" : "")
                   + (chart.marks.isEmpty ? "." : "; letters mark decisions, trips and clears, listed under the charts."))
        out.append("")

        // The ramp.
        let ramp = (0..<axis.count).map { i in chart.percent(at: min(axis.end(i) - 1, end)) }
        out += ["**Ramp** — traffic % in effect at the end of each column (bars):", "", "```mermaid", "xychart-beta",
                "    title \"Ramp (traffic %)\"", "    x-axis \(labels(0..<axis.count))", "    y-axis \"traffic (%)\" 0 --> 100",
                "    bar [" + ramp.map(String.init).joined(separator: ", ") + "]", "```", ""]

        // Each SLO.
        for s in chart.series {
            let finite = s.points.filter { $0.value?.isFinite == true }
            guard let first = finite.first else {
                out += ["**\(MarkdownText.inline(s.name))** — no value journaled" + (s.objective.isEmpty ? "" : " (objective \(MarkdownText.inline(s.objective)))") + ".", ""]
                continue
            }
            let from = axis.index(first.time)
            var worst: [Double?] = Array(repeating: nil, count: axis.count)
            for p in finite {
                let i = axis.index(p.time), v = p.value!
                worst[i] = worst[i].map { s.higherIsWorse ? max($0, v) : min($0, v) } ?? v
            }
            var values: [Double] = []
            var carried = 0
            var last = first.value!
            for i in from..<axis.count {
                if let v = worst[i] { last = v } else { carried += 1 }
                values.append(last)
            }
            let unit = s.unit.map { " (\($0))" } ?? ""
            let (bottom, hi) = Self.yRange(values + (s.threshold.map { [$0] } ?? []))
            let breaches = s.points.filter { $0.state == GaugeStatus.breach.rawValue }.count
            var legend = "**\(MarkdownText.inline(s.name))** — \(s.higherIsWorse ? "highest" : "lowest") value per column (line)"
            if s.threshold != nil { legend += ", objective \(MarkdownText.inline(s.objective)) (flat line at its threshold)" }
            legend += "; \(NumberText.counted(s.points.count, "point", "points")) journaled"
            if breaches > 0 { legend += ", \(breaches) in BREACH" }
            if carried > 0 { legend += "; \(NumberText.counted(carried, "column", "columns")) without a point repeat the one before" }
            out += [legend + ":", "", "```mermaid", "xychart-beta",
                    "    title \(quoted(s.name + (s.objective.isEmpty ? "" : " (" + s.objective + ")")))",
                    "    x-axis \(labels(from..<axis.count))",
                    "    y-axis \(quoted("value" + unit)) \(number(bottom)) --> \(number(hi))",
                    "    line [" + values.map(number).joined(separator: ", ") + "]"]
            if let t = s.threshold { out.append("    line [" + values.map { _ in number(t) }.joined(separator: ", ") + "]") }
            out += ["```", ""]
        }

        if !chart.marks.isEmpty {
            out += ["| Mark | T | UTC | What |", "|---|---|---|---|"]
            for (m, l) in zip(chart.marks, letters) {
                let what = m.kind == .trip || m.kind == .rollback ? "**\(MarkdownText.cell(m.text))**" : MarkdownText.cell(m.text)
                out.append("| \(l) | \(missionTime(m.time)) | \(Timestamp.hms(m.time)) | \(what) |")
            }
            out.append("")
        }
        return out
    }
}
