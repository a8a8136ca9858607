// checklist-dump: the task items warroom's checklist parser finds, for scripts/fuzz-diff (compiled with
// WarRoomCore's sources into one program by that script; not part of the package build).
//
// stdin: documents, each as its byte count in decimal, a newline, then that many bytes.
// stdout: one JSON line per document: {"lines":[…],"checked":[…],"texts":[…]} — each task item's line (of its
// list marker), whether it is done, and its text (continuation lines joined by a space).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

func readAll() -> [UInt8] {
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    while true {
        let n = chunk.withUnsafeMutableBytes { read(0, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        out.append(contentsOf: chunk[0..<n])
    }
    return out
}

func jsonString(_ s: String) -> String { JSONText.quoted(s) }

let input = readAll()
var i = 0
while i < input.count {
    var length = 0
    while i < input.count, input[i] != 0x0A {
        guard input[i] >= 0x30, input[i] <= 0x39 else { fputs("checklist-dump: bad length\n", stderr); exit(2) }
        length = length * 10 + Int(input[i] - 0x30)
        i += 1
    }
    i += 1
    guard i + length <= input.count else { fputs("checklist-dump: short document\n", stderr); exit(2) }
    let list = ChecklistParser.parse(Array(input[i..<(i + length)]), path: "doc.md")
    i += length
    let lines = list.items.map { String($0.line) }.joined(separator: ",")
    let checked = list.items.map { $0.checked ? "true" : "false" }.joined(separator: ",")
    let texts = list.items.map { jsonString($0.text) }.joined(separator: ",")
    print("{\"lines\":[\(lines)],\"checked\":[\(checked)],\"texts\":[\(texts)]}")
}
