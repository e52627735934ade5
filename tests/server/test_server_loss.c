/* test_server_loss.c: a whole call through a lossy relay, both ways, every message.
 *
 * The embedded server (sipspec/server.h) listens behind the fault-injecting UDP relay of
 * tests/harness/relay.h, and its contact_host / contact_port name the relay's front
 * address, so that the client's requests inside the dialog (ACK, BYE) reach the server
 * through the relay as the INVITE did (RFC 3261 12.1.1: they go to the Contact), and every
 * response goes back through it (18.2.2: to the source of the request, the relay). The
 * client is the library's user agent (sipspec/ua.h). The relay drops 30% of the datagrams
 * in each direction and delays the others by a network's latency (LATENCY_MS, on the
 * test's clock); over several seeds each call must complete (established, ended by
 * our BYE, the server's dialog gone) and the run must show that the relay did drop in both
 * directions and that retransmissions (the client's requests, the server's 2xx) made up
 * for it. Both traces check that no message went around the relay.
 *
 * Also: contact_host / contact_port that cannot be written into a Contact are refused with
 * a sentence naming them. Both sides run the RFC's timers (T1 500 ms, T2 4 s, Timer B
 * 32 s) on a virtual clock: every loop run is bounded (tst_run_until, in virtual seconds)
 * and a call that waits out many retransmissions takes little real time.
 */
#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netutil.h"
#include "relay.h"
#include "sipspec/coverage.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

#define HOLD_MS 1000u  /* the call lasts this long before our BYE */
#define RUN_MAX_S 600.0 /* virtual: Timer B, F, H are 64*T1 = 32 s */
#define T0_MS 1000000u  /* the virtual clock's start */
#define LATENCY_MS 20u  /* the relay delays every datagram it forwards, each way */

typedef struct loss_call {
  struct ev_loop *loop;
  sipspec_clock *clock; /* virtual, on loop: every timer of the server and the client */
  sipspec_server *srv;
  sipspec_ua *ua;
  sipspec_session *s;
  relay *rel;
  sipspec_sockaddr front, ua_addr, srv_addr;
  sipspec_clock_timer hold;
  int answered, failed, terminated;
  uint64_t answered_ms;        /* virtual time from the INVITE to the answer */
  sipspec_result result;
  sipspec_end_reason ended_by;
  /* what the traces saw */
  int srv_recv, srv_recv_from_relay, srv_ack, srv_bye;
  int ua_recv, ua_recv_from_relay, ua_sent_to_relay, ua_sent;
  int contact_is_front;        /* a 2xx to the INVITE whose Contact names the relay */
  char want_contact[128];
} loss_call;

/* Ends the call HOLD_MS after the answer, once the server has its ACK: a lost ACK is made
 * up for by the server's 2xx sent again and the client's ACK to each copy (13.3.1.4,
 * 13.2.2.4), which takes a few round trips through the loss; ending before would let the
 * BYE overtake the ACK. Checked every HOLD_MS; the server's own 64*T1 bounds the wait. */
static void hold_cb(sipspec_clock_timer *t, void *arg) {
  loss_call *c = arg;
  sipspec_server_stats ss;
  sipspec_server_stats_get(c->srv, &ss);
  if (!ss.established && !ss.ended) {
    CU_ASSERT_EQUAL(sipspec_clock_timer_after(c->clock, t, HOLD_MS), SIPSPEC_OK);
    return;
  }
  if (c->s) CU_ASSERT_EQUAL(sipspec_session_end(c->s), SIPSPEC_OK);
}

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
                        void *user) {
  loss_call *c = user;
  (void)s, (void)answer, (void)sdp, (void)sdp_len;
  c->answered++;
  c->answered_ms = sipspec_clock_now_ms(c->clock) - T0_MS;
  CU_ASSERT_EQUAL(sipspec_clock_timer_after(c->clock, &c->hold, HOLD_MS), SIPSPEC_OK);
}

static void on_failed(sipspec_session *s, sipspec_result result, const sipspec_response_info *info, void *user) {
  loss_call *c = user;
  (void)s;
  c->failed++;
  fprintf(stderr, "call failed: %s, status %d, %s\n", sipspec_result_name(result), info ? info->status : -1,
          info && info->reason ? info->reason : "");
}

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  loss_call *c = user;
  c->terminated++;
  c->result = sipspec_session_result(s);
  c->ended_by = by;
  sipspec_clock_timer_stop(c->clock, &c->hold);
  c->s = NULL;
}

static int starts(const char *data, size_t len, const char *prefix) {
  size_t n = strlen(prefix);
  return len >= n && !memcmp(data, prefix, n);
}

/* 1 when data[0..len) contains needle. */
static int contains(const char *data, size_t len, const char *needle) {
  size_t n = strlen(needle);
  for (size_t i = 0; n <= len && i <= len - n; i++)
    if (!memcmp(data + i, needle, n)) return 1;
  return 0;
}

static void srv_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer, const char *data,
                      size_t len) {
  loss_call *c = user;
  (void)kind;
  if (strcmp(dir, "recv")) return;
  c->srv_recv++;
  /* the relay's upstream side, never the client itself */
  if (!sipspec_sockaddr_equal(peer, &c->ua_addr)) c->srv_recv_from_relay++;
  if (starts(data, len, "ACK ")) c->srv_ack++;
  if (starts(data, len, "BYE ")) c->srv_bye++;
}

static void ua_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer, const char *data,
                     size_t len) {
  loss_call *c = user;
  (void)kind;
  int via_relay = sipspec_sockaddr_equal(peer, &c->front);
  if (!strcmp(dir, "send")) {
    c->ua_sent++;
    c->ua_sent_to_relay += via_relay;
    return;
  }
  c->ua_recv++;
  c->ua_recv_from_relay += via_relay;
  if (starts(data, len, "SIP/2.0 200") && contains(data, len, " INVITE\r\n") && contains(data, len, c->want_contact))
    c->contact_is_front = 1;
}

static int cond_done(void *arg) {
  loss_call *c = arg;
  return c->terminated && sipspec_server_idle(c->srv);
}

/* The RFC's timers (T1 500 ms, T2 4 s, T4 5 s), over UDP. */
static void cfg_init(sipspec_config *cfg) {
  sipspec_config_init(cfg);
  cfg->transport = SIPSPEC_TP_UDP;
}

/* One call through the relay with seed; adds what the relay dropped each way and the
 * retransmissions of both sides to the totals. */
static void one_call(uint64_t seed, uint64_t dropped[2], uint64_t *retrans_ua, uint64_t *retrans_srv) {
  loss_call c;
  memset(&c, 0, sizeof c);
  c.loop = ev_loop_new(EVFLAG_AUTO);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c.loop);
  c.clock = sipspec_clock_virtual_new(c.loop, T0_MS);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c.clock);
  tst_use_clock(c.clock);
  sipspec_clock_timer_init(&c.hold, hold_cb, &c);
  char err[SIPSPEC_ERR_LEN] = "";

  /* The relay first (its front address goes into the server's Contact); its upstream, the
   * server's port, is set once the server listens: the server binds an ephemeral port. */
  relay_opts ro;
  relay_opts_init(&ro);
  ro.seed = seed;
  ro.dir[RELAY_A_TO_B].drop_permille = 300;
  ro.dir[RELAY_B_TO_A].drop_permille = 300;
  ro.dir[RELAY_A_TO_B].delay_ms = ro.dir[RELAY_B_TO_A].delay_ms = LATENCY_MS;
  ro.clock = c.clock;

  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  cfg_init(&so.cfg);
  so.listen_host = "127.0.0.1";
  so.clock = c.clock;
  so.both_transports = 0;
  so.trace = srv_trace;
  so.trace_user = &c;
  so.contact_host = "127.0.0.1";
  /* The front port is not known before the relay exists and the relay needs the server's
   * address: create the server on a placeholder port, the relay, then the real server. */
  so.contact_port = 1;
  int rc = sipspec_server_create(c.loop, &so, &c.srv, err, sizeof err);
  if (rc) fprintf(stderr, "server: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(c.srv, SIPSPEC_TP_UDP, &c.srv_addr), SIPSPEC_OK);
  ro.upstream = c.srv_addr;
  rc = relay_create(c.loop, &ro, &c.rel, err, sizeof err);
  if (rc) fprintf(stderr, "relay: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  c.front = relay_front_addr(c.rel);
  sipspec_server_destroy(c.srv);
  c.srv = NULL;
  so.listen_port = sipspec_sockaddr_port(&c.srv_addr);
  so.contact_port = sipspec_sockaddr_port(&c.front);
  rc = sipspec_server_create(c.loop, &so, &c.srv, err, sizeof err);
  if (rc) fprintf(stderr, "server again on port %u: %s\n", so.listen_port, err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  snprintf(c.want_contact, sizeof c.want_contact, "\r\nContact: <sip:127.0.0.1:%u;transport=udp>\r\n",
           sipspec_sockaddr_port(&c.front));

  sipspec_ua_opts uo;
  sipspec_ua_opts_init(&uo);
  cfg_init(&uo.cfg);
  uo.cfg.tcp_enabled = 0; /* every message over UDP, through the relay */
  uo.bind_host = "127.0.0.1";
  uo.clock = c.clock;
  uo.trace = ua_trace;
  uo.trace_user = &c;
  rc = sipspec_ua_create(c.loop, &uo, &c.ua, err, sizeof err);
  if (rc) fprintf(stderr, "ua: %s\n", err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_ua_bound_addr(c.ua, SIPSPEC_TP_UDP, &c.ua_addr), SIPSPEC_OK);

  char hp[SIPSPEC_SOCKADDR_STRLEN], target[128];
  snprintf(target, sizeof target, "sip:mresources@%s", sipspec_sockaddr_format(&c.front, hp, sizeof hp));
  static const sipspec_mrcp_resource res[] = {SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_SPEECHSYNTH};
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  memcpy(d.resources, res, sizeof res);
  d.nresources = 2;
  d.rtp_port = 5004;
  sipspec_session_opts sso;
  sipspec_session_opts_init(&sso);
  sso.target = target;
  sso.offer = &d;
  sso.cb.on_answered = on_answered;
  sso.cb.on_failed = on_failed;
  sso.cb.on_terminated = on_terminated;
  sso.cb.user = &c;
  CU_ASSERT_EQUAL_FATAL(sipspec_session_start(c.ua, &sso, &c.s), SIPSPEC_OK);

  int done = tst_run_until(c.loop, cond_done, &c, RUN_MAX_S);
  CU_ASSERT(done);
  if (!done || c.result != SIPSPEC_RESULT_OK)
    fprintf(stderr, "\nseed %llu: result %s, A->B %s, B->A %s\n", (unsigned long long)seed,
            sipspec_result_name(c.result), relay_schedule(c.rel, RELAY_A_TO_B), relay_schedule(c.rel, RELAY_B_TO_A));
  /* the call completed */
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_TRUE(c.answered_ms >= 2 * LATENCY_MS); /* the INVITE and its 200 each crossed the relay */
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT_EQUAL(c.terminated, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  const sipspec_telemetry *ut = sipspec_ua_telemetry(c.ua), *st = sipspec_server_telemetry(c.srv);
  CU_ASSERT_EQUAL(ut->sessionsEstablished, 1);
  CU_ASSERT_EQUAL(ut->sipByeSent, 1);
  CU_ASSERT_EQUAL(ut->sipByeAcksMissing, 0);
  sipspec_server_stats ss;
  sipspec_server_stats_get(c.srv, &ss);
  CU_ASSERT_EQUAL(ss.invites, 1);
  CU_ASSERT_EQUAL(ss.established, 1);
  CU_ASSERT_EQUAL(ss.ended, 1);
  CU_ASSERT_EQUAL(ss.byes_received, 1);
  CU_ASSERT_EQUAL(ss.live_dialogs, 0);
  /* everything crossed the relay: the 2xx named it as Contact, the client sent only to it
   * and heard only from it, the server heard only from it, ACK and BYE included */
  CU_ASSERT_TRUE(c.contact_is_front);
  CU_ASSERT_TRUE(c.ua_sent > 0 && c.ua_sent_to_relay == c.ua_sent);
  CU_ASSERT_TRUE(c.ua_recv > 0 && c.ua_recv_from_relay == c.ua_recv);
  CU_ASSERT_TRUE(c.srv_recv > 0 && c.srv_recv_from_relay == c.srv_recv);
  CU_ASSERT_TRUE(c.srv_ack >= 1);
  CU_ASSERT_TRUE(c.srv_bye >= 1);
  relay_stats ab = relay_get_stats(c.rel, RELAY_A_TO_B), ba = relay_get_stats(c.rel, RELAY_B_TO_A);
  CU_ASSERT_EQUAL(ab.no_peer + ba.no_peer, 0);
  /* every datagram the relay let through waited LATENCY_MS (of virtual time) */
  CU_ASSERT_TRUE(ab.delayed > 0 && ab.delayed == ab.received - ab.dropped);
  CU_ASSERT_TRUE(ba.delayed > 0 && ba.delayed == ba.received - ba.dropped);
  dropped[RELAY_A_TO_B] += ab.dropped;
  dropped[RELAY_B_TO_A] += ba.dropped;
  *retrans_ua += ut->sipRetransmissions;
  *retrans_srv += st->sipRetransmissions;

  sipspec_clock_timer_stop(c.clock, &c.hold);
  sipspec_ua_destroy(c.ua);
  sipspec_server_destroy(c.srv);
  relay_destroy(c.rel);
  tst_run_for(c.loop, 0.01); /* the deferred frees */
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(c.clock), 0);
  tst_use_clock(NULL);
  sipspec_clock_free(c.clock);
  ev_loop_destroy(c.loop);
}

/* INVITE, 180, 200, ACK, BYE and its 200 through 30% loss each way, five seeds. */
static void call_through_loss(void) {
  static const uint64_t seeds[] = {1, 7, 42, 20240611, 99991};
  uint64_t dropped[2] = {0, 0}, retrans_ua = 0, retrans_srv = 0;
  for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) one_call(seeds[k], dropped, &retrans_ua, &retrans_srv);
  /* the relay did drop both ways, and both sides made up for it */
  CU_ASSERT(dropped[RELAY_A_TO_B] > 0);
  CU_ASSERT(dropped[RELAY_B_TO_A] > 0);
  CU_ASSERT(retrans_ua > 0);
  CU_ASSERT(retrans_srv > 0);
  printf("\n  dropped client->server %llu, server->client %llu; retransmissions client %llu, server %llu\n",
         (unsigned long long)dropped[RELAY_A_TO_B], (unsigned long long)dropped[RELAY_B_TO_A],
         (unsigned long long)retrans_ua, (unsigned long long)retrans_srv);
}

/* contact_host / contact_port that cannot go into a Contact: SIPSPEC_E_INVAL naming them. */
static void contact_opts_refused(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
  static const struct {
    const char *host;
    unsigned port;
    const char *says;
  } bad[] = {
      {"", 0, "contact_host"},
      {"relay host", 0, "contact_host"},
      {"<sip:x>", 0, "contact_host"},
      {"relay.example:5060", 0, "contact_port"}, /* a ':' that is no IPv6 literal */
      {"127.0.0.1", 70000, "contact_port"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sipspec_server_opts o;
    sipspec_server_opts_init(&o);
    o.listen_host = "127.0.0.1";
    o.contact_host = bad[i].host;
    o.contact_port = bad[i].port;
    sipspec_server *srv = NULL;
    char err[SIPSPEC_ERR_LEN] = "";
    CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
    CU_ASSERT_PTR_NULL(srv);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, bad[i].says));
    sipspec_server_destroy(srv);
  }
  /* an IPv6 literal is accepted (and written in brackets) */
  sipspec_server_opts o;
  sipspec_server_opts_init(&o);
  o.listen_host = "127.0.0.1";
  o.contact_host = "::1";
  o.contact_port = 5070;
  sipspec_server *srv = NULL;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_server_create(loop, &o, &srv, err, sizeof err);
  /* An ephemeral UDP port whose TCP twin another process holds: draw another (bounded). */
  for (int i = 0; i < 8 && rc == SIPSPEC_E_BIND; i++) rc = sipspec_server_create(loop, &o, &srv, err, sizeof err);
  if (rc) fprintf(stderr, "server: %s\n", err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  sipspec_server_destroy(srv);
  ev_loop_destroy(loop);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK) return 2;
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("server_loss_udp", NULL, NULL);
  CU_add_test(s, "call_through_loss", call_through_loss);
  CU_add_test(s, "contact_opts_refused", contact_opts_refused);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return failed || run == 0 ? 1 : 0;
}
