/* test_ua_call.c: user agent tests: calls, failures, CANCEL, keep-alives, Digest and name resolution. Registered by test_ua.c. */
#include "ua_fixture.h"

/* ---- tests --------------------------------------------------------------------------------- */

/* A whole call: the INVITE's headers in the roadmap's order, ACK for the 200, BYE, 200. */
void test_normal_call(void) {
  fx f;
  fx_open(&f, 0);
  fx_start(&f);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Inviting");
  int inv = expect_msg(&f, "INVITE ", 0, 5);
  const char *m = f.p.msgs[inv];
  char line[256];
  snprintf(line, sizeof line, "INVITE sip:mresources@127.0.0.1:%u SIP/2.0\r\n", f.p.port);
  CU_ASSERT_TRUE(!strncmp(m, line, strlen(line)));
  /* the roadmap's first-INVITE header list, in its order, then User-Agent, Allow, Supported */
  const char *order[] = {"\r\nVia: SIP/2.0/", "\r\nMax-Forwards: 70\r\n", "\r\nFrom: <sip:client@127.0.0.1>;tag=",
                         "\r\nTo: <sip:mresources@127.0.0.1:", "\r\nCall-ID: ", "\r\nCSeq: 1 INVITE\r\n",
                         "\r\nContact: <sip:client@127.0.0.1:", "\r\nUser-Agent: sipspec-test\r\n",
                         "\r\nAllow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE\r\n", "\r\nSupported: timer\r\n",
                         "\r\nSession-Expires: 1800\r\n", "\r\nMin-SE: 90\r\n",
                         "\r\nContent-Type: application/sdp\r\n", "\r\nContent-Length: "};
  const char *prev = m;
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    const char *at = strstr(m, order[i]);
    CU_ASSERT_PTR_NOT_NULL(at);
    if (at) CU_ASSERT_TRUE(at > prev);
    if (at) prev = at;
  }
  const char *via = peer_header(&f.p, inv, "Via");
  CU_ASSERT_PTR_NOT_NULL(strstr(via, use_tcp ? "SIP/2.0/TCP 127.0.0.1:" : "SIP/2.0/UDP 127.0.0.1:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(via, ";rport;branch=z9hG4bK"));
  /* Contact: the local address actually used toward the peer, with the real port */
  sipspec_sockaddr bound;
  CU_ASSERT_EQUAL(sipspec_ua_bound_addr(f.ua, use_tcp ? SIPSPEC_TP_TCP : SIPSPEC_TP_UDP, &bound), SIPSPEC_OK);
  snprintf(line, sizeof line, "<sip:client@127.0.0.1:%u%s>", sipspec_sockaddr_port(&bound),
           use_tcp ? ";transport=tcp" : "");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Contact"), line);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv, "Call-ID"), sipspec_session_call_id(f.s));
  const sipspec_msg *pm = peer_parse(&f.p, inv);
  CU_ASSERT_PTR_NOT_NULL(strstr(sipspec_msg_body(pm).p, "m=application 9 TCP/MRCPv2"));

  peer_reply(&f.p, inv, 100, NULL, NULL, NULL);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  reply_200(&f, inv, "srvtag");
  int ack = expect_msg(&f, "ACK ", 0, 5);
  snprintf(line, sizeof line, "ACK sip:srv@127.0.0.1:%u%s SIP/2.0\r\n", f.p.port, use_tcp ? ";transport=tcp" : "");
  CU_ASSERT_TRUE(!strncmp(f.p.msgs[ack], line, strlen(line)));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "1 ACK");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, ack, "To"), ";tag=srvtag"));
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_prov, 1); /* 180 only: 100 is not reported */
  CU_ASSERT_EQUAL(f.prov_status[0], 180);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  CU_ASSERT_EQUAL(f.answered_channels, 1);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  CU_ASSERT_EQUAL(sipspec_session_result(f.s), SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(sipspec_session_status(f.s), 200);
  CU_ASSERT_PTR_NOT_NULL(sipspec_session_answer(f.s));

  CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_E_STATE);
  int bye = expect_msg(&f, "BYE ", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "2 BYE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Call-ID"), peer_header(&f.p, inv, "Call-ID"));
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(f.n_failed, 0);
  const sipspec_telemetry *t = sipspec_ua_telemetry(f.ua);
  CU_ASSERT_EQUAL(t->sessionsStarted, 1);
  CU_ASSERT_EQUAL(t->sessionsEstablished, 1);
  CU_ASSERT_EQUAL(t->sessionsFailed, 0);
  CU_ASSERT_EQUAL(t->sipByeSent, 1);
  CU_ASSERT_EQUAL(t->sipByeAcksMissing, 0);
  CU_ASSERT_EQUAL(t->sipProvisional, 2);
  CU_ASSERT_EQUAL(sipspec_ua_live_sessions(f.ua), 0);
  fx_close(&f);
}

/* 180 many times, then 200: every 180 reported, one ACK. */
void test_ringing_many(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  for (int i = 0; i < 25; i++) peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  tst_run_for(f.loop, 0.1);
  reply_200(&f, inv, "srvtag");
  CU_ASSERT(wait_for(&f, "ACK ", 0, 5) >= 0);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(f.n_prov, 25);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipProvisional, 25);
  CU_ASSERT_EQUAL(peer_count(&f.p, "ACK "), 1);
  fx_close(&f);
}

/* An immediate 486: rejected with the status; the ICT's ACK has the INVITE's branch. */
void test_immediate_4xx(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 486, "srvtag", "Warning: 399 srv \"busy here\"\r\n", NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.n_failed, 1);
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(f.failed_status, 486);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_NONE);
  int ack = expect_msg(&f, "ACK ", 0, 2);
  char via_inv[512];
  snprintf(via_inv, sizeof via_inv, "%s", peer_header(&f.p, inv, "Via"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "Via"), via_inv); /* 17.1.1.3 */
  const sipspec_telemetry *t = sipspec_ua_telemetry(f.ua);
  CU_ASSERT_EQUAL(t->sessionsFailed, 1);
  CU_ASSERT_EQUAL(t->sipError4xx, 1);
  fx_close(&f);
}

/* No answer at all, T1 = 500 ms. Over UDP Timer A fires 500, 1500, 3500, 7500, 15500 and
 * 31500 ms after the first INVITE (doubling, RFC 3261 17.1.1.2; each firing is scheduled from
 * when the previous one was due), and Timer B at 64*T1 = 32 s ends the transaction: exactly
 * 7 INVITEs, the last one due before Timer B, and the session ends at 32 s. Over TCP there
 * is one INVITE and no retransmission, and Timer B ends it all the same. Result timeout. */
void test_invite_timeout(void) {
  fx f;
  fx_open(&f, 0);
  fx_start(&f);
  CU_ASSERT_TRUE(run_until_term(&f, 100));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_TIMEOUT);
  CU_ASSERT_EQUAL(f.failed_status, 0);
  int n = peer_count(&f.p, "INVITE ");
  if (use_tcp) CU_ASSERT_EQUAL(n, 1);
  if (!use_tcp) CU_ASSERT_EQUAL(n, 7);
  /* every copy is the same request */
  for (int i = 1; i < n; i++) CU_ASSERT_STRING_EQUAL(f.p.msgs[peer_find(&f.p, "INVITE ", i)], f.p.msgs[0]);
  /* copy i leaves exactly T1 * (2^i - 1) after the first; Timer B ends it at 64*T1 */
  uint64_t t0 = f.p.at_ms[peer_find(&f.p, "INVITE ", 0)];
  for (int i = 1; i < n; i++)
    CU_ASSERT_EQUAL(f.p.at_ms[peer_find(&f.p, "INVITE ", i)] - t0, (uint64_t)T1_MS * ((1u << i) - 1));
  CU_ASSERT_EQUAL(f.term_at - t0, 64 * T1_MS);
  const sipspec_telemetry *t = sipspec_ua_telemetry(f.ua);
  CU_ASSERT_EQUAL(t->sipInviteTimeouts, 1);
  CU_ASSERT_EQUAL(t->sipRetransmissions, (uint64_t)(n - 1));
  CU_ASSERT_EQUAL(t->sessionsFailed, 1);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_NONE);
  fx_close(&f);
}

/* The 200 is sent three times (our ACKs "lost"): each one is ACKed again. */
void test_2xx_retransmitted(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  reply_200(&f, inv, "srvtag");
  CU_ASSERT(wait_for(&f, "ACK ", 1, 5) >= 0);
  reply_200(&f, inv, "srvtag");
  CU_ASSERT(wait_for(&f, "ACK ", 2, 5) >= 0);
  for (int k = 0; k < 3; k++) CU_ASSERT_STRING_EQUAL(peer_header(&f.p, peer_find(&f.p, "ACK ", k), "CSeq"), "1 ACK");
  CU_ASSERT_EQUAL(f.n_answered, 1);
  fx_close(&f);
}

/* The server ends the session: its BYE gets 200 and the session ends "peer". */
void test_server_bye(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  const sipspec_msg *m = peer_parse(&f.p, inv);
  sipspec_addr from;
  sipspec_msg_from(m, &from);
  char bye[2048];
  snprintf(bye, sizeof bye,
           "BYE %s SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%u;branch=z9hG4bKsrvbye1\r\nMax-Forwards: 70\r\n"
           "From: <sip:mresources@127.0.0.1>;tag=srvtag\r\nTo: <sip:client@127.0.0.1>;tag=%.*s\r\n"
           "Call-ID: %s\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n",
           "sip:client@127.0.0.1", use_tcp ? "TCP" : "UDP", f.p.port, (int)from.tag.len, from.tag.p,
           peer_header(&f.p, inv, "Call-ID"));
  peer_send(&f.p, bye, strlen(bye));
  int ok = expect_msg(&f, "SIP/2.0 200", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "CSeq"), "1 BYE");
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_PEER);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  fx_close(&f);
}

/* Ended while ringing: CANCEL (same branch, CSeq 1 CANCEL), 487, ACK for the 487. */
void test_cancel_ringing(void) {
  fx f;
  fx_open(&f, 0);
  int inv;
  int can = ring_then_cancel(&f, &inv);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, can, "CSeq"), "1 CANCEL");
  char via_inv[512];
  snprintf(via_inv, sizeof via_inv, "%s", peer_header(&f.p, inv, "Via"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, can, "Via"), via_inv);
  peer_reply(&f.p, can, 200, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 487, "srvtag", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(f.failed_status, 487);
  int ack = expect_msg(&f, "ACK ", 0, 2);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "1 ACK");
  fx_close(&f);
}

/* 481 to our BYE: the session is over all the same (local). */
void test_bye_481(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  int bye = send_bye(&f);
  reply_until_term(&f, bye, 481);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipByeAcksMissing, 0);
  fx_close(&f);
}

/* No answer to BYE: Timer F (64*T1 = 32 s after the BYE) ends it and counts
 * sipByeAcksMissing. */
void test_bye_timer_f(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  int bye = send_bye(&f);
  CU_ASSERT_TRUE(run_until_term(&f, 100));
  CU_ASSERT_EQUAL(f.term_at - f.p.at_ms[bye], 64 * T1_MS);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipByeSent, 1);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipByeAcksMissing, 1);
  fx_close(&f);
}

/* A request for a dialog the user agent does not know gets 481. */
void test_unknown_dialog_481(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  char bye[1024];
  snprintf(bye, sizeof bye,
           "BYE sip:client@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%u;branch=z9hG4bKunknown\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:x@127.0.0.1>;tag=nobody\r\nTo: <sip:client@127.0.0.1>;tag=nothere\r\n"
           "Call-ID: no-such-call\r\nCSeq: 5 BYE\r\nContent-Length: 0\r\n\r\n",
           use_tcp ? "TCP" : "UDP", f.p.port);
  peer_send(&f.p, bye, strlen(bye));
  int r = wait_for(&f, "SIP/2.0 481", 0, 5);
  CU_ASSERT(r >= 0);
  CU_ASSERT_PTR_NOT_NULL(f.s); /* our session lives on */
  fx_close(&f);
}

/* re-INVITE adds a resource, then removes it (RFC 6787 section 4; 3264 section 8). */
void test_reinvite_add_remove(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_RECORDER), SIPSPEC_E_STATE); /* one at a time */
  int re = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re, "CSeq"), "2 INVITE");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, re, "To"), "tag=srvtag"));
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[re], "a=resource:speechrecog"));
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[re], "a=connection:existing"));
  reply_200(&f, re, NULL);
  int ack = expect_msg(&f, "ACK ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "2 ACK");
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  CU_ASSERT_EQUAL(f.updated_channels, 2);
  CU_ASSERT_EQUAL(sipspec_session_remove_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  re = expect_msg(&f, "INVITE ", 2, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re, "CSeq"), "3 INVITE");
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[re], "m=application 0 "));
  reply_200(&f, re, NULL);
  CU_ASSERT(wait_for(&f, "ACK ", 2, 5) >= 0);
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 2);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  const sipspec_mrcp_answer *a = sipspec_session_answer(f.s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(a);
  size_t live = 0;
  for (size_t i = 0; i < a->nchannels; i++) live += !a->channels[i].rejected;
  CU_ASSERT_EQUAL(live, 1);
  fx_close(&f);
}

/* OPTIONS keep-alive every 30 s inside the dialog (the first 30 s after the 2xx, the next
 * 30 s after the first); a 481 to one ends the session. */
void test_options_keepalive(void) {
  fx f;
  fx_open(&f, 0);
  CU_ASSERT_EQUAL_FATAL(fx_start_opts(&f, 30000, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
  int inv = expect_msg(&f, "INVITE ", 0, 5);
  reply_200(&f, inv, "srvtag");
  uint64_t t200 = tst_now_ms(f.loop);
  int o1 = expect_msg(&f, "OPTIONS ", 0, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[o1] - t200, 30000);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, o1, "CSeq"), "2 OPTIONS");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, o1, "To"), "tag=srvtag"));
  peer_reply(&f.p, o1, 200, NULL, NULL, NULL);
  int o2 = expect_msg(&f, "OPTIONS ", 1, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[o2] - f.p.at_ms[o1], 30000);
  CU_ASSERT_EQUAL(f.n_keepalive, 1);
  CU_ASSERT_EQUAL(f.keepalive_status, 200);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, o2, "CSeq"), "3 OPTIONS");
  reply_until_term(&f, o2, 481);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  CU_ASSERT_EQUAL(f.keepalive_status, 481);
  fx_close(&f);
}

/* Digest: 401 with a challenge from the library's verifier; the retry has CSeq 2, the same
 * Call-ID and From tag, a new branch, and credentials the verifier accepts. */
void test_digest_retry(void) {
  fx f;
  fx_open(&f, 1);
  sipspec_digest_server_t *srv = alice_verifier();
  int inv = start_call(&f);
  char lines[8192];
  make_challenge(srv, lines, sizeof lines);
  peer_reply(&f.p, inv, 401, "chtag", lines, NULL);
  int inv2 = expect_msg(&f, "INVITE ", 1, 5);
  char a[512], b[512];
  snprintf(a, sizeof a, "%s", peer_header(&f.p, inv, "Call-ID"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "Call-ID"), a);
  snprintf(a, sizeof a, "%s", peer_header(&f.p, inv, "From"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "From"), a);
  snprintf(b, sizeof b, "%s", peer_header(&f.p, inv, "Via"));
  CU_ASSERT_STRING_NOT_EQUAL(peer_header(&f.p, inv2, "Via"), b);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "CSeq"), "2 INVITE");
  expect_credentials(srv, peer_parse(&f.p, inv2));
  reply_200(&f, inv2, "srvtag");
  int ack = expect_msg(&f, "ACK ", 1, 5); /* ACK 0 was the ICT's ACK for the 401 */
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "2 ACK");
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[ack], "\r\nAuthorization: Digest ")); /* 13.2.2.4 */
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipAuthChallenges, 1);
  /* BYE carries the cached credentials */
  int bye = send_bye(&f);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[bye], "\r\nAuthorization: Digest "));
  reply_until_term(&f, bye, 200);
  sipspec_digest_server_destroy(srv);
  fx_close(&f);
}

/* A 401 without credentials configured: auth-failed. */
void test_digest_no_credentials(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 401, "chtag", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n", NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_AUTH_FAILED);
  CU_ASSERT_EQUAL(f.failed_status, 401);
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 1);
  fx_close(&f);
}

/* TCP only: nobody listens at the target: transport-error. */
void test_tcp_refused(void) {
  fx f;
  fx_open(&f, 0);
  unsigned port = f.p.port;
  ev_io_stop(f.loop, &f.p.w_main);
  close(f.p.fd); /* the port is free now: connect is refused */
  f.p.fd = socket(AF_INET, SOCK_DGRAM, 0);
  f.p.port = port;
  fx_start(&f);
  CU_ASSERT_TRUE(run_until_term(&f, 10));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_TRANSPORT_ERROR);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.failed_reason, "refused"));
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sessionsFailed, 1);
  fx_close(&f);
}

/* TCP only: the peer resets the connection after reading the INVITE: transport-error. */
void test_tcp_reset(void) {
  fx f;
  fx_open(&f, 0);
  fx_start(&f);
  CU_ASSERT_FATAL(wait_for(&f, "INVITE ", 0, 5) >= 0);
  peer_reset(&f.p);
  CU_ASSERT_TRUE(run_until_term(&f, 10));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_TRANSPORT_ERROR);
  fx_close(&f);
}

/* Bad options are refused before anything is sent. */
void test_bad_options(void) {
  fx f;
  fx_open(&f, 0);
  sipspec_session_opts so;
  sipspec_session_opts_init(&so);
  sipspec_session *s = NULL;
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_INVAL); /* no target */
  so.target = "http://example.com/";
  so.sdp = "v=0\r\n";
  so.sdp_len = 5;
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_INVAL);
  so.target = "sip:a@127.0.0.1";
  so.extra_headers = "X-Bad: a\r\nbroken";
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_BUILD_FIELD); /* "broken" ends no line */
  so.extra_headers = "X-Bad: a\r\nbro ken: b\r\n";
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_BUILD_TOKEN);
  so.extra_headers = "Content-Length: 0\r\n";
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_BUILD_FIELD);
  so.extra_headers = "Require: a b\r\n";
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_BUILD_VALUE);
  so.to_display = "Mallory\r\nX-Injected: 1";
  so.extra_headers = NULL;
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_BUILD_CRLF);
  so.to_display = NULL;
  so.extra_headers = NULL;
  so.sdp = NULL;
  so.sdp_len = 0;
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_INVAL); /* no offer */
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d); /* no resource, no RTP port */
  so.offer = &d;
  CU_ASSERT_NOT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_OK);
  CU_ASSERT_PTR_NULL(s);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(f.p.n, 0);
  CU_ASSERT_EQUAL(sipspec_ua_live_sessions(f.ua), 0);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sessionsStarted, 0);
  fx_close(&f);
}

/* A host name from the user agent's hosts file: resolved without blocking, the INVITE
 * leaves from a later loop iteration; an unknown name fails with dns-failed. */
void test_resolve_name(void) {
  fx f;
  fx_open(&f, 0);
  target_host = "mrcp.sipspec.test";
  fx_start(&f);
  CU_ASSERT_EQUAL(f.p.n, 0);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Idle");
  int inv = expect_msg(&f, "INVITE ", 0, 5);
  char line[128];
  snprintf(line, sizeof line, "INVITE sip:mresources@mrcp.sipspec.test:%u SIP/2.0\r\n", f.p.port);
  CU_ASSERT_TRUE(!strncmp(f.p.msgs[inv], line, strlen(line)));
  peer_reply(&f.p, inv, 503, "srvtag", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.failed_status, 503);
  fx_close(&f);
  fx_open(&f, 0);
  target_host = "unknown.sipspec.test";
  fx_start(&f);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_DNS_FAILED);
  CU_ASSERT_EQUAL(f.failed_status, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.failed_reason, "cannot resolve the target: unknown.sipspec.test"));
  CU_ASSERT_EQUAL(f.p.n, 0);
  target_host = "127.0.0.1";
  fx_close(&f);
}

/* Still ringing when the answer timer (answer_timeout_ms, 30 s) runs out: CANCEL exactly
 * then, 487, result timeout (RFC 3261 9.1). */
void test_answer_timer(void) {
  fx f;
  fx_open(&f, 0);
  f.answer_timeout_ms = 30000;
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  int can = expect_msg(&f, "CANCEL ", 0, 100);
  CU_ASSERT_EQUAL(f.p.at_ms[can] - f.p.at_ms[inv], 30000);
  peer_reply(&f.p, can, 200, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 487, "srvtag", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_TIMEOUT);
  CU_ASSERT_EQUAL(f.failed_status, 487);
  fx_close(&f);
}

/* Ended before any provisional: no CANCEL yet (9.1); the first 180 lets it go out. */
void test_end_before_provisional(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "CancelPending");
  tst_run_for(f.loop, 10);
  CU_ASSERT_EQUAL(peer_count(&f.p, "CANCEL "), 0);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  int can = expect_msg(&f, "CANCEL ", 0, 5);
  peer_reply(&f.p, can, 200, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 487, "srvtag", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(f.n_prov, 0); /* the chart's CancelPending + RX_1XX only cancels */
  fx_close(&f);
}

/* Nothing answers the CANCEL nor the INVITE: Timer CANCEL (64*T1 = 32 s after the CANCEL)
 * ends it, cancelled. */
void test_cancel_unanswered(void) {
  fx f;
  fx_open(&f, 0);
  f.end_in_provisional = 1;
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  int can = expect_msg(&f, "CANCEL ", 0, 5);
  CU_ASSERT_TRUE(run_until_term(&f, 100));
  CU_ASSERT_EQUAL(f.term_at - f.p.at_ms[can], 64 * T1_MS);
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(f.failed_status, 0);
  CU_ASSERT_TRUE(peer_count(&f.p, "CANCEL ") >= 1);
  fx_close(&f);
}

/* A 2xx whose SDP does not fit the offer: ACKed, then BYE; result bad-answer. */
void test_bad_answer(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  const char *sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                    "m=audio 5000 RTP/AVP 0\r\n";
  char extra[256];
  snprintf(extra, sizeof extra, "Contact: <sip:srv@127.0.0.1:%u%s>\r\nContent-Type: application/sdp\r\n", f.p.port,
           use_tcp ? ";transport=tcp" : "");
  peer_reply(&f.p, inv, 200, "srvtag", extra, sdp);
  CU_ASSERT(wait_for(&f, "ACK ", 0, 5) >= 0);
  int bye = expect_msg(&f, "BYE ", 0, 5);
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.n_answered, 0);
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_BAD_ANSWER);
  CU_ASSERT_EQUAL(f.failed_status, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sessionsEstablished, 0);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sessionsFailed, 1);
  fx_close(&f);
}

/* The 200 races the CANCEL (9.1, 15): the 200 is ACKed, then BYE; result cancelled. */
void test_2xx_races_cancel(void) {
  fx f;
  fx_open(&f, 0);
  int inv;
  int can = ring_then_cancel(&f, &inv);
  reply_200(&f, inv, "srvtag");
  peer_reply(&f.p, can, 200, "srvtag", NULL, NULL);
  int ack = expect_msg(&f, "ACK ", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "1 ACK");
  int bye = expect_msg(&f, "BYE ", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "2 BYE");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.n_answered, 0);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipByeSent, 1);
  fx_close(&f);
}

/* A final failure after ringing: 180 then 603, rejected with that status. */
void test_reject_after_ringing(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 603, "srvtag", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.n_prov, 1);
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(f.failed_status, 603);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipError6xx, 1);
  fx_close(&f);
}

/* No response at all to an in-dialog OPTIONS (Timer F, 64*T1 = 32 s after the first one)
 * ends the session (12.2.1.2). */
void test_keepalive_unanswered(void) {
  fx f;
  fx_open(&f, 0);
  CU_ASSERT_EQUAL_FATAL(fx_start_opts(&f, 30000, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
  int inv = expect_msg(&f, "INVITE ", 0, 5);
  reply_200(&f, inv, "srvtag");
  CU_ASSERT_TRUE(run_until_term(&f, 200));
  int o1 = peer_find(&f.p, "OPTIONS ", 0);
  CU_ASSERT_FATAL(o1 >= 0);
  CU_ASSERT_EQUAL(f.term_at - f.p.at_ms[o1], 64 * T1_MS);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  CU_ASSERT_TRUE(f.n_keepalive >= 1);
  CU_ASSERT_EQUAL(f.keepalive_status, 0);
  CU_ASSERT_TRUE(peer_count(&f.p, "OPTIONS ") >= 1);
  fx_close(&f);
}

/* The From tag and the Call-ID of the client's INVITE inv. */
void client_dialog_ids(fx *f, int inv, char *tag, size_t tag_cap, char *cid, size_t cid_cap) {
  const sipspec_msg *m = peer_parse(&f->p, inv);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  sipspec_addr from;
  sipspec_msg_from(m, &from);
  snprintf(tag, tag_cap, "%.*s", (int)from.tag.len, from.tag.p);
  snprintf(cid, cid_cap, "%s", peer_header(&f->p, inv, "Call-ID"));
}

/* The server's BYE for the session established by INVITE inv (its To tag "srvtag"). */
void send_server_bye(fx *f, int inv, unsigned cseq, const char *branch) {
  char tag[64], cid[160];
  client_dialog_ids(f, inv, tag, sizeof tag, cid, sizeof cid);
  char bye[2048];
  snprintf(bye, sizeof bye,
           "BYE sip:client@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%u;branch=%s\r\nMax-Forwards: 70\r\n"
           "From: <sip:mresources@127.0.0.1>;tag=srvtag\r\nTo: <sip:client@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: %u BYE\r\nContent-Length: 0\r\n\r\n",
           use_tcp ? "TCP" : "UDP", f->p.port, branch, tag, cid, cseq);
  peer_send(&f->p, bye, strlen(bye));
}

/* The trace sees every message on the wire: INVITE retransmissions (UDP), each 2xx copy
 * received and each ACK sent for it, the server's BYE and the 200 the user agent answers
 * it with (sent by the transaction layer), all with the transport kind. */
