/* server/server_call.c: one call of the embedded server: an INVITE, its answer and the
 * dialog it forms (UAS side of RFC 3261 sections 12, 13.3, 14.2 and 15).
 *
 * Each call keeps its dialog on the generated chart spec/dialog.rl and implements the
 * chart's actions that a UAS takes: create_dialog (a 180 or 2xx with our To tag), pass_to_tu
 * (the ACK of our 2xx, or an in-dialog request), check_remote_cseq (12.2.2), answer_200
 * (the BYE), send_bye and report_terminated. The UAC-only actions (send_ack,
 * update_remote_target, send_in_dialog_request) never run here: the server feeds only
 * TU_1XX, TU_2XX, TU_300_699, RX_ACK, RX_REQUEST, RX_BYE, TU_BYE and TRANSPORT_ERR.
 *
 * Timers (libev, one of each per call): progress sends ring_count 180s ring_interval_ms
 * apart and then the final response; retx sends the 2xx again T1, 2T1, ... T2 apart until
 * the ACK and gives up with a BYE after 64*T1 (13.3.1.4); bye_timer is bye_after_ms.
 *
 * A call that ends is marked dead (nothing finds it any more) and freed by the server's
 * reaper after the callbacks on the stack have returned.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "server/server_internal.h"
#include "sipspec/chart_dialog.h"

/* ---- helpers ---------------------------------------------------------------------------- */

static int span_eq(sipspec_span s, const char *z) {
  size_t n = z ? strlen(z) : 0;
  return z && s.len == n && (n == 0 || !memcmp(s.p, z, n));
}

static double t1_s(const sipspec_server *srv) { return srv->o.cfg.t1_ms / 1000.0; }

static void stop_timers(srv_call *c) {
  struct ev_loop *loop = c->srv->loop;
  ev_timer_stop(loop, &c->progress);
  ev_timer_stop(loop, &c->retx);
  ev_timer_stop(loop, &c->bye_timer);
}

static void detach_ist(srv_call *c) {
  if (c->ist) sipspec_tsx_set_callbacks(c->ist, NULL);
  c->ist = NULL;
}

static void mark_dead(srv_call *c) {
  if (c->dead) return;
  c->dead = 1;
  stop_timers(c);
  detach_ist(c);
  srv_schedule_reap(c->srv);
}

void srv_call_free(srv_call *c) {
  if (!c) return;
  stop_timers(c);
  detach_ist(c);
  free(c->call_id);
  free(c->local_tag);
  free(c->remote_tag);
  free(c->local_uri);
  free(c->remote_uri);
  free(c->request_uri);
  free(c->route);
  free(c->answer);
  free(c->final_headers);
  free(c);
}

static int in_state(const srv_call *c, int state) { return sipspec_fsm_state(&c->dialog) == state; }

/* Feeds the dialog chart with the request (and its transaction) the event is about, then
 * a BYE one of the actions asked for; a terminated dialog ends the call. */
static int feed(srv_call *c, int ev, sipspec_tsx *t, const sipspec_msg *msg) {
  c->cur_tsx = t;
  c->cur_msg = msg;
  int rc = sipspec_fsm_feed(&c->dialog, ev);
  c->cur_tsx = NULL;
  c->cur_msg = NULL;
  if (c->pending_bye && !sipspec_fsm_terminated(&c->dialog)) {
    c->pending_bye = 0;
    (void)sipspec_fsm_feed(&c->dialog, SIPSPEC_EV_TU_BYE);
  }
  if (sipspec_fsm_terminated(&c->dialog)) mark_dead(c);
  return rc;
}

/* Ends a call whose INVITE never formed a dialog (no 180, no 2xx sent). */
static void end_without_dialog(srv_call *c, int status) {
  if (in_state(c, SIPSPEC_DIALOG_IDLE)) {
    srv_event(c->srv, SIPSPEC_SERVER_ENDED, c->call_id, status);
    mark_dead(c);
  }
}

/* ---- the dialog chart's actions (UAS) ------------------------------------------------- */

static void send_bye(srv_call *c);

static void on_ack_passed(srv_call *c) {
  sipspec_server *srv = c->srv;
  if (c->established) return;
  c->established = 1;
  srv->st.established++;
  srv->tel.sessionsEstablished++;
  srv_event(srv, SIPSPEC_SERVER_ESTABLISHED, c->call_id, 200);
  if (srv->shutting_down) {
    c->pending_bye = 1;
  } else if (srv->o.bye_after_ms) {
    ev_timer_set(&c->bye_timer, srv->o.bye_after_ms / 1000.0, 0.);
    ev_timer_start(srv->loop, &c->bye_timer);
  }
}

static void answer_bye(srv_call *c) {
  sipspec_server *srv = c->srv;
  if (!c->cur_tsx) return;
  if (srv->o.drop_bye) { /* the client's Timer F runs out; the transaction waits forever */
    srv->dropped_live++;
    return;
  }
  (void)srv_respond(srv, c->cur_tsx, srv->o.bye_status, NULL, NULL, NULL, 0);
}

static void check_remote_cseq(srv_call *c) {
  uint32_t n = c->cur_msg ? sipspec_msg_cseq(c->cur_msg) : 0;
  if (n <= c->remote_cseq) c->cseq_bad = 1;
  else c->remote_cseq = n;
}

static void report_terminated(srv_call *c) {
  sipspec_server *srv = c->srv;
  stop_timers(c);
  if (srv->st.live_dialogs) srv->st.live_dialogs--;
  srv->st.ended++;
  srv_event(srv, SIPSPEC_SERVER_ENDED, c->call_id, c->ended_status);
}

static void dialog_action(void *ctx, const sipspec_chart *chart, int action) {
  srv_call *c = ctx;
  (void)chart;
  switch (action) {
  case SIPSPEC_DIALOG_A_CREATE_DIALOG: c->srv->st.live_dialogs++; break;
  case SIPSPEC_DIALOG_A_PASS_TO_TU:
    if (c->cur_msg && sipspec_msg_method(c->cur_msg) == SIPSPEC_METHOD_ACK) on_ack_passed(c);
    else c->passed = 1;
    break;
  case SIPSPEC_DIALOG_A_CHECK_REMOTE_CSEQ: check_remote_cseq(c); break;
  case SIPSPEC_DIALOG_A_ANSWER_200: answer_bye(c); break;
  case SIPSPEC_DIALOG_A_SEND_BYE: send_bye(c); break;
  case SIPSPEC_DIALOG_A_REPORT_TERMINATED: report_terminated(c); break;
  default: break; /* UAC-side actions: never reached by the events a server feeds */
  }
}

/* ---- the BYE the server sends (15.1.1) ----------------------------------------------- */

static void bye_failed(sipspec_tsx *t, void *user) {
  sipspec_server *srv = user;
  (void)t;
  srv->tel.sipByeAcksMissing++;
}

static void bye_transport_error(sipspec_tsx *t, int code, void *user) {
  (void)code;
  bye_failed(t, user);
}

static void send_bye(srv_call *c) {
  sipspec_server *srv = c->srv;
  sipspec_transport *tp = sipspec_tsx_layer_transport(srv->layer, c->kind);
  char branch[SIPSPEC_TSX_BRANCH_SIZE], host[SIPSPEC_SOCKADDR_STRLEN];
  sipspec_sockaddr local;
  if (!tp || sipspec_tsx_new_branch(branch, sizeof branch) || sipspec_transport_local_addr(tp, &c->peer, &local))
    return;
  sipspec_sockaddr_host(&local, host, sizeof host);
  int v6 = sipspec_sockaddr_family(&local) == AF_INET6;
  size_t cap = 1024 + strlen(c->request_uri) + strlen(c->local_uri) + strlen(c->remote_uri) + strlen(c->call_id) +
               (c->route ? strlen(c->route) : 0) + strlen(srv->user_agent);
  char *req = malloc(cap);
  if (!req) return;
  int n = snprintf(req, cap,
                   "BYE %s SIP/2.0\r\n"
                   "Via: SIP/2.0/%s %s%s%s:%u;branch=%s;rport\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: %s;tag=%s\r\n"
                   "To: %s\r\n"
                   "Call-ID: %s\r\n"
                   "CSeq: %u BYE\r\n"
                   "%s"
                   "User-Agent: %s\r\n"
                   "Content-Length: 0\r\n\r\n",
                   c->request_uri, c->kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", v6 ? "[" : "", host, v6 ? "]" : "",
                   sipspec_sockaddr_port(&local), branch, c->local_uri, c->local_tag, c->remote_uri, c->call_id,
                   (unsigned)++c->local_cseq, c->route ? c->route : "", srv->user_agent);
  sipspec_tsx_callbacks cb = {0};
  cb.on_timeout = bye_failed;
  cb.on_transport_error = bye_transport_error;
  cb.user = srv;
  if (n > 0 && (size_t)n < cap &&
      sipspec_tsx_client_start(srv->layer, c->kind, &c->peer, req, (size_t)n, &cb, NULL) == SIPSPEC_OK) {
    srv->st.byes_sent++;
    srv->tel.sipByeSent++;
  } else {
    srv->tel.sipByeAcksMissing++;
  }
  free(req);
}

static void bye_timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  srv_call *c = w->data;
  (void)loop, (void)revents;
  c->ended_status = 0;
  if (!c->dead && in_state(c, SIPSPEC_DIALOG_CONFIRMED)) (void)feed(c, SIPSPEC_EV_TU_BYE, NULL, NULL);
}

/* ---- the answer ------------------------------------------------------------------------ */

/* 8.2.3 and 13.3.1: the body must be an SDP offer we can read. Returns 0, or the status
 * answered (415, 488). */
static int offer_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_span enc;
  if (sipspec_msg_value(req, SIPSPEC_H_CONTENT_ENCODING, 0, &enc) == SIPSPEC_OK &&
      !(enc.len == 8 && !strncasecmp(enc.p, "identity", 8))) {
    (void)srv_respond_warning(srv, t, 415, "Accept-Encoding: identity\r\nAccept: application/sdp\r\n",
                              "content encodings are not supported");
    return 415;
  }
  if (sipspec_msg_body(req).len == 0) {
    (void)srv_respond_warning(srv, t, 488, NULL, "the INVITE carries no SDP offer (offerless INVITE is not supported)");
    return 488;
  }
  sipspec_media_type mt;
  if (sipspec_msg_content_type(req, &mt) != SIPSPEC_OK) {
    (void)srv_respond_warning(srv, t, 415, "Accept: application/sdp\r\n", "the body has no Content-Type");
    return 415;
  }
  if (!(mt.type.len == 11 && !strncasecmp(mt.type.p, "application", 11) && mt.subtype.len == 3 &&
        !strncasecmp(mt.subtype.p, "sdp", 3))) {
    char why[160];
    snprintf(why, sizeof why, "body type %.*s/%.*s is not application/sdp", (int)(mt.type.len > 60 ? 60 : mt.type.len),
             mt.type.p, (int)(mt.subtype.len > 60 ? 60 : mt.subtype.len), mt.subtype.p);
    (void)srv_respond_warning(srv, t, 415, "Accept: application/sdp\r\n", why);
    return 415;
  }
  return 0;
}

/* The answer to req's offer into c->answer; 0, or 488 (answered with a Warning). */
static int make_answer(srv_call *c, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_server *srv = c->srv;
  sipspec_mrcp_server_config m = srv->o.mrcp;
  m.session_id = c->session_id;
  m.sess_version = c->sess_version;
  sipspec_span offer = sipspec_msg_body(req);
  size_t cap = 16384 + 4 * offer.len, len = 0;
  char *buf = malloc(cap);
  sipspec_sdp_error err;
  memset(&err, 0, sizeof err);
  int rc = buf ? sipspec_mrcp_server_answer(&m, offer.p, offer.len, buf, cap, &len, &err) : SIPSPEC_E_NOMEM;
  if (rc) {
    free(buf);
    char why[300];
    if (rc == SIPSPEC_E_SDP_REFUSED) snprintf(why, sizeof why, "%s", err.reason[0] ? err.reason : "the offer cannot be served");
    else snprintf(why, sizeof why, "SDP offer line %u: %s", err.line, err.reason[0] ? err.reason : sipspec_strerror(rc));
    (void)srv_respond_warning(srv, t, 488, NULL, why);
    return 488;
  }
  free(c->answer);
  c->answer = buf;
  c->answer_len = len;
  c->sess_version++;
  return 0;
}

/* Contact (12.1.1: responses that form a dialog carry one), plus for the 2xx the body type. */
static char *response_headers(srv_call *c, int with_sdp) {
  sipspec_server *srv = c->srv;
  sipspec_sockaddr a;
  unsigned port = 0;
  if (sipspec_transport_bound_addr(sipspec_tsx_layer_transport(srv->layer, c->kind), &a) == SIPSPEC_OK)
    port = sipspec_sockaddr_port(&a);
  char *h = malloc(SRV_HEADERS_MAX);
  if (!h) return NULL;
  snprintf(h, SRV_HEADERS_MAX, "Contact: <sip:%s:%u;transport=%s>\r\n%s", srv->warn_host, port,
           c->kind == SIPSPEC_TP_TCP ? "tcp" : "udp",
           with_sdp ? "Allow: " SRV_ALLOW "\r\nContent-Type: application/sdp\r\n" : "");
  return h;
}

/* ---- the 2xx until the ACK (13.3.1.4) --------------------------------------------------- */

static void retx_start(srv_call *c) {
  sipspec_server *srv = c->srv;
  double now = ev_now(srv->loop);
  c->awaiting_ack = 1;
  c->retx_interval = t1_s(srv);
  c->retx_deadline = now + 64 * t1_s(srv);
  ev_timer_stop(srv->loop, &c->retx);
  ev_timer_set(&c->retx, c->retx_interval, 0.);
  ev_timer_start(srv->loop, &c->retx);
}

static void retx_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  srv_call *c = w->data;
  sipspec_server *srv = c->srv;
  (void)revents;
  if (c->dead || !c->awaiting_ack) return;
  double now = ev_now(loop);
  if (now + 1e-6 >= c->retx_deadline) { /* 64*T1 without an ACK: end the dialog with a BYE */
    c->awaiting_ack = 0;
    if (!c->established) srv->tel.sessionsFailed++;
    c->ended_status = 408;
    if (in_state(c, SIPSPEC_DIALOG_CONFIRMED)) (void)feed(c, SIPSPEC_EV_TU_BYE, NULL, NULL);
    return;
  }
  if (c->ist) (void)srv_respond(srv, c->ist, 200, NULL, c->final_headers, c->answer, c->answer_len);
  double cap = srv->o.cfg.t2_ms / 1000.0;
  c->retx_interval = c->retx_interval * 2 > cap ? cap : c->retx_interval * 2;
  double next = now + c->retx_interval > c->retx_deadline ? c->retx_deadline - now : c->retx_interval;
  ev_timer_set(&c->retx, next > 0 ? next : 0., 0.);
  ev_timer_start(loop, &c->retx);
}

/* ---- the initial INVITE ---------------------------------------------------------------- */

static void ist_terminated(sipspec_tsx *t, void *user) {
  srv_call *c = user;
  if (c->ist == t) c->ist = NULL;
}

/* 17.2.4: the response could not be delivered; a call still waiting for its final response
 * cannot go on. */
static void ist_transport_error(sipspec_tsx *t, int code, void *user) {
  srv_call *c = user;
  (void)code;
  if (c->ist != t || c->final_sent || c->dead) return;
  c->final_sent = 1;
  c->srv->tel.sessionsFailed++;
  c->ended_status = 0;
  ev_timer_stop(c->srv->loop, &c->progress);
  if (in_state(c, SIPSPEC_DIALOG_EARLY)) (void)feed(c, SIPSPEC_EV_TRANSPORT_ERR, NULL, NULL);
  else end_without_dialog(c, 0);
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

static void send_final(srv_call *c) {
  sipspec_server *srv = c->srv;
  c->final_sent = 1;
  if (c->final_status < 300) {
    if (!c->ist || srv_respond(srv, c->ist, 200, NULL, c->final_headers, c->answer, c->answer_len) != SIPSPEC_OK) {
      srv->tel.sessionsFailed++;
      if (in_state(c, SIPSPEC_DIALOG_EARLY)) (void)feed(c, SIPSPEC_EV_TU_300_699, NULL, NULL);
      else end_without_dialog(c, 0);
      return;
    }
    (void)feed(c, SIPSPEC_EV_TU_2XX, NULL, NULL);
    retx_start(c);
    return;
  }
  if (c->ist) (void)srv_respond(srv, c->ist, c->final_status, NULL, NULL, NULL, 0);
  srv->tel.sessionsFailed++;
  c->ended_status = c->final_status;
  srv->st.refused++;
  srv_event(srv, SIPSPEC_SERVER_REFUSED, c->call_id, c->final_status);
  if (in_state(c, SIPSPEC_DIALOG_EARLY)) (void)feed(c, SIPSPEC_EV_TU_300_699, NULL, NULL);
  else mark_dead(c);
}

static void end_pending(srv_call *c, int status);

static void progress_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  srv_call *c = w->data;
  sipspec_server *srv = c->srv;
  (void)revents;
  if (c->dead || c->final_sent) return;
  if (c->cancelled) {
    end_pending(c, 487);
    return;
  }
  if (c->rings_sent < srv->o.ring_count) {
    char *h = response_headers(c, 0);
    int rc = c->ist && h ? srv_respond(srv, c->ist, 180, NULL, h, NULL, 0) : SIPSPEC_E_STATE;
    free(h);
    if (rc == SIPSPEC_OK) {
      c->rings_sent++;
      (void)feed(c, SIPSPEC_EV_TU_1XX, NULL, NULL);
    }
    if (c->dead || c->final_sent) return;
    ev_timer_set(&c->progress, srv->o.ring_interval_ms / 1000.0, 0.);
    ev_timer_start(loop, &c->progress);
    return;
  }
  send_final(c);
}

static char *dup_span(sipspec_span s, int *oom) {
  char *d = srv_strndup(s.p ? s.p : "", s.len);
  if (!d) *oom = 1;
  return d;
}

/* Route set from Record-Route (12.1.1: in order, for the UAS). */
static char *route_lines(const sipspec_msg *req, int *oom) {
  size_t n = sipspec_msg_value_count(req, SIPSPEC_H_RECORD_ROUTE), cap = 1;
  if (!n) return NULL;
  sipspec_span v;
  for (size_t i = 0; i < n; i++)
    if (sipspec_msg_value(req, SIPSPEC_H_RECORD_ROUTE, i, &v) == SIPSPEC_OK) cap += v.len + 10;
  char *r = malloc(cap);
  if (!r) {
    *oom = 1;
    return NULL;
  }
  size_t len = 0;
  r[0] = '\0';
  for (size_t i = 0; i < n; i++)
    if (sipspec_msg_value(req, SIPSPEC_H_RECORD_ROUTE, i, &v) == SIPSPEC_OK)
      len += (size_t)snprintf(r + len, cap - len, "Route: %.*s\r\n", (int)v.len, v.p);
  return r;
}

static srv_call *call_new(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  srv_call *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->srv = srv;
  sipspec_fsm_init(&c->dialog, &sipspec_chart_dialog, dialog_action, c);
  ev_timer_init(&c->progress, progress_cb, 0., 0.);
  ev_timer_init(&c->retx, retx_cb, 0., 0.);
  ev_timer_init(&c->bye_timer, bye_timer_cb, 0., 0.);
  c->progress.data = c->retx.data = c->bye_timer.data = c;
  c->kind = sipspec_tsx_transport(t)->type->kind;
  c->peer = *sipspec_tsx_peer(t);
  sipspec_addr from, to, contact;
  int oom = 0;
  if (sipspec_msg_from(req, &from) || sipspec_msg_to(req, &to)) oom = 1; /* checked by the layer */
  sipspec_span fromv = {0}, tov = {0};
  (void)sipspec_msg_value(req, SIPSPEC_H_FROM, 0, &fromv);
  (void)sipspec_msg_value(req, SIPSPEC_H_TO, 0, &tov);
  c->call_id = dup_span(sipspec_msg_call_id(req), &oom);
  c->local_tag = srv_strndup(sipspec_tsx_to_tag(t), strlen(sipspec_tsx_to_tag(t)));
  if (!c->local_tag) oom = 1;
  c->remote_tag = dup_span(from.tag, &oom);
  c->local_uri = dup_span(tov, &oom);
  c->remote_uri = dup_span(fromv, &oom);
  /* 12.1.1: the remote target is the Contact URI (From's URI when there is none). */
  c->request_uri = dup_span(sipspec_msg_contact(req, 0, &contact) == SIPSPEC_OK && !contact.star ? contact.uri : from.uri,
                            &oom);
  c->route = route_lines(req, &oom);
  c->remote_cseq = c->invite_cseq = sipspec_msg_cseq(req);
  c->sess_version = srv->o.mrcp.sess_version;
  if (srv->mrcp_session_id) snprintf(c->session_id, sizeof c->session_id, "%s", srv->mrcp_session_id);
  else if (sipspec_digest_cnonce(c->session_id) != SIPSPEC_OK) oom = 1;
  if (oom) {
    srv_call_free(c);
    return NULL;
  }
  return c;
}

void srv_call_invite(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  int status = offer_check(srv, t, req);
  if (status) {
    srv_refused(srv, req, status);
    return;
  }
  srv_call *c = call_new(srv, t, req);
  if (!c) {
    (void)srv_respond_warning(srv, t, 500, NULL, "out of memory");
    srv_refused(srv, req, 500);
    return;
  }
  status = make_answer(c, t, req);
  if (!status) {
    c->final_headers = response_headers(c, 1);
    if (!c->final_headers) {
      status = 500;
      (void)srv_respond_warning(srv, t, 500, NULL, "out of memory");
    }
  }
  if (status) {
    srv_refused(srv, req, status);
    srv_call_free(c);
    return;
  }
  c->next = srv->calls;
  srv->calls = c;
  watch_ist(c, t);
  c->final_status = srv->o.reject_status ? srv->o.reject_status : 200;
  srv->tel.sessionsStarted++;
  srv_event(srv, SIPSPEC_SERVER_INVITED, c->call_id, c->final_status);
  ev_timer_set(&c->progress, 0., 0.);
  ev_timer_start(srv->loop, &c->progress);
}

/* ---- finding calls ---------------------------------------------------------------------- */

srv_call *srv_call_find(sipspec_server *srv, const sipspec_msg *req) {
  sipspec_addr from, to;
  if (sipspec_msg_from(req, &from) || sipspec_msg_to(req, &to)) return NULL;
  sipspec_span cid = sipspec_msg_call_id(req);
  for (srv_call *c = srv->calls; c; c = c->next)
    if (!c->dead && span_eq(cid, c->call_id) && span_eq(to.tag, c->local_tag) && span_eq(from.tag, c->remote_tag))
      return c;
  return NULL;
}

srv_call *srv_call_find_merged(sipspec_server *srv, const sipspec_msg *req) {
  sipspec_addr from;
  if (sipspec_msg_from(req, &from)) return NULL;
  sipspec_span cid = sipspec_msg_call_id(req);
  uint32_t cseq = sipspec_msg_cseq(req);
  for (srv_call *c = srv->calls; c; c = c->next)
    if (!c->dead && span_eq(cid, c->call_id) && span_eq(from.tag, c->remote_tag) && c->invite_cseq == cseq) return c;
  return NULL;
}

srv_call *srv_call_of_ist(sipspec_server *srv, const sipspec_tsx *ist) {
  for (srv_call *c = srv->calls; c; c = c->next)
    if (!c->dead && c->ist == ist) return c;
  return NULL;
}

/* ---- CANCEL, ACK, in-dialog requests, shutdown ------------------------------------------- */

/* Ends a call whose INVITE has no final response yet with status (487, 503). */
static void end_pending(srv_call *c, int status) {
  sipspec_server *srv = c->srv;
  ev_timer_stop(srv->loop, &c->progress);
  c->final_sent = 1;
  c->ended_status = status;
  srv->tel.sessionsFailed++;
  if (c->ist) (void)srv_respond(srv, c->ist, status, NULL, status == 503 ? "Retry-After: 5\r\n" : NULL, NULL, 0);
  if (status != 487) {
    srv->st.refused++;
    srv_event(srv, SIPSPEC_SERVER_REFUSED, c->call_id, status);
  }
  if (in_state(c, SIPSPEC_DIALOG_EARLY)) (void)feed(c, SIPSPEC_EV_TU_300_699, NULL, NULL);
  else end_without_dialog(c, status);
}

void srv_call_cancel(srv_call *c) {
  if (c->dead || c->final_sent) return; /* 9.2: a CANCEL after the final response changes nothing */
  /* The 487 goes out from the progress timer, after the 200 to the CANCEL (which leaves
   * when the CANCEL's callback returns), so the client sees them in the usual order. */
  c->cancelled = 1;
  ev_timer_stop(c->srv->loop, &c->progress);
  ev_timer_set(&c->progress, 0., 0.);
  ev_timer_start(c->srv->loop, &c->progress);
}

void srv_call_ack(sipspec_server *srv, const sipspec_msg *ack) {
  srv_call *c = srv_call_find(srv, ack);
  if (!c || !c->awaiting_ack || sipspec_msg_cseq(ack) != c->invite_cseq) return; /* 17: ACKs get no response */
  c->awaiting_ack = 0;
  ev_timer_stop(srv->loop, &c->retx);
  free(c->answer);
  c->answer = NULL;
  c->answer_len = 0;
  (void)feed(c, SIPSPEC_EV_RX_ACK, NULL, ack);
}

static void reinvite(srv_call *c, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_server *srv = c->srv;
  if (c->awaiting_ack) { /* 14.2: our previous INVITE exchange is not over */
    (void)srv_respond(srv, t, 500, NULL, "Retry-After: 1\r\n", NULL, 0);
    return;
  }
  int status = offer_check(srv, t, req);
  if (!status) status = make_answer(c, t, req); /* 14.2: a refused re-offer leaves the session as it was */
  if (status) {
    srv_event(srv, SIPSPEC_SERVER_UPDATED, c->call_id, status);
    return;
  }
  if (srv_respond(srv, t, 200, NULL, c->final_headers, c->answer, c->answer_len) != SIPSPEC_OK) return;
  watch_ist(c, t);
  c->invite_cseq = sipspec_msg_cseq(req);
  retx_start(c);
  srv_event(srv, SIPSPEC_SERVER_UPDATED, c->call_id, 200);
}

void srv_call_request(srv_call *c, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_server *srv = c->srv;
  sipspec_method m = sipspec_msg_method(req);
  if (m == SIPSPEC_METHOD_BYE) {
    srv->st.byes_received++;
    c->ended_status = srv->o.drop_bye ? 0 : srv->o.bye_status;
    if (!c->established && !c->dead && in_state(c, SIPSPEC_DIALOG_CONFIRMED) && c->awaiting_ack)
      srv->tel.sessionsFailed++; /* BYE before the ACK: never established */
    if (feed(c, SIPSPEC_EV_RX_BYE, t, req) != SIPSPEC_OK)
      /* The chart takes BYE only in a confirmed dialog (spec/dialog.rl). */
      (void)srv_respond_warning(srv, t, 481, NULL, "the dialog is not confirmed yet");
    return;
  }
  c->passed = c->cseq_bad = 0;
  uint32_t before = c->remote_cseq;
  if (feed(c, SIPSPEC_EV_RX_REQUEST, t, req) != SIPSPEC_OK || !c->passed) {
    /* Early dialog: our final response to the INVITE is still pending (14.2). */
    (void)srv_respond(srv, t, 500, NULL, "Retry-After: 1\r\n", NULL, 0);
    return;
  }
  if (c->cseq_bad) { /* 12.2.2 */
    char why[96];
    snprintf(why, sizeof why, "CSeq %u is not above %u, the last one in this dialog", (unsigned)sipspec_msg_cseq(req),
             (unsigned)before);
    (void)srv_respond_warning(srv, t, 500, NULL, why);
    return;
  }
  if (m == SIPSPEC_METHOD_OPTIONS) {
    srv->st.options++;
    (void)srv_respond(srv, t, 200, NULL, "Allow: " SRV_ALLOW "\r\nAccept: application/sdp\r\nSupported: \r\n", NULL, 0);
    return;
  }
  reinvite(c, t, req);
}

void srv_call_shutdown(srv_call *c) {
  if (c->dead) return;
  if (!c->final_sent) {
    end_pending(c, 503);
    return;
  }
  /* 15: no BYE before the ACK of our 2xx; the ACK (or 64*T1 without one) brings it. */
  if (c->established && in_state(c, SIPSPEC_DIALOG_CONFIRMED)) {
    c->ended_status = 0;
    (void)feed(c, SIPSPEC_EV_TU_BYE, NULL, NULL);
  }
}
