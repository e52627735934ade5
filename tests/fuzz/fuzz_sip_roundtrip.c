/* fuzz_sip_roundtrip.c: libFuzzer target: every message the parser accepts must survive
 * build and parse again with the same fields, and the derived messages (response, CANCEL,
 * ACK) built from it must parse. A difference aborts, which libFuzzer reports. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/error.h"
#include "sipspec/msg.h"

static sipspec_msg *m1, *m2, *m3;
static char out[3 * 65536];

static int same(sipspec_span a, sipspec_span b) {
  return a.len == b.len && (a.len == 0 || !memcmp(a.p, b.p, a.len));
}

static void must(int cond, const char *what) {
  if (!cond) {
    fprintf(stderr, "round trip broke: %s\n", what);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!m1 && (sipspec_msg_create(&m1, NULL) || sipspec_msg_create(&m2, NULL) || sipspec_msg_create(&m3, NULL)))
    abort();
  char *copy = malloc(size ? size : 1);
  memcpy(copy, data, size);
  if (sipspec_msg_parse(m1, copy, size) != SIPSPEC_OK) {
    free(copy);
    return 0;
  }
  sipspec_build b;
  sipspec_build_init(&b, out, sizeof out);
  sipspec_build_copy(&b, m1);
  must(sipspec_build_finish(&b, sipspec_msg_body(m1)) == SIPSPEC_OK, "build");
  must(sipspec_msg_parse(m2, out, b.len) == SIPSPEC_OK, "rebuilt message parses");
  must(sipspec_msg_is_request(m1) == sipspec_msg_is_request(m2), "kind");
  must(same(sipspec_msg_method_text(m1), sipspec_msg_method_text(m2)), "method");
  must(same(sipspec_msg_request_uri(m1), sipspec_msg_request_uri(m2)), "Request-URI");
  must(sipspec_msg_status(m1) == sipspec_msg_status(m2), "status");
  must(same(sipspec_msg_call_id(m1), sipspec_msg_call_id(m2)), "Call-ID");
  must(sipspec_msg_cseq(m1) == sipspec_msg_cseq(m2), "CSeq");
  must(same(sipspec_msg_body(m1), sipspec_msg_body(m2)), "body");
  must(sipspec_msg_via_count(m1) == sipspec_msg_via_count(m2), "Via count");
  must(sipspec_msg_max_forwards(m1) == sipspec_msg_max_forwards(m2), "Max-Forwards");
  /* build_copy() drops every Content-Length line; finish() writes exactly one. */
  size_t cl_lines = sipspec_msg_value_count(m1, SIPSPEC_H_CONTENT_LENGTH);
  must(sipspec_msg_header_count(m1) - cl_lines + 1 == sipspec_msg_header_count(m2), "header count");
  must((sipspec_msg_check(m1) & ~(uint32_t)SIPSPEC_CHECK_DUPLICATE_HEADER) ==
         (sipspec_msg_check(m2) & ~(uint32_t)SIPSPEC_CHECK_DUPLICATE_HEADER), "checks");
  if (sipspec_msg_is_request(m1) && !(sipspec_msg_check(m1) & (SIPSPEC_CHECK_MISSING_VIA | SIPSPEC_CHECK_MISSING_CSEQ))) {
    sipspec_build_init(&b, out, sizeof out);
    if (sipspec_build_response(&b, m1, 500, "Server Internal Error", "fz") == SIPSPEC_OK &&
        sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK)
      must(sipspec_msg_parse(m3, out, b.len) == SIPSPEC_OK, "response parses");
    sipspec_build_init(&b, out, sizeof out);
    if (sipspec_build_cancel(&b, m1) == SIPSPEC_OK && sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK) {
      must(sipspec_msg_parse(m3, out, b.len) == SIPSPEC_OK, "CANCEL parses");
      must(sipspec_msg_cseq(m3) == sipspec_msg_cseq(m1), "CANCEL CSeq");
    }
  }
  free(copy);
  return 0;
}
