import WarRoomCore
import Yams

/// A YAML file being read: its text, the diagnostics found so far, and the helpers every loader needs to tie a
/// problem to the line a person would edit (themes and configs share it).
public struct YAMLSource {
    public let text: String
    public let path: String
    public var diagnostics: [Diagnostic] = []

    public init(text: String, path: String) {
        // libyaml reads its own BOM, but a BOM in the middle of a decoded String would not be one.
        self.text = text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text
        self.path = path
    }

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public mutating func error(_ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(.error, line: max(1, line), message))
    }

    public mutating func warning(_ line: Int, _ message: String) {
        diagnostics.append(Diagnostic(.warning, line: max(1, line), message))
    }

    public func line(_ node: Node) -> Int { node.mark?.line ?? 1 }

    /// The text of a source line (1-based), for hints.
    public func sourceLine(_ n: Int) -> Substring? {
        var current = 1
        for l in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }) {
            if current == n { return l }
            current += 1
        }
        return nil
    }

    public static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let s) = node else { return false }
        return s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)
    }

    public static func kind(_ node: Node) -> String {
        switch node {
        case .scalar: isNull(node) ? "nothing" : "a scalar"
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        }
    }

    /// Parses the text into a node tree, or records the YAML error at its line and returns nil.
    public mutating func compose() -> Node? {
        do {
            return try Yams.compose(yaml: text)
        } catch {
            reportYAML(error)
            return nil
        }
    }

    /// Turns a Yams error into a diagnostic with the line libyaml reported.
    public mutating func reportYAML(_ error: Error) {
        guard let yamlError = error as? YamlError else {
            self.error(1, "invalid YAML: \(error)")
            return
        }
        switch yamlError {
        case .scanner(let context, let problem, let mark, _),
             .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            var message = "invalid YAML: \(problem)"
            if let context {
                message = problem.hasPrefix("but ") ? "invalid YAML: \(context.text) \(problem)"
                    : message + " (\(context.text) at line \(context.mark.line))"
            }
            // libyaml notices an unclosed bracket or quote at the end of the file; the line that opened it is
            // the useful one.
            var line = mark.line
            let last = lastContentLine()
            if line > last { line = min(context?.mark.line ?? last, last) }
            if let src = sourceLine(line), src.first == "\t" || src.drop(while: { $0 == " " }).first == "\t" {
                message += "; indent with spaces, not tabs"
            }
            self.error(line, message)
        case .reader(let problem, let offset, _, _):
            var line = 1
            if let offset {
                var seen = 0
                for ch in text {
                    if seen >= offset { break }
                    if ch.isNewline { line += 1 }
                    seen += 1
                }
            }
            self.error(line, "invalid YAML: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams points at the first occurrence; point at the repeat, which is the line to delete.
            let key = duplicates.first ?? ""
            var line = context.mark.line
            if let repeatLine = findRepeat(of: key, after: context.mark.line) { line = repeatLine }
            self.error(line, "duplicate key \"\(key)\" (first at line \(context.mark.line))")
        default:
            self.error(1, "invalid YAML: \(yamlError)")
        }
    }

    /// The last line with anything but white space on it (1 for an empty file).
    public func lastContentLine() -> Int {
        var n = 0, last = 1
        for l in text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }) {
            n += 1
            if l.contains(where: { !$0.isWhitespace }) { last = n }
        }
        return last
    }

    /// Where `key` is repeated in the mapping whose first `key` is on line `first`: a second occurrence on the same
    /// line (flow style), or a later line at the same indentation before the mapping ends (block style).
    func findRepeat(of key: String, after first: Int) -> Int? {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).map(Array.init)
        guard first >= 1, first <= lines.count, !key.isEmpty else { return nil }
        let spellings = [key + ":", "\"" + key + "\":", "'" + key + "':"].map(Array.init)
        func starts(_ l: [Character], at i: Int) -> Bool {
            spellings.contains { sp in i + sp.count <= l.count && Array(l[i..<(i + sp.count)]) == sp }
        }
        func boundary(_ l: [Character], _ i: Int) -> Bool { i == 0 || " \t{,-".contains(l[i - 1]) }
        let head = lines[first - 1]
        let hits = head.indices.filter { starts(head, at: $0) && boundary(head, $0) }
        if hits.count >= 2 { return first }
        guard let column = hits.first, head[..<column].allSatisfy({ $0 == " " || $0 == "-" }) else { return nil }
        for n in first..<lines.count {
            let l = lines[n]
            guard let indent = l.firstIndex(where: { $0 != " " }), l[indent] != "#" else { continue }
            if indent < column { return nil }
            if indent == column, starts(l, at: indent) { return n + 1 }
        }
        return nil
    }

    /// The known word closest to `word` when it is a likely typo (edit distance ≤ 2, and less than its length).
    public static func suggestion(for word: String, in known: [String]) -> String? {
        let w = Array(word.lowercased())
        guard !w.isEmpty, w.count <= 40 else { return nil }
        var best: (String, Int)?
        for k in known {
            let d = editDistance(w, Array(k))
            if d <= 2, d < max(w.count, k.count) / 2 + 1, d < (best?.1 ?? Int.max) { best = (k, d) }
        }
        return best?.0
    }

    /// Optimal-string-alignment distance (a transposition counts as one edit).
    static func editDistance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var d = Array(repeating: Array(repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
