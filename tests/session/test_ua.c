/* test_ua.c: the user agent and its MRCP client sessions (sipspec/ua.h) against a scripted
 * peer on 127.0.0.1 (tests/session/peer.c). Each test asserts the exact messages the client
 * sends and the callbacks and counters it reports. Run over UDP and over TCP
 * (SIPSPEC_TEST_TCP=1 selects TCP, see CMakeLists.txt). Every loop run is bounded.
 *
 * Time is virtual: each fixture runs its loop on a virtual clock that the user agent (and
 * the embedded server) share with the peer's timestamps, so the RFC's timer values are used
 * (T1 = 500 ms, T2 = 4 s, T4 = 5 s, Timer B/F = 64*T1 = 32 s) and the times the stack's
 * schedule fixes are asserted exactly, in virtual milliseconds. */
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

static int use_tcp;

/* ---- fixture ------------------------------------------------------------------------------- */

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

static void on_trace(void *u, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *from, const char *data,
                     size_t len) {
  fx *f = u;
  (void)from;
  if (f->n_trace >= 256) return;
  CU_ASSERT_TRUE(!strcmp(dir, "send") || !strcmp(dir, "recv"));
  snprintf(f->trace[f->n_trace].dir, sizeof f->trace[0].dir, "%s", dir);
  f->trace[f->n_trace].kind = kind;
  size_t n = 0;
  while (n < len && n < sizeof f->trace[0].line - 1 && data[n] != '\r') n++;
  memcpy(f->trace[f->n_trace].line, data, n);
  f->trace[f->n_trace].line[n] = '\0';
  f->trace[f->n_trace].cseq[0] = '\0';
  f->trace[f->n_trace].auth = 0;
  f->trace[f->n_trace].stale = 0;
  f->trace[f->n_trace].agent[0] = '\0';
  sipspec_msg *m;
  if (sipspec_msg_create(&m, NULL) == SIPSPEC_OK) {
    if (sipspec_msg_parse(m, data, len) == SIPSPEC_OK) {
      long h = sipspec_msg_find(m, "CSeq", 0);
      sipspec_header hd;
      if (h >= 0 && sipspec_msg_header(m, (size_t)h, &hd) == SIPSPEC_OK)
        snprintf(f->trace[f->n_trace].cseq, sizeof f->trace[0].cseq, "%.*s", (int)hd.value.len, hd.value.p);
      f->trace[f->n_trace].auth =
          sipspec_msg_find(m, "Authorization", 0) >= 0 || sipspec_msg_find(m, "Proxy-Authorization", 0) >= 0;
      long ag = sipspec_msg_find(m, "User-Agent", 0);
      if (ag < 0) ag = sipspec_msg_find(m, "Server", 0);
      if (ag >= 0 && sipspec_msg_header(m, (size_t)ag, &hd) == SIPSPEC_OK)
        snprintf(f->trace[f->n_trace].agent, sizeof f->trace[0].agent, "%.*s", (int)hd.value.len, hd.value.p);
      static const char *const challenges[] = {"WWW-Authenticate", "Proxy-Authenticate"};
      for (size_t c = 0; c < 2; c++)
        for (long i = sipspec_msg_find(m, challenges[c], 0); i >= 0; i = sipspec_msg_find(m, challenges[c], (size_t)i + 1)) {
          if (sipspec_msg_header(m, (size_t)i, &hd) != SIPSPEC_OK) break;
          for (size_t j = 0; j + 10 <= hd.value.len; j++)
            if (!strncasecmp(hd.value.p + j, "stale=true", 10)) f->trace[f->n_trace].stale = 1;
        }
    }
    sipspec_msg_destroy(m);
  }
  f->n_trace++;
}

/* Trace entries in direction dir whose start line begins with prefix and whose CSeq is
 * cseq (NULL: any). */
static int trace_count(const fx *f, const char *dir, const char *prefix, const char *cseq) {
  int c = 0;
  for (int i = 0; i < f->n_trace; i++)
    c += !strcmp(f->trace[i].dir, dir) && !strncmp(f->trace[i].line, prefix, strlen(prefix)) &&
         (!cseq || !strcmp(f->trace[i].cseq, cseq));
  return c;
}

static void on_prov(sipspec_session *s, int status, const char *reason, void *u) {
  fx *f = u;
  (void)reason;
  if (f->n_prov < 64) f->prov_status[f->n_prov] = status;
  f->n_prov++;
  if (f->end_in_provisional) CU_ASSERT_EQUAL(sipspec_session_end(s), SIPSPEC_OK);
}
static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *a, const char *sdp, size_t len, void *u) {
  fx *f = u;
  (void)s, (void)sdp, (void)len;
  f->n_answered++;
  f->answered_channels = a ? a->nchannels : 0;
}
static void on_failed(sipspec_session *s, sipspec_result r, const sipspec_response_info *info, void *u) {
  fx *f = u;
  (void)s;
  f->n_failed++;
  f->result = r;
  f->failed_status = info->status;
  snprintf(f->failed_reason, sizeof f->failed_reason, "%s", info->reason ? info->reason : "");
}
static void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *a, void *u) {
  fx *f = u;
  (void)s;
  f->n_updated++;
  f->updated_status = info->status;
  f->updated_channels = a ? a->nchannels : 0;
}
static void on_keepalive(sipspec_session *s, const sipspec_response_info *info, void *u) {
  fx *f = u;
  (void)s;
  f->n_keepalive++;
  f->keepalive_status = info->status;
}
static void on_term(sipspec_session *s, sipspec_end_reason by, void *u) {
  fx *f = u;
  (void)s;
  f->n_term++;
  f->end_by = by;
  f->term_status = sipspec_session_status(s);
  f->term_at = tst_now_ms(f->loop);
  f->s = NULL;
}

static sipspec_digest_cred_entry creds[] = {{NULL, "alice", "secret"}};

static const char *hosts_file;

/* MRCP_SIP_SESSION_EXPIRES and MRCP_SIP_MIN_SE of the next fixture (the session timer tests
 * set them; every fixture starts from the defaults otherwise). */
static unsigned fx_session_expires = SIPSPEC_DEFAULT_SESSION_EXPIRES, fx_min_se = SIPSPEC_DEFAULT_MIN_SE;

/* A fresh fixture: its loop, the virtual clock the test's runs use, and the peer (over
 * TCP when tcp). */
static void fx_loop(fx *f, int tcp) {
  memset(f, 0, sizeof *f);
  f->loop = ev_loop_new(EVFLAG_AUTO);
  f->clk = sipspec_clock_virtual_new(f->loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->clk);
  tst_use_clock(f->clk);
  peer_open(&f->p, f->loop, tcp);
}

/* user_agent NULL: the library's default. The timers are the RFC's (sipspec_config_init). */
static void fx_open_ua(fx *f, int with_auth, int with_trace, const char *user_agent) {
  fx_loop(f, use_tcp);
  sipspec_ua_opts o;
  sipspec_ua_opts_init(&o);
  CU_ASSERT_EQUAL(o.cfg.t1_ms, T1_MS);
  CU_ASSERT_EQUAL(o.cfg.t2_ms, T2_MS);
  CU_ASSERT_EQUAL(o.cfg.t4_ms, T4_MS);
  o.clock = f->clk;
  o.cfg.transport = use_tcp ? SIPSPEC_TP_TCP : SIPSPEC_TP_UDP;
  o.cfg.session_expires_s = fx_session_expires;
  o.cfg.min_se_s = fx_min_se;
  fx_session_expires = SIPSPEC_DEFAULT_SESSION_EXPIRES;
  fx_min_se = SIPSPEC_DEFAULT_MIN_SE;
  o.bind_host = "127.0.0.1";
  o.from_user = "client";
  o.user_agent = user_agent;
  o.hosts_path = hosts_file;
  strcpy(o.cfg.dns_servers, "none"); /* names come from the test's hosts file only */
  if (with_auth) {
    o.auth.table = creds;
    o.auth.table_len = 1;
  }
  if (with_trace) {
    o.trace = on_trace;
    o.trace_user = f;
  }
  char err[256] = "";
  int rc = sipspec_ua_create(f->loop, &o, &f->ua, err, sizeof err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
}

static void fx_open_opts(fx *f, int with_auth, int with_trace) {
  fx_open_ua(f, with_auth, with_trace, "sipspec-test");
}

static void fx_open(fx *f, int with_auth) { fx_open_opts(f, with_auth, 0); }

static void fx_close(fx *f) {
  sipspec_ua_destroy(f->ua);
  peer_close(&f->p);
  tst_use_clock(NULL);
  sipspec_clock_free(f->clk);
  ev_loop_destroy(f->loop);
}

static const char *target_host = "127.0.0.1";

/* Session options toward sip:mresources@host:port offering one resource (RTP port 4000),
 * with the fixture's callbacks; so points into the struct, which must not be copied. */
typedef struct call_opts {
  sipspec_mrcp_offer_desc d;
  char target[128];
  sipspec_session_opts so;
} call_opts;

static void call_opts_init(call_opts *c, fx *f, const char *host, unsigned port, sipspec_mrcp_resource res) {
  sipspec_mrcp_offer_desc_init(&c->d);
  c->d.resources[0] = res;
  c->d.nresources = 1;
  c->d.rtp_port = 4000;
  snprintf(c->target, sizeof c->target, "sip:mresources@%s:%u", host, port);
  sipspec_session_opts_init(&c->so);
  c->so.target = c->target;
  c->so.offer = &c->d;
  sipspec_session_callbacks cb = {on_prov, on_answered, on_failed, on_updated, on_keepalive, on_term, f};
  c->so.cb = cb;
}

static int fx_start_port(fx *f, unsigned port, unsigned keepalive_ms, sipspec_mrcp_resource res) {
  call_opts c;
  call_opts_init(&c, f, target_host, port, res);
  c.so.keepalive_ms = keepalive_ms;
  c.so.answer_timeout_ms = f->answer_timeout_ms;
  return sipspec_session_start(f->ua, &c.so, &f->s);
}

static int fx_start_opts(fx *f, unsigned keepalive_ms, sipspec_mrcp_resource res) {
  return fx_start_port(f, f->p.port, keepalive_ms, res);
}

static void fx_start(fx *f) {
  CU_ASSERT_EQUAL_FATAL(fx_start_opts(f, 0, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
}

/* The MRCP answer to the offer in request i, made by the library's server side. */
static const char *answer_for(fx *f, int i) {
  static char sdp[4096];
  const sipspec_msg *m = peer_parse(&f->p, i);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  sipspec_span body = sipspec_msg_body(m);
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "127.0.0.1";
  c.mrcp_port = 1544;
  c.rtp_port = 5000;
  c.session_id = "32AECB23";
  size_t len = 0;
  sipspec_sdp_error e;
  int rc = sipspec_mrcp_server_answer(&c, body.p, body.len, sdp, sizeof sdp - 1, &len, &e);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  sdp[len] = '\0';
  return sdp;
}

/* The library's Digest verifier for realm "sipspec", user alice, password secret (the
 * credentials fx_open(..., with_auth 1) gives the user agent). */
static sipspec_digest_server_t *alice_verifier(void) {
  sipspec_digest_server_config sc;
  sipspec_digest_server_config_init(&sc);
  sc.realm = "sipspec";
  sc.username = "alice";
  sc.password = "secret";
  sipspec_digest_server_t *srv = NULL;
  char why[256];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_create(&sc, &srv, why, sizeof why), SIPSPEC_OK);
  return srv;
}

/* A challenge from the library's verifier, formatted as header lines. */
static void make_challenge(sipspec_digest_server_t *srv, char *lines, size_t cap) {
  sipspec_digest_headers ch;
  CU_ASSERT_EQUAL(sipspec_digest_server_challenge(srv, false, &ch), SIPSPEC_OK);
  lines[0] = '\0';
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&ch, SIPSPEC_DIGEST_CHALLENGES, lines, cap), SIPSPEC_OK);
}

/* Asserts that message m carries Authorization credentials srv accepts. */
static void expect_credentials(sipspec_digest_server_t *srv, const sipspec_msg *m) {
  char why[256];
  sipspec_digest_msg_scratch *scratch = malloc(sizeof *scratch);
  CU_ASSERT_PTR_NOT_NULL_FATAL(scratch);
  CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, "sipspec", m, scratch, why, sizeof why), SIPSPEC_OK);
  free(scratch);
}

static char contact_200[128];
static void reply_200(fx *f, int i, const char *tag) {
  snprintf(contact_200, sizeof contact_200, "Contact: <sip:srv@127.0.0.1:%u%s>\r\nContent-Type: application/sdp\r\n",
           f->p.port, use_tcp ? ";transport=tcp" : "");
  peer_reply(&f->p, i, 200, tag, contact_200, answer_for(f, i));
}

/* A 200 with the answer to request i and Contact user@127.0.0.1:<peer port>. */
static void reply_200_contact(fx *f, int i, const char *tag, const char *user) {
  char extra[256];
  snprintf(extra, sizeof extra, "Contact: <sip:%s@127.0.0.1:%u%s>\r\nContent-Type: application/sdp\r\n", user,
           f->p.port, use_tcp ? ";transport=tcp" : "");
  peer_reply(&f->p, i, 200, tag, extra, answer_for(f, i));
}

static int term_done(void *a) { return ((fx *)a)->n_term > 0; }
static int run_until_term(fx *f, double s) { return tst_run_until(f->loop, term_done, f, s); }

typedef struct find_arg {
  peer *p;
  const char *prefix;
  int k;
} find_arg;
static int found(void *a) {
  find_arg *w = a;
  return peer_find(w->p, w->prefix, w->k) >= 0;
}

/* Runs until the k-th message starting with prefix arrived (the time stops there); returns
 * its index or -1. */
static int wait_for(fx *f, const char *prefix, int k, double max_s) {
  find_arg w = {&f->p, prefix, k};
  (void)tst_run_until(f->loop, found, &w, max_s);
  return peer_find(&f->p, prefix, k);
}

/* wait_for() that ends the test when the message does not come; its index. */
static int expect_msg(fx *f, const char *prefix, int k, double max_s) {
  int i = wait_for(f, prefix, k, max_s);
  CU_ASSERT_FATAL(i >= 0);
  return i;
}

/* Starts the session (speechsynth, no keep-alive) and waits for its first INVITE; its index. */
static int start_call(fx *f) {
  fx_start(f);
  return expect_msg(f, "INVITE ", 0, 5);
}

/* Established session: INVITE, 180, 200; returns the INVITE index. */
static int establish(fx *f) {
  int inv = start_call(f);
  peer_reply(&f->p, inv, 180, "srvtag", NULL, NULL);
  reply_200(f, inv, "srvtag");
  CU_ASSERT_FATAL(wait_for(f, "ACK ", 0, 5) >= 0);
  tst_run_for(f->loop, 0.02);
  CU_ASSERT_EQUAL(f->n_answered, 1);
  return inv;
}

/* The application ends the session from on_provisional: INVITE, 180 (To tag srvtag), and
 * the CANCEL that follows; the CANCEL's index, the INVITE's in *inv. */
static int ring_then_cancel(fx *f, int *inv) {
  f->end_in_provisional = 1;
  *inv = start_call(f);
  peer_reply(&f->p, *inv, 180, "srvtag", NULL, NULL);
  return expect_msg(f, "CANCEL ", 0, 5);
}

/* The application ends the session; the index of its first BYE. */
static int send_bye(fx *f) {
  CU_ASSERT_EQUAL(sipspec_session_end(f->s), SIPSPEC_OK);
  return expect_msg(f, "BYE ", 0, 5);
}

/* Answers request i with a bare status and runs until the session has ended (at most 5 s). */
static void reply_until_term(fx *f, int i, int status) {
  peer_reply(&f->p, i, status, NULL, NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(f, 5));
}

/* The application ends the established session: BYE (the first one), 200 for it, and the
 * session ends local. Returns the BYE's index. */
static int end_call(fx *f) {
  int bye = send_bye(f);
  reply_until_term(f, bye, 200);
  CU_ASSERT_EQUAL(f->end_by, SIPSPEC_END_LOCAL);
  return bye;
}

/* Runs until peer q holds n messages (at most 5 s); the index of the first starting with
 * prefix, which must be there. */
static int expect_on(peer *q, int n, const char *prefix) {
  CU_ASSERT_TRUE(peer_wait(q, n, 5));
  int i = peer_find(q, prefix, 0);
  CU_ASSERT_FATAL(i >= 0);
  return i;
}

/* end_call() for a session that runs over TCP peer q, the BYE its third message: the BYE
 * has a TCP Via, gets 200, and the session ends local. */
static void end_call_tcp(fx *f, peer *q) {
  CU_ASSERT_EQUAL(sipspec_session_end(f->s), SIPSPEC_OK);
  int bye = expect_on(q, 3, "BYE ");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(q, bye, "Via"), "SIP/2.0/TCP "));
  peer_reply(q, bye, 200, NULL, NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(f, 5));
  CU_ASSERT_EQUAL(f->end_by, SIPSPEC_END_LOCAL);
}

/* ---- tests --------------------------------------------------------------------------------- */

/* A whole call: the INVITE's headers in the roadmap's order, ACK for the 200, BYE, 200. */
static void test_normal_call(void) {
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
static void test_ringing_many(void) {
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
static void test_immediate_4xx(void) {
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
static void test_invite_timeout(void) {
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
static void test_2xx_retransmitted(void) {
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
static void test_server_bye(void) {
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
static void test_cancel_ringing(void) {
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
static void test_bye_481(void) {
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
static void test_bye_timer_f(void) {
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
static void test_unknown_dialog_481(void) {
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
static void test_reinvite_add_remove(void) {
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
static void test_options_keepalive(void) {
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
static void test_digest_retry(void) {
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
static void test_digest_no_credentials(void) {
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
static void test_tcp_refused(void) {
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
static void test_tcp_reset(void) {
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
static void test_bad_options(void) {
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
  CU_ASSERT_EQUAL(sipspec_session_start(f.ua, &so, &s), SIPSPEC_E_INVAL);
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
static void test_resolve_name(void) {
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
static void test_answer_timer(void) {
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
static void test_end_before_provisional(void) {
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
static void test_cancel_unanswered(void) {
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
static void test_bad_answer(void) {
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
static void test_2xx_races_cancel(void) {
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
static void test_reject_after_ringing(void) {
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
static void test_keepalive_unanswered(void) {
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
static void client_dialog_ids(fx *f, int inv, char *tag, size_t tag_cap, char *cid, size_t cid_cap) {
  const sipspec_msg *m = peer_parse(&f->p, inv);
  CU_ASSERT_PTR_NOT_NULL_FATAL(m);
  sipspec_addr from;
  sipspec_msg_from(m, &from);
  snprintf(tag, tag_cap, "%.*s", (int)from.tag.len, from.tag.p);
  snprintf(cid, cid_cap, "%s", peer_header(&f->p, inv, "Call-ID"));
}

/* The server's BYE for the session established by INVITE inv (its To tag "srvtag"). */
static void send_server_bye(fx *f, int inv, unsigned cseq, const char *branch) {
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
static void test_trace_everything(void) {
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
static void test_reinvite_target_refresh(void) {
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
static int count_lines(const char *text, const char *prefix) {
  int c = 0;
  for (const char *p = text; p && *p; p = strstr(p, "\r\n") ? strstr(p, "\r\n") + 2 : NULL)
    c += !strncmp(p, prefix, strlen(prefix));
  return c;
}

/* RFC 3261 14.1: a re-INVITE refused with 488 leaves the session as it was: the next offer
 * does not carry the refused resource, and that resource can be asked for again. */
static void test_reinvite_refused_rolls_back(void) {
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
static void test_reinvite_digest_retry(void) {
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
static void test_reinvite_challenge_no_credentials(void) {
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
static void test_reinvite_491_retried_once(void) {
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
static void test_fork_2xx(void) {
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
static void test_fork_early_then_other_2xx(void) {
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
static void tcp_peer_on_udp_port(fx *f, peer *q) {
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
static void test_big_invite_switches_to_tcp(void) {
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
static int fx_start_extra(fx *f, const char *extra) {
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
static void test_retry_over_udp_max_size_switches_to_tcp(void) {
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
static void test_big_reinvite_switches_to_tcp(void) {
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
static void send_server_request(fx *f, const char *method, int inv, unsigned cseq, const char *branch,
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

static void send_server_reinvite(fx *f, int inv, unsigned cseq, const char *branch, const char *sdp) {
  send_server_request(f, "INVITE", inv, cseq, branch, sdp);
}

/* RFC 3264 8 / RFC 6787 4.2: the server's re-INVITE repeating its current SDP (same o=
 * version: a session refresh) gets 200 with our current SDP and a Contact; a changed offer
 * and an offerless re-INVITE get 488 with a Warning; the session goes on either way. */
static void test_server_reinvite(void) {
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
static int find_all(fx *f, const char *prefix, const char *cseq, int *out, int max) {
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
static int have_copies(void *a) {
  copies_arg *w = a;
  int idx[64];
  return find_all(w->f, w->prefix, w->cseq, idx, 64) >= w->n;
}

/* Runs until n copies of prefix with cseq arrived (the time stops there) or max_s passed;
 * returns the count. */
static int wait_copies(fx *f, const char *prefix, const char *cseq, int n, double max_s) {
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
static void test_server_reinvite_2xx_until_ack(void) {
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
static void test_reinvites_cross(void) {
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
static void test_server_reinvite_no_ack_bye(void) {
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

/* ---- chart transitions a scripted peer can drive (spec/uac_session.rl) ------------------- */

/* A 401 after ringing (Proceeding AUTH_RETRY): the retry has CSeq 2, and its 200 establishes. */
static void test_auth_retry_after_ringing(void) {
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
static void test_auth_failed_after_ringing(void) {
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
static void test_end_before_provisional_final(void) {
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
static void test_end_before_provisional_timer_b(void) {
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
static void test_provisional_while_cancelling(void) {
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
static int sent_byes(const fx *f, int *idx, int max) {
  int n = 0;
  for (int i = 0; i < f->n_trace; i++)
    if (!strcmp(f->trace[i].dir, "send") && !strncmp(f->trace[i].line, "BYE ", 4) && n < max) idx[n++] = i;
  return n;
}

static unsigned cseq_num(const char *cseq) { return (unsigned)strtoul(cseq, NULL, 10); }

static int server_no_dialog(void *a) {
  sipspec_server_stats st;
  sipspec_server_stats_get(a, &st);
  return st.ended > 0 && st.live_dialogs == 0;
}

static int answered_or_ended(void *a) { return ((fx *)a)->n_answered || ((fx *)a)->n_term; }

/* The embedded server (on the same virtual clock) demands Digest with a 30 s nonce; the
 * session is held 60 s, so the BYE's cached credentials carry an expired nonce and get 401
 * stale=true. The BYE is
 * sent again with CSeq + 1 and credentials for the new nonce, the server accepts it and
 * ends its dialog, and the session ends local with the BYE's 200. */
static void test_bye_challenged_stale_nonce(void) {
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
static void test_bye_challenged_retry(void) {
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
static void test_bye_challenged_twice(void) {
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
static void test_bye_challenged_no_credentials(void) {
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
static void test_bye_500(void) {
  fx f;
  fx_open(&f, 0);
  establish(&f);
  int bye = send_bye(&f);
  reply_until_term(&f, bye, 500);
  CU_ASSERT_EQUAL(f.end_by, SIPSPEC_END_LOCAL);
  fx_close(&f);
}

/* The server's BYE crosses ours (Terminating RX_BYE): its BYE gets 200, ours its answer. */
static void test_bye_crossing(void) {
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
static void test_tcp_reset_in_each_state(void) {
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


/* ---- session timers (RFC 4028) and UPDATE (RFC 3311) ------------------------------------- */

/* The 200 to INVITE inv with the session timer lines se (e.g. "Require: timer\r\nSession-
 * Expires: 90;refresher=uac\r\n", "" for none) and Allow allow; returns tst_now_ms() then. */
static uint64_t reply_200_timer(fx *f, int inv, const char *se, const char *allow) {
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
static void send_server_update(fx *f, int inv, unsigned cseq, const char *branch, const char *extra, const char *sdp) {
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
static void test_st_refresh_by_update(void) {
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
static void test_st_refresh_by_reinvite(void) {
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
static void test_st_peer_refreshes_then_expires(void) {
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
static void test_st_422_retry_then_fail(void) {
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
static void test_st_422_retry_then_200(void) {
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
static int st_until_update_auth(fx *f, int *u, int with_auth) {
  fx_session_expires = 90;
  fx_open(f, with_auth);
  int inv = start_call(f);
  uint64_t t0 = reply_200_timer(f, inv, "Require: timer\r\nSession-Expires: 90;refresher=uac\r\n", ALLOW_UPDATE);
  *u = expect_msg(f, "UPDATE ", 0, 100);
  CU_ASSERT_EQUAL(f->p.at_ms[*u] - t0, 45000u);
  return inv;
}

static int st_until_update(fx *f, int *u) { return st_until_update_auth(f, u, 0); }

/* A 422 to a refresh (RFC 4028 7.3, 10): the refresh again at once, CSeq + 1, asking for the
 * 422's Min-SE 120 in Session-Expires and Min-SE; its 200 moves the next refresh to half of
 * 120 s. A second 422 to the refresh sent again ends the session with BYE saying 422. */
static void test_st_refresh_422(void) {
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
static void test_st_refresh_digest(void) {
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
static void test_st_peer_min_se_kept(void) {
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
static void test_st_491_glare(void) {
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
static void test_st_491_twice(void) {
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
static void test_st_503_retry_after(void) {
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
static void test_st_refresh_408_481(void) {
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
static void test_st_refresh_unanswered(void) {
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
static void test_st_not_asked(void) {
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
static void test_failover_addresses(void) {
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
