import Foundation
import Testing
import WarRoomCore
@testable import WarRoomUI

@Suite struct ThemeTests {
    /// The repository root, found from this file's path (Tests/WarRoomUITests/ThemeTests.swift).
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let themesDir = repoRoot.appendingPathComponent("themes")

    private func parse(_ text: String) -> (theme: Theme?, diagnostics: [Diagnostic]) {
        ThemeLoader.parse(text, path: "t.yaml")
    }

    /// The single diagnostic a text produces (fails the test when there is not exactly one).
    private func only(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) -> Diagnostic? {
        let result = parse(text)
        #expect(result.diagnostics.count == 1, "\(result.diagnostics)", sourceLocation: sourceLocation)
        return result.diagnostics.first
    }

    private func tempDir() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warroom-theme-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    private func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    private var themesDir: URL { Self.themesDir }

    // MARK: Built-ins and their files

    @Test func builtinNamesAndCycleOrder() {
        #expect(ThemeLoader.builtinNames == ["default", "light", "high-contrast", "monochrome"])
        #expect(Theme.builtinOrder == ThemeLoader.builtinNames)
        #expect(ThemeLoader.builtinOrder == ThemeLoader.builtinNames)
        for name in Theme.builtinOrder {
            #expect(ThemeLoader.builtin(name)?.name == name)
        }
        #expect(ThemeLoader.builtin("nope") == nil)
        #expect(Theme.cycle(after: "default").name == "light")
        #expect(Theme.cycle(after: "light").name == "high-contrast")
        #expect(Theme.cycle(after: "high-contrast").name == "monochrome")
        #expect(Theme.cycle(after: "monochrome").name == "default")
        #expect(Theme.cycle(after: "my-own").name == "default")
    }

    @Test func builtinsDefineEveryRole() {
        for theme in Theme.builtins {
            #expect(Set(theme.roles.keys) == Set(Role.allCases), "\(theme.name)")
        }
    }

    @Test func monochromeUsesOnlyBoldReverseUnderline() {
        let mono = Theme.builtinMonochrome
        #expect(mono.monochrome)
        for (role, style) in mono.roles {
            #expect(style.fg == nil && style.bg == nil, "\(role)")
            #expect(style.attrs.isSubset(of: [.bold, .reverse, .underline]), "\(role)")
        }
    }

    @Test func okWarnCritAreDistinctInEveryBuiltin() {
        for theme in Theme.builtins {
            let ok = theme.style(.ok), warn = theme.style(.warn), crit = theme.style(.crit)
            #expect(ok != warn && warn != crit && ok != crit, "\(theme.name)")
            // crit never looks like plain text.
            #expect(crit != theme.style(.text), "\(theme.name)")
        }
    }

    @Test func themeFilesExistForEveryBuiltin() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: themesDir.path).filter { $0.hasSuffix(".yaml") }
        for name in Theme.builtinOrder {
            #expect(files.contains(name + ".yaml"), "themes/\(name).yaml is missing")
        }
    }

    /// Each themes/*.yaml parses with no diagnostics to exactly the built-in theme of the same name, both laid over
    /// the normal base and laid over nothing (so every field of the built-in must be written in the file).
    @Test(arguments: ["default", "light", "high-contrast", "monochrome"])
    func themeFileEqualsBuiltin(name: String) throws {
        let path = themesDir.appendingPathComponent(name + ".yaml").path
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let builtin = try #require(ThemeLoader.builtin(name))

        #expect(ThemeLoader.lint(bytes: bytes, path: path) == [])
        let overlaid = ThemeLoader.load(bytes: bytes, path: path)
        #expect(overlaid.diagnostics == [])
        #expect(overlaid.theme == builtin)

        let standalone = ThemeLoader.parse(String(decoding: bytes, as: UTF8.self), path: path,
                                           over: Theme(name: "", roles: [:]))
        #expect(standalone.diagnostics == [])
        #expect(standalone.theme == builtin)
    }

    @Test func everyFileInThemesDirLints() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: themesDir.path) where file.hasSuffix(".yaml") {
            let path = themesDir.appendingPathComponent(file).path
            let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(ThemeLoader.lint(bytes: bytes, path: path) == [], "\(file)")
        }
    }

    // MARK: Format

    @Test func shorthandIsTheForeground() throws {
        let theme = try #require(parse("roles:\n  ok: green\n  warn: 208\n  crit: \"#FF0000\"\n").theme)
        #expect(theme.style(.ok).fg == .indexed(2))
        #expect(theme.style(.warn).fg == .indexed(208))
        #expect(theme.style(.crit).fg == .rgb(255, 0, 0))
        // The rest of crit (background, bold) comes from the default theme.
        #expect(theme.style(.crit).bg == Theme.builtinDefault.style(.crit).bg)
        #expect(theme.style(.crit).attrs == Theme.builtinDefault.style(.crit).attrs)
    }

    @Test func fullFormSetsEveryField() throws {
        let text = """
        name: mine
        roles:
          ok: {fg: black, bg: "#00ff7f", bold: true, reverse: true, underline: true, dim: true}
          muted:
            fg: gray
            bg: default
            bold: false
        """
        let r = parse(text)
        #expect(r.diagnostics == [])
        let theme = try #require(r.theme)
        #expect(theme.name == "mine")
        #expect(theme.style(.ok) == RoleStyle(fg: .indexed(0), bg: .rgb(0, 255, 127),
                                               attrs: [.bold, .reverse, .underline, .dim]))
        #expect(theme.style(.muted) == RoleStyle(fg: .indexed(8), bg: .default))
    }

    @Test func colourSpellings() {
        let cases: [(String, Color)] = [
            ("black", .indexed(0)), ("red", .indexed(1)), ("white", .indexed(7)), ("bright-black", .indexed(8)),
            ("gray", .indexed(8)), ("grey", .indexed(8)), ("bright-red", .indexed(9)), ("bright-white", .indexed(15)),
            ("Bright-Cyan", .indexed(14)), ("0", .indexed(0)), ("255", .indexed(255)), ("#000000", .rgb(0, 0, 0)),
            ("#A0b1C2", .rgb(0xA0, 0xB1, 0xC2)), ("default", .default), ("DEFAULT", .default),
        ]
        for (text, colour) in cases {
            #expect(ThemeLoader.parseColour(text) == colour, "\(text)")
        }
        for bad in ["256", "-1", "#12345", "#1234567", "#gg0000", "rgb(1,2,3)", "", "bright", "0x10", "1.5", "reddish"] {
            #expect(ThemeLoader.parseColour(bad) == nil, "\(bad)")
        }
    }

    @Test func overlayKeepsUnnamedRolesAndMergesFields() throws {
        let theme = try #require(parse("name: x\nroles:\n  crit: {underline: true, bold: false}\n").theme)
        for role in Role.allCases where role != .crit {
            #expect(theme.style(role) == Theme.builtinDefault.style(role), "\(role)")
        }
        let crit = theme.style(.crit)
        #expect(crit.fg == Theme.builtinDefault.style(.crit).fg)
        #expect(crit.bg == Theme.builtinDefault.style(.crit).bg)
        #expect(crit.attrs == [.underline])
        #expect(theme.monochrome == false)
    }

    @Test func monochromeFilesLayOverMonochrome() throws {
        let r = parse("monochrome: true\nroles:\n  ok: {underline: true}\n  warn: red\n")
        let theme = try #require(r.theme)
        #expect(theme.monochrome)
        #expect(theme.style(.crit) == Theme.builtinMonochrome.style(.crit))
        #expect(theme.style(.ok).attrs == [.underline])
        // Colours in a monochrome theme are only a warning.
        #expect(r.diagnostics.map(\.severity) == [.warning])
        #expect(r.diagnostics.first?.line == 4)
    }

    @Test func nameDefaultsToFileName() throws {
        #expect(ThemeLoader.parse("roles: {}\n", path: "/x/y/night-shift.yaml").theme?.name == "night-shift")
        #expect(ThemeLoader.parse("roles:\n", path: "calm.yml").theme?.name == "calm")
    }

    @Test func emptyRolesIsTheDefault() throws {
        let theme = try #require(parse("name: plain\nroles: {}\n").theme)
        #expect(theme.roles == Theme.builtinDefault.roles)
    }

    // MARK: Errors, each with its exact line

    @Test func unknownRole() throws {
        let d = try #require(only("name: x\nroles:\n  ok: green\n  sucess: green\n"))
        #expect(d.severity == .error)
        #expect(d.line == 4)
        #expect(d.formatted(path: "themes/x.yaml").hasPrefix("themes/x.yaml:4: error: unknown role \"sucess\" (known: ok, warn, crit"))
        #expect(d.message.contains("background"))
    }

    @Test func unknownRoleSuggestsNearName() throws {
        let d = try #require(only("roles:\n  crti: red\n"))
        #expect(d.line == 2)
        #expect(d.message.contains("did you mean \"crit\"?"))
    }

    @Test func unknownKeyInRole() throws {
        let d = try #require(only("name: x\nroles:\n  ok:\n    fg: green\n    colour: red\n"))
        #expect(d.line == 5)
        #expect(d.message.hasPrefix("unknown key \"colour\" in role ok"))
        #expect(d.message.hasSuffix("(known: fg, bg, bold, reverse, underline, dim)"))
    }

    @Test func unknownKeyInFlowRoleHasItsLine() throws {
        let d = try #require(only("roles:\n  text: {fg: default}\n\n  ok: {fg: green, italic: true}\n"))
        #expect(d.line == 4)
        #expect(d.message.contains("unknown key \"italic\" in role ok"))
    }

    @Test func unknownTopLevelKey() throws {
        let d = try #require(only("name: x\n\nrole:\n  ok: green\n"))
        #expect(d.line == 3)
        #expect(d.message.contains("unknown key \"role\" at the top level"))
        #expect(d.message.contains("did you mean \"roles\"?"))
    }

    @Test func invalidColour() throws {
        let d = try #require(only("roles:\n  ok: green\n  warn: {fg: \"#12345\"}\n"))
        #expect(d.line == 3)
        #expect(d.message == "invalid colour \"#12345\" for fg in role warn (use a name, 0–255, #rrggbb or default)")
        let big = try #require(only("roles:\n  ok: 256\n"))
        #expect(big.line == 2)
        #expect(big.message.contains("invalid colour \"256\""))
        let attr = try #require(only("roles:\n\n  ok: bold\n"))
        #expect(attr.line == 3)
        #expect(attr.message.contains("{bold: true}"))
    }

    @Test func unquotedHashIsExplained() throws {
        let d = try #require(only("roles:\n  ok: {fg: green}\n  crit:\n    bg: #ff0000\n"))
        #expect(d.line == 4)
        #expect(d.message.contains("missing colour for bg in role crit"))
        #expect(d.message.contains("quotes"))
        let short = try #require(only("roles:\n  ok: #00ff00\n"))
        #expect(short.line == 2)
        #expect(short.message.contains("missing style for role ok"))
    }

    @Test func invalidBoolean() throws {
        let d = try #require(only("roles:\n  ok: {fg: green}\n  crit: {bold: yes}\n"))
        #expect(d.line == 3)
        #expect(d.message == "invalid value \"yes\" for bold in role crit (use true or false)")
        let mono = try #require(only("name: x\nmonochrome: 1\n"))
        #expect(mono.line == 2)
        #expect(mono.message.contains("for monochrome"))
    }

    @Test func notAMapping() throws {
        let top = try #require(only("- ok\n- warn\n"))
        #expect(top.line == 1)
        #expect(top.message.contains("must be a mapping"))
        let scalar = try #require(only("\n\njust words\n"))
        #expect(scalar.line == 3)
        let roles = try #require(only("name: x\nroles:\n  - ok\n"))
        #expect(roles.line == 3)
        #expect(roles.message.contains("roles must be a mapping"))
        let role = try #require(only("roles:\n  ok: [green, red]\n"))
        #expect(role.line == 2)
        #expect(role.message.contains("role ok must be a colour or a mapping"))
        let name = try #require(only("name: [a]\n"))
        #expect(name.line == 1)
        #expect(name.message.contains("name must be a non-empty string"))
    }

    @Test func emptyFile() throws {
        for text in ["", "\n\n", "# only a comment\n"] {
            let d = try #require(only(text))
            #expect(d.line == 1)
            #expect(d.message.contains("empty theme file"))
        }
    }

    @Test func yamlSyntaxErrorsHaveTheirLine() throws {
        // An unclosed flow mapping: libyaml notices at the end of the file; the line that opened it is reported.
        let flow = try #require(only("name: x\nroles:\n  ok: green\n  warn: {fg: yellow\n\n"))
        #expect(flow.line == 4)
        let quote = try #require(only("name: x\nroles:\n  ok: \"green\n"))
        #expect(quote.line == 3)
        #expect(flow.message.hasPrefix("invalid YAML:"))
        // A tab used for indentation.
        let tab = try #require(only("name: x\nroles:\n\tok: green\n"))
        #expect(tab.line == 3)
        #expect(tab.message.hasPrefix("invalid YAML:"))
        #expect(tab.message.hasSuffix("indent with spaces, not tabs"))
        // Bad indentation of a mapping value.
        let indent = try #require(only("name: x\nroles:\n  ok: green\n warn: red\n"))
        #expect(indent.line == 4)
        // Two documents.
        let docs = try #require(only("name: x\n---\nname: y\n"))
        #expect(docs.line == 2)
        #expect(docs.message == "invalid YAML: expected a single document in the stream but found another document")
    }

    @Test func duplicateKeyPointsAtTheRepeat() throws {
        let block = try #require(only("name: x\nroles:\n  ok: green\n  warn: yellow\n  ok: red\n"))
        #expect(block.line == 5)
        #expect(block.message == "duplicate key \"ok\" (first at line 3)")
        let flow = try #require(only("roles:\n  ok: green\n  crit: {fg: red, bold: true, fg: blue}\n"))
        #expect(flow.line == 3)
        #expect(flow.message.contains("duplicate key \"fg\""))
    }

    @Test func severalErrorsAreAllReportedInLineOrder() {
        let r = parse("name: x\nroles:\n  okk: green\n  warn: {fg: nope}\n  crit: {blink: true}\n")
        #expect(r.theme == nil)
        #expect(r.diagnostics.map(\.line) == [3, 4, 5])
        #expect(r.diagnostics.allSatisfy { $0.severity == .error })
    }

    @Test func sameForegroundAndBackgroundWarns() throws {
        let r = parse("roles:\n  ok: green\n  crit: {fg: red}\n")
        // The default crit background is red, so fg red makes it invisible.
        #expect(r.theme != nil)
        #expect(r.diagnostics.count == 1)
        #expect(r.diagnostics.first?.severity == .warning)
        #expect(r.diagnostics.first?.line == 3)
    }

    @Test func invalidUTF8IsAnErrorWithItsLine() {
        let bytes = Array("name: x\nroles:\n  ok: gr".utf8) + [0xFF, 0xFE] + Array("een\n".utf8)
        let d = ThemeLoader.lint(bytes: bytes, path: "t.yaml")
        #expect(d.count == 1)
        #expect(d.first?.line == 3)
        #expect(d.first?.message.contains("UTF-8") == true)
        // A BOM is fine.
        #expect(ThemeLoader.lint(bytes: [0xEF, 0xBB, 0xBF] + Array("roles:\n  ok: green\n".utf8), path: "t.yaml") == [])
    }

    @Test func controlCharacterIsAnError() throws {
        let d = ThemeLoader.lint(bytes: Array("name: x\nroles:\n  ok: gr\u{1}een\n".utf8), path: "t.yaml")
        #expect(d.count == 1)
        #expect(d.first?.line == 3)
    }

    // MARK: Choosing the theme

    @Test func noColorWinsOverEverything() throws {
        let env = ["NO_COLOR": "1", "WARROOM_THEME": "light"]
        #expect(try ThemeLoader.resolve("high-contrast", environment: env, searchDirs: []).get() == Theme.builtinMonochrome)
        #expect(try ThemeLoader.resolve("/no/such/file.yaml", environment: env, searchDirs: []).get().name == "monochrome")
        #expect(try ThemeLoader.resolve(nil, environment: env, searchDirs: []).get().name == "monochrome")
        // An empty NO_COLOR does not count (no-color.org).
        #expect(try ThemeLoader.resolve("light", environment: ["NO_COLOR": ""], searchDirs: []).get().name == "light")
    }

    @Test func precedenceArgumentThenEnvironmentThenDefault() throws {
        #expect(try ThemeLoader.resolve("light", environment: ["WARROOM_THEME": "high-contrast"], searchDirs: []).get().name == "light")
        #expect(try ThemeLoader.resolve(nil, environment: ["WARROOM_THEME": "high-contrast"], searchDirs: []).get().name == "high-contrast")
        #expect(try ThemeLoader.resolve(nil, environment: ["WARROOM_THEME": ""], searchDirs: []).get() == Theme.builtinDefault)
        #expect(try ThemeLoader.resolve(nil, environment: [:], searchDirs: []).get() == Theme.builtinDefault)
    }

    @Test func nameFindsFileInSearchDirsBeforeBuiltin() throws {
        let a = try tempDir(), b = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: a); try? FileManager.default.removeItem(atPath: b) }
        try write("name: mine\nroles:\n  ok: blue\n", to: b + "/mine.yaml")
        try write("name: light-override\nroles:\n  ok: cyan\n", to: b + "/light.yaml")
        let mine = try ThemeLoader.resolve("mine", environment: [:], searchDirs: [a, b]).get()
        #expect(mine.name == "mine")
        #expect(mine.style(.ok).fg == .indexed(4))
        let light = try ThemeLoader.resolve(nil, environment: ["WARROOM_THEME": "light"], searchDirs: [a, b]).get()
        #expect(light.name == "light-override")
        // Without the directory the built-in is used.
        #expect(try ThemeLoader.resolve("light", environment: [:], searchDirs: [a]).get() == Theme.builtinLight)
    }

    @Test func pathIsLoadedAsAFile() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("roles:\n  accent: \"#ff8700\"\n", to: dir + "/orange.yml")
        let theme = try ThemeLoader.resolve(dir + "/orange.yml", environment: [:], searchDirs: []).get()
        #expect(theme.name == "orange")
        #expect(theme.style(.accent).fg == .rgb(255, 135, 0))
        // The repository's own files load by path too.
        let hc = try ThemeLoader.resolve(themesDir.appendingPathComponent("high-contrast.yaml").path,
                                         environment: [:], searchDirs: []).get()
        #expect(hc == Theme.builtinHighContrast)
        // "x.yaml" with no slash is still a path (relative), not a name.
        guard case .failure(.unreadable(let path, _)) = ThemeLoader.resolve("light.yaml", environment: [:], searchDirs: []) else {
            Issue.record("light.yaml should be read as a (missing) file, not the built-in light theme")
            return
        }
        #expect(path == "light.yaml")
    }

    @Test func badFileIsAnErrorWithFileAndLine() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.yaml"
        try write("name: bad\nroles:\n  ok: green\n  sucess: green\n", to: path)
        let result = ThemeLoader.resolve(path, environment: [:], searchDirs: [])
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.description.hasPrefix("\(path):4: error: unknown role \"sucess\""))
        // The same file found by name.
        guard case .failure(.invalid(let p, let diags)) = ThemeLoader.resolve("bad", environment: [:], searchDirs: [dir]) else {
            Issue.record("expected an invalid-file failure")
            return
        }
        #expect(p == path)
        #expect(diags.map(\.line) == [4])
    }

    @Test func unknownNameListsTheNames() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("roles: {}\n", to: dir + "/zebra.yaml")
        let result = ThemeLoader.resolve("solarized", environment: [:], searchDirs: [dir, "/no/such/dir"])
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == .unknownName("solarized", available: ["default", "light", "high-contrast", "monochrome", "zebra"]))
        #expect(error.description.contains("unknown theme \"solarized\""))
        #expect(error.description.contains("default, light, high-contrast, monochrome, zebra"))
        // From the environment too.
        guard case .failure(.unknownName("dark", _)) = ThemeLoader.resolve(nil, environment: ["WARROOM_THEME": "dark"], searchDirs: []) else {
            Issue.record("expected WARROOM_THEME=dark to be an unknown name")
            return
        }
    }

    @Test func missingFileIsUnreadable() {
        let result = ThemeLoader.resolve("/no/such/dir/theme.yaml", environment: [:], searchDirs: [])
        guard case .failure(let error) = result else {
            Issue.record("expected a failure")
            return
        }
        #expect(error == .unreadable(path: "/no/such/dir/theme.yaml", reason: "no such file"))
        #expect(error.description.hasPrefix("/no/such/dir/theme.yaml: error:"))
    }

    // MARK: Colour degradation

    @Test func degradeTo256() {
        #expect(Color.rgb(255, 0, 0).degraded(toColors: 256) == .indexed(196))
        #expect(Color.rgb(0, 255, 0).degraded(toColors: 256) == .indexed(46))
        #expect(Color.rgb(0, 0, 255).degraded(toColors: 256) == .indexed(21))
        #expect(Color.rgb(255, 135, 0).degraded(toColors: 256) == .indexed(208))
        #expect(Color.rgb(0x80, 0x80, 0x80).degraded(toColors: 256) == .indexed(244))
        #expect(Color.rgb(0, 0, 0).degraded(toColors: 256) == .indexed(16))
        #expect(Color.rgb(255, 255, 255).degraded(toColors: 256) == .indexed(231))
        #expect(Color.rgb(0x12, 0x12, 0x12).degraded(toColors: 256) == .indexed(233))  // grey 18
        #expect(Color.rgb(0xee, 0xee, 0xee).degraded(toColors: 256) == .indexed(255))  // grey 238
        #expect(Color.rgb(0x5f, 0x87, 0xaf).degraded(toColors: 256) == .indexed(67))   // exact cube colour
        #expect(Color.indexed(67).degraded(toColors: 256) == .indexed(67))
        #expect(Color.indexed(3).degraded(toColors: 16_777_216) == .indexed(3))
        #expect(Color.default.degraded(toColors: 256) == .default)
    }

    @Test func degradeTo16() {
        #expect(Color.rgb(255, 0, 0).degraded(toColors: 16) == .indexed(9))
        #expect(Color.rgb(200, 0, 0).degraded(toColors: 16) == .indexed(1))
        #expect(Color.rgb(0x80, 0x80, 0x80).degraded(toColors: 16) == .indexed(8))
        #expect(Color.rgb(255, 165, 0).degraded(toColors: 16) == .indexed(3))
        #expect(Color.rgb(250, 250, 250).degraded(toColors: 16) == .indexed(15))
        #expect(Color.indexed(196).degraded(toColors: 16) == .indexed(9))
        #expect(Color.indexed(28).degraded(toColors: 16) == .indexed(2))    // light theme's ok
        #expect(Color.indexed(244).degraded(toColors: 16) == .indexed(8))
        #expect(Color.indexed(12).degraded(toColors: 16) == .indexed(12))
        #expect(Color.indexed(200).degraded(toColors: 88) == .indexed(13))
        #expect(Color.default.degraded(toColors: 16) == .default)
    }

    @Test func degradeTo8AndBelow() {
        #expect(Color.rgb(255, 0, 0).degraded(toColors: 8) == .indexed(1))
        #expect(Color.indexed(9).degraded(toColors: 8) == .indexed(1))
        #expect(Color.indexed(12).degraded(toColors: 8) == .indexed(4))
        #expect(Color.indexed(15).degraded(toColors: 8) == .indexed(7))
        #expect(Color.indexed(5).degraded(toColors: 8) == .indexed(5))
        #expect(Color.indexed(196).degraded(toColors: 8) == .indexed(1))
        #expect(Color.rgb(255, 0, 0).degraded(toColors: 2) == .default)
        #expect(Color.indexed(1).degraded(toColors: 0) == .default)
        #expect(Color.default.degraded(toColors: 0) == .default)
    }

    @Test func degrade256IsExactOnThePalette() {
        // Every cube and grey index maps back to itself from its own RGB value.
        for i in 16...255 {
            let (r, g, b) = Color.xtermRGB(UInt8(i))
            #expect(Color.rgb(r, g, b).degraded(toColors: 256) == .indexed(UInt8(i)), "index \(i)")
        }
        // And the 16 ANSI colours map to themselves at 16.
        for i in 0..<16 {
            let (r, g, b) = Color.xtermRGB(UInt8(i))
            #expect(Color.rgb(r, g, b).degraded(toColors: 16) == .indexed(UInt8(i)), "index \(i)")
        }
    }

    @Test func themeDegradesEveryRole() {
        let theme = Theme(name: "t", roles: [.ok: RoleStyle(fg: .rgb(255, 0, 0), bg: .indexed(200)), .text: RoleStyle()])
        let d = theme.degraded(toColors: 16)
        #expect(d.style(.ok) == RoleStyle(fg: .indexed(9), bg: .indexed(13)))
        #expect(d.style(.text) == RoleStyle())
        // Built-ins use only ANSI colours or indices that survive 16 colours.
        for t in Theme.builtins where t.name != "light" {
            #expect(t.degraded(toColors: 16) == t, "\(t.name)")
        }
    }

    // MARK: Robustness

    /// SplitMix64: deterministic, so a failure reproduces.
    struct Random {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    }

    private func checkInvariants(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        let result = ThemeLoader.load(bytes: bytes, path: "fuzz.yaml")
        let lines = bytes.reduce(1) { $0 + ($1 == 0x0A || $1 == 0x0D ? 1 : 0) } + 1
        let hasError = result.diagnostics.contains { $0.severity == .error }
        #expect(hasError == (result.theme == nil), sourceLocation: sourceLocation)
        for d in result.diagnostics {
            #expect(d.line >= 1 && d.line <= lines, "\(d) in \(bytes.count) bytes", sourceLocation: sourceLocation)
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = Random(state: 0x5EED)
        for _ in 0..<400 {
            let count = rng.below(200)
            let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            checkInvariants(bytes)
        }
    }

    @Test func mutatedThemeFilesNeverCrash() throws {
        let alphabet = Array("{}[]:,-#\"'!&*?|>% \n\t0123456789abcdefrgb:ok crit fg bg bold true ~@`\\".utf8)
        var rng = Random(state: 42)
        for name in Theme.builtinOrder {
            let original = try [UInt8](Data(contentsOf: themesDir.appendingPathComponent(name + ".yaml")))
            for _ in 0..<150 {
                var bytes = original
                for _ in 0..<(1 + rng.below(6)) {
                    let at = rng.below(bytes.count + 1)
                    switch rng.below(3) {
                    case 0: bytes.insert(alphabet[rng.below(alphabet.count)], at: at)
                    case 1: if at < bytes.count { bytes.remove(at: at) }
                    default: if at < bytes.count { bytes[at] = UInt8(truncatingIfNeeded: rng.next()) }
                    }
                }
                checkInvariants(bytes)
            }
        }
    }

    @Test func hostileStructuresAreErrorsNotCrashes() {
        let deepFlow = String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000)
        let deepBlock = String(repeating: "- ", count: 3000) + "x\n"
        let nested = "roles: " + String(repeating: "{a: ", count: 900) + "b" + String(repeating: "}", count: 900)
        let aliases = "a: &a [x, x]\nb: &b [*a, *a]\nc: &c [*b, *b]\nroles:\n  ok: *c\n"
        let undefinedAlias = "roles:\n  ok: *nope\n"
        let tagged = "roles: !!str\n  ok: !custom green\n"
        let complexKey = "roles:\n  ? [ok]\n  : green\n"
        checkInvariants(Array(tagged.utf8))
        for text in [deepFlow, deepBlock, nested, aliases, undefinedAlias, complexKey] {
            checkInvariants(Array(text.utf8))
            #expect(ThemeLoader.lint(bytes: Array(text.utf8), path: "h.yaml").contains { $0.severity == .error },
                    "\(text.prefix(40))")
        }
        checkInvariants(Array(repeating: 0, count: 100))
        checkInvariants([0xEF, 0xBB, 0xBF])
    }
}
