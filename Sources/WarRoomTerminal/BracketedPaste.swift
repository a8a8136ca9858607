import CNCurses
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Bracketed paste: the terminal is asked (`ESC[?2004h`) to wrap pasted text in `ESC[200~` … `ESC[201~`, which
/// curses is taught (`define_key`) to return as two key codes; what comes between them is one `Key.paste`. Every way
/// out of the console turns it off again (`ESC[?2004l`): `Terminal.restore` (quit, signals, errors) and the crash
/// handler.
enum BracketedPaste {
    static let on = "\u{1B}[?2004h"
    static let off = "\u{1B}[?2004l"
    /// Key codes for the two markers, far above curses' own (and the extended keys terminfo adds after KEY_MAX).
    static let startCode: Int32 = 0x7_E00
    static let endCode: Int32 = 0x7_E01
    /// A paste whose end marker never arrives ends after this long without input.
    static let endAfterQuietNS: UInt64 = 1_000_000_000
    /// Longer pastes are cut (a prompt keeps 500 characters anyway).
    static let maxCharacters = 4_096

    nonisolated(unsafe) private static var startKey: Int32 = startCode
    nonisolated(unsafe) private static var endKey: Int32 = endCode

    static func enable() {
        // A terminal whose terminfo already names the markers keeps its codes; otherwise ours are defined.
        let s = key_defined("\u{1B}[200~"), e = key_defined("\u{1B}[201~")
        startKey = s > 0 ? s : (define_key("\u{1B}[200~", startCode) == wr_ok() ? startCode : -1)
        endKey = e > 0 ? e : (define_key("\u{1B}[201~", endCode) == wr_ok() ? endCode : -1)
        emit(on)
    }

    static func disable() { emit(off) }

    /// Async-signal-safe: a plain write(2) of a static string.
    static func disableFromSignalHandler() {
        let s: StaticString = "\u{1B}[?2004l"
        _ = write(1, s.utf8Start, s.utf8CodeUnitCount)
    }

    private static func emit(_ s: String) {
        fflush(wr_stdout())
        _ = s.withCString { write(1, $0, strlen($0)) }
    }

    enum Outcome: Equatable {
        /// Part of a paste (or its start marker): read on.
        case consumed
        /// The end marker: the paste's text.
        case finished(String)
        /// Not part of a paste: decode it as a key.
        case key
    }

    /// One code from `wget_wch`, with the paste under way (nil: none). Pure but for the clock.
    static func take(code: Int32, isKeyCode: Bool, into paste: inout (text: String, lastNS: UInt64)?) -> Outcome {
        if isKeyCode, code == startKey, startKey > 0 {
            paste = ("", monotonicNS())
            return .consumed
        }
        if isKeyCode, code == endKey, endKey > 0 {
            let text = paste?.text ?? ""
            paste = nil
            return .finished(text)
        }
        guard var p = paste else { return .key }
        if p.text.unicodeScalars.count < maxCharacters {
            if !isKeyCode, let scalar = Unicode.Scalar(UInt32(bitPattern: code)) {
                p.text.unicodeScalars.append(scalar)
            } else if isKeyCode, code == wr_key_enter() {
                p.text.append("\n")
            } // other key codes cannot come from pasted text: dropped
        }
        p.lastNS = monotonicNS()
        paste = p
        return .consumed
    }

    static func monotonicNS() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}
