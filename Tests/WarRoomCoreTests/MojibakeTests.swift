import Testing
@testable import WarRoomCore

/// Issue 14: UTF-8 read as Windows-1252 (seeds 001 and 004) is shown as it was meant; the file stays as written.
@Suite struct MojibakeRepair {
    @Test func doubleEncodedTextIsRepaired() {
        #expect(Mojibake.repaired("## ðŸ“‹ PRE-DEPLOYMENT PHASE") == "## 📋 PRE-DEPLOYMENT PHASE")
        #expect(Mojibake.repaired("P95 â‰¤ 2.0s") == "P95 ≤ 2.0s")
        #expect(Mojibake.repaired("cafÃ© ðŸš€ â€” done") == "café 🚀 — done")
    }

    @Test func everythingElseStaysAsWritten() {
        for s in ["plain ascii", "café résumé ✅ 日本語 📋", "Ã alone", "â then space", "naïve Ärger", ""] {
            #expect(Mojibake.repaired(s) == s, "\(s)")
        }
    }

    @Test func theParserKeepsTheBytesAndTheWarning() {
        let c = ChecklistParser.parse("## ðŸ“‹ Pre\n- [ ] T1 latency â‰¤ 2 s\n", path: "m.md")
        #expect(c.items.first?.text.contains("â‰¤") == true, "the checklist's text is as written")
        #expect(c.diagnostics.contains { $0.message.contains("double-encoded") }, "lint keeps its warning")
    }
}
