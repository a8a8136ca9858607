import Foundation
import Testing
@testable import WarRoomConfig
@testable import WarRoomCore

/// `environment:` — what hooks and command sources get beyond the allow-list, and which variables are secrets.
@Suite struct EnvironmentConfigFile {
    @Test func passSetAndSecretLoad() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: x
            checklist: list.md
            sources:
              prom: {prometheus: "http://127.0.0.1:9090", token_env: PROM_TOKEN}
            environment:
              pass: [KUBECONFIG, AWS_PROFILE]
              set: {CLUSTER: prod-eu, LB_API_KEY: "k3y-v4lue"}
              secret: [LB_API_KEY, VAULT_TOKEN]
            """, in: dir)
        let config = try #require(c, "\(diags)")
        #expect(!diags.contains { $0.contains("error") }, "\(diags)")
        #expect(config.environment == EnvironmentConfig(pass: ["KUBECONFIG", "AWS_PROFILE"],
                                                        set: ["CLUSTER": "prod-eu", "LB_API_KEY": "k3y-v4lue"],
                                                        secret: ["LB_API_KEY", "VAULT_TOKEN"], line: 6))
        #expect(config.secretVariables == ["PROM_TOKEN", "LB_API_KEY", "VAULT_TOKEN"])
        // The journaled config never holds a secret's value.
        let journaled = config.redactingCredentials()
        #expect(journaled.environment?.set == ["CLUSTER": "prod-eu", "LB_API_KEY": "[redacted]"])
    }

    @Test func passingATokenToChildrenIsAWarning() throws {
        let dir = try scratch()
        let (c, diags) = parse("""
            service: x
            checklist: list.md
            sources:
              prom: {prometheus: "http://127.0.0.1:9090", token_env: PROM_TOKEN}
            environment:
              pass:
                - KUBECONFIG
                - PROM_TOKEN
                - VAULT_TOKEN
              secret: [VAULT_TOKEN]
            """, in: dir)
        #expect(c != nil, "\(diags)")
        #expect(diags.contains { $0.hasPrefix("8: warning: environment.pass: PROM_TOKEN is source prom's token_env: hooks and command sources get the secret") }, "\(diags)")
        #expect(diags.contains { $0.hasPrefix("9: warning: environment.pass: VAULT_TOKEN is listed under environment.secret") }, "\(diags)")
    }

    @Test(arguments: [
        ("environment: [KUBECONFIG]\n", "3: error: environment must be a mapping with pass, set, secret"),
        ("environment: {passs: [A]}\n", "3: error: unknown key \"passs\" in environment; did you mean \"pass\"?"),
        ("environment:\n  pass: [KUBE-CONFIG]\n", "4: error: environment.pass: \"KUBE-CONFIG\" is not a variable name"),
        ("environment:\n  pass:\n    - A\n    - 9LIVES\n", "6: error: environment.pass: \"9LIVES\" is not a variable name"),
        ("environment:\n  pass: [A, B, A]\n", "4: error: environment.pass: A is listed twice"),
        ("environment:\n  pass: {A: 1}\n", "4: error: environment.pass must be a list of variable names"),
        ("environment:\n  secret: [\"A=B\"]\n", "4: error: environment.secret: \"A=B\" is not a variable name"),
        ("environment:\n  set: [A]\n", "4: error: environment.set must be a mapping of NAME: value"),
        ("environment:\n  set:\n    A: x\n    WARROOM_PERCENT: \"100\"\n", "6: error: environment.set: WARROOM_PERCENT: warroom sets the WARROOM_* variables of a hook itself"),
        ("environment:\n  set:\n    A: [x]\n", "5: error: environment.set: A must be a string"),
    ])
    func problemsNameTheLine(_ tail: String, _ expected: String) throws {
        let dir = try scratch()
        let (c, diags) = parse("service: x\nchecklist: list.md\n" + tail, in: dir)
        #expect(diags.contains { $0.hasPrefix(expected) }, "\(diags)")
        #expect(c == nil)
    }
}
