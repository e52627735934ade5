/* server_peer.c: see server_peer.h. */
#include "server_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "netutil.h"
#include "session/tsx.h"

static void keep(peer *p, const char *data, size_t len) {
  if (p->n >= PEER_MAX) return;
  char *m = malloc(len + 1);
  if (!m) return;
  memcpy(m, data, len);
  m[len] = '\0';
  p->msgs[p->n] = m;
  p->at_ms[p->n] = tst_now_ms(p->loop);
  p->lens[p->n++] = len;
}

static void io_cb(struct ev_loop *loop, ev_io *w, int revents) {
  peer *p = w->data;
  char buf[65536];
  (void)revents;
  for (int guard = 0; guard < 64; guard++) {
    ssize_t n = recv(p->fd, buf, sizeof buf, 0);
    if (n < 0) return; /* EAGAIN */
    if (n == 0) {
      p->closed = 1;
      ev_io_stop(loop, w);
      return;
    }
    if (p->kind == SIPSPEC_TP_UDP) {
      keep(p, buf, (size_t)n);
      continue;
    }
    if (sipspec_framer_feed(p->framer, buf, (size_t)n) != SIPSPEC_OK) return;
    while (sipspec_framer_next(p->framer, p->scratch) == SIPSPEC_OK) {
      sipspec_span raw = sipspec_msg_raw(p->scratch);
      keep(p, raw.p, raw.len);
    }
  }
}

int peer_open(peer *p, struct ev_loop *loop, sipspec_tp_kind kind, const sipspec_sockaddr *server) {
  memset(p, 0, sizeof *p);
  p->loop = loop;
  p->kind = kind;
  p->server = *server;
  p->fd = socket(AF_INET, kind == SIPSPEC_TP_UDP ? SOCK_DGRAM : SOCK_STREAM, 0);
  if (p->fd < 0) return -1;
  sipspec_sockaddr a;
  sipspec_sockaddr_set(&a, "127.0.0.1", 0);
  if (bind(p->fd, &a.u.sa, a.len) < 0) return -1;
  if (kind == SIPSPEC_TP_TCP) {
    /* Each request goes out at once (an ACK then a BYE): Nagle's algorithm would hold the
     * second behind the server's delayed TCP ACK, some 40 ms of real time, which a virtual
     * run does not wait for. */
    int one = 1;
    (void)setsockopt(p->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(p->fd, &server->u.sa, server->len) < 0) return -1;
  }
  struct sockaddr_storage ss;
  socklen_t sl = sizeof ss;
  getsockname(p->fd, (struct sockaddr *)&ss, &sl);
  sipspec_sockaddr_from_sockaddr(&p->local, (struct sockaddr *)&ss, sl);
  fcntl(p->fd, F_SETFL, fcntl(p->fd, F_GETFL) | O_NONBLOCK);
  if (sipspec_msg_create(&p->scratch, NULL) || sipspec_framer_create(&p->framer, NULL)) return -1;
  ev_io_init(&p->io, io_cb, p->fd, EV_READ);
  p->io.data = p;
  ev_io_start(loop, &p->io);
  return 0;
}

void peer_close(peer *p) {
  ev_io_stop(p->loop, &p->io);
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
  for (int i = 0; i < p->n; i++) free(p->msgs[i]);
  p->n = 0;
  sipspec_framer_destroy(p->framer);
  sipspec_msg_destroy(p->scratch);
  p->framer = NULL;
  p->scratch = NULL;
}

int peer_send(peer *p, const char *data, size_t len) {
  ssize_t n = p->kind == SIPSPEC_TP_UDP ? sendto(p->fd, data, len, 0, &p->server.u.sa, p->server.len)
                                        : send(p->fd, data, len, MSG_NOSIGNAL);
  return n == (ssize_t)len ? 0 : -1;
}

static int starts(const char *m, const char *prefix) { return !strncmp(m, prefix, strlen(prefix)); }

typedef struct find_arg {
  peer *p;
  const char *prefix;
  const char *needle;
  int found;
} find_arg;

static int find_cond(void *arg) {
  find_arg *f = arg;
  for (int i = f->p->cursor; i < f->p->n; i++)
    if (starts(f->p->msgs[i], f->prefix) && (!f->needle || strstr(f->p->msgs[i], f->needle))) {
      f->found = i;
      return 1;
    }
  return 0;
}

const char *peer_find(peer *p, const char *prefix, double max_s) { return peer_find_with(p, prefix, NULL, max_s); }

const char *peer_find_with(peer *p, const char *prefix, const char *needle, double max_s) {
  find_arg f = {p, prefix, needle, -1};
  if (!tst_run_until(p->loop, find_cond, &f, max_s)) return NULL;
  p->cursor = f.found + 1;
  return p->msgs[f.found];
}

int peer_count(const peer *p, const char *prefix) {
  int n = 0;
  for (int i = 0; i < p->n; i++) n += starts(p->msgs[i], prefix);
  return n;
}

int peer_index(const peer *p, const char *prefix) {
  for (int i = 0; i < p->n; i++)
    if (starts(p->msgs[i], prefix)) return i;
  return -1;
}

uint64_t peer_at(const peer *p, const char *m) {
  for (int i = 0; i < p->n; i++)
    if (p->msgs[i] == m) return p->at_ms[i];
  return UINT64_MAX;
}

const char *msg_header(const char *msg, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  for (const char *line = strstr(msg, "\r\n"); line && line[2] != '\r'; line = strstr(line + 2, "\r\n")) {
    const char *h = line + 2;
    if (!strncasecmp(h, name, nl) && h[nl] == ':') {
      const char *v = h + nl + 1, *e = strstr(v, "\r\n");
      while (*v == ' ') v++;
      size_t n = (size_t)(e - v) < cap - 1 ? (size_t)(e - v) : cap - 1;
      memcpy(out, v, n);
      out[n] = '\0';
      return out;
    }
  }
  return NULL;
}

const char *msg_to_tag(const char *msg, char *out, size_t cap) {
  char to[512];
  if (!msg_header(msg, "To", to, sizeof to)) return NULL;
  const char *t = strstr(to, ";tag=");
  if (!t) return NULL;
  t += 5;
  size_t n = strcspn(t, ";> \t");
  if (n >= cap) return NULL;
  memcpy(out, t, n);
  out[n] = '\0';
  return out;
}

int msg_count(const char *msg, const char *needle) {
  int n = 0;
  for (const char *p = strstr(msg, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

size_t peer_request(const peer *p, const req_spec *r, char *buf, size_t cap, char *out_branch) {
  char branch[SIPSPEC_TSX_BRANCH_SIZE], host[SIPSPEC_SOCKADDR_STRLEN], srv[SIPSPEC_SOCKADDR_STRLEN];
  char sent_by[SIPSPEC_SOCKADDR_STRLEN + 8], contact[512];
  if (r->branch) snprintf(branch, sizeof branch, "%s", r->branch);
  else sipspec_tsx_new_branch(branch, sizeof branch);
  if (out_branch) snprintf(out_branch, 64, "%s", branch);
  sipspec_sockaddr_host(&p->local, host, sizeof host);
  sipspec_sockaddr_format(&p->server, srv, sizeof srv);
  if (r->via_sent_by) snprintf(sent_by, sizeof sent_by, "%s", r->via_sent_by);
  else snprintf(sent_by, sizeof sent_by, "%s:%u", host, sipspec_sockaddr_port(&p->local));
  if (!r->contact)
    snprintf(contact, sizeof contact, "Contact: <sip:client@%s:%u;transport=%s>\r\n", host,
             sipspec_sockaddr_port(&p->local), p->kind == SIPSPEC_TP_TCP ? "tcp" : "udp");
  else if (r->contact[0])
    snprintf(contact, sizeof contact, "Contact: <%s>\r\n", r->contact);
  else
    contact[0] = '\0';
  int with_ct = r->body && !(r->extra && strstr(r->extra, "Content-Type"));
  int n = snprintf(buf, cap,
                   "%s sip:mresources@%s SIP/2.0\r\n"
                   "Via: SIP/2.0/%s %s;branch=%s;rport\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: <sip:client@%s>;tag=%s\r\n"
                   "To: <sip:mresources@%s>%s%s\r\n"
                   "Call-ID: %s\r\n"
                   "CSeq: %u %s\r\n"
                   "%s"
                   "%s%s"
                   "Content-Length: %zu\r\n\r\n",
                   r->method, srv, p->kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", sent_by, branch, host, r->from_tag, srv,
                   r->to_tag ? ";tag=" : "", r->to_tag ? r->to_tag : "", r->call_id, r->cseq,
                   r->cseq_method ? r->cseq_method : r->method, contact, r->extra ? r->extra : "",
                   with_ct ? "Content-Type: application/sdp\r\n" : "", r->body ? r->body_len : 0);
  if (n < 0 || (size_t)n + (r->body ? r->body_len : 0) >= cap) return 0;
  if (r->body) memcpy(buf + n, r->body, r->body_len);
  return (size_t)n + (r->body ? r->body_len : 0);
}
