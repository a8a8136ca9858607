import ArgumentParser
import WarRoomConfig
import WarRoomCore
import WarRoomStore

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show per-section and total progress, and who did what when.",
        discussion: "Reads the journal without taking the writer's lock, so it works while a console is running."
    )

    @Option(help: "The checklist (Markdown), when there is no config.") var checklist: String?
    @Option(help: "The run's warroom.yaml (its ramp and criteria give the gate verdict).") var config: String?
    @Option(help: "The run's state directory.") var state: String
    @Flag(help: "Print JSON.") var json = false
    @Option(help: "How many recent changes to list in text output (0 = all).") var recent = 20

    func validate() throws {
        if (checklist == nil) == (config == nil) { throw ValidationError("give --config FILE or --checklist FILE") }
    }

    func run() throws {
        let setup: LoadedRun
        if let config { setup = try loadRunConfig(config) } else { setup = try deriveRunConfig(checklistPath: checklist ?? "") }
        var run = RunState()
        var facts = JournalFacts.none
        if Journal.exists(in: state) {
            do {
                let replay = try Journal.replay(stateDir: state)
                run = replay.state
                facts = JournalFacts(path: Journal.path(in: state), lines: replay.lineCount, lastHash: replay.lastHash,
                                     tornTail: replay.tornTail?.line, warnings: replay.warnings)
                for w in replay.warnings { writeStderr("warroom: warning: \(w)") }
            } catch {
                throw Failure("\(error)")
            }
        }
        let summary = RunSummary(config: setup.config, checklist: setup.checklist.checklist, checklistSHA256: setup.checklist.sha256,
                                 run: run, journal: facts, slos: Self.slos(setup.config), now: Clock.now())
        if json { print(jsonString(StatusJSON(summary))) } else { print(StatusText.render(summary, recent: recent), terminator: "") }
    }

    /// status does not poll: SLOs count as unknown, as they would for a console that has no reading yet.
    static func slos(_ config: RunConfig) -> [GateSignal] { RunSummary.unread(config.slos, detail: "(status does not poll)") }
}
