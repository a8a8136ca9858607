import Foundation
import WarRoomCore

/// `adapter: unleash` — a feature's gradual rollout (`flexibleRollout` strategy) in one environment, through the
/// Unleash Admin API at `base_url`: the canary's share is the strategy's `rollout` parameter (the percentage of users
/// who get the feature). `strategy` is the strategy's id; without it, the environment's one flexibleRollout strategy
/// (`GET …/environments/{env}/strategies`). Set with a JSON patch
/// (`PATCH /api/admin/projects/{project}/features/{feature}/environments/{env}/strategies/{id}`, replacing
/// `/parameters/rollout`), read back with `GET` of the same. The token (`token_env`/`token_file`) is the
/// `Authorization` header, never in a text.
public struct UnleashAdapter: TrafficAdapter {
    public let name = "unleash"
    let project: String
    let feature: String
    let env: String
    let strategy: String?
    let rest: TrafficREST

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let f = config.settings["feature"], let e = config.settings["env"] else { throw TrafficError("unleash needs feature and env (and base_url)") }
        project = config.settings["project"] ?? "default"
        feature = f
        env = e
        strategy = config.settings["strategy"]
        rest = try TrafficREST(adapter: name, config, children: children, defaultBase: nil)
    }

    var strategies: String {
        "/api/admin/projects/\(TrafficREST.segment(project))/features/\(TrafficREST.segment(feature))/environments/\(TrafficREST.segment(env))/strategies"
    }

    var what: String { "unleash feature \(project)/\(feature) in \(env)" }

    /// The strategy's id: as configured, or the environment's one flexibleRollout.
    func strategyID() throws -> String {
        if let strategy { return strategy }
        guard let list = try rest.call("GET", strategies) as? [[String: Any]] else { throw TrafficError("\(what): its strategies are not a list as JSON") }
        let rollouts = list.filter { $0["name"] as? String == "flexibleRollout" }
        guard rollouts.count == 1, let id = rollouts[0]["id"] as? String else {
            if rollouts.isEmpty {
                throw TrafficError("\(what) has no flexibleRollout strategy (has: \(list.compactMap { $0["name"] as? String }.joined(separator: ", ")))")
            }
            throw TrafficError("\(what) has \(rollouts.count) flexibleRollout strategies: name one with strategy: (\(rollouts.compactMap { $0["id"] as? String }.joined(separator: ", ")))")
        }
        return id
    }

    /// The strategy's rollout parameter (0–100).
    static func rollout(_ json: Any, what: String) throws -> Int {
        guard let s = json as? [String: Any], let params = s["parameters"] as? [String: Any] else {
            throw TrafficError("\(what): not a strategy as JSON (no parameters)")
        }
        if let n = s["name"] as? String, n != "flexibleRollout" { throw TrafficError("\(what): strategy \(s["id"] as? String ?? "?") is \(n), not flexibleRollout") }
        if s["disabled"] as? Bool == true { throw TrafficError("\(what): strategy \(s["id"] as? String ?? "?") is disabled") }
        let value = params["rollout"]
        let n = (value as? String).flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } ?? (value as? NSNumber)?.intValue
        guard let n, (0...100).contains(n) else { throw TrafficError("\(what): strategy rollout is \(value.map { "\"\($0)\"" } ?? "missing"), not 0–100") }
        return n
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        try rest.guarded {
            let id = try strategyID()
            let patch = "[{\"op\":\"replace\",\"path\":\"/parameters/rollout\",\"value\":\"\(percent)\"}]"
            _ = try rest.call("PATCH", strategies + "/" + TrafficREST.segment(id), body: Array(patch.utf8))
        }
    }

    public func read() throws -> Int {
        try rest.guarded {
            let id = try strategyID()
            return try Self.rollout(try rest.call("GET", strategies + "/" + TrafficREST.segment(id)), what: what)
        }
    }
}
