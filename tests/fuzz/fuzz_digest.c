/* fuzz_digest.c: libFuzzer target for the Digest challenge and credentials path (RFC 3261
 * 22, RFC 7616, RFC 8760): sipspec/digest_msg.h over parsed messages, sipspec/digest.h
 * underneath. The first input byte picks the mode, the rest is a SIP message:
 *   0: a 401/407 response: its challenges are read and answered by a client (twice, as a
 *      second challenge to the same request would be); credentials it produces must go
 *      into a request that parses and whose credentials read back;
 *   1: a request at a verifier: its Authorization / Proxy-Authorization headers are read
 *      and checked, then a client answers a fresh challenge of that verifier for the same
 *      request, which must verify, and a replay of it must not;
 *   2: the message's raw auth-params (WWW-Authenticate and Authorization values split by
 *      the parser's cursor) go straight into sipspec_digest_challenge_parse() and
 *      sipspec_digest_choose().
 * Whatever the mode, the bytes after the first are also read as one raw header value by the
 * Digest grammar (grammar/digest.re), as challenges and as credentials, with no SIP parser
 * in front: NULs, bare CRs and cut quoted-strings reach it as they are.
 * Every buffer is an exact-size heap copy, so the sanitizers see any read past its end. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/digest_grammar.h"
#include "sipspec/digest.h"
#include "sipspec/digest_msg.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sipspec_msg *m, *m2;
static sipspec_digest_msg_scratch scratch;
static uint64_t now_ms = 1000;

static uint64_t clock_fn(void *user) {
  (void)user;
  return now_ms;
}

static int creds(void *user, sipspec_auth_kind kind, const char *realm, sipspec_digest_cred *out) {
  (void)user;
  (void)kind;
  if (realm[0] == 'x') return SIPSPEC_E_NOTFOUND; /* a realm without credentials */
  snprintf(out->username, sizeof out->username, "alice");
  snprintf(out->password, sizeof out->password, "secret");
  return SIPSPEC_OK;
}

/* A request carrying the credentials lines must parse, and every line must read back. */
static void check_credentials(const sipspec_digest_headers *h, const char *method, const char *uri) {
  static char lines[8192];
  lines[0] = 0;
  if (sipspec_digest_headers_format(h, SIPSPEC_DIGEST_CREDENTIALS, lines, sizeof lines) != SIPSPEC_OK) return;
  static char req[12000];
  int n = snprintf(req, sizeof req,
                   "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd1\r\nMax-Forwards: 70\r\n"
                   "From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>\r\nCall-ID: d1\r\nCSeq: 2 %s\r\n"
                   "%sContent-Length: 0\r\n\r\n",
                   method, uri, method, lines);
  if (n <= 0 || (size_t)n >= sizeof req) return;
  if (sipspec_msg_parse(m2, req, (size_t)n) != SIPSPEC_OK) abort();
  for (int k = 0; k < 2; k++) {
    sipspec_auth_kind kind = k ? SIPSPEC_AUTH_PROXY : SIPSPEC_AUTH_WWW;
    size_t cnt = sipspec_digest_credentials_count(m2, kind);
    for (size_t i = 0; i < cnt; i++) {
      sipspec_span scheme;
      const sipspec_digest_param *p;
      size_t np;
      if (sipspec_digest_credentials_from_msg(m2, kind, i, &scratch, &scheme, &p, &np, NULL, 0) != SIPSPEC_OK)
        abort(); /* our own credentials must read back */
    }
  }
}

static void mode_client(void) {
  if (sipspec_msg_is_request(m)) return;
  sipspec_digest_client_config cfg;
  sipspec_digest_client_config_init(&cfg);
  cfg.get_credentials = creds;
  sipspec_digest_client_t *c;
  if (sipspec_digest_client_create(&cfg, &c) != SIPSPEC_OK) abort();
  sipspec_digest_request rq = {"INVITE", "sip:mresources@192.0.2.2", "v=0\r\n", 5};
  sipspec_digest_headers h;
  sipspec_digest_client_begin(c, &rq, &h);
  static sipspec_digest_verdict v;
  for (int round = 0; round < 3; round++) {
    if (sipspec_digest_client_on_response(c, m, &rq, &scratch, &v) != SIPSPEC_OK) break;
    if (v.action != SIPSPEC_DIGEST_RETRY) abort();
    check_credentials(&v.headers, rq.method, rq.uri);
  }
  rq.method = "BYE";
  if (sipspec_digest_client_begin(c, &rq, &h) == SIPSPEC_OK) check_credentials(&h, rq.method, rq.uri);
  sipspec_digest_client_destroy(c);
}

static void mode_server(void) {
  if (!sipspec_msg_is_request(m)) return;
  sipspec_digest_server_config sc;
  sipspec_digest_server_config_init(&sc);
  sc.realm = "sipspec";
  sc.username = "alice";
  sc.password = "secret";
  sc.clock = clock_fn;
  sc.max_nonces = 8;
  sipspec_digest_server_t *srv;
  if (sipspec_digest_server_create(&sc, &srv, NULL, 0) != SIPSPEC_OK) abort();
  char why[256];
  for (int k = 0; k < 2; k++)
    sipspec_digest_verify_msg(srv, k ? SIPSPEC_AUTH_PROXY : SIPSPEC_AUTH_WWW, k ? NULL : "sipspec", m, &scratch,
                              why, sizeof why);

  /* The round trip: our client answers our verifier's challenge for this very request. */
  sipspec_digest_request rq;
  static sipspec_digest_msg_scratch rs;
  if (sipspec_digest_request_from_msg(m, &rs, &rq) != SIPSPEC_OK) goto out;
  sipspec_digest_headers ch;
  if (sipspec_digest_server_challenge(srv, false, &ch) != SIPSPEC_OK) abort();
  static char lines[8192], resp[12000];
  lines[0] = 0;
  if (sipspec_digest_headers_format(&ch, SIPSPEC_DIGEST_CHALLENGES, lines, sizeof lines) != SIPSPEC_OK) abort();
  int n = snprintf(resp, sizeof resp,
                   "SIP/2.0 401 Unauthorized\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd1\r\n"
                   "From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>;tag=2\r\nCall-ID: d1\r\n"
                   "CSeq: 1 INVITE\r\n%sContent-Length: 0\r\n\r\n",
                   lines);
  if (n <= 0 || (size_t)n >= sizeof resp || sipspec_msg_parse(m2, resp, (size_t)n) != SIPSPEC_OK) abort();
  sipspec_digest_client_config cfg;
  sipspec_digest_client_config_init(&cfg);
  cfg.get_credentials = creds;
  sipspec_digest_client_t *c;
  if (sipspec_digest_client_create(&cfg, &c) != SIPSPEC_OK) abort();
  static sipspec_digest_verdict v;
  int rc = sipspec_digest_client_on_response(c, m2, &rq, &scratch, &v);
  /* A method or Request-URI our own header cannot carry is refused, never mis-signed. */
  if (rc == SIPSPEC_OK) {
    static char lines2[8192], req[20000];
    lines2[0] = 0;
    if (sipspec_digest_headers_format(&v.headers, SIPSPEC_DIGEST_CREDENTIALS, lines2, sizeof lines2) == SIPSPEC_OK) {
      n = snprintf(req, sizeof req,
                   "%s %s SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKd1\r\nMax-Forwards: 70\r\n"
                   "From: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>\r\nCall-ID: d1\r\nCSeq: 2 %s\r\n"
                   "%sContent-Length: %zu\r\n\r\n",
                   rq.method, rq.uri, rq.method, lines2, rq.body_len);
      if (n > 0 && (size_t)n + rq.body_len < sizeof req) {
        memcpy(req + n, rq.body, rq.body_len);
        if (sipspec_msg_parse(m2, req, (size_t)n + rq.body_len) == SIPSPEC_OK) {
          rc = sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, "sipspec", m2, &scratch, why, sizeof why);
          if (rc != SIPSPEC_OK) {
            fprintf(stderr, "fuzz_digest: our own answer was refused: %s\n", why);
            abort();
          }
          if (sipspec_digest_verify_msg(srv, SIPSPEC_AUTH_WWW, "sipspec", m2, &scratch, NULL, 0) == SIPSPEC_OK)
            abort(); /* a replayed nc must be refused */
        }
      }
    }
  }
  sipspec_digest_client_destroy(c);
out:
  sipspec_digest_server_destroy(srv);
}

static void mode_params(void) {
  sipspec_digest_param params[32];
  sipspec_digest_offer offers[8];
  size_t no = 0, np = 0;
  static char text[8192];
  size_t tl = 0;
  for (int id = SIPSPEC_H_WWW_AUTHENTICATE; id <= SIPSPEC_H_PROXY_AUTHORIZATION; id++) {
    sipspec_auth au;
    for (size_t i = 0; no < 8 && sipspec_msg_auth(m, (sipspec_hdr_id)id, i, &au) == SIPSPEC_OK; i++) {
      sipspec_span cur = au.params, name, val;
      size_t first = np;
      while (np < 32 && sipspec_auth_param_next(&cur, &name, &val) == SIPSPEC_OK) {
        /* unquote into the text store, as digest_msg.c does */
        long u = sipspec_unquote(val, text + tl, sizeof text - tl);
        const char *vp = val.p;
        size_t vl = val.len;
        if (u >= 0 && (size_t)u < sizeof text - tl) {
          vp = text + tl;
          vl = (size_t)u;
          tl += (size_t)u + 1;
        }
        params[np++] = (sipspec_digest_param){name, {vp, vl}};
      }
      offers[no++] = (sipspec_digest_offer){id == SIPSPEC_H_PROXY_AUTHENTICATE ? SIPSPEC_AUTH_PROXY : SIPSPEC_AUTH_WWW,
                                            au.scheme, params + first, np - first};
      sipspec_digest_challenge ch;
      char why[256];
      if (sipspec_digest_challenge_parse(SIPSPEC_AUTH_WWW, params + first, np - first, &ch, why, sizeof why) ==
          SIPSPEC_OK) {
        sipspec_digest_input in;
        sipspec_digest_input_from_challenge(&ch, &in);
        in.username = "alice";
        in.password = "secret";
        in.cnonce = "0a4f113b";
        in.nc = 1;
        in.req = (sipspec_digest_request){"INVITE", "sip:x@192.0.2.2", NULL, 0};
        char out[SIPSPEC_DIGEST_HEADER_MAX];
        sipspec_digest_authorization(&in, out, sizeof out, why, sizeof why);
      }
    }
  }
  sipspec_digest_challenge chosen[4];
  size_t nc;
  sipspec_digest_choose(offers, no, chosen, 4, &nc, NULL, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!m && (sipspec_msg_create(&m, NULL) != SIPSPEC_OK || sipspec_msg_create(&m2, NULL) != SIPSPEC_OK)) abort();
  if (size < 1) return 0;
  size_t n = size - 1;
  char *in = malloc(n ? n : 1);
  memcpy(in, data + 1, n);
  now_ms += 1000;
  for (int credentials = 0; credentials < 2; credentials++) {
    char why[256];
    int rc = sipspec_digest_read_value(&scratch, SIPSPEC_AUTH_WWW, credentials, (sipspec_span){in, n}, why,
                                       sizeof why);
    if (rc != SIPSPEC_OK && (rc != SIPSPEC_E_AUTH_MALFORMED && rc != SIPSPEC_E_RANGE)) abort();
    if (rc != SIPSPEC_OK && why[0] == 0) abort(); /* every refusal says why */
    for (size_t i = 0; rc == SIPSPEC_OK && i < scratch.n_params; i++) {
      const sipspec_digest_param *p = &scratch.params[i];
      bool in_value = p->value.p >= in && p->value.p + p->value.len <= in + n;
      bool in_text = p->value.p >= scratch.text && p->value.p + p->value.len <= scratch.text + scratch.text_len;
      if (!in_value && !in_text) abort();
    }
  }
  if (sipspec_msg_parse(m, in, n) == SIPSPEC_OK) {
    switch (data[0] % 3) {
    case 0: mode_client(); break;
    case 1: mode_server(); break;
    default: mode_params(); break;
    }
  }
  free(in);
  return 0;
}
