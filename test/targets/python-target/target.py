#!/usr/bin/env python3
"""A second, independent drill target, written only from docs/target-contract.md (Python 3 stdlib).

It trades nothing: it runs the loops the contract asks about and answers the gateway.

    target.py serve  --dir D   run in the foreground (the process the drill stops and starts)
    target.py start  --dir D   start `serve` detached; returns once it is spawned        (contract §7)
    target.py stop   --dir D   SIGTERM, wait until the process is gone (it flushes state) (contract §7)
    target.py health --dir D   print GET /health; exit 0 only when it says ok            (contract §4, §7)
    target.py fault inject|clear <scenario|all> --dir D
                               shell fault command (contract, Fault injection): stale_data, order_drift;
                               an inject is idempotent per DRILL_FAULT_KEY (a repeat prints the first
                               injected_at); a clear of an inactive fault is done too
    target.py canonical        stdin: JSON values one per line; stdout: RFC 8785 text and SHA-256

D/config.json: {"port", "run_id", "artifacts_root", "state_file", "recon_ms", "slo_ms", "save_ms", "dq_ms"}.
D/scenario (read live, default "normal"; "<name> [seconds]") breaks one thing, so the drill has something to catch:
  stale_state          no state saves at all (periodic or on stop): the RPO grows
  corrupt_state        at boot, the state file's body no longer matches its digest
  lost_state           at boot, the state file is gone
  recon_never_resumes  at boot, the reconciliation loop does not start
  recon_dirty          at boot: reconciliation runs but every cycle is a mismatch (its monitor breaches)
  slo_silent           at boot, the SLO monitor does not start
  never_healthy        at boot: /health answers 503 "starting" for this whole life
  slow_restart N       at boot: /health answers 503 "starting" for N s, then the loops start (serving_at)
  slow_drain N         on stop: /health answers 503 "stopping" for N s, then the final save and exit
  stop_hangs           on stop: /health answers 503 "stopping" and the process never exits (SIGKILL ends it)
D/faults/<scenario>.json holds the active chaos faults (the `fault` command writes them; the running
process reads them every cycle): stale_data makes every quality cycle report `stale` issues (monitor:
`slo_breach data_stale_warnings`), order_drift makes order reconciliation cycles `mismatch` (monitor:
after 3 in a row, `slo_breach order_reconciliation_consecutive_mismatch_runs`). Each breach opens an
incident once per episode and is listed in /stats `open_breaches` until the SLO passes again.
D/fault_log.jsonl records every fault command run; D/ground_truth.jsonl records what really happened
(process_start, serving, state_saved, stop_requested, stopped, ...).
"""
import hashlib
import json
import math
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# ---------------------------------------------------------------------------------------------
# RFC 8785 (JSON Canonicalization Scheme): the contract's canonical JSON (§5.1)


def _number(x):
    """ECMAScript Number.prototype.toString of the double nearest x."""
    if isinstance(x, int):
        if abs(x) < 2**53:
            return str(x)
        x = float(x)
    if math.isnan(x) or math.isinf(x):
        raise ValueError("NaN and Infinity are not JSON numbers")
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    mantissa, _, exp = repr(abs(x)).partition("e")  # repr: the shortest digits that round-trip
    int_part, _, frac = mantissa.partition(".")
    digits = int_part + frac
    n = len(int_part) + int(exp or 0) - (len(digits) - len(digits.lstrip("0")))
    digits = digits.strip("0")
    k = len(digits)  # value = 0.<digits> * 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * -n + digits
    e = n - 1
    return sign + digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _string(s):
    out = []
    for ch in s:
        if 0xD800 <= ord(ch) <= 0xDFFF:
            raise ValueError("lone surrogate: not I-JSON")
        out.append(_ESCAPES.get(ch) or ("\\u%04x" % ord(ch) if ord(ch) < 0x20 else ch))
    return '"' + "".join(out) + '"'


def canonical(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return _number(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, list):
        return "[" + ",".join(canonical(x) for x in v) + "]"
    if isinstance(v, dict):
        # Member names ordered by their UTF-16 code units (big-endian bytes sort the same way).
        items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-16-be", "surrogatepass"))
        return "{" + ",".join(_string(k) + ":" + canonical(x) for k, x in items) + "}"
    raise ValueError("not a JSON value: %r" % (v,))


def digest(body):
    return "sha256:" + hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------------------------------
# Files


def now():
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def append_line(path, obj):
    """One JSON object per line, one write() per line, O_APPEND (contract §2)."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(obj, separators=(",", ":")) + "\n").encode("utf-8"))
    finally:
        os.close(fd)


def write_atomic(path, text):
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class Target:
    def __init__(self, d):
        self.dir = d
        cfg = json.load(open(os.path.join(d, "config.json")))
        self.cfg = cfg
        self.run_dir = os.path.join(cfg["artifacts_root"], cfg["run_id"])
        os.makedirs(self.run_dir, exist_ok=True)
        self.state_file = cfg["state_file"]
        self.pid = os.getpid()
        self.boot_id = "py-%s" % uuid.uuid4().hex[:12]
        self.started_at = now()
        self.serving_at = None
        self.stopping = False
        self.lock = threading.Lock()
        self.halt_reason, self.halted_until, self.last_key = None, None, None
        self.body = {"cycle": 0, "positions": {"AAPL": 10, "MSFT": -5}, "orders": [{"id": "o-1", "qty": 100, "status": "filled"}]}
        self.seq = 0
        self.rs = {"restored": False, "restored_seq": None, "restored_digest": None, "restore_error": None,
                   "last_save_at": None, "last_save_seq": None, "last_save_digest": None}
        self.clean_seen = False
        self.boot_scenario, self.boot_seconds = self.scenario_args()  # what breaks at boot is decided at boot
        self.mismatch_run = 0  # consecutive order reconciliation mismatches (the SLO monitor reads it)
        self.mismatches = 0
        self.dq_cycle = 0
        self.dq_latest = None
        self.open_breaches = {}  # slo -> incident id, while the breach episode lasts (contract §2)

    def scenario_args(self):
        try:
            words = open(os.path.join(self.dir, "scenario")).read().split()
        except OSError:
            words = []
        name = words[0] if words else "normal"
        try:
            secs = float(words[1]) if len(words) > 1 else 5.0
        except ValueError:
            secs = 5.0
        return name, secs

    def scenario(self):
        return self.scenario_args()[0]

    def faults(self):
        """The chaos faults active now: D/faults/<name>.json, written by `target.py fault`."""
        try:
            return {f[:-5] for f in os.listdir(os.path.join(self.dir, "faults")) if f.endswith(".json")}
        except OSError:
            return set()

    def truth(self, event, at=None, **extra):
        """One ground-truth line; `at` when the event happened before the line is written (a save's saved_at)."""
        append_line(os.path.join(self.dir, "ground_truth.jsonl"), {"ts": at or now(), "event": event, "pid": self.pid, "boot_id": self.boot_id, **extra})

    # -- runtime state (contract §5) ----------------------------------------------------------

    def restore(self):
        scenario = self.boot_scenario
        if scenario == "lost_state" and os.path.exists(self.state_file):
            os.remove(self.state_file)
        if scenario == "corrupt_state" and os.path.exists(self.state_file):
            f = json.load(open(self.state_file))
            f["body"]["cycle"] = f["body"].get("cycle", 0) + 1000  # body changed, digest kept
            write_atomic(self.state_file, json.dumps(f))
        try:
            f = json.load(open(self.state_file))
        except FileNotFoundError:
            self.rs["restore_error"] = "no_state_file"
            return
        except (OSError, ValueError) as e:
            self.rs["restore_error"] = "unreadable: %s" % e
            return
        if digest(f["body"]) != f["digest"]:
            self.rs["restore_error"] = "digest_mismatch"
            self.seq = f["seq"]
            return
        self.body, self.seq = f["body"], f["seq"]
        self.rs.update(restored=True, restored_seq=f["seq"], restored_digest=digest(self.body))
        self.truth("state_restored", ok=True, seq=f["seq"], digest=self.rs["restored_digest"])

    def save(self):
        if self.scenario() == "stale_state":
            return
        with self.lock:
            self.seq += 1
            rec = {"saved_at": now(), "seq": self.seq, "digest": digest(self.body), "body": self.body}
            write_atomic(self.state_file, json.dumps(rec) + "\n")
            self.rs.update(last_save_at=rec["saved_at"], last_save_seq=rec["seq"], last_save_digest=rec["digest"])
        # The save happened at its saved_at (the time the state file carries), not after the fsync.
        self.truth("state_saved", at=rec["saved_at"], seq=rec["seq"], digest=rec["digest"])

    # -- loops (contract §2) -------------------------------------------------------------------

    def reconcile(self):
        with self.lock:
            self.body["cycle"] += 1
            cycle = self.body["cycle"]
        dirty = self.boot_scenario == "recon_dirty"
        status = "mismatch" if dirty else "ok"
        # order_drift: the broker says the newest order was cancelled; positions still agree.
        order_status = "mismatch" if dirty or "order_drift" in self.faults() else "ok"
        ts = now()
        order = {"ts": ts, "cycle": cycle, "status": order_status, "orders_checked": 1, "mismatched_order_ids": ["o-1"] if order_status != "ok" else []}
        if order_status != "ok":
            order["broker_status"] = {"o-1": "cancelled"}
        # Order and position lines of one cycle carry the same cycle number (contract §2).
        append_line(os.path.join(self.run_dir, "order_reconciliation_events.jsonl"), order)
        append_line(os.path.join(self.run_dir, "position_reconciliation_events.jsonl"),
                    {"ts": ts, "cycle": cycle, "status": status, "positions_checked": 2, "mismatched_symbols": ["AAPL"] if status != "ok" else []})
        with self.lock:
            self.mismatch_run = self.mismatch_run + 1 if order_status != "ok" else 0
            self.mismatches += 1 if order_status != "ok" or status != "ok" else 0
        status = "ok" if status == "ok" and order_status == "ok" else "mismatch"
        if status == "ok" and not self.clean_seen:
            self.clean_seen = True
            self.truth("first_clean_reconciliation", cycle=cycle)

    def data_quality(self):
        """One quality cycle over the active symbols (contract §2); stale_data makes every bar series stale."""
        self.dq_cycle += 1
        symbols = self.cfg.get("symbols", ["AAPL", "MSFT"])
        issues = []
        if "stale_data" in self.faults():
            issues = [{"symbol": s, "kind": "stale", "severity": "warning", "detail": "latest bar is 10 business days old"} for s in symbols]
        line = {"ts": now(), "cycle": self.dq_cycle, "symbols_checked": len(symbols), "errors": 0,
                "stale_warnings": len(issues), "issues": issues}
        append_line(os.path.join(self.run_dir, "data_quality_events.jsonl"), line)
        write_atomic(os.path.join(self.run_dir, "data_quality_latest.json"), json.dumps(line) + "\n")
        self.dq_latest = line

    def slo_snapshot(self):
        with self.lock:
            cycle, run, mismatches = self.body["cycle"], self.mismatch_run, self.mismatches
        ts = now()
        append_line(os.path.join(self.run_dir, "ops_slo_events.jsonl"),
                    {"ts": ts, "event_type": "slo_snapshot", "cycle": cycle, "operations": cycle, "operational_errors": 0,
                     "reconciliation_cycles": cycle, "reconciliation_passes": max(0, cycle - mismatches), "consecutive_mismatch_runs": run})
        stale = self.dq_latest["stale_warnings"] if self.dq_latest else 0
        # (slo, value, threshold, breaching, severity, incident class), the contract's table (§2).
        for slo, value, threshold, breaching, severity, cls in (
                ("order_reconciliation_consecutive_mismatch_runs", run, 3, run >= 3, "critical", "reconciliation"),
                ("data_stale_warnings", stale, 0, stale > 0, "warning", "data_quality")):
            if not breaching:
                self.open_breaches.pop(slo, None)  # the episode ends when the SLO passes
            elif slo not in self.open_breaches:  # one breach line (and incident) per episode
                incident = "inc-py-%s" % uuid.uuid4().hex[:12]
                self.open_breaches[slo] = incident
                append_line(os.path.join(self.run_dir, "ops_slo_events.jsonl"),
                            {"ts": ts, "event_type": "slo_breach", "slo": slo, "value": value, "threshold": threshold,
                             "severity": severity, "incident_id": incident, "incident_class": cls})
                append_line(os.path.join(self.run_dir, "incident_events.jsonl"),
                            {"ts": ts, "event_type": "incident_open", "incident_id": incident, "severity": severity,
                             "incident_class": cls, "slo": slo, "run_id": self.cfg["run_id"], "summary": "%s = %s" % (slo, value)})

    def every(self, ms, fn):
        def loop():
            while not self.stopping:
                time.sleep(ms / 1000)
                if not self.stopping:
                    fn()
        threading.Thread(target=loop, daemon=True).start()

    # -- gateway (contract §4) -----------------------------------------------------------------

    def stats(self):
        until = self.halted_until
        halted = self.halt_reason is not None and (until is None or until > now())
        return {"halt_reason": self.halt_reason, "trading_halted_until": until, "entries_halted": halted, "mode": "paper",
                "run_id": self.cfg["run_id"], "pid": self.pid, "boot_id": self.boot_id, "runtime_state": dict(self.rs),
                "open_breaches": dict(self.open_breaches), "faults": sorted(self.faults())}

    def health(self):
        if self.stopping:
            return 503, {"status": "stopping"}
        if self.boot_scenario == "never_healthy" or self.serving_at is None:
            return 503, {"status": "starting"}
        return 200, {"status": "ok", "pid": self.pid, "boot_id": self.boot_id, "started_at": self.started_at, "serving_at": self.serving_at}

    def kill_switch(self, req):
        action, key = req.get("action"), req.get("idempotency_key")
        if action not in ("halt", "resume") or (action == "halt" and not isinstance(req.get("reason"), str)):
            return 400, {"error": "invalid kill-switch request", "issues": ["action: expected halt (with reason) or resume"]}
        if key is not None and key == self.last_key:
            return 200, {**self.stats(), "changed": False}
        before = (self.halt_reason, self.halted_until)
        if action == "halt":
            self.halt_reason, self.halted_until = req["reason"], req.get("until")
        else:
            self.halt_reason, self.halted_until = None, None
        self.last_key = key if key is not None else self.last_key
        return 200, {**self.stats(), "changed": before != (self.halt_reason, self.halted_until)}


def handler_for(t):
    class Handler(BaseHTTPRequestHandler):
        def send(self, status, obj):
            data = json.dumps(obj).encode("utf-8")
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/stats":
                return self.send(200, t.stats())
            if self.path == "/runtime-state":
                return self.send(200, t.rs)
            if self.path == "/health":
                return self.send(*t.health())
            if self.path == "/broker/health":
                return self.send(200, {"status": "ok", "api_connected": True, "ws_connected": False})
            self.send(404, {"error": "not found"})

        def do_POST(self):
            if self.path != "/kill-switch":
                return self.send(404, {"error": "not found"})
            try:
                req = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)) or b"null")
            except ValueError:
                req = None
            if not isinstance(req, dict):
                return self.send(400, {"error": "invalid kill-switch request", "issues": ["(body): expected a JSON object"]})
            self.send(*t.kill_switch(req))

        def log_message(self, *args):
            pass

    return Handler


# ---------------------------------------------------------------------------------------------
# Commands


def wait_for_stop(stop, seconds=None):
    """Waits for the stop event, up to `seconds` (None: for ever); True once it is set.

    In short slices: CPython runs signal handlers only in the main thread, and a SIGTERM the kernel
    hands to another thread (the loops, the HTTP server) leaves a main thread blocked in a plain
    Event.wait() asleep, the handler unrun, until another signal happens to wake it. Each slice
    wakes the main thread, so the handler runs within 0.2 s whichever thread received the signal."""
    until = None if seconds is None else time.monotonic() + seconds
    while not stop.is_set():
        left = 0.2 if until is None else min(0.2, until - time.monotonic())
        if left <= 0:
            return False
        stop.wait(left)
    return True


def serve(d):
    t = Target(d)
    write_atomic(os.path.join(d, "target.pid"), str(t.pid))
    t.truth("process_start")
    t.restore()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    ThreadingHTTPServer.allow_reuse_address = True
    server = ThreadingHTTPServer(("127.0.0.1", t.cfg["port"]), handler_for(t))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    # slow_restart: listening, but /health answers 503 "starting" and no loop runs for N s.
    if t.boot_scenario != "slow_restart" or not wait_for_stop(stop, t.boot_seconds):
        if t.boot_scenario != "recon_never_resumes":
            t.every(t.cfg.get("recon_ms", 200), t.reconcile)
        if t.boot_scenario != "slo_silent":
            t.every(t.cfg.get("slo_ms", 300), t.slo_snapshot)
        t.every(t.cfg.get("dq_ms", 300), t.data_quality)
        t.every(t.cfg.get("save_ms", 300), t.save)
        t.serving_at = now()
        t.truth("serving")
    wait_for_stop(stop)
    # Graceful stop (contract §7): no new work, save the state, exit 0. A second SIGTERM while it
    # drains changes nothing (the event is already set): one stop_requested line per life.
    t.truth("stop_requested", via="SIGTERM")
    t.stopping = True
    scenario, seconds = t.scenario_args()  # read at the stop: the drill sets it before it stops
    if scenario == "stop_hangs":
        while True:  # 503 "stopping" until someone kills it
            time.sleep(3600)
    time.sleep(seconds if scenario == "slow_drain" else 0.05)
    t.save()
    server.shutdown()
    t.truth("stopped", seq=t.seq)
    try:
        os.remove(os.path.join(d, "target.pid"))
    except OSError:
        pass
    return 0


def running_pid(d):
    try:
        pid = int(open(os.path.join(d, "target.pid")).read())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    try:  # a zombie (exited, not yet reaped) is gone for our purposes
        if open("/proc/%d/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z":
            return None
    except OSError:
        pass
    return pid


def start(d):
    if running_pid(d):
        return 0
    log = open(os.path.join(d, "target.log"), "a")
    subprocess.Popen([sys.executable, os.path.abspath(__file__), "serve", "--dir", d], stdout=log, stderr=log,
                     stdin=subprocess.DEVNULL, start_new_session=True)
    return 0


def stop(d):
    pid = running_pid(d)
    if pid is None:
        return 0
    os.kill(pid, signal.SIGTERM)
    while running_pid(d) == pid:
        time.sleep(0.02)
    return 0


def health(d):
    port = json.load(open(os.path.join(d, "config.json")))["port"]
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port, timeout=1) as r:
            body = r.read().decode("utf-8")
            status = r.status
    except urllib.error.HTTPError as e:
        body, status = e.read().decode("utf-8"), e.code
    except OSError as e:
        print(json.dumps({"status": "down", "error": str(e)}))
        return 1
    print(body)
    return 0 if status == 200 and json.loads(body).get("status") == "ok" else 1


FAULTS = ("stale_data", "order_drift")


def fault(d, action, name):
    """Shell fault command (contract, Fault injection). Exit 0 when done, 2 for a fault it does not know.

    An inject is idempotent per DRILL_FAULT_KEY: a key seen before, or a fault already active, changes
    nothing and prints the first injected_at. Every run is logged to D/fault_log.jsonl."""
    if action not in ("inject", "clear") or not (name in FAULTS or (action == "clear" and name == "all")):
        print("unknown fault %s %s (known: %s; clear also takes all)" % (action, name, ", ".join(FAULTS)), file=sys.stderr)
        return 2
    fdir, kdir = os.path.join(d, "faults"), os.path.join(d, "fault_keys")
    os.makedirs(fdir, exist_ok=True)
    os.makedirs(kdir, exist_ok=True)
    key = os.environ.get("DRILL_FAULT_KEY") or None
    log = {"ts": now(), "action": action, "fault": name, "key": key}
    if action == "clear":
        for f in os.listdir(fdir):
            if f.endswith(".json") and (name == "all" or f == name + ".json"):
                try:
                    os.remove(os.path.join(fdir, f))
                except FileNotFoundError:
                    pass  # a clear of an inactive fault is done too
        append_line(os.path.join(d, "fault_log.jsonl"), log)
        return 0
    key_file = os.path.join(kdir, hashlib.sha256(key.encode("utf-8")).hexdigest()) if key else None
    rec_file = os.path.join(fdir, name + ".json")
    at = None
    if key_file and os.path.exists(key_file):
        at = open(key_file).read().strip()
    elif os.path.exists(rec_file):
        at = json.load(open(rec_file))["injected_at"]
    if at is not None:
        log.update(injected_at=at, repeat=True)
    else:
        at = log["ts"]
        rec = {"fault": name, "injected_at": at, "key": key}
        if os.environ.get("DRILL_FAULT_SECONDS"):
            rec["seconds"] = float(os.environ["DRILL_FAULT_SECONDS"])
        write_atomic(rec_file, json.dumps(rec))
        log.update(injected_at=at)
    if key_file and not os.path.exists(key_file):
        write_atomic(key_file, at)
    append_line(os.path.join(d, "fault_log.jsonl"), log)
    print(json.dumps({"injected_at": at}))
    return 0


def canonical_cmd():
    """One answer line per input line: {canonical, sha256}, or {error} for what is not I-JSON."""
    for line in sys.stdin:
        if line.strip():
            try:
                text = canonical(json.loads(line))
                out = {"canonical": text, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest()}
            except ValueError as e:
                out = {"error": str(e)}
            print(json.dumps(out), flush=True)
    return 0


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "canonical":
        return canonical_cmd()
    if cmd == "fault" and len(argv) == 6 and argv[4] == "--dir":
        return fault(os.path.abspath(argv[5]), argv[2], argv[3])
    if len(argv) != 4 or argv[2] != "--dir" or cmd not in ("serve", "start", "stop", "health"):
        print(__doc__, file=sys.stderr)
        return 2
    return {"serve": serve, "start": start, "stop": stop, "health": health}[cmd](os.path.abspath(argv[3]))


if __name__ == "__main__":
    sys.exit(main(sys.argv))
