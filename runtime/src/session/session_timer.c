/* session/session_timer.c: the session timer of an MRCPv2 client session (RFC 4028) on the
 * generated chart spec/session_timer.rl, beside the session's own chart.
 *
 * The chart decides who refreshes, when, and what a failed refresh does; this file
 * implements its actions (timer_act_<action>, generated chart_session_timer_actions.h),
 * reads the header fields of RFC 4028 (Session-Expires with its refresher parameter,
 * Min-SE, Retry-After, Allow) into the events it is fed, and computes the timers' values
 * from the negotiated interval before each start: REFRESH at half the interval (7.2),
 * EXPIRE at SE - min(32 s, SE/3) (10), WAIT 2.1..4 s after a 491 (RFC 3261 14.1) or the
 * 503's Retry-After.
 *
 * What the chart has the session do (send the INVITE again after a 422, fail the attempt,
 * end the session with BYE) is posted to the session's chart once the timer chart's feed
 * has returned (st_next), so neither machine is fed from inside the other's callback.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "session/session_internal.h"
#include "sipspec/chart_session_timer.h"

#include "chart_session_timer_actions.h"

/* The largest interval we take from a peer or a 422 (one day): a bound, not a protocol value. */
#define ST_MAX_INTERVAL 86400u

/* ---- header fields ------------------------------------------------------------------------ */

/* 1 when the message's Allow lists UPDATE; -1 when it has no Allow. */
static int allows_update(const sipspec_msg *m) { return sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDATE"); }

int session_timer_classify_2xx(sipspec_session *s, const sipspec_msg *resp) {
  int up = allows_update(resp);
  if (up >= 0) s->st_peer_update = up;
  int r;
  if (!sipspec_msg_session_expires(resp, &r)) return SIPSPEC_EV_SE_NONE;
  /* 7.2: the parameter is always there; a 2xx without one is taken as refresher=uac, as
   * when the server does not take part (the UAC refreshes). */
  return r == 's' ? SIPSPEC_EV_SE_PEER : SIPSPEC_EV_SE_US;
}

int session_timer_classify_request(const sipspec_msg *req) {
  int r;
  if (!sipspec_msg_session_expires(req, &r)) r = 0;
  /* the peer sends the request: refresher=uac is the peer, refresher=uas is us */
  return r == 'c' ? SIPSPEC_EV_RX_REFRESH_PEER : r == 's' ? SIPSPEC_EV_RX_REFRESH_US : SIPSPEC_EV_RX_REFRESH;
}

int session_timer_422_usable(const sipspec_session *s, const sipspec_msg *resp) {
  unsigned min_se = sipspec_msg_min_se(resp);
  /* 7.3: a 422 without a Min-SE, or with one we already asked for, cannot be met */
  return min_se > 0 && min_se > s->st_ask && min_se > s->st_min_se;
}

int session_timer_refresh_422_usable(const sipspec_session *s, const sipspec_msg *resp) {
  unsigned min_se = sipspec_msg_min_se(resp);
  unsigned asked = s->st_interval > s->st_min_se ? s->st_interval : s->st_min_se;
  return min_se > asked;
}

size_t session_timer_invite_headers(const sipspec_session *s, sipspec_ext_header *h, char num[2][16]) {
  h[0] = (sipspec_ext_header){sipspec_span_z("Supported"), sipspec_span_z("timer")}; /* 7.1: even when not asking */
  if (!s->st_ask) return 1;
  const unsigned v[2] = {s->st_ask, s->st_min_se};
  for (int i = 0; i < 2; i++) { /* decimal by hand: written for every INVITE */
    char d[12];
    size_t k = 0;
    unsigned u = v[i];
    do d[k++] = (char)('0' + u % 10u);
    while ((u /= 10u) != 0);
    for (size_t j = 0; j < k; j++) num[i][j] = d[k - 1 - j];
    num[i][k] = '\0';
  }
  h[1] = (sipspec_ext_header){sipspec_span_z("Session-Expires"), sipspec_span_z(num[0])};
  h[2] = (sipspec_ext_header){sipspec_span_z("Min-SE"), sipspec_span_z(num[1])};
  return 3;
}

/* ---- the timers' values -------------------------------------------------------------------- */

/* REFRESH: half the interval (RFC 4028 7.2); EXPIRE: SE - min(32 s, SE/3) (10). */
static uint32_t refresh_ms(unsigned interval) { return interval * 500u; }
static uint32_t expire_ms(unsigned interval) {
  unsigned before = interval / 3 < 32 ? interval / 3 : 32;
  return (interval - before) * 1000u;
}

/* The negotiated interval and who refreshes ('c': the client, us; 's': the server); the
 * REFRESH and EXPIRE timers get their values from it (7.2, 10). */

static void set_interval(sipspec_session *s, unsigned interval, int who) {
  s->st_interval = interval;
  snprintf(s->st_refresher, sizeof s->st_refresher, "%s", who == 'c' ? "uac" : who == 's' ? "uas" : "");
  if (!interval) return;
  /* (the set's own conf when the interval is not the one the user agent asks for; out of
   * memory, the timers keep the user agent's values) */
  (void)host_timers_set(&s->st_timers, SIPSPEC_EV_TIMER_REFRESH, refresh_ms(interval));
  (void)host_timers_set(&s->st_timers, SIPSPEC_EV_TIMER_EXPIRE, expire_ms(interval));
}

/* ---- actions -------------------------------------------------------------------------------- */

/* SE_US / SE_PEER: the 2xx's Session-Expires (7.2). */
static void timer_act_take_interval(sipspec_session *s) {
  int r = 0;
  unsigned v = s->st_msg ? sipspec_msg_session_expires(s->st_msg, &r) : 0;
  if (!v) v = s->st_interval ? s->st_interval : s->st_ask;
  set_interval(s, v, r == 's' ? 's' : 'c');
}

static void timer_act_take_no_interval(sipspec_session *s) { set_interval(s, 0, 0); }

/* RX_422: 7.4, the INVITE again asks for the 422's Min-SE, and says it in Min-SE. */
static void timer_act_raise_interval(sipspec_session *s) {
  unsigned min_se = s->st_msg ? sipspec_msg_min_se(s->st_msg) : 0;
  if (min_se > s->st_min_se) s->st_min_se = min_se;
  if (min_se > s->st_ask) s->st_ask = min_se;
}

static void timer_act_invite_again(sipspec_session *s) { s->st_next = SIPSPEC_EV_SE_RETRY; }
static void timer_act_invite_refused(sipspec_session *s) { s->st_next = SIPSPEC_EV_RX_300_699; }

/* TIMER_REFRESH, TIMER_WAIT, RX_422: the refresh (7.4): UPDATE without an offer when the
 * peer's Allow lists UPDATE, else a re-INVITE with our SDP as it is (the same o= line and
 * version: RFC 3264 8, "has not changed"). Session-Expires is the larger of Min-SE and the
 * interval, refresher=uac since we refresh; cred: credentials lines (RFC 3261 22.2) or NULL.
 * Not sent: st_rc, fed as NOT_SENT. */
static void send_refresh(sipspec_session *s, const char *cred) {
  char hdrs[160], se_v[32], min_v[16];
  unsigned se = s->st_interval > s->st_min_se ? s->st_interval : s->st_min_se;
  snprintf(se_v, sizeof se_v, "%u;refresher=uac", se);
  snprintf(min_v, sizeof min_v, "%u", s->st_min_se);
  sipspec_build b; /* the lines written with the builder's rules (RFC 4028 4, 5) */
  sipspec_build_init(&b, hdrs, sizeof hdrs - 1);
  sipspec_build_header(&b, sipspec_span_z("Supported"), sipspec_span_z("timer"));
  sipspec_build_header(&b, sipspec_span_z("Session-Expires"), sipspec_span_z(se_v));
  sipspec_build_header(&b, sipspec_span_z("Min-SE"), sipspec_span_z(min_v));
  if (b.err) {
    s->st_rc = b.err;
    return;
  }
  hdrs[b.len] = '\0';
  char sdp[SESSION_SDP_ROOM];
  size_t sdp_len = 0;
  const char *body = s->st_peer_update ? NULL : session_local_sdp(s, sdp, sizeof sdp, &sdp_len);
  int rc = s->st_peer_update ? session_send_refresh(s, "UPDATE", NULL, 0, hdrs, cred)
                             : session_send_refresh(s, "INVITE", body, sdp_len, hdrs, cred);
  if (rc) s->st_rc = rc;
}

static void timer_act_send_refresh(sipspec_session *s) { send_refresh(s, NULL); }

/* AUTH_RETRY: the refresh again with the credentials the challenge got (s->st_cred, set by
 * session_timer_challenged()), as other requests are (RFC 4028 10, RFC 3261 22.2). */
static void timer_act_send_refresh_with_credentials(sipspec_session *s) { send_refresh(s, s->st_cred); }

static void timer_act_count_refresh(sipspec_session *s) { s->ua->tel.sipSessionRefreshes++; }

/* RX_491: RFC 3261 14.1, we own the Call-ID: 2.1 to 4 s in 10 ms units. */
static void timer_act_choose_491_wait(sipspec_session *s) {
  unsigned char r[2] = {0, 0};
  (void)RAND_bytes(r, 2);
  unsigned steps = ((unsigned)r[0] << 8 | r[1]) % 191u;
  (void)host_timers_set(&s->st_timers, SIPSPEC_EV_TIMER_WAIT, 2100u + 10u * steps);
}

/* RX_503: the Retry-After (RFC 3261 21.5.4, 20.33), at most a quarter of the interval so
 * that the refresh still comes before the session expires. */
static void timer_act_choose_retry_after(sipspec_session *s) {
  long ra = s->st_msg ? sipspec_msg_retry_after(s->st_msg) : -1;
  unsigned after = ra > 0 && ra <= ST_MAX_INTERVAL ? (unsigned)ra : 0;
  unsigned cap = s->st_interval / 4 ? s->st_interval / 4 : 1;
  if (!after) after = 1;
  if (after > cap) after = cap;
  (void)host_timers_set(&s->st_timers, SIPSPEC_EV_TIMER_WAIT, after * 1000u);
}

/* Our BYE's Reason (RFC 3326 2): "SIP;cause=<cause>;text=\"<text>\"", written with the
 * builder, kept in s->bye_extra (none when it cannot be: the BYE goes without). */
static void bye_reason(sipspec_session *s, unsigned cause, const char *text) {
  char line[160];
  sipspec_build b;
  sipspec_build_init(&b, line, sizeof line - 1);
  sipspec_build_reason(&b, sipspec_span_z("SIP"), cause, sipspec_span_z(text));
  line[b.err ? 0 : b.len] = '\0';
  session_set_str(&s->bye_extra, line); /* "" is none */
}

/* The refresh failed (10): the session ends with BYE, and says why. */
static void timer_act_refresh_failed(sipspec_session *s) {
  if (s->st_msg) {
    s->status = sipspec_msg_status(s->st_msg);
    sipspec_span r = sipspec_msg_reason(s->st_msg);
    session_reasonf(s, "the session refresh was answered %d %.*s", s->status,
             (int)(r.len < 100 ? r.len : 100), r.p ? r.p : "");
  } else {
    s->status = 0;
    session_reasonf(s, "%s",
             s->st_rc ? "the session refresh could not be sent" : "no response to the session refresh");
  }
  /* RFC 3326: the BYE says why; 408 when no response came (RFC 4028 10 names 408 and 481) */
  bye_reason(s, s->status >= 300 && s->status <= 699 ? (unsigned)s->status : 408u, "Session refresh failed");
  s->st_next = SIPSPEC_EV_SE_END;
}

/* TIMER_EXPIRE: the peer did not refresh (10): BYE with Reason 408. */
static void timer_act_expired(sipspec_session *s) {
  s->ua->tel.sipSessionExpired++;
  s->status = 0;
  session_reasonf(s, "the server did not refresh the session within %u s (RFC 4028 10)",
           s->st_interval);
  bye_reason(s, 408, "Session timer expired");
  s->st_next = SIPSPEC_EV_SE_END;
}

/* The peer's refresh (an UPDATE answered here, or a re-INVITE the update chart answers with
 * s->st_hdrs): its Session-Expires (else the interval we have, else ours) and who refreshes
 * from now on ('c' we, 's' the peer), in the answer's Session-Expires from the point of
 * view of that request (9: refresher=uas is us, its UAS). */
static void answer_refresh(sipspec_session *s, int we) {
  /* 7.4: a Min-SE the peer says in its refresh is kept for our later refreshes */
  unsigned peer_min = s->st_msg ? sipspec_msg_min_se(s->st_msg) : 0;
  if (peer_min > s->st_min_se) s->st_min_se = peer_min;
  unsigned v = s->st_msg ? sipspec_msg_session_expires(s->st_msg, NULL) : 0;
  if (!v) v = s->st_interval ? s->st_interval : (s->st_ask ? s->st_ask : s->st_min_se);
  if (v < s->st_min_se) v = s->st_min_se; /* 9: never below Min-SE */
  set_interval(s, v, we ? 'c' : 's');
  char se_v[32], lines[160];
  snprintf(se_v, sizeof se_v, "%u;refresher=%s", v, we ? "uas" : "uac");
  sipspec_build b; /* RFC 4028 9: Require: timer and the Session-Expires, with the builder's rules */
  sipspec_build_init(&b, lines, sizeof lines - 1);
  sipspec_build_header(&b, sipspec_span_z("Require"), sipspec_span_z("timer"));
  sipspec_build_header(&b, sipspec_span_z("Session-Expires"), sipspec_span_z(se_v));
  lines[b.err ? 0 : b.len] = '\0';
  session_set_str(&s->st_hdrs, lines[0] ? lines : NULL);
  s->ua->tel.sipSessionRefreshes++;
  if (s->st_srv && s->st_msg) session_answer_update(s, s->st_msg);
}

static void timer_act_answer_we_refresh(sipspec_session *s) { answer_refresh(s, 1); }
static void timer_act_answer_peer_refreshes(sipspec_session *s) { answer_refresh(s, 0); }

/* Untimed__RX_REFRESH: 200 without Session-Expires (no expiration, 7.2). */
static void timer_act_answer_untimed(sipspec_session *s) {
  session_set_str(&s->st_hdrs, NULL);
  if (s->st_srv && s->st_msg) session_answer_update(s, s->st_msg);
}

/* ---- feeding -------------------------------------------------------------------------------- */

static void st_on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_session *s = ctx;
  assert(chart == &sipspec_chart_session_timer);
  (void)chart;
  if (host_timers_apply(&s->st_timers, action)) return;
  sipspec_session_timer_dispatch(&sipspec_session_timer_impl, s, action);
}

int session_timer_feed(sipspec_session *s, int ev, const sipspec_msg *m) {
  const sipspec_msg *saved = s->st_msg;
  s->st_msg = m;
  s->st_next = 0;
  s->st_rc = 0;
  int rc = sipspec_fsm_feed(&s->st, ev);
  if (!rc && s->st_rc) {
    s->st_msg = NULL;
    (void)sipspec_fsm_feed(&s->st, SIPSPEC_EV_NOT_SENT);
  }
  int next = s->st_next;
  s->st_next = 0;
  s->st_rc = 0;
  s->st_msg = saved;
  if (!sipspec_fsm_terminated(&s->fsm)) host_timers_rearm(&s->st_timers);
  if (next) session_post(s, next, next == SIPSPEC_EV_RX_300_699 ? m : NULL);
  return rc;
}

static int fire_timer(void *owner, int event) {
  sipspec_session *s = owner;
  session_timer_feed(s, event, NULL);
  return sipspec_fsm_terminated(&s->fsm);
}

int session_timer_kind_init(sipspec_ua *ua) {
  sipspec_timer_values tv = {ua->cfg.t1_ms, ua->cfg.t2_ms, ua->cfg.t4_ms};
  int rc = host_timer_kind_init(&ua->k_st, ua->clock, &sipspec_chart_session_timer, &tv, 0, fire_timer);
  /* The chart's timers are set before each start (set_interval()); the shared values are
   * those of the interval the user agent asks for, the one most sessions are granted, so
   * that their sets need no conf of their own. */
  unsigned se = ua->cfg.session_expires_s;
  if (!rc && se) rc = sipspec_fsm_timer_conf_set(&ua->k_st.conf, SIPSPEC_EV_TIMER_REFRESH, refresh_ms(se));
  if (!rc && se) rc = sipspec_fsm_timer_conf_set(&ua->k_st.conf, SIPSPEC_EV_TIMER_EXPIRE, expire_ms(se));
  return rc;
}

void session_timer_init(sipspec_session *s) {
  s->st_ask = s->ua->cfg.session_expires_s;
  s->st_min_se = s->ua->cfg.min_se_s;
  host_timers_init(&s->st_timers, &s->ua->k_st, s);
  sipspec_fsm_init(&s->st, &sipspec_chart_session_timer, st_on_action, s);
}

/* A 401/407 to our refresh (RFC 4028 10: retried as the response's rules say; RFC 3261
 * 22.2): the credentials for that request (its method, the remote target, its body) go to
 * s->st_cred for the timer chart's AUTH_RETRY, or AUTH_FAILED when none can be made. */
void session_timer_challenged(sipspec_session *s, const sipspec_msg *resp, char *cred) {
  free(s->st_cred);
  s->st_cred = cred;
  (void)session_timer_feed(s, cred ? SIPSPEC_EV_AUTH_RETRY : SIPSPEC_EV_AUTH_FAILED, resp);
}
