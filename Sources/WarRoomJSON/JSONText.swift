/// JSON string literals written by hand (a request body, a lease record, a canned answer): one escaping for all.
public enum JSONText {
    /// `s` as a JSON string literal, quotes included: `"`, `\` and control characters escaped.
    public static func quoted(_ s: String) -> String { "\"" + escaped(s) + "\"" }

    /// `s` escaped for the inside of a JSON string literal (no quotes around it).
    public static func escaped(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let hex = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out
    }
}
