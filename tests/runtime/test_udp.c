/* test_udp.c: the UDP transport on 127.0.0.1 and ::1: whole datagrams with their source,
 * bound and learnt local addresses, bind errors naming address and reason, the size limit,
 * two transports on one loop, and close from inside a receive callback. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"
#include "netutil.h"
#include "sipspec/transport.h"

typedef struct inbox {
  int count;
  char last[2048];
  size_t last_len;
  sipspec_sockaddr from;
  int close_on_recv;
  sipspec_transport *tp;
} inbox;

static void on_recv(sipspec_transport *tp, const char *data, size_t len,
                    const sipspec_sockaddr *from,
                    void *user) {
  inbox *in = user;
  in->count++;
  in->last_len = len < sizeof in->last ? len : sizeof in->last;
  memcpy(in->last, data, in->last_len);
  in->from = *from;
  if (in->close_on_recv) {
    sipspec_transport_close(tp);
    in->tp = NULL;
  }
}

static int got(void *arg) { return ((inbox *)arg)->count > 0; }

static sipspec_transport *open_udp(struct ev_loop *loop, const char *host, inbox *in, int *rc_out,
                                   char *err) {
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = host;
  o.on_recv = on_recv;
  o.user = in;
  sipspec_transport *tp = NULL;
  int rc = sipspec_transport_open(&sipspec_transport_udp, loop, &o, &tp, err, SIPSPEC_ERR_LEN);
  if (rc_out) *rc_out = rc;
  if (in) in->tp = tp;
  return tp;
}

static void exchange(const char *host) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  inbox a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  char err[SIPSPEC_ERR_LEN] = "";
  int rc;
  sipspec_transport *ta = open_udp(loop, host, &a, &rc, err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, "open %s: %s\n", host, err);
    ev_loop_destroy(loop);
    return;
  }
  sipspec_transport *tb = open_udp(loop, host, &b, &rc, err);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_transport_name(ta), "udp");
  CU_ASSERT_FALSE(sipspec_transport_reliable(ta));
  sipspec_sockaddr aa, ba;
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(ta, &aa), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(tb, &ba), SIPSPEC_OK);
  CU_ASSERT_NOT_EQUAL(sipspec_sockaddr_port(&aa), 0);
  CU_ASSERT_NOT_EQUAL(sipspec_sockaddr_port(&aa), sipspec_sockaddr_port(&ba));

  /* A datagram with a NUL inside and an odd length arrives whole. */
  char msg[1201];
  for (size_t i = 0; i < sizeof msg; i++) msg[i] = (char)(i * 7);
  CU_ASSERT_EQUAL(sipspec_transport_send(ta, &ba, msg, sizeof msg), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, got, &b, 3.0));
  CU_ASSERT_EQUAL(b.count, 1);
  CU_ASSERT_EQUAL(b.last_len, sizeof msg);
  CU_ASSERT(memcmp(b.last, msg, sizeof msg) == 0);
  CU_ASSERT(sipspec_sockaddr_equal(&b.from, &aa)); /* source = A's bound address */

  /* Reply to the source address. */
  CU_ASSERT_EQUAL(sipspec_transport_send(tb, &b.from, "pong", 4), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, got, &a, 3.0));
  CU_ASSERT_EQUAL(a.last_len, 4);
  CU_ASSERT(memcmp(a.last, "pong", 4) == 0);
  CU_ASSERT(sipspec_sockaddr_equal(&a.from, &ba));

  /* Too big for the configured limit (1300): reported, not sent. */
  char big[1301] = {0};
  CU_ASSERT_EQUAL(sipspec_transport_send(ta, &ba, big, sizeof big), SIPSPEC_E_MSG_TOO_BIG);
  sipspec_transport_close(ta);
  sipspec_transport_close(tb);
  ev_loop_destroy(loop);
}

static void test_ipv4_exchange(void) { exchange("127.0.0.1"); }

static void test_ipv6_exchange(void) {
  int fd = socket(AF_INET6, SOCK_DGRAM, 0);
  if (fd < 0) {
    /* Not a silent pass: the missing IPv6 loopback is reported as a failure. */
    CU_FAIL("IPv6 is not available on this kernel: socket(AF_INET6) failed, ::1 untested");
    return;
  }
  close(fd);
  exchange("::1");
}

static void test_local_address_learning(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  char err[SIPSPEC_ERR_LEN];
  inbox a;
  memset(&a, 0, sizeof a);
  sipspec_transport *tp = open_udp(loop, NULL, &a, NULL, err); /* 0.0.0.0:0 */
  CU_ASSERT_PTR_NOT_NULL_FATAL(tp);
  sipspec_sockaddr bound, peer, local;
  sipspec_transport_bound_addr(tp, &bound);
  char s[SIPSPEC_SOCKADDR_STRLEN];
  CU_ASSERT(sipspec_sockaddr_is_any(&bound));
  CU_ASSERT_NOT_EQUAL(sipspec_sockaddr_port(&bound), 0);
  /* Toward 127.0.0.2 the kernel picks a loopback source; the port is ours. */
  sipspec_sockaddr_set(&peer, "127.0.0.2", 5060);
  CU_ASSERT_EQUAL(sipspec_transport_local_addr(tp, &peer, &local), SIPSPEC_OK);
  CU_ASSERT_FALSE(sipspec_sockaddr_is_any(&local));
  CU_ASSERT_EQUAL(sipspec_sockaddr_port(&local), sipspec_sockaddr_port(&bound));
  sipspec_sockaddr_host(&local, s, sizeof s);
  CU_ASSERT(strncmp(s, "127.", 4) == 0);
  /* A family the socket does not have is refused, not guessed. */
  sipspec_sockaddr_set(&peer, "::1", 5060);
  CU_ASSERT_EQUAL(sipspec_transport_local_addr(tp, &peer, &local), SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(sipspec_transport_send(tp, &peer, "x", 1), SIPSPEC_E_BAD_ADDRESS);
  sipspec_transport_close(tp);

  /* Bound to a specific address: that address is the answer. */
  tp = open_udp(loop, "127.0.0.1", &a, NULL, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tp);
  sipspec_sockaddr_set(&peer, "127.0.0.9", 5060);
  CU_ASSERT_EQUAL(sipspec_transport_local_addr(tp, &peer, &local), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_sockaddr_host(&local, s, sizeof s), "127.0.0.1");
  sipspec_transport_close(tp);
  ev_loop_destroy(loop);
}

static void test_bind_errors(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  char err[SIPSPEC_ERR_LEN] = "";
  inbox a;
  memset(&a, 0, sizeof a);
  sipspec_transport *t1 = open_udp(loop, "127.0.0.1", &a, NULL, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
  sipspec_sockaddr b1;
  sipspec_transport_bound_addr(t1, &b1);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.bind_port = sipspec_sockaddr_port(&b1);
  o.on_recv = on_recv;
  sipspec_transport *t2 = NULL;
  int rc = sipspec_transport_open(&sipspec_transport_udp, loop, &o, &t2, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_BIND);
  CU_ASSERT_PTR_NULL(t2);
  char expect[SIPSPEC_ERR_LEN];
  snprintf(expect, sizeof expect, "bind 127.0.0.1:%u/udp: %s", o.bind_port, strerror(EADDRINUSE));
  CU_ASSERT_STRING_EQUAL(err, expect);
  o.bind_host = "localhost"; /* names are the resolver's job */
  rc = sipspec_transport_open(&sipspec_transport_udp, loop, &o, &t2, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_BAD_ADDRESS);
  snprintf(expect, sizeof expect, "bind localhost:%u/udp: not an IP address and port", o.bind_port);
  CU_ASSERT_STRING_EQUAL(err, expect);
  o.bind_host = "192.0.2.1"; /* TEST-NET-1: not a local address */
  o.bind_port = 0;
  rc = sipspec_transport_open(&sipspec_transport_udp, loop, &o, &t2, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_BIND);
  snprintf(expect, sizeof expect, "bind 192.0.2.1:0/udp: %s", strerror(EADDRNOTAVAIL));
  CU_ASSERT_STRING_EQUAL(err, expect);
  o.on_recv = NULL;
  rc = sipspec_transport_open(&sipspec_transport_udp, loop, &o, &t2, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_INVAL);
  sipspec_transport_close(t1);
  ev_loop_destroy(loop);
}

static void test_close_inside_callback(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  char err[SIPSPEC_ERR_LEN];
  inbox a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  sipspec_transport *ta = open_udp(loop, "127.0.0.1", &a, NULL, err);
  sipspec_transport *tb = open_udp(loop, "127.0.0.1", &b, NULL, err);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
  b.close_on_recv = 1;
  sipspec_sockaddr ba;
  sipspec_transport_bound_addr(tb, &ba);
  /* Three datagrams queued at B: the first callback closes B, the others are not delivered. */
  for (int i = 0; i < 3; i++) CU_ASSERT_EQUAL(sipspec_transport_send(ta, &ba, "m", 1), SIPSPEC_OK);
  usleep(20000); /* let all three reach B's socket buffer before B reads */
  CU_ASSERT(tst_run_until(loop, got, &b, 3.0));
  tst_run_for(loop, 0.05);
  CU_ASSERT_EQUAL(b.count, 1);
  CU_ASSERT_PTR_NULL(b.tp);
  sipspec_transport_close(ta);
  ev_loop_destroy(loop);
}

static void test_pick_transport(void) {
  sipspec_config c;
  sipspec_config_init(&c);
  sipspec_tp_kind k = SIPSPEC_TP_TLS;
  char err[SIPSPEC_ERR_LEN] = "";
  CU_ASSERT_EQUAL(sipspec_transport_pick(&c, 1300, &k, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(sipspec_transport_pick(&c, 1301, &k, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TCP);
  c.tcp_enabled = 0;
  CU_ASSERT_EQUAL(sipspec_transport_pick(&c, 1301, &k, err, sizeof err), SIPSPEC_E_MSG_TOO_BIG);
  CU_ASSERT_STRING_EQUAL(err,
      "message of 1301 bytes exceeds the UDP limit of 1300 bytes and TCP is disabled");
  c.transport = SIPSPEC_TP_TCP;
  CU_ASSERT_EQUAL(sipspec_transport_pick(&c, 100000, &k, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TCP);
  c.transport = SIPSPEC_TP_TLS; /* TLS stays TLS whatever the size */
  CU_ASSERT_EQUAL(sipspec_transport_pick(&c, 100000, &k, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TLS);
  CU_ASSERT_PTR_EQUAL(sipspec_transport_type_for(SIPSPEC_TP_UDP), &sipspec_transport_udp);
  CU_ASSERT_PTR_EQUAL(sipspec_transport_type_for(SIPSPEC_TP_TCP), &sipspec_transport_tcp);
  CU_ASSERT_PTR_EQUAL(sipspec_transport_type_for(SIPSPEC_TP_TLS), &sipspec_transport_tls);
}

static void test_addr_helpers(void) {
  sipspec_sockaddr a, b;
  char s[SIPSPEC_SOCKADDR_STRLEN];
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&a, "[::1]", 5060), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_sockaddr_format(&a, s, sizeof s), "[::1]:5060");
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&b, "::1", 5060), SIPSPEC_OK);
  CU_ASSERT(sipspec_sockaddr_equal(&a, &b));
  sipspec_sockaddr_set_port(&b, 5061);
  CU_ASSERT_FALSE(sipspec_sockaddr_equal(&a, &b));
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&a, "127.0.0.1", 65536), SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&a, "127.0.0.256", 1), SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&a, "[127.0.0.1]", 1), SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(sipspec_sockaddr_set(&a, "example.com", 1), SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(sipspec_sockaddr_family(&a), 0);
  CU_ASSERT_STRING_EQUAL(sipspec_sockaddr_format(&a, s, sizeof s), "?");
}

static const tst_case cases[] = {
  {"datagrams cross 127.0.0.1 whole, with source address", test_ipv4_exchange},
  {"datagrams cross ::1 whole, with source address", test_ipv6_exchange},
  {"local address toward a peer is learnt for Via/Contact", test_local_address_learning},
  {"setup errors name the address and the reason", test_bind_errors},
  {"closing inside the receive callback stops delivery", test_close_inside_callback},
  {"RFC 3261 18.1.1: big requests go over TCP or fail clearly", test_pick_transport},
  {"address helpers parse, print and compare", test_addr_helpers},
  {NULL, NULL},
};

int main(void) { return tst_main("udp", cases); }
