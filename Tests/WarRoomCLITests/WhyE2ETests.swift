import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// Issue 14 end to end in tmux: a light tripped by a file source explains itself (i on the ROLLBACK pane), the trip
/// is journaled as the telemetry's (`warroom`, with the source and value), and a source whose first poll fails shows
/// UNKNOWN with the reason.
@Suite(.serialized, .enabled(if: tmuxAvailable, "tmux is not installed (scripts/test installs it)"))
struct WhyEndToEnd {
    @Test func aTrippedLightExplainsItselfAndTheTripIsTheTelemetrys() throws {
        let dir = tempDir("why-e2e")
        try FileManager.default.copyItem(atPath: canary, toPath: dir + "/checklist.md")
        try "9.5\n".write(toFile: dir + "/errors.txt", atomically: true, encoding: .utf8)
        let config = dir + "/warroom.yaml"
        try """
        service: checkout-api
        checklist: checklist.md
        ramp:
          steps: [10, 50]
          hold: 1h
        rollback:
          - {name: Error rate, source: errs, trip: "> 5", unit: "%", for: 2s}
          - {name: Security incident, manual: true}
        sources:
          errs: {file: \(shellQuote(dir + "/errors.txt")), interval: 1s}
          gone: {file: \(shellQuote(dir + "/missing.txt")), interval: 1s}
        slos:
          - {name: Queue depth, source: gone, objective: "< 100"}
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let state = dir + "/state"
        let t = try TmuxConsole(command: "\(shellQuote(warroomBinary)) run \(shellQuote(config)) --state \(shellQuote(state)) --actor dana")
        t.waitFor(text: "DRIVING")
        t.waitFor(text: "UNKNOWN", timeout: 20)
        t.waitFor(text: "1 TRIPPED", timeout: 30)

        // The light: Tab to the ROLLBACK pane, i opens why it tripped; Esc closes.
        try t.send("Tab")
        t.waitFor(text: "i why")
        try t.send("i")
        t.waitFor(text: "WHY · Error rate · rollback criterion")
        let detail = t.waitFor(text: "by warroom (telemetry, source errs, in dana's console)")
        #expect(detail.contains("now 9.5 % > 5 %"), "\(detail)")
        #expect(detail.contains("errs — file \(dir)/errors.txt") || detail.contains("errs — file"), "\(detail)")
        #expect(detail.contains("sample"), "\(detail)")
        try t.send("Escape")
        t.waitFor("the detail view closed") { !$0.contains("WHY ·") }

        // The SLO whose source fails from its first poll: UNKNOWN, and the detail says why.
        try t.send("Tab")
        try t.send("Enter")
        t.waitFor(text: "WHY · Queue depth · SLO")
        let slo = t.waitFor(text: "failing")
        #expect(slo.contains("UNKNOWN") && slo.contains("missing.txt"), "\(slo)")
        try t.send("Escape")
        try t.send("q")
        t.waitFor(text: "Quit warroom?")
        try t.send("y")
        #expect(t.waitForExit() == 0)

        // The journal: the trip's actor is the telemetry, with its source and value; status says so too.
        let journal = try String(contentsOfFile: state + "/" + Journal.fileName, encoding: .utf8)
        let trip = try #require(journal.split(separator: "\n").first { $0.contains("\"type\":\"light.trip\"") })
        #expect(trip.contains("\"actor\":\"warroom\"") && trip.contains("\"source\":\"errs\"") && trip.contains("\"value\":9.5")
                && trip.contains("\"console\":\"dana\""), "\(trip)")
        let status = try warroom(["status", "--state", state, "--checklist", dir + "/checklist.md"])
        #expect(status.out.contains("TRIPPED: Error rate since") && status.out.contains("by warroom (telemetry, source errs, in dana's console)"),
                "\(status.out)")
        let verify = try warroom(["verify", "--state", state])
        #expect(verify.status == 0, "\(verify.out)\(verify.err)")
    }
}
