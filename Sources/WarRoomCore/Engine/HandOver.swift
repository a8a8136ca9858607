/// A deliberate hand-over (`D`): the driver offers driving to the next driver by name. The offer goes to the
/// driver lease and then to the journal (`driver.offer`, one append: see `Command.append`); the named driver accepts
/// with `warroom run … --take-over REASON`, which the lease lets in at once. This console drives until then (no gap
/// in driving) and learns of the take-over at its next heartbeat (`.deposed`).
extension Engine {
    /// The offer in force, as journaled (nil: none).
    public var pendingOffer: PendingOffer? { run.driverOffer }

    mutating func offerDriving(to name: String?) -> [Command] {
        if let r = refusal(.handOver) { return [.show(r)] }
        if saving.contains(where: { if case .driverOffer = $0.body { true } else { false } }) {
            return [.show(Notice("still saving the last offer — press D again in a moment", .warn))]
        }
        let to = Self.trimmed(name ?? "")
        guard !to.isEmpty else {
            guard run.driverOffer != nil else { return [.show(Notice("no offer to withdraw — D asks for the next driver's name", .info))] }
            return [append(.driverOffer(DriverOffer(to: nil)))]
        }
        if let problem = TerminalText.nameProblem(to) { return [.show(Notice("D: \(problem)", .warn))] }
        if to == session.actor { return [.show(Notice("you drive already — name the next driver", .info))] }
        if run.driverOffer?.to == to { return [.show(Notice(Self.waiting(to), .info))] }
        return [append(.driverOffer(DriverOffer(to: to)))]
    }

    /// What the driver reads once the offer is saved.
    static func waiting(_ to: String) -> String {
        "offered to \(to) — waiting for \(to) to take over (D again to cancel or change)"
    }

    /// The message for a journaled offer: the driver's own (waiting), or someone's as everyone reads it.
    func offerNotice(_ event: JournalEvent, own: Bool) -> Notice {
        guard own, case .driverOffer(let o) = event.body else { return Notice(describe(event), .info) }
        guard let to = o.to else { return Notice("offer withdrawn — you keep driving", .info) }
        return Notice(Self.waiting(to), .warn)
    }

    static func trimmed(_ s: String) -> String {
        String(s.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
