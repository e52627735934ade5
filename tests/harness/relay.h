/* relay.h: a fault-injecting UDP relay on libev, for loopback integration tests.
 *
 * The relay sits between peer A (the side under test, which sends to the relay's front
 * address) and peer B (the upstream address). Per direction it drops, duplicates, delays
 * and reorders datagrams, and it can drop "the Nth datagram containing X". Every random
 * choice comes from a per-direction generator seeded from opts.seed and drawn a fixed
 * number of times per datagram, so the same seed and the same traffic always give the same
 * fault schedule. Counters record what was done.
 *
 * The delay and the reorder flush wait on libev timers, or on opts.clock when one is given
 * (sipspec/clock.h: with a virtual clock they wait virtual time, as the stack under test).
 */
#ifndef SIPSPEC_TEST_RELAY_H
#define SIPSPEC_TEST_RELAY_H

#include <ev.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/clock.h"
#include "sipspec/transport.h"

#define RELAY_MAX_RULES 4
#define RELAY_SCHEDULE_MAX 4096

typedef enum relay_dir_id { RELAY_A_TO_B = 0, RELAY_B_TO_A = 1 } relay_dir_id;

/* Drops the nth (1-based) datagram of this direction whose payload contains `match`. */
typedef struct relay_rule {
  const char *match;    /* not copied: must outlive the relay */
  unsigned nth;
} relay_rule;

typedef struct relay_dir_opts {
  unsigned drop_permille;     /* 0..1000: chance a datagram is dropped */
  unsigned dup_permille;      /* 0..1000: chance a forwarded datagram is sent twice */
  unsigned delay_ms;          /* every forwarded datagram waits this long */
  unsigned reorder_window;    /* >= 2: collect this many, release them shuffled */
  unsigned reorder_flush_ms;  /* release an incomplete window after this (default 20) */
  relay_rule rules[RELAY_MAX_RULES];
  size_t nrules;
} relay_dir_opts;

typedef struct relay_opts {
  uint64_t seed;
  const char *listen_host;    /* "127.0.0.1" (default) or "::1" */
  sipspec_sockaddr upstream;      /* peer B */
  relay_dir_opts dir[2];      /* indexed by relay_dir_id */
  sipspec_clock *clock;       /* NULL: libev timers; else this clock (on the relay's loop),
                               * which must outlive the relay */
} relay_opts;

typedef struct relay_stats {
  uint64_t received;          /* datagrams that came in */
  uint64_t forwarded;         /* datagrams sent out (duplicates included) */
  uint64_t dropped;           /* random drops */
  uint64_t scripted_drops;    /* drops by a rule */
  uint64_t duplicated;        /* extra copies made */
  uint64_t delayed;           /* datagrams that waited delay_ms */
  uint64_t reordered;         /* datagrams released at another position than they came */
  uint64_t no_peer;           /* B->A datagrams before A was known */
} relay_stats;

typedef struct relay relay;

void relay_opts_init(relay_opts *o);
int relay_create(struct ev_loop *loop, const relay_opts *opts, relay **out, char *err,
                 size_t errlen);
void relay_destroy(relay *r);
/* The address A must send to. */
sipspec_sockaddr relay_front_addr(const relay *r);
relay_stats relay_get_stats(const relay *r, relay_dir_id d);
/* One letter per datagram of direction d, in arrival order: 'f' forwarded, 'D' forwarded
 * twice, 'd' dropped, 's' dropped by a rule. NUL-terminated; valid until the next event. */
const char *relay_schedule(const relay *r, relay_dir_id d);

#endif
