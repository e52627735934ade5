/* session/tsx_run.c: one transaction: its chart, its event queue, its timer, its actions.
 *
 * A transaction is a generated machine of one of the four transaction charts (its state kept
 * in 3 bytes, stepped by sipspec_fsm_exec()) plus the chart's timers (fsm/fsm_timers.h: 8
 * bytes a timer, the options in the layer's conf for the chart) behind one clock timer on the
 * stack's clock. Every event goes through post():
 * when the machine is idle the event is fed at once and then the queue is drained; when
 * the machine is busy (an action is running, and the TU or a failed send wants to feed
 * another event) the event waits in the queue, so a machine is never re-entered. After
 * the events settle, the transaction's single clock timer is armed at the earliest running
 * chart timer, or, in Terminated, the transaction is buried on the layer's clock.
 *
 * The actions are the charts' typed callbacks (generated chart_<name>_actions.h): each
 * action is a tsx_act_<name> function below, and the build fails when a chart names an
 * action that has none, or when one of them is named by no chart. Timer actions go to
 * sipspec_fsm_timer_run_apply().
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm/fsm_machine.h"
#include "session/tsx_internal.h"
#include "sipspec/chart_ict.h"
#include "sipspec/chart_ist.h"
#include "sipspec/chart_nict.h"
#include "sipspec/chart_nist.h"

/* The four charts' actions as typed callbacks (generated from spec/ict.rl, nict.rl, ist.rl,
 * nist.rl): each action is implemented below as tsx_act_<action>, shared by the charts that
 * name it; a missing or unnamed one fails the build. */
#include "chart_ict_actions.h"
#include "chart_ist_actions.h"
#include "chart_nict_actions.h"
#include "chart_nist_actions.h"

/* ---- lifetime --------------------------------------------------------------------------- */

static void on_action(sipspec_tsx *t, const sipspec_chart *chart, int action);
static void stop_timers(sipspec_tsx *t);
static void due_cb(sipspec_clock_timer *w, void *arg);

const sipspec_chart *const tsx_charts[TSX_KINDS] = {&sipspec_chart_ict, &sipspec_chart_nict, &sipspec_chart_ist,
                                                    &sipspec_chart_nist};

int tsx_layer_init_charts(sipspec_tsx_layer *l) {
  for (int k = 0; k < TSX_KINDS; k++) {
    const sipspec_chart *c = tsx_charts[k];
    if (c->n_timers > TSX_TIMERS || c->n_states > UINT8_MAX || c->machine->ragel_n_states > UINT16_MAX)
      return SIPSPEC_E_INVAL; /* a chart outgrew the compact transaction */
    for (int reliable = 0; reliable < 2; reliable++) {
      sipspec_fsm_timer_conf *conf = &l->tconf[k][reliable];
      int rc = sipspec_fsm_timer_conf_init(conf, c, &l->values, reliable);
      /* MRCP_SIP_INVITE_MAX_RETRANS: Timer A's limit (spec/ict.rl, `limit=set`); past it
       * the chart hears TIMER_A_LIMIT and gives up as on Timer B. With the defaults Timer B
       * comes first anyway. */
      if (!rc && k == TSX_ICT) rc = sipspec_fsm_timer_conf_set_limit(conf, SIPSPEC_EV_TIMER_A, l->invite_max_retrans);
      if (rc) return rc;
    }
  }
  return SIPSPEC_OK;
}

static const sipspec_fsm_timer_conf *tconf(const sipspec_tsx *t) { return &t->layer->tconf[t->kind][t->reliable]; }

int tsx_new(sipspec_tsx_layer *l, const sipspec_chart *chart, int server, sipspec_transport *tp,
            const sipspec_tsx_key *k, const sipspec_sockaddr *peer, sipspec_tsx **out) {
  int kind = 0, tpk = 0;
  while (kind < TSX_KINDS && tsx_charts[kind] != chart) kind++;
  while (tpk < 3 && l->tp[tpk] != tp) tpk++;
  if (kind == TSX_KINDS || tpk == 3) return SIPSPEC_E_INVAL;
  sipspec_tsx *t = tsx_alloc(k, server, chart->n_timers, peer);
  if (!t) return SIPSPEC_E_NOMEM;
  t->layer = l;
  t->kind = (unsigned)kind & 3u;
  t->tpk = (uint8_t)tpk;
  t->server = server ? 1u : 0u;
  t->reliable = sipspec_transport_reliable(tp) ? 1u : 0u;
  sipspec_clock_timer_init(&t->timer, due_cb, t);
  int cs = chart->machine->ragel_start;
  t->cs = (uint16_t)cs;
  t->state = (uint8_t)chart->start;
  *out = t;
  return SIPSPEC_OK;
}

/* Takes t's first queued event out of the layer's queue into *e; 0 when none. */
static int dequeue(sipspec_tsx *t, tsx_event *e) {
  sipspec_tsx_layer *l = t->layer;
  for (int i = 0; i < l->q_len; i++)
    if (l->q[i].t == t) {
      *e = l->q[i];
      memmove(&l->q[i], &l->q[i + 1], (size_t)(l->q_len - i - 1) * sizeof l->q[0]);
      l->q_len--;
      return 1;
    }
  return 0;
}

void tsx_free(sipspec_tsx *t) {
  if (!t) return;
  stop_timers(t);
  tsx_event e;
  while (dequeue(t, &e)) free(e.data);
  free(t->req); /* or t->last: one of them */
  free(t->rec);
  free(t);
}

/* What a transaction keeps of its messages goes as soon as the actions the chart runs say it
 * can no longer be needed (RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1, 17.2.2, RFC 6026 8.4, 8.7):
 * the request once a final response came (or at once on a reliable transport, where
 * Timers A and E do not run), an INVITE's record once a 2xx came (its ACK is the dialog's),
 * a server's record once a response the TU can no longer follow went out, and the last
 * response once nothing resends it. A transaction waiting out Timer D, I, J, K or M keeps
 * at most the ACK fields (D) or the response it resends (J). */
static void drop_req(sipspec_tsx *t) {
  free(t->req);
  t->req = NULL;
  t->req_len = 0;
}

static void drop_rec(sipspec_tsx *t) {
  free(t->rec);
  t->rec = NULL;
}

static void drop_last(sipspec_tsx *t) {
  free(t->last);
  t->last = NULL;
  t->last_len = 0;
}

/* ---- timers and settling ---------------------------------------------------------------- */

static int terminated(const sipspec_tsx *t) { return t->state == tsx_chart(t)->final_state; }

static void stop_timers(sipspec_tsx *t) {
  sipspec_fsm_timer_run_stop(&t->trun);
  sipspec_clock_timer_stop(t->layer->clock, &t->timer);
}

/* Arms the clock timer at the earliest running chart timer, or stops it when none runs. */
static void rearm(sipspec_tsx *t) {
  uint64_t due;
  if (t->buried || sipspec_fsm_timer_run_next(tconf(t), &t->trun, t->tslot, &due) < 0) stop_timers(t);
  else sipspec_clock_timer_at(t->layer->clock, &t->timer, due);
}

/* After the events: arm the timer, or hand a terminated transaction over (last callback). */
static void settle(sipspec_tsx *t) {
  if (t->starting || t->buried) return;
  if (!terminated(t)) {
    rearm(t);
    return;
  }
  stop_timers(t);
  tsx_layer_bury(t->layer, t);
  const sipspec_tsx_callbacks *cb = tsx_cbs(t);
  if (cb->on_terminated) cb->on_terminated(t, t->user);
}

static int feed_one(sipspec_tsx *t, int ev, const sipspec_msg *msg, tsx_event *tu, int err) {
  sipspec_tsx_layer *l = t->layer;
  tsx_feed f = {t, ev, err, msg, tu, l->feed};
  const sipspec_chart *chart = tsx_chart(t);
  int cs = t->cs, state = t->state;
  sipspec_fsm_step step;
  int rc = sipspec_fsm_exec(chart, &cs, &state, ev, &step);
  if (rc == SIPSPEC_OK) {
    t->cs = (uint16_t)cs;
    t->state = (uint8_t)state;
    l->feed = &f;
    for (int i = 0; i < step.n_actions; i++) on_action(t, chart, step.actions[i]);
    l->feed = f.up;
  }
  if (tu) { /* send_response took the data when it ran */
    free(tu->data);
    tu->data = NULL;
  }
  if (terminated(t)) stop_timers(t);
  return rc;
}

/* Feeds ev (with an incoming message, a TU response or a transport error), then whatever
 * was queued meanwhile. */
static int post(sipspec_tsx *t, int ev, const sipspec_msg *msg, tsx_event *tu, int err) {
  if (t->buried) {
    if (tu) free(tu->data);
    return SIPSPEC_E_FSM_TERMINATED;
  }
  if (t->feeding) {
    /* An incoming message cannot outlive its receive call; the peer retransmits it. */
    sipspec_tsx_layer *l = t->layer;
    if (msg || l->q_len == TSX_QUEUE_MAX) {
      if (tu) free(tu->data);
      return SIPSPEC_E_AGAIN;
    }
    tsx_event *slot = &l->q[l->q_len++];
    slot->t = t;
    slot->ev = ev;
    slot->status = tu ? tu->status : err;
    slot->data = tu ? tu->data : NULL;
    slot->len = tu ? tu->len : 0;
    return SIPSPEC_OK;
  }
  t->feeding = 1;
  int rc = feed_one(t, ev, msg, tu, err);
  /* 17.2.1: an ACK the INVITE server transaction took after a non-2xx final response ends
   * its retransmissions; the response need not be kept through Timer I. */
  if (rc == SIPSPEC_OK && ev == SIPSPEC_EV_RX_ACK && t->kind == TSX_IST && t->last_status >= 300) drop_last(t);
  tsx_event e;
  for (int guard = 0; guard < 4 * TSX_QUEUE_MAX && dequeue(t, &e); guard++)
    feed_one(t, e.ev, NULL, e.data ? &e : NULL, e.ev == SIPSPEC_EV_TRANSPORT_ERR ? e.status : 0);
  t->feeding = 0;
  settle(t);
  return rc;
}

int tsx_post(sipspec_tsx *t, int ev, const sipspec_msg *msg) { return post(t, ev, msg, NULL, 0); }

void tsx_transport_error(sipspec_tsx *t, int code) { post(t, SIPSPEC_EV_TRANSPORT_ERR, NULL, NULL, code); }

/* The clock timer is due: every chart timer due by now goes through post(), earliest first
 * (Timer G before Timer H when both are due), then the timer is armed at the next one. */
static void due_cb(sipspec_clock_timer *w, void *arg) {
  sipspec_tsx *t = arg;
  (void)w;
  uint64_t now = sipspec_clock_now_ms(t->layer->clock);
  for (int guard = 0; guard < TSX_TIMERS; guard++) {
    int ev = sipspec_fsm_timer_run_expire(tconf(t), &t->trun, t->tslot, now);
    if (ev < 0) break;
    post(t, ev, NULL, NULL, 0);
    if (t->buried) return; /* settle() stopped its timers */
  }
  rearm(t);
}

/* The event being fed to t (its actions run only inside feed_one()). */
static const tsx_feed *cur(const sipspec_tsx *t) {
  const tsx_feed *f = t->layer->feed;
  assert(f && f->t == t);
  return f;
}

/* ---- actions ---------------------------------------------------------------------------- */

/* Sends on the transaction's transport; a failure becomes TRANSPORT_ERR after the current
 * event (or the start error while sipspec_tsx_client_start() runs). */
static void tsx_send(sipspec_tsx *t, const char *data, size_t len) {
  sipspec_sockaddr peer = tsx_peer(t);
  int rc = sipspec_transport_send(tsx_tp(t), &peer, data, len);
  if (rc == SIPSPEC_OK) return;
  if (t->starting) {
    t->start_err = (int16_t)rc;
    return;
  }
  post(t, SIPSPEC_EV_TRANSPORT_ERR, NULL, NULL, rc);
}

static void count_retransmission(sipspec_tsx *t) {
  if (t->layer->tel) t->layer->tel->sipRetransmissions++;
}

static void tsx_act_send_ack(sipspec_tsx *t) {
  char *ack;
  size_t len;
  const sipspec_msg *msg = cur(t)->msg;
  if (!msg || !t->rec || tsx_build_ack(t->rec, msg, &ack, &len) != SIPSPEC_OK)
    return; /* the record is kept after a non-2xx (drop_rec() only on a 2xx); cannot happen */
  if (t->acks_sent) count_retransmission(t);
  if (t->acks_sent < UINT8_MAX) t->acks_sent++;
  tsx_send(t, ack, len);
  free(ack);
}

static void tsx_act_pass_to_tu(sipspec_tsx *t) {
  sipspec_tsx_layer *l = t->layer;
  const tsx_feed *f = cur(t);
  if (!f->msg) return;
  if (!t->server) {
    t->last_status = (int16_t)sipspec_msg_status(f->msg);
    if (l->tel) sipspec_telemetry_count_status(l->tel, t->last_status);
    if (t->last_status >= 200) drop_req(t); /* a final response: no more retransmissions */
    if (t->last_status >= 200 && t->last_status < 300) drop_rec(t); /* 13.2.2.4: the dialog ACKs a 2xx */
    const sipspec_tsx_callbacks *cb = tsx_cbs(t);
    if (cb->on_response) cb->on_response(t, f->msg, t->user);
  } else if (f->ev == SIPSPEC_EV_RX_ACK) {
    /* RFC 6026 8.7: an ACK in Accepted belongs to the TU (the dialog layer). */
    sipspec_sockaddr src = tsx_src(t);
    if (l->cb.on_ack) l->cb.on_ack(l, f->msg, tsx_tp(t), &src, l->cb.user);
  } else if (l->cb.on_request) {
    l->cb.on_request(t, f->msg, l->cb.user);
  }
}

static void tsx_act_report_timeout(sipspec_tsx *t) {
  if (t->kind == TSX_ICT && t->layer->tel) t->layer->tel->sipInviteTimeouts++;
  const sipspec_tsx_callbacks *cb = tsx_cbs(t);
  if (cb->on_timeout) cb->on_timeout(t, t->user);
}

static void tsx_act_report_transport_error(sipspec_tsx *t) {
  int err = cur(t)->err;
  if (t->layer->tel) t->layer->tel->sipTransportErrors++;
  const sipspec_tsx_callbacks *cb = tsx_cbs(t);
  if (cb->on_transport_error) cb->on_transport_error(t, err ? err : SIPSPEC_E_SEND, t->user);
}

static void set_last(sipspec_tsx *t, char *data, size_t len, int status) {
  free(t->last);
  t->last = data;
  t->last_len = (uint32_t)len;
  t->last_status = (int16_t)status;
}

static void tsx_act_send_100_trying(sipspec_tsx *t) {
  char *resp;
  size_t len;
  /* 8.2.6.1: a 100 copies the request's Via, From, To, Call-ID and CSeq, and adds no tag. */
  if (!t->rec || tsx_build_response(t->rec, 100, NULL, NULL, NULL, NULL, 0, &resp, &len) != SIPSPEC_OK)
    return;
  set_last(t, resp, len, 100);
  tsx_send(t, t->last, t->last_len);
}

static void tsx_act_send_response(sipspec_tsx *t) {
  tsx_event *tu = cur(t)->tu;
  if (!tu || !tu->data) return;
  /* RFC 6026 8.7: in Accepted the TU sends its 2xx again; that is a retransmission. */
  if (tu->status >= 200 && tu->status < 300 && t->last_status >= 200 && t->last_status < 300)
    count_retransmission(t);
  set_last(t, tu->data, tu->len, tu->status);
  tu->data = NULL;
  tsx_send(t, t->last, t->last_len);
  int nist = t->kind == TSX_NIST;
  /* A final response the TU cannot follow with another (an INVITE's 2xx it may send again,
   * RFC 6026 8.7): the record goes. An INVITE's 2xx is never resent by the transaction
   * (the TU retransmits it), a final response of a non-INVITE one until Timer J. */
  if (tu->status >= 300 || (nist && tu->status >= 200)) drop_rec(t);
  if (!nist && tu->status >= 200 && tu->status < 300) drop_last(t);
}

static void tsx_act_resend_last_response(sipspec_tsx *t) {
  if (!t->last) return;
  count_retransmission(t);
  tsx_send(t, t->last, t->last_len);
}

static void tsx_act_send_request(sipspec_tsx *t) {
  if (!t->req) return; /* a reliable transport sent it once (Timers A and E do not run there) */
  int ev = cur(t)->ev;
  if (ev == SIPSPEC_EV_TIMER_A || ev == SIPSPEC_EV_TIMER_E) count_retransmission(t);
  tsx_send(t, t->req, t->req_len);
  if (t->reliable) drop_req(t);
}

static void on_action(sipspec_tsx *t, const sipspec_chart *chart, int action) {
  if (sipspec_fsm_timer_run_apply(tconf(t), &t->trun, t->tslot, action, sipspec_clock_now_ms(t->layer->clock))) return;
  if (chart == &sipspec_chart_ict) sipspec_ict_dispatch(&sipspec_ict_impl, t, action);
  else if (chart == &sipspec_chart_nict) sipspec_nict_dispatch(&sipspec_nict_impl, t, action);
  else if (chart == &sipspec_chart_ist) sipspec_ist_dispatch(&sipspec_ist_impl, t, action);
  else sipspec_nist_dispatch(&sipspec_nist_impl, t, action);
}

/* ---- the TU's entry points ------------------------------------------------------------- */

/* Starts a client transaction for request text built by the layer (req: malloc'd, taken),
 * with its key and, for an INVITE, its record. */
static int start_built(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_sockaddr *dest,
                       const sipspec_tsx_key *key, int invite, char *req, size_t len, tsx_rec *rec,
                       const sipspec_tsx_callbacks *cb, sipspec_tsx **out) {
  sipspec_tsx *t;
  int rc = SIPSPEC_OK;
  if (tsx_layer_find_client(l, key)) rc = SIPSPEC_E_TSX_EXISTS;
  else if (len > UINT32_MAX) rc = SIPSPEC_E_RANGE;
  else rc = tsx_new(l, invite ? &sipspec_chart_ict : &sipspec_chart_nict, 0, tp, key, dest, &t);
  if (rc) {
    free(req);
    free(rec);
    return rc;
  }
  t->req = req;
  t->req_len = (uint32_t)len;
  t->rec = rec;
  if (cb && (rc = sipspec_tsx_set_callbacks(t, cb)) != SIPSPEC_OK) {
    tsx_free(t);
    return rc;
  }
  tsx_layer_link(l, t);
  t->starting = 1;
  post(t, SIPSPEC_EV_TU_SEND, NULL, NULL, 0);
  t->starting = 0;
  if (t->start_err) {
    rc = t->start_err;
    tsx_layer_bury(l, t); /* freed by the clock; no callback was made */
    return rc;
  }
  l->stats.client_started++;
  settle(t);
  if (out) *out = t;
  return SIPSPEC_OK;
}

int sipspec_tsx_client_start(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest,
                             const sipspec_request_fields *f, const sipspec_tsx_callbacks *cb,
                             sipspec_tsx **out) {
  return sipspec_tsx_client_start_len(l, kind, dest, f, cb, out, NULL);
}

int sipspec_tsx_client_start_len(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest,
                                 const sipspec_request_fields *f, const sipspec_tsx_callbacks *cb,
                                 sipspec_tsx **out, size_t *len) {
  if (out) *out = NULL;
  if (!l || !dest || !f || (unsigned)kind > SIPSPEC_TP_TLS) return SIPSPEC_E_INVAL;
  sipspec_transport *tp = l->tp[kind];
  if (!tp) return SIPSPEC_E_TSX_NO_TRANSPORT;
  /* The key (17.1.3) straight from the fields: the branch and sent-by of the Via we write,
   * and the method (CSeq's method is the method: the builder writes it so). */
  if (sipspec_span_eq(f->method, "ACK") || !f->cseq) return SIPSPEC_E_TSX_BAD_REQUEST;
  if (!f->via.branch.len) return SIPSPEC_E_TSX_NO_BRANCH;
  sipspec_tsx_key key;
  memset(&key, 0, sizeof key);
  int rc = sipspec_span_copy(key.branch, sizeof key.branch, f->via.branch);
  if (!rc) rc = sipspec_span_copy(key.method, sizeof key.method, f->method);
  if (!rc) rc = sipspec_span_copy(key.host, sizeof key.host, f->via.host);
  if (rc) return rc;
  key.port = f->via.port > 0 ? (unsigned)f->via.port : sipspec_span_ieq(f->via.transport, "TLS") ? 5061u : 5060u;
  /* The text, once, with the builder (every field checked as it is written). */
  size_t cap = sipspec_request_fields_cap(f);
  char *req = malloc(cap);
  if (!req) return SIPSPEC_E_NOMEM;
  sipspec_build b;
  sipspec_request_layout lay;
  sipspec_build_init(&b, req, cap);
  rc = sipspec_build_request_layout(&b, f, &lay);
  if (rc) {
    free(req);
    return rc;
  }
  char *exact = realloc(req, b.len);
  if (exact) req = exact;
  int invite = sipspec_span_eq(f->method, "INVITE");
  tsx_rec *rec = NULL;
  if (invite && (rc = tsx_rec_new_built(req, &lay, f, &rec)) != SIPSPEC_OK) {
    free(req);
    return rc;
  }
  size_t built = b.len;
  rc = start_built(l, tp, dest, &key, invite, req, built, rec, cb, out);
  if (!rc && len) *len = built;
  return rc;
}

int sipspec_tsx_cancel_start(sipspec_tsx *inv, const char *headers, const sipspec_tsx_callbacks *cb,
                             sipspec_tsx **out) {
  if (out) *out = NULL;
  if (!inv) return SIPSPEC_E_INVAL;
  char *req;
  size_t len;
  int rc = sipspec_tsx_build_cancel(inv, headers, &req, &len);
  if (rc) return rc;
  /* 9.1: the INVITE's branch and sent-by, method CANCEL; where the INVITE went. */
  sipspec_tsx_key key;
  memset(&key, 0, sizeof key);
  snprintf(key.branch, sizeof key.branch, "%s", tsx_key(inv));
  snprintf(key.method, sizeof key.method, "CANCEL");
  sipspec_sockaddr dest = tsx_peer(inv);
  return start_built(inv->layer, tsx_tp(inv), &dest, &key, 0, req, len, NULL, cb, out);
}

/* The callback functions are the layer's, interned: a program has a handful of distinct
 * sets, and a transaction keeps an index to its set and the user pointer. */
static const sipspec_tsx_callbacks no_callbacks;

const sipspec_tsx_callbacks *tsx_cbs(const sipspec_tsx *t) {
  return t->cbi ? &t->layer->cbs[t->cbi - 1] : &no_callbacks;
}

static int same_functions(const sipspec_tsx_callbacks *a, const sipspec_tsx_callbacks *b) {
  return a->on_response == b->on_response && a->on_timeout == b->on_timeout &&
         a->on_transport_error == b->on_transport_error && a->on_terminated == b->on_terminated;
}

int sipspec_tsx_set_callbacks(sipspec_tsx *t, const sipspec_tsx_callbacks *cb) {
  if (!t) return SIPSPEC_E_INVAL;
  sipspec_tsx_layer *l = t->layer;
  if (!cb || same_functions(cb, &no_callbacks)) {
    t->cbi = 0;
    t->user = cb ? cb->user : NULL;
    return SIPSPEC_OK;
  }
  unsigned i = 0;
  while (i < l->n_cbs && !same_functions(&l->cbs[i], cb)) i++;
  if (i == l->n_cbs) {
    if (l->n_cbs == UINT16_MAX) return SIPSPEC_E_NOMEM;
    if (l->n_cbs == l->cap_cbs) {
      unsigned cap = l->cap_cbs ? 2 * l->cap_cbs : 8;
      sipspec_tsx_callbacks *a = realloc(l->cbs, cap * sizeof *a);
      if (!a) return SIPSPEC_E_NOMEM;
      l->cbs = a;
      l->cap_cbs = cap;
    }
    l->cbs[i] = *cb;
    l->cbs[i].user = NULL;
    l->n_cbs++;
  }
  t->cbi = (uint16_t)(i + 1);
  t->user = cb->user;
  return SIPSPEC_OK;
}

int sipspec_tsx_respond(sipspec_tsx *t, int status, const char *reason, const char *headers,
                        const char *body, size_t body_len) {
  if (!t || !t->server || status < 100 || status > 699) return SIPSPEC_E_INVAL;
  if (t->buried) return SIPSPEC_E_FSM_TERMINATED;
  tsx_event e = {0};
  e.status = status;
  e.ev = status < 200 ? SIPSPEC_EV_TU_1XX : status < 300 ? SIPSPEC_EV_TU_2XX : SIPSPEC_EV_TU_300_699;
  /* The response fields are kept while the TU may still answer (drop_rec()); past
   * that the chart gives its answer to the event alone. */
  if (!t->rec) return post(t, e.ev, NULL, &e, 0);
  int rc = tsx_build_response(t->rec, status, reason, status > 100 ? t->rec->to_tag : NULL, headers, body, body_len, &e.data, &e.len);
  if (rc) return rc;
  e.ev = status < 200 ? SIPSPEC_EV_TU_1XX : status < 300 ? SIPSPEC_EV_TU_2XX : SIPSPEC_EV_TU_300_699;
  return post(t, e.ev, NULL, &e, 0);
}

int sipspec_tsx_build_cancel(const sipspec_tsx *t, const char *headers, char **out, size_t *out_len) {
  if (!t || !out || !out_len) return SIPSPEC_E_INVAL;
  /* pending: no final response yet (the record is kept through a non-2xx for its ACK) */
  if (t->kind != TSX_ICT || !t->rec || t->last_status >= 200 || t->buried)
    return SIPSPEC_E_STATE;
  return tsx_build_cancel(t->rec, headers, out, out_len);
}

/* ---- inspection ------------------------------------------------------------------------ */

int sipspec_tsx_is_server(const sipspec_tsx *t) { return t->server; }
int sipspec_tsx_state(const sipspec_tsx *t) { return t->state; }
const char *sipspec_tsx_state_name(const sipspec_tsx *t) { return tsx_chart(t)->states[t->state]; }
const char *sipspec_tsx_kind_name(const sipspec_tsx *t) { return tsx_chart(t)->name; }
const char *sipspec_tsx_to_tag(const sipspec_tsx *t) { return t->server && t->rec ? t->rec->to_tag : ""; }
sipspec_sockaddr sipspec_tsx_peer(const sipspec_tsx *t) { return tsx_peer(t); }
sipspec_transport *sipspec_tsx_transport(const sipspec_tsx *t) { return tsx_tp(t); }
int sipspec_tsx_last_status(const sipspec_tsx *t) { return t->last_status; }
