/* test_tsx_footprint.c: the memory a transaction keeps while it waits out Timer D, I, J, K,
 * L or M (RFC 3261 17.1.1.2, 17.1.2.2, 17.2.1, 17.2.2, RFC 6026 8.4, 8.7), measured from the
 * allocator: N transactions of one kind are driven over UDP on 127.0.0.1 (RFC timer values,
 * real time: the waits are far longer than the test) into their waiting state, twice; the
 * bytes the allocator holds after the second N less those after the first (so that what is
 * allocated once, on the first message, does not count), divided by N, are what one waiting
 * transaction costs: its struct, its key, its share of the clock's timer heap and whatever it
 * keeps of its messages.
 *
 * The bound (issue 16): TSX_WAIT_MAX = 256 bytes beyond what a retransmission needs, which
 * is the final response for Timer J (the NIST resends it on each retransmitted request), the
 * ACK's fields for Timer D (the ICT acknowledges each retransmitted final response) and the
 * 2xx's fields for Timer L (the TU sends its 2xx again through the transaction, RFC 6026
 * 8.7), each counted as the message's length; for K, I and M nothing is resent and nothing
 * else may be kept. History: about 1.9 KB per waiting transaction plus the request and the
 * response it kept, then about 700 bytes once the messages were dropped (the chart's timer
 * set alone was 288 of them), now about 220 to 240 (machine state in 3 bytes, 8 bytes a
 * timer, the callbacks, the chart's timer options and the event being fed not in each
 * transaction, the peer and the key sized to what they are).
 *
 * The peer is a plain UDP transport answering statelessly with the builder, and sending the
 * ACK for a final response when asked to (the caller of an INVITE server transaction).
 * Allocator figures: glibc's mallinfo2(), or AddressSanitizer's allocated bytes in the ASan
 * build (where malloc is ASan's).
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
/* The ASan runtime's (sanitizer/allocator_interface.h, which not every compiler ships). */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "sipspec/chart_ict.h"
#include "sipspec/chart_ist.h"
#include "sipspec/chart_nict.h"
#include "sipspec/chart_nist.h"
#include "tsx_test_util.h"

#define N 200
#define TSX_WAIT_MAX 256

static size_t heap_bytes(void) {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

/* ---- the peer ------------------------------------------------------------------------------ */

typedef struct peer {
  sipspec_transport *tp;
  sipspec_sockaddr addr;
  sipspec_msg *m;
  int respond;          /* status to answer each request but ACK with, 0: none */
  int ack_finals;       /* send the ACK for each non-2xx final response to an INVITE */
  int requests, acks, responses; /* responses: final ones */
  size_t last_len;      /* of the last message sent or received that a retransmission resends */
} peer;

static void peer_send(peer *p, const sipspec_sockaddr *to, const char *buf, size_t len) {
  CU_ASSERT_EQUAL(sipspec_transport_send(p->tp, to, buf, len), SIPSPEC_OK);
}

static void peer_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from, void *user) {
  peer *p = user;
  char out[2048];
  sipspec_build b;
  (void)tp;
  if (sipspec_msg_parse(p->m, data, len) != SIPSPEC_OK) return;
  sipspec_build_init(&b, out, sizeof out);
  if (sipspec_msg_is_request(p->m)) {
    if (sipspec_msg_method(p->m) == SIPSPEC_METHOD_ACK) {
      p->acks++;
      p->last_len = len; /* the ACK the ICT resends for a retransmitted final response */
      return;
    }
    p->requests++;
    if (!p->respond) return;
    sipspec_build_response(&b, p->m, p->respond, "Answer", "peer");
    CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
    peer_send(p, from, out, b.len);
    return;
  }
  if (sipspec_msg_status(p->m) < 200) return;
  p->responses++; /* final ones */
  p->last_len = len; /* the response the NIST resends for a retransmitted request */
  if (!p->ack_finals || sipspec_msg_cseq_method(p->m) != SIPSPEC_METHOD_INVITE || sipspec_msg_status(p->m) < 300)
    return;
  /* 17.1.1.3: the ACK of a non-2xx, in the INVITE's transaction (its branch). */
  sipspec_span via, v;
  char cseq[32];
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(p->m, SIPSPEC_H_VIA, 0, &via), SIPSPEC_OK);
  sipspec_build_request_line(&b, (sipspec_span){"ACK", 3}, (sipspec_span){"sip:mrcp@127.0.0.1", 18});
  sipspec_build_header(&b, (sipspec_span){"Via", 3}, via);
  sipspec_build_header(&b, (sipspec_span){"Max-Forwards", 12}, (sipspec_span){"70", 2});
  const sipspec_hdr_id ids[] = {SIPSPEC_H_FROM, SIPSPEC_H_TO, SIPSPEC_H_CALL_ID};
  const char *names[] = {"From", "To", "Call-ID"};
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(p->m, ids[i], 0, &v), SIPSPEC_OK);
    sipspec_build_header(&b, (sipspec_span){names[i], strlen(names[i])}, v);
  }
  snprintf(cseq, sizeof cseq, "%lu ACK", (unsigned long)sipspec_msg_cseq(p->m));
  sipspec_build_header(&b, (sipspec_span){"CSeq", 4}, (sipspec_span){cseq, strlen(cseq)});
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){"", 0}), SIPSPEC_OK);
  peer_send(p, from, out, b.len);
}

static void peer_open(peer *p, struct ev_loop *loop) {
  memset(p, 0, sizeof *p);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.on_recv = peer_recv;
  o.user = p;
  char err[SIPSPEC_ERR_LEN];
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_open(&sipspec_transport_udp, loop, &o, &p->tp, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_bound_addr(p->tp, &p->addr), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&p->m, NULL), SIPSPEC_OK);
}

static void peer_close(peer *p) {
  sipspec_transport_close(p->tp);
  sipspec_msg_destroy(p->m);
}

/* ---- a layer and its transactions ---------------------------------------------------------- */

typedef struct env {
  struct ev_loop *loop;
  sipspec_tsx_layer *layer;
  sipspec_transport *tp;
  sipspec_sockaddr addr;
  peer p;
  int answer;             /* server: the status sipspec_tsx_respond()ed in on_request */
  sipspec_tsx *t[2 * N];
  int n, finals;
} env;

static void on_request(sipspec_tsx *t, const sipspec_msg *req, void *user) {
  env *e = user;
  (void)req;
  if (e->n < 2 * N) e->t[e->n++] = t;
  CU_ASSERT_EQUAL(sipspec_tsx_respond(t, e->answer, NULL, NULL, NULL, 0), SIPSPEC_OK);
}

static void on_response(sipspec_tsx *t, const sipspec_msg *resp, void *user) {
  env *e = user;
  (void)t;
  if (sipspec_msg_status(resp) >= 200) e->finals++;
}

static void env_open(env *e) {
  memset(e, 0, sizeof *e);
  e->loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_tsx_layer_callbacks lcb = {.on_request = on_request, .user = e};
  CU_ASSERT_EQUAL_FATAL(sipspec_tsx_layer_create(e->loop, NULL, NULL, &lcb, &e->layer), SIPSPEC_OK);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  char err[SIPSPEC_ERR_LEN];
  CU_ASSERT_EQUAL_FATAL(sipspec_tsx_layer_open_transport(e->layer, &sipspec_transport_udp, &o, &e->tp, err, sizeof err),
                        SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_bound_addr(e->tp, &e->addr), SIPSPEC_OK);
  peer_open(&e->p, e->loop);
}

static void env_close(env *e) {
  sipspec_tsx_layer_destroy(e->layer);
  peer_close(&e->p);
  tst_run_for(e->loop, 0.01);
  ev_loop_destroy(e->loop);
}

/* Transactions go in batches of BATCH, each waited for (*count reaching its share), so that
 * no socket buffer on loopback overflows (a lost datagram would be retransmitted only by
 * the client transactions). */
#define BATCH 20

static void start_clients(env *e, const char *method, const int *count, int k) {
  const sipspec_tsx_callbacks cb = {.on_response = on_response, .user = e};
  char req[1024];
  for (int i = 0; i < N; i++) {
    size_t n = tt_request(req, sizeof req, method, "UDP", &e->addr, NULL, 1, 0);
    CU_ASSERT_EQUAL_FATAL(e->n < 2 * N, 1);
    CU_ASSERT_EQUAL_FATAL(sipspec_tsx_client_start(e->layer, SIPSPEC_TP_UDP, &e->p.addr, req, n, &cb, &e->t[e->n++]),
                          SIPSPEC_OK);
    if ((i + 1) % BATCH == 0) CU_ASSERT_TRUE(tt_run_until_count(e->loop, count, (k - 1) * N + i + 1, 10));
  }
}

static void send_requests(env *e, const char *method, int k) {
  char req[1024];
  for (int i = 0; i < N; i++) {
    size_t n = tt_request(req, sizeof req, method, "UDP", &e->p.addr, NULL, 1, 0);
    peer_send(&e->p, &e->addr, req, n);
    if ((i + 1) % BATCH == 0) CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->p.responses, (k - 1) * N + i + 1, 10));
  }
}

/* Every transaction so far waits in state (all of them, k * N). */
static void all_in(env *e, int state, int k) {
  int in = 0;
  for (int i = 0; i < e->n; i++) in += sipspec_tsx_state(e->t[i]) == state;
  CU_ASSERT_EQUAL(e->n, k * N);
  CU_ASSERT_EQUAL(in, k * N);
}

/* Bytes per waiting transaction of the second N; prints them with the kept message's length. */
static double per_tsx(const char *what, size_t before, size_t resent) {
  double per = ((double)heap_bytes() - (double)before) / N;
  printf("\n  %s: %.1f bytes per waiting transaction (message it resends: %zu bytes)\n", what, per, resent);
  return per;
}

/* ---- the waiting states -------------------------------------------------------------------- */

/* Each test: round(e, 1), the heap's figure, round(e, 2), the difference per transaction. */

/* Timer K (17.1.2.2): an OPTIONS client transaction after its 200: nothing to resend. */
static void nict_round(env *e, int k) {
  start_clients(e, "OPTIONS", &e->finals, k);
  CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->finals, k * N, 10));
  all_in(e, SIPSPEC_NICT_COMPLETED, k);
}
static void test_nict_timer_k(void) {
  env e;
  env_open(&e);
  e.p.respond = 200;
  nict_round(&e, 1);
  size_t before = heap_bytes();
  nict_round(&e, 2);
  double per = per_tsx("NICT Completed (Timer K)", before, 0);
  CU_ASSERT(per <= TSX_WAIT_MAX);
  env_close(&e);
}

/* Timer D (17.1.1.2): an INVITE client transaction after a 486, which it has ACKed and must
 * ACK again if the 486 comes again. */
static void ict_d_round(env *e, int k) {
  start_clients(e, "INVITE", &e->p.acks, k);
  CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->p.acks, k * N, 10));
  all_in(e, SIPSPEC_ICT_COMPLETED, k);
}
static void test_ict_timer_d(void) {
  env e;
  env_open(&e);
  e.p.respond = 486;
  ict_d_round(&e, 1);
  size_t before = heap_bytes();
  ict_d_round(&e, 2);
  double per = per_tsx("ICT Completed (Timer D)", before, e.p.last_len);
  CU_ASSERT(e.p.last_len > 0);
  CU_ASSERT(per <= TSX_WAIT_MAX + (double)e.p.last_len);
  env_close(&e);
}

/* Timer M (RFC 6026 8.4): an INVITE client transaction after its 2xx (the dialog ACKs). */
static void ict_m_round(env *e, int k) {
  start_clients(e, "INVITE", &e->finals, k);
  CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->finals, k * N, 10));
  all_in(e, SIPSPEC_ICT_ACCEPTED, k);
}
static void test_ict_timer_m(void) {
  env e;
  env_open(&e);
  e.p.respond = 200;
  ict_m_round(&e, 1);
  size_t before = heap_bytes();
  ict_m_round(&e, 2);
  double per = per_tsx("ICT Accepted (Timer M)", before, 0);
  CU_ASSERT(per <= TSX_WAIT_MAX);
  env_close(&e);
}

/* Timer J (17.2.2): a BYE server transaction after its 200, resent on each retransmitted BYE. */
static void nist_round(env *e, int k) {
  send_requests(e, "BYE", k);
  CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->p.responses, k * N, 10));
  all_in(e, SIPSPEC_NIST_COMPLETED, k);
}
static void test_nist_timer_j(void) {
  env e;
  env_open(&e);
  e.answer = 200;
  nist_round(&e, 1);
  size_t before = heap_bytes();
  nist_round(&e, 2);
  double per = per_tsx("NIST Completed (Timer J)", before, e.p.last_len);
  CU_ASSERT(e.p.last_len > 0);
  CU_ASSERT(per <= TSX_WAIT_MAX + (double)e.p.last_len);
  env_close(&e);
}

/* Timer I (17.2.1): an INVITE server transaction after its 486 was ACKed: nothing to resend. */
static int all_confirmed(void *arg) {
  env *e = arg;
  int n = 0;
  for (int i = 0; i < e->n; i++) n += sipspec_tsx_state(e->t[i]) == SIPSPEC_IST_CONFIRMED;
  return n == e->n;
}
static void ist_round(env *e, int k) {
  send_requests(e, "INVITE", k);
  CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->p.responses, k * N, 10));
  CU_ASSERT_TRUE(tst_run_until(e->loop, all_confirmed, e, 10)); /* the ACKs reach the layer */
  all_in(e, SIPSPEC_IST_CONFIRMED, k);
}
static void test_ist_timer_i(void) {
  env e;
  env_open(&e);
  e.answer = 486;
  e.p.ack_finals = 1;
  ist_round(&e, 1);
  size_t before = heap_bytes();
  ist_round(&e, 2);
  double per = per_tsx("IST Confirmed (Timer I)", before, 0);
  CU_ASSERT(per <= TSX_WAIT_MAX);
  env_close(&e);
}

/* Timer L (RFC 6026 8.7): an INVITE server transaction after its 2xx, which keeps the
 * response fields for the TU's retransmissions of the 2xx (the dialog's ACK ends those). */
static void ist_l_round(env *e, int k) {
  send_requests(e, "INVITE", k);
  CU_ASSERT_TRUE(tt_run_until_count(e->loop, &e->p.responses, k * N, 10));
  all_in(e, SIPSPEC_IST_ACCEPTED, k);
}
static void test_ist_timer_l(void) {
  env e;
  env_open(&e);
  e.answer = 200;
  ist_l_round(&e, 1);
  size_t before = heap_bytes();
  ist_l_round(&e, 2);
  double per = per_tsx("IST Accepted (Timer L)", before, e.p.last_len);
  CU_ASSERT(e.p.last_len > 0);
  CU_ASSERT(per <= TSX_WAIT_MAX + (double)e.p.last_len);
  /* The kept fields answer again: a 2xx retransmission by the TU goes out (the To tag is
   * the one of the first). */
  int before_responses = e.p.responses;
  CU_ASSERT_EQUAL(sipspec_tsx_respond(e.t[0], 200, NULL, NULL, NULL, 0), SIPSPEC_OK);
  CU_ASSERT_TRUE(tt_run_until_count(e.loop, &e.p.responses, before_responses + 1, 10));
  env_close(&e);
}

int main(void) {
  static const tt_case cases[] = {
    {"NICT Completed (Timer K) keeps <= TSX_WAIT_MAX bytes", test_nict_timer_k},
    {"ICT Completed (Timer D) keeps <= TSX_WAIT_MAX bytes and its ACK", test_ict_timer_d},
    {"ICT Accepted (Timer M) keeps <= TSX_WAIT_MAX bytes", test_ict_timer_m},
    {"NIST Completed (Timer J) keeps <= TSX_WAIT_MAX bytes and its response", test_nist_timer_j},
    {"IST Confirmed (Timer I) keeps <= TSX_WAIT_MAX bytes", test_ist_timer_i},
    {"IST Accepted (Timer L) keeps <= TSX_WAIT_MAX bytes and its 2xx's fields", test_ist_timer_l},
    {NULL, NULL},
  };
  return tt_main("tsx_footprint", cases);
}
