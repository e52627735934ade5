/* flood.c: `sipspec-flood --target HOST:PORT`: a hostile-traffic generator for a SIP server
 * on the loopback interface (issue 18, "flood while serving"; docs/hostile.md).
 *
 * One thread, non-blocking sockets, as fast as the machine allows (or under --rate and
 * --conn-rate caps), for --duration seconds or until --max-packets / --max-conns, whichever
 * comes first. Seven kinds of traffic (--mix):
 *
 *   random     UDP datagrams of 0..1400 random octets
 *   truncated  a well-formed INVITE with an SDP body cut at a random octet (RFC 3261 18.3:
 *              a datagram shorter than its Content-Length is discarded or answered 400)
 *   oversized  UDP datagrams of 1,500..65,507 octets: a request whose one header fills it,
 *              or random octets (RFC 3261 18.1.1's limit is the sender's; a receiver must
 *              survive any datagram size IPv4 carries)
 *   bad-via    requests whose Via is missing, empty, unparsable (`SIP/2.0/UDP :]`, the
 *              Kamailio CVE-2018-16657 shape), with a bad port, an empty branch, an unknown
 *              protocol, an overlong host or a second value of garbage (RFC 3261 8.2, 18.2.1)
 *   bad-cseq   requests with a good Via and a CSeq missing, without a number, with a number
 *              past 2^31 (RFC 3261 8.1.1.5), negative, in hex, doubled, or whose method is not
 *              the request's (RFC 3261 8.2: answered 400 to the Via)
 *   storm      TCP connections opened and closed at once, after sending nothing, a bad request
 *              or random octets; half of them closed with RST (SO_LINGER 0)
 *   half-open  TCP connections that send nothing, or half a request (headers cut, or a body
 *              shorter than its Content-Length), then stay open 0.1..3 s; at most --max-open
 *              at a time
 *
 * Responses the target sends back to the flood's UDP socket are read and counted. Loopback
 * only: a target outside 127.0.0.0/8 and ::1 is refused. Every socket is closed before exit.
 * Output: a summary of what was sent (counts and rates) as text or one JSON object (--json).
 * Exit status: 0 the flood ran, 1 it could not (no socket, nothing sent), 2 usage. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "flood_msgs.h"

#define PROG "sipspec-flood"
#define UDP_BATCH 32      /* datagrams per loop turn */
#define STORM_BATCH 4     /* storm connections opened per loop turn */
#define CONNECT_WAIT_US 1000000u

static void usage(FILE *out) {
  fprintf(out,
          "usage: " PROG " --target HOST:PORT [OPTIONS]\n"
          "Floods a SIP server on the loopback interface with hostile UDP datagrams and TCP\n"
          "connections (docs/hostile.md) and prints what it sent.\n"
          "  --target HOST:PORT   127.0.0.0/8 or [::1] only; UDP and TCP on the same port\n"
          "  --duration S         seconds, 1..600 (default 30)\n"
          "  --rate N             UDP datagrams per second at most (default 0: no cap)\n"
          "  --conn-rate N        TCP connections per second at most (default 0: no cap)\n"
          "  --mix LIST           comma-separated kinds, each with an optional :WEIGHT (1..100):\n"
          "                       random, truncated, oversized, bad-via, bad-cseq, storm,\n"
          "                       half-open (default: all, weight 1)\n"
          "  --max-open N         half-open connections at a time, 1..4096 (default 200)\n"
          "  --max-packets N      stop after N datagrams (default: no bound but the time)\n"
          "  --max-conns N        stop opening connections after N (default: no bound but the time)\n"
          "  --seed N             the random seed (default 1)\n"
          "  --json               the summary as one JSON object\n"
          "Exit status: 0 the flood ran, 1 it could not, 2 usage.\n");
}

/* ---- options -------------------------------------------------------------------------- */

static int parse_ulong(const char *s, unsigned long lo, unsigned long hi, unsigned long *out) {
  if (!s || !*s) return -1;
  for (const char *p = s; *p; p++)
    if (*p < '0' || *p > '9') return -1;
  errno = 0;
  unsigned long v = strtoul(s, NULL, 10);
  if (errno || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

/* HOST:PORT with an IPv4 literal in 127.0.0.0/8 or [::1]. */
static int parse_target(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *why, size_t cap) {
  char host[64];
  const char *colon;
  memset(ss, 0, sizeof *ss);
  if (s[0] == '[') {
    const char *end = strchr(s, ']');
    if (!end || end[1] != ':' || (size_t)(end - s - 1) >= sizeof host) {
      snprintf(why, cap, "'%s' is not [IPV6]:PORT", s);
      return -1;
    }
    memcpy(host, s + 1, (size_t)(end - s - 1));
    host[end - s - 1] = 0;
    colon = end + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon || (size_t)(colon - s) >= sizeof host) {
      snprintf(why, cap, "'%s' is not HOST:PORT", s);
      return -1;
    }
    memcpy(host, s, (size_t)(colon - s));
    host[colon - s] = 0;
  }
  unsigned long port;
  if (parse_ulong(colon + 1, 1, 65535, &port)) {
    snprintf(why, cap, "'%s': the port is not 1..65535", s);
    return -1;
  }
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) {
      snprintf(why, cap, "'%s' is not a loopback address (127.0.0.0/8 or ::1): this tool floods loopback only", host);
      return -1;
    }
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) {
      snprintf(why, cap, "'%s' is not a loopback address (127.0.0.0/8 or ::1): this tool floods loopback only", host);
      return -1;
    }
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof *v6;
  } else {
    snprintf(why, cap, "'%s' is not an IP literal", host);
    return -1;
  }
  return 0;
}

/* --mix: fills weights[] (0: kind off). */
static int parse_mix(const char *s, unsigned weights[FLOOD_KINDS], char *why, size_t cap) {
  memset(weights, 0, FLOOD_KINDS * sizeof weights[0]);
  char buf[256];
  if (strlen(s) >= sizeof buf) {
    snprintf(why, cap, "--mix: the list is too long");
    return -1;
  }
  strcpy(buf, s);
  char *save = NULL;
  for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    char *w = strchr(tok, ':');
    unsigned long weight = 1;
    if (w) {
      *w++ = 0;
      if (parse_ulong(w, 1, 100, &weight)) {
        snprintf(why, cap, "--mix: the weight of '%s' is not 1..100", tok);
        return -1;
      }
    }
    int k = flood_kind_from_name(tok);
    if (k < 0) {
      snprintf(why, cap, "--mix: unknown kind '%s' (random, truncated, oversized, bad-via, bad-cseq, storm, half-open)",
               tok);
      return -1;
    }
    if (weights[k]) {
      snprintf(why, cap, "--mix: '%s' given twice", tok);
      return -1;
    }
    weights[k] = (unsigned)weight;
  }
  return 0;
}

/* ---- the run ---------------------------------------------------------------------------- */

typedef struct conn {
  int fd;
  int connecting;      /* non-blocking connect in progress */
  int storm;           /* close at once once connected; else half-open */
  uint64_t deadline;   /* connecting: give up then; half-open: close then */
} conn;

typedef struct flood {
  struct sockaddr_storage to;
  socklen_t tolen;
  int udp;
  unsigned short udp_port; /* ours, for the Via of bad-cseq requests */
  unsigned weights[FLOOD_KINDS], udp_total, tcp_total;
  unsigned long rate, conn_rate, max_open, max_packets, max_conns;
  flood_rng rng;
  conn *conns;
  size_t nconns, cap;
  unsigned open_half;
  /* counters */
  unsigned long long sent[FLOOD_KINDS], bytes, send_errors, responses;
  unsigned long long conns_opened[FLOOD_KINDS], conns_failed, conns_timed_out, conns_rst;
  unsigned long long packets, connections;
  unsigned peak_open;
} flood;

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int pick(flood *F, int tcp) {
  unsigned total = tcp ? F->tcp_total : F->udp_total;
  unsigned r = (unsigned)(flood_rand(&F->rng) % total);
  for (int k = 0; k < FLOOD_KINDS; k++) {
    if (flood_kind_is_tcp(k) != tcp) continue;
    if (r < F->weights[k]) return k;
    r -= F->weights[k];
  }
  return -1;
}

static void udp_turn(flood *F, unsigned n, unsigned char *buf) {
  for (unsigned i = 0; i < n; i++) {
    int k = pick(F, 0);
    size_t len = flood_udp_payload(&F->rng, k, buf, FLOOD_MAX_DATAGRAM, F->udp_port);
    ssize_t w = send(F->udp, buf, len, 0);
    F->packets++;
    if (w < 0) {
      F->send_errors++;
      continue;
    }
    F->sent[k]++;
    F->bytes += (unsigned long long)w;
  }
  /* answers to the requests with a usable Via */
  for (int i = 0; i < 256; i++) {
    ssize_t r = recv(F->udp, buf, FLOOD_MAX_DATAGRAM, MSG_DONTWAIT);
    if (r < 0) break;
    F->responses++;
  }
}

static void conn_close(flood *F, size_t i, int rst) {
  conn *c = &F->conns[i];
  if (rst) {
    struct linger lg = {1, 0};
    (void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    F->conns_rst++;
  }
  close(c->fd);
  if (!c->storm) F->open_half--;
  F->conns[i] = F->conns[--F->nconns];
}

/* What a connection sends once connected: a storm connection a bad request, random octets or
 * nothing, then it is closed (RST one time in two); a half-open one nothing or half a
 * request, then it waits for its deadline. */
static void conn_ready(flood *F, size_t i, unsigned char *buf) {
  conn *c = &F->conns[i];
  c->connecting = 0;
  size_t len = flood_tcp_payload(&F->rng, c->storm, buf, FLOOD_MAX_DATAGRAM);
  if (len) {
    ssize_t w = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w > 0) F->bytes += (unsigned long long)w;
  }
  if (c->storm) conn_close(F, i, (int)(flood_rand(&F->rng) & 1));
  else c->deadline = now_us() + 100000u + flood_rand(&F->rng) % 2900000u;
}

static void conn_open(flood *F, int k, unsigned char *buf) {
  if (F->nconns == F->cap) return;
  int fd = socket(F->to.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  F->connections++;
  if (fd < 0) {
    F->conns_failed++;
    return;
  }
  int rc = connect(fd, (struct sockaddr *)&F->to, F->tolen);
  if (rc < 0 && errno != EINPROGRESS) {
    F->conns_failed++;
    close(fd);
    return;
  }
  F->conns_opened[k]++;
  int storm = k == FLOOD_STORM;
  if (!storm) F->open_half++;
  size_t i = F->nconns++;
  F->conns[i] = (conn){fd, 1, storm, now_us() + CONNECT_WAIT_US};
  if (rc == 0) conn_ready(F, i, buf);
}

/* Polls the open connections once (no wait): finishes connects, closes what is due. */
static void conn_turn(flood *F, struct pollfd *pfd, unsigned char *buf) {
  size_t n = F->nconns;
  for (size_t i = 0; i < n; i++) pfd[i] = (struct pollfd){F->conns[i].fd, F->conns[i].connecting ? POLLOUT : 0, 0};
  if (n && poll(pfd, (nfds_t)n, 0) < 0) return;
  uint64_t now = now_us();
  /* walk backwards: conn_close() moves the last entry into the hole */
  for (size_t j = n; j-- > 0;) {
    conn *c = &F->conns[j];
    if (c->connecting) {
      if (pfd[j].revents & (POLLERR | POLLHUP)) {
        F->conns_failed++;
        conn_close(F, j, 0);
      } else if (pfd[j].revents & POLLOUT) {
        conn_ready(F, j, buf);
      } else if (now >= c->deadline) {
        F->conns_timed_out++;
        conn_close(F, j, 0);
      }
    } else if (pfd[j].revents & (POLLERR | POLLHUP) || now >= c->deadline) {
      conn_close(F, j, 0);
    }
  }
}

static void print_summary(const flood *F, double secs, int json) {
  double s = secs > 0 ? secs : 1;
  unsigned long long conns = 0, udp = 0;
  for (int k = 0; k < FLOOD_KINDS; k++) {
    conns += F->conns_opened[k];
    if (!flood_kind_is_tcp(k)) udp += F->sent[k];
  }
  if (json) {
    printf("{\"seconds\":%.3f,\"datagrams\":%llu,\"datagrams_per_s\":%.0f,\"bytes\":%llu,\"send_errors\":%llu,"
           "\"responses\":%llu,\"connections\":%llu,\"connections_per_s\":%.0f,\"connect_failed\":%llu,"
           "\"connect_timed_out\":%llu,\"closed_with_rst\":%llu,\"peak_half_open\":%u,\"by_kind\":{",
           secs, udp, udp / s, F->bytes, F->send_errors, F->responses, conns, conns / s, F->conns_failed,
           F->conns_timed_out, F->conns_rst, F->peak_open);
    for (int k = 0; k < FLOOD_KINDS; k++)
      printf("%s\"%s\":%llu", k ? "," : "", flood_kind_name(k),
             flood_kind_is_tcp(k) ? F->conns_opened[k] : F->sent[k]);
    printf("}}\n");
    return;
  }
  printf("flood: %.2f s: %llu datagrams (%.0f/s, %.1f MB/s), %llu send errors, %llu responses back;\n", secs, udp,
         udp / s, F->bytes / s / 1e6, F->send_errors, F->responses);
  printf("       %llu TCP connections (%.0f/s), %llu failed, %llu timed out connecting, %llu closed with RST, "
         "%u half-open at most\n",
         conns, conns / s, F->conns_failed, F->conns_timed_out, F->conns_rst, F->peak_open);
  printf("       by kind:");
  for (int k = 0; k < FLOOD_KINDS; k++)
    if (F->weights[k])
      printf(" %s %llu", flood_kind_name(k), flood_kind_is_tcp(k) ? F->conns_opened[k] : F->sent[k]);
  printf("\n");
}

static int usage_error(const char *what) {
  fprintf(stderr, PROG ": %s (try '" PROG " --help')\n", what);
  return 2;
}

int main(int argc, char **argv) {
  static flood F;
  const char *target = NULL, *mix = NULL;
  unsigned long duration = 30, seed = 1;
  int json = 0;
  char why[256];
  F.max_open = 200;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    unsigned long *num = NULL, lo = 0, hi = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(a, "--json")) {
      json = 1;
      continue;
    } else if (!strcmp(a, "--target")) {
      target = v;
    } else if (!strcmp(a, "--mix")) {
      mix = v;
    } else if (!strcmp(a, "--duration")) {
      num = &duration, lo = 1, hi = 600;
    } else if (!strcmp(a, "--rate")) {
      num = &F.rate, lo = 0, hi = 100000000;
    } else if (!strcmp(a, "--conn-rate")) {
      num = &F.conn_rate, lo = 0, hi = 1000000;
    } else if (!strcmp(a, "--max-open")) {
      num = &F.max_open, lo = 1, hi = 4096;
    } else if (!strcmp(a, "--max-packets")) {
      num = &F.max_packets, lo = 1, hi = ~0ul;
    } else if (!strcmp(a, "--max-conns")) {
      num = &F.max_conns, lo = 1, hi = ~0ul;
    } else if (!strcmp(a, "--seed")) {
      num = &seed, lo = 0, hi = ~0ul;
    } else {
      snprintf(why, sizeof why, "unknown argument '%s'", a);
      return usage_error(why);
    }
    if (!v) {
      snprintf(why, sizeof why, "%s needs a value", a);
      return usage_error(why);
    }
    if (num && parse_ulong(v, lo, hi, num)) {
      snprintf(why, sizeof why, "%s: '%s' is not a number from %lu to %lu", a, v, lo, hi);
      return usage_error(why);
    }
    i++;
  }
  if (!target) return usage_error("--target HOST:PORT is required");
  if (parse_target(target, &F.to, &F.tolen, why, sizeof why)) return usage_error(why);
  if (mix) {
    if (parse_mix(mix, F.weights, why, sizeof why)) return usage_error(why);
  } else {
    for (int k = 0; k < FLOOD_KINDS; k++) F.weights[k] = 1;
  }
  for (int k = 0; k < FLOOD_KINDS; k++) *(flood_kind_is_tcp(k) ? &F.tcp_total : &F.udp_total) += F.weights[k];
  if (!F.udp_total && !F.tcp_total) return usage_error("--mix: no kind");
  flood_rng_seed(&F.rng, seed);

  F.udp = -1;
  if (F.udp_total) {
    F.udp = socket(F.to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_storage me;
    socklen_t melen = sizeof me;
    if (F.udp < 0 || connect(F.udp, (struct sockaddr *)&F.to, F.tolen) != 0 ||
        getsockname(F.udp, (struct sockaddr *)&me, &melen) != 0) {
      fprintf(stderr, PROG ": cannot open a UDP socket toward %s: %s\n", target, strerror(errno));
      if (F.udp >= 0) close(F.udp);
      return 1;
    }
    /* connected: an ICMP port unreachable comes back as ECONNREFUSED (a send error) */
    F.udp_port = ntohs(me.ss_family == AF_INET ? ((struct sockaddr_in *)&me)->sin_port
                                               : ((struct sockaddr_in6 *)&me)->sin6_port);
  }
  F.cap = F.max_open + STORM_BATCH * 64;
  F.conns = calloc(F.cap, sizeof *F.conns);
  struct pollfd *pfd = calloc(F.cap, sizeof *pfd);
  unsigned char *buf = malloc(FLOOD_MAX_DATAGRAM);
  if (!F.conns || !pfd || !buf) {
    fprintf(stderr, PROG ": out of memory\n");
    return 1;
  }

  uint64_t t0 = now_us(), end = t0 + (uint64_t)duration * 1000000u;
  int half_on = F.weights[FLOOD_HALF_OPEN] != 0, storm_on = F.weights[FLOOD_STORM] != 0;
  for (uint64_t now = t0; now < end; now = now_us()) {
    double el = (double)(now - t0) / 1e6;
    int idle = 1;
    if (F.udp >= 0 && (!F.max_packets || F.packets < F.max_packets)) {
      unsigned n = UDP_BATCH;
      if (F.rate) {
        double due = (double)F.rate * el + 1 - (double)F.packets;
        n = due <= 0 ? 0 : due < n ? (unsigned)due : n;
      }
      if (F.max_packets && F.packets + n > F.max_packets) n = (unsigned)(F.max_packets - F.packets);
      if (n) {
        udp_turn(&F, n, buf);
        idle = 0;
      }
    }
    if (storm_on || half_on) {
      unsigned n = STORM_BATCH;
      if (F.conn_rate) {
        double due = (double)F.conn_rate * el + 1 - (double)F.connections;
        n = due <= 0 ? 0 : due < n ? (unsigned)due : n;
      }
      for (unsigned i = 0; i < n && (!F.max_conns || F.connections < F.max_conns); i++) {
        int k = pick(&F, 1);
        if (k == FLOOD_HALF_OPEN && F.open_half >= F.max_open) {
          if (!storm_on) break;
          k = FLOOD_STORM;
        }
        conn_open(&F, k, buf);
        idle = 0;
      }
      if (F.open_half > F.peak_open) F.peak_open = F.open_half;
      conn_turn(&F, pfd, buf);
    }
    if (idle) {
      struct timespec ts = {0, 200000}; /* capped: wait 0.2 ms for the next due send */
      nanosleep(&ts, NULL);
    }
  }
  double secs = (double)(now_us() - t0) / 1e6;
  while (F.nconns) conn_close(&F, F.nconns - 1, 0);
  if (F.udp >= 0) close(F.udp);
  print_summary(&F, secs, json);
  free(F.conns);
  free(pfd);
  free(buf);
  unsigned long long any = F.packets + F.connections;
  if (!any) {
    fprintf(stderr, PROG ": nothing was sent\n");
    return 1;
  }
  return fflush(stdout) ? 1 : 0;
}
