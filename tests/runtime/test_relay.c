/* test_relay.c: the fault-injecting UDP relay itself: transparent forwarding both ways,
 * 100% drop, 100% duplication, seeded schedules that repeat exactly (and differ for another
 * seed), reordering within a window, a lower bound on the added delay, and the scripted
 * "drop the Nth datagram containing X". Peers are two raw UDP sockets on 127.0.0.1. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"
#include "netutil.h"
#include "relay.h"

typedef struct peer {
  int fd;
  sipspec_sockaddr addr;
  ev_io io;
  int n;
  sipspec_sockaddr last_from;
  char got[256][32];
  double at[256];
} peer;

static void peer_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)revents;
  peer *p = w->data;
  char buf[64];
  ssize_t n;
  sipspec_sockaddr from;
  from.len = sizeof from.u;
  while ((n = recvfrom(p->fd, buf, sizeof buf - 1, 0, &from.u.sa, &from.len)) >= 0) {
    p->last_from = from;
    from.len = sizeof from.u;
    if (p->n < 256) {
      snprintf(p->got[p->n], sizeof p->got[0], "%.*s", (int)n, buf);
      p->at[p->n] = ev_time();
    }
    p->n++;
  }
  (void)loop;
}

static void peer_open(struct ev_loop *loop, peer *p) {
  memset(p, 0, sizeof *p);
  p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  sipspec_sockaddr_set(&p->addr, "127.0.0.1", 0);
  bind(p->fd, &p->addr.u.sa, p->addr.len);
  p->addr.len = sizeof p->addr.u;
  getsockname(p->fd, &p->addr.u.sa, &p->addr.len);
  ev_io_init(&p->io, peer_cb, p->fd, EV_READ);
  p->io.data = p;
  ev_io_start(loop, &p->io);
}

static void peer_close(struct ev_loop *loop, peer *p) {
  ev_io_stop(loop, &p->io);
  close(p->fd);
}

static void peer_send(peer *p, const sipspec_sockaddr *to, const char *s) {
  CU_ASSERT_EQUAL(sendto(p->fd, s, strlen(s), 0, &to->u.sa, to->len), (ssize_t)strlen(s));
}

typedef struct want { peer *p; int n; } want;
static int has_n(void *arg) { want *w = arg; return w->p->n >= w->n; }

typedef struct world {
  struct ev_loop *loop;
  peer a, b;
  relay *r;
  sipspec_sockaddr front;
} world;

static int world_open(world *w, relay_opts *o) {
  w->loop = ev_loop_new(EVFLAG_AUTO);
  peer_open(w->loop, &w->a);
  peer_open(w->loop, &w->b);
  o->upstream = w->b.addr;
  char err[256] = "";
  int rc = relay_create(w->loop, o, &w->r, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  if (rc) { fprintf(stderr, "%s\n", err); return rc; }
  w->front = relay_front_addr(w->r);
  return 0;
}

static void world_close(world *w) {
  relay_destroy(w->r);
  peer_close(w->loop, &w->a);
  peer_close(w->loop, &w->b);
  ev_loop_destroy(w->loop);
}

/* A sends n numbered datagrams, pacing by running the loop briefly between them. */
static void send_numbered(world *w, int n) {
  char s[32];
  for (int i = 0; i < n; i++) {
    snprintf(s, sizeof s, "m%02d", i);
    peer_send(&w->a, &w->front, s);
    tst_run_for(w->loop, 0.001);
  }
}

static void test_transparent(void) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  if (world_open(&w, &o)) return;
  send_numbered(&w, 20);
  want wb = {&w.b, 20};
  CU_ASSERT(tst_run_until(w.loop, has_n, &wb, 3.0));
  CU_ASSERT_EQUAL(w.b.n, 20);
  for (int i = 0; i < 20 && i < w.b.n; i++) {
    char s[32];
    snprintf(s, sizeof s, "m%02d", i);
    CU_ASSERT_STRING_EQUAL(w.b.got[i], s);
  }
  /* B answers to where the datagrams came from (the relay's back socket); A gets it. */
  peer_send(&w.b, &w.b.last_from, "reply");
  want wa = {&w.a, 1};
  CU_ASSERT(tst_run_until(w.loop, has_n, &wa, 3.0));
  CU_ASSERT_STRING_EQUAL(w.a.got[0], "reply");
  CU_ASSERT(sipspec_sockaddr_equal(&w.a.last_from, &w.front));
  relay_stats back = relay_get_stats(w.r, RELAY_B_TO_A);
  CU_ASSERT_EQUAL(back.received, 1);
  CU_ASSERT_EQUAL(back.forwarded, 1);
  relay_stats st = relay_get_stats(w.r, RELAY_A_TO_B);
  CU_ASSERT_EQUAL(st.received, 20);
  CU_ASSERT_EQUAL(st.forwarded, 20);
  CU_ASSERT_EQUAL(st.dropped + st.duplicated + st.scripted_drops + st.reordered, 0);
  CU_ASSERT_STRING_EQUAL(relay_schedule(w.r, RELAY_A_TO_B), "ffffffffffffffffffff");
  world_close(&w);
}

static void test_drop_all(void) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  o.dir[RELAY_A_TO_B].drop_permille = 1000;
  if (world_open(&w, &o)) return;
  send_numbered(&w, 30);
  tst_run_for(w.loop, 0.2);
  CU_ASSERT_EQUAL(w.b.n, 0);
  relay_stats st = relay_get_stats(w.r, RELAY_A_TO_B);
  CU_ASSERT_EQUAL(st.received, 30);
  CU_ASSERT_EQUAL(st.dropped, 30);
  CU_ASSERT_EQUAL(st.forwarded, 0);
  world_close(&w);
}

static void test_duplicate_all(void) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  o.dir[RELAY_A_TO_B].dup_permille = 1000;
  if (world_open(&w, &o)) return;
  send_numbered(&w, 10);
  want wb = {&w.b, 20};
  CU_ASSERT(tst_run_until(w.loop, has_n, &wb, 3.0));
  tst_run_for(w.loop, 0.05);
  CU_ASSERT_EQUAL_FATAL(w.b.n, 20);
  for (int i = 0; i < 10; i++) {
    char s[32];
    snprintf(s, sizeof s, "m%02d", i);
    CU_ASSERT_STRING_EQUAL(w.b.got[2 * i], s);     /* each arrives twice, back to back */
    CU_ASSERT_STRING_EQUAL(w.b.got[2 * i + 1], s);
  }
  relay_stats st = relay_get_stats(w.r, RELAY_A_TO_B);
  CU_ASSERT_EQUAL(st.duplicated, 10);
  CU_ASSERT_EQUAL(st.forwarded, 20);
  world_close(&w);
}

/* Runs 40 datagrams through a relay with drops and duplicates; returns the schedule and
 * what B received, joined. */
static void run_seeded(uint64_t seed, char *sched, size_t slen, char *recv, size_t rlen) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  o.seed = seed;
  o.dir[RELAY_A_TO_B].drop_permille = 300;
  o.dir[RELAY_A_TO_B].dup_permille = 200;
  sched[0] = recv[0] = '\0';
  if (world_open(&w, &o)) return;
  send_numbered(&w, 40);
  tst_run_for(w.loop, 0.1);
  snprintf(sched, slen, "%s", relay_schedule(w.r, RELAY_A_TO_B));
  size_t off = 0;
  for (int i = 0; i < w.b.n && i < 256; i++)
    off += (size_t)snprintf(recv + off, off < rlen ? rlen - off : 0, "%s,", w.b.got[i]);
  /* The schedule says exactly what B must have seen. */
  int expect = 0;
  for (const char *c = sched; *c; c++) expect += *c == 'f' ? 1 : *c == 'D' ? 2 : 0;
  CU_ASSERT_EQUAL(w.b.n, expect);
  relay_stats st = relay_get_stats(w.r, RELAY_A_TO_B);
  CU_ASSERT_EQUAL(st.received, 40);
  CU_ASSERT_EQUAL(st.dropped + st.forwarded - st.duplicated, 40);
  world_close(&w);
}

static void test_same_seed_same_schedule(void) {
  char s1[64], s2[64], s3[64], r1[1024], r2[1024], r3[1024];
  run_seeded(42, s1, sizeof s1, r1, sizeof r1);
  run_seeded(42, s2, sizeof s2, r2, sizeof r2);
  run_seeded(7, s3, sizeof s3, r3, sizeof r3);
  CU_ASSERT_EQUAL(strlen(s1), 40);
  CU_ASSERT_STRING_EQUAL(s1, s2);
  CU_ASSERT_STRING_EQUAL(r1, r2);
  CU_ASSERT_STRING_NOT_EQUAL(s1, s3);
  CU_ASSERT_PTR_NOT_NULL(strchr(s1, 'd')); /* the rates did act */
  CU_ASSERT_PTR_NOT_NULL(strchr(s1, 'D'));
  CU_ASSERT_PTR_NOT_NULL(strchr(s1, 'f'));
}

static void test_reorder(void) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  o.seed = 3;
  o.dir[RELAY_A_TO_B].reorder_window = 4;
  if (world_open(&w, &o)) return;
  send_numbered(&w, 10); /* two full windows and a partial one released by the flush timer */
  want wb = {&w.b, 10};
  CU_ASSERT(tst_run_until(w.loop, has_n, &wb, 3.0));
  CU_ASSERT_EQUAL_FATAL(w.b.n, 10);
  int seen[10] = {0}, moved = 0;
  for (int i = 0; i < 10; i++) {
    int k = atoi(w.b.got[i] + 1);
    CU_ASSERT(k >= 0 && k < 10);
    if (k >= 0 && k < 10) seen[k]++;
    if (k != i) moved++;
    CU_ASSERT(k / 4 == i / 4); /* stays within its window */
  }
  for (int k = 0; k < 10; k++) CU_ASSERT_EQUAL(seen[k], 1);
  relay_stats st = relay_get_stats(w.r, RELAY_A_TO_B);
  CU_ASSERT(moved > 0);
  CU_ASSERT_EQUAL(st.reordered, (uint64_t)moved);
  world_close(&w);
}

static void test_delay(void) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  o.dir[RELAY_A_TO_B].delay_ms = 150;
  if (world_open(&w, &o)) return;
  double sent = ev_time();
  peer_send(&w.a, &w.front, "late");
  want wb = {&w.b, 1};
  CU_ASSERT(tst_run_until(w.loop, has_n, &wb, 3.0));
  /* A lower bound only: it cannot have arrived before the delay. */
  CU_ASSERT(w.b.n == 1 && w.b.at[0] - sent >= 0.149);
  CU_ASSERT_EQUAL(relay_get_stats(w.r, RELAY_A_TO_B).delayed, 1);
  world_close(&w);
}

static void test_scripted_drop(void) {
  world w;
  relay_opts o;
  relay_opts_init(&o);
  o.dir[RELAY_A_TO_B].rules[0] = (relay_rule){"INVITE", 2};
  o.dir[RELAY_A_TO_B].nrules = 1;
  if (world_open(&w, &o)) return;
  const char *msgs[] = {"INVITE 1", "BYE 1", "INVITE 2", "INVITE 3"};
  for (int i = 0; i < 4; i++) {
    peer_send(&w.a, &w.front, msgs[i]);
    tst_run_for(w.loop, 0.001);
  }
  want wb = {&w.b, 3};
  CU_ASSERT(tst_run_until(w.loop, has_n, &wb, 3.0));
  tst_run_for(w.loop, 0.05);
  CU_ASSERT_EQUAL_FATAL(w.b.n, 3);
  CU_ASSERT_STRING_EQUAL(w.b.got[0], "INVITE 1");
  CU_ASSERT_STRING_EQUAL(w.b.got[1], "BYE 1");
  CU_ASSERT_STRING_EQUAL(w.b.got[2], "INVITE 3");
  CU_ASSERT_STRING_EQUAL(relay_schedule(w.r, RELAY_A_TO_B), "ffsf");
  CU_ASSERT_EQUAL(relay_get_stats(w.r, RELAY_A_TO_B).scripted_drops, 1);
  world_close(&w);
}

static void test_bad_options(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  relay_opts o;
  relay_opts_init(&o);
  o.dir[0].reorder_window = 65;
  relay *r = NULL;
  char err[256];
  CU_ASSERT_EQUAL(relay_create(loop, &o, &r, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NULL(r);
  relay_opts_init(&o);
  o.listen_host = "nohost";
  CU_ASSERT_EQUAL(relay_create(loop, &o, &r, err, sizeof err), SIPSPEC_E_BIND);
  CU_ASSERT_STRING_EQUAL(err, "relay: nohost is not an IP literal");
  ev_loop_destroy(loop);
}

static const tst_case cases[] = {
  {"without faults every datagram passes, both ways, in order", test_transparent},
  {"drop 100% drops every datagram", test_drop_all},
  {"duplicate 100% delivers every datagram twice", test_duplicate_all},
  {"the same seed gives the same fault schedule", test_same_seed_same_schedule},
  {"reordering permutes within the window, loses nothing", test_reorder},
  {"delay holds datagrams at least the configured time", test_delay},
  {"drop the Nth datagram containing a string", test_scripted_drop},
  {"bad relay options are refused", test_bad_options},
  {NULL, NULL},
};

int main(void) { return tst_main("relay", cases); }
