/* test_reentry.c: the application may call the session API from inside any of the session's
 * callbacks. A user agent and the embedded server on one loop, on a virtual clock with the
 * RFC's timer values, over UDP and TCP:
 *   - from on_answered: add a resource (re-INVITE) and send a keep-alive: both are queued
 *     (SIPSPEC_OK) and go out once the callback has returned, in order: the re-INVITE gets
 *     its 200 (on_updated with the recorder), the OPTIONS its 200 (on_keepalive);
 *   - a second re-INVITE asked for in the same callback is refused when its turn comes (the
 *     first is still pending, RFC 3261 14.1): on_updated reports it with status 0 and a
 *     reason, and the session goes on;
 *   - a ninth call in one callback is refused with SIPSPEC_E_AGAIN (eight wait at most), and
 *     a keep-alive that would take the session's last transaction slot is refused when its
 *     turn comes (on_keepalive, status 0): the slot stays for the BYE;
 *   - from on_updated: end the session: BYE, on_terminated (local).
 */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "netutil.h"
#include "sipspec/clock.h"
#include "sipspec/error.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

typedef struct rt {
  struct ev_loop *loop;
  sipspec_clock *clock;
  sipspec_ua *ua;
  sipspec_server *srv;
  sipspec_session *s;
  int answered, updated_ok, updated_refused, terminated;
  sipspec_end_reason end_by;
  int rc_add, rc_keepalive, rc_second, rc_ninth, rc_end;
  int has_recorder;
  char refused_reason[200];
  int invites, options, byes; /* requests the server saw (trace) */
  int ka_ok, ka_refused;
  char ka_reason[200];
} rt;

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
                        void *user) {
  rt *r = user;
  (void)answer, (void)sdp, (void)sdp_len;
  r->answered++;
  r->rc_add = sipspec_session_add_resource(s, SIPSPEC_MRCP_RECORDER);
  r->rc_keepalive = sipspec_session_keepalive(s);
  r->rc_second = sipspec_session_add_resource(s, SIPSPEC_MRCP_SPEAKVERIFY);
  /* fill the queue: five more keep-alives make eight; the ninth call is refused */
  for (int i = 0; i < 5; i++) CU_ASSERT_EQUAL(sipspec_session_keepalive(s), SIPSPEC_OK);
  r->rc_ninth = sipspec_session_keepalive(s);
}

static void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *answer,
                       void *user) {
  rt *r = user;
  if (info->status == 0) {
    r->updated_refused++;
    snprintf(r->refused_reason, sizeof r->refused_reason, "%s", info->reason ? info->reason : "");
    return;
  }
  if (info->status == 200 && answer) {
    r->updated_ok++;
    for (size_t i = 0; i < answer->nchannels; i++)
      if (answer->channels[i].resource == SIPSPEC_MRCP_RECORDER && !answer->channels[i].rejected) r->has_recorder = 1;
    r->rc_end = sipspec_session_end(s); /* from inside on_updated */
  }
}

static void on_keepalive(sipspec_session *s, const sipspec_response_info *info, void *user) {
  rt *r = user;
  (void)s;
  if (info->status == 200) r->ka_ok++;
  if (info->status == 0) {
    r->ka_refused++;
    snprintf(r->ka_reason, sizeof r->ka_reason, "%s", info->reason ? info->reason : "");
  }
}

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  rt *r = user;
  (void)s;
  r->terminated++;
  r->end_by = by;
}

static void srv_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
                      const char *data, size_t len) {
  rt *r = user;
  (void)kind, (void)peer;
  if (strcmp(dir, "recv") != 0) return;
  if (len > 7 && !memcmp(data, "INVITE ", 7)) r->invites++;
  if (len > 8 && !memcmp(data, "OPTIONS ", 8)) r->options++;
  if (len > 4 && !memcmp(data, "BYE ", 4)) r->byes++;
}

static int cond_terminated(void *arg) { return ((rt *)arg)->terminated > 0; }

static void run(sipspec_tp_kind kind) {
  rt r;
  memset(&r, 0, sizeof r);
  r.loop = ev_loop_new(EVFLAG_AUTO);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r.loop);
  r.clock = sipspec_clock_virtual_new(r.loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r.clock);
  tst_use_clock(r.clock);
  char err[SIPSPEC_ERR_LEN] = "";

  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.cfg.transport = kind;
  so.listen_host = "127.0.0.1";
  so.trace = srv_trace;
  so.trace_user = &r;
  so.clock = r.clock;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_create(r.loop, &so, &r.srv, err, sizeof err), SIPSPEC_OK);

  sipspec_ua_opts uo;
  sipspec_ua_opts_init(&uo);
  uo.cfg.transport = kind;
  uo.bind_host = "127.0.0.1";
  uo.clock = r.clock;
  CU_ASSERT_EQUAL_FATAL(sipspec_ua_create(r.loop, &uo, &r.ua, err, sizeof err), SIPSPEC_OK);

  sipspec_sockaddr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(r.srv, kind, &a), SIPSPEC_OK);
  char hp[SIPSPEC_SOCKADDR_STRLEN], target[128];
  snprintf(target, sizeof target, "sip:mresources@%s", sipspec_sockaddr_format(&a, hp, sizeof hp));
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.resources[0] = SIPSPEC_MRCP_SPEECHRECOG;
  d.nresources = 1;
  d.rtp_port = 5004;
  sipspec_session_opts o;
  sipspec_session_opts_init(&o);
  o.target = target;
  o.offer = &d;
  o.cb.on_answered = on_answered;
  o.cb.on_updated = on_updated;
  o.cb.on_keepalive = on_keepalive;
  o.cb.on_terminated = on_terminated;
  o.cb.user = &r;
  CU_ASSERT_EQUAL_FATAL(sipspec_session_start(r.ua, &o, &r.s), SIPSPEC_OK);

  CU_ASSERT_TRUE(tst_run_until(r.loop, cond_terminated, &r, 120.0));
  CU_ASSERT_EQUAL(r.answered, 1);
  CU_ASSERT_EQUAL(r.rc_add, SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.rc_keepalive, SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.rc_second, SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.rc_ninth, SIPSPEC_E_AGAIN);
  CU_ASSERT_EQUAL(r.updated_ok, 1);
  CU_ASSERT_TRUE(r.has_recorder);
  CU_ASSERT_EQUAL(r.updated_refused, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.refused_reason, "re-INVITE not sent"));
  /* eight transaction slots: the INVITE (Timer M), the re-INVITE and five OPTIONS; the last
   * free one is kept for the BYE, so the sixth keep-alive is refused when its turn comes */
  CU_ASSERT_EQUAL(r.ka_ok, 5);
  CU_ASSERT_EQUAL(r.ka_refused, 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.ka_reason, "keep-alive not sent"));
  CU_ASSERT_EQUAL(r.rc_end, SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.terminated, 1);
  CU_ASSERT_EQUAL(r.end_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL(r.invites, 2); /* the INVITE and the one re-INVITE */
  CU_ASSERT_EQUAL(r.options, 5);
  CU_ASSERT_EQUAL(r.byes, 1);

  sipspec_ua_destroy(r.ua);
  sipspec_server_destroy(r.srv);
  tst_use_clock(NULL);
  sipspec_clock_free(r.clock);
  ev_loop_destroy(r.loop);
}

static void reentry_udp(void) { run(SIPSPEC_TP_UDP); }
static void reentry_tcp(void) { run(SIPSPEC_TP_TCP); }

static const tst_case TESTS[] = {
    {"API calls from inside callbacks are queued and run after them (UDP)", reentry_udp},
    {"API calls from inside callbacks are queued and run after them (TCP)", reentry_tcp},
    {NULL, NULL}};

int main(void) { return tst_main("reentry", TESTS); }
