import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// Answers no real service should give but a broken or hostile one can: the console says what is wrong and goes on,
/// it never traps (an overflow, a duplicate dictionary key) nor reports a share outside 0–100.
@Suite struct TrafficHostileAnswers {
    @Test func weightsThatAreNoShareAreNil() {
        #expect(HAProxyAdapter.share(stable: Int.max, canary: 1) == nil, "no overflow trap")
        #expect(HAProxyAdapter.share(stable: 1, canary: Int.max / 50) == nil)
        #expect(HAProxyAdapter.share(stable: 105, canary: -5) == nil, "not -4 %")
        #expect(HAProxyAdapter.share(stable: -100, canary: 200) == nil, "not 200 %")
        #expect(HAProxyAdapter.share(stable: 75, canary: 25) == 25)
    }

    @Test func aLaunchDarklyRolloutWithAHugeOrNegativeWeightIsAnError() async throws {
        let fake = try FakeLaunchDarkly()
        let a = try LaunchDarklyAdapterLocal.adapter(fake)
        for weights in [[1, Int.max, 0], [Int.max / 2, Int.max / 2, 0], [105_000, -5_000, 0], [-100_000, 200_000, 0]] {
            fake.state { fake.fixed = nil; fake.weights = weights }
            let r = try await LaunchDarklyAdapterLocal.offPool { Traffic.readBack(a) }
            #expect(r.observed == nil && r.error?.contains("not 0–100000") == true, "\(weights): \(r)")
        }
    }

    @Test func aLaunchDarklyFlagWhoseVariationsHaveNoIdsIsRefusedNotACrash() async throws {
        let fake = try FakeLaunchDarkly()
        let a = try LaunchDarklyAdapterLocal.adapter(fake)
        let json = fake.flagJSON().replacingOccurrences(of: #""_id":"[^"]*","#, with: "", options: .regularExpression)
        fake.state { fake.answer = .json(json) }
        let r = try await LaunchDarklyAdapterLocal.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 2, percent: 25)) }
        #expect(r.error?.contains("no distinct _id") == true, "\(r)")
        #expect(!fake.server.received.contains { $0.method == "PATCH" })
    }

    @Test func anALBWeightOutside0To999IsNamed() async throws {
        typealias S = AWSALBAdapterStandIn
        for bad in [-5, 1_000_000_000, Int.max] {
            let dir = try S.standIn([(S.blue, 105), (S.green, bad)])
            let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(try! S.adapter(dir)) }
            #expect(r.observed == nil && r.error?.contains("weighs targetgroup/checkout-green/2453ed029918f21f \(bad), not 0–999") == true, "\(r)")
        }
    }

    /// A server that echoes the Authorization header in an answer that is not JSON: the part of the token cut off at
    /// the quote's 60 characters is taken out as the whole token is.
    @Test func anEchoedTokenCutByTheQuoteIsRedacted() async throws {
        let fake = try FakeLaunchDarkly()
        let a = try LaunchDarklyAdapterLocal.adapter(fake)
        fake.state { fake.answer = .text("You sent Authorization: \(FakeLaunchDarkly.token) and that is wrong") }
        let r = try await LaunchDarklyAdapterLocal.offPool { Traffic.readBack(a) }
        let error = try #require(r.error)
        #expect(!error.contains(String(FakeLaunchDarkly.token.prefix(12))), "\(error)")
        #expect(error.contains("not JSON"))
    }

    /// `nginx -s reload` fails (nginx is not running): the file goes back as it was, so a later start or reload does
    /// not move real traffic to a step the journal says was never made.
    @Test func aFailedNginxReloadPutsTheFileBack() async throws {
        let fake = try NginxAdapterStandIn.Fake()
        let a = try fake.adapter(timeoutMs: 500)
        try await GatewayAPIAdapterStandIn.offPool { try a.set(percent: 10) }
        let before = try String(contentsOfFile: fake.dir + "/w.conf", encoding: .utf8)
        try """
        #!/bin/sh
        case " $* " in
          *" -s "*) echo 'nginx: [error] open() "/run/nginx.pid" failed (2: No such file or directory)' >&2; exit 1 ;;
        esac
        exit 0
        """.write(toFile: fake.dir + "/nginx", atomically: true, encoding: .utf8)
        chmod(fake.dir + "/nginx", 0o755)
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 50)) }
        #expect(r.error?.contains("nginx.pid") == true, "\(r)")
        #expect(try String(contentsOfFile: fake.dir + "/w.conf", encoding: .utf8) == before, "the step that failed is not left on disk")
    }

    /// The OIDC action kept in front of the forward: AWS wants its client secret back, or UseExistingClientSecret.
    @Test func anOIDCActionKeepsItsSecretOnModify() async throws {
        typealias S = AWSALBAdapterStandIn
        let dir = try S.standIn([(S.blue, 100), (S.green, 0)])
        try await GatewayAPIAdapterStandIn.offPool { try S.adapter(dir).set(percent: 10) }
        let oidc = try #require(try S.saved(dir).first?["AuthenticateOidcConfig"] as? [String: Any])
        #expect(oidc["UseExistingClientSecret"] as? Bool == true, "\(oidc)")
    }
}
