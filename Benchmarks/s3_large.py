#!/usr/bin/env python3
"""Single-stream PUT and GET of one large object through boto3, against `cp` of the same file on the same disk.

Run by Benchmarks/run.sh, which starts a release `osprey server` and passes its endpoint and pid:

    python s3_large.py --endpoint http://127.0.0.1:PORT --server-pid PID --work-dir DIR [--size-mib 1024] [--reps 3]

What is measured (cp, put, put_unsigned, get in each repetition; then upload_fileobj, repeated, so multipart's
memory does not mix into the single-stream numbers), everything through the page cache (nothing is dropped, nothing is
synced, the source file is written once before the first repetition and stays cached):

* cp        `cp SRC DST` on the same disk as the server's data dir (a fresh DST each time): the physical peer.
* put       one `put_object(Body=<open file>)`: one request, not multipart. Over plain http botocore signs the
            payload's SHA-256 and (botocore >= 1.36) puts a CRC32 checksum in a header, so it reads the file
            three times before/while sending; the client's own cost for that is measured separately (client alone).
            A failure (an error answer) is reported as such and the run goes on.
* put_unsigned  the same `put_object` with `payload_signing_enabled: False` (x-amz-content-sha256: UNSIGNED-PAYLOAD,
            what botocore sends over https; the CRC32 header stays): the same single stream without the SHA-256 pass.
* get       one `get_object` of the object the puts just wrote, its body streamed to a fresh file in 1 MiB reads.
* upload_fileobj (information only): boto3's default managed transfer (multipart, 8 MiB parts, 10 threads).

The server's memory: VmRSS from /proc/PID/status every 50 ms during each transfer (peak per phase), VmHWM after the
single-stream transfers and at the end. `--sink` adds the client alone: the same boto3 calls against a trivial local
HTTP sink (reads and drops bodies, serves the file by sendfile), i.e. what this client could do with a free server.
Ratios are against cp measured in the same run. Nothing here asserts: it prints numbers.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import zlib

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config

MIB = 1 << 20
MB = 1_000_000
ACCESS_KEY = os.environ.get("OSPREY_ROOT_ACCESS_KEY_ID", "AKIDOSPREYBENCH00001")
SECRET_KEY = os.environ.get("OSPREY_ROOT_SECRET_ACCESS_KEY", "")


def status_kib(pid: int, field: str) -> int | None:
    """A `VmRSS:`/`VmHWM:` line of /proc/PID/status in KiB; None once the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


class RSSSampler:
    """Samples VmRSS of a pid every `interval` s on a thread while in a `with` block; `.peak_kib` afterwards."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.samples = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            value = status_kib(self.pid, "VmRSS")
            if value is not None:
                self.peak_kib = max(self.peak_kib, value)
                self.samples += 1
            self._stop.wait(self.interval)

    def __enter__(self) -> "RSSSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def sink_server(serve_path: str) -> None:
    """A trivial HTTP/1.1 sink on a loopback port, for the client alone: answers 100-continue, reads and drops any
    request body (recv_into one 1 MiB buffer), answers 200; a GET gets `serve_path` by sendfile. A thread per
    connection. Prints its port on stdout; runs until it is killed."""
    import socket
    import threading

    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    print(listener.getsockname()[1], flush=True)

    def serve(conn) -> None:
        view = memoryview(bytearray(MIB))
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        pending = b""
        try:
            while True:
                while b"\r\n\r\n" not in pending:
                    data = conn.recv(65536)
                    if not data:
                        raise ConnectionError
                    pending += data
                head, pending = pending.split(b"\r\n\r\n", 1)
                lines = head.decode("latin-1").split("\r\n")
                method = lines[0].split(" ", 1)[0]
                headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if ":" in line)}
                length = int(headers.get("content-length", "0"))
                if headers.get("expect", "").lower() == "100-continue":
                    conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
                remaining = length - len(pending)
                pending = b"" if remaining >= 0 else pending[length:]
                while remaining > 0:
                    n = conn.recv_into(view[:min(MIB, remaining)])
                    if not n:
                        raise ConnectionError
                    remaining -= n
                if method == "GET":
                    size = os.path.getsize(serve_path)
                    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\nETag: \"0\"\r\n"
                                 "Content-Type: binary/octet-stream\r\n\r\n".encode())
                    with open(serve_path, "rb") as f:
                        offset = 0
                        while offset < size:
                            offset += os.sendfile(conn.fileno(), f.fileno(), offset, size - offset)
                else:
                    conn.sendall(b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\nETag: "0"\r\n\r\n')
        except (ConnectionError, OSError):
            conn.close()

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn,), daemon=True).start()


def write_source(path: str, size: int) -> float:
    """Writes `size` pseudo-random bytes (incompressible, not all the same) once; returns the seconds it took."""
    start = time.perf_counter()
    block = os.urandom(16 * MIB)
    with open(path, "wb") as f:
        written = 0
        counter = 0
        while written < size:
            # Vary each block cheaply so no two 16 MiB blocks are identical.
            chunk = counter.to_bytes(8, "little") + block[8:]
            n = min(len(chunk), size - written)
            f.write(chunk[:n])
            written += n
            counter += 1
    return time.perf_counter() - start


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rm(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def client_hash_cost(path: str) -> dict:
    """What botocore computes over a put_object body on plain http: SHA-256 (payload signing) and CRC32 (checksum
    header), each a full read of the (cached) file. Timed here alone, in the same 1 MiB reads botocore uses."""
    out = {}
    for name, make in (("sha256", hashlib.sha256), ("crc32", None), ("md5", hashlib.md5)):
        start = time.perf_counter()
        with open(path, "rb") as f:
            if make is None:
                crc = 0
                while chunk := f.read(MIB):
                    crc = zlib.crc32(chunk, crc)
            else:
                h = make()
                while chunk := f.read(MIB):
                    h.update(chunk)
        out[name] = time.perf_counter() - start
    start = time.perf_counter()
    with open(path, "rb") as f:
        while f.read(MIB):
            pass
    out["read_only"] = time.perf_counter() - start
    return out


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--serve-sink":
        sink_server(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--work-dir", required=True, help="scratch folder on the same disk as the server's data dir")
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--sink", action="store_true",
                        help="also run put/put_unsigned/get once against a trivial local HTTP sink (the client alone)")
    parser.add_argument("--json", help="write the results here too")
    args = parser.parse_args()
    if not SECRET_KEY:
        print("s3_large: set OSPREY_ROOT_SECRET_ACCESS_KEY", file=sys.stderr)
        return 2

    size = args.size_mib * MIB
    pid = args.server_pid
    src = os.path.join(args.work_dir, "source.bin")
    cp_dst = os.path.join(args.work_dir, "cp-copy.bin")
    get_dst = os.path.join(args.work_dir, "get-copy.bin")
    bucket, key = "bench-large", "large/object.bin"

    session = boto3.session.Session(aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name="us-east-1")
    config = Config(s3={"addressing_style": "path"}, retries={"total_max_attempts": 1, "mode": "standard"},
                    read_timeout=600, connect_timeout=10)
    s3 = session.client("s3", endpoint_url=args.endpoint, config=config)
    s3_unsigned = session.client("s3", endpoint_url=args.endpoint, config=config.merge(
        Config(s3={"addressing_style": "path", "payload_signing_enabled": False})))
    try:
        s3.create_bucket(Bucket=bucket)
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass

    print(f"s3_large: writing a {args.size_mib} MiB source file once in {args.work_dir} ...", flush=True)
    write_s = write_source(src, size)
    print(f"  source written in {write_s:.2f} s", flush=True)
    # One untimed pass so every later reader finds the whole file cached, the same for cp and for boto3.
    with open(src, "rb") as f:
        while f.read(16 * MIB):
            pass

    rss_start = status_kib(pid, "VmRSS") or 0
    results: dict[str, list] = {"cp": [], "put": [], "put_unsigned": [], "get": [], "upload_fileobj": []}
    peaks: dict[str, int] = {"put": 0, "put_unsigned": 0, "get": 0, "upload_fileobj": 0}
    hwm_single_kib = 0
    failures: dict[str, str] = {}

    def put_single(client):
        with open(src, "rb") as body:
            response = client.put_object(Bucket=bucket, Key=key, Body=body)
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 200, response

    def get_streamed(client=s3):
        response = client.get_object(Bucket=bucket, Key=key)
        stream = response["Body"]
        got = 0
        with open(get_dst, "wb") as out:
            while chunk := stream.read(MIB):
                out.write(chunk)
                got += len(chunk)
        if got != size:
            raise RuntimeError(f"GET returned {got} bytes, expected {size}")

    def upload_managed():
        with open(src, "rb") as body:
            s3.upload_fileobj(body, bucket, key + ".multipart", Config=TransferConfig())

    for rep in range(1, args.reps + 1):
        rm(cp_dst)
        t = timed(lambda: subprocess.run(["cp", src, cp_dst], check=True))
        results["cp"].append(t)
        print(f"  rep {rep}: cp              {size / t / MB:8.1f} MB/s  ({t:.2f} s)", flush=True)
        rm(cp_dst)

        for name, client in (("put", s3), ("put_unsigned", s3_unsigned)):
            error = None
            with RSSSampler(pid) as sampler:
                start = time.perf_counter()
                try:
                    put_single(client)
                except Exception as caught:  # reported, not retried
                    error = caught
                t = time.perf_counter() - start
            peaks[name] = max(peaks[name], sampler.peak_kib)
            if error is not None:
                failures[name] = f"{type(error).__name__}: {error}"
                print(f"  rep {rep}: {name:<15} FAILED after {t:.2f} s (server peak RSS {sampler.peak_kib / 1024:.1f} MiB): "
                      f"{failures[name]}", flush=True)
                continue
            results[name].append(t)
            print(f"  rep {rep}: {name:<15} {size / t / MB:8.1f} MB/s  ({t:.2f} s)  server peak RSS {sampler.peak_kib / 1024:.1f} MiB",
                  flush=True)

        rm(get_dst)
        with RSSSampler(pid) as sampler:
            t = timed(get_streamed)
        results["get"].append(t)
        peaks["get"] = max(peaks["get"], sampler.peak_kib)
        print(f"  rep {rep}: get_object      {size / t / MB:8.1f} MB/s  ({t:.2f} s)  server peak RSS {sampler.peak_kib / 1024:.1f} MiB",
              flush=True)
        if rep == 1:
            # Untimed: the bytes that came back are the bytes that went in.
            same = subprocess.run(["cmp", "-s", src, get_dst]).returncode == 0
            print(f"  rep {rep}: GET body identical to the source: {same}", flush=True)
            if not same:
                return 1
        rm(get_dst)

    # Single-stream transfers done: what the server's memory reached for them, before multipart (whose part bodies
    # raise it, and glibc keeps what it took) can mix in.
    hwm_single_kib = status_kib(pid, "VmHWM") or 0
    for rep in range(1, args.reps + 1):
        with RSSSampler(pid) as sampler:
            t = timed(upload_managed)
        results["upload_fileobj"].append(t)
        peaks["upload_fileobj"] = max(peaks["upload_fileobj"], sampler.peak_kib)
        print(f"  rep {rep}: upload_fileobj  {size / t / MB:8.1f} MB/s  ({t:.2f} s)  server peak RSS {sampler.peak_kib / 1024:.1f} MiB"
              "  (multipart, information only)", flush=True)
        s3.delete_object(Bucket=bucket, Key=key + ".multipart")

    hwm_kib = status_kib(pid, "VmHWM") or 0
    hashes = client_hash_cost(src)

    sink_results: dict[str, float] = {}
    if args.sink:
        # A separate interpreter (not a fork of this threaded one).
        sink = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--serve-sink", src], stdout=subprocess.PIPE, text=True)
        try:
            sink_url = f"http://127.0.0.1:{int(sink.stdout.readline())}"
            sink_signed = session.client("s3", endpoint_url=sink_url, config=config)
            sink_unsigned = session.client("s3", endpoint_url=sink_url, config=config.merge(
                Config(s3={"addressing_style": "path", "payload_signing_enabled": False})))
            for name, client in (("put", sink_signed), ("put_unsigned", sink_unsigned)):
                sink_results[name] = size / timed(lambda: put_single(client)) / MB
            rm(get_dst)
            sink_results["get"] = size / timed(lambda: get_streamed(sink_signed)) / MB
            rm(get_dst)
        finally:
            sink.kill()
            sink.wait(timeout=10)

    def mbps(seconds: list[float]) -> float:
        return size / statistics.median(seconds) / MB if seconds else 0.0

    cp = mbps(results["cp"])
    summary = {
        "size_bytes": size,
        "reps": args.reps,
        "median_MBps": {name: round(mbps(ts), 1) for name, ts in results.items()},
        "best_MBps": {name: round(size / min(ts) / MB, 1) for name, ts in results.items() if ts},
        "failures": failures,
        "ratio_to_cp": {name: round(mbps(ts) / cp, 3) for name, ts in results.items() if name != "cp"},
        "server_rss_MiB": {
            "before_transfers": round(rss_start / 1024, 1),
            **{f"peak_during_{name}": round(kib / 1024, 1) for name, kib in peaks.items()},
            "VmHWM_after_single_stream": round(hwm_single_kib / 1024, 1),
            "VmHWM_at_end": round(hwm_kib / 1024, 1),
        },
        "client_alone_MBps": {name: round(size / s / MB, 1) for name, s in hashes.items()},
        "client_against_sink_MBps": {name: round(v, 1) for name, v in sink_results.items()},
        "seconds": results,
    }
    print()
    print(f"s3_large: {args.size_mib} MiB object, median of {args.reps} (MB = 10^6 bytes)")
    print(f"  cp (same disk)          {cp:8.1f} MB/s                          best {size / min(results['cp']) / MB:.1f} MB/s")
    labels = {"put": "put_object (signed)", "put_unsigned": "put_object (UNSIGNED)", "get": "get_object (streamed)",
              "upload_fileobj": "upload_fileobj (multi)"}
    for name in ("put", "put_unsigned", "get", "upload_fileobj"):
        note = "  (target >= 0.5)" if name in ("put", "get") else "  (information)"
        if not results[name]:
            print(f"  {labels[name]:<22}  FAILED: {failures.get(name, 'no successful run')}")
            continue
        best = size / min(results[name]) / MB
        print(f"  {labels[name]:<22}  {mbps(results[name]):8.1f} MB/s   ratio to cp {mbps(results[name]) / cp:5.2f}{note}"
              f"   best {best:.1f} MB/s (ratio to best cp {best / (size / min(results['cp']) / MB):.2f})")
    print(f"  server RSS: {rss_start / 1024:.1f} MiB before; peak " +
          ", ".join(f"{peaks[n] / 1024:.1f} ({n}{'' if results[n] else ', failed'})" for n in peaks) +
          f"; VmHWM {hwm_single_kib / 1024:.1f} MiB after the single-stream transfers, {hwm_kib / 1024:.1f} MiB at the end"
          "  (target < 100 MiB)")
    ca = summary["client_alone_MBps"]
    print(f"  client alone over the cached file: read {ca['read_only']:.0f} MB/s, sha256 {ca['sha256']:.0f} MB/s, "
          f"crc32 {ca['crc32']:.0f} MB/s, md5 {ca['md5']:.0f} MB/s")
    if sink_results:
        print("  client against a trivial local HTTP sink (same boto3 calls, no server work): " +
              ", ".join(f"{name} {v:.0f} MB/s" for name, v in sink_results.items()))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2)
    s3.delete_object(Bucket=bucket, Key=key)
    for path in (src, cp_dst, get_dst):
        rm(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
