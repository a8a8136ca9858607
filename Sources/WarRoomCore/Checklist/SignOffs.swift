/// A sign-off the checklist asks for: a role whose holder signs (`warroom sign ROLE`), once, with name and time
/// taken from the journal.
///
/// Derived from the checklist's text, in these forms:
/// - a task item `- [ ] **Engineering Lead:** [Name/Date] ____` or `- [ ] Operations: ______ Date: ____`
///   (a role, a colon, and only blanks and Name/Date placeholders after it);
/// - a task item `- [ ] **SRE Lead:** sign-off before T-0` (a bold role whose text speaks of signing or approving);
/// - a task item `- [ ] Approved by the Security Lead` (also "Signed off by …", "Sign-off by …");
/// - a heading `### Technical Lead Sign-Off` (also "Signoff", "Sign off");
/// - a line or bullet `**Signed off by:** ______` (also "Approved by:", "Verified by:") with only blanks after it,
///   whose role is the heading it stands under (it names no role itself).
/// A role that appears twice is one sign-off (its first line). A role needs an ASCII letter (a heading's emoji is no role).
public struct SignOff: Sendable, Equatable {
    /// The role as written, e.g. "Engineering Lead".
    public var role: String
    /// The role compared: lowercase, single spaces (see `SignOff.key(_:)`).
    public var key: String
    /// 1-based line of the sign-off line (or heading).
    public var line: Int
    /// The task item that carries the sign-off, if it is one.
    public var itemID: String?

    public init(role: String, line: Int, itemID: String?) {
        self.role = role
        self.key = SignOff.key(role)
        self.line = line
        self.itemID = itemID
    }

    /// How roles are compared: case and runs of spaces do not matter.
    public static func key(_ role: String) -> String {
        role.lowercased().split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}

extension Checklist {
    /// The sign-offs the checklist asks for, in document order (see `SignOff`).
    public var signOffs: [SignOff] {
        var found: [SignOff] = []
        func add(_ role: String, _ line: Int, _ item: String?) {
            let r = SignOffText.cleanRole(role)
            guard r.contains(where: { $0.isASCII && $0.isLetter }) else { return }
            let s = SignOff(role: r, line: line, itemID: item)
            if !found.contains(where: { $0.key == s.key }) { found.append(s) }
        }
        var candidates: [(line: Int, run: () -> Void)] = []
        for item in items where SignOffText.mayBeSignOff(item.text) {
            if let role = SignOffText.roleOfTask(item.text) {
                candidates.append((item.line, { add(role, item.line, item.id) }))
            } else if SignOffText.isByBlank(item.text), let role = SignOffText.headingRole(sections[item.section].title) {
                candidates.append((item.line, { add(role, item.line, item.id) }))
            }
        }
        for section in sections where section.level > 0 {
            if let role = SignOffText.roleOfHeading(section.title) {
                candidates.append((section.line, { add(role, section.line, nil) }))
            }
            for block in section.blocks {
                let line: Int, text: String
                switch block {
                case .bullet(let l, _, _, let t): (line, text) = (l, t)
                case .text(let l, let t): (line, text) = (l, t)
                case .table: continue
                }
                if SignOffText.mayBeSignOff(text), SignOffText.isByBlank(text), let role = SignOffText.headingRole(section.title) {
                    candidates.append((line, { add(role, line, nil) }))
                }
            }
        }
        for c in candidates.sorted(by: { $0.line < $1.line }) { c.run() }
        return found
    }

    /// The sign-off for `role` (compared as `SignOff.key`).
    public func signOff(role: String) -> SignOff? {
        let k = SignOff.key(role)
        return signOffs.first { $0.key == k }
    }
}

enum SignOffText {
    static let byPrefixes = ["approved by", "signed off by", "signed-off by", "sign-off by", "sign off by", "signoff by"]
    static let headingSuffixes = ["sign-off", "sign off", "signoff"]

    /// A cheap look first (the console derives sign-offs at every start, 10,000 items included). Every form needs one
    /// of: "_" or "[" after a colon (blanks, placeholders), "by" (Approved by, Signed off by, Verified by), "sign" or
    /// "approv" (a bold role that speaks of signing off) — compared without case. False only where no form can match.
    static func mayBeSignOff(_ text: String) -> Bool {
        let u = Array(text.utf8)
        func at(_ i: Int, _ word: StaticString) -> Bool {
            let n = word.utf8CodeUnitCount
            guard i + n <= u.count else { return false }
            for k in 0..<n where u[i + k] | 0x20 != word.utf8Start[k] { return false }
            return true
        }
        var colon = false
        for i in u.indices {
            if u[i] == UInt8(ascii: ":") { colon = true }
            if colon, u[i] == UInt8(ascii: "_") || u[i] == UInt8(ascii: "[") { return true }
            switch u[i] | 0x20 { // ASCII letters lowercased
            case UInt8(ascii: "b"): if at(i, "by") { return true }
            case UInt8(ascii: "s"): if at(i, "sign") { return true }
            case UInt8(ascii: "a"): if at(i, "approv") { return true }
            default: break
            }
        }
        return false
    }

    /// Markdown emphasis and escapes removed, spaces trimmed.
    static func plain(_ s: String) -> String {
        String(s.filter { $0 != "*" && $0 != "\\" && $0 != "`" }).trimmingSpaces()
    }

    /// Only blanks (`___`), `[Name/Date]`-style placeholders and the words Name/Date/Signature.
    static func isBlank(_ s: String) -> Bool {
        var rest = ""
        var inBracket = false
        var bracket = ""
        for ch in s {
            if inBracket {
                if ch == "]" {
                    inBracket = false
                    let words = bracket.lowercased().split(whereSeparator: { "/ ,-&".contains($0) })
                    if !words.allSatisfy({ ["name", "date", "signature", "time"].contains(String($0)) }) { return false }
                    bracket = ""
                } else { bracket.append(ch) }
            } else if ch == "[" {
                inBracket = true
            } else {
                rest.append(ch)
            }
        }
        if inBracket { return false }
        let words = rest.lowercased().split(whereSeparator: { "_*\\ \t:-./".contains($0) })
        return words.allSatisfy { ["name", "date", "signature", "time"].contains(String($0)) }
    }

    /// The role of a task item's text, for the "Role: ____", "**Role:** sign-off …" and "Approved by Role" forms.
    static func roleOfTask(_ text: String) -> String? {
        let raw = text.trimmingSpaces()
        if raw.hasPrefix("**"), let close = raw.dropFirst(2).firstRange(of: "**") {
            let lead = String(raw[raw.index(raw.startIndex, offsetBy: 2)..<close.lowerBound]).trimmingSpaces()
            let rest = String(raw[close.upperBound...]).lowercased()
            if lead.hasSuffix(":"), ["sign-off", "sign off", "signoff", "signed off", "approv"].contains(where: { rest.contains($0) }) {
                return String(lead.dropLast())
            }
        }
        let t = plain(text)
        let lower = t.lowercased()
        for p in byPrefixes where lower.hasPrefix(p) {
            let rest = String(t.dropFirst(p.count)).trimmingSpaces()
            if rest.hasPrefix(":") || isBlank(rest) { return nil }  // "Approved by: ____" names no role
            return rest
        }
        guard let colon = t.firstIndex(of: ":") else { return nil }
        let role = String(t[..<colon]).trimmingSpaces()
        let rest = String(t[t.index(after: colon)...])
        guard !role.isEmpty, rest.contains("_") || rest.contains("["), isBlank(rest) else { return nil }
        // A role is a short name, not a sentence.
        guard role.split(separator: " ").count <= 5, !role.lowercased().hasSuffix(" by") else { return nil }
        return role
    }

    /// "Signed off by: ____" (also Approved by, Verified by) with nothing filled in.
    static func isByBlank(_ text: String) -> Bool {
        let t = plain(text)
        guard let colon = t.firstIndex(of: ":") else { return false }
        let lead = SignOff.key(String(t[..<colon]))
        let rest = String(t[t.index(after: colon)...])
        guard ["signed off by", "signed-off by", "sign-off by", "approved by", "verified by"].contains(lead) else { return false }
        return isBlank(rest)
    }

    /// "Technical Lead Sign-Off" → "Technical Lead".
    static func roleOfHeading(_ title: String) -> String? {
        let t = plain(title)
        let lower = t.lowercased()
        for s in headingSuffixes where lower.hasSuffix(s) {
            let role = String(t.dropLast(s.count)).trimmingSpaces()
            return role.isEmpty ? nil : role
        }
        return nil
    }

    /// The role a "Signed off by: ____" line stands for: its heading, without a trailing "Sign-off".
    static func headingRole(_ title: String) -> String? {
        let t = plain(title)
        guard !t.isEmpty else { return nil }
        return roleOfHeading(t) ?? t
    }

    static func cleanRole(_ s: String) -> String {
        var r = plain(s)
        if r.lowercased().hasPrefix("the ") { r = String(r.dropFirst(4)) }
        while let last = r.last, ".,;:_ ".contains(last) { r.removeLast() }
        return r.trimmingSpaces()
    }
}
