/* session/session_update.c: the update chart (spec/uac_update.rl): our re-INVITEs that
 * add or remove MRCP resources (RFC 6787 4.2), and the server's re-INVITE and UPDATE (a
 * session refresh, RFC 3264 8, RFC 3311, RFC 4028 10) answered as the chart says. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sdp/mrcp_internal.h"
#include "session/session_internal.h"
#include <assert.h>

#include <openssl/rand.h>

#include "sipspec/chart_uac_update.h"
#include "chart_uac_update_actions.h"

/* ---- the update chart (spec/uac_update.rl): our re-INVITEs ------------------------------ */

void session_update_on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_session *s = ctx;
  assert(chart == &sipspec_chart_uac_update);
  (void)chart;
  if (host_timers_apply(&s->updx->timers, action)) return;
  sipspec_uac_update_dispatch(&sipspec_uac_update_impl, s, action);
}

int session_upd_ensure(sipspec_session *s) {
  if (s->updx) return SIPSPEC_OK;
  if (!(s->updx = calloc(1, sizeof *s->updx))) return SIPSPEC_E_NOMEM;
  host_timers_init(&s->updx->timers, &s->ua->k_update, s);
  sipspec_uas_2xx_init(&s->updx->reinvite_2xx, s->ua->clock, session_reinvite_2xx_give_up, s);
  sipspec_fsm_init(&s->updx->fsm, &sipspec_chart_uac_update, session_update_on_action, s);
  if (s->upd_started) (void)sipspec_fsm_feed(&s->updx->fsm, SIPSPEC_EV_TU_START);
  return SIPSPEC_OK;
}

void session_upd_free(sipspec_session *s) {
  if (!s->updx) return;
  host_timers_release(&s->updx->timers);
  sipspec_uas_2xx_stop(&s->updx->reinvite_2xx);
  free(s->updx->body);
  free(s->updx);
  s->updx = NULL;
}

/* Feeds the update chart one event (its actions never feed it again). A send that failed
 * inside the transition (upd_rc) is fed after it as NOT_SENT. Returns the feed's result. */
int session_update_post(sipspec_session *s, int ev, const sipspec_msg *msg) {
  /* The chart is allocated when first fed something else than its start (Idle -> Ready)
   * and end, which have no actions: a session that never re-INVITEs and is never refreshed
   * keeps only that it started (upd_started). */
  if (!s->updx) {
    if (ev == SIPSPEC_EV_TU_END) return SIPSPEC_OK;
    if (ev == SIPSPEC_EV_TU_START && !s->upd_started) {
      s->upd_started = 1;
      return SIPSPEC_OK;
    }
    int rc = session_upd_ensure(s);
    if (rc) return rc;
  }
  const sipspec_msg *saved = s->updx->msg;
  s->updx->msg = msg;
  s->updx->rc = SIPSPEC_OK;
  int rc = sipspec_fsm_feed(&s->updx->fsm, ev);
  s->updx->msg = NULL;
  if (!rc && s->updx->rc) (void)sipspec_fsm_feed(&s->updx->fsm, SIPSPEC_EV_NOT_SENT);
  s->updx->msg = saved;
  if (!sipspec_fsm_terminated(&s->fsm)) session_rearm(s);
  return rc;
}

/* Ready__TU_REQUEST: the change the application asked for (change_res, change_add) as a new
 * offer in a re-INVITE (RFC 6787 4.2). Nothing sent: the change is forgotten and why is in
 * upd_rc, which the API call returns. */
static void update_act_send_offer(sipspec_session *s) {
  int rc = s->mrcp ? SIPSPEC_OK : SIPSPEC_E_INVAL;
  if (!rc)
    rc = s->updx->change_add ? sipspec_mrcp_session_add(s->mrcp, s->updx->change_res)
                       : sipspec_mrcp_session_remove(s->mrcp, s->updx->change_res);
  if (rc) {
    s->updx->rc = rc;
    return;
  }
  char tmp[8192];
  size_t len = 0;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  rc = sipspec_mrcp_session_offer(s->mrcp, tmp, sizeof tmp, &len, &e);
  if (!rc) {
    free(s->updx->body);
    s->updx->body_len = 0;
    if (!(s->updx->body = malloc(len ? len : 1))) rc = SIPSPEC_E_NOMEM;
  }
  if (!rc) {
    memcpy(s->updx->body, tmp, len);
    s->updx->body_len = len;
    rc = session_in_dialog_cred(s, ST_REINVITE, "INVITE", s->updx->body, s->updx->body_len, NULL);
  }
  if (rc) {
    sipspec_mrcp_session_offer_refused(s->mrcp); /* nothing was sent: forget the change */
    s->updx->rc = rc;
  }
}

/* AUTH_RETRY: the same offer again with the credentials (22.2: CSeq + 1 through the dialog,
 * a new branch). Not sent: the update has failed with the challenge's status. */
static void update_act_send_offer_with_credentials(sipspec_session *s) {
  int rc = session_in_dialog_cred(s, ST_REINVITE, "INVITE", s->updx->body, s->updx->body_len, s->updx->cred);
  if (rc) {
    session_reinvite_done(s, s->updx->msg, NULL);
    s->updx->rc = rc;
  }
}

/* Retrying__TIMER_RETRY: the same offer once more after the 491's wait (14.1). */
static void update_act_send_offer_again(sipspec_session *s) {
  int rc = session_in_dialog_cred(s, ST_REINVITE, "INVITE", s->updx->body, s->updx->body_len, NULL);
  if (rc) {
    session_reinvite_done(s, NULL, "cannot send the re-INVITE again after 491");
    s->updx->rc = rc;
  }
}

/* Offering__RX_491: 14.1, we own the Call-ID: a random wait of 2.1 to 4 s in 10 ms units,
 * given to the RETRY timer that the transition starts next. */
static void update_act_choose_retry_wait(sipspec_session *s) {
  unsigned char r[2] = {0, 0};
  (void)RAND_bytes(r, 2);
  unsigned steps = ((unsigned)r[0] << 8 | r[1]) % 191u; /* 0 .. 190 */
  (void)host_timers_set(&s->updx->timers, SIPSPEC_EV_TIMER_RETRY, 2100u + 10u * steps);
}

static void update_act_send_ack(sipspec_session *s) { (void)session_ack_2xx(s, s->updx->msg, 0); }
static void update_act_report_updated(sipspec_session *s) { session_reinvite_done(s, s->updx->msg, NULL); }
static void update_act_report_refused(sipspec_session *s) { session_reinvite_done(s, s->updx->msg, NULL); }
static void update_act_report_unanswered(sipspec_session *s) { session_reinvite_done(s, NULL, NULL); }
/* The re-INVITE's outcome to the application: resp (a final response), or none (why, or
 * "no response"). */
void session_reinvite_done(sipspec_session *s, const sipspec_msg *resp, const char *why) {
  sipspec_response_info info = {0, why ? why : "no response to the re-INVITE", NULL};
  char reason[128] = "";
  const sipspec_mrcp_answer *ans = NULL;
  if (resp) {
    info.status = sipspec_msg_status(resp);
    session_copy_span_z(reason, sizeof reason, sipspec_msg_reason(resp));
    info.reason = reason;
    if (info.status < 300 && s->mrcp) {
      sipspec_span body = sipspec_msg_body(resp);
      sipspec_sdp_error e;
      memset(&e, 0, sizeof e);
      if (sipspec_mrcp_session_apply_answer(s->mrcp, body.p ? body.p : "", body.len, &e) == SIPSPEC_OK) {
        ans = sipspec_mrcp_session_state(s->mrcp); /* read for on_updated */
        session_keep_negotiated(s, s->updx->body, s->updx->body_len, body);
      } else {
        info.reason = "the answer to the re-INVITE does not fit the offer";
      }
    }
  }
  /* 14.1: a re-INVITE that fails leaves the session as it was, and so is the next offer. */
  if (!ans && s->mrcp) sipspec_mrcp_session_offer_refused(s->mrcp);
  if (s->cbs->fn.on_updated) s->cbs->fn.on_updated(s, &info, ans, s->user);
  session_answer_done(s);
  free(s->updx->body); /* the re-INVITE is over: no retry sends it again */
  s->updx->body = NULL;
  s->updx->body_len = 0;
}

/* 1 when origin a is the o= value o (the server's last answer's, kept by the session): its
 * six fields separated by single spaces (RFC 8866 5.2, 9: o=<username> SP <sess-id> SP ...). */
static int origin_is(const sipspec_sdp_origin *a, const char *o) {
  const sipspec_span *x[] = {&a->username, &a->sess_id, &a->sess_version, &a->nettype, &a->addrtype, &a->address};
  size_t at = 0, olen = strlen(o);
  for (size_t i = 0; i < sizeof x / sizeof x[0]; i++) {
    if (i && (at >= olen || o[at++] != ' ')) return 0;
    if (x[i]->len > olen - at || (x[i]->len && memcmp(x[i]->p, o + at, x[i]->len))) return 0;
    at += x[i]->len;
  }
  return at == olen;
}

/* A re-INVITE from the server. An MRCPv2 client changes its session itself (RFC 6787 4.2:
 * the client adds and removes resources), so what it takes from the server is a session
 * refresh: an offer equal to the server's current SDP (same o= line, version included:
 * RFC 3264 8 says an unchanged description keeps its version), answered 200 with our
 * current SDP, unchanged too. Anything else (no offer, an offer that does not parse, a
 * changed one) gets 488 with a Warning saying why (RFC 3261 13.3.1, 21.4.26). This says
 * which (NULL: a refresh; else why not, in buf or a constant); the update chart decides
 * what to answer where it is (491 while our re-INVITE runs, 500 while our 2xx waits). */
static const char *refresh_refusal(const sipspec_session *s, const sipspec_msg *req, char *buf, size_t cap) {
  sipspec_span body = sipspec_msg_body(req);
  const char *why = NULL;
  sipspec_sdp *offer = NULL;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  if (!body.len) {
    why = "a re-INVITE without an offer is not supported";
  } else if (!s->remote_o || !(s->mrcp ? mrcp_session_has_local(s->mrcp) : s->local_sdp != NULL)) {
    why = "no negotiated session to refresh";
  } else if (sipspec_sdp_parse(body.p, body.len, NULL, &offer, &e) != SIPSPEC_OK) {
    snprintf(buf, cap, "the offer does not parse (line %u: %s)", e.line, e.reason);
    why = buf;
  } else if (!origin_is(&offer->origin, s->remote_o)) {
    why = "only a session refresh (the same o= line and version) is accepted; the client changes the session";
  }
  sipspec_sdp_free(offer);
  return why;
}

/* Answers the request in s->cur_srv with status, a Retry-After (RFC 3261 20.33) when
 * retry_s is not 0, and a Warning 399 (20.43) whose text is why (quoted and escaped by the
 * builder; control characters become '?'); without the Warning when it cannot be written. */
static void respond_warning(sipspec_session *s, int status, unsigned retry_s, const char *why) {
  char clean[300], hdrs[400];
  size_t n = 0;
  for (const char *p = why; *p && n < sizeof clean - 1; p++) clean[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
  sipspec_build b;
  sipspec_build_init(&b, hdrs, sizeof hdrs - 1);
  if (retry_s) sipspec_build_uint(&b, sipspec_span_z("Retry-After"), retry_s);
  sipspec_build_warning(&b, 399, sipspec_span_z("sipspec"), (sipspec_span){clean, n});
  hdrs[b.err ? 0 : b.len] = '\0';
  sipspec_tsx_respond(s->cur_srv, status, NULL, hdrs, NULL, 0);
}

/* RX_INVITE_CHANGE: 488 with a Warning saying why. */
static void update_act_answer_488(sipspec_session *s) {
  if (!s->updx->msg || !s->cur_srv) return;
  char why_buf[300];
  const char *why = refresh_refusal(s, s->updx->msg, why_buf, sizeof why_buf);
  respond_warning(s, 488, 0, why ? why : "");
}

/* Our SDP for the answer to a refresh keeps the MRCP connection that exists. Our last offer
 * may still say a=connection:new (the first one must, RFC 6787 4.2); answered as it is, it
 * would ask for a new connection (RFC 4145 5.1: the value in the answer is what results,
 * and 'new' means the endpoints SHOULD set up a new TCP connection and close the old one,
 * 5.2). A refresh changes nothing, so each control m-line we keep answers
 * a=connection:existing (RFC 4145 5.1, RFC 6787 4.2: 'existing' shares the connection that
 * is up), which is what the session's next offer says anyway; RFC 4145 5.2 has the answerer
 * echo 'new', but a re-offer of the same SDP (RFC 3264 8: the same version, "effectively a
 * no-op") asks for no new connection, and the client does not open one. The SDP changes,
 * so its o= version goes up by one (RFC 3264 8); the MRCP session writes it and counts that
 * version, so the next offer goes on from it. Once answered so, later refreshes get the same
 * SDP again. A session started with opaque SDP answers with that SDP unchanged. */
static void keep_connection(sipspec_session *s) {
  static const char new_conn[] = "\r\na=connection:new\r\n";
  char tmp[SESSION_SDP_ROOM];
  size_t len = 0;
  if (!s->mrcp || !s->remote_o || mrcp_session_local_sdp(s->mrcp, tmp, sizeof tmp, &len) != SIPSPEC_OK) return;
  int asks_new = 0;
  for (size_t i = 0; !asks_new && i + sizeof new_conn - 1 <= len; i++)
    asks_new = !memcmp(tmp + i, new_conn, sizeof new_conn - 1);
  if (!asks_new) return;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  if (sipspec_mrcp_session_offer(s->mrcp, tmp, sizeof tmp, &len, &e) != SIPSPEC_OK) return; /* as it was */
  mrcp_session_pending_is_local(s->mrcp); /* our SDP from now on; no answer to it will come */
}

/* RX_INVITE (a refresh): 200 with our current SDP; 13.3.1.4: sent again T1, 2*T1, ...
 * (capped at T2) until its ACK; after 64*T1 without one, NO_ACK ends the session with
 * BYE. Not sent: NOT_SENT (no 2xx to wait for). */
/* Our 2xx's headers to the peer's re-INVITE or UPDATE (12.2.1.1 Contact, RFC 4028 9, Allow,
 * Supported, the timer chart's Require and Session-Expires, Content-Type with an answer),
 * written with the builder into out (NUL-terminated; "" and the error when refused). */
static int answer_headers(const sipspec_session *s, int with_sdp, char *out, size_t cap) {
  sipspec_build b;
  char uri[SESSION_CONTACT_MAX];
  session_contact(s, uri, sizeof uri);
  sipspec_addr_fields contact = {{NULL, 0}, sipspec_span_z(uri), {NULL, 0}, {NULL, 0}};
  sipspec_build_init(&b, out, cap - 1);
  sipspec_build_addr(&b, SIPSPEC_H_CONTACT, &contact);
  sipspec_build_header(&b, sipspec_span_z("Allow"), sipspec_span_z(SESSION_ALLOW));
  sipspec_build_header(&b, sipspec_span_z("Supported"), sipspec_span_z("timer"));
  sipspec_build_header_lines(&b, sipspec_span_z(s->st_hdrs));
  if (with_sdp) sipspec_build_header(&b, sipspec_span_z("Content-Type"), sipspec_span_z("application/sdp"));
  out[b.err ? 0 : b.len] = '\0';
  return b.err;
}

static void update_act_answer_refresh(sipspec_session *s) {
  if (!s->updx->msg || !s->cur_srv) {
    s->updx->rc = SIPSPEC_E_STATE;
    return;
  }
  keep_connection(s);
  /* RFC 4028 10: the peer's re-INVITE refreshes the session; the timer chart says with
   * which Session-Expires we answer (none when no timer runs). */
  session_set_str(&s->st_hdrs, NULL);
  (void)session_timer_feed(s, session_timer_classify_request(s->updx->msg), s->updx->msg);
  char hdrs[800], sdp[SESSION_SDP_ROOM];
  size_t sdp_len = 0;
  const char *body = session_local_sdp(s, sdp, sizeof sdp, &sdp_len);
  int rc = answer_headers(s, 1, hdrs, sizeof hdrs);
  if (rc) {
    s->updx->rc = rc;
    return;
  }
  rc = sipspec_uas_2xx_send(&s->updx->reinvite_2xx, s->cur_srv, sipspec_msg_cseq(s->updx->msg), s->ua->cfg.t1_ms,
                                s->ua->cfg.t2_ms, 200, hdrs, body, body ? sdp_len : 0);
  if (rc) s->updx->rc = rc;
}

/* 14.2: our 2xx to the server's previous INVITE is not ACKed yet. */
static void update_act_answer_500(sipspec_session *s) {
  if (s->cur_srv)
    respond_warning(s, 500, 1, "the 2xx to the previous re-INVITE is not ACKed yet");
}

/* 14.2: our own re-INVITE is in progress. */
static void update_act_answer_491(sipspec_session *s) {
  if (s->cur_srv) sipspec_tsx_respond(s->cur_srv, 491, NULL, NULL, NULL, 0);
}

void session_answer_update(sipspec_session *s, const sipspec_msg *req) {
  if (!s->cur_srv) return;
  sipspec_span body = sipspec_msg_body(req);
  if (body.len) keep_connection(s);
  char hdrs[800], sdp[SESSION_SDP_ROOM];
  size_t sdp_len = 0;
  const char *ours = body.len ? session_local_sdp(s, sdp, sizeof sdp, &sdp_len) : NULL;
  if (answer_headers(s, body.len > 0, hdrs, sizeof hdrs)) {
    sipspec_tsx_respond(s->cur_srv, 500, NULL, NULL, NULL, 0);
    return;
  }
  sipspec_tsx_respond(s->cur_srv, 200, NULL, hdrs, ours, ours ? sdp_len : 0);
}


/* The peer's UPDATE (RFC 3311): without an offer, a refresh answered 200 (RFC 4028 10); with
 * one, the offer/answer rules of a re-INVITE here (refresh_refusal: the same SDP gets 200
 * with ours, another 488). The timer chart answers the refresh with its Session-Expires;
 * one that it does not take (no session yet) gets 200 without. */
void session_rx_update(sipspec_session *s, const sipspec_msg *req) {
  char buf[300];
  sipspec_span body = sipspec_msg_body(req);
  const char *why = body.len ? refresh_refusal(s, req, buf, sizeof buf) : NULL;
  if (why) {
    respond_warning(s, 488, 0, why);
    return;
  }
  s->st_srv = s->cur_srv;
  session_set_str(&s->st_hdrs, NULL);
  int rc = session_timer_feed(s, session_timer_classify_request(req), req);
  s->st_srv = NULL;
  if (rc) session_answer_update(s, req);
}

void session_dlg_on_request(sipspec_dialog *d, const sipspec_msg *req, void *user) {
  sipspec_session *s = user;
  (void)d;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_ACK) { /* RX_ACK: the ACK for our 2xx */
    if (s->updx && sipspec_uas_2xx_ack(&s->updx->reinvite_2xx, req)) session_update_post(s, SIPSPEC_EV_RX_ACK, req);
    return;
  }
  if (!s->cur_srv) return;
  char buf[300];
  switch (sipspec_msg_method(req)) {
  case SIPSPEC_METHOD_OPTIONS:
    session_respond_allow(s->cur_srv, 200, 1);
    break;
  case SIPSPEC_METHOD_INVITE: {
    int rc = session_update_post(s, refresh_refusal(s, req, buf, sizeof buf) ? SIPSPEC_EV_RX_INVITE_CHANGE : SIPSPEC_EV_RX_INVITE,
                         req);
    if (rc) sipspec_tsx_respond(s->cur_srv, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0); /* no session */
    break;
  }
  case SIPSPEC_METHOD_INFO: sipspec_tsx_respond(s->cur_srv, 200, NULL, NULL, NULL, 0); break;
  case SIPSPEC_METHOD_UPDATE: session_rx_update(s, req); break;
  default: session_respond_allow(s->cur_srv, 405, 0); break;
  }
}
