/* test_server_timer.c: the embedded server's session timer (RFC 4028, spec/uas_call.rl)
 * against the scripted client of server_env.h, over the transport named by argv[1], with
 * RFC values (Session-Expires 180 s, Min-SE 90 s or UniMRCP's 600/120) on the virtual clock:
 *   - the client refreshes (refresher=uac): a refresh answered 2xx moves the expiration, one
 *     answered 422 (Session-Expires below the server's Min-SE) or 488 does not (10), and the
 *     server's BYE comes at SE - min(32 s, SE/3) after the last 2xx with
 *     Reason: SIP;cause=408;text="Session timer expired";
 *   - the server refreshes (refresher=uas): UPDATE without SDP half the interval after each
 *     2xx when the client's Allow lists UPDATE, else a re-INVITE with the SDP of the server's
 *     200 unchanged, whose 2xx the server acknowledges; a refresh answered 481, or not at all
 *     (Timer B / F), ends the call with BYE and a Reason; one answered 500 leaves the
 *     expiration where it was, so the BYE comes then;
 *   - an INVITE asking for less than the server's Min-SE gets 422 with Min-SE (9), and the
 *     INVITE again asking for that value is answered 200 with it.
 * Every wait is bounded (virtual seconds).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netutil.h"
#include "server_env.h"

#define ALLOW_UPDATE "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE\r\n"

/* A server granting session timers of at most se s, Min-SE min_se (0: 90), refresher
 * --refresher uas when uas. */
static void open_timer(env *e, unsigned se, unsigned min_se, int uas) {
  sipspec_server_opts o;
  opts_default(&o);
  o.session_expires_s = se;
  o.min_se_s = min_se;
  o.refresher_uas = uas;
  CU_ASSERT_EQUAL_FATAL(env_open(e, &o), 0);
}

/* INVITE (with extra lines) -> 200 -> ACK; returns the 200. */
static const char *establish_with(env *e, call *c, const char *extra) {
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(e, c, offer, len, extra);
  const char *ok = expect_msg(&e->p, "SIP/2.0 200", 30.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c->to_tag, sizeof c->to_tag));
  send_ack_2xx(e, c);
  int established = e->events[SIPSPEC_SERVER_ESTABLISHED];
  for (int i = 0; i < 100 && e->events[SIPSPEC_SERVER_ESTABLISHED] == established; i++) tst_run_for(e->loop, 0.01);
  CU_ASSERT_EQUAL_FATAL(e->events[SIPSPEC_SERVER_ESTABLISHED], established + 1);
  return ok;
}

/* Answers request req the server sent with status, extra lines and a body (SDP), from e->p;
 * a 2xx carries our Contact. */
static void answer_req(env *e, const char *req, int status, const char *extra, const char *body) {
  char resp[8192], via[512], from[512], to[512], cid[256], cseq[64], contact[160] = "";
  msg_header(req, "Via", via, sizeof via);
  msg_header(req, "From", from, sizeof from);
  msg_header(req, "To", to, sizeof to);
  msg_header(req, "Call-ID", cid, sizeof cid);
  msg_header(req, "CSeq", cseq, sizeof cseq);
  if (status < 300) {
    char uri[128];
    snprintf(contact, sizeof contact, "Contact: <%s>\r\n", peer_contact(&e->p, uri, sizeof uri));
  }
  size_t blen = body ? strlen(body) : 0;
  int n = snprintf(resp, sizeof resp,
                   "SIP/2.0 %d Answer\r\nVia: %s\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s%s%s"
                   "Content-Length: %zu\r\n\r\n%s",
                   status, via, from, to, cid, cseq, contact, extra ? extra : "",
                   body ? "Content-Type: application/sdp\r\n" : "", blen, body ? body : "");
  CU_ASSERT_FATAL(n > 0 && (size_t)n < sizeof resp);
  CU_ASSERT_EQUAL(peer_send(&e->p, resp, (size_t)n), 0);
}

/* The next request starting with prefix whose CSeq is not prev_cseq (UDP retransmissions of
 * the previous one are skipped), waiting up to max_s; the test ends without one. Its CSeq
 * value goes to cseq_out. */
static const char *next_request(env *e, const char *prefix, const char *prev_cseq, char *cseq_out, size_t cap,
                                double max_s) {
  for (int i = 0; i < 64; i++) {
    const char *m = expect_msg(&e->p, prefix, max_s);
    msg_header(m, "CSeq", cseq_out, cap);
    if (!prev_cseq || strcmp(cseq_out, prev_cseq)) return m;
  }
  CU_FAIL_FATAL("only retransmissions");
  return NULL;
}

static const char *body_of(const char *m) {
  const char *b = strstr(m, "\r\n\r\n");
  return b ? b + 4 : "";
}

/* The virtual times of the server and the client are the loop's: a request sent at t is
 * received at t, to the millisecond (a margin of 10 ms for the loop's own steps). */
static void expect_time(uint64_t got, uint64_t want, const char *what) {
  int64_t d = (int64_t)got - (int64_t)want;
  if (d < -10 || d > 10) fprintf(stderr, "%s: at %llu ms, want %llu ms\n", what, (unsigned long long)got, (unsigned long long)want);
  CU_ASSERT(d >= -10 && d <= 10);
}

/* Refresher=uac (the client): the 2xx to its UPDATE moves the expiration; an UPDATE asking
 * for 60 s (below Min-SE 90) gets 422 with Min-SE: 90, one with an offer 488, and neither
 * moves it (RFC 4028 10: only a 2xx refreshes); the BYE comes 180 - 32 = 148 s after the
 * last 2xx, with the Reason of RFC 4028 10 / RFC 3326. */
static void expiry_bye_only_2xx_refreshes(void) {
  env e;
  open_timer(&e, 180, 0, 0);
  call c;
  call_init(&c, "expiry");
  const char *ok =
      establish_with(&e, &c, "Supported: timer\r\nSession-Expires: 180\r\nMin-SE: 90\r\n" ALLOW_UPDATE);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "\r\nRequire: timer\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "\r\nSession-Expires: 180;refresher=uac\r\n"));
  tst_run_for(e.loop, 60.0);
  send_req(&e, &c, "UPDATE", NULL, 0, "Supported: timer\r\nSession-Expires: 180;refresher=uac\r\nMin-SE: 90\r\n", NULL,
           ++c.cseq);
  const char *r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nSession-Expires: 180;refresher=uac\r\n"));
  uint64_t refreshed = env_at(&e, &e.p, r);
  tst_run_for(e.loop, 30.0);
  send_req(&e, &c, "UPDATE", NULL, 0, "Supported: timer\r\nSession-Expires: 60;refresher=uac\r\nMin-SE: 60\r\n", NULL,
           ++c.cseq);
  r = expect_msg(&e.p, "SIP/2.0 422", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nMin-SE: 90\r\n"));
  tst_run_for(e.loop, 30.0);
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_req(&e, &c, "UPDATE", offer, len, "Supported: timer\r\nSession-Expires: 180;refresher=uac\r\n", NULL, ++c.cseq);
  expect_msg(&e.p, "SIP/2.0 488", 2.0);
  const char *bye = expect_msg(&e.p, "BYE ", 200.0);
  expect_time(env_at(&e, &e.p, bye), refreshed + 148000u, "expiry BYE");
  CU_ASSERT_PTR_NOT_NULL(strstr(bye, "\r\nReason: SIP;cause=408;text=\"Session timer expired\"\r\n"));
  answer_server_bye(&e, bye, 200);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipSessionExpired, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipSessionRefreshes, 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 408);
  env_close(&e);
}

/* Refresher=uas (the server, --refresher uas, the client leaving it open): UPDATE without
 * SDP 90 s after the ACK, Session-Expires 180 with refresher=uac (the server is the UAC of
 * its refresh) and Min-SE; its 2xx moves the next one 90 s on; a 481 to the second ends the
 * call with BYE saying so. */
static void server_refreshes_by_update(void) {
  env e;
  open_timer(&e, 180, 0, 1);
  call c;
  call_init(&c, "srvupdate");
  const char *ok = establish_with(&e, &c, "Supported: timer\r\nSession-Expires: 180\r\n" ALLOW_UPDATE);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "\r\nSession-Expires: 180;refresher=uas\r\n"));
  uint64_t acked = e.event_ms[SIPSPEC_SERVER_ESTABLISHED];
  char cseq1[64], cseq2[64];
  const char *u = next_request(&e, "UPDATE ", NULL, cseq1, sizeof cseq1, 100.0);
  expect_time(env_at(&e, &e.p, u), acked + 90000u, "first UPDATE");
  CU_ASSERT_PTR_NOT_NULL(strstr(u, "\r\nSession-Expires: 180;refresher=uac\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(u, "\r\nMin-SE: 90\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(u, "\r\nSupported: timer\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(u, "\r\nContent-Length: 0\r\n"));
  CU_ASSERT_PTR_NULL(strstr(u, "Content-Type"));
  char want_ruri[160], uri[128];
  snprintf(want_ruri, sizeof want_ruri, "UPDATE %s SIP/2.0\r\n", peer_contact(&e.p, uri, sizeof uri));
  CU_ASSERT_EQUAL(strncmp(u, want_ruri, strlen(want_ruri)), 0); /* to the remote target */
  answer_req(&e, u, 200, "Require: timer\r\nSession-Expires: 180;refresher=uac\r\n", NULL);
  uint64_t answered = env_ms(&e);
  u = next_request(&e, "UPDATE ", cseq1, cseq2, sizeof cseq2, 100.0);
  expect_time(env_at(&e, &e.p, u), answered + 90000u, "second UPDATE");
  CU_ASSERT_EQUAL(atoi(cseq2), atoi(cseq1) + 1);
  answer_req(&e, u, 481, NULL, NULL);
  const char *bye = expect_msg(&e.p, "BYE ", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(bye, "\r\nReason: SIP;cause=481;text=\"Session refresh failed\"\r\n"));
  answer_server_bye(&e, bye, 200);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipSessionRefreshes, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipSessionExpired, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "INVITE "), 0);
  env_close(&e);
}

/* Refresher=uas asked for by the client (refresher=uas in its INVITE), whose Allow lacks
 * UPDATE: the server's refresh is a re-INVITE carrying the SDP of its 200 byte for byte (the
 * same o= version: RFC 3264 8, nothing changed), whose 2xx the server acknowledges (RFC 3261
 * 13.2.2.4); a re-INVITE that gets no answer at all ends the call with BYE after Timer B. */
static void server_refreshes_by_reinvite(void) {
  env e;
  open_timer(&e, 180, 0, 0);
  call c;
  call_init(&c, "srvreinvite");
  const char *ok = establish_with(&e, &c, "Supported: timer\r\nSession-Expires: 180;refresher=uas\r\n");
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "\r\nSession-Expires: 180;refresher=uas\r\n"));
  uint64_t acked = e.event_ms[SIPSPEC_SERVER_ESTABLISHED];
  char cseq1[64], cseq2[64], ack_cseq[64];
  const char *inv = next_request(&e, "INVITE ", NULL, cseq1, sizeof cseq1, 100.0);
  expect_time(env_at(&e, &e.p, inv), acked + 90000u, "first re-INVITE");
  CU_ASSERT_STRING_EQUAL(body_of(inv), body_of(ok));
  CU_ASSERT_PTR_NOT_NULL(strstr(inv, "\r\nContent-Type: application/sdp\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(inv, "\r\nSession-Expires: 180;refresher=uac\r\n"));
  char offer[4096];
  make_offer(offer, sizeof offer, synth_recog, 1);
  answer_req(&e, inv, 200, "Require: timer\r\nSession-Expires: 180;refresher=uac\r\n", offer);
  uint64_t answered = env_ms(&e);
  const char *ack = expect_msg(&e.p, "ACK ", 2.0);
  msg_header(ack, "CSeq", ack_cseq, sizeof ack_cseq);
  CU_ASSERT_EQUAL(atoi(ack_cseq), atoi(cseq1));
  CU_ASSERT_PTR_NOT_NULL(strstr(ack_cseq, "ACK"));
  inv = next_request(&e, "INVITE ", cseq1, cseq2, sizeof cseq2, 100.0);
  expect_time(env_at(&e, &e.p, inv), answered + 90000u, "second re-INVITE");
  uint64_t sent = env_at(&e, &e.p, inv);
  const char *bye = expect_msg(&e.p, "BYE ", 40.0); /* Timer B: 64*T1 = 32 s */
  expect_time(env_at(&e, &e.p, bye), sent + 64u * T1_MS, "BYE after Timer B");
  CU_ASSERT_PTR_NOT_NULL(strstr(bye, "\r\nReason: SIP;cause=408;text=\"Session refresh failed\"\r\n"));
  answer_server_bye(&e, bye, 200);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipSessionRefreshes, 1);
  CU_ASSERT_EQUAL(peer_count(&e.p, "UPDATE "), 0);
  env_close(&e);
}

/* A 500 to the server's refresh does not end the call (RFC 4028 10: not 408/481) and does
 * not move the expiration either: the BYE comes 180 - 32 s after the ACK, the 2xx that set
 * it, with Reason 408 "Session timer expired". */
static void refresh_500_keeps_expiration(void) {
  env e;
  open_timer(&e, 180, 0, 1);
  call c;
  call_init(&c, "srv500");
  establish_with(&e, &c, "Supported: timer\r\nSession-Expires: 180\r\n" ALLOW_UPDATE);
  uint64_t acked = e.event_ms[SIPSPEC_SERVER_ESTABLISHED];
  char cseq1[64];
  const char *u = next_request(&e, "UPDATE ", NULL, cseq1, sizeof cseq1, 100.0);
  answer_req(&e, u, 500, NULL, NULL);
  const char *bye = expect_msg(&e.p, "BYE ", 100.0);
  expect_time(env_at(&e, &e.p, bye), acked + 148000u, "BYE at the expiration");
  CU_ASSERT_PTR_NOT_NULL(strstr(bye, "\r\nReason: SIP;cause=408;text=\"Session timer expired\"\r\n"));
  answer_server_bye(&e, bye, 200);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipSessionExpired, 1);
  env_close(&e);
}

/* UniMRCP's values on the server (Session-Expires 600, Min-SE 120): an INVITE asking for
 * 100 s gets 422 with Min-SE: 120 (RFC 4028 9); the INVITE again asking for 120 s is
 * answered 200 with Session-Expires 120 and the client's refresher. */
static void invite_422_min_se(void) {
  env e;
  open_timer(&e, 600, 120, 0);
  call c;
  call_init(&c, "min422");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, "Supported: timer\r\nSession-Expires: 100\r\nMin-SE: 90\r\n");
  const char *r = expect_msg(&e.p, "SIP/2.0 422", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nMin-SE: 120\r\n"));
  send_ack_failure(&e, &c, r);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_REFUSED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_REFUSED], 422);
  const char *ok =
      establish_with(&e, &c, "Supported: timer\r\nSession-Expires: 120;refresher=uac\r\nMin-SE: 120\r\n" ALLOW_UPDATE);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "\r\nSession-Expires: 120;refresher=uac\r\n"));
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  expect_msg(&e.p, "SIP/2.0 200", 2.0);
  env_close(&e);
}

/* The wire bytes of the 2xx to an INVITE that a proxy record-routed and that asks for a
 * session timer: after our Server and Contact (RFC 3261 12.1.1), the Record-Route values in
 * their order, one line each (12.1.1, 7.3.1), "Require: timer" and the Session-Expires
 * granted (RFC 4028 9: the client's 120 s, its refresher), Allow, Content-Type, then
 * Content-Length; the parser reads every line back (its checks find nothing to refuse). */
static void rr_timer_2xx_wire(void) {
  env e;
  open_timer(&e, 600, 90, 0);
  call c;
  call_init(&c, "rrwire");
  const char *ok = establish_with(&e, &c,
                                  "Record-Route: \"Edge \\\"1\\\"\" <sip:edge.example.net;lr>;x-p=1,<sip:core.example.net;lr>\r\n"
                                  "Supported: timer\r\nSession-Expires: 120;refresher=uac\r\n" ALLOW_UPDATE);
  const char *ct = strstr(ok, "\r\nContact: <sip:");
  CU_ASSERT_PTR_NOT_NULL_FATAL(ct);
  const char *after = strstr(ct + 2, "\r\n");
  CU_ASSERT_PTR_NOT_NULL_FATAL(after);
  CU_ASSERT_EQUAL(strncmp(after,
                          "\r\nRecord-Route: \"Edge \\\"1\\\"\" <sip:edge.example.net;lr>;x-p=1\r\n"
                          "Record-Route: <sip:core.example.net;lr>\r\n"
                          "Require: timer\r\n"
                          "Session-Expires: 120;refresher=uac\r\n"
                          "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE\r\n"
                          "Content-Type: application/sdp\r\n"
                          "Content-Length: ",
                          strlen("\r\nRecord-Route: \"Edge \\\"1\\\"\" <sip:edge.example.net;lr>;x-p=1\r\n"
                                 "Record-Route: <sip:core.example.net;lr>\r\n"
                                 "Require: timer\r\n"
                                 "Session-Expires: 120;refresher=uac\r\n"
                                 "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE\r\n"
                                 "Content-Type: application/sdp\r\n"
                                 "Content-Length: ")),
                  0);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "\r\nServer: "));
  CU_ASSERT_TRUE(strstr(ok, "\r\nServer: ") < ct);
  sipspec_msg *m = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&m, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, ok, strlen(ok)), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_check(m), 0);
  int r = 0;
  CU_ASSERT_EQUAL(sipspec_msg_session_expires(m, &r), 120);
  CU_ASSERT_EQUAL(r, 'c');
  CU_ASSERT_EQUAL(sipspec_msg_value_count(m, SIPSPEC_H_RECORD_ROUTE), 2);
  sipspec_msg_destroy(m);
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  expect_msg(&e.p, "SIP/2.0 200", 2.0);
  env_close(&e);
}

int main(int argc, char **argv) {
  static const env_test tests[] = {
      {"expiry_bye_only_2xx_refreshes", expiry_bye_only_2xx_refreshes},
      {"server_refreshes_by_update", server_refreshes_by_update},
      {"server_refreshes_by_reinvite", server_refreshes_by_reinvite},
      {"refresh_500_keeps_expiration", refresh_500_keeps_expiration},
      {"invite_422_min_se", invite_422_min_se},
      {"rr_timer_2xx_wire", rr_timer_2xx_wire},
  };
  return env_run_suite(argc, argv, "server_timer", tests, sizeof tests / sizeof tests[0]);
}
