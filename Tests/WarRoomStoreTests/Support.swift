import Foundation
import Testing
import WarRoomCore
import WarRoomStore

/// A fresh state directory path under the temp dir (not created), removed by `cleanup`.
struct TempDir {
    let root: String
    /// The state directory inside it, one level down so tests exercise `mkdir -p`.
    let state: String

    init() {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("warroom-store-\(UUID().uuidString)").path
        root = base
        state = base + "/nested/state"
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: root) }

    var journal: String { Journal.path(in: state) }
    var head: String { state + "/head" }
    var appendLock: String { state + "/append.lock" }
    var lease: String { state + "/lease" }

    func read(_ path: String) -> [UInt8] { (try? Array(Data(contentsOf: URL(fileURLWithPath: path)))) ?? [] }
    func readJournal() -> [UInt8] { read(journal) }
    func journalLines() -> [String] {
        String(decoding: readJournal(), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }
    func writeJournal(_ bytes: [UInt8]) { _ = FileManager.default.createFile(atPath: journal, contents: Data(bytes)) }
    func writeJournal(lines: [String]) { writeJournal(Array(lines.map { $0 + "\n" }.joined().utf8)) }
    func files() -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: state)) ?? []).sorted() }
    func mode(_ path: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? NSNumber)?.intValue ?? -1
    }
}

let t0: Millis = 1_795_313_461_123 // 2026-11-22T02:11:01.123Z

let started = RunStarted(checklist: "checklists/go-live.md", checklistSHA256: String(repeating: "ab", count: 32),
                         items: 3, host: "host1", pid: 4242)

/// Writes a six-line journal: run.started, four item.set, one item.undo. Returns the writer's final state.
@discardableResult
func makeJournal(_ dir: TempDir) throws -> RunState {
    let w = try JournalWriter.open(stateDir: dir.state, actor: "dana", now: t0)
    defer { w.close() }
    try w.append(.runStarted(started), actor: "dana", time: t0)
    try w.append(.itemSet(ItemSet(id: "T1", status: .done)), actor: "dana", time: t0 + 1000)
    try w.append(.itemSet(ItemSet(id: "T2", status: .blocked, reason: "waiting on DBA")), actor: "lee", time: t0 + 2000)
    try w.append(.itemSet(ItemSet(id: "T3", status: .skipped, note: "n/a here")), actor: "dana", time: t0 + 3000)
    try w.append(.itemSet(ItemSet(id: "T2", status: .done)), actor: "lee", time: t0 + 4000)
    try w.append(.itemUndo(ItemUndo(id: "T2")), actor: "lee", time: t0 + 5000)
    return w.state
}

/// The `hash` member of a journal line.
func hashField(_ line: String) -> String {
    guard let r = line.range(of: #""hash":""#) else { return "" }
    return String(line[r.upperBound...].prefix(64))
}

/// Expects reading (and opening for writing) to fail with a JournalError on `line` whose message contains
/// `text`, and the journal to be left byte-for-byte as it was.
func expectDamage(_ dir: TempDir, line: Int, _ text: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let before = dir.readJournal()
    let filesBefore = dir.files()
    do throws(JournalError) {
        let r = try Journal.replay(stateDir: dir.state)
        Issue.record("replay succeeded with \(r.lineCount) lines; expected an error at line \(line)", sourceLocation: sourceLocation)
    } catch let e {
        #expect(e.line == line, "\(e)", sourceLocation: sourceLocation)
        #expect(e.message.contains(text), "\(e)", sourceLocation: sourceLocation)
        #expect(e.description.hasPrefix("\(dir.journal):\(line): "), "\(e)", sourceLocation: sourceLocation)
    }
    do {
        let w = try JournalWriter.open(stateDir: dir.state, actor: "x", now: t0)
        w.close()
        Issue.record("writer opened a damaged journal", sourceLocation: sourceLocation)
    } catch let e as JournalError {
        #expect(e.line == line && e.message.contains(text), "\(e)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
    #expect(asText(dir.readJournal()) == asText(before), "journal was modified", sourceLocation: sourceLocation)
    #expect(dir.files() == filesBefore, sourceLocation: sourceLocation)
}

/// Bytes as text, so a failed comparison prints something readable.
func asText(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
