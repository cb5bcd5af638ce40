"""A TCP relay that delays every byte by a fixed time each way: a network link's latency on a loopback.

`python -m curation.bench.s3 --moto --latency-ms 10` puts one between the
clients and the moto server, so the benchmark can show what concurrency is
worth when a request waits on the network (S3 in the same region answers a
small GET in 10-30 ms) and not on a server sharing the machine's cores.
This machine's kernel has no `netem`, which would do this in the network
stack. Data keeps its order: each direction is a queue of (due time, bytes).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time


class DelayedLink:
    """Listens on 127.0.0.1:`port` in a thread of its own and relays to `target`, `delay_s` later each way."""

    def __init__(self, port: int, target: tuple[str, int], delay_s: float) -> None:
        self.port, self.target, self.delay_s = port, target, delay_s
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="delayed-link", daemon=True)

    def __enter__(self) -> DelayedLink:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the delayed link did not start")
        return self

    def __exit__(self, *_: object) -> None:
        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._thread.join(10)

    async def _shutdown(self) -> None:
        """Cancel every relay still open, then stop the loop: nothing is left pending."""
        tasks = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._loop.call_soon(self._loop.stop)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._relay, "127.0.0.1", self.port))
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()

    async def _relay(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.close()
            return
        try:
            await asyncio.gather(
                self._pump(client_reader, server_writer), self._pump(server_reader, client_writer),
                return_exceptions=True,
            )  # fmt: skip
        except asyncio.CancelledError:
            pass  # the link is shutting down
        finally:
            for writer in (server_writer, client_writer):
                writer.close()

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction: read now, write `delay_s` after each chunk arrived, in order."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()
            with contextlib.suppress(OSError):
                if writer.can_write_eof():
                    writer.write_eof()  # a half-close travels on: the other direction may still be talking

        delivering = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(65536):
                queue.put_nowait((time.monotonic() + self.delay_s, data))
        except OSError:
            pass
        finally:
            queue.put_nowait((time.monotonic() + self.delay_s, b""))
            with contextlib.suppress(OSError):
                await delivering
