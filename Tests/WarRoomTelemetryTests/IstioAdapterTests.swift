import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// The istio adapter against a stand-in kubectl answering with a recorded VirtualService: route 0 sends testers (a
/// header match) to subset v2 only, route 1 ("primary") splits between subsets v1 (stable) and v2 (canary).
@Suite struct IstioAdapterStandIn {
    static func dest(_ host: String, _ subset: String?, _ weight: Int?) -> String {
        "{\"destination\":{\"host\":\"\(host)\"" + (subset.map { ",\"subset\":\"\($0)\"" } ?? "") + ",\"port\":{\"number\":9080}}"
            + (weight.map { ",\"weight\":\($0)" } ?? "") + "}"
    }

    static func service(_ primary: [String]) -> String {
        """
        {"apiVersion":"networking.istio.io/v1","kind":"VirtualService",
         "metadata":{"name":"reviews","namespace":"shop","resourceVersion":"48213","generation":7},
         "spec":{"hosts":["reviews"],"gateways":["mesh"],"http":[
           {"name":"testers","match":[{"headers":{"end-user":{"exact":"jason"}}}],"route":[\(dest("reviews", "v2", nil))]},
           {"name":"primary","route":[\(primary.joined(separator: ","))],"timeout":"10s"}]}}
        """
    }

    static func split(_ stable: Int?, _ canary: Int?) -> String {
        service([dest("reviews", "v1", stable), dest("reviews", "v2", canary)])
    }

    static func adapter(_ k: KubectlStandIn, http: String = "1", stable: String = "v1", canary: String = "v2") throws -> any TrafficAdapter {
        try Traffic.adapter(for: TrafficConfig(adapter: "istio", settings: ["virtualservice": "reviews", "namespace": "shop", "http": http,
                                                                          "stable": stable, "canary": canary, "kubectl": k.program],
                                               timeoutMs: 10_000))
    }

    static let get = "[get][virtualservice][reviews][-n][shop][-o][json]"

    @Test func setPatchesBothWeightsAndReadsThemBack() async throws {
        let k = try KubectlStandIn(answering: Self.split(100, 0))
        try k.write("after-patch.json", Self.split(75, 25))
        let a = try Self.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 25)) }
        #expect(r.error == nil && r.observed == 25 && r.adapter == "istio", "\(r)")
        #expect(k.calls == [Self.get,
                            "[patch][virtualservice][reviews][-n][shop][--type=json][-p]"
                            + "[[{\"op\":\"add\",\"path\":\"/spec/http/1/route/0/weight\",\"value\":75},"
                            + "{\"op\":\"add\",\"path\":\"/spec/http/1/route/1/weight\",\"value\":25}]]",
                            Self.get], "\(k.calls)")
    }

    @Test func theRouteCanBeNamedAndSettingTheShareInEffectChangesNothing() async throws {
        let k = try KubectlStandIn(answering: Self.split(75, 25))
        let a = try Self.adapter(k, http: "primary")
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 25)) }
        #expect(r.error == nil && r.observed == 25)
        #expect(k.calls == [Self.get, Self.get], "no patch: \(k.calls)")
    }

    @Test func aPatchThatDidNotTakeIsAMismatch() async throws {
        let k = try KubectlStandIn(answering: Self.split(90, 10)) // no after-patch.json
        let a = try Self.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 50)) }
        #expect(r.error == nil && r.intended == 50 && r.observed == 10, "\(r)")
    }

    @Test func destinationsWithoutASubsetAreNamedByHostAndMissingWeightsFollowIstio() async throws {
        // Two Services instead of subsets; weights left out: each is 0 (Istio's rule with more than one destination).
        let hosts = try KubectlStandIn(answering: Self.service([Self.dest("reviews-blue.shop.svc.cluster.local", nil, 30),
                                                                Self.dest("reviews-green.shop.svc.cluster.local", nil, 10)]))
        let byHost = try Self.adapter(hosts, stable: "reviews-blue.shop.svc.cluster.local", canary: "reviews-green.shop.svc.cluster.local")
        #expect(try await KubectlStandIn.offPool { try byHost.read() } == 25)
        try hosts.write("object.json", Self.service([Self.dest("reviews-blue.shop.svc.cluster.local", nil, nil),
                                                     Self.dest("reviews-green.shop.svc.cluster.local", nil, nil)]))
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(byHost).error }?.contains("every destination is at weight 0") == true)
        // Route 0's single destination (subset v2, no weight) takes 100: the canary is served everything there.
        let single = try KubectlStandIn(answering: Self.split(100, 0))
        #expect(try await KubectlStandIn.offPool { try Self.adapter(single, http: "testers").read() } == 100)
        #expect(try await KubectlStandIn.offPool { try Self.adapter(single, http: "0", stable: "v2", canary: "v3").read() } == 0)
    }

    @Test func failuresAreNamed() async throws {
        let k = try KubectlStandIn(answering: Self.split(90, 10))
        let wrongSubset = try Self.adapter(k, canary: "v3")
        let e1 = try await KubectlStandIn.offPool { Traffic.setAndReadBack(wrongSubset, TrafficRequest(decision: 1, percent: 10)).error }
        #expect(e1?.contains("virtualservice shop/reviews http route 1 has no destination \"v3\" (has: v1, v2)") == true, "\(e1 ?? "")")
        let wrongRoute = try Self.adapter(k, http: "canary")
        let e2 = try await KubectlStandIn.offPool { Traffic.readBack(wrongRoute).error }
        #expect(e2 == "virtualservice shop/reviews has no http route canary with destinations (has: 0 testers, 1 primary)", "\(e2 ?? "")")
        let outOfRange = try await KubectlStandIn.offPool { Traffic.readBack(try Self.adapter(k, http: "2")).error }
        #expect(outOfRange?.contains("has no http route 2") == true)
        #expect(!k.calls.contains { $0.hasPrefix("[patch]") }, "nothing patched on a failed lookup")

        try k.write("object.json", Self.service([Self.dest("reviews", "v1", 80), Self.dest("reviews", "v2", 10), Self.dest("reviews", "v0", 10)]))
        let a = try Self.adapter(k)
        let e3 = try await KubectlStandIn.offPool { () -> String? in do { try a.set(percent: 25); return nil } catch { return "\(error)" } }
        #expect(e3?.contains("also sends traffic to v0") == true, "\(e3 ?? "")")

        try k.write("object.json", "error: the server doesn't have a resource type \"virtualservice\"\n")
        #expect(try await KubectlStandIn.offPool { Traffic.readBack(a).error } == "kubectl get virtualservice reviews: not a VirtualService as JSON")

        try k.write("fail", "I1201 22:41:07.123 request.go:697] Waited for 1.1s due to client-side throttling\nError from server (NotFound): virtualservices.networking.istio.io \"reviews\" not found\n")
        let e4 = try await KubectlStandIn.offPool { Traffic.readBack(a).error }
        #expect(e4?.hasSuffix("— Error from server (NotFound): virtualservices.networking.istio.io \"reviews\" not found") == true, "\(e4 ?? "")")
        #expect(throws: TrafficError.self) { try IstioAdapter(TrafficConfig(adapter: "istio", settings: ["virtualservice": "r", "stable": "a", "canary": "b", "http": "-1"]), children: ChildProcesses()) }
    }

    /// A weight no share can come from (negative, huge enough to overflow a sum, fractional) is named, never summed:
    /// the same for the Gateway API's backendRefs and ingress-nginx's annotations.
    @Test(arguments: ["-5", "9223372036854775807", "12.5"]) func aHostileWeightIsNamedNotSummed(_ w: String) async throws {
        let k = try KubectlStandIn(answering: Self.service([Self.dest("reviews", "v1", 100),
                                                            "{\"destination\":{\"host\":\"reviews\",\"subset\":\"v2\"},\"weight\":\(w)}"]))
        let a = try Self.adapter(k)
        let r = try await KubectlStandIn.offPool { Traffic.readBack(a) }
        #expect(r.observed == nil && r.error?.contains("destination \"v2\" has weight") == true, "\(r)")
        let g = try KubectlStandIn(answering: """
            {"kind":"HTTPRoute","spec":{"rules":[{"backendRefs":[{"name":"blue","weight":100},{"name":"green","weight":\(w)}]}]}}
            """)
        let ga = try Traffic.adapter(for: TrafficConfig(adapter: "gateway-api", settings: ["route": "shop", "stable": "blue", "canary": "green",
                                                                                         "kubectl": g.program], timeoutMs: 10_000))
        let gr = try await KubectlStandIn.offPool { Traffic.readBack(ga) }
        #expect(gr.observed == nil && gr.error?.contains("backendRef \"green\" has weight") == true, "\(gr)")
        let n = try KubectlStandIn(answering: """
            {"kind":"Ingress","metadata":{"annotations":{"nginx.ingress.kubernetes.io/canary":"true",
             "nginx.ingress.kubernetes.io/canary-weight":"10","nginx.ingress.kubernetes.io/canary-weight-total":"\(w)"}},"spec":{}}
            """)
        let na = try Traffic.adapter(for: TrafficConfig(adapter: "nginx-ingress", settings: ["ingress": "c", "kubectl": n.program], timeoutMs: 10_000))
        let nr = try await KubectlStandIn.offPool { Traffic.readBack(na) }
        #expect(nr.observed == nil && nr.error?.contains("canary-weight-total is not a whole number") == true, "\(nr.error ?? "")")
    }
}
