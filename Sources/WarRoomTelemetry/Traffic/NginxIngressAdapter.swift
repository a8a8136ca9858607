import Foundation
import WarRoomCore

/// `adapter: nginx-ingress` — ingress-nginx's canary Ingress (`ingress`, which must carry
/// `nginx.ingress.kubernetes.io/canary: "true"`): its `canary-weight` annotation out of `canary-weight-total`
/// (default 100), so the canary's share is weight / total × 100. Set with `kubectl annotate ingress NAME -n NS
/// --overwrite nginx.ingress.kubernetes.io/canary-weight=W`, read back with `kubectl get ingress NAME -n NS -o json`.
public struct NginxIngressAdapter: TrafficAdapter {
    public let name = "nginx-ingress"
    static let prefix = "nginx.ingress.kubernetes.io/"
    let ingress: KubeResource

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let i = config.settings["ingress"] else { throw TrafficError("nginx-ingress needs ingress") }
        ingress = KubeResource(kind: "ingress", title: "an Ingress", name: i, config: config, children: children)
    }

    /// The canary's weight and the total it is out of, as the annotations say (absent weight: 0, as ingress-nginx).
    func weights() throws -> (weight: Int, total: Int, raw: String?) {
        let root = try ingress.get()
        let notes = KubeResource.dig(root, "metadata", "annotations") as? [String: Any] ?? [:]
        // ingress-nginx reads it with Go's strconv.ParseBool.
        guard let on = notes[Self.prefix + "canary"] as? String, ["1", "t", "T", "true", "TRUE", "True"].contains(on) else {
            throw TrafficError("\(ingress.ref) is not a canary Ingress: it needs the annotation \(Self.prefix)canary: \"true\"")
        }
        func number(_ key: String, _ absent: Int) throws -> Int {
            guard let v = notes[Self.prefix + key] else { return absent }
            // As ingress-nginx's strconv.Atoi: no spaces or units (" 25" is invalid there, and it routes weight 0).
            guard let s = v as? String, let n = Int(s), (0...KubeResource.maxWeight).contains(n) else {
                throw TrafficError("\(ingress.ref): annotation \(Self.prefix)\(key) is not a whole number in 0–\(KubeResource.maxWeight) (\(v))")
            }
            return n
        }
        let total = try number("canary-weight-total", 100)
        guard total > 0 else { throw TrafficError("\(ingress.ref): \(Self.prefix)canary-weight-total is 0") }
        return (try number("canary-weight", 0), total, notes[Self.prefix + "canary-weight"] as? String)
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        let w = try weights()
        let weight = (percent * w.total + 50) / 100
        if w.raw == String(weight) { return }
        _ = try ingress.kubectl.run(["annotate", "ingress", ingress.name, "-n", ingress.namespace, "--overwrite",
                                     "\(Self.prefix)canary-weight=\(weight)"])
    }

    public func read() throws -> Int {
        let w = try weights()
        return (min(w.weight, w.total) * 100 + w.total / 2) / w.total
    }
}
