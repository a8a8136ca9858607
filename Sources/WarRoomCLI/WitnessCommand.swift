import ArgumentParser
import Foundation
import WarRoomCore
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

    @Option(help: "The run's state directory.") var state: String

    func run() throws {
        guard try hasRun(state) else { throw Failure("\(state): no journal here (\(Journal.path(in: state)) is missing)") }
        let replay: Replay
        do { replay = try Journal.replay(stateDir: state) } catch { throw Failure("\(error)") }
        guard let w = Witness.of(replay, at: Clock.now()) else { throw Failure("\(Journal.path(in: state)): the journal is empty: nothing to witness yet") }
        say(w.line)
    }
}
