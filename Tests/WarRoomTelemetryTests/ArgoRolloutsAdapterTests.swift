import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// The argo-rollouts adapter against a stand-in kubectl answering with recorded Rollout JSON: each promote or abort
/// moves the Rollout to the state the test recorded for it, as the controller would.
@Suite struct ArgoRolloutsAdapterStandIn {
    static let ramp = [10, 25, 50, 75, 100]
    /// setWeight 10, pause, 25, pause, 50, pause 10m, 75, pause (the implicit 100 after).
    static let steps = ["{\"setWeight\":10}", "{\"pause\":{}}", "{\"setWeight\":25}", "{\"pause\":{}}", "{\"setWeight\":50}",
                        "{\"pause\":{\"duration\":\"10m\"}}", "{\"setWeight\":75}", "{\"pause\":{}}"]

    static func rollout(steps: [String] = steps, index: Int, routed: Int? = nil, abort: Bool = false, phase: String = "Paused",
                        message: String = "CanaryPauseStep", done: Bool = false) -> String {
        let weights = routed.map { ",\"weights\":{\"canary\":{\"podTemplateHash\":\"7f9d6c\",\"serviceName\":\"checkout-canary\",\"weight\":\($0)},"
            + "\"stable\":{\"podTemplateHash\":\"5b8c44\",\"serviceName\":\"checkout-stable\",\"weight\":\(100 - $0)}}" } ?? ""
        return """
        {"apiVersion":"argoproj.io/v1alpha1","kind":"Rollout","metadata":{"name":"checkout","namespace":"shop","generation":12},
         "spec":{"replicas":10,"selector":{"matchLabels":{"app":"checkout"}},
           "strategy":{"canary":{"canaryService":"checkout-canary","stableService":"checkout-stable",
             "trafficRouting":{"istio":{"virtualService":{"name":"checkout","routes":["primary"]}}},
             "steps":[\(steps.joined(separator: ","))]}}},
         "status":{"abort":\(abort),"currentPodHash":"\(done ? "5b8c44" : "7f9d6c")","stableRS":"5b8c44","currentStepIndex":\(index),
           "currentStepHash":"6c9f8d5b7","phase":"\(phase)","message":"\(message)","replicas":10,"readyReplicas":10,
           "canary":{"stepPluginStatuses":[]\(weights)},
           "pauseConditions":[{"reason":"CanaryPauseStep","startTime":"2026-12-01T22:10:00Z"}]}}
        """
    }

    static func adapter(_ k: KubectlStandIn, steps: [Int] = ramp) throws -> any TrafficAdapter {
        try Traffic.adapter(for: TrafficConfig(adapter: "argo-rollouts", settings: ["rollout": "checkout", "namespace": "shop", "kubectl": k.program],
                                               timeoutMs: 10_000), steps: steps)
    }

    static let get = "[get][rollout][checkout][-n][shop][-o][json]"
    static let promote = "[argo][rollouts][promote][checkout][-n][shop]"
    static let abort = "[argo][rollouts][abort][checkout][-n][shop]"

    static func failure(_ body: @escaping @Sendable () throws -> Void) async throws -> String? {
        try await KubectlStandIn.offPool { () -> String? in do { try body(); return nil } catch { return "\(error)" } }
    }

    @Test func goPromotesOnceToTheNextSetWeightAndReadsItBack() async throws {
        let k = try KubectlStandIn(answering: Self.rollout(index: 1, routed: 10))
        try k.write("after-promote-1.json", Self.rollout(index: 3, routed: 25))
        let a = try Self.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 5, percent: 25)) }
        #expect(r.error == nil && r.observed == 25 && r.adapter == "argo-rollouts", "\(r)")
        #expect(k.calls == [Self.get, Self.promote, Self.get, Self.get], "\(k.calls)")
    }

    @Test func settingTheShareInEffectPromotesNothing() async throws {
        let k = try KubectlStandIn(answering: Self.rollout(index: 3, routed: 25))
        try k.write("after-promote-1.json", Self.rollout(index: 5, routed: 50))
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(try Self.adapter(k), TrafficRequest(decision: 5, percent: 25)) }
        #expect(r.error == nil && r.observed == 25)
        #expect(k.calls == [Self.get, Self.get], "no promote: \(k.calls)")
    }

    @Test func aJumpPromotesStepByStepButNeverPastIt() async throws {
        let k = try KubectlStandIn(answering: Self.rollout(index: 1, routed: 10))
        try k.write("after-promote-1.json", Self.rollout(index: 3, routed: 25))
        try k.write("after-promote-2.json", Self.rollout(index: 5, routed: 50, phase: "Paused"))
        try k.write("after-promote-3.json", Self.rollout(index: 7, routed: 75))
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(try Self.adapter(k), TrafficRequest(decision: 6, percent: 50)) }
        #expect(r.error == nil && r.observed == 50, "\(r)")
        #expect(k.calls.filter { $0 == Self.promote }.count == 2, "\(k.calls)")
        // The last step: past the last pause, the Rollout is at 100 (and done once the canary becomes stable).
        try k.write("after-promote-4.json", Self.rollout(index: 8, routed: 0, phase: "Healthy", message: "", done: true))
        let full = try await KubectlStandIn.offPool { Traffic.setAndReadBack(try Self.adapter(k), TrafficRequest(decision: 7, percent: 100)) }
        #expect(full.error == nil && full.observed == 100, "\(full)")
        #expect(k.calls.filter { $0 == Self.promote }.count == 4)
    }

    @Test func aPromoteThatWouldOvershootIsRefused() async throws {
        // No pause between setWeight 25 and 50: one promote from 10 would land on 50.
        let steps = ["{\"setWeight\":10}", "{\"pause\":{}}", "{\"setWeight\":25}", "{\"setWeight\":50}", "{\"pause\":{}}", "{\"setWeight\":75}", "{\"pause\":{}}"]
        let k = try KubectlStandIn(answering: Self.rollout(steps: steps, index: 1))
        let a = try Self.adapter(k)
        let e = try await Self.failure { try a.set(percent: 25) }
        #expect(e == "a promote would take rollout shop/checkout from 10 % to 50 %, past 25 % (no pause between its setWeight steps)", "\(e ?? "")")
        #expect(!k.calls.contains(Self.promote))
        let back = try KubectlStandIn(answering: Self.rollout(index: 5, routed: 50))
        let e2 = try await Self.failure { try Self.adapter(back).set(percent: 25) }
        #expect(e2?.contains("cannot step rollout shop/checkout back from 50 % to 25 %") == true, "\(e2 ?? "")")
    }

    @Test func rollbackAbortsAndReadsZero() async throws {
        let k = try KubectlStandIn(answering: Self.rollout(index: 3, routed: 25))
        try k.write("after-abort-1.json", Self.rollout(index: 3, routed: 0, abort: true, phase: "Degraded",
                                                       message: "RolloutAborted: Rollout aborted update to revision 4"))
        let a = try Self.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 8, percent: 0)) }
        #expect(r.error == nil && r.observed == 0, "\(r)")
        #expect(k.calls == [Self.get, Self.abort, Self.get, Self.get], "\(k.calls)")
        // Aborted already: a rollback changes nothing, a GO is refused by name.
        let again = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 9, percent: 0)) }
        #expect(again.error == nil && again.observed == 0)
        #expect(k.calls.filter { $0 == Self.abort }.count == 1)
        let go = try await Self.failure { try a.set(percent: 25) }
        #expect(go == "rollout shop/checkout is aborted (RolloutAborted: Rollout aborted update to revision 4): `kubectl argo rollouts retry rollout checkout -n shop` restarts its steps", "\(go ?? "")")
    }

    @Test func stepsThatDifferAreRefusedNamingBothLists() async throws {
        let steps = ["{\"setWeight\":20}", "{\"pause\":{}}", "{\"setWeight\":40}", "{\"pause\":{\"duration\":\"1h\"}}"]
        let k = try KubectlStandIn(answering: Self.rollout(steps: steps, index: 1, routed: 20))
        try k.write("after-promote-1.json", Self.rollout(steps: steps, index: 3, routed: 40))
        let a = try Self.adapter(k)
        let expected = "rollout checkout has setWeight steps 20/40/100, ramp.steps are 10/25/50/75/100"
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == expected)
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)) }
        #expect(r.error == "set 25 % failed: " + expected && r.observed == nil, "\(r)")
        #expect(!k.calls.contains(Self.promote), "\(k.calls)")
        // An explicit setWeight: 100 at the end is the same as the implicit one.
        let k2 = try KubectlStandIn(answering: Self.rollout(steps: steps + ["{\"setWeight\":100}"], index: 1, routed: 20))
        #expect(try await KubectlStandIn.offPool { try Self.adapter(k2, steps: [20, 40, 100]).read() } == 20)
    }

    @Test func theRoutersWeightIsWhatIsReadAndAStuckPromoteIsNamed() async throws {
        // argo-rollouts#1294: the controller says setWeight 25, the traffic router still has 0.
        let k = try KubectlStandIn(answering: Self.rollout(index: 3, routed: 0))
        let a = try Self.adapter(k)
        #expect(try await KubectlStandIn.offPool { try a.read() } == 0)
        // Without a traffic router the setWeight is the share.
        try k.write("object.json", Self.rollout(index: 3))
        #expect(try await KubectlStandIn.offPool { try a.read() } == 25)
        // A promote the controller never acts on (no after-promote file): named once settleMs runs out.
        var stuck = try ArgoRolloutsAdapter(TrafficConfig(adapter: "argo-rollouts", settings: ["rollout": "checkout", "namespace": "shop", "kubectl": k.program],
                                                          timeoutMs: 10_000), steps: Self.ramp, children: ChildProcesses())
        stuck.settleMs = 300
        stuck.pollMs = 50
        let frozen = stuck
        let e = try await Self.failure { try frozen.set(percent: 50) }
        #expect(e == "rollout shop/checkout did not move within 300 ms (still at step 3, 25 %)", "\(e ?? "")")
    }

    @Test func degradedAndBrokenAnswersAreNamed() async throws {
        let k = try KubectlStandIn(answering: Self.rollout(index: 3, phase: "Degraded",
                                                           message: "ProgressDeadlineExceeded: ReplicaSet \\\"checkout-7f9d6c\\\" has timed out progressing."))
        let a = try Self.adapter(k)
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == "rollout shop/checkout is Degraded: ProgressDeadlineExceeded: ReplicaSet \"checkout-7f9d6c\" has timed out progressing.")
        try k.write("object.json", Self.rollout(index: 8, phase: "Healthy", message: "", done: true))
        #expect(try await KubectlStandIn.offPool { try a.read() } == 100, "fully promoted")
        #expect(try await Self.failure { try a.set(percent: 10) } == "rollout shop/checkout has no update in progress (fully promoted): deploy the new version, then GO")
        try k.write("object.json", "{\"apiVersion\":\"argoproj.io/v1alpha1\",\"kind\":\"Rollout\",\"spec\":{\"strategy\":{\"blueGreen\":{\"activeService\":\"a\"}}}}")
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == "rollout shop/checkout has no canary steps (spec.strategy.canary.steps)")
        try k.write("object.json", "No resources found in shop namespace.\n")
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == "kubectl get rollout checkout: not a Rollout as JSON")
        try k.write("object.json", Self.rollout(index: 1, routed: 10))
        try k.write("fail", "time=\"2026-12-01T22:41:07Z\" level=fatal msg=\"rollouts.argoproj.io \\\"checkout\\\" not found\"\n")
        let e = try await Self.failure { try a.set(percent: 25) }
        #expect(e?.contains("/kubectl get: exit 1 — time=") == true && e?.hasSuffix("msg=\"rollouts.argoproj.io \\\"checkout\\\" not found\"") == true, "\(e ?? "")")
        try FileManager.default.removeItem(atPath: k.dir + "/fail")
        try k.write("kubectl", "#!/bin/sh\nif [ \"$1\" = argo ]; then echo 'error: unknown command \"argo\" for \"kubectl\"' >&2; exit 1; fi\ncat \"$(dirname \"$0\")/object.json\"\n")
        chmod(k.program, 0o755)
        let noPlugin = try await Self.failure { try a.set(percent: 25) }
        #expect(noPlugin?.hasSuffix("error: unknown command \"argo\" for \"kubectl\"") == true, "\(noPlugin ?? "")")
    }
}
