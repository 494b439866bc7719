"""Fan-out benchmark of the real-time gateway, against a bare `websockets` broadcast server.

    .venv/bin/python bench/fanout.py                 # ours and bare, 1000 connections, 10 s
    .venv/bin/python bench/fanout.py --ramp          # plus the highest rate with p99 <= 250 ms, no loss
    .venv/bin/python bench/fanout.py --full --json out.json   # plus replay and idle memory

What it does (see bench/README.md): a fresh SQLite database (or PostgreSQL) is migrated and
seeded with one institution, R cohorts, their people and one cohort conversation each;
`artme-cop serve` runs as a subprocess (two of them sharing Redis with --processes 2);
generator processes open N WebSocket connections spread over the R conversations, S of
them send at a target total rate, and every receiver records the send-to-deliver latency
read from the message text. The same load then runs against bench/bare_server.py, and the
figures are printed side by side, with our server as a ratio of the bare one.

Only 127.0.0.1 is ever contacted; every loop is bounded by the durations given.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import concurrent.futures
import contextlib
import json
import math
import multiprocessing
import os
import random
import resource
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import uuid
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

try:
    from websockets.speedups import apply_mask as _apply_mask  # C helper shipped with websockets
except ImportError:  # pragma: no cover - pure-Python fallback

    def _apply_mask(data: bytes, mask: bytes) -> bytes:
        length = len(data)
        repeated = (mask * (length // 4 + 1))[:length]
        return (int.from_bytes(data, "big") ^ int.from_bytes(repeated, "big")).to_bytes(length, "big")


HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
VENV_BIN = Path(sys.executable).parent
ARTME_COP = VENV_BIN / "artme-cop"
PASSWORD = "Plum orchard 47 lanterns"
SECRET = "bench-secret-" + "x" * 40
HOST = "127.0.0.1"
PER_PERSON = 10  # gateway.MAX_CONNECTIONS_PER_PERSON (per person per process)
NOFILE = 65536
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

# ============================================================================================
# A small WebSocket client on asyncio.Protocol: cheaper per frame than a full library, so the
# generator stays out of the way of the server it measures. Server frames are never masked;
# client frames are masked with a random key (RFC 6455).
# ============================================================================================

_rand = random.Random()


def client_frame(payload: bytes, opcode: int = 1) -> bytes:
    length = len(payload)
    mask = _rand.randbytes(4)
    if length < 126:
        header = bytes((0x80 | opcode, 0x80 | length))
    elif length < 65536:
        header = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, length)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 0x80 | 127, length)
    return header + mask + _apply_mask(payload, mask)


class WSClient(asyncio.Protocol):
    def __init__(self, on_message: Callable[[bytes], None]) -> None:
        loop = asyncio.get_running_loop()
        self.on_message = on_message
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.upgraded = False
        self.handshake: asyncio.Future[None] = loop.create_future()
        self.closed: asyncio.Future[int | None] = loop.create_future()
        self.close_code: int | None = None
        self.fragments: list[bytes] | None = None

    # -- asyncio.Protocol --------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if not self.upgraded:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buf[:end])
            del self.buf[: end + 4]
            status = head.split(b" ", 2)[1] if head.count(b" ") >= 1 else b"?"
            if status != b"101":
                if not self.handshake.done():
                    self.handshake.set_exception(ConnectionError(f"handshake refused: HTTP {status.decode(errors='replace')}"))
                assert self.transport is not None
                self.transport.close()
                return
            self.upgraded = True
            self.handshake.set_result(None)
        self._parse()

    def _parse(self) -> None:
        buf = self.buf
        size = len(buf)
        pos = 0
        while size - pos >= 2:
            b0 = buf[pos]
            b1 = buf[pos + 1]
            length = b1 & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                length = (buf[pos + 2] << 8) | buf[pos + 3]
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                length = int.from_bytes(buf[pos + 2 : pos + 10], "big")
                head = 10
            if size - pos - head < length:
                break
            payload = bytes(buf[pos + head : pos + head + length])
            pos += head + length
            opcode = b0 & 0x0F
            if opcode in (1, 2):
                if b0 & 0x80:
                    self.on_message(payload)
                else:
                    self.fragments = [payload]
            elif opcode == 0:
                if self.fragments is not None:
                    self.fragments.append(payload)
                    if b0 & 0x80:
                        whole = b"".join(self.fragments)
                        self.fragments = None
                        self.on_message(whole)
            elif opcode == 8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                self._write(client_frame(payload[:2], 8))
                if self.transport is not None:
                    self.transport.close()
                break
            elif opcode == 9:
                self._write(client_frame(payload, 10))
        if pos:
            del buf[:pos]

    def connection_lost(self, exc: Exception | None) -> None:
        self.upgraded = False
        if not self.handshake.done():
            self.handshake.set_exception(ConnectionError(f"connection lost during handshake: {exc}"))
        if not self.closed.done():
            self.closed.set_result(self.close_code if self.close_code is not None else 1006)

    # -- ours ---------------------------------------------------------------------------------
    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    @property
    def is_open(self) -> bool:
        return self.upgraded and self.transport is not None and not self.transport.is_closing()

    def send_text(self, text: str) -> None:
        self._write(client_frame(text.encode()))

    def close(self, code: int = 1000) -> None:
        if self.is_open:
            self._write(client_frame(code.to_bytes(2, "big"), 8))
        if self.transport is not None:
            self.transport.close()


async def ws_connect(url: str, on_message: Callable[[bytes], None], *, origin: str, cookie: str = "", timeout: float = 30.0) -> WSClient:
    """Open ws://127.0.0.1:PORT/ws and finish the opening handshake."""
    assert url.startswith("ws://")
    hostport, _, path = url[5:].partition("/")
    host, _, port = hostport.partition(":")
    loop = asyncio.get_running_loop()
    _, client = await asyncio.wait_for(loop.create_connection(lambda: WSClient(on_message), host, int(port)), timeout)
    key = base64.b64encode(os.urandom(16)).decode()
    lines = [
        f"GET /{path} HTTP/1.1",
        f"Host: {hostport}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        f"Origin: {origin}",
    ]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    assert client.transport is not None
    client.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode())
    try:
        await asyncio.wait_for(client.handshake, timeout)
    except BaseException:
        client.close()
        raise
    return client


# ============================================================================================
# The generator process: holds connections, sends at a paced rate, records deliveries.
# ============================================================================================

# Message body: "bench <ts:17.6f> <uid:20>", uid = p<phase:3>g<gen:2>s<sender:4>n<n:7>.
MARK = b"bench "
TS_AT, TS_END = 6, 23
UID_AT, UID_END = 24, 44
PHASE_AT, PHASE_END = 25, 28


@dataclass
class Spec:
    server: int  # index into the target's servers
    cookie: str
    conversation: int
    sender: int  # global sender index, or -1


class Conn:
    __slots__ = ("spec", "gen", "ws", "seen", "waiting", "ready", "pending", "closed_code", "sent")

    def __init__(self, spec: Spec, gen: Generator) -> None:
        self.spec = spec
        self.gen = gen
        self.ws: WSClient | None = None
        self.seen: set[bytes] = set()
        self.waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.ready: asyncio.Future[None] | None = None
        self.pending: dict[str, float] = {}
        self.closed_code: int | None = None
        self.sent = 0

    @property
    def is_open(self) -> bool:
        return self.ws is not None and self.ws.is_open

    def on_message(self, payload: bytes) -> None:
        gen = self.gen
        i = payload.find(MARK)
        if i >= 0:
            if payload[i + PHASE_AT : i + PHASE_END] != gen.phase_tag:
                gen.stale += 1
                return
            key = payload[i + UID_AT : i + UID_END]
            seen = self.seen
            if key in seen:
                gen.duplicates += 1
                return
            seen.add(key)
            now = time.time()
            sent = float(payload[i + TS_AT : i + TS_END])
            gen.latencies.append(now - sent)
            gen.sent_at.append(sent)
            gen.last_delivery = now
            return
        if payload.startswith(b'{"type":"presence"'):
            gen.presence += 1
            return
        try:
            frame = json.loads(payload)
        except ValueError:
            gen.other += 1
            return
        kind = frame.get("type")
        if kind in ("ack", "error"):
            ref = frame.get("ref")
            started = self.pending.pop(ref, None) if isinstance(ref, str) else None
            if started is not None:
                if kind == "ack":
                    gen.acked += 1
                    gen.ack_latencies.append(time.time() - started)
                    if frame.get("duplicate"):
                        gen.duplicate_acks += 1
                else:
                    code = str(frame.get("code"))
                    gen.errors[code] = gen.errors.get(code, 0) + 1
                    if len(gen.error_samples) < 5:
                        gen.error_samples.append(f"{code}: {frame.get('message')}")
                return
            waiter = self.waiting.pop(ref, None)
            if waiter is not None and not waiter.done():
                waiter.set_result(frame)
                return
        if kind == "ready":
            if self.ready is not None and not self.ready.done():
                self.ready.set_result(None)
            return
        if kind == "error":
            code = str(frame.get("code"))
            gen.errors[code] = gen.errors.get(code, 0) + 1
            if len(gen.error_samples) < 5:
                gen.error_samples.append(f"{code}: {frame.get('message')}")
            return
        gen.other += 1

    async def open(self, target: dict[str, Any]) -> None:
        server = target["servers"][self.spec.server]
        loop = asyncio.get_running_loop()
        self.ready = loop.create_future()
        self.seen = set()
        self.pending = {}
        self.closed_code = None
        self.ws = await ws_connect(server["ws_url"], self.on_message, origin=server["origin"], cookie=self.spec.cookie)
        self.ws.closed.add_done_callback(self._closed)
        await asyncio.wait_for(self.ready, 30)
        kind = "join" if target["kind"] == "bare" else "subscribe"
        reply = await self.request({"type": kind, "conversation": self.spec.conversation}, timeout=120)
        if reply.get("type") != "ack":
            raise ConnectionError(f"{kind} refused: {reply.get('code')}: {reply.get('message')}")

    def _closed(self, future: asyncio.Future[int | None]) -> None:
        self.closed_code = future.result()
        for waiter in self.waiting.values():
            if not waiter.done():
                waiter.set_exception(ConnectionError(f"closed ({self.closed_code})"))
        self.waiting.clear()

    async def request(self, frame: dict[str, Any], *, timeout: float) -> dict[str, Any]:
        assert self.ws is not None
        ref = f"r{uuid.uuid4().hex[:8]}"
        waiter: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self.waiting[ref] = waiter
        self.ws.send_text(json.dumps({**frame, "ref": ref}))
        return await asyncio.wait_for(waiter, timeout)

    async def send_loop(self, phase: int, start: float, end: float, rate: float, senders: int, track_acks: bool) -> None:
        gen = self.gen
        conversation = self.spec.conversation
        prefix = f"p{phase:03d}g{gen.index:02d}s{self.spec.sender:04d}n"
        ws = self.ws
        # Senders are staggered evenly, so the total arrives as a steady stream, not in bursts.
        start += (self.spec.sender % senders) / (senders * rate)
        now = time.time()
        if start > now:
            await asyncio.sleep(start - now)
        n = 0
        while True:
            now = time.time()
            if now >= end or ws is None or not ws.is_open:
                break
            due = int((now - start) * rate) + 1
            while n < due:
                ts = time.time()
                uid = f"{prefix}{n:07d}"
                ref = f"s{phase}_{n}"
                if track_acks:
                    self.pending[ref] = ts
                ws.send_text(f'{{"type":"send","conversation":{conversation},"client_msg_id":"{uid}","body":"bench {ts:17.6f} {uid}","ref":"{ref}"}}')
                n += 1
            self.sent = n
            wait = start + n / rate - time.time()
            await asyncio.sleep(min(max(wait, 0.001), 0.05))
        self.sent = n


class Generator:
    def __init__(self, index: int, pipe: Any) -> None:
        self.index = index
        self.pipe = pipe
        self.conns: list[Conn] = []
        self.target: dict[str, Any] = {}
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)
        self.reset(0)

    def reset(self, phase: int) -> None:
        self.phase_tag = f"{phase:03d}".encode()
        self.latencies = array("d")
        self.sent_at = array("d")
        self.ack_latencies = array("d")
        self.sent: dict[int, int] = {}
        self.acked = 0
        self.duplicate_acks = 0
        self.errors: dict[str, int] = {}
        self.error_samples: list[str] = []
        self.duplicates = 0
        self.stale = 0
        self.presence = 0
        self.other = 0
        self.last_delivery = 0.0

    async def recv(self) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self.executor, self.pipe.recv)

    async def serve(self) -> None:
        while True:
            command, payload = await self.recv()
            try:
                if command == "quit":
                    await self.close_all()
                    self.pipe.send(("ok", None))
                    return
                handler = getattr(self, f"cmd_{command}")
                self.pipe.send(("ok", await handler(payload)))
            except Exception:
                self.pipe.send(("error", traceback.format_exc()))

    async def open_many(self, conns: list[Conn], concurrency: int) -> dict[str, Any]:
        semaphore = asyncio.Semaphore(concurrency)
        failures: list[str] = []

        async def one(conn: Conn) -> None:
            async with semaphore:
                try:
                    await conn.open(self.target)
                except Exception as exc:  # reported, not raised: the orchestrator decides
                    failures.append(f"{type(exc).__name__}: {exc}")
                    if conn.ws is not None:
                        conn.ws.close()

        started = time.perf_counter()
        await asyncio.gather(*(one(c) for c in conns))
        return {"opened": len(conns) - len(failures), "failed": len(failures), "failures": failures[:5], "seconds": time.perf_counter() - started}

    async def cmd_setup(self, payload: dict[str, Any]) -> dict[str, Any]:
        await self.close_all()
        self.target = payload["target"]
        self.reset(0)
        self.conns = [Conn(Spec(**spec), self) for spec in payload["specs"]]
        return await self.open_many(self.conns, payload.get("concurrency", 32))

    async def cmd_ensure(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Reopen the connections that the server closed (a slow consumer, say)."""
        dead = [c for c in self.conns if not c.is_open]
        for conn in dead:
            if conn.ws is not None:
                conn.ws.close()
        result = await self.open_many(dead, payload.get("concurrency", 32)) if dead else {"opened": 0, "failed": 0, "failures": [], "seconds": 0.0}
        result["reopened"] = len(dead)
        return result

    async def cmd_run(self, payload: dict[str, Any]) -> dict[str, Any]:
        phase = payload["phase"]
        start, duration, rate, grace = payload["start"], payload["duration"], payload["rate_per_sender"], payload["grace"]
        end = start + duration
        self.reset(phase)
        receivers = [c for c in self.conns if c.is_open]
        for conn in self.conns:
            conn.seen = set()
            conn.pending = {}
            conn.sent = 0
        subscribers: dict[int, int] = {}
        for conn in receivers:
            subscribers[conn.spec.conversation] = subscribers.get(conn.spec.conversation, 0) + 1
        senders = [c for c in receivers if c.spec.sender >= 0]
        track_acks = self.target["kind"] != "bare"
        await asyncio.gather(*(c.send_loop(phase, start, end, rate, payload["senders"], track_acks) for c in senders))
        sent: dict[int, int] = {}
        for conn in senders:
            sent[conn.spec.conversation] = sent.get(conn.spec.conversation, 0) + conn.sent
        # Tell the orchestrator what went out; it answers with every generator's totals.
        self.pipe.send(("sent", {"sent": sent, "subscribers": subscribers}))
        command, expect = await self.recv()
        assert command == "expect", command
        totals: dict[int, int] = {int(k): v for k, v in expect["totals"].items()}
        deadline = end + grace
        while time.time() < deadline:
            done = all(len(c.seen) >= totals.get(c.spec.conversation, 0) for c in receivers if c.is_open)
            if done and (not track_acks or not any(c.pending for c in senders if c.is_open)):
                break
            await asyncio.sleep(0.02)
        closed: dict[str, int] = {}
        for conn in receivers:
            if not conn.is_open:
                code = str(conn.closed_code)
                closed[code] = closed.get(code, 0) + 1
        return {
            "sent": sent,
            "subscribers": subscribers,
            "received": sum(len(c.seen) for c in receivers),
            "latencies": self.latencies.tobytes(),
            "sent_at": self.sent_at.tobytes(),
            "ack_latencies": self.ack_latencies.tobytes(),
            "acked": self.acked,
            "duplicate_acks": self.duplicate_acks,
            "unacked": sum(len(c.pending) for c in senders),
            "errors": self.errors,
            "error_samples": self.error_samples,
            "duplicates": self.duplicates,
            "stale": self.stale,
            "presence": self.presence,
            "other": self.other,
            "last_delivery": self.last_delivery,
            "closed": closed,
        }

    async def cmd_close(self, payload: Any) -> dict[str, Any]:
        count = await self.close_all()
        return {"closed": count}

    async def close_all(self) -> int:
        count = 0
        for conn in self.conns:
            if conn.ws is not None:
                conn.ws.close()
                count += 1
        self.conns = []
        await asyncio.sleep(0.2)
        return count


def raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for wanted in (NOFILE, hard):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), max(hard, wanted)))
            return
        except (ValueError, OSError):
            continue


def generator_main(index: int, pipe: Any) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the orchestrator stops us with "quit"
    raise_nofile()
    asyncio.run(Generator(index, pipe).serve())


# ============================================================================================
# Orchestrator helpers: processes, /proc, statistics.
# ============================================================================================


def proc_cpu_seconds(pid: int) -> float:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (fields 14, 15)


def proc_main_thread_cpu_seconds(pid: int) -> float:
    """CPU seconds of the process's main thread (the event loop); the rest is other threads
    (aiosqlite runs each database connection in a thread of its own)."""
    try:
        text = Path(f"/proc/{pid}/task/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = text[text.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


SERVICE_NAMES = ("postgres", "redis-server")


def services_cpu() -> dict[int, float]:
    """CPU seconds of every PostgreSQL and Redis process on the machine, by pid."""
    found: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            comm = (entry / "comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith(SERVICE_NAMES):
            found[int(entry.name)] = proc_cpu_seconds(int(entry.name))
    return found


def machine_busy_seconds() -> float:
    """CPU seconds spent busy by the whole machine (all cores), from /proc/stat."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except OSError:
        return 0.0
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLK_TCK


def proc_memory(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM in bytes."""
    found = {"rss": 0, "hwm": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                found["rss"] = int(line.split()[1]) * 1024
            elif line.startswith("VmHWM:"):
                found["hwm"] = int(line.split()[1]) * 1024
    except OSError:
        pass
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def percentile(ordered: list[float], fraction: float) -> float:
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))
    return ordered[index]


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


class Server:
    """One server subprocess (ours or bare), started through bash so `ulimit -n` applies."""

    def __init__(self, kind: str, name: str, workdir: Path, env: dict[str, str] | None = None) -> None:
        self.kind = kind
        self.name = name
        self.port = free_port()
        self.base_url = f"http://{HOST}:{self.port}"
        self.ws_url = f"ws://{HOST}:{self.port}/ws"
        self.log = workdir / f"{name}.log"
        self.env = env or {}
        self.profile = ""
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def command(self) -> str:
        if self.kind == "ours":
            exe = f"exec {ARTME_COP} serve --host {HOST} --port {self.port} --no-migrate"
            if self.profile:
                exe = f"exec {sys.executable} {self.runner()}"
        else:
            exe = f"exec {sys.executable} {HERE / 'bare_server.py'} --host {HOST} --port {self.port}"
        return f"ulimit -n {NOFILE} 2>/dev/null || ulimit -n $(ulimit -Hn); {exe}"

    def runner(self) -> Path:
        """Diagnosis only: our server's `main` under cProfile."""
        lines = ["import signal, sys", "from artme_cop.cli import main"]
        call = f"main(['serve', '--host', '{HOST}', '--port', '{self.port}', '--no-migrate'])"
        if self.profile:
            # uvicorn re-raises SIGTERM after its shutdown; make it SystemExit so the profile is written.
            lines += [
                "import cProfile",
                "def stop(*_): raise SystemExit(0)",
                "signal.signal(signal.SIGTERM, stop)",
                "profile = cProfile.Profile()",
                "profile.enable()",
                "try:",
                f"    {call}",
                "finally:",
                "    profile.disable()",
                f"    profile.dump_stats({self.profile!r})",
            ]
        else:
            lines.append(call)
        script = self.log.with_suffix(".runner.py")
        script.write_text("\n".join(lines) + "\n")
        return script

    def start(self, timeout: float = 60.0) -> Server:
        base = {k: v for k, v in os.environ.items() if not k.startswith("ARTME")}
        base.update(self.env)
        base["PYTHONUNBUFFERED"] = "1"
        with open(self.log, "ab") as handle:
            self.process = subprocess.Popen(["bash", "-c", self.command()], env=base, stdout=handle, stderr=subprocess.STDOUT, cwd=str(ROOT))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.ready():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {timeout} s:\n{self.log_tail()}")

    def ready(self) -> bool:
        if self.kind == "ours":
            try:
                with urllib.request.urlopen(f"{self.base_url}/healthz", timeout=2) as response:
                    return response.status == 200
            except (urllib.error.URLError, OSError):
                return False
        try:
            with socket.create_connection((HOST, self.port), timeout=1):
                return True
        except OSError:
            return False

    def cpu(self) -> float:
        return proc_cpu_seconds(self.pid)

    def memory(self) -> dict[str, int]:
        return proc_memory(self.pid)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def log_counts(self) -> dict[str, int]:
        """Counts of tell-tale lines in the server's log."""
        try:
            text = self.log.read_text(errors="replace")
        except OSError:
            return {}
        return {
            "tracebacks": text.count("Traceback"),
            "errors": text.count("ERROR"),
            "warnings": text.count("WARNING"),
            "slow_consumer_closes": text.count("too slow; closing it"),
        }

    def target_entry(self) -> dict[str, str]:
        return {"ws_url": self.ws_url, "origin": self.base_url}


# ============================================================================================
# Database: migrate, seed, PostgreSQL throwaway databases.
# ============================================================================================


@dataclass
class World:
    cohorts: list[int]
    conversations: list[int]
    people: list[list[str]]  # per cohort, e-mail addresses
    replay_conversation: int | None
    replay_person: str
    replay_messages: int


def bench_settings(workdir: Path, database_url: str) -> Any:
    from artme_cop.settings import Secret, Settings

    return Settings(data_dir=workdir / "data", database_url=database_url, secret_key=Secret(SECRET))


async def pg_create() -> str:
    """A throwaway PostgreSQL database, made the same way as the tests make theirs."""
    from tests.pg import create_database

    return await create_database("artme_bench")


async def pg_drop(url: str) -> None:
    from tests.pg import drop_database

    await drop_database(url)


def password_hash(production: bool) -> str:
    """ONE hash for everybody. By default a cheap Argon2id (t=1, m=8 MiB): the server verifies
    whatever parameters the hash names, so hundreds of sign-ins take seconds, not minutes."""
    if production:
        from artme_cop.identity.passwords import hash_password

        return hash_password(PASSWORD)
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)


async def seed(settings: Any, *, cohorts: int, people_per_cohort: int, replay_messages: int, production_hash: bool) -> World:
    from sqlalchemy import insert, select, update

    from artme_cop.clock import SystemClock
    from artme_cop.conversations import service as conversations
    from artme_cop.conversations.models import Conversation, ConversationKind, Message
    from artme_cop.conversations.rendering import RENDERER_VERSION
    from artme_cop.db import make_engine, make_sessionmaker
    from artme_cop.identity.models import Cohort, CohortMembership, Institution, Person, Role, RoleAssignment
    from artme_cop.policy import SpaceScope
    from artme_cop.unit_of_work import UnitOfWork

    hashed = password_hash(production_hash)
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), SystemClock(), settings) as uow:
            now = uow.clock.now()
            session = uow.session
            institution = Institution(name="Bench School of Medicine", short_name="Bench", created_at=now)
            session.add(institution)
            await uow.flush()
            cohort_rows = [Cohort(institution_id=institution.id, name=f"Bench cohort {c + 1}", wave=1, created_at=now) for c in range(cohorts)]
            session.add_all(cohort_rows)
            await uow.flush()
            emails: list[list[str]] = [[f"bench-c{c:03d}-p{p:04d}@bench.example.org" for p in range(people_per_cohort)] for c in range(cohorts)]
            replay_person = "bench-replay@bench.example.org"
            rows = [
                {"email": email, "display_name": f"Bench {c}-{p}", "pronouns": "", "title": "", "password_hash": hashed,
                 "institution_id": institution.id, "session_epoch": 0, "is_deleted": False, "created_at": now}
                for c in range(cohorts) for p, email in enumerate(emails[c])
            ]
            rows.append({**rows[0], "email": replay_person, "display_name": "Bench replay"})
            await session.execute(insert(Person), rows)
            ids = dict((await session.execute(select(Person.email, Person.id))).all())
            memberships, roles = [], []
            for c, cohort in enumerate(cohort_rows):
                members = emails[c] + ([replay_person] if c == 0 else [])
                for email in members:
                    memberships.append({"person_id": ids[email], "cohort_id": cohort.id, "constituency": "staff", "joined_at": now})
                    roles.append({"person_id": ids[email], "role": Role.PARTICIPANT.value, "institution_id": institution.id, "cohort_id": cohort.id, "granted_at": now})
            await session.execute(insert(CohortMembership), memberships)
            await session.execute(insert(RoleAssignment), roles)
            conversation_ids = []
            for c, cohort in enumerate(cohort_rows):
                made = await conversations.open_conversation(
                    uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.COHORT, title=f"Bench lounge {c + 1}", institution_id=institution.id, cohort_id=cohort.id
                )
                conversation_ids.append(made.id)
            replay_id = None
            if replay_messages:
                replay = await conversations.open_conversation(
                    uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.COHORT, title="Bench replay", institution_id=institution.id, cohort_id=cohort_rows[0].id
                )
                replay_id = replay.id
                author = ids[emails[0][0]]
                for first in range(1, replay_messages + 1, 2000):
                    batch = [
                        {"conversation_id": replay.id, "seq": seq, "author_id": author, "client_msg_id": f"replay-{seq}", "body": f"replay message {seq}",
                         "html": f"<p>replay message {seq}</p>", "renderer_version": RENDERER_VERSION, "reply_to_seq": None, "created_at": now, "hide_reason": ""}
                        for seq in range(first, min(first + 2000, replay_messages + 1))
                    ]
                    await session.execute(insert(Message), batch)
                await session.execute(update(Conversation).where(Conversation.id == replay.id).values(last_seq=replay_messages))
    finally:
        await engine.dispose()
    return World([c.id for c in cohort_rows], conversation_ids, emails, replay_id, replay_person, replay_messages)


async def sign_in_all(base_url: str, emails: list[str], concurrency: int = 8) -> dict[str, str]:
    from artme_cop.realtime.client import sign_in

    semaphore = asyncio.Semaphore(concurrency)
    cookies: dict[str, str] = {}

    async def one(email: str) -> None:
        async with semaphore:
            for attempt in range(3):
                try:
                    cookies[email] = await sign_in(base_url, email, PASSWORD)
                    return
                except Exception:
                    if attempt == 2:
                        raise
                    await asyncio.sleep(0.5)

    await asyncio.gather(*(one(e) for e in emails))
    return cookies


# ============================================================================================
# The orchestrator.
# ============================================================================================


class Generators:
    def __init__(self, count: int) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipes = []
        self.processes = []
        for index in range(count):
            parent, child = context.Pipe()
            process = context.Process(target=generator_main, args=(index, child), name=f"bench-generator-{index}", daemon=True)
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.executor = concurrent.futures.ThreadPoolExecutor(max_workers=max(4, 2 * count))

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p.pid is not None]

    def cpu(self) -> float:
        return sum(proc_cpu_seconds(pid) for pid in self.pids)

    async def recv(self, index: int, timeout: float) -> Any:
        loop = asyncio.get_running_loop()
        pipe = self.pipes[index]

        def wait() -> Any:
            if not pipe.poll(timeout):
                raise TimeoutError(f"generator {index} did not answer within {timeout:.0f} s")
            return pipe.recv()

        status, payload = await loop.run_in_executor(self.executor, wait)
        if status == "error":
            raise RuntimeError(f"generator {index} failed:\n{payload}")
        return status, payload

    async def call_all(self, command: str, payloads: list[Any], timeout: float = 600) -> list[Any]:
        for pipe, payload in zip(self.pipes, payloads):
            pipe.send((command, payload))
        answers = await asyncio.gather(*(self.recv(i, timeout) for i in range(len(self.pipes))))
        return [payload for _, payload in answers]

    def quit(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(Exception):
                pipe.send(("quit", None))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)


@dataclass
class Target:
    kind: str  # "ours" or "bare"
    servers: list[Server]
    label: str = ""
    runs: list[dict[str, Any]] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "servers": [s.target_entry() for s in self.servers]}

    def cpu(self) -> float:
        return sum(s.cpu() for s in self.servers)

    def main_thread_cpu(self) -> float:
        return sum(proc_main_thread_cpu_seconds(s.pid) for s in self.servers)

    def log_counts(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for server in self.servers:
            for key, value in server.log_counts().items():
                total[key] = total.get(key, 0) + value
        return total


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.phase = 0
        self.results: dict[str, Any] = {"config": {k: v for k, v in vars(args).items() if k != "json"}}
        self.workdir = Path(tempfile.mkdtemp(prefix="artme-bench-"))
        self.servers: list[Server] = []
        self.generators: Generators | None = None
        self.database_url = ""
        self.drop_database = False
        self.redis_prefix = ""
        self.world: World | None = None
        self.cookies: dict[str, str] = {}

    def say(self, text: str) -> None:
        elapsed = time.monotonic() - self.started
        print(f"[{elapsed:6.1f}s] {text}", flush=True)

    # -- preparing ---------------------------------------------------------------------------
    async def prepare(self) -> None:
        from alembic import command

        from artme_cop.cli import alembic_config

        args = self.args
        if args.database_url:
            self.database_url = args.database_url
        elif args.processes > 1 or args.postgres:
            self.database_url = await pg_create()
            self.drop_database = True
        else:
            self.database_url = f"sqlite+aiosqlite:///{self.workdir / 'bench.db'}"
        settings = bench_settings(self.workdir, self.database_url)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        await asyncio.to_thread(command.upgrade, alembic_config(settings), "head")
        migrated = time.perf_counter()
        cohorts = max(args.conversations, args.idle_conversations if args.idle else 0)
        per_room = math.ceil(args.connections / args.conversations)
        if args.idle:
            per_room = max(per_room, math.ceil(args.idle_connections / args.idle_conversations))
        people_per_cohort = math.ceil(per_room / PER_PERSON)
        self.world = await seed(
            settings, cohorts=cohorts, people_per_cohort=people_per_cohort,
            replay_messages=args.replay_messages if args.replay else 0, production_hash=args.production_hash,
        )
        self.results["setup"] = {
            "database": self.database_url.split("://", 1)[0],
            "migrate_seconds": round(migrated - started, 2),
            "seed_seconds": round(time.perf_counter() - migrated, 2),
            "people": people_per_cohort * cohorts + 1,
            "conversations": cohorts,
        }
        self.say(f"database {self.results['setup']['database']} migrated and seeded: {cohorts} cohorts x {people_per_cohort} people"
                 + (f", replay conversation with {args.replay_messages} messages" if args.replay else ""))

    def our_env(self, name: str) -> dict[str, str]:
        env = {
            "ARTME_DATA_DIR": str(self.workdir / name),
            "ARTME_DATABASE_URL": self.database_url,
            "ARTME_SECRET_KEY": SECRET,
            "ARTME_MESSAGE_RATE": "1000000",
            "ARTME_LOGIN_LIMIT_ADDRESS": "100000/minute",
            "ARTME_LOGIN_LIMIT_ACCOUNT": "100000/minute",
            "ARTME_LOG_LEVEL": "WARNING",
        }
        if self.args.processes > 1:
            env["ARTME_REDIS_URL"] = self.args.redis
            env["ARTME_REDIS_PREFIX"] = self.redis_prefix
        return env

    def start_ours(self, tag: str) -> Target:
        servers = []
        if self.args.processes > 1 and not self.redis_prefix:
            self.redis_prefix = f"artmebench{uuid.uuid4().hex[:10]}"
        for index in range(self.args.processes):
            name = f"ours-{tag}-{index}"
            server = Server("ours", name, self.workdir)
            server.env = {**self.our_env(name), "ARTME_BASE_URL": server.base_url}
            if self.args.switch_interval:
                server.env["ARTME_GIL_SWITCH_US"] = str(round(self.args.switch_interval * 1_000_000))
            if self.args.profile_dir:
                Path(self.args.profile_dir).mkdir(parents=True, exist_ok=True)
                server.profile = str(Path(self.args.profile_dir).resolve() / f"{name}.prof")
            self.servers.append(server)
            servers.append(server.start())
        return Target("ours", servers, label="ours" + (f" ({self.args.processes} processes, Redis)" if self.args.processes > 1 else ""))

    def start_bare(self, tag: str) -> Target:
        server = Server("bare", f"bare-{tag}", self.workdir)
        self.servers.append(server)
        return Target("bare", [server.start()], label="bare websockets")

    async def ensure_cookies(self, target: Target, emails: list[str]) -> None:
        missing = [e for e in emails if e not in self.cookies]
        if not missing:
            return
        started = time.perf_counter()
        self.cookies.update(await sign_in_all(target.servers[0].base_url, missing))
        self.say(f"signed in {len(missing)} people through /login in {time.perf_counter() - started:.1f} s")

    def specs(self, target: Target, connections: int, senders: int, rooms: int) -> tuple[list[list[dict[str, Any]]], list[str]]:
        """Connections spread over the first `rooms` conversations (and the servers), <= 10 per person per process."""
        assert self.world is not None
        per_room = [connections // rooms + (1 if r < connections % rooms else 0) for r in range(rooms)]
        processes = len(target.servers)
        every: list[dict[str, Any]] = []
        used: set[str] = set()
        for room, count in enumerate(per_room):
            for j in range(count):
                email = self.world.people[room][j // PER_PERSON]
                used.add(email)
                every.append({"server": j % processes, "cookie": email, "conversation": self.world.conversations[room], "sender": -1})
        # Sender k sends into conversation k % R from an already subscribed connection.
        by_room: dict[int, list[dict[str, Any]]] = {}
        for spec in every:
            by_room.setdefault(spec["conversation"], []).append(spec)
        for k in range(senders):
            room = self.world.conversations[k % rooms]
            members = by_room[room]
            # Prefer a person not sending yet, on server k % processes, so the writes spread too.
            choices = [m for m in members if m["sender"] < 0 and m["server"] == k % processes] or [m for m in members if m["sender"] < 0]
            choices[(k // rooms) * PER_PERSON % len(choices)]["sender"] = k
        # Deal connections to generators round robin, so each holds some of every room.
        gens = self.args.generators
        dealt: list[list[dict[str, Any]]] = [[] for _ in range(gens)]
        for index, spec in enumerate(every):
            dealt[index % gens].append(spec)
        return dealt, sorted(used)

    async def open_load(self, target: Target, connections: int, senders: int, rooms: int) -> dict[str, Any]:
        assert self.generators is not None
        dealt, emails = self.specs(target, connections, senders, rooms)
        if target.kind == "ours":
            await self.ensure_cookies(target, emails)
        for specs in dealt:
            for spec in specs:
                spec["cookie"] = self.cookies.get(spec["cookie"], "") if target.kind == "ours" else ""
        started = time.perf_counter()
        answers = await self.generators.call_all("setup", [{"target": target.payload(), "specs": specs, "concurrency": self.args.connect_concurrency} for specs in dealt])
        seconds = time.perf_counter() - started
        opened = sum(a["opened"] for a in answers)
        failed = sum(a["failed"] for a in answers)
        failures = [f for a in answers for f in a["failures"]][:5]
        self.say(f"{target.label}: {opened} connections open and subscribed in {seconds:.1f} s ({opened / max(seconds, 1e-9):.0f}/s)"
                 + (f", {failed} failed: {failures}" if failed else ""))
        result = {"opened": opened, "failed": failed, "failures": failures, "seconds": round(seconds, 2), "per_second": round(opened / max(seconds, 1e-9), 1)}
        for _ in range(2):  # reopen the failures, a few at a time
            if opened == connections:
                break
            again = await self.generators.call_all("ensure", [{"concurrency": 4}] * len(self.generators.pipes))
            opened += sum(a["opened"] for a in again)
            self.say(f"  retried {sum(a['reopened'] for a in again)}: {opened} open now")
        result["open_after_retries"] = opened
        return result

    async def run_load(self, target: Target, *, rate: float, duration: float, grace: float) -> dict[str, Any]:
        """One measured window: S senders at `rate` msgs/s in total for `duration` s, then drain."""
        assert self.generators is not None
        self.phase += 1
        senders = self.args.senders
        ensure = await self.generators.call_all("ensure", [{"concurrency": self.args.connect_concurrency}] * len(self.generators.pipes))
        reopened = sum(a["reopened"] for a in ensure)
        start = time.time() + 0.5
        payload = {"phase": self.phase, "start": start, "duration": duration, "rate_per_sender": rate / senders, "senders": senders, "grace": grace}
        for pipe in self.generators.pipes:
            pipe.send(("run", payload))
        await asyncio.sleep(max(0.0, start - time.time()))
        cpu0, gen_cpu0, wall0, main0 = target.cpu(), self.generators.cpu(), time.time(), target.main_thread_cpu()
        busy0, own0, services0 = machine_busy_seconds(), proc_cpu_seconds(os.getpid()), services_cpu()
        reports = await asyncio.gather(*(self.generators.recv(i, duration + 120) for i in range(len(self.generators.pipes))))
        totals: dict[int, int] = {}
        subscribers: dict[int, int] = {}
        for status, report in reports:
            assert status == "sent", status
            for conversation, count in report["sent"].items():
                totals[conversation] = totals.get(conversation, 0) + count
            for conversation, count in report["subscribers"].items():
                subscribers[conversation] = subscribers.get(conversation, 0) + count
        for pipe in self.generators.pipes:
            pipe.send(("expect", {"totals": totals}))
        finals = [payload for _, payload in await asyncio.gather(*(self.generators.recv(i, grace + 120) for i in range(len(self.generators.pipes))))]
        cpu1, gen_cpu1, wall1, main1 = target.cpu(), self.generators.cpu(), time.time(), target.main_thread_cpu()
        busy1, own1, services1 = machine_busy_seconds(), proc_cpu_seconds(os.getpid()), services_cpu()
        services = sum(cpu - services0.get(pid, 0.0) for pid, cpu in services1.items())

        latencies: list[float] = []
        ack_latencies: list[float] = []
        buckets: dict[int, list[float]] = {}
        for final in finals:
            part = array("d")
            part.frombytes(final["latencies"])
            latencies.extend(part)
            sent_at = array("d")
            sent_at.frombytes(final["sent_at"])
            for when, latency in zip(sent_at, part):
                buckets.setdefault(int(when - start), []).append(latency)
            part = array("d")
            part.frombytes(final["ack_latencies"])
            ack_latencies.extend(part)
        latencies.sort()
        ack_latencies.sort()
        sent = sum(totals.values())
        expected = sum(count * subscribers.get(conversation, 0) for conversation, count in totals.items())
        received = sum(f["received"] for f in finals)
        last_delivery = max((f["last_delivery"] for f in finals), default=0.0)
        window = max(last_delivery - start, duration) if received else duration
        server_cpu = cpu1 - cpu0
        gen_cpu = gen_cpu1 - gen_cpu0
        errors: dict[str, int] = {}
        closed: dict[str, int] = {}
        for final in finals:
            for code, count in final["errors"].items():
                errors[code] = errors.get(code, 0) + count
            for code, count in final["closed"].items():
                closed[code] = closed.get(code, 0) + count
        memory = [s.memory() for s in target.servers]
        result = {
            "phase": self.phase,
            "target_rate": rate,
            "duration": duration,
            "senders": senders,
            "connections": sum(subscribers.values()),
            "reopened_before": reopened,
            "sent": sent,
            "achieved_rate": round(sent / duration, 1),
            "acked": sum(f["acked"] for f in finals) if target.kind == "ours" else None,
            "unacked": sum(f["unacked"] for f in finals) if target.kind == "ours" else None,
            "duplicate_acks": sum(f["duplicate_acks"] for f in finals),
            "errors": errors,
            "error_samples": [s for f in finals for s in f["error_samples"]][:5],
            "expected": expected,
            "received": received,
            "lost": expected - received,
            "duplicates": sum(f["duplicates"] for f in finals),
            "stale": sum(f["stale"] for f in finals),
            "closed_by_server": closed,
            "window_seconds": round(window, 3),
            "deliveries_per_second": round(received / window, 1) if window > 0 else 0.0,
            "latency_ms": {
                "p50": ms(percentile(latencies, 0.50)), "p95": ms(percentile(latencies, 0.95)),
                "p99": ms(percentile(latencies, 0.99)), "max": ms(latencies[-1]) if latencies else float("nan"),
            },
            # p50/p99 by the second the messages were sent in: a growing backlog shows here.
            "timeline_ms": [{"second": k, "p50": ms(percentile(sorted(v), 0.5)), "p99": ms(percentile(sorted(v), 0.99)), "deliveries": len(v)} for k, v in sorted(buckets.items())],
            "ack_latency_ms": {"p50": ms(percentile(ack_latencies, 0.50)), "p99": ms(percentile(ack_latencies, 0.99))} if ack_latencies else None,
            "server_cpu_seconds": round(server_cpu, 2),
            "server_cpu_percent": round(100 * server_cpu / max(wall1 - wall0, 1e-9), 1),
            "server_cpu_us_per_delivery": round(1e6 * server_cpu / received, 2) if received else None,
            "server_cpu_ms_per_message": round(1e3 * server_cpu / sent, 3) if sent else None,
            "server_main_thread_cpu_seconds": round(main1 - main0, 2),
            "server_other_threads_cpu_seconds": round(server_cpu - (main1 - main0), 2),
            "generator_cpu_seconds": round(gen_cpu, 2),
            "generator_cpu_percent": round(100 * gen_cpu / max(wall1 - wall0, 1e-9), 1),
            "generator_cpu_us_per_delivery": round(1e6 * gen_cpu / received, 2) if received else None,
            # PostgreSQL and Redis work for our server (with --postgres / --processes 2): part of its cost.
            "db_redis_cpu_percent": round(100 * services / max(wall1 - wall0, 1e-9), 1),
            "db_redis_cpu_us_per_delivery": round(1e6 * services / received, 2) if received else None,
            # Whatever else ran on the machine meanwhile (other processes compete for the 2 cores).
            "other_cpu_percent": round(100 * max(0.0, (busy1 - busy0) - server_cpu - gen_cpu - services - (own1 - own0)) / max(wall1 - wall0, 1e-9), 1),
            "server_rss_mb": round(sum(m["rss"] for m in memory) / 2**20, 1),
            "server_peak_rss_mb": round(sum(m["hwm"] for m in memory) / 2**20, 1),
        }
        # A generator process near a full core, or a machine with no idle core left, cannot
        # tell us the server's own limit.
        result["generator_bound"] = gen_cpu / max(wall1 - wall0, 1e-9) >= 0.85 * len(self.generators.pipes)
        result["machine_cpu_percent"] = round(100 * (busy1 - busy0) / max(wall1 - wall0, 1e-9) / (os.cpu_count() or 1), 1)
        result["machine_saturated"] = result["machine_cpu_percent"] >= 90.0
        reasons = []
        if result["lost"]:
            reasons.append("loss")
        if errors:
            reasons.append("errors")
        if closed:
            reasons.append("closed")
        if result["unacked"]:
            reasons.append("unacked")
        if not result["latency_ms"]["p99"] <= self.args.p99_ms:
            reasons.append("p99")
        if sent < 0.9 * rate * duration:
            reasons.append("rate not reached")
        result["fail_reasons"] = reasons
        result["ok"] = not reasons
        target.runs.append(result)
        return result

    def describe(self, target: Target, r: dict[str, Any]) -> str:
        lat = r["latency_ms"]
        extra = []
        if r["errors"]:
            extra.append(f"errors {r['errors']}")
        if r["closed_by_server"]:
            extra.append(f"closed {r['closed_by_server']}")
        if r["generator_bound"]:
            extra.append("GENERATOR-BOUND")
        if r["machine_saturated"]:
            extra.append(f"machine CPU {r['machine_cpu_percent']}%")
        trend = " ".join(f"{t['p50']:.0f}" for t in r["timeline_ms"])
        extra.append(f"p50 by second sent: {trend} ms")
        return (f"{target.label}: {r['target_rate']:.0f} msg/s -> sent {r['sent']}, lost {r['lost']}/{r['expected']}, "
                f"{r['deliveries_per_second']:.0f} deliveries/s, p50 {lat['p50']} p99 {lat['p99']} max {lat['max']} ms, "
                f"server CPU {r['server_cpu_percent']}% ({r['server_cpu_us_per_delivery']} us/delivery), gen CPU {r['generator_cpu_percent']}%, "
                + (f"PostgreSQL+Redis CPU {r['db_redis_cpu_percent']}%, " if r["db_redis_cpu_percent"] >= 1 else "")
                + f"other CPU {r['other_cpu_percent']}%"
                + (f" [{'; '.join(extra)}]" if extra else ""))

    async def ramp(self, target: Target) -> dict[str, Any]:
        args = self.args
        steps = []
        best: dict[str, Any] | None = None
        failed: dict[str, Any] | None = None
        rate = args.ramp_start
        for step in range(args.ramp_steps):
            result = await self.run_load(target, rate=rate, duration=args.ramp_seconds, grace=args.ramp_grace)
            steps.append(result)
            self.say("  ramp step " + str(step + 1) + ": " + self.describe(target, result) + ("  ok" if result["ok"] else f"  FAIL ({', '.join(result['fail_reasons'])})"))
            if not result["ok"]:
                failed = result
                break
            best = result
            rate *= args.ramp_factor
            await asyncio.sleep(0.5)
        # Between the last pass and the first failure, halve the gap (geometrically) a few
        # times: with x1.5 steps alone the ceiling, and so the ratio to bare, moves in jumps.
        for step in range(args.ramp_refine if best and failed else 0):
            assert best is not None and failed is not None
            rate = (best["target_rate"] * failed["target_rate"]) ** 0.5
            await asyncio.sleep(0.5)
            result = await self.run_load(target, rate=rate, duration=args.ramp_seconds, grace=args.ramp_grace)
            steps.append(result)
            self.say("  refining " + str(step + 1) + ": " + self.describe(target, result) + ("  ok" if result["ok"] else f"  FAIL ({', '.join(result['fail_reasons'])})"))
            if result["ok"]:
                best = result
            else:
                failed = result
        return {
            "best_rate": best["target_rate"] if best else None,
            "best_deliveries_per_second": best["deliveries_per_second"] if best else None,
            "best_p99_ms": best["latency_ms"]["p99"] if best else None,
            "limit_reached": failed is not None,
            "failed_step_generator_bound": failed is not None and failed["generator_bound"],
            "failed_step_machine_saturated": failed is not None and failed["machine_saturated"],
            "steps": [{k: s[k] for k in ("target_rate", "sent", "lost", "deliveries_per_second", "latency_ms", "server_cpu_percent", "server_cpu_us_per_delivery",
                                        "generator_cpu_percent", "db_redis_cpu_percent", "other_cpu_percent", "machine_cpu_percent", "generator_bound", "machine_saturated", "errors",
                                        "closed_by_server", "fail_reasons", "ok")} for s in steps],
        }

    async def replay(self, target: Target) -> dict[str, Any]:
        """Time from `subscribe after_seq=0` to the last of the stored messages, fresh connection each time."""
        assert self.world is not None and self.world.replay_conversation is not None
        await self.ensure_cookies(target, [self.world.replay_person])
        cookie = self.cookies[self.world.replay_person]
        server = target.servers[0]
        wanted = self.world.replay_messages
        trials = []
        for _ in range(self.args.replay_trials):
            loop = asyncio.get_running_loop()
            state = {"count": 0, "last_seq": 0, "in_order": True, "done_at": 0.0, "ack_at": 0.0}
            done = loop.create_future()
            ready = loop.create_future()

            def on_message(payload: bytes) -> None:
                if payload.startswith(b'{"type":"message"'):
                    i = payload.find(b',"seq":') + 7
                    j = payload.find(b",", i)
                    seq = int(payload[i:j])
                    if seq != state["last_seq"] + 1:
                        state["in_order"] = False
                    state["last_seq"] = seq
                    state["count"] += 1
                    if state["count"] == wanted:
                        state["done_at"] = time.perf_counter()
                        if not done.done():
                            done.set_result(None)
                elif payload.startswith(b'{"type":"ready"'):
                    if not ready.done():
                        ready.set_result(None)
                elif payload.startswith(b'{"type":"ack"') and b'"ref":"replay"' in payload:
                    state["ack_at"] = time.perf_counter()

            ws = await ws_connect(server.ws_url, on_message, origin=server.base_url, cookie=cookie)
            await asyncio.wait_for(ready, 30)
            cpu0 = target.cpu()
            started = time.perf_counter()
            ws.send_text(json.dumps({"type": "subscribe", "conversation": self.world.replay_conversation, "after_seq": 0, "ref": "replay"}))
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(done, self.args.replay_timeout)
            deadline = time.perf_counter() + 5
            while not state["ack_at"] and time.perf_counter() < deadline:
                await asyncio.sleep(0.01)
            cpu1 = target.cpu()
            ws.close()
            trial = {
                "received": state["count"],
                "in_order": state["in_order"],
                "seconds_to_last": round(state["done_at"] - started, 3) if state["done_at"] else None,
                "seconds_to_ack": round(state["ack_at"] - started, 3) if state["ack_at"] else None,
                "server_cpu_seconds": round(cpu1 - cpu0, 2),
            }
            trials.append(trial)
            self.say(f"  replay of {wanted} messages: {trial}")
            await asyncio.sleep(0.3)
        times = [t["seconds_to_last"] for t in trials if t["seconds_to_last"] is not None]
        return {
            "messages": wanted,
            "trials": trials,
            "median_seconds": round(statistics.median(times), 3) if times else None,
            "best_seconds": round(min(times), 3) if times else None,
            "messages_per_second": round(wanted / statistics.median(times)) if times else None,
        }

    async def idle_memory(self, kind: str) -> dict[str, Any]:
        """RSS of a fresh server with K idle subscribed connections minus with none, per connection."""
        target = self.start_ours("idle") if kind == "ours" else self.start_bare("idle")
        try:
            warm = min(20, self.args.idle_connections)
            await self.open_load(target, warm, 0, min(warm, self.args.idle_conversations))
            assert self.generators is not None
            await self.generators.call_all("close", [None] * len(self.generators.pipes))
            await asyncio.sleep(1.5)
            before = [s.memory() for s in target.servers]
            setup = await self.open_load(target, self.args.idle_connections, 0, self.args.idle_conversations)
            await asyncio.sleep(2.0)
            after = [s.memory() for s in target.servers]
            await self.generators.call_all("close", [None] * len(self.generators.pipes))
        finally:
            for server in target.servers:
                server.stop()
        rss0 = sum(m["rss"] for m in before)
        rss1 = sum(m["rss"] for m in after)
        opened = setup["open_after_retries"]
        return {
            "connections": opened,
            "failed": setup["failed"],
            "setup_seconds": setup["seconds"],
            "connections_per_second": setup["per_second"],
            "rss_before_mb": round(rss0 / 2**20, 1),
            "rss_after_mb": round(rss1 / 2**20, 1),
            "kib_per_connection": round((rss1 - rss0) / max(opened, 1) / 1024, 1),
            "log": target.log_counts(),
        }

    # -- the whole run -------------------------------------------------------------------------
    async def main(self) -> None:
        args = self.args
        self.started = time.monotonic()
        self.say(f"work directory {self.workdir}")
        self.results["machine"] = {"cpus": os.cpu_count(), "loadavg_at_start": Path("/proc/loadavg").read_text().split()[:3]}
        self.results["code"] = code_version()
        self.say(f"code: {self.results['code']}")
        await self.prepare()
        self.generators = Generators(args.generators)
        targets = [("ours", self.start_ours)] + ([] if args.skip_bare else [("bare", self.start_bare)])
        for kind, start in targets:
            if args.skip_load and not (kind == "ours" and args.replay):
                continue
            target = start("load")
            self.say(f"{target.label} started (pid {', '.join(str(s.pid) for s in target.servers)})")
            entry: dict[str, Any] = {"label": target.label}
            self.results[kind] = entry
            try:
                if not args.skip_load:
                    entry["setup"] = await self.open_load(target, args.connections, args.senders, args.conversations)
                    if args.warmup > 0:
                        # Unscored: first queries compile, caches fill, buffers grow.
                        warm = await self.run_load(target, rate=args.rate, duration=args.warmup, grace=args.grace)
                        target.runs.remove(warm)
                        self.say(f"warm-up ({args.warmup:g} s, not scored): p99 {warm['latency_ms']['p99']} ms, lost {warm['lost']}")
                    result = await self.run_load(target, rate=args.rate, duration=args.duration, grace=args.grace)
                    entry["fixed"] = result
                    self.say(self.describe(target, result))
                    if args.ramp:
                        entry["ramp"] = await self.ramp(target)
                        self.say(f"{target.label}: highest rate with p99 <= {args.p99_ms:.0f} ms and no loss: {entry['ramp']['best_rate']} msg/s")
                        best = entry["ramp"]["best_rate"]
                        if best:
                            # The latency target is stated at half the sustained rate.
                            half = await self.run_load(target, rate=best / 2, duration=args.duration, grace=args.grace)
                            entry["half_rate"] = half
                            self.say("at half that rate: " + self.describe(target, half))
                    await self.generators.call_all("close", [None] * len(self.generators.pipes))
                if kind == "ours" and args.replay:
                    entry["replay"] = await self.replay(target)
                memory = [s.memory() for s in target.servers]
                entry["server_peak_rss_mb"] = round(sum(m["hwm"] for m in memory) / 2**20, 1)
                entry["log"] = target.log_counts()
            finally:
                for server in target.servers:
                    server.stop()
                await asyncio.sleep(1.0)  # let the stopped server's exit settle before measuring the next
        if args.idle:
            self.results["idle"] = {}
            for kind, _ in targets:
                self.say(f"idle memory: {kind}, {args.idle_connections} connections")
                self.results["idle"][kind] = await self.idle_memory(kind)
                self.say(f"  {self.results['idle'][kind]}")
        self.results["ratios"] = ratios(self.results)
        self.results["elapsed_seconds"] = round(time.monotonic() - self.started, 1)

    async def cleanup(self) -> None:
        for server in self.servers:
            with contextlib.suppress(Exception):
                server.stop()
        if self.generators is not None:
            self.generators.quit()
        if self.drop_database:
            with contextlib.suppress(Exception):
                await pg_drop(self.database_url)
        if self.redis_prefix:
            with contextlib.suppress(Exception):
                import redis.asyncio as redis

                client = redis.from_url(self.args.redis)
                keys = [key async for key in client.scan_iter(f"{self.redis_prefix}:*")]
                # the rate limiter stores its keys under LIMITS:<prefix>/...
                keys += [key async for key in client.scan_iter(f"*{self.redis_prefix}*")]
                if keys:
                    await client.delete(*set(keys))
                await client.aclose()
        if not self.args.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def code_version() -> str:
    """The commit measured, and whether src/ differs from it."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src"], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"{head}{' + uncommitted changes in src/' if dirty else ''}" if head else "unknown"


def cpu_at_same_rate(ours: list[dict[str, Any]], bare: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CPU per delivery of both servers at each ramp rate both passed: the per-delivery
    target compares the servers under the same load, and at low rates the idle work of
    1,000 open sockets (keepalive pings) is a large share of a few deliveries."""
    passed = {round(s["target_rate"]): s for s in bare if s["ok"]}
    rows = []
    for step in ours:
        other = passed.get(round(step["target_rate"]))
        if step["ok"] and other and other["server_cpu_us_per_delivery"]:
            rows.append({"rate": step["target_rate"], "ours_us": step["server_cpu_us_per_delivery"], "bare_us": other["server_cpu_us_per_delivery"],
                         "ratio": round(step["server_cpu_us_per_delivery"] / other["server_cpu_us_per_delivery"], 3)})
    return rows


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    ours, bare = results.get("ours", {}), results.get("bare", {})
    out: dict[str, Any] = {}

    def ratio(a: Any, b: Any) -> float | None:
        return round(a / b, 3) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None

    if "fixed" in ours and "fixed" in bare:
        o, b = ours["fixed"], bare["fixed"]
        out["deliveries_per_second"] = ratio(o["deliveries_per_second"], b["deliveries_per_second"])
        out["cpu_us_per_delivery"] = ratio(o["server_cpu_us_per_delivery"], b["server_cpu_us_per_delivery"])
        out["p99_latency"] = ratio(o["latency_ms"]["p99"], b["latency_ms"]["p99"])
    if "ramp" in ours and "ramp" in bare:
        out["ramp_best_rate"] = ratio(ours["ramp"]["best_rate"], bare["ramp"]["best_rate"])
        out["ramp_best_deliveries_per_second"] = ratio(ours["ramp"]["best_deliveries_per_second"], bare["ramp"]["best_deliveries_per_second"])
        out["cpu_at_same_rate"] = cpu_at_same_rate(ours["ramp"]["steps"], bare["ramp"]["steps"])
    idle = results.get("idle", {})
    if "ours" in idle and "bare" in idle:
        out["idle_kib_per_connection"] = ratio(idle["ours"]["kib_per_connection"], idle["bare"]["kib_per_connection"])
    return out


# ============================================================================================
# Printing.
# ============================================================================================


def fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, dict):
        return ", ".join(f"{k}:{v}" for k, v in value.items()) or "-"
    return str(value)


def table(rows: list[tuple[str, ...]], header: tuple[str, ...]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) if i == 0 else str(h).rjust(w) for i, (h, w) in enumerate(zip(header, widths))), line]
    for row in rows:
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths))))
    return "\n".join(out)


def summary(results: dict[str, Any]) -> str:
    config = results["config"]
    ours, bare = results.get("ours", {}), results.get("bare", {})
    parts = [
        "",
        "=" * 100,
        f"Fan-out benchmark: {config['connections']} connections, {config['conversations']} conversations, {config['senders']} senders, "
        f"{config['rate']:g} msg/s for {config['duration']:g} s, {config['generators']} generator process(es), "
        f"{config['processes']} server process(es), database {results.get('setup', {}).get('database', '?')}",
        f"code {results.get('code', '?')}; load average at start {' '.join(results.get('machine', {}).get('loadavg_at_start', []))} on {results.get('machine', {}).get('cpus', '?')} cores",
        "=" * 100,
    ]
    if config["processes"] > 1:
        parts.append("Note: our server runs as several processes sharing Redis; the bare server is one process.")
    of, bf = ours.get("fixed"), bare.get("fixed")
    ratio = results.get("ratios", {})
    if of:
        def col(r: dict[str, Any] | None, key: str, sub: str | None = None, digits: int = 1) -> str:
            if not r:
                return "-"
            value = r[key] if sub is None else (r[key] or {}).get(sub)
            return fmt(value, digits)

        rows = [
            ("messages sent", col(of, "sent"), col(bf, "sent"), ""),
            ("  achieved msg/s", col(of, "achieved_rate"), col(bf, "achieved_rate"), ""),
            ("messages acked (commit)", col(of, "acked"), "n/a", ""),
            ("errors / closed by server", f"{fmt(of['errors'])} / {fmt(of['closed_by_server'])}", f"{fmt(bf['errors']) if bf else '-'} / {fmt(bf['closed_by_server']) if bf else '-'}", ""),
            ("deliveries expected", col(of, "expected"), col(bf, "expected"), ""),
            ("deliveries received", col(of, "received"), col(bf, "received"), ""),
            ("messages lost (deliveries)", col(of, "lost"), col(bf, "lost"), ""),
            ("deliveries / s", col(of, "deliveries_per_second", digits=0), col(bf, "deliveries_per_second", digits=0), fmt(ratio.get("deliveries_per_second"), 3)),
            ("latency p50 ms", col(of, "latency_ms", "p50"), col(bf, "latency_ms", "p50"), ""),
            ("latency p95 ms", col(of, "latency_ms", "p95"), col(bf, "latency_ms", "p95"), ""),
            ("latency p99 ms", col(of, "latency_ms", "p99"), col(bf, "latency_ms", "p99"), fmt(ratio.get("p99_latency"), 3)),
            ("latency max ms", col(of, "latency_ms", "max"), col(bf, "latency_ms", "max"), ""),
            ("send->ack p50 / p99 ms", f"{col(of, 'ack_latency_ms', 'p50')} / {col(of, 'ack_latency_ms', 'p99')}", "n/a", ""),
            ("server CPU s (window)", col(of, "server_cpu_seconds", digits=2), col(bf, "server_cpu_seconds", digits=2), ""),
            ("server CPU % of one core", col(of, "server_cpu_percent"), col(bf, "server_cpu_percent"), ""),
            ("  of it event-loop thread s", col(of, "server_main_thread_cpu_seconds", digits=2), col(bf, "server_main_thread_cpu_seconds", digits=2), ""),
            ("  of it other threads s", col(of, "server_other_threads_cpu_seconds", digits=2), col(bf, "server_other_threads_cpu_seconds", digits=2), ""),
            ("server CPU ms / message", col(of, "server_cpu_ms_per_message", digits=3), col(bf, "server_cpu_ms_per_message", digits=3), ""),
            ("server CPU us / delivery", col(of, "server_cpu_us_per_delivery", digits=2), col(bf, "server_cpu_us_per_delivery", digits=2), fmt(ratio.get("cpu_us_per_delivery"), 3)),
            ("server peak RSS MB", fmt(ours.get("server_peak_rss_mb")), fmt(bare.get("server_peak_rss_mb")), ""),
            ("generator CPU %", col(of, "generator_cpu_percent"), col(bf, "generator_cpu_percent"), ""),
            ("generator CPU us / delivery", col(of, "generator_cpu_us_per_delivery", digits=2), col(bf, "generator_cpu_us_per_delivery", digits=2), ""),
            ("PostgreSQL + Redis CPU %", col(of, "db_redis_cpu_percent"), col(bf, "db_redis_cpu_percent"), ""),
            ("  their CPU us / delivery", col(of, "db_redis_cpu_us_per_delivery", digits=2), col(bf, "db_redis_cpu_us_per_delivery", digits=2), ""),
            ("other processes CPU %", col(of, "other_cpu_percent"), col(bf, "other_cpu_percent"), ""),
            ("machine CPU % (all cores)", col(of, "machine_cpu_percent"), col(bf, "machine_cpu_percent"), ""),
            ("generator-bound?", fmt(of["generator_bound"]), fmt(bf["generator_bound"]) if bf else "-", ""),
            ("connect+subscribe / s", fmt(ours.get("setup", {}).get("per_second")), fmt(bare.get("setup", {}).get("per_second")), ""),
        ]
        parts += ["", "Fixed rate", table(rows, ("", ours.get("label", "ours"), bare.get("label", "bare") if bare else "bare", "ours/bare"))]
    if "ramp" in ours:
        rows = []
        for name, entry in (("ours", ours), ("bare", bare)):
            ramp = entry.get("ramp")
            if not ramp:
                continue
            for step in ramp["steps"]:
                rows.append((name, fmt(step["target_rate"], 0), fmt(step["sent"]), fmt(step["lost"]), fmt(step["deliveries_per_second"], 0),
                             fmt(step["latency_ms"]["p50"]), fmt(step["latency_ms"]["p99"]), fmt(step["server_cpu_percent"]), fmt(step["server_cpu_us_per_delivery"], 1),
                             fmt(step["generator_cpu_percent"]), fmt(step["db_redis_cpu_percent"]), fmt(step["other_cpu_percent"]), fmt(step["machine_cpu_percent"]),
                             "ok" if step["ok"] else "FAIL: " + ", ".join(step["fail_reasons"] + (["gen-bound"] if step["generator_bound"] else []) + (["machine saturated"] if step["machine_saturated"] else []))))
        parts += ["", f"Ramp (x{config['ramp_factor']:g} per {config['ramp_seconds']:g} s step, then {config.get('ramp_refine', 0)} refining steps; pass = no loss, no error, p99 <= {config['p99_ms']:g} ms)",
                  table(rows, ("server", "target msg/s", "sent", "lost", "deliv/s", "p50 ms", "p99 ms", "srv CPU%", "srv us/deliv", "gen CPU%", "PG+Redis%", "other CPU%", "machine%", "result"))]
        best = [("highest passing rate msg/s", fmt(ours["ramp"]["best_rate"], 0), fmt(bare.get("ramp", {}).get("best_rate"), 0), fmt(ratio.get("ramp_best_rate"), 3)),
                ("  deliveries/s at it", fmt(ours["ramp"]["best_deliveries_per_second"], 0), fmt(bare.get("ramp", {}).get("best_deliveries_per_second"), 0), fmt(ratio.get("ramp_best_deliveries_per_second"), 3)),
                ("  limit reached in range?", fmt(ours["ramp"]["limit_reached"]), fmt(bare.get("ramp", {}).get("limit_reached")), ""),
                ("  failing step generator-bound?", fmt(ours["ramp"]["failed_step_generator_bound"]), fmt(bare.get("ramp", {}).get("failed_step_generator_bound")), ""),
                ("  failing step machine-saturated?", fmt(ours["ramp"]["failed_step_machine_saturated"]), fmt(bare.get("ramp", {}).get("failed_step_machine_saturated")), "")]
        for name, entry in (("ours", ours), ("bare", bare)):
            half = entry.get("half_rate")
            if half:
                best.append((f"{name} at half its rate ({fmt(half['target_rate'], 0)} msg/s, {config['duration']:g} s): p50 / p99 / max ms",
                             *((f"{fmt(half['latency_ms']['p50'])} / {fmt(half['latency_ms']['p99'])} / {fmt(half['latency_ms']['max'])}", "") if name == "ours" else ("", f"{fmt(half['latency_ms']['p50'])} / {fmt(half['latency_ms']['p99'])} / {fmt(half['latency_ms']['max'])}")), ""))
        parts += ["", table(best, ("", "ours", "bare", "ours/bare"))]
        same = ratio.get("cpu_at_same_rate")
        if same:
            rows = [(fmt(r["rate"], 0), fmt(r["ours_us"], 1), fmt(r["bare_us"], 1), fmt(r["ratio"], 2)) for r in same]
            parts += ["", "Server CPU per delivery at the same rate (ramp steps both servers passed)",
                      table(rows, ("msg/s", "ours us", "bare us", "ours/bare"))]
    if "replay" in ours:
        rp = ours["replay"]
        rows = [(f"trial {i + 1}", fmt(t["received"]), fmt(t["seconds_to_last"], 3), fmt(t["seconds_to_ack"], 3), fmt(t["server_cpu_seconds"], 2), fmt(t["in_order"]))
                for i, t in enumerate(rp["trials"])]
        parts += ["", f"Replay on resume (subscribe after_seq=0 to a conversation of {rp['messages']:,} messages): median {fmt(rp['median_seconds'], 3)} s, "
                  f"{fmt(rp['messages_per_second'])} msgs/s", table(rows, ("", "messages", "s to last", "s to ack", "server CPU s", "in order"))]
    if "idle" in results:
        rows = []
        for name, entry in results["idle"].items():
            rows.append((name, fmt(entry["connections"]), fmt(entry["rss_before_mb"]), fmt(entry["rss_after_mb"]), fmt(entry["kib_per_connection"]),
                         fmt(entry["setup_seconds"]), fmt(entry["connections_per_second"])))
        parts += ["", "Idle connections (RSS after minus before, fresh server)",
                  table(rows, ("server", "connections", "RSS before MB", "RSS after MB", "KiB / connection", "open+subscribe s", "per s"))]
        if ratio.get("idle_kib_per_connection"):
            parts.append(f"ours/bare memory per idle connection: {ratio['idle_kib_per_connection']:.2f}")
    logs = {k: v.get("log") for k, v in (("ours", ours), ("bare", bare)) if v.get("log")}
    if logs:
        parts += ["", "Server logs: " + "; ".join(f"{k}: {fmt(v)}" for k, v in logs.items())]
    parts.append(f"Total time {results.get('elapsed_seconds', '?')} s")
    return "\n".join(parts)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="bench/fanout.py",
        description="WebSocket fan-out benchmark of `artme-cop serve` against a bare websockets broadcast server (see bench/README.md).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    load = parser.add_argument_group("load")
    load.add_argument("--connections", "-n", type=int, default=1000, help="WebSocket connections (N)")
    load.add_argument("--conversations", "-r", type=int, default=10, help="conversations, one per cohort (R)")
    load.add_argument("--senders", "-s", type=int, default=10, help="sending connections (S), spread over the conversations")
    load.add_argument("--rate", type=float, default=50.0, help="target total send rate, messages/s (50: 5,000 deliveries/s at the defaults)")
    load.add_argument("--duration", "-t", type=float, default=10.0, help="seconds of sending in the fixed-rate run (T)")
    load.add_argument("--warmup", type=float, default=2.0, help="seconds of unscored sending at --rate before the fixed-rate run (0: none)")
    load.add_argument("--grace", type=float, default=10.0, help="seconds after sending stops to wait for deliveries and acks")
    load.add_argument("--generators", "-k", type=int, default=1, help="load generator processes (K)")
    load.add_argument("--connect-concurrency", type=int, default=32, help="connections being opened at once per generator")
    load.add_argument("--p99-ms", type=float, default=250.0, help="latency bound of a passing ramp step")
    ramp = parser.add_argument_group("ramp (--ramp)")
    ramp.add_argument("--ramp", action="store_true", help="raise the rate step by step; report the highest passing rate")
    ramp.add_argument("--ramp-start", type=float, default=50.0, help="first step's rate, messages/s")
    ramp.add_argument("--ramp-factor", type=float, default=1.5, help="rate multiplier per step")
    ramp.add_argument("--ramp-seconds", type=float, default=3.0, help="seconds of sending per step")
    ramp.add_argument("--ramp-grace", type=float, default=5.0, help="drain time per step")
    ramp.add_argument("--ramp-steps", type=int, default=12, help="most steps (12 reach 4,325 msg/s from 50)")
    ramp.add_argument("--ramp-refine", type=int, default=2, help="after the first failing step, this many steps halving the gap (geometrically) to the last pass")
    extra = parser.add_argument_group("extra measurements (all on with --full)")
    extra.add_argument("--full", action="store_true", help="same as --ramp --replay --idle")
    extra.add_argument("--replay", action="store_true", help="time to replay stored messages on resume (after_seq=0)")
    extra.add_argument("--replay-messages", type=int, default=10_000, help="messages in the replay conversation")
    extra.add_argument("--replay-trials", type=int, default=3, help="replays, each on a fresh connection")
    extra.add_argument("--replay-timeout", type=float, default=60.0, help="seconds to wait for one replay")
    extra.add_argument("--idle", action="store_true", help="server RSS per idle subscribed connection")
    extra.add_argument("--idle-connections", type=int, default=5000, help="connections of the idle measurement")
    extra.add_argument("--idle-conversations", type=int, default=50, help="conversations they subscribe to (50: 100 per conversation, 10 people each, as in the default load)")
    setup = parser.add_argument_group("servers and database")
    setup.add_argument("--skip-bare", action="store_true", help="measure only our server")
    setup.add_argument("--skip-load", action="store_true", help="skip the fixed-rate run and the ramp (only --replay / --idle)")
    setup.add_argument("--processes", type=int, choices=(1, 2), default=1, help="our server processes; 2 shares Redis and PostgreSQL")
    setup.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis URL for --processes 2")
    setup.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL database on 127.0.0.1:5432 (dropped at the end)")
    setup.add_argument("--database-url", default="", help="an EMPTY postgresql+asyncpg:// (or sqlite+aiosqlite://) database to use instead; it is migrated and seeded, and not dropped")
    setup.add_argument("--production-hash", action="store_true", help="seed with the server's own Argon2 parameters (sign-ins take ~0.1 s each)")
    setup.add_argument("--profile-dir", metavar="DIR", help="run our server under cProfile and write DIR/<server>.prof (slows it down; for diagnosis only)")
    setup.add_argument("--switch-interval", type=float, default=0.0, help="run our server with this GIL switch interval in seconds (sets ARTME_GIL_SWITCH_US; the server's default is 0.001, Python's 0.005)")
    setup.add_argument("--keep", action="store_true", help="keep the work directory (database, server logs)")
    parser.add_argument("--json", metavar="PATH", help="also write the results as JSON here")
    args = parser.parse_args(argv)
    if args.full:
        args.ramp = args.replay = args.idle = True
    for name in ("connections", "conversations", "senders", "generators"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    if args.senders > args.connections:
        parser.error("--senders cannot exceed --connections")
    if args.conversations > args.connections:
        parser.error("--conversations cannot exceed --connections")
    if args.idle and args.idle_conversations > args.idle_connections:
        parser.error("--idle-conversations cannot exceed --idle-connections")
    if args.database_url and not args.database_url.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
        parser.error("--database-url must start with postgresql+asyncpg:// or sqlite+aiosqlite://")
    for url in (args.database_url, args.redis):
        if url and "://" in url:
            host = url.split("://", 1)[1].rsplit("@", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]
            if host and host not in ("127.0.0.1", "localhost", "[::1]"):
                parser.error(f"only local servers are allowed, not {host}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    raise_nofile()
    sys.path.insert(0, str(ROOT / "src"))
    sys.path.insert(0, str(ROOT))
    bench = Bench(args)

    async def run() -> None:
        try:
            await bench.main()
        finally:
            await bench.cleanup()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    print(summary(bench.results))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(bench.results, indent=2, default=str) + "\n")
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
