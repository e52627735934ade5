"""chartmodel.py: reads spec/events.def and a chart (spec/<name>.rl) into a model, and checks it.

A chart is a Ragel state chart restricted to one shape, so that every state has a name and
every transition can be traced, drawn, tested and counted:

    main := (
      start: Idle: (
          TU_SEND @send_request @start_timer_A -> Calling      # RFC 3261 §17.1.1.2
      ),
      Calling: (
          TIMER_A @send_request @restart_timer_A -> Calling    # RFC 3261 §17.1.1.2
        | ...
      ),
      Terminated: ( zlen )
    );

plus `#@` directive lines (title, rfc, final, timer, waits, undefined, actions). docs/charts.md is
the reference. Every problem is reported as `file:line: error: chart 'x', state 'y': reason`.
"""

import hashlib
import re

EVENT_CLASSES = ("tu", "rx", "timer", "transport")
TIMER_ACTION = re.compile(r"^(start|restart|stop)_timer_([A-Z][A-Z0-9]*?)(_T2)?$")


class ChartError(Exception):
    """Carries every error found, already formatted."""

    def __init__(self, messages):
        super().__init__("\n".join(messages))
        self.messages = messages


class Event:
    def __init__(self, name, num, cls, desc, line):
        self.name, self.num, self.cls, self.desc, self.line = name, num, cls, desc, line


def read_events(path):
    events, errors, seen_num = [], [], {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            parts = line.split(None, 3)
            if len(parts) < 3 or not re.fullmatch(r"[A-Z][A-Z0-9_]*", parts[0]) or not parts[1].isdigit():
                errors.append(f"{path}:{lineno}: error: expected 'NAME NUMBER CLASS description'")
                continue
            name, num, cls = parts[0], int(parts[1]), parts[2]
            desc = parts[3] if len(parts) > 3 else ""
            if cls not in EVENT_CLASSES:
                errors.append(f"{path}:{lineno}: error: event {name}: class '{cls}' is not one of {', '.join(EVENT_CLASSES)}")
            if not 1 <= num <= 255:
                errors.append(f"{path}:{lineno}: error: event {name}: number {num} is outside 1..255")
            if num in seen_num:
                errors.append(f"{path}:{lineno}: error: event {name}: number {num} is already used by {seen_num[num]}")
            if any(e.name == name for e in events):
                errors.append(f"{path}:{lineno}: error: event {name} is defined twice")
            seen_num[num] = name
            events.append(Event(name, num, cls, desc, lineno))
    if errors:
        raise ChartError(errors)
    return events


class Timer:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.base, self.mult, self.ms = "MS", 1, 0
        self.doubling, self.cap_t2, self.reliable = False, False, "same"
        self.limit = None          # "set": the owner gives a limit of firings at run time
        self.rfc = ""


class Transition:
    def __init__(self, src, event, actions, target, line, rfc):
        self.src, self.event, self.actions, self.target = src, event, actions, target
        self.line, self.rfc = line, rfc
        self.name = f"{src}__{event}"
        self.index = -1


class State:
    def __init__(self, name, line):
        self.name, self.line = name, line
        self.transitions = []
        self.is_zlen = False
        self.index = -1


class Chart:
    def __init__(self, path):
        self.path = path
        self.name = ""
        self.title = ""
        self.rfc = ""
        self.final = None
        self.final_line = 0
        self.timers = {}
        self.waits = {}
        self.undefined_rules = []  # (state|*, event|class|*, policy, line)
        self.states = []           # in source order
        self.start = None
        self.events = []           # the chart's alphabet, Event objects, in first-use order
        self.actions = []          # semantic action names, in first-use order
        self.transitions = []
        # Where the chart's actions are implemented in C (`#@ actions:`): the struct that
        # runs the machine, the prefix of each implementation's name, the file that holds them.
        self.context = None
        self.prefix = None
        self.impl_file = None
        self.actions_line = 0

    def action_line(self, action):
        """The chart line where `action` is first used."""
        return min(t.line for t in self.transitions if action in t.actions)

    def state(self, name):
        for s in self.states:
            if s.name == name:
                return s
        return None


# ----------------------------------------------------------------------------------------
# Reading a chart

TOKEN = re.compile(r"\s*(?:(?P<id>[A-Za-z_][A-Za-z0-9_]*)|(?P<num>\d+)|(?P<p>:=|->|[():|,;@]))")


def _tokenize(text, first_line, path, errors):
    """Tokens (kind, value, line) of the Ragel section, and the comment text of each line."""
    tokens, comments = [], {}
    line = first_line
    for raw in text.split("\n"):
        code, _, comment = raw.partition("#")
        if comment.strip():
            comments[line] = comment.strip()
        pos = 0
        while pos < len(code):
            if code[pos:].strip() == "":
                break
            m = TOKEN.match(code, pos)
            if not m or m.end() == pos:
                bad = code[pos:].lstrip()[0]
                errors.append(f"{path}:{line}: error: '{bad}' is not part of the chart notation "
                              f"(a transition is `EVENT @action ... -> State`; see docs/charts.md)")
                break
            kind = m.lastgroup
            tokens.append((kind, m.group(kind), line))
            pos = m.end()
        line += 1
    return tokens, comments


class _Parser:
    def __init__(self, tokens, comments, path, errors):
        self.t, self.i, self.comments, self.path, self.errors = tokens, 0, comments, path, errors

    def peek(self, k=0):
        j = self.i + k
        return self.t[j] if j < len(self.t) else ("eof", "", self.t[-1][2] if self.t else 0)

    def take(self, value=None, kind=None):
        tok = self.peek()
        if (value is not None and tok[1] != value) or (kind is not None and tok[0] != kind):
            want = f"'{value}'" if value is not None else ("a name" if kind == "id" else kind)
            raise SyntaxError(f"{self.path}:{tok[2]}: error: expected {want}, found '{tok[1] or 'end of chart'}'")
        self.i += 1
        return tok


def read_chart(path, all_events):
    by_name = {e.name: e for e in all_events}
    chart = Chart(path)
    errors = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    lines = text.split("\n")

    # Directives.
    for lineno, raw in enumerate(lines, 1):
        s = raw.strip()
        if not s.startswith("#@"):
            continue
        body = s[2:].split("#", 1)[0].strip()
        rfc_note = s[2:].split("#", 1)[1].strip() if "#" in s[2:] else ""
        m = re.fullmatch(r"(title|rfc|final)\s*:\s*(.+)", body)
        if m:
            key, val = m.group(1), m.group(2).strip()
            if key == "final":
                chart.final, chart.final_line = val, lineno
            else:
                setattr(chart, key, val)
            continue
        m = re.fullmatch(r"timer\s+([A-Z][A-Z0-9]*)\s*:\s*(.*)", body)
        if m:
            t = Timer(m.group(1), lineno)
            t.rfc = rfc_note
            for kv in m.group(2).split():
                k, _, v = kv.partition("=")
                if k == "start":
                    mm = re.fullmatch(r"(?:(\d+)\*)?(T1|T2|T4)", v)
                    if mm:
                        t.base, t.mult = mm.group(2), int(mm.group(1) or 1)
                    elif re.fullmatch(r"\d+ms", v):
                        t.base, t.ms = "MS", int(v[:-2])
                    else:
                        errors.append(f"{path}:{lineno}: error: timer {t.name}: start='{v}' is not T1, T2, T4, N*T1 or Nms")
                elif k == "backoff" and v in ("double", "none"):
                    t.doubling = v == "double"
                elif k == "cap" and v in ("T2", "none"):
                    t.cap_t2 = v == "T2"
                elif k == "reliable" and v in ("same", "off", "zero"):
                    t.reliable = v
                elif k == "limit" and v in ("set", "none"):
                    t.limit = v if v == "set" else None
                else:
                    errors.append(f"{path}:{lineno}: error: timer {t.name}: unknown setting '{kv}' "
                                  f"(start=, backoff=double|none, cap=T2|none, reliable=same|off|zero, "
                                  f"limit=set|none)")
            if t.name in chart.timers:
                errors.append(f"{path}:{lineno}: error: timer {t.name} is declared twice")
            chart.timers[t.name] = t
            continue
        m = re.fullmatch(r"actions\s*:\s*(.*)", body)
        if m:
            chart.actions_line = lineno
            for kv in m.group(1).split():
                k, _, v = kv.partition("=")
                if k == "context" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
                    chart.context = v
                elif k == "prefix" and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
                    chart.prefix = v
                elif k == "in" and v:
                    chart.impl_file = v
                else:
                    errors.append(f"{path}:{lineno}: error: '#@ actions': unknown setting '{kv}' "
                                  f"(context=STRUCT_TAG prefix=C_PREFIX in=FILE)")
            continue
        m = re.fullmatch(r"waits\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*(.+)", s[2:].strip())
        if m:
            chart.waits[m.group(1)] = (m.group(2).strip(), lineno)
            continue
        m = re.fullmatch(r"undefined\s+(\*|[A-Za-z_][A-Za-z0-9_]*)\s+(\*|[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(ignore|error)", body)
        if m:
            chart.undefined_rules.append((m.group(1), m.group(2), m.group(3), lineno))
            continue
        errors.append(f"{path}:{lineno}: error: unknown directive '#@ {body}'")

    # The Ragel section.
    start = text.find("%%{")
    end = text.find("}%%")
    if start < 0 or end < start:
        raise ChartError(errors + [f"{path}:1: error: no Ragel section (%%{{ ... }}%%) in the chart"])
    first_line = text.count("\n", 0, start) + 1
    section = text[start + 3:end]
    tokens, comments = _tokenize(section, first_line, path, errors)
    if errors:
        raise ChartError(errors)
    p = _Parser(tokens, comments, path, errors)
    try:
        p.take("machine")
        chart.name = p.take(kind="id")[1]
        p.take(";")
        p.take("main")
        p.take(":=")
        p.take("(")
        while True:
            _parse_block(p, chart, by_name, errors)
            if p.peek()[1] == ",":
                p.take(",")
                continue
            break
        p.take(")")
        p.take(";")
        if p.peek()[0] != "eof":
            tok = p.peek()
            raise SyntaxError(f"{path}:{tok[2]}: error: unexpected '{tok[1]}' after the machine")
    except SyntaxError as e:
        errors.append(str(e))
        raise ChartError(errors)
    if errors:
        raise ChartError(errors)
    return chart


def _parse_block(p, chart, by_name, errors):
    labels = []
    while p.peek()[0] == "id" and p.peek(1)[1] == ":":
        labels.append(p.take(kind="id"))
        p.take(":")
    if not labels:
        tok = p.peek()
        raise SyntaxError(f"{p.path}:{tok[2]}: error: chart '{chart.name}': expected a state label "
                          f"(`Name: ( ... )`), found '{tok[1]}'")
    names = [lab for lab in labels if lab[1] != "start"]
    line = labels[0][2]
    if not names:
        raise SyntaxError(f"{p.path}:{line}: error: chart '{chart.name}': unnamed state: the start state "
                          f"needs a name besides 'start' (`start: Idle: ( ... )`)")
    if len(names) > 1:
        errors.append(f"{p.path}:{line}: error: chart '{chart.name}', state '{names[0][1]}': "
                      f"one state has two names ({', '.join(n[1] for n in names)})")
    name = names[0][1]
    if chart.state(name):
        errors.append(f"{p.path}:{line}: error: chart '{chart.name}', state '{name}': defined twice")
    st = State(name, names[0][2])
    chart.states.append(st)
    if len(names) < len(labels):
        if chart.start:
            errors.append(f"{p.path}:{line}: error: chart '{chart.name}': two start states")
        chart.start = st
    p.take("(")
    if p.peek()[1] == "zlen":
        p.take("zlen")
        st.is_zlen = True
    else:
        while True:
            _parse_alt(p, chart, st, by_name, errors)
            if p.peek()[1] == "|":
                p.take("|")
                continue
            break
    p.take(")")


def _parse_alt(p, chart, st, by_name, errors):
    events = []
    while p.peek()[0] in ("id", "num") and p.peek()[1] not in ("zlen",):
        events.append(p.take())
    if not events:
        tok = p.peek()
        raise SyntaxError(f"{p.path}:{tok[2]}: error: chart '{chart.name}', state '{st.name}': "
                          f"expected an event, found '{tok[1]}'")
    line = events[0][2]
    actions = []
    while p.peek()[1] == "@":
        p.take("@")
        actions.append(p.take(kind="id")[1])
    if p.peek()[1] != "->":
        tok = p.peek()
        raise SyntaxError(f"{p.path}:{tok[2]}: error: chart '{chart.name}', state '{st.name}': unnamed state: "
                          f"the transition on {events[0][1]} has no `-> State` target, so it would end in a state "
                          f"with no name")
    p.take("->")
    target_tok = p.take(kind="id")
    target = target_tok[1]
    if len(events) > 1:
        errors.append(f"{p.path}:{line}: error: chart '{chart.name}', state '{st.name}': unnamed state: "
                      f"'{' '.join(e[1] for e in events)}' is a sequence of events, which passes through a state "
                      f"with no name (one event per transition)")
    ev = events[0]
    if ev[0] == "num":
        errors.append(f"{p.path}:{line}: error: chart '{chart.name}', state '{st.name}': event '{ev[1]}' "
                      f"must be named (spec/events.def), not a number")
        return
    if target == "final":
        errors.append(f"{p.path}:{line}: error: chart '{chart.name}', state '{st.name}': unnamed state: "
                      f"`-> final` enters Ragel's anonymous final state; name it (`-> Terminated`, "
                      f"`Terminated: ( zlen )`, `#@ final: Terminated`)")
        return
    event = by_name.get(ev[1])
    if event is None:
        errors.append(f"{p.path}:{line}: error: chart '{chart.name}', state '{st.name}': unknown event "
                      f"'{ev[1]}' (events are declared in spec/events.def)")
        return
    rfc = p.comments.get(target_tok[2]) or p.comments.get(line) or ""
    t = Transition(st.name, event.name, actions, target, line, rfc)
    st.transitions.append(t)
    chart.transitions.append(t)
    if event not in chart.events:
        chart.events.append(event)
    for a in actions:
        if a not in chart.actions:
            chart.actions.append(a)


# ----------------------------------------------------------------------------------------
# Static checks: each failure names chart, state and reason.

def check(chart, all_events):
    errs = []
    path, name = chart.path, chart.name

    def err(line, state, reason):
        where = f"chart '{name}', state '{state}'" if state else f"chart '{name}'"
        errs.append(f"{path}:{line}: error: {where}: {reason}")

    stem = re.sub(r"\.rl$", "", path.replace("\\", "/").rsplit("/", 1)[-1])
    if name != stem:
        err(1, None, f"the machine is named '{name}' but the file is '{stem}.rl'; use the same name")
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        err(1, None, "a chart name is lower case letters, digits and '_'")
    if not chart.title:
        err(1, None, "no '#@ title:' line")
    if not chart.rfc:
        err(1, None, "no '#@ rfc:' line naming the RFC sections the chart implements")
    if chart.start is None:
        err(1, None, "no start state (label one state `start: Name: ( ... )`)")
    if chart.final is None:
        err(1, None, "no '#@ final: State' line naming the final state")

    names = {s.name for s in chart.states}
    for s in chart.states:
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", s.name):
            err(s.line, s.name, "state names are CamelCase, as the RFC names them (letters and digits)")
    seen = {}
    for t in chart.transitions:
        if t.target not in names:
            err(t.line, t.src, f"the transition on {t.event} goes to '{t.target}', which is not a state of the chart")
        key = (t.src, t.event)
        if key in seen:
            err(t.line, t.src, f"two transitions on {t.event} (lines {seen[key]} and {t.line}); a chart is deterministic")
        seen[key] = t.line
        if not re.search(r"RFC|§", t.rfc):
            err(t.line, t.src, f"the transition on {t.event} has no RFC reference comment (`# RFC 3261 §...`)")
        if len(t.actions) > 12:
            err(t.line, t.src, f"the transition on {t.event} has {len(t.actions)} actions; at most 12")
        if len(set(t.actions)) != len(t.actions):
            err(t.line, t.src, f"the transition on {t.event} names an action twice")

    # Final state.
    if chart.final is not None:
        fs = chart.state(chart.final)
        if fs is None:
            err(chart.final_line, chart.final, "declared final but no such state")
        elif not fs.is_zlen or fs.transitions:
            err(fs.line, fs.name, "a final state with outgoing transitions (a final state is `Name: ( zlen )`)")
    for s in chart.states:
        if s.is_zlen and s.name != chart.final:
            err(s.line, s.name, "a state with no transitions that is not the final state: the machine would stop there forever")

    # Timers.
    by_name = {e.name: e for e in all_events}
    for t in chart.timers.values():
        ev = by_name.get(f"TIMER_{t.name}")
        if ev is None or ev.cls != "timer":
            err(t.line, None, f"timer {t.name} is declared but spec/events.def has no timer event TIMER_{t.name}")
        if t.limit:
            lim = by_name.get(f"TIMER_{t.name}_LIMIT")
            if lim is None or lim.cls != "timer":
                err(t.line, None, f"timer {t.name} has a limit but spec/events.def has no timer event "
                                  f"TIMER_{t.name}_LIMIT (the event fired once the limit is passed)")
            elif not any(tr.event == lim.name for tr in chart.transitions):
                err(t.line, None, f"timer {t.name} has a limit but no transition handles TIMER_{t.name}_LIMIT")
    for e in chart.events:
        if not e.name.startswith("TIMER_"):
            continue
        base = e.name[6:]
        if base.endswith("_LIMIT") and base[:-6] in chart.timers:
            if not chart.timers[base[:-6]].limit:
                err(1, None, f"the chart reacts to {e.name} but timer {base[:-6]} declares no limit "
                             f"('#@ timer {base[:-6]}: ... limit=set')")
        elif base not in chart.timers:
            err(1, None, f"the chart reacts to {e.name} but declares no timer {base} ('#@ timer {base}: ...')")
    for t in chart.transitions:
        for a in t.actions:
            m = TIMER_ACTION.match(a)
            if m and m.group(2) not in chart.timers:
                err(t.line, t.src, f"action '{a}' uses timer {m.group(2)}, which the chart does not declare")
            if m and m.group(3) and m.group(1) != "start":
                err(t.line, t.src, f"action '{a}': only start_timer_X_T2 exists")

    # waits / undefined directives name real states and events.
    for st, (reason, line) in chart.waits.items():
        if st not in names:
            err(line, st, "'#@ waits' names a state the chart does not have")
    alphabet = {e.name for e in chart.events}
    for st, ev, _, line in chart.undefined_rules:
        if st != "*" and st not in names:
            err(line, st, "'#@ undefined' names a state the chart does not have")
        if ev != "*" and ev not in EVENT_CLASSES and ev not in alphabet:
            err(line, None, f"'#@ undefined' names '{ev}', which is neither an event of the chart nor a class "
                            f"({', '.join(EVENT_CLASSES)})")
    if errs or chart.start is None or chart.final is None or chart.state(chart.final) is None:
        raise ChartError(errs)

    # Reachability from the start state.
    reach, todo = {chart.start.name}, [chart.start]
    while todo:
        s = todo.pop()
        for t in s.transitions:
            if t.target not in reach and chart.state(t.target):
                reach.add(t.target)
                todo.append(chart.state(t.target))
    for s in chart.states:
        if s.name not in reach:
            err(s.line, s.name, "unreachable: no path of events leads to it from the start state "
                                f"'{chart.start.name}'")

    # Hang check: from every non-final state (but the start state, where the machine waits for
    # the event that creates it, and states declared `#@ waits`), timers and transport errors
    # alone must be able to reach the final state.
    cls = {e.name: e.cls for e in all_events}
    can_end = {chart.final}
    changed = True
    while changed:
        changed = False
        for s in chart.states:
            if s.name in can_end:
                continue
            if any(cls[t.event] in ("timer", "transport") and t.target in can_end for t in s.transitions):
                can_end.add(s.name)
                changed = True
    for s in chart.states:
        if s.name in can_end or s is chart.start or s.name in chart.waits or s.name not in reach:
            continue
        err(s.line, s.name, "could hang forever: no timer or transport-error event leads from it to the final "
                            f"state '{chart.final}' (add one, or declare `#@ waits {s.name}: <why>`)")
    if errs:
        raise ChartError(errs)

    # Indexes: states in source order, transitions in source order.
    for i, s in enumerate(chart.states):
        s.index = i
    for i, t in enumerate(chart.transitions):
        t.index = i


def undefined_policy(chart, state, event):
    """What the chart says an undefined (state, event) pair does: 'ignore' or 'error'."""
    for st, ev, policy, _ in chart.undefined_rules:
        if st not in ("*", state.name):
            continue
        if ev in ("*", event.name) or ev == event.cls:
            return policy
    return "error"


def timer_action(chart, action):
    """(op, timer index) for a timer action name, or ('NONE', -1)."""
    m = TIMER_ACTION.match(action)
    if not m:
        return "NONE", -1
    names = list(chart.timers)
    op = {"start": "START", "restart": "RESTART", "stop": "STOP"}[m.group(1)]
    if m.group(3):
        op = "START_T2"
    return op, names.index(m.group(2))


def chart_hash(chart):
    """A hash of what the chart defines (not of its comments or layout)."""
    h = hashlib.sha256()
    h.update(f"chart {chart.name} start {chart.start.name} final {chart.final}\n".encode())
    for s in chart.states:
        h.update(f"state {s.name}\n".encode())
    for t in chart.transitions:
        h.update(f"t {t.src} {t.event} {' '.join(t.actions)} {t.target}\n".encode())
    for tm in chart.timers.values():
        lim = f" limit={tm.limit}" if tm.limit else ""  # charts without a limit keep their hash
        h.update(f"timer {tm.name} {tm.base} {tm.mult} {tm.ms} {tm.doubling} {tm.cap_t2} {tm.reliable}{lim}\n".encode())
    for rule in chart.undefined_rules:
        h.update(f"undefined {rule[0]} {rule[1]} {rule[2]}\n".encode())
    return h.hexdigest()[:16]


def shortest_paths(chart):
    """For every reachable state, the shortest list of transitions from the start state."""
    paths = {chart.start.name: []}
    queue = [chart.start]
    while queue:
        s = queue.pop(0)
        for t in s.transitions:
            if t.target not in paths:
                paths[t.target] = paths[s.name] + [t]
                queue.append(chart.state(t.target))
    return paths


def c_upper(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).upper()
