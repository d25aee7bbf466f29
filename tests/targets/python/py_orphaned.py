"""Tasks waiting on things nobody can reach, and tasks that only look like it.

Usage: python py_orphaned.py <ready_fd> <truth_path>

Orphaned (nothing outside the task references what it waits on, so only
cancelling it would end the wait):
  orphan_future   fut = loop.create_future(); await fut
  orphan_event    await asyncio.Event().wait()
  orphan_queue    q = asyncio.Queue(); await q.get()
  waits_on_orphan awaits the orphan_future task (blocked by it, not itself orphaned)
Waiting on something others can reach (no finding):
  held_future     the future is in a module-level list
  weak_future     the future is in a WeakValueDictionary (a weak reference)
  timer_future    loop.call_later(3600, fut.set_result, None) holds it
  shared_event    awaits an Event a module global holds
  sleeper         asyncio.sleep(3600)
The main task (asyncio.run's) ends awaiting a future of its own: the "run
forever" idiom, reported as healthy, not as a finding.

Truth (JSON): pid, orphaned task names with what each waits on ("Future",
"Event", "Queue") and its address, the tasks blocked behind them, the
controls. Then
"ready\n" on ready_fd, then the loop sleeps forever.
"""
import asyncio
import json
import os
import sys
import weakref

held = []
weak_registry = weakref.WeakValueDictionary()
shared = {}
addresses = {}  # task name -> id() of what it waits on: ints, no references


def record(name, obj):
    addresses[name] = hex(id(obj))
    return obj


async def orphan_future():
    fut = record('orphan_future', asyncio.get_event_loop().create_future())
    await fut


async def orphan_event():
    await record('orphan_event', asyncio.Event()).wait()


async def orphan_queue():
    q = record('orphan_queue', asyncio.Queue())
    await q.get()


async def waits_on_orphan(task):
    await task


async def held_future():
    fut = asyncio.get_event_loop().create_future()
    held.append(fut)
    await fut


async def weak_future():
    fut = asyncio.get_event_loop().create_future()
    weak_registry['pending'] = fut
    await fut


async def timer_future():
    loop = asyncio.get_event_loop()
    fut = loop.create_future()
    loop.call_later(3600, fut.set_result, None)
    await fut


async def shared_event():
    await shared['event'].wait()


async def sleeper():
    await asyncio.sleep(3600)


def spawn(loop, coro, name, tasks):
    task = loop.create_task(coro)
    if hasattr(task, 'set_name'):
        task.set_name(name)
    tasks[name] = task
    return task


async def main(ready_fd, truth_path):
    loop = asyncio.get_event_loop()
    shared['event'] = asyncio.Event()
    tasks = {}
    orphan = spawn(loop, orphan_future(), 'orphan_future', tasks)
    spawn(loop, orphan_event(), 'orphan_event', tasks)
    spawn(loop, orphan_queue(), 'orphan_queue', tasks)
    spawn(loop, waits_on_orphan(orphan), 'waits_on_orphan', tasks)
    del orphan
    for name, coro in (('held_future', held_future()), ('weak_future', weak_future()),
                       ('timer_future', timer_future()), ('shared_event', shared_event()),
                       ('sleeper', sleeper())):
        spawn(loop, coro, name, tasks)
    for _ in range(3):  # every task reaches its await
        await asyncio.sleep(0)
    for name, task in tasks.items():
        if task.done():
            sys.exit('task %s ended early' % name)
    truth = {
        'pid': os.getpid(),
        'orphaned': {'orphan_future': 'Future', 'orphan_event': 'Event', 'orphan_queue': 'Queue'},
        'addresses': addresses,
        'blocked_by': {'waits_on_orphan': 'orphan_future'},
        'controls': ['held_future', 'weak_future', 'timer_future', 'shared_event', 'sleeper'],
        'root_idiom': True,
    }
    with open(truth_path + '.tmp', 'w') as f:
        json.dump(truth, f)
    os.rename(truth_path + '.tmp', truth_path)
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)
    keep = list(tasks.values())  # noqa: F841 -- the tasks stay referenced, as a service's would
    await loop.create_future()  # the "run forever" idiom


if __name__ == '__main__':
    if len(sys.argv) != 3:
        sys.exit('usage: %s <ready_fd> <truth_path>' % sys.argv[0])
    if sys.version_info < (3, 7):
        asyncio.get_event_loop().run_until_complete(main(int(sys.argv[1]), sys.argv[2]))
    else:
        asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
