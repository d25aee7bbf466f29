# -*- coding: utf-8 -*-
"""Python test target: a known asyncio task graph, parked.

Usage: python py_asyncio.py <ready_fd> <truth_path> [--many N] [--no-cycle]

--no-cycle leaves out cycle_a and cycle_b (an await graph that is a forest).

Runs unchanged on CPython 3.8-3.13 (standard library only). Builds the task
graph below, waits until every task is parked at its suspension point, writes
the truth (computed from inside, by the main task), writes "ready\\n" to
ready_fd and closes it, then stays blocked forever: the main thread's event
loop idles in epoll_wait while the main task awaits a future nobody sets.

Tasks (every one with an explicit name; on the main thread's loop "main"
unless said otherwise):
  main              runs main(); after the truth, awaits never_future
                    (line marked "# BLOCK:main")
  gather_parent     await asyncio.gather(gather_child_1, gather_child_2)
  gather_child_1/2  asyncio.sleep(3600)
  tg_outer          (3.11+ only) async with TaskGroup creating tg_mid; the
                    body falls through, so it is parked in TaskGroup.__aexit__
  tg_mid            likewise, TaskGroup creating tg_leaf_1 and tg_leaf_2
  tg_leaf_1/2       asyncio.sleep(3600)
  chain_0           await chain_1 (the task itself)
  chain_1           await chain_2
  chain_2           asyncio.sleep(3600)
  on_sleep          nap() -> asyncio.sleep(3600): a 2-deep coroutine stack
  on_queue          await q.get() on an empty asyncio.Queue
  on_lock           await lock.acquire() on an asyncio.Lock main holds
  on_event          await ev.wait() on an asyncio.Event never set
  on_socket         open_connection() to a loopback asyncio server that never
                    writes, then await reader.read(1)
  on_wait_for       await asyncio.wait_for(wait_for_inner, 3600)
  wait_for_inner    asyncio.sleep(3600)
  on_shield         await asyncio.shield(shield_inner)
  shield_inner      asyncio.sleep(3600)
  on_wait           await asyncio.wait([wait_child_1, wait_child_2])
  wait_child_1/2    asyncio.sleep(3600)
  on_executor       await loop.run_in_executor(None, fn); fn blocks its pool
                    thread on a threading.Event never set
  on_as_completed   for f in asyncio.as_completed([ac_child_1, ac_child_2]):
                    await f
  ac_child_1/2      asyncio.sleep(3600)
  cycle_a, cycle_b  each awaits the other task directly (a deadlock)
  py_sleeper        a pure-Python asyncio.tasks._PyTask: asyncio.sleep(3600)
  py_chain          a _PyTask awaiting the C task py_awaited
  py_awaited        asyncio.sleep(3600)
  done_task         finished: returned 42
  cancelled_task    cancelled while sleeping, then waited for
  bulk_0..N-1       (--many N, default 0) asyncio.sleep(3600) each
On a second event loop "loop2", run by the thread named "loop2":
  l2_sleeper        asyncio.sleep(3600)
  l2_waiter         await l2_sleeper (the task itself)
  l2_blocker        started once the two above are parked; blocks the whole
                    loop2 thread inside the coroutine in threading.Event.wait()
                    (line marked "# BLOCK:l2_blocker"): the loop's current task
done_task and cancelled_task stay referenced, so they stay in asyncio's task
registry (a WeakSet) though all_tasks() leaves them out. Two coroutine objects
orphan(1) and orphan(2) are created and kept but never scheduled.

Before signalling, every pending task but main and l2_blocker is verified
parked (its _fut_waiter is set and the walk below ends at a non-coroutine
awaitable), the cycle tasks await each other, the server accepted the
connection, the executor thread is inside fn, and l2_blocker is on its BLOCK
line with loop2's thread out of the coroutine (inside threading); all stable
over several samples, within 20 s, else the target exits with status 1.

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python": "3.11.7", "version_info": [3, 11, 7], "executable",
   "script": abspath of this file,
   "threads": [{"name": threading name, "ident": threading ident,
                "tid": native id, "loop": "main" | "loop2" | null}],
   "loops": [{"name": "main" | "loop2", "id": id(loop), "thread_ident",
              "current_task": task name or null}],
   "tasks": [{"name", "id": id(task), "loop": "main" | "loop2",
              "state": "pending" | "done" | "cancelled",
              "c_task": bool (type is the C _asyncio.Task, not _PyTask),
              "running": bool (asyncio.current_task(its loop); l2_blocker only),
              "stack": [{"func": co_name, "qualname": co_qualname (3.11+)
                         or null, "file": abspath of co_filename,
                         "co_filename", "line"}],
              "awaits": {"kind": "task" | "future" | "none" | "other",
                         "type": type name, "task": task name or null}}],
   "edges": [{"child", "parent", "via": "await" | "gather" | "taskgroup" |
              "wait_for" | "shield" | "wait"}],
   "cycles": [["cycle_a", "cycle_b"]],
   "unawaited": [{"id": id(coroutine), "qualname"}],
   "many": N}
"stack" is innermost first: from task.get_coro(), follow cr_await /
gi_yieldfrom while the awaited object is a coroutine or a generator, taking
each one's frame. Done and cancelled tasks have an empty stack. main's stack is
its own coroutine frame on the "# BLOCK:main" line, where it stays parked.
"awaits" describes the future the task is blocked on (task._fut_waiter): the
object whose __await__ the innermost coroutine is suspended in (for a C
future, cr_await is its FutureIter; this is the future behind it). "kind" is
"task" for an asyncio task, "future" for another future; "none" (type
"NoneType") for done, cancelled and running tasks. "task" names the awaited
task when it is one of ours. main's entry is where it stays parked: a Future.
"loops"."current_task" is what it is after the signal: null for main (idle in
epoll_wait), "l2_blocker" for loop2.
"edges" are the awaited-by relations as built (child awaited by parent),
written by hand from the construction, not discovered: on 3.12+ wait_for
awaits the inner task directly inside a timeout, still listed as "wait_for".
"""
import asyncio
import json
import os
import re
import sys
import threading
import time
import types

SCRIPT = os.path.abspath(__file__)
if SCRIPT.endswith(('.pyc', '.pyo')):
    SCRIPT = SCRIPT[:-1]
SLEEP_SECONDS = 3600
VERIFY_TIMEOUT = 20.0
STABLE_SAMPLES = 3
HAS_TASKGROUP = hasattr(asyncio, 'TaskGroup')
C_TASK = getattr(asyncio.tasks, '_CTask', None)
PY_TASK = asyncio.tasks._PyTask
TASK_TYPES = tuple(t for t in (asyncio.Task, C_TASK, PY_TASK) if t is not None)


def find_markers():
    """{name: line} for every line ending in a BLOCK marker comment."""
    pattern = re.compile(r'#\s*BLOCK:(\w+)\s*$')
    markers = {}
    with open(SCRIPT) as f:
        for number, text in enumerate(f, 1):
            m = pattern.search(text)
            if m:
                markers[m.group(1)] = number
    return markers


MARKERS = find_markers()


def die(message):
    sys.stderr.write('py_asyncio: %s\n' % message)
    sys.stderr.flush()
    os._exit(1)


# --- registry of everything we create ------------------------------------------

registry_lock = threading.Lock()
tasks = {}  # name -> (task, loop name)
task_order = []
kept = []  # done and cancelled tasks, kept referenced
unawaited = []  # never-awaited coroutine objects
keep_alive = []  # server, streams: keep the loopback connection open
loops = {}  # name -> loop
loop_threads = {}  # name -> threading.Thread
executor_entered = threading.Event()
executor_release = threading.Event()  # never set
executor_thread = {}
l2_blocking = threading.Event()


def add(name, task, loop_name='main'):
    with registry_lock:
        if name in tasks:
            die('task name %s used twice' % name)
        tasks[name] = (task, loop_name)
        task_order.append(name)
    return task


def spawn(loop, name, coro, loop_name='main'):
    return add(name, loop.create_task(coro, name=name), loop_name)


def spawn_py(loop, name, coro):
    return add(name, PY_TASK(coro, loop=loop, name=name))


def lookup(name):
    with registry_lock:
        entry = tasks.get(name)
    return entry[0] if entry else None


# --- coroutines ------------------------------------------------------------------


async def sleeper():
    await asyncio.sleep(SLEEP_SECONDS)  # BLOCK:sleeper


async def nap():
    await asyncio.sleep(SLEEP_SECONDS)  # BLOCK:nap


async def on_sleep():
    await nap()  # BLOCK:on_sleep


async def awaiter(task):
    await task  # BLOCK:awaiter


async def answer():
    return 42


async def gather_parent(first, second):
    await asyncio.gather(first, second)  # BLOCK:gather_parent


async def tg_leaf():
    await asyncio.sleep(SLEEP_SECONDS)  # BLOCK:tg_leaf


async def tg_mid():
    async with asyncio.TaskGroup() as tg:  # BLOCK:tg_mid
        add('tg_leaf_1', tg.create_task(tg_leaf(), name='tg_leaf_1'))
        add('tg_leaf_2', tg.create_task(tg_leaf(), name='tg_leaf_2'))


async def tg_outer():
    async with asyncio.TaskGroup() as tg:  # BLOCK:tg_outer
        add('tg_mid', tg.create_task(tg_mid(), name='tg_mid'))


async def on_queue(queue):
    await queue.get()  # BLOCK:on_queue


async def on_lock(lock):
    await lock.acquire()  # BLOCK:on_lock


async def on_event(event):
    await event.wait()  # BLOCK:on_event


def accept(reader, writer):
    """Server side of the loopback connection: never writes anything."""
    keep_alive.append((reader, writer))


async def on_socket(port):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    keep_alive.append((reader, writer))
    await reader.read(1)  # BLOCK:on_socket


async def on_wait_for(inner):
    await asyncio.wait_for(inner, SLEEP_SECONDS)  # BLOCK:on_wait_for


async def on_shield(inner):
    await asyncio.shield(inner)  # BLOCK:on_shield


async def on_wait(children):
    await asyncio.wait(children)  # BLOCK:on_wait


async def on_as_completed(children):
    for next_done in asyncio.as_completed(children):
        await next_done  # BLOCK:on_as_completed


def executor_fn():
    executor_thread['ident'] = threading.current_thread().ident
    executor_entered.set()
    executor_release.wait()  # BLOCK:executor_fn


async def on_executor():
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, executor_fn)  # BLOCK:on_executor


async def cycle(other):
    while lookup(other) is None:
        await asyncio.sleep(0)
    await lookup(other)  # BLOCK:cycle


async def orphan(n):
    await asyncio.sleep(n)


# --- the second loop -------------------------------------------------------------


async def l2_blocker():
    gate = threading.Event()  # never set
    l2_blocking.set()
    gate.wait()  # BLOCK:l2_blocker


def loop2_thread():
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loops['loop2'] = loop
    first = spawn(loop, 'l2_sleeper', sleeper(), 'loop2')
    second = spawn(loop, 'l2_waiter', awaiter(first), 'loop2')

    def start_blocker():
        if first._fut_waiter is None or second._fut_waiter is None:
            loop.call_later(0.005, start_blocker)
            return
        spawn(loop, 'l2_blocker', l2_blocker(), 'loop2')

    loop.call_soon(start_blocker)
    loop.run_forever()


# --- walking and checking ---------------------------------------------------------


def coroutine_chain(coro):
    """(frames outermost first, innermost awaited non-coroutine object)."""
    frames = []
    obj = coro
    while isinstance(obj, (types.CoroutineType, types.GeneratorType)):
        if isinstance(obj, types.CoroutineType):
            frame, awaited = obj.cr_frame, obj.cr_await
        else:
            frame, awaited = obj.gi_frame, obj.gi_yieldfrom
        if frame is None:  # finished
            return frames, None
        frames.append(frame)
        obj = awaited
    return frames, obj


NO_CYCLE = False  # --no-cycle


def expected_names(many):
    names = ['main', 'done_task', 'cancelled_task', 'gather_child_1', 'gather_child_2',
             'gather_parent', 'chain_2', 'chain_1', 'chain_0', 'on_sleep', 'on_queue',
             'on_lock', 'on_event', 'on_socket', 'wait_for_inner', 'on_wait_for',
             'shield_inner', 'on_shield', 'wait_child_1', 'wait_child_2', 'on_wait',
             'on_executor', 'ac_child_1', 'ac_child_2', 'on_as_completed', 'cycle_a', 'cycle_b',
             'py_sleeper', 'py_awaited', 'py_chain',
             'l2_sleeper', 'l2_waiter', 'l2_blocker']
    if HAS_TASKGROUP:
        names += ['tg_outer', 'tg_mid', 'tg_leaf_1', 'tg_leaf_2']
    names += ['bulk_%d' % i for i in range(many)]
    if NO_CYCLE:
        names = [n for n in names if n not in ('cycle_a', 'cycle_b')]
    return names


def parked_problem(name, task):
    if task.done():
        return 'finished'
    if task._fut_waiter is None:
        return 'not waiting on a future'
    frames, awaited = coroutine_chain(task.get_coro())
    if not frames:
        return 'no coroutine frames'
    if awaited is None:
        return 'coroutine chain ends at nothing'
    if name in ('cycle_a', 'cycle_b'):
        other = lookup('cycle_b' if name == 'cycle_a' else 'cycle_a')
        if task._fut_waiter is not other:
            return 'not awaiting the other cycle task'
    return None


def problems(many, server_connections):
    found = []
    with registry_lock:
        names = list(task_order)
        snapshot = dict(tasks)
    missing = [n for n in expected_names(many) if n not in snapshot]
    if missing:
        found.append('missing tasks: %s' % ', '.join(missing[:10]))
    for name in names:
        task = snapshot[name][0]
        if name in ('main', 'done_task', 'cancelled_task', 'l2_blocker'):
            continue
        problem = parked_problem(name, task)
        if problem:
            found.append('%s: %s' % (name, problem))
    if len(keep_alive) < server_connections:
        found.append('loopback connection not accepted yet')
    if not executor_entered.is_set():
        found.append('executor thread not in fn yet')
    else:
        frame = sys._current_frames().get(executor_thread['ident'])
        if frame is None or frame.f_code.co_name != 'wait':
            found.append('executor thread not waiting yet')
        del frame
    blocker = snapshot.get('l2_blocker')
    if blocker is None or not l2_blocking.is_set():
        found.append('l2_blocker not blocking yet')
    else:
        task = blocker[0]
        frame = task.get_coro().cr_frame
        if frame is None or frame.f_lineno != MARKERS['l2_blocker']:
            found.append('l2_blocker not on its line')
        if asyncio.current_task(loops['loop2']) is not task:
            found.append('l2_blocker is not loop2\'s current task')
        thread_frame = sys._current_frames().get(loop_threads['loop2'].ident)
        if thread_frame is None or thread_frame.f_code.co_name != 'wait':
            found.append('loop2 thread not waiting yet')
        del frame, thread_frame
    return found


async def wait_until_parked(many, server_connections):
    deadline = time.time() + VERIFY_TIMEOUT
    stable = 0
    while True:
        found = problems(many, server_connections)
        if found:
            stable = 0
        else:
            stable += 1
            if stable >= STABLE_SAMPLES:
                return
        if time.time() > deadline:
            die('tasks not parked after %ss: %s' % (VERIFY_TIMEOUT, '; '.join(found[:20])))
        await asyncio.sleep(0.005)


# --- truth -----------------------------------------------------------------------


def describe_frame(frame, line=None):
    code = frame.f_code
    return {
        'func': code.co_name,
        'qualname': getattr(code, 'co_qualname', None),
        'file': os.path.abspath(code.co_filename),
        'co_filename': code.co_filename,
        'line': frame.f_lineno if line is None else line,
    }


def task_state(task):
    if task.cancelled():
        return 'cancelled'
    if task.done():
        return 'done'
    return 'pending'


def name_of(task):
    with registry_lock:
        for name, (known, _) in tasks.items():
            if known is task:
                return name
    return None


def describe_awaited(obj):
    if obj is None:
        return {'kind': 'none', 'type': 'NoneType', 'task': None}
    if isinstance(obj, TASK_TYPES):
        kind = 'task'
    elif asyncio.isfuture(obj):
        kind = 'future'
    else:
        kind = 'other'
    return {'kind': kind, 'type': type(obj).__name__,
            'task': name_of(obj) if kind == 'task' else None}


def task_truth(name, task, loop_name, main_line, never_future):
    state = task_state(task)
    entry = {
        'name': name,
        'id': id(task),
        'loop': loop_name,
        'state': state,
        'c_task': C_TASK is not None and type(task) is C_TASK,
        'running': False,
        'stack': [],
        'awaits': describe_awaited(None),
    }
    if state != 'pending':
        return entry
    frames, _ = coroutine_chain(task.get_coro())
    if name == 'main':
        # main is running now; it parks on its BLOCK line right after this.
        entry['stack'] = [describe_frame(frames[-1], main_line)]
        entry['awaits'] = describe_awaited(never_future)
        return entry
    entry['running'] = asyncio.current_task(loops[loop_name]) is task
    entry['stack'] = [describe_frame(f) for f in reversed(frames)]
    if not entry['running']:
        entry['awaits'] = describe_awaited(task._fut_waiter)
    return entry


def edges_truth(many):
    edges = []

    def edge(child, parent, via):
        edges.append({'child': child, 'parent': parent, 'via': via})

    edge('gather_child_1', 'gather_parent', 'gather')
    edge('gather_child_2', 'gather_parent', 'gather')
    if HAS_TASKGROUP:
        edge('tg_mid', 'tg_outer', 'taskgroup')
        edge('tg_leaf_1', 'tg_mid', 'taskgroup')
        edge('tg_leaf_2', 'tg_mid', 'taskgroup')
    edge('chain_1', 'chain_0', 'await')
    edge('chain_2', 'chain_1', 'await')
    edge('wait_for_inner', 'on_wait_for', 'wait_for')
    edge('shield_inner', 'on_shield', 'shield')
    edge('wait_child_1', 'on_wait', 'wait')
    edge('wait_child_2', 'on_wait', 'wait')
    edge('ac_child_1', 'on_as_completed', 'as_completed')
    edge('ac_child_2', 'on_as_completed', 'as_completed')
    if not NO_CYCLE:
        edge('cycle_b', 'cycle_a', 'await')
        edge('cycle_a', 'cycle_b', 'await')
    edge('py_awaited', 'py_chain', 'await')
    edge('l2_sleeper', 'l2_waiter', 'await')
    return edges


def write_truth(truth_path, many, never_future):
    main_line = MARKERS['main']
    loop_of_thread = {}
    for loop_name, thread in loop_threads.items():
        loop_of_thread[thread.ident] = loop_name
    threads = []
    for thread in threading.enumerate():
        threads.append({
            'name': thread.name,
            'ident': thread.ident,
            'tid': thread.native_id,
            'loop': loop_of_thread.get(thread.ident),
        })
    loops_truth = []
    for loop_name in ('main', 'loop2'):
        current = None
        if loop_name != 'main':  # main's loop goes idle after the signal
            current = name_of(asyncio.current_task(loops[loop_name]))
        loops_truth.append({
            'name': loop_name,
            'id': id(loops[loop_name]),
            'thread_ident': loop_threads[loop_name].ident,
            'current_task': current,
        })
    with registry_lock:
        entries = [(name, tasks[name]) for name in task_order]
    task_entries = [task_truth(name, task, loop_name, main_line, never_future)
                    for name, (task, loop_name) in entries]
    running = [t['name'] for t in task_entries if t['running']]
    if running != ['l2_blocker']:
        die('unexpected running tasks: %r' % (running,))
    truth = {
        'pid': os.getpid(),
        'python': '%d.%d.%d' % tuple(sys.version_info[:3]),
        'version_info': list(sys.version_info[:3]),
        'executable': sys.executable,
        'script': SCRIPT,
        'threads': threads,
        'loops': loops_truth,
        'tasks': task_entries,
        'edges': edges_truth(many),
        'cycles': [] if NO_CYCLE else [['cycle_a', 'cycle_b']],
        'unawaited': [{'id': id(c), 'qualname': c.__qualname__} for c in unawaited],
        'many': many,
    }
    tmp = truth_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    os.rename(tmp, truth_path)


def signal_ready(ready_fd):
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)


# --- main ------------------------------------------------------------------------


async def main(ready_fd, truth_path, many):
    loop = asyncio.get_running_loop()
    never_future = loop.create_future()  # never set

    done = spawn(loop, 'done_task', answer())
    await asyncio.wait([done])
    cancelled = spawn(loop, 'cancelled_task', sleeper())
    deadline = time.time() + VERIFY_TIMEOUT
    while cancelled._fut_waiter is None:
        if time.time() > deadline:
            die('cancelled_task did not start sleeping')
        await asyncio.sleep(0)
    cancelled.cancel()
    await asyncio.wait([cancelled])
    if done.result() != 42 or not cancelled.cancelled():
        die('done_task / cancelled_task in the wrong state')
    kept.extend([done, cancelled])

    first = spawn(loop, 'gather_child_1', sleeper())
    second = spawn(loop, 'gather_child_2', sleeper())
    spawn(loop, 'gather_parent', gather_parent(first, second))

    if HAS_TASKGROUP:
        spawn(loop, 'tg_outer', tg_outer())

    chain = spawn(loop, 'chain_2', sleeper())
    chain = spawn(loop, 'chain_1', awaiter(chain))
    spawn(loop, 'chain_0', awaiter(chain))

    spawn(loop, 'on_sleep', on_sleep())
    spawn(loop, 'on_queue', on_queue(asyncio.Queue()))
    lock = asyncio.Lock()
    await lock.acquire()  # held by main forever
    spawn(loop, 'on_lock', on_lock(lock))
    spawn(loop, 'on_event', on_event(asyncio.Event()))

    server = await asyncio.start_server(accept, '127.0.0.1', 0)
    keep_alive.append(server)
    port = server.sockets[0].getsockname()[1]
    spawn(loop, 'on_socket', on_socket(port))

    inner = spawn(loop, 'wait_for_inner', sleeper())
    spawn(loop, 'on_wait_for', on_wait_for(inner))
    inner = spawn(loop, 'shield_inner', sleeper())
    spawn(loop, 'on_shield', on_shield(inner))
    first = spawn(loop, 'wait_child_1', sleeper())
    second = spawn(loop, 'wait_child_2', sleeper())
    spawn(loop, 'on_wait', on_wait([first, second]))
    spawn(loop, 'on_executor', on_executor())
    first = spawn(loop, 'ac_child_1', sleeper())
    second = spawn(loop, 'ac_child_2', sleeper())
    spawn(loop, 'on_as_completed', on_as_completed([first, second]))

    if not NO_CYCLE:
        spawn(loop, 'cycle_a', cycle('cycle_b'))
        spawn(loop, 'cycle_b', cycle('cycle_a'))

    spawn_py(loop, 'py_sleeper', sleeper())
    awaited = spawn(loop, 'py_awaited', sleeper())
    spawn_py(loop, 'py_chain', awaiter(awaited))

    for i in range(many):
        spawn(loop, 'bulk_%d' % i, sleeper())

    unawaited.append(orphan(1))
    unawaited.append(orphan(2))

    thread = threading.Thread(name='loop2', target=loop2_thread)
    thread.daemon = True
    loop_threads['loop2'] = thread
    thread.start()

    # accept() is called once, for on_socket's connection; keep_alive then
    # holds the server, the client streams and the server streams.
    await wait_until_parked(many, 3)
    write_truth(truth_path, many, never_future)
    signal_ready(ready_fd)
    await never_future  # BLOCK:main


def parse_args(argv):
    global NO_CYCLE
    usage = 'usage: %s <ready_fd> <truth_path> [--many N] [--no-cycle]' % argv[0]
    args = list(argv[1:])
    if '--no-cycle' in args:
        NO_CYCLE = True
        args.remove('--no-cycle')
    if len(args) not in (2, 4):
        die(usage)
    many = 0
    if len(args) == 4:
        if args[2] != '--many':
            die(usage)
        try:
            many = int(args[3])
        except ValueError:
            die(usage)
        if many < 0:
            die(usage)
    try:
        ready_fd = int(args[0])
    except ValueError:
        die(usage)
    return ready_fd, args[1], many


def run(argv):
    ready_fd, truth_path, many = parse_args(argv)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loops['main'] = loop
    loop_threads['main'] = threading.current_thread()
    main_task = spawn(loop, 'main', main(ready_fd, truth_path, many))
    loop.run_until_complete(main_task)


if __name__ == '__main__':
    run(sys.argv)
