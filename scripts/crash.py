#!/usr/bin/env python3
"""Crash harness: random kill -9s across `warroom check` writers and driver consoles on one state directory.

Every round starts something that appends — a burst of `check` processes, or a driver console (in tmux) that ramps,
ticks items and trips a criterion — and kills some of them with SIGKILL at a random moment of their life. A console
killed while it held the driver lease is taken over by the next one (`--take-over`, after the lease expires: the
harness runs with a 1 s lease). At the end:

  acknowledged  checks that exited 0 and printed their journal seq: each must be in the journal at that seq
  lost          acknowledged checks missing from the journal (must be 0)
  unverifiable  `warroom verify` failures, and writers refused for damage (must be 0)

Usage: scripts/crash.py [--kills N] [--seed S] [--binary PATH]   (scripts/crash builds the binary first)
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, **kw)


class Harness:
    def __init__(self, binary, seed):
        self.bin = binary
        self.rng = random.Random(seed)
        self.dir = tempfile.mkdtemp(prefix="warroom-crash-")
        self.state = os.path.join(self.dir, "state")
        shutil.copy(os.path.join(ROOT, "checklists", "canary-go-live.md"), os.path.join(self.dir, "checklist.md"))
        hook = os.path.join(self.dir, "set-weight")
        with open(hook, "w") as f:
            f.write("#!/bin/sh\nprintf '%s' \"$1\" > weight\necho \"weight $1\"\n")
        os.chmod(hook, 0o755)
        self.config = os.path.join(self.dir, "warroom.yaml")
        with open(self.config, "w") as f:
            f.write("service: crash-test\nchecklist: checklist.md\nramp:\n"
                    "  steps: [{percent: 10, hold: 1s}, {percent: 50, hold: 1s}, {percent: 100, hold: 1s}]\n"
                    "  apply: [\"./set-weight\", \"{percent}\"]\n  rollback: [\"./set-weight\", \"0\"]\n  timeout: 10s\n"
                    "rollback:\n  - {name: Security incident, manual: true}\n")
        self.env = dict(os.environ, WARROOM_LEASE_TTL_MS="1000", USER="crash", SUDO_USER="crash")
        self.items = ["T102", "T103", "T104", "T105", "T106", "T107", "T108", "T110", "T111", "T112"]
        self.acked = []          # (note, seq)
        self.kills = {"check": 0, "console": 0}
        self.refused = []        # writers that refused the state directory (damage)
        self.note_counter = 0
        self.lifetime = self.measure()

    def measure(self):
        start = time.monotonic()
        r = run([self.bin, "check", "T100", "--checklist", os.path.join(self.dir, "checklist.md"), "--state", self.state,
                 "--note", "start"], env=self.env)
        if r.returncode != 0:
            sys.exit(f"crash: the first check failed: {r.stderr}")
        return max(0.005, time.monotonic() - start)

    def check_burst(self):
        procs = []
        for _ in range(4):
            self.note_counter += 1
            note = f"n{self.note_counter}"
            item = self.rng.choice(self.items)
            p = subprocess.Popen([self.bin, "check", item, "--checklist", os.path.join(self.dir, "checklist.md"),
                                  "--state", self.state, "--note", note],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env)
            procs.append((note, p))
        time.sleep(self.rng.uniform(0.3, 1.8) * self.lifetime)
        for note, p in self.rng.sample(procs, self.rng.randint(1, 3)):
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                self.kills["check"] += 1
        for note, p in procs:
            out, err = p.communicate()
            if p.returncode == 0:
                m = re.search(r"journal seq (\d+)\)", out)
                if m:
                    self.acked.append((note, int(m.group(1))))
            elif p.returncode > 0:
                self.refused.append(f"check {note}: {err.strip()}")

    def tmux(self, *args):
        return run(["tmux", *args])

    def console(self):
        session = f"crash{os.getpid()}{self.rng.randint(0, 1 << 30)}"
        pidfile = os.path.join(self.dir, "console.pid")
        if os.path.exists(pidfile):
            os.remove(pidfile)
        # A killed driver's lease expires 1 s after its last heartbeat: the next console takes over with a reason.
        command = (f"echo $$ > {pidfile}; exec {self.bin} run {self.config} --state {self.state} --actor crash "
                   f"--take-over 'crash harness: the last console was killed'")
        self.tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40",
                  f"env WARROOM_LEASE_TTL_MS=1000 sh -c \"{command}\"")
        try:
            deadline = time.monotonic() + 8
            screen = ""
            while time.monotonic() < deadline:
                screen = self.tmux("capture-pane", "-p", "-t", session).stdout
                if "DRIVING" in screen or "refused" in screen or "damage" in screen.lower():
                    break
                time.sleep(0.05)
            if "DRIVING" not in screen:
                # Still within the killed driver's lease (refused until it expires): not a failure, try again later.
                if "journal" in screen.lower() and ("damage" in screen.lower() or "verify" in screen.lower()):
                    self.refused.append("console: " + screen.strip()[-300:])
                return
            pid = int(open(pidfile).read().strip())
            for key in self.rng.sample(["g", "Escape", "j", "j", "Space", "x", "n", "Escape", "g", "Space"], 6):
                self.tmux("send-keys", "-t", session, key)
                time.sleep(self.rng.uniform(0, 0.15))
            os.kill(pid, signal.SIGKILL)
            self.kills["console"] += 1
        finally:
            self.tmux("kill-session", "-t", session)

    def report(self):
        v = run([self.bin, "verify", "--state", self.state])
        unverifiable = (0 if v.returncode == 0 else 1) + len(self.refused)
        lines = {}
        with open(os.path.join(self.state, "journal.jsonl")) as f:
            for line in f:
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                note = (e.get("payload") or {}).get("note")
                if note:
                    lines[e["seq"]] = note
        lost = [(n, s) for n, s in self.acked if lines.get(s) != n]
        total = sum(self.kills.values())
        print(f"crash: {total} kill -9s ({self.kills['check']} check, {self.kills['console']} console) in {self.dir}")
        print(f"crash: acknowledged {len(self.acked)}, lost {len(lost)}, unverifiable {unverifiable}")
        if v.returncode != 0:
            print("crash: verify: " + v.stderr.strip())
        for r in self.refused[:5]:
            print("crash: refused: " + r)
        for n, s in lost[:5]:
            print(f"crash: lost: {n} acknowledged at seq {s}, journal has {lines.get(s)!r}")
        return not lost and unverifiable == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kills", type=int, default=500)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--binary", default=os.path.join(ROOT, ".build", "debug", "warroom"))
    ap.add_argument("--consoles", type=float, default=0.15, help="share of rounds that kill a console (needs tmux)")
    a = ap.parse_args()
    h = Harness(a.binary, a.seed)
    print(f"crash: seed {a.seed}, one check lives {h.lifetime * 1000:.0f} ms")
    have_tmux = shutil.which("tmux") is not None
    while sum(h.kills.values()) < a.kills:
        if have_tmux and h.rng.random() < a.consoles:
            h.console()
        else:
            h.check_burst()
    ok = h.report()
    if os.environ.get("CRASH_KEEP"):
        print(f"crash: kept {h.dir}")
    elif ok:
        shutil.rmtree(h.dir, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
