#!/usr/bin/env python3
"""Small-object PUT+GET throughput and latency through boto3, osprey against moto's server, in the same run.

Run by Benchmarks/run.sh, which starts both servers on loopback ports:

    python s3_small_ops.py --target osprey=http://127.0.0.1:P1 --target moto=http://127.0.0.1:P2 \
        [--pid osprey=PID1 --pid moto=PID2] [--threads 16] [--processes 1] [--duration 15] [--warmup 3] [--rounds 1] [--sink]

Each target gets the same load: `--threads` client threads in total (spread over `--processes` processes), each with
its own boto3 session and client (path-style, retries off), each looping PUT of a fresh 1 KiB key then GET of it
(body read and compared). After `--warmup` seconds the window of `--duration` seconds opens; a pair counts when both of
its ops started and ended inside the window. Prints pairs/s, ops/s (2 per pair), p50/p99 per op, and the ratio of each
target to the first. Every loop stops at the end of its window (and after at most --max-pairs pairs per thread).

`--rounds N` measures the targets in turn N times and takes each target's best round (on a shared machine, the one
least disturbed by other work; every round is printed and kept in the JSON). `--pid name=PID` adds the server's
CPU time per op over the window. `--sink` adds the client alone: the same loop with botocore's `before-send` event answering every request in-process
(no socket, no server), which is the most that this client set-up could drive on this machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import threading
import time

import boto3
from botocore.awsrequest import AWSResponse
from botocore.config import Config

ACCESS_KEY = os.environ.get("OSPREY_ROOT_ACCESS_KEY_ID", "AKIDOSPREYBENCH00001")
SECRET_KEY = os.environ.get("OSPREY_ROOT_SECRET_ACCESS_KEY", "")
BODY_SIZE = 1024


class _FakeRaw:
    """Enough of a urllib3 response for botocore to read a body from."""

    def __init__(self, data: bytes):
        self._data = data
        self._pos = 0

    def stream(self, amt=1024, decode_content=False):
        if self._pos < len(self._data):
            chunk, self._pos = self._data[self._pos:], len(self._data)
            yield chunk

    def read(self, amt=None, decode_content=None):
        end = len(self._data) if amt is None else min(len(self._data), self._pos + amt)
        chunk, self._pos = self._data[self._pos:end], end
        return chunk

    def close(self):
        pass


def _install_sink(client, body: bytes) -> None:
    """Answers PUT/GET in-process, before anything reaches a socket."""

    def sink(request, **_):
        if request.method == "PUT":
            return AWSResponse(request.url, 200, {"ETag": '"0"', "Content-Length": "0"}, _FakeRaw(b""))
        headers = {"ETag": '"0"', "Content-Length": str(len(body)), "Content-Type": "binary/octet-stream",
                   "Last-Modified": "Wed, 26 Nov 2025 00:00:00 GMT"}
        return AWSResponse(request.url, 200, headers, _FakeRaw(body))

    client.meta.events.register_first("before-send.s3", sink)


def _make_client(endpoint: str | None):
    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY or "x" * 40,
                                    region_name="us-east-1")
    config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"},
                    max_pool_connections=2, connect_timeout=5, read_timeout=30)
    return session.client("s3", endpoint_url=endpoint or "http://127.0.0.1:9", config=config)


def _worker(tid: int, endpoint: str | None, bucket: str, start_at: float, warmup: float, duration: float,
            max_pairs: int, out: list) -> None:
    client = _make_client(endpoint)
    body = os.urandom(BODY_SIZE)
    if endpoint is None:
        _install_sink(client, body)
    window_start, window_end = start_at + warmup, start_at + warmup + duration
    put_lat, get_lat = [], []
    pairs = errors = 0
    first_error = None
    while time.monotonic() < start_at:
        time.sleep(0.001)
    for i in range(max_pairs):
        if time.monotonic() >= window_end:
            break
        key = f"t{tid}/{i}"
        try:
            t0 = time.monotonic()
            client.put_object(Bucket=bucket, Key=key, Body=body)
            t1 = time.monotonic()
            got = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            t2 = time.monotonic()
            if got != body:
                raise RuntimeError(f"GET {key} returned {len(got)} bytes that differ from the PUT")
        except Exception as error:  # counted and reported, never retried
            errors += 1
            first_error = first_error or repr(error)
            continue
        if t0 >= window_start and t2 <= window_end:
            pairs += 1
            put_lat.append(t1 - t0)
            get_lat.append(t2 - t1)
    out.append({"pairs": pairs, "errors": errors, "first_error": first_error, "put": put_lat, "get": get_lat})


def _threads(tids, endpoint, bucket, start_at, warmup, duration, max_pairs) -> list:
    out: list = []
    threads = [threading.Thread(target=_worker, args=(tid, endpoint, bucket, start_at, warmup, duration, max_pairs, out))
               for tid in tids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=warmup + duration + 120)
    return out


def _process_main(tids, endpoint, bucket, start_at, warmup, duration, max_pairs, queue) -> None:
    queue.put(_threads(tids, endpoint, bucket, start_at, warmup, duration, max_pairs))


def _proc_cpu_seconds(pid: int) -> float | None:
    """utime + stime of a process, in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None


def _machine_busy() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    return sum(values) - values[3] - values[4], sum(values)


class _WindowMeter:
    """Server CPU seconds (when a pid is known) and the machine's busy share over the measurement window."""

    def __init__(self, pid: int | None, window_start: float, window_end: float):
        self.pid, self.window_start, self.window_end = pid, window_start, window_end
        self.server_cpu_s: float | None = None
        self.client_cpu_s: float | None = None
        self.machine_busy: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        time.sleep(max(0.0, self.window_start - time.monotonic()))
        s0 = _proc_cpu_seconds(self.pid) if self.pid else None
        c0 = sum(os.times()[:2])
        m0 = _machine_busy()
        time.sleep(max(0.0, self.window_end - time.monotonic()))
        s1 = _proc_cpu_seconds(self.pid) if self.pid else None
        c1 = sum(os.times()[:2])
        m1 = _machine_busy()
        if s0 is not None and s1 is not None:
            self.server_cpu_s = s1 - s0
        self.client_cpu_s = c1 - c0
        self.machine_busy = (m1[0] - m0[0]) / max(1, m1[1] - m0[1])

    def join(self) -> None:
        self._thread.join(timeout=max(0.0, self.window_end - time.monotonic()) + 10)


def run_load(endpoint: str | None, bucket: str, threads: int, processes: int, warmup: float, duration: float,
             max_pairs: int, pid: int | None = None) -> dict:
    """`threads` client threads over `processes` processes against `endpoint` (None: the in-process sink)."""
    if endpoint is not None:
        _make_client(endpoint).create_bucket(Bucket=bucket)
    # Clients are made inside each thread; give them a moment before the common start.
    start_at = time.monotonic() + 1.0 + 0.05 * threads
    groups = [list(range(p, threads, processes)) for p in range(processes)]
    meter = _WindowMeter(pid, start_at + warmup, start_at + warmup + duration)
    results: list = []
    if processes == 1:
        results = _threads(groups[0], endpoint, bucket, start_at, warmup, duration, max_pairs)
    else:
        ctx = mp.get_context("fork")
        queue = ctx.Queue()
        procs = [ctx.Process(target=_process_main, args=(g, endpoint, bucket, start_at, warmup, duration, max_pairs, queue))
                 for g in groups]
        for p in procs:
            p.start()
        for _ in procs:
            results.extend(queue.get(timeout=warmup + duration + 180))
        for p in procs:
            p.join(timeout=30)
    meter.join()
    put = sorted(x for r in results for x in r["put"])
    get = sorted(x for r in results for x in r["get"])
    both = sorted(put + get)
    pairs = sum(r["pairs"] for r in results)

    def pct(values, q):
        return values[min(len(values) - 1, int(q * len(values)))] * 1000 if values else float("nan")

    return {
        "threads": threads, "processes": processes, "duration_s": duration, "warmup_s": warmup,
        "pairs": pairs, "pairs_per_s": pairs / duration, "ops_per_s": 2 * pairs / duration,
        "errors": sum(r["errors"] for r in results),
        "first_error": next((r["first_error"] for r in results if r["first_error"]), None),
        "latency_ms": {
            "op_p50": pct(both, 0.50), "op_p99": pct(both, 0.99),
            "put_p50": pct(put, 0.50), "put_p99": pct(put, 0.99),
            "get_p50": pct(get, 0.50), "get_p99": pct(get, 0.99),
            "op_mean": statistics.fmean(both) * 1000 if both else float("nan"),
        },
        "threads_reporting": len(results),
        "server_cpu_s": meter.server_cpu_s,
        "server_cpu_us_per_op": meter.server_cpu_s / (2 * pairs) * 1e6 if meter.server_cpu_s is not None and pairs else None,
        # os.times() of this process: the client's CPU only when it runs in this one process.
        "client_cpu_us_per_op": meter.client_cpu_s / (2 * pairs) * 1e6 if processes == 1 and pairs else None,
        "machine_busy_share": meter.machine_busy,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--target", action="append", required=True, help="name=http://127.0.0.1:PORT (first is the reference)")
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--processes", type=int, default=1, help="spread the threads over this many client processes")
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--max-pairs", type=int, default=200_000, help="per thread, a bound besides the time")
    parser.add_argument("--sink", action="store_true", help="also measure the client alone against an in-process sink")
    parser.add_argument("--pid", action="append", default=[], help="name=PID of a target's server process, for its CPU per op")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure the targets in turn this many times (others' load on a shared machine comes and goes)")
    parser.add_argument("--label", default="")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    targets = [t.split("=", 1) for t in args.target]
    pids = {name: int(pid) for name, pid in (p.split("=", 1) for p in args.pid)}
    if args.sink:
        targets.append(["client-alone(sink)", None])

    label = f" [{args.label}]" if args.label else ""
    print(f"s3_small_ops{label}: {BODY_SIZE} B objects, {args.threads} client threads in {args.processes} process(es), "
          f"one boto3 client per thread, warm-up {args.warmup:g} s, window {args.duration:g} s", flush=True)
    rounds: dict[str, list] = {name: [] for name, _ in targets}
    for round_number in range(1, args.rounds + 1):
        for name, endpoint in targets:
            bucket = f"bench-small-{int(time.time() * 1000) % 10**9}"
            r = run_load(endpoint, bucket, args.threads, args.processes, args.warmup, args.duration, args.max_pairs, pids.get(name))
            rounds[name].append(r)
            lat = r["latency_ms"]
            tag = f"{name} (round {round_number})" if args.rounds > 1 else name
            print(f"  {tag:<20} {r['pairs_per_s']:8.1f} PUT+GET pairs/s = {r['ops_per_s']:8.1f} ops/s   "
                  f"per op p50 {lat['op_p50']:6.2f} ms  p99 {lat['op_p99']:7.2f} ms   "
                  f"(PUT p50/p99 {lat['put_p50']:.2f}/{lat['put_p99']:.2f}, GET p50/p99 {lat['get_p50']:.2f}/{lat['get_p99']:.2f})"
                  f"   errors {r['errors']}", flush=True)
            cpu = []
            if r["server_cpu_us_per_op"] is not None:
                cpu.append(f"server CPU {r['server_cpu_us_per_op']:.0f} us/op ({r['server_cpu_s'] / args.duration * 100:.0f}% of a core)")
            if r["client_cpu_us_per_op"] is not None:
                cpu.append(f"client CPU {r['client_cpu_us_per_op']:.0f} us/op")
            cpu.append(f"machine {r['machine_busy_share'] * 100:.0f}% busy")
            print("    " + ", ".join(cpu), flush=True)
            if r["first_error"]:
                print(f"    first error: {r['first_error']}", flush=True)
            if r["threads_reporting"] != args.threads:
                print(f"    only {r['threads_reporting']} of {args.threads} threads reported", flush=True)
    # Each target's best round: the one least disturbed by whatever else ran on the machine.
    results = {name: max(rs, key=lambda r: r["ops_per_s"]) for name, rs in rounds.items()}
    ref_name = targets[0][0]
    if args.rounds > 1:
        print("  best round of each: " + ", ".join(f"{n} {r['ops_per_s']:.1f} ops/s (p50 {r['latency_ms']['op_p50']:.2f} ms, "
                                                  f"p99 {r['latency_ms']['op_p99']:.2f} ms)" for n, r in results.items()))
    for name, _ in targets[1:]:
        ratio = results[ref_name]["ops_per_s"] / results[name]["ops_per_s"] if results[name]["ops_per_s"] else float("inf")
        print(f"  ratio {ref_name}/{name}: {ratio:.2f}x", flush=True)
        if args.rounds > 1:
            per_round = [a["ops_per_s"] / b["ops_per_s"] for a, b in zip(rounds[ref_name], rounds[name]) if b["ops_per_s"]]
            print(f"    per round: " + ", ".join(f"{x:.2f}x" for x in per_round), flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"best": results, "rounds": rounds}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
