import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// `environment:` — what hooks and `command` sources get beyond the allow-list (PATH, HOME, USER, LOGNAME, SHELL,
/// LANG, LANGUAGE, LC_*, TZ, TMPDIR), and which variables hold secrets.
///
/// ```yaml
/// environment:
///   pass: [KUBECONFIG, AWS_PROFILE]     # handed on from warroom's own environment
///   set: {CLUSTER: prod-eu}             # set to these values
///   secret: [LB_API_KEY]                # values redacted from everything children and servers send back
/// ```
extension ConfigParser {
    static let environmentKeys = ["pass", "set", "secret"]

    mutating func parseEnvironment(_ node: Node, sources: [SourceConfig]) -> EnvironmentConfig? {
        guard case .mapping(let m) = node else {
            src.error(src.line(node), "environment must be a mapping with pass, set, secret (e.g. environment: {pass: [KUBECONFIG]})")
            return nil
        }
        var e = EnvironmentConfig(line: src.line(node))
        var passLines: [String: Int] = [:]
        for (k, v) in m {
            guard let key = key(k, known: Self.environmentKeys, context: "in environment") else { continue }
            switch key {
            case "pass", "secret":
                for (name, line) in variableNames(v, k, "environment.\(key)") {
                    if key == "pass" {
                        guard passLines[name] == nil else {
                            src.error(line, "environment.pass: \(name) is listed twice")
                            continue
                        }
                        passLines[name] = line
                        e.pass.append(name)
                    } else if !e.secret.contains(name) {
                        e.secret.append(name)
                    }
                }
            case "set":
                guard case .mapping(let pairs) = v else {
                    src.error(src.line(v), "environment.set must be a mapping of NAME: value (found \(YAMLSource.kind(v)))")
                    continue
                }
                for (nk, nv) in pairs {
                    guard let name = variableName(nk, "environment.set") else { continue }
                    if name.hasPrefix("WARROOM_") {
                        src.error(src.line(nk), "environment.set: \(name): warroom sets the WARROOM_* variables of a hook itself")
                        continue
                    }
                    guard case .scalar(let s) = nv, !YAMLSource.isNull(nv) else {
                        src.error(src.line(YAMLSource.isNull(nv) ? nk : nv), "environment.set: \(name) must be a string (found \(YAMLSource.kind(nv)))")
                        continue
                    }
                    if s.string.utf8.contains(0) {
                        src.error(src.line(nv), "environment.set: \(name) contains a NUL byte")
                        continue
                    }
                    e.set[name] = s.string
                }
            default: break
            }
        }
        // A token handed to every hook and command source is a secret in more hands: allowed, said out loud.
        for s in sources {
            guard let t = s.tokenEnv else { continue }
            if let line = passLines[t] {
                src.warning(line, "environment.pass: \(t) is source \(s.name)'s token_env: hooks and command sources get the secret (it is still redacted from what they print)")
            }
            if e.set[t] != nil {
                src.warning(e.line, "environment.set: \(t) is source \(s.name)'s token_env: hooks and command sources get a variable of that name")
            }
        }
        for name in e.secret {
            if let line = passLines[name] {
                src.warning(line, "environment.pass: \(name) is listed under environment.secret: hooks and command sources get the secret (it is still redacted from what they print)")
            }
        }
        return e
    }

    /// A list of variable names (or one name), each with its line.
    mutating func variableNames(_ v: Node, _ k: Node, _ what: String) -> [(String, Int)] {
        let items: [Node]
        switch v {
        case .sequence(let s): items = Array(s)
        case .scalar where !YAMLSource.isNull(v): items = [v]
        default:
            src.error(src.line(YAMLSource.isNull(v) ? k : v), "\(what) must be a list of variable names (e.g. [KUBECONFIG, AWS_PROFILE])")
            return []
        }
        return items.compactMap { n in variableName(n, what).map { ($0, src.line(n)) } }
    }

    /// A variable name: letters, digits and `_`, not starting with a digit.
    mutating func variableName(_ n: Node, _ what: String) -> String? {
        guard case .scalar(let s) = n, !YAMLSource.isNull(n) else {
            src.error(src.line(n), "\(what): variable names must be plain words (found \(YAMLSource.kind(n)))")
            return nil
        }
        let name = s.string
        let valid = !name.isEmpty && name.utf8.allSatisfy { b in
            (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
        } && !(name.utf8.first.map { $0 >= 0x30 && $0 <= 0x39 } ?? true)
        guard valid else {
            src.error(src.line(n), "\(what): \"\(name)\" is not a variable name (letters, digits and _, not starting with a digit)")
            return nil
        }
        return name
    }
}
