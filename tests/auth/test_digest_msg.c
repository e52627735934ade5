/* test_digest_msg.c: the Digest adapter on parsed SIP messages (sipspec/digest_msg.h).
 *
 * Every message here goes through sipspec_msg_parse: written 401/407 responses (one
 * challenge, two challenges on one line, challenges across WWW- and Proxy-Authenticate
 * lines, folded lines, quoted-pairs, token68 schemes), requests with credentials, and
 * full round trips where the verifier's challenge is built into a 401, parsed, answered
 * by the client, built into the retried request, parsed and verified. Malformed headers
 * (broken quoting, missing commas, too many params or challenges) must give the
 * documented error and a reason naming the header; a mutation sweep over a challenge
 * line checks that no input crashes or reads outside the message (run it under ASan).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_test_util.h"
#include "sipspec/digest.h"
#include "sipspec/digest_msg.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"

#define USER "alice"
#define PASS "Tr0ub4dor&3"
#define REALM "mrcp.example.org"
#define PROXY_REALM "proxy.example.org"
#define URI "sip:speechsynth@127.0.0.1:5060"

static sipspec_msg *g_msg;
static sipspec_digest_msg_scratch g_s;
static char g_buf[16384];

/* A 401/407 head around the given header lines ("Name: value\r\n..."). */
static const char k_resp_head[] =
    "SIP/2.0 %d %s\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK776asdhds\r\n"
    "From: <sip:client@127.0.0.1>;tag=1928301774\r\n"
    "To: <" URI ">;tag=a6c85cf\r\n"
    "Call-ID: a84b4c76e66710@127.0.0.1\r\n"
    "CSeq: 314159 INVITE\r\n"
    "%s"
    "Content-Length: 0\r\n"
    "\r\n";

/* Parses text (copied into g_buf) into g_msg. */
static int parse_text(const char *text) {
  size_t n = strlen(text);
  CU_ASSERT_FATAL(n < sizeof g_buf);
  memcpy(g_buf, text, n);
  return sipspec_msg_parse(g_msg, g_buf, n);
}

static int parse_response(int status, const char *hdrs) {
  char text[sizeof g_buf];
  snprintf(text, sizeof text, k_resp_head, status, status == 407 ? "Proxy Authentication Required"
                                                                 : "Unauthorized", hdrs);
  return parse_text(text);
}

/* Value of param name in offer o as a NUL-terminated copy (static buffer), or NULL. */
static const char *param(const sipspec_digest_param *p, size_t n, const char *name) {
  static char out[1024];
  for (size_t i = 0; i < n; i++)
    if (p[i].name.len == strlen(name) && strncasecmp(p[i].name.p, name, p[i].name.len) == 0) {
      size_t l = p[i].value.len < sizeof out - 1 ? p[i].value.len : sizeof out - 1;
      memcpy(out, p[i].value.p, l);
      out[l] = '\0';
      return out;
    }
  return NULL;
}

static bool scheme_is(const sipspec_digest_offer *o, const char *s) {
  return o->scheme.len == strlen(s) && memcmp(o->scheme.p, s, o->scheme.len) == 0;
}

/* RFC 3261 section 22.4 style 401 with one challenge. */
static void test_one_challenge(void) {
  CU_ASSERT_EQUAL_FATAL(parse_response(401,
      "WWW-Authenticate: Digest realm=\"atlanta.com\",\r\n"
      "  domain=\"sip:boxesbybob.com\", qop=\"auth\",\r\n"
      "  nonce=\"f84f1cec41e6cbe5aea9c8e88d359\",\r\n"
      "  opaque=\"\", stale=FALSE, algorithm=MD5\r\n"), SIPSPEC_OK);
  const sipspec_digest_offer *o = NULL;
  size_t n = 99;
  char why[256] = "x";
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(why, "");
  CU_ASSERT_EQUAL_FATAL(n, 1u);
  CU_ASSERT_EQUAL(o[0].kind, SIPSPEC_AUTH_WWW);
  CU_ASSERT(scheme_is(&o[0], "Digest"));
  CU_ASSERT_EQUAL(o[0].n_params, 7u);
  CU_ASSERT_STRING_EQUAL(param(o[0].params, o[0].n_params, "realm"), "atlanta.com");
  CU_ASSERT_STRING_EQUAL(param(o[0].params, o[0].n_params, "domain"), "sip:boxesbybob.com");
  CU_ASSERT_STRING_EQUAL(param(o[0].params, o[0].n_params, "nonce"), "f84f1cec41e6cbe5aea9c8e88d359");
  CU_ASSERT_STRING_EQUAL(param(o[0].params, o[0].n_params, "opaque"), "");
  CU_ASSERT_STRING_EQUAL(param(o[0].params, o[0].n_params, "stale"), "FALSE");
  CU_ASSERT_STRING_EQUAL(param(o[0].params, o[0].n_params, "algorithm"), "MD5");
  /* the Digest module accepts what we hand over */
  sipspec_digest_challenge ch[4];
  size_t nch = 0;
  CU_ASSERT_EQUAL(sipspec_digest_choose(o, n, ch, 4, &nch, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(nch, 1u);
  CU_ASSERT_STRING_EQUAL(ch[0].realm, "atlanta.com");
  CU_ASSERT_EQUAL(ch[0].qop_mask, (unsigned)SIPSPEC_DIGEST_QOP_AUTH);
  CU_ASSERT_EQUAL(ch[0].alg, SIPSPEC_DIGEST_MD5);
}

/* Two challenges on one line (RFC 8760 section 2.3 style), a third on a second line and a
 * Proxy-Authenticate in between: all four in message order with their kinds. */
static void test_several_challenges(void) {
  CU_ASSERT_EQUAL_FATAL(parse_response(401,
      "WWW-Authenticate: Digest realm=\"uas\", nonce=\"n1\", algorithm=SHA-256, qop=\"auth\","
      " Digest realm=\"uas\", nonce=\"n2\", algorithm=MD5, qop=\"auth\"\r\n"
      "Proxy-Authenticate: Digest realm=\"proxy\", nonce=\"p1\", qop=\"auth,auth-int\"\r\n"
      "WWW-Authenticate: Digest realm=\"uas\",nonce=\"n3\",algorithm=SHA-512-256,qop=auth\r\n"),
      SIPSPEC_OK);
  const sipspec_digest_offer *o = NULL;
  size_t n = 0;
  char why[256];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(n, 4u);
  static const char *nonces[] = {"n1", "n2", "p1", "n3"};
  static const sipspec_auth_kind kinds[] = {SIPSPEC_AUTH_WWW, SIPSPEC_AUTH_WWW, SIPSPEC_AUTH_PROXY,
                                            SIPSPEC_AUTH_WWW};
  static const size_t nparams[] = {4, 4, 3, 4};
  for (size_t i = 0; i < 4; i++) {
    CU_ASSERT(scheme_is(&o[i], "Digest"));
    CU_ASSERT_EQUAL(o[i].kind, kinds[i]);
    CU_ASSERT_EQUAL(o[i].n_params, nparams[i]);
    CU_ASSERT_STRING_EQUAL(param(o[i].params, o[i].n_params, "nonce"), nonces[i]);
  }
  /* the comma inside the quoted qop did not split anything */
  CU_ASSERT_STRING_EQUAL(param(o[2].params, o[2].n_params, "qop"), "auth,auth-int");
  sipspec_digest_challenge ch[4];
  size_t nch = 0;
  CU_ASSERT_EQUAL(sipspec_digest_choose(o, n, ch, 4, &nch, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(nch, 2u);
  CU_ASSERT_STRING_EQUAL(ch[0].nonce, "n3"); /* strongest of realm uas: SHA-512-256 */
  CU_ASSERT_EQUAL(ch[1].kind, SIPSPEC_AUTH_PROXY);
  CU_ASSERT_EQUAL(ch[1].qop_mask, (unsigned)(SIPSPEC_DIGEST_QOP_AUTH | SIPSPEC_DIGEST_QOP_AUTH_INT));
}

/* Quoted-pairs resolved, folds inside and between params, other schemes (auth-params and
 * token68) kept as offers that choose() skips. */
static void test_quoting_folding_schemes(void) {
  CU_ASSERT_EQUAL_FATAL(parse_response(407,
      "Proxy-Authenticate: Negotiate YIIB/z0+==, Basic realm=\"b\",\r\n"
      "\tDigest realm=\"a \\\"quoted\\\" \\\\ realm\", nonce=\"x\r\n y\"\r\n"
      "Proxy-Authenticate: NTLM realm=\"n\"\r\n"), SIPSPEC_OK);
  const sipspec_digest_offer *o = NULL;
  size_t n = 0;
  char why[256];
  int rc = sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why);
  if (rc != SIPSPEC_OK) printf("\n  %s\n", why);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(n, 4u);
  CU_ASSERT(scheme_is(&o[0], "Negotiate"));
  CU_ASSERT_EQUAL(o[0].n_params, 0u);
  CU_ASSERT(scheme_is(&o[1], "Basic"));
  CU_ASSERT_STRING_EQUAL(param(o[1].params, o[1].n_params, "realm"), "b");
  CU_ASSERT(scheme_is(&o[2], "Digest"));
  CU_ASSERT_STRING_EQUAL(param(o[2].params, o[2].n_params, "realm"), "a \"quoted\" \\ realm");
  CU_ASSERT_STRING_EQUAL(param(o[2].params, o[2].n_params, "nonce"), "x y");
  CU_ASSERT(scheme_is(&o[3], "NTLM"));
  CU_ASSERT_EQUAL(o[3].n_params, 1u);
  for (size_t i = 0; i < 4; i++) CU_ASSERT_EQUAL(o[i].kind, SIPSPEC_AUTH_PROXY);
  sipspec_digest_challenge ch[2];
  size_t nch = 0;
  CU_ASSERT_EQUAL(sipspec_digest_choose(o, n, ch, 2, &nch, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(nch, 1u);
  CU_ASSERT_STRING_EQUAL(ch[0].realm, "a \"quoted\" \\ realm");
}

/* A 401/407 without challenges, a 200, a request. */
static void test_no_challenge(void) {
  const sipspec_digest_offer *o = NULL;
  size_t n = 5;
  char why[256] = "";
  CU_ASSERT_EQUAL_FATAL(parse_response(401, ""), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why),
                  SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_EQUAL(n, 0u);
  CU_ASSERT_STRING_EQUAL(why, "401 response without a WWW-Authenticate header");
  CU_ASSERT_EQUAL_FATAL(parse_response(407, "Proxy-Authorization: Digest a=b\r\n"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why),
                  SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_STRING_EQUAL(why, "407 response without a Proxy-Authenticate header");
  CU_ASSERT_EQUAL_FATAL(parse_text("SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                                   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"), SIPSPEC_OK);
  n = 5;
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(n, 0u);
  CU_ASSERT_EQUAL_FATAL(parse_text("OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n"
                                   "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "not requests"));
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(NULL, &g_s, &o, &n, why, sizeof why), SIPSPEC_E_INVAL);
}

/* Malformed challenge lines: each still parses as a SIP message (the parser checks only
 * the auth-scheme), and the adapter names the header, the byte and the problem. */
static void test_malformed(void) {
  static const struct {
    const char *hdrs;
    int code;
    const char *reason;
  } cases[] = {
    {"WWW-Authenticate: Digest realm=\"a\" nonce=\"b\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "WWW-Authenticate header 1, byte 18: expected ',' between auth-params"},
    {"WWW-Authenticate: Digest realm=\"a, nonce=\"b\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "WWW-Authenticate header 1, byte 25: expected ',' between auth-params"},
    {"WWW-Authenticate: Digest realm=\"a\", nonce=\"b\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "WWW-Authenticate header 1, byte 25: quoted-string not terminated"},
    {"WWW-Authenticate: Digest realm=\"a\", nonce\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 24: expected '=' after the auth-param name \"nonce\""},
    {"WWW-Authenticate: Digest realm=\"a\", nonce=\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 25: expected a token or a quoted-string as the auth-param value"},
    {"WWW-Authenticate: Digest realm=\"a\",\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 18: expected an auth-param name (a token)"},
    {"WWW-Authenticate: Digest , realm=\"a\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 8: expected an auth-param name (a token)"},
    {"WWW-Authenticate: Digest realm=\"a\",, nonce=\"b\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 18: expected an auth-param name (a token)"},
    {"WWW-Authenticate: Digest realm=\"a\\\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "quoted-string not terminated"},
    {"WWW-Authenticate: Digest realm=\"ok\", nonce=\"1\"\r\n"
     "Proxy-Authenticate: Digest realm=@@\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "Proxy-Authenticate header 1, byte 14: expected a token or a quoted-string"},
    {"WWW-Authenticate: Digest realm=\"ok\", nonce=\"1\"\r\n"
     "WWW-Authenticate: Digest realm=\"ok\" \"junk\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "WWW-Authenticate header 2, byte 19: expected ','"},
    {"WWW-Authenticate: Negotiate abc==, realm=\"x\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 16: after a token68 value, expected ',' and the next auth-scheme"},
    {"WWW-Authenticate: Digest realm=\"a\", =\"b\"\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "expected an auth-param name"},
    {"WWW-Authenticate: Digest realm=\"a\", Basic\r\n", SIPSPEC_E_AUTH_MALFORMED,
     "byte 24: expected '=' after the auth-param name \"Basic\""},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    CU_ASSERT_EQUAL_FATAL(parse_response(401, cases[i].hdrs), SIPSPEC_OK);
    const sipspec_digest_offer *o = NULL;
    size_t n = 7;
    char why[256] = "";
    int rc = sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why);
    if (rc != cases[i].code || !strstr(why, cases[i].reason))
      printf("\n  case %zu: rc %s, why \"%s\"\n", i, sipspec_errname(rc), why);
    CU_ASSERT_EQUAL(rc, cases[i].code);
    CU_ASSERT_PTR_NOT_NULL(strstr(why, cases[i].reason));
    CU_ASSERT_EQUAL(n, 0u);
  }
}

/* More auth-params or challenges than the scratch holds: SIPSPEC_E_RANGE, named. */
static void test_too_many(void) {
  char hdrs[8192];
  size_t len = (size_t)snprintf(hdrs, sizeof hdrs, "WWW-Authenticate: Digest realm=\"r\"");
  for (int i = 0; i < SIPSPEC_DIGEST_MSG_MAX_PARAMS; i++)
    len += (size_t)snprintf(hdrs + len, sizeof hdrs - len, ", p%d=%d", i, i);
  snprintf(hdrs + len, sizeof hdrs - len, "\r\n");
  CU_ASSERT_EQUAL_FATAL(parse_response(401, hdrs), SIPSPEC_OK);
  const sipspec_digest_offer *o = NULL;
  size_t n = 7;
  char why[256] = "";
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_E_RANGE);
  CU_ASSERT_STRING_EQUAL(why, "WWW-Authenticate header 1: more than 96 auth-params in all");
  CU_ASSERT_EQUAL(n, 0u);

  /* exactly at the limit over two lines is fine (realm and nonce are required, RFC 7616
   * section 3.3, so each line carries both) */
  len = 0;
  for (int h = 0; h < 2; h++) {
    len += (size_t)snprintf(hdrs + len, sizeof hdrs - len, "WWW-Authenticate: Digest realm=\"r%d\", nonce=\"n\"", h);
    for (int i = 2; i < SIPSPEC_DIGEST_MSG_MAX_PARAMS / 2; i++)
      len += (size_t)snprintf(hdrs + len, sizeof hdrs - len, ", p%d=%d", i, i);
    len += (size_t)snprintf(hdrs + len, sizeof hdrs - len, "\r\n");
  }
  CU_ASSERT_EQUAL_FATAL(parse_response(401, hdrs), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(n, 2u);
  CU_ASSERT_EQUAL(o[1].n_params, (size_t)SIPSPEC_DIGEST_MSG_MAX_PARAMS / 2);

  len = (size_t)snprintf(hdrs, sizeof hdrs, "WWW-Authenticate: Basic realm=\"x\"");
  for (int i = 0; i < SIPSPEC_DIGEST_MSG_MAX_OFFERS; i++)
    len += (size_t)snprintf(hdrs + len, sizeof hdrs - len, ", Digest realm=\"r\", nonce=\"%d\"", i);
  snprintf(hdrs + len, sizeof hdrs - len, "\r\n");
  CU_ASSERT_EQUAL_FATAL(parse_response(401, hdrs), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why), SIPSPEC_E_RANGE);
  CU_ASSERT_STRING_EQUAL(why, "WWW-Authenticate header 1: more than 16 challenges in all");
}

/* Mutation sweep: every byte of a challenge line replaced by each of a set of hostile
 * bytes, and the line cut at every length. Each message is copied into a buffer of its
 * exact size (so ASan sees any read past it); the adapter returns OK or a documented
 * error with a reason, and every slice it returns lies inside the message or the scratch. */
static void test_mutations(void) {
  static const char line[] =
      "WWW-Authenticate: Digest realm=\"a\\\"b\", nonce=\"n1\", qop=\"auth\", Digest "
      "realm=\"c\", nonce=n2, algorithm=MD5, Basic realm=\"z\", Negotiate a==\r\n";
  static const char subst[] = {'"', ',', '\\', '=', ' ', '\t', 'x', '\0', '\x80', '\r', '\n'};
  char hdrs[512], text[1024];
  size_t start = strlen("WWW-Authenticate: "), ll = strlen(line) - 2;
  unsigned parsed = 0, ok = 0, failed = 0;
  for (size_t pos = start; pos <= ll; pos++) {
    for (size_t k = 0; k <= sizeof subst; k++) {
      size_t hl;
      if (k == sizeof subst) { /* cut the line at pos */
        memcpy(hdrs, line, pos);
        memcpy(hdrs + pos, "\r\n", 2);
        hl = pos + 2;
      } else {
        if (pos == ll) continue;
        memcpy(hdrs, line, ll + 2);
        hdrs[pos] = subst[k];
        hl = ll + 2;
      }
      hdrs[hl] = '\0';
      int tl = snprintf(text, sizeof text, k_resp_head, 401, "Unauthorized", "");
      /* insert the (possibly NUL-containing) line before Content-Length */
      const char *cl = strstr(text, "Content-Length");
      size_t head = (size_t)(cl - text), tail = (size_t)tl - head;
      char *m = malloc(head + hl + tail);
      CU_ASSERT_PTR_NOT_NULL_FATAL(m);
      memcpy(m, text, head);
      memcpy(m + head, hdrs, hl);
      memcpy(m + head + hl, cl, tail);
      if (sipspec_msg_parse(g_msg, m, head + hl + tail) == SIPSPEC_OK) {
        parsed++;
        const sipspec_digest_offer *o = NULL;
        size_t n = 0;
        char why[256] = "";
        int rc = sipspec_digest_offers_from_msg(g_msg, &g_s, &o, &n, why, sizeof why);
        if (rc == SIPSPEC_OK) {
          ok++;
          for (size_t i = 0; i < n; i++) {
            CU_ASSERT(o[i].scheme.p >= m && o[i].scheme.p + o[i].scheme.len <= m + head + hl + tail);
            for (size_t j = 0; j < o[i].n_params; j++) {
              const sipspec_digest_param *p = &o[i].params[j];
              bool in_msg = p->value.p >= m && p->value.p + p->value.len <= m + head + hl + tail;
              bool in_scratch = p->value.p >= g_s.text && p->value.p + p->value.len <= g_s.text + sizeof g_s.text;
              CU_ASSERT(in_msg || in_scratch);
              CU_ASSERT(p->name.p >= m && p->name.p + p->name.len <= m + head + hl + tail);
            }
          }
        } else {
          failed++;
          CU_ASSERT(rc == SIPSPEC_E_AUTH_MALFORMED || rc == SIPSPEC_E_RANGE);
          CU_ASSERT(strlen(why) > 20);
          CU_ASSERT_EQUAL(n, 0u);
        }
      }
      free(m);
    }
  }
  /* both outcomes happened many times: the sweep exercised the adapter */
  CU_ASSERT(parsed > 300);
  CU_ASSERT(ok > 100);
  CU_ASSERT(failed > 100);
}

/* ---- requests, credentials and round trips ------------------------------------------- */

static uint64_t g_now_ms;
static uint64_t fake_clock(void *user) {
  (void)user;
  return g_now_ms;
}

static sipspec_digest_server_t *make_server(sipspec_auth_kind kind, const char *realm,
                                            const char *user, const char *pass) {
  sipspec_digest_server_config cfg;
  sipspec_digest_server_config_init(&cfg);
  cfg.kind = kind;
  cfg.realm = realm;
  cfg.username = user;
  cfg.password = pass;
  cfg.clock = fake_clock;
  sipspec_digest_server_t *s = NULL;
  char why[256] = "";
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_create(&cfg, &s, why, sizeof why), SIPSPEC_OK);
  return s;
}

static sipspec_digest_client_t *make_client(const sipspec_digest_cred_entry *t, size_t n) {
  sipspec_digest_client_config cfg;
  sipspec_digest_client_config_init(&cfg);
  cfg.table = t;
  cfg.table_len = n;
  sipspec_digest_client_t *c = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_create(&cfg, &c), SIPSPEC_OK);
  return c;
}

static const char k_body[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
                             "t=0 0\r\nm=application 9 TCP/MRCPv2 1\r\n";

/* Builds INVITE number cseq with the given credential headers into buf and parses it into
 * m. The extra lines come either from a sipspec_digest_headers or as text. */
static void build_invite(sipspec_msg *m, char *buf, size_t cap, unsigned cseq,
                         const sipspec_digest_headers *hs, const char *extra) {
  sipspec_build b;
  char line[64];
  sipspec_build_init(&b, buf, cap);
  sipspec_build_request_line(&b, (sipspec_span){"INVITE", 6}, (sipspec_span){URI, strlen(URI)});
#define H(n, v) sipspec_build_header(&b, (sipspec_span){n, strlen(n)}, (sipspec_span){v, strlen(v)})
  snprintf(line, sizeof line, "SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKrt%u", cseq);
  H("Via", line);
  H("Max-Forwards", "70");
  H("From", "<sip:client@127.0.0.1>;tag=1928301774");
  H("To", "<" URI ">");
  H("Call-ID", "rt-call@127.0.0.1");
  snprintf(line, sizeof line, "%u INVITE", cseq);
  H("CSeq", line);
  H("Content-Type", "application/sdp");
  if (extra && *extra) {
    size_t el = strlen(extra);
    if (b.len + el <= b.cap) {
      memcpy(b.buf + b.len, extra, el);
      b.len += el;
    }
  }
#undef H
  if (hs) CU_ASSERT_EQUAL(sipspec_digest_headers_build(&b, hs, SIPSPEC_DIGEST_CREDENTIALS), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){k_body, sizeof k_body - 1}), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, buf, b.len), SIPSPEC_OK);
}

/* A 401 or 407 to req carrying the challenges of every server in srv, one header line
 * each when `one_line` (several challenges joined by commas), else one line per value. */
static void build_challenge(sipspec_msg *m, char *buf, size_t cap, const sipspec_msg *req,
                            sipspec_digest_server_t *const *srv, size_t n_srv, bool one_line) {
  sipspec_build b;
  sipspec_build_init(&b, buf, cap);
  sipspec_build_response(&b, req, 401, "Unauthorized", "srv-tag");
  for (size_t i = 0; i < n_srv; i++) {
    sipspec_digest_headers hs;
    CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_challenge(srv[i], false, &hs), SIPSPEC_OK);
    if (one_line) {
      char joined[SIPSPEC_DIGEST_HEADER_MAX * SIPSPEC_DIGEST_MAX_HEADERS] = "";
      for (size_t k = 0; k < hs.count; k++) {
        if (k) strcat(joined, ", ");
        strcat(joined, hs.items[k].value);
      }
      const char *name = sipspec_auth_challenge_header(hs.items[0].kind);
      sipspec_build_header(&b, (sipspec_span){name, strlen(name)}, (sipspec_span){joined, strlen(joined)});
    } else {
      CU_ASSERT_EQUAL(sipspec_digest_headers_build(&b, &hs, SIPSPEC_DIGEST_CHALLENGES), SIPSPEC_OK);
    }
  }
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, buf, b.len), SIPSPEC_OK);
}

static char g_req_buf[8192], g_resp_buf[16384], g_retry_buf[16384];
static sipspec_msg *g_req, *g_resp, *g_retry;

/* Server challenges with all three algorithms on one line; the client answers the
 * strongest; the retried INVITE verifies; a replay of it is refused. */
static void test_round_trip_www(void) {
  for (int one_line = 0; one_line < 2; one_line++) {
    g_now_ms = 1000;
    sipspec_digest_server_t *srv = make_server(SIPSPEC_AUTH_WWW, REALM, USER, PASS);
    static const sipspec_digest_cred_entry table[] = {{REALM, USER, PASS}};
    sipspec_digest_client_t *c = make_client(table, 1);
    char why[256] = "";

    build_invite(g_req, g_req_buf, sizeof g_req_buf, 1, NULL, NULL);
    CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, REALM, g_req, &g_s, why, sizeof why),
                    SIPSPEC_E_NOTFOUND);
    CU_ASSERT_STRING_EQUAL(why, "no Authorization header with Digest credentials for realm \"" REALM "\"");
    build_challenge(g_resp, g_resp_buf, sizeof g_resp_buf, g_req, &srv, 1, one_line);
    CU_ASSERT_EQUAL(sipspec_msg_value_count(g_resp, SIPSPEC_H_WWW_AUTHENTICATE), one_line ? 1u : 3u);

    const sipspec_digest_offer *o;
    size_t n;
    CU_ASSERT_EQUAL_FATAL(sipspec_digest_offers_from_msg(g_resp, &g_s, &o, &n, why, sizeof why), SIPSPEC_OK);
    CU_ASSERT_EQUAL(n, 3u);

    sipspec_digest_request req;
    CU_ASSERT_EQUAL_FATAL(sipspec_digest_request_from_msg(g_req, &g_s, &req), SIPSPEC_OK);
    CU_ASSERT_STRING_EQUAL(req.method, "INVITE");
    CU_ASSERT_STRING_EQUAL(req.uri, URI);
    CU_ASSERT_EQUAL(req.body_len, sizeof k_body - 1);
    sipspec_digest_request copy = req; /* the verdict call below reuses another scratch */
    static sipspec_digest_msg_scratch s2;
    sipspec_digest_verdict v;
    CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_response(c, g_resp, &copy, &s2, &v), SIPSPEC_OK);
    CU_ASSERT_EQUAL(v.action, SIPSPEC_DIGEST_RETRY);
    CU_ASSERT_EQUAL_FATAL(v.headers.count, 1u);
    CU_ASSERT_PTR_NOT_NULL(strstr(v.headers.items[0].value, "algorithm=SHA-512-256"));

    build_invite(g_retry, g_retry_buf, sizeof g_retry_buf, 2, &v.headers, NULL);
    CU_ASSERT_EQUAL(sipspec_digest_credentials_count(g_retry, SIPSPEC_AUTH_WWW), 1u);
    CU_ASSERT_EQUAL(sipspec_digest_credentials_count(g_retry, SIPSPEC_AUTH_PROXY), 0u);
    int rc = sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, REALM, g_retry, &g_s, why, sizeof why);
    if (rc != SIPSPEC_OK) printf("\n  verify: %s\n", why);
    CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
    /* the same request again: same nc, a replay */
    CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, NULL, g_retry, &g_s, why, sizeof why),
                    SIPSPEC_E_AUTH_REPLAY);
    /* a verifier of another realm finds nothing for itself */
    CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, "other", g_retry, &g_s, why, sizeof why),
                    SIPSPEC_E_NOTFOUND);
    sipspec_digest_client_destroy(c);
    sipspec_digest_server_destroy(srv);
  }
}

/* A proxy (407) and the UAS (401) challenge in the same response; the client answers both;
 * each verifier finds and accepts its own header. The headers travel as extra-header text. */
static void test_round_trip_proxy_and_www(void) {
  g_now_ms = 5;
  sipspec_digest_server_t *srv[2] = {
    make_server(SIPSPEC_AUTH_PROXY, PROXY_REALM, "alice-proxy", "pr0xy"),
    make_server(SIPSPEC_AUTH_WWW, REALM, USER, PASS)};
  static const sipspec_digest_cred_entry table[] = {{REALM, USER, PASS},
                                                     {PROXY_REALM, "alice-proxy", "pr0xy"}};
  sipspec_digest_client_t *c = make_client(table, 2);
  char why[256] = "";
  build_invite(g_req, g_req_buf, sizeof g_req_buf, 1, NULL, NULL);
  build_challenge(g_resp, g_resp_buf, sizeof g_resp_buf, g_req, srv, 2, true);
  sipspec_digest_request req = {"INVITE", URI, k_body, sizeof k_body - 1};
  sipspec_digest_verdict v;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_response(c, g_resp, &req, &g_s, &v), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(v.headers.count, 2u);

  char extra[SIPSPEC_DIGEST_HEADER_MAX * 3] = "Subject: retried\r\n";
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_headers_format(&v.headers, SIPSPEC_DIGEST_CREDENTIALS, extra,
                                                      sizeof extra), SIPSPEC_OK);
  CU_ASSERT_EQUAL(strncmp(extra, "Subject: retried\r\n", 18), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(extra, "\r\nProxy-Authorization: Digest username=\"alice-proxy\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(extra, "\r\nAuthorization: Digest username=\"alice\""));
  CU_ASSERT_EQUAL(strcmp(extra + strlen(extra) - 2, "\r\n"), 0);
  build_invite(g_retry, g_retry_buf, sizeof g_retry_buf, 2, NULL, extra);
  CU_ASSERT_EQUAL(sipspec_digest_credentials_count(g_retry, SIPSPEC_AUTH_PROXY), 1u);
  CU_ASSERT_EQUAL(sipspec_digest_credentials_count(g_retry, SIPSPEC_AUTH_WWW), 1u);

  sipspec_span scheme;
  const sipspec_digest_param *p;
  size_t n;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_credentials_from_msg(g_retry, SIPSPEC_AUTH_PROXY, 0, &g_s, &scheme,
                                                            &p, &n, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT(scheme.len == 6 && memcmp(scheme.p, "Digest", 6) == 0);
  CU_ASSERT_STRING_EQUAL(param(p, n, "realm"), PROXY_REALM);
  CU_ASSERT_STRING_EQUAL(param(p, n, "uri"), URI);
  CU_ASSERT_EQUAL(sipspec_digest_credentials_from_msg(g_retry, SIPSPEC_AUTH_PROXY, 1, &g_s, &scheme,
                                                      &p, &n, why, sizeof why), SIPSPEC_E_NOTFOUND);
  CU_ASSERT_STRING_EQUAL(why, "no Proxy-Authorization header number 2");

  int rc = sipspec_digest_verify_msg(srv[0], SIPSPEC_AUTH_PROXY, PROXY_REALM, g_retry, &g_s, why, sizeof why);
  if (rc != SIPSPEC_OK) printf("\n  proxy: %s\n", why);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  rc = sipspec_digest_verify_msg(srv[1], SIPSPEC_AUTH_WWW, REALM, g_retry, &g_s, why, sizeof why);
  if (rc != SIPSPEC_OK) printf("\n  uas: %s\n", why);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  /* the proxy's verifier does not accept the UAS's header */
  CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv[0], SIPSPEC_AUTH_WWW, NULL, g_retry, &g_s, why, sizeof why),
                  SIPSPEC_E_AUTH_FAILED);
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(srv[0]);
  sipspec_digest_server_destroy(srv[1]);
}

/* Wrong password: the retried request fails verification; a tampered body with auth-int
 * fails too; the password never shows in reasons or headers. */
static void test_round_trip_wrong_password(void) {
  g_now_ms = 0;
  sipspec_digest_server_t *srv = make_server(SIPSPEC_AUTH_WWW, REALM, USER, PASS);
  static const sipspec_digest_cred_entry table[] = {{NULL, USER, "not-the-password"}};
  sipspec_digest_client_t *c = make_client(table, 1);
  char why[256] = "";
  build_invite(g_req, g_req_buf, sizeof g_req_buf, 1, NULL, NULL);
  build_challenge(g_resp, g_resp_buf, sizeof g_resp_buf, g_req, &srv, 1, false);
  sipspec_digest_request req = {"INVITE", URI, k_body, sizeof k_body - 1};
  sipspec_digest_verdict v;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_on_response(c, g_resp, &req, &g_s, &v), SIPSPEC_OK);
  build_invite(g_retry, g_retry_buf, sizeof g_retry_buf, 2, &v.headers, NULL);
  CU_ASSERT_PTR_NULL(strstr(g_retry_buf, "not-the-password"));
  CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, REALM, g_retry, &g_s, why, sizeof why),
                  SIPSPEC_E_AUTH_FAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "does not match"));
  CU_ASSERT_PTR_NULL(strstr(why, "not-the-password"));
  /* the server challenges again; the client gives up */
  build_challenge(g_resp, g_resp_buf, sizeof g_resp_buf, g_retry, &srv, 1, false);
  CU_ASSERT_EQUAL(sipspec_digest_client_on_response(c, g_resp, &req, &g_s, &v), SIPSPEC_E_AUTH_FAILED);
  CU_ASSERT_EQUAL(v.action, SIPSPEC_DIGEST_FAIL);
  /* a malformed challenge gives a FAIL verdict with the adapter's reason */
  CU_ASSERT_EQUAL_FATAL(parse_response(401, "WWW-Authenticate: Digest realm=\"a\" nonce=\"b\"\r\n"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_digest_client_on_response(c, g_msg, &req, &g_s, &v), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_EQUAL(v.action, SIPSPEC_DIGEST_FAIL);
  CU_ASSERT_EQUAL(v.error, SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(v.reason, "expected ',' between auth-params"));
  sipspec_digest_client_destroy(c);
  sipspec_digest_server_destroy(srv);
}

/* Credentials lines: Basic (token68) is read but is not Digest; two credentials on one
 * line are refused; a malformed one is named; non-Digest headers are skipped by verify. */
static void test_credentials_lines(void) {
  g_now_ms = 0;
  sipspec_digest_server_t *srv = make_server(SIPSPEC_AUTH_WWW, REALM, USER, PASS);
  char why[256];
  sipspec_span scheme;
  const sipspec_digest_param *p;
  size_t n;
  build_invite(g_req, g_req_buf, sizeof g_req_buf, 1, NULL,
               "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n"
               "Authorization: Digest username=\"bob\", realm=\"elsewhere\", nonce=\"1\", uri=\"" URI "\",\r\n"
               " response=\"00\", qop=auth, nc=00000001, cnonce=\"c\"\r\n");
  CU_ASSERT_EQUAL(sipspec_digest_credentials_count(g_req, SIPSPEC_AUTH_WWW), 2u);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_credentials_from_msg(g_req, SIPSPEC_AUTH_WWW, 0, &g_s, &scheme, &p, &n,
                                                            why, sizeof why), SIPSPEC_OK);
  CU_ASSERT(scheme.len == 5 && memcmp(scheme.p, "Basic", 5) == 0);
  CU_ASSERT_EQUAL(n, 0u);
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_credentials_from_msg(g_req, SIPSPEC_AUTH_WWW, 1, &g_s, &scheme, &p, &n,
                                                            why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(n, 8u);
  CU_ASSERT_STRING_EQUAL(param(p, n, "username"), "bob");
  CU_ASSERT_STRING_EQUAL(param(p, n, "cnonce"), "c");
  /* Basic is skipped, the Digest one is for another realm */
  CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, REALM, g_req, &g_s, why, sizeof why),
                  SIPSPEC_E_NOTFOUND);
  /* without a realm filter the foreign one is checked and refused */
  int rc = sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, NULL, g_req, &g_s, why, sizeof why);
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_AUTH_FAILED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "elsewhere"));

  build_invite(g_req, g_req_buf, sizeof g_req_buf, 1, NULL,
               "Authorization: Digest username=\"a\", realm=\"r\", Digest username=\"b\"\r\n");
  CU_ASSERT_EQUAL(sipspec_digest_credentials_from_msg(g_req, SIPSPEC_AUTH_WWW, 0, &g_s, &scheme, &p, &n,
                                                      why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_STRING_EQUAL(why, "Authorization header 1, byte 33: a second auth-scheme: one credentials per header line");
  CU_ASSERT_EQUAL(n, 0u);
  CU_ASSERT_EQUAL(sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, REALM, g_req, &g_s, why, sizeof why),
                  SIPSPEC_E_AUTH_MALFORMED);

  build_invite(g_req, g_req_buf, sizeof g_req_buf, 1, NULL,
               "Proxy-Authorization: Digest username=\"a\" realm=\"r\"\r\n");
  CU_ASSERT_EQUAL(sipspec_digest_credentials_from_msg(g_req, SIPSPEC_AUTH_PROXY, 0, &g_s, &scheme, &p, &n,
                                                      why, sizeof why), SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_STRING_EQUAL(why, "Proxy-Authorization header 1, byte 21: expected ',' between auth-params");
  /* a response has no credentials */
  CU_ASSERT_EQUAL(sipspec_digest_credentials_count(g_resp, SIPSPEC_AUTH_WWW), 0u);
  CU_ASSERT_EQUAL(sipspec_digest_credentials_from_msg(g_resp, SIPSPEC_AUTH_WWW, 0, &g_s, &scheme, &p, &n,
                                                      why, sizeof why), SIPSPEC_E_INVAL);
  sipspec_digest_server_destroy(srv);
}

/* Writing headers: challenge names for the server role, credential names for the client;
 * values with CR/LF refused; too small a buffer leaves it unchanged. */
static void test_headers_writing(void) {
  sipspec_digest_headers hs;
  memset(&hs, 0, sizeof hs);
  hs.count = 2;
  hs.items[0].kind = SIPSPEC_AUTH_PROXY;
  snprintf(hs.items[0].value, sizeof hs.items[0].value, "Digest realm=\"p\", nonce=\"1\"");
  hs.items[1].kind = SIPSPEC_AUTH_WWW;
  snprintf(hs.items[1].value, sizeof hs.items[1].value, "Digest realm=\"w\", nonce=\"2\"");
  char out[128] = "";
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&hs, SIPSPEC_DIGEST_CHALLENGES, out, sizeof out), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Proxy-Authenticate: Digest realm=\"p\", nonce=\"1\"\r\n"
                              "WWW-Authenticate: Digest realm=\"w\", nonce=\"2\"\r\n");
  size_t used = strlen(out);
  char small[96] = "X: y\r\n";
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&hs, SIPSPEC_DIGEST_CHALLENGES, small, sizeof small), SIPSPEC_E_RANGE);
  CU_ASSERT_STRING_EQUAL(small, "X: y\r\n");
  char exact[sizeof "X: y\r\n" - 1 + 96 + 1];
  CU_ASSERT_EQUAL_FATAL(used, 96u);
  snprintf(exact, sizeof exact, "X: y\r\n");
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&hs, SIPSPEC_DIGEST_CREDENTIALS, exact, sizeof exact), SIPSPEC_OK);
  CU_ASSERT_EQUAL(strncmp(exact, "X: y\r\nProxy-Authorization: Digest", 33), 0);
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&hs, SIPSPEC_DIGEST_CREDENTIALS, exact, sizeof exact), SIPSPEC_E_RANGE);
  char unterminated[4] = {'a', 'b', 'c', 'd'};
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&hs, SIPSPEC_DIGEST_CREDENTIALS, unterminated, 4), SIPSPEC_E_INVAL);

  /* a CRLF inside a value could forge a header: refused by both writers, nothing written */
  snprintf(hs.items[1].value, sizeof hs.items[1].value, "Digest realm=\"w\"\r\nVia: forged");
  out[0] = '\0';
  CU_ASSERT_EQUAL(sipspec_digest_headers_format(&hs, SIPSPEC_DIGEST_CREDENTIALS, out, sizeof out), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(out, "");
  char buf[256];
  sipspec_build b;
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL(sipspec_digest_headers_build(&b, &hs, SIPSPEC_DIGEST_CREDENTIALS), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(b.len, 0u);
  /* The shared rule (the message grammar's Authorization value: scheme, then auth-params
   * read raw) takes control characters other than CR, LF and NUL, in quoted strings and
   * tokens alike; the Digest writer refuses every one (RFC 7616 3.4's grammar has no place
   * for them), so its own check stays: the shared rule alone would not give the same result. */
  for (int ch = 1; ch < 0x80; ch++) {
    if ((ch >= 0x20 && ch != 0x7f) || ch == '\r' || ch == '\n') continue;
    hs.count = 1;
    snprintf(hs.items[0].value, sizeof hs.items[0].value, "Digest realm=\"a%cb\", algorithm=MD%c5", ch, ch);
    sipspec_build_init(&b, buf, sizeof buf);
    CU_ASSERT_EQUAL(sipspec_digest_headers_build(&b, &hs, SIPSPEC_DIGEST_CREDENTIALS), SIPSPEC_E_INVAL);
    CU_ASSERT_EQUAL(b.len, 0u);
    sipspec_build_init(&b, buf, sizeof buf);
    CU_ASSERT_EQUAL(sipspec_build_header(&b, sipspec_span_z("Authorization"), sipspec_span_z(hs.items[0].value)),
                    SIPSPEC_OK);
  }
  snprintf(hs.items[0].value, sizeof hs.items[0].value, "Digest realm=\"p\", nonce=\"1\"");
  /* a builder without room: its sticky error comes back */
  hs.count = 1;
  sipspec_build_init(&b, buf, 10);
  CU_ASSERT_EQUAL(sipspec_digest_headers_build(&b, &hs, SIPSPEC_DIGEST_CREDENTIALS), SIPSPEC_E_MSG_NOSPACE);
}

int main(void) {
  if (sipspec_msg_create(&g_msg, NULL) != SIPSPEC_OK || sipspec_msg_create(&g_req, NULL) != SIPSPEC_OK ||
      sipspec_msg_create(&g_resp, NULL) != SIPSPEC_OK || sipspec_msg_create(&g_retry, NULL) != SIPSPEC_OK)
    return 1;
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("digest_msg", NULL, NULL);
  if (s == NULL) return 1;
  CU_add_test(s, "401: one challenge, folded", test_one_challenge);
  CU_add_test(s, "two challenges on a line and across lines", test_several_challenges);
  CU_add_test(s, "quoted-pairs, folds, other schemes", test_quoting_folding_schemes);
  CU_add_test(s, "no challenge, 200, request", test_no_challenge);
  CU_add_test(s, "malformed challenge lines named", test_malformed);
  CU_add_test(s, "too many params or challenges", test_too_many);
  CU_add_test(s, "mutation sweep of a challenge line", test_mutations);
  CU_add_test(s, "round trip: 401, all algorithms", test_round_trip_www);
  CU_add_test(s, "round trip: 407 and 401 together", test_round_trip_proxy_and_www);
  CU_add_test(s, "round trip: wrong password", test_round_trip_wrong_password);
  CU_add_test(s, "credentials lines", test_credentials_lines);
  CU_add_test(s, "writing headers", test_headers_writing);
  int rc = auth_test_run();
  sipspec_msg_destroy(g_msg);
  sipspec_msg_destroy(g_req);
  sipspec_msg_destroy(g_resp);
  sipspec_msg_destroy(g_retry);
  return rc;
}
