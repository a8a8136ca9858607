// Fuzz target: the config loader (WarRoomConfig's ConfigLoader) on arbitrary bytes, as `warroom lint` reads a file.
// Invariants: a config comes back only without errors; every diagnostic names a line of the file.
import WarRoomConfig
import WarRoomYAML

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // As the loader does before parsing: text that is not UTF-8 is refused by line and byte.
    if let bad = StrictUTF8.firstInvalid(bytes[...]) {
        fuzzCheck(bad.line >= 1 && bad.column >= 1, "invalid UTF-8 at line \(bad.line), byte \(bad.column)")
        return 0
    }
    let text = String(decoding: bytes, as: UTF8.self)
    // Lines as YAML counts them: LF, CR, CRLF, NEL, LS and PS each end one (a file of bare CRs has many lines).
    var lines = 1
    var afterCR = false
    for u in text.unicodeScalars {
        if u == "\n" && afterCR { afterCR = false; continue }
        afterCR = u == "\r"
        if ["\n", "\r", "\u{85}", "\u{2028}", "\u{2029}"].contains(u) { lines += 1 }
    }
    let (config, diagnostics) = ConfigLoader.parse(text, path: "/nonexistent/fuzz.yaml", environment: [:], checkFiles: false)
    fuzzCheck(config == nil || !diagnostics.contains { $0.severity == .error }, "a config with errors")
    fuzzCheck(config != nil || diagnostics.contains { $0.severity == .error }, "no config and no error")
    for d in diagnostics {
        fuzzCheck(d.line >= 1 && d.line <= lines + 1, "diagnostic on line \(d.line) of \(lines): \(d.message)")
    }
    return 0
}
