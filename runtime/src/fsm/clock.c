/* fsm/clock.c: the stack's one clock, timer heap and deferred-work queue; see sipspec/clock.h.
 *
 * The armed timers are a binary min-heap ordered by (due, arming order). With libev's clock a
 * single ev_timer is armed at the earliest due time (or at once when deferred work waits);
 * its callback fires every timer due by ev_now(), then the deferred work. With a virtual clock
 * nothing is armed in libev: sipspec_clock_run() moves the time from due time to due time. */
#include "sipspec/clock.h"

#include <stdlib.h>

#include "sipspec/error.h"

typedef struct deferred {
  void (*fn)(void *obj);
  void *obj;
} deferred;

struct sipspec_clock {
  struct ev_loop *loop;
  int is_virtual;
  uint64_t vnow;             /* the virtual time */
  sipspec_clock_timer **heap;
  uint32_t n, cap, seq;
  deferred *dq;              /* deferred work, in order */
  uint32_t dq_len, dq_cap;
  sipspec_clock_grave *graves, *graves_tail; /* buried objects, in burial order */
  unsigned ngraves;
  int stepping;              /* inside wake_cb */
  int doomed;                /* freed from inside its own step: free when the step ends */
  ev_timer wake;             /* libev's clock: the earliest due time */
  unsigned long activity;    /* virtual run: watchers the loop invoked */
};

/* ---- heap --------------------------------------------------------------------------------- */

static int before(const sipspec_clock_timer *a, const sipspec_clock_timer *b) {
  return a->due < b->due || (a->due == b->due && (int32_t)(a->seq - b->seq) < 0);
}

static void place(sipspec_clock *c, uint32_t i, sipspec_clock_timer *t) {
  c->heap[i] = t;
  t->heap_i = i + 1;
}

static void sift_up(sipspec_clock *c, uint32_t i) {
  sipspec_clock_timer *t = c->heap[i];
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (!before(t, c->heap[p])) break;
    place(c, i, c->heap[p]);
    i = p;
  }
  place(c, i, t);
}

static void sift_down(sipspec_clock *c, uint32_t i) {
  sipspec_clock_timer *t = c->heap[i];
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    const sipspec_clock_timer *best = t;
    if (l < c->n && before(c->heap[l], best)) m = l, best = c->heap[l];
    if (r < c->n && before(c->heap[r], best)) m = r;
    if (m == i) break;
    place(c, i, c->heap[m]);
    i = m;
  }
  place(c, i, t);
}

static void heap_remove(sipspec_clock *c, sipspec_clock_timer *t) {
  uint32_t i = t->heap_i - 1;
  t->heap_i = 0;
  c->n--;
  if (i == c->n) return;
  sipspec_clock_timer *moved = c->heap[c->n];
  place(c, i, moved);
  if (i > 0 && before(moved, c->heap[(i - 1) / 2])) sift_up(c, i);
  else sift_down(c, i);
}

/* ---- libev's clock ------------------------------------------------------------------------ */

static uint64_t loop_ms(struct ev_loop *loop) { return (uint64_t)(ev_now(loop) * 1000.0 + 0.5); }

uint64_t sipspec_clock_now_ms(const sipspec_clock *c) { return c->is_virtual ? c->vnow : loop_ms(c->loop); }

static void schedule(sipspec_clock *c) {
  if (c->is_virtual) return;
  ev_timer_stop(c->loop, &c->wake);
  double after;
  if (c->dq_len || c->graves) {
    after = 0.0;
  } else if (c->n) {
    uint64_t now = loop_ms(c->loop), due = c->heap[0]->due;
    after = due > now ? (double)(due - now) / 1000.0 : 0.0;
  } else {
    return;
  }
  ev_timer_set(&c->wake, after, 0.0);
  ev_timer_start(c->loop, &c->wake);
}

/* Fires every timer due at or before now, earliest first (a timer armed by a callback for a
 * time already due fires in this round too). */
static void fire_due(sipspec_clock *c, uint64_t now) {
  for (uint32_t guard = 0; c->n && c->heap[0]->due <= now && guard < 1000000; guard++) {
    sipspec_clock_timer *t = c->heap[0];
    heap_remove(c, t);
    t->cb(t, t->arg);
  }
}

static void run_deferred(sipspec_clock *c) {
  /* Work deferred by deferred work waits for the next round. */
  uint32_t n = c->dq_len;
  for (uint32_t i = 0; i < n && i < c->dq_len; i++) {
    deferred d = c->dq[i];
    if (d.fn) d.fn(d.obj);
  }
  uint32_t rest = c->dq_len - (n < c->dq_len ? n : c->dq_len);
  for (uint32_t i = 0; i < rest; i++) c->dq[i] = c->dq[n + i];
  c->dq_len = rest;
}

/* Frees the objects buried before this call, oldest first; the ones their frees bury wait
 * for the next call. One at a time from the head: a free may reap its owner's other graves
 * (sipspec_clock_reap_owner()), which then leave the list before their turn. */
static void run_graves(sipspec_clock *c) {
  for (unsigned n = c->ngraves; n && c->graves; n--) {
    sipspec_clock_grave *g = c->graves;
    c->graves = g->next;
    if (!c->graves) c->graves_tail = NULL;
    c->ngraves--;
    g->next = NULL;
    g->free_fn(g);
  }
}

static void run_later(sipspec_clock *c) {
  run_deferred(c);
  run_graves(c);
}

static void clock_release(sipspec_clock *c);

static void wake_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  sipspec_clock *c = w->data;
  (void)revents;
  c->stepping++;
  fire_due(c, loop_ms(loop));
  run_later(c);
  c->stepping--;
  if (c->doomed && !c->stepping) {
    clock_release(c);
    return;
  }
  schedule(c);
}

/* ---- creation --------------------------------------------------------------------------- */

static sipspec_clock *clock_new(struct ev_loop *loop, int is_virtual, uint64_t start) {
  if (!loop) return NULL;
  sipspec_clock *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->loop = loop;
  c->is_virtual = is_virtual;
  c->vnow = start;
  ev_timer_init(&c->wake, wake_cb, 0., 0.);
  c->wake.data = c;
  return c;
}

sipspec_clock *sipspec_clock_libev_new(struct ev_loop *loop) { return clock_new(loop, 0, 0); }

sipspec_clock *sipspec_clock_virtual_new(struct ev_loop *loop, uint64_t start_ms) {
  return clock_new(loop, 1, start_ms);
}

static void clock_release(sipspec_clock *c) {
  for (int guard = 0; c->graves && guard < 64; guard++) run_graves(c);
  ev_timer_stop(c->loop, &c->wake);
  for (uint32_t i = 0; i < c->n; i++) c->heap[i]->heap_i = 0;
  free(c->heap);
  free(c->dq);
  free(c);
}

void sipspec_clock_free(sipspec_clock *c) {
  if (!c) return;
  if (c->stepping) {
    c->doomed = 1;
    return;
  }
  clock_release(c);
}

int sipspec_clock_is_virtual(const sipspec_clock *c) { return c->is_virtual; }
struct ev_loop *sipspec_clock_loop(const sipspec_clock *c) { return c->loop; }

/* ---- timers ----------------------------------------------------------------------------- */

void sipspec_clock_timer_init(sipspec_clock_timer *t, sipspec_clock_timer_cb cb, void *arg) {
  t->due = 0;
  t->heap_i = 0;
  t->seq = 0;
  t->cb = cb;
  t->arg = arg;
}

int sipspec_clock_timer_at(sipspec_clock *c, sipspec_clock_timer *t, uint64_t due_ms) {
  int was_first = t->heap_i == 1;
  if (t->heap_i) heap_remove(c, t);
  if (c->n == c->cap) {
    uint32_t cap = c->cap ? c->cap * 2 : 64;
    sipspec_clock_timer **h = realloc(c->heap, cap * sizeof *h);
    if (!h) {
      if (was_first) schedule(c);
      return SIPSPEC_E_NOMEM;
    }
    c->heap = h;
    c->cap = cap;
  }
  t->due = due_ms;
  t->seq = c->seq++;
  c->heap[c->n] = t;
  t->heap_i = ++c->n;
  sift_up(c, c->n - 1);
  if (was_first || t->heap_i == 1) schedule(c);
  return SIPSPEC_OK;
}

int sipspec_clock_timer_after(sipspec_clock *c, sipspec_clock_timer *t, uint64_t after_ms) {
  return sipspec_clock_timer_at(c, t, sipspec_clock_now_ms(c) + after_ms);
}

void sipspec_clock_timer_stop(sipspec_clock *c, sipspec_clock_timer *t) {
  if (!t->heap_i) return;
  int was_first = t->heap_i == 1;
  heap_remove(c, t);
  if (was_first) schedule(c);
}

int sipspec_clock_timer_armed(const sipspec_clock_timer *t) { return t->heap_i != 0; }

unsigned sipspec_clock_timers_armed(const sipspec_clock *c) { return c->n; }

/* ---- deferred work ---------------------------------------------------------------------- */

int sipspec_clock_defer(sipspec_clock *c, void (*fn)(void *obj), void *obj) {
  if (!fn) return SIPSPEC_E_INVAL;
  if (c->dq_len == c->dq_cap) {
    uint32_t cap = c->dq_cap ? c->dq_cap * 2 : 16;
    deferred *q = realloc(c->dq, cap * sizeof *q);
    if (!q) return SIPSPEC_E_NOMEM;
    c->dq = q;
    c->dq_cap = cap;
  }
  c->dq[c->dq_len++] = (deferred){fn, obj};
  if (c->dq_len == 1) schedule(c);
  return SIPSPEC_OK;
}

void sipspec_clock_undefer(sipspec_clock *c, void (*fn)(void *obj), void *obj) {
  for (uint32_t i = 0; i < c->dq_len; i++)
    if (c->dq[i].fn == fn && c->dq[i].obj == obj) c->dq[i].fn = NULL;
}

/* ---- graves ------------------------------------------------------------------------------ */

void sipspec_clock_bury(sipspec_clock *c, sipspec_clock_grave *g, const void *owner,
                        sipspec_clock_free_fn free_fn) {
  if (g->buried) return;
  g->buried = 1;
  g->owner = owner;
  g->free_fn = free_fn;
  g->next = NULL;
  if (c->graves_tail) c->graves_tail->next = g;
  else c->graves = g;
  c->graves_tail = g;
  c->ngraves++;
  if (c->graves == g && !c->dq_len) schedule(c);
}

int sipspec_clock_buried(const sipspec_clock_grave *g) { return g->buried; }

unsigned sipspec_clock_graves(const sipspec_clock *c) { return c->ngraves; }

void sipspec_clock_reap_owner(sipspec_clock *c, const void *owner) {
  sipspec_clock_grave *mine = NULL, **tail = &mine, *prev = NULL;
  for (sipspec_clock_grave *g = c->graves, *next; g; g = next) {
    next = g->next;
    if (g->owner != owner) {
      prev = g;
      continue;
    }
    if (prev) prev->next = next;
    else c->graves = next;
    if (c->graves_tail == g) c->graves_tail = prev;
    c->ngraves--;
    g->next = NULL;
    *tail = g;
    tail = &g->next;
  }
  while (mine) {
    sipspec_clock_grave *next = mine->next;
    mine->free_fn(mine);
    mine = next;
  }
}

/* ---- running ---------------------------------------------------------------------------- */

static void real_wake_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)w, (void)revents;
}

static int run_real(sipspec_clock *c, uint64_t ms, int (*cond)(void *), void *arg) {
  ev_timer step; /* bounds each blocking wait so the deadline is checked */
  double s = (double)ms / 1000.0, each = s < 0.02 ? s : 0.02;
  ev_timer_init(&step, real_wake_cb, each, each);
  ev_timer_start(c->loop, &step);
  ev_now_update(c->loop);
  double deadline = ev_now(c->loop) + s;
  int ok = 0;
  for (long guard = 0; guard < 10000000; guard++) {
    if (cond && cond(arg)) {
      ok = 1;
      break;
    }
    if (ev_now(c->loop) >= deadline) break;
    ev_run(c->loop, EVRUN_ONCE);
  }
  ev_timer_stop(c->loop, &step);
  return ok;
}

/* Counts the watchers the loop invokes, so a virtual run knows when the I/O has settled. */
static void counting_invoke(struct ev_loop *loop) {
  sipspec_clock *c = ev_userdata(loop);
  c->activity += (unsigned long)ev_pending_count(loop);
  ev_invoke_pending(loop);
}

/* Before the virtual time moves on, the loop waits this long in real time for I/O that is
 * still on its way (a loopback TCP handshake, a peer process): virtual time never jumps over
 * a message that was already sent. */
#define GRACE_S 0.002

static void grace_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  *(int *)w->data = 1;
}

/* Waits up to GRACE_S of real time for the loop's I/O; 1 when something other than the
 * wait itself ran. */
static int grace(sipspec_clock *c) {
  int expired = 0;
  ev_timer g;
  ev_timer_init(&g, grace_cb, GRACE_S, 0.);
  g.data = &expired;
  ev_now_update(c->loop);
  ev_timer_start(c->loop, &g);
  c->activity = 0;
  ev_run(c->loop, EVRUN_ONCE);
  ev_timer_stop(c->loop, &g);
  return c->activity > (unsigned long)expired || c->dq_len || c->graves;
}

static int run_virtual(sipspec_clock *c, uint64_t ms, int (*cond)(void *), void *arg) {
  uint64_t end = c->vnow + ms < c->vnow ? UINT64_MAX : c->vnow + ms;
  void *saved = ev_userdata(c->loop);
  ev_set_userdata(c->loop, c);
  ev_set_invoke_pending_cb(c->loop, counting_invoke);
  int ok = 0;
  for (long guard = 0; guard < 10000000; guard++) {
    if (cond && cond(arg)) {
      ok = 1;
      break;
    }
    c->activity = 0;
    ev_run(c->loop, EVRUN_NOWAIT);
    int had_work = c->activity != 0 || c->dq_len != 0 || c->graves;
    run_later(c);
    if (had_work) continue; /* what it sent may be readable already */
    if (cond && cond(arg)) {
      ok = 1;
      break;
    }
    if (grace(c)) {
      run_later(c);
      continue;
    }
    if (c->n && c->heap[0]->due <= end) {
      if (c->heap[0]->due > c->vnow) c->vnow = c->heap[0]->due;
      fire_due(c, c->vnow);
      continue;
    }
    c->vnow = end;
    ok = cond ? cond(arg) != 0 : 0;
    break;
  }
  ev_set_invoke_pending_cb(c->loop, ev_invoke_pending);
  ev_set_userdata(c->loop, saved);
  return ok;
}

int sipspec_clock_run(sipspec_clock *c, uint64_t ms, int (*cond)(void *), void *arg) {
  if (!c) return 0;
  return c->is_virtual ? run_virtual(c, ms, cond, arg) : run_real(c, ms, cond, arg);
}
