import Foundation
import WarRoomCore

/// One named Kubernetes object the kubectl-based adapters (gateway-api, istio, nginx-ingress, argo-rollouts) read and
/// change: `kubectl get KIND NAME -n NS -o json` parsed to a dictionary, and `kubectl patch … --type=json` with
/// integer values. The settings `namespace` (default `default`) and `kubectl` (program, default `kubectl` on PATH) are
/// common to all of them.
struct KubeResource: Sendable {
    /// kubectl's resource name (`httproute`).
    let kind: String
    /// The kind as its manifests spell it, with its article (`an HTTPRoute`), for messages.
    let title: String
    let name: String
    let namespace: String
    let kubectl: CommandTool

    init(kind: String, title: String, name: String, config: TrafficConfig, children: ChildProcesses) {
        self.kind = kind
        self.title = title
        self.name = name
        namespace = config.settings["namespace"] ?? "default"
        kubectl = CommandTool(program: config.settings["kubectl"] ?? "kubectl", children: children, timeoutMs: config.timeoutMs)
    }

    /// `httproute shop/checkout`, for messages.
    var ref: String { "\(kind) \(namespace)/\(name)" }

    /// The most of kubectl's JSON read: an object is at most etcd's request limit (1.5 MiB by default) as stored;
    /// a Rollout's pod template and last-applied annotation easily pass the runner's usual 64 KiB.
    static let maxJSONBytes = 16 << 20

    /// The object as kubectl prints it with `-o json`; a JSON object with a `spec`, or a named error.
    func get() throws -> [String: Any] {
        let text = try kubectl.run(["get", kind, name, "-n", namespace, "-o", "json"], stdoutCap: Self.maxJSONBytes)
        if text.hasSuffix(" bytes total)") {  // the runner's truncation note: JSON never ends so
            throw TrafficError("kubectl get \(kind) \(name): more than \(Self.maxJSONBytes >> 20) MiB of JSON")
        }
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], root["spec"] is [String: Any] else {
            throw TrafficError("kubectl get \(kind) \(name): not \(title) as JSON")
        }
        return root
    }

    /// `kubectl patch KIND NAME -n NS --type=json -p '[{"op":OP,"path":PATH,"value":N}, …]'` (one argv element).
    func patch(_ ops: [(op: String, path: String, value: Int)]) throws {
        let patch = "[" + ops.map { "{\"op\":\"\($0.op)\",\"path\":\"\($0.path)\",\"value\":\($0.value)}" }.joined(separator: ",") + "]"
        _ = try kubectl.run(["patch", kind, name, "-n", namespace, "--type=json", "-p", patch])
    }

    /// A JSON number as an Int (nil when absent or not a number).
    static func int(_ value: Any?) -> Int? {
        (value as? NSNumber)?.intValue
    }

    /// The largest weight trusted (the Gateway API's bound; Istio's is 100): a weight outside 0…this, or not a whole
    /// number, is an error naming it rather than a share computed from it (nor a sum that overflows).
    static let maxWeight = 1_000_000

    /// A weight as the object states it: nil when absent.
    func weight(_ value: Any?, _ what: String) throws -> Int? {
        guard let value else { return nil }
        guard let n = value as? NSNumber, let w = Int(exactly: n.doubleValue), (0...Self.maxWeight).contains(w) else {
            throw TrafficError("\(ref): \(what) has weight \(value), not a whole number in 0–\(Self.maxWeight)")
        }
        return w
    }

    /// A path of nested keys into the object (`["spec", "strategy", "canary"]`), nil when any is missing.
    static func dig(_ root: [String: Any], _ keys: String...) -> Any? {
        var here: Any? = root
        for k in keys { here = (here as? [String: Any])?[k] }
        return here
    }
}
