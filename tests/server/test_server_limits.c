/* test_server_limits.c: the limits of docs/limits.md at the embedded server (the transaction
 * layer's: message size, header count and length, transactions) against the scripted client of
 * server_env.h over the transport named by argv[1], on the virtual clock, each beside a call
 * established before and ended with BYE after (unharmed):
 *   - a request over the size, header-count or header-length limit: 513 Message Too Large with a
 *     Warning naming the limit over UDP (RFC 3261 21.5.14), the connection closed over TCP;
 *     counted in sipMessagesTooLarge;
 *   - requests that would make a transaction beyond max_transactions: 503 with Retry-After
 *     (RFC 3261 21.5.4), counted in sipTransactionsRefused; once Timer J has freed the others,
 *     the same request is answered 200. The held call's BYE, a retransmission or an ACK are
 *     never refused: they need no new transaction or come after the others are gone.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netutil.h"
#include "server_env.h"

/* A call established on e (one resource). */
static void call_up(env *e, call *c, const char *name) {
  call_init(c, name);
  establish(e, c, synth_recog, 1);
}

/* BYE for c from e->p: 200. */
static void call_down(env *e, call *c) {
  send_req(e, c, "BYE", NULL, 0, NULL, NULL, ++c->cseq);
  const char *ok = peer_find_with(&e->p, "SIP/2.0 200", "BYE", 10.0);
  CU_ASSERT_PTR_NOT_NULL(ok);
}

static void over_limits(void) {
  sipspec_server_opts o;
  opts_default(&o);
  o.cfg.max_message_size = 3000;
  o.cfg.max_headers = 40;
  o.cfg.max_header_length = 1000;
  env e;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call held;
  call_up(&e, &held, "held");
  static const struct { const char *name, *warning; size_t body, headers, line; } cases[] = {
    {"size", "message size over the limit of 3000", 3500, 0, 0},
    {"headers", "header count over the limit of 40", 0, 50, 0},
    {"line", "header line length over the limit of 1000", 0, 0, 1500},
  };
  peer q; /* one connection each over TCP: the one over a limit is closed */
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    peer *p = &e.p;
    if (g_kind == SIPSPEC_TP_TCP) {
      sipspec_sockaddr a;
      CU_ASSERT_EQUAL_FATAL(sipspec_server_bound_addr(e.srv, SIPSPEC_TP_TCP, &a), SIPSPEC_OK);
      CU_ASSERT_EQUAL_FATAL(peer_open(&q, e.loop, SIPSPEC_TP_TCP, &a), 0);
      p = &q;
    }
    char extra[4096] = "", *body = NULL;
    size_t n = 0;
    for (size_t h = 0; h < cases[i].headers; h++) n += (size_t)snprintf(extra + n, sizeof extra - n, "X-Pad-%zu: v\r\n", h);
    if (cases[i].line) {
      n += (size_t)snprintf(extra + n, sizeof extra - n, "Subject: ");
      memset(extra + n, 's', cases[i].line);
      n += cases[i].line;
      n += (size_t)snprintf(extra + n, sizeof extra - n, "\r\n");
    }
    if (cases[i].body) {
      body = malloc(cases[i].body);
      CU_ASSERT_PTR_NOT_NULL_FATAL(body);
      memset(body, 'b', cases[i].body);
      n += (size_t)snprintf(extra + n, sizeof extra - n, "Content-Type: text/plain\r\n");
    }
    req_spec r = {"OPTIONS", "limits@h", "lf", NULL, 1, NULL, NULL, n ? extra : NULL, body, cases[i].body, NULL, NULL};
    char *buf = malloc(16384);
    CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
    size_t len = peer_request(p, &r, buf, 16384, NULL);
    CU_ASSERT_FATAL(len > 0);
    CU_ASSERT_EQUAL(peer_send(p, buf, len), 0);
    if (g_kind == SIPSPEC_TP_UDP) {
      const char *resp = peer_find(p, "SIP/2.0 513", 5.0);
      char w[256];
      CU_ASSERT_PTR_NOT_NULL(resp);
      if (resp) {
        CU_ASSERT_PTR_NOT_NULL(msg_header(resp, "Warning", w, sizeof w));
        CU_ASSERT_PTR_NOT_NULL(strstr(w, cases[i].warning));
      }
    } else {
      for (int k = 0; k < 100 && !q.closed; k++) tst_run_for(e.loop, 0.01);
      CU_ASSERT(q.closed);
      CU_ASSERT_EQUAL(q.n, 0); /* nothing answered */
      peer_close(&q);
    }
    free(buf);
    free(body);
    CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipMessagesTooLarge, i + 1);
  }
  /* under the limits: answered */
  call opt;
  call_init(&opt, "opt");
  send_req(&e, &opt, "OPTIONS", NULL, 0, NULL, NULL, 1);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "OPTIONS", 5.0));
  call_down(&e, &held);
  env_close(&e);
}

static void over_transactions(void) {
  sipspec_server_opts o;
  opts_default(&o);
  /* UDP: the held call's INVITE transaction (Accepted, Timer L) and five OPTIONS (Completed,
   * Timer J) fill six; TCP: Timer J is 0, the INVITE transaction alone fills one */
  int udp = g_kind == SIPSPEC_TP_UDP;
  o.cfg.max_transactions = udp ? 6 : 1;
  o.cfg.retry_after_s = 9;
  env e;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call held;
  call_up(&e, &held, "held");
  int ok = 0, busy = 0;
  for (int i = 0; i < 8; i++) {
    call c;
    call_init(&c, "opt");
    send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 1);
    const char *r = peer_find(&e.p, "SIP/2.0 ", 5.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    if (!strncmp(r, "SIP/2.0 200", 11)) {
      CU_ASSERT_EQUAL(busy, 0); /* no 200 after the first 503 */
      ok++;
    } else {
      char ra[32];
      CU_ASSERT(!strncmp(r, "SIP/2.0 503", 11));
      CU_ASSERT_PTR_NOT_NULL(msg_header(r, "Retry-After", ra, sizeof ra));
      CU_ASSERT_STRING_EQUAL(ra, "9");
      busy++;
    }
  }
  CU_ASSERT_EQUAL(ok, udp ? 5 : 0);
  CU_ASSERT_EQUAL(busy, udp ? 3 : 8);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipTransactionsRefused, (uint64_t)busy);
  /* 64*T1 later (Timer J over UDP, Timer L; 0 over TCP but for L) every transaction is gone */
  tst_run_for(e.loop, 64 * T1_MS / 1000.0 + 1.0);
  call late;
  call_init(&late, "late");
  send_req(&e, &late, "OPTIONS", NULL, 0, NULL, NULL, 1);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "OPTIONS", 5.0));
  tst_run_for(e.loop, 0.1); /* TCP: that OPTIONS' transaction ends on its Timer J of 0 */
  call_down(&e, &held);
  env_close(&e);
}

/* Limits above the parser's defaults hold too: with MRCP_SIP_MAX_MESSAGE_SIZE 200000 an
 * OPTIONS of about 100 KB (over TCP; over UDP, 60 KB, near the largest datagram) is answered
 * 200, through the framer, the layer's message and its copy kept by the transaction. */
static void above_defaults(void) {
  sipspec_server_opts o;
  opts_default(&o);
  o.cfg.max_message_size = 200000;
  env e;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  size_t blen = g_kind == SIPSPEC_TP_TCP ? 100000 : 60000;
  char *body = malloc(blen), *buf = malloc(blen + 4096);
  CU_ASSERT_PTR_NOT_NULL_FATAL(body);
  CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
  memset(body, 'b', blen);
  req_spec r = {"OPTIONS", "big@h", "bf", NULL, 1, NULL, NULL, "Content-Type: text/plain\r\n", body, blen, NULL, NULL};
  size_t len = peer_request(&e.p, &r, buf, blen + 4096, NULL);
  CU_ASSERT_FATAL(len > blen);
  CU_ASSERT_EQUAL(peer_send(&e.p, buf, len), 0);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "OPTIONS", 5.0));
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipMessagesTooLarge, 0);
  free(body);
  free(buf);
  env_close(&e);
}

int main(int argc, char **argv) {
  static const env_test tests[] = {
      {"over_limits", over_limits},
      {"above_defaults", above_defaults},
      {"over_transactions", over_transactions},
  };
  return env_run_suite(argc, argv, "server_limits", tests, sizeof tests / sizeof tests[0]);
}
