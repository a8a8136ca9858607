import Testing
@testable import WarRoomCore

/// Issue 14: automatic trips are the telemetry's, not the driver's, wherever they are told.
@Suite struct TripAttribution {
    @Test func aTripWithoutAReasonIsTheTelemetrysAndSaysItsValue() {
        let h = EngineHarness(apply: false)
        let auto = JournalEvent(seq: 9, time: 0, actor: "dana",
                                body: .lightTrip(LightChange(name: "Latency breach", reason: nil, detail: "3.5 s (> 3 s for 15s)")))
        #expect(h.engine.describe(auto) == "TRIPPED: Latency breach — by warroom (telemetry): 3.5 s (> 3 s for 15s)")
        let manual = JournalEvent(seq: 10, time: 0, actor: "dana",
                                  body: .lightTrip(LightChange(name: "Security incident", reason: "pager 4411", detail: "manual")))
        #expect(h.engine.describe(manual) == "TRIPPED: Security incident (pager 4411)")
        #expect(LightChange(name: "x", reason: nil).byTelemetry && !LightChange(name: "x", reason: "r").byTelemetry)
    }
}
