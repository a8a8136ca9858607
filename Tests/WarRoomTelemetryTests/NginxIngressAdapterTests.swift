import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// The nginx-ingress adapter against a stand-in kubectl answering with a recorded canary Ingress.
@Suite struct NginxIngressAdapterStandIn {
    static func ingress(_ notes: [String: String]) -> String {
        let a = notes.sorted { $0.key < $1.key }.map { "\"nginx.ingress.kubernetes.io/\($0.key)\":\"\($0.value)\"" }
        return """
        {"apiVersion":"networking.k8s.io/v1","kind":"Ingress",
         "metadata":{"name":"checkout-canary","namespace":"shop","generation":3,
           "annotations":{\((a + ["\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\""]).joined(separator: ","))}},
         "spec":{"ingressClassName":"nginx","rules":[{"host":"shop.example.com","http":{"paths":[{"path":"/checkout","pathType":"Prefix",
           "backend":{"service":{"name":"checkout-green","port":{"number":8080}}}}]}}]},
         "status":{"loadBalancer":{"ingress":[{"ip":"203.0.113.7"}]}}}
        """
    }

    static func adapter(_ k: KubectlStandIn) throws -> any TrafficAdapter {
        try Traffic.adapter(for: TrafficConfig(adapter: "nginx-ingress", settings: ["ingress": "checkout-canary", "namespace": "shop",
                                                                                  "kubectl": k.program], timeoutMs: 10_000))
    }

    static let get = "[get][ingress][checkout-canary][-n][shop][-o][json]"
    static func annotate(_ w: Int) -> String {
        "[annotate][ingress][checkout-canary][-n][shop][--overwrite][nginx.ingress.kubernetes.io/canary-weight=\(w)]"
    }

    @Test func setAnnotatesTheWeightAndReadsItBack() async throws {
        let k = try KubectlStandIn(answering: Self.ingress(["canary": "true"])) // no weight yet: 0
        try k.write("after-annotate.json", Self.ingress(["canary": "true", "canary-weight": "25"]))
        let a = try Self.adapter(k)
        #expect(try await KubectlStandIn.offPool { try a.read() } == 0)
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)) }
        #expect(r.error == nil && r.observed == 25, "\(r)")
        #expect(k.calls == [Self.get, Self.get, Self.annotate(25), Self.get], "\(k.calls)")
    }

    @Test func theWeightTotalIsHonouredAndTheShareInEffectChangesNothing() async throws {
        let k = try KubectlStandIn(answering: Self.ingress(["canary": "true", "canary-weight": "250", "canary-weight-total": "1000"]))
        try k.write("after-annotate.json", Self.ingress(["canary": "true", "canary-weight": "500", "canary-weight-total": "1000"]))
        let a = try Self.adapter(k)
        let same = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)) }
        #expect(same.observed == 25 && same.error == nil)
        #expect(k.calls == [Self.get, Self.get], "no annotate: \(k.calls)")
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 50)) }
        #expect(r.observed == 50 && r.error == nil, "\(r)")
        #expect(k.calls.contains(Self.annotate(500)), "\(k.calls)")
    }

    @Test func anAnnotationThatDidNotTakeIsAMismatch() async throws {
        let k = try KubectlStandIn(answering: Self.ingress(["canary": "true", "canary-weight": "10"]))
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(try Self.adapter(k), TrafficRequest(decision: 2, percent: 25)) }
        #expect(r.error == nil && r.intended == 25 && r.observed == 10)
    }

    @Test func failuresAreNamed() async throws {
        let k = try KubectlStandIn(answering: Self.ingress(["canary-weight": "10"]))
        let a = try Self.adapter(k)
        let notCanary = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)).error }
        #expect(notCanary == "set 25 % failed: ingress shop/checkout-canary is not a canary Ingress: it needs the annotation nginx.ingress.kubernetes.io/canary: \"true\"", "\(notCanary ?? "")")
        #expect(!k.calls.contains { $0.hasPrefix("[annotate]") })
        try k.write("object.json", Self.ingress(["canary": "false", "canary-weight": "10"]))
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error }?.contains("is not a canary Ingress") == true)
        try k.write("object.json", Self.ingress(["canary": "true", "canary-weight": "ten"]))
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == "ingress shop/checkout-canary: annotation nginx.ingress.kubernetes.io/canary-weight is not a whole number in 0–1000000 (ten)")
        try k.write("object.json", "")
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == "kubectl get ingress checkout-canary: not an Ingress as JSON")
        try k.write("fail", "Error from server (Forbidden): ingresses.networking.k8s.io \"checkout-canary\" is forbidden: User \"ci\" cannot get resource \"ingresses\"\n")
        let e = try await KubectlStandIn.offPool { Traffic.readBack(a).error }
        #expect(e?.contains("/kubectl get: exit 1 — Error from server (Forbidden)") == true && e?.hasSuffix("cannot get resource \"ingresses\"") == true, "\(e ?? "")")
    }
}
