import Foundation
import Testing
@testable import WarRoomCore
@testable import WarRoomTelemetry

/// The aws-alb adapter against a stand-in `aws` (a script in the test's directory) that records its argv and answers
/// `describe-listeners` with a recorded listener description whose default actions `modify-listener` replaces (so the
/// read-back sees what was set, as on AWS).
@Suite struct AWSALBAdapterStandIn {
    static let listener = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop-public/50dc6c495c0c9188/f2f7dc8efc522ab2"
    static let blue = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-blue/73e2d6bc24d8a067"
    static let green = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-green/2453ed029918f21f"
    static let oidc = """
    {"Type":"authenticate-oidc","Order":1,"AuthenticateOidcConfig":{"Issuer":"https://idp.example.com","AuthorizationEndpoint":"https://idp.example.com/authorize","TokenEndpoint":"https://idp.example.com/token","UserInfoEndpoint":"https://idp.example.com/userinfo","ClientId":"warroom-test","OnUnauthenticatedRequest":"authenticate","Scope":"openid","SessionCookieName":"AWSELBAuthSessionCookie","SessionTimeout":604800}}
    """

    /// Default actions as `describe-listeners` prints them: an OIDC action, then forward to `groups` (ARN, weight).
    static func actions(_ groups: [(String, Int)]) -> String {
        let tgs = groups.map { "{\"TargetGroupArn\":\"\($0.0)\",\"Weight\":\($0.1)}" }.joined(separator: ",")
        let single = groups.count == 1 ? "\"TargetGroupArn\":\"\(groups[0].0)\"," : ""
        return "[\(oidc),{\"Type\":\"forward\",\(single)\"Order\":2,\"ForwardConfig\":{\"TargetGroups\":[\(tgs)],"
            + "\"TargetGroupStickinessConfig\":{\"Enabled\":true,\"DurationSeconds\":3600}}}]"
    }

    /// A directory with the stand-in aws and the listener's default actions. `takes`: modify-listener saves what it is
    /// given (false: it answers as if it did, and nothing changes).
    static func standIn(_ groups: [(String, Int)], takes: Bool = true, hang: Bool = false) throws -> String {
        let dir = NSTemporaryDirectory() + "warroom-aws-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try """
        #!/bin/sh
        d="$(dirname "$0")"
        for a in "$@"; do printf '[%s]' "$a"; done >> "$d/calls"; echo >> "$d/calls"
        \(hang ? "exec sleep 30" : "")
        listener() {
          printf '{\\n    "Listeners": [\\n        {"ListenerArn": "\(listener)", "LoadBalancerArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shop-public/50dc6c495c0c9188", "Port": 443, "Protocol": "HTTPS", "Certificates": [{"CertificateArn": "arn:aws:acm:eu-west-1:123456789012:certificate/3f2a"}], "SslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06", "DefaultActions": '
          cat "$d/actions.json"
          printf '}\\n    ]\\n}\\n'
        }
        case "$1 $2" in
          "elbv2 describe-listeners") listener ;;
          "elbv2 modify-listener")
            shift 2
            while [ $# -gt 0 ]; do
              case "$1" in
                --default-actions) \(takes ? "printf '%s' \"$2\" > \"$d/actions.json\";" : "") shift 2 ;;
                *) shift ;;
              esac
            done
            listener ;;
          *) echo "aws: error: argument operation: Invalid choice, valid choices are: ..." >&2; exit 252 ;;
        esac
        """.write(toFile: dir + "/aws", atomically: true, encoding: .utf8)
        chmod(dir + "/aws", 0o755)
        try actions(groups).write(toFile: dir + "/actions.json", atomically: true, encoding: .utf8)
        return dir
    }

    static func adapter(_ dir: String, stable: String = blue, canary: String = green, timeoutMs: Millis = 10_000) throws -> any TrafficAdapter {
        try Traffic.adapter(for: TrafficConfig(adapter: "aws-alb", settings: ["listener": listener, "stable": stable, "canary": canary,
                                                                            "aws": dir + "/aws", "region": "eu-west-1", "profile": "deploy"],
                                               timeoutMs: timeoutMs))
    }

    static func calls(_ dir: String) -> [String] {
        ((try? String(contentsOfFile: dir + "/calls", encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    static func saved(_ dir: String) throws -> [[String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/actions.json"))) as? [[String: Any]])
    }

    @Test func setModifiesTheForwardActionAndReadsItBack() async throws {
        let dir = try Self.standIn([(Self.blue, 1)])
        let a = try Self.adapter(dir)
        #expect(try await GatewayAPIAdapterStandIn.offPool { try a.read() } == 0, "everything forwarded to stable")
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 25)) }
        print("aws-alb (stand-in aws) set + read back: \(r.durationMs) ms")
        #expect(r.error == nil && r.observed == 25 && r.intended == 25, "\(r)")
        let calls = Self.calls(dir)
        let describe = "[elbv2][describe-listeners][--listener-arns][\(Self.listener)][--output][json][--region][eu-west-1][--profile][deploy]"
        #expect(calls.first == describe)
        #expect(calls.last == describe, "read back after the modify")
        let modify = try #require(calls.first { $0.hasPrefix("[elbv2][modify-listener]") })
        #expect(modify.hasPrefix("[elbv2][modify-listener][--listener-arn][\(Self.listener)][--default-actions]["))
        #expect(modify.hasSuffix("][--output][json][--region][eu-west-1][--profile][deploy]"))
        // What modify-listener was given: the OIDC action untouched, the forward action weighted, stickiness kept.
        let actions = try Self.saved(dir)
        #expect(actions.count == 2 && actions[0]["Type"] as? String == "authenticate-oidc")
        #expect((actions[0]["AuthenticateOidcConfig"] as? [String: Any])?["ClientId"] as? String == "warroom-test")
        let forward = actions[1]
        #expect(forward["TargetGroupArn"] == nil, "two groups: only ForwardConfig names them")
        let config = try #require(forward["ForwardConfig"] as? [String: Any])
        let tgs = try #require(config["TargetGroups"] as? [[String: Any]])
        #expect(tgs.map { $0["TargetGroupArn"] as? String } == [Self.blue, Self.green])
        #expect(tgs.map { ($0["Weight"] as? NSNumber)?.intValue } == [75, 25])
        #expect((config["TargetGroupStickinessConfig"] as? [String: Any])?["DurationSeconds"] as? Int == 3600)
        for p in [0, 50, 100] {
            try await GatewayAPIAdapterStandIn.offPool { try a.set(percent: p) }
            #expect(try await GatewayAPIAdapterStandIn.offPool { try a.read() } == p)
        }
    }

    @Test func aModifyThatDidNotTakeIsAMismatch() async throws {
        let dir = try Self.standIn([(Self.blue, 90), (Self.green, 10)], takes: false)
        let a = try Self.adapter(dir)
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 3, percent: 50)) }
        #expect(r.error == nil && r.observed == 10 && r.intended == 50, "\(r)")
    }

    @Test func weightsBecomeAShare() async throws {
        let dir = try Self.standIn([(Self.green, 3), (Self.blue, 1)])
        #expect(try await GatewayAPIAdapterStandIn.offPool { try Self.adapter(dir).read() } == 75)
        try Self.actions([(Self.green, 1)]).write(toFile: dir + "/actions.json", atomically: true, encoding: .utf8)
        #expect(try await GatewayAPIAdapterStandIn.offPool { try Self.adapter(dir).read() } == 100, "forwarded to the canary alone")
    }

    @Test func failuresAreNamed() async throws {
        let dir = try Self.standIn([(Self.blue, 100)])
        let other = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/checkout-red/0000"
        let missing = try Self.adapter(dir, stable: other)
        let e1 = try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(missing).error }
        #expect(e1 == "listener/app/shop-public/50dc6c495c0c9188/f2f7dc8efc522ab2 does not forward to the stable target group targetgroup/checkout-red/0000 (forwards to: targetgroup/checkout-blue/73e2d6bc24d8a067)", "\(e1 ?? "nil")")
        try Self.actions([(Self.blue, 80), (Self.green, 10), (other, 10)]).write(toFile: dir + "/actions.json", atomically: true, encoding: .utf8)
        #expect(try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(try Self.adapter(dir)).error }?.contains("also forwards to targetgroup/checkout-red/0000") == true)
        try "[\(Self.oidc)]".write(toFile: dir + "/actions.json", atomically: true, encoding: .utf8)
        #expect(try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(try Self.adapter(dir)).error }?.contains("has no forward default action (has: authenticate-oidc)") == true)
        try "An error occurred (AccessDenied)".write(toFile: dir + "/actions.json", atomically: true, encoding: .utf8)
        #expect(try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(try Self.adapter(dir)).error }?.contains("not a listener description as JSON") == true)
        let absent = try Self.adapter(dir + "/nowhere")
        let e2 = try await GatewayAPIAdapterStandIn.offPool { Traffic.readBack(absent).error }
        #expect(e2?.contains("cannot run") == true || e2?.contains("No such file") == true, "\(e2 ?? "nil")")
    }

    @Test func aHungAWSCLITimesOut() async throws {
        let dir = try Self.standIn([(Self.blue, 100)], hang: true)
        let a = try Self.adapter(dir, timeoutMs: 500)
        let start = monotonicMs()
        let r = try await GatewayAPIAdapterStandIn.offPool { Traffic.setAndReadBack(a, TrafficRequest(decision: 1, percent: 10)) }
        #expect(r.observed == nil && r.error?.contains("timed out") == true, "\(r)")
        #expect(monotonicMs() - start < 8_000, "two calls of 0.5 s each, not the script's 30 s")
    }
}
