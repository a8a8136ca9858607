/// Errors and warning values of the run journal.

/// A torn last line: a final segment of the journal with no terminating newline, left by a crash in the
/// middle of a write. It was never acknowledged. Readers report it and ignore it; the writer cuts it off
/// (after saving a copy) when it opens the state directory.
public struct TornTail: Sendable, Equatable {
    /// 1-based line number the torn segment starts on.
    public var line: Int
    /// Length of the torn segment in bytes.
    public var bytes: Int
    /// Where the writer saved the cut bytes (`DIR/torn-<seq>-<unixms>.jsonl`); nil when only reported.
    public var savedTo: String?

    public init(line: Int, bytes: Int, savedTo: String? = nil) {
        self.line = line
        self.bytes = bytes
        self.savedTo = savedTo
    }
}

/// Anything wrong with the journal or its files: damage found while reading (always naming the 1-based
/// line when there is one) or a failed system call while writing.
/// `description` is `path:line: message`, or `path: message` without a line.
public struct JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var line: Int?
    public var message: String

    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}

/// Another writer holds the state directory's lock. Fields are what the holder wrote into `DIR/lock`;
/// nil when it could not be read (e.g. the holder is between taking the lock and writing its details).
public struct LockHeld: Error, Sendable, Equatable, CustomStringConvertible {
    public var dir: String
    public var pid: Int32?
    public var actor: String?
    public var host: String?
    /// ISO-8601 time the holder took the lock.
    public var since: String?

    public init(dir: String, pid: Int32?, actor: String?, host: String?, since: String?) {
        self.dir = dir
        self.pid = pid
        self.actor = actor
        self.host = host
        self.since = since
    }

    /// `state directory /x is in use by dana (pid 4242 on host1, since 2026-11-22T02:11:01.123Z)`
    public var description: String {
        guard pid != nil || actor != nil else {
            return "state directory \(dir) is in use by another writer (its details are not readable yet)"
        }
        var details: [String] = []
        if let pid { details.append("pid \(pid)" + (host.map { " on \($0)" } ?? "")) } else if let host {
            details.append("on \(host)")
        }
        if let since { details.append("since \(since)") }
        return "state directory \(dir) is in use by \(actor ?? "another writer")"
            + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
    }
}
