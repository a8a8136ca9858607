import Foundation
import Testing
@testable import WarRoomConfig
@testable import WarRoomCore

/// `notify:` and `comms:` — each target kind loads; every mistake names its line.
@Suite struct NotifyConfigFile {
    @Test func eachKindLoadsAndTheInlineURLIsJournaledAsItsHostOnly() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: x
            checklist: list.md
            notify:
              ops: {kind: webhook, url: "https://hooks.example/warroom/abc", token_env: OPS_TOKEN, timeout: 3s}
              slack: {kind: slack, url_env: SLACK_WEBHOOK_URL}
              pager: {kind: command, argv: ["./scripts/set-weight", "oncall"]}
            comms: {every: 30m}
            """, in: dir)
        let config = try #require(c, "\(diags)")
        #expect(!diags.contains { $0.contains("error") }, "\(diags)")
        #expect(diags.contains("5: warning: notify target slack: environment variable SLACK_WEBHOOK_URL is not set here (the URL is read when the console starts)"))
        #expect(config.notify == [
            NotifyTarget(name: "ops", kind: .webhook, url: "https://hooks.example/warroom/abc", tokenEnv: "OPS_TOKEN", timeoutMs: 3_000, line: 4),
            NotifyTarget(name: "slack", kind: .slack, urlEnv: "SLACK_WEBHOOK_URL", line: 5),
            NotifyTarget(name: "pager", kind: .command, argv: ["./scripts/set-weight", "oncall"], line: 6),
        ])
        #expect(config.comms == CommsConfig(everyMs: 1_800_000, line: 7))
        #expect(config.redactingCredentials().notify?.first?.url == "https://hooks.example/[redacted]")
        #expect(config.secretVariables.contains("SLACK_WEBHOOK_URL") && config.secretVariables.contains("OPS_TOKEN"))
    }

    @Test func badURLUnknownKindMissingArgvAndMoreNameTheirLines() throws {
        let dir = try scratch()
        let (_, diags) = parse("""
            service: x
            checklist: list.md
            notify:
              a: {kind: webhook, url: "ftp://hooks.example/secret-token"}
              b: {kind: slak, url_env: X}
              c: {kind: command}
              d: {kind: slack}
              e: {url: "https://h.example/x"}
              f: {kind: command, url: "https://h.example/x", argv: ["./scripts/set-weight"]}
              g: {kind: webhook, url: "https://h.example/x", urel: 1}
            comms: {every: 10s}
            """, in: dir)
        let errors = diags.filter { $0.contains("error") }
        #expect(errors.contains("4: error: notify target a: url must be an http:// or https:// URL (found \"ftp://hooks.example/[redacted]\")"))
        #expect(!diags.joined().contains("secret-token"), "a URL is never echoed whole")
        #expect(errors.contains("5: error: notify target b: unknown kind \"slak\"; did you mean \"slack\"? (known: webhook, slack, command)"))
        #expect(errors.contains("6: error: notify target c (command) needs argv: a list of arguments, e.g. [\"./scripts/page\", \"oncall\"]"))
        #expect(errors.contains("7: error: notify target d (slack) needs url, url_env or url_file"))
        #expect(errors.contains("8: error: notify target e needs kind: webhook, slack, command"))
        #expect(errors.contains("9: error: notify target f: url, url_env and url_file only apply to webhook and slack"))
        #expect(errors.contains { $0.hasPrefix("10: error: unknown key \"urel\" in notify target g; did you mean \"url\"?") })
        #expect(errors.contains("11: error: comms: every must be at least 1m"))
    }

    @Test func anInlineSlackURLIsAWarning() throws {
        let dir = try scratch()
        let (_, diags) = parse("""
            service: x
            checklist: list.md
            notify:
              slack: {kind: slack, url: "https://hooks.slack.com/services/T0/B0/x"}
            """, in: dir)
        #expect(diags.contains { $0.hasPrefix("4: warning: notify target slack: a Slack webhook URL holds its token") })
    }
}
