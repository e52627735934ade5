/* session/session.c: one MRCPv2 client session on the generated chart spec/uac_session.rl.
 *
 * The charts decide; this file implements each of their actions as a typed callback,
 * session_act_<action> for spec/uac_session.rl and update_act_<action> for the re-INVITEs
 * of spec/uac_update.rl (generated chart_<name>_actions.h: the build fails when a chart
 * names an action that has none), and feeds them the events of the session's
 * transactions: the INVITE (ICT), its CANCEL, the BYE and the in-dialog OPTIONS / re-INVITE
 * (NICT / ICT), the chart timers (ANSWER, CANCEL, KEEPALIVE; the update's RETRY after a
 * 491), and the requests the user agent routes here. Which phase the session is in is the
 * charts' state alone: this file keeps no flag beside them. The dialog (session/dialog.h) keeps the dialog state
 * and builds the ACKs and in-dialog requests; the session sends what it builds.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "random_pool.h"
#include "session/session_internal.h"
#include "sipspec/chart_dialog.h"
#include "sipspec/chart_uac_session.h"
#include "sipspec/chart_uac_update.h"

/* The charts' actions as typed callbacks (generated from spec/uac_session.rl and
 * spec/uac_update.rl). */
#include "chart_uac_session_actions.h"
#include "chart_uac_update_actions.h"

#define SESSION_ALLOW "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"

void sipspec_session_opts_init(sipspec_session_opts *o) { memset(o, 0, sizeof *o); }

static int post(sipspec_session *s, int ev, const sipspec_msg *msg);
static int update_post(sipspec_session *s, int ev, const sipspec_msg *msg);
static int in_dialog_cred(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                          size_t body_len, const char *cred);

/* ---- small helpers ---------------------------------------------------------------------- */

static int random_hex(char *out, size_t nbytes) {
  return sipspec_random_hex(out, nbytes) == SIPSPEC_OK ? SIPSPEC_OK : SIPSPEC_E_IO;
}

static void set_reason(sipspec_session *s, const char *fmt, const char *a) {
  snprintf(s->reason, sizeof s->reason, fmt, a);
}

static void copy_span_z(char *dst, size_t cap, sipspec_span v) {
  size_t n = v.len < cap - 1 ? v.len : cap - 1;
  for (size_t i = 0; i < n; i++) dst[i] = (v.p[i] >= 0x20 && v.p[i] < 0x7f) ? v.p[i] : '?';
  dst[n] = '\0';
}

/* The status, reason phrase and Warning text of a final response into the session. */
static void note_response(sipspec_session *s, const sipspec_msg *resp) {
  s->status = sipspec_msg_status(resp);
  copy_span_z(s->reason, sizeof s->reason, sipspec_msg_reason(resp));
  s->warning[0] = '\0';
  long i = sipspec_msg_find(resp, "Warning", 0);
  sipspec_header h;
  if (i >= 0 && sipspec_msg_header(resp, (size_t)i, &h) == SIPSPEC_OK) copy_span_z(s->warning, sizeof s->warning, h.value);
}

static sipspec_response_info info_of(const sipspec_session *s) {
  sipspec_response_info info = {s->status, s->reason, s->warning[0] ? s->warning : NULL};
  return info;
}

/* A slot for a new client transaction. A keep-alive's OPTIONS that has its final response
 * only waits out Timer K (the layer absorbs retransmissions by itself): its slot is taken
 * back when none is free. A keep-alive never takes the last free slot, so a BYE can always
 * be sent (RFC 3261 15.1.1). */
static session_tsx *slot_new(sipspec_session *s, session_tsx_role role) {
  int free_slots = 0;
  session_tsx *slot = NULL;
  for (int i = 0; i < SESSION_MAX_TSX; i++)
    if (!s->tsx[i].t) {
      free_slots++;
      if (!slot) slot = &s->tsx[i];
    }
  if (!slot || (role == ST_OPTIONS && free_slots < 2)) {
    for (int i = 0; i < SESSION_MAX_TSX; i++)
      if (s->tsx[i].t && s->tsx[i].role == ST_OPTIONS && sipspec_tsx_last_status(s->tsx[i].t) >= 200) {
        sipspec_tsx_set_callbacks(s->tsx[i].t, NULL);
        s->tsx[i].t = NULL;
        slot = &s->tsx[i];
        free_slots++;
        break;
      }
  }
  if (!slot || (role == ST_OPTIONS && free_slots < 2)) return NULL;
  slot->s = s;
  slot->role = role;
  return slot;
}

/* ---- transactions ------------------------------------------------------------------------ */

static void tsx_on_response(sipspec_tsx *t, const sipspec_msg *resp, void *user);
static void tsx_on_timeout(sipspec_tsx *t, void *user);
static void tsx_on_transport_error(sipspec_tsx *t, int code, void *user);
static void tsx_on_terminated(sipspec_tsx *t, void *user);

/* Starts a client transaction for req; the slot keeps it until its on_terminated. */
static int start_tsx(sipspec_session *s, session_tsx_role role, const char *req, size_t len,
                     const sipspec_sockaddr *dest) {
  session_tsx *slot = slot_new(s, role);
  if (!slot) return SIPSPEC_E_AGAIN;
  sipspec_tsx_callbacks cb = {tsx_on_response, tsx_on_timeout, tsx_on_transport_error, tsx_on_terminated, slot};
  return sipspec_tsx_client_start(s->ua->layer, s->kind, dest, req, len, &cb, &slot->t);
}

/* ---- the transport (RFC 3261 18.1.1) ------------------------------------------------------ */

/* 1 when a request of len bytes may not go over UDP (larger than cfg.udp_max_size) and the
 * session, still on UDP, can move to TCP: TCP is open and has a local address toward dest
 * (written to *tl). */
static int needs_tcp(sipspec_session *s, size_t len, const sipspec_sockaddr *dest, sipspec_sockaddr *tl) {
  sipspec_ua *ua = s->ua;
  if (s->kind != SIPSPEC_TP_UDP) return 0;
  sipspec_config c = ua->cfg;
  c.transport = SIPSPEC_TP_UDP; /* the session's transport, whatever cfg.transport says */
  sipspec_tp_kind pick;
  sipspec_transport *tcp = sipspec_tsx_layer_transport(ua->layer, SIPSPEC_TP_TCP);
  return tcp && sipspec_transport_pick(&c, len, &pick, NULL, 0) == SIPSPEC_OK && pick == SIPSPEC_TP_TCP &&
         sipspec_transport_local_addr(tcp, dest, tl) == SIPSPEC_OK;
}

/* RFC 3261 18.1.1: a request too big for UDP goes over TCP, to the same host and port. The
 * session then stays on TCP (RFC 3261 9.1: the CANCEL goes the INVITE's way, and so do the
 * ACK, the in-dialog requests and the BYE): its kind, Via and Contact say TCP from now on,
 * in its dialog too. */
static void move_to_tcp(sipspec_session *s, const sipspec_sockaddr *tl) {
  s->kind = SIPSPEC_TP_TCP;
  s->local_port = sipspec_sockaddr_port(tl);
  char hostport[SIPSPEC_SOCKADDR_STRLEN + 16];
  snprintf(hostport, sizeof hostport, "%s:%u", s->local_host, s->local_port);
  snprintf(s->via, sizeof s->via, "SIP/2.0/TCP %s;rport", hostport);
  snprintf(s->contact, sizeof s->contact, "sip:%s@%s;transport=tcp", s->ua->from_user, hostport);
  if (s->dialog) {
    (void)sipspec_dialog_set_via(s->dialog, s->via);
    (void)sipspec_dialog_set_contact(s->dialog, s->contact);
  }
}

/* req (len bytes) with the value of its first header line `name` replaced by to when that
 * value starts with from (the rest of the line kept): a malloc'd copy, its length in
 * *out_len; NULL when there is no such line (or no memory). */
static char *replace_header_start(const char *req, size_t len, const char *name, const char *from, const char *to,
                                  size_t *out_len) {
  char pat[400];
  int pn = snprintf(pat, sizeof pat, "\r\n%s: %s", name, from);
  if (pn < 0 || (size_t)pn >= sizeof pat) return NULL;
  const char *at = NULL;
  for (size_t i = 0; i + (size_t)pn <= len; i++)
    if (!memcmp(req + i, pat, (size_t)pn)) {
      at = req + i;
      break;
    }
  if (!at) return NULL;
  size_t head = (size_t)(at - req) + 4 + strlen(name); /* through "\r\n<name>: " */
  size_t fl = strlen(from), tl = strlen(to);
  char *out = malloc(len - fl + tl);
  if (!out) return NULL;
  memcpy(out, req, head);
  memcpy(out + head, to, tl);
  memcpy(out + head + tl, req + head + fl, len - head - fl);
  *out_len = len - fl + tl;
  return out;
}

/* ---- the INVITE -------------------------------------------------------------------------- */

static int build_invite(sipspec_session *s) {
  sipspec_ua *ua = s->ua;
  char branch[SIPSPEC_TSX_BRANCH_SIZE];
  int rc = sipspec_tsx_new_branch(branch, sizeof branch);
  if (rc) return rc;
  size_t cap = 2048 + strlen(s->target) * 2 + (s->to_display ? strlen(s->to_display) : 0) +
               (s->extra_headers ? strlen(s->extra_headers) : 0) +
               (s->auth_headers ? strlen(s->auth_headers) : 0) + strlen(ua->user_agent) +
               (ua->display_name ? strlen(ua->display_name) : 0) + s->offer_len;
  char *buf = malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  char disp[300] = "", todisp[300] = "", st_lines[160];
  session_timer_invite_headers(s, st_lines, sizeof st_lines); /* RFC 4028 7.1 */
  if (ua->display_name) snprintf(disp, sizeof disp, "\"%s\" ", ua->display_name);
  if (s->to_display) snprintf(todisp, sizeof todisp, "\"%s\" ", s->to_display);
  int n = snprintf(buf, cap,
                   "INVITE %s SIP/2.0\r\n"
                   "Via: %s;branch=%s\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: %s<sip:%s@%s>;tag=%s\r\n"
                   "To: %s<%s>\r\n"
                   "Call-ID: %s\r\n"
                   "CSeq: %u INVITE\r\n"
                   "Contact: <%s>\r\n"
                   "User-Agent: %s\r\n"
                   "Allow: " SESSION_ALLOW "\r\n"
                   "%s%s%s"
                   "Content-Type: application/sdp\r\n"
                   "Content-Length: %zu\r\n"
                   "\r\n",
                   s->target, s->via, branch, disp, ua->from_user, s->local_host, s->from_tag, todisp, s->target,
                   s->call_id, (unsigned)s->cseq, s->contact, ua->user_agent, st_lines, s->auth_headers ? s->auth_headers : "",
                   s->extra_headers ? s->extra_headers : "", s->offer_len);
  if (n < 0 || (size_t)n + s->offer_len >= cap) {
    free(buf);
    return SIPSPEC_E_MSG_NOSPACE;
  }
  memcpy(buf + n, s->offer, s->offer_len);
  free(s->invite);
  s->invite = buf;
  s->invite_len = (size_t)n + s->offer_len;
  return SIPSPEC_OK;
}

static void dlg_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *user);
static void dlg_send_request(sipspec_dialog *d, const char *req, size_t len, const char *hop, void *user);
static void dlg_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *user);
static void dlg_on_request(sipspec_dialog *d, const sipspec_msg *req, void *user);

/* A (new) UAC dialog for the INVITE just built (recreated after an auth retry). */
static int new_dialog(sipspec_session *s) {
  sipspec_msg *m = s->ua->scratch;
  int rc = sipspec_msg_parse(m, s->invite, s->invite_len);
  if (rc) return rc;
  char hdrs[512];
  snprintf(hdrs, sizeof hdrs, "User-Agent: %s\r\n", s->ua->user_agent);
  sipspec_dialog_local local = {s->via, s->contact, hdrs};
  sipspec_dialog_callbacks cb = {dlg_send_ack, dlg_send_request, dlg_respond, dlg_on_request, NULL, s};
  sipspec_dialog *d;
  rc = sipspec_dialog_create_uac(m, &local, &cb, &d);
  if (rc) return rc;
  sipspec_dialog_destroy(s->dialog);
  s->dialog = d;
  return sipspec_dialog_set_ack_headers(d, s->auth_headers);
}

/* Starts the digest bookkeeping of a new request (credentials cached for its realms). */
static int digest_begin(sipspec_session *s, const char *method, const char *uri, const char *body,
                        size_t body_len, char **lines) {
  *lines = NULL;
  if (!s->digest) return SIPSPEC_OK;
  sipspec_digest_request req = {method, uri, body, body_len};
  sipspec_digest_headers h;
  int rc = sipspec_digest_client_begin(s->digest, &req, &h);
  if (rc || !h.count) return rc;
  char *out = malloc(SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32));
  if (!out) return SIPSPEC_E_NOMEM;
  out[0] = '\0';
  rc = sipspec_digest_headers_format(&h, SIPSPEC_DIGEST_CREDENTIALS, out,
                                     SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32));
  if (rc) {
    free(out);
    return rc;
  }
  *lines = out;
  return SIPSPEC_OK;
}

static void session_act_send_invite(sipspec_session *s) {
  sipspec_sockaddr tl;
  int rc = build_invite(s);
  if (!rc && needs_tcp(s, s->invite_len, &s->dest, &tl)) { /* a retry with credentials too */
    move_to_tcp(s, &tl);
    rc = build_invite(s);
  }
  if (!rc) rc = new_dialog(s);
  if (!rc) rc = start_tsx(s, ST_INVITE, s->invite, s->invite_len, &s->dest);
  if (rc) {
    set_reason(s, "cannot send the INVITE: %s", sipspec_strerror(rc));
    s->status = 0;
    if (!s->start_err) s->start_err = rc;
    post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
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
static void rearm(sipspec_session *s) {
  host_timers_rearm(&s->timers);
  host_timers_rearm(&s->upd_timers);
  host_timers_rearm(&s->st_timers);
}

static int fire_session(void *owner, int event) {
  sipspec_session *s = owner;
  post(s, event, NULL);
  return sipspec_fsm_terminated(&s->fsm); /* finish() stopped every timer */
}

static int fire_update(void *owner, int event) {
  sipspec_session *s = owner;
  update_post(s, event, NULL);
  return sipspec_fsm_terminated(&s->fsm); /* finish() stopped every timer */
}

/* ---- actions -------------------------------------------------------------------------------- */

/* Reported once: every chart transition that reports a failure ends in Terminated. */
static void report_failed(sipspec_session *s, sipspec_result r) {
  s->result = r;
  s->ua->tel.sessionsFailed++;
  sipspec_response_info info = info_of(s);
  if (s->cb.on_failed) s->cb.on_failed(s, r, &info, s->cb.user);
}

static void session_act_report_provisional(sipspec_session *s) {
  if (!s->cur_msg) return;
  if (s->dialog) sipspec_dialog_rx_invite_response(s->dialog, s->cur_msg); /* early dialog */
  int st = sipspec_msg_status(s->cur_msg);
  if (st == 100 || !s->cb.on_provisional) return;
  char reason[128];
  copy_span_z(reason, sizeof reason, sipspec_msg_reason(s->cur_msg));
  s->cb.on_provisional(s, st, reason, s->cb.user);
}

static int new_dialog(sipspec_session *s);

/* The dialog ACKs a 2xx to our INVITE or re-INVITE (13.2.2.4). first: the 2xx that answers
 * the INVITE (the chart's send_ack, before Established), whose dialog the session takes. */
static int ack_2xx(sipspec_session *s, const sipspec_msg *resp, int first) {
  if (!resp || !s->dialog) return SIPSPEC_OK;
  int rc = sipspec_dialog_rx_invite_response(s->dialog, resp);
  if (rc == SIPSPEC_E_DIALOG_MISMATCH && first) {
    /* 12.1.2 / 13.2.2.4: the 2xx comes from another fork than the early dialog's 1xx; the
     * session's dialog is the one this 2xx creates. */
    rc = new_dialog(s);
    if (!rc) rc = sipspec_dialog_rx_invite_response(s->dialog, resp);
  }
  return rc == SIPSPEC_E_FSM_IGNORED ? SIPSPEC_OK : rc;
}

static void session_act_send_ack(sipspec_session *s) {
  int rc = ack_2xx(s, s->cur_msg, 1);
  if (rc) set_reason(s, "cannot ACK the 2xx: %s", sipspec_strerror(rc));
}

/* Established__RX_2XX: a copy of the 2xx that established the session. */
static void session_act_ack_again(sipspec_session *s) {
  int rc = ack_2xx(s, s->cur_msg, 0);
  if (rc) set_reason(s, "cannot ACK the 2xx: %s", sipspec_strerror(rc));
}

/* Keeps the session as negotiated: our offer and the server's answer (copies). */
static void keep_negotiated(sipspec_session *s, const char *local, size_t local_len, sipspec_span remote) {
  char *l = malloc(local_len ? local_len : 1), *r = malloc(remote.len ? remote.len : 1);
  if (!l || !r) {
    free(l);
    free(r);
    return;
  }
  if (local_len) memcpy(l, local, local_len);
  if (remote.len) memcpy(r, remote.p, remote.len);
  free(s->local_sdp);
  free(s->remote_sdp);
  s->local_sdp = l;
  s->local_len = local_len;
  s->remote_sdp = r;
  s->remote_len = remote.len;
}

static void session_act_report_answered(sipspec_session *s) {
  const sipspec_msg *m = s->cur_msg;
  if (!m) return;
  note_response(s, m);
  sipspec_span body = sipspec_msg_body(m);
  const sipspec_mrcp_answer *ans = NULL;
  if (s->mrcp) {
    sipspec_sdp_error e;
    memset(&e, 0, sizeof e);
    int rc = sipspec_mrcp_session_apply_answer(s->mrcp, body.p ? body.p : "", body.len, &e);
    if (rc) {
      snprintf(s->reason, sizeof s->reason, "the answer does not fit the offer: %s", sipspec_strerror(rc));
      post(s, SIPSPEC_EV_ANSWER_REFUSED, NULL); /* ACKed, now BYE (queued before any callback) */
      report_failed(s, SIPSPEC_RESULT_BAD_ANSWER);
      return;
    }
    ans = sipspec_mrcp_session_state(s->mrcp);
    s->answer_copy = *ans;
    s->have_answer = 1;
  }
  keep_negotiated(s, s->offer, s->offer_len, body);
  s->result = SIPSPEC_RESULT_OK;
  s->ua->tel.sessionsEstablished++;
  update_post(s, SIPSPEC_EV_TU_START, NULL); /* re-INVITEs may follow (14.1) */
  session_timer_feed(s, session_timer_classify_2xx(s, m), m); /* RFC 4028 7.2 */
  if (s->cb.on_answered) s->cb.on_answered(s, ans, body.p, body.len, s->cb.user);
}

/* ---- failover (RFC 3263 4.3) ---- */

static void session_act_report_transport_error(sipspec_session *s);

static int target_avoided(const sipspec_ua *ua, const sipspec_target *t) {
  uint64_t now = sipspec_clock_now_ms(ua->clock);
  for (size_t i = 0; i < sizeof ua->avoided / sizeof ua->avoided[0]; i++)
    if (ua->avoided[i].until > now && ua->avoided[i].tp == t->tp && sipspec_sockaddr_equal(&ua->avoided[i].addr, &t->addr))
      return 1;
  return 0;
}

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


static int session_address(sipspec_session *s, char *ip, size_t iplen);

/* The INVITE failed on this target: a final response (noted), Timer B, or a transport error
 * (its reason set by tsx_on_transport_error). The target keeps why it was left. */
static void session_act_note_failure(sipspec_session *s) {
  s->fail_ev = s->cur_ev;
  if (s->cur_ev == SIPSPEC_EV_RX_300_699 && s->cur_msg) note_response(s, s->cur_msg);
  if (s->cur_ev == SIPSPEC_EV_TXN_TIMEOUT) {
    s->status = 0;
    set_reason(s, "%s", "no response to the INVITE (Timer B)");
  }
  if (s->target_i < s->ntargets) {
    struct session_target *t = &s->targets[s->target_i];
    if (s->cur_ev == SIPSPEC_EV_RX_300_699) snprintf(t->left, sizeof t->left, "%d %.80s", s->status, s->reason);
    else snprintf(t->left, sizeof t->left, "%.95s", s->reason);
    if (s->cur_ev != SIPSPEC_EV_RX_300_699 || s->status == 503) {
      long ra = s->cur_ev == SIPSPEC_EV_RX_300_699 && s->cur_msg ? sipspec_msg_retry_after(s->cur_msg) : -1;
      target_avoid(s->ua, t, ra > 0 && ra <= 86400 ? (uint64_t)ra * 1000u : UA_AVOID_MS); /* RFC 3261 20.33 */
    }
  }
}

/* RFC 3263 4.3: a 503, no response at all (Timer B) or a transport error sends the request
 * to the next target, if there is one; anything else, or no target left, is the end. */
static void session_act_failover_or_give_up(sipspec_session *s) {
  int worth = (s->fail_ev == SIPSPEC_EV_RX_300_699 && s->status == 503) || s->fail_ev == SIPSPEC_EV_TXN_TIMEOUT ||
              s->fail_ev == SIPSPEC_EV_TRANSPORT_ERR;
  post(s, worth && s->target_i + 1 < s->ntargets ? SIPSPEC_EV_FAILOVER : SIPSPEC_EV_GIVE_UP, NULL);
}

/* The same INVITE (Call-ID, From tag, CSeq, body) to the next target: a new transaction with
 * a new branch, Via and Contact for the new transport and address (RFC 3263 4.3 para 3). */
static void session_act_send_invite_to_next_target(sipspec_session *s) {
  s->target_i++;
  s->kind = s->targets[s->target_i].tp;
  s->dest = s->targets[s->target_i].addr;
  s->ua->tel.sipFailovers++;
  char ip[SIPSPEC_SOCKADDR_STRLEN];
  int rc = session_address(s, ip, sizeof ip);
  if (rc) {
    set_reason(s, "cannot send the INVITE: %s", sipspec_strerror(rc));
    s->status = 0;
    post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
    return;
  }
  session_act_send_invite(s);
}

/* No target left: the last failure is the session's. */
static void session_act_report_give_up(sipspec_session *s) {
  if (s->fail_ev == SIPSPEC_EV_RX_300_699) report_failed(s, SIPSPEC_RESULT_REJECTED);
  else if (s->fail_ev == SIPSPEC_EV_TXN_TIMEOUT) report_failed(s, SIPSPEC_RESULT_TIMEOUT); /* reason noted */
  else session_act_report_transport_error(s);
}

int sipspec_session_target(const sipspec_session *s, unsigned i, sipspec_sockaddr *addr, sipspec_tp_kind *tp,
                           const char **left) {
  if (!s || i >= s->ntargets || i > s->target_i) return SIPSPEC_E_RANGE;
  if (addr) *addr = s->targets[i].addr;
  if (tp) *tp = s->targets[i].tp;
  if (left) *left = s->targets[i].left;
  return SIPSPEC_OK;
}

static void session_act_send_cancel(sipspec_session *s) {
  sipspec_msg *m = s->ua->scratch;
  if (!s->invite || sipspec_msg_parse(m, s->invite, s->invite_len) != SIPSPEC_OK) return;
  char buf[4096];
  sipspec_build b;
  sipspec_build_init(&b, buf, sizeof buf);
  sipspec_build_cancel(&b, m);
  sipspec_span hn = {"User-Agent", 10}, hv = {s->ua->user_agent, strlen(s->ua->user_agent)};
  sipspec_build_header(&b, hn, hv);
  sipspec_span none = {NULL, 0};
  if (sipspec_build_finish(&b, none) != SIPSPEC_OK) return;
  /* 9.1: the CANCEL goes where the INVITE went; its failure changes nothing (Timer CANCEL). */
  start_tsx(s, ST_CANCEL, buf, b.len, &s->dest);
}

/* Sends an in-dialog request through the dialog (which calls dlg_send_request back). */
static int send_in_dialog(sipspec_session *s, session_req *p) {
  char *cred = NULL, *lines = NULL;
  int rc = p->cred ? SIPSPEC_OK
                   : digest_begin(s, p->method, sipspec_dialog_remote_target(s->dialog), p->body, p->body_len, &cred);
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
  return s->dialog ? send_in_dialog(s, &p) : SIPSPEC_E_STATE;
}

static void session_act_send_bye(sipspec_session *s) {
  session_req p = {ST_BYE, "BYE", NULL, 0, 0, NULL, s->bye_extra};
  sipspec_uas_2xx_stop(&s->reinvite_2xx); /* the session ends: no more 2xx copies */
  s->bye_tried = 1;
  int rc = s->dialog ? send_in_dialog(s, &p) : SIPSPEC_E_STATE;
  if (rc) {
    s->status = 0;
    set_reason(s, "cannot send BYE: %s", sipspec_strerror(rc));
    post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
    return;
  }
  s->ua->tel.sipByeSent++;
}

static void session_act_send_in_dialog_request(sipspec_session *s) {
  session_req *p = s->next_req;
  if (!p || !s->dialog) return;
  p->rc = send_in_dialog(s, p);
}

/* Established__TIMER_KEEPALIVE: the OPTIONS of the keep-alive (its outcome: on_keepalive). */
static void session_act_send_keepalive(sipspec_session *s) {
  session_req p = {ST_OPTIONS, "OPTIONS", NULL, 0, SIPSPEC_OK, NULL, NULL};
  if (s->dialog) (void)send_in_dialog(s, &p);
}

static void session_act_answer_200(sipspec_session *s) {
  if (!s->cur_msg || !s->cur_srv) return;
  if (s->dialog && sipspec_dialog_rx_request(s->dialog, s->cur_msg) == SIPSPEC_OK)
    return; /* the dialog's answer_200 answered it */
  sipspec_tsx_respond(s->cur_srv, 200, NULL, NULL, NULL, 0);
}

/* The application ended the attempt (CancelPending, Cancelling). */
static void session_act_report_cancelled(sipspec_session *s) {
  if (s->cur_msg) note_response(s, s->cur_msg);
  else set_reason(s, "%s", "cancelled; no final response to the INVITE");
  report_failed(s, SIPSPEC_RESULT_CANCELLED);
}

/* The answer timer cancelled the attempt (AnswerTimedOut). */
static void session_act_report_answer_timeout(sipspec_session *s) {
  if (s->cur_msg) {
    note_response(s, s->cur_msg);
  } else {
    s->status = 0;
    set_reason(s, "%s", "no final response before the answer timer; cancelled");
  }
  report_failed(s, SIPSPEC_RESULT_TIMEOUT);
}

/* Idle__TU_END: ended while the target's name was being resolved; nothing was sent. */
static void session_act_stop_resolving(sipspec_session *s) {
  if (s->query) sipspec_resolve_cancel(s->ua->resolver, s->query);
  s->query = NULL;
}
static void session_act_report_ended_early(sipspec_session *s) {
  set_reason(s, "%s", "ended before the INVITE was sent");
  report_failed(s, SIPSPEC_RESULT_CANCELLED);
}

/* The chart actions that have no function of their own above. */
static void session_act_report_auth_failed(sipspec_session *s) { report_failed(s, SIPSPEC_RESULT_AUTH_FAILED); }
/* Before the session is established (the chart has no transport error in Established). */
static void session_act_report_transport_error(sipspec_session *s) {
  report_failed(s, s->dns_failed ? SIPSPEC_RESULT_DNS_FAILED
                   : s->tls_failed ? SIPSPEC_RESULT_TLS_FAILED : SIPSPEC_RESULT_TRANSPORT_ERROR);
}
static void session_act_report_terminated_by_peer(sipspec_session *s) { s->end_by = SIPSPEC_END_PEER; }
/* Established__RX_481_408: the response to an in-dialog request ends the dialog (12.2.1.2). */
static void session_act_report_terminated(sipspec_session *s) {
  if (s->cur_msg) {
    note_response(s, s->cur_msg);
    if (s->dialog) sipspec_dialog_rx_request_response(s->dialog, sipspec_msg_status(s->cur_msg));
  }
  s->end_by = SIPSPEC_END_ERROR;
}
/* Established__REQ_TIMEOUT: no response at all to an in-dialog request (12.2.1.2). */
static void session_act_report_request_timeout(sipspec_session *s) {
  s->status = 0;
  set_reason(s, "%s", "no response to an in-dialog request");
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
  set_reason(s, "%s", "no ACK for our 2xx to the server's re-INVITE within 64*T1");
  s->end_by = SIPSPEC_END_ERROR;
}
static void session_act_report_bye_unanswered(sipspec_session *s) {
  s->status = 0;
  set_reason(s, "%s", "no response to BYE (Timer F)");
  s->ua->tel.sipByeAcksMissing++;
}

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_session *s = ctx;
  assert(chart == &sipspec_chart_uac_session);
  (void)chart;
  if (host_timers_apply(&s->timers, action)) return;
  sipspec_uac_session_dispatch(&sipspec_uac_session_impl, s, action);
}

/* ---- feeding ------------------------------------------------------------------------------- */

/* The session's chart has reached Terminated: stop everything, last callback, hand it to
 * the clock (buried). Runs once: post() calls it when a feed took the chart there. */
static void finish(sipspec_session *s) {
  /* Every way out of Terminating left the BYE's outcome in status and reason (its final
   * response, Timer F, a transport error, a BYE that could not be sent): kept apart, so
   * that the application can tell it from the INVITE's (sipspec_session_bye_status()). */
  s->bye_status = -1;
  s->bye_reason[0] = '\0';
  if (s->bye_tried) {
    s->bye_status = s->status;
    snprintf(s->bye_reason, sizeof s->bye_reason, "%s", s->reason);
  }
  update_post(s, SIPSPEC_EV_TU_END, NULL); /* 14.1: no re-INVITE once hung up */
  (void)sipspec_fsm_feed(&s->st, SIPSPEC_EV_TU_END); /* no refresh once hung up */
  host_timers_stop(&s->timers);
  host_timers_stop(&s->upd_timers);
  host_timers_stop(&s->st_timers);
  sipspec_uas_2xx_stop(&s->reinvite_2xx);
  for (int i = 0; i < SESSION_MAX_TSX; i++)
    if (s->tsx[i].t) {
      sipspec_tsx_set_callbacks(s->tsx[i].t, NULL);
      s->tsx[i].t = NULL;
    }
  ua_session_bury(s->ua, s);
  if (s->cb.on_terminated) s->cb.on_terminated(s, s->end_by, s->cb.user);
}

static int feed_one(sipspec_session *s, int ev, const sipspec_msg *msg) {
  s->cur_ev = ev;
  s->cur_msg = msg;
  int rc = sipspec_fsm_feed(&s->fsm, ev);
  s->cur_msg = NULL;
  return rc;
}

int session_post(sipspec_session *s, int ev, const sipspec_msg *msg) { return post(s, ev, msg); }

static int post(sipspec_session *s, int ev, const sipspec_msg *msg) {
  if (sipspec_fsm_terminated(&s->fsm)) return SIPSPEC_E_FSM_TERMINATED;
  if (s->busy) {
    /* A message cannot outlive its receive call (the peer retransmits it). */
    if (msg || s->q_len == SESSION_QUEUE_MAX) return SIPSPEC_E_AGAIN;
    s->q[(s->q_head + s->q_len++) % SESSION_QUEUE_MAX].ev = ev;
    return SIPSPEC_OK;
  }
  s->busy = 1;
  int rc = feed_one(s, ev, msg);
  for (int guard = 0; s->q_len && guard < 4 * SESSION_QUEUE_MAX; guard++) {
    int e = s->q[s->q_head].ev;
    s->q_head = (s->q_head + 1) % SESSION_QUEUE_MAX;
    s->q_len--;
    feed_one(s, e, NULL);
  }
  s->busy = 0;
  if (sipspec_fsm_terminated(&s->fsm)) finish(s); /* it was not at the top: once */
  else rearm(s);
  return rc;
}

/* ---- the update chart (spec/uac_update.rl): our re-INVITEs ------------------------------ */

static void update_on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_session *s = ctx;
  assert(chart == &sipspec_chart_uac_update);
  (void)chart;
  if (host_timers_apply(&s->upd_timers, action)) return;
  sipspec_uac_update_dispatch(&sipspec_uac_update_impl, s, action);
}

/* Feeds the update chart one event (its actions never feed it again). A send that failed
 * inside the transition (upd_rc) is fed after it as NOT_SENT. Returns the feed's result. */
static int update_post(sipspec_session *s, int ev, const sipspec_msg *msg) {
  const sipspec_msg *saved = s->upd_msg;
  s->upd_msg = msg;
  s->upd_rc = SIPSPEC_OK;
  int rc = sipspec_fsm_feed(&s->upd, ev);
  s->upd_msg = NULL;
  if (!rc && s->upd_rc) (void)sipspec_fsm_feed(&s->upd, SIPSPEC_EV_NOT_SENT);
  s->upd_msg = saved;
  if (!sipspec_fsm_terminated(&s->fsm)) rearm(s);
  return rc;
}

static void reinvite_done(sipspec_session *s, const sipspec_msg *resp, const char *why);
static int in_dialog_cred(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                          size_t body_len, const char *cred);

/* Ready__TU_REQUEST: the change the application asked for (change_res, change_add) as a new
 * offer in a re-INVITE (RFC 6787 4.2). Nothing sent: the change is forgotten and why is in
 * upd_rc, which the API call returns. */
static void update_act_send_offer(sipspec_session *s) {
  int rc = s->mrcp ? SIPSPEC_OK : SIPSPEC_E_INVAL;
  if (!rc)
    rc = s->change_add ? sipspec_mrcp_session_add(s->mrcp, s->change_res)
                       : sipspec_mrcp_session_remove(s->mrcp, s->change_res);
  if (rc) {
    s->upd_rc = rc;
    return;
  }
  char tmp[8192];
  size_t len = 0;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  rc = sipspec_mrcp_session_offer(s->mrcp, tmp, sizeof tmp, &len, &e);
  if (!rc) {
    free(s->reinvite_body);
    s->reinvite_len = 0;
    if (!(s->reinvite_body = malloc(len ? len : 1))) rc = SIPSPEC_E_NOMEM;
  }
  if (!rc) {
    memcpy(s->reinvite_body, tmp, len);
    s->reinvite_len = len;
    rc = in_dialog_cred(s, ST_REINVITE, "INVITE", s->reinvite_body, s->reinvite_len, NULL);
  }
  if (rc) {
    sipspec_mrcp_session_offer_refused(s->mrcp); /* nothing was sent: forget the change */
    s->upd_rc = rc;
  }
}

/* AUTH_RETRY: the same offer again with the credentials (22.2: CSeq + 1 through the dialog,
 * a new branch). Not sent: the update has failed with the challenge's status. */
static void update_act_send_offer_with_credentials(sipspec_session *s) {
  int rc = in_dialog_cred(s, ST_REINVITE, "INVITE", s->reinvite_body, s->reinvite_len, s->upd_cred);
  if (rc) {
    reinvite_done(s, s->upd_msg, NULL);
    s->upd_rc = rc;
  }
}

/* Retrying__TIMER_RETRY: the same offer once more after the 491's wait (14.1). */
static void update_act_send_offer_again(sipspec_session *s) {
  int rc = in_dialog_cred(s, ST_REINVITE, "INVITE", s->reinvite_body, s->reinvite_len, NULL);
  if (rc) {
    reinvite_done(s, NULL, "cannot send the re-INVITE again after 491");
    s->upd_rc = rc;
  }
}

/* Offering__RX_491: 14.1, we own the Call-ID: a random wait of 2.1 to 4 s in 10 ms units,
 * given to the RETRY timer that the transition starts next. */
static void update_act_choose_retry_wait(sipspec_session *s) {
  unsigned char r[2] = {0, 0};
  (void)RAND_bytes(r, 2);
  unsigned steps = ((unsigned)r[0] << 8 | r[1]) % 191u; /* 0 .. 190 */
  (void)sipspec_fsm_timers_set(&s->upd_timers.set, SIPSPEC_EV_TIMER_RETRY, 2100u + 10u * steps);
}

static void update_act_send_ack(sipspec_session *s) { (void)ack_2xx(s, s->upd_msg, 0); }
static void update_act_report_updated(sipspec_session *s) { reinvite_done(s, s->upd_msg, NULL); }
static void update_act_report_refused(sipspec_session *s) { reinvite_done(s, s->upd_msg, NULL); }
static void update_act_report_unanswered(sipspec_session *s) { reinvite_done(s, NULL, NULL); }

/* ---- the transactions' callbacks --------------------------------------------------------- */

/* ---- other forks (13.2.2.4) ------------------------------------------------------------- */

static void fork_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  (void)d;
  if (s->n_forks >= SESSION_MAX_FORKS) return;
  session_fork *f = &s->forks[s->n_forks];
  free(f->ack);
  f->ack_len = 0;
  if (!(f->ack = malloc(len))) return;
  memcpy(f->ack, ack, len);
  f->ack_len = len;
  ua_hop_addr(s, hop, &f->to);
  sipspec_tsx_layer_send(s->ua->layer, s->kind, &f->to, ack, len);
}

static void fork_send_request(sipspec_dialog *d, const char *req, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a;
  (void)d;
  ua_hop_addr(s, hop, &a);
  start_tsx(s, ST_FORK_BYE, req, len, &a); /* its outcome changes nothing here */
}

/* 1 when resp, a 2xx to our current INVITE, carries a To tag other than the one the
 * session's dialog has (an early dialog's or the confirmed one's): another fork's 2xx,
 * RX_2XX_FORK. Before any tagged response the dialog has no tag: RX_2XX. */
static int other_fork(const sipspec_session *s, const sipspec_msg *resp) {
  if (!s->dialog) return 0;
  const sipspec_dialog_id *id = sipspec_dialog_id_get(s->dialog);
  sipspec_addr to;
  if (!id->remote_tag[0] || sipspec_msg_to(resp, &to) != SIPSPEC_OK || !to.tag.len ||
      to.tag.len > SIPSPEC_DIALOG_TAG_MAX || sipspec_msg_cseq(resp) != s->cseq)
    return 0;
  return to.tag.len != strlen(id->remote_tag) || memcmp(to.tag.p, id->remote_tag, to.tag.len);
}

/* RX_2XX_FORK once the session runs on its dialog (Established, Terminating): RFC 3261
 * 13.2.2.4 says ACK that 2xx, and since the session already runs on another dialog, end
 * this one with BYE at once. Copies of that 2xx get the same ACK again. */
static void session_act_end_fork(sipspec_session *s) {
  const sipspec_msg *resp = s->cur_msg;
  sipspec_addr to;
  if (!resp || !s->dialog || !s->invite || sipspec_msg_to(resp, &to) != SIPSPEC_OK || !to.tag.len ||
      to.tag.len > SIPSPEC_DIALOG_TAG_MAX)
    return;
  for (int i = 0; i < s->n_forks; i++) {
    session_fork *f = &s->forks[i];
    if (to.tag.len == strlen(f->tag) && !memcmp(to.tag.p, f->tag, to.tag.len)) {
      sipspec_tsx_layer_send(s->ua->layer, s->kind, &f->to, f->ack, f->ack_len);
      return;
    }
  }
  if (s->n_forks >= SESSION_MAX_FORKS) return; /* too many forks: dropped */
  sipspec_msg *m = s->ua->scratch;
  if (sipspec_msg_parse(m, s->invite, s->invite_len) != SIPSPEC_OK) return;
  char hdrs[512];
  snprintf(hdrs, sizeof hdrs, "User-Agent: %s\r\n", s->ua->user_agent);
  sipspec_dialog_local local = {s->via, s->contact, hdrs};
  sipspec_dialog_callbacks cb = {fork_send_ack, fork_send_request, NULL, NULL, NULL, s};
  sipspec_dialog *d = NULL;
  if (sipspec_dialog_create_uac(m, &local, &cb, &d) != SIPSPEC_OK) return;
  sipspec_dialog_set_ack_headers(d, s->auth_headers);
  if (sipspec_dialog_rx_invite_response(d, resp) == SIPSPEC_OK && s->n_forks < SESSION_MAX_FORKS &&
      s->forks[s->n_forks].ack) {
    session_fork *f = &s->forks[s->n_forks++];
    memcpy(f->tag, to.tag.p, to.tag.len);
    f->tag[to.tag.len] = '\0';
    char *cred = NULL;
    if (digest_begin(s, "BYE", sipspec_dialog_remote_target(d), NULL, 0, &cred) == SIPSPEC_OK) {
      sipspec_dialog_req r = {"BYE", cred, NULL, NULL, 0};
      if (sipspec_dialog_request(d, &r, NULL) == SIPSPEC_OK) s->ua->tel.sipByeSent++;
    }
    free(cred);
  }
  sipspec_dialog_destroy(d);
}

/* A 401/407 to the INVITE: AUTH_RETRY with fresh credentials, or AUTH_FAILED; the chart
 * decides what either means where it is (no retry once the application ended it). */
static char *answer_challenge(sipspec_session *s, const sipspec_msg *resp, const char *method, const char *uri,
                              const char *body, size_t body_len);
static void on_challenge(sipspec_session *s, const sipspec_msg *resp) {
  note_response(s, resp);
  char *lines = answer_challenge(s, resp, "INVITE", s->target, s->offer, s->offer_len);
  if (lines) {
    free(s->auth_headers);
    s->auth_headers = lines;
    post(s, SIPSPEC_EV_AUTH_RETRY, resp);
  } else {
    post(s, SIPSPEC_EV_AUTH_FAILED, resp);
  }
}

/* The re-INVITE's outcome to the application: resp (a final response), or none (why, or
 * "no response"). */
static void reinvite_done(sipspec_session *s, const sipspec_msg *resp, const char *why) {
  sipspec_response_info info = {0, why ? why : "no response to the re-INVITE", NULL};
  char reason[128] = "";
  const sipspec_mrcp_answer *ans = NULL;
  if (resp) {
    info.status = sipspec_msg_status(resp);
    copy_span_z(reason, sizeof reason, sipspec_msg_reason(resp));
    info.reason = reason;
    if (info.status < 300 && s->mrcp) {
      sipspec_span body = sipspec_msg_body(resp);
      sipspec_sdp_error e;
      memset(&e, 0, sizeof e);
      if (sipspec_mrcp_session_apply_answer(s->mrcp, body.p ? body.p : "", body.len, &e) == SIPSPEC_OK) {
        ans = sipspec_mrcp_session_state(s->mrcp);
        s->answer_copy = *ans;
        keep_negotiated(s, s->reinvite_body, s->reinvite_len, body);
      } else {
        info.reason = "the answer to the re-INVITE does not fit the offer";
      }
    }
  }
  /* 14.1: a re-INVITE that fails leaves the session as it was, and so is the next offer. */
  if (!ans && s->mrcp) sipspec_mrcp_session_offer_refused(s->mrcp);
  if (s->cb.on_updated) s->cb.on_updated(s, &info, ans, s->cb.user);
}

/* The digest client's verdict on a 401/407 (RFC 3261 22.2) to request (method, uri, body):
 * the credentials lines to retry with (malloc'd), or NULL with why in s->reason. */
static char *answer_challenge(sipspec_session *s, const sipspec_msg *resp, const char *method, const char *uri,
                              const char *body, size_t body_len) {
  if (!s->ua->have_auth) {
    snprintf(s->reason, sizeof s->reason, "%d challenge and no credentials configured", sipspec_msg_status(resp));
    return NULL;
  }
  int rc = SIPSPEC_OK;
  if (!s->digest) rc = sipspec_digest_client_create(&s->ua->auth, &s->digest);
  sipspec_digest_msg_scratch *scratch = rc ? NULL : malloc(sizeof *scratch);
  sipspec_digest_verdict *v = rc ? NULL : malloc(sizeof *v);
  char *lines = NULL;
  if (!scratch || !v) {
    set_reason(s, "cannot answer the challenge: %s", sipspec_strerror(rc ? rc : SIPSPEC_E_NOMEM));
  } else {
    sipspec_digest_request req = {method, uri, body, body_len};
    sipspec_digest_client_on_response(s->digest, resp, &req, scratch, v);
    size_t cap = SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32);
    if (v->action == SIPSPEC_DIGEST_RETRY && (lines = malloc(cap))) {
      lines[0] = '\0';
      if (sipspec_digest_headers_format(&v->headers, SIPSPEC_DIGEST_CREDENTIALS, lines, cap) != SIPSPEC_OK) {
        free(lines);
        lines = NULL;
      }
    }
    if (!lines)
      snprintf(s->reason, sizeof s->reason, "%s",
               v->action == SIPSPEC_DIGEST_FAIL ? v->reason : "cannot write the credentials");
  }
  free(scratch);
  free(v);
  return lines;
}

/* A 401/407 to our re-INVITE: AUTH_RETRY with the credentials (the update chart sends the
 * same offer again: 22.2, CSeq + 1 through the dialog, a new branch), or AUTH_FAILED. */
static void reinvite_challenged(sipspec_session *s, const sipspec_msg *resp) {
  char *lines = s->dialog ? answer_challenge(s, resp, "INVITE", sipspec_dialog_remote_target(s->dialog),
                                             s->reinvite_body, s->reinvite_len)
                          : NULL;
  s->upd_cred = lines;
  update_post(s, lines ? SIPSPEC_EV_AUTH_RETRY : SIPSPEC_EV_AUTH_FAILED, resp);
  s->upd_cred = NULL;
  free(lines);
}

/* A 401/407 to our BYE (RFC 3261 22.2): e.g. a nonce that went stale while the session was
 * held, or a realm whose credentials the BYE did not carry. The chart decides: AUTH_RETRY
 * (Terminating__AUTH_RETRY sends the BYE again with the digest client's credentials) or
 * AUTH_FAILED (no credentials, or the client gave up: the session ends with this status all
 * the same, the reason in s->reason). */
static void bye_challenged(sipspec_session *s, const sipspec_msg *resp) {
  char *lines = s->dialog ? answer_challenge(s, resp, "BYE", sipspec_dialog_remote_target(s->dialog), NULL, 0) : NULL;
  if (!lines) {
    post(s, SIPSPEC_EV_AUTH_FAILED, resp);
    return;
  }
  free(s->bye_auth);
  s->bye_auth = lines;
  post(s, SIPSPEC_EV_AUTH_RETRY, resp);
}

/* Terminating__AUTH_RETRY: the BYE through the dialog again (CSeq + 1, a new branch) with
 * the credentials bye_challenged() got; a BYE that cannot be sent ends the session the way
 * a refused challenge does. */
static void session_act_send_bye_with_credentials(sipspec_session *s) {
  session_req p = {ST_BYE, "BYE", NULL, 0, SIPSPEC_OK, s->bye_auth, s->bye_extra};
  session_req *saved = s->cur_req;
  s->cur_req = &p;
  int rc = s->dialog && s->bye_auth ? sipspec_dialog_bye_again(s->dialog, s->bye_auth, NULL) : SIPSPEC_E_STATE;
  s->cur_req = saved;
  if (!rc) rc = p.rc;
  if (rc) {
    set_reason(s, "cannot send BYE with credentials: %s", sipspec_strerror(rc));
    post(s, SIPSPEC_EV_AUTH_FAILED, NULL);
    return;
  }
  s->ua->tel.sipByeSent++;
}

static void tsx_on_response(sipspec_tsx *t, const sipspec_msg *resp, void *user) {
  session_tsx *slot = user;
  sipspec_session *s = slot->s;
  int st = sipspec_msg_status(resp);
  (void)t;
  switch (slot->role) {
  case ST_INVITE: /* once answered, the ICT passes only copies of 2xx (RFC 6026 8.4) */
    if (st < 200) post(s, SIPSPEC_EV_RX_1XX, resp);
    else if (st < 300) post(s, other_fork(s, resp) ? SIPSPEC_EV_RX_2XX_FORK : SIPSPEC_EV_RX_2XX, resp);
    else if (st == 401 || st == 407) on_challenge(s, resp);
    else if (st != 422 || !session_timer_422_usable(s, resp) || session_timer_feed(s, SIPSPEC_EV_RX_422, resp))
      post(s, SIPSPEC_EV_RX_300_699, resp); /* a 422 we meet: the timer chart has the INVITE sent again */
    break;
  case ST_REFRESH: /* the session timer's UPDATE or re-INVITE (RFC 4028 10) */
    if (st < 200) return;
    if (st < 300 && sipspec_msg_cseq_method(resp) == SIPSPEC_METHOD_INVITE) (void)ack_2xx(s, resp, 0);
    if (st < 300) session_timer_feed(s, session_timer_classify_2xx(s, resp), resp);
    else if (st == 401 || st == 407) {
      int inv = sipspec_msg_cseq_method(resp) == SIPSPEC_METHOD_INVITE;
      session_timer_challenged(s, resp,
                               s->dialog ? answer_challenge(s, resp, inv ? "INVITE" : "UPDATE",
                                                            sipspec_dialog_remote_target(s->dialog),
                                                            inv ? s->local_sdp : NULL, inv ? s->local_len : 0)
                                         : NULL);
    } else if (st == 422 && session_timer_refresh_422_usable(s, resp)) session_timer_feed(s, SIPSPEC_EV_RX_422, resp);
    else if (st == 491) session_timer_feed(s, SIPSPEC_EV_RX_491, resp);
    else if (st == 503 && sipspec_msg_find(resp, "Retry-After", 0) >= 0) session_timer_feed(s, SIPSPEC_EV_RX_503, resp);
    else session_timer_feed(s, st == 481 || st == 408 ? SIPSPEC_EV_RX_481_408 : SIPSPEC_EV_RX_300_699, resp);
    break;
  case ST_BYE:
    if (st < 200) return;
    note_response(s, resp);
    if (st == 401 || st == 407) bye_challenged(s, resp);
    else post(s, SIPSPEC_EV_RX_BYE_RESPONSE, resp);
    break;
  case ST_REINVITE: /* the update chart, then the session for a 481/408 (12.2.1.2) */
    if (st < 200) return;
    if (st < 300) update_post(s, SIPSPEC_EV_RX_2XX, resp);
    else if (st == 401 || st == 407) reinvite_challenged(s, resp);
    else if (st == 491) update_post(s, SIPSPEC_EV_RX_491, resp);
    else update_post(s, st == 481 || st == 408 ? SIPSPEC_EV_RX_481_408 : SIPSPEC_EV_RX_300_699, resp);
    if (st == 481 || st == 408) post(s, SIPSPEC_EV_RX_481_408, resp);
    break;
  case ST_OPTIONS:
    if (st < 200) return;
    if (s->cb.on_keepalive) {
      char reason[128];
      copy_span_z(reason, sizeof reason, sipspec_msg_reason(resp));
      sipspec_response_info info = {st, reason, NULL};
      s->cb.on_keepalive(s, &info, s->cb.user);
    }
    if (st == 481 || st == 408) post(s, SIPSPEC_EV_RX_481_408, resp);
    break;
  case ST_CANCEL:
  case ST_FORK_BYE: break;
  }
}

static void tsx_on_timeout(sipspec_tsx *t, void *user) {
  session_tsx *slot = user;
  sipspec_session *s = slot->s;
  (void)t;
  switch (slot->role) {
  case ST_INVITE: /* Timer B: only before an answer (an answered ICT ends on Timer M) */
    (void)session_timer_feed(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    break;
  case ST_BYE: post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL); break;
  case ST_REFRESH: session_timer_feed(s, SIPSPEC_EV_TXN_TIMEOUT, NULL); break;
  case ST_OPTIONS:
  case ST_REINVITE:
    if (slot->role == ST_REINVITE) update_post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    if (slot->role == ST_OPTIONS && s->cb.on_keepalive) {
      sipspec_response_info info = {0, "no response to OPTIONS (Timer F)", NULL};
      s->cb.on_keepalive(s, &info, s->cb.user);
    }
    post(s, SIPSPEC_EV_REQ_TIMEOUT, NULL);
    break;
  case ST_CANCEL:
  case ST_FORK_BYE: break;
  }
}

static void tsx_on_transport_error(sipspec_tsx *t, int code, void *user) {
  session_tsx *slot = user;
  sipspec_session *s = slot->s;
  (void)t;
  if (slot->role == ST_REFRESH) { /* 17.1.4: no response will come (RFC 4028 10) */
    session_timer_feed(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    return;
  }
  if (slot->role == ST_OPTIONS || slot->role == ST_REINVITE) {
    /* 17.1.4 (an ICMP port unreachable over UDP, 18.4; a refused connection over TCP): no
     * response will come, and the dialog takes it as it takes none at all (12.2.1.2). */
    char why[128];
    snprintf(why, sizeof why, "transport error: %s", sipspec_strerror(code));
    if (slot->role == ST_REINVITE) update_post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    if (slot->role == ST_OPTIONS && s->cb.on_keepalive) {
      sipspec_response_info info = {0, why, NULL};
      s->cb.on_keepalive(s, &info, s->cb.user);
    }
    post(s, SIPSPEC_EV_REQ_TIMEOUT, NULL);
    return;
  }
  if (slot->role != ST_INVITE && slot->role != ST_BYE) return; /* an answered ICT sends nothing */
  s->status = 0;
  set_reason(s, "transport error: %s", sipspec_strerror(code));
  /* TLS says which check failed (net/tls.c): that sentence is the reason */
  s->tls_failed = code <= SIPSPEC_E_TLS_UNTRUSTED && code >= SIPSPEC_E_TLS_VERIFY;
  if (s->tls_failed) set_reason(s, "%s", sipspec_tsx_layer_transport_error(s->ua->layer));
  post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
}

static void tsx_on_terminated(sipspec_tsx *t, void *user) {
  session_tsx *slot = user;
  (void)t;
  slot->t = NULL;
}

/* ---- the dialog's callbacks -------------------------------------------------------------- */

static void dlg_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a;
  (void)d;
  ua_hop_addr(s, hop, &a);
  sipspec_tsx_layer_send(s->ua->layer, s->kind, &a, ack, len);
}

/* An in-dialog request (re-INVITE, OPTIONS, BYE) built by the dialog. One too big for UDP
 * (18.1.1) moves the session to TCP and goes there, its Via and Contact rewritten to the
 * TCP ones the dialog builds with from now on. */
static void dlg_send_request(sipspec_dialog *d, const char *req, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a, tl;
  (void)d;
  if (!s->cur_req) return;
  ua_hop_addr(s, hop, &a);
  if (!needs_tcp(s, len, &a, &tl)) {
    s->cur_req->rc = start_tsx(s, s->cur_req->role, req, len, &a);
    return;
  }
  char old_via[sizeof s->via], old_contact[sizeof s->contact + 2], new_contact[sizeof s->contact + 2];
  snprintf(old_via, sizeof old_via, "%s", s->via);
  snprintf(old_contact, sizeof old_contact, "<%s>", s->contact);
  move_to_tcp(s, &tl);
  snprintf(new_contact, sizeof new_contact, "<%s>", s->contact);
  size_t l1 = 0, l2 = 0;
  char *v = replace_header_start(req, len, "Via", old_via, s->via, &l1);
  char *c = v ? replace_header_start(v, l1, "Contact", old_contact, new_contact, &l2) : NULL;
  if (!v) s->cur_req->rc = SIPSPEC_E_NOMEM;
  else if (c) s->cur_req->rc = start_tsx(s, s->cur_req->role, c, l2, &a);
  else s->cur_req->rc = start_tsx(s, s->cur_req->role, v, l1, &a); /* no Contact (not an INVITE) */
  free(v);
  free(c);
}

static void dlg_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *user) {
  sipspec_session *s = user;
  (void)d, (void)req;
  if (s->cur_srv) sipspec_tsx_respond(s->cur_srv, status, reason, NULL, NULL, 0);
}

static int origin_equal(const sipspec_sdp_origin *a, const sipspec_sdp_origin *b) {
  const sipspec_span *x[] = {&a->username, &a->sess_id, &a->sess_version, &a->nettype, &a->addrtype, &a->address};
  const sipspec_span *y[] = {&b->username, &b->sess_id, &b->sess_version, &b->nettype, &b->addrtype, &b->address};
  for (size_t i = 0; i < sizeof x / sizeof x[0]; i++)
    if (x[i]->len != y[i]->len || (x[i]->len && memcmp(x[i]->p, y[i]->p, x[i]->len))) return 0;
  return 1;
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
  sipspec_sdp *offer = NULL, *cur = NULL;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  if (!body.len) {
    why = "a re-INVITE without an offer is not supported";
  } else if (!s->remote_sdp || !s->local_sdp) {
    why = "no negotiated session to refresh";
  } else if (sipspec_sdp_parse(body.p, body.len, NULL, &offer, &e) != SIPSPEC_OK) {
    snprintf(buf, cap, "the offer does not parse (line %u: %s)", e.line, e.reason);
    why = buf;
  } else if (sipspec_sdp_parse(s->remote_sdp, s->remote_len, NULL, &cur, NULL) != SIPSPEC_OK ||
             !origin_equal(&offer->origin, &cur->origin)) {
    why = "only a session refresh (the same o= line and version) is accepted; the client changes the session";
  }
  sipspec_sdp_free(offer);
  sipspec_sdp_free(cur);
  return why;
}

/* RX_INVITE_CHANGE: 488 with a Warning saying why. */
static void update_act_answer_488(sipspec_session *s) {
  if (!s->upd_msg || !s->cur_srv) return;
  char why_buf[300], clean[300], hdrs[600];
  const char *why = refresh_refusal(s, s->upd_msg, why_buf, sizeof why_buf);
  /* the Warning text is a quoted-string: the reasons above hold no quote or backslash */
  copy_span_z(clean, sizeof clean, (sipspec_span){why ? why : "", why ? strlen(why) : 0});
  for (char *c = clean; *c; c++)
    if (*c == '"' || *c == '\\') *c = '\'';
  snprintf(hdrs, sizeof hdrs, "Warning: 399 sipspec \"%s\"\r\n", clean);
  sipspec_tsx_respond(s->cur_srv, 488, NULL, hdrs, NULL, 0);
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
  if (!s->mrcp || !s->local_sdp || !s->remote_sdp) return;
  int asks_new = 0;
  for (size_t i = 0; !asks_new && i + sizeof new_conn - 1 <= s->local_len; i++)
    asks_new = !memcmp(s->local_sdp + i, new_conn, sizeof new_conn - 1);
  if (!asks_new) return;
  char tmp[8192];
  size_t len = 0;
  sipspec_sdp_error e;
  memset(&e, 0, sizeof e);
  if (sipspec_mrcp_session_offer(s->mrcp, tmp, sizeof tmp, &len, &e) != SIPSPEC_OK) return; /* as it was */
  keep_negotiated(s, tmp, len, (sipspec_span){s->remote_sdp, s->remote_len});
}

/* RX_INVITE (a refresh): 200 with our current SDP; 13.3.1.4: sent again T1, 2*T1, ...
 * (capped at T2) until its ACK; after 64*T1 without one, NO_ACK ends the session with
 * BYE. Not sent: NOT_SENT (no 2xx to wait for). */
static void update_act_answer_refresh(sipspec_session *s) {
  if (!s->upd_msg || !s->cur_srv) {
    s->upd_rc = SIPSPEC_E_STATE;
    return;
  }
  keep_connection(s);
  /* RFC 4028 10: the peer's re-INVITE refreshes the session; the timer chart says with
   * which Session-Expires we answer (none when no timer runs). */
  s->st_hdrs[0] = '\0';
  (void)session_timer_feed(s, session_timer_classify_request(s->upd_msg), s->upd_msg);
  char hdrs[800];
  snprintf(hdrs, sizeof hdrs,
           "Contact: <%s>\r\nAllow: " SESSION_ALLOW "\r\nSupported: timer\r\n%sContent-Type: application/sdp\r\n",
           s->contact, s->st_hdrs);
  int rc = sipspec_uas_2xx_send(&s->reinvite_2xx, s->cur_srv, sipspec_msg_cseq(s->upd_msg), s->ua->cfg.t1_ms,
                                s->ua->cfg.t2_ms, 200, hdrs, s->local_sdp, s->local_len);
  if (rc) s->upd_rc = rc;
}

/* 14.2: our 2xx to the server's previous INVITE is not ACKed yet. */
static void update_act_answer_500(sipspec_session *s) {
  if (s->cur_srv)
    sipspec_tsx_respond(s->cur_srv, 500, NULL,
                        "Retry-After: 1\r\nWarning: 399 sipspec \"the 2xx to the previous re-INVITE is not ACKed yet\"\r\n",
                        NULL, 0);
}

/* 14.2: our own re-INVITE is in progress. */
static void update_act_answer_491(sipspec_session *s) {
  if (s->cur_srv) sipspec_tsx_respond(s->cur_srv, 491, NULL, NULL, NULL, 0);
}

void session_answer_update(sipspec_session *s, const sipspec_msg *req) {
  if (!s->cur_srv) return;
  sipspec_span body = sipspec_msg_body(req);
  if (body.len) keep_connection(s);
  char hdrs[800];
  snprintf(hdrs, sizeof hdrs, "Contact: <%s>\r\nAllow: " SESSION_ALLOW "\r\nSupported: timer\r\n%s%s", s->contact,
           s->st_hdrs, body.len ? "Content-Type: application/sdp\r\n" : "");
  sipspec_tsx_respond(s->cur_srv, 200, NULL, hdrs, body.len ? s->local_sdp : NULL, body.len ? s->local_len : 0);
}

/* The peer's UPDATE (RFC 3311): without an offer, a refresh answered 200 (RFC 4028 10); with
 * one, the offer/answer rules of a re-INVITE here (refresh_refusal: the same SDP gets 200
 * with ours, another 488). The timer chart answers the refresh with its Session-Expires;
 * one that it does not take (no session yet) gets 200 without. */
static void rx_update(sipspec_session *s, const sipspec_msg *req) {
  char buf[300];
  sipspec_span body = sipspec_msg_body(req);
  const char *why = body.len ? refresh_refusal(s, req, buf, sizeof buf) : NULL;
  if (why) {
    char clean[300], hdrs[400];
    copy_span_z(clean, sizeof clean, (sipspec_span){why, strlen(why)});
    for (char *c = clean; *c; c++)
      if (*c == '"' || *c == '\\') *c = '\'';
    snprintf(hdrs, sizeof hdrs, "Warning: 399 sipspec \"%s\"\r\n", clean);
    sipspec_tsx_respond(s->cur_srv, 488, NULL, hdrs, NULL, 0);
    return;
  }
  s->st_srv = s->cur_srv;
  s->st_hdrs[0] = '\0';
  int rc = session_timer_feed(s, session_timer_classify_request(req), req);
  s->st_srv = NULL;
  if (rc) session_answer_update(s, req);
}

static void dlg_on_request(sipspec_dialog *d, const sipspec_msg *req, void *user) {
  sipspec_session *s = user;
  (void)d;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_ACK) { /* RX_ACK: the ACK for our 2xx */
    if (sipspec_uas_2xx_ack(&s->reinvite_2xx, req)) update_post(s, SIPSPEC_EV_RX_ACK, req);
    return;
  }
  if (!s->cur_srv) return;
  char buf[300];
  switch (sipspec_msg_method(req)) {
  case SIPSPEC_METHOD_OPTIONS:
    sipspec_tsx_respond(s->cur_srv, 200, NULL, "Allow: " SESSION_ALLOW "\r\nAccept: application/sdp\r\n", NULL, 0);
    break;
  case SIPSPEC_METHOD_INVITE: {
    int rc = update_post(s, refresh_refusal(s, req, buf, sizeof buf) ? SIPSPEC_EV_RX_INVITE_CHANGE : SIPSPEC_EV_RX_INVITE,
                         req);
    if (rc) sipspec_tsx_respond(s->cur_srv, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0); /* no session */
    break;
  }
  case SIPSPEC_METHOD_INFO: sipspec_tsx_respond(s->cur_srv, 200, NULL, NULL, NULL, 0); break;
  case SIPSPEC_METHOD_UPDATE: rx_update(s, req); break;
  default: sipspec_tsx_respond(s->cur_srv, 405, NULL, "Allow: " SESSION_ALLOW "\r\n", NULL, 0); break;
  }
}

/* ---- from the user agent ------------------------------------------------------------------ */

int session_matches(const sipspec_session *s, const sipspec_msg *m, int is_request) {
  if (!s->dialog || sipspec_fsm_terminated(&s->fsm)) return 0;
  return is_request ? sipspec_dialog_match_request(s->dialog, m) : sipspec_dialog_match_response(s->dialog, m);
}

int session_matches_call(const sipspec_session *s, const sipspec_msg *resp) {
  sipspec_addr from;
  if (!s->dialog || sipspec_fsm_terminated(&s->fsm) || sipspec_msg_from(resp, &from) != SIPSPEC_OK) return 0;
  const sipspec_dialog_id *id = sipspec_dialog_id_get(s->dialog);
  sipspec_span cid = sipspec_msg_call_id(resp);
  return cid.len == strlen(id->call_id) && !memcmp(cid.p, id->call_id, cid.len) &&
         from.tag.len == strlen(id->local_tag) && !memcmp(from.tag.p, id->local_tag, from.tag.len);
}

void session_stray_2xx(sipspec_session *s, const sipspec_msg *resp) {
  /* Established ACKs it again; Terminating ignores it; another fork's: end_fork */
  post(s, other_fork(s, resp) ? SIPSPEC_EV_RX_2XX_FORK : SIPSPEC_EV_RX_2XX, resp);
}

void session_rx_ack(sipspec_session *s, const sipspec_msg *ack) {
  if (s->dialog) (void)sipspec_dialog_rx_request(s->dialog, ack); /* Confirmed RX_ACK: dlg_on_request */
}

/* 64*T1 and no ACK for our 2xx to the server's re-INVITE: the dialog is confirmed, but the
 * session ends with BYE (13.3.1.4; the chart's Established__NO_ACK). */
static void reinvite_2xx_give_up(sipspec_uas_2xx *r, void *user) {
  (void)r;
  update_post(user, SIPSPEC_EV_NO_ACK, NULL);
  post(user, SIPSPEC_EV_NO_ACK, NULL);
}

void session_rx_request(sipspec_session *s, sipspec_tsx *t, const sipspec_msg *req) {
  s->cur_srv = t;
  int rc;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_BYE) {
    rc = post(s, SIPSPEC_EV_RX_BYE, req);
    if (rc == SIPSPEC_E_FSM_IGNORED || rc == SIPSPEC_E_FSM_REFUSED)
      sipspec_tsx_respond(t, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0);
  } else {
    rc = sipspec_dialog_rx_request(s->dialog, req);
    if (rc && rc != SIPSPEC_E_DIALOG_CSEQ_ORDER)
      sipspec_tsx_respond(t, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0);
  }
  s->cur_srv = NULL;
}

/* ---- the API ------------------------------------------------------------------------------ */

static void run_calls(void *obj);

void session_free(sipspec_session *s) {
  if (!s) return;
  if (s->calls_deferred) sipspec_clock_undefer(s->ua->clock, run_calls, s);
  host_timers_stop(&s->timers);
  host_timers_stop(&s->upd_timers);
  host_timers_stop(&s->st_timers);
  sipspec_uas_2xx_stop(&s->reinvite_2xx);
  sipspec_dialog_destroy(s->dialog);
  free(s->targets);
  sipspec_digest_client_destroy(s->digest);
  sipspec_mrcp_session_destroy(s->mrcp);
  if (s->query) sipspec_resolve_cancel(s->ua->resolver, s->query);
  free(s->desc_addr);
  free(s->desc_user);
  free(s->target);
  free(s->to_display);
  free(s->extra_headers);
  free(s->offer);
  free(s->invite);
  free(s->auth_headers);
  free(s->bye_auth);
  free(s->st_cred);
  free(s->reinvite_body);
  free(s->local_sdp);
  free(s->remote_sdp);
  for (int i = 0; i < SESSION_MAX_FORKS; i++) free(s->forks[i].ack);
  free(s);
}

static int extra_ok(const char *h) {
  /* "Name: value\r\n" lines: every line ends in CRLF and has a colon; no bare CR/LF. */
  if (!h || !*h) return 1;
  const char *p = h;
  while (*p) {
    const char *e = strstr(p, "\r\n");
    if (!e) return 0;
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (!colon || colon == p) return 0;
    for (const char *q = p; q < e; q++)
      if (*q == '\r' || *q == '\n' || *q == '\0') return 0;
    if (!strncasecmp(p, "Content-Length", 14)) return 0;
    p = e + 2;
  }
  return 1;
}

/* Addressing, identifiers and the offer, once the destination is known. */
/* The local address toward s->dest over s->kind: Via and Contact (RFC 3261 18.1.1, 8.1.1.8);
 * ip[] gets the address without brackets. */
static int session_address(sipspec_session *s, char *ip, size_t iplen) {
  sipspec_ua *ua = s->ua;
  sipspec_transport *tp = sipspec_tsx_layer_transport(ua->layer, s->kind);
  if (!tp) return SIPSPEC_E_TSX_NO_TRANSPORT;
  sipspec_sockaddr local;
  int rc = sipspec_transport_local_addr(tp, &s->dest, &local);
  if (rc) return rc;
  sipspec_sockaddr_host(&local, ip, iplen);
  int v6 = sipspec_sockaddr_family(&local) == AF_INET6;
  snprintf(s->local_host, sizeof s->local_host, v6 ? "[%s]" : "%s", ip);
  s->local_port = sipspec_sockaddr_port(&local);
  char hostport[SIPSPEC_SOCKADDR_STRLEN + 16];
  snprintf(hostport, sizeof hostport, "%s:%u", s->local_host, s->local_port);
  static const char *const via_tp[] = {"UDP", "TCP", "TLS"}, *const contact_tp[] = {"", ";transport=tcp", ""};
  snprintf(s->via, sizeof s->via, "SIP/2.0/%s %s;rport", via_tp[s->kind], hostport);
  /* RFC 5630 §3.1.3 / RFC 3261 §8.1.1.8: over TLS the Contact is a sips: URI */
  snprintf(s->contact, sizeof s->contact, "%s:%s@%s%s", s->kind == SIPSPEC_TP_TLS ? "sips" : "sip", ua->from_user,
           hostport, contact_tp[s->kind]);
  if (s->kind == SIPSPEC_TP_TLS) { /* RFC 5922 §7.3: the domain of the URI is what the server proves */
    sipspec_uri u;
    char name[256];
    if (sipspec_uri_parse(s->target, strlen(s->target), &u, NULL) != SIPSPEC_OK || u.host.len >= sizeof name)
      return SIPSPEC_E_INVAL;
    memcpy(name, u.host.p, u.host.len);
    name[u.host.len] = '\0';
    if ((rc = sipspec_transport_set_peer_name(tp, &s->dest, name))) return rc;
  }
  return SIPSPEC_OK;
}

static int session_prepare(sipspec_session *s) {
  sipspec_ua *ua = s->ua;
  char ip[SIPSPEC_SOCKADDR_STRLEN];
  int rc = session_address(s, ip, sizeof ip);
  if (rc) return rc;
  char rnd[40];
  rc = random_hex(rnd, 16);
  if (!rc) snprintf(s->call_id, sizeof s->call_id, "%s@%s", rnd, s->local_host);
  if (!rc) rc = random_hex(s->from_tag, 8);
  if (!rc && s->have_desc) {
    /* the offer's address defaults to the local address toward the target */
    sipspec_mrcp_offer_desc d = s->desc;
    if (!d.addr) d.addr = ip;
    char tmp[8192];
    size_t len = 0;
    sipspec_sdp_error e;
    memset(&e, 0, sizeof e);
    if (!(s->mrcp = sipspec_mrcp_session_create(&d))) rc = SIPSPEC_E_NOMEM;
    if (!rc) rc = sipspec_mrcp_session_offer(s->mrcp, tmp, sizeof tmp, &len, &e);
    if (!rc && !(s->offer = malloc(len ? len : 1))) rc = SIPSPEC_E_NOMEM;
    if (!rc) {
      memcpy(s->offer, tmp, len);
      s->offer_len = len;
    }
  }
  if (rc) return rc;
  /* RFC 3261 18.1.1: an INVITE too big for UDP goes over TCP (when TCP is open); the
   * credentials added below are still to come, so session_act_send_invite checks again. */
  sipspec_sockaddr tl;
  if (!build_invite(s) && needs_tcp(s, s->invite_len, &s->dest, &tl)) move_to_tcp(s, &tl);
  if (ua->have_auth && !s->digest) {
    rc = sipspec_digest_client_create(&ua->auth, &s->digest);
    char *cred = NULL;
    if (!rc) rc = digest_begin(s, "INVITE", s->target, s->offer, s->offer_len, &cred);
    if (rc) return rc;
    s->auth_headers = cred;
  }
  return SIPSPEC_OK;
}

/* The targets for the URI's host (RFC 3263 4): the first one over a transport we have open
 * (the failover to the next ones is RFC 3263 4.3's, not done yet). */
static void located_cb(int status, const sipspec_target *t, size_t n, const char *why, void *arg) {
  sipspec_session *s = arg;
  s->query = NULL;
  int rc = status;
  sipspec_resolver_stats st;
  sipspec_resolver_stats_get(s->ua->resolver, &st);
  s->ua->tel.sipDnsQueries = st.queries;
  s->ua->tel.sipDnsFailures = st.failures;
  /* the targets over a transport we have open, in order (RFC 3263 4.3), the ones that
   * failed lately last */
  if (!rc && n && !(s->targets = calloc(n, sizeof *s->targets))) rc = SIPSPEC_E_NOMEM;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; !rc && i < n; i++)
      if (sipspec_tsx_layer_transport(s->ua->layer, t[i].tp) && target_avoided(s->ua, &t[i]) == pass) {
        s->targets[s->ntargets].addr = t[i].addr;
        s->targets[s->ntargets++].tp = t[i].tp;
      }
  if (!rc && !s->ntargets) rc = SIPSPEC_E_TSX_NO_TRANSPORT;
  if (!rc) {
    s->kind = s->targets[0].tp;
    s->dest = s->targets[0].addr;
    rc = session_prepare(s);
  }
  if (!rc) {
    post(s, SIPSPEC_EV_TU_START, NULL);
    return;
  }
  s->status = 0;
  s->dns_failed = status == SIPSPEC_E_RESOLVE || status == SIPSPEC_E_DNS;
  if (s->dns_failed)
    snprintf(s->reason, sizeof s->reason, "cannot resolve the target: %s", why);
  else if (status == SIPSPEC_E_TSX_NO_TRANSPORT || rc == SIPSPEC_E_TSX_NO_TRANSPORT)
    snprintf(s->reason, sizeof s->reason, "no usable transport for the target%s%s", *why ? ": " : "", why);
  else
    snprintf(s->reason, sizeof s->reason, "cannot send: %s", sipspec_strerror(rc));
  post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL); /* Idle__TRANSPORT_ERR: nothing was sent */
}

int sipspec_session_start(sipspec_ua *ua, const sipspec_session_opts *o, sipspec_session **out) {
  if (out) *out = NULL;
  if (!ua || !o || !o->target || (!o->offer && (!o->sdp || !o->sdp_len))) return SIPSPEC_E_INVAL;
  sipspec_uri u;
  if (sipspec_uri_parse(o->target, strlen(o->target), &u, NULL) != SIPSPEC_OK ||
      (u.kind != SIPSPEC_URI_SIP && u.kind != SIPSPEC_URI_SIPS) ||
      !u.host.len || strpbrk(o->target, "\r\n<>\" "))
    return SIPSPEC_E_INVAL;
  if (!extra_ok(o->extra_headers) || (o->to_display && strpbrk(o->to_display, "\"\\\r\n")))
    return SIPSPEC_E_INVAL;
  /* The transport: cfg.transport, or the target's ;transport= (RFC 3261 19.1.1). */
  sipspec_tp_kind kind = ua->cfg.transport;
  if (u.transport.len == 3 && !strncasecmp(u.transport.p, "tcp", 3)) kind = SIPSPEC_TP_TCP;
  if (u.transport.len == 3 && !strncasecmp(u.transport.p, "udp", 3)) kind = SIPSPEC_TP_UDP;
  if (u.transport.len == 3 && !strncasecmp(u.transport.p, "tls", 3)) kind = SIPSPEC_TP_TLS;
  if (u.kind == SIPSPEC_URI_SIPS) kind = SIPSPEC_TP_TLS; /* RFC 5630 §3.1.1: sips: is TLS on every hop */
  if (!sipspec_tsx_layer_transport(ua->layer, kind)) return SIPSPEC_E_TSX_NO_TRANSPORT;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  if (u.host.len >= sizeof host) return SIPSPEC_E_INVAL;
  memcpy(host, u.host.p, u.host.len);
  host[u.host.len] = '\0';
  unsigned port = u.port > 0 ? (unsigned)u.port : kind == SIPSPEC_TP_TLS ? 5061u : 5060u; /* RFC 3261 19.1.2 */
  /* The offer description is checked now (its address may still be unknown). */
  if (o->offer) {
    sipspec_mrcp_offer_desc d = *o->offer;
    if (!d.addr) d.addr = "0.0.0.0";
    char tmp[8192];
    size_t len = 0;
    sipspec_sdp_error e;
    memset(&e, 0, sizeof e);
    int rc = sipspec_mrcp_offer_build(&d, tmp, sizeof tmp, &len, &e);
    if (rc) return rc;
  }

  sipspec_session *s = calloc(1, sizeof *s);
  if (!s) return SIPSPEC_E_NOMEM;
  s->ua = ua;
  s->kind = kind;
  s->cb = o->cb;
  s->keepalive_ms = o->keepalive_ms;
  s->answer_timeout_ms = o->answer_timeout_ms;
  s->cseq = 1;
  sipspec_timer_values tv = {ua->cfg.t1_ms, ua->cfg.t2_ms, ua->cfg.t4_ms};
  /* the application's timer options: the answer timeout, the keep-alive interval (none: the
   * KEEPALIVE timer is not used) */
  if (host_timers_init(&s->timers, ua->clock, &sipspec_chart_uac_session, &tv, 0, fire_session, s) != SIPSPEC_OK ||
      host_timers_init(&s->upd_timers, ua->clock, &sipspec_chart_uac_update, &tv, 0, fire_update, s) != SIPSPEC_OK ||
      (s->answer_timeout_ms &&
       sipspec_fsm_timers_set(&s->timers.set, SIPSPEC_EV_TIMER_ANSWER, s->answer_timeout_ms)) ||
      sipspec_fsm_timers_set(&s->timers.set, SIPSPEC_EV_TIMER_KEEPALIVE, s->keepalive_ms) ||
      sipspec_fsm_timers_off(&s->timers.set, SIPSPEC_EV_TIMER_KEEPALIVE, s->keepalive_ms == 0)) {
    free(s);
    return SIPSPEC_E_INVAL;
  }
  if (session_timer_init(s) != SIPSPEC_OK) {
    free(s);
    return SIPSPEC_E_INVAL;
  }
  sipspec_uas_2xx_init(&s->reinvite_2xx, ua->clock, reinvite_2xx_give_up, s);
  sipspec_fsm_init(&s->fsm, &sipspec_chart_uac_session, on_action, s);
  sipspec_fsm_init(&s->upd, &sipspec_chart_uac_update, update_on_action, s);
  int rc = SIPSPEC_OK;
  if (!(s->target = strdup(o->target))) rc = SIPSPEC_E_NOMEM;
  if (!rc && o->to_display && !(s->to_display = strdup(o->to_display))) rc = SIPSPEC_E_NOMEM;
  if (!rc && o->extra_headers && *o->extra_headers && !(s->extra_headers = strdup(o->extra_headers)))
    rc = SIPSPEC_E_NOMEM;
  if (!rc && o->offer) {
    s->have_desc = 1;
    s->desc = *o->offer;
    if (o->offer->addr && !(s->desc.addr = s->desc_addr = strdup(o->offer->addr))) rc = SIPSPEC_E_NOMEM;
    if (!rc && o->offer->username && !(s->desc.username = s->desc_user = strdup(o->offer->username)))
      rc = SIPSPEC_E_NOMEM;
  } else if (!rc) {
    s->opaque = 1;
    if (!(s->offer = malloc(o->sdp_len))) rc = SIPSPEC_E_NOMEM;
    else {
      memcpy(s->offer, o->sdp, o->sdp_len);
      s->offer_len = o->sdp_len;
    }
  }
  if (!rc && u.host_kind == SIPSPEC_HOST_NAME) {
    /* Never blocking: the INVITE goes out from the resolver's callback. */
    sipspec_locate_req req;
    char target[SIPSPEC_LOCATE_NAME_MAX];
    rc = sipspec_locate_req_of_uri(&u, &ua->cfg, target, sizeof target, &req);
    if (!rc) rc = sipspec_locate(ua->resolver, &req, located_cb, s, &s->query);
    if (rc) {
      session_free(s);
      return rc;
    }
    ua_session_link(ua, s);
    ua->tel.sessionsStarted++;
    if (out) *out = s;
    return SIPSPEC_OK;
  }
  if (!rc && sipspec_sockaddr_set(&s->dest, host, port) != SIPSPEC_OK) rc = SIPSPEC_E_BAD_ADDRESS;
  if (!rc) rc = session_prepare(s);
  if (rc) {
    session_free(s);
    return rc;
  }
  ua_session_link(ua, s);
  ua->tel.sessionsStarted++;
  /* TU_START: send_invite. A send failure inside it ends the session through TRANSPORT_ERR;
   * here it is returned instead, without callbacks. */
  sipspec_session_callbacks saved = s->cb;
  memset(&s->cb, 0, sizeof s->cb);
  rc = post(s, SIPSPEC_EV_TU_START, NULL);
  if (!rc && sipspec_fsm_terminated(&s->fsm)) rc = s->start_err ? s->start_err : SIPSPEC_E_SEND;
  if (rc && !sipspec_fsm_terminated(&s->fsm)) post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL); /* to Terminated, then buried */
  s->cb = saved;
  if (rc) {
    ua->tel.sessionsStarted--;
    if (s->result != SIPSPEC_RESULT_OK) ua->tel.sessionsFailed--; /* the failure reported above */
    return rc;
  }
  if (out) *out = s;
  return SIPSPEC_OK;
}

/* What a refused or ignored event means to the application: the call does not fit the
 * session's state. */
static int api_rc(int rc) {
  return rc == SIPSPEC_E_FSM_IGNORED || rc == SIPSPEC_E_FSM_REFUSED || rc == SIPSPEC_E_FSM_TERMINATED ? SIPSPEC_E_STATE
                                                                                                       : rc;
}

/* The chart decides: TU_END is taken in Idle (still resolving), Inviting, Proceeding and
 * Established, refused once the session is ending or over. An end asked for from inside a
 * callback waits in the queue; a second one is refused there. */
static int in_callback(const sipspec_session *s);
static int queue_call(sipspec_session *s, int op, sipspec_mrcp_resource r);
enum { CALL_KEEPALIVE = 1, CALL_ADD, CALL_REMOVE, CALL_END };

int sipspec_session_end(sipspec_session *s) {
  if (!s) return SIPSPEC_E_STATE;
  for (int i = 0; s->busy && i < s->q_len; i++)
    if (s->q[(s->q_head + i) % SESSION_QUEUE_MAX].ev == SIPSPEC_EV_TU_END) return SIPSPEC_E_STATE;
  for (int i = 0; i < s->n_calls; i++)
    if (s->calls[i].op == CALL_END) return SIPSPEC_E_STATE;
  /* Inside the session chart's own callbacks the chart's queue takes TU_END; inside the
   * update chart's (on_updated) the dialog is still busy with the response: queued. */
  if (!s->busy && in_callback(s)) return queue_call(s, CALL_END, (sipspec_mrcp_resource)0);
  return api_rc(post(s, SIPSPEC_EV_TU_END, NULL));
}

/* TU_REQUEST: the session chart sends it in Established, refuses it elsewhere. While the
 * chart runs (an action sends it) it is not fed again: the caller queues the API call. */
static int in_dialog_cred(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                          size_t body_len, const char *cred) {
  if (!s || s->busy) return SIPSPEC_E_STATE;
  session_req p = {role, method, body, body_len, SIPSPEC_OK, cred, NULL};
  s->next_req = &p;
  int rc = api_rc(post(s, SIPSPEC_EV_TU_REQUEST, NULL));
  s->next_req = NULL;
  return rc ? rc : p.rc;
}

static int in_dialog(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                     size_t body_len) {
  return in_dialog_cred(s, role, method, body, body_len, NULL);
}

/* ---- API calls from inside callbacks -------------------------------------------------- */

static int call_now(sipspec_session *s, int op, sipspec_mrcp_resource r);

/* 1 while one of the session's charts runs: the application is inside one of its callbacks
 * (or a callback of the user agent the session's events pass through). */
static int in_callback(const sipspec_session *s) { return s->busy || sipspec_fsm_busy(&s->upd); }

/* Runs the API calls queued from inside callbacks, in order, once those have returned. One
 * that the session refuses by then is reported through its callback (on_keepalive /
 * on_updated with status 0 and the reason); none once the session is over (on_terminated
 * said so). */
static void run_calls(void *obj) {
  sipspec_session *s = obj;
  s->calls_deferred = 0;
  int n = s->n_calls;
  s->n_calls = 0;
  for (int i = 0; i < n; i++) {
    int op = s->calls[i].op;
    if (sipspec_fsm_terminated(&s->fsm)) return;
    int rc = call_now(s, op, s->calls[i].res);
    if (!rc || sipspec_fsm_terminated(&s->fsm)) continue;
    if (op == CALL_END) continue; /* refused: the session is ending already */
    char why[160];
    snprintf(why, sizeof why, "%s not sent: %s", op == CALL_KEEPALIVE ? "keep-alive" : "re-INVITE",
             sipspec_strerror(rc));
    sipspec_response_info info = {0, why, NULL};
    if (op == CALL_KEEPALIVE && s->cb.on_keepalive) s->cb.on_keepalive(s, &info, s->cb.user);
    if (op != CALL_KEEPALIVE && s->cb.on_updated) s->cb.on_updated(s, &info, NULL, s->cb.user);
  }
}

/* Called from inside a callback: the call waits for the callbacks to return (the clock's
 * deferred work). SIPSPEC_E_AGAIN when SESSION_CALLS_MAX calls already wait. */
static int queue_call(sipspec_session *s, int op, sipspec_mrcp_resource r) {
  if (sipspec_fsm_terminated(&s->fsm)) return SIPSPEC_E_STATE;
  if (s->n_calls == SESSION_CALLS_MAX) return SIPSPEC_E_AGAIN;
  if (!s->calls_deferred) {
    int rc = sipspec_clock_defer(s->ua->clock, run_calls, s);
    if (rc) return rc;
    s->calls_deferred = 1;
  }
  s->calls[s->n_calls].op = op;
  s->calls[s->n_calls].res = r;
  s->n_calls++;
  return SIPSPEC_OK;
}

static int change_resource(sipspec_session *s, sipspec_mrcp_resource r, int add);

static int call_now(sipspec_session *s, int op, sipspec_mrcp_resource r) {
  if (op == CALL_END) return api_rc(post(s, SIPSPEC_EV_TU_END, NULL));
  if (op == CALL_KEEPALIVE) return in_dialog(s, ST_OPTIONS, "OPTIONS", NULL, 0);
  return change_resource(s, r, op == CALL_ADD);
}

int sipspec_session_keepalive(sipspec_session *s) {
  if (!s) return SIPSPEC_E_INVAL;
  if (in_callback(s)) return queue_call(s, CALL_KEEPALIVE, (sipspec_mrcp_resource)0);
  return call_now(s, CALL_KEEPALIVE, (sipspec_mrcp_resource)0);
}

/* The update chart decides (TU_REQUEST: Ready sends the offer; refused before the session
 * is established, while an offer of ours runs, while our 2xx to the server's re-INVITE
 * waits for its ACK (14.1: not while an INVITE exchange runs in either direction), once it
 * has ended). */
static int change_resource(sipspec_session *s, sipspec_mrcp_resource r, int add) {
  if (!s) return SIPSPEC_E_INVAL;
  s->change_res = r;
  s->change_add = add;
  int rc = api_rc(update_post(s, SIPSPEC_EV_TU_REQUEST, NULL));
  return rc ? rc : s->upd_rc;
}

int sipspec_session_add_resource(sipspec_session *s, sipspec_mrcp_resource r) {
  if (s && in_callback(s)) return queue_call(s, CALL_ADD, r);
  return change_resource(s, r, 1);
}
int sipspec_session_remove_resource(sipspec_session *s, sipspec_mrcp_resource r) {
  if (s && in_callback(s)) return queue_call(s, CALL_REMOVE, r);
  return change_resource(s, r, 0);
}

sipspec_result sipspec_session_result(const sipspec_session *s) { return s->result; }
int sipspec_session_status(const sipspec_session *s) { return s->status; }
const char *sipspec_session_reason(const sipspec_session *s) { return s->reason; }
int sipspec_session_bye_status(const sipspec_session *s, const char **reason) {
  int over = sipspec_fsm_terminated(&s->fsm);
  if (reason) *reason = over ? s->bye_reason : "";
  return over ? s->bye_status : -1;
}
const sipspec_mrcp_answer *sipspec_session_answer(const sipspec_session *s) {
  return s->have_answer ? &s->answer_copy : NULL;
}
const char *sipspec_session_state_name(const sipspec_session *s) { return sipspec_fsm_state_name(&s->fsm); }
const char *sipspec_session_call_id(const sipspec_session *s) { return s->call_id; }
unsigned sipspec_session_expires(const sipspec_session *s, const char **refresher) {
  if (refresher) *refresher = s->st_refresher;
  return s->st_interval;
}
sipspec_ua *sipspec_session_ua(const sipspec_session *s) { return s->ua; }
