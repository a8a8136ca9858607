import Foundation
import Testing

@testable import WarRoomTelemetry

#if canImport(Glibc)
import Glibc
#endif

/// What a hook leaves running after it ends — a background job, or a process that escaped its process group with
/// `setsid` (the group kill never reaches it) — is found by the tag in its environment, ended, and reported by pid.
@Suite("Left-behind processes")
struct LeftBehindTests {
    private func script(_ body: String) throws -> (dir: String, path: String) {
        let dir = NSTemporaryDirectory() + "warroom-left-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/hook"
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        return (dir, path)
    }

    private func pid(_ file: String) -> pid_t? {
        (try? String(contentsOfFile: file, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    private func running(_ pid: pid_t) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        return stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first != "Z"
    }

    @Test func aSetsidEscapeIsEndedAndReportedByPid() async throws {
        let (dir, hook) = try script("""
            setsid sleep 30 &
            echo $! > "$1"
            until [ "$(cat /proc/$!/comm)" = sleep ]; do :; done
            echo "weight set"
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [hook, dir + "/pid"], timeoutMs: 10_000, endLeftBehind: true))
        let escaped = try #require(pid(dir + "/pid"))
        defer { kill(escaped, SIGKILL) }
        #expect(outcome.termination == .exited(0))
        #expect(outcome.leftBehind.map(\.pid) == [escaped])
        #expect(outcome.leftBehind.first?.escapedGroup == true)
        #expect(outcome.leftBehind.first?.name == "sleep")
        #expect(outcome.summary == "exit 0; left pid \(escaped) (sleep) outside its process group running after it ended: ended")
        #expect(!running(escaped), "ended by the runner")
    }

    @Test func aBackgroundJobInTheGroupIsEndedToo() async throws {
        let (dir, hook) = try script("""
            sleep 30 &
            echo $! > "$1"
            until [ "$(cat /proc/$!/comm)" = sleep ]; do :; done
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [hook, dir + "/pid"], timeoutMs: 10_000, endLeftBehind: true))
        let job = try #require(pid(dir + "/pid"))
        defer { kill(job, SIGKILL) }
        #expect(outcome.leftBehind.map(\.pid) == [job])
        #expect(outcome.leftBehind.first?.escapedGroup == false)
        #expect(!running(job))
    }

    @Test func quittingWhileTheHookRunsEndsTheEscapedProcessAsWellAsTheGroup() async throws {
        // The escaped process ignores TERM (ignored signals stay ignored across exec): it takes the KILL.
        let (dir, hook) = try script("""
            setsid sh -c 'trap "" TERM; exec sleep 30' &
            echo $! > "$1"
            sleep 30
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let task = Task { await ProcessRunner.run(ProcessSpec(argv: [hook, dir + "/pid"], timeoutMs: 60_000, endLeftBehind: true)) }
        let deadline = Date().addingTimeInterval(20)
        while pid(dir + "/pid") == nil, Date() < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let escaped = try #require(pid(dir + "/pid"))
        defer { kill(escaped, SIGKILL) }
        // Wait for the exec, so the tag is read from the sleep itself.
        while (try? String(contentsOfFile: "/proc/\(escaped)/comm", encoding: .utf8)) != "sleep\n", Date() < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        task.cancel()
        let outcome = await task.value
        #expect(outcome.termination == .signalled(SIGTERM))
        #expect(outcome.leftBehind == [LeftBehindProcess(pid: escaped, name: "sleep", escapedGroup: true, killed: true)])
        #expect(outcome.summary.contains("left pid \(escaped) (sleep) outside its process group, killed"))
        #expect(!running(escaped))
    }

    @Test func untrackedRunsLeaveTheirProcessesAlone() async throws {
        let (dir, hook) = try script("""
            setsid sleep 30 &
            echo $! > "$1"
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [hook, dir + "/pid"], timeoutMs: 10_000))
        let escaped = try #require(pid(dir + "/pid"))
        defer { kill(escaped, SIGKILL) }
        #expect(outcome.leftBehind.isEmpty)
        #expect(running(escaped), "only hooks are tracked: a command source's run is not")
    }
}
