import ArgumentParser
import Foundation
import WarRoomConfig
import WarRoomCore
import WarRoomUI
import WarRoomYAML

struct Lint: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate checklists, warroom.yaml configs and themes (errors and warnings as file:line: message).",
        discussion: "Exit 0 when every file is valid (warnings allowed), 1 when any file has an error."
    )

    @Argument(help: "Files to check.") var files: [String]
    @Flag(help: "Print a JSON report instead of text.") var json = false

    struct Report: Encodable {
        struct Entry: Encodable { var line: Int; var message: String }
        struct File: Encodable {
            var path: String
            var kind: String
            var sections: Int
            var items: Int
            var done: Int
            var errors: [Entry]
            var warnings: [Entry]
        }
        var files: [File]
    }

    func run() throws {
        var report = Report(files: [])
        for path in files {
            report.files.append(lint(path))
        }
        if json {
            say(jsonString(report))
        } else {
            for f in report.files {
                for e in f.errors { say("\(f.path):\(e.line): error: \(e.message)") }
                for w in f.warnings { say("\(f.path):\(w.line): warning: \(w.message)") }
                let verdict = f.errors.isEmpty ? "ok" : "\(f.errors.count) error\(f.errors.count == 1 ? "" : "s")"
                if f.kind == "yaml" {
                    say("\(f.path): \(verdict)")
                } else if f.kind == "config" {
                    let ramp = f.sections == 0 ? "no ramp: tracker of the checklist only" : "\(f.sections) ramp steps"
                    say("\(f.path): config, \(ramp), \(f.items) criteria and SLOs, \(verdict)")
                } else {
                    say("\(f.path): \(f.kind), \(f.sections) sections, \(f.items) items (\(f.done) done), \(verdict)")
                }
            }
        }
        if report.files.contains(where: { !$0.errors.isEmpty }) { throw ExitCode(1) }
    }

    func lint(_ path: String) -> Report.File {
        var file = Report.File(path: path, kind: "checklist", sections: 0, items: 0, done: 0, errors: [], warnings: [])
        let bytes: [UInt8]
        do { bytes = try readFile(path) } catch {
            file.errors.append(.init(line: 1, message: error.message.replacingOccurrences(of: "\(path): ", with: "")))
            return file
        }
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
            if let bad = StrictUTF8.firstInvalid(bytes[...]) {
                file.kind = "yaml"
                file.errors.append(.init(line: bad.line, message: "not UTF-8 text (byte \(bad.column) of line \(bad.line))"))
                return file
            }
            let text = String(decoding: bytes, as: UTF8.self)
            if ConfigLoader.looksLikeConfig(text) || !ThemeLoader.looksLikeTheme(text) {
                // Anything that is not clearly a theme is linted as a config: an empty file, a scalar or a list is a
                // config's mistake far more often than a theme's, and the config's message says what one holds.
                file.kind = "config"
                let (config, diagnostics) = ConfigLoader.parse(text, path: path, environment: ProcessInfo.processInfo.environment)
                for d in diagnostics {
                    let e = Report.Entry(line: d.line, message: d.message)
                    if d.severity == .error { file.errors.append(e) } else { file.warnings.append(e) }
                }
                if let config {
                    for p in KeyMap.remapped(config.keys ?? []).problems { file.errors.append(Report.Entry(line: p.line, message: p.message)) }
                    file.sections = config.plan.steps.count
                    file.items = config.lights.count + config.slos.count
                }
                return file
            }
            file.kind = "theme"
            for d in ThemeLoader.lint(bytes: bytes, path: path) {
                let e = Report.Entry(line: d.line, message: d.message)
                if d.severity == .error { file.errors.append(e) } else { file.warnings.append(e) }
            }
            return file
        }
        let c = ChecklistParser.parse(bytes, path: path)
        file.sections = c.sections.count - 1
        file.items = c.items.count
        file.done = c.checkedInFile
        for d in c.diagnostics {
            let e = Report.Entry(line: d.line, message: d.message)
            if d.severity == .error { file.errors.append(e) } else { file.warnings.append(e) }
        }
        // A template's blanks are not people: say where they are before anyone has to call one.
        for contact in c.contacts where !contact.unfilled.isEmpty {
            let fields = [("name", contact.name), ("phone", contact.phone), ("handle", contact.handle)]
                .filter { Contact.isPlaceholder($0.1) }.map { "\($0.0) “\($0.1)”" }
            file.warnings.append(.init(line: contact.line, message: "contact \(contact.role): unfilled \(fields.joined(separator: ", "))"))
        }
        return file
    }
}
