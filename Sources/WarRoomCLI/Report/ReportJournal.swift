import Foundation
import WarRoomCore
import WarRoomStore

// MARK: Reading the journal

/// The journal as far as it verifies: all of it, or the lines before the first damaged one.
struct ReportJournal {
    var path: String
    var state: RunState
    /// Verified lines (all of them, or those before the damage).
    var lines: Int
    var lastHash: String?
    var torn: TornTail?
    var warnings: [String]
    /// What `warroom verify` reports for this journal; nil when the chain is intact.
    var damage: JournalError?

    static func read(stateDir: String) throws(Failure) -> ReportJournal {
        let path = Journal.path(in: stateDir)
        let error: JournalError
        do {
            let r = try Journal.replay(stateDir: stateDir)
            return ReportJournal(path: path, state: r.state, lines: r.lineCount, lastHash: r.lastHash, torn: r.tornTail,
                                 warnings: r.warnings, damage: nil)
        } catch let e {
            error = e
        }
        // Damage without a line (a failed read) leaves nothing to report on.
        guard let line = error.line else { throw Failure("\(error)") }
        // Every line before the damaged one passed every check (verification stops at the first bad line), so the
        // same verification, run on a copy of just those lines, rebuilds the state as it stood. Damage to the head
        // record (another file) leaves every journal line readable.
        let keep = error.path == path ? max(0, line - 1) : Int.max
        guard let bytes = FileManager.default.contents(atPath: path) else { throw Failure("\(error)") }
        let r = replayPrefix([UInt8](bytes), lines: keep)
        return ReportJournal(path: path, state: r?.state ?? RunState(), lines: r?.lineCount ?? 0, lastHash: r?.lastHash,
                             torn: nil, warnings: [], damage: error)
    }

    /// Replays the first `lines` complete lines of a journal from a private temporary copy (no head record).
    static func replayPrefix(_ bytes: [UInt8], lines: Int) -> Replay? {
        let fm = FileManager.default
        let dir = fm.temporaryDirectory.appendingPathComponent("warroom-report-\(getpid())-\(UUID().uuidString.prefix(8))").path
        guard (try? fm.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])) != nil else {
            return nil
        }
        defer { try? fm.removeItem(atPath: dir) }
        var keep = lines
        while true {
            var end = 0
            var count = 0
            while count < keep, let nl = bytes[end...].firstIndex(of: 0x0A) {
                end = nl + 1
                count += 1
            }
            guard fm.createFile(atPath: Journal.path(in: dir), contents: Data(bytes[0..<end]),
                                attributes: [.posixPermissions: 0o600]) else { return nil }
            do {
                return try Journal.replay(stateDir: dir)
            } catch {
                // Cannot happen for lines that verified in place; stop before whatever failed, should it anyway.
                guard let l = error.line, l - 1 < count else { return nil }
                keep = l - 1
            }
        }
    }
}
