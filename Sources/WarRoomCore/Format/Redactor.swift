/// Takes every secret warroom knows out of a text from outside (a hook's or a command source's output, a server's
/// error body) before it becomes an action, so it cannot reach the screen, the journal, `warroom.log`, `view.json`, a
/// decision snapshot or the report.
///
/// Every occurrence of a secret becomes `Redactor.marker`; occurrences that overlap or touch (two secrets sharing
/// characters, one secret inside another) become one marker. Matching is on the UTF-8 bytes, so a secret is found
/// whatever the text around it (a combining mark after it, another script before it). Values shorter than
/// `minimumLength` characters are never redacted: a secret "a" would turn every text into markers.
///
/// Texts are cut before they get here (a 200-character hook line, a 60-character quote): where a text ends with, or
/// is cut ("…") right after, the start of a secret — at least `cutPrefixMinimum` characters of it — that start is
/// redacted too, so no long prefix of a token survives a cut.
public struct Redactor: Sendable, Equatable {
    public static let marker = "[redacted]"
    public static let minimumLength = 4
    public static let cutPrefixMinimum = 6

    /// The secrets, distinct, longest first (as UTF-8 bytes).
    private let secrets: [[UInt8]]

    /// `secrets` may hold duplicates, empty and short values (ignored) and values with surrounding whitespace (each
    /// is also taken trimmed, as a token read from a file would be sent).
    public init(secrets: [String] = []) {
        var seen = Set<[UInt8]>()
        var kept: [[UInt8]] = []
        for secret in secrets {
            for value in [secret, Self.trimmed(secret)] where value.count >= Self.minimumLength {
                let bytes = Array(value.utf8)
                if seen.insert(bytes).inserted { kept.append(bytes) }
            }
        }
        self.secrets = kept.sorted { $0.count > $1.count }
    }

    /// Whether there is nothing to redact.
    public var isEmpty: Bool { secrets.isEmpty }

    /// How many distinct secrets it knows (never which).
    public var count: Int { secrets.count }

    public func redact(_ text: String) -> String {
        guard !secrets.isEmpty, !text.isEmpty else { return text }
        let bytes = Array(text.utf8)
        var ranges: [Range<Int>] = []
        for secret in secrets {
            ranges += Self.occurrences(of: secret, in: bytes)
        }
        let ellipses = Self.ellipsisPositions(bytes)
        for secret in secrets {
            if let cut = Self.cutPrefix(of: secret, in: bytes, ellipses: ellipses) { ranges.append(cut) }
        }
        guard !ranges.isEmpty else { return text }
        ranges.sort { $0.lowerBound < $1.lowerBound }
        var merged: [Range<Int>] = []
        for r in ranges {
            if let last = merged.last, r.lowerBound <= last.upperBound {
                merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
            } else {
                merged.append(r)
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var at = 0
        let marker = Array(Self.marker.utf8)
        for r in merged {
            out += bytes[at..<r.lowerBound]
            out += marker
            at = r.upperBound
        }
        out += bytes[at...]
        return String(decoding: out, as: UTF8.self)
    }

    /// `redact` on each text.
    public func redact(_ texts: [String]) -> [String] { texts.map(redact) }

    // MARK: - Matching

    private static func occurrences(of secret: [UInt8], in bytes: [UInt8]) -> [Range<Int>] {
        guard secret.count <= bytes.count, let first = secret.first else { return [] }
        var found: [Range<Int>] = []
        var i = 0
        let last = bytes.count - secret.count
        while i <= last {
            if bytes[i] == first, bytes[i..<(i + secret.count)].elementsEqual(secret) {
                found.append(i..<(i + secret.count))
            }
            i += 1
        }
        return found
    }

    /// The longest proper prefix of `secret` (whole characters, at least `cutPrefixMinimum` of them) that ends the
    /// text or stands right before a "…".
    private static func cutPrefix(of secret: [UInt8], in bytes: [UInt8], ellipses: [Int]) -> Range<Int>? {
        let scalars = String(decoding: secret, as: UTF8.self).unicodeScalars.map { String($0).utf8.count }
        guard scalars.count - 1 >= cutPrefixMinimum else { return nil }
        var prefixLength = secret.count - scalars[scalars.count - 1]
        for k in stride(from: scalars.count - 1, through: cutPrefixMinimum, by: -1) {
            let head = secret[..<prefixLength]
            if bytes.count >= head.count, bytes[(bytes.count - head.count)...].elementsEqual(head) {
                return (bytes.count - head.count)..<bytes.count
            }
            for p in ellipses where p >= head.count && bytes[(p - head.count)..<p].elementsEqual(head) {
                return (p - head.count)..<p
            }
            prefixLength -= scalars[k - 1]
        }
        return nil
    }

    /// Where "…" starts in `bytes`.
    private static func ellipsisPositions(_ bytes: [UInt8]) -> [Int] {
        var out: [Int] = []
        var i = 0
        while i + 2 < bytes.count {
            if bytes[i] == 0xE2, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA6 { out.append(i) }
            i += 1
        }
        return out
    }

    private static func trimmed(_ s: String) -> String {
        var t = Substring(s)
        while let c = t.first, c.isWhitespace { t.removeFirst() }
        while let c = t.last, c.isWhitespace { t.removeLast() }
        return String(t)
    }
}
