/* relay.c: the fault-injecting UDP relay of relay.h.
 *
 * Path of a datagram: receive -> decide (rule, drop, duplicate; two generator draws per
 * datagram whatever the outcome, so decisions depend only on seed and position) -> reorder
 * stage (optional) -> delay stage (optional, FIFO since the delay is constant) -> send.
 */
#include "relay.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct dgram {
  struct dgram *next;
  uint64_t due;               /* ms, on the relay's time (relay_now_ms) */
  size_t len;
  char data[];
} dgram;

typedef struct relay_dir {
  relay *r;
  relay_dir_id id;
  relay_dir_opts o;
  uint64_t rng, shuffle_rng;
  unsigned rule_hits[RELAY_MAX_RULES];
  dgram **held;               /* reorder stage, reorder_window slots */
  size_t nheld;
  ev_timer flush;             /* without a clock */
  sipspec_clock_timer cflush; /* with one */
  dgram *dhead, *dtail;       /* delay stage */
  ev_timer delay;
  sipspec_clock_timer cdelay;
  relay_stats st;
  char sched[RELAY_SCHEDULE_MAX + 1];
  size_t nsched;
} relay_dir;

struct relay {
  struct ev_loop *loop;
  sipspec_clock *clock;       /* NULL: libev timers */
  int front, back;            /* A side, B side */
  sipspec_sockaddr front_addr, upstream, peer_a;
  ev_io front_io, back_io;
  relay_dir dir[2];
  char buf[65536];
};

/* splitmix64: small, good enough, and the same on every platform. */
static uint64_t next_rand(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void relay_opts_init(relay_opts *o) {
  memset(o, 0, sizeof *o);
  o->seed = 1;
  o->listen_host = "127.0.0.1";
  o->dir[0].reorder_flush_ms = o->dir[1].reorder_flush_ms = 20;
}

static void send_out(relay_dir *d, const char *data, size_t len) {
  relay *r = d->r;
  int fd = d->id == RELAY_A_TO_B ? r->back : r->front;
  const sipspec_sockaddr *to = d->id == RELAY_A_TO_B ? &r->upstream : &r->peer_a;
  if (to->len == 0) { d->st.no_peer++; return; }
  if (sendto(fd, data, len, 0, &to->u.sa, to->len) >= 0) d->st.forwarded++;
}

/* ---- time: libev's timers, or the clock of opts.clock ----------------------------------- */

static uint64_t relay_now_ms(const relay *r) {
  return r->clock ? sipspec_clock_now_ms(r->clock) : (uint64_t)(ev_now(r->loop) * 1000.0 + 0.5);
}

static void arm(relay *r, ev_timer *w, sipspec_clock_timer *ct, uint64_t after_ms) {
  if (r->clock) {
    (void)sipspec_clock_timer_after(r->clock, ct, after_ms);
    return;
  }
  ev_timer_set(w, (double)after_ms / 1000., 0.);
  ev_timer_start(r->loop, w);
}

static void disarm(relay *r, ev_timer *w, sipspec_clock_timer *ct) {
  if (r->clock) sipspec_clock_timer_stop(r->clock, ct);
  else ev_timer_stop(r->loop, w);
}

static int armed(const relay *r, const ev_timer *w, const sipspec_clock_timer *ct) {
  return r->clock ? sipspec_clock_timer_armed(ct) : ev_is_active(w);
}

static void delay_fire(relay_dir *d) {
  uint64_t now = relay_now_ms(d->r);
  while (d->dhead && d->dhead->due <= now) {
    dgram *g = d->dhead;
    d->dhead = g->next;
    if (!d->dhead) d->dtail = NULL;
    send_out(d, g->data, g->len);
    free(g);
  }
  if (d->dhead) arm(d->r, &d->delay, &d->cdelay, d->dhead->due - now);
}

static void delay_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop, (void)revents;
  delay_fire(w->data);
}

static void delay_clock_cb(sipspec_clock_timer *t, void *arg) {
  (void)t;
  delay_fire(arg);
}

/* After the reorder stage: straight out, or into the delay FIFO. */
static void stage_delay(relay_dir *d, dgram *g) {
  if (d->o.delay_ms == 0) {
    send_out(d, g->data, g->len);
    free(g);
    return;
  }
  d->st.delayed++;
  g->due = relay_now_ms(d->r) + d->o.delay_ms;
  g->next = NULL;
  if (d->dtail) d->dtail->next = g; else d->dhead = g;
  d->dtail = g;
  if (!armed(d->r, &d->delay, &d->cdelay)) arm(d->r, &d->delay, &d->cdelay, d->o.delay_ms);
}

static void release_held(relay_dir *d) {
  size_t n = d->nheld;
  size_t order[64];
  for (size_t i = 0; i < n; i++) order[i] = i;
  for (size_t i = n; i > 1; i--) { /* Fisher-Yates */
    size_t j = (size_t)(next_rand(&d->shuffle_rng) % i);
    size_t t = order[i - 1]; order[i - 1] = order[j]; order[j] = t;
  }
  d->nheld = 0;
  disarm(d->r, &d->flush, &d->cflush);
  for (size_t i = 0; i < n; i++) {
    if (order[i] != i) d->st.reordered++;
    stage_delay(d, d->held[order[i]]);
  }
}

static void flush_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)revents;
  release_held(w->data);
}

static void flush_clock_cb(sipspec_clock_timer *t, void *arg) {
  (void)t;
  release_held(arg);
}

static void stage_reorder(relay_dir *d, const char *data, size_t len) {
  dgram *g = malloc(sizeof *g + len);
  if (!g) return;
  g->next = NULL;
  g->len = len;
  memcpy(g->data, data, len);
  if (d->o.reorder_window < 2) { stage_delay(d, g); return; }
  d->held[d->nheld++] = g;
  if (d->nheld == 1) arm(d->r, &d->flush, &d->cflush, d->o.reorder_flush_ms);
  if (d->nheld == d->o.reorder_window) release_held(d);
}

static int contains(const char *hay, size_t n, const char *needle) {
  size_t m = strlen(needle);
  if (m == 0 || m > n) return m == 0;
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return 1;
  return 0;
}

static void handle(relay_dir *d, const char *data, size_t len) {
  d->st.received++;
  /* Two draws for every datagram, whatever the outcome, so positions stay aligned. */
  unsigned drop_roll = (unsigned)(next_rand(&d->rng) % 1000);
  unsigned dup_roll = (unsigned)(next_rand(&d->rng) % 1000);
  char mark = 'f';
  for (size_t i = 0; i < d->o.nrules; i++)
    if (contains(data, len, d->o.rules[i].match) && ++d->rule_hits[i] == d->o.rules[i].nth)
      mark = 's';
  if (mark != 's' && drop_roll < d->o.drop_permille) mark = 'd';
  if (mark == 'f' && dup_roll < d->o.dup_permille) mark = 'D';
  if (d->nsched < RELAY_SCHEDULE_MAX) d->sched[d->nsched++] = mark;
  d->sched[d->nsched] = '\0';
  if (mark == 's') { d->st.scripted_drops++; return; }
  if (mark == 'd') { d->st.dropped++; return; }
  if (mark == 'D') { d->st.duplicated++; stage_reorder(d, data, len); }
  stage_reorder(d, data, len);
}

static void front_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop; (void)revents;
  relay *r = w->data;
  for (int i = 0; i < 64; i++) {
    sipspec_sockaddr from;
    from.len = sizeof from.u;
    ssize_t n = recvfrom(r->front, r->buf, sizeof r->buf, 0, &from.u.sa, &from.len);
    if (n < 0) return;
    r->peer_a = from;
    handle(&r->dir[RELAY_A_TO_B], r->buf, (size_t)n);
  }
}

static void back_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop; (void)revents;
  relay *r = w->data;
  for (int i = 0; i < 64; i++) {
    ssize_t n = recv(r->back, r->buf, sizeof r->buf, 0);
    if (n < 0) return;
    handle(&r->dir[RELAY_B_TO_A], r->buf, (size_t)n);
  }
}

static int open_sock(const char *host, sipspec_sockaddr *bound, char *err, size_t errlen) {
  sipspec_sockaddr a;
  if (sipspec_sockaddr_set(&a, host, 0) != SIPSPEC_OK) {
    snprintf(err, errlen, "relay: %s is not an IP literal", host);
    return -1;
  }
  int fd = socket(sipspec_sockaddr_family(&a), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind(fd, &a.u.sa, a.len) != 0) {
    snprintf(err, errlen, "relay: bind %s/udp: %s", host, strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  sipspec_sockaddr got;
  got.len = sizeof got.u;
  getsockname(fd, &got.u.sa, &got.len);
  sipspec_sockaddr_from_sockaddr(bound, &got.u.sa, got.len);
  return fd;
}

int relay_create(struct ev_loop *loop, const relay_opts *opts, relay **out, char *err,
                 size_t errlen) {
  *out = NULL;
  for (int i = 0; i < 2; i++)
    if (opts->dir[i].reorder_window > 64 || opts->dir[i].nrules > RELAY_MAX_RULES) {
      snprintf(err, errlen, "relay: reorder window above 64 or too many rules");
      return SIPSPEC_E_INVAL;
    }
  relay *r = calloc(1, sizeof *r);
  if (!r) return SIPSPEC_E_NOMEM;
  r->loop = loop;
  r->clock = opts->clock;
  if (r->clock && sipspec_clock_loop(r->clock) != loop) {
    snprintf(err, errlen, "relay: the clock runs on another loop");
    free(r);
    return SIPSPEC_E_INVAL;
  }
  r->upstream = opts->upstream;
  const char *host = opts->listen_host ? opts->listen_host : "127.0.0.1";
  sipspec_sockaddr back_addr;
  r->front = open_sock(host, &r->front_addr, err, errlen);
  r->back = r->front < 0 ? -1 : open_sock(host, &back_addr, err, errlen);
  if (r->back < 0) {
    if (r->front >= 0) close(r->front);
    free(r);
    return SIPSPEC_E_BIND;
  }
  for (int i = 0; i < 2; i++) {
    relay_dir *d = &r->dir[i];
    d->r = r;
    d->id = (relay_dir_id)i;
    d->o = opts->dir[i];
    if (d->o.reorder_flush_ms == 0) d->o.reorder_flush_ms = 20;
    d->rng = opts->seed * 2 + (uint64_t)i;
    d->shuffle_rng = ~d->rng;
    d->held = calloc(d->o.reorder_window ? d->o.reorder_window : 1, sizeof *d->held);
    ev_timer_init(&d->flush, flush_cb, 0., 0.);
    ev_timer_init(&d->delay, delay_cb, 0., 0.);
    d->flush.data = d->delay.data = d;
    sipspec_clock_timer_init(&d->cflush, flush_clock_cb, d);
    sipspec_clock_timer_init(&d->cdelay, delay_clock_cb, d);
  }
  ev_io_init(&r->front_io, front_cb, r->front, EV_READ);
  ev_io_init(&r->back_io, back_cb, r->back, EV_READ);
  r->front_io.data = r->back_io.data = r;
  ev_io_start(loop, &r->front_io);
  ev_io_start(loop, &r->back_io);
  *out = r;
  return SIPSPEC_OK;
}

void relay_destroy(relay *r) {
  if (!r) return;
  ev_io_stop(r->loop, &r->front_io);
  ev_io_stop(r->loop, &r->back_io);
  for (int i = 0; i < 2; i++) {
    relay_dir *d = &r->dir[i];
    disarm(r, &d->flush, &d->cflush);
    disarm(r, &d->delay, &d->cdelay);
    for (size_t j = 0; j < d->nheld; j++) free(d->held[j]);
    free(d->held);
    while (d->dhead) {
      dgram *g = d->dhead;
      d->dhead = g->next;
      free(g);
    }
  }
  close(r->front);
  close(r->back);
  free(r);
}

sipspec_sockaddr relay_front_addr(const relay *r) { return r->front_addr; }
relay_stats relay_get_stats(const relay *r, relay_dir_id d) { return r->dir[d].st; }
const char *relay_schedule(const relay *r, relay_dir_id d) { return r->dir[d].sched; }
