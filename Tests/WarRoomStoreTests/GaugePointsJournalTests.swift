import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// `gauge.points` in the journal: written under the driver lease, replayed into the run's series, verified like any
/// line; and how big a line is (the README's growth figure).
@Suite struct GaugePointsJournal {
    @Test func pointsRoundTripAndVerify() throws {
        let dir = TempDir(); defer { dir.cleanup() }
        let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
        try w.acquireLease(now: t0)
        _ = try w.append(.runStarted(started), actor: "dana", time: t0)
        let five = GaugePoints(points: (1...5).map { GaugePoint(name: "SLO number \($0)", value: 0.123456 * Double($0), state: "ok") }
                                 + [GaugePoint(name: "Never read", value: nil, state: "unknown")])
        let e = try w.append(.gaugePoints(five), actor: "dana", time: t0 + 60_000)
        #expect(e.token != nil, "a driver entry: under the lease's token")
        w.close()
        let line = try #require(dir.journalLines().last)
        #expect(line.contains(#""type":"gauge.points","payload":{"points":[{"#) && line.contains(#""name":"SLO number 1""#), "\(line)")
        print("gauge.points line for 6 SLOs: \(line.utf8.count) bytes")
        #expect(line.utf8.count < 700)
        let r = try Journal.replay(stateDir: dir.state)
        #expect(r.events.last?.body == .gaugePoints(five))
        #expect(r.state.seriesOrder.count == 6)
        #expect(r.state.series["Never read"] == [SeriesPoint(time: t0 + 60_000, value: nil, state: "unknown")])
    }
}
