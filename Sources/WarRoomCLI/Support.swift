import ArgumentParser
import Crypto
import Foundation
import WarRoomCore
import WarRoomStore
import WarRoomUI

typealias WarRoomCoreTimestamp = Timestamp

/// A checklist read from disk, with the SHA-256 of its bytes.
struct LoadedChecklist {
    var checklist: Checklist
    var sha256: String
    /// The file's exact bytes (kept in the state directory when a run starts on them).
    var bytes: [UInt8]
}

func readFile(_ path: String) throws(Failure) -> [UInt8] {
    var isDir: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
        throw Failure("\(path): no such file")
    }
    guard !isDir.boolValue else { throw Failure("\(path): is a directory, not a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw Failure("\(path): cannot be read")
    }
    return [UInt8](data)
}

func sha256Hex(_ bytes: [UInt8]) -> String {
    SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
}

func loadChecklist(_ path: String) throws(Failure) -> LoadedChecklist {
    let bytes = try readFile(path)
    return LoadedChecklist(checklist: ChecklistParser.parse(bytes, path: path), sha256: sha256Hex(bytes), bytes: bytes)
}

/// Prints a checklist's errors and warnings to standard error; fails if it has errors.
func requireValid(_ c: Checklist) throws(Failure) {
    for d in c.diagnostics where d.severity == .warning {
        writeStderr(d.formatted(path: c.path))
    }
    let errors = c.errors
    guard errors.isEmpty else {
        throw Failure(errors.map { $0.formatted(path: c.path) }.joined(separator: "\n"))
    }
}

/// Writes a line to standard error (the terminal, or warroom.log while the console runs). A failed write — a full
/// disk, a file-size limit — is dropped: FileHandle would trap, and a log line is never worth the console.
/// Control characters in it (an item text, a note, a hook's output) are shown as pictures, never sent as escapes.
func writeStderr(_ s: String) {
    _ = writeFully(2, Array((TerminalText.escapingControls(s) + "\n").utf8))
}

/// Writes to standard output, as `print` would, with control characters shown as pictures (`TerminalText`): every
/// line the commands print (status, check, report, lint…) passes here, so text from a checklist, a note or a server
/// never reaches the terminal as an escape sequence.
func say(_ s: String, terminator: String = "\n") {
    _ = writeFully(1, Array((TerminalText.escapingControls(s) + terminator).utf8))
}

/// `--accept-damaged-head REASON`, for every command that writes to the journal.
struct HeadAcceptance: ParsableArguments {
    @Option(name: .customLong("accept-damaged-head"), help: ArgumentHelp(
        "Write to a journal whose head record is missing or several lines behind (lines deleted or added by hand?) after you looked: the reason is journaled with what was found.",
        valueName: "REASON"))
    var reason: String?

    func validate() throws {
        if let r = reason, r.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--accept-damaged-head needs a reason") }
    }
}

/// `--actor NAME` as the journal will print it: not empty, no control characters (a newline would forge a line in
/// every command's output).
func validateActor(_ actor: String?) throws {
    if let a = actor, let problem = TerminalText.nameProblem(a) { throw ValidationError("--actor: \(problem)") }
    // The telemetry's own journal entries are written as `warroom`: no person may take the name.
    if actor == JournalEvent.telemetryActor {
        throw ValidationError("--actor: “\(JournalEvent.telemetryActor)” is the telemetry's name in the journal; choose a person's name")
    }
}

/// `Journal.hasRun` as a command's failure: false only for "no run here yet", a problem (a file for a directory, a
/// deleted journal) exits 1 naming it.
func hasRun(_ state: String) throws -> Bool {
    do { return try Journal.hasRun(in: state) } catch { throw Failure("\(error)") }
}

func jsonString(_ value: some Encodable) -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    guard let data = try? e.encode(value) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
}

/// Pads or cuts `s` to `width` terminal columns (for aligned text tables; CJK and emoji count double).
func column(_ s: String, _ width: Int) -> String {
    let w = DisplayWidth.of(s)
    if w <= width { return s + String(repeating: " ", count: width - w) }
    var out = ""
    var used = 0
    for ch in s {
        let cw = DisplayWidth.of(ch)
        if used + cw > width - 1 { break }
        out.append(ch)
        used += cw
    }
    return out + "…" + String(repeating: " ", count: max(0, width - 1 - used))
}

/// `path` made absolute against the working directory, `.` and `..` resolved (symlinks kept).
func absolutePath(_ path: String) -> String {
    let full = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    return (full as NSString).standardizingPath
}

/// The group ID for `--group NAME` (nil without it); an unknown group is an error naming it.
func groupSharing(_ name: String?) throws(Failure) -> gid_t? {
    guard let name else { return nil }
    do { return try StateSharing.groupID(named: name) } catch { throw Failure("--group \(error)") }
}

/// Why a writer could not open `stateDir`, with a hint when it is a shared directory the user may not enter.
func openFailure(_ error: Error, stateDir: String) -> Failure {
    var text = "\(error)"
    if text.contains("Permission denied"), StateSharing.isShared(stateDir) {
        var st = stat()
        let group = stat(stateDir, &st) == 0 ? getgrgid(st.st_gid).map { String(cString: $0.pointee.gr_name) } : nil
        text += " — \(stateDir) is shared with the group \(group ?? "?"); only its members may use it (ask to be added, then log in again)"
    }
    return Failure(text)
}
