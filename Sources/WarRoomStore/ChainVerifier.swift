#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import WarRoomCore

/// The one line-by-line verification of a journal, shared by every reader: `Journal.verify` (a whole file, for
/// `Journal.replay` and the writer's open) and `JournalTail` (only the bytes appended since its last look).
/// It carries everything a line depends on from the lines before it — the count (seq), the previous line's hash
/// (prev link), the run state (reducer) and the first line's hash (run ID) — so it can be fed a journal in pieces,
/// each starting at a line boundary.
struct ChainVerifier {
    let path: String
    /// State after every verified line (with `runID` set once there is a line 1).
    private(set) var state = RunState()
    /// Number of complete, verified lines (= seq of the last one).
    private(set) var lineCount = 0
    /// Hash (64 lowercase hex bytes) of the last verified line; nil before line 1.
    private(set) var lastHash: [UInt8]?
    /// File offset of the last verified line's hash field (a reader re-checks it to catch a rewrite in place).
    private(set) var lastHashOffset: Int?
    /// The head record's seq to remember the hash of as it goes by (the head can name any line, even an old one).
    var watchSeq = 0
    private(set) var watchedHash: String?
    /// File offset just past each verified line's newline, when `recordLineEnds` (a tail reader naming a cut line).
    var recordLineEnds = false
    private(set) var lineEnds: [Int] = []
    /// Hashes of the last `recentCount` lines, by seq % recentCount.
    private var recentSeq = [Int](repeating: 0, count: ChainVerifier.recentCount)
    private var recentHash = [UInt8](repeating: 0, count: ChainVerifier.recentCount * 64)
    /// The head record last found consistent with the lines (seq 0: none yet).
    private(set) var verifiedHead = Journal.Head(seq: 0, hash: "")
    /// The highest driver-lease fencing token on a verified line (0: none yet), and that line. Tokens never go
    /// down along the chain: a lower one is a driver that wrote after losing its lease.
    private(set) var maxToken = 0
    private(set) var maxTokenLine = 0

    static let recentCount = 64

    init(path: String) { self.path = path }

    var lastHashString: String? { lastHash.map { String(decoding: $0, as: UTF8.self) } }

    /// Verifies every complete line of `buf` — which starts at a line boundary, `fileOffset` bytes into the file —
    /// exactly: format, hash, seq, prev link, time, payload and reducer step. Appends their events to `events`.
    /// Returns how many bytes of `buf` the complete lines take (the rest is a torn, unterminated line).
    /// Throws a `JournalError` naming the first bad line; the lines before it stay applied.
    mutating func consume(_ buf: UnsafeBufferPointer<UInt8>, fileOffset: Int, events: inout [JournalEvent]) throws(JournalError) -> Int {
        let n = buf.count
        var start = 0
        var validLength = 0
        var lastHashStart: Int? = nil
        let firstLine = lineCount + 1
        var digest = [UInt8](repeating: 0, count: 64)
        // Where this piece's most recent hashes are (by seq % recentCount), copied out at the end.
        var recentStarts = [Int](repeating: -1, count: Self.recentCount)
        defer {
            if let p = lastHashStart {
                lastHash = Array(slice(buf, p, p + 64))
                lastHashOffset = fileOffset + p
                for seq in max(firstLine, lineCount - Self.recentCount + 1)...max(firstLine, lineCount) where seq <= lineCount {
                    let k = seq % Self.recentCount
                    let at = recentStarts[k]
                    recentSeq[k] = seq
                    for b in 0..<64 { recentHash[k * 64 + b] = buf[at + b] }
                }
            }
        }
        while start < n {
            guard let nl = Journal.nextNewline(buf, from: start) else { break } // torn tail
            let lineNo = lineCount + 1
            func fail(_ m: String) -> JournalError { JournalError(path: path, line: lineNo, message: m) }
            if nl == start { throw fail("empty line") }

            let env: LineCodec.Envelope
            do throws(JSONFailure) {
                env = try LineCodec.parseEnvelope(buf, start, nl)
            } catch {
                throw fail(LineCodec.diagnose(slice(buf, start, nl), scannerFailure: error))
            }

            // The line's own hash: of its bytes without the hash member.
            var hasher = SHA256()
            hasher.update(bufferPointer: UnsafeRawBufferPointer(slice(buf, start, env.hashMember)))
            hasher.update(data: Journal.closingBrace)
            let d = hasher.finalize()
            digest.withUnsafeMutableBufferPointer { out in
                d.withUnsafeBytes { raw in
                    for (k, b) in raw.enumerated() {
                        out[2 * k] = hexDigits[Int(b >> 4)]
                        out[2 * k + 1] = hexDigits[Int(b & 0xF)]
                    }
                }
            }
            if !Journal.equal(buf, env.hashStart, digest) {
                if !LineCodec.isLowerHex(buf, env.hashStart, 64) { throw fail("hash is not 64 lowercase hex digits") }
                throw fail("hash mismatch (line was edited?)")
            }

            if env.seq != lineNo {
                if env.seq > lineNo {
                    throw fail("expected seq \(lineNo), found \(env.seq) (line deleted or lines reordered?)")
                }
                throw fail("expected seq \(lineNo), found \(env.seq) (line duplicated or lines reordered?)")
            }
            let prevOK: Bool
            if let p = lastHashStart {
                prevOK = Journal.equal(buf, env.prevStart, buf, p)
            } else {
                prevOK = Journal.equal(buf, env.prevStart, lastHash ?? LineCodec.zeroHash)
            }
            if !prevOK {
                if !LineCodec.isLowerHex(buf, env.prevStart, 64) { throw fail("prev is not 64 lowercase hex digits") }
                throw fail(lineNo == 1 ? "prev of the first line is not 64 zeros (lines deleted from the start?)"
                                       : "prev does not match the hash of line \(lineNo - 1) (line deleted, replaced or reordered?)")
            }

            guard let time = Timestamp.parse(env.time) else { throw fail("invalid time \"\(env.time)\"") }
            let body: EventBody
            do throws(LineCodec.BodyFailure) {
                body = try LineCodec.decodeBody(buf, env)
            } catch {
                switch error {
                case .unknownType(let t): throw fail("unknown event type \"\(t)\"")
                case .badPayload(let m):
                    let t = String(decoding: slice(buf, env.typeRange.lowerBound, env.typeRange.upperBound), as: UTF8.self)
                    throw fail("invalid \(t) payload: \(m)")
                }
            }
            if let token = env.token {
                if token < 1 { throw fail("token is not a positive integer") }
                if token < maxToken {
                    throw fail("driver token \(token) is lower than token \(maxToken) on line \(maxTokenLine) (a driver wrote after losing its lease)")
                }
            }
            let event = JournalEvent(seq: env.seq, time: time, actor: env.actor, body: body, token: env.token)
            do throws(ReduceError) {
                try state.apply(event)
            } catch {
                throw fail("rejected by the reducer: \(error.message)")
            }
            events.append(event)
            if lineNo == 1 {
                state.runID = String(decoding: slice(buf, env.hashStart, env.hashStart + 8), as: UTF8.self)
            }
            if lineNo == watchSeq {
                watchedHash = String(decoding: slice(buf, env.hashStart, env.hashStart + 64), as: UTF8.self)
            }
            if let token = env.token, token > maxToken { (maxToken, maxTokenLine) = (token, lineNo) }
            lineCount = lineNo
            lastHashStart = env.hashStart
            recentStarts[lineNo % Self.recentCount] = env.hashStart
            if recordLineEnds { lineEnds.append(fileOffset + nl + 1) }
            validLength = nl + 1
            start = nl + 1
        }
        return validLength
    }

    /// Takes the writer's own new line — just encoded by `LineCodec.encode` and read back by the writer, so its
    /// format, hash, seq and prev link are right by construction — into the chain: the reducer step (which throws
    /// a `ReduceError` before changing anything: the chain is then exactly as it was) and the bookkeeping
    /// `consume` does. `fileOffset` is where the line starts in the file.
    mutating func appendOwn(_ event: JournalEvent, line: [UInt8], hash: String, fileOffset: Int) throws(ReduceError) {
        precondition(event.seq == lineCount + 1)
        try state.apply(event)
        let hex = Array(hash.utf8)
        if event.seq == 1 { state.runID = String(hash.prefix(8)) }
        if event.seq == watchSeq { watchedHash = hash }
        if let token = event.token, token > maxToken { (maxToken, maxTokenLine) = (token, event.seq) }
        lineCount = event.seq
        lastHash = hex
        // The line ends `"hash":"<64 hex>"}\n`.
        lastHashOffset = fileOffset + line.count - 67
        let k = event.seq % Self.recentCount
        recentSeq[k] = event.seq
        for b in 0..<64 { recentHash[k * 64 + b] = hex[b] }
        if recordLineEnds { lineEnds.append(fileOffset + line.count) }
    }

    /// The hash of verified line `seq`, if this verifier still knows it.
    func knownHash(ofLine seq: Int) -> String? {
        guard seq >= 1, seq <= lineCount else { return nil }
        if seq == watchSeq, let watchedHash { return watchedHash }
        if seq == verifiedHead.seq { return verifiedHead.hash }
        let k = seq % Self.recentCount
        guard recentSeq[k] == seq else { return nil }
        return String(decoding: recentHash[(k * 64)..<(k * 64 + 64)], as: UTF8.self)
    }

    /// Checks the head record (read before the lines it is checked against) against the verified lines: the
    /// acknowledged line must be there and still be the one that was acknowledged. Returns the warnings
    /// (a missing or empty head); throws a `JournalError` for damage.
    mutating func checkHead(_ head: Journal.HeadState) throws(JournalError) -> [String] {
        let headPath = Journal.join(FileIO.parentPath(path), Journal.headName)
        switch head {
        case .missing:
            return lineCount > 0 ? ["\(headPath) is missing: deleted trailing lines cannot be detected"] : []
        case .empty:
            return lineCount > 0
                ? ["\(headPath) is empty although the journal has \(lineCount) lines: deleted trailing lines cannot be detected"] : []
        case .at(let h):
            if h.seq > lineCount {
                let missing = h.seq == lineCount + 1 ? "line \(h.seq) deleted" : "lines \(lineCount + 1)–\(h.seq) deleted"
                throw JournalError(path: path, line: lineCount + 1,
                                   message: "journal ends at seq \(lineCount) but seq \(h.seq) was acknowledged: \(missing)")
            }
            guard let known = knownHash(ofLine: h.seq) else {
                // Only a tail reader gets here: the head names a line read long ago that was never the head.
                throw JournalError(path: path, line: h.seq,
                                   message: "the head record went back to seq \(h.seq), behind lines already acknowledged (journal rewritten?)")
            }
            // The acknowledged line must still be the one that was acknowledged.
            if known != h.hash {
                throw JournalError(path: path, line: h.seq,
                                   message: "hash differs from the acknowledged head record for seq \(h.seq) (line replaced or journal rewritten?)")
            }
            verifiedHead = h
            return []
        }
    }
}
