/// A replay's gauges from the journaled series (`gauge.points`), where the journal has them: each gauge's sparkline
/// is its points up to the replay's position, and a point newer than the latest decision's snapshot gives the gauge's
/// state and value (journals without points keep the snapshot alone).
extension TelemetryView {
    /// How many points a replayed gauge's sparkline keeps (as many as a live gauge's history).
    public static let recordedHistory = 120

    /// `snapshotAt`: the time of the decision whose snapshot the view shows (nil: none).
    public func withJournaledSeries(_ run: RunState, snapshotAt: Millis?) -> TelemetryView {
        guard !run.seriesOrder.isEmpty else { return self }
        var t = self
        let slos = Dictionary(run.config?.config.slos.map { ($0.name, $0) } ?? [], uniquingKeysWith: { a, _ in a })
        // Configured SLOs first, in the config's order, then any other gauge with points.
        let order = (run.config?.config.slos.map(\.name) ?? []).filter { run.series[$0] != nil }
            + run.seriesOrder.filter { slos[$0] == nil }
        for name in order {
            guard let points = run.series[name], let last = points.last else { continue }
            let slo = slos[name]
            let history = Array(points.compactMap(\.value).suffix(Self.recordedHistory))
            let i = t.gauges.firstIndex { $0.name == name } ?? {
                t.gauges.append(Gauge(name: name, status: .unknown, value: "",
                                      objective: slo.map { $0.objective.description(unit: $0.unit) } ?? "", detail: "", history: []))
                return t.gauges.count - 1
            }()
            t.gauges[i].history = history
            if let slo, slo.objective.value.isFinite { t.gauges[i].scale = slo.objective.value }
            if snapshotAt.map({ last.time > $0 }) ?? true {
                let value = last.value.map { formatValue($0, unit: slo?.unit) } ?? ""
                t.gauges[i].status = SignalState(rawValue: last.state) ?? .unknown
                t.gauges[i].value = value
                t.gauges[i].detail = "\(value.isEmpty ? "" : value + " ")as journaled \(Timestamp.hms(last.time))"
            }
        }
        return t
    }
}
