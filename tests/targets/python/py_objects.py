# -*- coding: utf-8 -*-
"""Python test target for object reprs read from outside.

Usage: python py_objects.py <ready_fd> <truth_path>

Runs unchanged on CPython 2.7 and 3.6-3.13 (on 2.7 the '' literals are
byte strings, b'' the same type, and the u'' ones unicode; 2 ** 64 is a
long). Builds a list of objects, keeps them alive, writes the truth (JSON,
to <truth_path>.tmp then renamed):
  {"python": "3.x.y", "objects": [{"id": id(o), "repr": repr(o),
   "capped": bool, "kind": "value" | "opaque", "type": type name}]}
"capped" objects exceed corostack's default caps (200 code points, 20
items); "opaque" ones (instances, subclasses) must be shown as
<TypeName at 0x...>. Then writes "ready\\n" to the fd and blocks reading a pipe of its own.
"""
import json
import os
import sys


class Custom(object):
    def __init__(self):
        self.alpha = 1
        self.beta = 'two'


class MyStr(str):
    pass


def main():
    ready_fd = int(sys.argv[1])
    truth_path = sys.argv[2]
    inst = Custom()
    cyclic = [1]
    cyclic.append(cyclic)
    shrinking = {}
    for i in range(10):
        shrinking[i] = i * i
    for i in range(0, 10, 2):
        del shrinking[i]
    removed = set(range(12))
    for i in range(0, 12, 3):
        removed.discard(i)
    values = [
        None, True, False, 0, -1, 1, 2 ** 30, 2 ** 30 - 1, -2 ** 100, 10 ** 50, 2 ** 64,
        1.5, -0.0, 0.0, 1e16, 1e15, 0.1, 1e-5, 0.0001, 1.7976931348623157e308, 5e-324,
        float('inf'), float('-inf'), float('nan'), 123456.789,
        '', 'abc', "it's", 'say "hi"', 'both \' and "', 'h\xe9llo', '\u0100\u0102',
        '\U0001f600 x', 'tab\t', 'nl\n cr\r bs\\ nul\x00 del\x7f c1\x85 nbsp\xa0',
        'sur\ud800', 'bmp\u4e2d\u6587', b'\x00ab\xff', b'', b"it's", b'q"\'',
        (), (1,), (1, 'a'), [1, [2, [3]]], [], {}, {'a': 1, 2: [3]},
        {'x': 1, 'y': 'z'}, shrinking, set(), {1, 2, 3}, frozenset({4}), frozenset(),
        removed, ((),), [None, True, 1.0],
        inst.__dict__,
        # unicode on 2.7 (str again on 3.x), and 2.7's int/long edges.
        u'', u'abc', u"it's", u'h\xe9llo', u'\u0100\u0102', u'\U0001f600 x', u'tab\t',
        u'sur\ud800', u'both \' and "', {u'k': u'v'},
        2 ** 62, -sys.maxsize - 1, -(2 ** 63), 2 ** 63, (2 ** 64) // (2 ** 60), -(2 ** 64),
    ]
    capped = [
        dict((i, i) for i in range(30)),
        'x' * 300,
        b'y' * 300,
        list(range(25)),
        tuple(range(21)),
        set(range(40)),
    ]
    opaque = [inst, MyStr('sub'), cyclic]
    objects = []
    for o in values:
        objects.append({'id': id(o), 'repr': repr(o), 'capped': False, 'kind': 'value',
                        'type': type(o).__name__})
    for o in capped:
        objects.append({'id': id(o), 'repr': repr(o), 'capped': True, 'kind': 'value',
                        'type': type(o).__name__})
    for o in opaque[:2]:
        objects.append({'id': id(o), 'repr': repr(o), 'capped': False, 'kind': 'opaque',
                        'type': type(o).__name__})
    # Python prints the cycle as [1, [...]]; so does repr_object.
    objects.append({'id': id(cyclic), 'repr': repr(cyclic), 'capped': False, 'kind': 'value',
                    'type': 'list'})
    keep = (values, capped, opaque)
    truth = {'python': '%d.%d.%d' % sys.version_info[:3], 'objects': objects}
    tmp = truth_path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(truth, f)
    os.rename(tmp, truth_path)
    os.write(ready_fd, b'ready\n')
    r, w = os.pipe()
    while True:
        os.read(r, 1)  # blocks: nobody writes to this pipe
    return keep


main()
