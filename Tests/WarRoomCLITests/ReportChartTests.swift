import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomStore

/// The report's charts (Mermaid `xychart-beta`): the ramp and each SLO over the run's time from the journaled
/// `gauge.points`, decisions, trips and the rollback marked by letters and listed under the charts.
@Suite(.serialized) struct ReportCharts {
    typealias Run = ReportCommand.RecordedRun

    /// The rollback run of ReportTests, with the driver's journaled SLO points (a minute apart, here every 5 min,
    /// plus the error rate's breach and recovery), and a config that binds the two SLOs.
    func recordChart() throws -> (Run, config: String) {
        let run = try Run("chart")
        let config = run.dir + "/warroom-slos.yaml"
        try (String(contentsOfFile: run.config, encoding: .utf8) + """
        slos:
          - {name: P95 latency, source: prom, unit: s, objective: "<= 2", warn: "<= 1.5", query: p95}
          - {name: Error rate, source: prom, unit: "%", objective: "< 1", query: errors}

        """).write(toFile: config, atomically: true, encoding: .utf8)
        func points(_ hms: String, _ p95: Double?, _ errors: Double?, errorState: String = "ok") throws {
            var list: [GaugePoint] = []
            if let p95 { list.append(GaugePoint(name: "P95 latency", value: p95, state: "ok")) }
            if let errors { list.append(GaugePoint(name: "Error rate", value: errors, state: errorState)) }
            try run.append(.gaugePoints(GaugePoints(points: list)), hms)
        }
        try run.check("T121", "09:08:00", by: "marco")
        try points("09:09:00", 0.42, 0.05)
        try run.go(.go, 0, 10, "09:10:00", reason: "canary pods healthy", hook: (true, "exit 0", "09:10:04", 3_800))
        for (k, hms) in ["09:15:00", "09:20:00", "09:25:00"].enumerated() { try points(hms, 0.45 + Double(k) / 100, 0.06) }
        try run.go(.go, 10, 25, "09:27:00", reason: "clean window at 10 %", hook: (true, "exit 0", "09:27:03", 3_000))
        try points("09:30:00", 0.61, 0.08)
        try points("09:35:00", 0.66, 0.2)
        try points("09:41:00", nil, 6.2, errorState: "breach")
        try run.append(.lightTrip(LightChange(name: "Error rate above 5%", detail: "6.4 % > 5 for 3m")), "09:44:00")
        try points("09:45:00", 0.71, 6.4, errorState: "breach")
        try run.go(.rollback, 25, 0, "09:47:00", reason: "error-rate breach", verdict: "BLOCKED",
                   unmet: ["SLO Error rate BREACH 6.4 %"], hook: (true, "exit 0", "09:58:30", 690_000))
        try points("09:50:00", 0.52, 3.1, errorState: "breach")
        try points("10:01:30", 0.4, 0.04)
        try run.go(.verified, 0, 0, "10:02:30", by: "sun-hee", reason: "error rate back to baseline", verdict: "NONE")
        try run.append(.lightClear(LightChange(name: "Error rate above 5%", reason: "rolled back")), "10:05:00")
        return (run, config)
    }

    @Test func theRampAndEachSLOAreChartedWithMarks() throws {
        let (run, config) = try recordChart()
        let (md, json) = try ReportCommand().goldens("chart", run, ["--config", config])
        // 08:30 to 10:05: 5-minute columns, 20 of them.
        #expect(md.contains("Each column is 5 min (UTC, labelled by its start); letters mark decisions, trips and clears, listed under the charts."),
                "\(md)")
        let ramp = """
        ```mermaid
        xychart-beta
            title "Ramp (traffic %)"
            x-axis ["08:30", "08:35", "08:40", "08:45", "08:50", "08:55", "09:00", "09:05", "09:10 A", "09:15", "09:20", "09:25 B", \
        "09:30", "09:35", "09:40 C", "09:45 D", "09:50", "09:55 E", "10:00 F", "10:05 G"]
            y-axis "traffic (%)" 0 --> 100
            bar [0, 0, 0, 0, 0, 0, 0, 0, 10, 10, 10, 25, 25, 25, 25, 25, 25, 0, 0, 0]
        ```
        """
        #expect(md.contains(ramp), "\(md)")
        // The error rate: worst value per column from its first point, and its threshold as a flat second line.
        let errors = """
        ```mermaid
        xychart-beta
            title "Error rate (< 1 %)"
            x-axis ["09:05", "09:10 A", "09:15", "09:20", "09:25 B", "09:30", "09:35", "09:40 C", "09:45 D", "09:50", "09:55 E", \
        "10:00 F", "10:05 G"]
            y-axis "value (%)" 0 --> 7.04
            line [0.05, 0.05, 0.06, 0.06, 0.06, 0.08, 0.2, 6.2, 6.4, 3.1, 3.1, 0.04, 0.04]
            line [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
        ```
        """
        #expect(md.contains(errors), "\(md)")
        #expect(md.contains("**Error rate** — highest value per column (line), objective < 1 % (flat line at its threshold); 10 points journaled, "
                            + "3 in BREACH; 3 columns without a point repeat the one before:"))
        #expect(md.contains("| C | T+00:44:00 | 09:44:00 | **tripped: Error rate above 5% (6.4 % > 5 for 3m)** |"))
        #expect(md.contains("| D | T+00:47:00 | 09:47:00 | **ROLLBACK 25 → 0 % by dana** |"))
        #expect(md.contains("| E | T+00:58:30 | 09:58:30 | **traffic at 0 % — rollback hook exit 0 after 11m30s** |"), "the rollback took effect")
        #expect(md.contains("| G | T+01:05:00 | 10:05:00 | cleared: Error rate above 5% (rolled back) |"))
        // JSON: the series as journaled, and the ramp's steps.
        let chart = try #require(json["chart"] as? [String: Any])
        let series = try #require(chart["series"] as? [[String: Any]])
        #expect(series.map { $0["name"] as? String } == ["P95 latency", "Error rate"])
        #expect((series[1]["points"] as? [[String: Any]])?.map { $0["value"] as? Double } == [0.05, 0.06, 0.06, 0.06, 0.08, 0.2, 6.2, 6.4, 3.1, 0.04])
        #expect(series[1]["threshold"] as? Double == 1)
        #expect((chart["ramp"] as? [[String: Any]])?.map { $0["percent"] as? Int } == [0, 10, 25, 0])
        #expect((chart["marks"] as? [[String: Any]])?.map { $0["kind"] as? String } == ["decision", "decision", "trip", "rollback", "rollback", "decision", "clear"])
    }

    /// A journal from before `gauge.points` still reports: the ramp chart, and each SLO says it has no journaled value.
    @Test func aJournalWithoutPointsStillReports() throws {
        let run = try Run("chart-old")
        try run.go(.go, 0, 10, "09:10:00", hook: (true, "exit 0", "09:10:04", 3_800))
        let verify = try warroom(["verify", "--state", run.state])
        #expect(verify.status == 0, "\(verify.err)")
        let md = try run.report(["--config", run.config])
        #expect(md.status == 0, "\(md.err)")
        #expect(md.out.contains("title \"Ramp (traffic %)\""))
        #expect(!md.out.contains("line ["), "no SLO points: no SLO line")
    }

    @Test func aRunWithNothingToChartSaysSo() throws {
        let run = try Run("chart-empty")
        let md = try run.report(["--config", run.config])
        #expect(md.out.contains("## Timeline\n\nNothing to chart yet: no decision, trip or SLO point journaled.\n"), "\(md.out)")
        #expect(!md.out.contains("```mermaid"))
    }

    @Test func columnsStayBoundedAndLabelledForAnyLength() {
        let start = Timestamp.parse("2026-11-23T08:13:20Z")!
        for (span, width, label) in [(Millis(40_000), Millis(5_000), "08:13:20"), (600_000, 30_000, "08:13:00"),
                                     (5_400_000, 300_000, "08:10"), (36_000_000, 1_800_000, "08:00"),
                                     (7 * 86_400_000, 43_200_000, "00:00")] {
            let axis = ReportChart.axis(start: start, end: start + span)
            #expect(axis.count <= ReportChart.maxBuckets, "\(span)")
            #expect(axis.width == width, "\(span)")
            #expect(axis.origin <= start && axis.end(axis.count - 1) > start + span, "the whole run is on the axis")
            #expect(ReportChart.label(axis.start(0), width: axis.width) == label)
        }
        #expect(ReportChart.number(0.1 + 0.2) == "0.3" && ReportChart.number(2) == "2" && ReportChart.number(1e-7) == "0")
        #expect(ReportChart.quoted("P95 \"tail\"\nlatency") == "\"P95 'tail' latency\"")
        #expect(ReportChart.yRange([0.42, 0.71, 2]) == (0, 2.2), "latency: from 0")
        let availability = ReportChart.yRange([99.97, 99.99, 99.9])
        #expect(availability.0 > 99.88 && availability.0 < 99.9 && availability.1 > 99.99 && availability.1 < 100.01, "hugs the data: \(availability)")
        #expect(ReportChart.yRange([5, 5]) == (0, 5.5) && ReportChart.yRange([0]) == (0, 1))
        #expect(ReportChart.letter(0) == "A" && ReportChart.letter(25) == "Z" && ReportChart.letter(26) == "AA")
    }
}
