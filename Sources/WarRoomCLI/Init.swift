import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a starter warroom.yaml derived from a checklist's text.",
        discussion: """
        Reads ramp steps and their observation windows, rollback criteria (with thresholds kept for binding to
        telemetry), SLO objectives, rollback time targets and contacts from the checklist, and writes a config with the
        checklist line each part came from. Review it, add the apply/rollback hooks and telemetry sources, then
        warroom lint it. Refuses to overwrite an existing file unless --force.
        """
    )

    @Option(name: .customLong("from"), help: "The checklist to derive from.") var from: String
    @Option(name: .shortAndLong, help: "Where to write the config (- for standard output).") var output = "warroom.yaml"
    @Flag(help: "Overwrite the output file if it exists.") var force = false

    func run() throws {
        let loaded = try loadChecklist(from)
        try requireValid(loaded.checklist)
        let d = loaded.checklist.derive()
        // The checklist path as the config will hold it: relative to the config's directory when possible.
        let ref = relativePath(from, to: output == "-" ? "." : (output as NSString).deletingLastPathComponent)
        let t0 = ProposedT0.find(in: String(decoding: loaded.bytes, as: UTF8.self))
        let text = ConfigWriter.yaml(d, checklist: loaded.checklist, checklistRef: ref, t0: t0)
        if output == "-" {
            say(text, terminator: "")
            return
        }
        if FileManager.default.fileExists(atPath: output), !force {
            throw Failure("\(output) exists; use --force to overwrite, or -o another file")
        }
        guard FileManager.default.createFile(atPath: output, contents: Data(text.utf8)) else {
            throw Failure("\(output): cannot be written")
        }
        // What was written must load: the derivation and the loader agree.
        // The checklist was parsed once already: the loader checks against that parse instead of a second one.
        let known = ConfigLoader.ChecklistFile(path: absolutePath(from), bytes: loaded.bytes, checklist: loaded.checklist)
        let (_, diagnostics, _) = ConfigLoader.loadWithChecklist(path: absolutePath(output), checkFiles: true, known: known)
        for e in diagnostics where e.severity == .error { writeStderr("warroom: the written config has a problem: \(e.formatted(path: output))") }
        // What the file holds, counted as written (one light per criterion name, one objective per SLO name).
        let lights = Set(d.criteria.map(\.name)).count
        let slos = Set(d.slos.map(\.name)).count
        let ramp = d.steps.isEmpty ? "no ramp (a tracker of the checklist only)" : "\(d.steps.count) ramp steps"
        say("wrote \(output): \(ramp), \(lights) rollback criteria, \(slos) SLOs, \(d.contacts.count) contacts")
        for n in d.notes { say("  note: \(n)") }
        say("next: review it, add ramp.apply/rollback hooks and sources, then: warroom lint \(output)")
    }
}

/// `path` relative to directory `base` when both are relative or both absolute; otherwise `path` as given.
func relativePath(_ path: String, to base: String) -> String {
    let cwd = FileManager.default.currentDirectoryPath
    func absolute(_ p: String) -> [String] {
        let full = p.hasPrefix("/") ? p : (cwd as NSString).appendingPathComponent(p)
        return (full as NSString).standardizingPath.split(separator: "/").map(String.init)
    }
    let target = absolute(path)
    let from = absolute(base.isEmpty ? "." : base)
    var common = 0
    while common < min(target.count, from.count), target[common] == from[common] { common += 1 }
    let ups = Array(repeating: "..", count: from.count - common)
    let rel = (ups + target[common...]).joined(separator: "/")
    return rel.isEmpty ? path : rel
}
