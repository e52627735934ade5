"""promelamodel.py: reads a closed model (tests/model/*.model) for gen/promelagen.py.

A model names the machines that talk (one chart per role), the channels between them and
their messages, how each role's actions and events become messages, what its environment may
do, and the properties to check. docs/modelcheck.md is the reference; in short:

  model NAME / title TEXT
  chart ROLE CHART                    spec/CHART.rl (or a path ending in .rl, beside the model)
  channel NAME FROM TO MSG...         one channel; the network may lose, duplicate, reorder
  internal NAME                       the channel stays inside one end: reliable, ordered
  once MSG...                         the transaction layer delivers MSG at most once: the
                                      network may lose it but never duplicates it
  rx ROLE MSG EVENT                   MSG arriving at ROLE is EVENT to its chart
  send ROLE ACTION [EVENT=]MSG|last   the action puts MSG on the wire
  post ROLE ACTION EVENT              the action posts EVENT to its own chart, taken at once
  after ROLE EVENT|@State MSG         a transition on EVENT (into State) also sends MSG
  tu ROLE EVENT BOUND                 the transaction user's choice, at most BOUND times
  env ROLE EVENT BOUND [if EXPR]      an event of the environment, at most BOUND times, when EXPR
  fault ROLE EVENT                    a transport error: all faults share the budget FAULTS
  timing ROLE TIMER any|off|quiet     the timer fires at any time once started / never runs /
                                      only when nothing the role sent is still in flight
  hold ROLE                           the role's application may keep a `#@ waits` state forever
  retransmit ROLE EVENT until=MSG before=TIMER
  stray ROLE MSG new|after_rx|reply=MSG "why"
  invariant "text": EXPR              checked in every state
  atend "text": EXPR                  checked when nothing at all can happen any more
  bounds K=V... / variant NAME transport=udp|tcp [ROLE=chart.rl] [K=V] [expect=fail find=TAG]

Expressions: ROLE@State, sent(MSG), got(ROLE, MSG) (taken by a transition), heard(ROLE, MSG)
(received at all), lost, faults, &&, ||, !, ->.
"""

import os
import re

from chartmodel import ChartError


class Role:
    def __init__(self, name):
        self.name = name
        self.chart_ref = None
        self.chart = None
        self.chart_path = None
        self.rx = {}        # message -> event
        self.send = {}      # action -> {event or '*': message | 'last'}
        self.post = {}      # action -> event posted to the role's own chart
        self.after = []     # (event or '@State', message)
        self.tu = {}        # event -> bound (tu choices and environment events)
        self.guard = {}     # event -> Promela expression
        self.faults = []    # events drawn from the shared FAULTS budget
        self.timing = {}    # timer -> 'any' | 'off'
        self.hold = False
        self.stray = {}     # message -> (kind, text, reply message or None)
        self.retransmit = {}  # timer -> (tu event, message whose arrival stops it)


class Model:
    def __init__(self, path):
        self.path = path
        self.name = ""
        self.title = ""
        self.roles = {}
        self.channels = {}   # name -> (from role, to role, [messages])
        self.internal = set()
        self.once = set()
        self.invariants = []  # (text, expr)
        self.atend = []       # (text, expr)
        self.bounds = {"RETX": 2, "LOSS": 1, "DUPS": 1, "CAP": 6, "FAULTS": 0, "DEPTH": 20000, "MEMLIM": 1024}
        self.variants = {}   # name -> dict
        self.heard_used = set()  # (role, message) pairs some expression asks heard() of

    def channel_of(self, msg):
        for name, (_, _, ms) in self.channels.items():
            if msg in ms:
                return name
        return None


def _texted(line, key, errors, where):
    mm = re.fullmatch(key + r'\s+"([^"]+)"\s*:\s*(.+)', line)
    if not mm:
        errors.append(f"{where}: error: expected `{key} \"text\": expression`")
        return None
    return mm.group(1), mm.group(2).strip()


def read_model(path):
    m = Model(path)
    errors = []
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            where = f"{path}:{lineno}"
            if line.startswith("invariant ") or line.startswith("atend "):
                key = line.split()[0]
                te = _texted(line, key, errors, where)
                if te:
                    (m.invariants if key == "invariant" else m.atend).append(te)
                continue
            if line.startswith("stray "):
                mm = re.fullmatch(r'stray\s+(\w+)\s+(\w+)\s+(new|after_rx|reply=\w+)\s+"([^"]+)"', line)
                if not mm or mm.group(1) not in m.roles:
                    errors.append(f"{where}: error: expected `stray ROLE MESSAGE new|after_rx|reply=MSG \"why\"`")
                    continue
                kind, reply = mm.group(3), None
                if kind.startswith("reply="):
                    kind, reply = "reply", kind[len("reply="):]
                m.roles[mm.group(1)].stray[mm.group(2)] = (kind, mm.group(4), reply)
                continue
            if line.startswith("env "):
                mm = re.fullmatch(r"env\s+(\w+)\s+(\w+)\s+(\S+)(?:\s+if\s+(.+))?", line)
                if not mm or mm.group(1) not in m.roles:
                    errors.append(f"{where}: error: expected `env ROLE EVENT BOUND [if EXPR]`")
                    continue
                r = m.roles[mm.group(1)]
                r.tu[mm.group(2)] = f"({mm.group(3)})"
                if mm.group(4):
                    r.guard[mm.group(2)] = mm.group(4)
                continue
            words = line.split("#", 1)[0].split()
            key, args = words[0], words[1:]
            role = m.roles.get(args[0]) if args else None
            if key == "model":
                m.name = args[0]
            elif key == "title":
                m.title = " ".join(args)
            elif key == "chart" and len(args) == 2:
                r = m.roles.setdefault(args[0], Role(args[0]))
                r.chart_ref = args[1]
            elif key == "channel" and len(args) >= 4 and args[1] in m.roles and args[2] in m.roles:
                m.channels[args[0]] = (args[1], args[2], args[3:])
            elif key == "internal" and len(args) == 1 and args[0] in m.channels:
                m.internal.add(args[0])
            elif key == "once" and args:
                m.once.update(args)
            elif key == "rx" and len(args) == 3 and role:
                role.rx[args[1]] = args[2]
            elif key == "send" and len(args) >= 3 and role:
                d = {}
                for a in args[2:]:
                    ev, _, msg = a.rpartition("=")
                    d[ev or "*"] = msg
                role.send[args[1]] = d
            elif key == "post" and len(args) == 3 and role:
                role.post[args[1]] = args[2]
            elif key == "after" and len(args) == 3 and role:
                role.after.append((args[1], args[2]))
            elif key == "tu" and len(args) == 3 and role:
                if not re.fullmatch(r"\d+|RETX(\+\d+)?", args[2]):
                    errors.append(f"{where}: error: a tu bound is a number, RETX or RETX+N")
                role.tu[args[1]] = f"({args[2]})"
            elif key == "fault" and len(args) == 2 and role:
                role.faults.append(args[1])
                role.tu[args[1]] = "(FAULTS)"
            elif key == "timing" and len(args) == 3 and role and args[2] in ("any", "off", "quiet"):
                role.timing[args[1]] = args[2]
            elif key == "hold" and len(args) == 1 and role:
                role.hold = True
            elif key == "retransmit" and len(args) == 4 and role:
                # `retransmit ROLE TU_EVENT until=MSG before=TIMER`: the TU sends TU_EVENT again
                # (at most its `tu` bound) until MSG arrives; TIMER fires only after that.
                kv = dict(a.split("=", 1) for a in args[2:])
                role.retransmit[kv["before"]] = (args[1], kv["until"])
            elif key == "bounds":
                for a in args:
                    k, _, v = a.partition("=")
                    m.bounds[k] = int(v)
            elif key == "variant" and args:
                v = {"transport": "udp", "expect": "pass"}
                for a in args[1:]:
                    k, _, val = a.partition("=")
                    v[k] = val
                m.variants[args[0]] = v
            else:
                errors.append(f"{where}: error: cannot read `{line}`")
    for r in m.roles.values():
        for msg in list(r.rx) + [x for _, x in r.after]:
            if m.channel_of(msg) is None:
                errors.append(f"{path}: error: role {r.name}: message {msg} is on no channel")
    if errors:
        raise ChartError(errors)
    return m


def resolve_chart(ref, model_path, spec_dir):
    if ref.endswith(".rl"):
        return os.path.join(os.path.dirname(os.path.abspath(model_path)), ref)
    return os.path.join(spec_dir, ref + ".rl")


def expr(e):
    """A model expression as Promela."""
    e = re.sub(r"(\w+)@(\w+)", lambda mm: f"({mm.group(1)}_state == {mm.group(1)}_{mm.group(2)})", e)
    e = re.sub(r"sent\((\w+)\)", r"sent_\1", e)
    e = re.sub(r"got\((\w+),\s*(\w+)\)", r"\1_got_\2", e)
    e = re.sub(r"heard\((\w+),\s*(\w+)\)", r"\1_heard_\2", e)
    e = e.replace("=>", "->")
    if "->" in e:
        e = re.sub(r"^(.*?)\s*->\s*(.*)$", r"(!(\1) || (\2))", e)
    return e
