/* test_ua.c: the user agent and its MRCP client sessions (sipspec/ua.h) against a scripted
 * peer on 127.0.0.1 (tests/session/peer.c). Each test asserts the exact messages the client
 * sends and the callbacks and counters it reports. Run over UDP and over TCP
 * (SIPSPEC_TEST_TCP=1 selects TCP, see CMakeLists.txt). Every loop run is bounded. The
 * fixture is ua_fixture.c; the tests are in test_ua_call.c, test_ua_dialog.c, test_ua_bye.c
 * and test_ua_timer.c; this file registers and runs them.
 *
 * Time is virtual: each fixture runs its loop on a virtual clock that the user agent (and
 * the embedded server) share with the peer's timestamps, so the RFC's timer values are used
 * (T1 = 500 ms, T2 = 4 s, T4 = 5 s, Timer B/F = 64*T1 = 32 s) and the times the stack's
 * schedule fixes are asserted exactly, in virtual milliseconds. */
#include "ua_fixture.h"

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const char *tcp = getenv("SIPSPEC_TEST_TCP");
  use_tcp = tcp && !strcmp(tcp, "1");
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK) return 2;
  char hosts[] = "/tmp/sipspec-ua-hosts-XXXXXX";
  int hfd = mkstemp(hosts);
  if (hfd < 0) return 2;
  /* two.sipspec.test: nothing listens on 127.0.0.2, the peer is on 127.0.0.1 */
  static const char line[] = "127.0.0.1 mrcp.sipspec.test\n127.0.0.2 two.sipspec.test\n127.0.0.1 two.sipspec.test\n";
  if (write(hfd, line, sizeof line - 1) != (ssize_t)(sizeof line - 1)) return 2;
  close(hfd);
  hosts_file = hosts;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite(use_tcp ? "ua over TCP" : "ua over UDP", NULL, NULL);
  CU_add_test(s, "normal call: INVITE headers, ACK, BYE", test_normal_call);
  CU_add_test(s, "180 repeated, then 200", test_ringing_many);
  CU_add_test(s, "immediate 486", test_immediate_4xx);
  CU_add_test(s, "failover between a name's addresses (RFC 3263 4.3)", test_failover_addresses);
  CU_add_test(s, "INVITE timeout (Timer A schedule, Timer B)", test_invite_timeout);
  CU_add_test(s, "2xx retransmitted: each ACKed", test_2xx_retransmitted);
  CU_add_test(s, "server-initiated BYE", test_server_bye);
  CU_add_test(s, "CANCEL during ringing", test_cancel_ringing);
  CU_add_test(s, "481 to BYE", test_bye_481);
  CU_add_test(s, "BYE unanswered: Timer F", test_bye_timer_f);
  CU_add_test(s, "481 for an unknown dialog", test_unknown_dialog_481);
  CU_add_test(s, "re-INVITE: add then remove a resource", test_reinvite_add_remove);
  CU_add_test(s, "OPTIONS keep-alive, 481 ends", test_options_keepalive);
  CU_add_test(s, "digest retry", test_digest_retry);
  CU_add_test(s, "401 without credentials", test_digest_no_credentials);
  CU_add_test(s, "bad options", test_bad_options);
  CU_add_test(s, "target host name through the resolver", test_resolve_name);
  CU_add_test(s, "answer timer: CANCEL, result timeout", test_answer_timer);
  CU_add_test(s, "ended before a provisional: CANCEL waits for the 180", test_end_before_provisional);
  CU_add_test(s, "CANCEL unanswered: Timer CANCEL", test_cancel_unanswered);
  CU_add_test(s, "2xx with an answer that does not fit: ACK, BYE", test_bad_answer);
  CU_add_test(s, "2xx races the CANCEL: ACK, BYE", test_2xx_races_cancel);
  CU_add_test(s, "180 then 603", test_reject_after_ringing);
  CU_add_test(s, "keep-alive unanswered: Timer F ends the session", test_keepalive_unanswered);
  CU_add_test(s, "trace: retransmissions, ACKs, the 200 to a BYE", test_trace_everything);
  CU_add_test(s, "re-INVITE 2xx refreshes the remote target", test_reinvite_target_refresh);
  CU_add_test(s, "re-INVITE refused: the next offer is built from the old state", test_reinvite_refused_rolls_back);
  CU_add_test(s, "re-INVITE challenged: retried with credentials", test_reinvite_digest_retry);
  CU_add_test(s, "re-INVITE challenged, no credentials: update fails", test_reinvite_challenge_no_credentials);
  CU_add_test(s, "re-INVITE answered 491: sent once more after 2.1..4 s", test_reinvite_491_retried_once);
  CU_add_test(s, "2xx from another fork: ACK and BYE on its dialog", test_fork_2xx);
  CU_add_test(s, "180 from one fork, 2xx from another: the 2xx's dialog", test_fork_early_then_other_2xx);
  CU_add_test(s, "server re-INVITE: refresh 200, change 488", test_server_reinvite);
  CU_add_test(s, "server re-INVITE: 200 sent again until its ACK", test_server_reinvite_2xx_until_ack);
  CU_add_test(s, "server re-INVITE: no ACK, BYE after 64*T1", test_server_reinvite_no_ack_bye);
  CU_add_test(s, "re-INVITEs cross: 491 to the server's; no change before the ACK", test_reinvites_cross);
  CU_add_test(s, "401 after ringing: retry", test_auth_retry_after_ringing);
  CU_add_test(s, "407 after ringing, no credentials: auth-failed", test_auth_failed_after_ringing);
  CU_add_test(s, "ended before a provisional, then 486 or 200", test_end_before_provisional_final);
  CU_add_test(s, "ended before a provisional, no answer: Timer B", test_end_before_provisional_timer_b);
  CU_add_test(s, "183 while cancelling", test_provisional_while_cancelling);
  CU_add_test(s, "500 to our BYE", test_bye_500);
  CU_add_test(s, "BYE crossing ours", test_bye_crossing);
  CU_add_test(s, "BYE challenged, stale nonce: sent again (embedded server)", test_bye_challenged_stale_nonce);
  CU_add_test(s, "BYE challenged: retried with credentials", test_bye_challenged_retry);
  CU_add_test(s, "BYE challenged twice: the client gives up", test_bye_challenged_twice);
  CU_add_test(s, "BYE challenged, no credentials: ends with 407", test_bye_challenged_no_credentials);
  CU_add_test(s, "session timer: refresher uac, UPDATE at half the interval", test_st_refresh_by_update);
  CU_add_test(s, "session timer: no UPDATE allowed, re-INVITE with the same SDP", test_st_refresh_by_reinvite);
  CU_add_test(s, "session timer: refresher uas, UPDATE answered, BYE at expiry", test_st_peer_refreshes_then_expires);
  CU_add_test(s, "session timer: 422 retried with Min-SE, second 422 ends", test_st_422_retry_then_fail);
  CU_add_test(s, "session timer: 422 retried, 200 with the larger interval", test_st_422_retry_then_200);
  CU_add_test(s, "session timer: 422 to a refresh retried with Min-SE, once", test_st_refresh_422);
  CU_add_test(s, "session timer: 401 to a refresh retried with credentials, once", test_st_refresh_digest);
  CU_add_test(s, "session timer: the server's Min-SE kept for our refreshes", test_st_peer_min_se_kept);
  CU_add_test(s, "session timer: 491 to a refresh, sent again after the wait", test_st_491_glare);
  CU_add_test(s, "session timer: 491 twice ends with BYE", test_st_491_twice);
  CU_add_test(s, "session timer: 503 Retry-After, refresh again", test_st_503_retry_after);
  CU_add_test(s, "session timer: 408 and 481 to a refresh end with BYE", test_st_refresh_408_481);
  CU_add_test(s, "session timer: refresh unanswered, BYE after Timer F", test_st_refresh_unanswered);
  CU_add_test(s, "session timer: not asked, UPDATE answered without one", test_st_not_asked);
  if (!use_tcp) CU_add_test(s, "INVITE over udp_max_size goes over TCP (18.1.1)", test_big_invite_switches_to_tcp);
  if (!use_tcp)
    CU_add_test(s, "INVITE retry over udp_max_size goes over TCP (18.1.1)", test_retry_over_udp_max_size_switches_to_tcp);
  if (!use_tcp) CU_add_test(s, "re-INVITE over udp_max_size goes over TCP (18.1.1)", test_big_reinvite_switches_to_tcp);
  if (use_tcp) {
    CU_add_test(s, "TCP connection refused", test_tcp_refused);
    CU_add_test(s, "TCP connection reset", test_tcp_reset);
    CU_add_test(s, "TCP reset in Proceeding, CancelPending, Cancelling, Terminating", test_tcp_reset_in_each_state);
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  unlink(hosts);
  return failed || run == 0 ? 1 : 0;
}

