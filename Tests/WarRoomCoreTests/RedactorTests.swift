import Testing
@testable import WarRoomCore

/// The redactor every text from a child or a server goes through before it becomes an action.
@Suite struct Redaction {
    let m = Redactor.marker

    @Test func everyOccurrenceOfEverySecretGoes() {
        let r = Redactor(secrets: ["s3cr3t-token", "hunter22"])
        #expect(r.redact("PROM_TOKEN=s3cr3t-token") == "PROM_TOKEN=\(m)")
        #expect(r.redact("a s3cr3t-token b s3cr3t-token c hunter22") == "a \(m) b \(m) c \(m)")
        #expect(r.redact("nothing here") == "nothing here")
        #expect(r.redact("") == "")
        #expect(r.redact(["x hunter22", "y"]) == ["x \(m)", "y"])
    }

    @Test func overlappingAndNestedSecretsBecomeOneMarker() {
        // One secret inside another, two sharing characters, two touching: no piece of either survives.
        let r = Redactor(secrets: ["abcdef", "cdefgh", "bcde", "XYZW"])
        #expect(r.redact("[abcdefgh]") == "[\(m)]")
        #expect(r.redact("-bcde-") == "-\(m)-")
        #expect(r.redact("abcdefXYZW!") == "\(m)!")
        // The longer one first, whatever the order given.
        let s = Redactor(secrets: ["toke", "token-1234"])
        #expect(s.redact("=token-1234=") == "=\(m)=")
        #expect(s.redact("=toke=") == "=\(m)=")
    }

    @Test func shortEmptyAndDuplicateValuesAreIgnored() {
        let r = Redactor(secrets: ["a", "", "abc", "  ", "abcd", "abcd"])
        #expect(r.count == 1)
        #expect(r.redact("a abc abcd") == "a abc \(m)")
        #expect(Redactor(secrets: ["a", "xy"]).isEmpty)
        // A token read from a file keeps its newline there; it is sent (and echoed) trimmed.
        #expect(Redactor(secrets: ["t0ken-value\n"]).redact("got t0ken-value.") == "got \(m).")
    }

    @Test func multiByteTextAndSecrets() {
        let r = Redactor(secrets: ["pässwörd", "秘密のトークン", "🔑🔑🔑🔑"])
        #expect(r.redact("Grüße: pässwörd — ok") == "Grüße: \(m) — ok")
        #expect(r.redact("値=秘密のトークン。") == "値=\(m)。")
        // Two overlapping occurrences of the same secret: one marker.
        #expect(r.redact("keys 🔑🔑🔑🔑🔑!") == "keys \(m)!")
        // Byte matching: a combining mark right after the secret does not hide it.
        #expect(r.redact("pässwörd\u{301}") == "\(m)\u{301}")
    }

    @Test func theStartOfASecretLeftAtACutIsRedactedToo() {
        let r = Redactor(secrets: ["0123456789abcdef"])
        #expect(r.redact("token=0123456789") == "token=\(m)")
        #expect(r.redact("token=0123456789…") == "token=\(m)…")
        #expect(r.redact("\"token=01234567…\" and more") == "\"token=\(m)…\" and more")
        // Fewer than six characters of it: ordinary text.
        #expect(r.redact("id 01234") == "id 01234")
        #expect(r.redact("0123456 in the middle") == "0123456 in the middle")
    }
}
