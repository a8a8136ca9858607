import WarRoomCore
import WarRoomYAML
import Yams

/// `ramp.traffic:` — the built-in traffic adapter and its settings, each checked with the line to edit.
extension ConfigParser {
    /// Each adapter's own keys: all required.
    static let trafficAdapters: [String: [String]] = [
        "haproxy": ["socket", "backend", "stable", "canary"],
        "gateway-api": ["route", "stable", "canary"],
        "aws-alb": ["listener", "stable", "canary"],
        "launchdarkly": ["project", "flag", "env", "stable", "canary"],
        "unleash": ["base_url", "feature", "env"],
        "nginx": ["file", "upstream", "stable", "canary", "status"],
        "istio": ["virtualservice", "stable", "canary"],
        "nginx-ingress": ["ingress"],
        "argo-rollouts": ["rollout"],
    ]
    /// Each adapter's optional keys.
    static let trafficOptional: [String: [String]] = [
        "gateway-api": ["namespace", "rule", "kubectl"],
        "aws-alb": ["aws", "region", "profile"],
        "launchdarkly": ["base_url", "token_env", "token_file"],
        "unleash": ["project", "strategy", "token_env", "token_file"],
        "nginx": ["nginx", "conf", "prefix"],
        "istio": ["namespace", "http", "kubectl"],
        "nginx-ingress": ["namespace", "kubectl"],
        "argo-rollouts": ["namespace", "kubectl"],
    ]
    static let trafficCommonKeys = ["adapter", "check_every", "timeout"]

    /// Reads `traffic:` from the ramp mapping (nil when absent or wrong; errors name the line).
    mutating func parseTraffic(inRamp ramp: Node, hooks: Bool) -> TrafficConfig? {
        guard case .mapping(let rm) = ramp else { return nil }
        guard let (k, node) = rm.first(where: { if case .scalar(let s) = $0.key { s.string == "traffic" } else { false } }) else { return nil }
        let line = src.line(k)
        if hooks {
            src.error(line, "ramp.traffic moves the traffic itself: remove ramp.apply and ramp.rollback (hooks are for ramps without an adapter)")
        }
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "ramp.traffic must be a mapping with adapter: and its settings (e.g. adapter: haproxy, socket:, backend:, stable:, canary:)")
            return nil
        }
        let adapterNode = m.first { if case .scalar(let s) = $0.key { s.string == "adapter" } else { false } }
        guard let adapterNode, let adapter = string(adapterNode.value, adapterNode.key, "ramp.traffic.adapter") else {
            if adapterNode == nil { src.error(line, "ramp.traffic needs adapter: (built in: \(Self.trafficAdapters.keys.sorted().joined(separator: ", ")))") }
            return nil
        }
        guard let own = Self.trafficAdapters[adapter] else {
            src.error(src.line(adapterNode.value), "ramp.traffic.adapter: unknown adapter \"\(adapter)\" (built in: \(Self.trafficAdapters.keys.sorted().joined(separator: ", ")))")
            return nil
        }
        var config = TrafficConfig(adapter: adapter, line: line)
        var ok = true
        var lines: [String: Int] = [:]
        for (key, value) in m {
            guard let name = self.key(key, known: Self.trafficCommonKeys + own + (Self.trafficOptional[adapter] ?? []), context: "in ramp.traffic (adapter \(adapter))") else {
                ok = false
                continue
            }
            switch name {
            case "adapter": break
            case "check_every":
                guard let d = duration(value, key, "ramp.traffic.check_every") else { ok = false; continue }
                if d < 1_000 { src.error(src.line(value), "ramp.traffic.check_every must be at least 1s"); ok = false } else { config.checkEveryMs = d }
            case "timeout":
                guard let d = duration(value, key, "ramp.traffic.timeout") else { ok = false; continue }
                if d == 0 { src.error(src.line(value), "ramp.traffic.timeout must be more than 0"); ok = false } else { config.timeoutMs = d }
            default:
                guard let s = string(value, key, "ramp.traffic.\(name)") else { ok = false; continue }
                if s.isEmpty { src.error(src.line(value), "ramp.traffic.\(name) must not be empty"); ok = false; continue }
                config.settings[name] = s
                lines[name] = src.line(value)
            }
        }
        for name in own where config.settings[name] == nil && ok {
            src.error(line, "ramp.traffic (adapter \(adapter)) needs \(name):")
            ok = false
        }
        if let s = config.settings["stable"], s == config.settings["canary"] {
            src.error(line, "ramp.traffic: stable and canary must be two different servers or backends (both are \"\(s)\")")
            ok = false
        }
        if ok { ok = lintTrafficSettings(&config, lines: lines) }
        return ok ? config : nil
    }

    /// What an adapter asks of the ramp's steps: argo-rollouts walks the Rollout's setWeight steps, which always end at
    /// 100 (the cluster's list itself is checked at each set and read-back).
    mutating func checkTrafficSteps(_ traffic: TrafficConfig, steps: [Int]) {
        if traffic.adapter == "argo-rollouts", steps.last != 100 {
            src.error(traffic.line, "ramp.traffic (adapter argo-rollouts): ramp.steps must end at 100, as a Rollout's steps do (ramp.steps are \(steps.map(String.init).joined(separator: "/")))")
        }
    }
}
