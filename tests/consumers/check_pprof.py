#!/usr/bin/env python3
"""Consumer check: Go's pprof (Debian golang-go) reads our gzipped profiles.

`go tool pprof -raw FILE` parses the file and runs pprof's CheckValid, then
dumps samples, labels and locations. Checks, per profile written by
write_sample_profiles: exit 0, sample totals (count and nanoseconds) equal
to expected.json, every plain function name and every thread id present;
and a truncated copy is rejected (the check can fail).
Exit 77 (ctest SKIP) with a loud message when `go` is not installed.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    out_dir = sys.argv[1]
    go = shutil.which("go") or (os.path.exists("/usr/lib/go/bin/go") and "/usr/lib/go/bin/go")
    if not go:
        print("=" * 70)
        print("SKIPPED: `go` not found: pprof files NOT validated by go tool pprof.")
        print("Install Debian's golang-go (scripts/install-deps does).")
        print("=" * 70)
        return 77
    version = subprocess.run([go, "version"], capture_output=True, text=True).stdout.strip()
    print(f"consumer: {version}")
    expected = json.load(open(os.path.join(out_dir, "expected.json")))
    home = tempfile.mkdtemp(prefix="pprof-home-")
    env = dict(os.environ, HOME=home, GOTOOLCHAIN="local", PPROF_TMPDIR=home, GOFLAGS="")

    def pprof_raw(path):
        return subprocess.run([go, "tool", "pprof", "-raw", path], capture_output=True,
                              env=env, timeout=240)

    failures = []
    for name, exp in expected.items():
        path = os.path.join(out_dir, name + ".pb.gz")
        r = pprof_raw(path)
        text = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0:
            failures.append(f"{name}: go tool pprof -raw exited {r.returncode}: "
                            f"{r.stderr.decode('utf-8', 'replace')[:500]}")
            continue
        samples = re.search(r"^Samples:\n(.*?)^Locations\n", text, re.S | re.M)
        locations = re.search(r"^Locations\n(.*?)^Mappings\n", text, re.S | re.M)
        if not samples or not locations:
            failures.append(f"{name}: no Samples/Locations sections in the output")
            continue
        types = samples.group(1).splitlines()[0].split()
        want_type = "wall/nanoseconds" if exp["wall_time"] else "cpu/nanoseconds"
        if types[0] != "samples/count" or not types[1].startswith(want_type):
            failures.append(f"{name}: sample types {types}")
        count = nanos = 0
        for m in re.finditer(r"^\s+(\d+)\s+(\d+): [\d ]*$", samples.group(1), re.M):
            count += int(m.group(1))
            nanos += int(m.group(2))
        if count != exp["samples"] or nanos != exp["nanoseconds"]:
            failures.append(f"{name}: totals {count} samples / {nanos} ns, "
                            f"expected {exp['samples']} / {exp['nanoseconds']}")
        tids = {int(t) for t in re.findall(r"thread_id:\[(\d+)\]", samples.group(1))}
        if tids != set(exp["thread_ids"]):
            failures.append(f"{name}: thread ids {sorted(tids)}, expected {exp['thread_ids']}")
        shown = set()
        for line in locations.group(1).splitlines():
            m = re.match(r"^\s+\d+: 0x[0-9a-f]+ M=\d+ (.*) \S*:\d+ s=\d+(?:\((.*)\))?$", line)
            if m:
                shown.add(m.group(1))
                if m.group(2):
                    shown.add(m.group(2))
        missing = [f for f in exp["function_names"] if f not in shown]
        if missing:
            failures.append(f"{name}: functions not shown by pprof: {missing[:10]}")
        print(f"{name}: go tool pprof read {count} samples, {nanos} ns, "
              f"{len(shown)} function names, threads {sorted(tids)}")

    # Negative control: a truncated file must be rejected.
    with open(os.path.join(out_dir, "hostile.pb.gz"), "rb") as f:
        data = f.read()
    bad = os.path.join(home, "truncated.pb.gz")
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])
    if pprof_raw(bad).returncode == 0:
        failures.append("a truncated profile was accepted: the check cannot fail")
    shutil.rmtree(home, ignore_errors=True)

    for f in failures:
        print("FAIL:", f)
    if not failures:
        print(f"{len(expected)} passed, 0 failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
