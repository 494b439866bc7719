"""The baseline for bench/fanout.py: a bare `websockets` broadcast server.

No persistence, no authentication, no rate limits, no presence. A connection joins a room
with `{"type":"join","conversation":ID,"ref":R}` (answered by an ack), and every
`{"type":"send","conversation":ID,...}` frame it sends afterwards is re-broadcast, as the
same text, to every connection in that room (the sender included) with
`websockets.broadcast`. This is roughly the least a Python WebSocket fan-out can cost.

    .venv/bin/python bench/bare_server.py --port 8765
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal

from websockets.asyncio.server import ServerConnection, broadcast, serve

rooms: dict[int, set[ServerConnection]] = {}


async def handler(websocket: ServerConnection) -> None:
    joined: list[int] = []
    try:
        await websocket.send('{"type":"ready"}')
        async for text in websocket:
            try:
                frame = json.loads(text)
                kind = frame.get("type")
                conversation = frame.get("conversation")
            except (ValueError, AttributeError):
                continue
            if kind == "send":
                room = rooms.get(conversation)
                if room:
                    broadcast(room, text)
            elif kind == "join" and isinstance(conversation, int):
                rooms.setdefault(conversation, set()).add(websocket)
                joined.append(conversation)
                await websocket.send(json.dumps({"type": "ack", "ref": frame.get("ref"), "conversation": conversation}))
    finally:
        for conversation in joined:
            room = rooms.get(conversation)
            if room is not None:
                room.discard(websocket)
                if not room:
                    del rooms[conversation]


async def main(host: str, port: int) -> None:
    stop = asyncio.get_running_loop().create_future()
    for signum in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(signum, lambda: stop.done() or stop.set_result(None))
    async with serve(handler, host, port, compression=None, max_size=65536, backlog=4096):
        print(f"bare broadcast server on ws://{host}:{port}", flush=True)
        await stop


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    args = parser.parse_args()
    asyncio.run(main(args.host, args.port))
