/* ua_fixture.h: the fixture of the user agent tests (test_ua*.c): a user agent on a virtual
 * clock against a scripted peer on 127.0.0.1 (peer.c), the callbacks it records, and the
 * helpers that drive a call. */
#ifndef SIPSPEC_TESTS_UA_FIXTURE_H
#define SIPSPEC_TESTS_UA_FIXTURE_H

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netutil.h"
#include "peer.h"
#include "sipspec/coverage.h"
#include "sipspec/digest_msg.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

/* RFC 3261's timer values: sipspec_config_init()'s, which every user agent here uses. */
#define T1_MS 500u
#define T2_MS 4000u
#define T4_MS 5000u

typedef struct fx {
  struct ev_loop *loop;
  sipspec_clock *clk; /* virtual: every timer of the test runs on it */
  sipspec_ua *ua;
  peer p;
  sipspec_session *s;
  int n_prov, n_answered, n_failed, n_updated, n_keepalive, n_term;
  int prov_status[64];
  sipspec_result result;
  int failed_status;
  char failed_reason[256];
  int updated_status;
  size_t updated_channels;
  int keepalive_status;
  sipspec_end_reason end_by;
  size_t answered_channels;
  int end_in_provisional; /* call sipspec_session_end() from on_provisional */
  unsigned answer_timeout_ms;
  /* the trace (fx_open_traced): direction, start line and CSeq of each message */
  int n_trace;
  struct {
    char dir[8];
    char line[96];
    char cseq[48];
    sipspec_tp_kind kind;
    int auth;  /* carries Authorization or Proxy-Authorization */
    int stale; /* a challenge with stale=true */
    char agent[64]; /* the User-Agent value, else the Server value, else "" */
  } trace[256];
  int term_status; /* sipspec_session_status() in on_terminated */
  uint64_t term_at; /* tst_now_ms() in on_terminated */
} fx;

/* Session options toward sip:mresources@host:port offering one resource (RTP port 4000),
 * with the fixture's callbacks; so points into the struct, which must not be copied. */
typedef struct call_opts {
  sipspec_mrcp_offer_desc d;
  char target[128];
  sipspec_session_opts so;
} call_opts;

typedef struct find_arg {
  peer *p;
  const char *prefix;
  int k;
} find_arg;

extern int use_tcp;
extern const char *hosts_file;
extern unsigned fx_session_expires;
extern unsigned fx_min_se;
extern const char *target_host;
extern char contact_200[128];

void on_trace(void *u, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *from, const char *data,
                     size_t len);
int trace_count(const fx *f, const char *dir, const char *prefix, const char *cseq);
void on_prov(sipspec_session *s, int status, const char *reason, void *u);
void on_answered(sipspec_session *s, const sipspec_mrcp_answer *a, const char *sdp, size_t len, void *u);
void on_failed(sipspec_session *s, sipspec_result r, const sipspec_response_info *info, void *u);
void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *a, void *u);
void on_keepalive(sipspec_session *s, const sipspec_response_info *info, void *u);
void on_term(sipspec_session *s, sipspec_end_reason by, void *u);
void fx_loop(fx *f, int tcp);
void fx_open_ua(fx *f, int with_auth, int with_trace, const char *user_agent);
void fx_open_opts(fx *f, int with_auth, int with_trace);
void fx_open(fx *f, int with_auth);
void fx_close(fx *f);
void call_opts_init(call_opts *c, fx *f, const char *host, unsigned port, sipspec_mrcp_resource res);
int fx_start_port(fx *f, unsigned port, unsigned keepalive_ms, sipspec_mrcp_resource res);
int fx_start_opts(fx *f, unsigned keepalive_ms, sipspec_mrcp_resource res);
void fx_start(fx *f);
const char *answer_for(fx *f, int i);
sipspec_digest_server_t *alice_verifier(void);
void make_challenge(sipspec_digest_server_t *srv, char *lines, size_t cap);
void expect_credentials(sipspec_digest_server_t *srv, const sipspec_msg *m);
void reply_200(fx *f, int i, const char *tag);
void reply_200_contact(fx *f, int i, const char *tag, const char *user);
int term_done(void *a);
int run_until_term(fx *f, double s);
int found(void *a);
int wait_for(fx *f, const char *prefix, int k, double max_s);
int expect_msg(fx *f, const char *prefix, int k, double max_s);
int start_call(fx *f);
int establish(fx *f);
int ring_then_cancel(fx *f, int *inv);
int send_bye(fx *f);
void reply_until_term(fx *f, int i, int status);
int end_call(fx *f);
int expect_on(peer *q, int n, const char *prefix);
void end_call_tcp(fx *f, peer *q);
void test_normal_call(void);
void test_ringing_many(void);
void test_immediate_4xx(void);
void test_invite_timeout(void);
void test_2xx_retransmitted(void);
void test_server_bye(void);
void test_cancel_ringing(void);
void test_bye_481(void);
void test_bye_timer_f(void);
void test_unknown_dialog_481(void);
void test_reinvite_add_remove(void);
void test_options_keepalive(void);
void test_digest_retry(void);
void test_digest_no_credentials(void);
void test_tcp_refused(void);
void test_tcp_reset(void);
void test_bad_options(void);
void test_resolve_name(void);
void test_answer_timer(void);
void test_end_before_provisional(void);
void test_cancel_unanswered(void);
void test_bad_answer(void);
void test_2xx_races_cancel(void);
void test_reject_after_ringing(void);
void test_keepalive_unanswered(void);
void client_dialog_ids(fx *f, int inv, char *tag, size_t tag_cap, char *cid, size_t cid_cap);
void send_server_bye(fx *f, int inv, unsigned cseq, const char *branch);
void test_trace_everything(void);
void test_reinvite_target_refresh(void);
int count_lines(const char *text, const char *prefix);
void test_reinvite_refused_rolls_back(void);
void test_reinvite_digest_retry(void);
void test_reinvite_challenge_no_credentials(void);
void test_reinvite_491_retried_once(void);
void test_fork_2xx(void);
void test_fork_early_then_other_2xx(void);
void tcp_peer_on_udp_port(fx *f, peer *q);
void test_big_invite_switches_to_tcp(void);
int fx_start_extra(fx *f, const char *extra);
void test_retry_over_udp_max_size_switches_to_tcp(void);
void test_big_reinvite_switches_to_tcp(void);
void send_server_request(fx *f, const char *method, int inv, unsigned cseq, const char *branch,
                                const char *sdp);
void send_server_reinvite(fx *f, int inv, unsigned cseq, const char *branch, const char *sdp);
void test_server_reinvite(void);
int find_all(fx *f, const char *prefix, const char *cseq, int *out, int max);
int have_copies(void *a);
int wait_copies(fx *f, const char *prefix, const char *cseq, int n, double max_s);
void test_server_reinvite_2xx_until_ack(void);
void test_reinvites_cross(void);
void test_server_reinvite_no_ack_bye(void);
void test_auth_retry_after_ringing(void);
void test_auth_failed_after_ringing(void);
void test_end_before_provisional_final(void);
void test_end_before_provisional_timer_b(void);
void test_provisional_while_cancelling(void);
int sent_byes(const fx *f, int *idx, int max);
unsigned cseq_num(const char *cseq);
int server_no_dialog(void *a);
int answered_or_ended(void *a);
void test_bye_challenged_stale_nonce(void);
void test_bye_challenged_retry(void);
void test_bye_challenged_twice(void);
void test_bye_challenged_no_credentials(void);
void test_bye_500(void);
void test_bye_crossing(void);
void test_tcp_reset_in_each_state(void);
uint64_t reply_200_timer(fx *f, int inv, const char *se, const char *allow);
void send_server_update(fx *f, int inv, unsigned cseq, const char *branch, const char *extra, const char *sdp);
void test_st_refresh_by_update(void);
void test_st_refresh_by_reinvite(void);
void test_st_peer_refreshes_then_expires(void);
void test_st_422_retry_then_fail(void);
void test_st_422_retry_then_200(void);
int st_until_update_auth(fx *f, int *u, int with_auth);
int st_until_update(fx *f, int *u);
void test_st_refresh_422(void);
void test_st_refresh_digest(void);
void test_st_peer_min_se_kept(void);
void test_st_491_glare(void);
void test_st_491_twice(void);
void test_st_503_retry_after(void);
void test_st_refresh_408_481(void);
void test_st_refresh_unanswered(void);
void test_st_not_asked(void);
void test_failover_addresses(void);

#endif
