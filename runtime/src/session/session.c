/* session/session.c: one MRCPv2 client session on the generated chart spec/uac_session.rl.
 *
 * The charts decide; this file implements each action of spec/uac_session.rl as a typed
 * callback, session_act_<action> (session_update.c does the same, update_act_<action>, for
 * the re-INVITEs of spec/uac_update.rl; generated chart_<name>_actions.h: the build fails
 * when a chart names an action that has none), and feeds them the events of the session's
 * transactions: the INVITE (ICT), its CANCEL, the BYE and the in-dialog OPTIONS / re-INVITE
 * (NICT / ICT), the chart timers (ANSWER, CANCEL, KEEPALIVE; the update's RETRY after a
 * 491), and the requests the user agent routes here. Which phase the session is in is the
 * charts' state alone: this file keeps no flag beside them. The dialog (session/dialog.h)
 * keeps the dialog state and builds the ACKs and in-dialog requests; the session sends what
 * it builds.
 *
 * The session's other files, by capability: session_api.c (the public API), session_tsx.c
 * (its client transactions), session_send.c (the INVITE, the dialog's sends, the move to
 * TCP), session_auth.c (Digest), session_fork.c (other forks), session_update.c (the update
 * chart, the server's re-INVITE and UPDATE), session_timer.c (RFC 4028).
 *
 * Events are fed one at a time: an event raised while the chart runs an action (the
 * application calling sipspec_session_end() from a callback, a send failing inside an
 * action) waits in a small queue and is fed afterwards, so the machine is never re-entered.
 * Once the chart is in Terminated, on_terminated runs (last callback) and the session is
 * buried on the user agent's clock.
 *
 * The first INVITE carries the roadmap's header list in its order (Via with rport and
 * branch, Max-Forwards 70, From with tag, To, Call-ID, CSeq, Contact with the local address
 * actually used toward the peer, then User-Agent, Allow, Supported, Content-Type,
 * Content-Length). A 401/407 is answered once per challenge round with the digest client
 * (RFC 3261 22.2): CSeq + 1, same Call-ID and From tag, new branch.
 *
 * A server's re-INVITE meets ours on the update chart: a refresh of the session gets a 200
 * that session/uas_2xx.h sends again until its ACK (RFC 3261 13.3.1.4; without an ACK for
 * 64*T1 the session ends with BYE, end reason error), another offer 488, and 491 / 500
 * while an INVITE exchange runs (14.2).
 */
#include <assert.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp/mrcp_internal.h"
#include "session/session_internal.h"
#include "sipspec/chart_dialog.h"
#include "sipspec/chart_uac_session.h"

/* The charts' actions as typed callbacks (generated from spec/uac_session.rl and
 * spec/uac_update.rl). */
#include "chart_uac_session_actions.h"

/* ---- small helpers ---------------------------------------------------------------------- */


void session_set_str(char **dst, const char *src) {
  char *c = src && *src ? strdup(src) : NULL; /* without memory: "" */
  free(*dst);
  *dst = c;
}

const char *session_reason_str(const sipspec_session *s) { return s->reason ? s->reason : ""; }

void session_reasonf(sipspec_session *s, const char *fmt, ...) {
  char buf[SESSION_REASON_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  session_set_str(&s->reason, buf);
}

void session_strf(char **dst, const char *fmt, ...) {
  char buf[SESSION_REASON_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  session_set_str(dst, buf);
}

void session_set_reason(sipspec_session *s, const char *fmt, const char *a) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  session_reasonf(s, fmt, a);
#pragma GCC diagnostic pop
}

void session_copy_span_z(char *dst, size_t cap, sipspec_span v) {
  size_t n = v.len < cap - 1 ? v.len : cap - 1;
  for (size_t i = 0; i < n; i++) dst[i] = (v.p[i] >= 0x20 && v.p[i] < 0x7f) ? v.p[i] : '?';
  dst[n] = '\0';
}

/* The status, reason phrase and Warning text of a final response into the session. */
void session_note_response(sipspec_session *s, const sipspec_msg *resp) {
  s->status = sipspec_msg_status(resp);
  char buf[SESSION_REASON_MAX];
  session_copy_span_z(buf, sizeof buf, sipspec_msg_reason(resp));
  session_set_str(&s->reason, buf);
  buf[0] = '\0';
  long i = sipspec_msg_find(resp, "Warning", 0);
  sipspec_header h;
  if (i >= 0 && sipspec_msg_header(resp, (size_t)i, &h) == SIPSPEC_OK) session_copy_span_z(buf, 160, h.value);
  session_set_str(&s->warning, buf);
}

sipspec_response_info session_info_of(const sipspec_session *s) {
  sipspec_response_info info = {s->status, session_reason_str(s), s->warning};
  return info;
}

/* The session is established: the INVITE's text, its offer (the negotiated copy is kept)
 * and the offer description are not needed any more. The Call-ID, tags, credentials and
 * target stay (another fork's 2xx is answered from them, 13.2.2.4). */
void session_drop_setup(sipspec_session *s) {
  session_setup_free(s);
}

/* A slot for a new client transaction. A keep-alive's OPTIONS that has its final response
 * only waits out Timer K (the layer absorbs retransmissions by itself): its slot is taken
 * back when none is free. A keep-alive never takes the last free slot, so a BYE can always
 * be sent (RFC 3261 15.1.1). */
static void session_act_send_invite(sipspec_session *s) {
  int rc = session_send_invite(s);
  if (rc) {
    session_set_reason(s, "cannot send the INVITE: %s", sipspec_strerror(rc));
    s->status = 0;
    if (s->setup && !s->setup->start_err) s->setup->start_err = rc;
    session_post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
  }
}

static void session_act_send_invite_with_credentials(sipspec_session *s) {
  s->cseq++; /* 22.2: a new request with the credentials, same Call-ID and From tag */
  session_act_send_invite(s);
}

/* SE_RETRY: RFC 4028 7.3, 7.4: after a 422 the INVITE again (CSeq + 1, same Call-ID, From
 * and To) asking for the 422's Min-SE, which the session timer now holds. */
static void session_act_send_invite_again(sipspec_session *s) {
  s->cseq++;
  session_act_send_invite(s);
}

/* ---- chart timers ----------------------------------------------------------------------- */

/* The charts' timers (the session's ANSWER, CANCEL, KEEPALIVE; the update's RETRY) run in
 * the chart timer layer on the user agent's clock, as a transaction's do. */
void session_rearm(sipspec_session *s) {
  host_timers_rearm(&s->timers);
  if (s->updx) host_timers_rearm(&s->updx->timers);
  host_timers_rearm(&s->st_timers);
}

int session_fire(void *owner, int event) {
  sipspec_session *s = owner;
  session_post(s, event, NULL);
  return sipspec_fsm_terminated(&s->fsm); /* finish() stopped every timer */
}

int session_fire_update(void *owner, int event) {
  sipspec_session *s = owner;
  session_update_post(s, event, NULL);
  return sipspec_fsm_terminated(&s->fsm); /* finish() stopped every timer */
}
/* ---- actions -------------------------------------------------------------------------------- */

/* Reported once: every chart transition that reports a failure ends in Terminated. */
void session_report_failed(sipspec_session *s, sipspec_result r) {
  s->result = r;
  s->ua->tel.sessionsFailed++;
  sipspec_response_info info = session_info_of(s);
  if (s->cbs->fn.on_failed) s->cbs->fn.on_failed(s, r, &info, s->user);
}

static void session_act_report_provisional(sipspec_session *s) {
  if (!s->cur_msg) return;
  if (s->dialog) sipspec_dialog_rx_invite_response(s->dialog, s->cur_msg); /* early dialog */
  int st = sipspec_msg_status(s->cur_msg);
  if (st == 100 || !s->cbs->fn.on_provisional) return;
  char reason[128];
  session_copy_span_z(reason, sizeof reason, sipspec_msg_reason(s->cur_msg));
  s->cbs->fn.on_provisional(s, st, reason, s->user);
}

/* The dialog ACKs a 2xx to our INVITE or re-INVITE (13.2.2.4). first: the 2xx that answers
 * the INVITE (the chart's send_ack, before Established), whose dialog the session takes. */
int session_ack_2xx(sipspec_session *s, const sipspec_msg *resp, int first) {
  if (!resp || !s->dialog) return SIPSPEC_OK;
  int rc = sipspec_dialog_rx_invite_response(s->dialog, resp);
  if (rc == SIPSPEC_E_DIALOG_MISMATCH && first) {
    /* 12.1.2 / 13.2.2.4: the 2xx comes from another fork than the early dialog's 1xx; the
     * session's dialog is the one this 2xx creates. */
    rc = session_new_dialog(s);
    if (!rc) rc = sipspec_dialog_rx_invite_response(s->dialog, resp);
  }
  return rc == SIPSPEC_E_FSM_IGNORED ? SIPSPEC_OK : rc;
}

static void session_act_send_ack(sipspec_session *s) {
  int rc = session_ack_2xx(s, s->cur_msg, 1);
  if (rc) session_set_reason(s, "cannot ACK the 2xx: %s", sipspec_strerror(rc));
}

/* Established__RX_2XX: a copy of the 2xx that established the session. */
static void session_act_ack_again(sipspec_session *s) {
  int rc = session_ack_2xx(s, s->cur_msg, 0);
  if (rc) session_set_reason(s, "cannot ACK the 2xx: %s", sipspec_strerror(rc));
}

/* The value of the o= line of an SDP text (RFC 8866 5.2), without its line end; empty when
 * it has none. */
static sipspec_span sdp_origin_value(sipspec_span sdp) {
  for (size_t i = 0; i + 2 <= sdp.len;) {
    size_t end = i;
    while (end < sdp.len && sdp.p[end] != '\n' && sdp.p[end] != '\r') end++;
    if (sdp.p[i] == 'o' && sdp.p[i + 1] == '=') return (sipspec_span){sdp.p + i + 2, end - i - 2};
    while (end < sdp.len && (sdp.p[end] == '\n' || sdp.p[end] == '\r')) end++;
    i = end;
  }
  return (sipspec_span){NULL, 0};
}

void session_keep_negotiated(sipspec_session *s, const char *local, size_t local_len, sipspec_span remote) {
  if (!s->mrcp) { /* opaque SDP: the text is all there is */
    char *l = malloc(local_len ? local_len : 1);
    if (l && local_len) memcpy(l, local, local_len);
    free(s->local_sdp);
    s->local_sdp = l;
    s->local_len = l ? local_len : 0;
  }
  sipspec_span o = sdp_origin_value(remote);
  char *r = o.len ? malloc(o.len + 1) : NULL;
  if (r) {
    memcpy(r, o.p, o.len);
    r[o.len] = '\0';
  }
  free(s->remote_o);
  s->remote_o = r;
}

const char *session_local_sdp(const sipspec_session *s, char *buf, size_t cap, size_t *len) {
  *len = 0;
  if (s->mrcp) return mrcp_session_local_sdp(s->mrcp, buf, cap, len) == SIPSPEC_OK ? buf : NULL;
  *len = s->local_sdp ? s->local_len : 0;
  return s->local_sdp;
}

static void session_act_report_answered(sipspec_session *s) {
  const sipspec_msg *m = s->cur_msg;
  if (!m) return;
  session_note_response(s, m);
  sipspec_span body = sipspec_msg_body(m);
  const sipspec_mrcp_answer *ans = NULL;
  if (s->mrcp) {
    sipspec_sdp_error e;
    memset(&e, 0, sizeof e);
    int rc = sipspec_mrcp_session_apply_answer(s->mrcp, body.p ? body.p : "", body.len, &e);
    if (rc) {
      session_reasonf(s, "the answer does not fit the offer: %s", sipspec_strerror(rc));
      session_post(s, SIPSPEC_EV_ANSWER_REFUSED, NULL); /* ACKed, now BYE (queued before any callback) */
      session_report_failed(s, SIPSPEC_RESULT_BAD_ANSWER);
      return;
    }
    ans = sipspec_mrcp_session_state(s->mrcp); /* read for on_answered */
  }
  session_keep_negotiated(s, s->setup ? s->setup->offer : NULL, s->setup ? s->setup->offer_len : 0, body);
  session_drop_setup(s);
  s->result = SIPSPEC_RESULT_OK;
  s->ua->tel.sessionsEstablished++;
  session_update_post(s, SIPSPEC_EV_TU_START, NULL); /* re-INVITEs may follow (14.1) */
  session_timer_feed(s, session_timer_classify_2xx(s, m), m); /* RFC 4028 7.2 */
  if (s->cbs->fn.on_answered) s->cbs->fn.on_answered(s, ans, body.p, body.len, s->user);
  session_answer_done(s);
}

/* The answer read for a callback is not kept (about 5 KB) unless the application asked for
 * it (sipspec_session_answer()): read again when it does. */
void session_answer_done(sipspec_session *s) {
  if (s->mrcp && !s->answer_asked) mrcp_session_drop_state(s->mrcp);
}

/* ---- failover (RFC 3263 4.3) ---- */

static void session_act_report_transport_error(sipspec_session *s);


/* Keeps the target aside for ms: its own entry, else the one that ends first. */
static void target_avoid(sipspec_ua *ua, const struct session_target *t, uint64_t ms) {
  size_t slot = 0;
  for (size_t i = 0; i < sizeof ua->avoided / sizeof ua->avoided[0]; i++) {
    if (ua->avoided[i].tp == t->tp && sipspec_sockaddr_equal(&ua->avoided[i].addr, &t->addr)) {
      slot = i;
      break;
    }
    if (ua->avoided[i].until < ua->avoided[slot].until) slot = i;
  }
  ua->avoided[slot].addr = t->addr;
  ua->avoided[slot].tp = t->tp;
  ua->avoided[slot].until = sipspec_clock_now_ms(ua->clock) + ms;
}

/* The INVITE failed on this target: a final response (noted), Timer B, or a transport error
 * (its reason set by tsx_on_transport_error). The target keeps why it was left. */
static void session_act_note_failure(sipspec_session *s) {
  if (s->setup) s->setup->fail_ev = s->cur_ev;
  if (s->cur_ev == SIPSPEC_EV_RX_300_699 && s->cur_msg) session_note_response(s, s->cur_msg);
  if (s->cur_ev == SIPSPEC_EV_TXN_TIMEOUT) {
    s->status = 0;
    session_set_reason(s, "%s", "no response to the INVITE (Timer B)");
  }
  if (s->target_i < s->ntargets) {
    struct session_target *t = &s->targets[s->target_i];
    if (s->cur_ev == SIPSPEC_EV_RX_300_699) snprintf(t->left, sizeof t->left, "%d %.80s", s->status, session_reason_str(s));
    else snprintf(t->left, sizeof t->left, "%.95s", session_reason_str(s));
    if (s->cur_ev != SIPSPEC_EV_RX_300_699 || s->status == 503) {
      long ra = s->cur_ev == SIPSPEC_EV_RX_300_699 && s->cur_msg ? sipspec_msg_retry_after(s->cur_msg) : -1;
      target_avoid(s->ua, t, ra > 0 && ra <= 86400 ? (uint64_t)ra * 1000u : UA_AVOID_MS); /* RFC 3261 20.33 */
    }
  }
}

/* RFC 3263 4.3: a 503, no response at all (Timer B) or a transport error sends the request
 * to the next target, if there is one; anything else, or no target left, is the end. */
static void session_act_failover_or_give_up(sipspec_session *s) {
  int fail_ev = s->setup ? s->setup->fail_ev : 0;
  int worth = (fail_ev == SIPSPEC_EV_RX_300_699 && s->status == 503) || fail_ev == SIPSPEC_EV_TXN_TIMEOUT ||
              fail_ev == SIPSPEC_EV_TRANSPORT_ERR;
  session_post(s, worth && s->target_i + 1 < s->ntargets ? SIPSPEC_EV_FAILOVER : SIPSPEC_EV_GIVE_UP, NULL);
}

/* The same INVITE (Call-ID, From tag, CSeq, body) to the next target: a new transaction with
 * a new branch, Via and Contact for the new transport and address (RFC 3263 4.3 para 3). */
static void session_act_send_invite_to_next_target(sipspec_session *s) {
  s->target_i++;
  s->kind = s->targets[s->target_i].tp;
  s->dest = ip_addr_put(&s->targets[s->target_i].addr);
  s->ua->tel.sipFailovers++;
  char ip[SIPSPEC_SOCKADDR_STRLEN];
  int rc = session_address(s, ip, sizeof ip);
  if (rc) {
    session_set_reason(s, "cannot send the INVITE: %s", sipspec_strerror(rc));
    s->status = 0;
    session_post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
    return;
  }
  session_act_send_invite(s);
}

/* No target left: the last failure is the session's. */
static void session_act_report_give_up(sipspec_session *s) {
  int fail_ev = s->setup ? s->setup->fail_ev : 0;
  if (fail_ev == SIPSPEC_EV_RX_300_699) session_report_failed(s, SIPSPEC_RESULT_REJECTED);
  else if (fail_ev == SIPSPEC_EV_TXN_TIMEOUT) session_report_failed(s, SIPSPEC_RESULT_TIMEOUT); /* reason noted */
  else session_act_report_transport_error(s);
}

/* 9.1: the CANCEL of the pending INVITE, built by its client transaction from the fields it
 * kept; no pending INVITE transaction, no CANCEL. */
static void session_act_send_cancel(sipspec_session *s) {
  sipspec_tsx *inv = NULL;
  for (const session_tsx *x = s->tsx; x; x = x->next)
    if (x->t && x->role == ST_INVITE) inv = x->t;
  if (!inv) return;
  size_t cap = strlen(s->ua->user_agent) + 16;
  char *hdr = malloc(cap);
  if (!hdr) return;
  sipspec_build b; /* RFC 3261 20.41 */
  sipspec_build_init(&b, hdr, cap - 1);
  sipspec_build_header(&b, sipspec_span_z("User-Agent"), sipspec_span_z(s->ua->user_agent));
  hdr[b.err ? 0 : b.len] = '\0';
  /* 9.1: the CANCEL goes where the INVITE went; its failure changes nothing (Timer CANCEL). */
  (void)session_start_cancel(s, inv, hdr);
  free(hdr);
}

/* Sends an in-dialog request through the dialog (which calls dlg_send_request back). */
int session_send_in_dialog(sipspec_session *s, session_req *p) {
  char *cred = NULL, *lines = NULL;
  int rc = p->cred ? SIPSPEC_OK
                   : session_digest_begin(s, p->method, sipspec_dialog_remote_target(s->dialog), p->body, p->body_len, &cred);
  if (rc) return rc;
  const char *auth = p->cred ? p->cred : cred;
  if (p->extra && *p->extra) { /* the extra lines, then the credentials */
    size_t n = strlen(p->extra) + (auth ? strlen(auth) : 0) + 1;
    if (!(lines = malloc(n))) {
      free(cred);
      return SIPSPEC_E_NOMEM;
    }
    snprintf(lines, n, "%s%s", p->extra, auth ? auth : "");
  }
  sipspec_dialog_req r = {p->method, lines ? lines : auth, p->body ? "application/sdp" : NULL, p->body,
                          p->body_len};
  p->rc = SIPSPEC_OK;
  session_req *saved = s->cur_req;
  s->cur_req = p;
  rc = sipspec_dialog_request(s->dialog, &r, NULL);
  s->cur_req = saved;
  free(cred);
  free(lines);
  return rc ? rc : p->rc;
}

int session_send_refresh(sipspec_session *s, const char *method, const char *body, size_t len, const char *extra,
                         const char *cred) {
  session_req p = {ST_REFRESH, method, body, len, SIPSPEC_OK, cred, extra};
  return s->dialog ? session_send_in_dialog(s, &p) : SIPSPEC_E_STATE;
}

static void session_act_send_bye(sipspec_session *s) {
  session_req p = {ST_BYE, "BYE", NULL, 0, 0, NULL, s->bye_extra};
  if (s->updx) sipspec_uas_2xx_stop(&s->updx->reinvite_2xx); /* the session ends: no more 2xx copies */
  s->bye_tried = 1;
  int rc = s->dialog ? session_send_in_dialog(s, &p) : SIPSPEC_E_STATE;
  if (rc) {
    s->status = 0;
    session_set_reason(s, "cannot send BYE: %s", sipspec_strerror(rc));
    session_post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
    return;
  }
  s->ua->tel.sipByeSent++;
}

static void session_act_send_in_dialog_request(sipspec_session *s) {
  session_req *p = s->next_req;
  if (!p || !s->dialog) return;
  p->rc = session_send_in_dialog(s, p);
}

/* Established__TIMER_KEEPALIVE: the OPTIONS of the keep-alive (its outcome: on_keepalive). */
static void session_act_send_keepalive(sipspec_session *s) {
  session_req p = {ST_OPTIONS, "OPTIONS", NULL, 0, SIPSPEC_OK, NULL, NULL};
  if (s->dialog) (void)session_send_in_dialog(s, &p);
}

static void session_act_answer_200(sipspec_session *s) {
  if (!s->cur_msg || !s->cur_srv) return;
  if (s->dialog && sipspec_dialog_rx_request(s->dialog, s->cur_msg) == SIPSPEC_OK)
    return; /* the dialog's answer_200 answered it */
  sipspec_tsx_respond(s->cur_srv, 200, NULL, NULL, NULL, 0);
}

/* The application ended the attempt (CancelPending, Cancelling). */
static void session_act_report_cancelled(sipspec_session *s) {
  if (s->cur_msg) session_note_response(s, s->cur_msg);
  else session_set_reason(s, "%s", "cancelled; no final response to the INVITE");
  session_report_failed(s, SIPSPEC_RESULT_CANCELLED);
}

/* The answer timer cancelled the attempt (AnswerTimedOut). */
static void session_act_report_answer_timeout(sipspec_session *s) {
  if (s->cur_msg) {
    session_note_response(s, s->cur_msg);
  } else {
    s->status = 0;
    session_set_reason(s, "%s", "no final response before the answer timer; cancelled");
  }
  session_report_failed(s, SIPSPEC_RESULT_TIMEOUT);
}

/* Idle__TU_END: ended while the target's name was being resolved; nothing was sent. */
static void session_act_stop_resolving(sipspec_session *s) {
  if (s->setup && s->setup->query) sipspec_resolve_cancel(s->ua->resolver, s->setup->query);
  if (s->setup) s->setup->query = NULL;
}
static void session_act_report_ended_early(sipspec_session *s) {
  session_set_reason(s, "%s", "ended before the INVITE was sent");
  session_report_failed(s, SIPSPEC_RESULT_CANCELLED);
}

/* The chart actions that have no function of their own above. */
static void session_act_report_auth_failed(sipspec_session *s) { session_report_failed(s, SIPSPEC_RESULT_AUTH_FAILED); }
/* Before the session is established (the chart has no transport error in Established). */
static void session_act_report_transport_error(sipspec_session *s) {
  session_report_failed(s, s->dns_failed ? SIPSPEC_RESULT_DNS_FAILED
                   : s->tls_failed ? SIPSPEC_RESULT_TLS_FAILED : SIPSPEC_RESULT_TRANSPORT_ERROR);
}
static void session_act_report_terminated_by_peer(sipspec_session *s) { s->end_by = SIPSPEC_END_PEER; }
/* Established__RX_481_408: the response to an in-dialog request ends the dialog (12.2.1.2). */
static void session_act_report_terminated(sipspec_session *s) {
  if (s->cur_msg) {
    session_note_response(s, s->cur_msg);
    if (s->dialog) sipspec_dialog_rx_request_response(s->dialog, sipspec_msg_status(s->cur_msg));
  }
  s->end_by = SIPSPEC_END_ERROR;
}
/* Established__REQ_TIMEOUT: no response at all to an in-dialog request (12.2.1.2). */
static void session_act_report_request_timeout(sipspec_session *s) {
  s->status = 0;
  session_set_reason(s, "%s", "no response to an in-dialog request");
  if (s->dialog) sipspec_dialog_txn_timeout(s->dialog);
  s->end_by = SIPSPEC_END_ERROR;
}
/* Established__TU_END: the application ends the session; how it ended is kept if already
 * said (an error). */
/* Established__SE_END: the session timer ends the session (RFC 4028 10); why is in reason. */
static void session_act_report_timer_end(sipspec_session *s) { s->end_by = SIPSPEC_END_ERROR; }
static void session_act_report_ended_locally(sipspec_session *s) {
  if (s->end_by == SIPSPEC_END_NONE) s->end_by = SIPSPEC_END_LOCAL;
}
/* Established__NO_ACK: 64*T1 and no ACK for our 2xx to the server's re-INVITE: the
 * session ends with BYE (13.3.1.4), reported as an error end. */
static void session_act_report_ack_timeout(sipspec_session *s) {
  s->status = 0;
  session_set_reason(s, "%s", "no ACK for our 2xx to the server's re-INVITE within 64*T1");
  s->end_by = SIPSPEC_END_ERROR;
}
static void session_act_report_bye_unanswered(sipspec_session *s) {
  s->status = 0;
  session_set_reason(s, "%s", "no response to BYE (Timer F)");
  s->ua->tel.sipByeAcksMissing++;
}

void session_on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_session *s = ctx;
  assert(chart == &sipspec_chart_uac_session);
  (void)chart;
  if (host_timers_apply(&s->timers, action)) return;
  sipspec_uac_session_dispatch(&sipspec_uac_session_impl, s, action);
}

/* ---- feeding ------------------------------------------------------------------------------- */

/* The session's chart has reached Terminated: stop everything, last callback, hand it to
 * the clock (buried). Runs once: session_post() calls it when a feed took the chart there. */
static void finish(sipspec_session *s) {
  /* Every way out of Terminating left the BYE's outcome in status and reason (its final
   * response, Timer F, a transport error, a BYE that could not be sent): kept apart, so
   * that the application can tell it from the INVITE's (sipspec_session_bye_status()). */
  s->bye_status = -1;
  session_set_str(&s->bye_reason, NULL);
  if (s->bye_tried) {
    s->bye_status = s->status;
    session_set_str(&s->bye_reason, s->reason);
  }
  session_update_post(s, SIPSPEC_EV_TU_END, NULL); /* 14.1: no re-INVITE once hung up */
  (void)sipspec_fsm_feed(&s->st, SIPSPEC_EV_TU_END); /* no refresh once hung up */
  host_timers_stop(&s->timers);
  if (s->updx) host_timers_stop(&s->updx->timers);
  host_timers_stop(&s->st_timers);
  if (s->updx) sipspec_uas_2xx_stop(&s->updx->reinvite_2xx);
  for (session_tsx *x = s->tsx; x; x = x->next) /* freed with the session (a callback of one may be running) */
    if (x->t) {
      sipspec_tsx_set_callbacks(x->t, NULL);
      x->t = NULL;
    }
  ua_session_bury(s->ua, s);
  if (s->cbs->fn.on_terminated) s->cbs->fn.on_terminated(s, s->end_by, s->user);
}

static int feed_one(sipspec_session *s, int ev, const sipspec_msg *msg) {
  s->cur_ev = ev;
  s->cur_msg = msg;
  int rc = sipspec_fsm_feed(&s->fsm, ev);
  s->cur_msg = NULL;
  return rc;
}

int session_post(sipspec_session *s, int ev, const sipspec_msg *msg) {
  if (sipspec_fsm_terminated(&s->fsm)) return SIPSPEC_E_FSM_TERMINATED;
  if (s->busy) {
    /* A message cannot outlive its receive call (the peer retransmits it). */
    if (msg || s->q_len == SESSION_QUEUE_MAX) return SIPSPEC_E_AGAIN;
    if (ev < 0 || ev > UCHAR_MAX) return SIPSPEC_E_INVAL; /* the queue keeps a byte (events are below 256) */
    s->q[(s->q_head + s->q_len++) % SESSION_QUEUE_MAX] = (unsigned char)ev;
    return SIPSPEC_OK;
  }
  s->busy = 1;
  int rc = feed_one(s, ev, msg);
  for (int guard = 0; s->q_len && guard < 4 * SESSION_QUEUE_MAX; guard++) {
    int e = s->q[s->q_head];
    s->q_head = (s->q_head + 1) % SESSION_QUEUE_MAX;
    s->q_len--;
    feed_one(s, e, NULL);
  }
  s->busy = 0;
  if (sipspec_fsm_terminated(&s->fsm)) finish(s); /* it was not at the top: once */
  else session_rearm(s);
  return rc;
}
/* Terminating__AUTH_RETRY: the BYE through the dialog again (CSeq + 1, a new branch) with
 * the credentials session_bye_challenged() got; a BYE that cannot be sent ends the session the way
 * a refused challenge does. */
static void session_act_send_bye_with_credentials(sipspec_session *s) {
  session_req p = {ST_BYE, "BYE", NULL, 0, SIPSPEC_OK, s->bye_auth, s->bye_extra};
  session_req *saved = s->cur_req;
  s->cur_req = &p;
  int rc = s->dialog && s->bye_auth ? sipspec_dialog_bye_again(s->dialog, s->bye_auth, NULL) : SIPSPEC_E_STATE;
  s->cur_req = saved;
  if (!rc) rc = p.rc;
  if (rc) {
    session_set_reason(s, "cannot send BYE with credentials: %s", sipspec_strerror(rc));
    session_post(s, SIPSPEC_EV_AUTH_FAILED, NULL);
    return;
  }
  s->ua->tel.sipByeSent++;
}
/* ---- from the user agent ------------------------------------------------------------------ */

int session_matches(const sipspec_session *s, const sipspec_msg *m, int is_request) {
  if (!s->dialog || sipspec_fsm_terminated(&s->fsm)) return 0;
  return is_request ? sipspec_dialog_match_request(s->dialog, m) : sipspec_dialog_match_response(s->dialog, m);
}

int session_matches_call(const sipspec_session *s, const sipspec_msg *resp) {
  sipspec_addr from;
  if (!s->dialog || sipspec_fsm_terminated(&s->fsm) || sipspec_msg_from(resp, &from) != SIPSPEC_OK) return 0;
  const sipspec_dialog_idref *id = sipspec_dialog_id_get(s->dialog);
  sipspec_span cid = sipspec_msg_call_id(resp);
  return cid.len == strlen(id->call_id) && !memcmp(cid.p, id->call_id, cid.len) &&
         from.tag.len == strlen(id->local_tag) && !memcmp(from.tag.p, id->local_tag, from.tag.len);
}

void session_stray_2xx(sipspec_session *s, const sipspec_msg *resp) {
  /* Established ACKs it again; Terminating ignores it; another fork's: end_fork */
  session_post(s, session_other_fork(s, resp) ? SIPSPEC_EV_RX_2XX_FORK : SIPSPEC_EV_RX_2XX, resp);
}

void session_rx_ack(sipspec_session *s, const sipspec_msg *ack) {
  if (s->dialog) (void)sipspec_dialog_rx_request(s->dialog, ack); /* Confirmed RX_ACK: dlg_on_request */
}

/* 64*T1 and no ACK for our 2xx to the server's re-INVITE: the dialog is confirmed, but the
 * session ends with BYE (13.3.1.4; the chart's Established__NO_ACK). */
void session_reinvite_2xx_give_up(sipspec_uas_2xx *r, void *user) {
  (void)r;
  session_update_post(user, SIPSPEC_EV_NO_ACK, NULL);
  session_post(user, SIPSPEC_EV_NO_ACK, NULL);
}

void session_rx_request(sipspec_session *s, sipspec_tsx *t, const sipspec_msg *req) {
  s->cur_srv = t;
  int rc;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_BYE) {
    rc = session_post(s, SIPSPEC_EV_RX_BYE, req);
    if (rc == SIPSPEC_E_FSM_IGNORED || rc == SIPSPEC_E_FSM_REFUSED)
      sipspec_tsx_respond(t, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0);
  } else {
    rc = sipspec_dialog_rx_request(s->dialog, req);
    if (rc && rc != SIPSPEC_E_DIALOG_CSEQ_ORDER)
      sipspec_tsx_respond(t, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0);
  }
  s->cur_srv = NULL;
}

static void session_act_end_fork(sipspec_session *s) { session_fork_end(s); }
