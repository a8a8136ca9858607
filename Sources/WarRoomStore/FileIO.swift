#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thin, throwing wrappers over the system calls the store uses. Every error names the file and the errno text.

struct SysError: Error {
    var op: String
    var path: String
    var code: Int32
    /// Replaces the errno text when the problem is not a failed call (a FIFO where a file should be).
    var note: String?

    var message: String { note ?? "\(op) failed: \(String(cString: strerror(code))) (errno \(code))" }
    func journalError(line: Int? = nil) -> JournalError { JournalError(path: path, line: line, message: message) }
}

/// Test-only fault injection: each field, when set, makes the next matching operation of a
/// `JournalWriter` fail with that errno (and is then cleared). `package` so only this package's tests see it.
package final class FaultPlan {
    /// Next journal write fails. With `writePartialBytes`, it first really writes that many bytes of the line.
    package var writeError: Int32?
    package var writePartialBytes: Int?
    /// Next journal fsync fails.
    package var fsyncError: Int32?
    /// Next head-file write fails.
    package var headError: Int32?
    /// Next ftruncate (the rollback after a failure) fails.
    package var truncateError: Int32?

    package init() {}

    func take(_ kp: ReferenceWritableKeyPath<FaultPlan, Int32?>) -> Int32? {
        let v = self[keyPath: kp]
        self[keyPath: kp] = nil
        return v
    }
}

/// The store's write loop for callers outside it (standard error, the console's log): all of `bytes` to `fd`, or
/// false at the first error.
public func writeFully(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { FileIO.writeAll(fd, $0, path: "fd \(fd)").1 == nil }
}

enum FileIO {
    static func retrying(_ body: () -> Int32) -> Int32 {
        while true {
            let r = body()
            if r == -1 && errno == EINTR { continue }
            return r
        }
    }

    static func openFD(_ path: String, _ flags: Int32, _ mode: mode_t = 0o600) throws(SysError) -> Int32 {
        let fd = retrying { open(path, flags | O_CLOEXEC, mode) }
        guard fd >= 0 else { throw SysError(op: "open", path: path, code: errno) }
        return fd
    }

    /// Whether `dir` is a state directory shared with its group: it has the setgid bit (made by `--group`, 2770).
    static func isShared(_ dir: String) -> Bool {
        var st = stat()
        return stat(dir, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR && (st.st_mode & S_ISGID) != 0
    }

    /// The mode of a new file in `dir`: 0660 in a shared state directory (its group inherited through the
    /// directory's setgid bit), else 0600.
    static func fileMode(in dir: String) -> mode_t { isShared(dir) ? 0o660 : 0o600 }

    /// Opens `path` read-write, creating it with mode 0600 (0660 in a shared directory; fchmod, so the umask
    /// does not matter) if it is missing. Returns whether it was created.
    static func openOrCreate(_ path: String, extraFlags: Int32 = 0) throws(SysError) -> (fd: Int32, created: Bool) {
        while true {
            let mode = fileMode(in: parentPath(path))
            let fd = retrying { open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | extraFlags, mode) }
            if fd >= 0 {
                guard fchmod(fd, mode) == 0 else {
                    let e = errno
                    _ = close(fd)
                    throw SysError(op: "fchmod", path: path, code: e)
                }
                return (fd, true)
            }
            guard errno == EEXIST else { throw SysError(op: "open", path: path, code: errno) }
            // A regular file only, opened without blocking (a device could): a FIFO planted where the journal or head
            // should be is named as what it is, not left to fail the first read with a bare "Illegal seek".
            let existing = retrying { open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | extraFlags) }
            if existing >= 0 {
                var st = stat()
                guard fstat(existing, &st) == 0 else {
                    let e = errno
                    _ = close(existing)
                    throw SysError(op: "fstat", path: path, code: e)
                }
                guard (st.st_mode & S_IFMT) == S_IFREG else {
                    _ = close(existing)
                    throw SysError(op: "open", path: path, code: EINVAL, note: "is \(kindText(st.st_mode)), not a regular file")
                }
                let flags = fcntl(existing, F_GETFL)
                if flags >= 0 { _ = fcntl(existing, F_SETFL, flags & ~O_NONBLOCK) }
                return (existing, false)
            }
            guard errno == ENOENT else { throw SysError(op: "open", path: path, code: errno) }
            // Removed between the two opens: try again.
        }
    }

    /// Creates a new file (0600 by fchmod; 0660 in a shared directory) for writing; nil if it already exists.
    static func createExclusive(_ path: String) throws(SysError) -> Int32? {
        let mode = fileMode(in: parentPath(path))
        let fd = retrying { open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode) }
        if fd < 0 {
            if errno == EEXIST { return nil }
            throw SysError(op: "open", path: path, code: errno)
        }
        guard fchmod(fd, mode) == 0 else {
            let e = errno
            _ = close(fd)
            throw SysError(op: "fchmod", path: path, code: e)
        }
        return fd
    }

    static func closeFD(_ fd: Int32) { _ = close(fd) }

    /// The store's one write loop: writes all of `bytes` at the current offset (or the end, with O_APPEND), or with
    /// `at`, at that file offset (pwrite), looping over partial writes and EINTR.
    /// Returns how many bytes were written before an error, along with the error.
    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: off_t? = nil, path: String,
                         faults: FaultPlan? = nil) -> (Int, SysError?) {
        var done = 0
        if let faults, let code = faults.take(\.writeError) {
            if let partial = faults.writePartialBytes, partial > 0, let base = bytes.baseAddress {
                faults.writePartialBytes = nil
                done = max(0, write(fd, base, min(partial, bytes.count)))
            }
            return (done, SysError(op: "write", path: path, code: code))
        }
        while done < bytes.count {
            guard let base = bytes.baseAddress else { break }
            let n: Int
            if let offset {
                n = pwrite(fd, base + done, bytes.count - done, offset + off_t(done))
            } else {
                n = write(fd, base + done, bytes.count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                return (done, SysError(op: "write", path: path, code: errno))
            }
            if n == 0 { return (done, SysError(op: "write", path: path, code: EIO)) }
            done += n
        }
        return (done, nil)
    }

    static func pwriteAll(_ fd: Int32, _ bytes: [UInt8], at offset: off_t, path: String) throws(SysError) {
        let (_, err) = bytes.withUnsafeBytes { writeAll(fd, $0, at: offset, path: path) }
        if let err { throw err }
    }

    /// Replaces `path` with `bytes` so a reader sees the old content or the new, never a mix: a private temporary
    /// file in the same directory (0600), written with `writeAll`, fsync'd, renamed over `path`; with `durable`
    /// the directory is fsync'd too, so the new name survives a crash. The temporary file is removed on failure.
    static func replaceAtomically(_ path: String, with bytes: [UInt8], durable: Bool) throws(SysError) {
        let dir = parentPath(path)
        var attempt = 0
        var tmp: String
        var fd: Int32
        while true {
            tmp = "\(path).tmp-\(getpid())-\(attempt)"
            if let created = try createExclusive(tmp) { fd = created; break }
            // Left by a crashed process with our pid (or a concurrent call): never write into another's file.
            guard attempt < 100 else { throw SysError(op: "open", path: tmp, code: EEXIST) }
            attempt += 1
        }
        do throws(SysError) {
            let (_, err) = bytes.withUnsafeBytes { writeAll(fd, $0, path: tmp) }
            if let err { throw err }
            try syncFile(fd, path: tmp)
            closeFD(fd)
            fd = -1
            guard rename(tmp, path) == 0 else { throw SysError(op: "rename", path: path, code: errno) }
        } catch {
            if fd >= 0 { closeFD(fd) }
            _ = unlink(tmp)
            throw error
        }
        if durable { try fsyncDirectory(dir) }
    }

    static func syncFile(_ fd: Int32, path: String) throws(SysError) {
        guard retrying({ fsync(fd) }) == 0 else { throw SysError(op: "fsync", path: path, code: errno) }
    }

    static func syncData(_ fd: Int32, path: String) throws(SysError) {
        #if canImport(Darwin)
        try syncFile(fd, path: path)
        #else
        guard retrying({ fdatasync(fd) }) == 0 else { throw SysError(op: "fdatasync", path: path, code: errno) }
        #endif
    }

    static func fsyncDirectory(_ path: String) throws(SysError) {
        let fd = try openFD(path, O_RDONLY | O_DIRECTORY)
        defer { closeFD(fd) }
        try syncFile(fd, path: path)
    }

    static func truncateFile(_ fd: Int32, to length: Int, path: String) throws(SysError) {
        guard retrying({ ftruncate(fd, off_t(length)) }) == 0 else {
            throw SysError(op: "ftruncate", path: path, code: errno)
        }
    }

    /// Reads the whole file from offset 0.
    static func readAll(_ fd: Int32, path: String) throws(SysError) -> [UInt8] {
        try readFrom(fd, offset: 0, path: path)
    }

    /// Reads from `offset` to the end of the file (with `pread`: the descriptor's own offset is not used).
    static func readFrom(_ fd: Int32, offset: Int, path: String) throws(SysError) -> [UInt8] {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SysError(op: "fstat", path: path, code: errno) }
        var capacity = max(Int(st.st_size) - offset, 0) + 4096
        while true {
            var failure: Int32 = 0
            var complete = false
            let out = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                count = 0
                guard let base = buffer.baseAddress else { return }
                while count < capacity {
                    let n = pread(fd, base + count, capacity - count, off_t(offset + count))
                    if n < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        return
                    }
                    if n == 0 { complete = true; return }
                    count += n
                }
            }
            if failure != 0 { throw SysError(op: "read", path: path, code: failure) }
            if complete { return out }
            capacity *= 2 // the file grew while we read it
        }
    }

    /// Reads a whole file by path; nil if it does not exist.
    static func readFile(_ path: String) throws(SysError) -> [UInt8]? {
        // Non-blocking open: a FIFO planted where a file should be must not hang the reader.
        let fd = retrying { open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK) }
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw SysError(op: "open", path: path, code: errno)
        }
        defer { closeFD(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SysError(op: "fstat", path: path, code: errno) }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            throw SysError(op: "open", path: path, code: EINVAL, note: "not a regular file (a directory, FIFO or device)")
        }
        return try readAll(fd, path: path)
    }

    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    /// "a regular file", "a FIFO", … for messages about a path that is not what it should be.
    static func kindText(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "a regular file"
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFLNK: return "a symbolic link"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    /// `mkdir -p` for the parents, then the directory itself with mode 0700 (chmod'ed after mkdir so the
    /// umask cannot change it). Returns whether the final directory was created.
    ///
    /// With `group`, the directory is shared with that group: owned by it, mode 2770 (setgid, so what is created
    /// in it belongs to the group; its files are made 0660, see `fileMode`). An existing directory must already be
    /// shared with that group. A subdirectory of a shared directory (`likeParent`) is shared the same way.
    static func makeStateDirectory(_ path: String, group: gid_t? = nil, likeParent: Bool = false) throws(SysError) -> Bool {
        let parent = parentPath(path)
        var link = stat()
        // Without its trailing slashes: lstat("link/") follows the link and would see the directory it points to.
        var bare = Substring(path)
        while bare.count > 1, bare.hasSuffix("/") { bare = bare.dropLast() }
        if lstat(String(bare), &link) == 0, (link.st_mode & S_IFMT) == S_IFLNK {
            var buf = [CChar](repeating: 0, count: 4096)
            let n = readlink(String(bare), &buf, buf.count - 1)
            let target = n > 0 ? String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : "?"
            throw SysError(op: "lstat", path: path, code: ELOOP,
                           note: "is a symbolic link (to \(target)): give the state directory itself, so the run's journal cannot be pointed elsewhere")
        }
        if isDirectory(path) {
            // A private state directory made by someone's mkdir (0755): tightened to 0700, as warroom makes them.
            if group == nil, (link.st_mode & S_ISGID) == 0, (link.st_mode & 0o077) != 0, link.st_uid == geteuid() {
                guard chmod(path, 0o700) == 0 else { throw SysError(op: "chmod", path: path, code: errno) }
            }
            if let group {
                var st = stat()
                guard stat(path, &st) == 0 else { throw SysError(op: "stat", path: path, code: errno) }
                guard st.st_gid == group, (st.st_mode & S_ISGID) != 0 else {
                    throw SysError(op: "stat", path: path, code: EPERM,
                                   note: "already exists and is not shared with that group (it needs group \(group) and mode 2770); use a new directory, or chgrp and chmod 2770 it and its files 0660")
                }
            }
            return false
        }
        if parent != path, !isDirectory(parent) {
            _ = try makeDirectories(parent)
        }
        if mkdir(path, 0o700) != 0 {
            let e = errno
            if e == EEXIST, isDirectory(path) { return false }
            var st = stat()
            if e == EEXIST, lstat(path, &st) == 0 {
                throw SysError(op: "mkdir", path: path, code: e, note: "is \(kindText(st.st_mode)), not a state directory: give a directory (it is created if missing)")
            }
            throw SysError(op: "mkdir", path: path, code: e)
        }
        let shared = group != nil || (likeParent && isShared(parent))
        if let group {
            guard chown(path, uid_t.max, group) == 0 else {
                let e = errno
                _ = rmdir(path)
                throw SysError(op: "chown", path: path, code: e,
                               note: "cannot give it to group \(group): \(String(cString: strerror(e))) (you must be a member of the group)")
            }
        }
        guard chmod(path, shared ? 0o2770 : 0o700) == 0 else { throw SysError(op: "chmod", path: path, code: errno) }
        // Make the new directory's entry durable.
        try? fsyncDirectory(parent)
        return true
    }

    /// Plain `mkdir -p` (default mode, umask applies) for intermediate directories.
    static func makeDirectories(_ path: String) throws(SysError) -> Bool {
        if isDirectory(path) { return false }
        let parent = parentPath(path)
        if parent != path, !isDirectory(parent) { _ = try makeDirectories(parent) }
        if mkdir(path, 0o777) != 0 {
            if errno == EEXIST, isDirectory(path) { return false }
            throw SysError(op: "mkdir", path: path, code: errno)
        }
        return true
    }

    static func parentPath(_ path: String) -> String {
        var p = Substring(path)
        while p.count > 1, p.hasSuffix("/") { p = p.dropLast() }
        guard let slash = p.lastIndex(of: "/") else { return "." }
        if slash == p.startIndex { return "/" }
        return String(p[..<slash])
    }

    static func hostName() -> String {
        var buf = [CChar](repeating: 0, count: 256)
        guard gethostname(&buf, buf.count - 1) == 0 else { return "unknown" }
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
