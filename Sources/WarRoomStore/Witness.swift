#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WarRoomCore

/// A witness of the journal: its head (seq and hash) at a moment, written down somewhere the writer cannot rewrite
/// later — pasted into the change ticket, sent with a notification. The hash chain alone is unkeyed: whoever can write
/// the files can rewrite history consistently. A witness taken before cannot be rewritten with it: `verify --witness`
/// proves the journal still extends it (its line at that seq still has that hash, and the run is the same run).
///
/// One line of text: `warroom-witness run=<run id> seq=<N> hash=<64 hex> at=<ISO 8601>`. For verifying, a bare
/// `N:HASH` or a bare 64-hex hash (found at whatever line carries it) are accepted as well.
public struct Witness: Sendable, Equatable {
    public var runID: String?
    public var seq: Int?
    public var hash: String
    public var at: Millis?

    public init(runID: String?, seq: Int?, hash: String, at: Millis?) {
        self.runID = runID
        self.seq = seq
        self.hash = hash
        self.at = at
    }

    public var line: String {
        var out = "warroom-witness"
        if let runID { out += " run=\(runID)" }
        if let seq { out += " seq=\(seq)" }
        out += " hash=\(hash)"
        if let at { out += " at=\(Timestamp.iso8601(at))" }
        return out
    }

    /// The witness of an intact journal's head now.
    public static func of(_ replay: Replay, at now: Millis) -> Witness? {
        guard let hash = replay.lastHash, replay.lineCount > 0 else { return nil }
        return Witness(runID: replay.state.runID, seq: replay.lineCount, hash: hash, at: now)
    }

    /// Every witness in `text` (a file with one per line, or one given on the command line); lines that are not
    /// witnesses (a ticket's surrounding words) are skipped. Empty when there is none. `bareHashes` false (a file: a
    /// ticket also holds other SHA-256s, the checklist's among them) takes only `warroom-witness` lines and SEQ:HASH.
    public static func parseAll(_ text: String, bareHashes: Bool = true) -> [Witness] {
        var out: [Witness] = []
        for raw in text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            let line = String(raw).trimmedBlanks()
            if let w = parse(line), bareHashes || w.seq != nil { out.append(w) }
        }
        return out
    }

    /// The lines of `text` that name themselves a witness (`warroom-witness …`) but cannot be read as one: a hash cut
    /// or wrapped by a chat client, a seq that is not a number. `parseAll` skips them like any other text, so a caller
    /// checking a file of witnesses must refuse these, or a damaged witness would silently go unchecked.
    public static func malformed(_ text: String) -> [String] {
        text.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map { String($0).trimmedBlanks() }
            .filter { $0.contains("warroom-witness") && parse($0) == nil }
    }

    static func parse(_ line: String) -> Witness? {
        if isHash(line) { return Witness(runID: nil, seq: nil, hash: line, at: nil) }
        if let colon = line.firstIndex(of: ":"), let seq = Int(line[..<colon]), seq >= 1, isHash(String(line[line.index(after: colon)...])) {
            return Witness(runID: nil, seq: seq, hash: String(line[line.index(after: colon)...]), at: nil)
        }
        guard let start = line.range(of: "warroom-witness ") else { return nil }
        var fields: [String: String] = [:]
        for part in line[start.upperBound...].split(separator: " ") {
            guard let eq = part.firstIndex(of: "=") else { continue }
            fields[String(part[..<eq])] = String(part[part.index(after: eq)...])
        }
        guard let hash = fields["hash"], isHash(hash) else { return nil }
        let seq = fields["seq"].flatMap { Int($0) }
        if fields["seq"] != nil, (seq ?? 0) < 1 { return nil }
        return Witness(runID: fields["run"], seq: seq, hash: hash, at: fields["at"].flatMap { Timestamp.parse($0) })
    }

    static func isHash(_ s: String) -> Bool {
        s.utf8.count == 64 && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }
}

extension String {
    fileprivate func trimmedBlanks() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

/// A store that keeps witnesses of its own journal somewhere apart from it (etcd: `PREFIX/witness/…`).
public protocol WitnessKeeper: AnyObject {
    /// Keeps `witness` (with its seq): true if written now, false if the same one was kept already; throws if another
    /// hash is kept for that seq.
    @discardableResult
    func keep(_ witness: Witness) throws -> Bool
}

extension Journal {
    /// Proves that the journal (verified first, as `replay` does) extends `witness`: the line at its seq carries its
    /// hash (a bare hash: some line does), in the same run. Throws naming what differs — lines deleted since the
    /// witness was taken, a history rewritten at or before it, another run.
    public static func check(_ witness: Witness, stateDir: String) throws(JournalError) -> Int {
        let replay = try Journal.replay(stateDir: stateDir)
        let jpath = path(in: stateDir)
        let hashes: [String]
        do throws(SysError) {
            guard let bytes = try FileIO.readFile(jpath) else { throw SysError(op: "open", path: jpath, code: ENOENT) }
            hashes = Witness.lineHashes(bytes, count: replay.lineCount)
        } catch { throw error.journalError() }
        return try witness.check(hashes: hashes, runID: replay.state.runID, label: jpath)
    }
}

extension Witness {
    /// The seq of the line this witness saw, if a journal whose lines have `hashes` (in order) and run `runID`
    /// extends it; else why not (`label` names the journal). Any store: the file journal, etcd.
    public func check(hashes: [String], runID: String?, label: String) throws(JournalError) -> Int {
        if let run = self.runID, let mine = runID, run != mine {
            throw JournalError(path: label, message: "the witness is of run \(run), this journal is run \(mine)")
        }
        if let seq {
            guard seq <= hashes.count else {
                throw JournalError(path: label, line: hashes.count + 1,
                                   message: "the journal ends at seq \(hashes.count) but the witness saw seq \(seq)\(at.map { " at \(Timestamp.iso8601($0))" } ?? ""): lines \(hashes.count + 1)–\(seq) were deleted")
            }
            guard hashes[seq - 1] == hash else {
                throw JournalError(path: label, line: seq,
                                   message: "line \(seq) does not have the witnessed hash \(hash.prefix(12))…: the history up to it was rewritten after the witness was taken")
            }
            return seq
        }
        guard let i = hashes.firstIndex(of: hash) else {
            throw JournalError(path: label, message: "no line has the witnessed hash \(hash.prefix(12))…: deleted or rewritten")
        }
        return i + 1
    }

    /// The hash of each of the first `count` lines (verified lines end `"hash":"<64 hex>"}`).
    package static func lineHashes(_ bytes: [UInt8], count: Int) -> [String] {
        var out: [String] = []
        out.reserveCapacity(count)
        var start = 0
        while out.count < count, let nl = bytes[start...].firstIndex(of: 0x0A) {
            out.append(String(decoding: bytes[(nl - 66)..<(nl - 2)], as: UTF8.self))
            start = nl + 1
        }
        return out
    }
}
