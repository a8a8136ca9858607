import Foundation
import WarRoomCore

/// `adapter: istio` — an Istio VirtualService's HTTP route weights through kubectl. The route `http` (an index into
/// `spec.http`, default 0, or the route's `name`) has the `stable` and `canary` destinations among `route[]`; each
/// destination is named by its `destination.subset`, or by its `destination.host` when it has no subset. A share of
/// N % is weights 100 − N and N, set with `kubectl patch virtualservice NAME -n NS --type=json` (op `add`, which also
/// sets a weight the manifest left out) and read back with `kubectl get virtualservice NAME -n NS -o json`.
/// A missing weight follows Istio: a route's only destination takes 100, otherwise it is 0. The canary's share is its
/// weight over the weights of all the route's destinations (a route whose one destination is `stable` reads 0 %, is
/// `canary` 100 %; a set needs both there).
public struct IstioAdapter: TrafficAdapter {
    public let name = "istio"
    let service: KubeResource
    let stable: String
    let canary: String
    /// The HTTP route: its index, or its name.
    let http: String

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let vs = config.settings["virtualservice"], let st = config.settings["stable"], let c = config.settings["canary"] else {
            throw TrafficError("istio needs virtualservice, stable and canary")
        }
        service = KubeResource(kind: "virtualservice", title: "a VirtualService", name: vs, config: config, children: children)
        stable = st
        canary = c
        http = config.settings["http"] ?? "0"
        if let i = Int(http), i < 0 { throw TrafficError("istio: http must be a route's index (≥ 0) or its name") }
    }

    struct Destination {
        var index: Int
        /// The subset, or the host when there is none.
        var name: String
        var weight: Int
    }

    /// The HTTP route's index and its destinations.
    func destinations() throws -> (route: Int, all: [Destination]) {
        let root = try service.get()
        guard let routes = KubeResource.dig(root, "spec", "http") as? [[String: Any]] else {
            throw TrafficError("\(service.ref) has no spec.http routes")
        }
        // A number is an index, unless only a route's name (no route at that index); both, at different routes,
        // is ambiguous rather than a silent pick.
        let named = routes.firstIndex { $0["name"] as? String == http }
        let byIndex = Int(http).flatMap { $0 < routes.count ? $0 : nil }
        if let named, let byIndex, named != byIndex {
            throw TrafficError("\(service.ref): http \(http) is ambiguous: route \(byIndex) by index, route \(named) by name (rename the route)")
        }
        let index = byIndex ?? named
        guard let index, let dests = routes[index]["route"] as? [[String: Any]], !dests.isEmpty else {
            let names = routes.enumerated().map { i, r in (r["name"] as? String).map { "\(i) \($0)" } ?? "\(i)" }
            throw TrafficError("\(service.ref) has no http route \(http) with destinations (has: \(names.joined(separator: ", ")))")
        }
        let all = try dests.enumerated().map { i, d -> Destination in
            let dest = d["destination"] as? [String: Any] ?? [:]
            let name = dest["subset"] as? String ?? dest["host"] as? String ?? ""
            return Destination(index: i, name: name,
                               weight: try service.weight(d["weight"], "destination \"\(name)\"") ?? (dests.count == 1 ? 100 : 0))
        }
        return (index, all)
    }

    func find(_ all: [Destination], _ name: String) throws -> Destination {
        let matching = all.filter { $0.name == name }
        guard let d = matching.first else {
            throw TrafficError("\(service.ref) http route \(http) has no destination \"\(name)\" (has: \(all.map(\.name).joined(separator: ", ")))")
        }
        // The same subset on two hosts: which one is meant cannot be told, and one alone is not the share.
        guard matching.count == 1 else {
            throw TrafficError("\(service.ref) http route \(http) has \(matching.count) destinations \"\(name)\" (subset, or host without one): warroom needs each once")
        }
        return d
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        let (route, all) = try destinations()
        let s = try find(all, stable)
        let c = try find(all, canary)
        let others = all.filter { $0.index != s.index && $0.index != c.index && $0.weight > 0 }
        guard others.isEmpty else {
            throw TrafficError("\(service.ref) http route \(http) also sends traffic to \(others.map(\.name).joined(separator: ", ")): warroom moves it only between \(stable) and \(canary)")
        }
        if s.weight == 100 - percent && c.weight == percent { return }
        try service.patch([("add", "/spec/http/\(route)/route/\(s.index)/weight", 100 - percent),
                           ("add", "/spec/http/\(route)/route/\(c.index)/weight", percent)])
    }

    public func read() throws -> Int {
        let (_, all) = try destinations()
        // A route with one destination, stable or canary, sends it everything; with more, both must be there.
        if all.count > 1 || !all.contains(where: { $0.name == stable }) { _ = try find(all, canary) }
        if all.count > 1 { _ = try find(all, stable) }
        if all.contains(where: { $0.name == canary }) { _ = try find(all, canary) }
        if all.contains(where: { $0.name == stable }) { _ = try find(all, stable) }
        let c = all.first { $0.name == canary }?.weight ?? 0
        let total = all.reduce(0) { $0 + $1.weight }
        guard total > 0 else { throw TrafficError("\(service.ref) http route \(http): every destination is at weight 0") }
        return (c * 100 + total / 2) / total
    }
}
