/// Text from people and programs (item texts, notes, reasons, hook output, server bodies) on its way to a terminal or a
/// file someone will `cat`: control characters would reach the terminal as escape sequences (`ESC]0;…BEL` retitles the
/// window, `ESC[2J` clears it), so each is shown as a visible picture instead — C0 as its Control Pictures glyph
/// (`␛`, `␇`), DEL as `␡`, C1 and the Unicode line and paragraph separators as `�`. Newlines and tabs are kept
/// (`keepingLines`, the default) — a one-line field passes false and gets `␊`/`␉` too.
public enum TerminalText {
    public static func escapingControls(_ s: String, keepingLines: Bool = true) -> String {
        guard s.unicodeScalars.contains(where: { needsEscape($0, keepingLines) }) else { return s }
        var out = String.UnicodeScalarView()
        for u in s.unicodeScalars {
            guard needsEscape(u, keepingLines) else { out.append(u); continue }
            switch u.value {
            case 0..<0x20: out.append(Unicode.Scalar(0x2400 + u.value)!)
            case 0x7F: out.append("\u{2421}")
            default: out.append("\u{FFFD}")
            }
        }
        return String(out)
    }

    static func needsEscape(_ u: Unicode.Scalar, _ keepingLines: Bool) -> Bool {
        let v = u.value
        if keepingLines, v == 0x0A || v == 0x09 { return false }
        return v < 0x20 || (v >= 0x7F && v < 0xA0) || v == 0x2028 || v == 0x2029
    }

    /// Why `name` cannot be a person's name in the journal (an actor, the next driver), or nil: names are printed in
    /// every command's output and on every screen, so a newline or an escape in one could forge a line there.
    public static func nameProblem(_ name: String) -> String? {
        if name.allSatisfy({ $0.isWhitespace }) { return "a name cannot be empty" }
        if name.unicodeScalars.contains(where: { needsEscape($0, false) }) {
            return "a name cannot contain control characters (newlines, tabs, escapes): \(escapingControls(name, keepingLines: false))"
        }
        if name.count > 64 { return "a name is at most 64 characters" }
        return nil
    }
}
