import Testing
@testable import WarRoomCore

@Suite struct FormatText {
    @Test func timesOfDayAgreeWithISO8601() {
        // Around the epoch (floor division for negatives), a leap day, the end of a day.
        let samples: [Millis] = [0, -1, -86_400_000, 1_795_424_400_000, 1_795_424_400_999, 951_782_399_999, 1_709_251_199_500]
        for ms in samples {
            let iso = Timestamp.iso8601(ms)
            #expect(Timestamp.hms(ms) == String(iso.dropFirst(11).prefix(8)), "\(iso)")
            #expect(Timestamp.hm(ms) == String(iso.dropFirst(11).prefix(5)), "\(iso)")
            #expect(Timestamp.long(ms) == "\(iso.prefix(10)) \(iso.dropFirst(11).prefix(8)) UTC", "\(iso)")
        }
        #expect(Timestamp.hms(-1) == "23:59:59")
        #expect(Timestamp.long(Timestamp.parse("2026-11-23T09:00:00Z")!) == "2026-11-23 09:00:00 UTC")
        #expect(Timestamp.hm(Timestamp.parse("2026-11-23T09:07:59.999Z")!) == "09:07")
    }

    @Test func missionClock() {
        #expect(Timestamp.clock(750_000, signed: true) == "T+00:12:30")
        #expect(Timestamp.clock(-5_400_000, signed: true) == "T-01:30:00")
        #expect(Timestamp.clock(312_000, signed: false) == "00:05:12")
    }

    @Test func durations() {
        #expect(DurationText.clockish(42_999) == "42s")
        #expect(DurationText.clockish(252_000) == "4m12s")
        #expect(DurationText.clockish(3_720_000) == "1h02m")
        #expect(DurationText.clockish(-5) == "0s")
        #expect(DurationText.countdown(299_001) == "5:00")
        #expect(DurationText.countdown(3_723_000) == "1:02:03")

        #expect(DurationText.spoken(-1) == "0 s")
        #expect(DurationText.spoken(42_900) == "42 s")
        #expect(DurationText.spoken(600_000) == "10 min")
        #expect(DurationText.spoken(252_000) == "4 min 12 s")
        #expect(DurationText.spoken(7_200_000) == "2 h")
        #expect(DurationText.spoken(3_959_000) == "1 h 5 min")

        #expect(DurationText.exactUnit(7_200_000) == "2 h")
        #expect(DurationText.exactUnit(5_400_000) == "90 min")
        #expect(DurationText.exactUnit(30_000) == "30 s")
        #expect(DurationText.exactUnit(250) == "250 ms")

        #expect(DurationText.seconds(2_000) == "2 s")
        #expect(DurationText.seconds(500) == "0.5 s")
        #expect(DurationText.seconds(1_260) == "1.3 s")
        #expect(DurationText.seconds(40) == "40 ms")
    }

    @Test func numbers() {
        #expect(NumberText.percent(4, of: 46) == 8)
        #expect(NumberText.percent(999, of: 1000) == 99, "never rounds up to 100")
        #expect(NumberText.percent(3, of: 0) == 0)
        #expect(NumberText.counted(1, "entry", "entries") == "1 entry")
        #expect(NumberText.counted(0, "entry", "entries") == "0 entries")
    }
}
