/* test_ua_timer.c: user agent tests: session timers (RFC 4028), UPDATE (RFC 3311) and failover (RFC 3263 4.3). Registered by test_ua.c. */
#include "ua_fixture.h"

/* ---- session timers (RFC 4028) and UPDATE (RFC 3311) ------------------------------------- */

/* The 200 to INVITE inv with the session timer lines se (e.g. "Require: timer\r\nSession-
 * Expires: 90;refresher=uac\r\n", "" for none) and Allow allow; returns tst_now_ms() then. */
uint64_t reply_200_timer(fx *f, int inv, const char *se, const char *allow) {
  char extra[600];
  snprintf(extra, sizeof extra, "Contact: <sip:srv@127.0.0.1:%u%s>\r\nAllow: %s\r\n%sContent-Type: application/sdp\r\n",
           f->p.port, use_tcp ? ";transport=tcp" : "", allow, se);
  peer_reply(&f->p, inv, 200, "srvtag", extra, answer_for(f, inv));
  uint64_t t = tst_now_ms(f->loop);
  CU_ASSERT_FATAL(wait_for(f, "ACK ", 0, 5) >= 0);
  CU_ASSERT_EQUAL(f->n_answered, 1);
  return t;
}

#define ALLOW_UPDATE "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE"
#define ALLOW_NO_UPDATE "INVITE, ACK, CANCEL, BYE, OPTIONS"

/* The server's UPDATE (no body when sdp is NULL) with header lines extra. */
void send_server_update(fx *f, int inv, unsigned cseq, const char *branch, const char *extra, const char *sdp) {
  char tag[64], cid[160];
  client_dialog_ids(f, inv, tag, sizeof tag, cid, sizeof cid);
  static char req[8192];
  snprintf(req, sizeof req,
           "UPDATE sip:client@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%u;branch=%s\r\nMax-Forwards: 70\r\n"
           "From: <sip:mresources@127.0.0.1>;tag=srvtag\r\nTo: <sip:client@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: %u UPDATE\r\nContact: <sip:srv@127.0.0.1:%u>\r\nSupported: timer\r\n%s%s"
           "Content-Length: %zu\r\n\r\n%s",
           use_tcp ? "TCP" : "UDP", f->p.port, branch, tag, cid, cseq, f->p.port, extra,
           sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : 0, sdp ? sdp : "");
  peer_send(&f->p, req, strlen(req));
}

/* Refresher uac, the server allows UPDATE: the INVITE asks for 1800 s with Min-SE 90
 * (RFC 4028 7.1, no refresher parameter), and the client refreshes by UPDATE without a body
 * exactly half the interval after each 2xx (7.2, 7.4), with refresher=uac. */
void test_st_refresh_by_update(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Supported"), "timer");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Session-Expires"), "1800");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Min-SE"), "90");
  uint64_t t0 = reply_200_timer(&f, inv, "Require: timer\r\nSession-Expires: 1800;refresher=uac\r\n", ALLOW_UPDATE);
  const char *who = NULL;
  CU_ASSERT_EQUAL(sipspec_session_expires(f.s, &who), 1800u);
  CU_ASSERT_STRING_EQUAL(who, "uac");
  int u1 = expect_msg(&f, "UPDATE ", 0, 1000);
  CU_ASSERT_EQUAL(f.p.at_ms[u1] - t0, 900000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u1, "CSeq"), "2 UPDATE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u1, "Session-Expires"), "1800;refresher=uac");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u1, "Min-SE"), "90");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u1, "Content-Length"), "0");
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 0);
  peer_reply(&f.p, u1, 200, NULL, "Require: timer\r\nSession-Expires: 1800;refresher=uac\r\n", NULL);
  uint64_t t1 = tst_now_ms(f.loop);
  int u2 = expect_msg(&f, "UPDATE ", 1, 1000);
  CU_ASSERT_EQUAL(f.p.at_ms[u2] - t1, 900000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "CSeq"), "3 UPDATE");
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 1);
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 1); /* no re-INVITE */
  peer_reply(&f.p, u2, 200, NULL, "Require: timer\r\nSession-Expires: 1800;refresher=uac\r\n", NULL);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 2);
  int bye = end_call(&f);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "4 BYE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Reason"), "");
  fx_close(&f);
}

/* Refresher uac, the server's Allow has no UPDATE: the refresh is a re-INVITE whose SDP is
 * the one we sent, byte for byte (the same o= version: RFC 4028 7.4, RFC 3264 8), at 45 s
 * for a 90 s interval; its 2xx is ACKed and moves the next refresh 45 s on. */
void test_st_refresh_by_reinvite(void) {
  fx f;
  fx_session_expires = 90;
  fx_open(&f, 0);
  int inv = start_call(&f);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Session-Expires"), "90");
  uint64_t t0 = reply_200_timer(&f, inv, "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n", ALLOW_NO_UPDATE);
  int re = expect_msg(&f, "INVITE ", 1, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[re] - t0, 45000u);
  CU_ASSERT_EQUAL(peer_count(&f.p, "UPDATE "), 0);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re, "CSeq"), "2 INVITE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re, "Session-Expires"), "90;refresher=uac");
  CU_ASSERT_STRING_EQUAL(strstr(f.p.msgs[re], "\r\n\r\n"), strstr(f.p.msgs[inv], "\r\n\r\n"));
  char extra[300];
  snprintf(extra, sizeof extra,
           "Contact: <sip:srv@127.0.0.1:%u%s>\r\nRequire: timer\r\nSession-Expires: 90;refresher=uac\r\n"
           "Content-Type: application/sdp\r\n",
           f.p.port, use_tcp ? ";transport=tcp" : "");
  peer_reply(&f.p, re, 200, NULL, extra, answer_for(&f, inv));
  uint64_t t1 = tst_now_ms(f.loop);
  int ack = expect_msg(&f, "ACK ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "2 ACK");
  int re2 = expect_msg(&f, "INVITE ", 2, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[re2] - t1, 45000u);
  CU_ASSERT_STRING_EQUAL(strstr(f.p.msgs[re2], "\r\n\r\n"), strstr(f.p.msgs[inv], "\r\n\r\n"));
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 1);
  CU_ASSERT_EQUAL(f.n_updated, 0); /* a refresh is no update of the application's */
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  fx_close(&f);
}

/* Refresher uas (90 s): the server's UPDATE at 30 s is answered 200 with Require: timer and
 * Session-Expires: 90;refresher=uac (the server, UAC of that request, keeps refreshing:
 * RFC 4028 9 Table 2); its UPDATE with the SDP it sent before gets 200 with ours, with a
 * changed one 488. Then no refresh: BYE at SE - min(32, SE/3) = 60 s after the last one,
 * with Reason: SIP;cause=408 (10); the session ends as an error, sipSessionExpired 1. */
void test_st_peer_refreshes_then_expires(void) {
  fx f;
  fx_session_expires = 90;
  fx_open(&f, 0);
  int inv = start_call(&f);
  uint64_t t0 = reply_200_timer(&f, inv, "Require: timer\r\nSession-Expires: 90;refresher=uas\r\n", ALLOW_UPDATE);
  const char *who = NULL;
  CU_ASSERT_EQUAL(sipspec_session_expires(f.s, &who), 90u);
  CU_ASSERT_STRING_EQUAL(who, "uas");
  tst_run_for(f.loop, 30);
  CU_ASSERT_EQUAL(peer_count(&f.p, "UPDATE "), 0);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  send_server_update(&f, inv, 2, "z9hG4bKupd1", "Session-Expires: 90;refresher=uac\r\n", NULL);
  int ok = expect_msg(&f, "SIP/2.0 200", 0, 5);
  uint64_t t1 = tst_now_ms(f.loop);
  CU_ASSERT_EQUAL(t1 - t0, 30000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "CSeq"), "2 UPDATE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "Session-Expires"), "90;refresher=uac");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "Require"), "timer");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "Content-Length"), "0");
  /* an UPDATE with the server's SDP unchanged: 200 with ours (RFC 3311 5.2, RFC 3264 8) */
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", answer_for(&f, inv));
  send_server_update(&f, inv, 3, "z9hG4bKupd2", "Session-Expires: 90;refresher=uac\r\n", cur);
  int ok2 = expect_msg(&f, "SIP/2.0 200", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok2, "CSeq"), "3 UPDATE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok2, "Content-Type"), "application/sdp");
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[ok2], "\r\n\r\nv=0"));
  /* a changed offer: 488, which refreshes nothing */
  char changed[4096];
  snprintf(changed, sizeof changed, "%s", cur);
  char *o = strstr(changed, "o=");
  CU_ASSERT_PTR_NOT_NULL_FATAL(o);
  char *sp = strchr(strchr(o, ' ') + 1, ' ') + 1; /* the version */
  *sp = *sp == '9' ? '8' : '9';
  tst_run_for(f.loop, 10);
  send_server_update(&f, inv, 4, "z9hG4bKupd3", "Session-Expires: 90;refresher=uac\r\n", changed);
  int bad = expect_msg(&f, "SIP/2.0 488", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bad, "CSeq"), "4 UPDATE");
  uint64_t t2 = f.p.at_ms[ok2];
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 2);
  CU_ASSERT_TRUE(run_until_term(&f, 200) || peer_count(&f.p, "BYE ") > 0);
  int bye = expect_msg(&f, "BYE ", 0, 5);
  CU_ASSERT_EQUAL(f.p.at_ms[bye] - t2, 60000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Reason"), "SIP;cause=408;text=\"Session timer expired\"");
  CU_ASSERT_EQUAL(peer_count(&f.p, "UPDATE "), 0);
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionExpired, 1);
  fx_close(&f);
}

/* RFC 4028 7.3, 7.4: a 422 with Min-SE 1900 gets the INVITE again (CSeq 2, the same Call-ID
 * and From tag) asking for 1900 with Min-SE 1900; a second 422 ends the attempt with 422
 * (10: not continuously), after two INVITEs. */
void test_st_422_retry_then_fail(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 422, "srvtag", "Min-SE: 1900\r\n", NULL);
  int inv2 = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "CSeq"), "2 INVITE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "Call-ID"), peer_header(&f.p, inv, "Call-ID"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "Session-Expires"), "1900");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "Min-SE"), "1900");
  char from1[200];
  snprintf(from1, sizeof from1, "%s", peer_header(&f.p, inv, "From"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "From"), from1);
  CU_ASSERT_EQUAL(f.n_failed, 0);
  peer_reply(&f.p, inv2, 422, "srvtag", "Min-SE: 2000\r\n", NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.n_failed, 1);
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(f.failed_status, 422);
  tst_run_for(f.loop, 1);
  /* (UDP copies of the first two aside) never a third INVITE */
  for (int k = 0, i; (i = peer_find(&f.p, "INVITE ", k)) >= 0; k++)
    CU_ASSERT(!strcmp(peer_header(&f.p, i, "CSeq"), "1 INVITE") || !strcmp(peer_header(&f.p, i, "CSeq"), "2 INVITE"));
  fx_close(&f);
}

/* The 422 retry answered: the session runs with the 422's interval. */
void test_st_422_retry_then_200(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 422, "srvtag", "Min-SE: 1900\r\n", NULL);
  int inv2 = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "CSeq"), "2 INVITE");
  char extra[300];
  snprintf(extra, sizeof extra,
           "Contact: <sip:srv@127.0.0.1:%u%s>\r\nRequire: timer\r\nSession-Expires: 1900;refresher=uac\r\n"
           "Allow: " ALLOW_UPDATE "\r\nContent-Type: application/sdp\r\n",
           f.p.port, use_tcp ? ";transport=tcp" : "");
  peer_reply(&f.p, inv2, 200, "srvtag2", extra, answer_for(&f, inv2));
  uint64_t t0 = tst_now_ms(f.loop);
  CU_ASSERT(wait_for(&f, "ACK ", 1, 5) >= 0);
  const char *who = NULL;
  CU_ASSERT_EQUAL(sipspec_session_expires(f.s, &who), 1900u);
  int u = expect_msg(&f, "UPDATE ", 0, 1000);
  CU_ASSERT_EQUAL(f.p.at_ms[u] - t0, 950000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u, "Min-SE"), "1900");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u, "Session-Expires"), "1900;refresher=uac");
  fx_close(&f);
}

/* Established with refresher uac, 90 s, UPDATE allowed; returns the INVITE's index, and the
 * first UPDATE's in *u (sent at 45 s). */
int st_until_update_auth(fx *f, int *u, int with_auth) {
  fx_session_expires = 90;
  fx_open(f, with_auth);
  int inv = start_call(f);
  uint64_t t0 = reply_200_timer(f, inv, "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n", ALLOW_UPDATE);
  *u = expect_msg(f, "UPDATE ", 0, 100);
  CU_ASSERT_EQUAL(f->p.at_ms[*u] - t0, 45000u);
  return inv;
}

int st_until_update(fx *f, int *u) { return st_until_update_auth(f, u, 0); }

/* A 422 to a refresh (RFC 4028 7.3, 10): the refresh again at once, CSeq + 1, asking for the
 * 422's Min-SE 120 in Session-Expires and Min-SE; its 200 moves the next refresh to half of
 * 120 s. A second 422 to the refresh sent again ends the session with BYE saying 422. */
void test_st_refresh_422(void) {
  fx f;
  int u;
  st_until_update(&f, &u);
  peer_reply(&f.p, u, 422, NULL, "Min-SE: 120\r\n", NULL);
  uint64_t t422 = tst_now_ms(f.loop);
  int u2 = expect_msg(&f, "UPDATE ", 1, 10);
  CU_ASSERT_EQUAL(f.p.at_ms[u2] - t422, 0u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "CSeq"), "3 UPDATE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "Session-Expires"), "120;refresher=uac");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "Min-SE"), "120");
  peer_reply(&f.p, u2, 200, NULL, "Require: timer\r\nSession-Expires: 120;refresher=uac\r\n", NULL);
  uint64_t t1 = tst_now_ms(f.loop);
  int u3 = expect_msg(&f, "UPDATE ", 2, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[u3] - t1, 60000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u3, "Session-Expires"), "120;refresher=uac");
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 1);
  peer_reply(&f.p, u3, 422, NULL, "Min-SE: 150\r\n", NULL);
  int u4 = expect_msg(&f, "UPDATE ", 3, 10);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u4, "Session-Expires"), "150;refresher=uac");
  peer_reply(&f.p, u4, 422, NULL, "Min-SE: 180\r\n", NULL);
  int bye = expect_msg(&f, "BYE ", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Reason"), "SIP;cause=422;text=\"Session refresh failed\"");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  CU_ASSERT_EQUAL(peer_count(&f.p, "UPDATE "), 4);
  fx_close(&f);
}

/* A 401 to a refresh is answered as one to any other request (RFC 4028 10, RFC 3261 22.2):
 * the UPDATE again at once, CSeq + 1, with credentials the verifier accepts; its 200 keeps
 * the session. A second challenge to the refresh sent again ends it with BYE (one retry per
 * refresh, 10: not continuously). */
void test_st_refresh_digest(void) {
  fx f;
  int u;
  st_until_update_auth(&f, &u, 1);
  sipspec_digest_server_t *srv = alice_verifier();
  char lines[8192];
  make_challenge(srv, lines, sizeof lines);
  CU_ASSERT_PTR_NULL(strstr(f.p.msgs[u], "\r\nAuthorization: "));
  peer_reply(&f.p, u, 401, NULL, lines, NULL);
  int u2 = expect_msg(&f, "UPDATE ", 1, 10);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "CSeq"), "3 UPDATE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "Session-Expires"), "90;refresher=uac");
  expect_credentials(srv, peer_parse(&f.p, u2));
  peer_reply(&f.p, u2, 200, NULL, "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n", NULL);
  uint64_t t1 = tst_now_ms(f.loop);
  int u3 = expect_msg(&f, "UPDATE ", 2, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[u3] - t1, 45000u);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 1);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  make_challenge(srv, lines, sizeof lines);
  peer_reply(&f.p, u3, 401, NULL, lines, NULL);
  int u4 = expect_msg(&f, "UPDATE ", 3, 10);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u4, "CSeq"), "5 UPDATE");
  expect_credentials(srv, peer_parse(&f.p, u4));
  make_challenge(srv, lines, sizeof lines);
  peer_reply(&f.p, u4, 401, NULL, lines, NULL);
  int bye = expect_msg(&f, "BYE ", 0, 5);
  CU_ASSERT_EQUAL(peer_count(&f.p, "UPDATE "), 4);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Reason"), "SIP;cause=401;text=\"Session refresh failed\"");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  sipspec_digest_server_destroy(srv);
  fx_close(&f);
}

/* RFC 4028 7.4: a Min-SE in the server's refresh (120, above our 90) is kept: our own
 * refreshes say Min-SE 120 from then on. The server's UPDATE says refresher=uas, which makes
 * us the refresher of a 120 s interval (9 Table 2). */
void test_st_peer_min_se_kept(void) {
  fx f;
  fx_session_expires = 90;
  fx_open(&f, 0);
  int inv = start_call(&f);
  reply_200_timer(&f, inv, "Require: timer\r\nSession-Expires: 90;refresher=uas\r\n", ALLOW_UPDATE);
  tst_run_for(f.loop, 10);
  send_server_update(&f, inv, 2, "z9hG4bKupdmin", "Session-Expires: 120;refresher=uas\r\nMin-SE: 120\r\n", NULL);
  int ok = expect_msg(&f, "SIP/2.0 200", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "Session-Expires"), "120;refresher=uas");
  uint64_t t1 = tst_now_ms(f.loop);
  int u = expect_msg(&f, "UPDATE ", 0, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[u] - t1, 60000u);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u, "Session-Expires"), "120;refresher=uac");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u, "Min-SE"), "120");
  fx_close(&f);
}

/* A refresh answered 491: sent once more after 2.1..4 s in 10 ms steps (RFC 3261 14.1); a
 * 200 to that one refreshes the session, the next refresh 45 s after it. */
void test_st_491_glare(void) {
  fx f;
  int u;
  st_until_update(&f, &u);
  peer_reply(&f.p, u, 491, NULL, NULL, NULL);
  uint64_t t491 = tst_now_ms(f.loop);
  int u2 = expect_msg(&f, "UPDATE ", 1, 10);
  uint64_t waited = f.p.at_ms[u2] - t491;
  CU_ASSERT(waited >= 2100 && waited <= 4000 && waited % 10 == 0);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, u2, "CSeq"), "3 UPDATE");
  peer_reply(&f.p, u2, 200, NULL, "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n", NULL);
  uint64_t t1 = tst_now_ms(f.loop);
  int u3 = expect_msg(&f, "UPDATE ", 2, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[u3] - t1, 45000u);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 1);
  fx_close(&f);
}

/* 491 twice: not continuously (RFC 4028 10): BYE, the session ends as an error. */
void test_st_491_twice(void) {
  fx f;
  int u;
  st_until_update(&f, &u);
  peer_reply(&f.p, u, 491, NULL, NULL, NULL);
  int u2 = expect_msg(&f, "UPDATE ", 1, 10);
  peer_reply(&f.p, u2, 491, NULL, NULL, NULL);
  int bye = expect_msg(&f, "BYE ", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "4 BYE");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  CU_ASSERT_STRING_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionExpired ? "expired" : "not", "not");
  fx_close(&f);
}

/* 503 with Retry-After: 5: the refresh again exactly 5 s later, once. */
void test_st_503_retry_after(void) {
  fx f;
  int u;
  st_until_update(&f, &u);
  peer_reply(&f.p, u, 503, NULL, "Retry-After: 5\r\n", NULL);
  uint64_t t503 = tst_now_ms(f.loop);
  int u2 = expect_msg(&f, "UPDATE ", 1, 10);
  CU_ASSERT_EQUAL(f.p.at_ms[u2] - t503, 5000u);
  peer_reply(&f.p, u2, 200, NULL, "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n", NULL);
  tst_run_for(f.loop, 1);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipSessionRefreshes, 1);
  fx_close(&f);
}

/* A refresh answered 408 or 481 ends the session with BYE at once (RFC 4028 10, RFC 3261
 * 12.2.1.2); the session ends as an error with that status. */
void test_st_refresh_408_481(void) {
  static const int statuses[] = {408, 481};
  for (size_t k = 0; k < 2; k++) {
    fx f;
    int u;
    st_until_update(&f, &u);
    peer_reply(&f.p, u, statuses[k], NULL, NULL, NULL);
    uint64_t t = tst_now_ms(f.loop);
    int bye = expect_msg(&f, "BYE ", 0, 5);
    CU_ASSERT_EQUAL(f.p.at_ms[bye] - t, 0u);
    CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "3 BYE");
    char reason[64];
    snprintf(reason, sizeof reason, "SIP;cause=%d;text=\"Session refresh failed\"", statuses[k]);
    CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Reason"), reason);
    reply_until_term(&f, bye, 200);
    CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
    for (int j = 0, i; (i = peer_find(&f.p, "UPDATE ", j)) >= 0; j++) /* UDP copies of the one refresh only */
      CU_ASSERT_STRING_EQUAL(peer_header(&f.p, i, "CSeq"), "2 UPDATE");
    fx_close(&f);
  }
}

/* A refresh never answered: Timer F (64*T1 = 32 s) after the UPDATE, BYE. */
void test_st_refresh_unanswered(void) {
  fx f;
  int u;
  st_until_update(&f, &u);
  int bye = expect_msg(&f, "BYE ", 0, 40);
  CU_ASSERT_EQUAL(f.p.at_ms[bye] - f.p.at_ms[u], 64u * T1_MS);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Reason"), "SIP;cause=408;text=\"Session refresh failed\"");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  fx_close(&f);
}

/* MRCP_SIP_SESSION_EXPIRES=0: Supported: timer without Session-Expires (7.1); a 2xx without
 * one: no expiration, no refresh in an hour; the server's UPDATE still gets 200, without
 * Session-Expires. */
void test_st_not_asked(void) {
  fx f;
  fx_session_expires = 0;
  fx_open(&f, 0);
  int inv = start_call(&f);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Supported"), "timer");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Session-Expires"), "");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Min-SE"), "");
  reply_200_timer(&f, inv, "", ALLOW_UPDATE);
  const char *who = NULL;
  CU_ASSERT_EQUAL(sipspec_session_expires(f.s, &who), 0u);
  CU_ASSERT_STRING_EQUAL(who, "");
  send_server_update(&f, inv, 2, "z9hG4bKupd9", "", NULL);
  int ok = expect_msg(&f, "SIP/2.0 200", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "CSeq"), "2 UPDATE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "Session-Expires"), "");
  tst_run_for(f.loop, 3600);
  CU_ASSERT_EQUAL(peer_count(&f.p, "UPDATE "), 0);
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 1);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  end_call(&f);
  fx_close(&f);
}


/* RFC 3263 4.3 between the addresses of one name: nothing listens on the first (a port
 * unreachable over UDP, a refused connection over TCP), so the same INVITE goes to the second
 * as a new transaction; the session lists both and why it left the first. The next session of
 * the user agent tries the address that failed last. */
void test_failover_addresses(void) {
  fx f;
  fx_open(&f, 0);
  target_host = "two.sipspec.test";
  fx_start(&f);
  int inv = expect_msg(&f, "INVITE ", 0, 5);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipFailovers, 1);
  sipspec_sockaddr a;
  sipspec_tp_kind tp;
  const char *left = NULL;
  char txt[SIPSPEC_SOCKADDR_STRLEN];
  CU_ASSERT_EQUAL_FATAL(sipspec_session_target(f.s, 0, &a, &tp, &left), SIPSPEC_OK);
  sipspec_sockaddr_format(&a, txt, sizeof txt);
  CU_ASSERT_PTR_NOT_NULL(strstr(txt, "127.0.0.2:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(left, "transport error"));
  CU_ASSERT_EQUAL(sipspec_session_target(f.s, 1, &a, &tp, &left), SIPSPEC_OK);
  sipspec_sockaddr_format(&a, txt, sizeof txt);
  CU_ASSERT_PTR_NOT_NULL(strstr(txt, "127.0.0.1:"));
  CU_ASSERT_STRING_EQUAL(left, "");
  CU_ASSERT_EQUAL(sipspec_session_target(f.s, 2, &a, &tp, &left), SIPSPEC_E_RANGE);
  peer_reply(&f.p, inv, 486, "busy", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.failed_status, 486); /* the server's answer: no failover */
  /* the next session: 127.0.0.2 failed 32 s ago at most, so it comes last */
  f.n_term = 0;
  fx_start(&f);
  int inv2 = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_TRUE(inv2 > inv);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipFailovers, 1);
  CU_ASSERT_EQUAL(sipspec_session_target(f.s, 0, &a, &tp, &left), SIPSPEC_OK);
  sipspec_sockaddr_format(&a, txt, sizeof txt);
  CU_ASSERT_PTR_NOT_NULL(strstr(txt, "127.0.0.1:"));
  peer_reply(&f.p, inv2, 486, "busy2", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  target_host = "127.0.0.1";
  fx_close(&f);
}

