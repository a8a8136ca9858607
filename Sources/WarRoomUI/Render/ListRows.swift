import WarRoomCore

/// One row of a list pane (an SLO, a rollback criterion): a name that is never cut — it wraps under itself — with
/// its state on the right of the first line, and a detail line that is the first thing left out when room is short.
struct ListRow {
    var glyph: (text: String, style: Style)?
    var name: String
    var nameStyle = Style(.text)
    /// Drawn right-aligned on the row's first line, left to right.
    var right: [(text: String, style: Style)] = []
    var detail: (text: String, style: Style)?
    /// Whether the row gets the selection colour.
    var selected = false
}

extension Painter {
    /// Lays `rows` out in `inner` (content from `inner.x + 1` to `inner.maxX - 1`): each name wraps rather than
    /// being cut; when the list is longer than the pane, the last line says "+N more" (N: rows not shown, above or
    /// below), and the rows shown are the ones around `cursor` (the selected row) when there is one. Details are
    /// shown only when every row fits with them.
    /// `marker: false` where the count is said elsewhere (the gate's "5 unmet"): the rows get every line.
    mutating func listRows(_ rows: [ListRow], in inner: Rect, cursor: Int? = nil, moreHint: String = "", marker: Bool = true) {
        let width = inner.width - 2
        guard width > 0, inner.height > 0, !rows.isEmpty else { return }
        func lines(_ r: ListRow, detail: Bool) -> [String] {
            let g = r.glyph.map { DisplayWidth.of($0.text) + 1 } ?? 0
            let rw = r.right.isEmpty ? 0 : r.right.reduce(0) { $0 + DisplayWidth.of($1.text) } + r.right.count
            return wrapHard(Mojibake.repaired(r.name), first: max(4, width - g - rw), rest: max(4, width - g))
                + (detail && r.detail != nil ? [""] : [])
        }
        let withDetails = rows.reduce(0) { $0 + lines($1, detail: true).count } <= inner.height
        let heights = rows.map { lines($0, detail: withDetails).count }
        // The window of rows shown: from `first`, as many as fit, leaving a line for "+N more" when some are left out.
        var first = 0
        func fits(from f: Int) -> Int {
            var used = 0, n = 0
            for h in heights[f...] {
                if used + h > inner.height { break }
                used += h
                n += 1
            }
            if marker, f + n < rows.count || f > 0 {
                // Room for the marker: drop rows from the end until it fits.
                while n > 0, heights[f..<(f + n)].reduce(0, +) + 1 > inner.height { n -= 1 }
            }
            return n
        }
        if let cursor, cursor < rows.count {
            while first < cursor, first + fits(from: first) <= cursor { first += 1 }
        }
        let shown = fits(from: first)
        var y = inner.y
        let markerRow = marker && (first > 0 || first + shown < rows.count)
        let bottom = inner.maxY - (markerRow ? 1 : 0)
        for i in first..<min(rows.count, first + shown) {
            let r = rows[i]
            let top = y
            var x = inner.x + 1
            if let g = r.glyph { x += put(g.text + " ", x: x, y: y, style: g.style) }
            let text = lines(r, detail: false)
            for (k, l) in text.enumerated() where y < bottom {
                put(l, x: x, y: y, style: r.nameStyle)
                if k == 0 {
                    var rx = inner.maxX - 1 - r.right.reduce(0) { $0 + DisplayWidth.of($1.text) } - max(0, r.right.count - 1)
                    for (n, seg) in r.right.enumerated() {
                        rx += put(seg.text, x: rx, y: y, style: seg.style) + (n < r.right.count - 1 ? 1 : 0)
                    }
                }
                y += 1
            }
            if withDetails, let d = r.detail, y < bottom {
                put("  " + d.text, x: inner.x + 1, y: y, max: width, style: d.style)
                y += 1
            }
            if r.selected {
                buffer.restyle(Rect(x: inner.x, y: top, width: inner.width, height: max(1, y - top)), Style(.selection))
            }
        }
        if markerRow, y <= inner.maxY - 1 {
            let hidden = rows.count - shown
            put((shown == 0 ? "\(hidden) not shown" : "+\(hidden) more") + moreHint, x: inner.x + 1, y: inner.maxY - 1, max: width,
                style: Style(.muted))
        }
    }

    /// "hold 4:00 · 2 unmet · next 50 %" wrapped at its " · " separators (a separator never ends a line), each
    /// segment wrapped by words if it is longer than a line.
    func wrapSegments(_ text: String, first: Int, rest: Int) -> [String] {
        var rows: [String] = []
        var cur = ""
        var limit = first
        for seg in text.components(separatedBy: " · ") {
            let candidate = cur.isEmpty ? seg : cur + " · " + seg
            if DisplayWidth.of(candidate) <= limit { cur = candidate; continue }
            if !cur.isEmpty { rows.append(cur); cur = ""; limit = rest }
            let pieces = wrapHard(seg, first: limit, rest: rest)
            rows += pieces.dropLast()
            if pieces.count > 1 { limit = rest }
            cur = pieces.last ?? ""
        }
        if !cur.isEmpty || rows.isEmpty { rows.append(cur) }
        return rows
    }

    /// Words wrapped to `first` columns on the first line and `rest` on the others; a word longer than a line is
    /// broken (never cut).
    func wrapHard(_ text: String, first: Int, rest: Int) -> [String] {
        var rows: [String] = []
        var cur = ""
        var limit = first
        func flush() {
            rows.append(cur)
            cur = ""
            limit = rest
        }
        for word in text.split(separator: " ") {
            let w = String(word)
            let candidate = cur.isEmpty ? w : cur + " " + w
            if DisplayWidth.of(candidate) <= limit { cur = candidate; continue }
            if !cur.isEmpty { flush() }
            var piece = ""
            for ch in w {
                if DisplayWidth.of(piece + String(ch)) > limit {
                    cur = piece
                    flush()
                    piece = ""
                }
                piece.append(ch)
            }
            cur = piece
        }
        if !cur.isEmpty || rows.isEmpty { rows.append(cur) }
        return rows
    }
}
