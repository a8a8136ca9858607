import Foundation
import WarRoomCore
import Testing
import WarRoomJSON
@testable import WarRoomTelemetry

/// The repository root (this file is Tests/WarRoomTelemetryTests/TelemetryTests.swift).
let telemetryRepoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// A recorded body from Tests/Fixtures/telemetry/.
func fixture(_ name: String) throws -> [UInt8] {
    let url = telemetryRepoRoot.appendingPathComponent("Tests/Fixtures/telemetry/\(name)")
    return try [UInt8](Data(contentsOf: url))
}

func failureText(_ reading: Reading) -> String? {
    if case .failure(let text) = reading { return text }
    return nil
}

@Suite("Prometheus decoder (recorded bodies)")
struct PrometheusDecoderTests {
    func decode(_ name: String, status: Int = 200, contentType: String? = "application/json",
                pick: [String: String]? = nil) throws -> Reading {
        PrometheusDecoder.decode(status: status, contentType: contentType, body: try fixture(name), pick: pick)
    }

    @Test func vectorWithOneSeries() throws {
        #expect(try decode("prom-vector.json") == .value(0.42))
    }

    @Test func scalar() throws {
        #expect(try decode("prom-scalar.json") == .value(1.84))
    }

    @Test func emptyVectorIsNoDataNotZero() throws {
        #expect(try decode("prom-empty.json") == .noData)
    }

    @Test func nanAndInfinities() throws {
        guard case .value(let nan) = try decode("prom-nan.json") else {
            Issue.record("NaN should be a value")
            return
        }
        #expect(nan.isNaN)
        #expect(try decode("prom-inf.json") == .value(.infinity))
        #expect(try decode("prom-neg-inf.json") == .value(-.infinity))
    }

    @Test func errorEnvelope() throws {
        // Prometheus answers a bad query with HTTP 400 and the envelope.
        let reading = try decode("prom-error-bad-data.json", status: 400)
        let text = try #require(failureText(reading))
        #expect(text == "HTTP 400: prometheus bad_data: invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis")
        // The same envelope with a 200 (some proxies) still fails, without the HTTP prefix.
        #expect(try decode("prom-error-bad-data.json", status: 200)
            == .failure("prometheus bad_data: invalid parameter \"query\": 1:5: parse error: unclosed left parenthesis"))
        #expect(failureText(try decode("prom-error-execution.json", status: 422))?
            .hasPrefix("HTTP 422: prometheus execution: query processing would load too many samples") == true)
        #expect(try decode("prom-503-timeout.json", status: 503)
            == .failure("HTTP 503: prometheus timeout: query timed out in expression evaluation"))
    }

    @Test func warningsKeepTheValue() throws {
        let result = PrometheusDecoder.decodeResult(status: 200, contentType: "application/json",
                                                    body: try fixture("prom-warnings.json"), pick: nil)
        #expect(result.reading == .value(0.07))
        #expect(result.warnings == ["partial response: store 10.0.3.7:10901 unavailable", "query may be incomplete"])
    }

    @Test func severalSeriesNeedPick() throws {
        #expect(try decode("prom-several.json") == .failure("query returned 3 series; add pick: to choose one"))
        #expect(try decode("prom-several.json", pick: ["code": "500"]) == .value(17))
        #expect(try decode("prom-several.json", pick: ["code": "503", "job": "checkout"]) == .value(3))
        // pick matching several: still ambiguous.
        #expect(try decode("prom-several.json", pick: ["job": "checkout"])
            == .failure("pick {job=\"checkout\"} matched 3 of 3 series; add labels to pick: to choose one"))
        // pick matching none of them: the picked series does not exist (like an empty vector).
        #expect(try decode("prom-several.json", pick: ["code": "404"]) == .noData)
        // pick also applies to a single series.
        #expect(try decode("prom-vector.json", pick: ["service": "search"]) == .noData)
        #expect(try decode("prom-vector.json", pick: ["service": "checkout"]) == .value(0.42))
    }

    @Test func proxyHTMLPage() throws {
        let reading = try decode("proxy-502.html", status: 502, contentType: "text/html")
        #expect(reading == .failure("HTTP 502: not JSON (text/html): 502 Bad Gateway"))
        // Same page with a 200 (a captive portal, a misrouted URL).
        #expect(try decode("proxy-502.html", status: 200, contentType: "text/html; charset=utf-8")
            == .failure("HTTP 200: not JSON (text/html): 502 Bad Gateway"))
    }

    @Test func htmlWithoutTitleUsesTheFirstLineCut() {
        let long = "<p>" + String(repeating: "upstream connect error ", count: 10) + "</p>\n<p>second</p>"
        let reading = PrometheusDecoder.decode(status: 503, contentType: "text/html", body: Array(long.utf8), pick: nil)
        let text = failureText(reading)
        #expect(text?.hasPrefix("HTTP 503: not JSON (text/html): upstream connect error") == true)
        // At most 80 characters of snippet (plus the ellipsis).
        let snippet = text.map { String($0.dropFirst("HTTP 503: not JSON (text/html): ".count)) } ?? ""
        #expect(snippet.count <= 81)
    }

    @Test func plainTextErrorIsItsFirstLine() {
        let reading = PrometheusDecoder.decode(status: 401, contentType: "text/plain; charset=utf-8",
                                               body: Array("Unauthorized\n".utf8), pick: nil)
        #expect(reading == .failure("HTTP 401: Unauthorized"))
        let empty = PrometheusDecoder.decode(status: 503, contentType: nil, body: [], pick: nil)
        #expect(empty == .failure("HTTP 503 Service Unavailable"))
    }

    @Test func truncatedJSON() throws {
        let text = try #require(failureText(try decode("prom-truncated.json")))
        #expect(text.hasPrefix("HTTP 200: truncated JSON: unexpected end of data at byte 130"))
        let broken = PrometheusDecoder.decode(status: 200, contentType: "application/json",
                                              body: Array(#"{"status":"success",}"#.utf8), pick: nil)
        #expect(failureText(broken)?.hasPrefix("HTTP 200: malformed JSON:") == true)
    }

    @Test func unauthorizedWithJSONError() throws {
        #expect(try decode("prom-401.json", status: 401)
            == .failure("HTTP 401: prometheus unauthorized: authentication required: missing or invalid bearer token"))
        // Mimir / a gateway's own JSON error shape.
        #expect(try decode("mimir-401.json", status: 401) == .failure("HTTP 401: no org id"))
    }

    @Test func matrixAndStringAreReadableFailures() throws {
        #expect(failureText(try decode("prom-matrix.json"))?.contains("range vector (matrix)") == true)
        #expect(try decode("prom-string.json") == .failure("query returned a string, not a number"))
    }

    @Test func queryURL() {
        #expect(PrometheusDecoder.queryURL(base: "http://prom:9090/", query: "sum(rate(x{code=~\"5..\"}[5m])) / 2")
            == "http://prom:9090/api/v1/query?query=sum%28rate%28x%7Bcode%3D~%225..%22%7D%5B5m%5D%29%29%20%2F%202")
        #expect(PrometheusDecoder.queryURL(base: "https://mimir.example/prometheus", query: "up")
            == "https://mimir.example/prometheus/api/v1/query?query=up")
        #expect(PrometheusDecoder.queryURL(base: "prom:9090", query: "up") == nil)
        #expect(AlertmanagerDecoder.alertsURL(base: "http://am:9093")
            == "http://am:9093/api/v2/alerts?active=true&silenced=false&inhibited=false")
    }

    @Test func numbersAsPrometheusWritesThem() {
        #expect(TelemetryText.number("1e3") == 1000)
        #expect(TelemetryText.number("-0.5") == -0.5)
        #expect(TelemetryText.number("+Inf") == .infinity)
        #expect(TelemetryText.number("-Inf") == -.infinity)
        #expect(TelemetryText.number("NaN")?.isNaN == true)
        #expect(TelemetryText.number("0x10") == nil)
        #expect(TelemetryText.number("12 ms") == nil)
        #expect(TelemetryText.number("") == nil)
    }
}

@Suite("Alertmanager decoder (recorded bodies)")
struct AlertmanagerDecoderTests {
    func decode(_ name: String, status: Int = 200, match: [String: String]?) throws -> Reading {
        AlertmanagerDecoder.decode(status: status, contentType: "application/json", body: try fixture(name), match: match)
    }

    @Test func firingMatchingAlert() throws {
        let reading = try decode("am-alerts.json", match: ["severity": "critical", "service": "checkout"])
        #expect(reading == .alerts([FiringAlert(
            labels: ["alertname": "CheckoutErrorRate", "service": "checkout", "severity": "critical"],
            summary: "Checkout 5xx above 5%", startsAt: "2026-11-22T04:55:42.785Z")]))
    }

    @Test func suppressedAndUnprocessedAreIgnored() throws {
        // SearchSlow is silenced, CheckoutCrashLoop inhibited, CheckoutLatency unprocessed.
        #expect(try decode("am-alerts.json", match: ["service": "search"]) == .alerts([]))
        guard case .alerts(let all) = try decode("am-alerts.json", match: nil) else {
            Issue.record("expected alerts")
            return
        }
        #expect(all.map(\.name) == ["PaymentsQueue", "CheckoutErrorRate"])  // by startsAt
    }

    @Test func noMatch() throws {
        #expect(try decode("am-alerts.json", match: ["service": "checkout", "severity": "page"]) == .alerts([]))
        #expect(try decode("am-alerts.json", match: ["team": "search"]) == .alerts([]))
    }

    @Test func empty() throws {
        #expect(try decode("am-empty.json", match: ["service": "checkout"]) == .alerts([]))
    }

    @Test func errors() throws {
        #expect(try decode("am-400.json", status: 400, match: nil) == .failure("HTTP 400: bad matcher format: foo"))
        #expect(AlertmanagerDecoder.decode(status: 502, contentType: "text/html", body: try fixture("proxy-502.html"), match: nil)
            == .failure("HTTP 502: not JSON (text/html): 502 Bad Gateway"))
        #expect(failureText(try decode("prom-vector.json", match: nil))?.contains("not an Alertmanager v2 alert list") == true)
    }

    @Test func observationForTheCore() throws {
        let reading = try decode("am-alerts.json", match: ["service": "checkout"])
        guard case .alerts(let list) = reading.observation else {
            Issue.record("expected alerts")
            return
        }
        #expect(list.count == 1)
        #expect(list[0].name == "CheckoutErrorRate")
        #expect(list[0].summary == "Checkout 5xx above 5%")
        #expect(list[0].fingerprint.count == 16)
        // Same labels, a later startsAt (it resolved and fired again): a new fingerprint.
        let again = FiringAlert(labels: ["alertname": "CheckoutErrorRate", "service": "checkout", "severity": "critical"],
                                summary: "x", startsAt: "2026-11-22T05:30:00Z")
        #expect(again.fingerprint != list[0].fingerprint)
    }
}

@Suite("file and command sources")
struct FileAndCommandTests {
    func tempFile(_ content: String) throws -> String {
        let path = NSTemporaryDirectory() + "warroom-telemetry-\(UUID().uuidString)"
        try content.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func wholeFileNumber() throws {
        let path = try tempFile("  42.5\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileSourceReader.read(path: path, field: nil) == .value(42.5))
        #expect(FileSourceReader.decode(Array("\n".utf8), path: "p", field: nil) == .noData)
        #expect(FileSourceReader.decode(Array("NaN".utf8), path: "p", field: nil) == FileSourceReader.decode(Array("nan".utf8), path: "p", field: nil))
        #expect(FileSourceReader.decode(Array("12 errors".utf8), path: "/x/errors.txt", field: nil)
            == .failure("/x/errors.txt: not a number: \"12 errors\""))
    }

    @Test func jsonField() throws {
        let path = try tempFile(#"{"batch":{"errors":3,"rate":"0.25","items":[{"n":7}],"pending":null,"ok":true},"x":1}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileSourceReader.read(path: path, field: "batch.errors") == .value(3))
        #expect(FileSourceReader.read(path: path, field: "batch.rate") == .value(0.25))
        #expect(FileSourceReader.read(path: path, field: "batch.items.0.n") == .value(7))
        #expect(FileSourceReader.read(path: path, field: "batch.pending") == .noData)
        #expect(FileSourceReader.read(path: path, field: "batch.missing")
            == .failure("\(path): field batch.missing not found (no \"missing\" in batch)"))
        #expect(FileSourceReader.read(path: path, field: "batch.ok")
            == .failure("\(path): field batch.ok is not a number (it is a boolean)"))
        #expect(FileSourceReader.read(path: path, field: "x.y")
            == .failure("\(path): field x.y not found (x is a number)"))
    }

    @Test func missingFileAndBadJSON() throws {
        #expect(FileSourceReader.read(path: "/nonexistent/warroom/x", field: "a.b")
            == .failure("cannot read /nonexistent/warroom/x: No such file or directory"))
        let path = try tempFile("{\"a\": ")
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(failureText(FileSourceReader.read(path: path, field: "a"))?.contains("not valid JSON") == true)
        #expect(failureText(FileSourceReader.read(path: path, field: "a"))?.contains("expected field a") == true)
    }

    @Test func fifoAndDirectoryDoNotBlock() throws {
        let path = NSTemporaryDirectory() + "warroom-fifo-\(UUID().uuidString)"
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect(FileSourceReader.read(path: path, field: nil) == .failure("cannot read \(path): not a regular file"))
        #expect(FileSourceReader.read(path: "/tmp", field: nil) == .failure("cannot read /tmp: a directory"))
    }

    @Test func oversizedFile() throws {
        let path = try tempFile(String(repeating: "1", count: FileSourceReader.maxBytes + 1))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileSourceReader.read(path: path, field: nil) == .failure("\(path): larger than 1 MiB"))
    }

    @Test func commandOutcomes() {
        #expect(CommandSourceReader.decodeOutput("\n  0.93 \nignored\n") == .value(0.93))
        #expect(CommandSourceReader.decodeOutput("") == .noData)
        #expect(CommandSourceReader.decodeOutput("n/a\n") == .failure("output is not a number: \"n/a\""))
        let failed = ProcessOutcome(termination: .exited(7), durationMs: 12, stdout: "",
                                    tail: ["curl: (7) Failed to connect to localhost port 9"], timeoutMs: 2_000)
        #expect(CommandSourceReader.decode(failed) == .failure("exit 7: curl: (7) Failed to connect to localhost port 9"))
        let timedOut = ProcessOutcome(termination: .timedOut, durationMs: 2_000, stdout: "", tail: [], timeoutMs: 2_000)
        #expect(CommandSourceReader.decode(timedOut) == .failure("timed out after 2 s"))
    }

    @Test func jsonReaderEdgeCases() throws {
        #expect(try JSONValue.parse(Array(#"{"a":"\u00e9\ud83d\ude00","b":[1,-2.5e2,true,null]}"#.utf8)).get()
            == .object([JSONMember(key: "a", value: .string("é😀")),
                        JSONMember(key: "b", value: .array([.int(1), .number(-250), .bool(true), .null]))]))
        let deep = String(repeating: "[", count: 10_000)
        guard case .failure(let error) = JSONValue.parse(Array(deep.utf8)) else {
            Issue.record("deep nesting must fail")
            return
        }
        #expect(error.message.contains("nesting"))
        guard case .failure(let trailing) = JSONValue.parse(Array("{} x".utf8)) else {
            Issue.record("trailing data must fail")
            return
        }
        #expect(!trailing.truncated)
        #expect(trailing.description == "unexpected data after the JSON value at byte 3")
        // Cut off anywhere, even inside a literal: truncated, at the end.
        for cut in [#"{"a":[1,2"#, #"{"a":"x"#, #"{"a":tr"#, #"{"a":-"#, #"{"a":1."#] {
            guard case .failure(let short) = JSONValue.parse(Array(cut.utf8)) else {
                Issue.record("\(cut) must fail")
                continue
            }
            #expect(short.truncated, "\(cut)")
            #expect(short.description == "unexpected end of data at byte \(cut.utf8.count)", "\(cut)")
        }
        // A byte order mark is skipped; strict otherwise (lone surrogate, invalid UTF-8, raw control character).
        #expect(try JSONValue.parse([0xEF, 0xBB, 0xBF] + Array("[1]".utf8)).get() == .array([.int(1)]))
        for bad: [UInt8] in [Array(#"["\ud800"]"#.utf8), [0x5B, 0x22, 0xFF, 0x22, 0x5D], [0x5B, 0x22, 0x0A, 0x22, 0x5D]] {
            guard case .failure(let failure) = JSONValue.parse(bad) else {
                Issue.record("\(bad) must fail")
                continue
            }
            #expect(!failure.truncated)
        }
        // Numbers: exact integers, doubles beyond Int64; a duplicated key reads as its first value.
        let numbers = try JSONValue.parse(Array(#"{"n":9223372036854775807,"big":9223372036854775808,"n":1}"#.utf8)).get()
        #expect(numbers["n"] == .int(Int64.max))
        #expect(numbers["big"]?.double == 9223372036854775808.0)
    }

    @Test func sourceDescriptionNeverShowsTheToken() {
        let spec = SourceSpec(name: "prom", kind: .prometheus(url: "http://prom:9090"), intervalMs: 15_000,
                              timeoutMs: 2_000, token: "tok-123-secret")
        #expect(!"\(spec)".contains("tok-123-secret"))
        #expect(!String(reflecting: spec).contains("tok-123-secret"))
        #expect("\(spec)".contains("token set"))
    }
}

@Suite("redaction")
struct RedactionTests {
    let token = "s3cr3tTOKENabcdef0123456789XYZ"

    @Test func wholeTokensAndPrefixesLeftAtACutAreRedacted() {
        #expect(TelemetryText.redact("HTTP 401: Bearer \(token) rejected", token) == "HTTP 401: Bearer [redacted] rejected")
        // A server's echo cut by a decoder: all but the last characters of the token before the "…".
        let cut = TelemetryText.oneLine("HTTP 502: upstream said " + String(repeating: "x", count: 240) + " Authorization=Bearer \(token) etc", limit: 300)
        #expect(cut.contains("s3cr3tTOKEN"), "the cut leaves a prefix of the token: \(cut)")
        let redacted = TelemetryText.redact(cut, token)
        #expect(!redacted.contains("s3cr3t") && redacted.contains("[redacted]"), "\(redacted)")
        #expect(TelemetryText.redact("ends with Bearer s3cr3tTOKENab", token) == "ends with Bearer [redacted]")
        #expect(TelemetryText.redact("nothing secret here", token) == "nothing secret here")
    }
}
