// Gauge values as the panes show them.


/// A value for a gauge cell: the number, then the unit. `1.84 s`, `840 ms`, `0.07 %`, `99.95 %`, `1.234 s`,
/// `12345 req/s`; `NaN`, `+Inf`, `-Inf` without a unit.
///
/// Decimals by magnitude (trailing zeros trimmed): ≥ 1000 none, ≥ 100 one, ≥ 10 two, ≥ 0.1 three, ≥ 0.01 four;
/// below 0.01 or from 1e8 on, three significant digits in exponent form (`1.23e-3`, `1.5e9`). So a number in
/// [0.01, 100 000) takes at most 6 characters and, with a one-character unit, fits 8 (`0.0123 %`, `99.95 %`).
/// A value is never rounded up across a power of ten (99.9996 shows `99.99`, not `100`; 0.0999996 shows `0.0999`,
/// not `0.1`), so a value just short of a round threshold never looks like it reached it.
public func formatValue(_ v: Double, unit: String?) -> String {
    let n = formatNumber(v)
    guard v.isFinite, let unit, !unit.isEmpty else { return n }
    return "\(n) \(unit)"
}

private func formatNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return "0" }
    let sign = v < 0 ? "-" : ""
    let a = v.magnitude
    if a >= 1e8 || a < 0.01 { return sign + exponentForm(a) }
    // (upper bound of the magnitude, decimals): at most 6 characters below 100 000.
    let (upper, decimals): (Double, Int)
    switch a {
    case 1000...: (upper, decimals) = (1e8, 0)
    case 100...: (upper, decimals) = (1000, 1)
    case 10...: (upper, decimals) = (100, 2)
    case 1...: (upper, decimals) = (10, 3)
    case 0.1...: (upper, decimals) = (1, 3)
    default: (upper, decimals) = (0.1, 4)
    }
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    var scaled = (a * scale).rounded()
    // 99.996 rounded to 2 decimals is 100.00: that crosses a power of ten upward. Truncate instead.
    if scaled >= (upper * scale).rounded() { scaled = (a * scale).rounded(.down) }
    var digits = String(Int64(scaled))
    if decimals > 0 {
        if digits.count <= decimals { digits = String(repeating: "0", count: decimals - digits.count + 1) + digits }
        let cut = digits.index(digits.endIndex, offsetBy: -decimals)
        var frac = String(digits[cut...])
        while frac.last == "0" { frac.removeLast() }
        digits = String(digits[..<cut]) + (frac.isEmpty ? "" : "." + frac)
    }
    return sign + digits
}

/// `1.23e-4`, `1.5e9`: three significant digits.
private func exponentForm(_ a: Double) -> String {
    var m = a, e = 0
    while m >= 10 { m /= 10; e += 1 }
    while m < 1 { m *= 10; e -= 1 }
    var hundredths = Int64((m * 100).rounded())
    // 9.996e-4 would round to 1.00e-3: never round up across a power of ten, truncate instead.
    if hundredths >= 1000 { hundredths = min(999, Int64((m * 100).rounded(.down))) }
    var text = String(hundredths / 100)
    var frac = String(hundredths % 100)
    if frac.count < 2 { frac = "0" + frac }
    while frac.last == "0" { frac.removeLast() }
    if !frac.isEmpty { text += "." + frac }
    return "\(text)e\(e)"
}

/// `2`, `0.1`, `99.9`, `-1`: integers without `.0`, others in Swift's shortest round-trip form.
func plainNumber(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == v.rounded(), v.magnitude < 1e15 { return String(Int64(v)) }
    return v.description
}
