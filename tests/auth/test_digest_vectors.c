/* test_digest_vectors.c: Digest computations against published and cross-checked vectors.
 *
 * RFC 7616 section 3.9.1 (MD5 and SHA-256, exact), RFC 7616 section 3.9.2 (SHA-512-256
 * with userhash: the RFC's printed username hash and response are not the hashes of its
 * own inputs, see erratum 4897; the values here are the erratum's, which follow from the
 * inputs), RFC 2617 section 3.5 (MD5, qop=auth). The remaining vectors (qop-less MD5,
 * SHA-256-sess with auth-int, SHA-512-256-sess) were computed independently with another
 * implementation (Python's hashlib) from the formulas of RFC 7616 section 3.4.
 */
#include <stdio.h>
#include <string.h>

#include "auth_test_util.h"
#include "sipspec/digest.h"
#include "sipspec/error.h"

#define RFC_NONCE "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v"
#define RFC_CNONCE "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ"
#define RFC_OPAQUE "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"

static sipspec_digest_input rfc7616_391(sipspec_digest_alg alg) {
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = alg;
  in.qop = SIPSPEC_DIGEST_QOP_AUTH;
  in.username = "Mufasa";
  in.realm = "http-auth@example.org";
  in.password = "Circle of Life";
  in.nonce = RFC_NONCE;
  in.cnonce = RFC_CNONCE;
  in.nc = 1;
  in.opaque = RFC_OPAQUE;
  in.req.method = "GET";
  in.req.uri = "/dir/index.html";
  return in;
}

static void test_rfc7616_md5(void) {
  sipspec_digest_input in = rfc7616_391(SIPSPEC_DIGEST_MD5);
  char r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "8ca523f5e9506fed4657c9700eebdbec");
  char hdr[SIPSPEC_DIGEST_HEADER_MAX], why[256];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, hdr, sizeof hdr, why, sizeof why),
                        SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(hdr,
      "Digest username=\"Mufasa\", realm=\"http-auth@example.org\", nonce=\"" RFC_NONCE "\", "
      "uri=\"/dir/index.html\", response=\"8ca523f5e9506fed4657c9700eebdbec\", "
      "algorithm=MD5, cnonce=\"" RFC_CNONCE "\", opaque=\"" RFC_OPAQUE "\", qop=auth, "
      "nc=00000001");
}

static void test_rfc7616_sha256(void) {
  sipspec_digest_input in = rfc7616_391(SIPSPEC_DIGEST_SHA256);
  char r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
}

/* The same answer when the caller holds H(username:realm:password) instead of the
 * password (what the client cache and the verifier keep). */
static void test_ha1_instead_of_password(void) {
  sipspec_digest_input in = rfc7616_391(SIPSPEC_DIGEST_SHA256);
  char ha1[SIPSPEC_DIGEST_HEX_MAX], r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_ha1_base(in.alg, in.username, in.realm, in.password, ha1),
                        SIPSPEC_OK);
  CU_ASSERT_EQUAL(strlen(ha1), 64);
  in.password = NULL;
  in.ha1 = ha1;
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1");
  in.ha1 = "abcd"; /* wrong length for SHA-256 */
  CU_ASSERT_EQUAL(sipspec_digest_response(&in, r), SIPSPEC_E_INVAL);
}

/* RFC 7616 3.9.2: the challenge text itself goes through the challenge model. */
static void test_rfc7616_sha512_256_userhash(void) {
  auth_test_hdr h;
  CU_ASSERT_EQUAL_FATAL(auth_test_parse(
      "Digest realm=\"api@example.org\", qop=\"auth\", algorithm=SHA-512-256, "
      "nonce=\"5TsQWLVdgBdmrQ0XsxbDODV+57QdFR34I9HAbC/RVvkK\", "
      "opaque=\"HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS\", charset=UTF-8, userhash=true",
      &h), 0);
  sipspec_digest_challenge ch;
  char why[256];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, h.p, h.n, &ch, why,
                                                       sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(ch.alg, SIPSPEC_DIGEST_SHA512_256);
  CU_ASSERT_TRUE(ch.userhash);
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  sipspec_digest_input_from_challenge(&ch, &in);
  CU_ASSERT_EQUAL(in.qop, SIPSPEC_DIGEST_QOP_AUTH);
  in.username = "J\xc3\xa4s\xc3\xb8n Doe";
  in.password = "Secret, or not?";
  in.cnonce = "NTg6RKcb9boFIAS3KrFK9BGeh+iDa/sm6jUMp2wds69v";
  in.nc = 1;
  in.req.method = "GET";
  in.req.uri = "/doe.json";
  char uh[SIPSPEC_DIGEST_HEX_MAX], r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_userhash(in.alg, in.username, in.realm, uh), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(uh, "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "3798d4131c277846293534c3edc11bd8a5e4cdcbff78b05db9d95eeb1cec68a5");
  char hdr[SIPSPEC_DIGEST_HEADER_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, hdr, sizeof hdr, why, sizeof why),
                        SIPSPEC_OK);
  auth_test_hdr back;
  CU_ASSERT_EQUAL_FATAL(auth_test_parse(hdr, &back), 0);
  CU_ASSERT_STRING_EQUAL(auth_test_get(&back, "username"),
                         "793263caabb707a56211940d90411ea4a575adeccb7e360aeb624ed06ece9b0b");
  CU_ASSERT_STRING_EQUAL(auth_test_get(&back, "userhash"), "true");
  CU_ASSERT_STRING_EQUAL(auth_test_get(&back, "algorithm"), "SHA-512-256");
  CU_ASSERT_STRING_EQUAL(auth_test_get(&back, "opaque"), "HRPCssKJSGjCrkzDg8OhwpzCiGPChXYjwrI2QmXDnsOS");
  CU_ASSERT_PTR_NULL(strstr(hdr, "J\xc3\xa4s")); /* the real name is hidden */
}

/* RFC 2617 section 3.5 (the example RFC 3261 implementations grew up with). */
static void test_rfc2617_md5(void) {
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
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
  char r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "6629fae49393a05397450978507c4ef1");
}

static sipspec_digest_input sip_input(sipspec_digest_alg alg, sipspec_digest_qop qop) {
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = alg;
  in.qop = qop;
  in.username = "bob";
  in.realm = "mrcp.example.org";
  in.password = "pa55w0rd";
  in.nonce = "nonceXYZ";
  in.cnonce = "cn0nce";
  return in;
}

static void test_md5_without_qop(void) {
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = SIPSPEC_DIGEST_MD5;
  in.username = "alice";
  in.realm = "sip.example.com";
  in.password = "s3cret";
  in.nonce = "abc123nonce";
  in.req.method = "REGISTER";
  in.req.uri = "sip:sip.example.com";
  char r[SIPSPEC_DIGEST_HEX_MAX], hdr[SIPSPEC_DIGEST_HEADER_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "6e7ae1b8adbe05d9fe7cd559b849de05");
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, hdr, sizeof hdr, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_PTR_NULL(strstr(hdr, "qop="));
  CU_ASSERT_PTR_NULL(strstr(hdr, "nc="));
  CU_ASSERT_PTR_NULL(strstr(hdr, "cnonce="));
}

static void test_sha256_sess_auth_int(void) {
  const char *body = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\n";
  sipspec_digest_input in = sip_input(SIPSPEC_DIGEST_SHA256_SESS, SIPSPEC_DIGEST_QOP_AUTH_INT);
  in.nc = 10;
  in.req.method = "INVITE";
  in.req.uri = "sip:mrcp@127.0.0.1";
  in.req.body = body;
  in.req.body_len = strlen(body);
  char r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "623ee23038cdb8da27e4a5c60d30e2639be133f024baef447f5c672e34d55cc8");
  in.req.body_len--; /* auth-int covers the body: one byte less, another answer */
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_NOT_EQUAL(r, "623ee23038cdb8da27e4a5c60d30e2639be133f024baef447f5c672e34d55cc8");
  char hdr[SIPSPEC_DIGEST_HEADER_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, hdr, sizeof hdr, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(hdr, ", qop=auth-int, nc=0000000a"));
  CU_ASSERT_PTR_NOT_NULL(strstr(hdr, "algorithm=SHA-256-sess"));
}

static void test_sha512_256_sess(void) {
  sipspec_digest_input in = sip_input(SIPSPEC_DIGEST_SHA512_256_SESS, SIPSPEC_DIGEST_QOP_AUTH);
  in.nc = 2;
  in.req.method = "OPTIONS";
  in.req.uri = "sip:mrcp@127.0.0.1";
  char r[SIPSPEC_DIGEST_HEX_MAX];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_response(&in, r), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(r, "af2a8945e3bf8ce3715fd72e265e1e06bdaf54fe22a00dd4dfbf52d29b4fc169");
}

static void test_alg_names(void) {
  sipspec_digest_alg a;
  CU_ASSERT_EQUAL(sipspec_digest_alg_parse("sha-512-256-SESS", 16, &a), SIPSPEC_OK);
  CU_ASSERT_EQUAL(a, SIPSPEC_DIGEST_SHA512_256_SESS);
  CU_ASSERT_EQUAL(sipspec_digest_alg_parse("md5", 3, &a), SIPSPEC_OK);
  CU_ASSERT_EQUAL(a, SIPSPEC_DIGEST_MD5);
  CU_ASSERT_EQUAL(sipspec_digest_alg_parse("SHA-256xyz", 7, &a), SIPSPEC_OK); /* slice */
  CU_ASSERT_EQUAL(a, SIPSPEC_DIGEST_SHA256);
  CU_ASSERT_EQUAL(sipspec_digest_alg_parse("SHA-1", 5, &a), SIPSPEC_E_AUTH_UNSUPPORTED);
  CU_ASSERT_EQUAL(sipspec_digest_alg_parse("MD5-", 4, &a), SIPSPEC_E_AUTH_UNSUPPORTED);
  CU_ASSERT_STRING_EQUAL(sipspec_digest_alg_name(SIPSPEC_DIGEST_SHA256_SESS), "SHA-256-sess");
  CU_ASSERT_PTR_NULL(sipspec_digest_alg_name((sipspec_digest_alg)42));
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_AUTH_STALE), "SIPSPEC_E_AUTH_STALE");
  CU_ASSERT_STRING_EQUAL(sipspec_auth_credentials_header(SIPSPEC_AUTH_PROXY), "Proxy-Authorization");
  CU_ASSERT_STRING_EQUAL(sipspec_auth_challenge_header(SIPSPEC_AUTH_WWW), "WWW-Authenticate");
}

/* Quotes and backslashes are escaped; CR/LF (header splitting) are refused. */
static void test_header_escaping(void) {
  sipspec_digest_input in = sip_input(SIPSPEC_DIGEST_SHA256, SIPSPEC_DIGEST_QOP_AUTH);
  in.username = "we\"ird\\name";
  in.nc = 1;
  in.req.method = "REGISTER";
  in.req.uri = "sip:127.0.0.1";
  char hdr[SIPSPEC_DIGEST_HEADER_MAX], why[256];
  CU_ASSERT_EQUAL_FATAL(sipspec_digest_authorization(&in, hdr, sizeof hdr, why, sizeof why),
                        SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(hdr, "username=\"we\\\"ird\\\\name\""));
  auth_test_hdr back;
  CU_ASSERT_EQUAL_FATAL(auth_test_parse(hdr, &back), 0);
  CU_ASSERT_STRING_EQUAL(auth_test_get(&back, "username"), "we\"ird\\name");
  in.username = "bob\r\nVia: evil";
  CU_ASSERT_EQUAL(sipspec_digest_authorization(&in, hdr, sizeof hdr, why, sizeof why),
                  SIPSPEC_E_AUTH_MALFORMED);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "username"));
  CU_ASSERT_STRING_EQUAL(hdr, "");
  in.username = "bob";
  char small[64];
  CU_ASSERT_EQUAL(sipspec_digest_authorization(&in, small, sizeof small, why, sizeof why),
                  SIPSPEC_E_RANGE);
  CU_ASSERT_STRING_EQUAL(small, "");
  CU_ASSERT_PTR_NULL(strstr(why, "pa55w0rd"));
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("digest_vectors", NULL, NULL);
  if (s == NULL) return 1;
  CU_add_test(s, "RFC 7616 3.9.1 MD5 (exact header)", test_rfc7616_md5);
  CU_add_test(s, "RFC 7616 3.9.1 SHA-256", test_rfc7616_sha256);
  CU_add_test(s, "HA1 in place of the password", test_ha1_instead_of_password);
  CU_add_test(s, "RFC 7616 3.9.2 SHA-512-256 userhash (erratum 4897)", test_rfc7616_sha512_256_userhash);
  CU_add_test(s, "RFC 2617 3.5 MD5 qop=auth", test_rfc2617_md5);
  CU_add_test(s, "MD5 without qop (RFC 2069 form)", test_md5_without_qop);
  CU_add_test(s, "SHA-256-sess auth-int", test_sha256_sess_auth_int);
  CU_add_test(s, "SHA-512-256-sess auth", test_sha512_256_sess);
  CU_add_test(s, "algorithm names", test_alg_names);
  CU_add_test(s, "header escaping and refusal", test_header_escaping);
  return auth_test_run();
}
