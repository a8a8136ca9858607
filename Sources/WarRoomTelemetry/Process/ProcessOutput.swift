import Subprocess
import WarRoomCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(System)
import System
#else
import SystemPackage
#endif

// MARK: - Output collection

/// Keeps the first `stdoutCap` bytes of stdout and the last lines of stdout+stderr, in O(cap) memory
/// whatever the child writes.
final class ProcessOutputCollector: Sendable {
    enum Stream { case stdout, stderr }

    /// A tail line's bytes are kept up to this many (enough for 200 characters of any script).
    static let lineByteCap = 1_024

    private struct TailLine {
        var number: Int
        var text: String
    }

    /// The last `tailLines` lines in arrival order, except that each stream's own last line is
    /// always included: the two pipes are read independently, so a reader that lags behind
    /// (a full stdout pipe) could otherwise push a hook's final stderr line out of the tail.
    private static func tail(_ s: State) -> [String] {
        var lines = s.lines
        let keep = Set(s.lastOfStream.compactMap { $0?.number })
        for case let last? in s.lastOfStream where !lines.contains(where: { $0.number == last.number }) {
            lines.append(last)
        }
        lines.sort { $0.number < $1.number }
        while lines.count > ProcessRunner.tailLines,
            let index = lines.firstIndex(where: { !keep.contains($0.number) })
        {
            lines.remove(at: index)
        }
        return lines.map(\.text)
    }

    private struct Partial {
        var bytes: [UInt8] = []
        var sequence = 0
    }

    private struct State {
        var stdoutKept: [UInt8] = []
        var stdoutTotal = 0
        /// The newest `tailLines` lines of both streams, in arrival order.
        var lines: [TailLine] = []
        /// Each stream's newest line, kept even after `lines` has moved past it.
        var lastOfStream: [TailLine?] = [nil, nil]
        var lineNumber = 0
        var partials: [Partial] = [Partial(), Partial()]
        var sequence = 0
    }

    private let state = ProcessLockedBox(State())
    /// Applied to each tail line before it is cut to length, and to stdout before a truncation note.
    private let redactor: Redactor

    /// Bytes of stdout kept.
    private let stdoutCap: Int

    init(redactor: Redactor = Redactor(), stdoutCap: Int = ProcessRunner.stdoutCap) {
        self.redactor = redactor
        self.stdoutCap = stdoutCap
    }

    func add(_ stream: Stream, _ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        state.withLock { s in
            s.sequence += 1
            if stream == .stdout {
                let room = stdoutCap - s.stdoutKept.count
                if room > 0 {
                    s.stdoutKept.append(contentsOf: bytes.prefix(room))
                }
                s.stdoutTotal += bytes.count
            }
            Self.addLines(&s, stream == .stdout ? 0 : 1, bytes, redactor)
        }
    }

    /// Adds a line of our own to the tail (e.g. a read error).
    func note(_ line: String) {
        state.withLock { s in Self.push(&s, nil, Self.render(Array(line.utf8), redactor)) }
    }

    func finish() -> (stdout: String, tail: [String]) {
        state.withLock { s in
            // Unterminated last lines, in the order they started arriving.
            let order = [0, 1].filter { !s.partials[$0].bytes.isEmpty }
                .sorted { s.partials[$0].sequence < s.partials[$1].sequence }
            for index in order {
                Self.push(&s, index, Self.render(s.partials[index].bytes, redactor))
                s.partials[index].bytes = []
            }
            var kept = s.stdoutKept[...]
            var text: String
            if s.stdoutTotal > kept.count {
                // Cut at a scalar boundary rather than leave a repaired half character.
                var cut = kept.endIndex
                var back = 0
                while back < 3, cut > kept.startIndex, kept[cut - 1] & 0xC0 == 0x80 {
                    cut -= 1
                    back += 1
                }
                if cut > kept.startIndex, kept[cut - 1] >= 0xC0 { cut -= 1 }
                kept = kept[..<cut]
                text = redactor.redact(String(decoding: kept, as: UTF8.self))
                if !text.hasSuffix("\n") { text += "\n" }
                text += "… (truncated, \(s.stdoutTotal) bytes total)"
            } else {
                text = redactor.redact(String(decoding: kept, as: UTF8.self))
            }
            return (text, Self.tail(s))
        }
    }

    /// Splits `bytes` into lines, completing the stream's pending partial line. Only the lines
    /// that can still end up in the tail are materialised: the chunk is scanned backwards from
    /// its last newline until `tailLines` non-empty lines are found.
    private static func addLines(_ s: inout State, _ index: Int, _ bytes: UnsafeRawBufferPointer, _ redactor: Redactor) {
        let newline = UInt8(ascii: "\n")
        var lastNewline = bytes.count - 1
        while lastNewline >= 0 && bytes[lastNewline] != newline { lastNewline -= 1 }
        guard lastNewline >= 0 else {
            appendPartial(&s, index, UnsafeRawBufferPointer(rebasing: bytes[...]))
            return
        }
        var found: [String] = []  // newest first
        var segmentEnd = lastNewline
        while found.count < ProcessRunner.tailLines {
            var previous = segmentEnd - 1
            while previous >= 0 && bytes[previous] != newline { previous -= 1 }
            if previous < 0 {
                // The chunk's first line completes the pending partial line.
                var line = s.partials[index].bytes
                let room = max(0, lineByteCap - line.count)
                line.append(contentsOf: bytes[0..<min(segmentEnd, room)])
                if let rendered = render(line, redactor) { found.append(rendered) }
                break
            }
            let start = previous + 1
            let end = min(segmentEnd, start + lineByteCap)
            if let rendered = render(Array(bytes[start..<end]), redactor) { found.append(rendered) }
            segmentEnd = previous
        }
        for line in found.reversed() { push(&s, index, line) }
        s.partials[index].bytes = []
        if lastNewline + 1 < bytes.count {
            appendPartial(&s, index, UnsafeRawBufferPointer(rebasing: bytes[(lastNewline + 1)...]))
        }
    }

    private static func appendPartial(_ s: inout State, _ index: Int, _ bytes: UnsafeRawBufferPointer) {
        if s.partials[index].bytes.isEmpty { s.partials[index].sequence = s.sequence }
        let room = lineByteCap - s.partials[index].bytes.count
        if room > 0 { s.partials[index].bytes.append(contentsOf: bytes.prefix(room)) }
    }

    private static func push(_ s: inout State, _ stream: Int?, _ text: String?) {
        guard let text else { return }
        s.lineNumber += 1
        let line = TailLine(number: s.lineNumber, text: text)
        if let stream { s.lastOfStream[stream] = line }
        s.lines.append(line)
        if s.lines.count > ProcessRunner.tailLines {
            s.lines.removeFirst(s.lines.count - ProcessRunner.tailLines)
        }
    }

    /// Repairs UTF-8, removes terminal escape sequences and control characters (tabs become spaces), redacts
    /// secrets (after the escapes are gone: none can hide a secret), trims, cuts to `tailLineLength` characters;
    /// `nil` if nothing visible is left.
    static func render(_ bytes: [UInt8], _ redactor: Redactor = Redactor()) -> String? {
        let decoded = String(decoding: bytes, as: UTF8.self)
        var scalars = String.UnicodeScalarView()
        var iterator = decoded.unicodeScalars.makeIterator()
        while let scalar = iterator.next() {
            switch scalar.value {
            case 0x1B:
                // ESC [ params final  (CSI), or ESC + one character.
                guard let next = iterator.next() else { break }
                if next == "[" {
                    while let c = iterator.next(), !(0x40...0x7E).contains(c.value) {}
                } else if next == "]" {
                    // OSC … BEL or ESC \
                    while let c = iterator.next(), c.value != 0x07 {
                        if c.value == 0x1B {
                            _ = iterator.next()  // the "\\" of ESC \
                            break
                        }
                    }
                }
            case 0x09:
                scalars.append(" ")
            case 0x00...0x1F, 0x7F...0x9F:
                continue
            default:
                scalars.append(scalar)
            }
        }
        var line = redactor.redact(String(scalars))
        while let last = line.last, last.isWhitespace { line.removeLast() }
        while let first = line.first, first.isWhitespace { line.removeFirst() }
        guard !line.isEmpty else { return nil }
        if line.count > ProcessRunner.tailLineLength {
            line = String(line.prefix(ProcessRunner.tailLineLength - 1)) + "…"
        }
        return line
    }
}

