/* test_hostile.c: the SIP CVE classes of issue 18 through the SDP, MRCP and Digest parsers
 * (the SIP parser's cases are tests/grammar/hostile.md; the live ones hostile_scenarios.py).
 *
 *   - very short lines in SDP (Sofia-SIP CVE-2022-31003): every line type cut to "x", "x="
 *     and one character of value, at the end of the buffer and in the middle of a session;
 *   - Digest challenges and credentials with quoted strings and escapes cut by the end of
 *     the header (Sofia-SIP CVE-2022-31001/-31002, PJSIP CVE-2022-39244);
 *   - overlong Digest values (Kamailio CVE-2020-27507's class: a value longer than the
 *     fixed buffers it is copied into).
 * Every input lives in an exact-size heap allocation, so AddressSanitizer (the ASan build)
 * reports any read past its end. Each call must return an error (with a line number for
 * SDP) or succeed; nothing else. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/digest.h"
#include "sipspec/digest_msg.h"
#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/msg.h"
#include "sipspec/sdp.h"

static char *dup_exact(const char *s, size_t n) {
  char *p = malloc(n ? n : 1);
  memcpy(p, s, n);
  return p;
}

static const char head[] = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n";
static const char media[] = "m=application 9 TCP/MRCPv2 1\r\na=setup:active\r\na=connection:new\r\n"
                            "a=resource:speechsynth\r\na=cmid:1\r\nm=audio 4002 RTP/AVP 0\r\n"
                            "a=rtpmap:0 PCMU/8000\r\na=recvonly\r\na=mid:1\r\n";

/* One SDP text through every SDP entry point. Returns the parse result. */
static int sdp_all(const char *text, size_t n, unsigned *line) {
  char *b = dup_exact(text, n);
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  memset(&err, 0, sizeof err);
  int rc = sipspec_sdp_parse(b, n, NULL, &s, &err);
  if (rc == SIPSPEC_OK) sipspec_sdp_free(s);
  else CU_ASSERT(err.line >= 1 && err.reason[0] != 0);
  *line = err.line;
  char ans[8192];
  size_t al;
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "192.0.2.2";
  c.mrcp_port = 1544;
  c.rtp_port = 4000;
  int arc = sipspec_mrcp_server_answer(&c, b, n, ans, sizeof ans, &al, &err);
  if (rc != SIPSPEC_OK) CU_ASSERT(arc != SIPSPEC_OK); /* no answer to an offer that does not parse */
  char offer[4096];
  size_t ol;
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "192.0.2.1";
  d.rtp_port = 4002;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, NULL), SIPSPEC_OK);
  sipspec_mrcp_answer a;
  int prc = sipspec_mrcp_answer_parse(offer, ol, b, n, &a, &err);
  if (rc != SIPSPEC_OK) CU_ASSERT(prc != SIPSPEC_OK);
  free(b);
  return rc;
}

/* Sofia-SIP CVE-2022-31003: an SDP line of one or two characters ("a", "a=", "m=x") read
 * past its end. Every line type, cut three ways, last in the text or followed by more. */
static void test_sdp_short_lines(void) {
  const char types[] = "voscbtrzkamieupf";
  const char *tails[] = {"", "=", "=x", "= ", "=\t"};
  unsigned cases = 0, refused = 0;
  for (const char *t = types; *t; t++)
    for (size_t k = 0; k < sizeof tails / sizeof *tails; k++)
      for (int where = 0; where < 4; where++) {
        char text[1024];
        int n;
        const char *end = where & 1 ? "" : "\r\n";
        if (where < 2) n = snprintf(text, sizeof text, "%s%s%c%s%s", head, media, *t, tails[k], end);
        else n = snprintf(text, sizeof text, "%s%c%s%s%s", head, *t, tails[k], "\r\n", media);
        if (where == 3) n = snprintf(text, sizeof text, "%c%s%s", *t, tails[k], end); /* alone */
        unsigned line = 0;
        int rc = sdp_all(text, (size_t)n, &line);
        cases++;
        if (rc != SIPSPEC_OK) refused++;
        /* a line with no '=' or with an empty value is never accepted */
        if (k < 2) CU_ASSERT_NOT_EQUAL(rc, SIPSPEC_OK);
      }
  CU_ASSERT_EQUAL(cases, 16u * 5u * 4u);
  CU_ASSERT(refused >= 16u * 2u * 4u);
}

/* Short attribute values of the attributes the MRCP layer reads itself. */
static void test_sdp_short_attributes(void) {
  const char *attrs[] = {"a=rtpmap:",      "a=rtpmap:0",  "a=rtpmap:0 ",  "a=rtpmap:0 P",   "a=fmtp:",
                         "a=fmtp:101",     "a=channel:",  "a=channel:@",  "a=channel:x@",   "a=cmid:",
                         "a=mid:",         "a=setup:",    "a=connection:", "a=resource:",   "a=ptime:",
                         "c=IN",           "c=IN IP4",    "c=IN IP4 ",    "m=audio",        "m=audio 4000",
                         "m=audio 4000 RTP/AVP", "m=application 9", "o=- 1", "t=0"};
  for (size_t i = 0; i < sizeof attrs / sizeof *attrs; i++)
    for (int crlf = 0; crlf < 2; crlf++) {
      char text[1024];
      int n = snprintf(text, sizeof text, "%s%s%s%s", head, media, attrs[i], crlf ? "\r\n" : "");
      unsigned line = 0;
      int rc = sdp_all(text, (size_t)n, &line);
      if (rc != SIPSPEC_OK) CU_ASSERT(line >= 1 && line <= 15);
    }
}

/* ---- Digest ------------------------------------------------------------------------------ */

static sipspec_msg *parse_exact(const char *text, size_t n, char **keep) {
  sipspec_msg *m = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&m, NULL), SIPSPEC_OK);
  *keep = dup_exact(text, n);
  if (sipspec_msg_parse(m, *keep, n) != SIPSPEC_OK) {
    sipspec_msg_destroy(m);
    free(*keep);
    *keep = NULL;
    return NULL;
  }
  return m;
}

static int creds(void *user, sipspec_auth_kind kind, const char *realm, sipspec_digest_cred *out) {
  (void)user;
  (void)kind;
  (void)realm;
  snprintf(out->username, sizeof out->username, "alice");
  snprintf(out->password, sizeof out->password, "secret");
  return SIPSPEC_OK;
}

/* A 401 whose WWW-Authenticate value is cut after every byte: the client never answers a
 * challenge it could not read whole, and never reads past the value. */
static void test_digest_truncated_challenge(void) {
  const char value[] = "Digest realm=\"a\\\"b\\\\c\", nonce=\"n\\o\", qop=\"auth,auth-int\", "
                       "algorithm=SHA-256, opaque=\"\\\"\", stale=true";
  sipspec_digest_client_config cfg;
  sipspec_digest_client_config_init(&cfg);
  cfg.get_credentials = creds;
  unsigned answered = 0, parsed = 0;
  for (size_t cut = 0; cut <= strlen(value); cut++) {
    char text[1024];
    int n = snprintf(text, sizeof text,
                     "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                     "From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>;tag=2\r\nCall-ID: h1\r\n"
                     "CSeq: 1 INVITE\r\nWWW-Authenticate: %.*s\r\nContent-Length: 0\r\n\r\n",
                     (int)cut, value);
    char *keep;
    sipspec_msg *m = parse_exact(text, (size_t)n, &keep);
    if (!m) continue;
    parsed++;
    sipspec_digest_client_t *c;
    CU_ASSERT_EQUAL_FATAL(sipspec_digest_client_create(&cfg, &c), SIPSPEC_OK);
    static sipspec_digest_msg_scratch s;
    static sipspec_digest_verdict v;
    sipspec_digest_request rq = {"INVITE", "sip:b@192.0.2.2", NULL, 0};
    int rc = sipspec_digest_client_on_response(c, m, &rq, &s, &v);
    if (rc == SIPSPEC_OK) {
      answered++;
      CU_ASSERT_EQUAL(v.action, SIPSPEC_DIGEST_RETRY);
    } else {
      CU_ASSERT_EQUAL(v.action, SIPSPEC_DIGEST_FAIL);
      CU_ASSERT(v.reason[0] != 0);
    }
    sipspec_digest_client_destroy(c);
    sipspec_msg_destroy(m);
    free(keep);
  }
  CU_ASSERT(parsed > 0);
  CU_ASSERT(answered > 0); /* the whole value, at least, is answered */
}

/* Authorization values cut after every byte, and one with a 4000-octet username, at a
 * verifier: refused with a reason, never accepted, never read past. */
static void test_digest_truncated_credentials(void) {
  sipspec_digest_server_config sc;
  sipspec_digest_server_config_init(&sc);
  sc.realm = "sipspec";
  sc.username = "alice";
  sc.password = "secret";
  sipspec_digest_server_t *srv;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_server_create(&sc, &srv, NULL, 0), SIPSPEC_OK);
  char big[4001];
  memset(big, 'u', 4000);
  big[4000] = 0;
  char value[4600];
  snprintf(value, sizeof value,
           "Digest username=\"a\\l\\\\ice\", realm=\"sipspec\", nonce=\"\\\"x\", uri=\"sip:b@192.0.2.2\", "
           "response=\"0123\", qop=auth, nc=00000001, cnonce=\"c\\\"\", algorithm=MD5");
  for (int round = 0; round < 2; round++) {
    if (round) snprintf(value, sizeof value, "Digest username=\"%s\", realm=\"sipspec\", nonce=\"n\", uri=\"sip:b\", "
                                             "response=\"00\"", big);
    size_t vl = strlen(value);
    for (size_t cut = round ? vl : 0; cut <= vl; cut++) {
      char text[5200];
      int n = snprintf(text, sizeof text,
                       "INVITE sip:b@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
                       "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>\r\n"
                       "Call-ID: h2\r\nCSeq: 1 INVITE\r\nAuthorization: %.*s\r\nContent-Length: 0\r\n\r\n",
                       (int)cut, value);
      char *keep;
      sipspec_msg *m = parse_exact(text, (size_t)n, &keep);
      if (!m) continue;
      static sipspec_digest_msg_scratch s;
      char why[256] = "";
      int rc = sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, "sipspec", m, &s, why, sizeof why);
      CU_ASSERT_NOT_EQUAL(rc, SIPSPEC_OK);
      if (rc != SIPSPEC_E_NOTFOUND) CU_ASSERT(why[0] != 0);
      sipspec_msg_destroy(m);
      free(keep);
    }
  }
  sipspec_digest_server_destroy(srv);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("hostile input: SDP, MRCP, Digest", NULL, NULL);
  CU_add_test(s, "SDP lines of one or two characters (CVE-2022-31003)", test_sdp_short_lines);
  CU_add_test(s, "SDP attributes the MRCP layer reads, cut short", test_sdp_short_attributes);
  CU_add_test(s, "Digest challenge cut after every byte", test_digest_truncated_challenge);
  CU_add_test(s, "Digest credentials cut after every byte, and overlong", test_digest_truncated_credentials);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failed ? 1 : 0;
}
