import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomStore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show per-section and total progress, and who did what when.",
        discussion: """
        Reads the journal without taking the writer's lock, so it works while a console is running. With --state \
        alone it shows the run as its state directory recorded it (the config and checklist the run started with).
        """
    )

    @Option(help: "The checklist (Markdown) instead of the one the run recorded.") var checklist: String?
    @Option(help: "A warroom.yaml instead of the config the run recorded.") var config: String?
    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "How many recent changes to list in text output (0 = all).") var recent = 20

    func validate() throws {
        if checklist != nil, config != nil { throw ValidationError("give --config FILE or --checklist FILE, not both") }
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        var run = RunState()
        var facts = JournalFacts.none
        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        let state = location.label
        if try location.hasRun() {
            let replay = try location.replay()
            run = replay.state
            facts = JournalFacts(path: replay.path, lines: replay.lineCount, lastHash: replay.lastHash,
                                 tornTail: replay.tornTail?.line, warnings: replay.warnings)
            for w in replay.warnings { writeStderr("warroom: warning: \(w)") }
        }
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else if let checklist { setup = try deriveRunConfig(checklistPath: checklist) }
        else if let recorded = try recordedRun(store: location, run: run) { setup = recorded }
        else if let path = run.started?.checklist, FileManager.default.fileExists(atPath: path) { setup = try deriveRunConfig(checklistPath: path) }
        else {
            throw Failure(run.started == nil ? "\(state): no run here yet — give --config FILE or --checklist FILE to see a checklist's progress"
                                             : "give --config FILE or --checklist FILE (the run kept no copy of its checklist, and \(run.started!.checklist) is not here)")
        }
        let summary = RunSummary(config: setup.config, checklist: setup.checklist.checklist, checklistSHA256: setup.checklist.sha256,
                                 run: run, journal: facts, slos: Self.slos(setup.config), now: Clock.now())
        if json { say(jsonString(StatusJSON(summary))) } else { say(StatusText.render(summary, recent: recent), terminator: "") }
    }

    /// status does not poll: SLOs count as unknown, as they would for a console that has no reading yet.
    static func slos(_ config: RunConfig) -> [GateSignal] { RunSummary.unread(config.slos, detail: "(status does not poll)") }
}
