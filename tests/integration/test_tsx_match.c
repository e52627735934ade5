/* test_tsx_match.c: the transaction layer's message rules on parsed messages, no sockets:
 * keys and matching (RFC 3261 17.1.3: branch + CSeq method, CANCEL apart; 17.2.3: branch +
 * sent-by + method, ACK matching its INVITE), branches (8.1.1.7), the top-Via rewrite and
 * the response address (18.2.1, 18.2.2, RFC 3581), responses with TU header lines, and the
 * layer's error names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/tsx_internal.h"
#include "tsx_test_util.h"

static sipspec_msg *msg;

static const sipspec_msg *parse(const char *text) {
  int rc = sipspec_msg_parse(msg, text, strlen(text));
  if (rc) fprintf(stderr, "parse: %s\n", sipspec_errname(rc));
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  return msg;
}

/* The layer's buffers carry a length, no NUL: add one for the string checks below. */
static char *nul(char *p, size_t len) {
  char *q = realloc(p, len + 1);
  CU_ASSERT_PTR_NOT_NULL_FATAL(q);
  q[len] = '\0';
  return q;
}

#define HDRS(via, cseq)                                                                            \
  "Via: " via "\r\nMax-Forwards: 70\r\nFrom: <sip:a@h>;tag=1\r\nTo: <sip:b@h>\r\n"                  \
  "Call-ID: c@h\r\nCSeq: " cseq "\r\nContent-Length: 0\r\n\r\n"

#define VIA1 "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKabc"

static sipspec_tsx_key req_key(const char *text) {
  sipspec_tsx_key k;
  CU_ASSERT_EQUAL(sipspec_tsx_key_of_request(parse(text), &k), SIPSPEC_OK);
  return k;
}
static sipspec_tsx_key resp_key(const char *text) {
  sipspec_tsx_key k;
  CU_ASSERT_EQUAL(sipspec_tsx_key_of_response(parse(text), &k), SIPSPEC_OK);
  return k;
}

static void client_matching_branch_and_method(void) {
  sipspec_tsx_key inv = req_key("INVITE sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 INVITE"));
  CU_ASSERT_STRING_EQUAL(inv.branch, "z9hG4bKabc");
  CU_ASSERT_STRING_EQUAL(inv.method, "INVITE");
  CU_ASSERT_STRING_EQUAL(inv.host, "10.0.0.1");
  CU_ASSERT_EQUAL(inv.port, 5070);
  sipspec_tsx_key cancel = req_key("CANCEL sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 CANCEL"));
  sipspec_tsx_key r = resp_key("SIP/2.0 486 Busy Here\r\n" HDRS(VIA1, "1 INVITE"));
  CU_ASSERT_TRUE(sipspec_tsx_match_client(&inv, &r));
  CU_ASSERT_FALSE(sipspec_tsx_match_client(&cancel, &r));
  /* the 200 to the CANCEL carries the INVITE's branch but belongs to the CANCEL */
  r = resp_key("SIP/2.0 200 OK\r\n" HDRS(VIA1, "1 CANCEL"));
  CU_ASSERT_FALSE(sipspec_tsx_match_client(&inv, &r));
  CU_ASSERT_TRUE(sipspec_tsx_match_client(&cancel, &r));
  /* another branch, or the branch in another case: no match */
  r = resp_key("SIP/2.0 486 Busy Here\r\n" HDRS("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKabd", "1 INVITE"));
  CU_ASSERT_FALSE(sipspec_tsx_match_client(&inv, &r));
  r = resp_key("SIP/2.0 486 Busy Here\r\n" HDRS("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKABC", "1 INVITE"));
  CU_ASSERT_FALSE(sipspec_tsx_match_client(&inv, &r));
  /* a response's sent-by is not part of client matching */
  r = resp_key("SIP/2.0 486 Busy Here\r\n" HDRS("SIP/2.0/UDP other:1;branch=z9hG4bKabc", "1 INVITE"));
  CU_ASSERT_TRUE(sipspec_tsx_match_client(&inv, &r));
  /* no branch, no Via */
  sipspec_tsx_key k;
  CU_ASSERT_EQUAL(sipspec_tsx_key_of_response(parse("SIP/2.0 200 OK\r\n" HDRS("SIP/2.0/UDP h", "1 INVITE")), &k),
                  SIPSPEC_E_NOTFOUND);
  CU_ASSERT_EQUAL(sipspec_tsx_key_of_request(parse("SIP/2.0 200 OK\r\n" HDRS(VIA1, "1 INVITE")), &k), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(sipspec_tsx_key_of_request(parse("OPTIONS sip:b@h SIP/2.0\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"),
                                             &k),
                  SIPSPEC_E_NOTFOUND);
}

static void server_matching_sent_by_and_ack(void) {
  sipspec_tsx_key inv = req_key("INVITE sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 INVITE"));
  /* the retransmission, with the host in another case */
  sipspec_tsx_key again = req_key("INVITE sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKabc", "1 INVITE"));
  CU_ASSERT_TRUE(sipspec_tsx_match_server(&inv, &again));
  /* ACK to a non-2xx: same branch and sent-by, matches the INVITE */
  sipspec_tsx_key ack = req_key("ACK sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 ACK"));
  CU_ASSERT_TRUE(ack.is_ack);
  CU_ASSERT_STRING_EQUAL(ack.method, "INVITE");
  CU_ASSERT_TRUE(sipspec_tsx_match_server(&inv, &ack));
  /* ACK from another sent-by port, or with another branch (the ACK for a 2xx): no match */
  ack = req_key("ACK sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/UDP 10.0.0.1:5071;branch=z9hG4bKabc", "1 ACK"));
  CU_ASSERT_FALSE(sipspec_tsx_match_server(&inv, &ack));
  ack = req_key("ACK sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKother", "1 ACK"));
  CU_ASSERT_FALSE(sipspec_tsx_match_server(&inv, &ack));
  /* CANCEL has its own server transaction */
  sipspec_tsx_key cancel = req_key("CANCEL sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 CANCEL"));
  CU_ASSERT_FALSE(sipspec_tsx_match_server(&inv, &cancel));
  /* host names compare without case; an absent port is 5060 */
  sipspec_tsx_key a = req_key("OPTIONS sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/UDP Host.Example;branch=z9hG4bK1", "1 OPTIONS"));
  sipspec_tsx_key b = req_key("OPTIONS sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/UDP host.example:5060;branch=z9hG4bK1", "1 OPTIONS"));
  CU_ASSERT_EQUAL(a.port, 5060);
  CU_ASSERT_TRUE(sipspec_tsx_match_server(&a, &b));
  sipspec_tsx_key tls = req_key("OPTIONS sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/TLS host.example;branch=z9hG4bK1", "1 OPTIONS"));
  CU_ASSERT_EQUAL(tls.port, 5061);
  CU_ASSERT_FALSE(sipspec_tsx_match_server(&a, &tls));
}

static void branches_are_fresh(void) {
  char a[SIPSPEC_TSX_BRANCH_SIZE], b[SIPSPEC_TSX_BRANCH_SIZE];
  CU_ASSERT_EQUAL(sipspec_tsx_new_branch(a, sizeof a), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_tsx_new_branch(b, sizeof b), SIPSPEC_OK);
  CU_ASSERT_EQUAL(strncmp(a, "z9hG4bK", 7), 0);
  CU_ASSERT_EQUAL(strlen(a), SIPSPEC_TSX_BRANCH_SIZE - 1);
  CU_ASSERT_EQUAL(strspn(a + 7, "0123456789abcdef"), 32);
  CU_ASSERT_STRING_NOT_EQUAL(a, b);
  CU_ASSERT_EQUAL(sipspec_tsx_new_branch(a, SIPSPEC_TSX_BRANCH_SIZE - 1), SIPSPEC_E_INVAL);
}

/* A response built from the server record of m (received from src): its text. */
static char *respond_from(const sipspec_msg *m, const sipspec_sockaddr *src, int status, const char *tag,
                          const char *headers, const char *body, size_t body_len, size_t *len) {
  tsx_rec *r = NULL;
  char *out = NULL;
  CU_ASSERT_EQUAL_FATAL(tsx_rec_new(m, src, &r), SIPSPEC_OK);
  int rc = tsx_build_response(r, status, NULL, tag, headers, body, body_len, &out, len);
  free(r);
  return rc ? NULL : nul(out, *len);
}

static void via_received_and_rport(void) {
  sipspec_sockaddr src;
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&src, "192.0.2.7", 40000), SIPSPEC_OK);
  char *out;
  size_t len;
  /* rport without value: received and the port are added, the bare rport goes */
  const sipspec_msg *m = parse("OPTIONS sip:b@h SIP/2.0\r\n"
                               HDRS("SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bKx, SIP/2.0/UDP p:1;branch=z9hG4bKy", "1 OPTIONS"));
  out = respond_from(m, &src, 200, NULL, NULL, NULL, 0, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  sipspec_sockaddr to;
  tsx_response_addr(m, &src, 0, &to);
  CU_ASSERT_TRUE(sipspec_sockaddr_equal(&to, &src));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "Via: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bKx;received=192.0.2.7;rport=40000, "
                                     "SIP/2.0/UDP p:1;branch=z9hG4bKy\r\n"));
  m = parse(out); /* a valid response, same branch */
  sipspec_via v;
  CU_ASSERT_EQUAL(sipspec_msg_via(m, 0, &v), SIPSPEC_OK);
  CU_ASSERT_EQUAL(v.rport, 40000);
  CU_ASSERT_EQUAL(sipspec_msg_via_count(m), 2);
  free(out);
  /* no rport, sent-by host is the source: the Via unchanged, and the response the builder
   * makes from the parsed request, byte for byte; responses go to the sent-by port */
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&src, "10.0.0.1", 40000), SIPSPEC_OK);
  const char *plain = "OPTIONS sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 OPTIONS");
  m = parse(plain);
  out = respond_from(m, &src, 404, "t1", NULL, NULL, 0, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  char ref[2048];
  sipspec_build b;
  sipspec_build_init(&b, ref, sizeof ref);
  sipspec_build_response(&b, m, 404, "Not Found", "t1");
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  CU_ASSERT_EQUAL(len, b.len);
  CU_ASSERT_EQUAL(memcmp(out, ref, b.len), 0);
  free(out);
  tsx_response_addr(m, &src, 0, &to);
  CU_ASSERT_EQUAL(sipspec_sockaddr_port(&to), 5070);
  tsx_response_addr(m, &src, 1, &to); /* reliable: the connection's peer */
  CU_ASSERT_EQUAL(sipspec_sockaddr_port(&to), 40000);
  /* sent-by is a name: received added, an old received replaced, no rport */
  m = parse("OPTIONS sip:b@h SIP/2.0\r\n" HDRS("SIP/2.0/UDP pc.example;received=1.2.3.4;branch=z9hG4bKz", "1 OPTIONS"));
  out = respond_from(m, &src, 200, NULL, NULL, NULL, 0, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "Via: SIP/2.0/UDP pc.example;branch=z9hG4bKz;received=10.0.0.1\r\n"));
  free(out);
  tsx_response_addr(m, &src, 0, &to);
  CU_ASSERT_EQUAL(sipspec_sockaddr_port(&to), 5060);
}

/* The ACK from the ICT's record is the one the builder makes from the parsed INVITE and
 * response (17.1.1.3), byte for byte: Route set, Max-Forwards, the response's To. */
static void ack_from_record(void) {
  static char inv[1024], resp[1024];
  snprintf(inv, sizeof inv, "INVITE sip:b@h;transport=udp SIP/2.0\r\nVia: %s\r\nMax-Forwards: 42\r\n"
           "Route: <sip:p1;lr>\r\nRoute: <sip:p2;lr>, <sip:p3;lr>\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@h>\r\n"
           "Call-ID: c1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", VIA1);
  snprintf(resp, sizeof resp, "SIP/2.0 486 Busy Here\r\nVia: %s\r\nFrom: <sip:a@h>;tag=f\r\nTo: <sip:b@h>;tag=t\r\n"
           "Call-ID: c1\r\nCSeq: 7 INVITE\r\nContent-Length: 0\r\n\r\n", VIA1);
  sipspec_msg *mi, *mr;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&mi, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&mr, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(mi, inv, strlen(inv)), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(mr, resp, strlen(resp)), SIPSPEC_OK);
  tsx_rec *r = NULL;
  CU_ASSERT_EQUAL_FATAL(tsx_rec_new(mi, NULL, &r), SIPSPEC_OK);
  char *ack;
  size_t len;
  CU_ASSERT_EQUAL_FATAL(tsx_build_ack(r, mr, &ack, &len), SIPSPEC_OK);
  char ref[2048];
  sipspec_build b;
  sipspec_build_init(&b, ref, sizeof ref);
  sipspec_build_ack(&b, mi, mr);
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  CU_ASSERT_EQUAL(len, b.len);
  CU_ASSERT_EQUAL(memcmp(ack, ref, b.len), 0);
  ack = nul(ack, len);
  CU_ASSERT_PTR_NOT_NULL(strstr(ack, "Route: <sip:p2;lr>, <sip:p3;lr>\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(ack, "\r\nMax-Forwards: 42\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(ack, "\r\nTo: <sip:b@h>;tag=t\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(ack, "CSeq: 7 ACK\r\n"));
  free(ack);
  /* a request is no response to acknowledge */
  CU_ASSERT_EQUAL(tsx_build_ack(r, mi, &ack, &len), SIPSPEC_E_INVAL);
  /* 9.1: the CANCEL from the same record is the builder's from the parsed INVITE */
  char *cancel;
  CU_ASSERT_EQUAL_FATAL(tsx_build_cancel(r, "User-Agent: t\r\n", &cancel, &len), SIPSPEC_OK);
  sipspec_build_init(&b, ref, sizeof ref);
  sipspec_build_cancel(&b, mi);
  sipspec_build_header(&b, (sipspec_span){"User-Agent", 10}, (sipspec_span){"t", 1});
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  CU_ASSERT_EQUAL(len, b.len);
  CU_ASSERT_EQUAL(memcmp(cancel, ref, b.len), 0);
  free(cancel);
  CU_ASSERT_EQUAL(tsx_build_cancel(r, "Content-Length: 1\r\n", &cancel, &len), SIPSPEC_E_BUILD_FIELD);
  free(r);
  sipspec_msg_destroy(mi);
  sipspec_msg_destroy(mr);
}

static void responses_with_tu_headers(void) {
  const sipspec_msg *m = parse("INVITE sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 INVITE"));
  char *out;
  size_t len;
  sipspec_sockaddr src;
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&src, "10.0.0.1", 5070), SIPSPEC_OK);
  out = respond_from(m, &src, 200, "t9", "Contact: <sip:b@10.0.0.2>\r\nContent-Type: application/sdp\r\n", "v=0\r\n", 5, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(out);
  const sipspec_msg *r = parse(out);
  CU_ASSERT_EQUAL(sipspec_msg_status(r), 200);
  CU_ASSERT_EQUAL(sipspec_msg_content_length(r), 5);
  sipspec_addr to;
  CU_ASSERT_EQUAL(sipspec_msg_to(r, &to), SIPSPEC_OK);
  CU_ASSERT_EQUAL(to.tag.len, 2);
  CU_ASSERT_TRUE(sipspec_msg_find(r, "Contact", 0) >= 0);
  CU_ASSERT_EQUAL(strncmp(out, "SIP/2.0 200 OK\r\n", 16), 0);
  free(out);
  m = parse("INVITE sip:b@h SIP/2.0\r\n" HDRS(VIA1, "1 INVITE"));
  tsx_rec *rec = NULL;
  CU_ASSERT_EQUAL_FATAL(tsx_rec_new(m, &src, &rec), SIPSPEC_OK);
  /* header lines that would break the message are refused, each with the builder's reason */
  const char *bad[] = {"Contact: <sip:b@h>", "Content-Length: 3\r\n", ": x\r\n", " folded: x\r\n", "No Colon\r\n",
                       "X: a\r\n\r\nINVITE sip:x SIP/2.0\r\n", "l: 4\r\n", "Contact: <sip:b@h\r\n", "CSeq: x\r\n"};
  const int why[] = {SIPSPEC_E_BUILD_FIELD, SIPSPEC_E_BUILD_FIELD, SIPSPEC_E_BUILD_TOKEN, SIPSPEC_E_BUILD_TOKEN,
                     SIPSPEC_E_BUILD_TOKEN, SIPSPEC_E_BUILD_CRLF, SIPSPEC_E_BUILD_FIELD, SIPSPEC_E_BUILD_VALUE,
                     SIPSPEC_E_BUILD_VALUE};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    CU_ASSERT_EQUAL(tsx_build_response(rec, 486, NULL, NULL, bad[i], NULL, 0, &out, &len), why[i]);
  CU_ASSERT_EQUAL(tsx_build_response(rec, 99, NULL, NULL, NULL, NULL, 0, &out, &len), SIPSPEC_E_INVAL);
  free(rec);
  CU_ASSERT_STRING_EQUAL(tsx_reason_phrase(486), "Busy Here");
  CU_ASSERT_STRING_EQUAL(tsx_reason_phrase(499), "Client Error");
}

static void error_names(void) {
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_TSX_EXISTS), "SIPSPEC_E_TSX_EXISTS");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_TSX_NO_BRANCH), "SIPSPEC_E_TSX_NO_BRANCH");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_TSX_NO_TRANSPORT), "SIPSPEC_E_TSX_NO_TRANSPORT");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_TSX_BAD_REQUEST), "SIPSPEC_E_TSX_BAD_REQUEST");
  CU_ASSERT_EQUAL(SIPSPEC_E_TSX_EXISTS, -400);
}

int main(void) {
  if (sipspec_msg_create(&msg, NULL)) return 2;
  static const tt_case cases[] = {
    {"client matching: branch and CSeq method, CANCEL apart (17.1.3)", client_matching_branch_and_method},
    {"server matching: branch, sent-by, method; ACK matches INVITE (17.2.3)", server_matching_sent_by_and_ack},
    {"branches: magic cookie and 128 random bits", branches_are_fresh},
    {"top Via received/rport and the response address (18.2, RFC 3581)", via_received_and_rport},
    {"responses with TU header lines; bad lines refused", responses_with_tu_headers},
    {"the ACK and the CANCEL from the INVITE's record are the builder's (17.1.1.3, 9.1)", ack_from_record},
    {"error names and chart actions", error_names},
    {NULL, NULL}};
  int rc = tt_main("tsx_match", cases);
  sipspec_msg_destroy(msg);
  return rc;
}
