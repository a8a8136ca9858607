import Foundation
import WarRoomCore

/// `adapter: aws-alb` — an Application Load Balancer listener's default forward action with two weighted target
/// groups (`stable` and `canary`, their ARNs), through the AWS CLI (`aws`, or the `aws` setting's program; `region` and
/// `profile` become `--region`/`--profile`). A share of N % is weights 100 − N and N. Set with
/// `aws elbv2 modify-listener --listener-arn ARN --default-actions JSON`: the listener's default actions as they are,
/// the forward action's target groups replaced (other actions, such as authentication, and the stickiness setting
/// kept). Read back with `aws elbv2 describe-listeners --listener-arns ARN --output json`.
public struct AWSALBAdapter: TrafficAdapter {
    public let name = "aws-alb"
    let listener: String
    let stable: String
    let canary: String
    let aws: CommandTool
    let global: [String]

    public init(_ config: TrafficConfig, children: ChildProcesses) throws {
        guard let l = config.settings["listener"], let s = config.settings["stable"], let c = config.settings["canary"] else {
            throw TrafficError("aws-alb needs listener, stable and canary")
        }
        listener = l
        stable = s
        canary = c
        global = (config.settings["region"].map { ["--region", $0] } ?? []) + (config.settings["profile"].map { ["--profile", $0] } ?? [])
        aws = CommandTool(program: config.settings["aws"] ?? "aws", children: children, timeoutMs: config.timeoutMs)
    }

    /// The last part of an ARN (`targetgroup/checkout-green/73e2d6bc24d8a067`), for messages.
    static func short(_ arn: String) -> String {
        guard let colon = arn.lastIndex(of: ":") else { return arn }
        return String(arn[arn.index(after: colon)...])
    }

    /// The listener's default actions, and the index of the forward action among them.
    func actions() throws -> (all: [[String: Any]], forward: Int) {
        let text = try aws.run(["elbv2", "describe-listeners", "--listener-arns", listener, "--output", "json"] + global)
        guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
              let listeners = root["Listeners"] as? [[String: Any]] else {
            throw TrafficError("aws elbv2 describe-listeners: not a listener description as JSON")
        }
        guard let l = listeners.first(where: { $0["ListenerArn"] as? String == listener }) ?? (listeners.count == 1 ? listeners[0] : nil),
              let all = l["DefaultActions"] as? [[String: Any]] else {
            throw TrafficError("aws elbv2 describe-listeners: no \(Self.short(listener)) with default actions")
        }
        guard let i = all.firstIndex(where: { $0["Type"] as? String == "forward" }) else {
            throw TrafficError("\(Self.short(listener)) has no forward default action (has: \(all.compactMap { $0["Type"] as? String }.joined(separator: ", ")))")
        }
        return (all, i)
    }

    /// A forward action's target groups and weights (a plain `TargetGroupArn` forwards everything to one).
    static func groups(_ action: [String: Any]) -> [(arn: String, weight: Int)] {
        if let tgs = (action["ForwardConfig"] as? [String: Any])?["TargetGroups"] as? [[String: Any]], !tgs.isEmpty {
            return tgs.map { ($0["TargetGroupArn"] as? String ?? "", ($0["Weight"] as? NSNumber)?.intValue ?? 1) }
        }
        if let arn = action["TargetGroupArn"] as? String { return [(arn, 1)] }
        return []
    }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        var (all, i) = try actions()
        var forward = all[i]
        var config = forward["ForwardConfig"] as? [String: Any] ?? [:]
        config["TargetGroups"] = [["TargetGroupArn": stable, "Weight": 100 - percent], ["TargetGroupArn": canary, "Weight": percent]]
        forward["ForwardConfig"] = config
        forward.removeValue(forKey: "TargetGroupArn")  // with two target groups, only ForwardConfig may name them
        all[i] = forward
        // describe-listeners never shows an OIDC action's client secret, and modify-listener refuses the action
        // without one unless told to keep the secret it has.
        for k in all.indices {
            guard var oidc = all[k]["AuthenticateOidcConfig"] as? [String: Any], oidc["ClientSecret"] == nil else { continue }
            oidc["UseExistingClientSecret"] = true
            all[k]["AuthenticateOidcConfig"] = oidc
        }
        let json = try JSONSerialization.data(withJSONObject: all, options: [.sortedKeys, .withoutEscapingSlashes])
        _ = try aws.run(["elbv2", "modify-listener", "--listener-arn", listener, "--default-actions", String(decoding: json, as: UTF8.self),
                         "--output", "json"] + global)
    }

    public func read() throws -> Int {
        let (all, i) = try actions()
        let groups = Self.groups(all[i])
        func weight(_ arn: String, _ role: String) throws -> Int {
            guard let g = groups.first(where: { $0.arn == arn }) else {
                throw TrafficError("\(Self.short(listener)) does not forward to the \(role) target group \(Self.short(arn)) (forwards to: \(groups.map { Self.short($0.arn) }.joined(separator: ", ")))")
            }
            return g.weight
        }
        // ALB weighs each target group 0–999: another number is an answer not to compute a share from.
        if let bad = groups.first(where: { !(0...999).contains($0.weight) }) {
            throw TrafficError("\(Self.short(listener)) weighs \(Self.short(bad.arn)) \(bad.weight), not 0–999")
        }
        let s = groups.count == 1 && groups[0].arn == canary ? 0 : try weight(stable, "stable")
        let c = groups.count == 1 && groups[0].arn == stable ? 0 : try weight(canary, "canary")
        let others = groups.filter { $0.arn != stable && $0.arn != canary && $0.weight > 0 }
        if !others.isEmpty { throw TrafficError("\(Self.short(listener)) also forwards to \(others.map { Self.short($0.arn) }.joined(separator: ", "))") }
        guard let share = HAProxyAdapter.share(stable: s, canary: c) else {
            throw TrafficError("\(Self.short(listener)): both target groups are at weight 0")
        }
        return share
    }
}
