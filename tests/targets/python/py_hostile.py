# -*- coding: utf-8 -*-
"""Python test target: hostile strings where corostack prints target data.

Usage: python py_hostile.py <ready_fd> <truth_path>

Runs unchanged on CPython 3.8-3.13 (standard library only). For each hostile
name below it starts one thread and one asyncio task:
  - the thread's threading name is the name; it runs a function whose code
    object has co_name (and co_qualname, 3.11+) = the name and co_filename =
    "/tmp/" + name + ".py", with a local `value` holding the name, and blocks
    in threading.Event.wait() inside it;
  - the task (on the main thread's event loop) is created with name=the name;
    its coroutine's code has the same co_name / co_qualname / co_filename and
    awaits a future nobody sets.
The names hold ANSI/OSC sequences, every C0 control, DEL, C1 controls, lone
surrogates and other odd code points, markup and quotes, a literal backslash
sequence that looks like an escape, and one name of 1 MiB.

Before signalling, every thread is verified parked in Event.wait() under its
hostile frame and every task parked on its future, stable over several
samples, within 20 s (else exit status 1). Then the truth is written, "ready\\n"
goes to ready_fd, and the main thread's loop idles forever in epoll_wait.

Truth (JSON, written to <truth_path>.tmp then renamed; ASCII only):
  {"pid", "python": "3.11.7", "version_info": [3, 11, 7],
   "names": [{"key", "unicode": the name with lone surrogates replaced by
              U+FFFD (what a UTF-8 reader can show), "length": len(name),
              "has_surrogates": bool, "repr": repr(name) if len(name) < 200
              else null, "file": co_filename, same replacement}],
   "threads": [{"key", "ident", "tid"}],
   "tasks": [{"key", "id"}]}
"""
import asyncio
import json
import os
import sys
import threading
import time

VERIFY_TIMEOUT = 20.0
STABLE_SAMPLES = 3

HUGE_CHUNK = '\x1b[31m' + 'y' * 59  # 64 code points
HUGE = 'huge_' + HUGE_CHUNK * ((1 << 20) // len(HUGE_CHUNK))

NAMES = [
    ('osc', 'osc_\x1b]0;pwned\x07_end'),
    ('csi', 'csi_\x1b[2J\x1b[31mred\x1b[0m_end'),
    ('c0', 'c0_' + ''.join(chr(c) for c in range(0x00, 0x20)) + '_end'),
    ('del_c1', 'del_c1_\x7f\x80\x85\x9b\x9f_end'),
    ('odd', 'odd_\ud800_\udfff_\ufffe_\U0010ffff_\u202e_\ufeff_\u00e9\u4e2d\U0001f600_end'),
    ('markup', 'markup_</svg><script>alert("x")</script>&amp;\'"_end'),
    ('backslash', 'backslash_\\x1b[2J\\_end'),
    ('huge', HUGE),
]

SURROGATES = set(range(0xD800, 0xE000))


def unicode_of(name):
    return ''.join('\ufffd' if ord(c) in SURROGATES else c for c in name)


def die(message):
    sys.stderr.write('py_hostile: %s\n' % message)
    sys.stderr.flush()
    os._exit(1)


def retarget(fn, name):
    """fn with its code renamed to name and its file to /tmp/<name>.py."""
    kw = {'co_name': name, 'co_filename': '/tmp/' + name + '.py'}
    if sys.version_info >= (3, 11):
        kw['co_qualname'] = name
    fn.__code__ = fn.__code__.replace(**kw)
    fn.__name__ = name
    fn.__qualname__ = name
    return fn


def make_blocker(name):
    def blocker(event, value):
        local_value = value
        event.wait()
        return local_value
    return retarget(blocker, name)


def make_coroutine_function(name):
    async def waiter(future):
        await future
    return retarget(waiter, name)


threads = {}   # key -> threading.Thread
codes = {}     # key -> code object of the thread's hostile frame
tasks = {}     # key -> asyncio.Task
never = threading.Event()


def thread_parked(key):
    thread = threads[key]
    frame = sys._current_frames().get(thread.ident)
    if frame is None or frame.f_code.co_name != 'wait':
        return False
    while frame is not None:
        if frame.f_code is codes[key]:
            return True
        frame = frame.f_back
    return False


def task_parked(key):
    task = tasks[key]
    return task._fut_waiter is not None and not task.done()


async def wait_until_parked():
    deadline = time.time() + VERIFY_TIMEOUT
    stable = 0
    while stable < STABLE_SAMPLES:
        if time.time() > deadline:
            bad = [k for k in threads if not thread_parked(k)]
            bad += ['task ' + k for k in tasks if not task_parked(k)]
            die('not parked: %r' % bad)
        if all(thread_parked(k) for k in threads) and all(task_parked(k) for k in tasks):
            stable += 1
        else:
            stable = 0
        await asyncio.sleep(0.02)


def write_truth(truth_path):
    names = []
    for key, name in NAMES:
        names.append({
            'key': key,
            'unicode': unicode_of(name),
            'length': len(name),
            'has_surrogates': any(ord(c) in SURROGATES for c in name),
            'repr': repr(name) if len(name) < 200 else None,
            'file': unicode_of('/tmp/' + name + '.py'),
        })
    truth = {
        'pid': os.getpid(),
        'python': '%d.%d.%d' % tuple(sys.version_info[:3]),
        'version_info': list(sys.version_info[:3]),
        'names': names,
        'threads': [{'key': k, 'ident': t.ident, 'tid': t.native_id}
                    for k, t in threads.items()],
        'tasks': [{'key': k, 'id': id(t)} for k, t in tasks.items()],
    }
    tmp = truth_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(truth, f, ensure_ascii=True)
    os.rename(tmp, truth_path)


async def main(ready_fd, truth_path):
    loop = asyncio.get_running_loop()
    never_future = loop.create_future()
    for key, name in NAMES:
        blocker = make_blocker(name)
        codes[key] = blocker.__code__
        thread = threading.Thread(name=name, target=blocker, args=(never, name))
        thread.daemon = True
        threads[key] = thread
        thread.start()
        tasks[key] = loop.create_task(make_coroutine_function(name)(never_future), name=name)
    await wait_until_parked()
    write_truth(truth_path)
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)
    await never_future


def run(argv):
    if len(argv) != 3:
        die('usage: %s <ready_fd> <truth_path>' % argv[0])
    if sys.version_info < (3, 8):
        die('needs 3.8+ (Task names, native_id)')
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    loop.run_until_complete(main(int(argv[1]), argv[2]))


if __name__ == '__main__':
    run(sys.argv)
