import Crypto
import Foundation
import WarRoomCore

/// The journal line format, exactly:
///
///     {"seq":1,"time":"2026-11-22T02:11:01.123Z","actor":"dana","type":"item.set","payload":{...},"prev":"<64 hex>","hash":"<64 hex>"}\n
///
/// A driver-only event (`EventBody.isDriverOnly`) written under a driver lease carries the lease's fencing token
/// after the actor: `…,"actor":"dana","token":7,"type":"ramp.decision",…`. The member is optional (journals written
/// before the lease have none) and covered by the hash like every other byte.
///
/// `hash` is the lowercase hex SHA-256 of the line's bytes with the `,"hash":"…"` member removed, i.e. of
/// `{"seq":…,"prev":"…"}`. `prev` is the previous line's hash (64 zeros for seq 1).
enum LineCodec {
    static let zeroHash = [UInt8](repeating: UInt8(ascii: "0"), count: 64)

    /// Builds the bytes of one line (with its trailing newline) and its hash as hex.
    static func encode(_ event: JournalEvent, prev: String?, encoder: JSONEncoder) throws -> (line: [UInt8], hash: String) {
        let payload: Data
        switch event.body {
        case .runStarted(let p): payload = try encoder.encode(p)
        case .itemSet(let p): payload = try encoder.encode(p)
        case .itemUndo(let p): payload = try encoder.encode(p)
        case .signOff(let p): payload = try encoder.encode(p)
        case .signOffUndo(let p): payload = try encoder.encode(p)
        case .rampDecision(let p): payload = try encoder.encode(p)
        case .hookResult(let p): payload = try encoder.encode(p)
        case .decisionReason(let p): payload = try encoder.encode(p)
        case .lightTrip(let p): payload = try encoder.encode(p)
        case .lightClear(let p): payload = try encoder.encode(p)
        case .verdictChange(let p): payload = try encoder.encode(p)
        case .runConfig(let p): payload = try encoder.encode(p)
        case .handover(let p): payload = try encoder.encode(p)
        case .driverOffer(let p): payload = try encoder.encode(p)
        case .headRepair(let p): payload = try encoder.encode(p)
        case .gaugePoints(let p): payload = try encoder.encode(p)
        case .notifyFailed(let p): payload = try encoder.encode(p)
        }
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 256)
        out.append(contentsOf: #"{"seq":"#.utf8)
        out.append(contentsOf: String(event.seq).utf8)
        out.append(contentsOf: #","time":""#.utf8)
        out.append(contentsOf: Timestamp.iso8601(event.time).utf8)
        out.append(contentsOf: #"","actor":"#.utf8)
        appendJSONString(event.actor, to: &out)
        if let token = event.token {
            out.append(contentsOf: #","token":"#.utf8)
            out.append(contentsOf: String(token).utf8)
        }
        out.append(contentsOf: #","type":""#.utf8)
        out.append(contentsOf: event.body.type.utf8)
        out.append(contentsOf: #"","payload":"#.utf8)
        out.append(contentsOf: payload)
        out.append(contentsOf: #","prev":""#.utf8)
        if let prev { out.append(contentsOf: prev.utf8) } else { out.append(contentsOf: zeroHash) }
        out.append(UInt8(ascii: "\""))
        var hasher = SHA256()
        hasher.update(data: out)
        hasher.update(data: [UInt8(ascii: "}")])
        let hash = hexString(hasher.finalize())
        out.append(contentsOf: #","hash":""#.utf8)
        out.append(contentsOf: hash.utf8)
        out.append(contentsOf: "\"}\n".utf8)
        return (out, hash)
    }

    /// Where the parts of one line are; indices into the buffer that holds the line.
    struct Envelope {
        var seq: Int
        var time: String
        var actor: String
        /// The driver lease's fencing token, when the line has one.
        var token: Int?
        var typeRange: Range<Int>
        var payload: JSONValue
        var payloadRange: Range<Int>
        var prevStart: Int
        /// Index of the `,` that starts the `,"hash":` member: the hashed bytes are `line[start..<hashMember] + "}"`.
        var hashMember: Int
        var hashStart: Int
    }

    /// Parses one line (`buf[start..<end]`, no newline) in the exact journal format, field by field.
    /// Anything else (other order, spaces, escapes in fixed fields) fails; `diagnose` then says why.
    static func parseEnvelope(_ buf: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) throws(JSONFailure) -> Envelope {
        var s = JSONScanner(buf, from: start, to: end)
        guard s.consume(#"{"seq":"#) else { throw s.fail("expected {\"seq\":") }
        let seqStart = s.i
        var seq = 0
        while s.i < end, isDigit(buf[s.i]), s.i - seqStart < 18 {
            seq = seq * 10 + Int(buf[s.i] &- 48)
            s.i += 1
        }
        guard s.i > seqStart, !(buf[seqStart] == UInt8(ascii: "0") && s.i - seqStart > 1) else {
            throw s.fail("seq is not a plain integer")
        }
        guard s.consume(#","time":"#), s.i < end, buf[s.i] == UInt8(ascii: "\"") else { throw s.fail("expected time") }
        let time = try s.parseString()
        guard s.consume(#","actor":"#), s.i < end, buf[s.i] == UInt8(ascii: "\"") else { throw s.fail("expected actor") }
        let actor = try s.parseString()
        var token: Int? = nil
        if s.consume(#","token":"#) {
            let tokenStart = s.i
            var t = 0
            while s.i < end, isDigit(buf[s.i]), s.i - tokenStart < 18 {
                t = t * 10 + Int(buf[s.i] &- 48)
                s.i += 1
            }
            guard s.i > tokenStart, !(buf[tokenStart] == UInt8(ascii: "0") && s.i - tokenStart > 1) else {
                throw s.fail("token is not a plain integer")
            }
            token = t
        }
        guard s.consume(#","type":""#) else { throw s.fail("expected type") }
        let typeStart = s.i
        while s.i < end, buf[s.i] != UInt8(ascii: "\""), buf[s.i] != UInt8(ascii: "\\"), buf[s.i] >= 0x20 { s.i += 1 }
        guard s.i < end, buf[s.i] == UInt8(ascii: "\"") else { throw s.fail("bad type") }
        let typeRange = typeStart..<s.i
        s.i += 1
        guard s.consume(#","payload":"#), s.i < end, buf[s.i] == UInt8(ascii: "{") else { throw s.fail("expected payload object") }
        let payloadStart = s.i
        let payload = try s.parseObject(depth: 1)
        let payloadRange = payloadStart..<s.i
        guard s.consume(#","prev":""#) else { throw s.fail("expected prev") }
        let prevStart = s.i
        // Not checked for hex here: verification compares prev and hash with hex it computed, and only
        // then, on a mismatch, looks at whether they are hex at all (for the message).
        guard end - s.i >= 64 else { throw s.fail("prev is not 64 hex digits") }
        s.i += 64
        guard s.consume("\"") else { throw s.fail("prev is not 64 hex digits") }
        let hashMember = s.i
        guard s.consume(#","hash":""#) else { throw s.fail("expected hash") }
        let hashStart = s.i
        guard end - s.i >= 64 else { throw s.fail("hash is not 64 hex digits") }
        s.i += 64
        guard s.consume("\"}"), s.atEnd else { throw s.fail("expected end of line after hash") }
        return Envelope(seq: seq, time: time, actor: actor, token: token, typeRange: typeRange, payload: payload,
                        payloadRange: payloadRange, prevStart: prevStart, hashMember: hashMember, hashStart: hashStart)
    }

    static func isLowerHex(_ buf: UnsafeBufferPointer<UInt8>, _ at: Int, _ n: Int) -> Bool {
        for k in at..<(at + n) {
            let c = buf[k]
            guard (c >= 48 && c <= 57) || (c >= 97 && c <= 102) else { return false }
        }
        return true
    }

    /// Explains why a line did not parse: not JSON, missing or unexpected fields, wrong types, or
    /// fields that are all there but not in the exact byte format.
    static func diagnose(_ line: UnsafeBufferPointer<UInt8>, scannerFailure: JSONFailure) -> String {
        let fields = ["seq", "time", "actor", "type", "payload", "prev", "hash"]
        guard let value = parseJSON(Array(line)) else { return "not valid JSON" }
        guard case .object(let members) = value else { return "not a JSON object" }
        let keys = members.map(\.key)
        let missing = fields.filter { !keys.contains($0) }
        if !missing.isEmpty {
            return "missing field" + (missing.count > 1 ? "s " : " ") + missing.map { "\"\($0)\"" }.joined(separator: ", ")
        }
        if let extra = keys.first(where: { !fields.contains($0) && $0 != "token" }) { return "unexpected field \"\(extra)\"" }
        if keys.count != Set(keys).count { return "a field appears twice" }
        guard case .int(let seq) = value["seq"], seq >= 1 else { return "seq is not a positive integer" }
        for k in ["time", "actor", "type", "prev", "hash"] where value[k]?.string == nil { return "\(k) is not a string" }
        guard case .object = value["payload"] else { return "payload is not an object" }
        if let t = value["token"] {
            guard case .int(let n) = t, n >= 1 else { return "token is not a positive integer" }
        }
        for k in ["prev", "hash"] {
            let h = value[k]?.string ?? ""
            guard h.utf8.count == 64, h.utf8.allSatisfy({ isDigit($0) || (97...102).contains($0) }) else {
                return "\(k) is not 64 lowercase hex digits"
            }
        }
        return "not in the journal's exact line format (field order, spacing or escaping differs; column \(scannerFailure.offset + 1))"
    }

    // MARK: payloads

    enum BodyFailure: Error {
        case unknownType(String)
        case badPayload(String)
    }

    static func matches(_ buf: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, _ s: StaticString) -> Bool {
        guard r.count == s.utf8CodeUnitCount else { return false }
        let p = s.utf8Start
        for (k, i) in r.enumerated() where buf[i] != p[k] { return false }
        return true
    }

    /// Decodes the payload for the line's type. Fast path: a hand decoder for the exact shapes the
    /// Codable structs produce. Anything it does not recognise (an unknown key, a null, a duplicate)
    /// goes to JSONDecoder, so the Codable conformances stay the single source of truth.
    static func decodeBody(_ buf: UnsafeBufferPointer<UInt8>, _ env: Envelope) throws(BodyFailure) -> EventBody {
        if matches(buf, env.typeRange, "item.set") {
            if let b = fastItemSet(env.payload) { return .itemSet(b) }
            return .itemSet(try slowDecode(ItemSet.self, buf, env))
        }
        if matches(buf, env.typeRange, "item.undo") {
            if let b = fastItemUndo(env.payload) { return .itemUndo(b) }
            return .itemUndo(try slowDecode(ItemUndo.self, buf, env))
        }
        if matches(buf, env.typeRange, "run.started") {
            if let b = fastRunStarted(env.payload) { return .runStarted(b) }
            return .runStarted(try slowDecode(RunStarted.self, buf, env))
        }
        // Rare events (a handful per run): the Codable decoder is fast enough.
        if matches(buf, env.typeRange, "ramp.decision") { return .rampDecision(try slowDecode(RampDecision.self, buf, env)) }
        if matches(buf, env.typeRange, "ramp.hook") { return .hookResult(try slowDecode(HookResult.self, buf, env)) }
        if matches(buf, env.typeRange, "decision.reason") { return .decisionReason(try slowDecode(DecisionReason.self, buf, env)) }
        if matches(buf, env.typeRange, "light.trip") { return .lightTrip(try slowDecode(LightChange.self, buf, env)) }
        if matches(buf, env.typeRange, "light.clear") { return .lightClear(try slowDecode(LightChange.self, buf, env)) }
        if matches(buf, env.typeRange, "driver.handover") { return .handover(try slowDecode(Handover.self, buf, env)) }
        if matches(buf, env.typeRange, "driver.offer") { return .driverOffer(try slowDecode(DriverOffer.self, buf, env)) }
        if matches(buf, env.typeRange, "notify.failed") { return .notifyFailed(try slowDecode(NotifyFailed.self, buf, env)) }
        if matches(buf, env.typeRange, "journal.repair") { return .headRepair(try slowDecode(HeadRepair.self, buf, env)) }
        if matches(buf, env.typeRange, "signoff.sign") { return .signOff(try slowDecode(SignOffEvent.self, buf, env)) }
        if matches(buf, env.typeRange, "signoff.unsign") { return .signOffUndo(try slowDecode(SignOffEvent.self, buf, env)) }
        if matches(buf, env.typeRange, "run.config") { return .runConfig(try slowDecode(RunConfigRecord.self, buf, env)) }
        // One a minute (plus one per verdict change): the Codable decoder is fast enough.
        if matches(buf, env.typeRange, "gauge.points") { return .gaugePoints(try slowDecode(GaugePoints.self, buf, env)) }
        if matches(buf, env.typeRange, "verdict.change") { return .verdictChange(try slowDecode(VerdictChange.self, buf, env)) }
        throw .unknownType(String(decoding: slice(buf, env.typeRange.lowerBound, env.typeRange.upperBound), as: UTF8.self))
    }

    static func fastItemSet(_ v: JSONValue) -> ItemSet? {
        guard case .object(let members) = v else { return nil }
        var id: String?, status: ItemStatus?, reason: String?, note: String?
        for m in members {
            let k = m.key
            guard case .string(let s) = m.value else { return nil }
            switch k {
            case "id" where id == nil: id = s
            case "status" where status == nil: status = ItemStatus(rawValue: s); if status == nil { return nil }
            case "reason" where reason == nil: reason = s
            case "note" where note == nil: note = s
            default: return nil
            }
        }
        guard let id, let status else { return nil }
        return ItemSet(id: id, status: status, reason: reason, note: note)
    }

    static func fastItemUndo(_ v: JSONValue) -> ItemUndo? {
        guard case .object(let members) = v, members.count == 1, members[0].key == "id",
              case .string(let id) = members[0].value else { return nil }
        return ItemUndo(id: id)
    }

    static func fastRunStarted(_ v: JSONValue) -> RunStarted? {
        guard case .object(let members) = v, members.count == 5 else { return nil }
        var checklist: String?, sha: String?, items: Int?, host: String?, pid: Int32?
        for m in members {
            switch (m.key, m.value) {
            case ("checklist", .string(let s)) where checklist == nil: checklist = s
            case ("checklistSHA256", .string(let s)) where sha == nil: sha = s
            case ("host", .string(let s)) where host == nil: host = s
            case ("items", .int(let n)) where items == nil: guard let n = Int(exactly: n) else { return nil }; items = n
            case ("pid", .int(let n)) where pid == nil: guard let n = Int32(exactly: n) else { return nil }; pid = n
            default: return nil
            }
        }
        guard let checklist, let sha, let items, let host, let pid else { return nil }
        return RunStarted(checklist: checklist, checklistSHA256: sha, items: items, host: host, pid: pid)
    }

    static func slowDecode<T: Decodable>(_: T.Type, _ buf: UnsafeBufferPointer<UInt8>, _ env: Envelope) throws(BodyFailure) -> T {
        let data = Data(slice(buf, env.payloadRange.lowerBound, env.payloadRange.upperBound))
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let e as DecodingError {
            func path(_ c: DecodingError.Context, _ key: CodingKey? = nil) -> String {
                ((c.codingPath + (key.map { [$0] } ?? [])).map(\.stringValue)).joined(separator: ".")
            }
            switch e {
            case .keyNotFound(let k, let c): throw .badPayload("missing \"\(path(c, k))\"")
            case .typeMismatch(_, let c): throw .badPayload("\"\(path(c))\" has the wrong type")
            case .valueNotFound(_, let c): throw .badPayload("\"\(path(c))\" is null")
            case .dataCorrupted(let c): throw .badPayload("invalid value" + (c.codingPath.isEmpty ? "" : " for \"\(path(c))\""))
            @unknown default: throw .badPayload("cannot be decoded")
            }
        } catch {
            throw .badPayload("cannot be decoded")
        }
    }
}

/// Test support: builds a correctly hashed journal line from raw parts, so tests can forge lines that are
/// intact as far as the hash chain goes but wrong in content (unknown type, rejected event, …).
package enum JournalTestSupport {
    /// `payload` is raw JSON; `prev` nil means 64 zeros. Returns the line with its newline, and its hash.
    package static func sealedLine(seq: Int, time: String, actor: String, type: String, payload: String,
                                   prev: String?, token: Int? = nil) -> (line: String, hash: String) {
        var out = Array(#"{"seq":\#(seq),"time":"\#(time)","actor":"#.utf8)
        appendJSONString(actor, to: &out)
        if let token { out.append(contentsOf: #","token":\#(token)"#.utf8) }
        out.append(contentsOf: #","type":"\#(type)","payload":\#(payload),"prev":""#.utf8)
        out.append(contentsOf: prev.map { Array($0.utf8) } ?? LineCodec.zeroHash)
        out.append(UInt8(ascii: "\""))
        var hasher = SHA256()
        hasher.update(data: out)
        hasher.update(data: [UInt8(ascii: "}")])
        let hash = hexString(hasher.finalize())
        out.append(contentsOf: #","hash":"\#(hash)"}"#.utf8)
        out.append(0x0A)
        return (String(decoding: out, as: UTF8.self), hash)
    }
}
