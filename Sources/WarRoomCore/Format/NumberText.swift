/// Counts and percentages as text.
public enum NumberText {
    /// `part` as a whole percentage of `whole`, rounded down (so 99.9 % never shows as 100); 0 when `whole` is 0.
    public static func percent(_ part: Int, of whole: Int) -> Int {
        whole == 0 ? 0 : part * 100 / whole
    }

    /// `1 entry`, `3 entries`, `0 entries`.
    public static func counted(_ n: Int, _ singular: String, _ plural: String) -> String {
        "\(n) \(n == 1 ? singular : plural)"
    }
}
