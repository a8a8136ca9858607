import Foundation
import Testing

@testable import WarRoomTelemetry
import WarRoomCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Helpers

/// A fresh temporary directory (canonical path, no symlinks) for one test.
private func makeTempDir() throws -> String {
    var template = Array("/tmp/warroom-hooks-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
    #expect(made != nil)
    let path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard let real = realpath(path, nil) else { return path }
    defer { free(real) }
    return String(cString: real)
}

/// Writes an executable `/bin/sh` script and returns its path.
@discardableResult
private func writeScript(_ dir: String, _ name: String, _ body: String, mode: Int = 0o755) throws -> String {
    let path = dir + "/" + name
    try FileManager.default.createDirectory(
        atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
    try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    return path
}

private func removeDir(_ dir: String) {
    try? FileManager.default.removeItem(atPath: dir)
}

/// Tests/Fixtures/hooks/<name>
private func fixture(_ name: String) -> String {
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false)
    components.removeLast(2)  // WarRoomTelemetryTests/ProcessRunnerTests.swift
    return components.joined(separator: "/") + "/Fixtures/hooks/" + name
}

/// Running = exists and is not a zombie (an orphaned zombie can wait a while for PID 1 to reap it).
private func isRunning(_ pid: pid_t) -> Bool {
    if kill(pid, 0) != 0 { return errno == EPERM }
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != "Z" && state != "X"
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass.
private func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int64(seconds * 1000))
    while clock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return condition()
}

private final class Box<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: T
    init(_ value: T) { self.value = value }
    func with<R>(_ body: (inout T) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&value)
    }
}

// MARK: - ProcessRunner

@Suite("ProcessRunner")
struct ProcessRunnerTests {
    @Test func successKeepsStdoutAndTail() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "ok", """
            i=1
            while [ $i -le 15 ]; do echo "line $i"; i=$((i+1)); done
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 5_000))
        #expect(outcome.termination == .exited(0))
        #expect(outcome.ok)
        #expect(outcome.summary == "exit 0")
        #expect(outcome.stdout == (1...15).map { "line \($0)\n" }.joined())
        #expect(outcome.tail == (6...15).map { "line \($0)" })
        #expect(outcome.durationMs >= 0 && outcome.durationMs < 5_000)
    }

    @Test func failureReportsExitCodeAndLastLines() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "fail", """
            echo "setting weight"
            echo "error: weight must be 0-100" >&2
            echo "" >&2
            exit 3
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 5_000))
        #expect(outcome.termination == .exited(3))
        #expect(!outcome.ok)
        #expect(outcome.summary == "exit 3")
        #expect(outcome.stdout == "setting weight\n")
        // Empty lines are not tail lines; the two streams arrive on separate pipes, so compare as a set.
        #expect(Set(outcome.tail) == ["setting weight", "error: weight must be 0-100"])
        #expect(outcome.tail.count == 2)
    }

    /// The gaps are wide enough (0.4 s) that both stream readers are scheduled between writes even on a loaded CI
    /// machine; at 0.15 s the order flaked under load.
    @Test func tailInterleavesStreamsInArrivalOrder() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "mixed", """
            echo out-1
            sleep 0.4
            echo err-1 >&2
            sleep 0.4
            echo out-2
            sleep 0.4
            printf 'err-unterminated' >&2
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 5_000))
        #expect(outcome.ok)
        #expect(outcome.tail == ["out-1", "err-1", "out-2", "err-unterminated"])
    }

    @Test func tailLinesAreRepairedSanitisedAndCut() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "messy", """
            printf 'bad \\377\\376 bytes\\n'
            printf '\\033[31mred\\033[0m\\ttabbed\\r\\n'
            printf '%0500d\\n' 7
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 5_000))
        #expect(outcome.ok)
        #expect(outcome.stdout.hasPrefix("bad \u{FFFD}\u{FFFD} bytes\n"))
        #expect(outcome.tail.count == 3)
        #expect(outcome.tail.first == "bad \u{FFFD}\u{FFFD} bytes")
        #expect(outcome.tail.dropFirst().first == "red tabbed")
        let long = try #require(outcome.tail.last)
        #expect(long.count == 200)
        #expect(long.hasSuffix("…"))
    }

    @Test func signalIsReported() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "die", """
            echo "about to die"
            kill -9 $$
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 5_000))
        #expect(outcome.termination == .signalled(9))
        #expect(!outcome.ok)
        #expect(outcome.summary == "killed by signal 9 (SIGKILL)")
        #expect(outcome.tail == ["about to die"])
    }

    @Test func timeoutKillsTheWholeProcessGroup() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let pidFile = dir + "/sleep.pid"
        let script = try writeScript(dir, "hang", """
            sleep 30 &
            echo $! > "$1"
            echo "waiting for the rollout"
            wait
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script, pidFile], timeoutMs: 500))
        #expect(outcome.termination == .timedOut)
        #expect(!outcome.ok)
        #expect(outcome.summary == "timed out after 0.5 s")
        #expect(outcome.durationMs >= 500)
        #expect(outcome.durationMs < 1_500)  // SIGTERM was enough: no 2 s grace spent
        #expect(outcome.tail == ["waiting for the rollout"])
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(pid > 1)
        // The grandchild (the sleep) must be dead too, not left holding the rollout.
        #expect(await waitUntil(seconds: 2) { !isRunning(pid) })
    }

    @Test func timeoutEscalatesToSIGKILLWhenTERMIsIgnored() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let pidFile = dir + "/sleep.pid"
        // The ignored disposition is inherited by the sleep as well.
        let script = try writeScript(dir, "stubborn", """
            trap '' TERM
            sleep 30 &
            echo $! > "$1"
            while :; do wait; done
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script, pidFile], timeoutMs: 300))
        #expect(outcome.termination == .timedOut)
        #expect(outcome.summary == "timed out after 0.3 s")
        #expect(outcome.durationMs >= 300 + ProcessRunner.killGraceMs)
        #expect(outcome.durationMs < 300 + ProcessRunner.killGraceMs + 1_500)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await waitUntil(seconds: 2) { !isRunning(pid) })
    }

    @Test func cancellingTheTaskKillsTheWholeGroup() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let pidFile = dir + "/sleep.pid"
        // The leader dies on SIGTERM, but its grandchild ignores it: only a group SIGKILL ends it.
        let script = try writeScript(dir, "cancelme", """
            (trap '' TERM; exec sleep 30) &
            echo $! > "$1"
            wait
            """)
        let task = Task { await ProcessRunner.run(ProcessSpec(argv: [script, pidFile], timeoutMs: 20_000)) }
        #expect(await waitUntil(seconds: 3) {
            ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").hasSuffix("\n")
        })
        task.cancel()
        let outcome = await task.value
        #expect(outcome.termination == .signalled(SIGTERM))
        #expect(outcome.durationMs < 5_000)
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        let pid = try #require(pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(await waitUntil(seconds: 1) { !isRunning(pid) })
    }

    @Test func backgroundChildHoldingThePipesDoesNotHangTheRun() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let pidFile = dir + "/daemon.pid"
        // The sleep inherits stdout and stderr and keeps them open after the hook exits.
        let script = try writeScript(dir, "daemonize", """
            sleep 30 &
            echo $! > "$1"
            echo "started port-forward"
            exit 0
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script, pidFile], timeoutMs: 5_000))
        let text = try String(contentsOfFile: pidFile, encoding: .utf8)
        if let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1 {
            kill(pid, SIGKILL)  // clean up: a normal exit does not kill what the hook left behind
        }
        #expect(outcome.termination == .exited(0))
        #expect(outcome.durationMs < 2_000)
        #expect(outcome.stdout == "started port-forward\n")
    }

    @Test func missingOrUnrunnableProgramFailsToStart() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }

        let missing = await ProcessRunner.run(
            ProcessSpec(argv: ["./scripts/set-weight", "25"], workingDirectory: dir, timeoutMs: 5_000))
        #expect(missing.termination == .failedToStart("./scripts/set-weight: No such file or directory"))
        #expect(missing.summary == "cannot run ./scripts/set-weight: No such file or directory")
        #expect(!missing.ok)

        let notInPath = await ProcessRunner.run(
            ProcessSpec(argv: ["warroom-no-such-program-7f3a"], timeoutMs: 5_000))
        guard case .failedToStart(let reason) = notInPath.termination else {
            Issue.record("expected failedToStart, got \(notInPath.termination)")
            return
        }
        #expect(reason.hasPrefix("warroom-no-such-program-7f3a: No such file or directory"))

        try writeScript(dir, "not-executable", "echo hi", mode: 0o644)
        let notExecutable = await ProcessRunner.run(
            ProcessSpec(argv: ["./not-executable"], workingDirectory: dir, timeoutMs: 5_000))
        // (Even root fails access(X_OK) when no execute bit is set at all.)
        #expect(notExecutable.termination == .failedToStart("./not-executable: Permission denied"))

        let directory = await ProcessRunner.run(ProcessSpec(argv: [dir], timeoutMs: 5_000))
        #expect(directory.termination == .failedToStart("\(dir): Is a directory"))

        let empty = await ProcessRunner.run(ProcessSpec(argv: [], timeoutMs: 5_000))
        guard case .failedToStart = empty.termination else {
            Issue.record("expected failedToStart for an empty argv, got \(empty.termination)")
            return
        }

        let badDirectory = await ProcessRunner.run(
            ProcessSpec(argv: ["/bin/true"], workingDirectory: dir + "/nope", timeoutMs: 5_000))
        #expect(badDirectory.termination == .failedToStart("/bin/true: working directory: No such file or directory"))
    }

    @Test func environmentIsPassed() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "env", """
            printf '%s|%s|%s|%s' "$WARROOM_PERCENT" "$WARROOM_SERVICE" "$EXTRA" "${PATH:+inherited}"
            """)
        var env = HookTemplate.environment(values: ["percent": "25", "service": "checkout"])
        env["EXTRA"] = "x y $(id)"
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], environment: env, timeoutMs: 5_000))
        #expect(outcome.ok)
        #expect(outcome.stdout == "25|checkout|x y $(id)|inherited")
    }

    @Test func workingDirectoryAndRelativeProgram() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        try writeScript(dir, "scripts/where", "pwd -P")
        let outcome = await ProcessRunner.run(
            ProcessSpec(argv: ["./scripts/where"], workingDirectory: dir, timeoutMs: 5_000))
        #expect(outcome.termination == .exited(0))
        #expect(outcome.stdout == dir + "\n")
    }

    @Test func childHasDevNullStdinAndItsOwnSessionAndGroup() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let script = try writeScript(dir, "whoami", """
            readlink /proc/self/fd/0
            read -r pid comm state ppid pgrp sid rest < /proc/$$/stat
            echo "$$ $pgrp $sid"
            if (exec 3</dev/tty) 2>/dev/null; then echo tty; else echo no-tty; fi
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 5_000))
        #expect(outcome.ok)
        let lines = outcome.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3)
        #expect(lines.first == "/dev/null")
        let ids = lines.dropFirst().first?.split(separator: " ").map(String.init) ?? []
        #expect(ids.count == 3 && ids[0] == ids[1] && ids[1] == ids[2])  // pid == pgid == sid
        #expect(lines.last == "no-tty")
    }

    @Test func hugeOutputIsCappedWithoutDeadlock() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        // 1 MB to stderr first: a runner that read only stdout would block the child forever.
        let script = try writeScript(dir, "flood", """
            yes "stderr noise" | head -n 80000 >&2
            yes "0123456789abcdef" | head -n 470000
            echo "last stdout line"
            echo "last stderr line" >&2
            """)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: [script], timeoutMs: 8_000))
        #expect(outcome.termination == .exited(0))
        #expect(outcome.stdout.utf8.count <= ProcessRunner.stdoutCap + 100)
        #expect(outcome.stdout.hasPrefix("0123456789abcdef\n0123456789abcdef\n"))
        #expect(outcome.stdout.hasSuffix("\n… (truncated, 7990017 bytes total)"))
        #expect(outcome.tail.count == 10)
        // Each stream's last line is kept (their relative order depends on which pipe was read first).
        #expect(outcome.tail.contains("last stdout line"))
        #expect(outcome.tail.contains("last stderr line"))
        #expect(outcome.tail.allSatisfy { $0 == "0123456789abcdef" || $0 == "stderr noise" || $0.hasPrefix("last ") })
    }

    @Test func literalArgumentsAreNeverShellInterpreted() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let out = dir + "/args.out"
        let marker1 = dir + "/marker-semicolon"
        let marker2 = dir + "/marker-subst"
        let marker3 = dir + "/marker-backtick"
        let values = [
            "percent": "; touch \(marker1)",
            "service": "$(touch \(marker2))",
            "actor": "`touch \(marker3)` a b *",
        ]
        let template = [
            fixture("record-args"), out, "{percent}", "--w={percent}", "{service}", "{unknown}",
            "{actor}", "a b", "*", "", "line1\nline2", "'q' \"dq\" \\", "ünï ☃",
        ]
        let argv = HookTemplate.expand(template, values: values)
        let outcome = await ProcessRunner.run(ProcessSpec(argv: argv, workingDirectory: dir, timeoutMs: 5_000))
        #expect(outcome.termination == .exited(0), "\(outcome.summary) \(outcome.tail)")

        let expected = [
            "; touch \(marker1)", "--w={percent}", "$(touch \(marker2))", "{unknown}",
            "`touch \(marker3)` a b *", "a b", "*", "", "line1\nline2", "'q' \"dq\" \\", "ünï ☃",
        ]
        let recorded = try Data(contentsOf: URL(fileURLWithPath: out))
        let expectedBytes = Data(expected.flatMap { Array($0.utf8) + [0] })
        #expect(recorded == expectedBytes)
        for marker in [marker1, marker2, marker3] {
            #expect(!FileManager.default.fileExists(atPath: marker), "\(marker) was created")
        }
    }

    @Test func startReturnsImmediatelyAndEveryHookCompletesOnce() async throws {
        let dir = try makeTempDir()
        defer { removeDir(dir) }
        let slow = try writeScript(dir, "slow", "sleep 1; echo slow-done")
        let quick = try writeScript(dir, "quick", "sleep 0.2; echo \"quick $1\"")
        let results = Box<[Int: [ProcessOutcome]]>([:])
        let clock = ContinuousClock()

        var startCosts: [Duration] = []
        var before = clock.now
        ProcessRunner.start(ProcessSpec(argv: [slow], timeoutMs: 5_000)) { outcome in
            results.with { $0[-1, default: []].append(outcome) }
        }
        startCosts.append(clock.now - before)
        for index in 0..<5 {
            before = clock.now
            ProcessRunner.start(ProcessSpec(argv: [quick, "\(index)"], timeoutMs: 5_000)) { outcome in
                results.with { $0[index, default: []].append(outcome) }
            }
            startCosts.append(clock.now - before)
        }
        for cost in startCosts {
            #expect(cost < .milliseconds(50))
        }

        // All five quick hooks finish while the slow one is still running: they ran concurrently.
        #expect(await waitUntil(seconds: 3) { results.with { r in (0..<5).allSatisfy { r[$0] != nil } } })
        #expect(results.with { $0[-1] == nil })
        #expect(await waitUntil(seconds: 3) { results.with { $0[-1] != nil } })

        let final = results.with { $0 }
        for index in 0..<5 {
            #expect(final[index]?.count == 1)
            #expect(final[index]?.first?.ok == true)
            #expect(final[index]?.first?.stdout == "quick \(index)\n")
        }
        #expect(final[-1]?.count == 1)
        #expect(final[-1]?.first?.stdout == "slow-done\n")
        #expect((final[-1]?.first?.durationMs ?? 0) >= 1_000)
    }

    @Test func tailAlwaysKeepsEachStreamsLastLine() {
        let collector = ProcessOutputCollector()
        func add(_ stream: ProcessOutputCollector.Stream, _ text: String) {
            Array(text.utf8).withUnsafeBytes { collector.add(stream, $0) }
        }
        add(.stderr, "error: canary rejected\n")
        // A lagging stdout reader delivers 20 older lines after it.
        add(.stdout, (1...20).map { "progress \($0)\n" }.joined())
        let tail = collector.finish().tail
        #expect(tail == ["error: canary rejected"] + (12...20).map { "progress \($0)" })
    }

    @Test func summaryFormats() {
        func outcome(_ t: ProcessOutcome.Termination, timeoutMs: Int64 = 60_000) -> ProcessOutcome {
            ProcessOutcome(termination: t, durationMs: 1, stdout: "", tail: [], timeoutMs: timeoutMs)
        }
        #expect(outcome(.exited(0)).summary == "exit 0")
        #expect(outcome(.exited(0)).ok)
        #expect(outcome(.exited(3)).summary == "exit 3")
        #expect(!outcome(.exited(3)).ok)
        #expect(outcome(.signalled(15)).summary == "killed by signal 15 (SIGTERM)")
        #expect(outcome(.signalled(64)).summary == "killed by signal 64")
        #expect(outcome(.timedOut).summary == "timed out after 60 s")
        #expect(outcome(.timedOut, timeoutMs: 1_500).summary == "timed out after 1.5 s")
        #expect(!outcome(.timedOut).ok)
        #expect(outcome(.failedToStart("./x: No such file or directory")).summary
            == "cannot run ./x: No such file or directory")
    }
}

// MARK: - HookTemplate

extension ProcessRunnerTests {
    @Suite("HookTemplate")
    struct HookTemplateTests {
        @Test func placeholdersAreTheDocumentedFive() {
            #expect(HookTemplate.placeholders == ["percent", "previous", "step", "service", "actor"])
        }

        @Test func expandSubstitutesWholeArgumentsOnly() {
            let values = [
                "percent": "25", "previous": "10", "step": "2", "service": "checkout api", "actor": "ana; rm -rf /",
            ]
            let argv = [
                "./set-weight", "{percent}", "--w={percent}", "{previous}", "{step}", "{service}", "{actor}",
                "{unknown}", "{PERCENT}", " {percent}", "{percent}{percent}", "{}", "{",
            ]
            #expect(HookTemplate.expand(argv, values: values) == [
                "./set-weight", "25", "--w={percent}", "10", "2", "checkout api", "ana; rm -rf /",
                "{unknown}", "{PERCENT}", " {percent}", "{percent}{percent}", "{}", "{",
            ])
        }

        @Test func expandNeverChangesTheArgumentCount() {
            let argv = ["x", "{percent}", "{actor}"]
            #expect(HookTemplate.expand(argv, values: ["percent": "a b c"]) == ["x", "a b c", ""])
            #expect(HookTemplate.expand(argv, values: [:]).count == 3)
        }

        @Test func embeddedPlaceholdersFindsPartialUse() {
            let argv = [
                "./hook", "{percent}", "--w={percent}", "{service}-canary", "{unknown}", "--x={unknown}",
                "{step}/{previous}", "plain",
            ]
            #expect(HookTemplate.embeddedPlaceholders(argv) == ["--w={percent}", "{service}-canary", "{step}/{previous}"])
            #expect(HookTemplate.embeddedPlaceholders(["a", "{actor}"]).isEmpty)
        }

        @Test func environmentUsesUpperCasedKeys() {
            let env = HookTemplate.environment(values: [
                "percent": "25", "previous": "10", "step": "2", "service": "checkout", "actor": "ana",
                "run-id": "r1",
            ])
            #expect(env == [
                "WARROOM_PERCENT": "25", "WARROOM_PREVIOUS": "10", "WARROOM_STEP": "2",
                "WARROOM_SERVICE": "checkout", "WARROOM_ACTOR": "ana", "WARROOM_RUN_ID": "r1",
            ])
            #expect(HookTemplate.environment(values: [:]).isEmpty)
        }
    }
}
