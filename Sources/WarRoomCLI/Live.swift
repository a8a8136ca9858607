import Foundation
import WarRoomCore
import WarRoomTelemetry

/// The poller for a run's bound SLOs and criteria: one probe each, on its source's timer. Readings go to `deliver`
/// (the console's inbox) as engine actions; `children` gives command sources their environment and takes every
/// known secret out of what sources send back. Throws when a source's token cannot be read.
func makePoller(config: RunConfig, environment: [String: String], children: ChildProcesses = ChildProcesses(),
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
    return Poller(sources: specs, probes: probes, children: children, clock: { Clock.now() }) { sample in
        guard let key = ProbeKey(id: sample.probe) else { return }
        deliver(ProbeReading(probe: key, source: sample.source, time: sample.time, observation: sample.reading.observation))
    }
}

/// How a run's hooks and command sources are started: the allow-list environment plus the config's `environment:`
/// (pass, set), and a redactor for every secret warroom knows (`knownSecrets`). Built once, when the console opens.
/// `storeSecrets`: the etcd store's password (and tokens), which no hook should echo either.
func childProcesses(config: RunConfig, environment: [String: String], storeSecrets: [String] = []) -> ChildProcesses {
    ChildProcesses(environment: ChildEnvironment(config.environment),
                   redactor: Redactor(secrets: knownSecrets(config: config, environment: environment) + storeSecrets))
}

/// Every secret value warroom knows for a run: the values of the `token_env` and `environment.secret` variables (from
/// `environment`, or as `environment.set` gives them), the contents of `token_file`s, and the passwords of source
/// URLs (`https://user:pass@host`: as written, percent-decoded, and as the `Basic` credentials sent).
func knownSecrets(config: RunConfig, environment: [String: String]) -> [String] {
    var secrets: [String] = []
    for name in config.secretVariables {
        if let v = environment[name] { secrets.append(v) }
        if let v = config.environment?.set[name] { secrets.append(v) }
    }
    for s in config.sources {
        if let f = s.tokenFile, let data = FileManager.default.contents(atPath: f) {
            secrets.append(String(decoding: data, as: UTF8.self))
        }
        switch s.kind {
        case .prometheus(let url), .alertmanager(let url), .http(let url, _):
            guard let userinfo = urlUserinfo(url), let colon = userinfo.firstIndex(of: ":") else { continue }
            let password = String(userinfo[userinfo.index(after: colon)...])
            let plain = userinfo.removingPercentEncoding ?? userinfo
            secrets += [password, password.removingPercentEncoding ?? password, Data(plain.utf8).base64EncodedString()]
        case .command, .file:
            continue
        }
    }
    // `notify:` targets: an inline webhook URL (Slack's holds its token) and the contents of url_file and token_file.
    for t in config.notify ?? [] {
        if let u = t.url { secrets.append(u) }
        for f in [t.urlFile, t.tokenFile].compactMap({ $0 }) {
            if let data = FileManager.default.contents(atPath: f) {
                secrets.append(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            }
        }
    }
    // `ramp.traffic.token_file` (launchdarkly, unleash).
    if let f = config.traffic?.settings["token_file"], let data = FileManager.default.contents(atPath: f) {
        secrets.append(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
    return secrets
}

/// `user:pass` of `scheme://user:pass@host/…`, still percent-encoded; nil without one.
func urlUserinfo(_ url: String) -> String? {
    guard let schemeEnd = url.firstRange(of: "://") else { return nil }
    let rest = url[schemeEnd.upperBound...]
    let authority = rest[..<(rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex)]
    guard let at = authority.lastIndex(of: "@") else { return nil }
    return String(authority[..<at])
}
