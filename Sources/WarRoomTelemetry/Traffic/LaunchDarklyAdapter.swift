import Foundation
import WarRoomCore

/// `adapter: launchdarkly` — a flag's percentage rollout in one environment, through LaunchDarkly's REST API
/// (`base_url`, default https://app.launchdarkly.com). The flag's fallthrough (what serves everyone no targeting rule
/// catches) becomes a rollout: the `canary` variation N %, the `stable` one 100 − N % (LaunchDarkly weighs in
/// thousandths of a percent: N × 1000 and 100000 − N × 1000; any other variation 0). Set with a semantic patch
/// (`updateFallthroughVariationOrRollout`, keeping the rollout's bucketBy and context kind), read back with
/// `GET /api/v2/flags/{project}/{flag}?env={env}`. `stable` and `canary` name a variation by its name, its value or
/// its index. The token (`token_env`/`token_file`) is the `Authorization` header, never in a text.
public struct LaunchDarklyAdapter: TrafficAdapter {
    public let name = "launchdarkly"
    public static let defaultBase = "https://app.launchdarkly.com"
    let project: String
    let flag: String
    let env: String
    let stable: String
    let canary: String
    let rest: TrafficREST

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let p = config.settings["project"], let f = config.settings["flag"], let e = config.settings["env"],
              let s = config.settings["stable"], let c = config.settings["canary"] else {
            throw TrafficError("launchdarkly needs project, flag, env, stable and canary")
        }
        project = p
        flag = f
        env = e
        stable = s
        canary = c
        rest = try TrafficREST(adapter: name, config, children: children, defaultBase: Self.defaultBase)
    }

    var path: String { "/api/v2/flags/\(TrafficREST.segment(project))/\(TrafficREST.segment(flag))" }

    /// What the flag says: its variations' ids and the environment's settings.
    struct Flag {
        var variationIDs: [String]
        var stable: Int
        var canary: Int
        var environment: [String: Any]
    }

    func fetch() throws -> Flag {
        let json = try rest.call("GET", path + "?env=" + TrafficREST.segment(env))
        guard let root = json as? [String: Any], let variations = root["variations"] as? [[String: Any]] else {
            throw TrafficError("launchdarkly flag \(project)/\(flag): not a flag as JSON (no variations)")
        }
        guard let environment = (root["environments"] as? [String: Any])?[env] as? [String: Any] else {
            let has = ((root["environments"] as? [String: Any])?.keys.sorted() ?? []).joined(separator: ", ")
            throw TrafficError("launchdarkly flag \(project)/\(flag) has no environment \"\(env)\" (has: \(has))")
        }
        let kind = root["kind"] as? String
        return Flag(variationIDs: variations.map { $0["_id"] as? String ?? "" },
                    stable: try Self.variation(stable, in: variations, kind: kind, flag: "\(project)/\(flag)"),
                    canary: try Self.variation(canary, in: variations, kind: kind, flag: "\(project)/\(flag)"),
                    environment: environment)
    }

    /// The index of the variation `wanted` names: by name, then value, then index.
    static func variation(_ wanted: String, in variations: [[String: Any]], kind: String?, flag: String) throws -> Int {
        func valueText(_ v: Any?) -> String? {
            if let s = v as? String { return s }
            if kind == "boolean", let b = v as? Bool { return b ? "true" : "false" }
            if let n = v as? NSNumber { return n.stringValue }
            return nil
        }
        if let i = variations.firstIndex(where: { $0["name"] as? String == wanted }) { return i }
        if let i = variations.firstIndex(where: { valueText($0["value"]) == wanted }) { return i }
        if let i = Int(wanted), variations.indices.contains(i) { return i }
        let has = variations.enumerated().map { i, v in (v["name"] as? String).map { "\(i) \($0)" } ?? "\(i) \(valueText(v["value"]) ?? "?")" }
        throw TrafficError("launchdarkly flag \(flag) has no variation \"\(wanted)\" (has: \(has.joined(separator: ", ")))")
    }

    /// The weights for a share, by variation index (thousandths of a percent, summing to 100000).
    static func weights(percent: Int, count: Int, stable: Int, canary: Int) -> [Int] {
        var w = Array(repeating: 0, count: count)
        w[canary] = percent * 1000
        w[stable] = 100_000 - percent * 1000
        return w
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        try rest.guarded {
            let f = try fetch()
            // Weights go by variation id: a flag whose variations lack ids (or repeat one) cannot be weighed.
            guard !f.variationIDs.contains(""), Set(f.variationIDs).count == f.variationIDs.count else {
                throw TrafficError("launchdarkly flag \(project)/\(flag): its variations have no distinct _id")
            }
            let w = Self.weights(percent: percent, count: f.variationIDs.count, stable: f.stable, canary: f.canary)
            var instruction: [String: Any] = ["kind": "updateFallthroughVariationOrRollout",
                                              "rolloutWeights": Dictionary(uniqueKeysWithValues: zip(f.variationIDs, w))]
            let rollout = (f.environment["fallthrough"] as? [String: Any])?["rollout"] as? [String: Any]
            if let b = rollout?["bucketBy"] as? String { instruction["rolloutBucketBy"] = b }
            if let k = rollout?["contextKind"] as? String { instruction["rolloutContextKind"] = k }
            let body: [String: Any] = ["environmentKey": env, "comment": "warroom: canary \(percent) %", "instructions": [instruction]]
            let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
            _ = try rest.call("PATCH", path, body: Array(data), contentType: "application/json; domain-model=launchdarkly.semanticpatch")
        }
    }

    public func read() throws -> Int {
        try rest.guarded {
            let f = try fetch()
            let name = "launchdarkly flag \(project)/\(flag) in \(env)"
            if f.environment["on"] as? Bool == false {
                throw TrafficError("\(name) is off: everyone gets its off variation (turn it on to ramp)")
            }
            guard let served = f.environment["fallthrough"] as? [String: Any] else { throw TrafficError("\(name) has no fallthrough") }
            if let v = (served["variation"] as? NSNumber)?.intValue {
                if v == f.canary { return 100 }
                if v == f.stable { return 0 }
                throw TrafficError("\(name) serves variation \(v) to everyone: neither \(stable) nor \(canary)")
            }
            guard let parts = (served["rollout"] as? [String: Any])?["variations"] as? [[String: Any]] else {
                throw TrafficError("\(name): its fallthrough is neither a variation nor a rollout")
            }
            var byIndex: [Int: Int] = [:]
            for p in parts {
                guard let v = (p["variation"] as? NSNumber)?.intValue, let w = (p["weight"] as? NSNumber)?.intValue else { continue }
                // LaunchDarkly weighs 0–100000 each: anything else is not a rollout (and must not overflow below).
                guard (0...100_000).contains(w) else { throw TrafficError("\(name): its rollout weighs variation \(v) \(w), not 0–100000") }
                byIndex[v, default: 0] += w
            }
            let c = byIndex[f.canary] ?? 0
            let total = byIndex.values.reduce(0, +)
            guard total > 0 else { throw TrafficError("\(name): its rollout weighs 0 in all") }
            let others = total - c - (byIndex[f.stable] ?? 0)
            if others > 0 { throw TrafficError("\(name): its rollout gives \(Double(others) / 1000) % to variations other than \(stable) and \(canary)") }
            return (c * 100 + total / 2) / total
        }
    }
}
