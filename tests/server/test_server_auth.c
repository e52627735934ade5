/* test_server_auth.c: the embedded server's Digest authentication (RFC 3261 22, RFC 7616)
 * against the scripted client of server_env.h, over the transport named by argv[1]: the
 * RFC's test vector, a challenge answered with credentials computed here with the digest
 * module, a wrong password, a stale nonce, and 407 as a proxy. Virtual clock; every wait is
 * bounded. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netutil.h"
#include "server_env.h"
#include "sipspec/digest.h"

/* ---- Digest ------------------------------------------------------------------------------ */

/* RFC 2617 section 3.5's example, through the module the tests compute credentials with. */
static void digest_vector(void) {
  sipspec_digest_input in = {0};
  in.alg = SIPSPEC_DIGEST_MD5;
  in.qop = SIPSPEC_DIGEST_QOP_AUTH;
  in.username = "Mufasa";
  in.realm = "testrealm@host.com";
  in.password = "Circle Of Life";
  in.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  in.cnonce = "0a4f113b";
  in.nc = 1;
  in.req.method = "GET";
  in.req.uri = "/dir/index.html";
  char out[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, out), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "6629fae49393a05397450978507c4ef1");
}

/* The value of param name in a challenge header value, unquoted, into out. */
static const char *challenge_param(const char *hv, const char *name, char *out, size_t cap) {
  char key[32];
  snprintf(key, sizeof key, "%s=", name);
  const char *p = strstr(hv, key);
  if (!p) return NULL;
  p += strlen(key);
  int quoted = *p == '"';
  if (quoted) p++;
  size_t n = quoted ? strcspn(p, "\"") : strcspn(p, ", ");
  if (n >= cap) return NULL;
  memcpy(out, p, n);
  out[n] = '\0';
  return out;
}

/* "Authorization: Digest ..." computed from challenge hv for an INVITE of peer p. */
static void credentials(const env *e, const char *hdr, const char *hv, const char *password, const char *method,
                        const char *body, char *out, size_t cap) {
  char realm[128], nonce[128], alg[32], uri[128], srv_addr[SIPSPEC_SOCKADDR_STRLEN], line[2048], why[256];
  CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_param(hv, "realm", realm, sizeof realm));
  CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_param(hv, "nonce", nonce, sizeof nonce));
  CU_ASSERT_PTR_NOT_NULL_FATAL(challenge_param(hv, "algorithm", alg, sizeof alg));
  sipspec_sockaddr_format(&e->p.server, srv_addr, sizeof srv_addr);
  snprintf(uri, sizeof uri, "sip:mresources@%s", srv_addr);
  sipspec_digest_input in = {0};
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_alg_parse(alg, strlen(alg), &in.alg), SIPSPEC_OK);
  in.qop = SIPSPEC_DIGEST_QOP_AUTH;
  in.username = "alice";
  in.realm = realm;
  in.password = password;
  in.nonce = nonce;
  in.cnonce = "c0ffee";
  in.nc = 1;
  in.req.method = method;
  in.req.uri = uri;
  in.req.body = body;
  in.req.body_len = body ? strlen(body) : 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, line, sizeof line, why, sizeof why), SIPSPEC_OK);
  snprintf(out, cap, "%s: %s\r\n", hdr, line);
}

static void auth_env(env *e, int proxy, unsigned lifetime_ms) {
  sipspec_server_opts o;
  opts_default(&o);
  o.auth_user = "alice";
  o.auth_password = "secret";
  o.auth_realm = "mrcp.test";
  o.auth_proxy = proxy;
  o.auth_algs[0] = SIPSPEC_DIGEST_SHA256;
  o.auth_algs[1] = SIPSPEC_DIGEST_MD5;
  o.auth_nalgs = 2;
  o.auth_nonce_lifetime_ms = lifetime_ms;
  CU_ASSERT_EQUAL_FATAL(env_open(e, &o), 0);
}

/* Call c (named name) sends an INVITE offering n resources (the offer, NUL-terminated, into
 * offer and *len) without credentials; the challenge starting with status it must get. */
static const char *invite_without_credentials(env *e, call *c, const char *name, size_t n, char *offer, size_t cap,
                                              size_t *len, const char *status) {
  call_init(c, name);
  *len = make_offer(offer, cap - 1, synth_recog, n);
  offer[*len] = '\0';
  send_invite(e, c, offer, *len, NULL);
  return expect_msg(&e->p, status, 2.0);
}

/* 401 with one challenge per algorithm; the right answer gets 100/180/200; BYE needs it too. */
static void auth_challenge_success(void) {
  env e;
  auth_env(&e, 0, 0);
  call c;
  char offer[4096], hv[1024], auth[4096];
  size_t len;
  const char *r = invite_without_credentials(&e, &c, "auth", 2, offer, sizeof offer, &len, "SIP/2.0 401");
  CU_ASSERT_EQUAL(msg_count(r, "WWW-Authenticate: Digest"), 2);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "WWW-Authenticate", hv, sizeof hv));
  CU_ASSERT_PTR_NOT_NULL(strstr(hv, "realm=\"mrcp.test\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(hv, "algorithm=SHA-256"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(env_stats(&e).challenges, 1);
  credentials(&e, "Authorization", hv, "secret", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  msg_to_tag(ok, c.to_tag, sizeof c.to_tag);
  send_ack_2xx(&e, &c);
  for (int i = 0; i < 100 && !e.events[SIPSPEC_SERVER_ESTABLISHED]; i++) tst_run_for(e.loop, 0.01);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 1);
  /* BYE without credentials: challenged; with them: 200 */
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  r = expect_msg(&e.p, "SIP/2.0 401", 2.0);
  msg_header(r, "WWW-Authenticate", hv, sizeof hv);
  credentials(&e, "Authorization", hv, "secret", "BYE", NULL, auth, sizeof auth);
  send_req(&e, &c, "BYE", NULL, 0, auth, NULL, ++c.cseq);
  r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " BYE\r\n"));
  CU_ASSERT_EQUAL(env_stats(&e).challenges, 2);
  CU_ASSERT_EQUAL(env_stats(&e).ended, 1);
  env_close(&e);
}

/* A wrong password: a fresh 401 whose Warning says the credentials were refused. */
static void auth_wrong_password(void) {
  env e;
  auth_env(&e, 0, 0);
  call c;
  char offer[4096], hv[1024], auth[4096], h[512];
  size_t len;
  const char *r = invite_without_credentials(&e, &c, "authbad", 1, offer, sizeof offer, &len, "SIP/2.0 401");
  CU_ASSERT_PTR_NULL(msg_header(r, "Warning", h, sizeof h));
  send_ack_failure(&e, &c, r);
  msg_header(r, "WWW-Authenticate", hv, sizeof hv);
  credentials(&e, "Authorization", hv, "not-the-password", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  r = expect_msg(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "Warning", h, sizeof h));
  CU_ASSERT_PTR_NOT_NULL(strstr(h, "credentials refused"));
  CU_ASSERT_PTR_NULL(strstr(r, "not-the-password"));
  CU_ASSERT_PTR_NULL(strstr(r, "stale=true"));
  send_ack_failure(&e, &c, r);
  /* credentials that cannot be read: 400 naming the problem */
  send_invite(&e, &c, offer, len, "Authorization: Digest realm=\"mrcp.test\", nonce=\"x\", username\r\n");
  r = expect_msg(&e.p, "SIP/2.0 400", 2.0);
  CU_ASSERT_PTR_NOT_NULL(msg_header(r, "Warning", h, sizeof h));
  send_ack_failure(&e, &c, r);
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.challenges, 2);
  CU_ASSERT_EQUAL(s.refused, 3);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 0);
  env_close(&e);
}

/* A right answer after the nonce expired: 401 with stale=true. */
static void auth_stale_nonce(void) {
  env e;
  auth_env(&e, 0, 30000);
  call c;
  char offer[4096], hv[1024], auth[4096];
  size_t len;
  const char *r = invite_without_credentials(&e, &c, "stale", 1, offer, sizeof offer, &len, "SIP/2.0 401");
  send_ack_failure(&e, &c, r);
  msg_header(r, "WWW-Authenticate", hv, sizeof hv);
  CU_ASSERT_EQUAL(env_ms(&e), env_at(&e, &e.p, r)); /* the nonce was issued now */
  tst_run_for(e.loop, 30.001); /* the nonce lives 30 s: 1 ms more is too late */
  credentials(&e, "Authorization", hv, "secret", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  r = expect_msg(&e.p, "SIP/2.0 401", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "stale=true"));
  env_close(&e);
}

/* auth_proxy: 407 with Proxy-Authenticate, answered with Proxy-Authorization. */
static void auth_proxy_407(void) {
  env e;
  auth_env(&e, 1, 0);
  call c;
  char offer[4096], hv[1024], auth[4096];
  size_t len;
  const char *r = invite_without_credentials(&e, &c, "proxy", 1, offer, sizeof offer, &len, "SIP/2.0 407");
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "Proxy-Authenticate", hv, sizeof hv));
  send_ack_failure(&e, &c, r);
  credentials(&e, "Proxy-Authorization", hv, "secret", "INVITE", offer, auth, sizeof auth);
  send_invite(&e, &c, offer, len, auth);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 200", 2.0));
  env_close(&e);
}

int main(int argc, char **argv) {
  static const env_test tests[] = {
      {"digest_vector", digest_vector},
      {"auth_challenge_success", auth_challenge_success},
      {"auth_wrong_password", auth_wrong_password},
      {"auth_stale_nonce", auth_stale_nonce},
      {"auth_proxy_407", auth_proxy_407},
  };
  return env_run_suite(argc, argv, "server_auth", tests, sizeof tests / sizeof tests[0]);
}
