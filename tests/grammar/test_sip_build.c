/* test_sip_build.c: the builder (responses, ACK and CANCEL as RFC 3261 derives them, limits),
 * the stream framer (pipelining, keep-alives, garbage, oversize, limits) and the span and list
 * helpers; registered by test_sip_grammar.c's main (suites "build" and "framer"). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "test_sip_grammar.h"

/* ---- builder -------------------------------------------------------------------------- */

static const char invite_txt[] =
  "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
  "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
  "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK1;received=192.0.2.7\r\n"
  "Max-Forwards: 70\r\n"
  "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
  "To: Bob <sip:bob@biloxi.example.com>\r\n"
  "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
  "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
  "CSeq: 314159 INVITE\r\n"
  "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
  "Content-Type: application/sdp\r\n"
  "Content-Length: 4\r\n"
  "\r\n"
  "v=0\n";

void test_build_response_ack_cancel(void) {
  sipspec_msg *inv, *resp, *out;
  CU_ASSERT_FATAL(sipspec_msg_create(&inv, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_create(&resp, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_create(&out, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(inv, invite_txt, sizeof invite_txt - 1) == SIPSPEC_OK);

  /* 486 response with a To tag (RFC 3261 8.2.6). */
  char rb[2048], ab[2048], cb[2048], f1[512], f2[512];
  sipspec_build b;
  sipspec_build_init(&b, rb, sizeof rb);
  CU_ASSERT(sipspec_build_response(&b, inv, 486, "Busy Here", "xyz") == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(resp, rb, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_status(resp), 486);
  CU_ASSERT_EQUAL(sipspec_msg_via_count(resp), 2);
  field(resp, "via1_received", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "192.0.2.7");
  field(resp, "to_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "xyz");
  field(resp, "from_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "1928301774");
  field(resp, "cseq_method", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "INVITE");
  CU_ASSERT_EQUAL(sipspec_msg_content_length(resp), 0);
  CU_ASSERT_EQUAL(sipspec_msg_check(resp), 0);

  /* ACK for that non-2xx response (RFC 3261 17.1.1.3). */
  sipspec_build_init(&b, ab, sizeof ab);
  CU_ASSERT(sipspec_build_ack(&b, inv, resp) == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(out, ab, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_method(out), SIPSPEC_METHOD_ACK);
  field(out, "ruri", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "sip:bob@biloxi.example.com");
  CU_ASSERT_EQUAL(sipspec_msg_via_count(out), 1);
  field(out, "via0_branch", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "z9hG4bK776asdhds");
  field(out, "to_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "xyz");
  CU_ASSERT_EQUAL(sipspec_msg_cseq(out), 314159);
  field(out, "cseq_method", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "ACK");
  field(out, "route_count", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "2");
  field(out, "call_id", f1, sizeof f1);
  field(inv, "call_id", f2, sizeof f2);
  CU_ASSERT_STRING_EQUAL(f1, f2);
  CU_ASSERT_EQUAL(sipspec_msg_check(out), 0);

  /* CANCEL (RFC 3261 9.1). */
  sipspec_build_init(&b, cb, sizeof cb);
  CU_ASSERT(sipspec_build_cancel(&b, inv) == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(out, cb, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_method(out), SIPSPEC_METHOD_CANCEL);
  CU_ASSERT_EQUAL(sipspec_msg_via_count(out), 1);
  field(out, "to_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "-");
  field(out, "cseq", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "314159");
  field(out, "cseq_method", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "CANCEL");
  CU_ASSERT_EQUAL(sipspec_msg_check(out), 0);

  /* An ACK needs an INVITE; CANCEL of an ACK is refused. */
  sipspec_build_init(&b, cb, sizeof cb);
  CU_ASSERT(sipspec_build_ack(&b, out, resp) == SIPSPEC_E_INVAL);
  sipspec_build_init(&b, cb, sizeof cb);
  CU_ASSERT_FATAL(sipspec_msg_parse(out, ab, strlen(ab)) == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_cancel(&b, out) == SIPSPEC_E_INVAL);

  sipspec_msg_destroy(inv);
  sipspec_msg_destroy(resp);
  sipspec_msg_destroy(out);
}

void test_build_limits(void) {
  char small[40];
  sipspec_build b;
  sipspec_build_init(&b, small, sizeof small);
  sipspec_build_request_line(&b, (sipspec_span){"OPTIONS", 7}, (sipspec_span){"sip:a@b", 7});
  sipspec_build_header(&b, (sipspec_span){"Call-ID", 7}, (sipspec_span){"0123456789abcdef", 16});
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, (sipspec_span){NULL, 0}), SIPSPEC_E_MSG_NOSPACE);
  CU_ASSERT(b.len <= sizeof small);
  char big[256];
  sipspec_build_init(&b, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_header(&b, (sipspec_span){"X\r\nY", 4}, (sipspec_span){"v", 1}),
                  SIPSPEC_E_BUILD_CRLF);
  sipspec_build_init(&b, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_status_line(&b, 99, (sipspec_span){"x", 1}), SIPSPEC_E_INVAL);
  /* Content-Length is the body's real length. */
  sipspec_build_init(&b, big, sizeof big);
  sipspec_build_status_line(&b, 200, (sipspec_span){"OK", 2});
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, (sipspec_span){"hello", 5}), SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(gm, big, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_content_length(gm), 5);
  CU_ASSERT_EQUAL(sipspec_msg_body(gm).len, 5);
}

/* ---- framer --------------------------------------------------------------------------- */

static const char small_req[] =
  "OPTIONS sip:a@example.com SIP/2.0\r\n"
  "Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"
  "From: <sip:b@example.com>;tag=1\r\n"
  "To: <sip:a@example.com>\r\n"
  "Call-ID: c1\r\n"
  "CSeq: 1 OPTIONS\r\n"
  "Max-Forwards: 70\r\n"
  "Content-Length: 3\r\n"
  "\r\n"
  "abc";

void test_framer_pipeline_keepalive(void) {
  sipspec_framer *f;
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "\r\n\r\n%s\r\n%s\r\n\r\n", small_req, small_req);
  /* Feed in 7-byte chunks; collect every message. */
  int got = 0;
  for (int off = 0; off < n; off += 7) {
    CU_ASSERT_EQUAL_FATAL(sipspec_framer_feed(f, buf + off, (size_t)(n - off < 7 ? n - off : 7)), SIPSPEC_OK);
    int rc;
    while ((rc = sipspec_framer_next(f, gm)) == SIPSPEC_OK) {
      got++;
      CU_ASSERT_EQUAL(sipspec_msg_body(gm).len, 3);
      CU_ASSERT(!memcmp(sipspec_msg_body(gm).p, "abc", 3));
      CU_ASSERT_EQUAL(sipspec_msg_cseq(gm), 1);
      /* The head was parsed once, before the framer moved the bytes to take more in: every
       * span follows them (sipspec_msg_stream_complete()). */
      sipspec_span v, raw = sipspec_msg_raw(gm);
      CU_ASSERT_EQUAL(raw.len, sizeof small_req - 1);
      CU_ASSERT(!memcmp(raw.p, small_req, raw.len));
      CU_ASSERT(sipspec_span_eq(sipspec_msg_call_id(gm), "c1"));
      CU_ASSERT(sipspec_span_eq(sipspec_msg_method_text(gm), "OPTIONS"));
      CU_ASSERT(sipspec_span_eq(sipspec_msg_request_uri(gm), "sip:a@example.com"));
      CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_VIA, 0, &v), SIPSPEC_OK);
      CU_ASSERT(sipspec_span_eq(v, "SIP/2.0/TCP h.example.com;branch=z9hG4bK1"));
      CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_TO, 0, &v), SIPSPEC_OK);
      CU_ASSERT(sipspec_span_eq(v, "<sip:a@example.com>"));
      CU_ASSERT(v.p >= raw.p && v.p + v.len <= raw.p + raw.len);
      CU_ASSERT_EQUAL(sipspec_msg_check(gm), 0);
    }
    CU_ASSERT_EQUAL(rc, SIPSPEC_E_AGAIN);
  }
  CU_ASSERT_EQUAL(got, 2);
  CU_ASSERT_EQUAL(sipspec_framer_pending(f), 0);
  sipspec_framer_destroy(f);
  /* One read with a whole message and the head of the next, its body cut short: the second
   * head is parsed where it lies, then feed() moves it to the front of the buffer to take the
   * rest in; the message next() returns is that parse, completed, its spans moved along. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  size_t one = sizeof small_req - 1;
  memcpy(buf, small_req, one);
  memcpy(buf + one, small_req, one);
  CU_ASSERT_EQUAL_FATAL(sipspec_framer_feed(f, buf, 2 * one - 2), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_AGAIN);
  CU_ASSERT_EQUAL_FATAL(sipspec_framer_feed(f, buf + 2 * one - 2, 2), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_framer_next(f, gm), SIPSPEC_OK);
  sipspec_span v, raw = sipspec_msg_raw(gm);
  CU_ASSERT_EQUAL(raw.len, one);
  CU_ASSERT(!memcmp(raw.p, small_req, one));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_call_id(gm), "c1"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_method_text(gm), "OPTIONS"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_request_uri(gm), "sip:a@example.com"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_cseq_method_text(gm), "OPTIONS"));
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_VIA, 0, &v), SIPSPEC_OK);
  CU_ASSERT(sipspec_span_eq(v, "SIP/2.0/TCP h.example.com;branch=z9hG4bK1"));
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_TO, 0, &v), SIPSPEC_OK);
  CU_ASSERT(sipspec_span_eq(v, "<sip:a@example.com>"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_body(gm), "abc"));
  CU_ASSERT_EQUAL(sipspec_msg_check(gm), 0);
  /* every span inside the message as it now lies (the old bytes may still be readable) */
  sipspec_span spans[] = {sipspec_msg_call_id(gm), sipspec_msg_method_text(gm), sipspec_msg_request_uri(gm),
                          sipspec_msg_cseq_method_text(gm), v};
  for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
    CU_ASSERT(spans[i].p >= raw.p && spans[i].p + spans[i].len <= raw.p + raw.len);
  sipspec_header h;
  for (size_t i = 0; i < sipspec_msg_header_count(gm); i++) {
    CU_ASSERT_EQUAL_FATAL(sipspec_msg_header(gm, i, &h), SIPSPEC_OK);
    CU_ASSERT(h.name.p >= raw.p && h.value.p + h.value.len <= raw.p + raw.len);
  }
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_AGAIN);
  sipspec_framer_destroy(f);
}

void test_framer_errors(void) {
  sipspec_framer *f;
  /* Garbage: reported as soon as the first line is complete, and sticky. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  sipspec_framer_feed(f, "GET / HTTP/1.1\r\n", 16);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_SYNTAX);
  CU_ASSERT_STRING_EQUAL(sipspec_framer_error(f)->rule, "start-line");
  CU_ASSERT_EQUAL(sipspec_framer_feed(f, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_SYNTAX);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_SYNTAX);
  sipspec_framer_destroy(f);

  /* No Content-Length on a stream. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  const char *nocl = "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: x\r\n\r\n";
  sipspec_framer_feed(f, nocl, strlen(nocl));
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_NO_CONTENT_LENGTH);
  sipspec_framer_destroy(f);

  /* A head that never ends: oversize once the limit is passed. */
  sipspec_msg_limits lim;
  sipspec_msg_limits_init(&lim);
  lim.max_message_size = 512;
  CU_ASSERT_FATAL(sipspec_framer_create(&f, &lim) == SIPSPEC_OK);
  sipspec_framer_feed(f, "OPTIONS sip:a@example.com SIP/2.0\r\n", 35);
  int rc = SIPSPEC_E_AGAIN;
  for (int i = 0; i < 100 && rc == SIPSPEC_E_AGAIN; i++) {
    rc = sipspec_framer_feed(f, "X-Pad: 0123456789\r\n", 19);
    if (rc == SIPSPEC_OK) rc = sipspec_framer_next(f, gm);
  }
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_MSG_OVERSIZE);
  sipspec_framer_destroy(f);

  /* Content-Length larger than the limit: refused before the body arrives. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, &lim) == SIPSPEC_OK);
  const char *huge = "OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 100000\r\n\r\n";
  sipspec_framer_feed(f, huge, strlen(huge));
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_OVERSIZE);
  sipspec_framer_destroy(f);
}

void test_limits(void) {
  sipspec_msg *m;
  sipspec_msg_limits lim;
  sipspec_msg_limits_init(&lim);
  lim.max_headers = 4;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_TOO_MANY_HEADERS);
  CU_ASSERT_EQUAL(sipspec_msg_error(m)->line, 6); /* the fifth header line */
  CU_ASSERT_STRING_EQUAL(sipspec_msg_error(m)->rule, "max_headers");
  sipspec_msg_destroy(m);

  sipspec_msg_limits_init(&lim);
  lim.max_line_length = 30;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_LINE_TOO_LONG);
  sipspec_msg_destroy(m);

  sipspec_msg_limits_init(&lim);
  lim.max_message_size = 100;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_OVERSIZE);
  sipspec_msg_destroy(m);

  sipspec_msg_limits_init(&lim);
  lim.max_values = 2;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_TOO_MANY_HEADERS);
  CU_ASSERT_STRING_EQUAL(sipspec_msg_error(m)->rule, "max_values");
  sipspec_msg_destroy(m);

  /* Every prefix of a valid message is rejected cleanly in datagram mode, never read past. */
  for (size_t k = 0; k + 3 < sizeof small_req - 1; k++) {
    char *copy = malloc(k ? k : 1);
    memcpy(copy, small_req, k);
    int rc = sipspec_msg_parse(gm, copy, k);
    CU_ASSERT(rc != SIPSPEC_OK);
    free(copy);
  }
}


/* The span helpers every layer uses instead of its own. */
void test_span_helpers(void) {
  const char text[] = "Branch-Z9";
  sipspec_span s = {text, 6}; /* "Branch" */
  sipspec_span empty = {NULL, 0};
  CU_ASSERT_TRUE(sipspec_span_eq(s, "Branch"));
  CU_ASSERT_FALSE(sipspec_span_eq(s, "branch"));
  CU_ASSERT_FALSE(sipspec_span_eq(s, "Branch-"));
  CU_ASSERT_FALSE(sipspec_span_eq(s, "Branc"));
  CU_ASSERT_TRUE(sipspec_span_ieq(s, "bRANCH"));
  CU_ASSERT_FALSE(sipspec_span_ieq(s, "branches"));
  CU_ASSERT_TRUE(sipspec_span_eq(empty, ""));
  CU_ASSERT_TRUE(sipspec_span_ieq(empty, ""));
  CU_ASSERT_FALSE(sipspec_span_eq(empty, "x"));
  char buf[7];
  memset(buf, 'x', sizeof buf);
  CU_ASSERT_EQUAL(sipspec_span_copy(buf, sizeof buf, s), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(buf, "Branch");
  CU_ASSERT_EQUAL(sipspec_span_copy(buf, 6, s), SIPSPEC_E_RANGE); /* no room for the NUL */
  CU_ASSERT_STRING_EQUAL(buf, "");
  CU_ASSERT_EQUAL(sipspec_span_copy(buf, sizeof buf, empty), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(buf, "");
  char *d = sipspec_span_dup(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_STRING_EQUAL(d, "Branch");
  free(d);
  d = sipspec_span_dup(empty);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_STRING_EQUAL(d, "");
  free(d);
}


/* sipspec_msg_has_token: a value of a comma-separated list, case-insensitive, blanks and
 * ;params around it ignored, over every header of that name; -1 without the header. */
void test_has_token(void) {
  static const char msg[] =
      "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
      "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
      "Allow: INVITE, ACK,UPDATES , Cancel\r\nAllow:\tbye ,  update ;x=1\r\nSupported: notimer, 100rel\r\n"
      "Require: timer;q=1\r\nContent-Length: 0\r\n\r\n";
  sipspec_msg *m;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, NULL) == SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, msg, sizeof msg - 1), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDATE"), 1);  /* in the second Allow */
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "CANCEL"), 1);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "OPTIONS"), 0);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDATES"), 1);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDAT"), 0);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_SUPPORTED, "timer"), 0); /* "notimer" is another tag */
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_REQUIRE, "timer"), 1);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_UNSUPPORTED, "timer"), -1);
  sipspec_msg_destroy(m);
}

