/* test_ua_dialog.c: user agent tests: re-INVITEs both ways, forks, the move to TCP (18.1.1) and the server's 2xx until its ACK. Registered by test_ua.c. */
#include "ua_fixture.h"

void test_trace_everything(void) {
  fx f;
  fx_open_opts(&f, 0, 1);
  int inv = start_call(&f);
  if (!use_tcp) { /* Timer A: the first copy exactly T1 after the INVITE */
    int inv1 = wait_for(&f, "INVITE ", 1, 5);
    CU_ASSERT_FATAL(inv1 >= 0);
    CU_ASSERT_EQUAL(f.p.at_ms[inv1] - f.p.at_ms[inv], T1_MS);
  }
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  reply_200(&f, inv, "srvtag");
  CU_ASSERT_FATAL(wait_for(&f, "ACK ", 0, 5) >= 0);
  reply_200(&f, inv, "srvtag");
  CU_ASSERT_FATAL(wait_for(&f, "ACK ", 1, 5) >= 0);
  send_server_bye(&f, inv, 1, "z9hG4bKtracebye");
  CU_ASSERT_FATAL(wait_for(&f, "SIP/2.0 200", 0, 5) >= 0);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_PEER);
  int n_inv = peer_count(&f.p, "INVITE ");
  if (!use_tcp) CU_ASSERT_TRUE(n_inv >= 2);
  CU_ASSERT_EQUAL(trace_count(&f, "send", "INVITE ", "1 INVITE"), n_inv);
  CU_ASSERT_EQUAL(trace_count(&f, "recv", "SIP/2.0 180", "1 INVITE"), 1);
  CU_ASSERT_EQUAL(trace_count(&f, "recv", "SIP/2.0 200", "1 INVITE"), 2);
  CU_ASSERT_EQUAL(trace_count(&f, "send", "ACK ", "1 ACK"), 2);
  CU_ASSERT_EQUAL(trace_count(&f, "recv", "BYE ", "1 BYE"), 1);
  CU_ASSERT_EQUAL(trace_count(&f, "send", "SIP/2.0 200", "1 BYE"), 1);
  /* every message the peer got was traced as sent, and nothing else was */
  CU_ASSERT_EQUAL(trace_count(&f, "send", "", NULL), f.p.n);
  for (int i = 0; i < f.n_trace; i++) CU_ASSERT_EQUAL(f.trace[i].kind, use_tcp ? SIPSPEC_TP_TCP : SIPSPEC_TP_UDP);
  fx_close(&f);
}

/* 12.2.1.2: the 2xx to a re-INVITE moves the remote target to its Contact: its ACK and the
 * BYE after it go there. */
void test_reinvite_target_refresh(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  int re = expect_msg(&f, "INVITE ", 1, 5);
  reply_200_contact(&f, re, NULL, "moved");
  int ack = expect_msg(&f, "ACK ", 1, 5);
  char line[128];
  snprintf(line, sizeof line, "ACK sip:moved@127.0.0.1:%u%s SIP/2.0\r\n", f.p.port, use_tcp ? ";transport=tcp" : "");
  CU_ASSERT_TRUE(!strncmp(f.p.msgs[ack], line, strlen(line)));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "2 ACK");
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  int bye = send_bye(&f);
  snprintf(line, sizeof line, "BYE sip:moved@127.0.0.1:%u%s SIP/2.0\r\n", f.p.port, use_tcp ? ";transport=tcp" : "");
  CU_ASSERT_TRUE(!strncmp(f.p.msgs[bye], line, strlen(line)));
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  fx_close(&f);
}

/* Number of lines of text starting with prefix. */
int count_lines(const char *text, const char *prefix) {
  int c = 0;
  for (const char *p = text; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL)
    c += !strncmp(p, prefix, strlen(prefix));
  return c;
}

/* RFC 3261 14.1: a re-INVITE refused with 488 leaves the session as it was: the next offer
 * does not carry the refused resource, and that resource can be asked for again. */
void test_reinvite_refused_rolls_back(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  int re = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_EQUAL(count_lines(f.p.msgs[re], "m="), 3);
  peer_reply(&f.p, re, 488, NULL, "Warning: 399 srv \"no recognizer here\"\r\n", NULL);
  CU_ASSERT(wait_for(&f, "ACK ", 1, 5) >= 0); /* the ICT's ACK for the 488 */
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  CU_ASSERT_EQUAL(f.updated_status, 488);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  CU_ASSERT_EQUAL(sipspec_session_answer(f.s)->nchannels, 1);
  /* the next offer is built from the state before the refused change */
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_RECORDER), SIPSPEC_OK);
  re = expect_msg(&f, "INVITE ", 2, 5);
  CU_ASSERT_PTR_NULL(strstr(f.p.msgs[re], "a=resource:speechrecog"));
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[re], "a=resource:recorder"));
  CU_ASSERT_EQUAL(count_lines(f.p.msgs[re], "m="), 3);
  peer_reply(&f.p, re, 500, NULL, NULL, NULL);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(f.n_updated, 2);
  CU_ASSERT_EQUAL(f.updated_status, 500);
  /* the refused resource can be asked for again */
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  re = expect_msg(&f, "INVITE ", 3, 5);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[re], "a=resource:speechrecog"));
  CU_ASSERT_PTR_NULL(strstr(f.p.msgs[re], "a=resource:recorder"));
  CU_ASSERT_EQUAL(count_lines(f.p.msgs[re], "m="), 3);
  reply_200(&f, re, NULL);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(f.n_updated, 3);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  CU_ASSERT_EQUAL(f.updated_channels, 2);
  fx_close(&f);
}

/* A 401 to a re-INVITE is answered like one to the INVITE (RFC 3261 22.2): the same offer
 * again with CSeq + 1, a new branch and credentials the verifier accepts; its 2xx completes
 * the update. Only the final outcome reaches on_updated. */
void test_reinvite_digest_retry(void) {
  fx f;
  fx_open(&f, 1);
  sipspec_digest_server_t *srv = alice_verifier();
  establish(&f);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  int re = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re, "CSeq"), "2 INVITE");
  CU_ASSERT_PTR_NULL(strstr(f.p.msgs[re], "\r\nAuthorization: "));
  char lines[8192];
  make_challenge(srv, lines, sizeof lines);
  peer_reply(&f.p, re, 401, NULL, lines, NULL);
  int re2 = expect_msg(&f, "INVITE ", 2, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re2, "CSeq"), "3 INVITE");
  char a[512];
  snprintf(a, sizeof a, "%s", peer_header(&f.p, re, "Via"));
  CU_ASSERT_STRING_NOT_EQUAL(peer_header(&f.p, re2, "Via"), a);
  snprintf(a, sizeof a, "%s", peer_header(&f.p, re, "Call-ID"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re2, "Call-ID"), a);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, re2, "To"), "tag=srvtag"));
  /* the same offer */
  CU_ASSERT_STRING_EQUAL(strstr(f.p.msgs[re2], "\r\n\r\n"), strstr(f.p.msgs[re], "\r\n\r\n"));
  expect_credentials(srv, peer_parse(&f.p, re2));
  CU_ASSERT_EQUAL(f.n_updated, 0);
  reply_200(&f, re2, NULL);
  int ack = expect_msg(&f, "ACK ", 2, 5); /* ACK 1 was the ICT's for the 401 */
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "3 ACK");
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  CU_ASSERT_EQUAL(f.updated_channels, 2);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  sipspec_digest_server_destroy(srv);
  fx_close(&f);
}

/* A 407 to a re-INVITE without credentials configured: the update fails with 407, the
 * session goes on unchanged. */
void test_reinvite_challenge_no_credentials(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  int re = expect_msg(&f, "INVITE ", 1, 5);
  peer_reply(&f.p, re, 407, NULL, "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n", NULL);
  tst_run_for(f.loop, 0.1);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  CU_ASSERT_EQUAL(f.updated_status, 407);
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 2);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT(wait_for(&f, "INVITE ", 2, 5) >= 0);
  fx_close(&f);
}

/* RFC 3261 14.1: a 491 to our re-INVITE (we own the Call-ID) waits a random 2.1 to 4 s and
 * sends the same offer once more (CSeq + 1); no second change meanwhile. A second 491 ends
 * the update (on_updated 491) and the session goes on: the next change is sent at once. */
void test_reinvite_491_retried_once(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  int re = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re, "CSeq"), "2 INVITE");
  peer_reply(&f.p, re, 491, NULL, NULL, NULL);
  uint64_t t491 = tst_now_ms(f.loop);
  CU_ASSERT(wait_for(&f, "ACK ", 1, 5) >= 0); /* the ICT's ACK for the 491 */
  CU_ASSERT_EQUAL(f.n_updated, 0);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_RECORDER), SIPSPEC_E_STATE); /* still pending */
  int re2 = expect_msg(&f, "INVITE ", 2, 10);
  uint64_t waited = f.p.at_ms[re2] - t491; /* 2100 + 10 k ms, k = 0 .. 190 */
  CU_ASSERT(waited >= 2100 && waited <= 4000 && waited % 10 == 0);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, re2, "CSeq"), "3 INVITE");
  CU_ASSERT_STRING_EQUAL(strstr(f.p.msgs[re2], "\r\n\r\n"), strstr(f.p.msgs[re], "\r\n\r\n")); /* the same offer */
  peer_reply(&f.p, re2, 491, NULL, NULL, NULL);
  tst_run_for(f.loop, 0.1);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  CU_ASSERT_EQUAL(f.updated_status, 491);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  CU_ASSERT_EQUAL(sipspec_session_answer(f.s)->nchannels, 1); /* as it was */
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 3);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_RECORDER), SIPSPEC_OK);
  int re3 = expect_msg(&f, "INVITE ", 3, 5);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[re3], "a=resource:recorder"));
  CU_ASSERT_PTR_NULL(strstr(f.p.msgs[re3], "a=resource:speechrecog"));
  reply_200(&f, re3, NULL);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(f.n_updated, 2);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  fx_close(&f);
}

/* RFC 3261 13.2.2.4: a 2xx from another fork (To tag fork2) after the session is
 * established: ACKed on that fork's dialog, which gets a BYE at once; a copy of that 2xx
 * is ACKed again without a second BYE; the session itself goes on and ends on its own
 * dialog. */
void test_fork_2xx(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  reply_200_contact(&f, inv, "fork2", "fork2");
  int ack = expect_msg(&f, "ACK ", 1, 5);
  char line[128];
  snprintf(line, sizeof line, "ACK sip:fork2@127.0.0.1:%u%s SIP/2.0\r\n", f.p.port, use_tcp ? ";transport=tcp" : "");
  CU_ASSERT_TRUE(!strncmp(f.p.msgs[ack], line, strlen(line)));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, ack, "To"), ";tag=fork2"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ack, "CSeq"), "1 ACK");
  int bye = expect_msg(&f, "BYE ", 0, 5);
  snprintf(line, sizeof line, "BYE sip:fork2@127.0.0.1:%u%s SIP/2.0\r\n", f.p.port, use_tcp ? ";transport=tcp" : "");
  CU_ASSERT_TRUE(!strncmp(f.p.msgs[bye], line, strlen(line)));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, bye, "To"), ";tag=fork2"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "2 BYE");
  char cid[160];
  snprintf(cid, sizeof cid, "%s", peer_header(&f.p, inv, "Call-ID"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "Call-ID"), cid);
  peer_reply(&f.p, bye, 200, NULL, NULL, NULL);
  /* a copy of the fork's 2xx: ACKed again, no second BYE */
  reply_200_contact(&f, inv, "fork2", "fork2");
  ack = expect_msg(&f, "ACK ", 2, 5);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, ack, "To"), ";tag=fork2"));
  tst_run_for(f.loop, 0.1);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 1);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  CU_ASSERT_EQUAL(f.n_term, 0);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  /* the session ends on its own dialog */
  CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
  bye = expect_msg(&f, "BYE ", 1, 5);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, bye, "To"), ";tag=srvtag"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "2 BYE");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  fx_close(&f);
}

/* 180 from fork A (early dialog A), then the 2xx from fork B: the session's dialog is B's
 * (ACK and later BYE carry tag B). */
void test_fork_early_then_other_2xx(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 180, "forkA", "Contact: <sip:a@127.0.0.1>\r\n", NULL);
  reply_200_contact(&f, inv, "forkB", "b");
  int ack = expect_msg(&f, "ACK ", 0, 5);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, ack, "To"), ";tag=forkB"));
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  int bye = send_bye(&f);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, bye, "To"), ";tag=forkB"));
  reply_until_term(&f, bye, 200);
  fx_close(&f);
}

/* Opens TCP peer q on the port of the fixture's UDP peer (opened again on another port when
 * that TCP port is taken, e.g. by a test running alongside). */
void tcp_peer_on_udp_port(fx *f, peer *q) {
  for (int tries = 0; tries < 50; tries++) {
    peer_open_port(q, f->loop, 1, f->p.port);
    if (q->port == f->p.port) return;
    peer_close(q);
    peer_close(&f->p);
    peer_open(&f->p, f->loop, 0);
  }
  peer_open_port(q, f->loop, 1, f->p.port);
  CU_ASSERT_EQUAL_FATAL(q->port, f->p.port);
}

/* RFC 3261 18.1.1 over UDP: an INVITE bigger than cfg.udp_max_size (a large extra header)
 * goes over TCP to the same host and port, with a TCP Via and Contact, and the whole call
 * stays there; a small one goes over UDP. With TCP disabled the big INVITE is refused
 * before anything is sent. (UDP run only: the user agent then has both transports.) */
void test_big_invite_switches_to_tcp(void) {
  fx f;
  fx_open(&f, 0);
  peer q; /* TCP on the UDP peer's port */
  tcp_peer_on_udp_port(&f, &q);
  static char pad[2200];
  memcpy(pad, "X-Pad: ", 7);
  memset(pad + 7, 'a', 1500);
  memcpy(pad + 1507, "\r\n", 3);
  call_opts c;
  call_opts_init(&c, &f, "127.0.0.1", f.p.port, SIPSPEC_MRCP_SPEECHSYNTH);
  c.so.extra_headers = pad;
  CU_ASSERT_EQUAL_FATAL(sipspec_session_start(f.ua, &c.so, &f.s), SIPSPEC_OK);
  int inv = expect_on(&q, 1, "INVITE ");
  CU_ASSERT_TRUE(q.lens[inv] > 1300);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, inv, "Via"), "SIP/2.0/TCP 127.0.0.1:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, inv, "Contact"), ";transport=tcp>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, inv, "X-Pad"), "aaaa"));
  char extra[256];
  snprintf(extra, sizeof extra, "Contact: <sip:srv@127.0.0.1:%u;transport=tcp>\r\nContent-Type: application/sdp\r\n",
           q.port);
  peer p0 = f.p; /* answer_for() reads the offer from f.p: parse it from q */
  f.p = q;
  const char *sdp = answer_for(&f, inv);
  f.p = p0;
  peer_reply(&q, inv, 200, "srvtag", extra, sdp);
  int ack = expect_on(&q, 2, "ACK ");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, ack, "Via"), "SIP/2.0/TCP "));
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  end_call_tcp(&f, &q);
  CU_ASSERT_EQUAL(f.p.n, 0); /* nothing went over UDP */
  /* a small INVITE stays on UDP */
  fx_start(&f);
  CU_ASSERT(wait_for(&f, "INVITE ", 0, 5) >= 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, 0, "Via"), "SIP/2.0/UDP "));
  CU_ASSERT_EQUAL(peer_count(&q, "INVITE "), 1);
  peer_close(&q);
  fx_close(&f);

  /* TCP disabled: too big for UDP and nowhere else to go */
  fx_loop(&f, 0);
  sipspec_ua_opts o;
  sipspec_ua_opts_init(&o);
  o.clock = f.clk;
  o.cfg.transport = SIPSPEC_TP_UDP;
  o.cfg.tcp_enabled = 0;
  o.bind_host = "127.0.0.1";
  CU_ASSERT_EQUAL_FATAL(sipspec_ua_create(f.loop, &o, &f.ua, NULL, 0), SIPSPEC_OK);
  snprintf(c.target, sizeof c.target, "sip:mresources@127.0.0.1:%u", f.p.port);
  sipspec_session *s2 = NULL;
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &c.so, &s2), SIPSPEC_E_MSG_TOO_BIG);
  CU_ASSERT_PTR_NULL(s2);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_EQUAL(f.p.n, 0);
  CU_ASSERT_EQUAL(f.n_failed + f.n_term, 0);
  fx_close(&f);
}

/* A session with extra_headers extra (NULL: none) to the peer's port. */
int fx_start_extra(fx *f, const char *extra) {
  call_opts c;
  call_opts_init(&c, f, "127.0.0.1", f->p.port, SIPSPEC_MRCP_SPEECHSYNTH);
  c.so.extra_headers = extra;
  return sipspec_session_start(f->ua, &c.so, &f->s);
}

/* RFC 3261 18.1.1 for every request, not just the first INVITE: the first INVITE fits in
 * cfg.udp_max_size (1300) and goes over UDP; a 401 adds the credentials and the retry does
 * not fit, so it goes over TCP to the same host and port with a TCP Via and Contact, and
 * the call completes there (ACK, BYE). The ACK for the 401 is the UDP transaction's.
 * (UDP run only: the user agent then has both transports.) */
void test_retry_over_udp_max_size_switches_to_tcp(void) {
  fx f;
  fx_open(&f, 1);
  peer q; /* TCP on the UDP peer's port */
  tcp_peer_on_udp_port(&f, &q);
  sipspec_digest_server_t *srv = alice_verifier();
  /* the size of this user agent's INVITE without padding, then a pad that brings it to 40
   * bytes under the limit */
  CU_ASSERT_EQUAL_FATAL(fx_start_extra(&f, NULL), SIPSPEC_OK);
  int probe = expect_msg(&f, "INVITE ", 0, 5);
  size_t base = f.p.lens[probe];
  peer_reply(&f.p, probe, 486, "probe", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_FATAL(base + 40 + 12 < 1300);
  static char pad[1400];
  size_t padlen = 1300 - 40 - base; /* the whole "X-Pad: a...a\r\n" line */
  memcpy(pad, "X-Pad: ", 7);
  memset(pad + 7, 'a', padlen - 9);
  memcpy(pad + padlen - 2, "\r\n", 3);
  int n0 = f.p.n;
  f.n_term = 0;
  CU_ASSERT_EQUAL_FATAL(fx_start_extra(&f, pad), SIPSPEC_OK);
  int inv = wait_for(&f, "INVITE ", 1, 5);
  CU_ASSERT_FATAL(inv >= n0);
  CU_ASSERT_TRUE(f.p.lens[inv] <= 1300 && f.p.lens[inv] > 1200);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, inv, "Via"), "SIP/2.0/UDP 127.0.0.1:"));
  char lines[8192] = "";
  make_challenge(srv, lines, sizeof lines);
  peer_reply(&f.p, inv, 401, "chtag", lines, NULL);
  int inv2 = expect_on(&q, 1, "INVITE ");
  CU_ASSERT_TRUE(q.lens[inv2] > 1300);
  CU_ASSERT_STRING_EQUAL(peer_header(&q, inv2, "CSeq"), "2 INVITE");
  char a[512];
  snprintf(a, sizeof a, "%s", peer_header(&f.p, inv, "Call-ID"));
  CU_ASSERT_STRING_EQUAL(peer_header(&q, inv2, "Call-ID"), a);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, inv2, "Via"), "SIP/2.0/TCP 127.0.0.1:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, inv2, "Contact"), ";transport=tcp>"));
  expect_credentials(srv, peer_parse(&q, inv2));
  char extra[256];
  snprintf(extra, sizeof extra, "Contact: <sip:srv@127.0.0.1:%u;transport=tcp>\r\nContent-Type: application/sdp\r\n",
           q.port);
  peer p0 = f.p; /* answer_for() reads the offer from f.p: parse it from q */
  f.p = q;
  const char *sdp = answer_for(&f, inv2);
  f.p = p0;
  peer_reply(&q, inv2, 200, "srvtag", extra, sdp);
  int ack = expect_on(&q, 2, "ACK ");
  CU_ASSERT_STRING_EQUAL(peer_header(&q, ack, "CSeq"), "2 ACK");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, ack, "Via"), "SIP/2.0/TCP "));
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  end_call_tcp(&f, &q);
  /* over UDP: the probe's INVITE and ACK, this INVITE and the transaction's ACK for its 401 */
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 2);
  CU_ASSERT_EQUAL(peer_count(&f.p, "ACK "), 2);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 0);
  CU_ASSERT_EQUAL(f.p.n, 4);
  CU_ASSERT_EQUAL(peer_count(&q, "INVITE "), 1);
  sipspec_digest_server_destroy(srv);
  peer_close(&q);
  fx_close(&f);
}

/* A re-INVITE challenged in a session on UDP, whose retry with credentials grows over
 * cfg.udp_max_size, goes over TCP to the same host and port with a TCP Via and Contact; the
 * session stays on TCP (its BYE). Three re-INVITEs that fit went over UDP before.
 * (UDP run only.) */
void test_big_reinvite_switches_to_tcp(void) {
  fx f;
  fx_open(&f, 1);
  peer q;
  tcp_peer_on_udp_port(&f, &q);
  sipspec_digest_server_t *srv = alice_verifier();
  establish(&f);
  /* each added resource makes the offer about 100 bytes longer */
  static const sipspec_mrcp_resource res[] = {SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_RECORDER,
                                              SIPSPEC_MRCP_SPEAKVERIFY, SIPSPEC_MRCP_BASICSYNTH};
  int re = -1;
  for (int k = 0; k < 4; k++) {
    CU_ASSERT_EQUAL_FATAL(sipspec_session_add_resource(f.s, res[k]), SIPSPEC_OK);
    re = expect_msg(&f, "INVITE ", 1 + k, 5);
    CU_ASSERT_TRUE(f.p.lens[re] <= 1300);
    CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, re, "Via"), "SIP/2.0/UDP "));
    if (k == 3) break;
    reply_200(&f, re, NULL);
    CU_ASSERT_FATAL(wait_for(&f, "ACK ", 1 + k, 5) >= 0);
    tst_run_for(f.loop, 0.02);
    CU_ASSERT_EQUAL_FATAL(f.n_updated, k + 1);
  }
  char lines[8192] = "";
  make_challenge(srv, lines, sizeof lines);
  CU_ASSERT_FATAL(f.p.lens[re] + strlen(lines) > 1300); /* the credentials are about as long */
  peer_reply(&f.p, re, 401, NULL, lines, NULL);
  int on_tcp = expect_on(&q, 1, "INVITE ");
  CU_ASSERT_STRING_EQUAL(peer_header(&q, on_tcp, "CSeq"), "6 INVITE");
  expect_credentials(srv, peer_parse(&q, on_tcp));
  /* the same offer */
  CU_ASSERT_STRING_EQUAL(strstr(q.msgs[on_tcp], "\r\n\r\n"), strstr(f.p.msgs[re], "\r\n\r\n"));
  CU_ASSERT_TRUE(q.lens[on_tcp] > 1300);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, on_tcp, "Via"), "SIP/2.0/TCP 127.0.0.1:"));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, on_tcp, "Contact"), ";transport=tcp>"));
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&q, on_tcp, "To"), "tag=srvtag"));
  char extra[256];
  snprintf(extra, sizeof extra, "Contact: <sip:srv@127.0.0.1:%u>\r\nContent-Type: application/sdp\r\n",
           q.port);
  peer p0 = f.p;
  f.p = q;
  const char *sdp = answer_for(&f, on_tcp);
  f.p = p0;
  peer_reply(&q, on_tcp, 200, NULL, extra, sdp);
  CU_ASSERT_TRUE(peer_wait(&q, 2, 5));
  CU_ASSERT(peer_find(&q, "ACK ", 0) >= 0);
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 4);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  int udp_before = f.p.n;
  /* the 200's Contact names no transport: the BYE goes over TCP because the session does */
  end_call_tcp(&f, &q);
  CU_ASSERT_EQUAL(f.p.n, udp_before);
  sipspec_digest_server_destroy(srv);
  peer_close(&q);
  fx_close(&f);
}

/* A request (INVITE or ACK) from the server in the session established by INVITE inv,
 * with body sdp (NULL: none). */
void send_server_request(fx *f, const char *method, int inv, unsigned cseq, const char *branch,
                                const char *sdp) {
  char tag[64], cid[160];
  client_dialog_ids(f, inv, tag, sizeof tag, cid, sizeof cid);
  static char req[8192];
  snprintf(req, sizeof req,
           "%s sip:client@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/%s 127.0.0.1:%u;branch=%s\r\nMax-Forwards: 70\r\n"
           "From: <sip:mresources@127.0.0.1>;tag=srvtag\r\nTo: <sip:client@127.0.0.1>;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: %u %s\r\nContact: <sip:srv@127.0.0.1:%u>\r\n%sContent-Length: %zu\r\n\r\n%s",
           method, use_tcp ? "TCP" : "UDP", f->p.port, branch, tag, cid, cseq, method, f->p.port,
           sdp ? "Content-Type: application/sdp\r\n" : "", sdp ? strlen(sdp) : 0, sdp ? sdp : "");
  peer_send(&f->p, req, strlen(req));
}

void send_server_reinvite(fx *f, int inv, unsigned cseq, const char *branch, const char *sdp) {
  send_server_request(f, "INVITE", inv, cseq, branch, sdp);
}

/* RFC 3264 8 / RFC 6787 4.2: the server's re-INVITE repeating its current SDP (same o=
 * version: a session refresh) gets 200 with our current SDP and a Contact; a changed offer
 * and an offerless re-INVITE get 488 with a Warning; the session goes on either way. */
void test_server_reinvite(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", answer_for(&f, inv)); /* what reply_200 sent */
  send_server_reinvite(&f, inv, 2, "z9hG4bKsrvre1", cur);
  int ok = expect_msg(&f, "SIP/2.0 200", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "CSeq"), "2 INVITE");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, ok, "Contact"), "<sip:client@127.0.0.1:"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "Content-Type"), "application/sdp");
  /* our SDP, the MRCP connection kept: each a=connection:new of our offer answered
   * a=connection:existing (RFC 4145 5.1, RFC 6787 4.2), the o= version one up (RFC 3264 8),
   * nothing else changed */
  char want[8192], *w = want;
  const char *sdp0 = strstr(f.p.msgs[inv], "\r\n\r\nv=0"), *got = strstr(f.p.msgs[ok], "\r\n\r\nv=0");
  CU_ASSERT_PTR_NOT_NULL_FATAL(sdp0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(got);
  int nnew = 0;
  for (const char *q = sdp0; *q;) {
    if (!strncmp(q, "\r\na=connection:new\r\n", 20)) {
      w += sprintf(w, "\r\na=connection:existing");
      q += 18;
      nnew++;
    } else if (!strncmp(q, "\r\no=", 4)) { /* o=user sess-id version ...: version + 1 */
      const char *sp1 = strchr(q + 4, ' '), *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
      CU_ASSERT_PTR_NOT_NULL_FATAL(sp2);
      unsigned long long v = strtoull(sp2 + 1, NULL, 10);
      w += sprintf(w, "%.*s%llu", (int)(sp2 + 1 - q), q, v + 1);
      q = strchr(sp2 + 1, ' ');
    } else {
      *w++ = *q++;
    }
  }
  *w = '\0';
  CU_ASSERT(nnew >= 1);
  CU_ASSERT_STRING_EQUAL(got, want);
  send_server_request(&f, "ACK", inv, 2, "z9hG4bKsrvack1", NULL); /* 14.1: before the next INVITE */
  /* the same refresh again: the same SDP again, its version unchanged this time */
  send_server_reinvite(&f, inv, 3, "z9hG4bKsrvre0", cur);
  for (int k = 1; k < 16; k++) { /* after any copies of the first 200 sent before its ACK */
    ok = expect_msg(&f, "SIP/2.0 200", k, 5);
    if (!strcmp(peer_header(&f.p, ok, "CSeq"), "3 INVITE")) break;
  }
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "CSeq"), "3 INVITE");
  CU_ASSERT_STRING_EQUAL(strstr(f.p.msgs[ok], "\r\n\r\nv=0"), want);
  send_server_request(&f, "ACK", inv, 3, "z9hG4bKsrvack0", NULL);
  /* a changed offer: the o= version goes up */
  char changed[4096];
  snprintf(changed, sizeof changed, "%s", cur);
  char *o = strstr(changed, "\r\no=");
  CU_ASSERT_PTR_NOT_NULL_FATAL(o);
  char *ver = strchr(strchr(strchr(o + 3, ' ') + 1, ' ') + 1, ' '); /* space before nettype */
  CU_ASSERT_PTR_NOT_NULL_FATAL(ver);
  ver[-1] = ver[-1] == '9' ? '8' : (char)(ver[-1] + 1);
  send_server_reinvite(&f, inv, 4, "z9hG4bKsrvre2", changed);
  int no = expect_msg(&f, "SIP/2.0 488", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, no, "CSeq"), "4 INVITE");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, no, "Warning"), "399 sipspec \"only a session refresh"));
  /* no offer at all */
  send_server_reinvite(&f, inv, 5, "z9hG4bKsrvre3", NULL);
  no = expect_msg(&f, "SIP/2.0 488", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, no, "CSeq"), "5 INVITE");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, no, "Warning"), "without an offer"));
  /* the session goes on: a keep-alive and the end work as before */
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  end_call(&f);
  fx_close(&f);
}

/* Indexes (into out, up to max) of the messages starting with prefix whose CSeq is cseq;
 * returns how many there are. */
int find_all(fx *f, const char *prefix, const char *cseq, int *out, int max) {
  int n = 0;
  for (int k = 0;; k++) {
    int i = peer_find(&f->p, prefix, k);
    if (i < 0) break;
    if (strcmp(peer_header(&f->p, i, "CSeq"), cseq)) continue;
    if (n < max) out[n] = i;
    n++;
  }
  return n;
}

typedef struct copies_arg {
  fx *f;
  const char *prefix, *cseq;
  int n;
} copies_arg;
int have_copies(void *a) {
  copies_arg *w = a;
  int idx[64];
  return find_all(w->f, w->prefix, w->cseq, idx, 64) >= w->n;
}

/* Runs until n copies of prefix with cseq arrived (the time stops there) or max_s passed;
 * returns the count. */
int wait_copies(fx *f, const char *prefix, const char *cseq, int n, double max_s) {
  copies_arg w = {f, prefix, cseq, n};
  (void)tst_run_until(f->loop, have_copies, &w, max_s);
  int idx[64];
  return find_all(f, prefix, cseq, idx, 64);
}

/* RFC 3261 13.3.1.4: our 200 to the server's refresh re-INVITE is sent again T1, 2*T1, ...
 * apart (T1 = 500 ms: copies exactly 500 and 1500 ms after the first; over TCP too, the rule
 * being end to end) until its ACK. An ACK with another CSeq (the INVITE's) does not stop
 * it; a new re-INVITE meanwhile gets 500 with Retry-After (14.2); the ACK with the
 * re-INVITE's CSeq stops it: no copy in the next 64*T1 = 32 s, which would have held the
 * copies due at 3500, 7500, 11500, ... ms. Every copy is the same bytes, each counted as a
 * retransmission. */
void test_server_reinvite_2xx_until_ack(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", answer_for(&f, inv));
  send_server_reinvite(&f, inv, 2, "z9hG4bKsrvre1", cur);
  CU_ASSERT_EQUAL_FATAL(wait_copies(&f, "SIP/2.0 200", "2 INVITE", 2, 5), 2);
  send_server_request(&f, "ACK", inv, 1, "z9hG4bKsrvackold", NULL); /* the INVITE's CSeq: not ours */
  send_server_reinvite(&f, inv, 3, "z9hG4bKsrvre2", cur);
  int busy = expect_msg(&f, "SIP/2.0 500", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, busy, "CSeq"), "3 INVITE");
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, busy, "Retry-After"), "1");
  send_server_request(&f, "ACK", inv, 3, "z9hG4bKsrvre2", NULL); /* 17.1.1.3: the 500's ACK, same branch */
  CU_ASSERT_EQUAL_FATAL(wait_copies(&f, "SIP/2.0 200", "2 INVITE", 3, 5), 3);
  int idx[64];
  int n = find_all(&f, "SIP/2.0 200", "2 INVITE", idx, 64);
  for (int i = 1; i < n; i++) {
    CU_ASSERT_STRING_EQUAL(f.p.msgs[idx[i]], f.p.msgs[idx[0]]);
    /* copy i leaves exactly T1 * (2^i - 1) after the first (below T2 here) */
    CU_ASSERT_EQUAL(f.p.at_ms[idx[i]] - f.p.at_ms[idx[0]], (uint64_t)T1_MS * ((1u << i) - 1));
  }
  send_server_request(&f, "ACK", inv, 2, "z9hG4bKsrvack2", NULL);
  tst_run_for(f.loop, 64 * T1_MS / 1000.0);
  CU_ASSERT_EQUAL(find_all(&f, "SIP/2.0 200", "2 INVITE", idx, 64), n);
  /* the 200's copies and those of the 500 (Timer G over UDP, should its ACK come late) */
  int n500 = peer_count(&f.p, "SIP/2.0 500");
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipRetransmissions, (uint64_t)(n - 1 + n500 - 1));
  /* acknowledged: the server may re-INVITE again, and gets 200 once more */
  send_server_reinvite(&f, inv, 4, "z9hG4bKsrvre3", cur);
  CU_ASSERT_EQUAL(wait_copies(&f, "SIP/2.0 200", "4 INVITE", 1, 5), 1);
  send_server_request(&f, "ACK", inv, 4, "z9hG4bKsrvack4", NULL);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  end_call(&f);
  fx_close(&f);
}

/* RFC 3261 14.1 / 14.2: the two directions of re-INVITE meet. The server's refresh while our
 * re-INVITE is in progress gets 491 (ours then completes); while our 200 to its refresh
 * waits for the ACK, the application's change is refused, and accepted once the ACK came. */
void test_reinvites_cross(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", answer_for(&f, inv));
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  int re = expect_msg(&f, "INVITE ", 1, 5);
  send_server_reinvite(&f, inv, 2, "z9hG4bKsrvx1", cur);
  int pend = expect_msg(&f, "SIP/2.0 491", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, pend, "CSeq"), "2 INVITE");
  send_server_request(&f, "ACK", inv, 2, "z9hG4bKsrvx1", NULL); /* the 491's ACK, same branch */
  reply_200(&f, re, NULL);
  CU_ASSERT(wait_for(&f, "ACK ", 1, 5) >= 0);
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_updated, 1);
  CU_ASSERT_EQUAL(f.updated_status, 200);
  /* now the server refreshes (its view of the session is the answer it just gave) */
  snprintf(cur, sizeof cur, "%s", answer_for(&f, re));
  send_server_reinvite(&f, inv, 3, "z9hG4bKsrvx2", cur);
  CU_ASSERT_EQUAL_FATAL(wait_copies(&f, "SIP/2.0 200", "3 INVITE", 1, 5), 1);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_RECORDER), SIPSPEC_E_STATE);
  send_server_request(&f, "ACK", inv, 3, "z9hG4bKsrvxack", NULL);
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(sipspec_session_add_resource(f.s, SIPSPEC_MRCP_RECORDER), SIPSPEC_OK);
  CU_ASSERT(wait_for(&f, "INVITE ", 2, 5) >= 0);
  fx_close(&f);
}

/* No ACK ever (T1 = 500 ms, T2 = 4 s): copies exactly 500, 1500, 3500, 7500, 11500, ... ms
 * after the first while before 64*T1 = 32 s, then the session ends with BYE (13.3.1.4)
 * exactly at 64*T1, and no copy after it; the end is reported as an error. */
void test_server_reinvite_no_ack_bye(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  char cur[4096];
  snprintf(cur, sizeof cur, "%s", answer_for(&f, inv));
  send_server_reinvite(&f, inv, 2, "z9hG4bKsrvre1", cur);
  int bye = expect_msg(&f, "BYE ", 0, 100);
  int idx[64];
  int n = find_all(&f, "SIP/2.0 200", "2 INVITE", idx, 64);
  CU_ASSERT_FATAL(n >= 1 && n <= 64);
  int expected = 0; /* the first and every copy due before 64*T1, each exactly when due */
  for (unsigned t = 0, iv = T1_MS; t < 64 * T1_MS; t += iv, iv = iv * 2 > T2_MS ? T2_MS : iv * 2) {
    if (expected < n) CU_ASSERT_EQUAL(f.p.at_ms[idx[expected]] - f.p.at_ms[idx[0]], t);
    expected++;
  }
  CU_ASSERT_EQUAL(n, expected);
  CU_ASSERT_TRUE(idx[n - 1] < bye);
  CU_ASSERT_EQUAL(f.p.at_ms[bye] - f.p.at_ms[idx[0]], 64 * T1_MS);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye, "CSeq"), "2 BYE");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_ERROR);
  CU_ASSERT_EQUAL(find_all(&f, "SIP/2.0 200", "2 INVITE", idx, 64), n);
  fx_close(&f);
}

