import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// Keys and scalar values, each checked with the line to edit.
extension ConfigParser {
    mutating func key(_ node: Node, known: [String], context: String) -> String? {
        guard case .scalar(let s) = node, !YAMLSource.isNull(node) else {
            src.error(src.line(node), "keys \(context) must be plain names (found \(YAMLSource.kind(node)))")
            return nil
        }
        guard known.contains(s.string) else {
            var message = "unknown key \"\(s.string)\" \(context)"
            if let near = YAMLSource.suggestion(for: s.string, in: known) { message += "; did you mean \"\(near)\"?" }
            message += " (known: \(known.joined(separator: ", ")))"
            src.error(src.line(node), message)
            return nil
        }
        return s.string
    }

    func describe(_ node: Node) -> String {
        if case .scalar(let s) = node, !YAMLSource.isNull(node) { return "\"\(s.string)\"" }
        return YAMLSource.kind(node)
    }

    mutating func string(_ v: Node, _ k: Node, _ what: String) -> String? {
        guard case .scalar(let s) = v, !YAMLSource.isNull(v) else {
            src.error(src.line(YAMLSource.isNull(v) ? k : v), "\(what) must be a string (found \(YAMLSource.kind(v)))")
            return nil
        }
        return s.string
    }

    mutating func bool(_ v: Node, _ k: Node, _ what: String) -> Bool? {
        if case .scalar(let s) = v {
            switch s.string.lowercased() {
            case "true", "yes": return true
            case "false", "no": return false
            default: break
            }
        }
        src.error(src.line(YAMLSource.isNull(v) ? k : v), "\(what) must be true or false (found \(describe(v)))")
        return nil
    }

    mutating func duration(_ v: Node, _ k: Node, _ what: String) -> Millis? {
        guard case .scalar(let s) = v, !YAMLSource.isNull(v), let d = DurationText.parse(s.string) else {
            src.error(src.line(YAMLSource.isNull(v) ? k : v), "\(what): \(describe(v)) is not a duration (write e.g. 30s, 5m, 1h30m)")
            return nil
        }
        return d
    }

    mutating func stringMap(_ v: Node, _ k: Node, _ what: String) -> [String: String]? {
        guard case .mapping(let m) = v, m.count > 0 else {
            src.error(src.line(v), "\(what) must be a mapping of label: value (found \(YAMLSource.kind(v)))")
            return nil
        }
        var out: [String: String] = [:]
        for (mk, mv) in m {
            guard case .scalar(let ks) = mk, case .scalar(let vs) = mv, !YAMLSource.isNull(mv) else {
                src.error(src.line(mk), "\(what) entries must be label: value")
                continue
            }
            out[ks.string] = vs.string
        }
        return out
    }

    /// A hook or command: a list of strings, never a shell line. Checks the program exists when asked to.
    mutating func argv(_ v: Node, _ k: Node, _ what: String) -> [String]? {
        guard case .sequence(let seq) = v, !seq.isEmpty else {
            var message = "\(what) must be a list of arguments, e.g. [\"./scripts/set-weight\", \"checkout\", \"{percent}\"] (found \(YAMLSource.kind(v)))"
            if case .scalar = v, !YAMLSource.isNull(v) { message += "; commands never run through a shell" }
            src.error(src.line(YAMLSource.isNull(v) ? k : v), message)
            return nil
        }
        var out: [String] = []
        for n in seq {
            guard case .scalar(let s) = n, !YAMLSource.isNull(n) else {
                src.error(src.line(n), "\(what): every argument must be a string (found \(YAMLSource.kind(n)))")
                return nil
            }
            out.append(s.string)
        }
        for a in HookTemplate.embeddedPlaceholders(out) {
            src.error(src.line(v), "\(what): a placeholder inside \"\(a)\" would stay literal: placeholders substitute whole arguments only (pass it as its own argument)")
        }
        if checkFiles, let program = out.first {
            if let problem = HookPlaceholders.programProblem(program, directory: directory, environment: environment) {
                src.error(src.line(v), "\(what): \(problem)")
            }
        }
        return out
    }
}
