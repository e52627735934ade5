/* peer.c: see peer.h. */
#include "peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netutil.h"

static void keep(peer *p, const char *data, size_t len) {
  if (p->n >= PEER_MAX_MSGS) return;
  char *c = malloc(len + 1);
  if (!c) return;
  memcpy(c, data, len);
  c[len] = '\0';
  p->msgs[p->n] = c;
  p->lens[p->n] = len;
  p->at_ms[p->n] = tst_now_ms(p->loop);
  p->n++;
  if (getenv("SIPSPEC_TEST_DUMP")) fprintf(stderr, "---- peer received #%d\n%s\n", p->n - 1, c);
}

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents) {
  peer *p = w->data;
  char buf[16384];
  (void)revents;
  ssize_t n = recv(p->conn, buf, sizeof buf, 0);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    ev_io_stop(loop, &p->w_conn);
    close(p->conn);
    p->conn = -1;
    p->closed = 1;
    return;
  }
  if (sipspec_framer_feed(p->framer, buf, (size_t)n) != SIPSPEC_OK) return;
  sipspec_msg *m;
  if (sipspec_msg_create(&m, NULL)) return;
  while (sipspec_framer_next(p->framer, m) == SIPSPEC_OK) {
    sipspec_span raw = sipspec_msg_raw(m);
    keep(p, raw.p, raw.len);
  }
  sipspec_msg_destroy(m);
}

static void main_cb(struct ev_loop *loop, ev_io *w, int revents) {
  peer *p = w->data;
  (void)revents;
  if (p->tcp) {
    int c = accept(p->fd, NULL, NULL);
    if (c < 0) return;
    if (p->conn >= 0) { /* one connection at a time: the newest wins */
      ev_io_stop(loop, &p->w_conn);
      close(p->conn);
    }
    fcntl(c, F_SETFL, O_NONBLOCK);
    /* Two replies written back to back must not wait for the client's delayed ACK (Nagle):
     * under virtual time the loop waits only briefly for I/O on its way. */
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    p->conn = c;
    p->closed = 0;
    ev_io_init(&p->w_conn, conn_cb, c, EV_READ);
    p->w_conn.data = p;
    ev_io_start(loop, &p->w_conn);
    return;
  }
  char buf[65536];
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  ssize_t n = recvfrom(p->fd, buf, sizeof buf, 0, (struct sockaddr *)&ss, &sl);
  if (n <= 0) return;
  sipspec_sockaddr_from_sockaddr(&p->last_from, (struct sockaddr *)&ss, sl);
  keep(p, buf, (size_t)n);
}

void peer_open(peer *p, struct ev_loop *loop, int tcp) { peer_open_port(p, loop, tcp, 0); }

void peer_open_port(peer *p, struct ev_loop *loop, int tcp, unsigned port) {
  memset(p, 0, sizeof *p);
  p->loop = loop;
  p->tcp = tcp;
  p->conn = -1;
  p->fd = socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
  int one = 1;
  setsockopt(p->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons((uint16_t)port);
  bind(p->fd, (struct sockaddr *)&a, sizeof a);
  socklen_t sl = sizeof a;
  getsockname(p->fd, (struct sockaddr *)&a, &sl);
  p->port = ntohs(a.sin_port);
  if (tcp) listen(p->fd, 8);
  fcntl(p->fd, F_SETFL, O_NONBLOCK);
  ev_io_init(&p->w_main, main_cb, p->fd, EV_READ);
  p->w_main.data = p;
  ev_io_start(loop, &p->w_main);
  sipspec_framer_create(&p->framer, NULL);
  sipspec_msg_create(&p->m, NULL);
}

void peer_close(peer *p) {
  ev_io_stop(p->loop, &p->w_main);
  close(p->fd);
  if (p->conn >= 0) {
    ev_io_stop(p->loop, &p->w_conn);
    close(p->conn);
  }
  for (int i = 0; i < p->n; i++) free(p->msgs[i]);
  sipspec_framer_destroy(p->framer);
  sipspec_msg_destroy(p->m);
}

typedef struct wait_arg {
  peer *p;
  int n;
} wait_arg;
static int have_n(void *a) {
  wait_arg *w = a;
  return w->p->n >= w->n;
}
int peer_wait(peer *p, int n, double max_s) {
  wait_arg w = {p, n};
  return tst_run_until(p->loop, have_n, &w, max_s);
}

const sipspec_msg *peer_parse(peer *p, int i) {
  if (i < 0 || i >= p->n || sipspec_msg_parse(p->m, p->msgs[i], p->lens[i]) != SIPSPEC_OK) return NULL;
  return p->m;
}

int peer_find(peer *p, const char *prefix, int k) {
  for (int i = 0; i < p->n; i++)
    if (!strncmp(p->msgs[i], prefix, strlen(prefix)) && k-- == 0) return i;
  return -1;
}

int peer_count(peer *p, const char *prefix) {
  int c = 0;
  for (int i = 0; i < p->n; i++) c += !strncmp(p->msgs[i], prefix, strlen(prefix));
  return c;
}

void peer_send(peer *p, const char *data, size_t len) {
  if (p->tcp) {
    if (p->conn >= 0) (void)!send(p->conn, data, len, MSG_NOSIGNAL);
    return;
  }
  (void)!sendto(p->fd, data, len, 0, &p->last_from.u.sa, p->last_from.len);
}

void peer_reply(peer *p, int i, int status, const char *to_tag, const char *extra, const char *body) {
  const sipspec_msg *req = peer_parse(p, i);
  if (!req) return;
  char buf[PEER_MSG_MAX];
  sipspec_build b;
  sipspec_build_init(&b, buf, sizeof buf);
  sipspec_build_response(&b, req, status, "Scripted", to_tag);
  if (extra) {
    size_t n = strlen(extra);
    if (b.len + n < b.cap) {
      memcpy(b.buf + b.len, extra, n);
      b.len += n;
    }
  }
  sipspec_span bs = {body, body ? strlen(body) : 0};
  if (sipspec_build_finish(&b, bs) == SIPSPEC_OK) peer_send(p, buf, b.len);
}

void peer_reset(peer *p) {
  if (p->conn < 0) return;
  struct linger l = {1, 0};
  setsockopt(p->conn, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  ev_io_stop(p->loop, &p->w_conn);
  close(p->conn);
  p->conn = -1;
}

const char *peer_header(peer *p, int i, const char *name) {
  static char out[2048];
  out[0] = '\0';
  const sipspec_msg *m = peer_parse(p, i);
  if (!m) return out;
  long h = sipspec_msg_find(m, name, 0);
  sipspec_header hd;
  if (h >= 0 && sipspec_msg_header(m, (size_t)h, &hd) == SIPSPEC_OK)
    snprintf(out, sizeof out, "%.*s", (int)hd.value.len, hd.value.p);
  return out;
}
