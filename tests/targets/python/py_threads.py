# -*- coding: utf-8 -*-
"""Python test target: threads with known names in known call chains.

Usage: python py_threads.py <ready_fd> <truth_path> [--abort-after-ready]

Runs unchanged on CPython 2.7 and 3.6-3.13 (no f-strings, no walrus).

Threads (threading names; the OS thread name is set to the same, cut to 15
bytes, with prctl(PR_SET_NAME)):
  recursor     recurse() 5 deep, then time.sleep in a loop
  generator    blocks in time.sleep inside a generator's body being iterated
  lambda       a lambda calling a nested function that blocks in time.sleep
  method       instance method -> classmethod -> staticmethod -> instance
               method, which blocks in time.sleep
  sleeper      time.sleep directly
  lock_holder  holds a threading.Lock, blocks in time.sleep
  lock_waiter  blocked acquiring the lock lock_holder holds
  spinner      spins in pure Python forever (never blocks; holds the GIL often)
The main thread blocks in os.read() of a pipe after signalling ready (with
--abort-after-ready it calls os.abort() instead, for a kernel core).
One more thread is started by C code with no Python thread state at all:
pthread_create() straight onto libc's sleep() (x86_64: the start argument is
sleep's first argument), listed in the truth as "native_threads".

Before signalling, every non-spinner thread is verified blocked: state S in
/proc/self/task/TID/stat, sleeping in the expected system call (x86_64 only)
and its innermost Python frame on the line marked "# BLOCK:<name>" below,
stable over several samples; and the spinner has started spinning.

Truth (JSON, written to <truth_path>.tmp then renamed):
  {"pid", "python": "3.11.7", "version_info": [3, 11, 7], "executable",
   "script": abspath of this file, "abort_after_ready": bool,
   "native_threads": [{"tid", "blocks_in": "sleep"}],
   "threads": [{"name", "comm", "tid", "ident", "is_main", "spinning",
                "state", "syscall",
                "frames": [{"file", "co_filename", "func", "qualname", "line"}],
                "locals_of_innermost_own_frame": {name: repr(value)},
                "local_types": {name: type name},
                "spin_frame": {...} (spinner only)}]}
Frames are innermost first, from sys._current_frames() walking f_back.
"qualname" is co_qualname on 3.11+, else null. For the spinner, "frames"
holds only the stable frames outside spin(); spin() itself is described by
"spin_frame" with the range of lines it may be on.
"""
import json
import os
import re
import sys
import threading
import time

SCRIPT = os.path.abspath(__file__)
if SCRIPT.endswith(('.pyc', '.pyo')):
    SCRIPT = SCRIPT[:-1]
PY3 = sys.version_info[0] >= 3
SLEEP_SECONDS = 3600
VERIFY_TIMEOUT = 20.0

# x86_64 system call numbers a blocked thread may be in.
SLEEP_SYSCALLS = set([7, 23, 35, 219, 230, 270, 271])  # poll select nanosleep
# restart_syscall clock_nanosleep pselect6 ppoll
FUTEX_SYSCALLS = set([202, 219])  # futex, restart_syscall
READ_SYSCALLS = set([0])


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
    sys.stderr.write('py_threads: %s\n' % message)
    sys.stderr.flush()
    os._exit(1)


# --- native thread id and name ----------------------------------------------

_libc = None


def libc():
    global _libc
    if _libc is None:
        import ctypes
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def native_tid():
    get_native_id = getattr(threading, 'get_native_id', None)
    if get_native_id is not None:
        return get_native_id()
    import platform
    numbers = {'x86_64': 186, 'aarch64': 178, 'i686': 224, 'i386': 224}
    return libc().syscall(numbers[platform.machine()])


def set_os_thread_name(name):
    try:
        import ctypes
        libc().prctl(15, ctypes.c_char_p(name[:15].encode('ascii')), 0, 0, 0)
    except Exception:  # best effort: the threading name is the one that counts
        pass


# tid and ident of each thread, filled in by the threads themselves.
registry = {}
registry_lock = threading.Lock()


def register():
    me = threading.current_thread()
    set_os_thread_name(me.name)
    with registry_lock:
        registry[me.name] = {'tid': native_tid(), 'ident': me.ident}


# --- values for locals ---------------------------------------------------------


class Custom(object):
    """An instance of a user class among the locals."""

    def __init__(self, label, value):
        self.label = label
        self.value = value


# --- the threads ---------------------------------------------------------------


def recurse(depth):
    if depth > 1:
        return recurse(depth - 1)
    nothing = None
    flag = True
    small = 42
    negative = -7
    big = 2 ** 100
    ratio = 3.25
    ascii_text = u'hello'
    wide_text = u'h\xe9llo \u2713'
    astral = u'\U0001F600'
    raw = b'\x00\x01abc\xff'
    pair = (1, u'two', 3.0)
    items = [1, 2, 3, None]
    mapping = {u'a': 1, u'b': [2, 3]}
    members = set([5])
    nested = {u'k': [(1, 2), {u'x': None}], u'n': (b'b', [u'deep'])}
    thing = Custom(u'recursor', 5)
    while True:
        time.sleep(SLEEP_SECONDS)  # BLOCK:recursor


def recursor_thread():
    register()
    recurse(5)


def counting(limit):
    start = 10
    label = u'gen'
    seen = [start, limit]
    flag = False
    while True:
        time.sleep(SLEEP_SECONDS)  # BLOCK:generator
        yield start


def generator_thread():
    register()
    for value in counting(3):
        sys.stderr.write('generator yielded %r\n' % (value,))


def lambda_thread():
    register()

    def nested_blocker(arg):
        number = arg
        negative = -(2 ** 70)
        ratio = -0.5
        text = u'nested \u2713'
        pair = (arg, [arg, {u'k': arg}])
        while True:
            time.sleep(SLEEP_SECONDS)  # BLOCK:lambda

    call = lambda arg: nested_blocker(arg)  # noqa: E731
    call(7)


class Worker(object):
    kind = u'worker'

    def __init__(self, name):
        self.name = name

    def start_work(self):
        return Worker.dispatch(self)

    @classmethod
    def dispatch(cls, worker):
        return cls.prepare(worker, 3)

    @staticmethod
    def prepare(worker, count):
        return worker.block_here(count)

    def block_here(self, count):
        limit = count
        tags = (u'a', u'b')
        table = {1: u'one', 2: u'two'}
        empty = []
        nothing = None
        while True:
            time.sleep(SLEEP_SECONDS)  # BLOCK:method


def method_thread():
    register()
    Worker(u'method').start_work()


def sleeper_thread():
    register()
    nothing = None
    yes = True
    no = False
    zero = 0
    small = 42
    negative = -7
    big = 2 ** 100
    negative_big = -(2 ** 100)
    ratio = 3.25
    ascii_text = u'hello'
    wide_text = u'h\xe9llo \u2713'
    astral = u'\U0001F600'
    raw = b'\x00\x01abc\xff'
    empty_tuple = ()
    pair = (1, u'two', 3.0)
    items = [1, 2, 3, None]
    mapping = {u'a': 1, u'b': [2, 3]}
    members = set([5])
    nested = {u'k': [(1, 2), {u'x': None}], u'n': (b'b', [u'deep'])}
    thing = Custom(u'sleeper', [1, 2])
    while True:
        time.sleep(SLEEP_SECONDS)  # BLOCK:sleeper


def start_native_thread():
    """Starts a thread from C, outside Python: pthread_create(sleep, SLEEP_SECONDS).
    Returns its tid, found as the one new entry of /proc/self/task."""
    import ctypes
    before = set(os.listdir('/proc/self/task'))
    lib = libc()
    handle = ctypes.c_ulong(0)
    start = ctypes.cast(lib.sleep, ctypes.c_void_p)
    rc = lib.pthread_create(ctypes.byref(handle), None, start, ctypes.c_void_p(SLEEP_SECONDS))
    if rc != 0:
        die('pthread_create failed: %d' % rc)
    deadline = time.time() + VERIFY_TIMEOUT
    while True:
        new = set(os.listdir('/proc/self/task')) - before
        if len(new) == 1:
            return int(new.pop())
        if len(new) > 1 or time.time() > deadline:
            die('cannot tell the native thread apart: %r' % (new,))
        time.sleep(0.01)


native_threads = []


the_lock = threading.Lock()
lock_held = threading.Event()


def lock_holder_thread():
    register()
    the_lock.acquire()
    lock_held.set()
    holding = True
    while True:
        time.sleep(SLEEP_SECONDS)  # BLOCK:lock_holder


def lock_waiter_thread():
    register()
    lock = the_lock
    attempts = 1
    reason = u'waiting'
    lock.acquire()  # BLOCK:lock_waiter
    sys.stderr.write('lock_waiter got the lock\n')


spin_state = {'spins': 0}


def spin(state):
    counter = 0
    while True:
        counter += 1
        state['spins'] = counter


def spinner_thread():
    register()
    spin(spin_state)


THREADS = [
    ('recursor', recursor_thread),
    ('generator', generator_thread),
    ('lambda', lambda_thread),
    ('method', method_thread),
    ('sleeper', sleeper_thread),
    ('lock_holder', lock_holder_thread),
    ('lock_waiter', lock_waiter_thread),
    ('spinner', spinner_thread),
]
SYSCALLS = {
    'lock_waiter': FUTEX_SYSCALLS,
}


# --- verification and truth ----------------------------------------------------


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def task_state(tid):
    stat = read_text('/proc/self/task/%d/stat' % tid)
    if not stat:
        return '?'
    return stat[stat.rindex(')') + 2]


def task_syscall(tid):
    """The system call number tid sleeps in, or None if unknown."""
    text = read_text('/proc/self/task/%d/syscall' % tid)
    if not text:
        return None
    first = text.split()[0]
    if first in ('running', '-1'):
        return None
    try:
        return int(first)
    except ValueError:
        return None


def task_comm(tid):
    return (read_text('/proc/self/task/%d/comm' % tid) or '').strip()


def is_x86_64():
    import platform
    return platform.machine() == 'x86_64'


def blocked_problem(name, info, frames):
    """Why thread name is not (yet) in its blocked state, or None."""
    frame = frames.get(info['ident'])
    if frame is None:
        return 'no frame'
    if os.path.abspath(frame.f_code.co_filename) != SCRIPT:
        return 'innermost frame in %s' % frame.f_code.co_filename
    if frame.f_lineno != MARKERS[name]:
        return 'innermost line %d, want %d' % (frame.f_lineno, MARKERS[name])
    state = task_state(info['tid'])
    if state != 'S':
        return 'state %s' % state
    if is_x86_64():
        syscall = task_syscall(info['tid'])
        wanted = SYSCALLS.get(name, SLEEP_SYSCALLS)
        if syscall is not None and syscall not in wanted:
            return 'in syscall %d' % syscall
    return None


def wait_until_blocked():
    """Waits until every thread is in its known state, stable over samples."""
    deadline = time.time() + VERIFY_TIMEOUT
    stable = 0
    while True:
        problems = []
        frames = sys._current_frames()
        for name, _ in THREADS:
            info = registry.get(name)
            if info is None:
                problems.append('%s: not registered' % name)
            elif name == 'spinner':
                frame = frames.get(info['ident'])
                if spin_state['spins'] == 0 or frame is None or frame.f_code.co_name != 'spin':
                    problems.append('spinner: not spinning yet')
            else:
                problem = blocked_problem(name, info, frames)
                if problem:
                    problems.append('%s: %s' % (name, problem))
        for tid in native_threads:
            if task_state(tid) != 'S':
                problems.append('native thread %d: state %s' % (tid, task_state(tid)))
        del frames
        if problems:
            stable = 0
        else:
            stable += 1
            # A thread on its line and asleep may still be waiting for the
            # GIL just before its blocking call; the spinner hands the GIL
            # over every few ms, so a few clean samples in a row settle it.
            if stable >= 5:
                return
        if time.time() > deadline:
            die('threads not blocked after %ss: %s' % (VERIFY_TIMEOUT, '; '.join(problems)))
        time.sleep(0.02)


def describe_frame(frame, line=None):
    code = frame.f_code
    out = {
        'file': os.path.abspath(code.co_filename),
        'co_filename': code.co_filename,
        'func': code.co_name,
        'qualname': getattr(code, 'co_qualname', None),
        'line': frame.f_lineno if line is None else line,
    }
    # 3.11+: the executing instruction's PEP 657 position, as tracebacks use it
    # (only for frames seen where they block: an explicit line is another moment).
    if line is None and hasattr(code, 'co_positions') and frame.f_lasti >= 0:
        positions = list(code.co_positions())
        if frame.f_lasti // 2 < len(positions):
            out['position'] = list(positions[frame.f_lasti // 2])
    return out


def describe_locals(frame):
    values = dict(frame.f_locals)
    reprs = {}
    types = {}
    for key in values:
        reprs[key] = repr(values[key])
        types[key] = type(values[key]).__name__
    return reprs, types


def describe_chain(frame):
    frames = []
    while frame is not None:
        frames.append(describe_frame(frame))
        frame = frame.f_back
    return frames


def innermost_own(frame):
    while frame is not None and os.path.abspath(frame.f_code.co_filename) != SCRIPT:
        frame = frame.f_back
    return frame


def spin_lines():
    """First and last line of spin()'s body."""
    code = spin.__code__
    first = code.co_firstlineno
    last = first
    with open(SCRIPT) as f:
        lines = f.read().split('\n')
    for number in range(first + 1, len(lines) + 1):
        text = lines[number - 1]
        if text.strip() and not text.startswith((' ', '\t')):
            break
        if text.strip():
            last = number
    return [first, last]


def thread_truth(name, info, frame):
    entry = {
        'name': name,
        'comm': task_comm(info['tid']),
        'tid': info['tid'],
        'ident': info['ident'],
        'is_main': False,
        'spinning': name == 'spinner',
        'state': task_state(info['tid']),
        'syscall': task_syscall(info['tid']),
    }
    if name == 'spinner':
        # spin()'s line changes all the time: only the frames outside it are
        # stable. spin() holds no frames of its own below it.
        if frame.f_code.co_name != 'spin':
            die('spinner left spin(): %s' % frame.f_code.co_name)
        spin_frame = describe_frame(frame)
        spin_frame['line'] = None
        spin_frame['line_range'] = spin_lines()
        entry['spin_frame'] = spin_frame
        entry['frames'] = describe_chain(frame.f_back)
        entry['locals_of_innermost_own_frame'], entry['local_types'] = describe_locals(frame.f_back)
    else:
        entry['frames'] = describe_chain(frame)
        entry['locals_of_innermost_own_frame'], entry['local_types'] = describe_locals(
            innermost_own(frame))
    return entry


def write_truth(truth_path, main_frame, main_line, abort_after_ready):
    """Main's frames are those of main_frame with its line set to main_line,
    where main is going to block right after this."""
    frames = sys._current_frames()
    threads = []
    main_tid = native_tid()
    main_entry = {
        'name': threading.current_thread().name,
        'comm': task_comm(main_tid),
        'tid': main_tid,
        'ident': threading.current_thread().ident,
        'is_main': True,
        'spinning': False,
        'state': None,  # not blocked yet: it blocks right after the truth
        'syscall': None,
        'frames': [describe_frame(main_frame, main_line)] + describe_chain(main_frame.f_back),
    }
    main_entry['locals_of_innermost_own_frame'], main_entry['local_types'] = describe_locals(
        main_frame)
    threads.append(main_entry)
    for name, _ in THREADS:
        info = registry[name]
        threads.append(thread_truth(name, info, frames[info['ident']]))
    del frames
    # Re-check: nothing may have moved while the truth was taken.
    now = sys._current_frames()
    for entry in threads:
        if entry['is_main'] or entry['spinning']:
            continue
        frame = now[entry['ident']]
        if frame.f_lineno != entry['frames'][0]['line']:
            die('%s moved while the truth was taken' % entry['name'])
    del now
    truth = {
        'pid': os.getpid(),
        'python': '%d.%d.%d' % tuple(sys.version_info[:3]),
        'version_info': list(sys.version_info[:3]),
        'executable': sys.executable,
        'script': SCRIPT,
        'abort_after_ready': abort_after_ready,
        'native_threads': [{'tid': tid, 'blocks_in': 'sleep'} for tid in native_threads],
        'threads': threads,
    }
    tmp = truth_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(truth, f, indent=1, sort_keys=True)
    os.rename(tmp, truth_path)


def signal_ready(ready_fd):
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)


def block_main(ready_fd, truth_path, abort_after_ready):
    block_r, block_w = os.pipe()  # nobody ever writes to block_w
    purpose = u'main blocks here'
    line = MARKERS['main_abort' if abort_after_ready else 'main']
    write_truth(truth_path, sys._getframe(), line, abort_after_ready)
    signal_ready(ready_fd)
    if abort_after_ready:
        os.abort()  # BLOCK:main_abort
    while True:
        os.read(block_r, 1)  # BLOCK:main


def main(argv):
    if len(argv) < 3 or (len(argv) == 4 and argv[3] != '--abort-after-ready') or len(argv) > 4:
        die('usage: %s <ready_fd> <truth_path> [--abort-after-ready]' % argv[0])
    ready_fd = int(argv[1])
    truth_path = argv[2]
    abort_after_ready = len(argv) == 4
    native_threads.append(start_native_thread())
    for name, target in THREADS:
        if name == 'lock_waiter' and not lock_held.wait(VERIFY_TIMEOUT):
            die('lock_holder did not take the lock')
        thread = threading.Thread(name=name, target=target)
        thread.daemon = True
        thread.start()
    wait_until_blocked()
    block_main(ready_fd, truth_path, abort_after_ready)


if __name__ == '__main__':
    main(sys.argv)
