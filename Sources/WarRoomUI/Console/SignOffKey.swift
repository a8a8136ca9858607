import WarRoomCore

/// Which rows of the checklist pane carry a sign-off (`Checklist.signOffs`): an item that is one, or a section whose
/// heading, or a bullet or line of text under it, is one. Derived once from the checklist's text.
public struct SignOffRows: Sendable {
    /// Every sign-off, in document order.
    public private(set) var all: [SignOff] = []
    /// By item index.
    public private(set) var byItem: [Int: SignOff] = [:]
    /// By section index: the section whose lines hold the heading, bullet or text line.
    public private(set) var bySection: [Int: SignOff] = [:]
    /// Sections listed because a sign-off sits in their subtree, with or without items (`### Technical Lead
    /// Sign-Off` over `- Name: ____` bullets has none).
    public private(set) var listed: Set<Int> = []

    public init(_ checklist: Checklist) {
        all = checklist.signOffs
        for so in all {
            if let id = so.itemID, let i = checklist.itemIndex(id: id) {
                byItem[i] = so
                continue
            }
            // The section that owns the line: the last heading at or before it (sections are in document order).
            guard let owner = checklist.sections.last(where: { $0.index != 0 && $0.line <= so.line }),
                  owner.index != checklist.titleSection, bySection[owner.index] == nil else { continue }
            bySection[owner.index] = so
            var s: Int? = owner.index
            while let si = s {
                listed.insert(si)
                s = checklist.sections[si].parent
            }
        }
    }

    /// The sign-off a row carries, if any.
    public func signOff(_ row: Row) -> SignOff? {
        switch row {
        case .item(let i): byItem[i]
        case .section(let s): bySection[s]
        }
    }
}

/// The sign key (`S`): on a row that carries a sign-off it asks first — sign as me, or take back my own signature —
/// and the engine journals it; a row without one, or a signature that is someone else's, opens nothing.
extension ConsoleState {
    /// The sign-off the selected checklist row carries.
    public var selectedSignOff: SignOff? {
        guard focus == .checklist, let row = selectedRow else { return nil }
        return signOffRows.signOff(row)
    }

    mutating func signOffKey() {
        guard let so = selectedSignOff else {
            let roles = signOffRows.all.map(\.role)
            say(roles.isEmpty ? "not a sign-off line — this checklist has no sign-offs"
                : "not a sign-off line — sign-offs: " + roles.joined(separator: ", "), .info)
            return
        }
        // Unsigned: sign. Mine: take it back. Someone else's: signing is refused, naming them.
        let sign = run.signature(so.role)?.actor != config.actor
        if let no = engine.signOffRefusal(so.role, sign: sign) {
            show(no)
            return
        }
        mode = .confirmSignOff(role: so.role, sign: sign)
    }

    mutating func confirmSignOff(_ role: String, sign: Bool, _ key: Key) -> [ConsoleEffect] {
        mode = .normal
        if key == .char("y") || key == .char("Y") { return send(.intent(.signOff(role: role, sign: sign))) }
        say(sign ? "not signed: \(role)" : "your signature for \(role) stays", .info)
        return []
    }
}
