import Testing
@testable import WarRoomCore

private func parse(_ s: String) -> Checklist { ChecklistParser.parse(s, path: "t.md") }
private func parseBytes(_ b: [UInt8]) -> Checklist { ChecklistParser.parse(b, path: "t.md") }

@Suite struct HeadingsAndSections {
    @Test func atxAndSetextNest() throws {
        let c = parse("""
        # Go-live
        intro

        Phase one
        ---------
        ### Deep (T-30 min)
        - [ ] a
        ## Phase two ##
        - [ ] b

        Top again
        =========
        - [ ] c
        """)
        try #require(c.sections.count == 6)
        #expect(c.sections.map(\.title) == ["", "Go-live", "Phase one", "Deep (T-30 min)", "Phase two", "Top again"])
        #expect(c.sections[3].path == ["Go-live", "Phase one", "Deep (T-30 min)"])
        #expect(c.sections[3].parent == 2)
        #expect(c.sections[4].parent == 1)
        #expect(c.sections[5].parent == 0)
        #expect(c.sections[3].offsetMinutes == -30)
        #expect(c.items.map(\.section) == [3, 4, 5])
        #expect(c.title == "Go-live")
    }

    @Test(arguments: [
        ("PRE-DEPLOYMENT PHASE (T-24 Hours)", -1440), ("Pre-Deployment (T-30 min)", -30), ("Deployment Execution (T-0 to T+15 min)", 0),
        ("Post-Deployment (T+15 to T+60 min)", 15), ("Post-Deployment (T+1h to T+4h)", 60), ("VERIFICATION CHECKLIST (T+1 Hour)", 60),
    ])
    func missionOffsets(title: String, minutes: Int) {
        #expect(missionOffset(title) == minutes)
    }

    @Test func setextNeedsItsOwnParagraph() {
        // CommonMark: consecutive lines form one paragraph; a lazy line after an item is part of the item.
        let c = ChecklistParser.parse("intro\nPhase one\n---\n- [ ] b\nlazy\n===\n", path: "t.md")
        #expect(c.sections.map(\.title) == ["", "intro Phase one"])
        #expect(c.items.map(\.text) == ["b lazy ==="], "a setext underline cannot be lazy: it is text")
    }

    @Test func noOffsetInOrdinaryWords() {
        #expect(missionOffset("TEST-1 suite") == nil)
        #expect(missionOffset("Deployment Timeline") == nil)
    }
}

@Suite struct TaskItems {
    @Test func allMarkersAndDoneStates() {
        let c = parse("- [ ] a\n* [x] b\n+ [X] c\n\n1. [ ] d\n2) [x] e\n")
        #expect(c.items.count == 5)
        #expect(c.items.map(\.checked) == [false, true, true, false, true])
        #expect(c.checkedInFile == 3)
    }

    @Test func nestingBySpacesAndTabs() {
        let c = parse("- [ ] parent\n  - [ ] child\n    - [ ] grandchild\n- [ ] second\n\t- [ ] tabbed child\n")
        #expect(c.items.map(\.depth) == [0, 1, 2, 0, 1])
        #expect(c.items.map(\.parent) == [nil, 0, 1, nil, 3])
    }

    @Test func notItems() {
        let c = parse("""
        - [ ] real

        ```
        - [ ] in a fence
        ```
        ~~~~
        - [ ] in a tilde fence
        ~~~~

            - [ ] indented code

        <!--
        - [ ] in a comment
        -->
        - [] no space
        - [ ]no space after
        -[ ] no space before
        \\- [ ] escaped marker
        """)
        #expect(c.items.map(\.title) == ["real"])
        #expect(c.warnings.contains { $0.line == 15 && $0.message.contains("no checkbox") })
    }

    @Test func lazyContinuationIsNotAnItem() {
        let c = parse("Some paragraph\n    - [ ] lazy line\n")
        #expect(c.items.isEmpty)
    }

    @Test func blockQuotesAndSameLineNestingHaveNoCheckboxes() {
        // cmark-gfm tests the whole physical line when an item opens: `>` or a second marker defeats it.
        #expect(parse("> - [ ] quoted\n> - [x] done\n").items.isEmpty)
        #expect(parse("- - [ ] nested on one line\n1. - [ ] also\n").items.isEmpty)
        #expect(parse("- [ ] - [ ] outer only\n").items.count == 1)
    }

    @Test func siblingOrderedItemIsNotAnInterruption() {
        #expect(parse("1. [ ] a\n2. [x] b\n3. [ ] c\n").items.count == 3)
        #expect(parse("Para\n2. [ ] b\n").items.isEmpty, "an ordered list not starting at 1 cannot interrupt a paragraph")
    }

    @Test func anyXOnTheLineMarksDoneAsGitHubDoes() {
        #expect(parse("- [ ] Replace [x] placeholders\n").items[0].checked)
    }

    @Test func bomHidesTheFirstLinesCheckbox() {
        let c = parseBytes([0xEF, 0xBB, 0xBF] + Array("- [ ] a\n- [ ] b\n".utf8))
        #expect(c.items.map(\.line) == [2])
    }

    @Test func continuationLinesJoinText() {
        let c = parse("- [ ] first line\n  second line\n- [ ] next\n")
        #expect(c.items[0].text == "first line second line")
        #expect(c.items.count == 2)
    }

    @Test func taskIDParallelAndBoldLead() {
        let c = parse("""
        - [ ] T1189 [P] Smoke test: User authentication
        - [ ] T1180 Deploy backend services
          - [ ] T1180a Deploy AcquisitionService
        - [ ] **KR1: Compliance Rate**
        - [ ] **Policy Violation:** Any confirmed robots.txt or TOS breach
        - [ ] **Pre-deployment Meeting** (9:00 AM)
        - [ ] P50 latency: <200ms
        """)
        let i = c.items
        #expect(i[0].id == "T1189" && i[0].taskID == "T1189" && i[0].parallel && i[0].title == "Smoke test: User authentication")
        #expect(i[2].id == "T1180a" && i[2].parent == 1)
        #expect(i[3].title == "KR1: Compliance Rate" && i[3].detail == nil)
        #expect(i[4].title == "Policy Violation" && i[4].detail == "Any confirmed robots.txt or TOS breach")
        #expect(i[5].title == "Pre-deployment Meeting" && i[5].detail == "(9:00 AM)")
        #expect(i[6].taskID == nil, "P50 is a metric, not a task ID")
        #expect(c.item(id: "T1180a")?.line == 3)
    }

    @Test func itemsUnderPlainOrderedListKeepTheirGroup() {
        let c = parse("""
        ### Rollback Procedures

        1. **Immediate Actions (0-5 minutes)**
           - [ ] Activate incident response team
           - [ ] Reduce traffic to 0%

        2. **Service Recovery**
           - [ ] Route all traffic to fallback
        """)
        #expect(c.items.map(\.group) == ["Immediate Actions (0-5 minutes)", "Immediate Actions (0-5 minutes)", "Service Recovery"])
        #expect(c.items.allSatisfy { $0.parent == nil && $0.depth == 0 })
        #expect(c.sections[1].blocks.count == 2)
    }

    @Test func setextUnderlineInsideItemKeepsTheCheckbox() {
        let c = parse("- [ ] heading-like\n  ---\n- [ ] real\n")
        #expect(c.items.map(\.title) == ["heading-like", "real"])
    }
}

@Suite struct PlainBlocks {
    @Test func bulletsAndTablesStayWithTheirSection() {
        let c = parse("""
        ## Rollback Triggers
        - >5% error rate sustained for >10 minutes
        - Security incident

        ## Contacts
        | Role | Name | Phone | Slack |
        |------|------|-------|-------|
        | Deployment Lead | Dana | +1 555 0100 | @dana |
        | Esc \\| aped | B | C | D |

        - [ ] item
        """)
        #expect(c.sections[1].blocks == [
            .bullet(line: 2, depth: 0, ordered: false, text: ">5% error rate sustained for >10 minutes"),
            .bullet(line: 3, depth: 0, ordered: false, text: "Security incident"),
        ])
        guard case .table(let line, let header, let rows) = c.sections[2].blocks.first else {
            Issue.record("no table"); return
        }
        #expect(line == 6)
        #expect(header == ["Role", "Name", "Phone", "Slack"])
        #expect(rows == [["Deployment Lead", "Dana", "+1 555 0100", "@dana"], ["Esc | aped", "B", "C", "D"]])
        #expect(c.items.count == 1)
    }
}

@Suite struct BadInput {
    @Test func crlfBomAndTabs() {
        let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("# T\r\n- [ ] a\r\n\t- [x]\tb\r\r- [ ] c".utf8)
        let c = parseBytes(bytes)
        #expect(c.sections[1].title == "T")
        #expect(c.items.count == 3)
        #expect(c.items[1].checked && c.items[1].parent == 0)
        #expect(c.items[0].text == "a")
        #expect(c.items.map(\.line) == [2, 3, 5], "a lone CR ends a line too")
    }

    @Test func invalidUTF8IsReplacedWithAWarningNamingTheLine() {
        let bytes = Array("- [ ] ok\n- [ ] bad ".utf8) + [0xFF, 0xC3, 0x28] + Array("\n- [ ] fine\n".utf8)
        let c = parseBytes(bytes)
        #expect(c.items.count == 3)
        #expect(c.items[1].text.contains("\u{FFFD}"))
        #expect(c.warnings.map(\.line) == [2])
        #expect(c.warnings[0].formatted(path: "t.md") == "t.md:2: warning: invalid UTF-8 replaced with U+FFFD")
    }

    @Test func truncatedMultibyteAtEOF() {
        let c = parseBytes(Array("- [ ] x ".utf8) + [0xE2, 0x9C])
        #expect(c.items.count == 1)
        #expect(c.warnings.first?.line == 1)
    }

    @Test func mojibakeIsKeptAsWritten() {
        let c = parse("## ðŸ“‹ PRE-DEPLOYMENT\n- [ ] Unit tests: 217/217 passing âœ…\n")
        #expect(c.sections[1].title == "ðŸ“‹ PRE-DEPLOYMENT")
        #expect(c.items[0].title == "Unit tests: 217/217 passing âœ…")
        #expect(c.warnings.count == 1 && c.warnings[0].line == 1)
    }

    @Test func genuineAccentsAreNotMojibake() {
        #expect(parse("- [ ] café résumé naïve ✅ 日本語\n").warnings.isEmpty)
    }

    @Test func emptyFileAndNoItemsAreErrors() {
        let empty = parseBytes([])
        #expect(empty.errors.count == 1 && empty.errors[0].message.contains("empty"))
        let prose = parse("# Title\n\nJust prose.\n- a plain bullet\n")
        #expect(prose.errors.count == 1 && prose.errors[0].message.contains("no checklist items"))
    }

    @Test func veryLongLinesAndDeepNesting() {
        let long = String(repeating: "x", count: 200_000)
        var s = "- [ ] \(long)\n"
        for d in 0..<200 { s += String(repeating: "  ", count: d) + "- [ ] level \(d)\n" }
        let c = parse(s)
        #expect(c.items.count == 201)
        #expect(c.items[0].text.utf8.count == 200_000)
    }

    @Test func unclosedFenceWarns() {
        let c = parse("- [ ] a\n```\n- [ ] hidden\n")
        #expect(c.items.count == 1)
        #expect(c.warnings.contains { $0.line == 2 && $0.message.contains("never closed") })
    }

    @Test func hugeOffsetsInHeadingsDoNotOverflow() {
        let c = parse("## Phase (T+99999999999999999999 min)\n- [ ] a\n## Later (T+9999999999999999 days)\n- [ ] b\n")
        #expect(c.items.count == 2)
        #expect(c.sections[1].offsetMinutes == nil)
    }

    @Test func arbitraryBytesNeverCrash() {
        var rng = SplitMix(seed: 42)
        let alphabet: [UInt8] = Array("- *+1.)[]xX >#`~<!-->|=\t\r\n  abc".utf8) + [0xFF, 0xC3, 0xE2, 0x80]
        for _ in 0..<300 {
            let n = Int(rng.next() % 400)
            let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            let c = parseBytes(bytes)
            #expect(c.items.count <= n)
        }
    }
}

@Suite struct StableIDs {
    @Test func editingOneItemDoesNotReKeyOthers() {
        let before = parse("## A\n- [ ] one\n- [ ] two\n- [ ] three\n")
        let after = parse("## A\n- [ ] one\n- [ ] two, reworded\n- [x] three\n- [ ] new\n")
        #expect(before.items[0].id == after.items[0].id)
        #expect(before.items[2].id == after.items[2].id, "checking it in the file must not re-key it")
        #expect(before.items[1].id != after.items[1].id)
    }

    @Test func sameTextInAnotherSectionGetsAnotherID() {
        let c = parse("## A\n- [ ] Verify health\n## B\n- [ ] Verify health\n")
        #expect(c.items[0].id != c.items[1].id)
        #expect(c.items[0].id.hasPrefix("verify-health-"))
    }

    @Test func trueDuplicatesGetOrdinalsAndAWarning() {
        let c = parse("## A\n- [ ] Pod 2: Repeat\n- [ ] Pod 2: Repeat\n- [ ] Pod 2: Repeat\n")
        let base = c.items[0].id
        #expect(c.items.map(\.id) == [base, base + "-2", base + "-3"])
        #expect(c.warnings.map(\.line) == [3, 4])
        #expect(c.warnings[0].message.contains("same item as line 2"))
    }

    @Test func duplicatesUnderDifferentParentsNeverShareAnID() {
        // Removing Service A must not hand its child's state to Service B's child.
        let both = parse("## Deploy\n- [ ] Service A\n  - [ ] Verify health\n- [ ] Service B\n  - [ ] Verify health\n")
        let onlyB = parse("## Deploy\n- [ ] Service B\n  - [ ] Verify health\n")
        #expect(both.items[1].id != both.items[3].id)
        #expect(both.warnings.isEmpty, "distinguished by their parents")
        #expect(onlyB.items[1].id != both.items[1].id, "A's child's state becomes an orphan, reported — not B's")
        let grouped = parse("## Rollback\n1. **Immediate**\n   - [ ] Notify\n2. **Recovery**\n   - [ ] Notify\n")
        #expect(grouped.items[0].id != grouped.items[1].id)
    }

    @Test func duplicateTaskIDIsAnError() {
        let c = parse("- [ ] T1 a\n- [ ] T1 b\n")
        #expect(c.errors.map(\.line) == [2])
        #expect(c.items.map(\.id) == ["T1", "T1-2"])
    }

    @Test func idsAreTypeable() {
        let c = parse("- [ ] 📋 日本語\n- [ ] **Engineering Lead:** [Name/Date] ******\\_\\_\\_\\_******\n")
        #expect(c.items[0].id.hasPrefix("item-"))
        #expect(c.items[1].id.hasPrefix("engineering-lead-"))
        for i in c.items { #expect(i.id.utf8.allSatisfy { $0 < 0x80 && $0 != 0x20 }) }
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
