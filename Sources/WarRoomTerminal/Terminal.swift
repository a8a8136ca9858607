import CNCurses
import WarRoomUI
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

public enum TerminalError: Error, CustomStringConvertible, Equatable {
    /// stdin or stdout is not a terminal.
    case notATerminal
    /// TERM is unset or has no terminfo entry.
    case unknownTerminal(String)
    /// A system call failed: what, and errno.
    case system(String, Int32)

    public var description: String {
        switch self {
        case .notATerminal:
            "not a terminal: the console needs stdin and stdout to be a terminal (use `warroom status` in scripts)"
        case .unknownTerminal(let term):
            term.isEmpty
                ? "TERM is not set: cannot drive the terminal"
                : "unknown terminal type '\(term)' (no terminfo entry): try TERM=xterm-256color"
        case .system(let what, let code):
            "\(what): \(String(cString: strerror(code)))"
        }
    }
}

/// The curses screen. The only code that calls curses; use it from one thread only.
public final class Terminal {
    /// Colours the terminal offers after `start_color` (0 without colour support).
    public let colors: Int
    /// The locale's codeset is UTF-8 (otherwise draw with ASCII glyphs).
    public let utf8: Bool

    private let window: UnsafeMutablePointer<WINDOW>
    /// Keys are read through a 1×1 window: wget_wch refreshes the window it reads from when curses has touched it
    /// (as a resize does), and repainting the whole stale screen just before our own redraw would send it twice.
    private let input: UnsafeMutablePointer<WINDOW>
    private let screen: OpaquePointer
    private let colorPairs: Int
    private let defaultColors: Bool
    private var restored = false
    private var lastDrawn: Buffer?
    private var lastWindowSize: Size?
    private var forceFull = true
    private var hardRedraw = false
    private var blankRoles = [Bool](repeating: false, count: Role.allCases.count)
    /// Per role: attributes and colour pair.
    private var roleAttrs: [attr_t] = Array(repeating: 0, count: Role.allCases.count)
    private var rolePairs: [Int32] = Array(repeating: 0, count: Role.allCases.count)
    private var wideBuffer: [wchar_t] = []
    /// A bracketed paste under way: its text so far, and when its last character came (monotonic ns).
    private var paste: (text: String, lastNS: UInt64)?

    /// stdin and stdout are both terminals.
    public static var isTTY: Bool { isatty(0) == 1 && isatty(1) == 1 }

    /// Takes over the terminal. Throws (instead of exiting, as `initscr` would) when stdout/stdin is not a
    /// terminal or TERM is unknown.
    public static func start(theme: Theme) throws -> Terminal {
        guard isTTY else { throw TerminalError.notATerminal }
        setlocale(wr_lc_all(), "")
        let term = getenv("TERM").map { String(cString: $0) } ?? ""
        guard !term.isEmpty else { throw TerminalError.unknownTerminal("") }
        // newterm reports an unknown TERM by returning NULL; initscr would print and exit.
        guard let screen = newterm(nil, wr_stdout(), wr_stdin()) else { throw TerminalError.unknownTerminal(term) }
        guard let window = wr_stdscr() else {
            endwin()
            delscreen(screen)
            throw TerminalError.unknownTerminal(term)
        }
        let terminal = Terminal(screen: screen, window: window)
        terminal.setTheme(theme)
        BracketedPaste.enable()
        return terminal
    }

    private init(screen: OpaquePointer, window: UnsafeMutablePointer<WINDOW>) {
        self.screen = screen
        self.window = window
        self.input = newwin(1, 1, 0, 0) ?? window
        cbreak()  // not raw: ^C still raises SIGINT
        noecho()
        nonl()
        _ = wr_disable_flow_control()  // ^S must not freeze the screen (and the loop blocked writing to it)
        intrflush(window, false)
        keypad(input, true)
        nodelay(input, true)
        leaveok(input, true)
        set_escdelay(25)
        curs_set(0)
        leaveok(window, true)
        var colors = 0
        var pairs = 0
        var defaults = false
        if has_colors() {
            start_color()
            defaults = use_default_colors() == wr_ok()
            colors = Int(wr_colors())
            pairs = Int(wr_color_pairs())
        }
        self.colors = colors
        self.colorPairs = pairs
        self.defaultColors = defaults
        self.utf8 = String(cString: wr_codeset()) == "UTF-8"
        SignalState.prime()
        SignalState.setCursesActive(true)
    }

    deinit { restore() }

    /// The window size in cells.
    public var size: Size { Size(width: Int(wr_getmaxx(window)), height: Int(wr_getmaxy(window))) }

    /// Builds a colour pair per role (monochrome themes and colourless terminals: attributes only) and forces
    /// a full redraw on the next `draw`.
    public func setTheme(_ theme: Theme) {
        let useColor = !theme.monochrome && colors >= 8 && colorPairs > Role.allCases.count
        let text = theme.style(.text)
        let background = theme.style(.background)
        for role in Role.allCases {
            let rs = theme.style(role)
            let i = Int(role.rawValue)
            roleAttrs[i] = Self.attrs(rs.attrs)
            // A blank in this role looks like an erased cell: default background, nothing drawn on a space.
            let plain = !rs.attrs.contains(.reverse) && !rs.attrs.contains(.underline)
            guard useColor else {
                rolePairs[i] = 0
                blankRoles[i] = plain
                continue
            }
            let fg = cursesColor(rs.fg ?? text.fg ?? .default, foreground: true)
            let bg = cursesColor(rs.bg ?? background.bg ?? .default, foreground: false)
            blankRoles[i] = plain && bg == -1 && defaultColors
            let pair = Int32(i + 1)
            if init_pair(Int16(pair), Int16(fg), Int16(bg)) == wr_ok() {
                rolePairs[i] = pair
            } else {
                rolePairs[i] = 0
            }
        }
        forceFull = true
    }

    /// Draws `buffer`, writing only the cells that differ from the last drawn buffer (everything after a
    /// resize or `setTheme`). Returns the number of cells written.
    @discardableResult
    public func draw(_ buffer: Buffer) -> Int {
        guard !restored else { return 0 }
        let windowSize = size
        let full = forceFull || hardRedraw || lastDrawn == nil || lastDrawn!.size != buffer.size || lastWindowSize != windowSize
        if full {
            // Every cell is written again; curses' own diff then sends only what the screen lacks. A hard clear
            // (clearok) is for ^L alone: after a resize curses has already repainted, and clearing again doubles it.
            werase(window)
            if hardRedraw || lastDrawn == nil { clearok(window, true) }
        }
        let diff = ScreenDiff.compute(from: full ? nil : lastDrawn, to: buffer, clip: windowSize, forceFull: full,
                                      width: Self.cursesWidth,
                                      erasedLooksLike: { [blankRoles] in blankRoles[Int($0.role.rawValue)] && !$0.attrs.contains(.reverse) && !$0.attrs.contains(.underline) })
        for run in diff.runs {
            wideBuffer.removeAll(keepingCapacity: true)
            for s in run.scalars { wideBuffer.append(wchar_t(bitPattern: s.value)) }
            wideBuffer.append(0)
            let role = Int(run.style.role.rawValue)
            let attrs = roleAttrs[role] | Self.attrs(run.style.attrs)
            _ = wideBuffer.withUnsafeBufferPointer {
                wr_put(window, Int32(run.y), Int32(run.x), $0.baseAddress, Int32(run.scalars.count), attrs,
                       rolePairs[role])
            }
        }
        wnoutrefresh(window)
        doupdate()
        lastDrawn = buffer
        lastWindowSize = windowSize
        forceFull = false
        hardRedraw = false
        return diff.cellCount
    }

    /// The next key, or nil when none is pending (never blocks). Codes the console does not use are skipped.
    public func readKey() -> Key? {
        guard !restored else { return nil }
        while true {
            var ch: wint_t = 0
            let r = wget_wch(input, &ch)
            if r == wr_err() {
                // A paste whose end marker never came (the terminal dropped it) ends after a quiet second, as text.
                if let p = paste, BracketedPaste.monotonicNS() - p.lastNS > BracketedPaste.endAfterQuietNS {
                    paste = nil
                    return .paste(p.text)
                }
                return nil
            }
            let isKeyCode = r == wr_key_code_yes()
            let code = Int32(bitPattern: UInt32(ch))
            if isKeyCode && code == wr_key_resize() { forceFull = true }
            switch BracketedPaste.take(code: code, isKeyCode: isKeyCode, into: &paste) {
            case .consumed: continue
            case .finished(let text): return .paste(text)
            case .key: break
            }
            if let key = Key.from(cursesCode: code, isKeyCode: isKeyCode) { return key }
        }
    }

    /// Gives the terminal back (cursor visible, modes restored). Idempotent.
    /// Clear the physical screen and repaint everything on the next draw (^L: the screen was garbled).
    public func redraw() { hardRedraw = true }

    public func restore() {
        guard !restored else { return }
        restored = true
        SignalState.setCursesActive(false)
        curs_set(1)
        endwin()
        BracketedPaste.disable()
    }

    // MARK: - Helpers

    private static func cursesWidth(_ s: Unicode.Scalar) -> Int {
        Int(wr_wcwidth(wchar_t(bitPattern: s.value)))
    }

    private static func attrs(_ a: Attrs) -> attr_t {
        var r = wr_a_normal()
        if a.contains(.bold) { r |= wr_a_bold() }
        if a.contains(.reverse) { r |= wr_a_reverse() }
        if a.contains(.underline) { r |= wr_a_underline() }
        if a.contains(.dim) { r |= wr_a_dim() }
        return r
    }

    /// A curses colour number: -1 for the terminal default, else an index below `colors`.
    private func cursesColor(_ color: Color, foreground: Bool) -> Int {
        let resolved: Color
        switch color {
        case .default: resolved = .default
        case .indexed(let n) where Int(n) < colors: resolved = color
        default: resolved = color.degraded(toColors: colors)
        }
        if case .indexed(let n) = resolved, Int(n) < colors { return Int(n) }
        // Terminal default; without use_default_colors, white on black.
        return defaultColors ? -1 : (foreground ? 7 : 0)
    }
}
