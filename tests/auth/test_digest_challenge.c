/* test_digest_challenge.c: the challenge model (RFC 7616 section 3.3, RFC 8760 section 2).
 *
 * Parsing one challenge (every field, defaults, every kind of malformed param) and
 * choosing among several (strongest per realm, unknown algorithms and other schemes
 * skipped, only-unknown and only-malformed refused with a reason naming the culprit).
 */
#include <stdio.h>
#include <string.h>

#include "auth_test_util.h"
#include "sipspec/digest.h"
#include "sipspec/error.h"

static int parse_text(const char *text, sipspec_digest_challenge *ch, char *why, size_t n) {
  auth_test_hdr h;
  if (auth_test_parse(text, &h) != 0) return 12345;
  return sipspec_digest_challenge_parse(SIPSPEC_AUTH_PROXY, h.p, h.n, ch, why, n);
}

static void test_parse_all_fields(void) {
  sipspec_digest_challenge ch;
  char why[256] = "";
  int rc = parse_text("Digest REALM=\"mrcp.example.org\", nonce=\"n0nce\", opaque=\"op\", "
                      "algorithm=sha-256-SESS, qop=\"auth, auth-int,auth-conf\", stale=TRUE, "
                      "domain=\"sip:a.example.org sip:b.example.org\", userhash=false, "
                      "charset=UTF-8, future-param=1", &ch, why, sizeof why);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL(ch.kind, SIPSPEC_AUTH_PROXY);
  CU_ASSERT_STRING_EQUAL(ch.realm, "mrcp.example.org");
  CU_ASSERT_STRING_EQUAL(ch.nonce, "n0nce");
  CU_ASSERT_TRUE(ch.has_opaque);
  CU_ASSERT_STRING_EQUAL(ch.opaque, "op");
  CU_ASSERT_EQUAL(ch.alg, SIPSPEC_DIGEST_SHA256_SESS);
  CU_ASSERT_EQUAL(ch.qop_mask, SIPSPEC_DIGEST_QOP_AUTH | SIPSPEC_DIGEST_QOP_AUTH_INT);
  CU_ASSERT_TRUE(ch.stale);
  CU_ASSERT_FALSE(ch.userhash);
  CU_ASSERT_STRING_EQUAL(ch.domain, "sip:a.example.org sip:b.example.org");
}

static void test_parse_defaults(void) {
  sipspec_digest_challenge ch;
  CU_ASSERT_EQUAL_FATAL(parse_text("Digest realm=\"r\", nonce=\"n\"", &ch, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL(ch.alg, SIPSPEC_DIGEST_MD5); /* absent algorithm means MD5 */
  CU_ASSERT_EQUAL(ch.qop_mask, 0u);
  CU_ASSERT_FALSE(ch.stale);
  CU_ASSERT_FALSE(ch.userhash);
  CU_ASSERT_FALSE(ch.has_opaque);
  CU_ASSERT_STRING_EQUAL(ch.domain, "");
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  sipspec_digest_input_from_challenge(&ch, &in);
  CU_ASSERT_EQUAL(in.qop, SIPSPEC_DIGEST_QOP_NONE);
  CU_ASSERT_PTR_NULL(in.opaque);
  CU_ASSERT_EQUAL_FATAL(parse_text("Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"", &ch, NULL, 0),
                        SIPSPEC_OK);
  sipspec_digest_input_from_challenge(&ch, &in);
  CU_ASSERT_EQUAL(in.qop, SIPSPEC_DIGEST_QOP_AUTH_INT);
}

/* Each malformed challenge is refused with a reason that names the problem. */
static void test_parse_malformed(void) {
  static const struct {
    const char *text;
    int rc;
    const char *why_has;
  } cases[] = {
    {"Digest nonce=\"n\"", SIPSPEC_E_AUTH_MALFORMED, "no realm"},
    {"Digest realm=\"r\"", SIPSPEC_E_AUTH_MALFORMED, "no nonce"},
    {"Digest realm=\"r\", nonce=\"\"", SIPSPEC_E_AUTH_MALFORMED, "no nonce"},
    {"Digest realm=\"r\", nonce=\"n\", stale=yes", SIPSPEC_E_AUTH_MALFORMED, "bad stale value \"yes\""},
    {"Digest realm=\"r\", nonce=\"n\", userhash=1", SIPSPEC_E_AUTH_MALFORMED, "bad userhash value \"1\""},
    {"Digest realm=\"r\", realm=\"s\", nonce=\"n\"", SIPSPEC_E_AUTH_MALFORMED, "duplicate realm"},
    {"Digest realm=\"r\", nonce=\"n\", nonce=\"m\"", SIPSPEC_E_AUTH_MALFORMED, "duplicate nonce"},
    {"Digest realm=\"r\", nonce=\"n\", algorithm=SHA-1", SIPSPEC_E_AUTH_UNSUPPORTED, "\"SHA-1\""},
    {"Digest realm=\"r\", nonce=\"n\", algorithm=\"\"", SIPSPEC_E_AUTH_UNSUPPORTED, "algorithm"},
    {"Digest realm=\"r\", nonce=\"n\", qop=\"auth-conf\"", SIPSPEC_E_AUTH_UNSUPPORTED, "auth-conf"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    sipspec_digest_challenge ch;
    char why[256] = "";
    int rc = parse_text(cases[i].text, &ch, why, sizeof why);
    CU_ASSERT_EQUAL(rc, cases[i].rc);
    if (strstr(why, cases[i].why_has) == NULL) {
      printf("\n  case %zu: reason \"%s\" lacks \"%s\"\n", i, why, cases[i].why_has);
      CU_FAIL("reason does not name the problem");
    }
  }
}

/* Raw params the text helper could not express: control characters, oversize values. */
static void test_parse_hostile_values(void) {
  sipspec_digest_param p[3] = {
    {{"realm", 5}, {"r", 1}},
    {{"nonce", 5}, {"abc\r\nVia: x", 12}},
    {{"algorithm", 9}, {"MD5", 3}},
  };
  sipspec_digest_challenge ch;
  char why[256] = "";
  CU_ASSERT_EQUAL(sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, p, 3, &ch, why, sizeof why),
                  SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "nonce contains a control character"));
  char big[400];
  memset(big, 'x', sizeof big);
  p[1].value.p = big;
  p[1].value.len = sizeof big;
  CU_ASSERT_EQUAL(sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, p, 3, &ch, why, sizeof why),
                  SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "nonce is too long (400 bytes"));
  /* a hostile algorithm token is quoted sanitized and truncated in the reason */
  p[1].value.p = "n";
  p[1].value.len = 1;
  char alg[200];
  memset(alg, 'A', sizeof alg);
  alg[3] = '\n';
  alg[4] = '\x1b';
  p[2].value.p = alg;
  p[2].value.len = sizeof alg;
  CU_ASSERT_EQUAL(sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, p, 3, &ch, why, sizeof why),
                  SIPSPEC_E_AUTH_UNSUPPORTED);
  CU_ASSERT_PTR_NULL(strchr(why, '\n'));
  CU_ASSERT_PTR_NULL(strchr(why, '\x1b'));
  CU_ASSERT_TRUE(strlen(why) < 100);
  /* reason buffer too small or absent: still no overflow */
  char tiny[4];
  CU_ASSERT_EQUAL(sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, p, 3, &ch, tiny, sizeof tiny),
                  SIPSPEC_E_AUTH_UNSUPPORTED);
  CU_ASSERT_EQUAL(strlen(tiny), 3u);
  CU_ASSERT_EQUAL(sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, p, 3, &ch, NULL, 0),
                  SIPSPEC_E_AUTH_UNSUPPORTED);
}

/* ---- choosing ------------------------------------------------------------------------ */

typedef struct offers {
  auth_test_hdr h[8];
  sipspec_digest_offer o[8];
  size_t n;
} offers;

static void add(offers *os, sipspec_auth_kind kind, const char *text) {
  CU_ASSERT_EQUAL_FATAL(auth_test_parse(text, &os->h[os->n]), 0);
  os->o[os->n] = auth_test_offer(&os->h[os->n], kind);
  os->n++;
}

static offers g_os; /* large: keep it off the stack */

static int choose(sipspec_digest_challenge *out, size_t cap, size_t *n, char *why, size_t wl) {
  return sipspec_digest_choose(g_os.o, g_os.n, out, cap, n, why, wl);
}

static void test_choose_strongest(void) {
  sipspec_digest_challenge out[6];
  size_t n;
  memset(&g_os, 0, sizeof g_os);
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"1\", algorithm=SHA-256, qop=\"auth\"");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"2\", algorithm=MD5, qop=\"auth\"");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"3\", algorithm=SHA-512-256, qop=\"auth\"");
  CU_ASSERT_EQUAL_FATAL(choose(out, 6, &n, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1u);
  CU_ASSERT_EQUAL(out[0].alg, SIPSPEC_DIGEST_SHA512_256);
  CU_ASSERT_STRING_EQUAL(out[0].nonce, "3");

  memset(&g_os, 0, sizeof g_os);
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"1\"");  /* MD5 by default */
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-256");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"3\", algorithm=SHA-256");
  CU_ASSERT_EQUAL_FATAL(choose(out, 6, &n, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1u);
  CU_ASSERT_EQUAL(out[0].alg, SIPSPEC_DIGEST_SHA256);
  CU_ASSERT_STRING_EQUAL(out[0].nonce, "2"); /* tie: the topmost wins */
}

static void test_choose_skips_unknown(void) {
  sipspec_digest_challenge out[6];
  size_t n;
  char why[256] = "";
  memset(&g_os, 0, sizeof g_os);
  add(&g_os, SIPSPEC_AUTH_WWW, "Basic realm=\"r\"");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"1\", algorithm=SHA3-256");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"2\", algorithm=MD5");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"3\", stale=maybe, algorithm=SHA-256");
  CU_ASSERT_EQUAL_FATAL(choose(out, 6, &n, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(n, 1u);
  CU_ASSERT_EQUAL(out[0].alg, SIPSPEC_DIGEST_MD5);
  CU_ASSERT_STRING_EQUAL(out[0].nonce, "2");
}

static void test_choose_only_unknown(void) {
  sipspec_digest_challenge out[6];
  size_t n = 99;
  char why[256] = "";
  memset(&g_os, 0, sizeof g_os);
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"1\", algorithm=SHA-1");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"2\", algorithm=SHA3-256");
  add(&g_os, SIPSPEC_AUTH_WWW, "Basic realm=\"r\"");
  CU_ASSERT_EQUAL(choose(out, 6, &n, why, sizeof why), SIPSPEC_E_AUTH_UNSUPPORTED);
  CU_ASSERT_EQUAL(n, 0u);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "SHA-1"));
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "SHA3-256"));
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "scheme Basic"));
}

static void test_choose_only_malformed(void) {
  sipspec_digest_challenge out[6];
  size_t n = 99;
  char why[256] = "";
  memset(&g_os, 0, sizeof g_os);
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", algorithm=MD5");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"r\", nonce=\"2\", algorithm=SHA-7");
  CU_ASSERT_EQUAL(choose(out, 6, &n, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_EQUAL(n, 0u);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "no nonce"));
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "SHA-7"));
  memset(&g_os, 0, sizeof g_os);
  CU_ASSERT_EQUAL(choose(out, 6, &n, why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "no challenge"));
}

/* 401 and 407 challenges (and several realms) are kept apart. */
static void test_choose_per_realm_and_kind(void) {
  sipspec_digest_challenge out[6];
  size_t n;
  memset(&g_os, 0, sizeof g_os);
  add(&g_os, SIPSPEC_AUTH_PROXY, "Digest realm=\"proxy\", nonce=\"p1\", algorithm=MD5");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"uas\", nonce=\"u1\", algorithm=SHA-256");
  add(&g_os, SIPSPEC_AUTH_PROXY, "Digest realm=\"proxy\", nonce=\"p2\", algorithm=SHA-256");
  add(&g_os, SIPSPEC_AUTH_WWW, "Digest realm=\"proxy\", nonce=\"w1\", algorithm=MD5");
  CU_ASSERT_EQUAL_FATAL(choose(out, 6, &n, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(n, 3u);
  CU_ASSERT_EQUAL(out[0].kind, SIPSPEC_AUTH_PROXY);
  CU_ASSERT_STRING_EQUAL(out[0].nonce, "p2");
  CU_ASSERT_EQUAL(out[1].kind, SIPSPEC_AUTH_WWW);
  CU_ASSERT_STRING_EQUAL(out[1].realm, "uas");
  CU_ASSERT_EQUAL(out[2].kind, SIPSPEC_AUTH_WWW);
  CU_ASSERT_STRING_EQUAL(out[2].nonce, "w1");
  /* more realms than room */
  CU_ASSERT_EQUAL(choose(out, 2, &n, NULL, 0), SIPSPEC_E_RANGE);
  CU_ASSERT_EQUAL(n, 0u);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("digest_challenge", NULL, NULL);
  if (s == NULL) return 1;
  CU_add_test(s, "parse: every field", test_parse_all_fields);
  CU_add_test(s, "parse: defaults", test_parse_defaults);
  CU_add_test(s, "parse: malformed params named", test_parse_malformed);
  CU_add_test(s, "parse: hostile raw values", test_parse_hostile_values);
  CU_add_test(s, "choose: strongest per RFC 8760", test_choose_strongest);
  CU_add_test(s, "choose: unknown/malformed/other schemes skipped", test_choose_skips_unknown);
  CU_add_test(s, "choose: only unknown fails naming them", test_choose_only_unknown);
  CU_add_test(s, "choose: only malformed fails with reason", test_choose_only_malformed);
  CU_add_test(s, "choose: per realm and kind", test_choose_per_realm_and_kind);
  return auth_test_run();
}
