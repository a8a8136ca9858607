import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// A stand-in LaunchDarkly REST API on 127.0.0.1: one flag (recorded JSON of `GET /api/v2/flags/{project}/{flag}`)
/// whose production fallthrough a semantic patch changes, as the real API does.
final class FakeLaunchDarkly: @unchecked Sendable {
    static let token = "api-7f3c1e0b-5d2a-4c8e-9b61-d04fa7e21c55"
    static let ids = ["e432f62b-55f6-49dd-a02f-eb24acf39d05", "a00bf58d-d252-476c-b915-15a74becacb4", "5b7c1e4d-0f3a-4e8b-a2c9-7d6e5f4a3b21"]
    let lock = NSLock()
    /// The fallthrough: a variation index, or rollout weights by index.
    var fixed: Int? = 1
    var weights: [Int] = []
    var on = true
    /// Overrides the answer to every request (errors, hangs).
    var answer: LoopbackHTTPServer.Answer?
    var server: TestHTTPServer!

    init() throws {
        server = try TestHTTPServer { [unowned self] r in self.handle(r) }
    }

    deinit { server.stop() }

    func state<T>(_ f: () -> T) -> T { lock.lock(); defer { lock.unlock() }; return f() }

    func flagJSON() -> String {
        let served = fixed.map { "{\"variation\":\($0)}" }
            ?? "{\"rollout\":{\"variations\":[\(weights.enumerated().map { "{\"variation\":\($0),\"weight\":\($1)}" }.joined(separator: ","))],\"bucketBy\":\"key\",\"contextKind\":\"user\"}}"
        return """
        {"_links":{"parent":{"href":"/api/v2/flags/shop","type":"application/json"},"self":{"href":"/api/v2/flags/shop/new-checkout","type":"application/json"}},
         "_maintainer":{"email":"ops@example.com","role":"writer"},"archived":false,"clientSideAvailability":{"usingEnvironmentId":false,"usingMobileKey":false},
         "creationDate":1733011200000,"customProperties":{},"deprecated":false,"description":"The new checkout flow","includeInSnippet":false,
         "key":"new-checkout","kind":"multivariate","maintainerId":"569f183514f4432160000007","name":"New checkout","tags":["checkout"],"temporary":true,
         "variations":[{"_id":"\(Self.ids[0])","value":"v1","name":"old"},{"_id":"\(Self.ids[1])","value":"v2","name":"new"},
                       {"_id":"\(Self.ids[2])","value":"v3","name":"next"}],
         "version":7,
         "environments":{"production":{"_environmentName":"Production","_site":{"href":"/shop/production/features/new-checkout","type":"text/html"},
           "archived":false,"lastModified":1733011200000,"on":\(on),"offVariation":0,"prerequisites":[],"rules":[],"targets":[],"contextTargets":[],
           "salt":"61eddeadbeef4da1facecafe3a3a3a3a","sel":"810edf3fd1e24f4c9f2d8e7c6b5a4938","trackEvents":false,"trackEventsFallthrough":false,"version":12,
           "fallthrough":\(served)}}}
        """
    }

    func handle(_ r: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Answer {
        state {
            if let answer { return answer }
            guard r.headers["authorization"] == Self.token else {
                return .json("{\"code\":\"unauthorized\",\"message\":\"Invalid access token\"}", status: 401)
            }
            guard r.path == "/api/v2/flags/shop/new-checkout" else {
                return .json("{\"code\":\"not_found\",\"message\":\"Unknown resource\"}", status: 404)
            }
            switch r.method {
            case "GET":
                return .json(flagJSON())
            case "PATCH":
                guard r.headers["content-type"] == "application/json; domain-model=launchdarkly.semanticpatch",
                      let body = try? JSONSerialization.jsonObject(with: Data(r.body)) as? [String: Any],
                      body["environmentKey"] as? String == "production",
                      let i = (body["instructions"] as? [[String: Any]])?.first, i["kind"] as? String == "updateFallthroughVariationOrRollout",
                      let w = i["rolloutWeights"] as? [String: Int] else {
                    return .json("{\"code\":\"invalid_request\",\"message\":\"Invalid semantic patch\"}", status: 400)
                }
                guard w.values.reduce(0, +) == 100_000 else {
                    return .json("{\"code\":\"invalid_request\",\"message\":\"rollout weights must sum to 100000\"}", status: 400)
                }
                fixed = nil
                weights = Self.ids.map { w[$0] ?? 0 }
                return .json(flagJSON())
            default:
                return .json("{\"code\":\"method_not_allowed\",\"message\":\"Method not allowed\"}", status: 405)
            }
        }
    }
}

@Suite struct LaunchDarklyAdapterLocal {
    static func adapter(_ fake: FakeLaunchDarkly, stable: String = "old", canary: String = "new", timeoutMs: Millis = 5_000,
                        environment: [String: String] = ["LD_API_TOKEN": FakeLaunchDarkly.token], settings: [String: String] = [:]) throws -> any TrafficAdapter {
        var s = ["project": "shop", "flag": "new-checkout", "env": "production", "stable": stable, "canary": canary,
                 "base_url": fake.server.baseURL + "/", "token_env": "LD_API_TOKEN"]
        for (k, v) in settings { s[k] = v }
        return try Traffic.adapter(for: TrafficConfig(adapter: "launchdarkly", settings: s, timeoutMs: timeoutMs),
                                   children: ChildProcesses(environment: ChildEnvironment(parent: environment)))
    }

    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T { try await GatewayAPIAdapterStandIn.offPool(body) }

    @Test func setPatchesTheFallthroughRolloutAndReadsItBack() async throws {
        let fake = try FakeLaunchDarkly()
        let a = try Self.adapter(fake)
        #expect(try await Self.offPool { try a.read() } == 100, "everyone gets \"new\" (variation 1)")
        let r = try await Self.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)) }
        print("launchdarkly (local server) set + read back: \(r.durationMs) ms")
        #expect(r.error == nil && r.observed == 25 && r.intended == 25, "\(r)")
        #expect(fake.state { fake.weights } == [75_000, 25_000, 0])
        let patch = try #require(fake.server.received.first { $0.method == "PATCH" })
        #expect(patch.headers["authorization"] == FakeLaunchDarkly.token, "the token as is, not Bearer")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(patch.body)) as? [String: Any])
        let i = try #require((body["instructions"] as? [[String: Any]])?.first)
        #expect(i["rolloutWeights"] as? [String: Int] == [FakeLaunchDarkly.ids[0]: 75_000, FakeLaunchDarkly.ids[1]: 25_000, FakeLaunchDarkly.ids[2]: 0])
        try await Self.offPool { try a.set(percent: 40) }
        #expect(try #require(fake.server.received.last { $0.method == "PATCH" }).body.count > 0)
        let second = try #require(try JSONSerialization.jsonObject(with: Data(fake.server.received.last { $0.method == "PATCH" }!.body)) as? [String: Any])
        let i2 = try #require((second["instructions"] as? [[String: Any]])?.first)
        #expect(i2["rolloutBucketBy"] as? String == "key" && i2["rolloutContextKind"] as? String == "user", "the rollout's bucketing kept")
        #expect(try await Self.offPool { try a.read() } == 40)
        #expect(fake.server.received.allSatisfy { $0.target.hasPrefix("/api/v2/flags/shop/new-checkout") })
        #expect(fake.server.received.filter { $0.method == "GET" }.allSatisfy { $0.target.hasSuffix("?env=production") })
    }

    @Test func variationsAreNamedByNameValueOrIndex() async throws {
        let fake = try FakeLaunchDarkly()
        for (stable, canary) in [("v1", "v3"), ("0", "2"), ("old", "next")] {
            let a = try Self.adapter(fake, stable: stable, canary: canary)
            try await Self.offPool { try a.set(percent: 10) }
            #expect(fake.state { fake.weights } == [90_000, 0, 10_000], "\(stable)/\(canary)")
            #expect(try await Self.offPool { try a.read() } == 10)
        }
    }

    @Test func whatIsNotTheRampIsNamed() async throws {
        let fake = try FakeLaunchDarkly()
        let missing = try Self.adapter(fake, canary: "newest")
        #expect(try await Self.offPool { Traffic.readBack(missing).error } == "launchdarkly flag shop/new-checkout has no variation \"newest\" (has: 0 old, 1 new, 2 next)")
        let a = try Self.adapter(fake)
        fake.state { fake.fixed = 2 }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("serves variation 2 to everyone: neither old nor new") == true)
        fake.state { fake.fixed = nil; fake.weights = [50_000, 25_000, 25_000] }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("gives 25.0 % to variations other than old and new") == true)
        fake.state { fake.weights = [75_000, 25_000, 0]; fake.on = false }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("is off") == true)
        let wrongEnv = try Self.adapter(fake, settings: ["env": "staging"])
        #expect(try await Self.offPool { Traffic.readBack(wrongEnv).error }?.contains("has no environment \"staging\" (has: production)") == true)
    }

    @Test func httpFailuresAreNamed() async throws {
        let fake = try FakeLaunchDarkly()
        let wrongToken = try Self.adapter(fake, environment: ["LD_API_TOKEN": "api-00000000-wrong"])
        #expect(try await Self.offPool { Traffic.readBack(wrongToken).error } == "launchdarkly GET /api/v2/flags/shop/new-checkout?env=production: HTTP 401 — unauthorized: Invalid access token")
        let unknown = try Self.adapter(fake, settings: ["flag": "old-checkout"])
        #expect(try await Self.offPool { Traffic.readBack(unknown).error }?.contains("HTTP 404 — not_found: Unknown resource") == true)
        let a = try Self.adapter(fake)
        fake.state { fake.answer = .text("<html><body>502 Bad Gateway</body></html>", status: 502, contentType: "text/html") }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.hasSuffix("HTTP 502 — <html><body>502 Bad Gateway</body></html>") == true)
        fake.state { fake.answer = .text("<html>maintenance</html>", status: 200, contentType: "text/html") }
        #expect(try await Self.offPool { Traffic.readBack(a).error }?.contains("the answer is not JSON (starts \"<html>maintenance</html>\")") == true)
        let refused = try Self.adapter(fake, settings: ["base_url": "http://127.0.0.1:\(TestHTTPServer.refusedPort())"])
        #expect(try await Self.offPool { Traffic.readBack(refused).error }?.contains("connection refused") == true)
    }

    @Test func aHungServerTimesOut() async throws {
        let fake = try FakeLaunchDarkly()
        fake.state { fake.answer = .hang }
        let a = try Self.adapter(fake, timeoutMs: 400)
        let start = monotonicMs()
        let r = try await Self.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 1, percent: 10)) }
        #expect(r.observed == nil && r.error?.contains("timed out") == true, "\(r)")
        #expect(monotonicMs() - start < 5_000)
    }

    @Test func theTokenIsNeverInAText() async throws {
        let fake = try FakeLaunchDarkly()
        let t = FakeLaunchDarkly.token
        let a = try Self.adapter(fake)
        var errors: [String] = []
        for answer: LoopbackHTTPServer.Answer in [
            .json("{\"code\":\"forbidden\",\"message\":\"Access token \(t) lacks the writer role\"}", status: 403),
            .text("Authorization: \(t)\nrejected", status: 400),
            .text("not json, token \(t)", status: 200),
            .text("cut token \(t.prefix(20))…", status: 500),
            .json("{\"variations\":[{\"_id\":\"x\",\"name\":\"\(t)\"}],\"environments\":{\"production\":{}}}"),
        ] {
            fake.state { fake.answer = answer }
            let r = try await Self.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 1, percent: 10)) }
            errors.append(try #require(r.error))
        }
        for e in errors {
            #expect(!e.contains(t) && !e.contains(t.prefix(12)), "\(e)")
            #expect(e.contains("[redacted]"), "\(e)")
        }
        // Not at all without the variable; a token file works (trimmed).
        #expect(throws: TrafficError.self) { try Self.adapter(fake, environment: [:]) }
        do { _ = try Self.adapter(fake, environment: [:]) } catch { #expect("\(error)" == "launchdarkly: environment variable LD_API_TOKEN is not set (token_env)") }
        let file = NSTemporaryDirectory() + "warroom-ld-token-\(getpid())-\(UUID().uuidString.prefix(8))"
        try (t + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        defer { unlink(file) }
        fake.state { fake.answer = nil }
        var s = ["project": "shop", "flag": "new-checkout", "env": "production", "stable": "old", "canary": "new", "base_url": fake.server.baseURL, "token_file": file]
        s["token_env"] = nil
        let b = try Traffic.adapter(for: TrafficConfig(adapter: "launchdarkly", settings: s), children: ChildProcesses(environment: ChildEnvironment(parent: [:])))
        #expect(try await Self.offPool { try b.read() } == 100)
    }
}
