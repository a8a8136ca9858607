import Foundation
import WarRoomCore

/// Text made safe for GitHub Markdown: table cells, inline text, code spans and HTML.
enum MarkdownText {
    /// Text for a table cell: one line, no column breaks, no raw HTML.
    static func cell(_ s: String) -> String {
        inline(s).replacingOccurrences(of: "|", with: "\\|")
    }

    /// Text on one line, with no raw HTML: a `<` that could open a tag is escaped (`< 5 minutes` stays as it is).
    /// Double-encoded text (`â‰¤`) is shown repaired (`≤`), except in code spans (IDs, paths: as written).
    static func inline(_ s: String, repair: Bool = true) -> String {
        var out = ""
        var previousLT = false
        for ch in repair ? Mojibake.repaired(s) : s {
            if previousLT {
                out.append(ch.isLetter || ch == "/" || ch == "!" || ch == "?" ? "&lt;" : "<")
                previousLT = false
            }
            switch ch {
            case "\n", "\r", "\r\n", "\t": out.append(" ")
            case "<": previousLT = true
            default: out.append(ch)
            }
        }
        if previousLT { out.append("<") }
        return out
    }

    /// Text inside backticks (which it cannot contain).
    static func code(_ s: String) -> String { inline(s, repair: false).replacingOccurrences(of: "`", with: "'") }

    /// Text inside HTML (the `<summary>` of a collapsible block).
    static func html(_ s: String) -> String {
        inline(s.replacingOccurrences(of: "&", with: "&amp;")).replacingOccurrences(of: "<", with: "&lt;")
    }
}
