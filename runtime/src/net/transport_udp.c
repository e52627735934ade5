/* transport_udp.c: the UDP transport (RFC 3261 18.1.1, 18.2.1) on libev.
 *
 * One non-blocking datagram socket, bound to opts->bind_host:bind_port (0.0.0.0:0 by
 * default, IPv4 or IPv6). Each received datagram is delivered whole, with its source
 * address. A send that would block (EAGAIN, ENOBUFS) is copied into a FIFO and flushed when
 * the socket becomes writable, so the loop never blocks and order is kept. The local address
 * used toward a peer, for Via and Contact, is learnt with a scratch connected socket.
 *
 * ICMP errors (RFC 3261 18.4: "an ICMP port unreachable ... SHOULD be reported to the
 * transport user as a transport failure"): the socket is not connected, so on Linux it asks
 * for them with IP_RECVERR / IPV6_RECVERR. Each arrives on the socket's error queue with the
 * destination of the datagram it is about, and goes to on_error with that peer, so the
 * transactions toward that peer alone fail (17.1.4, 17.2.4).
 */
#define _GNU_SOURCE /* recvmmsg (Linux) */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/net_internal.h"
#include "sipspec/clock.h"

#if defined(__linux__) && defined(IP_RECVERR) && defined(IPV6_RECVERR)
#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#define UDP_ICMP_ERRORS 1
#else
#define UDP_ICMP_ERRORS 0
#endif

/* UDP_RECV_BATCH: datagrams read per wake-up at most; UDP_RECV_VLEN: per system call
 * (recvmmsg, where there is one). */
enum { UDP_RECV_BUF = 65536, UDP_RECV_BATCH = 64 };
#if defined(__linux__) && defined(MSG_WAITFORONE)
#define UDP_RECV_VLEN 8
#else
#define UDP_RECV_VLEN 1
#endif

typedef struct udp_pending {
  struct udp_pending *next;
  sipspec_sockaddr to;
  size_t len;
  char data[];
} udp_pending;

typedef struct udp_tp {
  sipspec_transport base;      /* first: the public part */
  sipspec_transport_opts opts; /* callbacks, limits (bind_host not kept) */
  int fd;
  sipspec_sockaddr bound;
  ev_io rio, wio;
  sipspec_clock_grave grave;   /* closed inside a callback: freed by the clock after it */
  sipspec_clock *clock;        /* opts.clock, or own_clock */
  sipspec_clock *own_clock;
  udp_pending *head, *tail;
  size_t queued_bytes;
  int depth;                   /* > 0 while inside a user callback */
  char rbuf[UDP_RECV_VLEN][UDP_RECV_BUF]; /* pages never written stay unmapped */
} udp_tp;

static void udp_free(udp_tp *u) {
  ev_io_stop(u->base.loop, &u->rio);
  ev_io_stop(u->base.loop, &u->wio);
  if (u->fd >= 0) close(u->fd);
  while (u->head) {
    udp_pending *p = u->head;
    u->head = p->next;
    free(p);
  }
  sipspec_clock_free(u->own_clock);
  free(u);
}

/* Closed: sipspec_transport_close() was called (the rest of a callback's work is dropped). */
static int udp_closed(const udp_tp *u) { return sipspec_clock_buried(&u->grave); }

static void udp_report(udp_tp *u, int code, int sys_errno, const sipspec_sockaddr *peer,
                       const char *verb) {
  char msg[SIPSPEC_ERR_LEN];
  if (!u->opts.on_error) return;
  sipspec_net_seterr(msg, sizeof msg, verb, peer, "udp",
                     sys_errno ? strerror(sys_errno) : sipspec_strerror(code));
  sipspec_tp_error e = {code, sys_errno, peer, msg};
  u->depth++;
  u->opts.on_error(&u->base, &e, u->opts.user);
  u->depth--;
}

static void udp_grave_free(sipspec_clock_grave *g) { udp_free((udp_tp *)((char *)g - offsetof(udp_tp, grave))); }

/* The errors an ICMP message leaves on the socket (sock_error()), about an earlier datagram:
 * the error queue says which peer they concern. */
static int udp_icmp_errno(int e) {
  return e == ECONNREFUSED || e == EHOSTUNREACH || e == ENETUNREACH || e == EHOSTDOWN || e == ENONET ||
         e == ENOPROTOOPT || e == EACCES || e == EPROTO;
}

/* Reads the error queue and reports each ICMP destination-unreachable (port, host, network,
 * protocol, prohibited; not "fragmentation needed", which is about size, nor the soft errors
 * such as time exceeded) to on_error with the datagram's destination as the peer. Returns how
 * many entries were read. */
static int udp_read_errors(udp_tp *u) {
  int n = 0;
#if UDP_ICMP_ERRORS
  for (int i = 0; i < UDP_RECV_BATCH && !udp_closed(u); i++) {
    sipspec_sockaddr to, peer;
    union {
      char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in6))];
      struct cmsghdr align;
    } ctl;
    struct iovec iov = {u->rbuf[0], sizeof u->rbuf[0]};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    memset(&to, 0, sizeof to);
    mh.msg_name = &to.u.ss;
    mh.msg_namelen = sizeof to.u.ss;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.buf;
    mh.msg_controllen = sizeof ctl.buf;
    if (recvmsg(u->fd, &mh, MSG_ERRQUEUE) < 0) break; /* EAGAIN: the queue is empty */
    n++;
    int err = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
      struct sock_extended_err ee;
      if (!((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_RECVERR)) ||
          c->cmsg_len < CMSG_LEN(sizeof ee))
        continue;
      memcpy(&ee, CMSG_DATA(c), sizeof ee);
      if ((ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == ICMP_DEST_UNREACH && ee.ee_code != ICMP_FRAG_NEEDED) ||
          (ee.ee_origin == SO_EE_ORIGIN_ICMP6 && ee.ee_type == ICMP6_DST_UNREACH))
        err = (int)ee.ee_errno;
    }
    if (!err || !udp_icmp_errno(err) || sipspec_sockaddr_from_sockaddr(&peer, &to.u.sa, mh.msg_namelen) != SIPSPEC_OK)
      continue;
    udp_report(u, sipspec_net_errno_code(err, SIPSPEC_E_SEND), err, &peer, "sendto");
  }
#else
  (void)u;
#endif
  return n;
}

/* Up to want datagrams into u->rbuf[0..want), their sources into from[]: how many, or -1
 * with errno. One system call for all of them where recvmmsg exists: a read that returns
 * fewer than asked found the queue empty, so no further call (and no EAGAIN) is needed. */
static int udp_recv_some(udp_tp *u, sipspec_sockaddr *from, size_t *len, int want) {
#if UDP_RECV_VLEN > 1
  struct mmsghdr mm[UDP_RECV_VLEN];
  struct iovec iov[UDP_RECV_VLEN];
  for (int k = 0; k < want; k++) {
    iov[k].iov_base = u->rbuf[k];
    iov[k].iov_len = sizeof u->rbuf[k];
    memset(&mm[k].msg_hdr, 0, sizeof mm[k].msg_hdr);
    mm[k].msg_hdr.msg_name = &from[k].u.ss;
    mm[k].msg_hdr.msg_namelen = sizeof from[k].u;
    mm[k].msg_hdr.msg_iov = &iov[k];
    mm[k].msg_hdr.msg_iovlen = 1;
  }
  int n = recvmmsg(u->fd, mm, (unsigned)want, 0, NULL);
  for (int k = 0; k < n; k++) {
    from[k].len = mm[k].msg_hdr.msg_namelen;
    len[k] = mm[k].msg_len;
  }
  return n;
#else
  (void)want;
  from[0].len = sizeof from[0].u;
  ssize_t n = recvfrom(u->fd, u->rbuf[0], sizeof u->rbuf[0], 0, &from[0].u.sa, &from[0].len);
  if (n < 0) return -1;
  len[0] = (size_t)n;
  return 1;
#endif
}

static void udp_read_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)loop; (void)revents;
  udp_tp *u = w->data;
  assert(&u->rio == w);
  int i = 0; /* datagrams read in this wake-up */
  while (i < UDP_RECV_BATCH && !udp_closed(u)) {
    sipspec_sockaddr from[UDP_RECV_VLEN];
    size_t len[UDP_RECV_VLEN];
    int want = UDP_RECV_BATCH - i < UDP_RECV_VLEN ? UDP_RECV_BATCH - i : UDP_RECV_VLEN;
    int got = udp_recv_some(u, from, len, want);
    if (got < 0) {
      /* Woken with no datagram: the error queue made the socket readable (POLLERR), its
       * error already taken by a send. Read it here only, not on every wake-up (a system
       * call per wake-up); with datagrams waiting too, the next wake-up finds it. */
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && i == 0) {
        (void)udp_read_errors(u);
        break;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      /* An ICMP error that came meanwhile: its peer is on the error queue; without one
       * (no queue entry could be made) there is no peer to blame, and UDP goes on. */
      if (UDP_ICMP_ERRORS && udp_icmp_errno(errno)) {
        if (udp_read_errors(u)) {
          i++; /* as one read: the loop stays bounded */
          continue;
        }
        break;
      }
      udp_report(u, sipspec_net_errno_code(errno, SIPSPEC_E_IO), errno, NULL, "recvfrom");
      break;
    }
    if (got == 0) break;
    for (int k = 0; k < got && !udp_closed(u); k++) {
      sipspec_sockaddr src;
      if (sipspec_sockaddr_from_sockaddr(&src, &from[k].u.sa, from[k].len) != SIPSPEC_OK) continue;
      u->depth++;
      u->opts.on_recv(&u->base, u->rbuf[k], len[k], &src, u->opts.user);
      u->depth--;
    }
    i += got;
    if (UDP_RECV_VLEN > 1 && got < want) break; /* the queue was empty */
  }
}

/* sendto, once more when it failed with the error an ICMP message left on the socket: that
 * error is about an earlier datagram, maybe to another peer, and reaches its transactions
 * from the error queue (udp_read_errors); the failed call has cleared it. */
static ssize_t udp_sendto(udp_tp *u, const void *data, size_t len, const sipspec_sockaddr *to) {
  ssize_t n = sendto(u->fd, data, len, 0, &to->u.sa, to->len);
  if (UDP_ICMP_ERRORS && n < 0 && udp_icmp_errno(errno)) n = sendto(u->fd, data, len, 0, &to->u.sa, to->len);
  return n;
}

/* Flushes the FIFO; stops the write watcher once it is empty. */
static void udp_write_cb(struct ev_loop *loop, ev_io *w, int revents) {
  (void)revents;
  udp_tp *u = w->data;
  assert(&u->wio == w);
  while (u->head && !udp_closed(u)) {
    udp_pending *p = u->head;
    ssize_t n = udp_sendto(u, p->data, p->len, &p->to);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) return;
    int e = n < 0 ? errno : 0;
    u->head = p->next;
    if (!u->head) u->tail = NULL;
    u->queued_bytes -= p->len;
    if (e) udp_report(u, SIPSPEC_E_SEND, e, &p->to, "sendto");
    free(p);
  }
  if (!u->head) ev_io_stop(loop, &u->wio);
}

static int udp_send(sipspec_transport *tp, const sipspec_sockaddr *to, const void *data,
                    size_t len) {
  udp_tp *u = (udp_tp *)tp;
  if (udp_closed(u)) return SIPSPEC_E_STATE;
  if (len > u->opts.max_datagram) return SIPSPEC_E_MSG_TOO_BIG;
  if (sipspec_sockaddr_family(to) != sipspec_sockaddr_family(&u->bound))
    return SIPSPEC_E_BAD_ADDRESS;
  if (!u->head) {
    ssize_t n = udp_sendto(u, data, len, to);
    if (n >= 0) return SIPSPEC_OK;
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) return SIPSPEC_E_SEND;
  }
  if (u->queued_bytes + len > u->opts.max_queued_bytes) return SIPSPEC_E_AGAIN;
  udp_pending *p = malloc(sizeof *p + len);
  if (!p) return SIPSPEC_E_NOMEM;
  p->next = NULL;
  p->to = *to;
  p->len = len;
  memcpy(p->data, data, len);
  if (u->tail) u->tail->next = p; else u->head = p;
  u->tail = p;
  u->queued_bytes += len;
  ev_io_start(u->base.loop, &u->wio);
  return SIPSPEC_OK;
}

static void udp_close(sipspec_transport *tp) {
  udp_tp *u = (udp_tp *)tp;
  if (udp_closed(u)) return;
  if (u->depth == 0) { udp_free(u); return; }
  /* Inside one of our callbacks: stop everything now, free after it returns. */
  ev_io_stop(u->base.loop, &u->rio);
  ev_io_stop(u->base.loop, &u->wio);
  sipspec_clock_bury(u->clock, &u->grave, u, udp_grave_free);
}

static int udp_bound_addr(sipspec_transport *tp, sipspec_sockaddr *out) {
  *out = ((udp_tp *)tp)->bound;
  return SIPSPEC_OK;
}

static int udp_local_addr(sipspec_transport *tp, const sipspec_sockaddr *toward,
                          sipspec_sockaddr *out) {
  return sipspec_net_local_toward(&((udp_tp *)tp)->bound, toward, out);
}

static int udp_open(struct ev_loop *loop, const sipspec_transport_opts *opts,
                    sipspec_transport **out, char *err, size_t errlen) {
  sipspec_sockaddr ba;
  *out = NULL;
  if (!opts || !opts->on_recv) {
    if (err && errlen) snprintf(err, errlen, "udp: options without a receive callback");
    return SIPSPEC_E_INVAL;
  }
  int rc = sipspec_net_bind_addr(opts, &ba, "udp", err, errlen);
  if (rc != SIPSPEC_OK) return rc;
  udp_tp *u = calloc(1, sizeof *u);
  if (!u) return SIPSPEC_E_NOMEM;
  u->base.type = &sipspec_transport_udp;
  u->base.loop = loop;
  u->opts = *opts;
  u->opts.bind_host = NULL;
  u->clock = opts->clock;
  if (!u->clock && !(u->clock = u->own_clock = sipspec_clock_libev_new(loop))) {
    free(u);
    return SIPSPEC_E_NOMEM;
  }
  u->fd = socket(sipspec_sockaddr_family(&ba), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (u->fd < 0) {
    sipspec_net_seterr(err, errlen, "socket", &ba, "udp", strerror(errno));
    udp_free(u);
    return SIPSPEC_E_SOCKET;
  }
  if (sipspec_sockaddr_family(&ba) == AF_INET6) {
    int one = 1; /* "::" means IPv6 only; IPv4 gets its own transport */
    (void)setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
#if UDP_ICMP_ERRORS
  { /* RFC 3261 18.4: hear of ICMP errors (above); without it they only cost Timer B/F */
    int one = 1;
    if (sipspec_sockaddr_family(&ba) == AF_INET6) (void)setsockopt(u->fd, IPPROTO_IPV6, IPV6_RECVERR, &one, sizeof one);
    else (void)setsockopt(u->fd, IPPROTO_IP, IP_RECVERR, &one, sizeof one);
  }
#endif
  if (bind(u->fd, &ba.u.sa, ba.len) != 0) {
    sipspec_net_seterr(err, errlen, "bind", &ba, "udp", strerror(errno));
    udp_free(u);
    return SIPSPEC_E_BIND;
  }
  sipspec_sockaddr got;
  got.len = sizeof got.u;
  if (getsockname(u->fd, &got.u.sa, &got.len) != 0 ||
      sipspec_sockaddr_from_sockaddr(&u->bound, &got.u.sa, got.len) != SIPSPEC_OK) {
    sipspec_net_seterr(err, errlen, "getsockname", &ba, "udp", strerror(errno));
    close(u->fd);
    udp_free(u);
    return SIPSPEC_E_SOCKET;
  }
  ev_io_init(&u->rio, udp_read_cb, u->fd, EV_READ);
  ev_io_init(&u->wio, udp_write_cb, u->fd, EV_WRITE);
  u->rio.data = u->wio.data = u;
  ev_io_start(loop, &u->rio);
  *out = &u->base;
  return SIPSPEC_OK;
}

const sipspec_transport_type sipspec_transport_udp = {
  .name = "udp",
  .kind = SIPSPEC_TP_UDP,
  .reliable = 0,
  .open = udp_open,
  .send = udp_send,
  .close = udp_close,
  .bound_addr = udp_bound_addr,
  .local_addr = udp_local_addr,
};
