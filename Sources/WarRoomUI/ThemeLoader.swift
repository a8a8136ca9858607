// Theme files: parsing, validation (`warroom lint`) and choosing the theme at start-up.
//
// Format (YAML; see themes/*.yaml):
//
//     name: light                 # optional; defaults to the file name without .yaml
//     monochrome: false           # optional; true = attributes only, colours ignored
//     roles:
//       text: {fg: black, bg: default}
//       ok: green                 # shorthand for {fg: green}
//       crit: {fg: white, bg: red, bold: true}
//       selection: {reverse: true}
//
// - Roles: text, background, ok, warn, crit, unknown, accent, muted, border, title, selection.
// - Role keys: fg, bg (colours) and bold, reverse, underline, dim (true/false).
// - Colours: black red green yellow blue magenta cyan white, bright-black (also gray/grey), bright-red … bright-white;
//   an integer 0–255 (xterm palette); "#rrggbb" (quoted: an unquoted # starts a YAML comment); `default` (the
//   terminal's own colour). Names are case-insensitive.
// - Overlay: a file is laid over a base theme — the built-in `default`, or the built-in `monochrome` when the file
//   says `monochrome: true`. Roles the file does not name keep the base's style; a role it names is merged field by
//   field: only the keys written change (`crit: {underline: true}` keeps crit's colours and bold, adds underline;
//   `bold: false` removes bold).
// - Errors: anything unknown or malformed is an error at the 1-based line of the offending node; a theme with any
//   error is not used. Warnings (the theme is still used): colours in a monochrome theme; a role whose foreground and
//   background are the same colour.

import Foundation
import WarRoomCore
import WarRoomYAML
import Yams

/// Why a theme could not be chosen. The description is ready to print (`file:line: error: …` where there is a file).
public enum ThemeError: Error, Sendable, Hashable, CustomStringConvertible {
    /// A name that is neither a file in the search directories nor built in.
    case unknownName(String, available: [String])
    /// The file could not be read.
    case unreadable(path: String, reason: String)
    /// The file has errors (warnings are included but were not the reason).
    case invalid(path: String, diagnostics: [Diagnostic])

    public var description: String {
        switch self {
        case .unknownName(let name, let available):
            return "unknown theme \"\(name)\" (available: \(available.joined(separator: ", ")); or give a path to a .yaml file)"
        case .unreadable(let path, let reason):
            return "\(path): error: cannot read theme: \(reason)"
        case .invalid(let path, let diagnostics):
            return diagnostics.map { $0.formatted(path: path) }.joined(separator: "\n")
        }
    }
}

public enum ThemeLoader {
    /// The built-in theme names, in cycle order (default → light → high-contrast → monochrome).
    public static var builtinNames: [String] { Theme.builtinOrder }
    /// The same as `Theme.builtinOrder`: the order the theme key cycles through.
    public static let builtinOrder: [String] = Theme.builtinOrder

    /// A built-in theme by name (case-insensitive), or nil.
    public static func builtin(_ name: String) -> Theme? {
        switch name.lowercased() {
        case "default": Theme.builtinDefault
        case "light": Theme.builtinLight
        case "high-contrast": Theme.builtinHighContrast
        case "monochrome": Theme.builtinMonochrome
        default: nil
        }
    }

    /// Roles in the order the format documents them (and error messages list them).
    static let roleOrder: [Role] = [.ok, .warn, .crit, .unknown, .accent, .muted, .border, .title, .selection, .text,
                                    .background]
    static let topKeys = ["name", "monochrome", "roles"]

    /// A file `lint` should read as a theme: a top-level key of a theme's (`name:`, `monochrome:`, `roles:`) at the
    /// start of a line. An empty file, a scalar or a list is not (lint reads those as a config and says what one holds).
    public static func looksLikeTheme(_ text: String) -> Bool {
        text.split(separator: "\n").contains { line in topKeys.contains { line.hasPrefix($0 + ":") } }
    }
    static let roleKeys = ["fg", "bg", "bold", "reverse", "underline", "dim"]
    static let colourNames: [String: UInt8] = [
        "black": 0, "red": 1, "green": 2, "yellow": 3, "blue": 4, "magenta": 5, "cyan": 6, "white": 7,
        "bright-black": 8, "gray": 8, "grey": 8, "bright-red": 9, "bright-green": 10, "bright-yellow": 11,
        "bright-blue": 12, "bright-magenta": 13, "bright-cyan": 14, "bright-white": 15,
    ]
    static let colourHelp = "use a name, 0–255, #rrggbb or default"

    // MARK: Parsing

    /// Parses a theme file laid over the built-in default (or the built-in monochrome theme when the file says
    /// `monochrome: true`). The theme is nil when there is any error; warnings leave it usable.
    public static func parse(_ text: String, path: String) -> (theme: Theme?, diagnostics: [Diagnostic]) {
        parse(text, path: path, over: nil)
    }

    /// Parses a theme file laid over `base` (nil: the built-in default, or monochrome for `monochrome: true`).
    /// With an empty base (`Theme(name: "", roles: [:])`) the result holds exactly what the file says.
    public static func parse(_ text: String, path: String, over base: Theme?) -> (theme: Theme?, diagnostics: [Diagnostic]) {
        var p = FileParser(text: text, path: path)
        let theme = p.run(base: base)
        let hasError = p.diagnostics.contains { $0.severity == .error }
        return (hasError ? nil : theme, p.diagnostics.sorted { $0.line < $1.line })
    }

    /// Validates a theme file's bytes (`warroom lint`): errors and warnings, each with its line.
    public static func lint(bytes: [UInt8], path: String) -> [Diagnostic] {
        load(bytes: bytes, path: path).diagnostics
    }

    /// Decodes (strict UTF-8, optional BOM) and parses a theme file.
    public static func load(bytes: [UInt8], path: String) -> (theme: Theme?, diagnostics: [Diagnostic]) {
        var body = bytes[...]
        if body.starts(with: [0xEF, 0xBB, 0xBF]) { body = body.dropFirst(3) }
        if let bad = StrictUTF8.firstInvalid(body) {
            return (nil, [Diagnostic(.error, line: bad.line, "the file is not valid UTF-8 (byte \(bad.column) of line \(bad.line))")])
        }
        return parse(String(decoding: body, as: UTF8.self), path: path)
    }

    // MARK: Choosing the theme

    /// Chooses the theme at start-up. Precedence: `NO_COLOR` set to anything non-empty → monochrome, whatever else
    /// is asked; else `nameOrPath` (`--theme`); else `WARROOM_THEME` (when non-empty); else `default`.
    /// A value containing "/" or ending in .yaml/.yml is a file path; otherwise it is a name: `NAME.yaml` (or .yml)
    /// in the first of `searchDirs` that has it, else a built-in theme.
    public static func resolve(_ nameOrPath: String?, environment: [String: String],
                               searchDirs: [String]) -> Result<Theme, ThemeError> {
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return .success(Theme.builtinMonochrome) }
        let choice: String
        if let explicit = nameOrPath {
            choice = explicit
        } else if let env = environment["WARROOM_THEME"], !env.isEmpty {
            choice = env
        } else {
            choice = "default"
        }
        if isPath(choice) { return loadFile(choice) }
        if !choice.isEmpty, !choice.hasPrefix(".") {
            for dir in searchDirs where !dir.isEmpty {
                for ext in ["yaml", "yml"] {
                    let candidate = (dir.hasSuffix("/") ? dir : dir + "/") + choice + "." + ext
                    var isDir: ObjCBool = false
                    if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue {
                        return loadFile(candidate)
                    }
                }
            }
        }
        if let theme = builtin(choice) { return .success(theme) }
        return .failure(.unknownName(choice, available: availableNames(searchDirs: searchDirs)))
    }

    /// Built-in names (in cycle order), then theme files found in `searchDirs` (sorted, without duplicates).
    public static func availableNames(searchDirs: [String]) -> [String] {
        var names = builtinNames
        var found = Set<String>()
        for dir in searchDirs where !dir.isEmpty {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
            for entry in entries {
                for ext in [".yaml", ".yml"] where entry.hasSuffix(ext) && entry.count > ext.count {
                    found.insert(String(entry.dropLast(ext.count)))
                }
            }
        }
        names += found.subtracting(names).sorted()
        return names
    }

    static func isPath(_ s: String) -> Bool {
        let lower = s.lowercased()
        return s.contains("/") || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")
    }

    static func loadFile(_ path: String) -> Result<Theme, ThemeError> {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            return .failure(.unreadable(path: path, reason: "no such file"))
        }
        if isDir.boolValue { return .failure(.unreadable(path: path, reason: "is a directory")) }
        guard let data = FileManager.default.contents(atPath: path) else {
            return .failure(.unreadable(path: path, reason: "permission denied or read error"))
        }
        let (theme, diagnostics) = load(bytes: [UInt8](data), path: path)
        guard let theme else { return .failure(.invalid(path: path, diagnostics: diagnostics)) }
        return .success(theme)
    }

    // MARK: Helpers shared with messages

    /// How a colour is written in a theme file (for messages).
    static func describe(_ c: Color) -> String {
        switch c {
        case .default: return "default"
        case .indexed(let i):
            let names = ["black", "red", "green", "yellow", "blue", "magenta", "cyan", "white", "bright-black",
                         "bright-red", "bright-green", "bright-yellow", "bright-blue", "bright-magenta", "bright-cyan",
                         "bright-white"]
            return i < 16 ? names[Int(i)] : String(i)
        case .rgb(let r, let g, let b):
            let hex = [r, g, b].map { v -> String in
                let s = String(v, radix: 16)
                return s.count == 1 ? "0" + s : s
            }
            return "#" + hex.joined()
        }
    }

    /// Parses a colour value as written in a theme file, or nil.
    public static func parseColour(_ raw: String) -> Color? {
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if s == "default" { return .default }
        if let i = colourNames[s] { return .indexed(i) }
        if !s.isEmpty, s.count <= 3, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(s), v <= 255 {
            return .indexed(UInt8(v))
        }
        if s.hasPrefix("#"), s.count == 7 {
            let hex = Array(s.utf8.dropFirst())
            guard hex.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }) else { return nil }
            func byte(_ k: Int) -> UInt8? { UInt8(String(decoding: hex[k..<(k + 2)], as: UTF8.self), radix: 16) }
            guard let r = byte(0), let g = byte(2), let b = byte(4) else { return nil }
            return .rgb(r, g, b)
        }
        return nil
    }

    static func suggestion(for word: String, in known: [String]) -> String? { YAMLSource.suggestion(for: word, in: known) }
}

// MARK: - The parser proper

/// One pass over one file's YAML tree, collecting diagnostics.
private struct FileParser {
    var src: YAMLSource
    var text: String { src.text }
    var path: String { src.path }
    var diagnostics: [Diagnostic] { src.diagnostics }

    init(text: String, path: String) { src = YAMLSource(text: text, path: path) }

    mutating func error(_ line: Int, _ message: String) { src.error(line, message) }
    mutating func warning(_ line: Int, _ message: String) { src.warning(line, message) }
    func line(_ node: Node) -> Int { src.line(node) }
    func sourceLine(_ n: Int) -> Substring? { src.sourceLine(n) }
    static func isNull(_ node: Node) -> Bool { YAMLSource.isNull(node) }
    static func kind(_ node: Node) -> String { YAMLSource.kind(node) }
    mutating func reportYAML(_ error: Error) { src.reportYAML(error) }

    mutating func run(base explicitBase: Theme?) -> Theme? {
        if text.utf8.count > 1 << 20 {
            error(1, "the file is too large for a theme (over 1 MiB)")
            return nil
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            reportYAML(error)
            return nil
        }
        guard let root, !FileParser.isNull(root) else {
            self.error(1, "empty theme file (expected a mapping with name, monochrome and roles)")
            return nil
        }
        guard case .mapping(let top) = root else {
            self.error(line(root), "a theme file must be a mapping with name, monochrome and roles (found \(FileParser.kind(root)))")
            return nil
        }

        // First pass: the top-level keys.
        var name: String?
        var monochrome: Bool?
        var rolesNode: Node?
        for (keyNode, value) in top {
            guard let key = scalarKey(keyNode, context: "at the top level") else { continue }
            switch key {
            case "name":
                if case .scalar(let s) = value, !FileParser.isNull(value),
                   !s.string.trimmingCharacters(in: .whitespaces).isEmpty {
                    name = s.string
                } else {
                    error(line(FileParser.isNull(value) ? keyNode : value),
                          "name must be a non-empty string (found \(FileParser.kind(value)))")
                }
            case "monochrome":
                if let b = bool(value, key: "monochrome", keyNode: keyNode, context: "") { monochrome = b }
            case "roles":
                rolesNode = value
            default:
                var message = "unknown key \"\(key)\" at the top level"
                if let s = ThemeLoader.suggestion(for: key, in: ThemeLoader.topKeys) { message += "; did you mean \"\(s)\"?" }
                message += " (known: \(ThemeLoader.topKeys.joined(separator: ", ")))"
                error(line(keyNode), message)
            }
        }

        let isMonochrome = monochrome ?? explicitBase?.monochrome ?? false
        var theme = explicitBase ?? (isMonochrome ? Theme.builtinMonochrome : Theme.builtinDefault)
        theme.monochrome = isMonochrome
        theme.name = name ?? defaultName()

        // Second pass: the roles.
        guard let rolesNode else { return theme }
        if FileParser.isNull(rolesNode) { return theme }
        guard case .mapping(let roles) = rolesNode else {
            error(line(rolesNode), "roles must be a mapping of role names to styles (found \(FileParser.kind(rolesNode)))")
            return theme
        }
        let known = ThemeLoader.roleOrder.map(\.name)
        for (keyNode, value) in roles {
            guard let key = scalarKey(keyNode, context: "in roles") else { continue }
            guard let role = Role(name: key) else {
                var message = "unknown role \"\(key)\""
                if let s = ThemeLoader.suggestion(for: key, in: known) { message += "; did you mean \"\(s)\"?" }
                message += " (known: \(known.joined(separator: ", ")))"
                error(line(keyNode), message)
                continue
            }
            let before = theme.roles[role] ?? RoleStyle()
            var style = before
            applyRole(value, keyNode: keyNode, role: key, to: &style, monochrome: isMonochrome)
            theme.roles[role] = style
            if !isMonochrome, let fg = style.fg, fg != .default, fg == style.bg {
                warning(line(keyNode), "role \(key): foreground and background are both \(ThemeLoader.describe(fg)), so its text is invisible")
            }
        }
        return theme
    }

    func defaultName() -> String {
        var base = path.split(separator: "/").last.map(String.init) ?? ""
        for ext in [".yaml", ".yml"] where base.lowercased().hasSuffix(ext) { base = String(base.dropLast(ext.count)) }
        return base.isEmpty ? "custom" : base
    }

    /// A mapping key as a plain string, or an error.
    mutating func scalarKey(_ node: Node, context: String) -> String? {
        if case .scalar(let s) = node, !FileParser.isNull(node) { return s.string }
        error(line(node), "keys \(context) must be plain names (found \(FileParser.kind(node)))")
        return nil
    }

    mutating func bool(_ value: Node, key: String, keyNode: Node, context: String) -> Bool? {
        if case .scalar(let s) = value, !FileParser.isNull(value) {
            switch s.string.lowercased() {
            case "true": return true
            case "false": return false
            default:
                error(line(value), "invalid value \"\(s.string)\" for \(key)\(context) (use true or false)")
                return nil
            }
        }
        error(line(FileParser.isNull(value) ? keyNode : value),
              "\(key)\(context) must be true or false (found \(FileParser.kind(value)))")
        return nil
    }

    mutating func colour(_ value: Node, key: String, keyNode: Node, role: String) -> Color? {
        guard case .scalar(let s) = value, !FileParser.isNull(value) else {
            var message = FileParser.isNull(value) ? "missing colour for \(key) in role \(role)"
                : "\(key) in role \(role) must be a colour (found \(FileParser.kind(value)))"
            if FileParser.isNull(value), let src = sourceLine(line(keyNode)), src.contains("#") {
                message += " (an unquoted # starts a comment: write \"#rrggbb\" in quotes)"
            }
            error(line(FileParser.isNull(value) ? keyNode : value), message)
            return nil
        }
        if let c = ThemeLoader.parseColour(s.string) { return c }
        var message = "invalid colour \"\(s.string)\" for \(key) in role \(role) (\(ThemeLoader.colourHelp))"
        let lower = s.string.lowercased()
        if ThemeLoader.roleKeys.dropFirst(2).contains(lower) {
            message += "; attributes go in a mapping: {\(lower): true}"
        } else if let near = ThemeLoader.suggestion(for: lower, in: Array(ThemeLoader.colourNames.keys).sorted()) {
            message += "; did you mean \"\(near)\"?"
        }
        error(line(value), message)
        return nil
    }

    mutating func applyRole(_ value: Node, keyNode: Node, role: String, to style: inout RoleStyle, monochrome: Bool) {
        switch value {
        case .scalar:
            // Shorthand: the foreground colour.
            if FileParser.isNull(value) {
                var message = "missing style for role \(role) (a colour, or a mapping of \(ThemeLoader.roleKeys.joined(separator: ", ")))"
                if let src = sourceLine(line(keyNode)), src.contains("#") {
                    message += " (an unquoted # starts a comment: write \"#rrggbb\" in quotes)"
                }
                error(line(keyNode), message)
                return
            }
            if let c = colour(value, key: "fg", keyNode: keyNode, role: role) {
                style.fg = c
                if monochrome { warning(line(value), "colours are ignored in a monochrome theme (role \(role))") }
            }
        case .mapping(let fields):
            for (fieldNode, fieldValue) in fields {
                guard let field = scalarKey(fieldNode, context: "in role \(role)") else { continue }
                switch field {
                case "fg", "bg":
                    if let c = colour(fieldValue, key: field, keyNode: fieldNode, role: role) {
                        if field == "fg" { style.fg = c } else { style.bg = c }
                        if monochrome {
                            warning(line(fieldNode), "colours are ignored in a monochrome theme (\(field) in role \(role))")
                        }
                    }
                case "bold", "reverse", "underline", "dim":
                    let attr: Attrs = switch field {
                    case "bold": .bold
                    case "reverse": .reverse
                    case "underline": .underline
                    default: .dim
                    }
                    if let on = bool(fieldValue, key: field, keyNode: fieldNode, context: " in role \(role)") {
                        if on { style.attrs.insert(attr) } else { style.attrs.remove(attr) }
                    }
                default:
                    var message = "unknown key \"\(field)\" in role \(role)"
                    let aliases = ["colour": "fg", "color": "fg", "foreground": "fg", "background": "bg",
                                   "italic": "underline", "blink": "bold", "inverse": "reverse"]
                    if let s = ThemeLoader.suggestion(for: field, in: ThemeLoader.roleKeys) ?? aliases[field.lowercased()] {
                        message += "; did you mean \"\(s)\"?"
                    }
                    message += " (known: \(ThemeLoader.roleKeys.joined(separator: ", ")))"
                    error(line(fieldNode), message)
                }
            }
        case .sequence, .alias:
            error(line(value), "role \(role) must be a colour or a mapping of \(ThemeLoader.roleKeys.joined(separator: ", ")) (found \(FileParser.kind(value)))")
        }
    }
}
