#!/usr/bin/env python3
"""The console against htop, side by side in one tmux harness (run via `scripts/bench console`).

Prints, for warroom (on a 10,000-item checklist) and htop (default settings):
  launch -> full first screen, idle CPU over 60 s, bytes written to the terminal per second while idle
  (tmux pipe-pane), resize -> correct redraw, RSS.
Standard library only. Uses its own tmux socket; touches nothing else.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

WARROOM = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".build/release/warroom")
SOCKET = f"warroom-bench-{os.getpid()}"
IDLE_SECONDS = int(os.environ.get("IDLE_SECONDS", "60"))
TICK = os.sysconf("SC_CLK_TCK")


def tmux(*args, check=True):
    r = subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError(f"tmux {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def capture(name):
    return tmux("capture-pane", "-p", "-t", name, check=False)


def wait_for(name, predicate, timeout=20.0, poll=0.002):
    # Each poll spawns a tmux client: on 2 cores, polling too fast slows the program being measured.
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate(capture(name)):
            return time.monotonic() - start
        time.sleep(poll)
    raise RuntimeError(f"{name}: timed out; screen:\n{capture(name)}")


def start(name, command, w=120, h=40):
    t = time.monotonic()
    tmux("new-session", "-d", "-s", name, "-x", str(w), "-y", str(h), "exec " + command)
    return t


def pane_pid(name):
    return int(tmux("display", "-p", "-t", name, "#{pane_pid}").strip())


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class OutputClock:
    """Time-stamps what a program writes to its terminal (tmux pipe-pane into a FIFO), to sub-millisecond."""

    def __init__(self, name, tmp):
        self.fifo = os.path.join(tmp, f"{name}.fifo")
        os.mkfifo(self.fifo)
        self.chunks = []
        tmux("pipe-pane", "-o", "-t", name, f"cat > {self.fifo}")
        self.fd = os.open(self.fifo, os.O_RDONLY)
        threading.Thread(target=self.read, daemon=True).start()

    def read(self):
        while True:
            data = os.read(self.fd, 65536)
            if not data:
                return
            self.chunks.append((time.monotonic(), len(data)))

    def burst_end(self, since, gap=0.02, window=0.5):
        """End of the first burst of output after `since` (a burst ends at a 20 ms silence)."""
        times = [t for t, _ in self.chunks if since <= t <= since + window]
        if not times:
            return None
        end = times[0]
        for t in times[1:]:
            if t - end > gap:
                break
            end = t
        return end


def big_checklist(path, items=10_000):
    lines = ["# Synthetic go-live", ""]
    n = 0
    phase = 0
    while n < items:
        phase += 1
        lines.append(f"## Phase {phase} (T-{phase * 10} min)")
        for group in range(4):
            lines.append(f"### Group {phase}.{group}")
            for i in range(25):
                if n >= items:
                    break
                if i % 5 == 0:
                    lines.append(f"- [ ] T{100000 + n} [P] **Check {n}:** verify service {i} in group {group} responds")
                elif i % 5 == 1:
                    lines.append(f"  - [x] T{100000 + n}a sub-step for item {n - 1}")
                else:
                    lines.append(f"- [ ] Verify component {n} is healthy after the phase {phase} rollout")
                n += 1
            lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def warroom_full(s):
    return "CHECKLIST" in s and "DRIVING" in s and "q quit" in s and "CONTACTS" in s


def warroom_compact(s):
    rows = s.split("\n")
    return "CHECKLIST" in s and "CONTACTS" not in s and any("RAMP" in r and "SLO" in r and "ROLLBACK" in r for r in rows)


def htop_full(s):
    rows = [r for r in s.split("\n") if r.strip()]
    return "Load average" in s and rows and "F10Quit" in rows[-1]


def redrawn(s, w, h, footer):
    """The program has drawn a frame for exactly w x h: its footer on the last row, a row exactly w wide.
    (tmux's reflow of the old screen leaves stale rows that a looser check would accept.)"""
    rows = s.split("\n")
    if len(rows) < h or footer not in rows[h - 1]:
        return False
    return any(len(r.rstrip()) == w for r in rows[:h]) and all(len(r) <= w for r in rows[:h])


def main():
    tmp = tempfile.mkdtemp(prefix="warroom-bench-")
    checklist = os.path.join(tmp, "big.md")
    big_checklist(checklist)
    tmux("-f", "/dev/null", "start-server", check=False)
    tmux("new-session", "-d", "-s", "keepalive", "sleep 100000")
    tmux("set-option", "-g", "status", "off")
    tmux("set-option", "-g", "default-terminal", "tmux-256color")
    env = "env LANG=C.UTF-8 USER=bench "
    results = {}
    try:
        # 1. Launch -> full first screen (5 runs each, median).
        for name, cmd, ready in [
            ("warroom", f"{env}{WARROOM} run --checklist {checklist} --state {tmp}/state-%d", warroom_full),
            ("htop", f"{env}htop", htop_full),
        ]:
            times = []
            for i in range(5):
                session = f"{name}-launch-{i}"
                t = start(session, cmd.replace("%d", str(i)))
                wait_for(session, ready, poll=0.010)
                times.append((time.monotonic() - t) * 1000)
                tmux("kill-session", "-t", session)
                time.sleep(0.2)
            results.setdefault(name, {})["launch_ms"] = statistics.median(times)

        # The harness itself: tmux start-up plus capture polling, for a program that prints one word at once.
        times = []
        for i in range(5):
            session = f"baseline-{i}"
            t = start(session, "sh -c 'echo READY; sleep 1000'")
            wait_for(session, lambda s: "READY" in s, poll=0.010)
            times.append((time.monotonic() - t) * 1000)
            tmux("kill-session", "-t", session)
        baseline = statistics.median(times)
        inside = []
        for i in range(5):
            try:
                with open(f"{tmp}/state-{i}/warroom.log") as f:
                    for line in f:
                        if "first screen drawn" in line:
                            inside.append(float(line.split("drawn ")[1].split(" ms")[0]))
            except OSError:
                pass

        # 2-3. Idle CPU and bytes written per second, both running at once.
        for name, cmd, ready in [
            ("warroom", f"{env}{WARROOM} run --checklist {checklist} --state {tmp}/state-idle", warroom_full),
            ("htop", f"{env}htop", htop_full),
        ]:
            start(name, cmd)
            wait_for(name, ready)
        time.sleep(2)
        pids = {n: pane_pid(n) for n in ("warroom", "htop")}
        logs = {n: os.path.join(tmp, f"{n}.bytes") for n in pids}
        for n in pids:
            open(logs[n], "w").close()
            tmux("pipe-pane", "-o", "-t", n, f"cat >> {logs[n]}")
        before = {n: cpu_ticks(p) for n, p in pids.items()}
        t0 = time.monotonic()
        time.sleep(IDLE_SECONDS)
        elapsed = time.monotonic() - t0
        for n, p in pids.items():
            tmux("pipe-pane", "-t", n)
            results[n]["cpu_pct"] = (cpu_ticks(p) - before[n]) / TICK / elapsed * 100
            results[n]["bytes_per_s"] = os.path.getsize(logs[n]) / elapsed
            results[n]["rss_mib"] = rss_kib(p) / 1024

        # 4. Resize -> correct redraw (120x40 -> 80x24 and back, 5 times each way).
        for n, small, large, footer in [("warroom", warroom_compact, warroom_full, "j/k move"),
                                        ("htop", htop_full, htop_full, "F10Quit")]:
            times = []
            for i in range(10):
                for (w, h, ok) in [(80, 24, small), (120, 40, large)]:
                    t = time.monotonic()
                    tmux("resize-window", "-t", n, "-x", str(w), "-y", str(h))
                    wait_for(n, lambda s: ok(s) and redrawn(s, w, h, footer))
                    times.append((time.monotonic() - t) * 1000)
                    time.sleep(0.3)
            results[n]["resize_ms"] = statistics.median(times)

        # 4b. Resize measured by the program's own output: resize command -> end of its redraw burst.
        for n in ("warroom", "htop"):
            clock = OutputClock(n, tmp)
            time.sleep(0.5)
            times = []
            for i in range(10):
                for (w, h) in [(80, 24), (120, 40)]:
                    time.sleep(0.3)
                    t = time.monotonic()
                    tmux("resize-window", "-t", n, "-x", str(w), "-y", str(h))
                    time.sleep(0.5)
                    end = clock.burst_end(t)
                    if end is not None:
                        times.append((end - t) * 1000)
            tmux("pipe-pane", "-t", n)
            results[n]["resize_out_ms"] = statistics.median(times) if times else float("nan")
    finally:
        tmux("kill-server", check=False)

    w, h = results["warroom"], results["htop"]
    print(f"console vs htop, same tmux harness, 120x40, idle window {IDLE_SECONDS} s (warroom on a 10,000-item checklist)")
    print(f"{'':34}{'warroom':>14}{'htop':>14}   goal")
    rows = [
        ("launch -> full first screen", "launch_ms", "{:.0f} ms", "warroom <= 50 ms"),
        ("idle CPU", "cpu_pct", "{:.2f} %", "warroom <= htop"),
        ("bytes to terminal while idle", "bytes_per_s", "{:.0f} B/s", "warroom <= htop"),
        ("resize -> correct redraw (screen)", "resize_ms", "{:.0f} ms", "warroom <= htop"),
        ("resize -> redraw written (output)", "resize_out_ms", "{:.2f} ms", "warroom <= htop"),
        ("RSS", "rss_mib", "{:.1f} MiB", ""),
    ]
    for label, key, fmt, goal in rows:
        print(f"{label:34}{fmt.format(w[key]):>14}{fmt.format(h[key]):>14}   {goal}")
    print(f"{'tmux harness alone (echo READY)':34}{baseline:>11.0f} ms")
    if inside:
        print(f"{'warroom: start -> first frame drawn':34}{statistics.median(inside):>11.1f} ms   (its own log; main() to doupdate)")
    try:
        with open(f"{tmp}/state-idle/warroom.log") as f:
            inner = [float(l.split("redrawn ")[1].split(" ms")[0]) for l in f if "redrawn" in l]
        if inner:
            print(f"{'warroom: resize wake -> doupdate':34}{statistics.median(inner):>11.2f} ms   (its own log)")
    except OSError:
        pass
    print("(launch and resize include tmux's own start-up and capture polling, the same for both)")


if __name__ == "__main__":
    main()
