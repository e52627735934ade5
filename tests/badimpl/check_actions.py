#!/usr/bin/env python3
"""check_actions.py: a chart's actions are implemented in C or the build fails.

Compiles impl_ict.c against the generated chart_ict_actions.h (the header that
runtime/src/session/tsx_run.c includes) three ways:
  - whole: it compiles, links and runs, and the generated dispatcher reaches each non-timer
    action's implementation exactly once and leaves timer actions (and a number past the
    last action) alone;
  - with each action's implementation removed in turn (-DDROP_<action>): the compiler fails,
    naming the implementation tsx_act_<action> and the chart line that names the action
    (spec/ict.rl:LINE), as the table of the chart (ict.table.json) gives it;
  - with an implementation the chart does not name (-DEXTRA): the compiler fails naming it.

Usage: check_actions.py CC GEN_DIR SOURCE WORK_DIR PUBLIC_INCLUDE_DIR
"""
import json
import os
import re
import subprocess
import sys

TIMER = re.compile(r"^(start|restart|stop)_timer_[A-Z][A-Z0-9]*(_T2)?$")


def main():
    cc, gen, src, work, include = sys.argv[1:6]
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(gen, "charts", "ict.table.json"), encoding="utf-8") as f:
        table = json.load(f)
    actions, first_line = [], {}
    for t in table["transitions"]:
        for a in t["actions"]:
            if a not in first_line:
                actions.append(a)
                first_line[a] = t["line"]
    plain = [a for a in actions if not TIMER.match(a)]
    base = [cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-I", os.path.join(gen, "include"),
            "-I", os.path.join(gen, "actions"), "-I", include, src]
    failures = 0

    def fail(msg):
        nonlocal failures
        failures += 1
        print("FAIL: " + msg)

    exe = os.path.join(work, "impl_ict")
    r = subprocess.run(base + ["-o", exe], capture_output=True, text=True)
    if r.returncode != 0:
        fail("the whole implementation does not build:\n" + r.stderr)
    else:
        out = subprocess.run([exe], capture_output=True, text=True, check=True).stdout.split("\n")
        rows = [tuple(map(int, ln.split())) for ln in out if ln.strip()]
        if len(rows) != len(actions) + 1:
            fail(f"the dispatcher knows {len(rows) - 1} actions, the chart {len(actions)}")
        for a, ran, calls in rows:
            want = 1 if a < len(actions) and actions[a] in plain else 0
            name = actions[a] if a < len(actions) else f"#{a} (no action)"
            if ran != want or calls != want:
                fail(f"action {name}: dispatched {ran}, implementation ran {calls} times, expected {want}")
        print(f"whole: {len(plain)} actions dispatched once each, {len(actions) - len(plain)} timer actions left "
              f"to the timer layer")

    for a in plain:
        r = subprocess.run(base + ["-c", "-o", os.devnull, f"-DDROP_{a}"], capture_output=True, text=True)
        where = f"{table['source']}:{first_line[a]}:"
        if r.returncode == 0:
            fail(f"without tsx_act_{a} the build still succeeds")
        elif not any(where in ln and f"tsx_act_{a}" in ln and "error" in ln for ln in r.stderr.splitlines()):
            fail(f"without tsx_act_{a}: no error line naming {where} and tsx_act_{a}:\n{r.stderr}")
        else:
            line = next(ln for ln in r.stderr.splitlines() if where in ln and f"tsx_act_{a}" in ln)
            print(f"drop {a}: {line.strip()}")
    r = subprocess.run(base + ["-c", "-o", os.devnull, "-DEXTRA"], capture_output=True, text=True)
    if r.returncode == 0:
        fail("an implementation the chart does not name (tsx_act_send_prack) builds")
    elif "tsx_act_send_prack" not in r.stderr or "error" not in r.stderr:
        fail("the error for tsx_act_send_prack does not name it:\n" + r.stderr)
    else:
        line = next(ln for ln in r.stderr.splitlines() if "tsx_act_send_prack" in ln)
        print(f"extra send_prack: {line.strip()}")
    checks = 1 + len(plain) + 1
    print(f"{checks - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
