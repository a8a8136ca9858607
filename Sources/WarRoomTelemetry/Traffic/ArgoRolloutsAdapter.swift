import Foundation
import WarRoomCore

/// `adapter: argo-rollouts` — an Argo Rollout (`rollout`) with a canary strategy. Argo has no "set weight" command: it
/// steps through the Rollout's own `spec.strategy.canary.steps`, so the ramp's steps must be the Rollout's `setWeight`
/// steps (and the implicit 100 at the end), or every set and read-back fails naming both lists.
/// - GO to N % runs `kubectl argo rollouts promote ROLLOUT -n NS` until the Rollout's current setWeight is N (each
///   promote skips a pause; never one that would carry it past N), waiting after each for the controller to move.
/// - A rollback to 0 % runs `kubectl argo rollouts abort ROLLOUT -n NS`. Argo cannot step back to a lower N > 0.
/// - Read back with `kubectl get rollout ROLLOUT -n NS -o json` (plain kubectl: spec steps and status together):
///   `status.canary.weights.canary.weight` when a traffic router reports it, else the current setWeight as Argo
///   reckons it (the last setWeight at or before `status.currentStepIndex`; 100 past the last step; 0 when aborted).
///   A Rollout with no update in progress (`status.currentPodHash` = `status.stableRS`) is fully promoted: 100 %.
///   A Degraded Rollout that was not aborted is an error naming its message.
public struct ArgoRolloutsAdapter: TrafficAdapter {
    public let name = "argo-rollouts"
    let rollout: KubeResource
    /// The ramp's steps, which the Rollout's setWeight steps must equal.
    let rampSteps: [Int]
    /// How long a promote or abort may take to show in the Rollout's status.
    var settleMs: Millis
    var pollMs: Millis = 250

    public init(_ config: TrafficConfig, steps: [Int], children: ChildProcesses) throws {
        guard let r = config.settings["rollout"] else { throw TrafficError("argo-rollouts needs rollout") }
        rollout = KubeResource(kind: "rollout", title: "a Rollout", name: r, config: config, children: children)
        rampSteps = steps
        settleMs = config.timeoutMs
    }

    /// What the adapter needs of a Rollout.
    struct State: Equatable {
        /// Each canary step: its setWeight, or nil (pause, analysis, …).
        var steps: [Int?]
        var index: Int
        var abort: Bool
        var phase: String
        var message: String
        /// `status.canary.weights.canary.weight`, when a traffic router reports it.
        var routed: Int?
        var inProgress: Bool

        /// The setWeight steps and the implicit 100 at the end.
        var setWeights: [Int] {
            let w = steps.compactMap { $0 }
            return w.last == 100 ? w : w + [100]
        }

        /// The current setWeight, as Argo's own `GetCurrentSetWeight` reckons it.
        var current: Int {
            if !inProgress { return 100 }
            if abort { return 0 }
            guard index < steps.count else { return 100 }
            return steps[...index].last { $0 != nil }.flatMap { $0 } ?? 0
        }

        /// Where one promote lands: the setWeight in effect at the next pause (or 100 past the last step).
        var afterPromote: Int {
            var w = current
            var i = index + 1
            while i < steps.count {
                guard let s = steps[i] else { return w }
                w = s
                i += 1
            }
            return 100
        }

        /// The share in effect: the traffic router's, else the setWeight. Also after an abort: a router that has not
        /// followed it still sends the canary its share.
        var share: Int { inProgress ? (routed ?? current) : current }
    }

    func state() throws -> State {
        let root = try rollout.get()
        guard let raw = KubeResource.dig(root, "spec", "strategy", "canary", "steps") as? [[String: Any]] else {
            throw TrafficError("\(rollout.ref) has no canary steps (spec.strategy.canary.steps)")
        }
        let status = root["status"] as? [String: Any] ?? [:]
        let pod = status["currentPodHash"] as? String
        let stable = status["stableRS"] as? String
        // A garbled index (negative, fractional, beyond any Int) is named: it indexes the steps.
        var index = 0
        if let v = status["currentStepIndex"] {
            guard let n = v as? NSNumber, let i = Int(exactly: n.doubleValue), i >= 0 else {
                throw TrafficError("\(rollout.ref): status.currentStepIndex is \(v), not a whole number ≥ 0")
            }
            index = i
        }
        let s = State(steps: raw.map { KubeResource.int($0["setWeight"]) }, index: index,
                      abort: (status["abort"] as? Bool) ?? false, phase: status["phase"] as? String ?? "",
                      message: status["message"] as? String ?? "",
                      routed: KubeResource.int(KubeResource.dig(status, "canary", "weights", "canary", "weight")),
                      inProgress: pod == nil || pod != stable)
        guard s.setWeights == rampSteps else {
            func list(_ l: [Int]) -> String { l.isEmpty ? "none" : l.map(String.init).joined(separator: "/") }
            throw TrafficError("rollout \(rollout.name) has setWeight steps \(list(s.setWeights)), ramp.steps are \(list(rampSteps))")
        }
        if s.phase == "Degraded" && !s.abort {
            throw TrafficError("\(rollout.ref) is Degraded\(s.message.isEmpty ? "" : ": \(s.message)")")
        }
        return s
    }

    public func read() throws -> Int { try state().share }

    public func set(percent: Int) throws {
        guard (0...100).contains(percent) else { throw TrafficError("share \(percent) % is outside 0–100") }
        var s = try state()
        if percent == 0 {
            guard s.current > 0 else { return }
            guard s.inProgress else {
                throw TrafficError("\(rollout.ref) has no update in progress (fully promoted): abort cannot move traffic back")
            }
            _ = try argo("abort")
            _ = try settle { $0.abort }
            return
        }
        if s.abort {
            throw TrafficError("\(rollout.ref) is aborted\(s.message.isEmpty ? "" : " (\(s.message))"): "
                + "`kubectl argo rollouts retry rollout \(rollout.name) -n \(rollout.namespace)` restarts its steps")
        }
        if !s.inProgress && percent < 100 {
            throw TrafficError("\(rollout.ref) has no update in progress (fully promoted): deploy the new version, then GO")
        }
        guard s.setWeights.contains(percent) else {
            throw TrafficError("\(percent) % is not one of rollout \(rollout.name)'s setWeight steps")
        }
        guard percent >= s.current else {
            throw TrafficError("Argo cannot step \(rollout.ref) back from \(s.current) % to \(percent) %: only an abort (to 0 %)")
        }
        var promotes = 0
        while s.current < percent {
            let next = s.afterPromote
            guard next <= percent, promotes <= s.steps.count else {
                throw TrafficError("a promote would take \(rollout.ref) from \(s.current) % to \(next) %, past \(percent) % (no pause between its setWeight steps)")
            }
            _ = try argo("promote")
            promotes += 1
            let before = s.index
            s = try settle { $0.index > before || $0.abort }
            if s.abort { throw TrafficError("\(rollout.ref) was aborted while promoting") }
        }
    }

    /// `kubectl argo rollouts VERB ROLLOUT -n NS`.
    func argo(_ verb: String) throws -> String {
        try rollout.kubectl.run(["argo", "rollouts", verb, rollout.name, "-n", rollout.namespace])
    }

    /// Reads the Rollout until `moved` holds and a traffic router's weight (if any) has caught up with the setWeight,
    /// for at most `settleMs`; throws when it has not moved by then.
    func settle(_ moved: (State) -> Bool) throws -> State {
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(settleMs) * 1_000_000
        while true {
            let s = try state()
            let routedCaughtUp = s.routed == nil || !s.inProgress || s.routed == s.current
            if moved(s) && routedCaughtUp { return s }
            if DispatchTime.now().uptimeNanoseconds >= deadline {
                if moved(s) { return s }
                throw TrafficError("\(rollout.ref) did not move within \(settleMs % 1000 == 0 ? "\(settleMs / 1000) s" : "\(settleMs) ms") (still at step \(s.index), \(s.current) %)")
            }
            Thread.sleep(forTimeInterval: Double(pollMs) / 1000)
        }
    }
}
