"""Targets for `doctor --watch` and doctor's resource checks.

Usage: python py_watch.py <ready_fd> <truth_path> <mode>

Modes:
  spin       thread "spinner" runs a busy loop on one line forever; the main
             thread sleeps in a read nobody answers (idle, not a finding)
  resources  RLIMIT_NOFILE lowered to 64 with 60 descriptors open, and a
             child process that exited and was never waited for (a zombie)

The truth (JSON) is written, then "ready\\n" goes to ready_fd; the test waits
until the threads it expects asleep are asleep.
"""
import json
import os
import resource
import sys
import threading


def native_tid():
    if hasattr(threading, 'get_native_id'):
        return threading.get_native_id()
    return os.getpid()


def spin(state):
    state['spinner'] = native_tid()
    state['started'].set()
    n = 0
    while True: n += 1  # noqa: E701 -- one line on purpose: the line never changes


def main(ready_fd, truth_path, mode):
    truth = {'pid': os.getpid(), 'mode': mode}
    keep = []
    if mode == 'spin':
        state = {'started': threading.Event()}
        t = threading.Thread(target=spin, args=(state,), name='spinner', daemon=True)
        t.start()
        state['started'].wait()
        truth['spinner'] = state['spinner']
        truth['line'] = spin.__code__.co_firstlineno + 4
    else:
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, hard))
        while len(os.listdir('/proc/self/fd')) < 60:
            keep.append(os.open('/dev/null', os.O_RDONLY))
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        truth['zombie'] = pid
        truth['limit'] = 64
    r, w = os.pipe()
    keep.append(w)
    # Once ready: without listdir's own fd and the ready fd, closed below.
    truth['open_fds'] = len(os.listdir('/proc/self/fd')) - 2
    with open(truth_path + '.tmp', 'w') as f:
        json.dump(truth, f)
    os.rename(truth_path + '.tmp', truth_path)
    os.write(ready_fd, b'ready\n')
    os.close(ready_fd)
    while True:
        os.read(r, 1)


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.exit('usage: %s <ready_fd> <truth_path> <mode>' % sys.argv[0])
    main(int(sys.argv[1]), sys.argv[2], sys.argv[3])
