/* sc_fixture.h: the fixture of the client-against-server scenarios (test_scenarios.c,
 * test_scenarios_auth.c): a user agent and the embedded server on one loop and virtual clock,
 * what each side saw (callbacks and traces), and the helpers that set up and run a call. */
#ifndef SIPSPEC_TESTS_SC_FIXTURE_H
#define SIPSPEC_TESTS_SC_FIXTURE_H

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netutil.h"
#include "relay.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

#define T1 SIPSPEC_DEFAULT_T1_MS
/* The watchdog of every run, in virtual seconds (free): past every timer of a scenario. */
#define RUN_MAX_S 600.0
#define HOLD_MS 2000u /* the client ends an answered session this long after the answer */

/* The transport the running suite uses. */
extern sipspec_tp_kind g_kind;

/* Events of each kind a scenario records at most. */
#define EV_MAX 64

typedef struct sc {
  struct ev_loop *loop;
  sipspec_clock *clock;         /* virtual; the UA's, the server's and the tst_run_* calls' */
  sipspec_server *srv;
  sipspec_ua *ua;
  sipspec_session *s;
  relay *rel;
  /* client callbacks */
  int n_prov, prov_status[EV_MAX];
  int answered, failed, terminated;
  sipspec_result fail_result, result;
  int fail_status, status;
  sipspec_end_reason ended_by;
  sipspec_mrcp_answer answer;
  int end_on_first_provisional; /* CANCEL while ringing */
  unsigned hold_ms;             /* end this long after the answer; 0: never (peer ends) */
  sipspec_clock_timer hold;
  uint64_t answered_at, failed_at, terminated_at; /* virtual ms */
  /* server events */
  int n_srv_ev;
  sipspec_server_event srv_ev[EV_MAX];
  int srv_ev_status[EV_MAX];
  /* failure details */
  char fail_warning[256], fail_reason[256];
  /* re-INVITE script: the steps run one by one from a zero-delay timer, after on_answered
   * and after each on_updated (the session refuses them from inside its callbacks) */
  const struct sc_step *steps;
  int nsteps, next_step;
  unsigned first_step_delay_ms;
  sipspec_clock_timer step;
  int n_updated, upd_status[EV_MAX];
  sipspec_mrcp_answer upd_answer[4];
  int upd_has_answer[4];
  /* the server's last answer as it sent it, parsed against the offer it received: [0] when
   * the session was answered, [k + 1] when re-INVITE k was */
  sipspec_mrcp_answer srv_view[5];
  int srv_view_ok[5];
  /* what went over the wire (traces) */
  uint32_t invite_cseq[EV_MAX]; /* distinct CSeq numbers of the INVITEs the client sent */
  int n_invite_cseq;
  char last_invite_auth[2048];  /* the credentials line of the last INVITE the client sent */
  int last_invite_auth_proxy;   /* ... was Proxy-Authorization */
  int n_bye_sent, n_bye_with_auth; /* BYEs the client sent (retransmissions too), with credentials */
  char srv_last_offer[4096];    /* the last INVITE body the server received ... */
  char srv_last_answer[4096];   /* ... and the last 2xx-to-INVITE body it sent */
  int n_srv_answers;
} sc;

/* One scripted change of an established session: add or remove a resource, or end. */
typedef struct sc_step {
  enum { STEP_ADD, STEP_REMOVE, STEP_END } op;
  sipspec_mrcp_resource res;
} sc_step;

/* The scenario running now: the callbacks assert they belong to it. */
extern sc *g;

void hold_cb(sipspec_clock_timer *w, void *arg);
void on_provisional(sipspec_session *s, int status, const char *reason, void *user);
void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
                        void *user);
void on_failed(sipspec_session *s, sipspec_result result, const sipspec_response_info *info, void *user);
void take_srv_view(sc *c, int k);
void step_cb(sipspec_clock_timer *w, void *arg);
void schedule_step(sc *c);
void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *answer,
                       void *user);
void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user);
void on_server_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status,
                            void *user);
int msg_header(const char *data, size_t len, const char *name, char *out, size_t cap);
void msg_body(const char *data, size_t len, char *out, size_t cap);
int starts(const char *data, size_t len, const char *prefix);
void ua_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
                     const char *data, size_t len);
void srv_trace(void *user, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *peer,
                      const char *data, size_t len);
int srv_saw(const sc *c, sipspec_server_event ev);
void cfg_init(sipspec_config *cfg, sipspec_tp_kind kind);
void sc_open(sc *c);
void sc_server(sc *c, sipspec_server_opts *o);
void sc_ua_auth(sc *c, const sipspec_digest_cred_entry *cred, unsigned max_challenges);
void sc_ua(sc *c);
void sc_call_res(sc *c, const sipspec_sockaddr *addr, const sipspec_mrcp_resource *res, size_t n);
void sc_call(sc *c, const sipspec_sockaddr *addr);
void sc_call_server_res(sc *c, const sipspec_mrcp_resource *res, size_t n);
void sc_call_server(sc *c);
int cond_terminated(void *arg);
int cond_done(void *arg);
void sc_close(sc *c);
const sipspec_telemetry *tel(const sc *c);
void check_normal_answer(const sc *c);
void test_normal_call(void);
void test_ring_many(void);
void test_reject_486(void);
void test_invite_timeout(void);
void test_server_bye(void);
void test_cancel_ringing(void);
void test_bye_481(void);
void test_loss(void);
size_t active_channels(const sipspec_mrcp_answer *a);
void check_same_view(const sipspec_mrcp_answer *cl, const sipspec_mrcp_answer *sv);
void test_reinvite_add_remove(void);
void test_488_warning(void);
int auth_param(const char *line, const char *name, char *out, size_t cap);
void sc_auth_server(sc *c, int proxy, sipspec_digest_alg alg, unsigned qop, unsigned lifetime_ms);
void digest_call(sipspec_digest_alg alg, sipspec_digest_qop qop, int proxy);
void test_digest_matrix(void);
void test_digest_wrong_password(void);
void test_digest_stale_reinvite(void);

#endif
