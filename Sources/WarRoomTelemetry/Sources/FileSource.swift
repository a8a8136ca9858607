import WarRoomJSON
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The `file` source: a file holding a number, or a JSON object with the number at a dotted path.
public enum FileSourceReader {
    /// Files larger than this fail ("larger than 1 MiB") rather than being read whole.
    public static let maxBytes = 1 << 20

    /// Reads `path` (opened non-blocking, so a FIFO never hangs; regular files only; at most `maxBytes`)
    /// and decodes it with `decode`. Blocking only as long as the filesystem takes to read 1 MiB.
    public static func read(path: String, field: String?) -> Reading {
        switch readBytes(path: path) {
        case .failure(let error): return .failure(error.message)
        case .success(let bytes): return decode(bytes, path: path, field: field)
        }
    }

    /// Pure: the file's content → reading.
    ///
    /// - No `field`: the whole content, trimmed, must be a number (`42`, `0.5`, `-1e3`, `NaN`, `+Inf`) → `.value`;
    ///   an empty (or all-whitespace) file → `.noData` (a writer may be between truncate and write).
    /// - `field` (`"batch.errors"`): the content is a JSON object; each dot-separated segment selects an object
    ///   member (or, when it is a number, an array element); the value must be a number or a numeric string
    ///   → `.value`; JSON `null` → `.noData`.
    /// - Anything else → `.failure` naming the path (and the field).
    public static func decode(_ bytes: [UInt8], path: String, field: String?) -> Reading {
        guard let field, !field.isEmpty else {
            let text = String(decoding: bytes, as: UTF8.self).trimmingASCIIWhitespace()
            if text.isEmpty { return .noData }
            if let x = TelemetryText.number(text) { return .value(x) }
            return .failure("\(path): not a number: \(quote(text))")
        }
        let json: JSONValue
        switch JSONValue.parse(bytes) {
        case .success(let value): json = value
        case .failure(let error):
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                return .failure("\(path): empty file (expected JSON with field \(field))")
            }
            return .failure("\(path): not valid JSON (\(error.description)); expected field \(field)")
        }
        var current = json
        var walked: [Substring] = []
        for segment in field.split(separator: ".", omittingEmptySubsequences: false) {
            let here = walked.isEmpty ? "the top level" : walked.joined(separator: ".")
            switch current {
            case .object:
                guard let next = current[String(segment)] else {
                    return .failure("\(path): field \(field) not found (no \(quote(String(segment))) in \(here))")
                }
                current = next
            case .array(let items):
                guard let index = Int(segment), index >= 0, index < items.count else {
                    return .failure("\(path): field \(field) not found (\(here) is an array of \(items.count))")
                }
                current = items[index]
            default:
                return .failure("\(path): field \(field) not found (\(here) is \(current.kindName))")
            }
            walked.append(segment)
        }
        switch current {
        case .number(let x): return .value(x)
        case .int(let n): return .value(Double(n))
        case .null: return .noData
        case .string(let s):
            if let x = TelemetryText.number(s) { return .value(x) }
            return .failure("\(path): field \(field) is not a number: \(quote(s))")
        default:
            return .failure("\(path): field \(field) is not a number (it is \(current.kindName))")
        }
    }

    static func quote(_ text: String) -> String {
        "\"" + TelemetryText.oneLine(text, limit: 40) + "\""
    }

    static func readBytes(path: String) -> Result<[UInt8], FileError> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)
        guard fd >= 0 else { return .failure(FileError("cannot read \(path): \(errorText(errno))")) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return .failure(FileError("cannot read \(path): \(errorText(errno))")) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            let what = (info.st_mode & S_IFMT) == S_IFDIR ? "a directory" : "not a regular file"
            return .failure(FileError("cannot read \(path): \(what)"))
        }
        if Int(info.st_size) > maxBytes {
            return .failure(FileError("\(path): larger than \(maxBytes >> 20) MiB"))
        }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return .failure(FileError("cannot read \(path): \(errorText(errno))"))
            }
            if n == 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
            if bytes.count > maxBytes {
                return .failure(FileError("\(path): larger than \(maxBytes >> 20) MiB"))
            }
        }
        return .success(bytes)
    }

    struct FileError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }

    static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// `read(2)` (the enum's own `read` shadows it inside `FileSourceReader`).
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
