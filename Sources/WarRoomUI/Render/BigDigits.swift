/// The ramp percentage in digits three rows tall, to be read across a room: a 3×5 pixel font drawn with half blocks
/// (two pixel rows a text row), or `#` with ASCII glyphs.
enum BigDigits {
    /// Each glyph: five rows of three pixels.
    private static let font: [Character: [String]] = [
        "0": ["###", "#.#", "#.#", "#.#", "###"], "1": [".#.", "##.", ".#.", ".#.", "###"],
        "2": ["###", "..#", "###", "#..", "###"], "3": ["###", "..#", "###", "..#", "###"],
        "4": ["#.#", "#.#", "###", "..#", "..#"], "5": ["###", "#..", "###", "..#", "###"],
        "6": ["###", "#..", "###", "#.#", "###"], "7": ["###", "..#", "..#", "..#", "..#"],
        "8": ["###", "#.#", "###", "#.#", "###"], "9": ["###", "#.#", "###", "..#", "###"],
        "%": ["#.#", "..#", ".#.", "#..", "#.#"],
    ]

    /// Three text rows for `text` (digits and %), a column between glyphs; nil if a character has no glyph.
    static func rows(_ text: String, unicode: Bool) -> [String]? {
        var out = ["", "", ""]
        for (n, ch) in text.enumerated() {
            guard let g = font[ch] else { return nil }
            let pixels = g.map { Array($0).map { $0 == "#" } }
            for r in 0..<3 {
                if n > 0 { out[r] += " " }
                for c in 0..<3 {
                    let top = pixels[r * 2][c]
                    let bottom = r * 2 + 1 < 5 ? pixels[r * 2 + 1][c] : false
                    out[r].append(cell(top: top, bottom: bottom, unicode: unicode))
                }
            }
        }
        return out
    }

    /// Columns `rows` takes for `text`.
    static func width(_ text: String) -> Int { text.isEmpty ? 0 : text.count * 4 - 1 }

    private static func cell(top: Bool, bottom: Bool, unicode: Bool) -> Character {
        switch (top, bottom) {
        case (true, true): return unicode ? "█" : "#"
        case (true, false): return unicode ? "▀" : "\""
        case (false, true): return unicode ? "▄" : "_"
        case (false, false): return " "
        }
    }
}
