import Foundation
import WarRoomCore
import WarRoomTelemetry

/// The poller for a run's bound SLOs and criteria: one probe each, on its source's timer. Readings go to `deliver`
/// (the console's inbox) as engine actions. Throws when a source's token cannot be read.
func makePoller(config: RunConfig, environment: [String: String],
                deliver: @escaping @Sendable (ProbeReading) -> Void) throws(Failure) -> Poller? {
    var probes: [Probe] = []
    for s in config.slos {
        guard let source = s.source else { continue }
        probes.append(Probe(id: ProbeKey.slo(s.name).id, source: source, query: s.query, pick: s.pick))
    }
    for l in config.lights {
        guard let source = l.source else { continue }
        probes.append(Probe(id: ProbeKey.light(l.name).id, source: source, query: l.query, match: l.match, pick: l.pick))
    }
    guard !probes.isEmpty else { return nil }
    var specs: [SourceSpec] = []
    for s in config.sources {
        var token: String?
        if let e = s.tokenEnv {
            guard let v = environment[e], !v.isEmpty else { throw Failure("source \(s.name): environment variable \(e) is not set (token_env)") }
            token = v
        } else if let f = s.tokenFile {
            guard let data = FileManager.default.contents(atPath: f) else { throw Failure("source \(s.name): cannot read token_file \(f)") }
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        specs.append(SourceSpec(name: s.name, kind: s.kind, intervalMs: s.intervalMs, timeoutMs: s.timeoutMs, token: token))
    }
    return Poller(sources: specs, probes: probes, clock: { Clock.now() }) { sample in
        guard let key = ProbeKey(id: sample.probe) else { return }
        deliver(ProbeReading(probe: key, source: sample.source, time: sample.time, observation: sample.reading.observation))
    }
}
