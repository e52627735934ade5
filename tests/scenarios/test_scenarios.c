/* test_scenarios.c: the full-stack regression scenarios of the roadmap, each over UDP and over
 * TCP: a client user agent (sipspec/ua.h) and the embedded MRCP server (sipspec/server.h) on
 * one libev loop on 127.0.0.1, so every callback and every counter can be asserted exactly.
 * Both run on one virtual clock (sipspec/clock.h) with RFC 3261's timer values (T1 = 500 ms,
 * T2 = 4 s, T4 = 5 s): every timer fires at its exact due time whatever the machine's load,
 * so times are asserted exactly too, and the waits take no real time.
 *
 *   normal call          INVITE/180/200/ACK, hold, BYE/200: two channels, audio, ended by us
 *   ring many times      20 x 180 Ringing then 200 (server ring_count 20)
 *   immediate 4xx        486 Busy Here: result rejected, status 486, sipError4xx 1
 *   INVITE timeout       UDP: a silent port, Timer B at exactly 64*T1: result timeout,
 *                        sipInviteTimeouts 1; TCP: a closed port: transport-error at once
 *   server BYE           the server hangs up (bye_after_ms): ended by the peer
 *   CANCEL while ringing the client ends at the first 180: result cancelled, server sees the end
 *   481 to BYE           the server answers our BYE with 481: the session still ends
 *   30% loss             the normal call through the fault-injecting relay (UDP, several
 *                        seeds): established and ended every time, with retransmissions
 *   re-INVITE add/remove speechrecog, + speechsynth (re-INVITE), - speechsynth, BYE: the
 *                        channels, ports and audio direction of each answer, as the client
 *                        parsed them and as the server sent them
 *   488 with a Warning   a server that serves only speechrecog and speechsynth refuses a
 *                        recorder: rejected, 488, the Warning text
 *   Digest (suite auth)  every algorithm x qop, 401 and 407: one challenge, the INVITE sent
 *                        twice with credentials of that algorithm and qop; a wrong password
 *                        with max_challenges 0..3; a nonce gone stale before a re-INVITE
 *
 * Requirements not tested here: TLS (not available), real MRCP or RTP traffic (sipspec only
 * negotiates them), DNS names. Every loop run is bounded by tst_run_until()'s watchdog.
 * The fixture is sc_fixture.c; the re-INVITE, 488 and Digest scenarios are in
 * test_scenarios_auth.c. */
#include "sc_fixture.h"

/* ---- the scenarios ------------------------------------------------------------------------ */

void check_normal_answer(const sc *c) {
  CU_ASSERT_EQUAL(c->answer.nchannels, 2);
  CU_ASSERT_EQUAL(c->answer.channels[0].resource, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_EQUAL(c->answer.channels[1].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  for (size_t i = 0; i < 2; i++) {
    CU_ASSERT_EQUAL(c->answer.channels[i].rejected, 0);
    CU_ASSERT_EQUAL(c->answer.channels[i].port, 1544);
    CU_ASSERT_STRING_EQUAL(c->answer.channels[i].host, "127.0.0.1");
    CU_ASSERT_PTR_NOT_NULL(strchr(c->answer.channels[i].channel_id, '@'));
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(c->answer.channels[0].channel_id, "@speechrecog"));
  CU_ASSERT_PTR_NOT_NULL(strstr(c->answer.channels[1].channel_id, "@speechsynth"));
  CU_ASSERT_EQUAL(c->answer.audio.present, 1);
  CU_ASSERT_EQUAL(c->answer.audio.port, 4000);
  CU_ASSERT_EQUAL(c->answer.audio.offered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(c->answer.audio.answered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT(c->answer.audio.ncodecs >= 1);
  CU_ASSERT_STRING_EQUAL(c->answer.audio.codecs[0].encoding, "PCMU");
}

void test_normal_call(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.n_prov, 1);
  CU_ASSERT_EQUAL(c.prov_status[0], 180);
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT_EQUAL(c.terminated, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.status, 200);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(c.answered_at, 0);                    /* no timer between INVITE and 200 */
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + HOLD_MS); /* our BYE, answered at once */
  check_normal_answer(&c);
  CU_ASSERT_EQUAL(tel(&c)->sessionsStarted, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 1);
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipInviteTimeouts, 0);
  CU_ASSERT_EQUAL(sipspec_ua_live_sessions(c.ua), 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.established, 1);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  CU_ASSERT_EQUAL(st.byes_sent, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_INVITED), 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ESTABLISHED), 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ENDED), 1);
  sc_close(&c);
}

void test_ring_many(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.ring_count = 20;
  so.ring_interval_ms = 1000;
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.n_prov, 20);
  for (int i = 0; i < 20 && i < c.n_prov; i++) CU_ASSERT_EQUAL(c.prov_status[i], 180);
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.answered_at, 20 * 1000); /* an interval after each 180 */
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT(tel(&c)->sipProvisional >= 20); /* a 100 Trying may come on top */
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
  check_normal_answer(&c);
  sc_close(&c);
}

void test_reject_486(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.reject_status = 486;
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.failed, 1);
  CU_ASSERT_EQUAL(c.fail_result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(c.fail_status, 486);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(c.status, 486);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.refused, 1);
  CU_ASSERT_EQUAL(st.established, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_REFUSED), 1);
  sc_close(&c);
}

/* UDP: a bound socket nobody reads (the datagrams just queue); TCP: a port that was free a
 * moment ago (bound and closed again), so the connection is refused. */
void test_invite_timeout(void) {
  sc c;
  sc_open(&c);
  sc_ua(&c);
  int fd = socket(AF_INET, g_kind == SIPSPEC_TP_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
  CU_ASSERT_FATAL(fd >= 0);
  struct sockaddr_in sin;
  memset(&sin, 0, sizeof sin);
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t sl = sizeof sin;
  CU_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
  CU_ASSERT_FATAL(getsockname(fd, (struct sockaddr *)&sin, &sl) == 0);
  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_sockaddr_from_sockaddr(&a, (struct sockaddr *)&sin, sl), SIPSPEC_OK);
  if (g_kind == SIPSPEC_TP_TCP) {
    close(fd);
    fd = -1;
  }
  c.hold_ms = 0;
  sc_call(&c, &a);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.failed, 1);
  CU_ASSERT_EQUAL(c.status, 0);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 1);
  if (g_kind == SIPSPEC_TP_UDP) {
    CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_TIMEOUT);
    CU_ASSERT_EQUAL(c.failed_at, 64 * T1); /* Timer B */
    CU_ASSERT_EQUAL(tel(&c)->sipInviteTimeouts, 1);
    CU_ASSERT_EQUAL(tel(&c)->sipRetransmissions, 6); /* Timer A: T1, 3T1, ... 63T1 */
  } else {
    CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_TRANSPORT_ERROR);
    CU_ASSERT_EQUAL(c.failed_at, 0); /* the refusal, at once: no timer ran */
    CU_ASSERT_EQUAL(tel(&c)->sipInviteTimeouts, 0);
    CU_ASSERT(tel(&c)->sipTransportErrors >= 1);
  }
  if (fd >= 0) close(fd);
  sc_close(&c);
}

void test_server_bye(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.bye_after_ms = 5000;
  sc_server(&c, &so);
  sc_ua(&c);
  c.hold_ms = 0; /* the client never hangs up */
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_PEER);
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + 5000); /* bye_after_ms after the ACK */
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 0);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.byes_sent, 1);
  CU_ASSERT_EQUAL(st.byes_received, 0);
  CU_ASSERT_EQUAL(st.ended, 1);
  sc_close(&c);
}

void test_cancel_ringing(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.ring_count = 20;
  so.ring_interval_ms = 1000; /* 20 s of ringing: the CANCEL comes long before a 200 */
  sc_server(&c, &so);
  sc_ua(&c);
  c.end_on_first_provisional = 1;
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.n_prov, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_CANCELLED);
  CU_ASSERT_EQUAL(c.status, 487);
  CU_ASSERT_EQUAL(c.terminated_at, 0); /* the 487 came at once, before a second 180 */
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_NONE);
  CU_ASSERT_EQUAL(tel(&c)->sessionsFailed, 1);
  CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.established, 0);
  CU_ASSERT_EQUAL(st.live_dialogs, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ENDED), 1);
  sc_close(&c);
}

void test_bye_481(void) {
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.bye_status = 481;
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.terminated, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK); /* it was established; the BYE's 481 ends it */
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + HOLD_MS); /* at the 481 to our BYE */
  /* RFC 3261 12.2.1.2: a 481 to an in-dialog request ends the dialog; our BYE was the cause. */
  CU_ASSERT(c.ended_by == SIPSPEC_END_LOCAL || c.ended_by == SIPSPEC_END_ERROR);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 1);
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 1);
  CU_ASSERT_EQUAL(sipspec_ua_live_sessions(c.ua), 0);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  sc_close(&c);
}

/* The normal call with the INVITE through a relay that drops 30% of the datagrams each way. */
void test_loss(void) {
  static const uint64_t seeds[] = {1, 7, 42, 20240611, 99991};
  uint64_t retrans = 0, dropped = 0;
  for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
    sc c;
    sc_open(&c);
    sipspec_server_opts so;
    sipspec_server_opts_init(&so);
    sc_server(&c, &so);
    sc_ua(&c);
    relay_opts ro;
    relay_opts_init(&ro);
    ro.seed = seeds[k];
    CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(c.srv, SIPSPEC_TP_UDP, &ro.upstream), SIPSPEC_OK);
    ro.dir[RELAY_A_TO_B].drop_permille = 300;
    ro.dir[RELAY_B_TO_A].drop_permille = 300;
    char err[256];
    int rc = relay_create(c.loop, &ro, &c.rel, err, sizeof err);
    if (rc) fprintf(stderr, "relay: %s\n", err);
    CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
    sipspec_sockaddr front = relay_front_addr(c.rel);
    sc_call(&c, &front);
    int ok = tst_run_until(c.loop, cond_done, &c, RUN_MAX_S);
    CU_ASSERT(ok);
    if (!ok || c.result != SIPSPEC_RESULT_OK)
      fprintf(stderr, "\nseed %llu: result %s, A->B %s, B->A %s\n", (unsigned long long)seeds[k],
              sipspec_result_name(c.result), relay_schedule(c.rel, RELAY_A_TO_B), relay_schedule(c.rel, RELAY_B_TO_A));
    CU_ASSERT_EQUAL(c.answered, 1);
    CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
    CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
    CU_ASSERT_EQUAL(tel(&c)->sessionsEstablished, 1);
    retrans += tel(&c)->sipRetransmissions;
    dropped += relay_get_stats(c.rel, RELAY_A_TO_B).dropped + relay_get_stats(c.rel, RELAY_B_TO_A).dropped;
    sc_close(&c);
  }
  /* The relay did drop, and the stack did make up for it. */
  CU_ASSERT(dropped > 0);
  CU_ASSERT(retrans > 0);
}

/* ---- main ---------------------------------------------------------------------------------- */

static int use_udp(void) {
  g_kind = SIPSPEC_TP_UDP;
  return 0;
}
static int use_tcp(void) {
  g_kind = SIPSPEC_TP_TCP;
  return 0;
}

/* No argument: the scenarios; "auth": the Digest suites (a CTest entry of their own). */
int main(int argc, char **argv) {
  int auth = argc > 1 && !strcmp(argv[1], "auth");
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  static const struct {
    const char *name;
    void (*fn)(void);
  } cases[] = {
    {"normal call: INVITE, 180, 200, ACK, hold, BYE", test_normal_call},
    {"20 x 180 Ringing then 200", test_ring_many},
    {"immediate 486: rejected, sipError4xx 1", test_reject_486},
    {"no answer: timeout (UDP) / refused (TCP)", test_invite_timeout},
    {"server-initiated BYE", test_server_bye},
    {"CANCEL while ringing", test_cancel_ringing},
    {"481 to our BYE", test_bye_481},
    {"re-INVITE: + speechsynth, - speechsynth, as the server answered", test_reinvite_add_remove},
    {"488 with a Warning for a resource not served", test_488_warning},
  }, auth_cases[] = {
    {"6 algorithms x auth/auth-int x 401/407: one challenge, INVITE twice", test_digest_matrix},
    {"wrong password, max_challenges 0..3: exact INVITE counts", test_digest_wrong_password},
    {"nonce stale before a re-INVITE: answered, not a failure", test_digest_stale_reinvite},
  };
  CU_pSuite su = CU_add_suite(auth ? "auth_udp" : "scenarios_udp", use_udp, NULL);
  CU_pSuite st = CU_add_suite(auth ? "auth_tcp" : "scenarios_tcp", use_tcp, NULL);
  size_t n = auth ? sizeof auth_cases / sizeof auth_cases[0] : sizeof cases / sizeof cases[0];
  for (size_t i = 0; i < n; i++) {
    CU_add_test(su, auth ? auth_cases[i].name : cases[i].name, auth ? auth_cases[i].fn : cases[i].fn);
    CU_add_test(st, auth ? auth_cases[i].name : cases[i].name, auth ? auth_cases[i].fn : cases[i].fn);
  }
  if (!auth) {
    CU_pSuite sl = CU_add_suite("scenarios_loss_udp", use_udp, NULL);
    CU_add_test(sl, "normal call through 30% loss each way, 5 seeds", test_loss);
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
