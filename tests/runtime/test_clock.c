/* test_clock.c: the stack's clock (sipspec/clock.h): timer order, re-arming and stopping,
 * deferred work, virtual time moving exactly from due time to due time while loopback I/O
 * still runs, and libev's clock firing in real time. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include "cunit_main.h"
#include "sipspec/clock.h"
#include "sipspec/error.h"

#define MAXLOG 64

typedef struct rec {
  sipspec_clock *c;
  int log[MAXLOG];
  uint64_t at[MAXLOG];
  int n;
} rec;

typedef struct tmr {
  sipspec_clock_timer t;
  rec *r;
  int id;
  int rearm_after; /* >0: re-arm this many ms later when fired, until it fired rearm_times */
  int rearm_times;
} tmr;

static void fired(sipspec_clock_timer *t, void *arg) {
  tmr *m = arg;
  (void)t;
  rec *r = m->r;
  if (r->n < MAXLOG) {
    r->log[r->n] = m->id;
    r->at[r->n] = sipspec_clock_now_ms(r->c);
    r->n++;
  }
  if (m->rearm_after > 0 && m->rearm_times-- > 0) sipspec_clock_timer_after(r->c, &m->t, (uint64_t)m->rearm_after);
}

static void tmr_init(tmr *m, rec *r, int id) {
  memset(m, 0, sizeof *m);
  m->r = r;
  m->id = id;
  sipspec_clock_timer_init(&m->t, fired, m);
}

/* Timers fire in due order, at their due time exactly; equal due times in arming order. */
static void virtual_order(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  rec r = {0};
  r.c = sipspec_clock_virtual_new(loop, 1000);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r.c);
  CU_ASSERT_TRUE(sipspec_clock_is_virtual(r.c));
  CU_ASSERT_EQUAL(sipspec_clock_now_ms(r.c), 1000);
  tmr m[6];
  static const int after[6] = {32000, 500, 1500, 500, 4000, 0};
  for (int i = 0; i < 6; i++) {
    tmr_init(&m[i], &r, i);
    CU_ASSERT_EQUAL(sipspec_clock_timer_after(r.c, &m[i].t, (uint64_t)after[i]), SIPSPEC_OK);
  }
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(r.c), 6);
  CU_ASSERT_EQUAL(sipspec_clock_run(r.c, 4000, NULL, NULL), 0);
  CU_ASSERT_EQUAL(sipspec_clock_now_ms(r.c), 5000);
  static const int want[5] = {5, 1, 3, 2, 4};
  static const uint64_t want_at[5] = {1000, 1500, 1500, 2500, 5000};
  CU_ASSERT_EQUAL_FATAL(r.n, 5);
  for (int i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL(r.log[i], want[i]);
    CU_ASSERT_EQUAL(r.at[i], want_at[i]);
  }
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(r.c), 1);
  CU_ASSERT_TRUE(sipspec_clock_timer_armed(&m[0].t));
  CU_ASSERT_FALSE(sipspec_clock_timer_armed(&m[1].t));
  CU_ASSERT_EQUAL(sipspec_clock_run(r.c, 40000, NULL, NULL), 0);
  CU_ASSERT_EQUAL(r.n, 6);
  CU_ASSERT_EQUAL(r.at[5], 33000);
  CU_ASSERT_EQUAL(sipspec_clock_now_ms(r.c), 45000);
  sipspec_clock_free(r.c);
  ev_loop_destroy(loop);
}

/* A timer re-armed from its own callback keeps an exact schedule (T1, 2T1, 4T1 ... as a
 * retransmission timer does), stopping and re-arming move it, and many timers keep order. */
static void virtual_rearm_stop_many(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  rec r = {0};
  r.c = sipspec_clock_virtual_new(loop, 0);
  tmr a, b, c;
  tmr_init(&a, &r, 1);
  a.rearm_after = 500;
  a.rearm_times = 3;
  tmr_init(&b, &r, 2);
  tmr_init(&c, &r, 3);
  sipspec_clock_timer_after(r.c, &a.t, 500);
  sipspec_clock_timer_after(r.c, &b.t, 700);
  sipspec_clock_timer_after(r.c, &c.t, 900);
  sipspec_clock_timer_stop(r.c, &b.t);
  sipspec_clock_timer_stop(r.c, &b.t); /* twice: harmless */
  sipspec_clock_timer_at(r.c, &c.t, 1200); /* re-armed later */
  CU_ASSERT_EQUAL(sipspec_clock_run(r.c, 10000, NULL, NULL), 0);
  static const int want[5] = {1, 1, 3, 1, 1};
  static const uint64_t want_at[5] = {500, 1000, 1200, 1500, 2000};
  CU_ASSERT_EQUAL_FATAL(r.n, 5);
  for (int i = 0; i < 5; i++) {
    CU_ASSERT_EQUAL(r.log[i], want[i]);
    CU_ASSERT_EQUAL(r.at[i], want_at[i]);
  }
  /* 200 timers armed in a scrambled order fire sorted, each at its time. */
  static tmr many[200];
  rec r2 = {0};
  r2.c = r.c;
  uint64_t base = sipspec_clock_now_ms(r.c);
  for (int i = 0; i < 200; i++) {
    tmr_init(&many[i], &r2, i);
    sipspec_clock_timer_after(r.c, &many[i].t, (uint64_t)((i * 7919) % 200) * 10 + 10);
  }
  for (int i = 0; i < 200; i += 3) sipspec_clock_timer_stop(r.c, &many[i].t);
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(r.c), 133);
  uint64_t last = 0;
  int sorted = 1, count = 0;
  for (int step = 0; step < 300 && sipspec_clock_timers_armed(r.c); step++) {
    r2.n = 0;
    sipspec_clock_run(r.c, 10, NULL, NULL);
    for (int i = 0; i < r2.n; i++) {
      int id = r2.log[i];
      uint64_t due = base + (uint64_t)((id * 7919) % 200) * 10 + 10;
      if (r2.at[i] != due || due < last || id % 3 == 0) sorted = 0;
      last = due;
      count++;
    }
  }
  CU_ASSERT_TRUE(sorted);
  CU_ASSERT_EQUAL(count, 133);
  sipspec_clock_free(r.c);
  ev_loop_destroy(loop);
}

typedef struct deferred_log {
  char order[16];
  int n;
  sipspec_clock *c;
} deferred_log;

static deferred_log dlog;

static void note_a(void *obj) { (void)obj, dlog.order[dlog.n++] = 'a'; }
static void note_c(void *obj) { (void)obj, dlog.order[dlog.n++] = 'c'; }
static void note_b(void *obj) {
  (void)obj;
  dlog.order[dlog.n++] = 'b';
  sipspec_clock_defer(dlog.c, note_c, NULL); /* deferred from deferred work: next round */
}

/* Deferred work runs in order, once, after the current step, without moving the time; an
 * undeferred call never runs. */
static void deferred_work(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  memset(&dlog, 0, sizeof dlog);
  dlog.c = sipspec_clock_virtual_new(loop, 0);
  int x;
  CU_ASSERT_EQUAL(sipspec_clock_defer(dlog.c, note_a, &x), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_clock_defer(dlog.c, note_b, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_clock_defer(dlog.c, note_a, NULL), SIPSPEC_OK);
  sipspec_clock_undefer(dlog.c, note_a, NULL);
  CU_ASSERT_EQUAL(sipspec_clock_defer(dlog.c, NULL, NULL), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(dlog.n, 0);
  sipspec_clock_run(dlog.c, 0, NULL, NULL);
  dlog.order[dlog.n] = 0;
  CU_ASSERT_STRING_EQUAL(dlog.order, "abc");
  CU_ASSERT_EQUAL(sipspec_clock_now_ms(dlog.c), 0);
  sipspec_clock_free(dlog.c);
  ev_loop_destroy(loop);
}

/* Virtual time: loopback I/O is handled at once, a reply sent from a timer arrives at the
 * timer's due time, and a run stops when its condition holds, at that time. */
typedef struct pingpong {
  sipspec_clock *c;
  int a, b; /* two connected UDP sockets */
  ev_io io_b;
  sipspec_clock_timer reply;
  int got_at_b, got_back;
  uint64_t back_at;
  ev_io io_a;
} pingpong;

static void reply_cb(sipspec_clock_timer *t, void *arg) {
  pingpong *p = arg;
  (void)t;
  CU_ASSERT_EQUAL(send(p->b, "pong", 4, 0), 4);
}

static void b_readable(struct ev_loop *loop, ev_io *w, int revents) {
  pingpong *p = w->data;
  char buf[16];
  (void)loop, (void)revents;
  if (recv(p->b, buf, sizeof buf, 0) == 4) {
    p->got_at_b++;
    sipspec_clock_timer_after(p->c, &p->reply, 32000); /* answer 32 s later */
  }
}

static void a_readable(struct ev_loop *loop, ev_io *w, int revents) {
  pingpong *p = w->data;
  char buf[16];
  (void)loop, (void)revents;
  if (recv(p->a, buf, sizeof buf, 0) == 4) {
    p->got_back++;
    p->back_at = sipspec_clock_now_ms(p->c);
  }
}

static int got_back(void *arg) { return ((pingpong *)arg)->got_back > 0; }

static void virtual_io(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  pingpong p;
  memset(&p, 0, sizeof p);
  p.c = sipspec_clock_virtual_new(loop, 0);
  int sv[2];
  CU_ASSERT_EQUAL_FATAL(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv), 0);
  p.a = sv[0];
  p.b = sv[1];
  ev_io_init(&p.io_b, b_readable, p.b, EV_READ);
  p.io_b.data = &p;
  ev_io_start(loop, &p.io_b);
  ev_io_init(&p.io_a, a_readable, p.a, EV_READ);
  p.io_a.data = &p;
  ev_io_start(loop, &p.io_a);
  sipspec_clock_timer_init(&p.reply, reply_cb, &p);
  CU_ASSERT_EQUAL(send(p.a, "ping", 4, 0), 4);
  double wall0 = ev_time();
  CU_ASSERT_EQUAL(sipspec_clock_run(p.c, 60000, got_back, &p), 1);
  double wall = ev_time() - wall0;
  CU_ASSERT_EQUAL(p.got_at_b, 1);
  CU_ASSERT_EQUAL(p.back_at, 32000);
  CU_ASSERT_EQUAL(sipspec_clock_now_ms(p.c), 32000); /* stopped when the condition held */
  CU_ASSERT_TRUE(wall < 5.0);                         /* 32 s of protocol time, no sleeping */
  ev_io_stop(loop, &p.io_a);
  ev_io_stop(loop, &p.io_b);
  close(p.a);
  close(p.b);
  sipspec_clock_free(p.c);
  ev_loop_destroy(loop);
}

/* libev's clock: timers fire in real time, in order, and deferred work runs. */
static void libev_clock(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  rec r = {0};
  r.c = sipspec_clock_libev_new(loop);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r.c);
  CU_ASSERT_FALSE(sipspec_clock_is_virtual(r.c));
  CU_ASSERT_PTR_EQUAL(sipspec_clock_loop(r.c), loop);
  tmr a, b;
  tmr_init(&a, &r, 1);
  tmr_init(&b, &r, 2);
  ev_now_update(loop);
  uint64_t t0 = sipspec_clock_now_ms(r.c);
  sipspec_clock_timer_after(r.c, &b.t, 60);
  sipspec_clock_timer_after(r.c, &a.t, 20);
  memset(&dlog, 0, sizeof dlog);
  dlog.c = r.c;
  sipspec_clock_defer(r.c, note_a, NULL);
  sipspec_clock_run(r.c, 200, NULL, NULL);
  CU_ASSERT_EQUAL_FATAL(r.n, 2);
  CU_ASSERT_EQUAL(r.log[0], 1);
  CU_ASSERT_EQUAL(r.log[1], 2);
  CU_ASSERT_TRUE(r.at[0] >= t0 + 20);
  CU_ASSERT_TRUE(r.at[1] >= t0 + 60);
  CU_ASSERT_EQUAL(dlog.n, 1);
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(r.c), 0);
  sipspec_clock_free(r.c);
  ev_loop_destroy(loop);
}


/* ---- graves ------------------------------------------------------------------------------ */

typedef struct corpse {
  sipspec_clock_grave grave;
  char name;
  sipspec_clock *bury_on_free; /* when set, burying `next` from inside its own free */
  struct corpse *next;
  int owner;
} corpse;

static char freed[16];
static int nfreed;

static void corpse_free(sipspec_clock_grave *g) {
  corpse *k = (corpse *)g; /* grave is the first member */
  freed[nfreed++] = k->name;
  if (k->bury_on_free) sipspec_clock_bury(k->bury_on_free, &k->next->grave, &k->next->owner, corpse_free);
}

/* Buried objects are freed at the next step in burial order, once each, without moving the
 * time; one buried by a free waits for the following step; an owner's are freed at once. */
static void graves(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *c = sipspec_clock_virtual_new(loop, 1000);
  nfreed = 0;
  memset(freed, 0, sizeof freed);
  corpse a = {.name = 'a'}, b = {.name = 'b'}, d = {.name = 'd'}, e = {.name = 'e'}, x = {.name = 'x'};
  int owner1, owner2;
  b.bury_on_free = c;
  b.next = &d;
  CU_ASSERT_FALSE(sipspec_clock_buried(&a.grave));
  sipspec_clock_bury(c, &a.grave, &owner1, corpse_free);
  sipspec_clock_bury(c, &x.grave, &owner2, corpse_free);
  sipspec_clock_bury(c, &b.grave, &owner1, corpse_free);
  sipspec_clock_bury(c, &a.grave, &owner1, corpse_free); /* a second burial is ignored */
  sipspec_clock_bury(c, &e.grave, &owner2, corpse_free);
  CU_ASSERT_TRUE(sipspec_clock_buried(&a.grave));
  CU_ASSERT_EQUAL(sipspec_clock_graves(c), 4);
  CU_ASSERT_EQUAL(nfreed, 0); /* nothing is freed on the caller's stack */
  sipspec_clock_reap_owner(c, &owner2);
  CU_ASSERT_STRING_EQUAL(freed, "xe");
  CU_ASSERT_EQUAL(sipspec_clock_graves(c), 2);
  sipspec_clock_run(c, 0, NULL, NULL);
  CU_ASSERT_EQUAL(sipspec_clock_now_ms(c), 1000);
  CU_ASSERT_STRING_EQUAL(freed, "xeabd"); /* d, buried while b was freed, in a later step */
  CU_ASSERT_EQUAL(sipspec_clock_graves(c), 0);
  /* a buried object not freed yet goes with the clock */
  corpse f = {.name = 'f'};
  sipspec_clock_bury(c, &f.grave, &owner1, corpse_free);
  sipspec_clock_free(c);
  CU_ASSERT_STRING_EQUAL(freed, "xeabdf");
  ev_loop_destroy(loop);
}

/* An object that owns its libev clock and is buried on it: the clock frees the object, the
 * object frees the clock, and the clock goes when its step ends. */
typedef struct owns_clock {
  sipspec_clock_grave grave;
  sipspec_clock *c;
  int *gone;
} owns_clock;

static void owns_clock_free(sipspec_clock_grave *g) {
  owns_clock *o = (owns_clock *)g;
  sipspec_clock_free(o->c);
  *o->gone = 1;
}

static void clock_freed_by_its_grave(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  int gone = 0;
  owns_clock o = {.gone = &gone};
  o.c = sipspec_clock_libev_new(loop);
  sipspec_clock_bury(o.c, &o.grave, &o, owns_clock_free);
  for (int i = 0; i < 100 && !gone; i++) ev_run(loop, EVRUN_ONCE);
  CU_ASSERT_EQUAL(gone, 1);
  ev_loop_destroy(loop); /* ASan: no use after free, no leak */
}

static const tst_case TESTS[] = {
    {"virtual: due order, exact times, equal times in arming order", virtual_order},
    {"virtual: re-armed, stopped and 200 scrambled timers", virtual_rearm_stop_many},
    {"deferred work: in order, once, undefer, from deferred work next round", deferred_work},
    {"virtual: loopback I/O at once, a reply 32 s later at 32000 ms exactly", virtual_io},
    {"libev clock: real time, in order, deferred work", libev_clock},
    {"graves: burial order, once, next step, by owner, with the clock", graves},
    {"graves: an object that owns its clock is freed by it", clock_freed_by_its_grave},
    {NULL, NULL}};

int main(void) { return tst_main("clock", TESTS); }
