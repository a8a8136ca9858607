import Foundation
import WarRoomCore

/// The environment a hook or a `command` source starts from: an allow-list of this process's environment, never all
/// of it (a token in `token_env`, a cloud credential, a proxy URL with a password would otherwise reach every child,
/// and through its output the screen, the journal and every follower).
///
/// Allowed: `PATH`, `HOME`, `USER`, `LOGNAME`, `SHELL`, `LANG`, `LANGUAGE`, `LC_*`, `TZ`, `TMPDIR`. Not `TERM`: a
/// child has no terminal (its own session, output to pipes). Then the variables named in `pass`, then `set`; the
/// caller's own variables (a hook's `WARROOM_*`) are added last by `ProcessSpec.environment`.
public struct ChildEnvironment: Sendable, Equatable {
    public static let allowed: [String] = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR"]
    public static let allowedPrefixes: [String] = ["LC_"]

    /// More names handed on from this process's environment (config `environment.pass`).
    public var pass: [String]
    /// Set to these values (config `environment.set`).
    public var set: [String: String]
    /// The environment the allowed and passed variables are taken from; nil: this process's (tests give one).
    public var parent: [String: String]?

    public init(pass: [String] = [], set: [String: String] = [:], parent: [String: String]? = nil) {
        self.pass = pass
        self.set = set
        self.parent = parent
    }

    public init(_ config: EnvironmentConfig?) {
        self.init(pass: config?.pass ?? [], set: config?.set ?? [:])
    }

    public static func isAllowed(_ name: String) -> Bool {
        allowed.contains(name) || allowedPrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// The child's environment before the caller's own variables: the allowed names and `pass` from `parent` (or
    /// this process's environment), then `set`.
    public func variables() -> [String: String] {
        variables(from: parent ?? ProcessInfo.processInfo.environment)
    }

    public func variables(from parent: [String: String]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in parent where Self.isAllowed(name) || pass.contains(name) {
            out[name] = value
        }
        for (name, value) in set { out[name] = value }
        return out
    }
}

/// How warroom starts its children (hooks, `command` sources): the environment they get and the secrets taken out of
/// what they print. Built once from the config and the environment by the CLI.
public struct ChildProcesses: Sendable, Equatable {
    public var environment: ChildEnvironment
    public var redactor: Redactor

    public init(environment: ChildEnvironment = ChildEnvironment(), redactor: Redactor = Redactor()) {
        self.environment = environment
        self.redactor = redactor
    }

    /// A spec for `argv` with this environment and redactor; `variables` (a hook's `WARROOM_*`) are set last.
    /// `endLeftBehind`: what the child leaves running after it ends is ended and reported (hooks).
    public func spec(argv: [String], variables: [String: String] = [:], workingDirectory: String? = nil,
                     timeoutMs: Int64, endLeftBehind: Bool = false) -> ProcessSpec {
        ProcessSpec(argv: argv, environment: variables, base: environment, redactor: redactor,
                    workingDirectory: workingDirectory, timeoutMs: timeoutMs, endLeftBehind: endLeftBehind)
    }
}
