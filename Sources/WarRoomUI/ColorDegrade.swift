// Degrading theme colours to what the terminal can show.
//
// Themes may name any of the 256 xterm colours or a `#rrggbb` value; a terminal that reports fewer colours
// (tmux with TERM=screen, the Linux console, an old serial terminal) gets the nearest colour it has. Distances are
// plain squared RGB distances against the standard xterm palette. Everything here is a pure function.

extension Color {
    /// The standard xterm values of the 16 ANSI colours (0–7 normal, 8–15 bright).
    public static let ansiPalette: [(r: UInt8, g: UInt8, b: UInt8)] = [
        (0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229),
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0), (92, 92, 255), (255, 0, 255), (0, 255, 255),
        (255, 255, 255),
    ]

    /// The six levels of each channel of the 6×6×6 cube (indices 16–231).
    static let cubeLevels: [Int] = [0, 95, 135, 175, 215, 255]

    /// The xterm RGB value of a palette index: the 16 ANSI colours, the cube, or the grey ramp (232–255).
    public static func xtermRGB(_ index: UInt8) -> (r: UInt8, g: UInt8, b: UInt8) {
        let i = Int(index)
        if i < 16 { return ansiPalette[i] }
        if i < 232 {
            let c = i - 16
            return (UInt8(cubeLevels[c / 36]), UInt8(cubeLevels[(c / 6) % 6]), UInt8(cubeLevels[c % 6]))
        }
        let v = UInt8(8 + 10 * (i - 232))
        return (v, v, v)
    }

    /// This colour for a terminal with `n` colours:
    /// - n ≥ 256: `#rrggbb` becomes the nearest cube (16–231) or grey-ramp (232–255) index; indices stay.
    /// - 16 ≤ n < 256: `#rrggbb` and indices ≥ 16 become the nearest of the 16 ANSI colours.
    /// - 8 ≤ n < 16: anything but 0–7 becomes the nearest of the 8 normal colours.
    /// - n < 8: `.default` (no colour).
    /// `.default` always stays `.default`.
    public func degraded(toColors n: Int) -> Color {
        switch self {
        case .default:
            return .default
        case .indexed(let i):
            if n < 8 { return .default }
            if n >= 256 || Int(i) < min(n, 16) { return self }
            let (r, g, b) = Color.xtermRGB(i)
            return .indexed(Color.nearestANSI(r, g, b, count: n >= 16 ? 16 : 8))
        case .rgb(let r, let g, let b):
            if n < 8 { return .default }
            if n >= 256 { return .indexed(Color.nearest256(r, g, b)) }
            return .indexed(Color.nearestANSI(r, g, b, count: n >= 16 ? 16 : 8))
        }
    }

    static func distance(_ a: (Int, Int, Int), _ b: (Int, Int, Int)) -> Int {
        let dr = a.0 - b.0, dg = a.1 - b.1, db = a.2 - b.2
        return dr * dr + dg * dg + db * db
    }

    /// Nearest of the first `count` (8 or 16) ANSI colours; ties go to the lower index.
    static func nearestANSI(_ r: UInt8, _ g: UInt8, _ b: UInt8, count: Int) -> UInt8 {
        let target = (Int(r), Int(g), Int(b))
        var best = 0, bestDistance = Int.max
        for i in 0..<min(count, 16) {
            let p = ansiPalette[i]
            let d = distance(target, (Int(p.r), Int(p.g), Int(p.b)))
            if d < bestDistance { best = i; bestDistance = d }
        }
        return UInt8(best)
    }

    /// Nearest index in the cube (16–231) or the grey ramp (232–255); a tie goes to the cube.
    static func nearest256(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let target = (Int(r), Int(g), Int(b))
        func level(_ v: Int) -> Int {
            var best = 0
            for (k, l) in cubeLevels.enumerated() where abs(l - v) < abs(cubeLevels[best] - v) { best = k }
            return best
        }
        let lr = level(target.0), lg = level(target.1), lb = level(target.2)
        let cube = 16 + 36 * lr + 6 * lg + lb
        let cubeDistance = distance(target, (cubeLevels[lr], cubeLevels[lg], cubeLevels[lb]))
        // The grey ramp: 8, 18, …, 238. Try the ramp steps around the mean.
        let mean = (target.0 + target.1 + target.2) / 3
        var grey = 232, greyDistance = Int.max
        let centre = min(23, max(0, (mean - 8 + 5) / 10))
        for k in max(0, centre - 1)...min(23, centre + 1) {
            let v = 8 + 10 * k
            let d = distance(target, (v, v, v))
            if d < greyDistance { grey = 232 + k; greyDistance = d }
        }
        return UInt8(greyDistance < cubeDistance ? grey : cube)
    }
}

extension Theme {
    /// The theme with every colour degraded for a terminal with `n` colours (see `Color.degraded(toColors:)`).
    public func degraded(toColors n: Int) -> Theme {
        var copy = self
        for (role, style) in roles {
            var s = style
            s.fg = s.fg?.degraded(toColors: n)
            s.bg = s.bg?.degraded(toColors: n)
            copy.roles[role] = s
        }
        return copy
    }
}
