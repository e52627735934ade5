/* test_tcp_limits.c: the stream transport's limits (docs/limits.md, spec/stream_conn.rl) on
 * 127.0.0.1, a listening TCP transport with the SIP stream framer against raw client sockets:
 * a slow sender cut off exactly MESSAGE after its first byte (and the bound restarting with each
 * new message, not with each byte), an accepted connection over max_connections closed at once,
 * an idle connection kept while in_use says a transaction needs it and closed once it does not,
 * a message over the framer's size limit closing its connection; each counted in the telemetry,
 * and a second connection beside the one that broke the limit unharmed. Timers run on a virtual
 * clock: exact times, no real waiting. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"
#include "netutil.h"
#include "sipspec/chart_stream_conn.h"
#include "sipspec/msg.h"
#include "sipspec/telemetry.h"
#include "sipspec/transport.h"

typedef struct side {
  int nmsg, nerr, err_code;
  sipspec_telemetry tel;
  int busy;                    /* what in_use answers */
  int asked;                   /* how many times in_use was asked */
} side;

static void on_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from, void *user) {
  (void)tp, (void)data, (void)len, (void)from;
  ((side *)user)->nmsg++;
}

static void on_error(sipspec_transport *tp, const sipspec_tp_error *e, void *user) {
  (void)tp;
  side *s = user;
  s->nerr++;
  s->err_code = e->code;
}

static int in_use(sipspec_transport *tp, const sipspec_sockaddr *peer, void *user) {
  (void)tp, (void)peer;
  side *s = user;
  s->asked++;
  return s->busy;
}

static sipspec_msg_limits limits;

/* A listening TCP transport on 127.0.0.1 with the SIP framer (limits above) and the given
 * limits; the virtual clock of the test. */
static sipspec_transport *open_server(struct ev_loop *loop, side *s, unsigned max_conn, unsigned idle_ms,
                                      unsigned msg_ms, sipspec_sockaddr *addr) {
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.listen = 1;
  o.framer = &sipspec_sip_stream_framer;
  o.framer_arg = &limits;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.in_use = in_use;
  o.user = s;
  o.tel = &s->tel;
  o.clock = tst_clock();
  o.max_connections = max_conn;
  o.idle_timeout_ms = idle_ms;
  o.message_timeout_ms = msg_ms;
  sipspec_transport *tp = NULL;
  char err[SIPSPEC_ERR_LEN] = "";
  CU_ASSERT_EQUAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tp, err, sizeof err), SIPSPEC_OK);
  if (tp) CU_ASSERT_EQUAL(sipspec_transport_bound_addr(tp, addr), SIPSPEC_OK);
  return tp;
}

static int raw_connect(const sipspec_sockaddr *a) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0 || connect(fd, &a->u.sa, a->len) != 0) return -1;
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

/* 1 once the server closed fd (end of stream or reset). */
static int raw_closed(void *arg) {
  char b[256];
  ssize_t n = read(*(int *)arg, b, sizeof b);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

typedef struct want { side *s; int n; } want;
static int has_n(void *arg) {
  want *w = arg;
  return w->s->nmsg >= w->n;
}

static uint64_t taken(int transition) { return sipspec_chart_stream_conn.counts[transition]; }

static const char OPTIONS[] = "OPTIONS sip:a@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bKx\r\n"
                              "From: <sip:b@127.0.0.1>;tag=1\r\nTo: <sip:a@127.0.0.1>\r\nCall-ID: c@h\r\n"
                              "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";

typedef struct env {
  struct ev_loop *loop;
  sipspec_clock *vc;
  side s;
  sipspec_transport *tp;
  sipspec_sockaddr addr;
} env;

static void env_begin(env *e, unsigned max_conn, unsigned idle_ms, unsigned msg_ms) {
  memset(e, 0, sizeof *e);
  sipspec_msg_limits_init(&limits);
  limits.max_message_size = 1000;
  e->loop = ev_loop_new(EVFLAG_AUTO);
  e->vc = sipspec_clock_virtual_new(e->loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(e->vc);
  tst_use_clock(e->vc);
  e->tp = open_server(e->loop, &e->s, max_conn, idle_ms, msg_ms, &e->addr);
  CU_ASSERT_PTR_NOT_NULL_FATAL(e->tp);
}

static void env_end(env *e) {
  sipspec_transport_close(e->tp);
  tst_run_for(e->loop, 0.01);
  tst_use_clock(NULL);
  sipspec_clock_free(e->vc);
  ev_loop_destroy(e->loop);
}

/* A header dribbled a byte every 400 ms is cut off exactly 2000 ms after its first byte and
 * reported (SIPSPEC_E_MSG_TIMEOUT); a connection beside it that sends a whole message in two
 * pieces within the bound (at 400 and 1200 ms), then begins another (1600 ms), has the bound
 * start again with that one: cut at 3600 ms, not at 2400. */
static void test_slow_sender(void) {
  env e;
  env_begin(&e, 0, 0, 2000);
  uint64_t fired0 = taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_MESSAGE);
  int slow = raw_connect(&e.addr), good = raw_connect(&e.addr);
  CU_ASSERT_FATAL(slow >= 0 && good >= 0);
  tst_run_for(e.loop, 0.1);
  uint64_t first = tst_now_ms(e.loop);
  int cut = 0;
  for (int i = 0; i < 8 && !cut; i++) {
    if (write(slow, OPTIONS + i, 1) != 1) break;
    if (i == 1) CU_ASSERT_EQUAL(write(good, OPTIONS, 30), 30);
    if (i == 3) CU_ASSERT_EQUAL(write(good, OPTIONS + 30, sizeof OPTIONS - 31), (ssize_t)(sizeof OPTIONS - 31));
    if (i == 4) CU_ASSERT_EQUAL(write(good, "OPT", 3), 3);
    cut = tst_run_until(e.loop, raw_closed, &slow, 0.4);
  }
  CU_ASSERT(cut);
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), first + 2000);
  CU_ASSERT_EQUAL(taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_MESSAGE) - fired0, 1);
  CU_ASSERT_EQUAL(e.s.tel.sipSlowClosed, 1);
  tst_run_for(e.loop, 0.01); /* the report comes from the clock, after the callbacks */
  CU_ASSERT_EQUAL(e.s.nerr, 1);
  CU_ASSERT_EQUAL(e.s.err_code, SIPSPEC_E_MSG_TIMEOUT);
  CU_ASSERT_EQUAL(e.s.nmsg, 1); /* the good one's message */
  CU_ASSERT_FALSE(tst_run_until(e.loop, raw_closed, &good, (double)(first + 3599 - tst_now_ms(e.loop)) / 1000.0));
  CU_ASSERT(tst_run_until(e.loop, raw_closed, &good, 1.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), first + 3600);
  CU_ASSERT_EQUAL(e.s.tel.sipSlowClosed, 2);
  close(slow);
  close(good);
  env_end(&e);
}

/* Two connections within max_connections stay; a third is closed at once, counted, and the two
 * carry messages; when one closes, a new one is kept. */
static void test_max_connections(void) {
  env e;
  env_begin(&e, 2, 0, 0);
  int a = raw_connect(&e.addr), b = raw_connect(&e.addr);
  CU_ASSERT_FATAL(a >= 0 && b >= 0);
  tst_run_for(e.loop, 0.1);
  int c = raw_connect(&e.addr);
  CU_ASSERT_FATAL(c >= 0);
  CU_ASSERT(tst_run_until(e.loop, raw_closed, &c, 1.0));
  CU_ASSERT_EQUAL(e.s.tel.sipConnectionsRefused, 1);
  CU_ASSERT_FALSE(raw_closed(&a));
  CU_ASSERT_EQUAL(write(a, OPTIONS, sizeof OPTIONS - 1), (ssize_t)(sizeof OPTIONS - 1));
  CU_ASSERT_EQUAL(write(b, OPTIONS, sizeof OPTIONS - 1), (ssize_t)(sizeof OPTIONS - 1));
  want w = {&e.s, 2};
  CU_ASSERT(tst_run_until(e.loop, has_n, &w, 1.0));
  CU_ASSERT_EQUAL(e.s.nerr, 0); /* a refused connection is never one of ours: no report */
  close(a);
  tst_run_for(e.loop, 0.1);
  int d = raw_connect(&e.addr);
  CU_ASSERT_FATAL(d >= 0);
  CU_ASSERT_FALSE(tst_run_until(e.loop, raw_closed, &d, 0.5));
  CU_ASSERT_EQUAL(e.s.tel.sipConnectionsRefused, 1);
  CU_ASSERT_EQUAL(e.s.nerr, 1); /* a's end, reported as the peer's close */
  CU_ASSERT_EQUAL(e.s.err_code, SIPSPEC_E_CONN_CLOSED);
  close(b), close(c), close(d);
  env_end(&e);
}

/* The idle timeout (10 s) runs out while in_use says the connection is needed: kept, asked
 * again 10 s later; once nothing needs it, closed (FIN) without a report and counted. */
static void test_idle_in_use(void) {
  env e;
  env_begin(&e, 0, 10000, 0);
  uint64_t busy0 = taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_IDLE_BUSY);
  uint64_t free0 = taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_IDLE_FREE);
  e.s.busy = 1;
  int a = raw_connect(&e.addr);
  CU_ASSERT_FATAL(a >= 0);
  CU_ASSERT_EQUAL(write(a, OPTIONS, sizeof OPTIONS - 1), (ssize_t)(sizeof OPTIONS - 1));
  want w = {&e.s, 1};
  CU_ASSERT(tst_run_until(e.loop, has_n, &w, 1.0));
  uint64_t last = tst_now_ms(e.loop);
  CU_ASSERT_FALSE(tst_run_until(e.loop, raw_closed, &a, 25.0));
  CU_ASSERT_EQUAL(e.s.asked, 2); /* at last + 10 s and + 20 s */
  CU_ASSERT_EQUAL(taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_IDLE_BUSY) - busy0, 2);
  e.s.busy = 0;
  CU_ASSERT(tst_run_until(e.loop, raw_closed, &a, 10.0));
  CU_ASSERT_EQUAL(tst_now_ms(e.loop), last + 30000);
  CU_ASSERT_EQUAL(taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_IDLE_FREE) - free0, 1);
  CU_ASSERT_EQUAL(e.s.tel.sipIdleClosed, 1);
  CU_ASSERT_EQUAL(e.s.nerr, 0);
  close(a);
  env_end(&e);
}

/* A message over the framer's size limit (1000 bytes here) closes its connection, reported
 * with SIPSPEC_E_MSG_OVERSIZE and counted; the connection beside it goes on. */
static void test_oversize_closes(void) {
  env e;
  env_begin(&e, 0, 0, 0);
  int big = raw_connect(&e.addr), ok = raw_connect(&e.addr);
  CU_ASSERT_FATAL(big >= 0 && ok >= 0);
  char msg[1400];
  int n = snprintf(msg, sizeof msg, "%.*sContent-Length: 900\r\n\r\n", (int)(strstr(OPTIONS, "Content-Length") - OPTIONS), OPTIONS);
  CU_ASSERT_EQUAL(write(big, msg, (size_t)n), n);
  CU_ASSERT(tst_run_until(e.loop, raw_closed, &big, 1.0));
  CU_ASSERT_EQUAL(e.s.tel.sipMessagesTooLarge, 1);
  CU_ASSERT_EQUAL(e.s.err_code, SIPSPEC_E_MSG_OVERSIZE);
  CU_ASSERT_EQUAL(write(ok, OPTIONS, sizeof OPTIONS - 1), (ssize_t)(sizeof OPTIONS - 1));
  want w = {&e.s, 1};
  CU_ASSERT(tst_run_until(e.loop, has_n, &w, 1.0));
  CU_ASSERT_FALSE(raw_closed(&ok));
  close(big), close(ok);
  env_end(&e);
}

static const tst_case cases[] = {
  {"a slow sender is cut off MESSAGE after its first byte", test_slow_sender},
  {"a connection over max_connections is closed at once", test_max_connections},
  {"an idle connection stays while in use, then closes", test_idle_in_use},
  {"a message over the size limit closes its connection", test_oversize_closes},
  {NULL, NULL},
};

int main(void) { return tst_main("tcp_limits", cases); }
