/* test_digest_exchange.c: the client bookkeeping against the verifier.
 *
 * Every header goes through text: the verifier's challenge is parsed back into params,
 * answered by the client, and the client's header parsed back for the verifier, as the
 * SIP parser will do. Time is a fake clock the tests advance.
 */
#include <stdio.h>
#include <string.h>

#include "auth_test_util.h"
#include "sipspec/digest.h"
#include "sipspec/error.h"

#define USER "alice"
#define PASS "Tr0ub4dor&3"
#define REALM "mrcp.example.org"
#define URI "sip:speechsynth@127.0.0.1:5060"

static uint64_t g_now_ms;
static uint64_t fake_clock(void *user) {
  (void)user;
  return g_now_ms;
}

static sipspec_digest_server_t *make_server(sipspec_auth_kind kind, const char *realm,
                                            sipspec_digest_alg alg, unsigned qop, bool uh) {
  sipspec_digest_server_config cfg;
  sipspec_digest_server_config_init(&cfg);
  cfg.kind = kind;
  cfg.realm = realm;
  cfg.username = USER;
  cfg.password = PASS;
  if (alg != 0) {
    cfg.algs[0] = alg;
    cfg.n_algs = 1;
  }
  cfg.qop_mask = qop;
  cfg.userhash = uh;
  cfg.nonce_lifetime_ms = 30000;
  cfg.clock = fake_clock;
  sipspec_digest_server_t *s = NULL;
  char why[256] = "";
  int rc = sipspec_digest_server_create(&cfg, &s, why, sizeof why);
  if (rc != SIPSPEC_OK) printf("\n  server_create: %s\n", why);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  return s;
}

static const sipspec_digest_cred_entry k_table[] = {
  {REALM, USER, PASS},
  {"proxy.example.org", "alice-proxy", "pr0xy-secret"},
};

static sipspec_digest_client_t *make_client(const sipspec_digest_cred_entry *table, size_t n,
                                            unsigned max) {
  sipspec_digest_client_config cfg;
  sipspec_digest_client_config_init(&cfg);
  cfg.table = table;
  cfg.table_len = n;
  cfg.max_challenges = max;
  sipspec_digest_client_t *c = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_create(&cfg, &c), SIPSPEC_OK);
  return c;
}

/* The challenge headers of one 401/407, parsed back into offers. */
typedef struct challenge_set {
  auth_test_hdr h[SIPSPEC_DIGEST_MAX_HEADERS * 2];
  sipspec_digest_offer o[SIPSPEC_DIGEST_MAX_HEADERS * 2];
  size_t n;
} challenge_set;

static void add_challenges(challenge_set *cs, sipspec_digest_server_t *s, bool stale) {
  sipspec_digest_headers hs;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_challenge(s, stale, &hs), SIPSPEC_OK);
  for (size_t i = 0; i < hs.count; i++) {
    CU_ASSERT_EQUAL_FATAL(auth_test_parse(hs.items[i].value, &cs->h[cs->n]), 0);
    cs->o[cs->n] = auth_test_offer(&cs->h[cs->n], hs.items[i].kind);
    cs->n++;
  }
}

/* Verifies the header of `kind` among hs at s. */
static int verify(sipspec_digest_server_t *s, const sipspec_digest_headers *hs,
                  sipspec_auth_kind kind, const sipspec_digest_request *req, char *why, size_t wl) {
  for (size_t i = 0; i < hs->count; i++) {
    if (hs->items[i].kind != kind) continue;
    auth_test_hdr h;
    CU_ASSERT_EQUAL_FATAL(auth_test_parse(hs->items[i].value, &h), 0);
    return sipspec_digest_server_verify(s, h.p, h.n, req, why, wl);
  }
  return 12345;
}

static challenge_set g_cs;
static sipspec_digest_verdict g_v;

/* Every algorithm x qop (x userhash) combination, client against verifier. */
static void test_matrix(void) {
  static const sipspec_digest_alg algs[] = {
    SIPSPEC_DIGEST_MD5, SIPSPEC_DIGEST_MD5_SESS, SIPSPEC_DIGEST_SHA256,
    SIPSPEC_DIGEST_SHA256_SESS, SIPSPEC_DIGEST_SHA512_256, SIPSPEC_DIGEST_SHA512_256_SESS};
  static const unsigned qops[] = {SIPSPEC_DIGEST_QOP_AUTH, SIPSPEC_DIGEST_QOP_AUTH_INT};
  const char body[] = "v=0\r\nm=application 9 TCP/MRCPv2 1\r\n";
  int combos = 0;
  for (size_t a = 0; a < 6; a++) {
    for (size_t q = 0; q < 2; q++) {
      for (int uh = 0; uh < 2; uh++) {
        sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_WWW, REALM, algs[a], qops[q], uh);
        sipspec_digest_client_t *c = make_client(k_table, 2, 2);
        sipspec_digest_request req = {"INVITE", URI, body, sizeof body - 1};
        sipspec_digest_headers first;
        CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &first), SIPSPEC_OK);
        CU_ASSERT_EQUAL(first.count, 0u);
        memset(&g_cs, 0, sizeof g_cs);
        add_challenges(&g_cs, s, false);
        CU_ASSERT_EQUAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
        CU_ASSERT_EQUAL(g_v.action, SIPSPEC_DIGEST_RETRY);
        CU_ASSERT_EQUAL_FATAL(g_v.headers.count, 1u);
        CU_ASSERT_PTR_NOT_NULL(strstr(g_v.headers.items[0].value, sipspec_digest_alg_name(algs[a])));
        CU_ASSERT_EQUAL((strstr(g_v.headers.items[0].value, "userhash=true") != NULL), uh);
        CU_ASSERT_PTR_NULL(strstr(g_v.headers.items[0].value, PASS));
        char why[256] = "";
        int rc = verify(s, &g_v.headers, SIPSPEC_AUTH_WWW, &req, why, sizeof why);
        if (rc != SIPSPEC_OK) printf("\n  %s qop=%u uh=%d: %s\n", sipspec_digest_alg_name(algs[a]), qops[q], uh, why);
        CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
        /* An altered body: auth-int notices, auth does not cover bodies. */
        sipspec_digest_request other = {"INVITE", URI, "v=1", 3};
        sipspec_digest_headers next;
        CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &next), SIPSPEC_OK);
        rc = verify(s, &next, SIPSPEC_AUTH_WWW, &other, why, sizeof why);
        CU_ASSERT_EQUAL(rc, qops[q] == SIPSPEC_DIGEST_QOP_AUTH_INT ? SIPSPEC_E_AUTH_FAILED : SIPSPEC_OK);
        sipspec_digest_client_destroy(c);
        sipspec_digest_server_destroy(s);
        combos++;
      }
    }
  }
  CU_ASSERT_EQUAL(combos, 24);
}

/* Wrong password: the verifier refuses, the client fails after exactly one retry, and no
 * text anywhere carries the password. */
static void test_wrong_password(void) {
  static const sipspec_digest_cred_entry bad[] = {{NULL, USER, "not-the-password"}};
  sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_WWW, REALM, 0, SIPSPEC_DIGEST_QOP_AUTH, false);
  sipspec_digest_client_t *c = make_client(bad, 1, 5);
  sipspec_digest_request req = {"REGISTER", URI, NULL, 0};
  sipspec_digest_headers hs;
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  int retries = 0;
  char why[256] = "";
  for (int round = 0; round < 10; round++) {
    memset(&g_cs, 0, sizeof g_cs);
    add_challenges(&g_cs, s, false);
    sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v);
    CU_ASSERT_PTR_NULL(strstr(g_v.reason, "not-the-password"));
    if (g_v.action != SIPSPEC_DIGEST_RETRY) break;
    retries++;
    CU_ASSERT_PTR_NULL(strstr(g_v.headers.items[0].value, "not-the-password"));
    CU_ASSERT_EQUAL(verify(s, &g_v.headers, SIPSPEC_AUTH_WWW, &req, why, sizeof why),
                    SIPSPEC_E_AUTH_FAILED);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, "does not match"));
    CU_ASSERT_PTR_NULL(strstr(why, "not-the-password"));
    CU_ASSERT_PTR_NULL(strstr(why, PASS));
  }
  CU_ASSERT_EQUAL(retries, 1);
  CU_ASSERT_EQUAL(g_v.action, SIPSPEC_DIGEST_FAIL);
  CU_ASSERT_EQUAL(g_v.error, SIPSPEC_E_AUTH_FAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(g_v.reason, "rejected the credentials of user \"alice\""));
  CU_ASSERT_EQUAL(sipspec_digest_client_challenges(c), 2u);
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(s);
}

/* Callback source: counts calls; refuses unknown realms. */
static int g_cb_calls;
static int cred_cb(void *user, sipspec_auth_kind kind, const char *realm, sipspec_digest_cred *out) {
  (void)user;
  (void)kind;
  g_cb_calls++;
  if (strcmp(realm, REALM) != 0) return SIPSPEC_E_NOTFOUND;
  snprintf(out->username, sizeof out->username, "%s", USER);
  snprintf(out->password, sizeof out->password, "%s", PASS);
  return SIPSPEC_OK;
}

static sipspec_digest_client_t *make_cb_client(unsigned max) {
  sipspec_digest_client_config cfg;
  sipspec_digest_client_config_init(&cfg);
  cfg.get_credentials = cred_cb;
  cfg.max_challenges = max;
  sipspec_digest_client_t *c = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_create(&cfg, &c), SIPSPEC_OK);
  return c;
}

/* Credentials cached per realm are reused by later requests of the dialog (nc grows);
 * an expired nonce gets stale=true, which the client answers without asking the source
 * again and without failing; the new nonce restarts at nc=00000001. */
static void test_cache_and_stale(void) {
  g_now_ms = 1000;
  g_cb_calls = 0;
  sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_WWW, REALM, 0, SIPSPEC_DIGEST_QOP_AUTH, false);
  sipspec_digest_client_t *c = make_cb_client(2);
  sipspec_digest_request req = {"INVITE", URI, NULL, 0};
  sipspec_digest_headers hs;
  char why[256] = "";
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, s, false);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(g_v.headers.items[0].value, "algorithm=SHA-512-256,"));
  CU_ASSERT_PTR_NOT_NULL(strstr(g_v.headers.items[0].value, "nc=00000001"));
  CU_ASSERT_EQUAL(verify(s, &g_v.headers, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_OK);

  /* later requests in the dialog: credentials up front, nc 2 and 3 */
  sipspec_digest_request bye = {"BYE", URI, NULL, 0};
  for (int k = 2; k <= 3; k++) {
    CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &bye, &hs), SIPSPEC_OK);
    CU_ASSERT_EQUAL_FATAL(hs.count, 1u);
    char expect[16];
    snprintf(expect, sizeof expect, "nc=%08x", k);
    CU_ASSERT_PTR_NOT_NULL(strstr(hs.items[0].value, expect));
    CU_ASSERT_EQUAL(verify(s, &hs, SIPSPEC_AUTH_WWW, &bye, why, sizeof why), SIPSPEC_OK);
  }
  CU_ASSERT_EQUAL(g_cb_calls, 1);

  /* the nonce expires: the right answer is now stale */
  g_now_ms += 30001;
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &bye, &hs), SIPSPEC_OK);
  CU_ASSERT_EQUAL(verify(s, &hs, SIPSPEC_AUTH_WWW, &bye, why, sizeof why), SIPSPEC_E_AUTH_STALE);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "stale=true"));
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, s, true);
  CU_ASSERT_STRING_EQUAL(auth_test_get(&g_cs.h[0], "stale"), "true");
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &bye, &g_v), SIPSPEC_OK);
  CU_ASSERT_EQUAL(g_v.action, SIPSPEC_DIGEST_RETRY);
  CU_ASSERT_PTR_NOT_NULL(strstr(g_v.headers.items[0].value, "nc=00000001"));
  CU_ASSERT_EQUAL(verify(s, &g_v.headers, SIPSPEC_AUTH_WWW, &bye, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(g_cb_calls, 1); /* stale: no new credentials needed */

  /* a wrong answer with an expired nonce is a failure, not stale */
  g_now_ms += 30001;
  sipspec_digest_request forged = {"BYE", "sip:elsewhere@127.0.0.1", NULL, 0};
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &forged, &hs), SIPSPEC_OK);
  CU_ASSERT_EQUAL(verify(s, &hs, SIPSPEC_AUTH_WWW, &bye, why, sizeof why), SIPSPEC_E_AUTH_FAILED);
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(s);
}

/* Cached credentials refused without stale: asked from the source once more, then fail. */
static void test_cached_then_rejected(void) {
  g_now_ms = 0;
  g_cb_calls = 0;
  sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_WWW, REALM, SIPSPEC_DIGEST_SHA256,
                                           SIPSPEC_DIGEST_QOP_AUTH, false);
  sipspec_digest_client_t *c = make_cb_client(5);
  sipspec_digest_request req = {"INFO", URI, NULL, 0};
  sipspec_digest_headers hs;
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, s, false);
  CU_ASSERT_EQUAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  /* next request: cached credentials sent, server challenges afresh (say, it restarted) */
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  CU_ASSERT_EQUAL(hs.count, 1u);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, s, false);
  CU_ASSERT_EQUAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  CU_ASSERT_EQUAL(g_v.action, SIPSPEC_DIGEST_RETRY);
  CU_ASSERT_EQUAL(g_cb_calls, 2);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, s, false);
  CU_ASSERT_EQUAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v),
                  SIPSPEC_E_AUTH_FAILED);
  CU_ASSERT_EQUAL(g_cb_calls, 2);
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(s);
}

/* The bookkeeping never answers more challenges per request than configured, even for a
 * server that keeps saying stale=true. */
static void test_retry_limit(void) {
  static const unsigned maxes[] = {0, 1, 2, 5};
  for (size_t m = 0; m < 4; m++) {
    g_now_ms = 0;
    sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_PROXY, REALM, 0, SIPSPEC_DIGEST_QOP_AUTH, false);
    sipspec_digest_client_t *c = make_cb_client(maxes[m]);
    sipspec_digest_request req = {"INVITE", URI, NULL, 0};
    for (int request = 0; request < 2; request++) { /* the count is per request */
      sipspec_digest_headers hs;
      CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
      unsigned retries = 0;
      for (int round = 0; round < 20; round++) {
        memset(&g_cs, 0, sizeof g_cs);
        add_challenges(&g_cs, s, round > 0 || request > 0);
        sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v);
        if (g_v.action != SIPSPEC_DIGEST_RETRY) break;
        retries++;
        CU_ASSERT_EQUAL(g_v.headers.items[0].kind, SIPSPEC_AUTH_PROXY);
      }
      CU_ASSERT_EQUAL(retries, maxes[m]);
      CU_ASSERT_EQUAL(g_v.action, SIPSPEC_DIGEST_FAIL);
      CU_ASSERT_EQUAL(g_v.error, SIPSPEC_E_AUTH_LIMIT);
      CU_ASSERT_EQUAL(g_v.headers.count, 0u);
      char expect[64];
      snprintf(expect, sizeof expect, "at most %u are answered", maxes[m]);
      CU_ASSERT_PTR_NOT_NULL(strstr(g_v.reason, expect));
    }
    sipspec_digest_client_destroy(c);
    sipspec_digest_server_destroy(s);
  }
}

/* A 401 (UAS realm) and a 407 (proxy realm) on the same request answered together, and
 * in sequence (the second retry keeps the first realm's header). */
static void test_401_and_407(void) {
  g_now_ms = 0;
  sipspec_digest_server_t *uas = make_server(SIPSPEC_AUTH_WWW, REALM, 0, SIPSPEC_DIGEST_QOP_AUTH, false);
  sipspec_digest_server_config pc;
  sipspec_digest_server_config_init(&pc);
  pc.kind = SIPSPEC_AUTH_PROXY;
  pc.realm = "proxy.example.org";
  pc.username = "alice-proxy";
  pc.password = "pr0xy-secret";
  pc.algs[0] = SIPSPEC_DIGEST_MD5;
  pc.n_algs = 1;
  pc.clock = fake_clock;
  sipspec_digest_server_t *proxy = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_create(&pc, &proxy, NULL, 0), SIPSPEC_OK);
  char why[256] = "";
  sipspec_digest_request req = {"INVITE", URI, NULL, 0};

  /* together */
  sipspec_digest_client_t *c = make_client(k_table, 2, 2);
  sipspec_digest_headers hs;
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, uas, false);
  add_challenges(&g_cs, proxy, false);
  CU_ASSERT_EQUAL(g_cs.n, 4u);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(g_v.headers.count, 2u);
  CU_ASSERT_NOT_EQUAL(g_v.headers.items[0].kind, g_v.headers.items[1].kind);
  CU_ASSERT_EQUAL(verify(uas, &g_v.headers, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(verify(proxy, &g_v.headers, SIPSPEC_AUTH_PROXY, &req, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_client_realms(c), 2u);
  sipspec_digest_client_destroy(c);

  /* in sequence: 407 first, then 401 */
  c = make_client(k_table, 2, 2);
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, proxy, false);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  CU_ASSERT_EQUAL(g_v.headers.count, 1u);
  CU_ASSERT_EQUAL(verify(proxy, &g_v.headers, SIPSPEC_AUTH_PROXY, &req, why, sizeof why), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, uas, false);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(g_v.headers.count, 2u);
  CU_ASSERT_EQUAL(verify(proxy, &g_v.headers, SIPSPEC_AUTH_PROXY, &req, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(verify(uas, &g_v.headers, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_OK);
  sipspec_digest_client_destroy(c);

  /* a realm the source does not know: fail, naming it */
  static const sipspec_digest_cred_entry only_uas[] = {{REALM, USER, PASS}};
  c = make_client(only_uas, 1, 2);
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, uas, false);
  add_challenges(&g_cs, proxy, false);
  CU_ASSERT_EQUAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v),
                  SIPSPEC_E_AUTH_NO_CREDENTIALS);
  CU_ASSERT_PTR_NOT_NULL(strstr(g_v.reason, "proxy realm \"proxy.example.org\""));
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(uas);
  sipspec_digest_server_destroy(proxy);
}

/* Replays: the same header twice, or a lower nc, are refused; a higher nc passes. Nonces
 * not issued here (forged or evicted) are unknown. */
static void test_replay_and_unknown_nonce(void) {
  g_now_ms = 0;
  sipspec_digest_server_config cfg;
  sipspec_digest_server_config_init(&cfg);
  cfg.realm = REALM;
  cfg.username = USER;
  cfg.password = PASS;
  cfg.max_nonces = 2;
  cfg.clock = fake_clock;
  sipspec_digest_server_t *s = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_create(&cfg, &s, NULL, 0), SIPSPEC_OK);
  sipspec_digest_client_t *c = make_client(k_table, 2, 2);
  sipspec_digest_request req = {"REGISTER", URI, NULL, 0};
  sipspec_digest_headers hs, second;
  char why[256] = "";
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  memset(&g_cs, 0, sizeof g_cs);
  add_challenges(&g_cs, s, false);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_challenge(c, g_cs.o, g_cs.n, &req, &g_v), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &second), SIPSPEC_OK); /* nc=2 */
  CU_ASSERT_EQUAL(verify(s, &second, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(verify(s, &second, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_E_AUTH_REPLAY);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "00000002"));
  CU_ASSERT_EQUAL(verify(s, &g_v.headers, SIPSPEC_AUTH_WWW, &req, why, sizeof why),
                  SIPSPEC_E_AUTH_REPLAY); /* nc=1 after nc=2 */
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK); /* nc=3 */
  CU_ASSERT_EQUAL(verify(s, &hs, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_OK);

  /* two more challenges push the client's nonce out of the 2-slot ring */
  sipspec_digest_headers tmp;
  CU_ASSERT_EQUAL(sipspec_digest_server_challenge(s, false, &tmp), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_server_challenge(s, false, &tmp), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_client_begin(c, &req, &hs), SIPSPEC_OK);
  CU_ASSERT_EQUAL(verify(s, &hs, SIPSPEC_AUTH_WWW, &req, why, sizeof why), SIPSPEC_E_AUTH_NONCE_UNKNOWN);
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(s);
}

/* Bad Authorization params at the verifier, each refused with the expected code. */
static void test_verify_malformed(void) {
  g_now_ms = 0;
  sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_WWW, REALM, SIPSPEC_DIGEST_SHA256,
                                           SIPSPEC_DIGEST_QOP_AUTH, true);
  sipspec_digest_headers hs;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_challenge(s, false, &hs), SIPSPEC_OK);
  auth_test_hdr ch;
  CU_ASSERT_EQUAL_FATAL(auth_test_parse(hs.items[0].value, &ch), 0);
  char nonce[64];
  snprintf(nonce, sizeof nonce, "%s", auth_test_get(&ch, "nonce"));
  CU_ASSERT_PTR_NOT_NULL(strstr(hs.items[0].value, "userhash=true"));
  static const struct { const char *fmt; int rc; const char *why_has; } cases[] = {
    {"Digest realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_MALFORMED, "no username"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_MALFORMED, "no response"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=0000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_MALFORMED, "bad nc \"0000001\""},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=zzzzzzzz, cnonce=\"c\"",
     SIPSPEC_E_AUTH_MALFORMED, "bad nc"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001",
     SIPSPEC_E_AUTH_MALFORMED, "no cnonce"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256",
     SIPSPEC_E_AUTH_MALFORMED, "no qop"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth-int, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_UNSUPPORTED, "qop auth-int was not offered"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=MD5, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_UNSUPPORTED, "MD5 was not offered"},
    {"Digest username=\"" USER "\", realm=\"other\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_FAILED, "not this server's realm"},
    {"Digest username=\"mallory\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_FAILED, "unknown user \"mallory\""},
    {"Digest username=\"abcdef\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\", userhash=true",
     SIPSPEC_E_AUTH_FAILED, "(userhash)"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"sip:x@127.0.0.1\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_FAILED, "does not match the Request-URI"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s-forged\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_NONCE_UNKNOWN, "not issued here"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\"",
     SIPSPEC_E_AUTH_FAILED, "does not match (wrong password"},
    {"Digest username=\"" USER "\", realm=\"" REALM "\", nonce=\"%s\", uri=\"" URI "\", response=\"00\", algorithm=SHA-256, qop=auth, nc=00000001, cnonce=\"c\", userhash=maybe",
     SIPSPEC_E_AUTH_MALFORMED, "bad userhash"},
  };
  sipspec_digest_request req = {"MESSAGE", URI, NULL, 0};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char text[1024], why[256] = "";
    snprintf(text, sizeof text, cases[i].fmt, nonce);
    auth_test_hdr h;
    CU_ASSERT_EQUAL_FATAL(auth_test_parse(text, &h), 0);
    int rc = sipspec_digest_server_verify(s, h.p, h.n, &req, why, sizeof why);
    CU_ASSERT_EQUAL(rc, cases[i].rc);
    if (rc != cases[i].rc || strstr(why, cases[i].why_has) == NULL) {
      printf("\n  case %zu: rc %s reason \"%s\" (wanted \"%s\")\n", i, sipspec_errname(rc), why,
             cases[i].why_has);
      CU_FAIL("wrong verdict or reason");
    }
    CU_ASSERT_PTR_NULL(strstr(why, PASS));
  }
  sipspec_digest_server_destroy(s);
}

/* Raw hostile params at the verifier: over-long and control-character values, a value
 * pointer missing, nothing read past the given lengths. */
static void test_verify_hostile(void) {
  sipspec_digest_server_t *s = make_server(SIPSPEC_AUTH_WWW, REALM, 0, SIPSPEC_DIGEST_QOP_AUTH, false);
  static char big[5000];
  memset(big, 'u', sizeof big);
  sipspec_digest_param p[5] = {
    {{"username", 8}, {USER, 5}},  {{"realm", 5}, {REALM, strlen(REALM)}}, {{"nonce", 5}, {"n", 1}},
    {{"uri", 3}, {big, sizeof big}}, {{"response", 8}, {"00", 2}},
  };
  sipspec_digest_request req = {"INVITE", URI, NULL, 0};
  char why[256] = "";
  CU_ASSERT_EQUAL(sipspec_digest_server_verify(s, p, 5, &req, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "uri is too long (5000 bytes"));
  p[3].value.p = URI;
  p[3].value.len = strlen(URI);
  p[0].value.p = "alice\r\nX: y";
  p[0].value.len = 12;
  CU_ASSERT_EQUAL(sipspec_digest_server_verify(s, p, 5, &req, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "username contains a control character"));
  p[0].value.p = NULL;
  p[0].value.len = 3;
  CU_ASSERT_EQUAL(sipspec_digest_server_verify(s, p, 5, &req, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "username has no value"));
  /* lengths shorter than the strings: only the slice counts ("alicex" read as "alice") */
  p[0].value.p = USER "x";
  p[0].value.len = 5;
  CU_ASSERT_EQUAL(sipspec_digest_server_verify(s, p, 5, &req, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "no qop"));
  CU_ASSERT_EQUAL(sipspec_digest_server_verify(s, NULL, 0, &req, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_EQUAL(sipspec_digest_server_verify(s, p, 5, NULL, why, sizeof why), SIPSPEC_E_INVAL);
  sipspec_digest_server_destroy(s);
}

static void test_config_errors(void) {
  sipspec_digest_server_config cfg;
  sipspec_digest_server_t *s = NULL;
  char why[256] = "";
  sipspec_digest_server_config_init(&cfg);
  cfg.username = USER;
  cfg.password = PASS;
  CU_ASSERT_EQUAL(sipspec_digest_server_create(&cfg, &s, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "realm"));
  CU_ASSERT_PTR_NULL(s);
  cfg.realm = "bad\"realm";
  CU_ASSERT_EQUAL(sipspec_digest_server_create(&cfg, &s, why, sizeof why), SIPSPEC_E_INVAL);
  cfg.realm = REALM;
  cfg.qop_mask = 0;
  CU_ASSERT_EQUAL(sipspec_digest_server_create(&cfg, &s, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "qop"));
  CU_ASSERT_PTR_NULL(strstr(why, PASS));
  sipspec_digest_client_config cc;
  sipspec_digest_client_config_init(&cc);
  CU_ASSERT_EQUAL(cc.max_challenges, 2u);
  sipspec_digest_client_t *c = NULL;
  CU_ASSERT_EQUAL(sipspec_digest_client_create(&cc, &c), SIPSPEC_E_INVAL); /* no source */
  CU_ASSERT_PTR_NULL(c);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("digest_exchange", NULL, NULL);
  if (s == NULL) return 1;
  CU_add_test(s, "every algorithm x qop x userhash, client vs verifier", test_matrix);
  CU_add_test(s, "wrong password: one retry, then auth-failed", test_wrong_password);
  CU_add_test(s, "cache per realm, stale nonce", test_cache_and_stale);
  CU_add_test(s, "cached credentials rejected: refetch once", test_cached_then_rejected);
  CU_add_test(s, "retries never exceed max_challenges", test_retry_limit);
  CU_add_test(s, "401 + 407 on the same request", test_401_and_407);
  CU_add_test(s, "replayed nc and unknown nonces", test_replay_and_unknown_nonce);
  CU_add_test(s, "verifier: malformed and wrong params", test_verify_malformed);
  CU_add_test(s, "verifier: hostile raw params", test_verify_hostile);
  CU_add_test(s, "configuration errors", test_config_errors);
  return auth_test_run();
}
