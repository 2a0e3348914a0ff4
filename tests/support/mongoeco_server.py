"""A MongoDB wire-protocol server for the tests: mongoeco's proxy on an in-memory engine.

Run under Python >= 3.13 with mongoeco[wire] installed. Prints ``PORT <n>`` once listening and
exits when its standard input closes, so it never outlives the test run that started it.
"""

import asyncio
import sys
import threading

from mongoeco.wire.proxy import AsyncMongoEcoProxyServer


def _exit_when_parent_goes(loop: asyncio.AbstractEventLoop, stop: asyncio.Event) -> None:
    sys.stdin.read()
    loop.call_soon_threadsafe(stop.set)


async def main() -> None:
    stop = asyncio.Event()
    threading.Thread(
        target=_exit_when_parent_goes, args=(asyncio.get_running_loop(), stop), daemon=True
    ).start()
    async with AsyncMongoEcoProxyServer(host="127.0.0.1", port=0) as server:
        print(f"PORT {server.address.port}", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
