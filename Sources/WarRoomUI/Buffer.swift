/// The semantic roles a theme colours. Widgets draw in roles, never in raw colours.
public enum Role: UInt8, Sendable, CaseIterable, Codable {
    case text, background, ok, warn, crit, unknown, accent, muted, border, title, selection

    public var name: String {
        switch self {
        case .text: "text"
        case .background: "background"
        case .ok: "ok"
        case .warn: "warn"
        case .crit: "crit"
        case .unknown: "unknown"
        case .accent: "accent"
        case .muted: "muted"
        case .border: "border"
        case .title: "title"
        case .selection: "selection"
        }
    }

    public init?(name: String) {
        guard let r = Role.allCases.first(where: { $0.name == name }) else { return nil }
        self = r
    }
}

/// Attributes added on top of a role's own (e.g. bold for a pane title that has focus).
public struct Attrs: OptionSet, Sendable, Hashable, Codable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let bold = Attrs(rawValue: 1)
    public static let reverse = Attrs(rawValue: 2)
    public static let underline = Attrs(rawValue: 4)
    public static let dim = Attrs(rawValue: 8)
}

public struct Style: Sendable, Hashable {
    public var role: Role
    public var attrs: Attrs
    public init(_ role: Role, _ attrs: Attrs = []) {
        self.role = role
        self.attrs = attrs
    }
    public static let text = Style(.text)
}

/// One terminal cell. A wide character occupies its cell and marks the next one as `continuation`.
public struct Cell: Sendable, Hashable {
    public var char: Character
    public var style: Style
    /// The right half of a wide character: draw nothing here.
    public var continuation: Bool

    public init(_ char: Character = " ", _ style: Style = .text, continuation: Bool = false) {
        self.char = char
        self.style = style
        self.continuation = continuation
    }
    public static let blank = Cell()
}

public struct Size: Sendable, Hashable {
    public var width: Int
    public var height: Int
    public init(width: Int, height: Int) {
        self.width = max(0, width)
        self.height = max(0, height)
    }
}

public struct Rect: Sendable, Hashable {
    public var x: Int, y: Int, width: Int, height: Int
    public init(x: Int, y: Int, width: Int, height: Int) {
        self.x = x
        self.y = y
        self.width = max(0, width)
        self.height = max(0, height)
    }
    public var maxX: Int { x + width }
    public var maxY: Int { y + height }
    public var isEmpty: Bool { width <= 0 || height <= 0 }
    /// The rectangle shrunk by `n` cells on every side (inside a border).
    public func inset(_ n: Int) -> Rect { Rect(x: x + n, y: y + n, width: width - 2 * n, height: height - 2 * n) }
}

/// A grid of cells: what render produces and what the terminal backend diffs and writes.
public struct Buffer: Sendable, Equatable {
    public let size: Size
    public private(set) var cells: [Cell]

    public init(_ size: Size, fill: Cell = .blank) {
        self.size = size
        self.cells = Array(repeating: fill, count: size.width * size.height)
    }

    /// Writing over either half of a wide character blanks its other half, so no half-character is left behind.
    public subscript(x: Int, y: Int) -> Cell {
        get { cells[y * size.width + x] }
        set {
            let i = y * size.width + x
            let old = cells[i]
            // Only a different character breaks a wide one; a style change (selection, restyle) does not.
            if !newValue.continuation, old.continuation || old.char != newValue.char {
                if old.continuation, x > 0 { cells[i - 1] = Cell(" ", cells[i - 1].style) }
                if x + 1 < size.width, cells[i + 1].continuation { cells[i + 1] = Cell(" ", cells[i + 1].style) }
            }
            cells[i] = newValue
        }
    }

    public func row(_ y: Int) -> ArraySlice<Cell> { cells[(y * size.width)..<((y + 1) * size.width)] }

    /// Writes `text` at (x, y), clipped to `maxWidth` columns (and the buffer). Text that does not fit ends in `…`
    /// when `ellipsis` is set. Control characters are shown as `�`, never sent to the terminal.
    /// Returns the number of columns written.
    @discardableResult
    public mutating func put(_ text: some StringProtocol, x: Int, y: Int, maxWidth: Int? = nil, style: Style = .text,
                             ellipsis: Bool = true, ellipsisChar: Character = "…") -> Int {
        guard y >= 0, y < size.height, x < size.width else { return 0 }
        let limit = min(maxWidth ?? (size.width - x), size.width - x)
        guard limit > 0 else { return 0 }
        let total = DisplayWidth.of(text)
        let fits = total <= limit
        let room = fits || !ellipsis ? limit : limit - 1
        var col = 0
        for ch in text {
            let c = DisplayWidth.sanitize(ch)
            let w = DisplayWidth.of(c)
            if w == 0 { continue }
            if col + w > room { break }
            let cx = x + col
            if cx >= 0 {
                self[cx, y] = Cell(c, style)
                if w == 2, cx + 1 < size.width { self[cx + 1, y] = Cell(" ", style, continuation: true) }
            }
            col += w
        }
        if !fits, ellipsis, x + col >= 0, x + col < size.width {
            self[x + col, y] = Cell(ellipsisChar, style)
            col += 1
        }
        return col
    }

    /// Fills a rectangle with one cell.
    public mutating func fill(_ r: Rect, _ cell: Cell = .blank) {
        for yy in max(0, r.y)..<min(size.height, r.maxY) {
            for xx in max(0, r.x)..<min(size.width, r.maxX) { self[xx, yy] = cell }
        }
    }

    /// Sets the style of every cell in a rectangle, keeping characters.
    public mutating func restyle(_ r: Rect, _ style: Style) {
        for yy in max(0, r.y)..<min(size.height, r.maxY) {
            for xx in max(0, r.x)..<min(size.width, r.maxX) { self[xx, yy].style = style }
        }
    }

    /// The buffer as plain text, one line per row, trailing spaces kept (golden files, tests).
    public var text: String {
        var out = ""
        for y in 0..<size.height {
            for x in 0..<size.width {
                let c = self[x, y]
                if !c.continuation { out.append(c.char) }
            }
            out.append("\n")
        }
        return out
    }
}
