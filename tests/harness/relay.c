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
  double due;
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
  ev_timer flush;
  dgram *dhead, *dtail;       /* delay stage */
  ev_timer delay;
  relay_stats st;
  char sched[RELAY_SCHEDULE_MAX + 1];
  size_t nsched;
} relay_dir;

struct relay {
  struct ev_loop *loop;
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

static void delay_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)revents;
  relay_dir *d = w->data;
  double now = ev_now(loop);
  while (d->dhead && d->dhead->due <= now + 1e-6) {
    dgram *g = d->dhead;
    d->dhead = g->next;
    if (!d->dhead) d->dtail = NULL;
    send_out(d, g->data, g->len);
    free(g);
  }
  if (d->dhead) {
    ev_timer_set(&d->delay, d->dhead->due - now, 0.);
    ev_timer_start(loop, &d->delay);
  }
}

/* After the reorder stage: straight out, or into the delay FIFO. */
static void stage_delay(relay_dir *d, dgram *g) {
  if (d->o.delay_ms == 0) {
    send_out(d, g->data, g->len);
    free(g);
    return;
  }
  d->st.delayed++;
  g->due = ev_now(d->r->loop) + d->o.delay_ms / 1000.;
  g->next = NULL;
  if (d->dtail) d->dtail->next = g; else d->dhead = g;
  d->dtail = g;
  if (!ev_is_active(&d->delay)) {
    ev_timer_set(&d->delay, d->o.delay_ms / 1000., 0.);
    ev_timer_start(d->r->loop, &d->delay);
  }
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
  ev_timer_stop(d->r->loop, &d->flush);
  for (size_t i = 0; i < n; i++) {
    if (order[i] != i) d->st.reordered++;
    stage_delay(d, d->held[order[i]]);
  }
}

static void flush_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)revents;
  release_held(w->data);
}

static void stage_reorder(relay_dir *d, const char *data, size_t len) {
  dgram *g = malloc(sizeof *g + len);
  if (!g) return;
  g->next = NULL;
  g->len = len;
  memcpy(g->data, data, len);
  if (d->o.reorder_window < 2) { stage_delay(d, g); return; }
  d->held[d->nheld++] = g;
  if (d->nheld == 1) {
    ev_timer_set(&d->flush, d->o.reorder_flush_ms / 1000., 0.);
    ev_timer_start(d->r->loop, &d->flush);
  }
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
    ev_timer_stop(r->loop, &d->flush);
    ev_timer_stop(r->loop, &d->delay);
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
