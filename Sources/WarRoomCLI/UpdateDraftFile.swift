import Foundation
import WarRoomCore

/// `U` then `w` on the driving console: the drafted stakeholder update saved where the run keeps what stays on this
/// machine (`DIR/updates/` of a directory store, `LOCAL/updates/` of an etcd one), one file per save, named by the
/// time (`update-2026-12-01T22-45-01Z.md`, then `…-2.md` in the same second). Control characters from item names
/// and reasons are escaped, as in `report --update`: the file is read with `cat` as often as pasted.
enum UpdateDraftFile {
    static func directory(for store: StoreLocation) -> String {
        switch store {
        case .directory(let d): return d + "/updates"
        case .etcd(_, let local): return local + "/updates"
        }
    }

    /// Writes the draft (created, never over another file) and returns its path.
    static func save(_ text: String, in dir: String, now: Millis) throws(Failure) -> String {
        do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw Failure("\(dir): cannot create the directory for updates: \(error.localizedDescription)")
        }
        let stamp = String(Timestamp.iso8601(now).prefix(19)).replacingOccurrences(of: ":", with: "-") + "Z"
        let data = Data(TerminalText.escapingControls(text).utf8)
        for n in 1...100 {
            let path = dir + "/update-\(stamp)\(n == 1 ? "" : "-\(n)").md"
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd < 0 {
                if errno == EEXIST { continue }
                throw Failure("\(path): cannot create: \(String(cString: strerror(errno)))")
            }
            defer { close(fd) }
            let ok = data.withUnsafeBytes { raw -> Bool in
                var off = 0
                while off < raw.count {
                    let w = write(fd, raw.baseAddress! + off, raw.count - off)
                    if w < 0 { if errno == EINTR { continue }; return false }
                    off += w
                }
                return fsync(fd) == 0
            }
            guard ok else { throw Failure("\(path): cannot write: \(String(cString: strerror(errno)))") }
            return path
        }
        throw Failure("\(dir): a hundred updates saved in one second already")
    }
}
