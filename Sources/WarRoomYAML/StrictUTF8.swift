/// Strict UTF-8 checking for the files people edit (configs, themes): where the first bad byte is, so the error names
/// the line to fix.
public enum StrictUTF8 {
    /// Line and byte column (1-based) of the first byte that starts an invalid UTF-8 sequence, or nil.
    public static func firstInvalid(_ bytes: ArraySlice<UInt8>) -> (line: Int, column: Int)? {
        guard let bad = firstInvalidIndex(bytes) else { return nil }
        let before = bytes[bytes.startIndex..<bad]
        let line = 1 + before.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let lineStart = before.lastIndex(of: 0x0A).map { $0 + 1 } ?? bytes.startIndex
        return (line, bad - lineStart + 1)
    }

    /// The index of the first byte that starts an invalid UTF-8 sequence, or nil.
    public static func firstInvalidIndex(_ bytes: ArraySlice<UInt8>) -> Int? {
        var i = bytes.startIndex
        let end = bytes.endIndex
        while i < end {
            let b = bytes[i]
            var need = 0
            var min: UInt32 = 0
            var scalar: UInt32 = 0
            switch b {
            case 0x00...0x7F: i += 1; continue
            case 0xC2...0xDF: need = 1; min = 0x80; scalar = UInt32(b & 0x1F)
            case 0xE0...0xEF: need = 2; min = 0x800; scalar = UInt32(b & 0x0F)
            case 0xF0...0xF4: need = 3; min = 0x10000; scalar = UInt32(b & 0x07)
            default: return i
            }
            if end - i <= need { return i }
            for k in 1...need {
                let c = bytes[i + k]
                guard c & 0xC0 == 0x80 else { return i }
                scalar = scalar << 6 | UInt32(c & 0x3F)
            }
            if scalar < min || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return i }
            i += need + 1
        }
        return nil
    }

}
