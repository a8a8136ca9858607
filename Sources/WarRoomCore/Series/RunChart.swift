/// What the report charts: the ramp percentage over the run, each SLO's journaled points against its threshold, and
/// the moments worth marking (decisions, trips, clears). Pure: built from the config and the journal-derived run.
/// The renderers (Markdown's Mermaid blocks, JSON) bucket and format it.
public struct RunChart: Sendable, Equatable {
    /// The ramp at `time` moved to `percent` (the run starts at 0 %).
    public struct Step: Sendable, Equatable {
        public var time: Millis
        public var percent: Int
    }

    /// Something that happened at one moment, to mark on the charts.
    public struct Mark: Sendable, Equatable {
        public enum Kind: String, Sendable, Equatable {
            case decision, rollback, trip, clear
        }
        public var time: Millis
        public var kind: Kind
        /// `GO 10 → 25 % by dana`, `ROLLBACK 25 → 0 % by dana`, `tripped: Error rate (6.2 % > 5 for 10m)`.
        public var text: String
        public var seq: Int
    }

    /// One SLO: its points and the threshold it is held to.
    public struct Series: Sendable, Equatable {
        public var name: String
        public var unit: String?
        /// The objective as written (`<= 2 s`).
        public var objective: String
        /// The objective's threshold (nil when not finite).
        public var threshold: Double?
        /// Larger values are worse (`<`, `<=` objectives): a bucket shows its largest value; else its smallest.
        public var higherIsWorse: Bool
        public var points: [SeriesPoint]
    }

    public var start: Millis?
    public var end: Millis?
    public var ramp: [Step]
    public var marks: [Mark]
    public var series: [Series]

    /// Whether there is anything to draw beyond a flat 0 % line.
    public var isEmpty: Bool { start == nil || (ramp.count <= 1 && series.allSatisfy(\.points.isEmpty) && marks.isEmpty) }

    public init(config: RunConfig, run: RunState) {
        start = run.startedAt
        end = run.lastTime
        var steps: [Step] = run.startedAt.map { [Step(time: $0, percent: 0)] } ?? []
        var marks: [Mark] = []
        for d in run.decisions {
            let dec = d.decision
            let move: String
            switch d.kind {
            case .nogo: move = "hold \(dec.from) %"
            case .verified: move = "traffic at 0 % confirmed"
            default: move = "\(dec.from) → \(dec.to) %"
            }
            let hookNote = d.hook.map { $0.ok ? "" : " — hook failed, not applied" } ?? (d.pending ? " — hook running" : "")
            marks.append(Mark(time: d.time, kind: d.kind == .rollback ? .rollback : .decision,
                              text: "\(d.kind.label) \(move) by \(d.actor)\(hookNote)", seq: d.seq))
            // A rollback's hook is when the traffic actually left (or failed to): marked too.
            // (A hook done within the second adds nothing to the decision's own mark.)
            if d.kind == .rollback, let h = d.hook, let at = d.hookTime, !h.ok || at - d.time >= 1_000 {
                let took = DurationText.clockish(at - d.time)
                marks.append(Mark(time: at, kind: .rollback,
                                  text: h.ok ? "traffic at 0 % — rollback hook \(h.summary) after \(took)"
                                             : "rollback hook FAILED after \(took): \(h.summary) — traffic not moved",
                                  seq: d.seq))
            }
            guard d.effective, d.kind != .nogo, d.kind != .verified else { continue }
            let at = d.hookTime ?? d.time
            steps.append(Step(time: at, percent: dec.to))
        }
        for l in run.lightHistory {
            let detail = l.change.detail ?? l.change.reason
            marks.append(Mark(time: l.time, kind: l.trip ? .trip : .clear,
                              text: (l.trip ? "tripped: " : "cleared: ") + l.change.name + (detail.map { " (\($0))" } ?? ""),
                              seq: l.seq))
        }
        ramp = steps.sorted { $0.time < $1.time }
        self.marks = marks.sorted { ($0.time, $0.seq) < ($1.time, $1.seq) }
        var series: [Series] = []
        var named = Set<String>()
        for s in config.slos {
            named.insert(s.name)
            let finite = s.objective.value.isFinite
            series.append(Series(name: s.name, unit: s.unit, objective: s.objective.description(unit: s.unit),
                                 threshold: finite ? s.objective.value : nil,
                                 higherIsWorse: s.objective.op == .lt || s.objective.op == .le,
                                 points: run.series[s.name] ?? []))
        }
        // Points for SLOs the config no longer names are kept, not dropped.
        for name in run.seriesOrder where !named.contains(name) {
            series.append(Series(name: name, unit: nil, objective: "", threshold: nil, higherIsWorse: true,
                                 points: run.series[name] ?? []))
        }
        self.series = series
    }

    /// The ramp percentage in effect at `time`.
    public func percent(at time: Millis) -> Int {
        ramp.last { $0.time <= time }?.percent ?? 0
    }
}
