import WarRoomCore

/// The detail view over the console: why a light or an SLO is in its state (`Engine.explainLight` / `explainSLO`),
/// label and text in two columns, the text wrapped (never cut); when the screen is too short, the last row says how
/// many lines are left out.
extension Painter {
    mutating func why(_ e: Explanation, size: Size, closeKey: String) {
        overlay(title: "WHY · \(e.title)", lines: e.lines, firstStyle: Self.stateStyle(e.state), bottom: "↑↓ next · \(closeKey) closes",
                size: size)
    }

    /// `U`: the stakeholder update drafted from the journal, as it would be pasted.
    mutating func updateDraft(_ text: String, size: Size, saves: Bool) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
            .map { Explanation.Line("", String($0)) }
        overlay(title: "STAKEHOLDER UPDATE · draft from the journal", lines: Array(lines), firstStyle: Style(.text, .bold),
                bottom: saves ? "w saves to a file · Esc closes" : "Esc closes · warroom report --update prints it", size: size)
    }

    /// A box in the middle of the screen: label and text in two columns, the text wrapped (never cut).
    mutating func overlay(title: String, lines: [Explanation.Line], firstStyle: Style, bottom: String, size: Size) {
        let width = min(size.width - 4, 100)
        let labelW = min(10, lines.map { DisplayWidth.of($0.label) }.max() ?? 0)
        let gap = labelW > 0 ? 2 : 0
        let textW = max(10, width - 2 - 1 - labelW - gap - 1)
        var rows: [(label: String, text: String, first: Bool)] = []
        for l in lines {
            let wrapped = wrapLong(l.text, width: textW)
            for (i, t) in wrapped.enumerated() { rows.append((i == 0 ? l.label : "", t, i == 0 && rows.isEmpty)) }
        }
        let height = min(size.height - 2, rows.count + 2)
        let rect = Rect(x: (size.width - width) / 2, y: max(1, (size.height - height) / 2), width: width, height: height)
        buffer.fill(rect, Cell(" ", Style(.text)))
        box(rect, title: title, focused: true, bottom: bottom)
        let inner = rect.inset(1)
        var y = inner.y
        for (i, r) in rows.enumerated() {
            guard y < inner.maxY else { break }
            if y == inner.maxY - 1, i < rows.count - 1 {
                put("(+\(rows.count - i) more lines: a taller terminal shows them)", x: inner.x + 1, y: y, max: inner.width - 2,
                    style: Style(.muted))
                break
            }
            put(r.label, x: inner.x + 1, y: y, max: labelW, style: Style(.accent, .bold))
            put(r.text, x: inner.x + 1 + labelW + gap, y: y, max: inner.maxX - (inner.x + 1 + labelW + gap) - 1,
                style: r.first ? firstStyle : Style(.text))
            y += 1
        }
    }

    static func stateStyle(_ s: SignalState) -> Style {
        switch s {
        case .ok: Style(.ok, .bold)
        case .warn, .watch: Style(.warn, .bold)
        case .breach, .tripped: Style(.crit, .bold)
        case .unknown, .stale, .blind, .unbound: Style(.unknown, .bold)
        }
    }

    /// `wrap`, with words longer than the width (a URL, a query) broken across rows rather than cut.
    func wrapLong(_ text: String, width: Int) -> [String] {
        guard width > 0 else { return [text] }
        var out: [String] = []
        for row in wrap(text, width: width) {
            var rest = Substring(row)
            while DisplayWidth.of(String(rest)) > width {
                var cut = rest.startIndex
                var w = 0
                while cut < rest.endIndex {
                    let cw = DisplayWidth.of(String(rest[cut]))
                    if w + cw > width { break }
                    w += cw
                    cut = rest.index(after: cut)
                }
                if cut == rest.startIndex { cut = rest.index(after: cut) }
                out.append(String(rest[..<cut]))
                rest = rest[cut...]
            }
            out.append(String(rest))
        }
        return out.isEmpty ? [""] : out
    }
}
