/* test_fastpaths.c: the shortcuts taken for CPU per call (issue 16) give what the long way
 * gives: the top Via, From and To kept in a parsed message follow each new parse; IPv4 text
 * written by hand is inet_ntop's; the local address toward a peer, kept for a second, is
 * the one the kernel picks, with the bound port. Loopback only. */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "net/net_internal.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "sipspec/transport.h"

static const char req_a[] =
  "INVITE sip:u@example.com SIP/2.0\r\n"
  "Via: SIP/2.0/UDP a.example.com:5070;branch=z9hG4bKaaa;rport=1234\r\n"
  "Via: SIP/2.0/UDP second.example.com;branch=z9hG4bKsecond\r\n"
  "From: \"A\" <sip:a@example.com>;tag=from-a\r\n"
  "To: <sip:u@example.com>;tag=to-a\r\n"
  "Call-ID: call-a\r\n"
  "CSeq: 1 INVITE\r\n"
  "Max-Forwards: 70\r\n"
  "Content-Length: 0\r\n"
  "\r\n";

static const char req_b[] =
  "BYE sip:u@example.com SIP/2.0\r\n"
  "Via: SIP/2.0/TCP b.example.com;branch=z9hG4bKbbb\r\n"
  "From: <sip:b@example.com>;tag=from-b\r\n"
  "To: <sip:u@example.com>\r\n"
  "Call-ID: call-b\r\n"
  "CSeq: 2 BYE\r\n"
  "Max-Forwards: 70\r\n"
  "Content-Length: 0\r\n"
  "\r\n";

static int span_is(sipspec_span s, const char *text) {
  return s.len == strlen(text) && (s.len == 0 || memcmp(s.p, text, s.len) == 0);
}

/* Each parse empties what the accessors kept from the one before: a message parsed into the
 * same object reads as itself, asked once or twice, and From and To stay apart. */
static void test_values_follow_each_parse(void) {
  sipspec_msg *m;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, NULL) == SIPSPEC_OK);
  char buf[1024];
  memcpy(buf, req_a, sizeof req_a - 1);
  CU_ASSERT_FATAL(sipspec_msg_parse(m, buf, sizeof req_a - 1) == SIPSPEC_OK);
  for (int round = 0; round < 2; round++) { /* the second round reads what was kept */
    sipspec_via v;
    sipspec_addr f, t;
    CU_ASSERT_FATAL(sipspec_msg_via(m, 0, &v) == SIPSPEC_OK);
    CU_ASSERT(span_is(v.host, "a.example.com"));
    CU_ASSERT_EQUAL(v.port, 5070);
    CU_ASSERT(span_is(v.branch, "z9hG4bKaaa"));
    CU_ASSERT_EQUAL(v.rport, 1234);
    CU_ASSERT(v.branch.p >= buf && v.branch.p < buf + sizeof req_a);
    CU_ASSERT_FATAL(sipspec_msg_from(m, &f) == SIPSPEC_OK);
    CU_ASSERT_FATAL(sipspec_msg_to(m, &t) == SIPSPEC_OK);
    CU_ASSERT(span_is(f.tag, "from-a"));
    CU_ASSERT(span_is(f.display, "\"A\""));
    CU_ASSERT(span_is(t.tag, "to-a"));
    CU_ASSERT(span_is(t.uri, "sip:u@example.com"));
  }
  sipspec_via v1;
  CU_ASSERT_FATAL(sipspec_msg_via(m, 1, &v1) == SIPSPEC_OK); /* not the top one */
  CU_ASSERT(span_is(v1.branch, "z9hG4bKsecond"));
  CU_ASSERT_EQUAL(sipspec_msg_via(m, 2, &v1), SIPSPEC_E_NOTFOUND);

  /* Another message into the same object and the same bytes. */
  memcpy(buf, req_b, sizeof req_b - 1);
  CU_ASSERT_FATAL(sipspec_msg_parse(m, buf, sizeof req_b - 1) == SIPSPEC_OK);
  sipspec_via v;
  sipspec_addr f, t;
  CU_ASSERT_FATAL(sipspec_msg_via(m, 0, &v) == SIPSPEC_OK);
  CU_ASSERT(span_is(v.host, "b.example.com"));
  CU_ASSERT(span_is(v.transport, "TCP"));
  CU_ASSERT_EQUAL(v.port, -1);
  CU_ASSERT_EQUAL(v.rport, -1);
  CU_ASSERT(span_is(v.branch, "z9hG4bKbbb"));
  CU_ASSERT_EQUAL(sipspec_msg_via(m, 1, &v1), SIPSPEC_E_NOTFOUND);
  CU_ASSERT_FATAL(sipspec_msg_from(m, &f) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_to(m, &t) == SIPSPEC_OK);
  CU_ASSERT(span_is(f.tag, "from-b"));
  CU_ASSERT(f.display.p == NULL);
  CU_ASSERT(t.tag.p == NULL); /* no tag: nothing left from the first message */

  /* A message that fails to parse keeps nothing either: no Via to read. */
  static const char bad[] = "OPTIONS sip:u@example.com SIP/2.0\r\nVia: ???\r\n\r\n";
  CU_ASSERT(sipspec_msg_parse(m, bad, sizeof bad - 1) != SIPSPEC_OK);
  memcpy(buf, req_a, sizeof req_a - 1);
  CU_ASSERT_FATAL(sipspec_msg_parse(m, buf, sizeof req_a - 1) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_via(m, 0, &v) == SIPSPEC_OK);
  CU_ASSERT(span_is(v.branch, "z9hG4bKaaa"));
  sipspec_msg_destroy(m);
}

/* The framer parses a head before its body is in, then moves the bytes: a Via read from the
 * head before the move (what was kept) must not outlive it. */
static void test_values_follow_the_framer(void) {
  static const char req[] =
    "OPTIONS sip:a@example.com SIP/2.0\r\n"
    "Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"
    "From: <sip:b@example.com>;tag=x\r\n"
    "To: <sip:a@example.com>\r\n"
    "Call-ID: c1\r\n"
    "CSeq: 1 OPTIONS\r\n"
    "Max-Forwards: 70\r\n"
    "Content-Length: 3\r\n"
    "\r\n"
    "abc";
  size_t one = sizeof req - 1;
  char buf[1024];
  memcpy(buf, req, one);
  memcpy(buf + one, req, one);
  sipspec_framer *fr;
  sipspec_msg *m;
  CU_ASSERT_FATAL(sipspec_framer_create(&fr, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_create(&m, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_framer_feed(fr, buf, 2 * one - 2) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_framer_next(fr, m), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_framer_next(fr, m), SIPSPEC_E_AGAIN); /* the second head, parsed */
  sipspec_via v;
  sipspec_addr f;
  (void)sipspec_msg_via(m, 0, &v); /* may read the head where it lies now */
  (void)sipspec_msg_from(m, &f);
  CU_ASSERT_FATAL(sipspec_framer_feed(fr, buf + 2 * one - 2, 2) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_framer_next(fr, m) == SIPSPEC_OK);
  sipspec_span raw = sipspec_msg_raw(m);
  CU_ASSERT_FATAL(sipspec_msg_via(m, 0, &v) == SIPSPEC_OK);
  CU_ASSERT(span_is(v.branch, "z9hG4bK1"));
  CU_ASSERT(v.branch.p >= raw.p && v.branch.p + v.branch.len <= raw.p + raw.len);
  CU_ASSERT_FATAL(sipspec_msg_from(m, &f) == SIPSPEC_OK);
  CU_ASSERT(span_is(f.tag, "x"));
  CU_ASSERT(f.tag.p >= raw.p && f.tag.p + f.tag.len <= raw.p + raw.len);
  sipspec_msg_destroy(m);
  sipspec_framer_destroy(fr);
}

/* Dotted decimal written by hand, against inet_ntop. */
static void test_ipv4_text(void) {
  static const char *const addrs[] = {"0.0.0.0", "1.2.3.4", "9.10.99.100", "127.0.0.1", "10.20.30.40",
                                      "100.200.250.255", "255.255.255.255", "192.168.1.9"};
  for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
    sipspec_sockaddr a;
    CU_ASSERT_FATAL(sipspec_sockaddr_set(&a, addrs[i], 5060) == SIPSPEC_OK);
    char got[SIPSPEC_SOCKADDR_STRLEN], want[INET_ADDRSTRLEN];
    CU_ASSERT_PTR_EQUAL(sipspec_sockaddr_host(&a, got, sizeof got), got);
    CU_ASSERT_PTR_NOT_NULL(inet_ntop(AF_INET, &a.u.sin.sin_addr, want, sizeof want));
    CU_ASSERT_STRING_EQUAL(got, want);
    CU_ASSERT_STRING_EQUAL(got, addrs[i]);
  }
  sipspec_sockaddr a6;
  CU_ASSERT_FATAL(sipspec_sockaddr_set(&a6, "::1", 5060) == SIPSPEC_OK);
  char got6[SIPSPEC_SOCKADDR_STRLEN];
  CU_ASSERT_STRING_EQUAL(sipspec_sockaddr_host(&a6, got6, sizeof got6), "::1");
}

/* The local address toward a peer, asked again (kept), still has the bound port. */
static void test_local_toward_kept(void) {
  sipspec_sockaddr any, peer, l1, l2;
  CU_ASSERT_FATAL(sipspec_sockaddr_set(&any, "0.0.0.0", 40001) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_sockaddr_set(&peer, "127.0.0.1", 5060) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_net_local_toward(&any, &peer, &l1) == SIPSPEC_OK);
  char h[SIPSPEC_SOCKADDR_STRLEN];
  CU_ASSERT_STRING_EQUAL(sipspec_sockaddr_host(&l1, h, sizeof h), "127.0.0.1");
  CU_ASSERT_EQUAL(sipspec_sockaddr_port(&l1), 40001);
  sipspec_sockaddr_set_port(&any, 40002); /* another transport, the same peer */
  CU_ASSERT_FATAL(sipspec_net_local_toward(&any, &peer, &l2) == SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_sockaddr_host(&l2, h, sizeof h), "127.0.0.1");
  CU_ASSERT_EQUAL(sipspec_sockaddr_port(&l2), 40002);
  /* A bound address that is not the wildcard is the answer, whatever was kept. */
  sipspec_sockaddr bound;
  CU_ASSERT_FATAL(sipspec_sockaddr_set(&bound, "127.0.0.2", 40003) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_net_local_toward(&bound, &peer, &l2) == SIPSPEC_OK);
  CU_ASSERT(sipspec_sockaddr_equal(&l2, &bound));
  /* Families that differ are refused, kept or not. */
  sipspec_sockaddr p6;
  CU_ASSERT_FATAL(sipspec_sockaddr_set(&p6, "::1", 5060) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_net_local_toward(&any, &p6, &l2), SIPSPEC_E_BAD_ADDRESS);
}

int main(void) {
  static const tst_case cases[] = {
    {"values follow each parse", test_values_follow_each_parse},
    {"values follow the framer's move", test_values_follow_the_framer},
    {"IPv4 text", test_ipv4_text},
    {"local address toward a peer, kept", test_local_toward_kept},
    {NULL, NULL},
  };
  return tst_main("fastpaths", cases);
}
