import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomStore

struct Sign: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Sign off a role the checklist names (or undo your own sign-off), journaled before exit 0.",
        discussion: """
        The checklist's sign-off lines (`**Engineering Lead:** [Name/Date] ____`, `Approved by the Security Lead`,
        a `### Product Owner Sign-Off` heading, …) each name a role; `warroom status` lists them. A role is signed
        once: signing it again is refused, naming who signed and when. To sign again, the signer undoes it first
        (`--undo`); nobody else can. Who signs is --actor (default: $USER); when is the journal's time.
        Without --checklist the run's own checklist (kept in the state directory) is used.
        """
    )

    @Argument(help: "The role, as the checklist writes it (case does not matter), e.g. \"Engineering Lead\".")
    var role: String
    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: "The checklist (Markdown); default: the one the run started with.") var checklist: String?
    @Option(help: "Who signs (default: $USER).") var actor: String?
    @Flag(help: "Take back your own sign-off of ROLE.") var undo = false
    @Option(help: "Share a new state directory with this Unix group (directory 2770, files 0660).") var group: String?
    @OptionGroup var head: HeadAcceptance

    func validate() throws {
        if role.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("ROLE cannot be empty") }
        try validateActor(actor)
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let loaded = try checklist.map { try loadChecklist($0) }
        if let c = loaded?.checklist { try requireValid(c) }
        let who = actor ?? defaultActor()
        let now = Clock.now()
        let sharing = try groupSharing(group)

        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        let state = location.label
        let writer = try location.openWriter(actor: who, now: now, sharing: sharing, acceptDamagedHead: head.reason)
        defer { writer.close() }
        for w in (writer as? JournalWriter)?.warnings ?? [] { writeStderr("warroom: warning: \(w)") }

        let list: Checklist
        if let loaded {
            list = loaded.checklist
        } else if let recorded = try recordedRun(store: location, run: writer.state) {
            list = recorded.checklist.checklist
        } else {
            throw Failure("\(state): no run has started here yet — give --checklist FILE")
        }
        guard let signOff = list.signOff(role: role) else {
            let all = list.signOffs
            var msg = "\(list.path): no sign-off for the role “\(role)”"
            msg += all.isEmpty ? "; the checklist has no sign-off lines"
                : "; its sign-offs:\n" + all.map { "  \($0.role)  (line \($0.line))" }.joined(separator: "\n")
            throw Failure(msg)
        }

        do {
            if let loaded {
                if writer.state.started == nil || writer.state.started?.checklistSHA256 == loaded.sha256 {
                    do { try location.keepChecklist(loaded.bytes) } catch {
                        throw Failure("cannot keep a copy of the checklist \(location.isEtcd ? "in etcd" : "in the state directory"): \(error)")
                    }
                }
                if writer.state.started == nil {
                    do {
                        try writer.append(.runStarted(RunStarted(checklist: checklist ?? list.path, checklistSHA256: loaded.sha256,
                                                                 items: list.items.count, host: hostName(),
                                                                 pid: Int32(ProcessInfo.processInfo.processIdentifier))),
                                          actor: who, time: now)
                    } catch is ReduceError where writer.state.started != nil {
                        // Another writer started the run between our look and our append: it is started; go on.
                    }
                } else if let started = writer.state.started, started.checklistSHA256 != loaded.sha256 {
                    writeStderr("warroom: warning: \(list.path) changed since this run started (journal has sha256 \(started.checklistSHA256.prefix(12))…)")
                }
            }
            let body: EventBody = undo ? .signOffUndo(SignOffEvent(role: signOff.role)) : .signOff(SignOffEvent(role: signOff.role))
            let e: JournalEvent
            do { e = try writer.append(body, actor: who, time: now) } catch let r as ReduceError {
                throw Failure("\(list.path):\(signOff.line): \(r.message); nothing changed")
            }
            if undo {
                say("\(signOff.role): sign-off by \(who) undone (\(Timestamp.iso8601(now)), journal seq \(e.seq)) — unsigned")
            } else {
                say("\(signOff.role): signed off by \(who) at \(Timestamp.iso8601(now)) (journal seq \(e.seq))")
            }
        } catch let f as Failure {
            throw f
        } catch {
            throw Failure("NOT SAVED: \(error)")
        }
    }
}
