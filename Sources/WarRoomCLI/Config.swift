import Foundation
import WarRoomConfig
import WarRoomCore
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

extension RunConfig {
    /// What the console needs to know about the run.
    func consoleConfig(actor: String, driving: Bool, stateDir: String, demo: Bool = false, driver: String? = nil) -> ConsoleConfig {
        let lightInfos = lights.map { l in
            LightInfo(name: l.name, manual: l.manual, watches: l.manual ? l.note : Self.watchText(l), auto: l.auto)
        }
        return ConsoleConfig(service: service, actor: actor, driving: driving, t0: t0, stateDir: stateDir, ramp: plan,
                             lights: lightInfos, slos: slos.map(\.name),
                             unboundSLOs: Set(slos.filter { !$0.bound }.map(\.name)), demo: demo, driver: driver)
    }

    static func watchText(_ l: LightConfig) -> String {
        if let m = l.match { return "alerts " + m.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ") }
        var s = l.trip.map { "value \($0)" } ?? ""
        if l.forMs > 0 { s += " for \(DurationText.format(l.forMs))" }
        return s
    }
}
