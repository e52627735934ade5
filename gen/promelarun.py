"""promelarun.py: runs SPIN on the models gen/promelagen.py writes, prints what it found, and
turns a counter-example into a regression scenario (docs/modelcheck.md).

A scenario (format sipspec-model-scenario/1) is the trail as text: `chart ROLE PATH` lines
name each role's chart, `step ROLE FROM EVENT TO : ACTIONS` lines are the machines'
transitions in the order they were taken, `send`, `net`, `note` lines the messages, a
`stray ROLE EVENT new` line an event that reached a role whose machine had ended, and a
`violated` line what SPIN found. It replays here against the charts (replay_scenario) and in
C against the generated machines (tests/model/replay_scenario.c).
"""

import os
import re
import shutil
import subprocess
import time

from promelagen import gen_closed, gen_open, load_chart, rel_source
from promelamodel import read_model


def run(cmd, cwd, timeout):
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
    return p.returncode, p.stdout, time.monotonic() - t0


def pan_figures(text):
    f = {}
    m = re.search(r"(\d+) states, stored", text)
    f["states"] = int(m.group(1)) if m else -1
    m = re.search(r"depth reached (\d+)", text)
    f["depth"] = int(m.group(1)) if m else -1
    m = re.search(r"([\d.]+)\s+total actual memory usage", text)
    f["memory_mb"] = float(m.group(1)) if m else -1.0
    m = re.search(r"errors: (\d+)", text)
    f["errors"] = int(m.group(1)) if m else -1
    m = re.search(r"pan: elapsed time ([\d.e+-]+) seconds", text)
    f["pan_seconds"] = float(m.group(1)) if m else -1.0
    return f


def spin_check(pml, live, depth, memlim, timeout, workdir):
    """Returns (figures, pan output, trail exists). The liveness run compiles the model with
    HOLD=0: there, every application ends its session some day."""
    spin = shutil.which("spin")
    gcc = shutil.which("gcc") or shutil.which("cc")
    if not spin or not gcc:
        raise SystemExit("promelagen: spin and gcc are needed (tools/setup installs spin)")
    base = os.path.basename(pml)
    if os.path.abspath(os.path.dirname(pml)) != os.path.abspath(workdir):
        shutil.copy(pml, os.path.join(workdir, base))
    rc, txt, _ = run([spin, *(["-DHOLD=0", "-DLIVE"] if live else []), "-a", base], workdir, timeout)
    if rc != 0:
        raise SystemExit(f"promelagen: spin -a {base} failed:\n{txt}")
    flags = ["-O2", "-w", f"-DMEMLIM={memlim}", "-DVECTORSZ=2048"] + ([] if live else ["-DCOLLAPSE"])
    flags += ["-DNFAIR=3"] if live else ["-DSAFETY", "-DNOCLAIM"]
    rc, txt, _ = run([gcc, *flags, "-o", "pan", "pan.c"], workdir, timeout)
    if rc != 0:
        raise SystemExit(f"promelagen: compiling pan failed:\n{txt}")
    args = ["./pan", f"-m{depth}", "-w20"]
    args += ["-a", "-f", "-N", "ends"] if live else []
    rc, txt, secs = run(args, workdir, timeout)
    figs = pan_figures(txt)
    figs["seconds"] = round(secs, 2)
    trail = os.path.exists(os.path.join(workdir, base + ".trail"))
    return figs, txt, trail


def replay_trail(pml_in_workdir, workdir, timeout, live=False):
    spin = shutil.which("spin")
    rc, txt, _ = run([spin, *(["-DHOLD=0", "-DLIVE"] if live else []), "-t", "-T", os.path.basename(pml_in_workdir)],
                     workdir, timeout)
    return [ln.strip() for ln in txt.splitlines() if ln.strip().startswith("@")], txt


def sequence_chart(lines):
    """The counter-example as a message sequence: one line per step."""
    out = []
    for ln in lines:
        w = ln.split()
        tag = w[0]
        if tag == "@T":
            role, chart, src, ev, _, dst = w[1:7]
            acts = " ".join(w[8:]) if len(w) > 8 else ""
            out.append(f"  {role:<7} {chart}: {src} --{ev}--> {dst}" + (f"   [{acts}]" if acts else ""))
        elif tag == "@S":
            out.append(f"  {w[1]:<7} sends {w[2]}")
        elif tag == "@N":
            out.append(f"  network {w[1]}: {' '.join(w[2:])}")
        elif tag == "@I":
            out.append(f"  {w[1]:<7} {w[2]}: in {w[3]} ignores {w[4]}")
        elif tag == "@X":
            out.append(f"  {w[1]:<7} receives {w[2]} after its machine ended: {' '.join(w[4:])}")
        elif tag == "@P":
            out.append(f"  {w[1]:<7} posts {w[2]} to itself")
        elif tag == "@H":
            out.append(f"  {w[1]:<7} its application keeps the session ({' '.join(w[2:])}) and does nothing more")
        elif tag == "@F":
            out.append(f"  {w[1]:<7} transport error: {w[2]}")
        elif tag == "@V":
            out.append(f"  VIOLATED {' '.join(w[1:])}")
    return "\n".join(out)


def scenario_text(model_name, variant, lines, charts):
    out = ["# sipspec-model-scenario/1: a counter-example of SPIN, replayable against the charts",
           "# (gen/promelarun.py) and against the generated C machines (tests/model/replay_scenario.c)",
           f"model {model_name} {variant}"]
    for role, path in charts:
        out.append(f"chart {role} {rel_source(path)}")
    for ln in lines:
        w = ln.split()
        if w[0] == "@T":
            acts = w[8:] if len(w) > 8 else []
            out.append(f"step {w[1]} {w[3]} {w[4]} {w[6]}" + ("" if not acts else " : " + " ".join(acts)))
        elif w[0] == "@S":
            out.append(f"send {w[1]} {w[2]}")
        elif w[0] == "@N":
            out.append(f"net {' '.join(w[1:])}")
        elif w[0] in ("@I", "@X", "@P", "@H", "@F"):
            out.append(f"note {' '.join(w[1:])}")
        elif w[0] == "@V":
            m = re.match(r"@V stray-new-request: (\w+) \w+ \((\w+)\)", ln)
            if m:
                out.append(f"stray {m.group(1)} {m.group(2)} new")
            out.append(f"violated {' '.join(w[1:])}")
    return "\n".join(out) + "\n"


def replay_scenario(path, charts_by_role, events):
    """Feeds each role's chart the events of its steps in order; each step must be the chart's."""
    charts = {r: load_chart(p, events) for r, p in charts_by_role.items()}
    state = {r: c.start.name for r, c in charts.items()}
    errors, steps = [], 0
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            w = raw.split()
            if not w or w[0] != "step":
                continue
            role, src, ev, dst = w[1], w[2], w[3], w[4]
            acts = w[6:] if len(w) > 6 else []
            c = charts[role]
            if state[role] != src:
                errors.append(f"{path}:{lineno}: {role} is in {state[role]}, the step says {src}")
                break
            t = next((t for t in c.state(src).transitions if t.event == ev), None)
            if t is None or t.target != dst or t.actions != acts:
                errors.append(f"{path}:{lineno}: chart {c.name} has no transition {src} --{ev}--> {dst} : {' '.join(acts)}")
                break
            state[role] = dst
            steps += 1
    return steps, state, errors


def print_figures(label, f):
    print(f"{label}: states={f['states']} depth={f['depth']} memory={f['memory_mb']}MB "
          f"seconds={f['seconds']} errors={f['errors']}")


def failure_kind(txt):
    """The property pan reports violated, in words."""
    if "pan:1: invalid end state" in txt:
        return "invalid end state (deadlock): the machine stops short of its final state with nothing left that could happen"
    if "pan:1: acceptance cycle" in txt or "pan:1: non-progress cycle" in txt:
        return "liveness: a cycle in which the machines never all terminate"
    if "pan:1: assertion violated" in txt:
        return "assertion violated"
    return "a violation"


def open_checks(args, events):
    os.makedirs(args.workdir, exist_ok=True)
    bad = 0
    for p in args.charts:
        chart = load_chart(p, events)
        wd = os.path.join(args.workdir, chart.name)
        os.makedirs(wd, exist_ok=True)
        for old in os.listdir(wd):
            if old.endswith(".trail"):
                os.remove(os.path.join(wd, old))
        pml = os.path.join(wd, chart.name + ".src.pml")
        with open(pml, "w", encoding="utf-8") as f:
            f.write(gen_open(chart, events, args.envmax))
        figs, txt, trail = spin_check(pml, False, 10000, 512, 120, wd)
        print_figures(f"chart {chart.name} (open, ENVMAX={args.envmax}: safety, invalid end states)", figs)
        if "reached -DMEMLIM bound" in txt or "max search depth too small" in txt or figs["errors"] < 0:
            bad += 1
            print(f"FAILED chart {chart.name} ({rel_source(chart.path)}): the search did not complete within its "
                  f"bounds (memory 512 MB, depth 10000): lower --envmax for it\n{txt}")
            continue
        if figs["errors"] != 0:
            bad += 1
            lines, _ = replay_trail(os.path.join(wd, os.path.basename(pml)), wd, 60)
            last = [ln.split() for ln in lines if ln.startswith("@T")]
            where = f" in state {last[-1][6]}" if last else f" in state {chart.start.name}"
            print(f"FAILED chart {chart.name} ({rel_source(chart.path)}): {failure_kind(txt)}{where}")
            print(sequence_chart(lines))
    return 1 if bad else 0


def c_replay(binary, scenario):
    """Replays a scenario against the generated C machines; prints what the replayer said."""
    rc, txt, _ = run([binary, scenario], os.path.dirname(scenario) or ".", 60)
    print("  " + "\n  ".join(txt.rstrip().splitlines()))
    return rc == 0


def check_model(args, events):
    model = read_model(args.model)
    v = model.variants[args.variant]
    os.makedirs(args.workdir, exist_ok=True)
    text, bounds = gen_closed(model, args.variant, events, args.spec)
    pml = os.path.join(args.workdir, f"{model.name}_{args.variant}.pml")
    with open(pml, "w", encoding="utf-8") as f:
        f.write(text)
    expect = v.get("expect", "pass")
    print(f"model {model.name} variant {args.variant}: transport {v['transport']}, "
          + ", ".join(f"{k}={bounds[k]}" for k in ("RETX", "LOSS", "DUPS", "CAP", "FAULTS")) + f"; expect {expect}")
    for live in (False, True):
        what = "liveness (ltl ends, weak fairness)" if live else "safety (assertions, invariants, invalid end states)"
        wd = os.path.join(args.workdir, "live" if live else "safety")
        os.makedirs(wd, exist_ok=True)
        for old in os.listdir(wd):
            if old.endswith(".trail"):
                os.remove(os.path.join(wd, old))
        figs, txt, trail = spin_check(pml, live, bounds["DEPTH"], bounds["MEMLIM"], args.timeout, wd)
        print_figures(f"  {what}", figs)
        if figs["errors"] < 0 or "error: max search depth too small" in txt:
            print(txt)
            print("promelagen: the search did not complete within its bounds")
            return 1
        if figs["errors"] == 0:
            continue
        why = [ln.strip() for ln in txt.splitlines() if ln.startswith("pan:") and "elapsed" not in ln]
        print("  " + "\n  ".join(why[:3]))
        lines, raw = replay_trail(os.path.join(wd, os.path.basename(pml)), wd, 60, live)
        print(f"  counter-example ({what}: {failure_kind(txt)}):")
        print(sequence_chart(lines))
        scen = os.path.join(args.workdir, f"{model.name}_{args.variant}.scenario")
        charts = [(r.name, r.chart_path) for r in model.roles.values()]
        with open(scen, "w", encoding="utf-8") as f:
            f.write(scenario_text(model.name, args.variant, lines, charts))
        print(f"  regression scenario written: {scen}")
        steps, state, errs = replay_scenario(scen, {r: p for r, p in charts}, events)
        for e_ in errs:
            print("  " + e_)
        print(f"  replay: {steps} steps of the scenario agree with the charts" if not errs
              else "  replay: the scenario disagrees with the charts")
        if errs:
            return 1
        if args.replay_c and not c_replay(args.replay_c, scen):
            print("  replay: the generated C machines do not take the scenario's steps")
            return 1
        if expect == "pass":
            return 1
        want = v.get("find", "")
        if want and not any(want in ln for ln in lines if ln.startswith("@V")):
            print(f"  the violation is not the expected one ('{want}')")
            return 1
        print(f"  expected failure found: {want or 'a violation'}")
        return 0
    if expect == "fail":
        print("  expected SPIN to find a violation, but every check passed")
        return 1
    return 0
