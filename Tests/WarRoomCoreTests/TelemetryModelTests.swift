import Foundation
import Testing
@testable import WarRoomCore

// MARK: Conditions

@Suite struct TelemetryConditionTests {
    @Test(arguments: [
        ("<= 2", Comparison.le, 2.0), ("<2", .lt, 2), ("> 1", .gt, 1), ("< 0.1", .lt, 0.1), (">= 99.9", .ge, 99.9),
        ("== 0", .eq, 0), ("!= 0", .ne, 0), ("> 5%", .gt, 5), ("> 5 %", .gt, 5), ("  <=  2  ", .le, 2),
        ("\t<\t-1", .lt, -1), ("< .5", .lt, 0.5), ("<= 1e-3", .le, 0.001), ("> +3", .gt, 3), ("<= 5.", .le, 5),
        ("≤ 2", .le, 2), ("≥ 99.9", .ge, 99.9), ("≠ 1", .ne, 1), (">=2E2", .ge, 200),
    ])
    func parsesValid(text: String, op: Comparison, value: Double) throws {
        let c = try #require(Condition.parse(text), "\(text)")
        #expect(c == Condition(op, value))
        #expect(Condition.parse(c.description) == c, "description must parse back: \(c.description)")
    }

    @Test(arguments: [
        "", "   ", "<", "<=", "2", "= 2", "=< 2", "<< 2", "<>2", "<= abc", "<= 2 3", "<= NaN", "<= nan", "<= inf",
        "< 1e999", "<= 0x10", "< 2 s", "> 5%%", "<= -", "<= .", "<=2e", "<= 2,5", "2 <=", "> 5 percent", "<= --2",
    ])
    func rejectsJunk(text: String) {
        #expect(Condition.parse(text) == nil, "\(text) should not parse")
    }

    @Test func trailingUnitMustMatchTheMetric() {
        #expect(Condition.parse("<= 2 s", unit: "s") == Condition(.le, 2))
        #expect(Condition.parse("<= 840ms", unit: "ms") == Condition(.le, 840))
        #expect(Condition.parse("> 5%", unit: "%") == Condition(.gt, 5))
        #expect(Condition.parse("<= 2000 ms", unit: "s") == nil, "a different unit is rejected, not ignored")
        #expect(Condition.parse("> 5%", unit: "ms") == nil)
        #expect(Condition.parse("<= 2 s") == nil, "no unit given: only % is tolerated")
    }

    @Test func descriptions() {
        #expect(Condition(.le, 2).description == "<= 2")
        #expect(Condition(.lt, 0.1).description == "< 0.1")
        #expect(Condition(.ge, 99.9).description == ">= 99.9")
        #expect(Condition(.ne, -0.0).description == "!= 0")
        #expect(Condition(.gt, 5).description(unit: "%") == "> 5 %")
    }

    @Test func holds() {
        #expect(Condition(.le, 2).holds(2))
        #expect(!Condition(.lt, 2).holds(2))
        #expect(Condition(.ge, 99.9).holds(99.9))
        #expect(!Condition(.gt, 5).holds(5))
        #expect(Condition(.eq, 0).holds(0))
        #expect(Condition(.ne, 0).holds(1))
        #expect(!Condition(.le, 2).holds(.infinity))
        #expect(Condition(.le, 2).holds(-.infinity))
        #expect(Condition(.gt, 5).holds(.infinity))
        for op in Comparison.allCases {
            #expect(!Condition(op, 1).holds(.nan), "NaN never holds for \(op.rawValue)")
        }
    }
}

// MARK: Gauges

private let p95 = SLOSpec(name: "P95 latency", unit: "s", objective: Condition(.le, 2), warn: Condition(.le, 1.5),
                          intervalMs: 10_000)

@Suite struct TelemetryGaugeTests {
    @Test func startsUnknown() {
        let g = Gauge(spec: p95)
        #expect(g.status(now: 0) == .unknown)
        #expect(g.explanation(now: 0) == "no data yet")
        #expect(!g.status(now: 0).isGreen)
        #expect(g.status(now: 0).isGrey)
        #expect(g.history.isEmpty)
    }

    @Test func okWarnBreachTransitions() {
        var g = Gauge(spec: p95)
        #expect(g.observe(.value(1.2), at: 0) == GaugeChange(gauge: "P95 latency", at: 0, from: .unknown, to: .ok, value: 1.2, reason: "1.2 s"))
        #expect(g.observe(.value(1.3), at: 10_000) == nil, "same status: no change")
        #expect(g.observe(.value(1.5), at: 20_000) == nil, "1.5 holds warn <= 1.5: still OK")
        #expect(g.observe(.value(1.8), at: 30_000)?.to == .warn)
        #expect(g.explanation(now: 30_000) == "1.8 s")
        let breach = g.observe(.value(2.5), at: 40_000)
        #expect(breach?.from == .warn)
        #expect(breach?.to == .breach)
        #expect(breach?.value == 2.5)
        #expect(g.observe(.value(2), at: 50_000)?.to == .warn, "exactly the objective is inside it")
        #expect(g.observe(.value(1.0), at: 60_000)?.to == .ok)
        #expect(g.status(now: 60_000).isGreen)
        #expect(!GaugeStatus.warn.isGreen && !GaugeStatus.breach.isGreen && !GaugeStatus.stale.isGreen)
    }

    @Test func noWarnBandMeansOkOrBreach() {
        var g = Gauge(spec: SLOSpec(name: "errors", unit: "%", objective: Condition(.lt, 0.1), intervalMs: 10_000))
        _ = g.observe(.value(0.0999), at: 0)
        #expect(g.status(now: 0) == .ok)
        _ = g.observe(.value(0.1), at: 1)
        #expect(g.status(now: 1) == .breach)
    }

    @Test func badReadsBeforeAnyValueAreUnknown() {
        var g = Gauge(spec: p95)
        #expect(g.observe(.value(.nan), at: 0) == nil, "unknown → unknown is no change")
        #expect(g.status(now: 0) == .unknown)
        #expect(g.explanation(now: 0) == "NaN")
        _ = g.observe(.noData, at: 10_000)
        #expect(g.explanation(now: 10_000) == "no data")
        _ = g.observe(.failure("connection refused"), at: 20_000)
        #expect(g.status(now: 20_000) == .unknown)
        #expect(g.explanation(now: 20_000) == "error: connection refused")
        #expect(g.snapshot(now: 20_000).value == nil)
        #expect(g.history.isEmpty, "bad reads are not history")
    }

    @Test func infinitiesCompareNormally() {
        var g = Gauge(spec: p95)
        #expect(g.observe(.value(.infinity), at: 0)?.to == .breach)
        #expect(g.explanation(now: 0) == "+Inf")
        #expect(g.snapshot(now: 0).value == nil, "JSON cannot carry +Inf")
        #expect(g.observe(.value(-.infinity), at: 10_000)?.to == .ok)
        #expect(g.history.count == 2)
    }

    /// Issue 14: a source that fails turns the gauge UNKNOWN at the first failed read, as its light goes BLIND;
    /// the last value stays in the explanation with its age; the next good value makes it fresh again.
    @Test func aFailedReadAfterAGoodValueIsUnknownAtOnce() {
        var g = Gauge(spec: p95)
        _ = g.observe(.value(1.2), at: 0)
        let failed = g.observe(.failure("timeout"), at: 10_000)
        #expect(failed == GaugeChange(gauge: "P95 latency", at: 10_000, from: .ok, to: .unknown, value: nil,
                                      reason: "error: timeout (last 1.2 s, 10 s ago)"))
        #expect(g.status(now: 10_000) == .unknown)
        #expect(g.observe(.noData, at: 20_000) == nil, "still unknown")
        #expect(g.explanation(now: 20_000) == "no data (last 1.2 s, 20 s ago)")
        #expect(g.status(now: 60_000) == .unknown, "failing reads are UNKNOWN, not STALE")
        #expect(g.last == 1.2)
        #expect(g.lastGoodAt == 0)
        #expect(g.observe(.value(1.9), at: 40_000) == GaugeChange(gauge: "P95 latency", at: 40_000, from: .unknown, to: .warn,
                                                                 value: 1.9, reason: "1.9 s"))
    }

    @Test func staleWhenReadsStopArriving() {
        var g = Gauge(spec: p95)
        _ = g.observe(.value(1.84), at: 0)
        #expect(g.tick(now: 30_000) == nil)
        #expect(g.status(now: 30_000) == .warn, "1.84 is outside warn <= 1.5")
        let change = g.tick(now: 30_001)
        #expect(change?.from == .warn)
        #expect(change?.to == .stale)
        #expect(g.tick(now: 31_000) == nil, "reported once")
        #expect(g.explanation(now: 42_000) == "stale 42 s (last 1.84 s)")
        let snap = g.snapshot(now: 42_000)
        #expect(snap == GaugeSnapshot(name: "P95 latency", status: .stale, value: 1.84, unit: "s", detail: "stale 42 s (last 1.84 s)"))
    }

    @Test func historyIsBoundedAndOrdered() {
        var g = Gauge(spec: p95)
        for i in 0..<10_000 { _ = g.observe(.value(Double(i)), at: Int64(i) * 10_000) }
        #expect(g.history.count == 120)
        #expect(g.history == (9_880..<10_000).map(Double.init))
        #expect(g.historyCapacity == 120)

        var small = Gauge(spec: p95, historyCapacity: 3)
        _ = small.observe(.value(1), at: 0)
        _ = small.observe(.value(2), at: 1)
        #expect(small.history == [1, 2])
        _ = small.observe(.value(.nan), at: 2)
        _ = small.observe(.noData, at: 3)
        _ = small.observe(.value(3), at: 4)
        _ = small.observe(.value(4), at: 5)
        _ = small.observe(.value(5), at: 6)
        #expect(small.history == [3, 4, 5])

        var none = Gauge(spec: p95, historyCapacity: 0)
        _ = none.observe(.value(1), at: 0)
        #expect(none.history.isEmpty)
        #expect(none.last == 1)
    }

    @Test func alertListIsNotAMetric() {
        var g = Gauge(spec: p95)
        _ = g.observe(.alerts([]), at: 0)
        #expect(g.status(now: 0) == .unknown)
        #expect(g.problem?.hasPrefix("not a metric") == true)
    }
}

// MARK: Metric lights

private let minute: Int64 = 60_000
private func errorLight(auto: Bool = false, forMs: Int64 = 10 * minute) -> LightMonitor {
    LightMonitor(spec: LightSpec(name: "errors > 5%", kind: .metric(Condition(.gt, 5), forMs: forMs), auto: auto,
                                 intervalMs: 15_000, unit: "%"), startedAt: 0)
}

/// Feeds `value` every 15 s over [from, through]; returns the non-nil transitions.
private func feed(_ l: inout LightMonitor, _ value: Double, from: Int64, through: Int64) -> [LightTransition] {
    var out: [LightTransition] = []
    var t = from
    while t <= through {
        if let tr = l.observe(.value(value), at: t) { out.append(tr) }
        t += 15_000
    }
    return out
}

@Suite struct TelemetryLightTests {
    @Test func startsBlindAndSightedOnFirstReading() {
        var l = errorLight()
        #expect(l.status(now: 5) == .blind(since: 0, reason: "no reading yet"))
        let t = l.observe(.value(1), at: 0)
        #expect(t?.kind == .sighted)
        #expect(t?.to == .ok)
        #expect(l.status(now: 0) == .ok)
        #expect(l.countdownMs(now: 0) == nil)
    }

    @Test func okWatchTrippedAtExactlyFor() {
        var l = errorLight()
        _ = l.observe(.value(1), at: 0)
        let w = l.observe(.value(6), at: 15_000)
        #expect(w?.kind == .watch)
        #expect(w?.to == .watch(since: 15_000))
        #expect(l.countdownMs(now: 15_000) == 600_000)
        #expect(feed(&l, 6, from: 30_000, through: 300_000).isEmpty)
        #expect(l.countdownMs(now: 315_000) == 300_000)
        #expect(feed(&l, 6, from: 315_000, through: 600_000).isEmpty, "held 585 s: not yet")
        #expect(l.countdownMs(now: 600_000) == 15_000)
        #expect(l.countdownMs(now: 614_999) == 1)
        let trip = l.observe(.value(6.2), at: 615_000)
        #expect(trip?.kind == .tripped)
        #expect(trip?.from == .watch(since: 15_000))
        #expect(trip?.to == .tripped(since: 615_000, detail: "6.2 % (> 5 % for 10 min)"))
        #expect(trip?.autoRollback == false, "auto is off")
        #expect(l.status(now: 615_000).isTripped)
        #expect(l.countdownMs(now: 615_000) == nil)
    }

    @Test func noTripWithoutAReading() {
        var l = errorLight()
        _ = feed(&l, 6, from: 0, through: 585_000)
        #expect(l.status(now: 600_000) == .watch(since: 0))
        #expect(l.countdownMs(now: 600_000) == 0)
        #expect(l.countdownMs(now: 620_000) == 0)
        #expect(l.tick(now: 620_000) == nil, "a tick never trips")
        #expect(!l.status(now: 620_000).isTripped)
        #expect(l.snapshot(now: 620_000).detail.contains("next reading"))
        #expect(l.observe(.value(6), at: 625_000)?.kind == .tripped)
    }

    @Test func watchClearsBeforeFor() {
        var l = errorLight()
        _ = feed(&l, 6, from: 0, through: 300_000)
        let c = l.observe(.value(4.9), at: 315_000)
        #expect(c?.kind == .cleared)
        #expect(c?.from == .watch(since: 0))
        #expect(c?.to == .ok)
        #expect(l.observe(.value(6), at: 330_000)?.to == .watch(since: 330_000), "a fresh window")
        #expect(l.countdownMs(now: 330_000) == 600_000)
    }

    @Test func forZeroTripsOnTheFirstHoldingReading() {
        var l = errorLight(auto: true, forMs: 0)
        _ = l.observe(.value(1), at: 0)
        let t = l.observe(.value(5.5), at: 15_000)
        #expect(t?.kind == .tripped)
        #expect(t?.from == .ok)
        #expect(t?.to == .tripped(since: 15_000, detail: "5.5 % (> 5 %)"))
        #expect(t?.autoRollback == true)
    }

    @Test func tripIsLatchedThroughClearingAndBlindness() {
        var l = errorLight(auto: true)
        let trips = feed(&l, 7, from: 0, through: 600_000)
        #expect(trips.map(\.kind) == [.sighted, .tripped])
        #expect(trips.last?.autoRollback == true)
        let tripped = LightStatus.tripped(since: 600_000, detail: "7 % (> 5 % for 10 min)")
        #expect(l.status(now: 600_000) == tripped)
        #expect(l.observe(.value(1), at: 615_000) == nil, "condition cleared: still tripped")
        #expect(l.status(now: 615_000) == tripped)
        #expect(l.observe(.failure("refused"), at: 630_000) == nil, "blind: still tripped")
        #expect(l.status(now: 630_000) == tripped)
        #expect(l.blindReason(now: 630_000) == "error: refused")
        #expect(l.snapshot(now: 630_000).detail == "7 % (> 5 % for 10 min); now blind: error: refused")
        #expect(l.tick(now: 10 * 3_600_000) == nil, "long silence: still tripped")
        #expect(l.status(now: 10 * 3_600_000) == tripped)
        #expect(l.observe(.value(9), at: 10 * 3_600_000) == nil, "a latched light does not trip twice")
    }

    @Test func acknowledgeThenReTripOnlyAfterAFreshFor() {
        var l = errorLight(auto: true)
        _ = feed(&l, 7, from: 0, through: 600_000)
        #expect(l.acknowledge(at: 605_000, reason: "  ") == nil, "an acknowledgement needs a reason")
        #expect(l.status(now: 605_000).isTripped)
        let ack = l.acknowledge(at: 605_000, reason: "known: batch job, rolling forward")
        #expect(ack?.kind == .acknowledged)
        #expect(ack?.reason == "known: batch job, rolling forward")
        #expect(ack?.to == .watch(since: 605_000), "the condition still holds: a fresh window from the ack")
        #expect(ack?.autoRollback == false)
        #expect(l.acknowledge(at: 606_000, reason: "again") == nil, "nothing left to acknowledge")
        #expect(l.countdownMs(now: 605_000) == 600_000)
        #expect(feed(&l, 7, from: 615_000, through: 1_200_000).isEmpty, "1 200 000 < 605 000 + 600 000")
        let again = l.observe(.value(7), at: 1_215_000)
        #expect(again?.kind == .tripped)
        #expect(again?.autoRollback == true)
    }

    @Test func acknowledgeWhenTheConditionNoLongerHolds() {
        var l = errorLight()
        _ = feed(&l, 7, from: 0, through: 600_000)
        _ = l.observe(.value(2), at: 615_000)
        let ack = l.acknowledge(at: 620_000, reason: "rolled back")
        #expect(ack?.from.isTripped == true)
        #expect(ack?.to == .ok)
        #expect(l.observe(.value(7), at: 630_000)?.to == .watch(since: 630_000))
    }

    @Test func blindTransitionsAndNoSilentClear() {
        var l = errorLight()
        _ = l.observe(.value(1), at: 0)
        let b = l.observe(.failure("connection refused"), at: 15_000)
        #expect(b?.kind == .blind)
        #expect(b?.from == .ok)
        #expect(b?.to == .blind(since: 15_000, reason: "error: connection refused"))
        #expect(l.observe(.noData, at: 30_000) == nil, "still blind")
        #expect(l.status(now: 30_000) == .blind(since: 15_000, reason: "no data"))
        #expect(l.observe(.value(.nan), at: 35_000) == nil)
        #expect(l.status(now: 35_000) == .blind(since: 15_000, reason: "NaN"))
        let s = l.observe(.value(2), at: 45_000)
        #expect(s?.kind == .sighted)
        #expect(s?.to == .ok)

        // WATCH → blind is BLIND, never a silent `cleared`; a short gap keeps the window.
        _ = l.observe(.value(6), at: 60_000)
        let wb = l.observe(.noData, at: 75_000)
        #expect(wb?.kind == .blind)
        #expect(wb?.from == .watch(since: 60_000))
        #expect(l.countdownMs(now: 75_000) == nil)
        _ = l.observe(.failure("x"), at: 90_000)
        let back = l.observe(.value(6), at: 105_000)  // 45 s since the last good reading: exactly the grace
        #expect(back?.kind == .sighted)
        #expect(back?.to == .watch(since: 60_000), "window continues from its original start")
    }

    @Test func longBlindGapRestartsTheWindow() {
        var l = errorLight()
        _ = l.observe(.value(6), at: 0)
        _ = l.observe(.failure("x"), at: 15_000)
        _ = l.observe(.failure("x"), at: 30_000)
        _ = l.observe(.failure("x"), at: 45_000)
        let back = l.observe(.value(6), at: 45_001)  // 45.001 s since the last good reading
        #expect(back?.to == .watch(since: 45_001))
    }

    @Test func shortGapCanTripOnTheReturningReading() {
        var l = errorLight()
        _ = feed(&l, 6, from: 0, through: 585_000)
        _ = l.observe(.failure("x"), at: 600_000)
        let t = l.observe(.value(6), at: 615_000)
        #expect(t?.kind == .tripped)
        #expect(t?.from == .blind(since: 600_000, reason: "error: x"))
    }

    @Test func blindReadingDoesNotTrip() {
        var l = errorLight(forMs: 30_000)
        _ = l.observe(.value(6), at: 0)
        _ = l.observe(.value(6), at: 15_000)
        #expect(l.observe(.noData, at: 30_000)?.kind == .blind)
        #expect(!l.status(now: 30_000).isTripped)
    }

    @Test func silenceIsBlind() {
        var l = errorLight()
        _ = l.observe(.value(6), at: 0)
        #expect(l.status(now: 45_000) == .watch(since: 0))
        #expect(l.status(now: 45_001) == .blind(since: 45_000, reason: "no reading for over 45 s"))
        #expect(l.tick(now: 45_000) == nil)
        let b = l.tick(now: 45_001)
        #expect(b?.kind == .blind)
        #expect(b?.from == .watch(since: 0))
        #expect(l.tick(now: 60_000) == nil, "reported once")
        let s = l.observe(.value(6), at: 120_000)
        #expect(s?.kind == .sighted)
        #expect(s?.to == .watch(since: 120_000), "120 s gap: window restarts")
    }

    @Test func restoreTripped() {
        var l = errorLight(auto: true)
        l.restoreTripped(since: 1_000, detail: "7 % (> 5 % for 10 min)")
        #expect(l.status(now: 2_000) == .tripped(since: 1_000, detail: "7 % (> 5 % for 10 min)"))
        #expect(l.observe(.value(1), at: 2_000) == nil, "no transition, no second auto-rollback")
        #expect(l.observe(.value(9), at: 17_000) == nil)
        #expect(l.status(now: 17_000).isTripped)
        let ack = l.acknowledge(at: 20_000, reason: "verified after restart")
        #expect(ack?.from == .tripped(since: 1_000, detail: "7 % (> 5 % for 10 min)"))
        #expect(ack?.to == .watch(since: 20_000))
    }

    @Test func wrongObservationKindIsBlind() {
        var l = errorLight()
        _ = l.observe(.value(1), at: 0)
        #expect(l.observe(.alerts([]), at: 15_000)?.kind == .blind)
    }

    @Test func snapshots() {
        var l = errorLight(auto: true)
        _ = l.observe(.value(1), at: 0)
        #expect(l.snapshot(now: 0) == LightSnapshot(name: "errors > 5%", state: "ok", detail: "1 % (trips > 5 %)",
                                                     since: nil, countdownMs: nil, auto: true))
        _ = l.observe(.value(6), at: 15_000)
        let w = l.snapshot(now: 27_000)
        #expect(w.state == "watch")
        #expect(w.since == 15_000)
        #expect(w.countdownMs == 588_000)
        #expect(w.detail == "6 % (> 5 %), trips in 9 min 48 s")
    }
}

// MARK: Alert lights

private func alertLight(auto: Bool = false) -> LightMonitor {
    LightMonitor(spec: LightSpec(name: "HighErrorRate", kind: .alerts, auto: auto, intervalMs: 30_000))
}

private let a1 = AlertSummary(name: "HighErrorRate", summary: "Error rate above 5%", fingerprint: "fp1")
private let a2 = AlertSummary(name: "HighLatency", summary: nil, fingerprint: "fp2")

@Suite struct TelemetryAlertLightTests {
    @Test func tripsOnFiringAndStaysLatched() {
        var l = alertLight(auto: true)
        #expect(l.observe(.alerts([]), at: 0)?.to == .ok)
        let t = l.observe(.alerts([a1]), at: 30_000)
        #expect(t?.kind == .tripped)
        #expect(t?.to == .tripped(since: 30_000, detail: "Error rate above 5% (1 alert firing)"))
        #expect(t?.fingerprints == ["fp1"])
        #expect(t?.autoRollback == true)
        #expect(l.countdownMs(now: 30_000) == nil)
        #expect(l.observe(.alerts([]), at: 60_000) == nil, "resolved: still tripped until acknowledged")
        #expect(l.status(now: 60_000).isTripped)
    }

    @Test func acknowledgedAlertsDoNotReTripNewOnesDo() {
        var l = alertLight()
        _ = l.observe(.alerts([a1]), at: 0)
        let ack = l.acknowledge(at: 10_000, reason: "expected during cutover")
        #expect(ack?.fingerprints == ["fp1"])
        #expect(ack?.to == .ok)
        #expect(l.observe(.alerts([a1]), at: 30_000) == nil, "already seen at ack time")
        #expect(l.snapshot(now: 30_000).detail == "1 acknowledged alert still firing")
        let t = l.observe(.alerts([a1, a2]), at: 60_000)
        #expect(t?.kind == .tripped)
        #expect(t?.to == .tripped(since: 60_000, detail: "HighLatency (2 alerts firing)"), "the new alert; name when no summary")
        #expect(t?.fingerprints == ["fp2"])
    }

    @Test func anAcknowledgedAlertThatResolvesAndFiresAgainTrips() {
        var l = alertLight()
        _ = l.observe(.alerts([a1]), at: 0)
        l.acknowledge(at: 10_000, reason: "ok")
        _ = l.observe(.alerts([]), at: 30_000)
        #expect(l.acknowledgedFingerprints.isEmpty)
        #expect(l.observe(.alerts([a1]), at: 60_000)?.kind == .tripped)
    }

    @Test func failuresAreBlind() {
        var l = alertLight()
        _ = l.observe(.alerts([]), at: 0)
        let b = l.observe(.failure("alertmanager: 503"), at: 30_000)
        #expect(b?.kind == .blind)
        #expect(b?.to == .blind(since: 30_000, reason: "error: alertmanager: 503"))
        #expect(l.observe(.value(1), at: 60_000) == nil)
        #expect(l.status(now: 60_000) == .blind(since: 30_000, reason: "not an alert list (got a value)"))
        #expect(l.observe(.alerts([a1]), at: 90_000)?.kind == .tripped, "trips straight from blind")
    }

    @Test func restoreAfterRestart() {
        var tripped = alertLight(auto: true)
        tripped.restoreTripped(since: 5, detail: "Error rate above 5% (1 alert firing)")
        #expect(tripped.observe(.alerts([a1]), at: 100) == nil)
        #expect(tripped.status(now: 100) == .tripped(since: 5, detail: "Error rate above 5% (1 alert firing)"))
        #expect(tripped.acknowledge(at: 200, reason: "seen")?.fingerprints == ["fp1"])

        var acked = alertLight()
        acked.restoreAcknowledged(fingerprints: ["fp1"])
        let first = acked.observe(.alerts([a1]), at: 100)
        #expect(first?.kind == .sighted, "acknowledged before the restart: no re-trip")
        #expect(first?.to == .ok)
    }
}

// MARK: Formatting and encoding

private func formatNumberWidth(_ v: Double) -> Int { formatValue(v, unit: nil).count }

@Suite struct TelemetryFormatTests {
    @Test(arguments: [
        (1.84, "s", "1.84 s"), (0.07, "%", "0.07 %"), (99.95, "%", "99.95 %"), (840, "ms", "840 ms"),
        (2, "s", "2 s"), (0, "%", "0 %"), (0.5, "s", "0.5 s"), (-1.84, "s", "-1.84 s"), (12.3456, nil, "12.35"),
        (1234.5, "ms", "1235 ms"), (99.9996, "%", "99.99 %"), (0.0999996, "%", "0.0999 %"), (0.0123, "%", "0.0123 %"), (1.2345, "s", "1.235 s"), (0.12345, nil, "0.123"), (9.99996, nil, "9.999"),
        (0.000123, "%", "1.23e-4 %"), (0.00099996, nil, "9.99e-4"), (1.5e9, nil, "1.5e9"), (0.005, "%", "5e-3 %"), (0.00999996, nil, "9.99e-3"), (99_999_999.6, nil, "99999999"), (-0.25, nil, "-0.25"), (99.999, "%", "99.99 %"),
    ] as [(Double, String?, String)])
    func values(v: Double, unit: String?, expected: String) {
        #expect(formatValue(v, unit: unit) == expected)
    }

    @Test func nonFinite() {
        #expect(formatValue(.nan, unit: "s") == "NaN")
        #expect(formatValue(.infinity, unit: "s") == "+Inf")
        #expect(formatValue(-.infinity, unit: nil) == "-Inf")
    }

    @Test func short() {
        for v in [0.0123456, 0.0999999, 0.123456, 1.23456, 9.99999, 12.3456, 99.9999, 123.456, 999.99, 1234.56, 99_999.4] {
            #expect(formatValue(v, unit: "%").count <= 8, "\(formatValue(v, unit: "%"))")
        }
        for v in [0.00123456, 3.3e-7, 7.7e12] {
            #expect(formatNumberWidth(v) <= 7, "\(formatValue(v, unit: nil))")
        }
    }

    @Test(arguments: [
        (Int64(0), "0 s"), (999, "0 s"), (42_000, "42 s"), (600_000, "10 min"), (252_000, "4 min 12 s"),
        (7_200_000, "2 h"), (3_900_000, "1 h 5 min"), (-5, "0 s"),
    ])
    func durations(ms: Int64, expected: String) {
        #expect(DurationText.spoken(ms) == expected)
    }

    @Test func snapshotsAndChangesEncode() throws {
        var g = Gauge(spec: p95)
        let observed = g.observe(.value(.infinity), at: 0)
        let change = try #require(observed)
        var l = errorLight(auto: true)
        _ = feed(&l, 7, from: 0, through: 600_000)
        let enc = JSONEncoder(), dec = JSONDecoder()
        let gs = g.snapshot(now: 1)
        #expect(try dec.decode(GaugeSnapshot.self, from: enc.encode(gs)) == gs)
        #expect(try dec.decode(GaugeChange.self, from: enc.encode(change)) == change)
        let ls = l.snapshot(now: 600_000)
        #expect(ls.state == "tripped")
        #expect(try dec.decode(LightSnapshot.self, from: enc.encode(ls)) == ls)
        let acked = l.acknowledge(at: 601_000, reason: "why")
        let tr = try #require(acked)
        #expect(try dec.decode(LightTransition.self, from: enc.encode(tr)) == tr)
        let spec = l.spec
        #expect(try dec.decode(LightSpec.self, from: enc.encode(spec)) == spec)
        #expect(try dec.decode(SLOSpec.self, from: enc.encode(p95)) == p95)
    }
}
