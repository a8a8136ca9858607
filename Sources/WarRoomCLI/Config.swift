import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomStore
import WarRoomUI

/// Where a console's configuration comes from: a config file, or the checklist alone (derived).
struct LoadedRun {
    var config: RunConfig
    var checklist: LoadedChecklist
    /// What the derivation could not find, for the log.
    var notes: [String]
}

/// Loads `warroom.yaml` (every diagnostic printed as file:line) and its checklist.
func loadRunConfig(_ path: String) throws(Failure) -> LoadedRun {
    // Absolute, so the journaled config is the same whichever directory the console was started from.
    let (config, diagnostics, file) = ConfigLoader.loadWithChecklist(path: absolutePath(path))
    for d in diagnostics where d.severity == .warning { writeStderr(d.formatted(path: path)) }
    let errors = diagnostics.filter { $0.severity == .error }
    guard errors.isEmpty, let config else {
        throw Failure(errors.map { $0.formatted(path: path) }.joined(separator: "\n"))
    }
    // `keys:`: the key table checks names and clashes (the same check lint makes).
    let keyProblems = KeyMap.remapped(config.keys ?? []).problems
    guard keyProblems.isEmpty else {
        throw Failure(keyProblems.map { "\(path):\($0.line): error: \($0.message)" }.joined(separator: "\n"))
    }
    // The loader read and parsed the checklist to check the config: not parsed a second time.
    let loaded: LoadedChecklist
    if let file { loaded = LoadedChecklist(checklist: file.checklist, sha256: sha256Hex(file.bytes), bytes: file.bytes) } else {
        loaded = try loadChecklist(config.checklist)
    }
    try requireValid(loaded.checklist)
    return LoadedRun(config: config, checklist: loaded, notes: [])
}


/// The run as its state directory recorded it: the effective config journaled at run start (`run.config`) and the
/// checklist's exact bytes kept beside the journal, so `status`, `report`, `replay` and `follow` show the run as it
/// was from any directory, after the config and checklist files moved or were deleted. A run started by
/// `warroom check` (no config) gets the derivation from its kept checklist. Nil when the directory kept no copy
/// (a run from before copies were kept, and without a journaled config); a copy that does not match its hash is an
/// error, and so is a journaled config whose checklist is neither kept nor at its recorded path unchanged.
func recordedRun(stateDir: String, run: RunState) throws(Failure) -> LoadedRun? {
    try recordedRun(store: .directory(stateDir), run: run)
}

/// `recordedRun` for a run in any store (on etcd the copies are `PREFIX/checklists/<sha>`).
func recordedRun(store: StoreLocation, run: RunState) throws(Failure) -> LoadedRun? {
    guard let started = run.started else { return nil }
    let sha = run.config?.checklistSHA256 ?? started.checklistSHA256
    var kept: [UInt8]? = try store.readChecklist(sha256: sha)
    if kept == nil, let record = run.config {
        // No copy (deleted): the recorded path will do only if it still holds exactly those bytes.
        let copy = store.checklistCopyLabel(sha256: sha)
        guard let bytes = FileManager.default.contents(atPath: record.config.checklist).map({ [UInt8]($0) }),
              sha256Hex(bytes) == sha else {
            throw Failure("\(copy): the run's checklist copy is missing, and \(record.config.checklist) is gone or has changed — give --config FILE or --checklist FILE")
        }
        kept = bytes
    }
    guard let bytes = kept else { return nil }
    let path = run.config?.config.checklist ?? started.checklist
    let loaded = LoadedChecklist(checklist: ChecklistParser.parse(bytes, path: path), sha256: sha, bytes: bytes)
    if let record = run.config { return LoadedRun(config: record.config, checklist: loaded, notes: []) }
    let d = loaded.checklist.derive()
    return LoadedRun(config: RunConfig.derived(d, checklist: loaded.checklist, path: path), checklist: loaded, notes: d.notes)
}
