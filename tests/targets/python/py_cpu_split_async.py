"""The asyncio part of py_cpu_split.py (--async, 3.8+), apart because `async
def` does not parse on CPython 2.7, which runs the rest of that script."""
import asyncio


def run_loop(spin_a, spin_b, started):
    async def busy(spin):
        while True:
            spin()
            await asyncio.sleep(0)

    async def main():
        loop = asyncio.get_running_loop()
        a = loop.create_task(busy(spin_a), name='busy_a')
        b = loop.create_task(busy(spin_b), name='busy_b')
        started.set()
        await asyncio.gather(a, b)

    asyncio.run(main())
