// The four built-in themes, as Swift values so the binary works with no theme files installed.
//
// `themes/<name>.yaml` at the top of the repository holds the same themes in the file format; ThemeTests asserts that
// each file parses to exactly the value here, so edit both together.
//
// Design rules (a shared tmux screen, twelve people, 3 a.m.):
// - ok / warn / crit differ in more than hue: ok is a plain foreground, warn is bold (or a yellow fill), crit is a
//   red fill with bold white text. Someone who cannot tell red from green still sees the fill.
// - text keeps the terminal's own colours; only status, accents and chrome are coloured.
// - Colour themes use the 16 ANSI colours (or 256-colour indices that degrade to sensible ANSI ones), so they work
//   on the Linux console and in tmux with TERM=screen.

extension Theme {
    /// The built-in themes in the order the theme key cycles through them.
    public static let builtinOrder: [String] = ["default", "light", "high-contrast", "monochrome"]

    /// Dark terminals (the default).
    public static let builtinDefault = Theme(name: "default", roles: [
        .text: RoleStyle(fg: .default, bg: .default),
        .background: RoleStyle(fg: .default, bg: .default),
        .ok: RoleStyle(fg: .indexed(10)),
        .warn: RoleStyle(fg: .indexed(11), attrs: .bold),
        .crit: RoleStyle(fg: .indexed(15), bg: .indexed(1), attrs: .bold),
        .unknown: RoleStyle(fg: .indexed(13)),
        .accent: RoleStyle(fg: .indexed(14)),
        .muted: RoleStyle(fg: .indexed(8)),
        .border: RoleStyle(fg: .indexed(8)),
        .title: RoleStyle(fg: .indexed(15), attrs: .bold),
        .selection: RoleStyle(attrs: .reverse),
    ])

    /// Light terminals: darker foregrounds, warn as a yellow fill (yellow text is unreadable on white).
    public static let builtinLight = Theme(name: "light", roles: [
        .text: RoleStyle(fg: .default, bg: .default),
        .background: RoleStyle(fg: .default, bg: .default),
        .ok: RoleStyle(fg: .indexed(28), attrs: .bold),
        .warn: RoleStyle(fg: .indexed(0), bg: .indexed(3), attrs: .bold),
        .crit: RoleStyle(fg: .indexed(15), bg: .indexed(1), attrs: .bold),
        .unknown: RoleStyle(fg: .indexed(5)),
        .accent: RoleStyle(fg: .indexed(4)),
        .muted: RoleStyle(fg: .indexed(8)),
        .border: RoleStyle(fg: .indexed(8)),
        .title: RoleStyle(fg: .default, attrs: .bold),
        .selection: RoleStyle(attrs: .reverse),
    ])

    /// Projectors and low vision: bright white on black, everything important bold, states as fills.
    public static let builtinHighContrast = Theme(name: "high-contrast", roles: [
        .text: RoleStyle(fg: .indexed(15), bg: .indexed(0)),
        .background: RoleStyle(fg: .indexed(15), bg: .indexed(0)),
        .ok: RoleStyle(fg: .indexed(10), attrs: .bold),
        .warn: RoleStyle(fg: .indexed(0), bg: .indexed(11), attrs: .bold),
        .crit: RoleStyle(fg: .indexed(15), bg: .indexed(1), attrs: [.bold, .underline]),
        .unknown: RoleStyle(fg: .indexed(13), attrs: .bold),
        .accent: RoleStyle(fg: .indexed(14), attrs: .bold),
        .muted: RoleStyle(fg: .indexed(7)),
        .border: RoleStyle(fg: .indexed(15)),
        .title: RoleStyle(fg: .indexed(11), attrs: [.bold, .underline]),
        .selection: RoleStyle(fg: .indexed(0), bg: .indexed(14), attrs: .bold),
    ])

    /// No colour at all (`NO_COLOR`, monochrome terminals): bold, reverse and underline only.
    public static let builtinMonochrome = Theme(name: "monochrome", monochrome: true, roles: [
        .text: RoleStyle(),
        .background: RoleStyle(),
        .ok: RoleStyle(),
        .warn: RoleStyle(attrs: [.bold, .underline]),
        .crit: RoleStyle(attrs: [.bold, .reverse]),
        .unknown: RoleStyle(attrs: .underline),
        .accent: RoleStyle(attrs: .bold),
        .muted: RoleStyle(),
        .border: RoleStyle(),
        .title: RoleStyle(attrs: .bold),
        .selection: RoleStyle(attrs: .reverse),
    ])

    /// The built-in themes in cycle order.
    public static var builtins: [Theme] { [builtinDefault, builtinLight, builtinHighContrast, builtinMonochrome] }

    /// The built-in theme after the one named `name` in `builtinOrder`, wrapping around; `default` for a theme that
    /// is not built in (a custom file).
    public static func cycle(after name: String) -> Theme {
        guard let i = builtinOrder.firstIndex(of: name) else { return builtinDefault }
        return ThemeLoader.builtin(builtinOrder[(i + 1) % builtinOrder.count]) ?? builtinDefault
    }
}
