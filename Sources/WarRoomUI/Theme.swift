/// A terminal colour as a theme names it.
public enum Color: Sendable, Hashable {
    /// The terminal's own foreground or background (`use_default_colors`).
    case `default`
    /// 0–255: the 16 ANSI colours, the 6×6×6 cube and the grey ramp.
    case indexed(UInt8)
    /// `#rrggbb`, degraded to 256 or 16 colours by terminal capability.
    case rgb(UInt8, UInt8, UInt8)
}

/// How one role looks. `nil` colours inherit from the theme's `text`/`background` roles.
public struct RoleStyle: Sendable, Hashable {
    public var fg: Color?
    public var bg: Color?
    public var attrs: Attrs
    public init(fg: Color? = nil, bg: Color? = nil, attrs: Attrs = []) {
        self.fg = fg
        self.bg = bg
        self.attrs = attrs
    }
}

public struct Theme: Sendable, Hashable {
    public var name: String
    /// Monochrome themes use attributes only (bold, reverse, underline, dim); colours are ignored.
    public var monochrome: Bool
    public var roles: [Role: RoleStyle]

    public init(name: String, monochrome: Bool = false, roles: [Role: RoleStyle]) {
        self.name = name
        self.monochrome = monochrome
        self.roles = roles
    }

    public func style(_ role: Role) -> RoleStyle { roles[role] ?? RoleStyle() }
}

/// Glyph sets: Unicode (box drawing, blocks, braille) and plain ASCII for non-UTF-8 locales or `--ascii`.
public struct Glyphs: Sendable, Hashable {
    public var horizontal: Character, vertical: Character
    public var topLeft: Character, topRight: Character, bottomLeft: Character, bottomRight: Character
    public var ellipsis: Character
    public var open: String, done: String, skipped: String, blocked: String
    public var collapsed: Character, expanded: Character
    public var light: Character
    public var barFull: Character, barEmpty: Character
    /// Sparkline levels from lowest to highest.
    public var spark: [Character]
    public var separator: String
    public var arrow: String = "→"
    public var bullet: String = "•"
    /// Rollback criteria: tripped, watching, quiet.
    public var lightOn: String = "●"
    public var lightWatch: String = "◐"
    public var lightOff: String = "○"
    /// Before a signed sign-off's signer ("✍ signed by dana 17:02"); empty: no mark.
    public var signed: String = "✍"

    public static let unicode = Glyphs(
        horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
        ellipsis: "…", open: "[ ]", done: "[✓]", skipped: "[–]", blocked: "[✗]", collapsed: "▸", expanded: "▾",
        light: "●", barFull: "█", barEmpty: "░", spark: ["⣀", "⣄", "⣤", "⣦", "⣶", "⣷", "⣿"], separator: " · ")

    public static let ascii = Glyphs(
        horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
        ellipsis: "~", open: "[ ]", done: "[x]", skipped: "[-]", blocked: "[!]", collapsed: ">", expanded: "v",
        light: "*", barFull: "#", barEmpty: ".", spark: ["_", ".", "-", "~", "=", "+", "#"], separator: " | ",
        arrow: ">", bullet: "-", lightOn: "(*)", lightWatch: "(~)", lightOff: "( )", signed: "")
}

/// A key press, decoded by the terminal backend.
public enum Key: Hashable, Sendable {
    case char(Character)
    case ctrl(Character)
    case up, down, left, right, pageUp, pageDown, home, end
    case enter, tab, backTab, escape, backspace, delete
    case function(Int)
    case resize
    /// Text the terminal delivered as a bracketed paste (ESC[200~ … ESC[201~): typed into a prompt as text, never
    /// read as command keys.
    case paste(String)

    /// How the key is written in the footer and help (`j`, `↑`, `PgDn`, `space`, `^L`).
    public var label: String {
        switch self {
        case .char(" "): "space"
        case .char(let c): String(c)
        case .ctrl(let c): "^" + String(c).uppercased()
        case .up: "↑"
        case .down: "↓"
        case .left: "←"
        case .right: "→"
        case .pageUp: "PgUp"
        case .pageDown: "PgDn"
        case .home: "Home"
        case .end: "End"
        case .enter: "Enter"
        case .tab: "tab"
        case .backTab: "S-tab"
        case .escape: "Esc"
        case .backspace: "BS"
        case .delete: "Del"
        case .function(let n): "F\(n)"
        case .resize: "resize"
        case .paste: "paste"
        }
    }
}
