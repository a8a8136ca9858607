#!/usr/bin/env python3
"""Telemetry load: the console polling 10 and 100 sources every second, one of them hung (run via `scripts/bench sources`).

Serves a Prometheus-compatible /api/v1/query on 127.0.0.1 (standard library), plus a "hung" server that accepts
connections and never answers. For each case it runs `warroom run CONFIG` in tmux and prints:
  idle CPU over IDLE_SECONDS (utime+stime from /proc), and key -> first output byte latency (tmux pipe-pane),
beside htop at a 1 s refresh (`htop -d 10`) in the same harness.
Goals (issue 5): idle CPU with 10 sources <= htop's at 1 s; key latency unchanged by the hung source.

SOURCES_SCHEME=https serves both over TLS (a self-signed certificate made with the openssl command, trusted by warroom
through WARROOM_TLS_CA_FILE); the hung server then completes the handshake and never answers.
SOURCES_CASES picks cases (default "10,10h,100,100h"; "h" = one hung source); SOURCES_HTOP=0 skips htop.
"""
import importlib.util
import json
import os
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
spec = importlib.util.spec_from_file_location("bench_console", os.path.join(HERE, "bench-console.py"))
bc = importlib.util.module_from_spec(spec)
sys.argv = sys.argv[:2]
spec.loader.exec_module(bc)

IDLE = int(os.environ.get("IDLE_SECONDS", "30"))
SCHEME = os.environ.get("SOURCES_SCHEME", "http")
CASES = os.environ.get("SOURCES_CASES", "10,10h,100,100h").split(",")
HTOP = os.environ.get("SOURCES_HTOP", "1") != "0"
QUERIES = [0]


class Prom(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        QUERIES[0] += 1
        body = json.dumps({"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {}, "value": [time.time(), "0.42"]}]}}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def tls_context(tmp):
    """A server context with a fresh self-signed certificate for localhost and 127.0.0.1; (context, cert path)."""
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=warroom bench",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context, cert


def hung_server(context=None):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []

    def hold(c):
        if context is not None:
            try:
                c = context.wrap_socket(c, server_side=True)  # the handshake completes; no answer ever follows
            except (ssl.SSLError, OSError):
                return
        held.append(c)  # never answered, never closed

    def accept():
        while True:
            c, _ = s.accept()
            threading.Thread(target=hold, args=(c,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return s.getsockname()[1]


def config(dir, n, prom_port, hung_port):
    checklist = os.path.join(dir, "list.md")
    with open(checklist, "w") as f:
        f.write("# Load\n## Steps\n" + "".join(f"- [ ] T{i} step {i}\n" for i in range(40)))
    lines = ["service: load", "checklist: list.md", "ramp: {steps: [10, 50, 100], hold: 1m}", "sources:"]
    for i in range(n):
        port = hung_port if (hung_port and i == 0) else prom_port
        lines.append(f"  s{i}: {{prometheus: \"{SCHEME}://127.0.0.1:{port}\", interval: 1s, timeout: 2s}}")
    lines.append("slos:")
    for i in range(n):
        lines.append(f"  - {{name: gauge {i}, source: s{i}, unit: s, objective: \"<= 2\", query: 'q{i}'}}")
    path = os.path.join(dir, f"warroom-{n}-{'hung' if hung_port else 'ok'}.yaml")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def key_latency(name, clock, keys=30):
    lat = []
    for i in range(keys):
        t = time.monotonic()
        bc.tmux("send-keys", "-t", name, "j" if i % 2 == 0 else "k")
        deadline = t + 1.0
        first = None
        while time.monotonic() < deadline and first is None:
            first = next((c for c, _ in clock.chunks if c >= t), None)
            time.sleep(0.001)
        if first is not None:
            lat.append((first - t) * 1000)
        time.sleep(0.15)
    return lat


def measure(name, command, ready, tmp):
    bc.start(name, command)
    bc.wait_for(name, ready, timeout=30)
    pid = bc.pane_pid(name)
    time.sleep(3)  # let the first reads settle
    t0, c0 = time.monotonic(), bc.cpu_ticks(pid)
    time.sleep(IDLE)
    cpu = (bc.cpu_ticks(pid) - c0) / bc.TICK / (time.monotonic() - t0) * 100
    clock = bc.OutputClock(name, tmp)
    lat = key_latency(name, clock)
    rss = bc.rss_kib(pid)
    bc.tmux("kill-session", "-t", name, check=False)
    return cpu, lat, rss


def main():
    warroom = bc.WARROOM
    rows = []
    # A session that outlives each case: killing a case's session must not take the tmux server down with it.
    bc.start("keeper", "sleep 100000")
    with tempfile.TemporaryDirectory() as tmp:
        context, cert = tls_context(tmp) if SCHEME == "https" else (None, None)
        # A backlog like a real server's: socketserver's default of 5 drops the SYNs of 100 sources polled at once, and
        # those requests time out on the client (a bench artefact, not the client's cost).
        ThreadingHTTPServer.request_queue_size = 1024
        prom = ThreadingHTTPServer(("127.0.0.1", 0), Prom)
        if context is not None:
            prom.socket = context.wrap_socket(prom.socket, server_side=True)
        threading.Thread(target=prom.serve_forever, daemon=True).start()
        prom_port = prom.server_address[1]
        hung_port = hung_server(context)
        env = f"env WARROOM_TLS_CA_FILE={cert} " if cert else ""
        cases = [(int(c.rstrip("h")), hung_port if c.endswith("h") else None) for c in CASES if c]
        for n, hung in cases:
            cfg = config(tmp, n, prom_port, hung)
            state = os.path.join(tmp, f"state-{n}-{hung or 0}")
            q0 = QUERIES[0]
            t = time.monotonic()
            cpu, lat, rss = measure(f"w{n}{'h' if hung else ''}", f"{env}{warroom} run {cfg} --state {state}",
                                    lambda s: "gauge 0" in s, tmp)
            qps = (QUERIES[0] - q0) / (time.monotonic() - t)
            rows.append((f"warroom {SCHEME}, {n} sources{' (1 hung)' if hung else ''}", cpu, lat, rss, qps))
        if HTOP:
            cpu, lat, rss = measure("htop", "htop -d 10", lambda s: "Load average" in s or "Tasks:" in s, tmp)
            rows.append(("htop -d 10 (1 s refresh)", cpu, lat, rss, 0))
    bc.tmux("kill-server", check=False)
    print(f"idle window {IDLE} s; key latency = key sent -> first byte the program writes (30 keys)")
    print(f"{'case':36} {'idle CPU':>9} {'key p50':>8} {'key p95':>8} {'RSS':>8} {'queries/s':>9}")
    for name, cpu, lat, rss, qps in rows:
        p50 = statistics.median(lat) if lat else float("nan")
        p95 = sorted(lat)[int(len(lat) * 0.95) - 1] if lat else float("nan")
        print(f"{name:36} {cpu:8.2f}% {p50:6.2f}ms {p95:6.2f}ms {rss / 1024:6.1f}MiB {qps:9.1f}")


if __name__ == "__main__":
    main()
