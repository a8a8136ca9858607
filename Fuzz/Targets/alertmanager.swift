// Fuzz target: the Alertmanager v2 alerts decoder (WarRoomTelemetry) on arbitrary bodies. The first byte picks the
// HTTP status, content type and `match:` labels. Invariants: the same body decodes the same way; every alert kept
// carries the labels it was matched on.
import WarRoomTelemetry

let statuses = [200, 200, 200, 204, 400, 401, 500, 503]
let contentTypes: [String?] = ["application/json", nil, "text/html; charset=utf-8", "text/plain"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAlertmanager(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let head = bytes.first ?? 0
    let body = Array(bytes.dropFirst())
    let status = statuses[Int(head & 7)]
    let type = contentTypes[Int(head >> 3 & 3)]
    let match: [String: String]? = head & 0x20 != 0 ? ["severity": "page"] : nil
    let reading = AlertmanagerDecoder.decode(status: status, contentType: type, body: body, match: match)
    fuzzCheck(reading == AlertmanagerDecoder.decode(status: status, contentType: type, body: body, match: match),
              "two decodes of the same body differ")
    if case .alerts(let alerts) = reading, let match {
        for a in alerts { fuzzCheck(match.allSatisfy { a.labels[$0.key] == $0.value }, "an alert kept despite match:") }
    }
    return 0
}
