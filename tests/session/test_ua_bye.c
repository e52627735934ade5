/* test_ua_bye.c: user agent tests: chart transitions a scripted peer drives, challenged BYEs and TCP resets. Registered by test_ua.c. */
#include "ua_fixture.h"

/* ---- chart transitions a scripted peer can drive (spec/uac_session.rl) ------------------- */

/* A 401 after ringing (Proceeding AUTH_RETRY): the retry has CSeq 2, and its 200 establishes. */
void test_auth_retry_after_ringing(void) {
  fx f;
  fx_open(&f, 1);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 401, "srvtag", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\", qop=\"auth\"\r\n", NULL);
  int inv2 = expect_msg(&f, "INVITE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, inv2, "CSeq"), "2 INVITE");
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[inv2], "\r\nAuthorization: Digest username=\"alice\""));
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Inviting");
  reply_200(&f, inv2, "srvtag2");
  CU_ASSERT(wait_for(&f, "ACK ", 1, 5) >= 0);
  tst_run_for(f.loop, 0.02);
  CU_ASSERT_EQUAL(f.n_prov, 1);
  CU_ASSERT_EQUAL(f.n_answered, 1);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Established");
  fx_close(&f);
}

/* A 407 after ringing with no credentials (Proceeding AUTH_FAILED): auth-failed, 407. */
void test_auth_failed_after_ringing(void) {
  fx f;
  fx_open(&f, 0);
  int inv = start_call(&f);
  peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 407, "srvtag", "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n", NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_AUTH_FAILED);
  CU_ASSERT_EQUAL(f.failed_status, 407);
  CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 1);
  fx_close(&f);
}

/* Ended before any provisional, then a final answer (CancelPending): 486 gives cancelled with
 * the status; a 200 is ACKed and BYEd; a 401 is not answered even with credentials at hand
 * (CancelPending__AUTH_FAILED: the application ended it), cancelled with the 401. */
void test_end_before_provisional_final(void) {
  for (int answer = 0; answer < 3; answer++) {
    fx f;
    fx_open(&f, answer == 2);
    int inv = start_call(&f);
    CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
    if (answer == 2) {
      peer_reply(&f.p, inv, 401, "srvtag", "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n", NULL);
      CU_ASSERT_TRUE(run_until_term(&f, 5));
      CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
      CU_ASSERT_EQUAL(f.failed_status, 401);
      tst_run_for(f.loop, 0.3);
      CU_ASSERT_EQUAL(peer_count(&f.p, "INVITE "), 1); /* no retry with credentials */
      CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipAuthChallenges, 1);
    } else if (answer) {
      reply_200(&f, inv, "srvtag");
      CU_ASSERT(wait_for(&f, "ACK ", 0, 5) >= 0);
      int bye = expect_msg(&f, "BYE ", 0, 5);
      reply_until_term(&f, bye, 200);
      CU_ASSERT_EQUAL(f.n_answered, 0);
    } else {
      peer_reply(&f.p, inv, 486, "srvtag", NULL, NULL);
      CU_ASSERT_TRUE(run_until_term(&f, 5));
      CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
      CU_ASSERT_EQUAL(f.failed_status, 486);
    }
    CU_ASSERT_EQUAL(peer_count(&f.p, "CANCEL "), 0);
    fx_close(&f);
  }
}

/* Ended before any provisional and never answered (CancelPending TXN_TIMEOUT, Timer B:
 * 64*T1 = 32 s after the INVITE). */
void test_end_before_provisional_timer_b(void) {
  fx f;
  fx_open(&f, 0);
  fx_start(&f);
  int inv = wait_for(&f, "INVITE ", 0, 5);
  CU_ASSERT_FATAL(inv >= 0);
  CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
  CU_ASSERT_TRUE(run_until_term(&f, 100));
  CU_ASSERT_EQUAL(f.term_at - f.p.at_ms[inv], 64 * T1_MS);
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(f.failed_status, 0);
  CU_ASSERT_EQUAL(peer_count(&f.p, "CANCEL "), 0);
  fx_close(&f);
}

/* A 183 after the CANCEL went out (Cancelling RX_1XX) changes nothing; 487 ends it. */
void test_provisional_while_cancelling(void) {
  fx f;
  fx_open(&f, 0);
  int inv;
  int can = ring_then_cancel(&f, &inv);
  peer_reply(&f.p, inv, 183, "srvtag", NULL, NULL);
  tst_run_for(f.loop, 0.05);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Cancelling");
  CU_ASSERT_EQUAL(f.n_prov, 1);
  peer_reply(&f.p, can, 200, "srvtag", NULL, NULL);
  peer_reply(&f.p, inv, 487, "srvtag", NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(peer_count(&f.p, "CANCEL "), 1);
  fx_close(&f);
}

/* ---- a challenged BYE (RFC 3261 22.2) ------------------------------------------------------ */

/* The trace indexes of the BYEs the client sent, in order; returns how many. */
int sent_byes(const fx *f, int *idx, int max) {
  int n = 0;
  for (int i = 0; i < f->n_trace; i++)
    if (!strcmp(f->trace[i].dir, "send") && !strncmp(f->trace[i].line, "BYE ", 4) && n < max) idx[n++] = i;
  return n;
}

unsigned cseq_num(const char *cseq) { return (unsigned)strtoul(cseq, NULL, 10); }

int server_no_dialog(void *a) {
  sipspec_server_stats st;
  sipspec_server_stats_get(a, &st);
  return st.ended > 0 && st.live_dialogs == 0;
}

int answered_or_ended(void *a) { return ((fx *)a)->n_answered || ((fx *)a)->n_term; }

/* The embedded server (on the same virtual clock) demands Digest with a 30 s nonce; the
 * session is held 60 s, so the BYE's cached credentials carry an expired nonce and get 401
 * stale=true. The BYE is
 * sent again with CSeq + 1 and credentials for the new nonce, the server accepts it and
 * ends its dialog, and the session ends local with the BYE's 200. */
void test_bye_challenged_stale_nonce(void) {
  fx f;
  fx_open_ua(&f, 1, 1, NULL); /* the default User-Agent */
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.cfg.transport = use_tcp ? SIPSPEC_TP_TCP : SIPSPEC_TP_UDP;
  so.listen_host = "127.0.0.1";
  so.both_transports = 0; /* one ephemeral port, no race for the other transport's */
  so.auth_user = "alice";
  so.auth_password = "secret";
  so.auth_nonce_lifetime_ms = 30000;
  so.clock = f.clk;
  sipspec_server *srv = NULL;
  char err[256] = "";
  CU_ASSERT_EQUAL_FATAL(sipspec_server_create(f.loop, &so, &srv, err, sizeof err), SIPSPEC_OK);
  sipspec_sockaddr sa;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(srv, so.cfg.transport, &sa), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(fx_start_port(&f, sipspec_sockaddr_port(&sa), 0, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
  (void)tst_run_until(f.loop, answered_or_ended, &f, 5);
  CU_ASSERT_EQUAL_FATAL(f.n_answered, 1);
  tst_run_for(f.loop, 60); /* the hold: the nonce expires */
  CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
  CU_ASSERT_TRUE(run_until_term(&f, 10));
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(f.term_status, 200);
  int bye[4];
  CU_ASSERT_EQUAL_FATAL(sent_byes(&f, bye, 4), 2);
  CU_ASSERT_TRUE(f.trace[bye[0]].auth); /* the cached credentials, stale by now */
  CU_ASSERT_TRUE(f.trace[bye[1]].auth);
  CU_ASSERT_EQUAL(cseq_num(f.trace[bye[1]].cseq), cseq_num(f.trace[bye[0]].cseq) + 1);
  int stale_401 = 0;
  for (int i = bye[0]; i < bye[1]; i++)
    stale_401 += !strcmp(f.trace[i].dir, "recv") && !strncmp(f.trace[i].line, "SIP/2.0 401", 11) &&
                 !strcmp(f.trace[i].cseq, f.trace[bye[0]].cseq) && f.trace[i].stale;
  CU_ASSERT_EQUAL(stale_401, 1);
  CU_ASSERT_EQUAL(trace_count(&f, "recv", "SIP/2.0 200", f.trace[bye[1]].cseq), 1);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipByeSent, 2);
  /* one version string: the client's User-Agent and the server's Server are the same */
  int n_agent = 0;
  for (int i = 0; i < f.n_trace; i++) {
    int req = !strcmp(f.trace[i].dir, "send") && strncmp(f.trace[i].line, "ACK ", 4);
    /* the 100 is the server transaction layer's own and carries no Server header */
    int resp = !strcmp(f.trace[i].dir, "recv") && !strncmp(f.trace[i].line, "SIP/2.0 ", 8) &&
               strncmp(f.trace[i].line, "SIP/2.0 100 ", 12);
    if (req || resp) {
      CU_ASSERT_STRING_EQUAL(f.trace[i].agent, "sipspec/" SIPSPEC_VERSION);
      n_agent++;
    }
  }
  CU_ASSERT(n_agent >= 8); /* INVITE x2, BYE x2, their 401s and 200s */
  CU_ASSERT_TRUE(tst_run_until(f.loop, server_no_dialog, srv, 5));
  sipspec_server_stats st;
  sipspec_server_stats_get(srv, &st);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(st.live_dialogs, 0);
  CU_ASSERT_EQUAL(st.challenges, 2); /* the INVITE's and the stale BYE's */
  sipspec_server_destroy(srv);
  fx_close(&f);
}

/* A BYE without credentials for the realm that challenges it (the INVITE was not
 * challenged): the BYE again with CSeq + 1, a new branch, the same dialog and credentials
 * the verifier accepts; its 200 ends the session, local. */
void test_bye_challenged_retry(void) {
  fx f;
  fx_open(&f, 1);
  sipspec_digest_server_t *srv = alice_verifier();
  establish(&f);
  int bye = send_bye(&f);
  CU_ASSERT_PTR_NULL(strstr(f.p.msgs[bye], "\r\nAuthorization: "));
  char lines[8192];
  make_challenge(srv, lines, sizeof lines);
  peer_reply(&f.p, bye, 401, NULL, lines, NULL);
  int bye2 = expect_msg(&f, "BYE ", 1, 5);
  CU_ASSERT_STRING_EQUAL(f.s ? sipspec_session_state_name(f.s) : "", "Terminating");
  char a[512];
  snprintf(a, sizeof a, "%s", peer_header(&f.p, bye, "CSeq"));
  CU_ASSERT_EQUAL(cseq_num(peer_header(&f.p, bye2, "CSeq")), cseq_num(a) + 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(&f.p, bye2, "CSeq"), " BYE"));
  snprintf(a, sizeof a, "%s", peer_header(&f.p, bye, "Via"));
  CU_ASSERT_STRING_NOT_EQUAL(peer_header(&f.p, bye2, "Via"), a);
  snprintf(a, sizeof a, "%s", peer_header(&f.p, bye, "Call-ID"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye2, "Call-ID"), a);
  snprintf(a, sizeof a, "%s", peer_header(&f.p, bye, "To"));
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, bye2, "To"), a);
  CU_ASSERT_EQUAL(strncmp(f.p.msgs[bye2], f.p.msgs[bye], (size_t)(strchr(f.p.msgs[bye], '\r') - f.p.msgs[bye])), 0);
  expect_credentials(srv, peer_parse(&f.p, bye2));
  CU_ASSERT_EQUAL(f.n_term, 0);
  reply_until_term(&f, bye2, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(f.term_status, 200);
  CU_ASSERT_EQUAL(f.n_failed, 0);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 2);
  CU_ASSERT_EQUAL(sipspec_ua_telemetry(f.ua)->sipByeSent, 2);
  sipspec_digest_server_destroy(srv);
  fx_close(&f);
}

/* The retried BYE challenged again (not stale, right after fresh credentials): the digest
 * client gives up (22.2), no third BYE; the session ends local with the 401. */
void test_bye_challenged_twice(void) {
  fx f;
  fx_open(&f, 1);
  establish(&f);
  int bye = send_bye(&f);
  peer_reply(&f.p, bye, 401, NULL, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n", NULL);
  int bye2 = expect_msg(&f, "BYE ", 1, 5);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.p.msgs[bye2], "\r\nAuthorization: Digest "));
  peer_reply(&f.p, bye2, 401, NULL, "WWW-Authenticate: Digest realm=\"r\", nonce=\"n2\"\r\n", NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  tst_run_for(f.loop, 0.1);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(f.term_status, 401);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 2);
  fx_close(&f);
}

/* A 407 to the BYE and no credentials configured: the session is over all the same (it ends
 * local) with the 407 recorded; the BYE is not sent again. */
void test_bye_challenged_no_credentials(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  int bye = send_bye(&f);
  peer_reply(&f.p, bye, 407, NULL, "Proxy-Authenticate: Digest realm=\"r\", nonce=\"n1\"\r\n", NULL);
  CU_ASSERT_TRUE(run_until_term(&f, 5));
  tst_run_for(f.loop, 0.1);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(f.term_status, 407);
  CU_ASSERT_EQUAL(f.n_failed, 0);
  CU_ASSERT_EQUAL(peer_count(&f.p, "BYE "), 1);
  fx_close(&f);
}

/* Our BYE answered 500 (Terminating RX_300_699): the session is over all the same. */
void test_bye_500(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  int bye = send_bye(&f);
  reply_until_term(&f, bye, 500);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  fx_close(&f);
}

/* The server's BYE crosses ours (Terminating RX_BYE): its BYE gets 200, ours its answer. */
void test_bye_crossing(void) {
  fx f;
  fx_open(&f, 0);
  int inv = establish(&f);
  int bye = send_bye(&f);
  send_server_bye(&f, inv, 1, "z9hG4bKcrossing");
  int ok = expect_msg(&f, "SIP/2.0 200", 0, 5);
  CU_ASSERT_STRING_EQUAL(peer_header(&f.p, ok, "CSeq"), "1 BYE");
  CU_ASSERT_EQUAL(f.n_term, 0);
  CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), "Terminating");
  reply_until_term(&f, bye, 200);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  fx_close(&f);
}

/* TCP: the connection is reset in Proceeding, CancelPending, Cancelling (the CANCEL is
 * out) and Terminating (the BYE is out): every one ends the session; transport-error
 * before it was established, "local" after. */
void test_tcp_reset_in_each_state(void) {
  for (int when = 0; when < 4; when++) {
    fx f;
    fx_open(&f, 0);
    if (when == 3) {
      establish(&f);
      CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
      CU_ASSERT_FATAL(wait_for(&f, "BYE ", 0, 5) >= 0);
    } else {
      int inv = start_call(&f);
      if (when == 1) CU_ASSERT_EQUAL(sipspec_session_end(f.s), SIPSPEC_OK);
      if (when != 1) peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
      if (when == 2) {
        f.end_in_provisional = 1;
        peer_reply(&f.p, inv, 180, "srvtag", NULL, NULL);
        CU_ASSERT_FATAL(wait_for(&f, "CANCEL ", 0, 5) >= 0);
      }
      tst_run_for(f.loop, 0.02);
    }
    static const char *states[] = {"Proceeding", "CancelPending", "Cancelling", "Terminating"};
    CU_ASSERT_STRING_EQUAL(sipspec_session_state_name(f.s), states[when]);
    peer_reset(&f.p);
    CU_ASSERT_TRUE(run_until_term(&f, 10));
    if (when == 3) {
      CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
    } else {
      CU_ASSERT_EQUAL(f.result, SIPSPEC_RESULT_TRANSPORT_ERROR);
      CU_ASSERT_EQUAL(f.failed_status, 0);
    }
    fx_close(&f);
  }
}


