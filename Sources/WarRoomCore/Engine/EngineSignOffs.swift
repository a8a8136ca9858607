/// Sign-offs from a console: what the sign key may do for the console's actor, by the journal's own rule
/// (`RunState.signOffVerdict`), asked before the UI opens its confirmation and again before the append.
extension Engine {
    /// Why the console's actor cannot sign `role` now (`sign: false`: take their signature back), or nil.
    public func signOffRefusal(_ role: String, sign: Bool) -> Notice? {
        if let no = refusal(.write) { return no }
        guard checklist.signOff(role: role) != nil else {
            return Notice("“\(role)” is not a sign-off of this checklist", .warn)
        }
        if signOffSaving(role) { return stillSaving(role) }
        switch run.signOffVerdict(role, by: session.actor, sign: sign) {
        case .allowed:
            return nil
        case .alreadySigned(let s) where s.actor == session.actor:
            return Notice("you signed \(s.role) at \(Timestamp.hms(s.time))Z already", .info)
        case .alreadySigned(let s), .signedByOther(let s):
            return Notice("\(s.role) was signed by \(s.actor) at \(Timestamp.hms(s.time))Z; only they can take it back", .warn)
        case .notSigned:
            return Notice("\(role) is not signed: nothing to take back", .info)
        }
    }

    /// Whether a sign or unsign of `role` is on its way to the journal.
    func signOffSaving(_ role: String) -> Bool {
        let key = SignOff.key(role)
        return saving.contains { entry in
            switch entry.body {
            case .signOff(let so), .signOffUndo(let so): so.key == key
            default: false
            }
        }
    }
}

extension SignOffEvent {
    /// The role as roles compare (`SignOff.key`).
    var key: String { SignOff.key(role) }
}
