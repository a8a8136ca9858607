/// The sign-off rule, in one place: a role is signed once; only its signer takes the signature back. The journal's
/// reducer (`RunState.apply`, so `warroom sign` under the append lock) and the console's engine (before it asks
/// anything, and again before it journals) both ask it.
public enum SignOffVerdict: Sendable, Equatable {
    case allowed
    /// Signing a role someone has signed already.
    case alreadySigned(Signature)
    /// Taking back a signature nobody gave.
    case notSigned
    /// Taking back someone else's signature.
    case signedByOther(Signature)
}

extension RunState {
    /// Whether `actor` may sign `role` now (`sign: true`) or take their signature back (`sign: false`).
    public func signOffVerdict(_ role: String, by actor: String, sign: Bool) -> SignOffVerdict {
        let current = signature(role)
        if sign { return current.map { .alreadySigned($0) } ?? .allowed }
        guard let s = current else { return .notSigned }
        return s.actor == actor ? .allowed : .signedByOther(s)
    }
}
