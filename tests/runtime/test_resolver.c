/* test_resolver.c: the non-blocking resolver on IP literals and a test hosts file: answers,
 * default ports per transport, case-insensitive names, both families, unknown names, and
 * that the callback never runs inside sipspec_resolve() (always a later loop iteration),
 * cancel, and destroy from inside a callback. */
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "netutil.h"
#include "sipspec/resolver.h"

typedef struct answer {
  int called, status;
  size_t n;
  char addrs[8][SIPSPEC_SOCKADDR_STRLEN];
  sipspec_resolver *destroy_me;
} answer;

static void on_answer(int status, const sipspec_sockaddr *a, size_t n, void *arg) {
  answer *an = arg;
  an->called++;
  an->status = status;
  an->n = n;
  for (size_t i = 0; i < n && i < 8; i++)
    sipspec_sockaddr_format(&a[i], an->addrs[i], SIPSPEC_SOCKADDR_STRLEN);
  if (an->destroy_me) sipspec_resolver_destroy(an->destroy_me);
}

static int called(void *arg) { return ((answer *)arg)->called > 0; }

static sipspec_resolver *make(struct ev_loop *loop) {
  sipspec_resolver_opts o = {0};
  o.hosts_path = TEST_HOSTS_FILE;
  sipspec_resolver *r = NULL;
  char err[SIPSPEC_ERR_LEN] = "";
  CU_ASSERT_EQUAL(sipspec_resolver_create(loop, &o, &r, err, sizeof err), SIPSPEC_OK);
  return r;
}

static answer ask(sipspec_resolver *r, struct ev_loop *loop, const char *host, unsigned port,
                  sipspec_tp_kind tp) {
  answer an;
  memset(&an, 0, sizeof an);
  CU_ASSERT_EQUAL(sipspec_resolve(r, host, port, tp, on_answer, &an, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL(an.called, 0); /* never synchronous */
  CU_ASSERT(tst_run_until(loop, called, &an, 3.0));
  CU_ASSERT_EQUAL(an.called, 1);
  return an;
}

static void test_literals(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_resolver *r = make(loop);
  answer a = ask(r, loop, "192.0.2.7", 5070, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_OK);
  CU_ASSERT_EQUAL(a.n, 1);
  CU_ASSERT_STRING_EQUAL(a.addrs[0], "192.0.2.7:5070");
  a = ask(r, loop, "::1", 0, SIPSPEC_TP_TCP);
  CU_ASSERT_STRING_EQUAL(a.addrs[0], "[::1]:5060");
  a = ask(r, loop, "[2001:db8::5]", 0, SIPSPEC_TP_TLS);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(a.addrs[0], "[2001:db8::5]:5061");
  a = ask(r, loop, "[not-v6]", 0, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(a.n, 0);
  a = ask(r, loop, "", 0, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_E_BAD_ADDRESS);
  CU_ASSERT_EQUAL(sipspec_resolve(r, "x", 70000, SIPSPEC_TP_UDP, on_answer, &a, NULL),
                  SIPSPEC_E_INVAL);
  sipspec_resolver_destroy(r);
  ev_loop_destroy(loop);
}

static void test_hosts_file(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_resolver *r = make(loop);
  /* localhost x2, ip6-localhost, mrcp-server.test x2, MRCP-Alias.test, dup.test x2 */
  CU_ASSERT_EQUAL(sipspec_resolver_hosts_count(r), 8);
  answer a = ask(r, loop, "mrcp-server.test", 0, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(a.n, 2);
  CU_ASSERT_STRING_EQUAL(a.addrs[0], "127.0.0.2:5060");
  CU_ASSERT_STRING_EQUAL(a.addrs[1], "[::1]:5060");
  a = ask(r, loop, "mrcp-alias.TEST", 5080, SIPSPEC_TP_TCP);
  CU_ASSERT_EQUAL(a.n, 1);
  CU_ASSERT_STRING_EQUAL(a.addrs[0], "127.0.0.2:5080");
  a = ask(r, loop, "ip6-localhost", 1, SIPSPEC_TP_UDP);
  CU_ASSERT_STRING_EQUAL(a.addrs[0], "[::1]:1");
  a = ask(r, loop, "dup.test", 0, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.n, 1); /* the repeated line gives one address */
  a = ask(r, loop, "bogus.test", 0, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_E_RESOLVE);
  a = ask(r, loop, "nowhere.test", 0, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(a.status, SIPSPEC_E_RESOLVE);
  CU_ASSERT_EQUAL(a.n, 0);
  sipspec_resolver_destroy(r);
  ev_loop_destroy(loop);
}

static void test_missing_hosts_file(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_resolver_opts o = {0};
  o.hosts_path = "/nonexistent-dir/hosts";
  sipspec_resolver *r = NULL;
  char err[SIPSPEC_ERR_LEN];
  CU_ASSERT_EQUAL(sipspec_resolver_create(loop, &o, &r, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_resolver_hosts_count(r), 0);
  sipspec_resolver_destroy(r);
  o.hosts_path = "/"; /* a directory: exists but cannot be read as a file */
  int rc = sipspec_resolver_create(loop, &o, &r, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_IO);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "hosts file /"));
  ev_loop_destroy(loop);
}

static void test_cancel_and_destroy_in_callback(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_resolver *r = make(loop);
  answer a1, a2, a3;
  memset(&a1, 0, sizeof a1);
  memset(&a2, 0, sizeof a2);
  memset(&a3, 0, sizeof a3);
  sipspec_resolve_query *q = NULL;
  CU_ASSERT_EQUAL(sipspec_resolve(r, "127.0.0.1", 1, SIPSPEC_TP_UDP, on_answer, &a1, &q),
                  SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(q);
  sipspec_resolve_cancel(r, q);
  a2.destroy_me = r; /* the second answer destroys the resolver; the third never comes */
  CU_ASSERT_EQUAL(sipspec_resolve(r, "127.0.0.1", 2, SIPSPEC_TP_UDP, on_answer, &a2, NULL),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_resolve(r, "127.0.0.1", 3, SIPSPEC_TP_UDP, on_answer, &a3, NULL),
                  SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, called, &a2, 3.0));
  tst_run_for(loop, 0.05);
  CU_ASSERT_EQUAL(a1.called, 0);
  CU_ASSERT_EQUAL(a2.called, 1);
  CU_ASSERT_EQUAL(a3.called, 0);
  ev_loop_destroy(loop);
}

static void test_two_instances(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_resolver *r1 = make(loop), *r2 = make(loop);
  answer a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  sipspec_resolve(r1, "localhost", 0, SIPSPEC_TP_UDP, on_answer, &a, NULL);
  sipspec_resolve(r2, "10.1.1.1", 0, SIPSPEC_TP_UDP, on_answer, &b, NULL);
  sipspec_resolver_destroy(r1); /* pending query dropped, r2 unaffected */
  CU_ASSERT(tst_run_until(loop, called, &b, 3.0));
  CU_ASSERT_EQUAL(a.called, 0);
  CU_ASSERT_STRING_EQUAL(b.addrs[0], "10.1.1.1:5060");
  sipspec_resolver_destroy(r2);
  ev_loop_destroy(loop);
}


/* ---- RFC 2782 ordering -------------------------------------------------------------------- */

static unsigned xorshift(void *arg) {
  unsigned *x = arg;
  *x ^= *x << 13;
  *x ^= *x >> 17;
  *x ^= *x << 5;
  return *x;
}

static void srv(sipspec_srv_record *r, unsigned prio, unsigned weight, const char *name) {
  memset(r, 0, sizeof *r);
  r->priority = prio;
  r->weight = weight;
  snprintf(r->name, sizeof r->name, "%s", name);
}

/* Lower priority first, always; within one priority, each record comes first in proportion to
 * its weight (1,000 orderings: within 6 standard deviations), and a weight-0 record only
 * rarely (RFC 2782: "a very small chance of being selected"). */
static void test_srv_order(void) {
  unsigned seed = 2463534242u;
  int first[3] = {0, 0, 0}, zero_first = 0;
  for (int run = 0; run < 1000; run++) {
    sipspec_srv_record r[5];
    srv(&r[0], 20, 5, "backup");
    srv(&r[1], 10, 10, "w10");
    srv(&r[2], 10, 30, "w30");
    srv(&r[3], 10, 60, "w60");
    srv(&r[4], 30, 0, "last");
    sipspec_srv_order(r, 5, xorshift, &seed);
    CU_ASSERT_EQUAL(r[0].priority, 10);
    CU_ASSERT_EQUAL(r[2].priority, 10);
    CU_ASSERT_STRING_EQUAL(r[3].name, "backup");
    CU_ASSERT_STRING_EQUAL(r[4].name, "last");
    first[r[0].weight == 10 ? 0 : r[0].weight == 30 ? 1 : 2]++;
    /* the three of priority 10 are a permutation */
    CU_ASSERT_EQUAL(r[0].weight + r[1].weight + r[2].weight, 100);
    sipspec_srv_record z[2];
    srv(&z[0], 0, 100, "heavy");
    srv(&z[1], 0, 0, "zero");
    sipspec_srv_order(z, 2, xorshift, &seed);
    zero_first += !strcmp(z[0].name, "zero");
  }
  /* expected 100, 300, 600; standard deviations 9.5, 14.5, 15.5 */
  CU_ASSERT(first[0] >= 43 && first[0] <= 157);
  CU_ASSERT(first[1] >= 213 && first[1] <= 387);
  CU_ASSERT(first[2] >= 507 && first[2] <= 693);
  CU_ASSERT(zero_first <= 40); /* 1 in 101 expected */
  printf("\n    first of 1000 by weight 10/30/60: %d/%d/%d; weight 0 first: %d\n", first[0], first[1], first[2],
         zero_first);
}

static const tst_case cases[] = {
  {"IP literals answer with the transport's default port", test_literals},
  {"hosts file names resolve, both families, any case", test_hosts_file},
  {"missing hosts file is empty, unreadable one is an error", test_missing_hosts_file},
  {"cancel and destroy from a callback stop further answers", test_cancel_and_destroy_in_callback},
  {"two resolvers on one loop are independent", test_two_instances},
  {"SRV order: priority, then weight (RFC 2782)", test_srv_order},
  {NULL, NULL},
};

int main(void) { return tst_main("resolver", cases); }
