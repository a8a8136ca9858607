import ArgumentParser
import Foundation
import WarRoomCore
import WarRoomEtcd
import WarRoomStore

/// `warroom export`: a run in etcd written to a local state directory, byte for byte (the report, the archive).
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run kept in etcd to a local state directory (journal, head, checklist copies): verify, report and archive it there.",
        discussion: """
        The journal is read at one etcd revision and verified before anything is written; the directory gets
        journal.jsonl and head exactly as the file store writes them (warroom verify --state DIR passes on it) and
        the run's checklist copies. Refuses a directory that already holds a journal. Read-only on etcd.
        """
    )

    @Option(help: ArgumentHelp("The run in etcd: etcd://HOST:PORT[,HOST:PORT…]/PREFIX.", valueName: "etcd-url")) var store: String
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions
    @Option(help: "The state directory to write (created 0700 if missing).") var state: String

    func run() throws {
        guard case .etcd(let url, _) = try StoreLocation.resolve(state: state, store: store, access: access) else {
            throw Failure("--store must be an etcd://… URL (export copies a run out of etcd)")
        }
        let location = StoreLocation.etcd(url, local: state)
        guard try location.hasRun() else { throw Failure("\(url): no run here (no journal head)") }
        let n: Int
        let journal: EtcdJournal
        do {
            journal = try EtcdJournal.open(url: url, actor: "export", now: Clock.now())
            n = try journal.export(to: state)
        } catch { throw Failure("\(error)") }
        // The checklist copies the journal names, so status, report and replay need only the directory.
        var shas = Set<String>()
        if let s = journal.state.started?.checklistSHA256 { shas.insert(s) }
        if let s = journal.state.config?.checklistSHA256 { shas.insert(s) }
        for sha in shas.sorted() {
            if let bytes = try location.readChecklist(sha256: sha) {
                do { try ChecklistCopies.keep(bytes, stateDir: state) } catch { throw Failure("\(error)") }
            }
        }
        say("exported \(n) entr\(n == 1 ? "y" : "ies") of \(url) to \(state) (\(shas.count) checklist cop\(shas.count == 1 ? "y" : "ies"))")
    }
}

/// `warroom import`: a local state directory's run put under an empty etcd prefix.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put a state directory's run under an empty etcd prefix (verified first), so consoles anywhere can use it with --store.",
        discussion: """
        The journal is verified as warroom verify does; the entries and the head go in transactions of 100, each
        extending the head it read. Refuses a prefix that has any key. The checklist copies go to PREFIX/checklists/.
        """
    )

    @Option(help: "The state directory to read.") var state: String
    @Option(help: ArgumentHelp("The empty etcd prefix: etcd://HOST:PORT[,HOST:PORT…]/PREFIX.", valueName: "etcd-url")) var store: String
    @OptionGroup(title: "etcd access") var access: StoreAccessOptions

    func run() throws {
        guard case .etcd(let url, _) = try StoreLocation.resolve(state: state, store: store, access: access) else {
            throw Failure("--store must be an etcd://… URL (import copies a run into etcd)")
        }
        guard try hasRun(state) else { throw Failure("\(state): no journal here (\(Journal.path(in: state)) is missing)") }
        let n: Int
        do { n = try EtcdJournal.import(from: state, into: url) } catch { throw Failure("\(error)") }
        let location = StoreLocation.etcd(url, local: state)
        var copies = 0
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: ChecklistCopies.directory(in: state))) ?? []).sorted()
            where name.hasSuffix(".md") {
            let sha = String(name.dropLast(3))
            guard let bytes = try? ChecklistCopies.read(sha256: sha, stateDir: state) else { continue }
            do { try location.keepChecklist(bytes) } catch { throw Failure("\(error)") }
            copies += 1
        }
        say("imported \(n) entr\(n == 1 ? "y" : "ies") of \(state) into \(url) (\(copies) checklist cop\(copies == 1 ? "y" : "ies"))")
    }
}
