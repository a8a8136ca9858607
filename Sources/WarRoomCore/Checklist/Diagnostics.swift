/// A problem found in an input file, always tied to a 1-based line number.
public struct Diagnostic: Sendable, Hashable, Codable {
    public enum Severity: String, Sendable, Codable { case error, warning }
    public var severity: Severity
    public var line: Int
    public var message: String

    public init(_ severity: Severity, line: Int, _ message: String) {
        self.severity = severity
        self.line = line
        self.message = message
    }

    /// `file:line: error: message` — the form editors and CI logs understand.
    public func formatted(path: String) -> String {
        "\(path):\(line): \(severity.rawValue): \(message)"
    }
}
