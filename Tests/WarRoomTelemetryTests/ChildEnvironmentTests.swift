import Foundation
import Testing

@testable import WarRoomTelemetry
import WarRoomCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hooks and command sources get an allow-list environment, never all of warroom's, and what they print comes back
/// without the secrets warroom knows.
@Suite struct ChildProcessEnvironment {
    /// warroom's own environment as a console would have it: a token, an unrelated secret, a kube config.
    let parent: [String: String] = [
        "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        "HOME": "/home/dana", "USER": "dana", "LANG": "C.UTF-8", "LC_TIME": "en_GB.UTF-8", "TERM": "xterm-256color",
        "PROM_TOKEN": "prom-t0ken-9f8e7d", "FOO_SECRET": "foo-s3cret-value", "KUBECONFIG": "/home/dana/.kube/prod",
        "AWS_SECRET_ACCESS_KEY": "aws-s3cret", "http_proxy": "http://u:pw@proxy:3128",
    ]

    func names(_ stdout: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in stdout.split(separator: "\n") {
            guard let eq = line.firstIndex(of: "=") else { continue }
            out[String(line[..<eq])] = String(line[line.index(after: eq)...])
        }
        return out
    }

    @Test func theAllowListAndWhatTheConfigAdds() {
        #expect(ChildEnvironment().variables(from: parent) == [
            "PATH": parent["PATH"]!, "HOME": "/home/dana", "USER": "dana", "LANG": "C.UTF-8", "LC_TIME": "en_GB.UTF-8",
        ])
        let configured = ChildEnvironment(pass: ["KUBECONFIG", "NOT_SET_HERE"], set: ["CLUSTER": "prod-eu", "HOME": "/srv"])
        #expect(configured.variables(from: parent) == [
            "PATH": parent["PATH"]!, "HOME": "/srv", "USER": "dana", "LANG": "C.UTF-8", "LC_TIME": "en_GB.UTF-8",
            "KUBECONFIG": "/home/dana/.kube/prod", "CLUSTER": "prod-eu",
        ])
        #expect(ChildEnvironment.isAllowed("LC_ALL") && !ChildEnvironment.isAllowed("LC_") && !ChildEnvironment.isAllowed("TERM"))
    }

    @Test func aHookRunningEnvSeesPathAndWarroomVariablesOnly() async {
        let children = ChildProcesses(environment: ChildEnvironment(parent: parent))
        let spec = children.spec(argv: ["env"], variables: HookTemplate.environment(values: ["percent": "25", "service": "checkout"]),
                                 timeoutMs: 5_000)
        let outcome = await ProcessRunner.run(spec)
        #expect(outcome.ok, "\(outcome.summary) \(outcome.tail)")
        let seen = names(outcome.stdout)
        #expect(seen["PATH"] == parent["PATH"])
        #expect(seen["WARROOM_PERCENT"] == "25" && seen["WARROOM_SERVICE"] == "checkout")
        #expect(seen["PROM_TOKEN"] == nil && seen["FOO_SECRET"] == nil && seen["KUBECONFIG"] == nil && seen["TERM"] == nil)
        // Nothing else of the test runner's environment either.
        let strays = seen.keys.filter { !ChildEnvironment.isAllowed($0) && !$0.hasPrefix("WARROOM_") }
        #expect(strays.isEmpty, "\(strays.sorted())")
    }

    @Test func aPassedVariableArrives() async {
        let children = ChildProcesses(environment: ChildEnvironment(pass: ["KUBECONFIG"], set: ["CLUSTER": "prod-eu"], parent: parent))
        let outcome = await ProcessRunner.run(children.spec(argv: ["env"], timeoutMs: 5_000))
        let seen = names(outcome.stdout)
        #expect(seen["KUBECONFIG"] == "/home/dana/.kube/prod" && seen["CLUSTER"] == "prod-eu")
        #expect(seen["PROM_TOKEN"] == nil)
    }

    @Test func secretsAreRedactedFromStdoutTailAndFailures() async throws {
        let secret = "prom-t0ken-9f8e7d"
        let children = ChildProcesses(environment: ChildEnvironment(parent: parent), redactor: Redactor(secrets: [secret, "foo-s3cret-value"]))
        // On stdout and stderr; split by an escape sequence; and straddling the 200-character cut of a tail line.
        let long = String(repeating: "x", count: 190)
        let script = """
            echo "token=\(secret)"
            printf 'prom-t0\\033[1mken-9f8e7d\\n' >&2
            echo "\(long)\(secret)"
            echo "and foo-s3cret-value" >&2
            exit 4
            """
        let outcome = await ProcessRunner.run(children.spec(argv: ["/bin/sh", "-c", script], timeoutMs: 5_000))
        #expect(outcome.termination == .exited(4))
        let all = outcome.stdout + outcome.tail.joined(separator: "\n")
        #expect(!all.contains("t0ken-9f"), "\(all)")
        #expect(!all.contains("s3cret"), "\(all)")
        #expect(outcome.stdout.contains("token=[redacted]"))
        #expect(outcome.tail.contains("[redacted]") && outcome.tail.contains("and [redacted]"), "\(outcome.tail)")
        #expect(outcome.tail.contains { $0.hasPrefix(long) && $0.hasSuffix("[redacted]…") || $0 == long + "[redacted]" }, "\(outcome.tail)")

        let missing = await ProcessRunner.run(children.spec(argv: ["/nonexistent/\(secret)/hook"], timeoutMs: 5_000))
        #expect(missing.summary == "cannot run /nonexistent/[redacted]/hook: No such file or directory", "\(missing.summary)")
    }

    @Test func aCommandSourcePrintingASecretReadsAsARedactedFailure() async {
        let secret = "prom-t0ken-9f8e7d"
        let children = ChildProcesses(environment: ChildEnvironment(parent: parent), redactor: Redactor(secrets: [secret]))
        func read(_ script: String) async -> Reading {
            await withCheckedContinuation { done in
                _ = CommandSourceReader.start(argv: ["/bin/sh", "-c", script], timeoutMs: 5_000, children: children) { done.resume(returning: $0) }
            }
        }
        #expect(await read("echo \(secret)") == .failure("output is not a number: \"[redacted]\""))
        #expect(await read("echo \"curl: 401 for \(secret)\" >&2; exit 7") == .failure("exit 7: curl: 401 for [redacted]"))
        #expect(await read("echo 0.25") == .value(0.25))
    }
}
