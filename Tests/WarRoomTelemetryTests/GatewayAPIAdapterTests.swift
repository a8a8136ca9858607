import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// The gateway-api adapter against a stand-in `kubectl` (a script in the test's directory) that records its argv and
/// answers with recorded HTTPRoute JSON.
@Suite struct GatewayAPIAdapterStandIn {
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await KubectlStandIn.offPool(body) }

    static func route(stable: Int?, canary: Int?) -> String {
        func ref(_ name: String, _ w: Int?) -> String { "{\"group\":\"\",\"kind\":\"Service\",\"name\":\"\(name)\",\"port\":8080" + (w.map { ",\"weight\":\($0)" } ?? "") + "}" }
        return """
        {"apiVersion":"gateway.networking.k8s.io/v1","kind":"HTTPRoute","metadata":{"name":"checkout","namespace":"shop"},
         "spec":{"parentRefs":[{"name":"public"}],"rules":[{"matches":[{"path":{"type":"PathPrefix","value":"/health"}}],
           "backendRefs":[{"name":"checkout-blue","port":8080}]},
          {"backendRefs":[\(ref("checkout-blue", stable)),\(ref("checkout-green", canary))]}]}}
        """
    }

    /// A directory with the stand-in kubectl and the route it answers with.
    static func standIn(stable: Int?, canary: Int?) throws -> String {
        try KubectlStandIn(answering: route(stable: stable, canary: canary)).dir
    }

    static func adapter(_ dir: String) throws -> any TrafficAdapter {
        try Traffic.adapter(for: TrafficConfig(adapter: "gateway-api", settings: ["route": "checkout", "namespace": "shop", "rule": "1",
                                                                                "stable": "checkout-blue", "canary": "checkout-green",
                                                                                "kubectl": dir + "/kubectl"], timeoutMs: 10_000))
    }

    static func calls(_ dir: String) -> [String] { KubectlStandIn(dir: dir).calls }

    @Test func setPatchesBothWeightsAndReadsThemBack() async throws {
        let dir = try Self.standIn(stable: 100, canary: 0)
        try Self.route(stable: 75, canary: 25).write(toFile: dir + "/after-patch.json", atomically: true, encoding: .utf8)
        let a = try Self.adapter(dir)
        let r = try await Self.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 4, percent: 25)) }
        #expect(r.error == nil && r.observed == 25, "\(r)")
        let calls = Self.calls(dir)
        #expect(calls.first == "[get][httproute][checkout][-n][shop][-o][json]")
        #expect(calls.contains("[patch][httproute][checkout][-n][shop][--type=json][-p]"
            + "[[{\"op\":\"add\",\"path\":\"/spec/rules/1/backendRefs/0/weight\",\"value\":75},"
            + "{\"op\":\"add\",\"path\":\"/spec/rules/1/backendRefs/1/weight\",\"value\":25}]]"), "\(calls)")
        #expect(calls.last == "[get][httproute][checkout][-n][shop][-o][json]", "read back after the patch")
    }

    @Test func aPatchThatDidNotTakeIsAMismatch() async throws {
        let dir = try Self.standIn(stable: 100, canary: 0) // no after-patch.json: the route stays as it was
        let a = try Self.adapter(dir)
        let r = try await Self.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 4, percent: 25)) }
        #expect(r.error == nil && r.observed == 0 && r.intended == 25)
    }

    @Test func missingWeightsWeighOne() async throws {
        let dir = try Self.standIn(stable: nil, canary: nil)
        let a = try Self.adapter(dir)
        #expect(try await Self.offPool { try a.read() } == 50)
    }

    @Test func failuresAreNamed() async throws {
        let dir = try Self.standIn(stable: 90, canary: 10)
        let wrong = try Traffic.adapter(for: TrafficConfig(adapter: "gateway-api", settings: ["route": "checkout", "rule": "1", "stable": "checkout-blue",
                                                                                            "canary": "nope", "kubectl": dir + "/kubectl"]))
        let e1 = try await Self.offPool { Traffic.readBack(wrong).error }
        #expect(e1?.contains("has no backendRef \"nope\" (has: checkout-blue, checkout-green)") == true)
        try "not json".write(toFile: dir + "/object.json", atomically: true, encoding: .utf8)
        let a = try Self.adapter(dir)
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("not an HTTPRoute as JSON") == true)
        let missing = try Traffic.adapter(for: TrafficConfig(adapter: "gateway-api", settings: ["route": "r", "stable": "a", "canary": "b",
                                                                                              "kubectl": dir + "/no-such-kubectl"]))
        #expect(try await Self.offPool { Traffic.readBack(missing).error } != nil)
    }
}
