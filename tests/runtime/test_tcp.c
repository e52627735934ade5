/* test_tcp.c: the TCP transport on 127.0.0.1 against itself and against raw sockets:
 * framing across chunk boundaries, replies on the accepted connection, connection reuse
 * (two sends, one connect), refused / reset / closed / timed-out connections reported
 * through the error callback with the peer, reopen on the next send, garbage from the
 * framer, listen errors naming address and reason, close from inside a callback, and the
 * idle timeout (spec/stream_conn.rl): kept open by traffic, closed by us with a FIN and no
 * report, reopened on the next send, the socket dropped after LINGER when the peer keeps
 * its side open. The timer tests (connect timeout, idle, linger) run on a virtual clock:
 * realistic values, exact times, no real waiting. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"
#include "netutil.h"
#include "net/net_internal.h"
#include "sipspec/chart_stream_conn.h"
#include "sipspec/telemetry.h"
#include "sipspec/transport.h"

typedef struct side {
  int nmsg, nerr;
  char msgs[16][128];
  size_t lens[16];
  sipspec_sockaddr from[16];
  sipspec_tp_error err;          /* last error (message copied below) */
  char errmsg[SIPSPEC_ERR_LEN];
  sipspec_sockaddr errpeer;
  int close_on_recv;
  int close_on_error;
} side;

static void on_recv(sipspec_transport *tp, const char *data, size_t len,
                    const sipspec_sockaddr *from,
                    void *user) {
  side *s = user;
  if (s->nmsg < 16) {
    snprintf(s->msgs[s->nmsg], sizeof s->msgs[0], "%.*s", (int)len, data);
    s->from[s->nmsg] = *from;
    s->lens[s->nmsg] = len;
  }
  s->nmsg++;
  if (s->close_on_recv) sipspec_transport_close(tp);
}

static void on_error(sipspec_transport *tp, const sipspec_tp_error *e, void *user) {
  side *s = user;
  s->nerr++;
  s->err = *e;
  snprintf(s->errmsg, sizeof s->errmsg, "%s", e->message);
  if (e->peer) s->errpeer = *e->peer;
  s->err.message = s->errmsg;
  s->err.peer = &s->errpeer;
  if (s->close_on_error) sipspec_transport_close(tp);
}

static int has_msgs(void *arg) {
  side *s = arg;
  return s->nmsg >= 1 && s->nmsg >= s->close_on_recv;
}
static int has_err(void *arg) { return ((side *)arg)->nerr > 0; }

typedef struct want { side *s; int n; } want;
static int has_n(void *arg) { want *w = arg; return w->s->nmsg >= w->n; }

static sipspec_transport *open_tcp(struct ev_loop *loop, int listen, side *s, unsigned timeout_ms) {
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.listen = listen;
  o.framer = &tst_line_framer;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.user = s;
  if (timeout_ms) o.connect_timeout_ms = timeout_ms;
  sipspec_clock *c = tst_clock(); /* the virtual clock of a timer test */
  if (c && sipspec_clock_loop(c) == loop) o.clock = c;
  sipspec_transport *tp = NULL;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tp, err, sizeof err);
  CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
  if (rc) fprintf(stderr, "open tcp: %s\n", err);
  return tp;
}

/* A raw non-blocking listener on 127.0.0.1:0. */
static int raw_listen(int backlog, sipspec_sockaddr *a) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sipspec_sockaddr_set(a, "127.0.0.1", 0);
  if (fd < 0 || bind(fd, &a->u.sa, a->len) != 0 || listen(fd, backlog) != 0) return -1;
  a->len = sizeof a->u;
  getsockname(fd, &a->u.sa, &a->len);
  return fd;
}

typedef struct acc { int lfd, fd; } acc;
static int try_accept(void *arg) {
  acc *a = arg;
  if (a->fd < 0) a->fd = accept(a->lfd, NULL, NULL);
  return a->fd >= 0;
}
static int raw_accept(struct ev_loop *loop, int lfd) {
  acc a = {lfd, -1};
  tst_run_until(loop, try_accept, &a, 3.0);
  if (a.fd >= 0) fcntl(a.fd, F_SETFL, fcntl(a.fd, F_GETFL) | O_NONBLOCK);
  return a.fd;
}

typedef struct rd { int fd; char buf[512]; size_t len; const char *want; } rd;
static int try_read(void *arg) {
  rd *r = arg;
  ssize_t n = read(r->fd, r->buf + r->len, sizeof r->buf - 1 - r->len);
  if (n > 0) r->len += (size_t)n;
  r->buf[r->len] = '\0';
  return strstr(r->buf, r->want) != NULL;
}

static void test_exchange_and_framing(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv, cli;
  memset(&srv, 0, sizeof srv);
  memset(&cli, 0, sizeof cli);
  sipspec_transport *ts = open_tcp(loop, 1, &srv, 0);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  CU_ASSERT(sipspec_transport_reliable(tc));
  CU_ASSERT_STRING_EQUAL(sipspec_transport_name(tc), "tcp");
  sipspec_sockaddr sa, dummy;
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(ts, &sa), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_bound_addr(tc, &dummy), SIPSPEC_E_STATE);

  /* Messages given in pieces that do not follow the message boundaries. */
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "INVITE 1\nBY", 11), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "E 2\n\nACK", 8), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, " 3\n", 3), SIPSPEC_OK);
  want w = {&srv, 4};
  CU_ASSERT(tst_run_until(loop, has_n, &w, 3.0));
  CU_ASSERT_EQUAL_FATAL(srv.nmsg, 4);
  CU_ASSERT_STRING_EQUAL(srv.msgs[0], "INVITE 1");
  CU_ASSERT_STRING_EQUAL(srv.msgs[1], "BYE 2");
  CU_ASSERT_STRING_EQUAL(srv.msgs[2], "");
  CU_ASSERT_STRING_EQUAL(srv.msgs[3], "ACK 3");

  /* The client's local address toward the server is its connection's address. */
  sipspec_sockaddr local;
  CU_ASSERT_EQUAL(sipspec_transport_local_addr(tc, &sa, &local), SIPSPEC_OK);
  CU_ASSERT(sipspec_sockaddr_equal(&local, &srv.from[0]));

  /* The reply to the source address leaves on the accepted connection. */
  CU_ASSERT_EQUAL(sipspec_transport_send(ts, &srv.from[0], "200 OK\n", 7), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_msgs, &cli, 3.0));
  CU_ASSERT_STRING_EQUAL(cli.msgs[0], "200 OK");
  CU_ASSERT(sipspec_sockaddr_equal(&cli.from[0], &sa));
  CU_ASSERT_EQUAL(srv.nerr, 0);
  CU_ASSERT_EQUAL(cli.nerr, 0);
  sipspec_transport_close(tc);
  CU_ASSERT(tst_run_until(loop, has_err, &srv, 3.0)); /* the server sees the close */
  CU_ASSERT_EQUAL(srv.err.code, SIPSPEC_E_CONN_CLOSED);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

static void test_raw_chunks(void) {
  /* Byte-by-byte chunks from a raw socket, with the loop running between them. */
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv;
  memset(&srv, 0, sizeof srv);
  sipspec_transport *ts = open_tcp(loop, 1, &srv, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CU_ASSERT_EQUAL_FATAL(connect(fd, &sa.u.sa, sa.len), 0);
  const char *stream = "OPTIONS a\nREGISTER b\n";
  for (const char *p = stream; *p; p++) {
    CU_ASSERT_EQUAL(write(fd, p, 1), 1);
    tst_run_for(loop, 0.002);
  }
  want w = {&srv, 2};
  CU_ASSERT(tst_run_until(loop, has_n, &w, 3.0));
  CU_ASSERT_STRING_EQUAL(srv.msgs[0], "OPTIONS a");
  CU_ASSERT_STRING_EQUAL(srv.msgs[1], "REGISTER b");
  /* Garbage (a NUL byte): the framer refuses, the connection is closed and reported. */
  CU_ASSERT_EQUAL(write(fd, "bad\0line\n", 9), 9);
  CU_ASSERT(tst_run_until(loop, has_err, &srv, 3.0));
  CU_ASSERT_EQUAL(srv.err.code, SIPSPEC_E_FRAMING);
  CU_ASSERT(sipspec_sockaddr_equal(&srv.errpeer, &srv.from[0]));
  char expect[SIPSPEC_ERR_LEN], ps[SIPSPEC_SOCKADDR_STRLEN];
  snprintf(expect, sizeof expect, "read %s/tcp: malformed data on a stream connection",
           sipspec_sockaddr_format(&srv.from[0], ps, sizeof ps));
  CU_ASSERT_STRING_EQUAL(srv.errmsg, expect);
  char c;
  CU_ASSERT_EQUAL(read(fd, &c, 1), 0); /* our side was closed */
  close(fd);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

static void test_refused(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr dead;
  int lfd = raw_listen(1, &dead);
  CU_ASSERT_FATAL(lfd >= 0);
  close(lfd); /* nothing listens on that port now */
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &dead, "x\n", 2), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cli.nerr, 0); /* never reported from inside send */
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 3.0));
  CU_ASSERT_EQUAL(cli.err.code, SIPSPEC_E_CONN_REFUSED);
  CU_ASSERT_EQUAL(cli.err.sys_errno, ECONNREFUSED);
  CU_ASSERT(sipspec_sockaddr_equal(&cli.errpeer, &dead));
  char expect[SIPSPEC_ERR_LEN];
  snprintf(expect, sizeof expect, "connect 127.0.0.1:%u/tcp: %s", sipspec_sockaddr_port(&dead),
           strerror(ECONNREFUSED));
  CU_ASSERT_STRING_EQUAL(cli.errmsg, expect);
  sipspec_transport_close(tc);
  ev_loop_destroy(loop);
}

static void test_reset(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr la;
  int lfd = raw_listen(4, &la);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "hello\n", 6), SIPSPEC_OK);
  int fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  struct linger lg = {1, 0}; /* close with RST */
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 3.0));
  CU_ASSERT_EQUAL(cli.err.code, SIPSPEC_E_CONN_RESET);
  CU_ASSERT_EQUAL(cli.err.sys_errno, ECONNRESET);
  CU_ASSERT(sipspec_sockaddr_equal(&cli.errpeer, &la));
  close(lfd);
  sipspec_transport_close(tc);
  ev_loop_destroy(loop);
}

static void test_reuse_and_reopen(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr la;
  int lfd = raw_listen(4, &la);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "one\n", 4), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "two\n", 4), SIPSPEC_OK);
  int fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  rd r = {fd, "", 0, "two\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &r, 3.0));
  CU_ASSERT_STRING_EQUAL(r.buf, "one\ntwo\n");
  tst_run_for(loop, 0.05);
  CU_ASSERT(accept(lfd, NULL, NULL) < 0 && errno == EAGAIN); /* two sends, one connect */

  /* The peer closes: reported as closed; the next send opens a new connection. */
  close(fd);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 3.0));
  CU_ASSERT_EQUAL(cli.err.code, SIPSPEC_E_CONN_CLOSED);
  CU_ASSERT(sipspec_sockaddr_equal(&cli.errpeer, &la));
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "three\n", 6), SIPSPEC_OK);
  fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  rd r2 = {fd, "", 0, "three\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &r2, 3.0));
  CU_ASSERT_STRING_EQUAL(r2.buf, "three\n");
  close(fd);
  close(lfd);
  sipspec_transport_close(tc);
  ev_loop_destroy(loop);
}

/* A virtual clock on loop, in use by the tst_run_* calls; vclock_end() after every
 * transport using it is closed. */
static sipspec_clock *vclock_begin(struct ev_loop *loop) {
  sipspec_clock *c = sipspec_clock_virtual_new(loop, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(c);
  tst_use_clock(c);
  return c;
}
static void vclock_end(sipspec_clock *c) {
  tst_use_clock(NULL);
  sipspec_clock_free(c);
}

static void test_connect_timeout(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr la;
  /* A listener that never accepts, its accept queue filled by raw connects: further SYNs
   * are dropped, so the transport's connect stays in progress until its timer fires. */
  int lfd = raw_listen(0, &la);
  int fillers[8], nfill = 0;
  for (int i = 0; i < 8; i++) {
    fillers[nfill] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(fillers[nfill], &la.u.sa, la.len);
    nfill++;
  }
  tst_run_for(loop, 0.1); /* real time: the kernel queues the fillers */
  sipspec_clock *vc = vclock_begin(loop);
  enum { CONNECT_MS = 32000 };
  sipspec_transport *tc = open_tcp(loop, 0, &cli, CONNECT_MS);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "x\n", 2), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, CONNECT_MS / 1000.0 + 30.0));
  CU_ASSERT_EQUAL(tst_now_ms(loop), CONNECT_MS); /* exactly the connect timeout */
  CU_ASSERT_EQUAL(cli.err.code, SIPSPEC_E_CONN_TIMEOUT);
  CU_ASSERT(sipspec_sockaddr_equal(&cli.errpeer, &la));
  char expect[SIPSPEC_ERR_LEN];
  snprintf(expect, sizeof expect, "connect 127.0.0.1:%u/tcp: timed out after %u ms",
           sipspec_sockaddr_port(&la), (unsigned)CONNECT_MS);
  CU_ASSERT_STRING_EQUAL(cli.errmsg, expect);
  for (int i = 0; i < nfill; i++) close(fillers[i]);
  close(lfd);
  sipspec_transport_close(tc);
  tst_run_for(loop, 0.01);
  vclock_end(vc);
  ev_loop_destroy(loop);
}

static void test_listen_errors(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_sockaddr la;
  int lfd = raw_listen(1, &la);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.bind_port = sipspec_sockaddr_port(&la);
  o.listen = 1;
  o.framer = &tst_line_framer;
  o.on_recv = on_recv;
  sipspec_transport *tp = NULL;
  char err[SIPSPEC_ERR_LEN], expect[SIPSPEC_ERR_LEN];
  CU_ASSERT_EQUAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tp, err, sizeof err),
                  SIPSPEC_E_BIND);
  snprintf(expect, sizeof expect, "bind 127.0.0.1:%u/tcp: %s", o.bind_port, strerror(EADDRINUSE));
  CU_ASSERT_STRING_EQUAL(err, expect);
  o.framer = NULL;
  CU_ASSERT_EQUAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tp, err, sizeof err),
                  SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(err, "tcp: options need a receive callback and a framer");
  close(lfd);
  ev_loop_destroy(loop);
}

static void test_close_inside_callback(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv, cli;
  memset(&srv, 0, sizeof srv);
  memset(&cli, 0, sizeof cli);
  srv.close_on_recv = 1;
  sipspec_transport *ts = open_tcp(loop, 1, &srv, 0);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  /* Several messages in one read: the first callback closes the server transport. */
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "a\nb\nc\n", 6), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_msgs, &srv, 3.0));
  tst_run_for(loop, 0.05);
  CU_ASSERT_EQUAL(srv.nmsg, 1);
  CU_ASSERT_EQUAL(srv.nerr, 0);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 3.0)); /* the client sees its peer go */
  CU_ASSERT(cli.err.code == SIPSPEC_E_CONN_CLOSED || cli.err.code == SIPSPEC_E_CONN_RESET);
  sipspec_transport_close(tc);
  ev_loop_destroy(loop);
}

/* A request the SIP parser accepts, with a 4-byte body. */
#define SIP_OPTIONS(n)                                                   \
  "OPTIONS sip:server@127.0.0.1 SIP/2.0\r\n"                             \
  "Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bK776asdhds" n "\r\n"     \
  "Max-Forwards: 70\r\n"                                                 \
  "To: <sip:server@127.0.0.1>\r\n"                                       \
  "From: <sip:client@127.0.0.1>;tag=1928301774\r\n"                      \
  "Call-ID: a84b4c76e66710@127.0.0.1\r\n"                                \
  "CSeq: " n " OPTIONS\r\n"                                              \
  "Content-Length: 4\r\n"                                                \
  "\r\n"                                                                 \
  "bod" n

static void test_sip_stream_framer(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv;
  memset(&srv, 0, sizeof srv);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.listen = 1;
  o.framer = &sipspec_sip_stream_framer;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.user = &srv;
  sipspec_transport *ts = NULL;
  char err[SIPSPEC_ERR_LEN] = "";
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &ts, err,
                                               sizeof err), SIPSPEC_OK);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  CU_ASSERT_EQUAL_FATAL(connect(fd, &sa.u.sa, sa.len), 0);
  /* Two requests and a CRLF keep-alive, written in 7-byte chunks. */
  const char stream[] = SIP_OPTIONS("1") "\r\n\r\n" SIP_OPTIONS("2");
  for (size_t off = 0; off < sizeof stream - 1; off += 7) {
    size_t n = sizeof stream - 1 - off < 7 ? sizeof stream - 1 - off : 7;
    CU_ASSERT_EQUAL(write(fd, stream + off, n), (ssize_t)n);
    tst_run_for(loop, 0.001);
  }
  want w = {&srv, 2};
  CU_ASSERT(tst_run_until(loop, has_n, &w, 3.0));
  CU_ASSERT_EQUAL_FATAL(srv.nmsg, 2);
  /* Each message is delivered whole; msgs[] keeps the first 127 bytes, so check the ends
   * through the body length: head + 4 bytes. */
  CU_ASSERT(strncmp(srv.msgs[0], "OPTIONS sip:server@127.0.0.1 SIP/2.0\r\n", 38) == 0);
  CU_ASSERT(strncmp(srv.msgs[1], "OPTIONS sip:server@127.0.0.1 SIP/2.0\r\n", 38) == 0);
  CU_ASSERT_EQUAL(srv.lens[0], sizeof SIP_OPTIONS("1") - 1);
  CU_ASSERT_EQUAL(srv.lens[1], sizeof SIP_OPTIONS("2") - 1);
  CU_ASSERT_EQUAL(srv.nerr, 0);
  /* A stream message without Content-Length cannot be framed: closed and reported. */
  const char bad[] = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h;branch=z9hG4bKx\r\n\r\n";
  CU_ASSERT_EQUAL(write(fd, bad, sizeof bad - 1), (ssize_t)(sizeof bad - 1));
  CU_ASSERT(tst_run_until(loop, has_err, &srv, 3.0));
  CU_ASSERT(srv.err.code < 0 && srv.err.code != SIPSPEC_E_CONN_CLOSED);
  CU_ASSERT(strncmp(srv.errmsg, "read 127.0.0.1:", 15) == 0);
  char c;
  CU_ASSERT_EQUAL(read(fd, &c, 1), 0);
  close(fd);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

static void test_backpressure(void) {
  /* A peer that does not read: sends are queued (never block) until max_queued_bytes, then
   * say E_AGAIN; everything accepted is flushed, in order, once the peer reads. */
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr la;
  int lfd = raw_listen(4, &la);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.framer = &tst_line_framer;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.user = &cli;
  o.max_queued_bytes = 64 * 1024;
  sipspec_transport *tc = NULL;
  char err[SIPSPEC_ERR_LEN];
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tc, err,
                                               sizeof err), SIPSPEC_OK);
  static char chunk[26 * 1024]; /* a whole number of alphabets, so chunks continue it */
  for (size_t i = 0; i < sizeof chunk; i++) chunk[i] = (char)('a' + i % 26);
  int fd = -1, again = 0;
  size_t accepted = 0;
  for (int i = 0; i < 4000 && !again; i++) {
    int rc = sipspec_transport_send(tc, &la, chunk, sizeof chunk);
    if (rc == SIPSPEC_OK) accepted += sizeof chunk;
    else again = rc == SIPSPEC_E_AGAIN;
    if (fd < 0) fd = raw_accept(loop, lfd);
    tst_run_for(loop, 0.0005);
  }
  CU_ASSERT(again);
  CU_ASSERT_FATAL(fd >= 0);
  size_t total = 0;
  int ok = 1;
  char buf[65536];
  ev_now_update(loop);
  double deadline = ev_now(loop) + 5.0;
  while (total < accepted && ev_now(loop) < deadline) {
    ssize_t n = read(fd, buf, sizeof buf);
    for (ssize_t i = 0; i < n; i++)
      if (buf[i] != (char)('a' + (total + (size_t)i) % 26)) ok = 0;
    if (n > 0) total += (size_t)n;
    tst_run_for(loop, 0.0005);
  }
  CU_ASSERT_EQUAL(total, accepted);
  CU_ASSERT(ok);
  CU_ASSERT_EQUAL(cli.nerr, 0);
  close(fd);
  close(lfd);
  sipspec_transport_close(tc);
  ev_loop_destroy(loop);
}

static void test_close_inside_error_callback(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side cli;
  memset(&cli, 0, sizeof cli);
  cli.close_on_error = 1;
  sipspec_sockaddr d1, d2;
  int l1 = raw_listen(1, &d1), l2 = raw_listen(1, &d2);
  close(l1);
  close(l2);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  /* Two refused peers: the first report closes the transport, the second never comes. */
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &d1, "x\n", 2), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &d2, "y\n", 2), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, 3.0));
  tst_run_for(loop, 0.1);
  CU_ASSERT_EQUAL(cli.nerr, 1);
  ev_loop_destroy(loop);
}

static void test_ipv6(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  side srv, cli;
  memset(&srv, 0, sizeof srv);
  memset(&cli, 0, sizeof cli);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "::1";
  o.listen = 1;
  o.framer = &tst_line_framer;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.user = &srv;
  sipspec_transport *ts = NULL, *tc = NULL;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &ts, err, sizeof err);
  if (rc != SIPSPEC_OK) {
    /* Not a silent pass: a missing IPv6 loopback is a reported failure. */
    CU_FAIL("cannot listen on [::1] (no IPv6 loopback?)");
    fprintf(stderr, "%s\n", err);
    ev_loop_destroy(loop);
    return;
  }
  o.listen = 0;
  o.user = &cli;
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tc, err,
                                               sizeof err), SIPSPEC_OK);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &sa, "v6\n", 3), SIPSPEC_OK);
  CU_ASSERT(tst_run_until(loop, has_msgs, &srv, 3.0));
  CU_ASSERT_STRING_EQUAL(srv.msgs[0], "v6");
  CU_ASSERT_EQUAL(sipspec_sockaddr_family(&srv.from[0]), AF_INET6);
  sipspec_transport_close(tc);
  sipspec_transport_close(ts);
  ev_loop_destroy(loop);
}

static uint64_t conn_taken(int transition) { return sipspec_chart_stream_conn.counts[transition]; }
typedef struct count_want { int transition; uint64_t at_least; } count_want;
static int count_reached(void *arg) {
  count_want *w = arg;
  return conn_taken(w->transition) >= w->at_least;
}
static int raw_eof(void *arg) {
  char b[64];
  return read(*(int *)arg, b, sizeof b) == 0;
}

/* RFC 3261 18: a connection stays open for the idle timeout after its last message sent or
 * received. Traffic every 20 s keeps a 32 s timeout from firing for 120 s; then, exactly 32 s
 * after the last message, we close our side: the peer reads the end of the stream, nothing
 * is reported, the peer's close ends ours (Closing, CONN_EOF), and the next send opens a
 * new connection. */
static void test_idle_close(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *vc = vclock_begin(loop);
  enum { IDLE_MS = 32000, GAP_MS = 20000 };
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr la;
  int lfd = raw_listen(4, &la);
  CU_ASSERT_FATAL(lfd >= 0);
  CU_ASSERT_EQUAL(sipspec_tcp_set_idle_timeout(NULL, IDLE_MS), SIPSPEC_E_INVAL);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  CU_ASSERT_EQUAL(sipspec_tcp_set_idle_timeout(tc, IDLE_MS), SIPSPEC_OK);
  uint64_t idle0 = conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_IDLE);
  uint64_t rx0 = conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_RX);
  uint64_t fin0 = conn_taken(SIPSPEC_STREAM_CONN_T_CLOSING__CONN_EOF);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "a\n", 2), SIPSPEC_OK);
  int fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  rd r = {fd, "", 0, "a\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &r, 3.0));
  for (int i = 0; i < 3; i++) {
    tst_run_for(loop, GAP_MS / 1000.0);
    CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "b\n", 2), SIPSPEC_OK); /* sent */
    tst_run_for(loop, GAP_MS / 1000.0);
    CU_ASSERT_EQUAL(write(fd, "r\n", 2), 2); /* received */
    want w = {&cli, i + 1};
    CU_ASSERT(tst_run_until(loop, has_n, &w, 3.0));
  }
  char b[64];
  CU_ASSERT(read(fd, b, sizeof b) > 0);                      /* the b's */
  CU_ASSERT(read(fd, b, sizeof b) < 0 && errno == EAGAIN);   /* no end of stream yet */
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_IDLE) - idle0, 0);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__CONN_RX) - rx0, 3);

  uint64_t quiet = tst_now_ms(loop);
  CU_ASSERT_EQUAL(quiet, 6 * GAP_MS);
  CU_ASSERT(tst_run_until(loop, raw_eof, &fd, IDLE_MS / 1000.0 + 30.0)); /* our FIN */
  CU_ASSERT_EQUAL(tst_now_ms(loop), quiet + IDLE_MS);
  CU_ASSERT_EQUAL(conn_taken(SIPSPEC_STREAM_CONN_T_IDLE__TIMER_IDLE) - idle0, 1);
  close(fd); /* the peer closes too */
  count_want fin = {SIPSPEC_STREAM_CONN_T_CLOSING__CONN_EOF, fin0 + 1};
  CU_ASSERT(tst_run_until(loop, count_reached, &fin, 3.0));
  tst_run_for(loop, 0.05);
  CU_ASSERT_EQUAL(cli.nerr, 0); /* a close of ours is no error */

  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "c\n", 2), SIPSPEC_OK);
  fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  rd r2 = {fd, "", 0, "c\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &r2, 3.0));
  CU_ASSERT_STRING_EQUAL(r2.buf, "c\n");
  close(fd);
  close(lfd);
  sipspec_transport_close(tc);
  tst_run_for(loop, 0.01);
  vclock_end(vc);
  ev_loop_destroy(loop);
}

/* After our FIN the peer has LINGER (T4, 5 s) to close its side; one that keeps it open has
 * its connection dropped exactly then, still without a report. */
static void test_idle_close_linger(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *vc = vclock_begin(loop);
  enum { IDLE_MS = 32000, LINGER_MS = 5000 };
  side cli;
  memset(&cli, 0, sizeof cli);
  sipspec_sockaddr la;
  int lfd = raw_listen(4, &la);
  CU_ASSERT_FATAL(lfd >= 0);
  sipspec_transport *tc = open_tcp(loop, 0, &cli, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(tc);
  CU_ASSERT_EQUAL(sipspec_tcp_set_idle_timeout(tc, IDLE_MS), SIPSPEC_OK);
  uint64_t linger0 = conn_taken(SIPSPEC_STREAM_CONN_T_CLOSING__TIMER_LINGER);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "a\n", 2), SIPSPEC_OK);
  int fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  rd r = {fd, "", 0, "a\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &r, 3.0));
  uint64_t sent_at = tst_now_ms(loop);
  CU_ASSERT(tst_run_until(loop, raw_eof, &fd, IDLE_MS / 1000.0 + 30.0)); /* our FIN */
  uint64_t fin_at = tst_now_ms(loop);
  CU_ASSERT_EQUAL(fin_at, sent_at + IDLE_MS);
  count_want lg = {SIPSPEC_STREAM_CONN_T_CLOSING__TIMER_LINGER, linger0 + 1};
  CU_ASSERT(tst_run_until(loop, count_reached, &lg, LINGER_MS / 1000.0 + 30.0));
  CU_ASSERT_EQUAL(tst_now_ms(loop), fin_at + LINGER_MS);
  tst_run_for(loop, 0.05);
  CU_ASSERT_EQUAL(cli.nerr, 0);
  close(fd);
  close(lfd);
  sipspec_transport_close(tc);
  tst_run_for(loop, 0.01);
  vclock_end(vc);
  ev_loop_destroy(loop);
}

/* RFC 5626 4.4.1 on a connection we opened, on a virtual clock: the double-CRLF ping after
 * keepalive_ms idle, a pong keeps the connection, no pong within 10 s closes it and reports
 * SIPSPEC_E_KEEPALIVE (counted in sipKeepaliveTimeouts); a peer's ping gets a single CRLF,
 * and a connection the peer opened never pings. */
static void test_keepalive(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *vc = vclock_begin(loop);
  enum { KA_MS = 30000, PONG_MS = 10000 };
  side cli, srv;
  memset(&cli, 0, sizeof cli);
  memset(&srv, 0, sizeof srv);
  sipspec_telemetry tel;
  sipspec_telemetry_init(&tel);
  sipspec_sockaddr la;
  int lfd = raw_listen(4, &la);
  CU_ASSERT_FATAL(lfd >= 0);
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = "127.0.0.1";
  o.framer = &tst_line_framer;
  o.on_recv = on_recv;
  o.on_error = on_error;
  o.user = &cli;
  o.clock = vc;
  o.keepalive_ms = KA_MS;
  o.tel = &tel;
  sipspec_transport *tc = NULL;
  char err[SIPSPEC_ERR_LEN];
  CU_ASSERT_EQUAL_FATAL(sipspec_transport_open(&sipspec_transport_tcp, loop, &o, &tc, err, sizeof err), SIPSPEC_OK);
  uint64_t pong0 = conn_taken(SIPSPEC_STREAM_CONN_T_PINGING__CONN_PONG);
  CU_ASSERT_EQUAL(sipspec_transport_send(tc, &la, "a\n", 2), SIPSPEC_OK);
  int fd = raw_accept(loop, lfd);
  CU_ASSERT_FATAL(fd >= 0);
  rd r = {fd, "", 0, "a\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &r, 3.0));
  uint64_t t0 = tst_now_ms(loop);
  rd p1 = {fd, "", 0, "\r\n\r\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &p1, KA_MS / 1000.0 + 5));
  CU_ASSERT_EQUAL(tst_now_ms(loop) - t0, KA_MS); /* the ping, exactly keepalive_ms after the last message */
  CU_ASSERT_STRING_EQUAL(p1.buf, "\r\n\r\n");
  CU_ASSERT_EQUAL(write(fd, "\r\n", 2), 2); /* the pong */
  count_want pong = {SIPSPEC_STREAM_CONN_T_PINGING__CONN_PONG, pong0 + 1};
  CU_ASSERT(tst_run_until(loop, count_reached, &pong, 3.0));
  uint64_t t1 = tst_now_ms(loop);
  rd p2 = {fd, "", 0, "\r\n\r\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &p2, KA_MS / 1000.0 + 5)); /* the next ping; unanswered */
  CU_ASSERT_EQUAL(tst_now_ms(loop) - t1, KA_MS);
  CU_ASSERT_EQUAL(cli.nerr, 0);
  uint64_t t2 = tst_now_ms(loop);
  CU_ASSERT(tst_run_until(loop, has_err, &cli, PONG_MS / 1000.0 + 5));
  CU_ASSERT_EQUAL(tst_now_ms(loop) - t2, PONG_MS);
  CU_ASSERT_EQUAL(cli.err.code, SIPSPEC_E_KEEPALIVE);
  CU_ASSERT_PTR_NOT_NULL(strstr(cli.errmsg, "no pong within 10 s"));
  CU_ASSERT(sipspec_sockaddr_equal(&cli.errpeer, &la));
  CU_ASSERT_EQUAL(tel.sipKeepaliveTimeouts, 1);
  CU_ASSERT_EQUAL(cli.nmsg, 0); /* the pong was no message */
  close(fd);

  /* the other side: a peer's ping is answered with one CRLF; we never ping an accepted one */
  sipspec_transport *ts = open_tcp(loop, 1, &srv, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ts);
  sipspec_sockaddr sa;
  sipspec_transport_bound_addr(ts, &sa);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  CU_ASSERT_EQUAL_FATAL(connect(c, &sa.u.sa, sa.len), 0);
  fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK);
  CU_ASSERT_EQUAL(write(c, "x\n", 2), 2);
  CU_ASSERT(tst_run_until(loop, has_msgs, &srv, 3.0));
  CU_ASSERT_EQUAL(write(c, "\r\n\r\n", 4), 4);
  rd pong_rd = {c, "", 0, "\r\n"};
  CU_ASSERT(tst_run_until(loop, try_read, &pong_rd, 3.0));
  CU_ASSERT_STRING_EQUAL(pong_rd.buf, "\r\n");
  CU_ASSERT_EQUAL(srv.nmsg, 1); /* the ping was no message */
  close(c);
  close(lfd);
  sipspec_transport_close(tc);
  sipspec_transport_close(ts);
  tst_run_for(loop, 0.01);
  vclock_end(vc);
  ev_loop_destroy(loop);
}

static const tst_case cases[] = {
  {"RFC 5626 CRLF keep-alive: ping, pong, no pong", test_keepalive},
  {"an idle connection is closed by us without a report, kept open by traffic", test_idle_close},
  {"after our FIN, a peer that keeps its side open is dropped after LINGER", test_idle_close_linger},
  {"a peer that does not read: queued, flushed later, E_AGAIN past the cap", test_backpressure},
  {"closing inside the error callback stops further reports", test_close_inside_error_callback},
  {"messages cross [::1]", test_ipv6},
  {"SIP stream framer: whole messages across 7-byte chunks", test_sip_stream_framer},
  {"messages cross in pieces; replies use the accepted connection", test_exchange_and_framing},
  {"byte-by-byte chunks are framed; garbage closes and reports", test_raw_chunks},
  {"connection refused reaches on_error with ECONNREFUSED", test_refused},
  {"connection reset (RST) reaches on_error", test_reset},
  {"two sends use one connection; a closed one reopens", test_reuse_and_reopen},
  {"a connect that never completes times out", test_connect_timeout},
  {"listen errors name the address and the reason", test_listen_errors},
  {"closing inside the receive callback stops delivery", test_close_inside_callback},
  {NULL, NULL},
};

int main(void) { return tst_main("tcp", cases); }
