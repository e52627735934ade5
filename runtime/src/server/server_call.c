/* server/server_call.c: one call of the embedded server: an INVITE, its answer and the
 * dialog it forms (UAS side of RFC 3261 sections 12, 13.3, 14.2 and 15).
 *
 * The call's phases are the chart spec/uas_call.rl: received, ringing, cancelled, the 2xx
 * waiting for its ACK, established, our BYE on its way, over. This file turns what happens
 * (the progress timers, a CANCEL, the ACK, a BYE, a shutdown, 64*T1 without the ACK, the
 * next hop of our BYE) into the chart's events and implements its actions (call_act_<action>,
 * declared by the generated chart_uas_call_actions.h: the build fails when the chart names
 * an action that has none). It keeps no flag of its own for the phase: what an event does in
 * a phase, or that it does nothing, is the chart's. An event an action posts (the response
 * send_progress sent, the next hop being known at once) waits in a small queue and is fed
 * afterwards, so the machine is never re-entered.
 *
 * The dialog is a sipspec_dialog of session/dialog.h in the UAS role, the layer the MRCP
 * client's sessions use too: it is created from the INVITE (id, remote target from
 * Contact, route set from Record-Route, remote CSeq) and moved by the responses we send
 * (TU_1XX, TU_2XX, TU_300_699), by the requests that match it (RX_ACK, RX_BYE, RX_REQUEST
 * with its CSeq check, 500 for one out of order) and by TU_BYE, for which it builds our
 * BYE (Request-URI the remote target, Route from the route set, CSeq local+1). Its chart
 * is spec/dialog.rl. The call's actions feed it only in the phases where it exists.
 *
 * Timers: the chart's STEP (at once, after the callbacks on the stack: the first response,
 * the 487 after the 200 to a CANCEL), RING (ring_interval_ms between 180s and before the
 * final response) and BYE (bye_after_ms after the ACK; off when 0) run in the chart timer
 * layer, one ev_timer per call at the earliest due one. The 2xx to the INVITE and to each
 * re-INVITE is sent again until its ACK by session/uas_2xx (13.3.1.4: T1, 2T1, ... T2
 * apart, counted from the first copy), which takes over that transaction's callbacks; after
 * 64*T1 without the ACK its give_up callback is the chart's NO_ACK.
 *
 * A call whose chart reached Terminated is over (nothing finds it any more) and is freed by
 * the server's clock (buried) after the callbacks on the stack have returned.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server_internal.h"
#include "sipspec/chart_uas_call.h"

#include "chart_uas_call_actions.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static const char *call_id(const srv_call *c) { return sipspec_dialog_id_get(c->dlg)->call_id; }

/* The request c's chart is being fed with (none: both NULL). */
static const srv_call_cur *cur_of(const srv_call *c) {
  static const srv_call_cur none;
  return c->srv->cur ? c->srv->cur : &none;
}

static void detach_ist(srv_call *c) {
  if (c->ist) sipspec_tsx_set_callbacks(c->ist, NULL);
  c->ist = NULL;
}

int srv_call_over(const srv_call *c) { return sipspec_fsm_terminated(&c->fsm); }

static int post(srv_call *c, int ev, sipspec_tsx *t, const sipspec_msg *msg);

/* After our 2xx to the client's refresh: the chart hears who refreshes from now on. */
static void session_refreshed(srv_call *c) {
  c->srv->tel.sipSessionRefreshes++;
  (void)post(c, c->ext && c->ext->se_uas ? SIPSPEC_EV_RX_REFRESH_US : SIPSPEC_EV_RX_REFRESH_PEER, NULL, NULL);
}

/* Our answer as the call has it: the setup's, or the one sipspec_server_call_sdp() lent;
 * NULL when it keeps none (a held call: srv_call_answer_again()). */
static const char *answer_kept(const srv_call *c, size_t *len) {
  *len = 0;
  if (c->setup && c->setup->answer) return *len = c->setup->answer_len, c->setup->answer;
  if (c->ext && c->ext->answer) return *len = c->ext->answer_len, c->ext->answer;
  return NULL;
}

/* ---- the 2xx until the ACK (13.3.1.4) --------------------------------------------------- */

/* Answers INVITE (or re-INVITE) transaction t, whose request has CSeq cseq, with 200, the
 * extra header lines h (after our Server line) and the SDP answer (len bytes), and hands t to c->ok,
 * which sends the 200 again until its ACK. Returns what the first copy's send returned
 * (then nothing is pending and t keeps its callbacks) or SIPSPEC_E_NOMEM. */
static int send_2xx(srv_call *c, sipspec_tsx *t, uint32_t cseq, const char *h, const char *answer, size_t len) {
  sipspec_server *srv = c->srv;
  size_t sl = strlen(srv->server_line), hl = strlen(h);
  char *all = malloc(sl + hl + 1);
  if (!all) return SIPSPEC_E_NOMEM;
  memcpy(all, srv->server_line, sl); /* as srv_respond() writes it */
  memcpy(all + sl, h, hl + 1);
  int rc = sipspec_uas_2xx_send(&c->ok, t, cseq, srv->o.cfg.t1_ms, srv->o.cfg.t2_ms, 200, all, answer,
                                len); /* copies all and the answer */
  free(all);
  if (rc == SIPSPEC_OK && c->ist == t) c->ist = NULL; /* c->ok holds its callbacks now */
  return rc;
}

/* ---- requests inside the dialog (12.2.2, 14.2) ----------------------------------------- */

static void reinvite(srv_call *c, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_server *srv = c->srv;
  if (sipspec_uas_2xx_pending(&c->ok)) { /* 14.2: our previous INVITE exchange is not over */
    (void)srv_respond_retry(srv, t, 500, 1);
    return;
  }
  if (srv_call_interval_too_small(srv, t, req)) { /* RFC 4028 9: 422, the session as it was */
    srv_event(srv, SIPSPEC_SERVER_UPDATED, call_id(c), 422);
    return;
  }
  char *answer = NULL;
  size_t alen = 0;
  int status = srv_call_offer_check(srv, t, req);
  if (!status) status = srv_call_make_answer(c, t, req, &answer, &alen); /* 14.2: a refused re-offer leaves the session as it was */
  if (status) {
    srv_event(srv, SIPSPEC_SERVER_UPDATED, call_id(c), status);
    return;
  }
  int timed = srv_call_timer_grant(c, req, 0); /* RFC 4028 9: the 2xx's Session-Expires */
  char *h = srv_call_response_headers(c, req, 1); /* this re-INVITE's Record-Route */
  if (!h) {
    free(answer);
    (void)srv_respond_warning(srv, t, 500, NULL, "out of memory");
    return;
  }
  uint32_t cseq = sipspec_msg_cseq(req);
  int sent = send_2xx(c, t, cseq, h, answer, alen); /* c->ok copied h and the answer: sent again until the ACK */
  free(h);
  free(answer); /* written again when needed (srv_call_answer_again) */
  if (sent != SIPSPEC_OK) return;
  c->invite_cseq = cseq;
  if (timed) session_refreshed(c); /* RFC 4028 10: only a 2xx refreshes */
  srv_event(srv, SIPSPEC_SERVER_UPDATED, call_id(c), 200);
}

/* OPTIONS, UPDATE or a re-INVITE whose CSeq the dialog accepted, in server transaction t. */
static void answer_in_dialog(srv_call *c, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_server *srv = c->srv;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_UPDATE) {
    /* RFC 3311 5.2: an UPDATE without an offer refreshes the session (RFC 4028 10): 200 with
     * the session timer's lines; an offer in an UPDATE is not taken here (488). */
    if (sipspec_msg_body(req).len) {
      (void)srv_respond_warning(srv, t, 488, NULL, "an offer in UPDATE is not supported; use re-INVITE");
      return;
    }
    if (srv_call_interval_too_small(srv, t, req)) return; /* RFC 4028 9: 422 with our Min-SE */
    int timed = srv_call_timer_grant(c, req, 0);
    char h[200];
    sipspec_build b; /* RFC 4028 9: Require, Session-Expires; Allow */
    sipspec_build_init(&b, h, sizeof h - 1);
    srv_call_timer_lines(&b, c);
    sipspec_build_header(&b, sipspec_span_z("Allow"), sipspec_span_z(SRV_ALLOW));
    h[b.err ? 0 : b.len] = '\0';
    if (b.err) (void)srv_respond_warning(srv, t, 500, NULL, "the response's headers cannot be written");
    else if (srv_respond(srv, t, 200, NULL, h, NULL, 0) == SIPSPEC_OK && timed) session_refreshed(c);
    return;
  }
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_OPTIONS) {
    srv_answer_options(srv, t);
    return;
  }
  reinvite(c, t, req);
}

/* ---- what the dialog hands us (session/dialog.h callbacks) ------------------------------- */

/* pass_to_tu: the ACK of our 2xx (the chart's RX_ACK transition did what it means) or a
 * request whose CSeq passed, answered here. */
static void dlg_on_request(sipspec_dialog *d, const sipspec_msg *req, void *user) {
  srv_call *c = user;
  (void)d;
  if (sipspec_msg_method(req) != SIPSPEC_METHOD_ACK && cur_of(c)->tsx) answer_in_dialog(c, cur_of(c)->tsx, req);
}

/* answer_200 (a BYE: the bye_status and drop_bye knobs apply) and the 500 of a request out
 * of order (12.2.2, with a Warning saying which numbers). */
static void dlg_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *user) {
  srv_call *c = user;
  sipspec_server *srv = c->srv;
  if (!cur_of(c)->tsx) return;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_BYE && status == 200) {
    if (srv->o.drop_bye) { /* the client's Timer F runs out; the transaction waits forever */
      srv->dropped_live++;
      return;
    }
    (void)srv_respond(srv, cur_of(c)->tsx, srv->o.bye_status, srv->o.bye_status == 200 ? reason : NULL, NULL, NULL, 0);
    return;
  }
  if (status == 500) {
    char why[96];
    snprintf(why, sizeof why, "CSeq %u is lower than %u, the last one in this dialog", (unsigned)sipspec_msg_cseq(req),
             (unsigned)sipspec_dialog_remote_cseq(d));
    (void)srv_respond_warning_reason(srv, cur_of(c)->tsx, 500, reason, NULL, why);
    return;
  }
  (void)srv_respond(srv, cur_of(c)->tsx, status, reason, NULL, NULL, 0);
}

/* report_terminated: the dialog ended (the call's chart ends on the same event). */
static void dlg_on_terminated(sipspec_dialog *d, sipspec_dialog_end why, void *user) {
  srv_call *c = user;
  sipspec_server *srv = c->srv;
  (void)d, (void)why;
  if (srv->st.live_dialogs) srv->st.live_dialogs--;
  srv->st.ended++;
  srv_event(srv, SIPSPEC_SERVER_ENDED, call_id(c), c->ended_status);
}

/* ---- the chart's actions (spec/uas_call.rl) ---------------------------------------------- */

/* TU_START: the INVITE was accepted for an answer. */
static void call_act_report_invited(srv_call *c) {
  c->srv->tel.sessionsStarted++;
  srv_event(c->srv, SIPSPEC_SERVER_INVITED, call_id(c), c->setup ? c->setup->final_status : 500);
}

/* 13.3.1.1, 13.3.1.3, 13.3.1.4: the response the knobs plan for this step (ring_count 180s,
 * then final_status) goes out; the chart learns which one from the event posted. */
static void call_act_send_progress(srv_call *c) {
  sipspec_server *srv = c->srv;
  srv_call_setup *s = c->setup;
  if (!s) { /* the final response is out already */
    (void)post(c, SIPSPEC_EV_SEND_FAILED, NULL, NULL);
    return;
  }
  if (s->rings_sent < srv->o.ring_count) {
    char end = s->headers[s->ring_len]; /* the 180's lines: the first ring_len bytes */
    s->headers[s->ring_len] = '\0';
    int rc = c->ist ? srv_respond(srv, c->ist, 180, NULL, s->headers, NULL, 0) : SIPSPEC_E_STATE;
    s->headers[s->ring_len] = end;
    if (rc != SIPSPEC_OK) {
      (void)post(c, SIPSPEC_EV_SEND_FAILED, NULL, NULL);
      return;
    }
    s->rings_sent++;
    (void)post(c, SIPSPEC_EV_TU_1XX, NULL, NULL);
    return;
  }
  if (s->final_status >= 300) {
    c->ended_status = s->final_status; /* report_rejected reports it */
    if (c->ist) (void)srv_respond(srv, c->ist, s->final_status, NULL, NULL, NULL, 0);
    srv_call_drop_setup(c);
    (void)post(c, SIPSPEC_EV_TU_300_699, NULL, NULL);
    return;
  }
  size_t alen = 0;
  const char *answer = answer_kept(c, &alen);
  int rc = c->ist && answer ? send_2xx(c, c->ist, c->invite_cseq, s->headers, answer, alen) : SIPSPEC_E_STATE;
  srv_call_drop_setup(c); /* c->ok copied them: sent again with these until the ACK */
  (void)post(c, rc == SIPSPEC_OK ? SIPSPEC_EV_TU_2XX : SIPSPEC_EV_SEND_FAILED, NULL, NULL);
}

/* The dialog learns of the response we sent: the first 1xx or the 2xx forms it (12.1.1). */
static void call_act_dialog_180(srv_call *c) { (void)sipspec_dialog_tu_invite_response(c->dlg, 180); }
static void call_act_dialog_200(srv_call *c) { (void)sipspec_dialog_tu_invite_response(c->dlg, 200); }
static void call_act_count_dialog(srv_call *c) { c->srv->st.live_dialogs++; }

/* The early dialog ends with the final response sent (or, when none could be, a 500 as far
 * as the dialog is concerned); its report_terminated reports the end. */
static void call_act_end_early_dialog(srv_call *c) {
  (void)sipspec_dialog_tu_invite_response(c->dlg, c->ended_status >= 300 ? c->ended_status : 500);
}

static void call_act_dialog_transport_error(srv_call *c) { (void)sipspec_dialog_transport_error(c->dlg); }

/* A call that formed no dialog ends: the application hears it here. */
static void call_act_report_ended(srv_call *c) { srv_event(c->srv, SIPSPEC_SERVER_ENDED, call_id(c), c->ended_status); }

static void call_act_count_failed(srv_call *c) { c->srv->tel.sessionsFailed++; }

/* 13.3.1.3: reject_status went out (send_progress, which set ended_status to it). */
static void call_act_report_rejected(srv_call *c) {
  sipspec_server *srv = c->srv;
  srv->tel.sessionsFailed++;
  srv->st.refused++;
  srv_event(srv, SIPSPEC_SERVER_REFUSED, call_id(c), c->ended_status);
}

/* 9.2: the INVITE a CANCEL matched gets 487 (after the 200 to the CANCEL: the STEP timer). */
static void call_act_cancel_487(srv_call *c) {
  c->ended_status = 487;
  c->srv->tel.sessionsFailed++;
  if (c->ist) (void)srv_respond(c->srv, c->ist, 487, NULL, NULL, NULL, 0);
}

/* Shutdown: the INVITE still pending gets 503 (21.5.4) with a Retry-After. */
static void call_act_refuse_503(srv_call *c) {
  sipspec_server *srv = c->srv;
  c->ended_status = 503;
  srv->tel.sessionsFailed++;
  if (c->ist) (void)srv_respond_retry(srv, c->ist, 503, 5);
  srv->st.refused++;
  srv_event(srv, SIPSPEC_SERVER_REFUSED, call_id(c), 503);
}

/* 15.1.2: a BYE before any response with our tag went out matches no dialog. */
static void call_act_refuse_bye(srv_call *c) {
  c->srv->st.byes_received++;
  if (cur_of(c)->tsx) (void)srv_respond_warning(c->srv, cur_of(c)->tsx, 481, NULL, "the dialog does not exist yet");
}

/* 14.2: our final response to the INVITE is still pending. */
static void call_act_answer_500_retry(srv_call *c) {
  if (cur_of(c)->tsx) (void)srv_respond_retry(c->srv, cur_of(c)->tsx, 500, 1);
}

/* 15.1.2: the dialog answers the BYE (answer_200, through dlg_respond) and ends; the status
 * reported with ENDED is the one the knobs answer it with. */
static void call_act_answer_bye(srv_call *c) {
  sipspec_server *srv = c->srv;
  srv->st.byes_received++;
  c->ended_status = srv->o.drop_bye ? 0 : srv->o.bye_status;
  if (cur_of(c)->msg) (void)sipspec_dialog_rx_request(c->dlg, cur_of(c)->msg);
}

/* 15.1.2: "It is RECOMMENDED that a 487 (Request Terminated) response be generated to those
 * pending requests": the INVITE an early BYE leaves without its final response. */
static void call_act_respond_487(srv_call *c) {
  if (c->ist) (void)srv_respond(c->srv, c->ist, 487, NULL, NULL, NULL, 0);
}

/* 13.3.1.4: the ACK of the pending 2xx (c->ok stopped sending it). The offer stays: our
 * SDP, offered unchanged in a refresh re-INVITE (RFC 4028 9), is written again from it. */
static void call_act_pass_ack(srv_call *c) {
  if (cur_of(c)->msg) (void)sipspec_dialog_rx_request(c->dlg, cur_of(c)->msg); /* RX_ACK: pass_to_tu */
}

static void call_act_report_established(srv_call *c) {
  sipspec_server *srv = c->srv;
  srv->st.established++;
  srv->tel.sessionsEstablished++;
  srv_event(srv, SIPSPEC_SERVER_ESTABLISHED, call_id(c), 200);
}

/* 12.2.2: the dialog checks the CSeq (500 for one out of order, through dlg_respond) and
 * passes the request to dlg_on_request, which answers it. */
static void call_act_dialog_request(srv_call *c) {
  if (!cur_of(c)->msg || !cur_of(c)->tsx) return;
  int rc = sipspec_dialog_rx_request(c->dlg, cur_of(c)->msg);
  if (rc != SIPSPEC_OK && rc != SIPSPEC_E_DIALOG_CSEQ_ORDER)
    (void)srv_respond_retry(c->srv, cur_of(c)->tsx, 500, 1);
}

static void call_act_end_status_408(srv_call *c) { c->ended_status = 408; }

/* Established__TIMER_EXPIRE: the client did not refresh the session (RFC 4028 10); our BYE
 * says why (RFC 3326). */
static void call_act_count_expired(srv_call *c) {
  c->srv->tel.sipSessionExpired++;
  srv_call_bye_reason(c, 408, "Session timer expired");
}

/* WaitAck__RX_ACK: the INVITE's 2xx granted a session timer (RFC 4028 9): the chart hears
 * who refreshes, as after any 2xx to a session refresh request. */
static void call_act_start_session_timer(srv_call *c) {
  if (c->ext && c->ext->se_interval)
    (void)post(c, c->ext->se_uas ? SIPSPEC_EV_RX_REFRESH_US : SIPSPEC_EV_RX_REFRESH_PEER, NULL, NULL);
}

/* The interval granted last, or (none granted) our Min-SE. */
static unsigned interval(const srv_call *c) {
  return c->ext && c->ext->se_interval ? c->ext->se_interval : srv_call_min_se(c->srv);
}

/* The interval last granted gives REFRESH (half of it, 9) and EXPIRE (SE - min(32 s,
 * SE/3), 10), counted from now: the 2xx to the last session refresh request. */
static void call_act_take_interval(srv_call *c) {
  unsigned se = interval(c);
  unsigned before = se / 3 < 32 ? se / 3 : 32;
  (void)host_timers_set(&c->timers, SIPSPEC_EV_TIMER_REFRESH, se * 500u);
  (void)host_timers_set(&c->timers, SIPSPEC_EV_TIMER_EXPIRE, (se - before) * 1000u);
  if (c->ext) c->ext->se_since_ms = sipspec_clock_now_ms(c->srv->clock);
}

/* SE_NONE: the client's 2xx to our refresh has no Session-Expires (7.2): no expiration. */
static void call_act_drop_interval(srv_call *c) {
  if (c->ext) c->ext->se_interval = 0;
}

static void call_act_count_refresh(srv_call *c) { c->srv->tel.sipSessionRefreshes++; }

/* RX_300_699 to our refresh (10): the expiration has not moved; the BYE goes before it, at
 * the time the last 2xx set (at least 1 ms from now). */
static void call_act_keep_expiration(srv_call *c) {
  unsigned se = interval(c);
  unsigned before = se / 3 < 32 ? se / 3 : 32;
  uint64_t at = (c->ext ? c->ext->se_since_ms : 0) + (uint64_t)(se - before) * 1000u, now = sipspec_clock_now_ms(c->srv->clock);
  uint64_t ms = at > now ? at - now : 1;
  (void)host_timers_set(&c->timers, SIPSPEC_EV_TIMER_EXPIRE, ms > 86400000u ? 86400000u : (unsigned)ms);
}

/* TIMER_REFRESH: our refresh (9, 10; 7.4 from our side): UPDATE without an offer when the
 * client's Allow lists UPDATE (RFC 3311 5.1), else a re-INVITE with our SDP as it is (the
 * last answer, the same o= version: RFC 3264 8, "has not changed"); Session-Expires the
 * interval with refresher=uac (we are the UAC of the refresh), Min-SE ours. Nothing went
 * out: NOT_SENT. */
static void call_act_send_refresh(srv_call *c) {
  sipspec_server *srv = c->srv;
  srv_call_ext *x = c->ext;
  if (!x) { /* no session timer: none to refresh */
    (void)post(c, SIPSPEC_EV_NOT_SENT, NULL, NULL);
    return;
  }
  char hdrs[160], via[SIPSPEC_SOCKADDR_STRLEN + 32];
  unsigned min_se = srv_call_min_se(srv) > x->se_min ? srv_call_min_se(srv) : x->se_min;
  sipspec_build b; /* RFC 4028 7.4 (from our side), 4, 5 */
  sipspec_build_init(&b, hdrs, sizeof hdrs - 1);
  sipspec_build_header(&b, sipspec_span_z("Supported"), sipspec_span_z("timer"));
  sipspec_build_session_expires(&b, x->se_interval > min_se ? x->se_interval : min_se, 'c');
  sipspec_build_uint(&b, sipspec_span_z("Min-SE"), min_se);
  hdrs[b.err ? 0 : b.len] = '\0';
  srv_call_detach_refresh(c); /* a refresh whose final response came: its transaction is ours no more */
  srv_route_refresh(c);
  sipspec_dialog_req r = {0};
  r.headers = hdrs;
  r.method = x->peer_update ? "UPDATE" : "INVITE";
  char *again = NULL; /* our answer written again when it is not kept */
  if (!x->peer_update) {
    r.content_type = "application/sdp";
    if (!(r.body = answer_kept(c, &r.body_len))) r.body = again = srv_call_answer_again(c, &r.body_len);
  }
  uint32_t cseq = 0;
  sipspec_sockaddr dest = ip_addr_get(&x->req_dest);
  int rc = x->peer_update || r.body ? srv_route_via(srv, (sipspec_tp_kind)x->req_kind, &dest, via, sizeof via)
                                    : SIPSPEC_E_STATE;
  if (!rc) rc = sipspec_dialog_set_via(c->dlg, via);
  if (!rc) rc = sipspec_dialog_request(c->dlg, &r, &cseq); /* dlg_send_request starts refresh_tsx */
  free(again); /* the transaction wrote its text */
  if (rc || !x->refresh_tsx) {
    x->refresh_status = 0;
    (void)post(c, SIPSPEC_EV_NOT_SENT, NULL, NULL);
    return;
  }
  x->refresh_cseq = cseq;
}

/* Our refresh failed (10: 408, 481, no response, not sent): the session ends with BYE,
 * which says why (RFC 3326). */
static void call_act_refresh_failed(srv_call *c) {
  c->ended_status = 408;
  int st = c->ext ? c->ext->refresh_status : 0;
  srv_call_bye_reason(c, st >= 300 ? (unsigned)st : 408u, "Session refresh failed");
}

/* Our BYE: its next hop first (server_route.c), then ROUTE_READY. */
static void call_act_route_bye(srv_call *c) { srv_route_next_hop(c); }

/* 15.1.1: the dialog builds our BYE (TU_BYE: send_bye through dlg_send_request, and
 * report_terminated). */
static void call_act_send_bye(srv_call *c) {
  sipspec_server *srv = c->srv;
  char via[SIPSPEC_SOCKADDR_STRLEN + 32];
  sipspec_dialog_req r = {0};
  srv_call_ext *x = c->ext; /* srv_route_next_hop set it up */
  r.method = "BYE";
  r.headers = x ? x->bye_extra : NULL; /* a Reason (RFC 3326), or none */
  sipspec_sockaddr dest = x ? ip_addr_get(&x->bye_dest) : ip_addr_get(&c->peer);
  int rc = x ? srv_route_via(srv, (sipspec_tp_kind)x->bye_kind, &dest, via, sizeof via) : SIPSPEC_E_NOMEM;
  if (!rc) rc = sipspec_dialog_set_via(c->dlg, via);
  if (!rc) rc = sipspec_dialog_request(c->dlg, &r, NULL);
  if (rc) {
    /* Not even built (no memory, no transport): a BYE without any response (12.2.1.2,
     * 15.1.1), the dialog ends all the same. */
    srv->tel.sipByeAcksMissing++;
    (void)sipspec_dialog_txn_timeout(c->dlg);
  }
}

/* ---- the chart: timers and feeding ------------------------------------------------------ */

static void rearm(srv_call *c) {
  if (srv_call_over(c)) host_timers_stop(&c->timers);
  else host_timers_rearm(&c->timers);
}

/* A chart timer is due (host_timers, earliest first). */
static int fire(void *owner, int event) {
  srv_call *c = owner;
  (void)post(c, event, NULL, NULL);
  return srv_call_over(c); /* finish() stopped its timers; the clock frees it later */
}

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  srv_call *c = ctx;
  assert(chart == &sipspec_chart_uas_call);
  (void)chart;
  if (host_timers_apply(&c->timers, action)) return;
  sipspec_uas_call_dispatch(&sipspec_uas_call_impl, c, action);
}

/* Everything that runs while the call lives stops; the clock frees it after the callbacks.
 * A call that ends with no final response sent (one could not be) answers its INVITE 500: a
 * transport error leaves the server transaction where it was (RFC 6026 8.8), and only a final
 * response ends it (Completed, then Timer H). The transaction's chart refuses the 500 when a
 * final response went out after all. */
static void finish(srv_call *c) {
  if (c->ist && sipspec_tsx_last_status(c->ist) < 200) (void)srv_respond(c->srv, c->ist, 500, NULL, NULL, NULL, 0);
  host_timers_stop(&c->timers);
  srv_call_detach_refresh(c);
  sipspec_uas_2xx_stop(&c->ok);
  detach_ist(c);
  srv_route_cancel(c);
  srv_call_bury(c);
}

/* Feeds ev (with the request msg in server transaction t, or none) to the call's chart, then
 * the events its actions posted. Posted while the chart is busy: queued (a request cannot
 * outlive its receive call: refused then). */

_Static_assert(SIPSPEC_EV__COUNT <= 256, "a call's queue keeps events in bytes");

static int post(srv_call *c, int ev, sipspec_tsx *t, const sipspec_msg *msg) {
  if (srv_call_over(c)) return SIPSPEC_E_FSM_TERMINATED;
  if (c->busy) {
    if (msg || c->q_len == SRV_CALL_QUEUE_MAX) return SIPSPEC_E_AGAIN;
    c->q[(c->q_head + c->q_len++) % SRV_CALL_QUEUE_MAX] = (uint8_t)ev;
    return SIPSPEC_OK;
  }
  c->busy = 1;
  srv_call_cur cur = {t, msg};
  const srv_call_cur *outer = c->srv->cur; /* another call's feed further down the stack */
  c->srv->cur = &cur;
  int rc = sipspec_fsm_feed(&c->fsm, ev);
  c->srv->cur = NULL;
  for (int guard = 0; c->q_len && guard < 4 * SRV_CALL_QUEUE_MAX; guard++) {
    int e = c->q[c->q_head];
    c->q_head = (unsigned char)((c->q_head + 1) % SRV_CALL_QUEUE_MAX);
    c->q_len--;
    (void)sipspec_fsm_feed(&c->fsm, e);
  }
  c->busy = 0;
  c->srv->cur = outer;
  if (srv_call_over(c)) finish(c);
  else rearm(c);
  return rc;
}

void srv_call_post_event(srv_call *c, int ev) { (void)post(c, ev, NULL, NULL); }

/* ---- the 2xx without its ACK, the INVITE's transaction ----------------------------------- */

/* 64*T1 without the ACK (c->ok has stopped). */
static void ok_give_up(sipspec_uas_2xx *r, void *user) {
  (void)r;
  (void)post(user, SIPSPEC_EV_NO_ACK, NULL, NULL);
}

static void ist_terminated(sipspec_tsx *t, void *user) {
  srv_call *c = user;
  if (c->ist == t) c->ist = NULL;
}

/* 17.2.4: the response could not be delivered; a call still waiting for its final response
 * cannot go on. */
static void ist_transport_error(sipspec_tsx *t, int code, void *user) {
  srv_call *c = user;
  (void)code;
  if (c->ist == t) (void)post(c, SIPSPEC_EV_TRANSPORT_ERR, NULL, NULL);
}

static void watch_ist(srv_call *c, sipspec_tsx *t) {
  detach_ist(c);
  c->ist = t;
  sipspec_tsx_callbacks cb = {0};
  cb.on_terminated = ist_terminated;
  cb.on_transport_error = ist_transport_error;
  cb.user = c;
  sipspec_tsx_set_callbacks(t, &cb);
}

/* ---- the initial INVITE ---------------------------------------------------------------- */

void srv_call_free(srv_call *c) {
  if (!c) return;
  host_timers_release(&c->timers);
  srv_call_detach_refresh(c);
  sipspec_uas_2xx_stop(&c->ok);
  detach_ist(c);
  srv_route_cancel(c);
  if (!sipspec_clock_buried(&c->grave)) srv_rtp_release(c->srv, c); /* never linked, or the server's end */
  sipspec_dialog_destroy(c->dlg);
  srv_call_drop_setup(c);
  if (c->ext) {
    free(c->ext->bye_extra);
    free(c->ext->answer);
    free(c->ext->offer);
  }
  free(c->ext);
  free(c);
}

static int hex_value(char h) {
  return h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
}

/* The call and its dialog for INVITE req answered in transaction t. NULL with *status the
 * status to refuse the INVITE with (400 when no dialog can be formed from it, 500). */
static srv_call *call_new(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req, int *status,
                          char *why, size_t whylen) {
  /* room for the INVITE's offer (srv_call_make_answer keeps it) in the same allocation */
  size_t body = sipspec_msg_body(req).len, room = body < UINT16_MAX ? body + 1 : 0;
  srv_call *c = calloc(1, offsetof(srv_call, offer_buf) + room);
  *status = 500;
  snprintf(why, whylen, "out of memory");
  if (!c) return NULL;
  c->offer_room = (uint16_t)room;
  c->srv = srv;
  sipspec_uas_2xx_init(&c->ok, srv->clock, ok_give_up, c);
  if (srv_call_kind_init(srv, fire) != SIPSPEC_OK) {
    free(c);
    return NULL;
  }
  host_timers_init(&c->timers, &srv->call_kind, c);
  sipspec_fsm_init(&c->fsm, &sipspec_chart_uas_call, on_action, c);
  c->kind = (uint8_t)sipspec_tsx_transport(t)->type->kind;
  sipspec_sockaddr peer = sipspec_tsx_peer(t);
  c->peer = ip_addr_put(&peer);
  c->behind_nat = (uint8_t)srv_route_behind_nat(req, &peer);
  c->invite_cseq = sipspec_msg_cseq(req);
  /* What our requests in the dialog carry: a Via toward the client's flow (replaced when
   * the BYE goes elsewhere), our Contact, our User-Agent. */
  char via[SRV_VIA_MAX];
  int rc = srv_route_via(srv, (sipspec_tp_kind)c->kind, &peer, via, sizeof via);
  if (!rc) {
    /* The Via, the Contact and the User-Agent line are the server's, shared by its dialogs
     * (kept by the server); a Via from another local address than the first call's (a
     * server bound to a wildcard address) makes the dialog copy its strings. */
    unsigned k = c->kind < 3 ? c->kind : 0;
    sipspec_dialog_local *shared = &srv->local[k];
    if (!srv->via[k][0]) {
      memcpy(srv->via[k], via, sizeof via);
      *shared = (sipspec_dialog_local){srv->via[k], srv_call_shared_contact(c), srv->ua_line};
    }
    sipspec_dialog_local own = {via, shared->contact, shared->headers};
    static const sipspec_dialog_callbacks shared_cb = {srv_call_dlg_send_ack, srv_call_dlg_send_request, dlg_respond,
                                                       dlg_on_request, dlg_on_terminated, NULL};
    sipspec_dialog_callbacks cb = shared_cb;
    cb.user = c;
    rc = !strcmp(shared->via, via)
             ? sipspec_dialog_create_uas_shared(req, sipspec_tsx_to_tag(t), shared, &shared_cb, c, &c->dlg)
             : sipspec_dialog_create_uas(req, sipspec_tsx_to_tag(t), &own, &cb, &c->dlg);
  }
  if (!rc && !srv->mrcp_session_id) { /* 32 hex digits, kept as the 16 bytes they write */
    char hex[33];
    rc = sipspec_digest_cnonce(hex);
    for (int i = 0; !rc && i < 16; i++) {
      int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
      if (hi < 0 || lo < 0) rc = SIPSPEC_E_INVAL;
      else c->session_id[i] = (uint8_t)(hi << 4 | lo);
    }
  }
  if (rc) {
    if (rc == SIPSPEC_E_DIALOG_BAD_MESSAGE || rc == SIPSPEC_E_RANGE) {
      /* 8.1.1.8: an INVITE needs a Contact; 12.1.1: the id and the route set must be kept. */
      *status = 400;
      snprintf(why, whylen, "no dialog can be formed from this INVITE: %s (%s)",
               rc == SIPSPEC_E_RANGE ? "Call-ID, tag or Record-Route list too long" : "no usable Contact or From tag",
               sipspec_errname(rc));
    }
    srv_call_free(c);
    return NULL;
  }
  return c;
}

void srv_call_invite(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  if (srv_call_interval_too_small(srv, t, req)) { /* RFC 4028 9: 422 with our Min-SE */
    srv_refused(srv, req, 422);
    return;
  }
  int status = srv_call_offer_check(srv, t, req);
  if (status) {
    srv_refused(srv, req, status);
    return;
  }
  char why[160];
  srv_call *c = call_new(srv, t, req, &status, why, sizeof why);
  if (!c) {
    (void)srv_respond_warning(srv, t, status, NULL, why);
    srv_refused(srv, req, status);
    return;
  }
  char *answer = NULL;
  size_t alen = 0;
  status = srv_call_make_answer(c, t, req, &answer, &alen);
  if (!status) {
    (void)srv_call_timer_grant(c, req, 1);
    if (!(c->setup = srv_call_setup_new(c, req))) {
      free(answer);
      status = 500;
      (void)srv_respond_warning(srv, t, 500, NULL, "out of memory");
    } else {
      c->setup->answer = answer; /* until the 2xx is out */
      c->setup->answer_len = (uint32_t)alen;
    }
  }
  if (status) {
    srv_refused(srv, req, status);
    srv_call_free(c);
    return;
  }
  srv->n_calls++;
  sipspec_span cid = sipspec_msg_call_id(req);
  c->hash = srv_call_id_hash(cid.p, cid.len);
  c->hnext = srv->by_call_id[c->hash % SRV_CALL_BUCKETS];
  srv->by_call_id[c->hash % SRV_CALL_BUCKETS] = c;
  watch_ist(c, t);
  srv->accepted++;
  int reject = srv->o.reject_status && (srv->o.reject_every <= 1 || srv->accepted % srv->o.reject_every == 0);
  c->setup->final_status = (int16_t)(reject ? srv->o.reject_status : 200);
  (void)post(c, SIPSPEC_EV_TU_START, NULL, NULL); /* report_invited, the first step at once */
}

/* ---- finding calls ---------------------------------------------------------------------- */

srv_call *srv_call_find(sipspec_server *srv, const sipspec_msg *req) {
  sipspec_span cid = sipspec_msg_call_id(req);
  uint32_t h = srv_call_id_hash(cid.p, cid.len);
  for (srv_call *c = srv->by_call_id[h % SRV_CALL_BUCKETS]; c; c = c->hnext)
    if (c->hash == h && sipspec_dialog_match_request(c->dlg, req)) return c; /* 12.2.2 */
  return NULL;
}

srv_call *srv_call_find_merged(sipspec_server *srv, const sipspec_msg *req) {
  sipspec_dialog_id id;
  if (sipspec_dialog_id_of_msg(req, &id) != SIPSPEC_OK) return NULL;
  uint32_t cseq = sipspec_msg_cseq(req);
  uint32_t h = srv_call_id_hash(id.call_id, strlen(id.call_id));
  for (srv_call *c = srv->by_call_id[h % SRV_CALL_BUCKETS]; c; c = c->hnext) {
    const sipspec_dialog_idref *cid = sipspec_dialog_id_get(c->dlg);
    if (c->hash != h) continue;
    if (!strcmp(id.call_id, cid->call_id) && !strcmp(id.remote_tag, cid->remote_tag) &&
        c->invite_cseq == cseq)
      return c;
  }
  return NULL;
}

srv_call *srv_call_of_ist(sipspec_server *srv, const sipspec_tsx *ist) {
  for (srv_call *c = srv_calls_next(srv, NULL); c; c = srv_calls_next(srv, c))
    if (c->ist == ist) return c;
  return NULL;
}

/* ---- what happens to a call: the chart's events ------------------------------------------ */

/* CANCEL for the INVITE (9.2): 487 unless its final response went out (the chart ignores
 * RX_CANCEL then: "the CANCEL request has no effect"). */
void srv_call_cancel(srv_call *c) { (void)post(c, SIPSPEC_EV_RX_CANCEL, NULL, NULL); }

void srv_call_ack(sipspec_server *srv, const sipspec_msg *ack) {
  srv_call *c = srv_call_find(srv, ack);
  /* 13.2.2.4: only the ACK with the CSeq of the 2xx pending stops it; 17: ACKs get no response */
  if (!c || !sipspec_uas_2xx_ack(&c->ok, ack)) return;
  (void)post(c, SIPSPEC_EV_RX_ACK, NULL, ack);
}

void srv_call_request(srv_call *c, sipspec_tsx *t, const sipspec_msg *req) {
  int m = sipspec_msg_method(req);
  /* RFC 4028 10: an UPDATE or re-INVITE of the client may refresh the session */
  (void)post(c, m == SIPSPEC_METHOD_BYE ? SIPSPEC_EV_RX_BYE
                : m == SIPSPEC_METHOD_UPDATE || m == SIPSPEC_METHOD_INVITE ? SIPSPEC_EV_RX_REFRESH
                                                                            : SIPSPEC_EV_RX_REQUEST,
             t, req);
}

/* Shutdown: 503 to an INVITE still pending, BYE for an established call (after the ACK of
 * its 2xx, 15). */
void srv_call_shutdown(srv_call *c) { (void)post(c, SIPSPEC_EV_TU_END, NULL, NULL); }

void srv_call_route_ready(srv_call *c) { (void)post(c, SIPSPEC_EV_ROUTE_READY, NULL, NULL); }
