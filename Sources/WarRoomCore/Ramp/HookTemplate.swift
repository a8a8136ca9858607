/// Hook argv templates.
///
/// A hook is configured as an argv array, never as a shell string. Placeholders
/// `{percent}` `{previous}` `{step}` `{service}` `{actor}` substitute WHOLE arguments only:
/// an argument exactly equal to `"{percent}"` becomes the value as exactly one argv element
/// (never split, never shell-interpreted); an argument that merely contains a placeholder
/// (`"--w={percent}"`) stays literal. Unknown placeholders stay literal.
///
/// The same values are also handed to the hook as environment variables
/// (`WARROOM_PERCENT`, …), which is the way to build an argument like `--w=25` in a script.
public enum HookTemplate {
    /// The known placeholder names, without braces, in documentation order.
    public static let placeholders: [String] = ["percent", "previous", "step", "service", "actor"]

    /// Replaces every argument that is exactly `{name}` for a known placeholder `name` with
    /// `values[name]` (one argument, byte-exact). A known placeholder without a value becomes
    /// an empty argument, so the argument count never depends on the values.
    /// Everything else is returned unchanged.
    public static func expand(_ argv: [String], values: [String: String]) -> [String] {
        argv.map { argument in
            guard let name = wholePlaceholder(argument) else { return argument }
            return values[name] ?? ""
        }
    }

    /// Arguments that contain a known placeholder but are not exactly one
    /// (for the config linter to warn about: they are passed literally).
    public static func embeddedPlaceholders(_ argv: [String]) -> [String] {
        argv.filter { argument in
            guard wholePlaceholder(argument) == nil else { return false }
            return placeholders.contains { argument.contains("{\($0)}") }
        }
    }

    /// `WARROOM_PERCENT`, `WARROOM_PREVIOUS`, `WARROOM_STEP`, `WARROOM_SERVICE`, `WARROOM_ACTOR`
    /// from the known keys of `values`, plus `WARROOM_<KEY>` for any extra key given
    /// (upper-cased; characters other than A–Z, 0–9 and `_` become `_`).
    public static func environment(values: [String: String]) -> [String: String] {
        var result: [String: String] = [:]
        for (key, value) in values {
            let name = "WARROOM_" + String(String.UnicodeScalarView(key.uppercased().unicodeScalars.map { scalar in
                switch scalar {
                case "A"..."Z", "0"..."9", "_": return scalar
                default: return "_"
                }
            }))
            result[name] = value
        }
        return result
    }

    /// The placeholder name if `argument` is exactly `{name}` for a known name.
    static func wholePlaceholder(_ argument: String) -> String? {
        guard argument.hasPrefix("{"), argument.hasSuffix("}"), argument.count >= 3 else { return nil }
        let name = String(argument.dropFirst().dropLast())
        return placeholders.contains(name) ? name : nil
    }
}
