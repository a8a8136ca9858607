import Foundation
import WarRoomCore

/// `adapter: gateway-api` — a Gateway API HTTPRoute's `backendRefs[].weight` through kubectl: the route's rule
/// (`rule`, default 0) holds the `stable` and `canary` backends; a share of N % is weights 100 − N and N, set with
/// `kubectl patch httproute ROUTE -n NS --type=json` and read back with `kubectl get httproute ROUTE -n NS -o json`
/// (a backendRef without a weight weighs 1, as the Gateway API says).
public struct GatewayAPIAdapter: TrafficAdapter {
    public let name = "gateway-api"
    let route: KubeResource
    let stable: String
    let canary: String
    let rule: Int

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let r = config.settings["route"], let st = config.settings["stable"], let c = config.settings["canary"] else {
            throw TrafficError("gateway-api needs route, stable and canary")
        }
        route = KubeResource(kind: "httproute", title: "an HTTPRoute", name: r, config: config, children: children)
        stable = st
        canary = c
        guard let rule = Int(config.settings["rule"] ?? "0"), rule >= 0 else { throw TrafficError("gateway-api: rule must be a whole number ≥ 0") }
        self.rule = rule
    }

    /// The route's backendRefs of the rule: (index, name, weight).
    func backends() throws -> [(index: Int, name: String, weight: Int)] {
        let root = try route.get()
        guard let rules = KubeResource.dig(root, "spec", "rules") as? [[String: Any]] else {
            throw TrafficError("kubectl get httproute \(route.name): not an HTTPRoute as JSON")
        }
        guard rule < rules.count, let refs = rules[rule]["backendRefs"] as? [[String: Any]] else {
            throw TrafficError("\(route.ref) has no rule \(rule) with backendRefs")
        }
        return try refs.enumerated().map { i, ref in
            let name = ref["name"] as? String ?? ""
            return (i, name, try route.weight(ref["weight"], "backendRef \"\(name)\"") ?? 1)
        }
    }

    func find(_ refs: [(index: Int, name: String, weight: Int)], _ name: String) throws -> (index: Int, name: String, weight: Int) {
        guard let r = refs.first(where: { $0.name == name }) else {
            throw TrafficError("\(route.ref) rule \(rule) has no backendRef \"\(name)\" (has: \(refs.map(\.name).joined(separator: ", ")))")
        }
        return r
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        let refs = try backends()
        let s = try find(refs, stable)
        let c = try find(refs, canary)
        try route.patch([("add", "/spec/rules/\(rule)/backendRefs/\(s.index)/weight", 100 - percent),
                         ("add", "/spec/rules/\(rule)/backendRefs/\(c.index)/weight", percent)])
    }

    public func read() throws -> Int {
        let refs = try backends()
        let s = try find(refs, stable).weight
        let c = try find(refs, canary).weight
        guard let share = HAProxyAdapter.share(stable: s, canary: c) else {
            throw TrafficError("\(route.ref): both \(stable) and \(canary) are at weight 0")
        }
        return share
    }
}
