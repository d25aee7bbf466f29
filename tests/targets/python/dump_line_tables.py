"""Dump CPython line tables together with the interpreter's own answer.

Runs on CPython 3.6-3.13 (keep the syntax 3.6-compatible). Compiles a set of
sources with awkward line structure (plus a few stdlib modules), walks every
code object and prints one JSON document on stdout:

  {"version": "3.11.7", "major": 3, "minor": 11,
   "format": "lnotab" | "linetable310" | "locations",
   "code": [{"name": ..., "source": ..., "firstlineno": N,
             "table": "<hex of co_lnotab / co_linetable>",
             "lines": [line or null for every 2-byte code unit]}]}

lines[i] is the line of the code unit at byte offset 2*i, as the interpreter
itself reports it:
  3.6-3.9  dis.findlinestarts, the last line start propagated forward
  3.10     co.co_lines() ranges (None = no line)
  3.11+    co.co_positions(), one entry per code unit, first element
Nothing is written to disk.
"""
import dis
import importlib.util
import json
import sys

BLANK_300 = "\n" * 300
BLANK_5000 = "\n" * 5000

SOURCE = '''
import sys

def simple(a, b):
    return a + b

def long_jumps(n):
    x = n
''' + BLANK_300 + '''
    y = x + 1
''' + BLANK_5000 + '''
    return y

def long_loop(n):
    i = 0
    while i < n:
        i += 1
''' + BLANK_300 + '''
        i += 2
        if i > 1000:
            break
''' + BLANK_5000 + '''
        i -= 1
    return i

def loop_body_above(n):
    total = 0
    i = 0
    while i < n:
        total += i
        i += 1
    for j in range(n):
        if j % 2:
            continue
        total -= j
    else:
        total = -total
    return total

def multi_line(a, b, c):
    result = compute(
        a,
        b +
        c,
        key=lambda
            v: v * 2,
    )
    x = (a
         if b else
         c)
    d = {
        'k': a,
        'j': [b,
              c],
    }
    e = a.b.c(
        ).d(
    ).e
    return (result,
            x,
            d, e)

gen = lambda x: (y for y in x)

def generator(n):
    for i in range(n):
        yield i
        yield from range(i)
    return n

def nested(a):
    def inner(b):
        def innermost(c):
            return a + b + c
        return innermost
    class Local:
        attr = a
        def method(self):
            return self.attr
    return inner, Local

def comprehensions(xs):
    a = [x for x in xs if x]
    b = {x: y
         for x, y in
         zip(xs, xs)}
    c = {x for x in xs}
    d = list(x * y for x in xs
             for y in xs)
    return a, b, c, d

def exceptions(f):
    try:
        f()
    except ValueError as e:
        print(e)
    except (TypeError,
            KeyError):
        pass
    else:
        f()
    finally:
        f()
    try:
        try:
            f()
        finally:
            return 1
    except Exception:
        raise
    with open(f) as fh, \\
         open(f) as gh:
        fh.read()

def empty_lines(a):

    b = a


    c = b



    return c

async def coro(x):
    await x
    async with x as y:
        async for z in y:
            await z
    return [w async for w in x]

def decorated():
    @staticmethod
    @property
    def f():
        pass
    return f

class Top:
    def m(self):
        return [lambda: i for i in range(3)]

if __name__ == "never":
    for k in range(3):
        print(k)
'''

SOURCE_38 = '''
def walrus(xs):
    if (n := len(xs)) > 3:
        return n
    return [y for x in xs if (y := x)]

def posonly(a, /, b):
    return a
'''

SOURCE_310 = '''
def matcher(cmd):
    match cmd:
        case [x, y,
              *rest]:
            return x
        case {"k": v}:
            return v
        case Point(x=0) | Point(y=0):
            return 0
        case _:
            return None

def many_with(a, b):
    with (open(a) as f,
          open(b) as g):
        return f, g
'''

SOURCE_311 = '''
def star_except(f):
    try:
        f()
    except* ValueError:
        pass
    except* (TypeError,
             KeyError) as eg:
        print(eg)
'''

STDLIB_MODULES = ["dis", "inspect", "argparse", "collections"]


def sources():
    v = sys.version_info[:2]
    out = [("tricky", SOURCE, 1)]
    # Very large first line numbers: the same source behind many newlines.
    out.append(("tricky+100000", "\n" * 100000 + SOURCE, 100001))
    out.append(("tricky+1000003", "\n" * 1000003 + SOURCE, 1000004))
    if v >= (3, 8):
        out.append(("py38", SOURCE_38, 1))
    if v >= (3, 10):
        out.append(("py310", SOURCE_310, 1))
    if v >= (3, 11):
        out.append(("py311", SOURCE_311, 1))
    for name in STDLIB_MODULES:
        spec = importlib.util.find_spec(name)
        with open(spec.origin, encoding="utf-8") as f:
            out.append((name, f.read(), 1))
    return out


def walk(code):
    yield code
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            for sub in walk(const):
                yield sub


def expected_lines(code, minor):
    units = len(code.co_code) // 2
    if minor <= 9:
        starts = dict(dis.findlinestarts(code))
        lines = []
        line = None
        for i in range(units):
            line = starts.get(2 * i, line)
            lines.append(line)
        return lines
    if minor == 10:
        lines = [None] * units
        for start, end, line in code.co_lines():
            for off in range(start, end, 2):
                if off // 2 < units:
                    lines[off // 2] = line
        return lines
    lines = [p[0] for p in code.co_positions()]
    if len(lines) != units:
        raise SystemExit("co_positions length %d != %d code units in %s"
                         % (len(lines), units, code.co_name))
    return lines


def main():
    major, minor = sys.version_info[:2]
    if minor <= 9:
        fmt = "lnotab"
    elif minor == 10:
        fmt = "linetable310"
    else:
        fmt = "locations"
    codes = []
    for label, text, _first in sources():
        module = compile(text, "<%s>" % label, "exec")
        for code in walk(module):
            table = code.co_lnotab if minor <= 9 else code.co_linetable
            codes.append({
                "name": getattr(code, "co_qualname", code.co_name),
                "source": label,
                "firstlineno": code.co_firstlineno,
                "table": table.hex(),
                "lines": expected_lines(code, minor),
            })
    json.dump({
        "version": "%d.%d.%d" % sys.version_info[:3],
        "major": major,
        "minor": minor,
        "format": fmt,
        "code": codes,
    }, sys.stdout, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
