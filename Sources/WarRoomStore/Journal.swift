#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import WarRoomCore

/// The result of reading a journal: the rebuilt state and everything it was built from.
public struct Replay: Sendable {
    /// State after every verified line (with `runID` set once there is a line 1).
    public var state: RunState
    /// Every verified event, in order.
    public var events: [JournalEvent]
    /// Hash of the last verified line; nil for an empty journal.
    public var lastHash: String?
    /// A torn last line (no terminating newline) that was ignored. Readers only report it; the writer cuts it.
    public var tornTail: TornTail?
    /// Number of complete, verified lines.
    public var lineCount: Int
    /// Things worth telling that are not damage (e.g. a missing `head` file, so deleted trailing lines
    /// cannot be detected).
    public var warnings: [String]
}

/// Reading the journal of a state directory. Layout of a state directory (0700):
///
/// - `journal.jsonl` (0600): the hash-chained JSON Lines journal, one event per line (see `LineCodec`).
/// - `head` (0600): `{"seq":N,"hash":"…"}` padded to 128 bytes, the last acknowledged line. A journal that
///   ends before it has lost acknowledged lines; one line past it is a crash between the two syncs (fine).
/// - `lock` (0600): held with `flock(LOCK_EX)` by the one writer, holding `{"pid","actor","host","since"}`.
/// - `torn-<seq>-<unixms>.jsonl` (0600): torn last lines the writer cut off, kept for inspection.
public enum Journal {
    public static let fileName = "journal.jsonl"
    public static let headName = "head"
    public static let lockName = "lock"

    /// `DIR/journal.jsonl`
    public static func path(in dir: String) -> String { join(dir, fileName) }

    /// Whether the state directory has a journal file (it may still be empty).
    public static func exists(in dir: String) -> Bool { FileIO.exists(path(in: dir)) }

    /// Reads and verifies the whole journal without taking the lock or changing any file: every line's
    /// format, hash, seq and prev link, every payload and every reducer step, and the `head` record.
    /// Any damage throws a `JournalError` naming the line; a torn last line is returned in `tornTail`.
    public static func replay(stateDir: String) throws(JournalError) -> Replay {
        let jpath = path(in: stateDir)
        // Head before journal: the writer syncs the journal line before it updates head, so a journal read
        // after the head can only be longer, never shorter, than the head says.
        let head = try readHead(stateDir: stateDir, retries: 3)
        let file: [UInt8]?
        do throws(SysError) { file = try FileIO.readFile(jpath) } catch { throw error.journalError() }
        guard let bytes = file else {
            throw JournalError(path: jpath, message: "no journal here (no run has started in \(stateDir))")
        }
        return try verify(bytes, head: head, path: jpath).replay
    }

    static func join(_ dir: String, _ name: String) -> String {
        dir.hasSuffix("/") ? dir + name : dir + "/" + name
    }

    // MARK: head

    struct Head: Equatable {
        var seq: Int
        var hash: String
    }

    static let headSize = 128

    static func encodeHead(_ h: Head) -> [UInt8] {
        var out = Array(#"{"seq":\#(h.seq),"hash":"\#(h.hash)"}"#.utf8)
        if out.count < headSize - 1 { out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: headSize - 1 - out.count)) }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// `.missing`: no head file. `.empty`: empty file or seq 0 (nothing acknowledged yet).
    enum HeadState {
        case missing
        case empty
        case at(Head)
    }

    static func parseHead(_ bytes: [UInt8]) -> HeadState? {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0 }) { return .empty }
        guard let v = parseJSON(bytes), case .int(let seq)? = v["seq"], seq >= 0, let hash = v["hash"]?.string else { return nil }
        if seq == 0 { return .empty }
        guard hash.utf8.count == 64, hash.utf8.allSatisfy({ isDigit($0) || (97...102).contains($0) }) else { return nil }
        return .at(Head(seq: Int(seq), hash: hash))
    }

    static func readHead(stateDir: String, retries: Int) throws(JournalError) -> HeadState {
        let hpath = join(stateDir, headName)
        var attempt = 0
        while true {
            let bytes: [UInt8]?
            do throws(SysError) { bytes = try FileIO.readFile(hpath) } catch { throw error.journalError() }
            guard let bytes else { return .missing }
            if let h = parseHead(bytes) { return h }
            // A reader can race the writer's in-place rewrite; look again before calling it damage.
            attempt += 1
            if attempt > retries { throw JournalError(path: hpath, line: 1, message: "unreadable head record") }
            usleep(2000)
        }
    }

    // MARK: verification

    struct Verified {
        var replay: Replay
        /// Length of the journal up to and including the last newline (where a torn tail starts).
        var validLength: Int
    }

    /// Verifies `bytes` (a whole journal file) line by line and replays it.
    static func verify(_ bytes: [UInt8], head: HeadState, path: String) throws(JournalError) -> Verified {
        var state = RunState()
        var events: [JournalEvent] = []
        var lineNo = 0
        var validLength = 0
        var lastHashStart: Int? = nil
        var firstHash: String? = nil
        var headSeq = 0
        if case .at(let h) = head { headSeq = h.seq }
        var headLineHash: String? = nil

        let result: Result<Void, JournalError> = bytes.withUnsafeBufferPointer { buf in
            let n = buf.count
            var start = 0
            var digest = [UInt8](repeating: 0, count: 64)
            while start < n {
                guard let nl = nextNewline(buf, from: start) else { break } // torn tail
                lineNo += 1
                func fail(_ m: String) -> Result<Void, JournalError> { .failure(JournalError(path: path, line: lineNo, message: m)) }
                if nl == start { return fail("empty line") }

                let env: LineCodec.Envelope
                do throws(JSONFailure) {
                    env = try LineCodec.parseEnvelope(buf, start, nl)
                } catch {
                    return fail(LineCodec.diagnose(slice(buf, start, nl), scannerFailure: error))
                }

                // The line's own hash: of its bytes without the hash member.
                var hasher = SHA256()
                hasher.update(bufferPointer: UnsafeRawBufferPointer(slice(buf, start, env.hashMember)))
                hasher.update(data: closingBrace)
                let d = hasher.finalize()
                digest.withUnsafeMutableBufferPointer { out in
                    d.withUnsafeBytes { raw in
                        for (k, b) in raw.enumerated() {
                            out[2 * k] = hexDigits[Int(b >> 4)]
                            out[2 * k + 1] = hexDigits[Int(b & 0xF)]
                        }
                    }
                }
                if !equal(buf, env.hashStart, digest) {
                    if !LineCodec.isLowerHex(buf, env.hashStart, 64) { return fail("hash is not 64 lowercase hex digits") }
                    return fail("hash mismatch (line was edited?)")
                }

                if env.seq != lineNo {
                    if env.seq > lineNo {
                        return fail("expected seq \(lineNo), found \(env.seq) (line deleted or lines reordered?)")
                    }
                    return fail("expected seq \(lineNo), found \(env.seq) (line duplicated or lines reordered?)")
                }
                let prevOK: Bool
                if let p = lastHashStart {
                    prevOK = equal(buf, env.prevStart, buf, p)
                } else {
                    prevOK = equal(buf, env.prevStart, LineCodec.zeroHash)
                }
                if !prevOK {
                    if !LineCodec.isLowerHex(buf, env.prevStart, 64) { return fail("prev is not 64 lowercase hex digits") }
                    return fail(lineNo == 1 ? "prev of the first line is not 64 zeros (lines deleted from the start?)"
                                            : "prev does not match the hash of line \(lineNo - 1) (line deleted, replaced or reordered?)")
                }

                guard let time = Timestamp.parse(env.time) else { return fail("invalid time \"\(env.time)\"") }
                let body: EventBody
                do throws(LineCodec.BodyFailure) {
                    body = try LineCodec.decodeBody(buf, env)
                } catch {
                    switch error {
                    case .unknownType(let t): return fail("unknown event type \"\(t)\"")
                    case .badPayload(let m):
                        let t = String(decoding: slice(buf, env.typeRange.lowerBound, env.typeRange.upperBound), as: UTF8.self)
                        return fail("invalid \(t) payload: \(m)")
                    }
                }
                let event = JournalEvent(seq: env.seq, time: time, actor: env.actor, body: body)
                do throws(ReduceError) {
                    try state.apply(event)
                } catch {
                    return fail("rejected by the reducer: \(error.message)")
                }
                events.append(event)
                if lineNo == 1 {
                    let h = String(decoding: slice(buf, env.hashStart, env.hashStart + 64), as: UTF8.self)
                    firstHash = h
                }
                if lineNo == headSeq {
                    headLineHash = String(decoding: slice(buf, env.hashStart, env.hashStart + 64), as: UTF8.self)
                }
                lastHashStart = env.hashStart
                validLength = nl + 1
                start = nl + 1
            }
            return .success(())
        }
        if case .failure(let e) = result { throw e }

        let lastHash = lastHashStart.map {
            String(decoding: bytes[$0..<($0 + 64)], as: UTF8.self)
        }
        if let firstHash { state.runID = String(firstHash.prefix(8)) }

        var torn: TornTail? = nil
        if validLength < bytes.count {
            torn = TornTail(line: lineNo + 1, bytes: bytes.count - validLength, savedTo: nil)
        }

        var warnings: [String] = []
        switch head {
        case .missing:
            if lineNo > 0 {
                warnings.append("\(join(FileIO.parentPath(path), headName)) is missing: deleted trailing lines cannot be detected")
            }
        case .empty:
            if lineNo > 0 {
                warnings.append("\(join(FileIO.parentPath(path), headName)) is empty although the journal has \(lineNo) lines: deleted trailing lines cannot be detected")
            }
        case .at(let h):
            if h.seq > lineNo {
                let missing = h.seq == lineNo + 1 ? "line \(h.seq) deleted" : "lines \(lineNo + 1)–\(h.seq) deleted"
                throw JournalError(path: path, line: lineNo + 1,
                                   message: "journal ends at seq \(lineNo) but seq \(h.seq) was acknowledged: \(missing)")
            }
            // The acknowledged line must still be the one that was acknowledged.
            if headLineHash != h.hash {
                throw JournalError(path: path, line: h.seq,
                                   message: "hash differs from the acknowledged head record for seq \(h.seq) (line replaced or journal rewritten?)")
            }
        }

        let replay = Replay(state: state, events: events, lastHash: lastHash, tornTail: torn, lineCount: lineNo, warnings: warnings)
        return Verified(replay: replay, validLength: validLength)
    }

    static let closingBrace: [UInt8] = [UInt8(ascii: "}")]

    @inline(__always)
    static func nextNewline(_ buf: UnsafeBufferPointer<UInt8>, from: Int) -> Int? {
        guard from < buf.count, let base = buf.baseAddress else { return nil }
        guard let p = memchr(base + from, 0x0A, buf.count - from) else { return nil }
        return UnsafeRawPointer(p).assumingMemoryBound(to: UInt8.self) - base
    }

    @inline(__always)
    static func equal(_ buf: UnsafeBufferPointer<UInt8>, _ at: Int, _ hex: [UInt8]) -> Bool {
        for k in 0..<64 where buf[at + k] != hex[k] { return false }
        return true
    }

    @inline(__always)
    static func equal(_ a: UnsafeBufferPointer<UInt8>, _ i: Int, _ b: UnsafeBufferPointer<UInt8>, _ j: Int) -> Bool {
        for k in 0..<64 where a[i + k] != b[j + k] { return false }
        return true
    }
}
