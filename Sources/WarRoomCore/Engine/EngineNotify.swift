/// Notifications out (`notify:`): which journaled entries the driver sends, exactly once each, and what a delivery
/// given up on does. Followers, crew consoles and replays never notify; entries already in the journal when the
/// console opened are not sent again.
extension Engine {
    /// The `.notify` for an entry the driver just acknowledged (its own or merged), if its kind is sent.
    func notifications(for event: JournalEvent) -> [Command] {
        guard driving, !(config.notify ?? []).isEmpty,
              let n = RunNotification.of(event, run: run, service: config.service) else { return [] }
        return [.notify(n)]
    }

    /// Phases past due with items open, by section index (none without t0).
    func overduePhases(now: Millis) -> Set<Int> {
        guard let t0 = config.t0 else { return [] }
        return Set(checklist.phases.filter { checklist.overdue($0, t0: t0, now: now, run: run) }.map(\.section))
    }

    /// Each phase that went overdue since the last tick, once.
    mutating func overdueNotifications() -> [Command] {
        guard driving, !(config.notify ?? []).isEmpty, let t0 = config.t0 else { return [] }
        var out: [Command] = []
        for p in checklist.phases where !overdueNotified.contains(p.section) && checklist.overdue(p, t0: t0, now: now, run: run) {
            overdueNotified.insert(p.section)
            let progress = ChecklistProgress(checklist: checklist, state: run, indices: checklist.itemIndices(inSubtree: p.section))
            out.append(.notify(.overdue(phase: checklist.sections[p.section].title, due: p.due(t0: t0),
                                        open: progress.items - progress.complete, items: progress.items, now: now, run: run,
                                        service: config.service, actor: session.actor)))
        }
        return out
    }

    /// `comms:`: once per update fallen due during the ramp, the commander is reminded (the header says UPDATE DUE).
    mutating func commsReminder() -> [Command] {
        guard driving, let r = StakeholderUpdate.reminder(run: run, comms: config.comms, now: now), r.index > commsReminded else { return [] }
        commsReminded = r.index
        return [.show(Notice("stakeholder update due (every \(DurationText.format(config.comms?.everyMs ?? 0))): U shows one drafted from the journal (warroom report --update prints it)",
                             .warn, sticky: true))]
    }

    /// A notification given up on: counted (the header) and, on the driver, journaled once.
    mutating func notifyFailed(_ f: NotifyFailed) -> [Command] {
        notifyFailedCount += 1
        var out: [Command] = [.log("notification \(f.event) to \(f.target) not delivered after \(f.attempts) tries: \(f.error)")]
        if driving { out.append(append(.notifyFailed(f))) }
        return out
    }
}
