#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Crypto
import Foundation
import WarRoomCore

// The state directory's files other than the journal itself: the driver's view for followers, the console's log,
// the content-addressed checklist copies, and a file's change stamp.

/// `DIR/view.json`: the driving console's current view (sources, gauges, lights) published for followers,
/// replaced atomically (a reader sees the old view or the new one, never a mix). Its content is the caller's:
/// any `Codable` value, or raw bytes. Not fsync'd into the directory: it is replaced again within a second,
/// and a view lost in a crash costs nothing.
public enum ViewFile {
    public static let name = "view.json"

    /// `DIR/view.json`
    public static func path(in stateDir: String) -> String { Journal.join(stateDir, name) }

    /// Replaces the view with `data`: a temporary file (0600), fsync'd, renamed over `view.json`.
    public static func publish(_ data: Data, stateDir: String) throws(JournalError) {
        let p = path(in: stateDir)
        do throws(SysError) {
            try FileIO.replaceAtomically(p, with: [UInt8](data), durable: false)
        } catch {
            throw error.journalError()
        }
    }

    /// Publishes `value` as JSON. Non-finite numbers (a gauge reading +Inf, as `histogram_quantile` gives when latency
    /// passes the last bucket) are written as "+Inf", "-Inf", "NaN", as Prometheus does: one such value must never
    /// stop the view.
    public static func publish<T: Encodable>(_ value: T, stateDir: String) throws {
        let e = JSONEncoder()
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        try publish(try e.encode(value), stateDir: stateDir)
    }

    /// The published bytes; nil when there is no view (or it cannot be read).
    public static func read(stateDir: String) -> Data? {
        guard let bytes = try? FileIO.readFile(path(in: stateDir)) else { return nil }
        return Data(bytes)
    }

    /// The published view decoded as `T`; nil when there is none or it does not decode.
    public static func read<T: Decodable>(_ type: T.Type, stateDir: String) -> T? {
        guard let data = read(stateDir: stateDir) else { return nil }
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "+Inf", negativeInfinity: "-Inf", nan: "NaN")
        return try? d.decode(T.self, from: data)
    }
}

/// A file's identity for "has it changed": device, inode, size and modification time. The inode tells a file
/// replaced by rename (as `view.json` is) even when size and time happen to match.
public struct FileStamp: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var mtimeNS: Int64

    /// nil when the file does not exist (or cannot be stat'ed).
    public init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        #if canImport(Darwin)
        mtimeNS = Int64(st.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(st.st_mtimespec.tv_nsec)
        #else
        mtimeNS = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        #endif
    }
}

/// `DIR/warroom.log`: the driving console's log (its stderr while the screen is up).
public enum LogFile {
    public static let name = "warroom.log"

    /// `DIR/warroom.log`
    public static func path(in stateDir: String) -> String { Journal.join(stateDir, name) }

    /// Opens the log for appending, creating it 0600 (a umask can only narrow that). The caller owns the
    /// descriptor (e.g. makes it stderr).
    public static func open(stateDir: String) throws(JournalError) -> Int32 {
        let p = path(in: stateDir)
        let mode = FileIO.fileMode(in: stateDir)
        let fd: Int32
        do throws(SysError) { fd = try FileIO.openFD(p, O_WRONLY | O_CREAT | O_APPEND, mode) } catch {
            throw error.journalError()
        }
        // In a shared directory the umask must not take the group's write bit; only the owner can fchmod, and
        // the file's owner made it so already.
        if mode != 0o600 { _ = fchmod(fd, mode) }
        return fd
    }

    /// One log line: `2026-11-22T02:11:01.123Z text` (no newline).
    public static func line(_ text: String, at time: Millis) -> String { "\(Timestamp.iso8601(time)) \(text)" }
}

/// Exact copies of checklists in the state directory, addressed by the SHA-256 of their bytes:
/// `DIR/checklists/<64 hex>.md` (directory 0700, files 0600). What a journal's `checklistSHA256` names can then
/// be read back as it was, even after the checklist file was edited or removed.
public enum ChecklistCopies {
    public static let directoryName = "checklists"

    /// `DIR/checklists`
    public static func directory(in stateDir: String) -> String { Journal.join(stateDir, directoryName) }

    /// `DIR/checklists/<sha256>.md`
    public static func path(sha256: String, in stateDir: String) -> String {
        Journal.join(directory(in: stateDir), sha256 + ".md")
    }

    /// Lowercase hex SHA-256 of `bytes`.
    public static func sha256Hex<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        hexString(SHA256.hash(data: Array(bytes)))
    }

    /// Keeps `bytes` under their hash and returns it. Written atomically and durably (temporary file, fsync,
    /// rename, directory fsync) so the copy is whole once this returns. Idempotent: an intact copy is left as it
    /// is; a damaged one is replaced. Creates the state directory (0700) if needed.
    @discardableResult
    public static func keep<C: Collection>(_ bytes: C, stateDir: String) throws(JournalError) -> String where C.Element == UInt8 {
        let content = Array(bytes)
        let hash = sha256Hex(content)
        let dir = directory(in: stateDir)
        let p = path(sha256: hash, in: stateDir)
        do throws(SysError) {
            _ = try FileIO.makeStateDirectory(stateDir)
            _ = try FileIO.makeStateDirectory(dir, likeParent: true) // 0700 (2770 if shared); its entry fsync'd
            if let existing = try FileIO.readFile(p), existing == content { return hash }
            try FileIO.replaceAtomically(p, with: content, durable: true)
        } catch {
            throw error.journalError()
        }
        return hash
    }

    /// The checklist kept under `sha256`; nil when there is no such copy. Throws when `sha256` is not 64 lowercase
    /// hex digits or the copy's bytes do not hash to it (the copy was changed).
    public static func read(sha256: String, stateDir: String) throws(JournalError) -> [UInt8]? {
        guard sha256.utf8.count == 64, sha256.utf8.allSatisfy({ isDigit($0) || (97...102).contains($0) }) else {
            throw JournalError(path: directory(in: stateDir), message: "\"\(sha256)\" is not a SHA-256 (64 lowercase hex digits)")
        }
        let p = path(sha256: sha256, in: stateDir)
        let bytes: [UInt8]?
        do throws(SysError) { bytes = try FileIO.readFile(p) } catch { throw error.journalError() }
        guard let bytes else { return nil }
        let actual = sha256Hex(bytes)
        guard actual == sha256 else {
            throw JournalError(path: p, message: "content does not match its name: its SHA-256 is \(actual) (the copy was changed)")
        }
        return bytes
    }
}
