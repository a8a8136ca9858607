import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// Hostile and edge-case answers for the Kubernetes traffic adapters (review): each case once made an adapter trap,
/// read a share the cluster does not route, or fail on a valid object.
@Suite struct KubeAdaptersReview {
    typealias Argo = ArgoRolloutsAdapterStandIn
    typealias Istio = IstioAdapterStandIn
    typealias Nginx = NginxIngressAdapterStandIn

    // MARK: argo-rollouts

    /// A garbled status.currentStepIndex (negative, or a number no Int holds) is named, never a trap.
    @Test(arguments: ["-1", "-9223372036854775808", "1e30", "2.5"]) func aHostileStepIndexIsNamedNotATrap(_ index: String) async throws {
        let json = Argo.rollout(index: 3).replacingOccurrences(of: "\"currentStepIndex\":3", with: "\"currentStepIndex\":\(index)")
        let k = try KubectlStandIn(answering: json)
        let a = try Argo.adapter(k)
        let e = try await KubectlStandIn.offPool { Traffic.readBack(a).error }
        #expect(e?.contains("currentStepIndex") == true, "\(e ?? "read a share")")
    }

    /// A setWeight or router weight no Int holds reads as a mismatch or an error, never a trap.
    @Test func hugeWeightsAreNotATrap() async throws {
        let routed = Argo.rollout(index: 3, routed: 25).replacingOccurrences(of: "\"weight\":25", with: "\"weight\":1e30")
        let k = try KubectlStandIn(answering: routed)
        _ = try await KubectlStandIn.offPool { Traffic.readBack(try Argo.adapter(k)) }
        let steps = Argo.rollout(index: 3).replacingOccurrences(of: "{\"setWeight\":25}", with: "{\"setWeight\":-1e30}")
        try k.write("object.json", steps)
        let e = try await KubectlStandIn.offPool { Traffic.readBack(try Argo.adapter(k)).error }
        #expect(e != nil)
    }

    /// An abort whose traffic router still sends the canary its share: the read-back says so, not 0 %.
    @Test func anAbortTheRouterHasNotFollowedIsNotReadAsZero() async throws {
        let k = try KubectlStandIn(answering: Argo.rollout(index: 3, routed: 25))
        try k.write("after-abort-1.json", Argo.rollout(index: 3, routed: 25, abort: true, phase: "Degraded", message: "RolloutAborted"))
        var a = try ArgoRolloutsAdapter(TrafficConfig(adapter: "argo-rollouts", settings: ["rollout": "checkout", "namespace": "shop", "kubectl": k.program],
                                                      timeoutMs: 10_000), steps: Argo.ramp, children: ChildProcesses())
        a.settleMs = 300
        a.pollMs = 50
        let frozen = a
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(frozen, TrafficRequest(decision: 8, percent: 0)) }
        #expect(r.observed == 25, "the router still routes 25 % to the canary: \(r)")
    }

    /// A status that lags: the promote shows only after a few reads; the adapter waits for it.
    @Test func aLaggingStatusIsWaitedFor() async throws {
        let k = try KubectlStandIn(answering: Argo.rollout(index: 1, routed: 10))
        try k.write("after-promote-1.json", Argo.rollout(index: 1, routed: 10)) // the controller has not acted yet
        let a = try Argo.adapter(k)
        let dir = k.dir
        Thread {
            usleep(700_000)
            try? Argo.rollout(index: 3, routed: 25).write(toFile: dir + "/object.json", atomically: true, encoding: .utf8)
        }.start()
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 5, percent: 25)) }
        #expect(r.error == nil && r.observed == 25, "\(r)")
    }

    // MARK: istio

    /// Two destinations with the same subset (on different hosts): which one is meant cannot be told; the share of
    /// the first alone is not the canary's share.
    @Test func duplicateDestinationNamesAreNamed() async throws {
        let k = try KubectlStandIn(answering: Istio.service([Istio.dest("reviews", "v1", 50), Istio.dest("reviews", "v2", 25),
                                                            Istio.dest("reviews-eu", "v2", 25)]))
        let a = try Istio.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.readBack(a) }
        #expect(r.error?.contains("2 destinations \"v2\"") == true, "\(r)")
    }

    /// `http: "1"` when route 0 is named "1": the index and the name disagree; neither route is silently picked.
    @Test func aRouteNamedByANumberThatIsAlsoAnotherIndexIsAmbiguous() async throws {
        let vs = """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService","metadata":{"name":"reviews","namespace":"shop"},
         "spec":{"hosts":["reviews"],"http":[
           {"name":"1","route":[\(Istio.dest("reviews", "v1", 90)),\(Istio.dest("reviews", "v2", 10))]},
           {"name":"0","route":[\(Istio.dest("reviews", "v1", 50)),\(Istio.dest("reviews", "v2", 50))]}]}}
        """
        let k = try KubectlStandIn(answering: vs)
        let a = try Istio.adapter(k, http: "1")
        let r = try await KubectlStandIn.offPool { Traffic.readBack(a) }
        #expect(r.error?.contains("ambiguous") == true, "\(r)")
        // A number that is only a name (no route at that index) selects by name.
        let k2 = try KubectlStandIn(answering: vs.replacingOccurrences(of: "\"name\":\"1\"", with: "\"name\":\"2024\""))
        #expect(try await KubectlStandIn.offPool { try Istio.adapter(k2, http: "2024").read() } == 10)
    }

    // MARK: nginx-ingress

    /// ingress-nginx reads canary-weight with Go's strconv.Atoi: " 25" is invalid there (weight 0), so it cannot be
    /// read as 25 here.
    @Test(arguments: [" 25", "25 ", "25%", "25.0"]) func aWeightNginxCannotParseIsNamed(_ raw: String) async throws {
        let k = try KubectlStandIn(answering: Nginx.ingress(["canary": "true", "canary-weight": raw]))
        let a = try Nginx.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.readBack(a) }
        #expect(r.error?.contains("canary-weight") == true, "\(r)")
    }

    /// ingress-nginx reads `canary` with Go's strconv.ParseBool: "True" and "1" enable it too.
    @Test(arguments: ["True", "TRUE", "1", "t"]) func canaryTrueAsGoSpellsIt(_ raw: String) async throws {
        let k = try KubectlStandIn(answering: Nginx.ingress(["canary": raw, "canary-weight": "25"]))
        #expect(try await KubectlStandIn.offPool { try Nginx.adapter(k).read() } == 25)
    }

    // MARK: all

    /// kubectl's warnings on stderr do not spoil the JSON on stdout.
    @Test func warningsOnStderrAreIgnored() async throws {
        let k = try KubectlStandIn(answering: Istio.split(75, 25))
        try k.write("kubectl", "#!/bin/sh\necho 'Warning: networking.istio.io/v1alpha3 VirtualService is deprecated' >&2\n"
                    + "echo 'W1201 23:59:59.000000 1 client.go:1] throttled' >&2\ncat \"$(dirname \"$0\")/object.json\"\n")
        chmod(k.program, 0o755)
        #expect(try await KubectlStandIn.offPool { try Istio.adapter(k).read() } == 25)
    }

    /// A large object (a Rollout's pod template and last-applied annotation easily pass 64 KiB) is still read.
    @Test func aLargeObjectIsRead() async throws {
        let pad = String(repeating: "x", count: 300_000)
        let vs = Istio.split(75, 25).replacingOccurrences(of: "\"generation\":7", with: "\"generation\":7,\"annotations\":{\"big\":\"\(pad)\"}")
        let k = try KubectlStandIn(answering: vs)
        let r = try await KubectlStandIn.offPool { Traffic.readBack(try Istio.adapter(k)) }
        #expect(r.error == nil && r.observed == 25, "\(r.error ?? "")")
    }
}
