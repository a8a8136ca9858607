import WarRoomUI

/// A run of adjacent cells on one row with one style, written with a single curses call.
public struct DrawRun: Sendable, Hashable {
    public var x: Int
    public var y: Int
    public var style: Style
    /// What is sent, in order: each cell's character (combining marks follow their base); a wide character
    /// covers two columns.
    public var scalars: [Unicode.Scalar]
    /// Columns covered (a wide character counts 2).
    public var width: Int

    public init(x: Int, y: Int, style: Style, scalars: [Unicode.Scalar], width: Int) {
        self.x = x
        self.y = y
        self.style = style
        self.scalars = scalars
        self.width = width
    }

    public var text: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }
}

/// The difference between the buffer on screen and the next one: the runs to write. Pure, so it is tested
/// without a terminal.
public struct ScreenDiff: Sendable, Equatable {
    /// Everything is rewritten (first frame, new size, new theme): the caller clears the screen first.
    public var full: Bool
    public var runs: [DrawRun]

    /// Cells written (columns covered by the runs).
    public var cellCount: Int { runs.reduce(0) { $0 + $1.width } }

    /// - Parameters:
    ///   - old: the buffer on screen, or nil when the screen is blank/unknown.
    ///   - new: the buffer to show.
    ///   - clip: the window size; cells outside it are not written (the buffer may briefly lag a resize).
    ///   - forceFull: rewrite everything even if `old` has the same size.
    ///   - width: the column width curses will give a scalar (wcwidth: -1 unprintable, 0 combining). When a
    ///     character's curses width disagrees with the buffer's layout it is replaced so columns stay aligned.
    /// `erasedLooksLike`: on a full redraw the window has just been erased; a blank cell for which this returns
    /// true would look the same as the erased cell, so it is not written at all.
    public static func compute(from old: Buffer?, to new: Buffer, clip: Size? = nil, forceFull: Bool = false,
                               width: (Unicode.Scalar) -> Int = { DisplayWidth.of($0) },
                               erasedLooksLike: ((Style) -> Bool)? = nil) -> ScreenDiff {
        let full = forceFull || old == nil || old!.size != new.size
        let W = min(new.size.width, clip?.width ?? Int.max)
        let H = min(new.size.height, clip?.height ?? Int.max)
        var runs: [DrawRun] = []
        guard W > 0, H > 0 else { return ScreenDiff(full: full, runs: runs) }
        let stride = new.size.width
        let newCells = new.cells
        let oldCells = full ? [] : old!.cells
        var dirty = [Bool](repeating: full, count: W)

        for y in 0..<H {
            let base = y * stride
            if !full {
                var any = false
                for x in 0..<W {
                    let d = oldCells[base + x] != newCells[base + x]
                    dirty[x] = d
                    any = any || d
                }
                if !any { continue }
                // A changed right half means its wide character must be rewritten whole; overwriting the right
                // half of an old wide character destroys its left half on screen, so that cell is rewritten too.
                var x = W - 1
                while x > 0 {
                    if dirty[x], newCells[base + x].continuation || oldCells[base + x].continuation {
                        dirty[x - 1] = true
                    }
                    x -= 1
                }
            }
            var current: DrawRun? = nil
            var x = 0
            while x < W {
                let cell = newCells[base + x]
                if full, let erased = erasedLooksLike, cell.char == " ", !cell.continuation, erased(cell.style) {
                    if let run = current { runs.append(run) }
                    current = nil
                    x += 1
                    continue
                }
                if dirty[x], !cell.continuation, let a = cell.char.asciiValue, a >= 0x20, a < 0x7F,
                   !(x + 1 < W && newCells[base + x + 1].continuation) {
                    // Printable ASCII, the common case: one column, no width lookup, no allocation.
                    if var run = current, run.x + run.width == x, run.style == cell.style {
                        current = nil
                        run.scalars.append(Unicode.Scalar(a))
                        run.width += 1
                        current = run
                    } else {
                        if let run = current { runs.append(run) }
                        current = DrawRun(x: x, y: y, style: cell.style, scalars: [Unicode.Scalar(a)], width: 1)
                    }
                    x += 1
                    continue
                }
                // An orphan right half (no wide character before it) shows as a blank.
                let layout = !cell.continuation && x + 1 < W && newCells[base + x + 1].continuation ? 2 : 1
                guard dirty[x] else {
                    if let run = current { runs.append(run) }
                    current = nil
                    x += layout
                    continue
                }
                let glyph: [Unicode.Scalar] = cell.continuation ? [" "] : Self.glyph(cell.char, layout: layout, width: width)
                if var run = current, run.x + run.width == x, run.style == cell.style {
                    current = nil // one reference, so the append does not copy the array
                    run.scalars.append(contentsOf: glyph)
                    run.width += layout
                    current = run
                } else {
                    if let run = current { runs.append(run) }
                    current = DrawRun(x: x, y: y, style: cell.style, scalars: glyph, width: layout)
                }
                x += layout
            }
            if let run = current { runs.append(run) }
        }
        return ScreenDiff(full: full, runs: runs)
    }

    /// The scalars to send for a character laid out over `layout` columns, so that curses advances exactly
    /// `layout` columns.
    static func glyph(_ ch: Character, layout: Int, width: (Unicode.Scalar) -> Int) -> [Unicode.Scalar] {
        let scalars = Array(ch.unicodeScalars)
        guard let first = scalars.first else { return Array(repeating: " ", count: layout) }
        let w0 = width(first)
        if w0 >= 1 {
            var total = w0
            var ok = true
            for s in scalars.dropFirst() {
                let w = width(s)
                if w < 0 { ok = false; break }
                total += w
            }
            if ok, total == layout { return scalars }
            if w0 == layout { return [first] }
            if w0 == 1, layout == 2 { return [first, " "] }
        }
        return layout == 2 ? ["?", " "] : ["?"]
    }
}
