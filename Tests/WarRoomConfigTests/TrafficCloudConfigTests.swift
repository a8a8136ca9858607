import Foundation
import Testing
@testable import WarRoomConfig
@testable import WarRoomCore

/// `ramp.traffic:` for the aws-alb, launchdarkly, unleash and nginx adapters: what loads, and each mistake said
/// with the line of the setting to edit.
@Suite struct TrafficCloudConfigFile {
    static let head = "service: checkout\nchecklist: list.md\nramp:\n  steps: [10, 100]\n  traffic:\n"

    /// `lines` are the traffic mapping's settings (from line 6 on).
    static func load(_ lines: [String], environment: [String: String] = ["PATH": "/usr/bin:/bin"]) throws -> (RunConfig?, [String], String) {
        let dir = try scratch()
        let yaml = head + lines.map { "    " + $0 }.joined(separator: "\n") + "\n"
        let (c, d) = ConfigLoader.parse(yaml, path: dir + "/warroom.yaml", environment: environment)
        return (c, d.map { "\($0.line): \($0.severity.rawValue): \($0.message)" }, dir)
    }

    static let listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-public/50dc6c495c0c9188/f2f7dc8efc522ab2"
    static let blue = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-blue/73e2d6bc24d8a067"
    static let green = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-green/2453ed029918f21f"

    @Test func awsALBLoadsAndItsARNsAreChecked() throws {
        let (c, diags, _) = try Self.load(["adapter: aws-alb", "listener: \(Self.listener)", "stable: \(Self.blue)", "canary: \(Self.green)",
                                           "region: eu-west-1", "profile: deploy"])
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.traffic?.settings == ["listener": Self.listener, "stable": Self.blue, "canary": Self.green, "region": "eu-west-1", "profile": "deploy"])
        let (bad, d2, _) = try Self.load(["adapter: aws-alb", "listener: \(Self.listener)", "stable: checkout-blue", "canary: \(Self.green)"])
        #expect(bad?.traffic == nil)
        #expect(d2.contains { $0.hasPrefix("8: error: ramp.traffic.stable (adapter aws-alb) must be a target group ARN") }, "\(d2)")
        let (_, d3, _) = try Self.load(["adapter: aws-alb", "listener: \(Self.blue)", "stable: \(Self.blue)", "canary: \(Self.green)"])
        #expect(d3.contains { $0.hasPrefix("7: error: ramp.traffic.listener (adapter aws-alb) must be a listener ARN") }, "\(d3)")
        let (_, d4, _) = try Self.load(["adapter: aws-alb", "listener: \(Self.listener)", "stable: \(Self.blue)"])
        #expect(d4.contains { $0.hasPrefix("5: error: ramp.traffic (adapter aws-alb) needs canary:") }, "\(d4)")
    }

    @Test func launchDarklyLoadsWithItsTokenNamedNeverHeld() throws {
        let (c, diags, dir) = try Self.load(["adapter: launchdarkly", "project: shop", "flag: new-checkout", "env: production", "stable: old",
                                             "canary: new", "token_file: secrets/ld-token"])
        #expect(diags.isEmpty, "\(diags)")
        #expect(c?.traffic?.settings["token_file"] == dir + "/secrets/ld-token", "relative to the config")
        #expect(c?.traffic?.settings["base_url"] == nil, "the public API by default")
        let (_, warned, _) = try Self.load(["adapter: launchdarkly", "project: shop", "flag: f", "env: production", "stable: old", "canary: new",
                                            "token_env: LD_API_TOKEN"])
        #expect(warned == ["12: warning: ramp.traffic.token_env: environment variable LD_API_TOKEN is not set here (the token is read when the console starts)"])
        let (ok, quiet, _) = try Self.load(["adapter: launchdarkly", "project: shop", "flag: f", "env: production", "stable: old", "canary: new",
                                            "token_env: LD_API_TOKEN"], environment: ["LD_API_TOKEN": "api-x"])
        #expect(quiet.isEmpty && ok?.secretVariables == ["LD_API_TOKEN"])
        #expect(!String(describing: ok!.traffic!).contains("api-x"), "settings never hold the token's value")
    }

    @Test(arguments: [
        (["adapter: launchdarkly", "project: shop", "flag: f", "env: production", "stable: old", "canary: new"],
         "5: error: ramp.traffic (adapter launchdarkly) needs token_env: (a variable holding the API token) or token_file:"),
        (["adapter: launchdarkly", "project: shop", "flag: f", "env: production", "stable: old", "canary: new", "token_env: T", "token_file: t"],
         "13: error: ramp.traffic.token_file (adapter launchdarkly) and token_env both name the token: give one"),
        (["adapter: launchdarkly", "project: shop", "flag: f", "env: production", "stable: old", "canary: new", "token_file: t",
          "base_url: \"https://user:pw@ld.example\""], "13: error: ramp.traffic.base_url (adapter launchdarkly) must be an http:// or https:// URL without credentials"),
        (["adapter: launchdarkly", "project: shop", "flag: new/checkout", "env: production", "stable: old", "canary: new", "token_file: t"],
         "8: error: ramp.traffic.flag (adapter launchdarkly) must be a key, without /, ?, # or spaces (found \"new/checkout\")"),
        (["adapter: launchdarkly", "project: shop", "flag: f", "env: production", "stable: old", "canary: old", "token_file: t"],
         "stable and canary must be two different"),
        (["adapter: unleash", "feature: new-checkout", "env: production", "token_file: t"], "5: error: ramp.traffic (adapter unleash) needs base_url:"),
        (["adapter: unleash", "base_url: unleash.example", "feature: f", "env: production", "token_file: t"],
         "7: error: ramp.traffic.base_url (adapter unleash) must be an http:// or https:// URL"),
        (["adapter: unleash", "base_url: https://unleash.example", "feature: f", "env: production", "token_file: t", "rollout: 5"],
         "11: error: unknown key \"rollout\" in ramp.traffic (adapter unleash)"),
        (["adapter: nginx", "file: w.conf", "upstream: checkout", "stable: 10.0.0.1:8080", "canary: \"10.0.0.2:8080; include /etc/passwd\"", "status: 127.0.0.1:9180"],
         "10: error: ramp.traffic.canary (adapter nginx) must be one word without ; { } quotes # $ or \\ (it is written into nginx's config"),
        (["adapter: nginx", "file: w.conf", "upstream: checkout", "stable: 10.0.0.1:8080", "canary: 10.0.0.2:8080", "status: 9180"],
         "11: error: ramp.traffic.status (adapter nginx) must be an address with a port for warroom's weights server, e.g. 127.0.0.1:9180 (found \"9180\")"),
        (["adapter: nginx", "file: w.conf", "upstream: checkout", "stable: 10.0.0.1:8080", "canary: 10.0.0.2:8080"],
         "5: error: ramp.traffic (adapter nginx) needs status:"),
    ])
    func mistakesAreNamedWithTheirLine(_ lines: [String], _ expected: String) throws {
        let (c, diags, _) = try Self.load(lines)
        #expect(c?.traffic == nil)
        #expect(diags.contains { $0.contains(expected) }, "\(diags)")
    }

    @Test func unleashAndNginxLoad() throws {
        let (u, d1, _) = try Self.load(["adapter: unleash", "base_url: https://unleash.example.com", "project: shop", "feature: new-checkout",
                                        "env: production", "token_env: UNLEASH_ADMIN_TOKEN"], environment: ["UNLEASH_ADMIN_TOKEN": "x"])
        #expect(d1.isEmpty, "\(d1)")
        #expect(u?.traffic?.settings["strategy"] == nil && u?.traffic?.settings["project"] == "shop")
        let (n, d2, dir) = try Self.load(["adapter: nginx", "file: nginx/warroom-checkout.conf", "upstream: checkout", "stable: 10.0.0.1:8080",
                                          "canary: 10.0.0.2:8080", "status: 127.0.0.1:9180", "conf: /etc/nginx/nginx.conf", "timeout: 3s"])
        #expect(d2.isEmpty, "\(d2)")
        #expect(n?.traffic?.settings["file"] == dir + "/nginx/warroom-checkout.conf")
        #expect(n?.traffic?.settings["conf"] == "/etc/nginx/nginx.conf" && n?.traffic?.timeoutMs == 3_000)
    }
}
