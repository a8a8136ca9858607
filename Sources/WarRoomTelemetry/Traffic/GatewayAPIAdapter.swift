import Foundation
import WarRoomCore

/// `adapter: gateway-api` — a Gateway API HTTPRoute's `backendRefs[].weight` through kubectl: the route's rule
/// (`rule`, default 0) holds the `stable` and `canary` backends; a share of N % is weights 100 − N and N, set with
/// `kubectl patch httproute ROUTE -n NS --type=json` and read back with `kubectl get httproute ROUTE -n NS -o json`
/// (a backendRef without a weight weighs 1, as the Gateway API says).
public struct GatewayAPIAdapter: TrafficAdapter {
    public let name = "gateway-api"
    let route: String
    let namespace: String
    let stable: String
    let canary: String
    let rule: Int
    let kubectl: CommandTool

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let r = config.settings["route"], let st = config.settings["stable"], let c = config.settings["canary"] else {
            throw TrafficError("gateway-api needs route, stable and canary")
        }
        route = r
        namespace = config.settings["namespace"] ?? "default"
        stable = st
        canary = c
        guard let rule = Int(config.settings["rule"] ?? "0"), rule >= 0 else { throw TrafficError("gateway-api: rule must be a whole number ≥ 0") }
        self.rule = rule
        kubectl = CommandTool(program: config.settings["kubectl"] ?? "kubectl", children: children, timeoutMs: config.timeoutMs)
    }

    /// The route's backendRefs of the rule: (index, name, weight).
    func backends() throws -> [(index: Int, name: String, weight: Int)] {
        let text = try kubectl.run(["get", "httproute", route, "-n", namespace, "-o", "json"])
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let spec = root["spec"] as? [String: Any], let rules = spec["rules"] as? [[String: Any]] else {
            throw TrafficError("kubectl get httproute \(route): not an HTTPRoute as JSON")
        }
        guard rule < rules.count, let refs = rules[rule]["backendRefs"] as? [[String: Any]] else {
            throw TrafficError("httproute \(namespace)/\(route) has no rule \(rule) with backendRefs")
        }
        return refs.enumerated().map { i, ref in (i, ref["name"] as? String ?? "", (ref["weight"] as? NSNumber)?.intValue ?? 1) }
    }

    func find(_ refs: [(index: Int, name: String, weight: Int)], _ name: String) throws -> (index: Int, name: String, weight: Int) {
        guard let r = refs.first(where: { $0.name == name }) else {
            throw TrafficError("httproute \(namespace)/\(route) rule \(rule) has no backendRef \"\(name)\" (has: \(refs.map(\.name).joined(separator: ", ")))")
        }
        return r
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        let refs = try backends()
        let s = try find(refs, stable)
        let c = try find(refs, canary)
        let patch = "[{\"op\":\"replace\",\"path\":\"/spec/rules/\(rule)/backendRefs/\(s.index)/weight\",\"value\":\(100 - percent)},"
            + "{\"op\":\"replace\",\"path\":\"/spec/rules/\(rule)/backendRefs/\(c.index)/weight\",\"value\":\(percent)}]"
        _ = try kubectl.run(["patch", "httproute", route, "-n", namespace, "--type=json", "-p", patch])
    }

    public func read() throws -> Int {
        let refs = try backends()
        let s = try find(refs, stable).weight
        let c = try find(refs, canary).weight
        guard let share = HAProxyAdapter.share(stable: s, canary: c) else {
            throw TrafficError("httproute \(namespace)/\(route): both \(stable) and \(canary) are at weight 0")
        }
        return share
    }
}
