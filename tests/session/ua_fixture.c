/* ua_fixture.c: the fixture of the user agent tests (ua_fixture.h). */
#include "ua_fixture.h"

int use_tcp;

/* ---- fixture ------------------------------------------------------------------------------- */



void on_trace(void *u, const char *dir, sipspec_tp_kind kind, const sipspec_sockaddr *from, const char *data,
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
int trace_count(const fx *f, const char *dir, const char *prefix, const char *cseq) {
  int c = 0;
  for (int i = 0; i < f->n_trace; i++)
    c += !strcmp(f->trace[i].dir, dir) && !strncmp(f->trace[i].line, prefix, strlen(prefix)) &&
         (!cseq || !strcmp(f->trace[i].cseq, cseq));
  return c;
}

void on_prov(sipspec_session *s, int status, const char *reason, void *u) {
  fx *f = u;
  (void)reason;
  if (f->n_prov < 64) f->prov_status[f->n_prov] = status;
  f->n_prov++;
  if (f->end_in_provisional) CU_ASSERT_EQUAL(sipspec_session_end(s), SIPSPEC_OK);
}
void on_answered(sipspec_session *s, const sipspec_mrcp_answer *a, const char *sdp, size_t len, void *u) {
  fx *f = u;
  (void)s, (void)sdp, (void)len;
  f->n_answered++;
  f->answered_channels = a ? a->nchannels : 0;
}
void on_failed(sipspec_session *s, sipspec_result r, const sipspec_response_info *info, void *u) {
  fx *f = u;
  (void)s;
  f->n_failed++;
  f->result = r;
  f->failed_status = info->status;
  snprintf(f->failed_reason, sizeof f->failed_reason, "%s", info->reason ? info->reason : "");
}
void on_updated(sipspec_session *s, const sipspec_response_info *info, const sipspec_mrcp_answer *a, void *u) {
  fx *f = u;
  (void)s;
  f->n_updated++;
  f->updated_status = info->status;
  f->updated_channels = a ? a->nchannels : 0;
}
void on_keepalive(sipspec_session *s, const sipspec_response_info *info, void *u) {
  fx *f = u;
  (void)s;
  f->n_keepalive++;
  f->keepalive_status = info->status;
}
void on_term(sipspec_session *s, sipspec_end_reason by, void *u) {
  fx *f = u;
  (void)s;
  f->n_term++;
  f->end_by = by;
  f->term_status = sipspec_session_status(s);
  f->term_at = tst_now_ms(f->loop);
  f->s = NULL;
}

sipspec_digest_cred_entry creds[] = {{NULL, "alice", "secret"}};

const char *hosts_file;

/* MRCP_SIP_SESSION_EXPIRES and MRCP_SIP_MIN_SE of the next fixture (the session timer tests
 * set them; every fixture starts from the defaults otherwise). */
unsigned fx_session_expires = SIPSPEC_DEFAULT_SESSION_EXPIRES, fx_min_se = SIPSPEC_DEFAULT_MIN_SE;

/* A fresh fixture: its loop, the virtual clock the test's runs use, and the peer (over
 * TCP when tcp). */
void fx_loop(fx *f, int tcp) {
  memset(f, 0, sizeof *f);
  f->loop = ev_loop_new(EVFLAG_AUTO);
  f->clk = sipspec_clock_virtual_new(f->loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f->clk);
  tst_use_clock(f->clk);
  peer_open(&f->p, f->loop, tcp);
}

/* user_agent NULL: the library's default. The timers are the RFC's (sipspec_config_init). */
void fx_open_ua(fx *f, int with_auth, int with_trace, const char *user_agent) {
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

void fx_open_opts(fx *f, int with_auth, int with_trace) {
  fx_open_ua(f, with_auth, with_trace, "sipspec-test");
}

void fx_open(fx *f, int with_auth) { fx_open_opts(f, with_auth, 0); }

void fx_close(fx *f) {
  sipspec_ua_destroy(f->ua);
  peer_close(&f->p);
  tst_use_clock(NULL);
  sipspec_clock_free(f->clk);
  ev_loop_destroy(f->loop);
}

const char *target_host = "127.0.0.1";


void call_opts_init(call_opts *c, fx *f, const char *host, unsigned port, sipspec_mrcp_resource res) {
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

int fx_start_port(fx *f, unsigned port, unsigned keepalive_ms, sipspec_mrcp_resource res) {
  call_opts c;
  call_opts_init(&c, f, target_host, port, res);
  c.so.keepalive_ms = keepalive_ms;
  c.so.answer_timeout_ms = f->answer_timeout_ms;
  return sipspec_session_start(f->ua, &c.so, &f->s);
}

int fx_start_opts(fx *f, unsigned keepalive_ms, sipspec_mrcp_resource res) {
  return fx_start_port(f, f->p.port, keepalive_ms, res);
}

void fx_start(fx *f) {
  CU_ASSERT_EQUAL_FATAL(fx_start_opts(f, 0, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
}

/* The MRCP answer to the offer in request i, made by the library's server side. */
const char *answer_for(fx *f, int i) {
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
sipspec_digest_server_t *alice_verifier(void) {
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
void make_challenge(sipspec_digest_server_t *srv, char *lines, size_t cap) {
  sipspec_digest_headers ch;
  CU_ASSERT_EQUAL(sipspec_digest_server_challenge(srv, false, &ch), SIPSPEC_OK);
  lines[0] = '\0';
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&ch, SIPSPEC_DIGEST_CHALLENGES, lines, cap), SIPSPEC_OK);
}

/* Asserts that message m carries Authorization credentials srv accepts. */
void expect_credentials(sipspec_digest_server_t *srv, const sipspec_msg *m) {
  char why[256];
  sipspec_digest_msg_scratch *scratch = malloc(sizeof *scratch);
  CU_ASSERT_PTR_NOT_NULL_FATAL(scratch);
  CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, "sipspec", m, scratch, why, sizeof why), SIPSPEC_OK);
  free(scratch);
}

char contact_200[128];
void reply_200(fx *f, int i, const char *tag) {
  snprintf(contact_200, sizeof contact_200, "Contact: <sip:srv@127.0.0.1:%u%s>\r\nContent-Type: application/sdp\r\n",
           f->p.port, use_tcp ? ";transport=tcp" : "");
  peer_reply(&f->p, i, 200, tag, contact_200, answer_for(f, i));
}

/* A 200 with the answer to request i and Contact user@127.0.0.1:<peer port>. */
void reply_200_contact(fx *f, int i, const char *tag, const char *user) {
  char extra[256];
  snprintf(extra, sizeof extra, "Contact: <sip:%s@127.0.0.1:%u%s>\r\nContent-Type: application/sdp\r\n", user,
           f->p.port, use_tcp ? ";transport=tcp" : "");
  peer_reply(&f->p, i, 200, tag, extra, answer_for(f, i));
}

int term_done(void *a) { return ((fx *)a)->n_term > 0; }
int run_until_term(fx *f, double s) { return tst_run_until(f->loop, term_done, f, s); }

int found(void *a) {
  find_arg *w = a;
  return peer_find(w->p, w->prefix, w->k) >= 0;
}

/* Runs until the k-th message starting with prefix arrived (the time stops there); returns
 * its index or -1. */
int wait_for(fx *f, const char *prefix, int k, double max_s) {
  find_arg w = {&f->p, prefix, k};
  (void)tst_run_until(f->loop, found, &w, max_s);
  return peer_find(&f->p, prefix, k);
}

/* wait_for() that ends the test when the message does not come; its index. */
int expect_msg(fx *f, const char *prefix, int k, double max_s) {
  int i = wait_for(f, prefix, k, max_s);
  CU_ASSERT_FATAL(i >= 0);
  return i;
}

/* Starts the session (speechsynth, no keep-alive) and waits for its first INVITE; its index. */
int start_call(fx *f) {
  fx_start(f);
  return expect_msg(f, "INVITE ", 0, 5);
}

/* Established session: INVITE, 180, 200; returns the INVITE index. */
int establish(fx *f) {
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
int ring_then_cancel(fx *f, int *inv) {
  f->end_in_provisional = 1;
  *inv = start_call(f);
  peer_reply(&f->p, *inv, 180, "srvtag", NULL, NULL);
  return expect_msg(f, "CANCEL ", 0, 5);
}

/* The application ends the session; the index of its first BYE. */
int send_bye(fx *f) {
  CU_ASSERT_EQUAL(sipspec_session_end(f->s), SIPSPEC_OK);
  return expect_msg(f, "BYE ", 0, 5);
}

/* Answers request i with a bare status and runs until the session has ended (at most 5 s). */
void reply_until_term(fx *f, int i, int status) {
  peer_reply(&f->p, i, status, NULL, NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(f, 5));
}

/* The application ends the established session: BYE (the first one), 200 for it, and the
 * session ends local. Returns the BYE's index. */
int end_call(fx *f) {
  int bye = send_bye(f);
  reply_until_term(f, bye, 200);
  CU_ASSERT_EQUAL(f->end_by, SIPSPEC_END_LOCAL);
  return bye;
}

/* Runs until peer q holds n messages (at most 5 s); the index of the first starting with
 * prefix, which must be there. */
int expect_on(peer *q, int n, const char *prefix) {
  CU_ASSERT_TRUE(peer_wait(q, n, 5));
  int i = peer_find(q, prefix, 0);
  CU_ASSERT_FATAL(i >= 0);
  return i;
}

/* end_call() for a session that runs over TCP peer q, the BYE its third message: the BYE
 * has a TCP Via, gets 200, and the session ends local. */
void end_call_tcp(fx *f, peer *q) {
  CU_ASSERT_EQUAL(sipspec_session_end(f->s), SIPSPEC_OK);
  int bye = expect_on(q, 3, "BYE ");
  CU_ASSERT_PTR_NOT_NULL(strstr(peer_header(q, bye, "Via"), "SIP/2.0/TCP "));
  peer_reply(q, bye, 200, NULL, NULL, NULL);
  CU_ASSERT_TRUE(run_until_term(f, 5));
  CU_ASSERT_EQUAL(f->end_by, SIPSPEC_END_LOCAL);
}

