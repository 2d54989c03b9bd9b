"""Running async test code on an event loop of its own, as the in-process tests do, with the
loop's teardown bounded.

`asyncio.run` cancels the tasks left on its loop and waits for them without end. Consumers on
the Redis channel layer (the run-end waits' listener, realtime subscriptions) leave
channels_redis operations in flight, and on a loaded machine one of them now and then never
finished after its cancel: the staging suite hung 300 s in `asyncio.run`'s teardown (twice in
one session, in two modules). A server keeps one loop for its life, so this only happens when
a test throws a loop away; here the leftover tasks get TEARDOWN_S to end and are then
abandoned with the loop."""

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

logger = logging.getLogger(__name__)
TEARDOWN_S = 5.0


def run(work: Coroutine[Any, Any, Any]) -> Any:
    """`asyncio.run(work)`, but what is left on the loop gets TEARDOWN_S to end."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(work)
    finally:
        left = asyncio.all_tasks(loop)
        for task in left:
            task.cancel()
        if left:
            _, stuck = loop.run_until_complete(asyncio.wait(left, timeout=TEARDOWN_S))
            if stuck:
                logger.warning("abandoned %d tasks that did not end once cancelled", len(stuck))
        for ending in (loop.shutdown_asyncgens(), loop.shutdown_default_executor()):
            loop.run_until_complete(asyncio.wait_for(ending, TEARDOWN_S))
        asyncio.set_event_loop(None)
        loop.close()
