import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomEtcd
import WarRoomStore

struct WitnessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "witness",
        abstract: "Print the journal's head as one line to keep where the journal's writers cannot rewrite it.",
        discussion: """
        The hash chain proves the journal was not changed by accident, but whoever can write the state directory can \
        rewrite it consistently. Paste this line into the change ticket (or a chat) during and after the run: \
        `warroom verify --state DIR --witness LINE_OR_FILE` later proves the journal still extends it. Read-only.
        """
    )

    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions

    func validate() throws {
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        guard case .directory(let state) = location else {
            guard try location.hasRun() else { throw Failure("\(location.label): no journal here") }
            let r = try location.replay()
            guard r.lineCount > 0, let hash = r.lastHash else { throw Failure("\(location.journalLabel): the journal is empty: nothing to witness yet") }
            let w = Witness(runID: r.state.runID, seq: r.lineCount, hash: hash, at: Clock.now())
            say(w.line)
            // Kept in etcd as well (written once), where `verify --store` checks it with the others the run kept.
            if case .etcd(let url, _) = location {
                do {
                    let etcd = try EtcdJournal.open(url: url, actor: "witness", now: Clock.now())
                    if try etcd.keep(w) { writeStderr("kept in \(url.description)/witness/ as well") }
                } catch { throw Failure("\(error)") }
            }
            return
        }
        guard try hasRun(state) else { throw Failure("\(state): no journal here (\(Journal.path(in: state)) is missing)") }
        let replay: Replay
        do { replay = try Journal.replay(stateDir: state) } catch { throw Failure("\(error)") }
        guard let w = Witness.of(replay, at: Clock.now()) else { throw Failure("\(Journal.path(in: state)): the journal is empty: nothing to witness yet") }
        say(w.line)
    }
}
