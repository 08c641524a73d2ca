"""The asyncio path: a subscription's fd on the event loop."""
import asyncio

import pytest

import hodei
from hodei import State


def run(coro):
    return asyncio.run(coro)


def test_wait_async(ctx):
    async def main():
        job = ctx.submit(command="sh", args=["-c", "exit 2"])
        return await job.wait_async()
    info = run(main())
    assert info.state == State.FAILED and info.exit_code == 2


def test_wait_async_many_concurrently(ctx):
    async def main():
        jobs = [ctx.submit(command="sh", args=["-c", "exit %d" % (i % 4)]) for i in range(20)]
        infos = await asyncio.gather(*(j.wait_async() for j in jobs))
        return [i.exit_code for i in infos]
    assert run(main()) == [i % 4 for i in range(20)]


def test_wait_async_already_finished(ctx):
    job = ctx.submit(command="true")
    job.wait()
    assert run(job.wait_async()).succeeded


def test_wait_async_timeout(ctx, fifo):
    job = ctx.submit(command="sh", args=["-c", "read x < %s" % fifo.path])

    async def main():
        with pytest.raises(hodei.Timeout):
            await job.wait_async(timeout=0.05)
    run(main())
    fifo.release()
    assert job.wait().succeeded


def test_logs_async_follow(ctx, fifo):
    job = ctx.submit(command="sh", args=["-c", "echo one; read x < %s; seq 1 2000; echo done"
                                         % fifo.path])

    async def main():
        seen = []
        loop = asyncio.get_running_loop()
        async for line in job.logs_async():
            seen.append(str(line))
            if line == "one":
                # release the gate from a thread: opening a fifo blocks
                await loop.run_in_executor(None, fifo.release)
        return seen
    seen = run(main())
    assert seen == ["one"] + [str(i) for i in range(1, 2001)] + ["done"]


def test_logs_async_history_only(ctx):
    job = ctx.submit(command="sh", args=["-c", "echo a; echo b"])
    job.wait()

    async def main():
        return [str(x) async for x in job.logs_async(follow=False)]
    assert run(main()) == ["a", "b"]


def test_async_subscription_iteration(ctx):
    async def main():
        with ctx.subscribe(types=hodei.EventType.JOB_STATE) as sub:
            job = ctx.submit(command="true")
            async for ev in sub:
                if ev.job_id == job.id and ev.state.final:
                    return ev.state
    assert run(main()) == State.SUCCEEDED


def test_event_loop_is_not_blocked(ctx, fifo):
    """While a job runs, other coroutines keep running: wait_async does not
    block the loop."""
    job = ctx.submit(command="sh", args=["-c", "read x < %s" % fifo.path])

    async def main():
        loop = asyncio.get_running_loop()
        waiter = asyncio.ensure_future(job.wait_async())
        await asyncio.sleep(0)  # yield once so the waiter subscribes
        assert not waiter.done()
        await loop.run_in_executor(None, fifo.release)
        return await waiter
    assert run(main()).succeeded
