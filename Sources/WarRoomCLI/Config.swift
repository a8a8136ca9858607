import Foundation
import WarRoomConfig
import WarRoomCore

/// Where a console's configuration comes from: a config file, or the checklist alone (derived).
struct LoadedRun {
    var config: RunConfig
    var checklist: LoadedChecklist
    /// What the derivation could not find, for the log.
    var notes: [String]
}

/// Loads `warroom.yaml` (every diagnostic printed as file:line) and its checklist.
func loadRunConfig(_ path: String) throws(Failure) -> LoadedRun {
    let (config, diagnostics) = ConfigLoader.load(path: path)
    for d in diagnostics where d.severity == .warning { writeStderr(d.formatted(path: path)) }
    let errors = diagnostics.filter { $0.severity == .error }
    guard errors.isEmpty, let config else {
        throw Failure(errors.map { $0.formatted(path: path) }.joined(separator: "\n"))
    }
    let loaded = try loadChecklist(config.checklist)
    try requireValid(loaded.checklist)
    return LoadedRun(config: config, checklist: loaded, notes: [])
}

