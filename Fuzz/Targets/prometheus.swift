// Fuzz target: the Prometheus query-response decoder (WarRoomTelemetry) on arbitrary bodies. The first byte picks
// the HTTP status, content type and `pick:` labels; the rest is the body. Invariant: decode == decodeResult.reading.
import WarRoomTelemetry

let statuses = [200, 200, 200, 204, 400, 401, 422, 503]
let contentTypes: [String?] = ["application/json", nil, "text/html; charset=utf-8", "text/plain"]

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPrometheus(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = fuzzBytes(data, size)
    let head = bytes.first ?? 0
    let body = Array(bytes.dropFirst())
    let status = statuses[Int(head & 7)]
    let type = contentTypes[Int(head >> 3 & 3)]
    let pick: [String: String]? = head & 0x20 != 0 ? ["job": "api", "code": "500"] : (head & 0x40 != 0 ? [:] : nil)
    let result = PrometheusDecoder.decodeResult(status: status, contentType: type, body: body, pick: pick)
    let reading = PrometheusDecoder.decode(status: status, contentType: type, body: body, pick: pick)
    fuzzCheck(reading == result.reading, "decode and decodeResult disagree")
    return 0
}
