import Foundation
import Testing
@testable import WarRoomCLI
import WarRoomCore
import WarRoomTelemetry

/// What the console's redactor is built from: every secret value warroom knows for a run.
@Suite struct KnownSecrets {
    @Test func tokensFilesURLPasswordsAndSecretVariables() throws {
        let dir = tempDir("secrets")
        try "file-t0ken-abc\n".write(toFile: dir + "/token", atomically: true, encoding: .utf8)
        var config = RunConfig(path: nil, service: "x", checklist: "c.md", plan: RampPlan(steps: []), sources: [
            SourceConfig(name: "prom", kind: .prometheus(url: "https://grafana:p%40ss-w0rd@mimir.example/prometheus"), tokenEnv: "PROM_TOKEN"),
            SourceConfig(name: "alerts", kind: .alertmanager(url: "http://am.example:9093"), tokenFile: dir + "/token"),
            SourceConfig(name: "queue", kind: .command(argv: ["./q"])),
        ])
        config.environment = EnvironmentConfig(pass: ["KUBECONFIG"], set: ["LB_KEY": "lb-k3y-value"], secret: ["LB_KEY", "VAULT_TOKEN"])
        let environment = ["PROM_TOKEN": "env-t0ken-xyz", "VAULT_TOKEN": "vault-s3cret", "KUBECONFIG": "/etc/kube", "HOME": "/root"]
        let secrets = knownSecrets(config: config, environment: environment)
        let basic = Data("grafana:p@ss-w0rd".utf8).base64EncodedString()
        for s in ["env-t0ken-xyz", "vault-s3cret", "lb-k3y-value", "file-t0ken-abc\n", "p%40ss-w0rd", "p@ss-w0rd", basic] {
            #expect(secrets.contains(s), "\(s)")
        }
        #expect(!secrets.contains("/etc/kube") && !secrets.contains("/root"))

        let children = childProcesses(config: config, environment: environment)
        #expect(children.environment.pass == ["KUBECONFIG"] && children.environment.set == ["LB_KEY": "lb-k3y-value"])
        let r = children.redactor
        #expect(r.redact("401 for Bearer env-t0ken-xyz and file-t0ken-abc, Basic \(basic), p@ss-w0rd, vault-s3cret")
                == "401 for Bearer [redacted] and [redacted], Basic [redacted], [redacted], [redacted]")
        #expect(urlUserinfo("http://u:p@h:1/x@y") == "u:p" && urlUserinfo("http://h/a@b") == nil)
    }

    @Test func theTrafficAdaptersTokenIsASecret() throws {
        let dir = tempDir("secrets")
        try "api-ld-t0ken-file\n".write(toFile: dir + "/ld-token", atomically: true, encoding: .utf8)
        var config = RunConfig(path: nil, service: "x", checklist: "c.md", plan: RampPlan(steps: []), sources: [])
        config.traffic = TrafficConfig(adapter: "launchdarkly", settings: ["token_file": dir + "/ld-token"])
        #expect(knownSecrets(config: config, environment: [:]).contains("api-ld-t0ken-file"))
        config.traffic = TrafficConfig(adapter: "unleash", settings: ["token_env": "UNLEASH_TOKEN"])
        #expect(config.secretVariables == ["UNLEASH_TOKEN"])
        let children = childProcesses(config: config, environment: ["UNLEASH_TOKEN": "user:unl3ash-t0ken"])
        #expect(children.redactor.redact("hook saw user:unl3ash-t0ken") == "hook saw [redacted]")
    }
}
