import Foundation
import WarRoomCore

/// A built-in traffic adapter (`ramp.traffic:`): sets the canary's share of traffic and reads back the share in effect.
/// Both calls block (the effect runner calls them off the screen thread) and give up after the config's timeout.
public protocol TrafficAdapter: Sendable {
    /// The adapter's name as the config writes it (`haproxy`).
    var name: String { get }
    /// Sets the canary's share to `percent` (0–100). Idempotent: setting the share in effect changes nothing.
    func set(percent: Int) throws
    /// The canary's share in effect (0–100), as the traffic layer itself reports it.
    func read() throws -> Int
}

/// An adapter's failure, said in the operator's words (never with a secret).
public struct TrafficError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public enum Traffic {
    /// The adapter the config names, or why it cannot be made.
    /// `steps`: the ramp's percentages (argo-rollouts refuses a Rollout whose setWeight steps differ).
    /// `children`: the environment allow-list and redaction the command-based adapters' tools run with.
    public static func adapter(for config: TrafficConfig, steps: [Int] = [],
                               children: ChildProcesses = ChildProcesses()) throws -> any TrafficAdapter {
        switch config.adapter {
        case "haproxy": return try HAProxyAdapter(config)
        case "gateway-api": return try GatewayAPIAdapter(config, children: children)
        case "aws-alb": return try AWSALBAdapter(config, children: children)
        case "launchdarkly": return try LaunchDarklyAdapter(config, children: children)
        case "unleash": return try UnleashAdapter(config, children: children)
        case "nginx": return try NginxAdapter(config, children: children)
        case "istio": return try IstioAdapter(config, children: children)
        case "nginx-ingress": return try NginxIngressAdapter(config, children: children)
        case "argo-rollouts": return try ArgoRolloutsAdapter(config, steps: steps, children: children)
        default: throw TrafficError("no built-in traffic adapter \"\(config.adapter)\"")
        }
    }

    /// A decision's move: set, then read back (also after a failed set, so the screen shows what is in effect).
    public static func setAndReadBack(_ adapter: any TrafficAdapter, _ request: TrafficRequest) -> TrafficReading {
        let start = DispatchTime.now().uptimeNanoseconds
        var failure: String?
        do { try adapter.set(percent: request.percent) } catch { failure = "set \(request.percent) % failed: \(error)" }
        var observed: Int?
        do { observed = try adapter.read() } catch {
            if failure == nil { failure = "read-back failed: \(error)" }
        }
        return TrafficReading(adapter: adapter.name, decision: request.decision, intended: request.percent, observed: observed,
                              error: failure, durationMs: elapsedMs(since: start))
    }

    /// A read-back on the timer.
    public static func readBack(_ adapter: any TrafficAdapter) -> TrafficReading {
        let start = DispatchTime.now().uptimeNanoseconds
        do {
            let observed = try adapter.read()
            return TrafficReading(adapter: adapter.name, observed: observed, durationMs: elapsedMs(since: start))
        } catch {
            return TrafficReading(adapter: adapter.name, observed: nil, error: "\(error)", durationMs: elapsedMs(since: start))
        }
    }

    static func elapsedMs(since start: UInt64) -> Millis {
        Millis((DispatchTime.now().uptimeNanoseconds - start) / 1_000_000)
    }
}
