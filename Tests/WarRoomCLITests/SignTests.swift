import Foundation
import Testing
import WarRoomCore
import WarRoomStore

@Suite(.serialized) struct SignCommand {
    @Test func signOnceUndoBySignerThenReportAndStatus() throws {
        let dir = tempDir("sign") + "/state"
        // First sign starts the run with --checklist; after that the state directory alone is enough.
        let a = try warroom(["sign", "sre lead", "--state", dir, "--checklist", canary, "--actor", "lee"])
        #expect(a.status == 0, "\(a.out)\(a.err)")
        #expect(a.out.contains("SRE Lead: signed off by lee at 2026-11-23T09:00:00.000Z"))

        let twice = try warroom(["sign", "SRE Lead", "--state", dir, "--actor", "sun"], env: ["WARROOM_NOW": "2026-11-23T09:05:00Z"])
        #expect(twice.status != 0)
        #expect(twice.err.contains("already signed off by lee at 2026-11-23T09:00:00.000Z"), "\(twice.err)")

        let notMine = try warroom(["sign", "SRE Lead", "--state", dir, "--actor", "sun", "--undo"])
        #expect(notMine.status != 0)
        #expect(notMine.err.contains("only lee can undo it"), "\(notMine.err)")

        let unknown = try warroom(["sign", "Janitor", "--state", dir])
        #expect(unknown.status != 0)
        #expect(unknown.err.contains("no sign-off for the role “Janitor”") && unknown.err.contains("Engineering Lead  (line 133)"), "\(unknown.err)")

        let undo = try warroom(["sign", "SRE Lead", "--state", dir, "--actor", "lee", "--undo"], env: ["WARROOM_NOW": "2026-11-23T09:06:00Z"])
        #expect(undo.status == 0, "\(undo.err)")
        let resign = try warroom(["sign", "SRE Lead", "--state", dir, "--actor", "sun"], env: ["WARROOM_NOW": "2026-11-23T09:07:00Z"])
        #expect(resign.status == 0, "\(resign.err)")

        let status = try warroom(["status", "--state", dir, "--json"])
        #expect(status.status == 0, "\(status.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let signOffs = try #require(json["signOffs"] as? [[String: Any]])
        #expect(signOffs.map { $0["role"] as? String } == ["Engineering Lead", "SRE Lead", "Product Owner"])
        #expect(signOffs.map { $0["signedBy"] as? String } == [nil, "sun", nil])
        #expect(signOffs[1]["time"] as? String == "2026-11-23T09:07:00.000Z")

        let report = try warroom(["report", "--state", dir])
        #expect(report.status == 0, "\(report.err)")
        #expect(report.out.contains("| SRE Lead (line 134) | sun |"), "\(report.out)")
        #expect(report.out.contains("| Engineering Lead (line 133) | **unsigned** | |"))
    }

    @Test func twoSignersAtOnceOnlyOneWins() throws {
        let dir = tempDir("sign-race") + "/state"
        #expect(try warroom(["check", "T101", "--state", dir, "--checklist", canary]).status == 0)
        for round in 0..<3 {
            let role = ["Engineering Lead", "SRE Lead", "Product Owner"][round]
            let procs = ["lee", "sun"].map { who -> (Process, Pipe) in
                let p = Process()
                p.executableURL = URL(fileURLWithPath: warroomBinary)
                p.arguments = ["sign", role, "--state", dir, "--actor", who]
                let err = Pipe()
                p.standardError = err
                p.standardOutput = FileHandle.nullDevice
                return (p, err)
            }
            for (p, _) in procs { try p.run() }
            let errs = procs.map { String(decoding: $0.1.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
            for (p, _) in procs { p.waitUntilExit() }
            let ok = procs.filter { $0.0.terminationStatus == 0 }.count
            #expect(ok == 1, "\(role): \(errs)")
            #expect(errs.filter { $0.contains("\(role) is already signed off by") }.count == 1, "\(errs)")
        }
        #expect(try warroom(["verify", "--state", dir]).status == 0)
    }

    @Test func withoutARunOrChecklistItSaysWhatToGive() throws {
        let dir = tempDir("sign-empty") + "/state"
        let r = try warroom(["sign", "SRE Lead", "--state", dir])
        #expect(r.status != 0)
        #expect(r.err.contains("no run has started here yet — give --checklist FILE"), "\(r.err)")
    }

    @Test func privateByDefault() throws {
        let dir = tempDir("sign-modes") + "/state"
        #expect(try warroom(["check", "T101", "--state", dir, "--checklist", canary]).status == 0)
        #expect(try mode(dir) == 0o700)
        for f in ["journal.jsonl", "head", "append.lock"] { #expect(try mode(dir + "/" + f) == 0o600, "\(f)") }
    }
}

func mode(_ path: String) throws -> Int {
    let a = try FileManager.default.attributesOfItem(atPath: path)
    return (a[.posixPermissions] as? Int ?? -1) | (((a[.type] as? FileAttributeType) == .typeDirectory && isSetgid(path)) ? 0o2000 : 0)
}

private func isSetgid(_ path: String) -> Bool {
    var st = stat()
    return stat(path, &st) == 0 && (st.st_mode & S_ISGID) != 0
}

/// `--group`: two members of one group tick items in a shared state directory; someone outside it cannot even
/// read the journal. Needs root (it makes users and a group, and removes them afterwards).
@Suite(.serialized) struct GroupSharing {
    static let isRoot = getuid() == 0

    @Test(.enabled(if: isRoot, "SKIPPED: needs root to create users and a group (run the tests as root, as CI does)"))
    func membersShareAndOutsidersAreRefused() throws {
        let tag = String(UUID().uuidString.prefix(6)).lowercased()
        let group = "wrg\(tag)", alice = "wra\(tag)", bob = "wrb\(tag)", eve = "wre\(tag)"
        try sh("/usr/sbin/groupadd", group)
        defer {
            for u in [alice, bob, eve] { _ = try? sh("/usr/sbin/userdel", "-r", u) }
            _ = try? sh("/usr/sbin/groupdel", group)
        }
        try sh("/usr/sbin/useradd", "-m", "-G", group, alice)
        try sh("/usr/sbin/useradd", "-m", "-G", group, bob)
        try sh("/usr/sbin/useradd", "-m", eve)

        // A place all three can reach (the test's temp dir may sit under root's private home).
        let base = "/tmp/warroom-group-\(tag)"
        try FileManager.default.createDirectory(atPath: base, withIntermediateDirectories: true, attributes: nil)
        chmod(base, 0o1777) // like /tmp: anyone may make the state directory here
        defer { try? FileManager.default.removeItem(atPath: base) }
        let checklist = base + "/canary.md"
        try FileManager.default.copyItem(atPath: canary, toPath: checklist)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: checklist)
        let state = base + "/state"

        let first = try runAs(alice, ["check", "T102", "--state", state, "--checklist", checklist, "--group", group])
        #expect(first.status == 0, "\(first.out)\(first.err)")
        let second = try runAs(bob, ["check", "T103", "--state", state, "--checklist", checklist])
        #expect(second.status == 0, "\(second.out)\(second.err)")
        let sign = try runAs(bob, ["sign", "SRE Lead", "--state", state])
        #expect(sign.status == 0, "\(sign.out)\(sign.err)")

        #expect(try mode(state) == 0o2770)
        for f in ["journal.jsonl", "head", "append.lock"] { #expect(try mode(state + "/" + f) == 0o660, "\(f)") }
        let copies = try FileManager.default.contentsOfDirectory(atPath: state + "/checklists")
        #expect(try mode(state + "/checklists") == 0o2770)
        for c in copies { #expect(try mode(state + "/checklists/" + c) == 0o660, "\(c)") }
        var st = stat()
        #expect(stat(state + "/journal.jsonl", &st) == 0)
        #expect(getgrgid(st.st_gid).map { String(cString: $0.pointee.gr_name) } == group)

        let status = try runAs(alice, ["status", "--state", state, "--json"])
        #expect(status.status == 0, "\(status.err)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(status.out.utf8)) as? [String: Any])
        let items = try #require(json["items"] as? [[String: Any]])
        let by = Dictionary(items.compactMap { i in (i["id"] as? String).map { ($0, i["actor"] as? String) } }, uniquingKeysWith: { a, _ in a })
        #expect(by["T102"] == .some(alice) && by["T103"] == .some(bob))

        let outsider = try runAs(eve, ["check", "T104", "--state", state, "--checklist", checklist])
        #expect(outsider.status != 0)
        #expect(outsider.err.contains("Permission denied") && outsider.err.contains(state), "\(outsider.err)")
        #expect(outsider.err.contains("is shared with the group \(group)"), "\(outsider.err)")
        let peek = try runAs(eve, ["status", "--state", state])
        #expect(peek.status != 0 && peek.err.contains("Permission denied") && peek.err.contains(state), "not “no run yet”: \(peek.err)")
        let cat = try runAs(eve, [], command: ["/bin/cat", state + "/journal.jsonl"])
        #expect(cat.status != 0, "an outsider read the journal: \(cat.out)")
        #expect(cat.err.contains("Permission denied"), "\(cat.err)")
    }

    @discardableResult
    func sh(_ args: String...) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: args[0])
        p.arguments = Array(args.dropFirst())
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let r = Result(status: p.terminationStatus, out: "", err: String(decoding: e, as: UTF8.self))
        if r.status != 0 { throw GroupTestError(message: "\(args.joined(separator: " ")): \(r.err)") }
        return r
    }

    func runAs(_ user: String, _ args: [String], command: [String]? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/sbin/runuser")
        p.arguments = ["-u", user, "--"] + (command ?? ([warroomBinary] + args))
        var environment = ProcessInfo.processInfo.environment
        environment["WARROOM_NOW"] = "2026-11-23T09:00:00Z"
        environment["USER"] = user
        environment["HOME"] = "/tmp"
        p.environment = environment
        p.currentDirectoryURL = URL(fileURLWithPath: "/tmp")
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, out: String(decoding: o, as: UTF8.self), err: String(decoding: e, as: UTF8.self))
    }
}

struct GroupTestError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
