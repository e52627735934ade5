/* fuzz_sip_parse.c: libFuzzer target for the SIP parser in both framing modes.
 *
 * The first input byte picks the mode: even = one datagram (sipspec_msg_parse), odd = a TCP
 * stream fed to the framer in chunks whose size comes from the second byte. Every accessor
 * and lazy parser is then run over what was accepted, so their bounds are fuzzed too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/error.h"
#include "sipspec/msg.h"

static sipspec_msg *m;

static void touch(const sipspec_msg *msg) {
  char buf[512];
  sipspec_via v;
  sipspec_addr a;
  sipspec_uri u;
  sipspec_auth au;
  sipspec_media_type t;
  sipspec_span s, n, val;
  sipspec_header h;
  for (size_t i = 0; sipspec_msg_via(msg, i, &v) == SIPSPEC_OK; i++) (void)v;
  if (sipspec_msg_from(msg, &a) == SIPSPEC_OK) {
    sipspec_unquote(a.display, buf, sizeof buf);
    if (sipspec_uri_parse(a.uri.p, a.uri.len, &u, NULL) == SIPSPEC_OK) sipspec_unescape(u.user, buf, sizeof buf);
  }
  if (sipspec_msg_to(msg, &a) == SIPSPEC_OK) (void)a;
  for (size_t i = 0; sipspec_msg_contact(msg, i, &a) == SIPSPEC_OK; i++) (void)a;
  for (size_t i = 0; sipspec_msg_route(msg, i, &a) == SIPSPEC_OK; i++) (void)a;
  for (size_t i = 0; sipspec_msg_record_route(msg, i, &a) == SIPSPEC_OK; i++) (void)a;
  sipspec_msg_content_type(msg, &t);
  sipspec_msg_retry_after(msg);
  for (int id = SIPSPEC_H_WWW_AUTHENTICATE; id <= SIPSPEC_H_PROXY_AUTHORIZATION; id++)
    for (size_t i = 0; sipspec_msg_auth(msg, (sipspec_hdr_id)id, i, &au) == SIPSPEC_OK; i++) {
      sipspec_span cur = au.params;
      while (sipspec_auth_param_next(&cur, &n, &val) == SIPSPEC_OK) sipspec_unquote(val, buf, sizeof buf);
    }
  for (size_t i = 0; sipspec_msg_header(msg, i, &h) == SIPSPEC_OK; i++)
    for (size_t k = 0; sipspec_msg_value(msg, h.id, k, &s) == SIPSPEC_OK && k < 8; k++)
      sipspec_param(s, "tag", &val);
  s = sipspec_msg_request_uri(msg);
  if (s.p) sipspec_uri_parse(s.p, s.len, &u, NULL);
  sipspec_msg_check(msg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!m && sipspec_msg_create(&m, NULL) != SIPSPEC_OK) abort();
  if (size < 2) return 0;
  int stream = data[0] & 1;
  size_t chunk = (size_t)data[1] + 1;
  data += 2;
  size -= 2;
  /* A private copy, so reading one byte past the input is an ASan error. */
  char *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  if (!stream) {
    if (sipspec_msg_parse(m, copy, size) == SIPSPEC_OK) touch(m);
  } else {
    sipspec_framer *f;
    if (sipspec_framer_create(&f, NULL) != SIPSPEC_OK) abort();
    for (size_t off = 0; off < size;) {
      size_t k = size - off < chunk ? size - off : chunk;
      if (sipspec_framer_feed(f, copy + off, k) != SIPSPEC_OK) break;
      off += k;
      int rc;
      while ((rc = sipspec_framer_next(f, m)) == SIPSPEC_OK) touch(m);
      if (rc != SIPSPEC_E_AGAIN) break;
    }
    sipspec_framer_destroy(f);
  }
  free(copy);
  return 0;
}
