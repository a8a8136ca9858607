/// A person to call on go-live day, read from the checklist's contacts table or list (or, later, the config).
public struct Contact: Sendable, Equatable, Codable {
    public var role: String
    public var name: String
    public var phone: String
    public var handle: String
    /// Line in the checklist it came from (0 when it came from elsewhere).
    public var line: Int

    public init(role: String, name: String, phone: String = "", handle: String = "", line: Int = 0) {
        self.role = role
        self.name = name
        self.phone = phone
        self.handle = handle
        self.line = line
    }
}

extension Contact {
    /// A template's blank: "[Name]", "[Phone/Slack]", "[+55-XX-XXXX]", "___", "TBD" — never a real person or number.
    public static func isPlaceholder(_ s: String) -> Bool {
        var t = Substring(s)
        while let f = t.first, f == " " || f == "\t" { t = t.dropFirst() }
        while let l = t.last, l == " " || l == "\t" { t = t.dropLast() }
        if t.isEmpty { return false }
        if t.hasPrefix("["), t.hasSuffix("]") { return true }
        if t.allSatisfy({ $0 == "_" || $0 == "-" || $0 == "." || $0 == " " }) { return true }
        return ["tbd", "tba", "n/a", "todo"].contains(t.lowercased())
    }

    /// The fields still blank in the template, by name ("name", "phone", "handle").
    public var unfilled: [String] {
        [("name", name), ("phone", phone), ("handle", handle)].filter { Self.isPlaceholder($0.1) }.map(\.0)
    }
}

extension Checklist {
    /// Contacts from tables and bullet lists under headings about contacts ("Emergency Contacts", "📞 CONTACTS",
    /// "Escalation"), and from any table whose header names a role and a name or phone.
    public var contacts: [Contact] {
        var out: [Contact] = []
        // Whether a section sits under a heading about contacts: its own title, or its parent's answer.
        var inContacts = Array(repeating: false, count: sections.count)
        for s in sections {
            let own = ["contact", "escalation", "on-call", "roster"].contains { containsASCIIInsensitive(s.title, $0) }
            inContacts[s.index] = own || (s.parent.map { inContacts[$0] } ?? false)
        }
        for s in sections where !s.blocks.isEmpty {
            let inContacts = inContacts[s.index]
            for block in s.blocks {
                switch block {
                case .table(let line, let header, let rows):
                    out += Self.contacts(header: header, rows: rows, line: line, force: inContacts)
                case .bullet(let line, _, _, let text) where inContacts:
                    if let c = Self.contact(bullet: text, line: line) { out.append(c) }
                default: break
                }
            }
        }
        return out
    }

    static func contacts(header: [String], rows: [[String]], line: Int, force: Bool) -> [Contact] {
        func col(_ words: [String]) -> Int? {
            header.firstIndex { h in
                // An ASCII header (nearly all) is searched byte by byte: the same answer as below, without the
                // generic string search that made every table in a large checklist cost microseconds.
                if h.utf8.allSatisfy({ $0 < 0x80 }) { return words.contains { containsASCIIInsensitive(h, $0) } }
                let l = h.lowercased()
                return words.contains { l.contains($0) }
            }
        }
        let role = col(["role", "position", "function", "team"])
        let name = col(["name", "person", "owner", "who"])
        let phone = col(["phone", "tel", "mobile", "cell"])
        let handle = col(["slack", "handle", "chat", "email", "pager", "contact", "teams"])
        guard let r = role, name != nil || phone != nil || force else { return [] }
        return rows.enumerated().compactMap { (i, row) in
            func cell(_ c: Int?) -> String { c.flatMap { $0 < row.count ? plainInline(row[$0]) : nil } ?? "" }
            let roleText = cell(r)
            guard !roleText.isEmpty else { return nil }
            return Contact(role: roleText, name: cell(name), phone: cell(phone), handle: cell(handle), line: line + 2 + i)
        }
    }

    /// `**Incident Commander:** Dana Ortiz — +1 555 0100 — @dana`, `On-Call Engineer: PagerDuty escalation`.
    static func contact(bullet raw: String, line: Int) -> Contact? {
        let parsed = ItemText(raw)
        var role: String
        var rest: String
        if let detail = parsed.detail {
            role = parsed.title
            rest = detail
        } else if let colon = parsed.title.firstIndex(of: ":") {
            role = String(parsed.title[..<colon]).trimmingSpaces()
            rest = String(parsed.title[parsed.title.index(after: colon)...]).trimmingSpaces()
        } else {
            return nil
        }
        guard !role.isEmpty else { return nil }
        var fields: [String] = [rest]
        for sep in [" — ", " – ", " - ", " | ", ", "] {
            fields = fields.flatMap { $0.components(separatedBy: sep) }
        }
        fields = fields.map { $0.trimmingSpaces() }.filter { !$0.isEmpty }
        var c = Contact(role: role, name: "", line: line)
        var unplaced: [String] = []
        for f in fields {
            if c.handle.isEmpty, f.hasPrefix("@") || f.hasPrefix("#") {
                c.handle = f
            } else if c.phone.isEmpty, looksLikePhone(f) {
                c.phone = f
            } else {
                unplaced.append(f)
            }
        }
        if let first = unplaced.first { c.name = first }
        if unplaced.count > 1, c.handle.isEmpty { c.handle = unplaced[1...].joined(separator: " ") }
        return c
    }

    static func looksLikePhone(_ s: String) -> Bool {
        var digits = 0
        for ch in s.unicodeScalars {
            if ch.value >= 0x30 && ch.value <= 0x39 { digits += 1 }
            else if !" +-().xX".unicodeScalars.contains(ch) { return false }
        }
        return digits >= 3
    }
}
