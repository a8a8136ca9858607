import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomStore

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case md, json
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the go-live report: summary, decisions, tripped criteria, rollback timings, checklist, sign-offs.",
        discussion: """
        Markdown that renders on GitHub (an issue, a pull request, a wiki page), or JSON for tooling. Read-only: \
        never takes the writer's lock. The journal's hash chain is checked as `warroom verify` checks it; a damaged \
        journal still gets a report of what could be read before the damage, marked as such, and the command exits 1. \
        Without --config or --checklist the checklist recorded when the run started is used.
        """
    )

    @Option(help: "The run's state directory.") var state: String?
    @Option(help: storeHelp) var store: String?
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: "The run's warroom.yaml (service, t0, ramp plan and rollback targets).") var config: String?
    @Option(help: "The checklist (Markdown), when there is no config.") var checklist: String?
    @Option(help: "md (GitHub Markdown) or json.") var format: ReportFormat = .md
    @Option(name: [.customShort("o"), .long], help: "Write the report to this file instead of standard output.")
    var output: String?
    @Flag(help: "Print a drafted stakeholder update (the latest decisions, traffic %, criteria and SLO state) instead of the report.")
    var update = false

    func validate() throws {
        if checklist != nil, config != nil { throw ValidationError("give --config FILE or --checklist FILE, not both") }
        if state == nil, store == nil { throw ValidationError("give --state DIR or --store etcd://HOST:PORT/PREFIX") }
    }

    func run() throws {
        let location = try StoreLocation.resolve(state: state, store: store, access: access)
        guard try location.hasRun() else { throw Failure("\(location.label): no journal here (\(location.journalLabel) is missing)") }
        let journal = try ReportJournal.read(location)
        for w in journal.warnings { writeStderr("warroom: warning: \(w)") }
        let setup: LoadedRun
        if let config {
            setup = try loadRunConfig(config)
        } else if let checklist {
            setup = try deriveRunConfig(checklistPath: checklist)
        } else if let recorded = try recordedRun(store: location, run: journal.state) {
            setup = recorded
        } else if let recorded = journal.state.started?.checklist, FileManager.default.fileExists(atPath: recorded) {
            setup = try deriveRunConfig(checklistPath: recorded)
        } else {
            let recorded = journal.state.started.map { " (the run's checklist \($0.checklist) is not here)" } ?? ""
            throw Failure("give --config FILE or --checklist FILE\(recorded)")
        }
        if update {
            say(TerminalText.escapingControls(StakeholderUpdate.draft(run: journal.state, config: setup.config, now: Clock.now())), terminator: "")
            return
        }
        let summary = RunSummary(config: setup.config, checklist: setup.checklist.checklist, checklistSHA256: setup.checklist.sha256,
                                 run: journal.state, journal: journal.facts,
                                 slos: RunSummary.unread(setup.config.slos, detail: "(report does not poll)"), now: Clock.now())
        // Markdown is read with `cat` as often as rendered: no escape sequence from an item or a note reaches it.
        let text = format == .json ? jsonString(ReportJSON(summary)) + "\n"
                                   : TerminalText.escapingControls(ReportMarkdown.render(summary))
        if let output {
            do { try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic) } catch {
                throw Failure("\(output): cannot write the report: \(error.localizedDescription)")
            }
        } else {
            say(text, terminator: "")
        }
        if let d = journal.damage {
            throw Failure("\(d) — the report covers only the \(journal.lines) line\(journal.lines == 1 ? "" : "s") before it")
        }
    }
}

extension ReportJournal {
    /// What the run summary needs to know about the file.
    var facts: JournalFacts {
        JournalFacts(path: path, lines: lines, lastHash: lastHash, tornTail: torn?.line, warnings: warnings,
                     damage: damage.map { JournalFacts.Damage(file: $0.path, line: $0.line, message: $0.message) })
    }
}
