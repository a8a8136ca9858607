// MARK: Helpers

/// Three intervals, the tolerance before STALE / BLIND; saturating, and at least 3 ms.
func telemetryGrace(_ intervalMs: Int64) -> Int64 {
    let (r, overflow) = max(1, intervalMs).multipliedReportingOverflow(by: 3)
    return overflow ? .max : r
}

func telemetrySub(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, overflow) = a.subtractingReportingOverflow(b)
    return overflow ? (b < 0 ? .max : .min) : r
}

func telemetryAdd(_ a: Int64, _ b: Int64) -> Int64 {
    let (r, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b > 0 ? .max : .min) : r
}

/// Fixed-capacity ring of the newest values: appending past capacity overwrites the oldest in place.
struct TelemetryRing: Sendable {
    let capacity: Int
    private var storage: [Double] = []
    /// Index of the oldest element once full.
    private var head = 0

    init(capacity: Int) { self.capacity = max(0, capacity) }

    mutating func append(_ x: Double) {
        guard capacity > 0 else { return }
        if storage.count < capacity {
            storage.append(x)
        } else {
            storage[head] = x
            head += 1
            if head == capacity { head = 0 }
        }
    }

    var ordered: [Double] {
        head == 0 ? storage : Array(storage[head...]) + Array(storage[..<head])
    }
}
