/* session/uas_2xx.c: the 2xx to an INVITE sent again until its ACK (RFC 3261 13.3.1.4);
 * see uas_2xx.h for the ownership rules and spec/uas_2xx.rl for the schedule.
 *
 * One machine of the chart per 2xx, its RESEND and GIVEUP timers in the chart timer layer
 * (fsm/fsm_timers.h) and one ev_timer armed at the earliest due one. The layer restarts
 * RESEND from when it was due, not from when the loop got round to it, so the copies are due
 * at fixed times after the first (T1, 3*T1, 7*T1, ... with the interval capped at T2), and a
 * late firing sends every copy due by then, in order, so the number of copies before 64*T1
 * does not depend on how busy the loop was. The actions are the chart's typed callbacks
 * (generated chart_uas_2xx_actions.h), implemented below as uas_2xx_act_<action>.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "session/uas_2xx.h"
#include "sipspec/chart_uas_2xx.h"

#include "chart_uas_2xx_actions.h"

/* T4 is no timer of the chart; the timer layer wants a value all the same (RFC default). */
#define UAS_2XX_T4_MS 5000u
/* Timer firings handled by one callback: at most 64 copies fit before 64*T1, and GIVEUP. */
#define UAS_2XX_GUARD 130

static void on_action(void *ctx, const sipspec_chart *chart, int action);
static int fire(void *owner, int event);

struct uas_2xx_run {
  sipspec_fsm fsm;                 /* spec/uas_2xx.rl, one per 2xx */
  host_timer_kind kind;            /* its chart's timer options (one 2xx at a time: not shared) */
  host_timers timers;              /* its timers on the owner's clock */
  sipspec_tsx *ist;                /* NULL once the transaction has ended (Timer L) */
  int status;
  int send_rc;                     /* what sipspec_tsx_respond() returned for the first copy */
  char *headers, *body;
  size_t body_len;
  int tell_give_up;                /* report_give_up ran: call give_up once the machine settled */
};

static void machine_init(sipspec_uas_2xx *r, unsigned t1_ms, unsigned t2_ms) {
  sipspec_timer_values v = {t1_ms, t2_ms, UAS_2XX_T4_MS};
  /* the chart's timers have no reliable-transport rule (13.3.1.4), so the transport is moot */
  int rc = host_timer_kind_init(&r->run->kind, r->clock, &sipspec_chart_uas_2xx, &v, 0, fire);
  assert(rc == SIPSPEC_OK); /* two timers; values checked by the caller */
  (void)rc;
  host_timers_init(&r->run->timers, &r->run->kind, r);
  sipspec_fsm_init(&r->run->fsm, &sipspec_chart_uas_2xx, on_action, r);
}

void sipspec_uas_2xx_init(sipspec_uas_2xx *r, sipspec_clock *clock, sipspec_uas_2xx_give_up_fn give_up,
                          void *user) {
  memset(r, 0, sizeof *r);
  r->clock = clock;
  r->give_up = give_up;
  r->user = user;
}

static void ist_terminated(sipspec_tsx *t, void *user) {
  sipspec_uas_2xx *r = user;
  if (r->run && r->run->ist == t) r->run->ist = NULL; /* Timer L: later copies have no transaction to go through */
}

/* Forgets the 2xx: its timers, its copy, the transaction's callbacks. Idempotent. */
static void release(sipspec_uas_2xx *r) {
  struct uas_2xx_run *u = r->run;
  if (!u) return;
  host_timers_release(&u->timers);
  if (u->ist) sipspec_tsx_set_callbacks(u->ist, NULL);
  free(u->headers);
  free(u->body);
  free(u);
  r->run = NULL;
}

/* After the events: arm the timer, or, once the machine has ended, forget the 2xx. */
static void settle(sipspec_uas_2xx *r) {
  if (!r->run) return;
  if (sipspec_fsm_terminated(&r->run->fsm)) release(r);
  else host_timers_rearm(&r->run->timers);
}

void sipspec_uas_2xx_stop(sipspec_uas_2xx *r) {
  if (!r || !r->clock || !r->run) return;
  /* Sending: the chart stops its timers; a machine that is running an action (the owner
   * stops from give_up) has ended already */
  (void)sipspec_fsm_feed(&r->run->fsm, SIPSPEC_EV_TU_END);
  release(r);
}

static char *dup_bytes(const char *p, size_t n) {
  char *c = malloc(n + 1);
  if (!c) return NULL;
  if (n) memcpy(c, p, n);
  c[n] = '\0';
  return c;
}

int sipspec_uas_2xx_send(sipspec_uas_2xx *r, sipspec_tsx *ist, uint32_t cseq, unsigned t1_ms, unsigned t2_ms,
                         int status, const char *headers, const char *body, size_t body_len) {
  if (!r || !r->clock || !ist || status < 200 || status > 299 || !t1_ms || t2_ms < t1_ms || (body_len && !body))
    return SIPSPEC_E_INVAL;
  sipspec_uas_2xx_stop(r);
  struct uas_2xx_run *u = calloc(1, sizeof *u);
  char *h = headers ? dup_bytes(headers, strlen(headers)) : NULL;
  char *b = body_len ? dup_bytes(body, body_len) : NULL;
  if (!u || (headers && !h) || (body_len && !b)) {
    free(u);
    free(h);
    free(b);
    return SIPSPEC_E_NOMEM;
  }
  r->run = u;
  machine_init(r, t1_ms, t2_ms);
  u->ist = ist;
  u->status = status;
  r->cseq = cseq;
  u->headers = h;
  u->body = b;
  u->body_len = body_len;
  r->copies = 0;
  u->send_rc = SIPSPEC_OK;
  u->tell_give_up = 0;
  int rc = sipspec_fsm_feed(&u->fsm, SIPSPEC_EV_TU_2XX); /* Idle -> Sending: the first copy */
  if (rc == SIPSPEC_OK) rc = u->send_rc;
  if (rc != SIPSPEC_OK) {
    u->ist = NULL; /* its callbacks were never ours */
    sipspec_uas_2xx_stop(r);
    return rc;
  }
  sipspec_tsx_callbacks cb = {NULL, NULL, NULL, ist_terminated, r};
  sipspec_tsx_set_callbacks(ist, &cb);
  settle(r);
  return SIPSPEC_OK;
}

/* A chart timer is due (host_timers, earliest first). */
static int fire(void *owner, int event) {
  sipspec_uas_2xx *r = owner;
  (void)sipspec_fsm_feed(&r->run->fsm, event);
  if (!r->run->tell_give_up) return 0;
  settle(r); /* Terminated: the 2xx is forgotten (and its timers with it) */
  if (r->run) r->run->tell_give_up = 0;
  /* last: the owner may call any function of the helper from here, or free it */
  if (r->give_up) r->give_up(r, r->user);
  return 1;
}

int sipspec_uas_2xx_ack(sipspec_uas_2xx *r, const sipspec_msg *ack) {
  if (!r || !r->run || !ack || sipspec_msg_method(ack) != SIPSPEC_METHOD_ACK || sipspec_msg_cseq(ack) != r->cseq)
    return 0;
  /* 13.2.2.4: the ACK carries the 2xx's CSeq number; the chart takes it while Sending */
  if (sipspec_fsm_feed(&r->run->fsm, SIPSPEC_EV_RX_ACK) != SIPSPEC_OK) return 0;
  settle(r);
  return 1;
}

/* A 2xx waits for its ACK as long as the chart's 64*T1 timer runs (Sending). */
int sipspec_uas_2xx_pending(const sipspec_uas_2xx *r) {
  return r && r->run && host_timers_running(&r->run->timers, SIPSPEC_EV_TIMER_GIVEUP);
}
unsigned sipspec_uas_2xx_copies(const sipspec_uas_2xx *r) { return r ? r->copies : 0; }

/* ---- actions (spec/uas_2xx.rl) --------------------------------------------------------- */

/* The first copy, through the INVITE server transaction (which sends it once, RFC 6026 8.7);
 * send() returns what it returned. */
static void uas_2xx_act_send_2xx(sipspec_uas_2xx *r) {
  struct uas_2xx_run *u = r->run;
  u->send_rc = sipspec_tsx_respond(u->ist, u->status, NULL, u->headers, u->body, u->body_len);
}

/* The next copy; counted even when the transaction has ended and it cannot go out. */
static void uas_2xx_act_resend_2xx(sipspec_uas_2xx *r) {
  struct uas_2xx_run *u = r->run;
  if (u->ist) (void)sipspec_tsx_respond(u->ist, u->status, NULL, u->headers, u->body, u->body_len);
  r->copies++;
}

/* 64*T1 without the ACK: the owner is told once the machine has settled in Terminated and the
 * 2xx is forgotten (fire), so that it may call any function of the helper. */
static void uas_2xx_act_report_give_up(sipspec_uas_2xx *r) { r->run->tell_give_up = 1; }

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_uas_2xx *r = ctx;
  assert(chart == &sipspec_chart_uas_2xx);
  (void)chart;
  if (host_timers_apply(&r->run->timers, action)) return;
  sipspec_uas_2xx_dispatch(&sipspec_uas_2xx_impl, r, action);
}
