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

    static func read(_ store: StoreLocation) throws(Failure) -> ReportJournal {
        guard case .directory(let stateDir) = store else {
            let r = try store.readVerified()
            return ReportJournal(path: r.path, state: r.state, lines: r.lineCount, lastHash: r.lastHash, torn: r.tornTail,
                                 warnings: r.warnings, damage: r.damage)
        }
        return try read(stateDir: stateDir)
    }

    static func read(stateDir: String) throws(Failure) -> ReportJournal {
        let r: (replay: Replay, damage: JournalError?)
        do { r = try Journal.readVerifiedPrefix(stateDir: stateDir) } catch { throw Failure("\(error)") }
        return ReportJournal(path: Journal.path(in: stateDir), state: r.replay.state, lines: r.replay.lineCount,
                             lastHash: r.replay.lastHash, torn: r.replay.tornTail, warnings: r.replay.warnings, damage: r.damage)
    }
}
