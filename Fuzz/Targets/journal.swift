// Fuzz target: the journal line decoder (WarRoomStore's LineCodec) and the chain verifier on arbitrary bytes.
// Invariants: a line that decodes re-encodes (with the writer's encoder) to a line that decodes to the same event;
// a line that does not decode gets a diagnosis; a whole buffer of lines is verified or refused, never a trap.
import Foundation
import WarRoomCore
import WarRoomJSON
@testable import WarRoomStore

let journalEncoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes] // as JournalWriter's
    return e
}()

func decodeLine(_ buf: UnsafeBufferPointer<UInt8>) -> (event: JournalEvent, prev: String)? {
    let env: LineCodec.Envelope
    do throws(JSONFailure) {
        env = try LineCodec.parseEnvelope(buf, 0, buf.count)
    } catch {
        _ = LineCodec.diagnose(buf, scannerFailure: error)
        return nil
    }
    // prev is not checked for hex when parsing (verification compares it); the round trip needs it to be hex.
    guard LineCodec.isLowerHex(buf, env.prevStart, 64), let time = Timestamp.parse(env.time),
          let body = try? LineCodec.decodeBody(buf, env) else { return nil }
    let prev = String(decoding: UnsafeBufferPointer(rebasing: buf[env.prevStart..<(env.prevStart + 64)]), as: UTF8.self)
    return (JournalEvent(seq: env.seq, time: time, actor: env.actor, body: body, token: env.token), prev)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJournalLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    // The whole input as a journal: every complete line verified, or the first bad one named.
    bytes.withUnsafeBufferPointer { buf in
        var verifier = ChainVerifier(path: "fuzz.jsonl")
        var events: [JournalEvent] = []
        _ = try? verifier.consume(buf, fileOffset: 0, events: &events)
    }
    // The first line alone through the decoder, and back through the encoder.
    let line = Array(bytes.prefix { $0 != 0x0A })
    guard let (event, prev) = line.withUnsafeBufferPointer(decodeLine) else { return 0 }
    guard let (encoded, _) = try? LineCodec.encode(event, prev: prev, encoder: journalEncoder) else {
        fuzzCheck(false, "a decoded event does not encode: \(event)")
        return 0
    }
    let again = Array(encoded.dropLast()).withUnsafeBufferPointer(decodeLine)
    fuzzCheck(again?.event == event && again?.prev == prev,
              "decode(encode(x)) != x: \(event) became \(String(describing: again?.event)), encoded as "
              + String(decoding: encoded, as: UTF8.self))
    return 0
}
