#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import WarRoomCore
import WarRoomStore

/// Moving a run between etcd and a state directory, byte for byte: the entries are the journal's lines and
/// `PREFIX/head` is the `head` file's record, so `warroom verify --state DIR` passes on an export and an import
/// reads back as the same chain.
extension EtcdJournal {
    /// Writes the run (read afresh at one revision and verified) into `stateDir` as the file store keeps it:
    /// `journal.jsonl` (the entries' bytes, in order) and `head`, both 0600 and fsync'd, in a directory made 0700
    /// if missing. Refuses a directory that already has a non-empty journal. Returns the number of entries.
    @discardableResult
    public func export(to stateDir: String) throws -> Int {
        let (lines, _, _) = try readAllLines()
        let journalPath = ChainFeed.journalPath(in: stateDir)
        let headPath = ChainFeed.headPath(in: stateDir)
        func fail(_ path: String, _ what: String) -> JournalError { JournalError(path: path, message: "export of \(url): \(what)") }
        var isDir: ObjCBool = false
        if !FileManager.default.fileExists(atPath: stateDir, isDirectory: &isDir) {
            do {
                try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch { throw fail(stateDir, "cannot create the directory: \(error.localizedDescription)") }
        } else if !isDir.boolValue {
            throw fail(stateDir, "not a directory")
        }
        if let size = (try? FileManager.default.attributesOfItem(atPath: journalPath))?[.size] as? Int, size > 0 {
            throw fail(journalPath, "refused: this state directory already has a journal (\(size) bytes)")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(lines.reduce(0) { $0 + $1.count })
        for line in lines { bytes += line }
        try Self.writeFile(journalPath, bytes)
        let head = lines.isEmpty ? ChainFeed.headBytes(seq: 0, hash: "")
            : ChainFeed.headBytes(seq: lines.count, hash: Self.hashOf(line: lines[lines.count - 1]))
        try Self.writeFile(headPath, head)
        let dfd = Glibc.open(stateDir, O_RDONLY | O_DIRECTORY)
        if dfd >= 0 { _ = fsync(dfd); Glibc.close(dfd) }
        return lines.count
    }

    /// Puts the run of `stateDir` (verified first, as `warroom verify` does) under `url`'s prefix, refusing a prefix
    /// that has any key. Entries go in txns of 100, each comparing the head it extends, with the head record
    /// updated in the same txn (a reader never sees entries past the head). Returns the number of entries.
    @discardableResult
    public static func `import`(from stateDir: String, into url: EtcdURL, client: EtcdClient? = nil) throws -> Int {
        let replay = try Journal.replay(stateDir: stateDir)
        if let torn = replay.tornTail {
            throw JournalError(path: ChainFeed.journalPath(in: stateDir), line: torn.line,
                               message: "import refused: a torn last line (\(torn.bytes) bytes); open the state directory with a writer first")
        }
        let c = client ?? EtcdClient(url: url)
        let keys = EtcdKeys(prefix: url.prefix)
        guard let data = FileManager.default.contents(atPath: ChainFeed.journalPath(in: stateDir)) else {
            throw JournalError(path: ChainFeed.journalPath(in: stateDir), message: "import: cannot read the journal")
        }
        let all = [UInt8](data)
        var lines: [[UInt8]] = []
        var start = 0
        while start < all.count, let nl = all[start...].firstIndex(of: 0x0A) {
            lines.append(Array(all[start...nl]))
            start = nl + 1
        }
        guard lines.count == replay.lineCount else {
            throw JournalError(path: ChainFeed.journalPath(in: stateDir), message: "import: \(lines.count) lines read, \(replay.lineCount) verified")
        }
        do {
            let existing = try c.rangePrefix(keys.all, limit: 1)
            if let kv = existing.kvs.first {
                throw JournalError(path: url.description, message: "import refused: the prefix is not empty (it has \(existing.count) keys, e.g. \"\(String(decoding: kv.key, as: UTF8.self))\")")
            }
            var headRevision: Int64 = 0
            var feed = ChainFeed(label: url.description + "/journal")
            var seq = 0
            while seq < lines.count {
                let batch = lines[seq..<min(lines.count, seq + 100)]
                var ops: [EtcdOp] = []
                for line in batch {
                    seq += 1
                    _ = try feed.consume(line: line)
                    ops.append(.put(key: keys.entry(seq), value: line, lease: 0))
                }
                ops.append(.put(key: keys.head, value: ChainFeed.headBytes(seq: seq, hash: feed.lastHash ?? ""), lease: 0))
                let compare: EtcdCompare = headRevision == 0 ? .createRevision(keys.head, .equal, 0) : .modRevision(keys.head, .equal, headRevision)
                let r = try c.txn(compare: [compare], success: ops)
                guard r.succeeded else {
                    throw JournalError(path: url.description, message: "import stopped after seq \(seq - batch.count): another writer changed the prefix meanwhile")
                }
                headRevision = r.revision
            }
            // Fencing tokens here are the lease key's create_revision, and a driver append needs one at least every
            // token already journaled. A file store's tokens count its take-overs; 100 entries take one revision: a
            // fresh cluster's next lease could be below them, and every driver append would then be refused as stale.
            // The head is put again, unchanged (compared: never over another writer's), until the revision is past them.
            let lastHead = ChainFeed.headBytes(seq: seq, hash: feed.lastHash ?? "")
            while headRevision != 0, headRevision <= Int64(feed.maxToken) {
                let r = try c.txn(compare: [.modRevision(keys.head, .equal, headRevision)],
                                  success: [.put(key: keys.head, value: lastHead, lease: 0)])
                guard r.succeeded else { break } // another writer moved the revision on meanwhile
                headRevision = r.revision
            }
        } catch let e as EtcdError {
            throw EtcdStoreError(url: url, action: "import \(stateDir)", cause: e, mayBeRecorded: e.kind == .timedOut)
        }
        return lines.count
    }

    /// The `"hash"` member of a journal line (its last 64 hex digits before `"}\n`).
    static func hashOf(line: [UInt8]) -> String {
        String(decoding: line[(line.count - 67)..<(line.count - 3)], as: UTF8.self)
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) throws {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw JournalError(path: path, message: "open failed: \(String(cString: strerror(errno)))") }
        defer { Glibc.close(fd) }
        var off = 0
        while off < bytes.count {
            let n = bytes[off...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw JournalError(path: path, message: "write failed: \(String(cString: strerror(errno)))")
            }
            off += n
        }
        guard fsync(fd) == 0 else { throw JournalError(path: path, message: "fsync failed: \(String(cString: strerror(errno)))") }
    }
}
