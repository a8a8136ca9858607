import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomTelemetry

/// `warroom traffic CONFIG`: the config's `ramp.traffic` adapter reads back the canary's share in effect, once, as the
/// console's drift check does. Read-only (it never sets a weight: moving traffic is a decision, and decisions are
/// journaled), so it is the check to run before go-live day: the socket or credentials work, the route or flag is
/// the one meant, the Rollout's steps match the ramp's.
struct TrafficCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "traffic",
        abstract: "Read back the canary's share through the config's ramp.traffic adapter (read-only: sets nothing).",
        discussion: "Prints `observed 25 % (haproxy) in 0.4 ms`; exit 0 when the read-back worked, 1 with the adapter's error."
    )

    @Argument(help: "The warroom.yaml whose ramp.traffic to read.") var config: String
    @Flag(help: "Print JSON: {adapter, observed, error, durationMs}.") var json = false

    struct Answer: Encodable {
        var adapter: String
        var observed: Int?
        var error: String?
        var durationMs: Int64
    }

    func run() throws {
        let setup = try loadRunConfig(config)
        guard let t = setup.config.traffic else {
            throw Failure("\(config): no ramp.traffic adapter (the ramp moves through hooks, or not at all)")
        }
        let environment = ProcessInfo.processInfo.environment
        let children = childProcesses(config: setup.config, environment: environment)
        let adapter: any TrafficAdapter
        do {
            adapter = try Traffic.adapter(for: t, steps: setup.config.plan.steps.map(\.percent), children: children)
        } catch { throw Failure("\(config):\(t.line): ramp.traffic: \(error)") }
        let r = Traffic.readBack(adapter)
        if json {
            say(jsonString(Answer(adapter: r.adapter, observed: r.observed, error: r.error, durationMs: r.durationMs)))
        } else if let o = r.observed {
            say("observed \(o) % (\(r.adapter)) in \(r.durationMs) ms")
        }
        if let e = r.error { throw Failure("\(r.adapter): read-back failed: \(e)") }
    }
}
