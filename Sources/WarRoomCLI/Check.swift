import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomStore

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mark a checklist item done, skipped or blocked (or undo its last change), journaled before exit 0.",
        discussion: """
        The change is acknowledged (exit 0) only after it is written to the state directory's journal and
        fsync'd. Any number of writers may append at once — a running console, other `check`s: each append takes
        the journal's append lock only for itself, after the entries others wrote. If the lock stays held for 2 s
        this fails naming the holder, and nothing is written. Checking an item that already has that status
        changes nothing.
        """
    )

    @Argument(help: "The item's ID, as `warroom status` lists it (e.g. T1137 or kubernetes-cluster-3fa2c1).")
    var itemID: String
    @Option(help: "The checklist (Markdown).") var checklist: String
    @Option(help: "The run's state directory (created if missing).") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Flag(help: "Take back the item's most recent change (your own; another person's needs --force).") var undo = false
    @Option(help: "With --undo: take back another person's change, for this reason (journaled with the undo).")
    var force: String?
    @Option(help: "Mark the item skipped, with this reason.") var skip: String?
    @Option(help: "Mark the item blocked, with this reason.") var block: String?
    @Option(help: "A note to keep with the change.") var note: String?
    @Option(help: "Who is making the change (default: $SUDO_USER, else your account name, else $USER).") var actor: String?
    @Option(help: "Share a new state directory with this Unix group (directory 2770, files 0660).") var group: String?
    @OptionGroup var head: HeadAcceptance

    func validate() throws {
        let modes = [undo, skip != nil, block != nil].filter { $0 }.count
        if modes > 1 { throw ValidationError("use only one of --undo, --skip, --block") }
        if let s = skip, s.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--skip needs a reason") }
        if let b = block, b.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--block needs a reason") }
        if undo, note != nil { throw ValidationError("--note cannot be used with --undo") }
        if force != nil, !undo { throw ValidationError("--force goes with --undo") }
        if let f = force, f.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--force needs a reason") }
        try validateActor(actor)
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let loaded = try loadChecklist(checklist)
        let c = loaded.checklist
        try requireValid(c)
        guard let item = c.item(id: itemID) else { throw Failure(notFound(itemID, in: c)) }
        let who = actor ?? defaultActor()
        let now = Clock.now()
        let sharing = try groupSharing(group)

        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        let writer = try location.openWriter(actor: who, now: now, sharing: sharing, acceptDamagedHead: head.reason)
        defer { writer.close() }
        if let file = writer as? JournalWriter {
            for w in file.warnings { writeStderr("warroom: warning: \(w)") }
            if let torn = file.recovered {
                writeStderr("warroom: warning: \(location.journalLabel):\(torn.line): cut off a torn last line (\(torn.bytes) bytes, never acknowledged)\(torn.savedTo.map { "; saved to \($0)" } ?? "")")
            }
        }
        do {
            // The run keeps the checklist's exact bytes: `status`, `report` and `replay` need only the state directory.
            if writer.state.started == nil || writer.state.started?.checklistSHA256 == loaded.sha256 {
                do { try location.keepChecklist(loaded.bytes) } catch {
                    throw Failure("cannot keep a copy of the checklist \(location.isEtcd ? "in etcd" : "in the state directory"): \(error)")
                }
            }
            if writer.state.started == nil {
                do {
                    try writer.append(.runStarted(RunStarted(checklist: checklist, checklistSHA256: loaded.sha256,
                                                             items: c.items.count, host: hostName(),
                                                             pid: Int32(ProcessInfo.processInfo.processIdentifier))),
                                      actor: who, time: now)
                } catch is ReduceError where writer.state.started != nil {
                    // Another writer started the run between our look and our append: it is started; go on.
                }
            }
            if let started = writer.state.started, started.checklistSHA256 != loaded.sha256 {
                writeStderr("warroom: warning: \(checklist) changed since this run started (journal has sha256 \(started.checklistSHA256.prefix(12))…)")
                let orphans = writer.state.orphans(in: c)
                if !orphans.isEmpty {
                    writeStderr("warroom: warning: state recorded for items no longer in the checklist: \(orphans.joined(separator: ", "))")
                }
            }

            let current = writer.state.status(of: item)
            if undo {
                guard let last = writer.state.record(item.id) else {
                    throw Failure("\(item.id) has no change to undo in this run (it is \(current.rawValue) as written in the checklist)")
                }
                // Undo is your own: another person's change is taken back only with --force and its reason.
                if last.actor != who, force == nil {
                    throw Failure("\(item.id): refused — its last change (\(last.status.rawValue), journal seq \(last.seq), \(Timestamp.iso8601(last.time))) was made by \(last.actor), not \(who); --force REASON takes it back anyway")
                }
                let e = try writer.append(.itemUndo(ItemUndo(id: item.id, reason: force, undoes: last.seq)), actor: who, time: now)
                let back = writer.state.status(of: item)
                say("\(item.id) \(back.rawValue) — undid \(last.actor)'s \(last.status.rawValue) from \(Timestamp.iso8601(last.time)) (journal seq \(e.seq))"
                      + (force.map { "\n  reason: \($0)" } ?? ""))
                return
            }
            let target: ItemStatus = skip != nil ? .skipped : block != nil ? .blocked : .done
            let reason = skip ?? block
            if current == target, note == nil, reason == writer.state.record(item.id)?.reason {
                let by = writer.state.record(item.id).map { " (by \($0.actor) at \(Timestamp.iso8601($0.time)))" } ?? " (as written in the checklist)"
                say("\(item.id) is already \(target.rawValue)\(by); nothing changed")
                return
            }
            let e = try writer.append(.itemSet(ItemSet(id: item.id, status: target, reason: reason, note: note)),
                                      actor: who, time: now)
            var line = "\(item.id) \(target.rawValue) — \(item.title) (\(who), \(Timestamp.iso8601(now)), journal seq \(e.seq))"
            if let r = reason { line += "\n  reason: \(r)" }
            if let n = note { line += "\n  note: \(n)" }
            let openChildren = c.items.filter { $0.parent.map { c.items[$0].id } == item.id && writer.state.status(of: $0) == .open }
            if target == .done, !openChildren.isEmpty {
                line += "\n  \(openChildren.count) sub-item\(openChildren.count == 1 ? " is" : "s are") still open"
            }
            say(line)
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure("NOT SAVED: \(error)")
        }
    }
}

/// "no item X" with the nearest candidates, so a typo is one glance away from the right ID.
func notFound(_ id: String, in c: Checklist) -> String {
    let needle = id.lowercased()
    var candidates = c.items.filter { $0.id.lowercased().hasPrefix(needle) }
    if candidates.isEmpty {
        candidates = c.items.filter { $0.title.lowercased().contains(needle) || $0.id.lowercased().contains(needle) }
    }
    var msg = "\(c.path): no item with ID \(id)"
    if !candidates.isEmpty {
        msg += "; did you mean:\n" + candidates.prefix(5).map { "  \($0.id)  \($0.title)  (line \($0.line))" }.joined(separator: "\n")
    }
    return msg
}
