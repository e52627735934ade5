/* tsx_test_util.h: what the transaction-layer tests share: a CUnit main, a "side" (one
 * transaction layer on 127.0.0.1 with its telemetry and a record of every layer callback),
 * a per-transaction record of the client/server callbacks, a plain "sink" transport that
 * only counts what arrives (a silent peer), and a request builder. Every loop run is bounded
 * by tst_run_until()'s watchdog. Sides and sinks opened on the loop of the clock in use
 * (tst_use_clock()) run their timers on that clock: with a virtual clock, tests use the RFC's
 * timer values and assert exact times. */
#ifndef SIPSPEC_TEST_TSX_UTIL_H
#define SIPSPEC_TEST_TSX_UTIL_H

#include <CUnit/Basic.h>
#include <ev.h>

#include "netutil.h"
#include "session/tsx.h"

#define TT_MAX 64

typedef struct tt_case {
  const char *name;
  void (*fn)(void);
} tt_case;
int tt_main(const char *suite, const tt_case *cases);

/* Callbacks of one transaction. */
typedef struct tt_rec {
  sipspec_tsx *t;           /* NULL once terminated */
  int n_resp;
  int status[TT_MAX];
  int timeouts, transport_errors, last_error, terminated;
  int state_at_error;       /* chart state seen inside on_transport_error */
  int state_at_timeout;
} tt_rec;
extern const sipspec_tsx_callbacks tt_rec_callbacks; /* user must be a tt_rec * */

/* One transaction layer and what its layer callbacks saw. */
typedef struct tt_side {
  struct ev_loop *loop;
  sipspec_tsx_layer *layer;
  sipspec_telemetry tel;
  sipspec_transport *tp;
  sipspec_sockaddr addr;    /* bound address */
  /* on_request: the server transactions created, their records, and what to answer at once */
  int n_requests;
  tt_rec srv[TT_MAX];
  int answer[4];            /* statuses sipspec_tsx_respond()ed inside on_request */
  int n_answer;
  char last_method[32];
  /* called at the end of on_request, after the answers above (may be NULL) */
  void (*hook)(struct tt_side *s, sipspec_tsx *t, const sipspec_msg *req);
  int n_acks, n_stray;
  int stray_status;
} tt_side;

void tt_side_open(tt_side *s, struct ev_loop *loop, sipspec_tp_kind kind, unsigned t1, unsigned t2,
                  unsigned t4);
/* Same with a whole configuration (e.g. invite_max_retrans). */
void tt_side_open_cfg(tt_side *s, struct ev_loop *loop, sipspec_tp_kind kind, const sipspec_config *cfg);
void tt_side_close(tt_side *s);

/* A virtual clock on loop starting at 0, in use by the tst_run_* calls (tst_use_clock()), or
 * with NULL: back to real time and the clock freed (after every object using it is gone). */
sipspec_clock *tt_clock_begin(struct ev_loop *loop);
void tt_clock_end(sipspec_clock *c);

/* A transport that only counts and keeps the last message (a silent peer). */
typedef struct tt_sink {
  struct ev_loop *loop;
  sipspec_transport *tp;
  sipspec_sockaddr addr;
  int n;
  uint64_t at[TT_MAX];      /* tst_now_ms() when message i arrived */
  char last[4096];
  size_t last_len;
  sipspec_sockaddr last_from;
  int n_match;              /* messages starting with match */
  const char *match;
} tt_sink;
void tt_sink_open(tt_sink *k, struct ev_loop *loop, sipspec_tp_kind kind);

/* Writes a request with a Via for (transport, via_addr), the given branch (NULL: a fresh
 * one), CSeq number and method, ";rport" when rport; returns its length. */
size_t tt_request(char *buf, size_t cap, const char *method, const char *transport,
                  const sipspec_sockaddr *via_addr, const char *branch, unsigned cseq, int rport);

/* Conditions for tst_run_until. */
int tt_int_at_least(void *arg); /* arg: tt_want */
typedef struct tt_want {
  const int *value;
  int at_least;
} tt_want;
int tt_run_until_count(struct ev_loop *loop, const int *value, int at_least, double max_s);

/* A request's text (a test's bytes) as the typed fields sipspec_tsx_client_start() takes:
 * parsed into o->m (kept until tt_fields_done()); everything but the top Via's other params
 * and the second and later Contacts. The parser's code, or SIPSPEC_E_TSX_BAD_REQUEST for a
 * response or a CSeq method other than the method. */
typedef struct tt_fields {
  sipspec_msg *m;
  sipspec_request_fields f;
  sipspec_span routes[16];
  sipspec_addr_fields contact;
  sipspec_ext_header hdrs[32];
  char disp[3][128];
  char params[3][256];
} tt_fields;
int tt_fields_of(tt_fields *o, const char *text, size_t len);
void tt_fields_done(tt_fields *o);
/* sipspec_tsx_client_start() of the request text req (through tt_fields_of()). */
int tt_start_text(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest, const char *req, size_t n,
                  const sipspec_tsx_callbacks *cb, sipspec_tsx **out);

#endif
