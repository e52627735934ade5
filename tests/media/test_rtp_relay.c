/* test_rtp_relay.c: two RTP endpoints talking through a loopback relay under a virtual clock.
 * The relay drops a seeded set of A's RTP packets and delays the others by seeded amounts,
 * and delays every RTCP packet by a fixed amount each way. Checked: B's cumulative loss
 * equals the relay's drop count exactly; B's jitter equals RFC 3550's A.8 formula computed
 * from the relay's own RTP timestamps and delivery times (within 1 timestamp unit); A's RTT
 * equals twice the RTCP delay (within 1 ms); the BYE arrives. Separately: symmetric RTP
 * (a packet from another address is counted and ignored), an SSRC change, malformed RTCP
 * counted and dropped, and a peer that sends no RTCP (RTT absent, not zero). */
#include <arpa/inet.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cunit_main.h"
#include "sipspec/clock.h"
#include "sipspec/error.h"
#include "sipspec/rtp.h"

#define RTCP_DELAY_MS 25
#define DROP_UNTIL_MS 15000
#define RUN_MS 20000
#define MAXQ 4096

static int udp_socket(unsigned *port) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) return -1;
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  *port = ntohs(a.sin_port);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL, 0) | O_NONBLOCK);
  return fd;
}

static void to_addr(struct sockaddr_in *a, unsigned port) {
  memset(a, 0, sizeof *a);
  a->sin_family = AF_INET;
  a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a->sin_port = htons((uint16_t)port);
}

/* ---- the relay ------------------------------------------------------------------------------- */

typedef struct relay relay;
typedef struct held {
  sipspec_clock_timer t;
  relay *rl;
  int out_fd;
  struct sockaddr_in to;
  uint8_t data[1500];
  size_t len;
  int a_to_b_rtp;
  int used;
} held;

struct relay {
  sipspec_clock *clock;
  int fd[4];          /* 0: A's RTP side, 1: A's RTCP side, 2: B's RTP side, 3: B's RTCP side */
  unsigned port[4];
  ev_io w[4];
  unsigned a_rtp, a_rtcp, b_rtp, b_rtcp; /* the endpoints' ports */
  uint64_t rng, start_ms;
  held q[MAXQ];
  unsigned nq;
  unsigned seen, drops, delivered;
  /* A.8 from the relay's own times, over the packets B takes (all but the first) */
  double J;
  uint32_t transit;
  unsigned njit;
};

static uint32_t lcg(relay *r) {
  r->rng = r->rng * 6364136223846793005ULL + 1442695040888963407ULL;
  return (uint32_t)(r->rng >> 33);
}

static void deliver(sipspec_clock_timer *t, void *arg) {
  held *h = arg;
  (void)t;
  relay *r = h->rl;
  sendto(h->out_fd, h->data, h->len, 0, (struct sockaddr *)&h->to, sizeof h->to);
  if (h->a_to_b_rtp) {
    /* RFC 3550 A.8 from the relay's delivery time, which is B's arrival time */
    uint32_t ts = ((uint32_t)h->data[4] << 24) | ((uint32_t)h->data[5] << 16) | ((uint32_t)h->data[6] << 8) | h->data[7];
    uint32_t arrival = (uint32_t)(sipspec_clock_now_ms(r->clock) * 8u);
    uint32_t transit = arrival - ts;
    if (r->delivered == 1) r->transit = transit; /* B's first counted packet (after probation) */
    else if (r->delivered > 1) {
      int32_t d = (int32_t)(transit - r->transit);
      r->transit = transit;
      if (d < 0) d = -d;
      r->J += (d - r->J) / 16.0;
      r->njit++;
    }
    r->delivered++;
  }
  h->used = 0;
}

static void relay_io(struct ev_loop *loop, ev_io *w, int revents) {
  relay *r = w->data;
  (void)loop;
  (void)revents;
  int i = (int)(w - r->w);
  for (int k = 0; k < 64; k++) {
    uint8_t buf[1500];
    ssize_t n = recv(r->fd[i], buf, sizeof buf, 0);
    if (n <= 0) return;
    int other = i < 2 ? i + 2 : i - 2; /* out of the other side's socket: symmetric */
    unsigned dest = i == 0 ? r->b_rtp : i == 1 ? r->b_rtcp : i == 2 ? r->a_rtp : r->a_rtcp;
    unsigned delay = RTCP_DELAY_MS;
    int a_to_b_rtp = i == 0;
    if (a_to_b_rtp) {
      r->seen++;
      uint32_t x = lcg(r);
      /* seeded drops (3%), never among the first five packets (probation) nor late ones */
      if (r->seen > 5 && sipspec_clock_now_ms(r->clock) - r->start_ms < DROP_UNTIL_MS && x % 100 < 3) {
        r->drops++;
        continue;
      }
      delay = r->seen > 5 ? (x >> 8) % 45 : 0; /* 0..44 ms: reorders some packets, not during probation */
    } else if (i == 2) {
      delay = 5;
    }
    held *h = NULL;
    for (unsigned j = 0; j < MAXQ; j++)
      if (!r->q[j].used) {
        h = &r->q[j];
        break;
      }
    CU_ASSERT_PTR_NOT_NULL_FATAL(h);
    h->used = 1;
    h->rl = r;
    h->out_fd = r->fd[other];
    to_addr(&h->to, dest);
    memcpy(h->data, buf, (size_t)n);
    h->len = (size_t)n;
    h->a_to_b_rtp = a_to_b_rtp;
    sipspec_clock_timer_init(&h->t, deliver, h);
    sipspec_clock_timer_after(r->clock, &h->t, delay);
  }
}

static int tone(void *user, uint8_t *buf, size_t cap) {
  (void)user;
  memset(buf, 0xFF, cap); /* mu-law silence */
  return (int)cap;
}

static void test_relay_loss_jitter_rtt(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *clock = sipspec_clock_virtual_new(loop, 1700000000000ull);
  relay *r = calloc(1, sizeof *r);
  r->clock = clock;
  r->rng = 20240614;
  r->start_ms = sipspec_clock_now_ms(clock);
  for (int i = 0; i < 4; i++) {
    r->fd[i] = udp_socket(&r->port[i]);
    CU_ASSERT_FATAL(r->fd[i] >= 0);
    ev_io_init(&r->w[i], relay_io, r->fd[i], EV_READ);
    r->w[i].data = r;
    ev_io_start(loop, &r->w[i]);
  }
  char err[256] = "";
  sipspec_rtp_opts oa, ob;
  sipspec_rtp_opts_init(&oa);
  oa.clock = clock;
  oa.bind_host = "127.0.0.1";
  oa.remote_host = "127.0.0.1";
  oa.remote_port = r->port[0];
  oa.remote_rtcp_port = r->port[1]; /* as a=rtcp would give it */
  oa.rtcp_min_interval_ms = 1000;
  oa.seed = 1;
  oa.cname = "a@127.0.0.1";
  oa.source = tone;
  ob = oa;
  ob.remote_port = r->port[2];
  ob.remote_rtcp_port = r->port[3];
  ob.seed = 2;
  ob.cname = "b@127.0.0.1";
  sipspec_rtp *a = NULL, *b = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&oa, &a, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&ob, &b, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_rtp_local_port(a) % 2, 0);
  CU_ASSERT_EQUAL(sipspec_rtp_local_rtcp_port(a), sipspec_rtp_local_port(a) + 1);
  r->a_rtp = sipspec_rtp_local_port(a);
  r->a_rtcp = sipspec_rtp_local_rtcp_port(a);
  r->b_rtp = sipspec_rtp_local_port(b);
  r->b_rtcp = sipspec_rtp_local_rtcp_port(b);
  sipspec_clock_run(clock, RUN_MS, NULL, NULL);
  const sipspec_rtp_stats *sa = sipspec_rtp_get_stats(a), *sb = sipspec_rtp_get_stats(b);
  printf("\n  A sent %llu, relay saw %u dropped %u delivered %u; B received %llu lost %lld; "
         "jitter B %u (relay %.3f over %u); RTT at A %.3f ms (min %.3f max %.3f); RTCP A %llu B %llu\n",
         (unsigned long long)sa->packets_sent, r->seen, r->drops, r->delivered, (unsigned long long)sb->packets_received,
         (long long)sb->lost, sb->jitter_ts, r->J, r->njit, sa->rtt_ms, sa->rtt_min_ms, sa->rtt_max_ms,
         (unsigned long long)sa->rtcp_sent, (unsigned long long)sb->rtcp_sent);
  CU_ASSERT_TRUE(sa->packets_sent >= 990 && sa->packets_sent <= 1001); /* 20 ms packets for 20 s */
  CU_ASSERT_TRUE(r->drops > 10);
  CU_ASSERT_EQUAL(sb->lost, (int64_t)r->drops);
  CU_ASSERT_EQUAL(sb->packets_received + 1, r->delivered); /* the first was probation */
  CU_ASSERT_TRUE(r->njit > 900);
  CU_ASSERT_TRUE(fabs((double)sb->jitter_ts - r->J) <= 1.0);
  CU_ASSERT_TRUE(r->J > 50); /* the delays really made jitter (0..44 ms spread) */
  CU_ASSERT_TRUE(sa->rtt_known);
  CU_ASSERT_TRUE(fabs(sa->rtt_ms - 2 * RTCP_DELAY_MS) <= 1.0);
  CU_ASSERT_TRUE(sb->rtt_known);
  CU_ASSERT_TRUE(fabs(sb->rtt_ms - 2 * RTCP_DELAY_MS) <= 1.0);
  /* RTCP at the A.7 interval with Tmin = 1 s: between 20 s / 1.5 * 1.218 and 20 s / 0.5 * 1.218 */
  CU_ASSERT_TRUE(sa->rtcp_sent >= 13 && sa->rtcp_sent <= 50);
  CU_ASSERT_TRUE(sa->peer_report);
  CU_ASSERT_EQUAL(sa->rtcp_malformed + sb->rtcp_malformed + sa->rtp_foreign + sb->rtp_foreign, 0);
  CU_ASSERT_TRUE(sb->jitter_samples > 0 && sb->jitter_min_ms <= sb->jitter_mean_ms && sb->jitter_mean_ms <= sb->jitter_max_ms);
  double rf, mos;
  CU_ASSERT_EQUAL(sipspec_rtp_mos(sa, &rf, &mos), SIPSPEC_OK);
  /* BYE at the end reaches B after the RTCP delay */
  sipspec_rtp_stop(a, "bye");
  CU_ASSERT_EQUAL(sa->rtcp_bye_sent, 1);
  sipspec_clock_run(clock, 100, NULL, NULL);
  CU_ASSERT_EQUAL(sb->rtcp_bye_received, 1);
  sipspec_rtp_free(a);
  sipspec_rtp_free(b);
  for (int i = 0; i < 4; i++) {
    ev_io_stop(loop, &r->w[i]);
    close(r->fd[i]);
  }
  for (unsigned j = 0; j < MAXQ; j++)
    if (r->q[j].used) sipspec_clock_timer_stop(clock, &r->q[j].t);
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(clock), 0);
  free(r);
  sipspec_clock_free(clock);
  ev_loop_destroy(loop);
}

/* A raw peer: RTP from another address is foreign; an SSRC change starts a new source;
 * malformed RTCP is counted; with no RTCP from the peer the RTT stays absent. */
static void rtp_pkt(uint8_t *p, uint16_t seq, uint32_t ts, uint32_t ssrc) {
  memset(p, 0xFF, 172);
  p[0] = 0x80;
  p[1] = 0;
  p[2] = (uint8_t)(seq >> 8);
  p[3] = (uint8_t)seq;
  p[4] = (uint8_t)(ts >> 24);
  p[5] = (uint8_t)(ts >> 16);
  p[6] = (uint8_t)(ts >> 8);
  p[7] = (uint8_t)ts;
  p[8] = (uint8_t)(ssrc >> 24);
  p[9] = (uint8_t)(ssrc >> 16);
  p[10] = (uint8_t)(ssrc >> 8);
  p[11] = (uint8_t)ssrc;
}

static void test_symmetric_ssrc_malformed(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *clock = sipspec_clock_virtual_new(loop, 1000000);
  unsigned pport, pcport, sport;
  int peer = udp_socket(&pport), peer_rtcp = udp_socket(&pcport), stranger = udp_socket(&sport);
  CU_ASSERT_FATAL(peer >= 0 && peer_rtcp >= 0 && stranger >= 0);
  sipspec_rtp_opts o;
  sipspec_rtp_opts_init(&o);
  o.clock = clock;
  o.bind_host = "127.0.0.1";
  o.remote_host = "127.0.0.1";
  o.remote_port = pport;
  o.remote_rtcp_port = pcport;
  o.seed = 3;
  sipspec_rtp *e = NULL;
  char err[256];
  CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&o, &e, err, sizeof err), SIPSPEC_OK);
  struct sockaddr_in to, tc;
  to_addr(&to, sipspec_rtp_local_port(e));
  to_addr(&tc, sipspec_rtp_local_rtcp_port(e));
  uint8_t p[172];
  for (int i = 0; i < 10; i++) {
    rtp_pkt(p, (uint16_t)(65530 + i), 160u * (unsigned)i, 0x1111);
    sendto(peer, p, sizeof p, 0, (struct sockaddr *)&to, sizeof to);
    sipspec_clock_run(clock, 20, NULL, NULL);
  }
  rtp_pkt(p, 7, 0, 0x1111);
  sendto(stranger, p, sizeof p, 0, (struct sockaddr *)&to, sizeof to); /* not the negotiated peer */
  for (int i = 0; i < 5; i++) {
    rtp_pkt(p, (uint16_t)(300 + i), 5000u + 160u * (unsigned)i, 0x2222);
    sendto(peer, p, sizeof p, 0, (struct sockaddr *)&to, sizeof to);
    sipspec_clock_run(clock, 20, NULL, NULL);
  }
  uint8_t junk[12] = {0x81, 201, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0}; /* RR claiming a block it lacks */
  sendto(peer_rtcp, junk, sizeof junk, 0, (struct sockaddr *)&tc, sizeof tc);
  uint8_t junk2[3] = {0x80, 200, 0};
  sendto(peer_rtcp, junk2, sizeof junk2, 0, (struct sockaddr *)&tc, sizeof tc);
  sipspec_clock_run(clock, 20000, NULL, NULL);
  const sipspec_rtp_stats *st = sipspec_rtp_get_stats(e);
  CU_ASSERT_EQUAL(st->rtp_foreign, 1);
  CU_ASSERT_EQUAL(st->ssrc_changes, 1);
  CU_ASSERT_EQUAL(st->remote_ssrc, 0x2222u);
  CU_ASSERT_EQUAL(st->packets_received, 9 + 4); /* one probation packet per source */
  CU_ASSERT_EQUAL(st->lost, 0);
  CU_ASSERT_EQUAL(st->rtcp_malformed, 2);
  CU_ASSERT_EQUAL(st->rtcp_received, 0);
  CU_ASSERT_FALSE(st->rtt_known); /* no RTCP from the peer: no RTT, not 0 */
  double rf, mos;
  CU_ASSERT_EQUAL(sipspec_rtp_mos(st, &rf, &mos), SIPSPEC_E_STATE);
  CU_ASSERT_TRUE(st->rtcp_sent >= 2); /* our RRs went out meanwhile */
  /* the peer's RTCP socket got our receiver reports */
  uint8_t buf[512];
  ssize_t n = recv(peer_rtcp, buf, sizeof buf, MSG_DONTWAIT);
  CU_ASSERT_TRUE(n >= 8 && buf[1] == 201);
  sipspec_rtp_free(e);
  close(peer);
  close(peer_rtcp);
  close(stranger);
  sipspec_clock_free(clock);
  ev_loop_destroy(loop);
}

static const tst_case TESTS[] = {
    {"relay_loss_jitter_rtt", test_relay_loss_jitter_rtt},
    {"symmetric_ssrc_malformed_no_rtcp", test_symmetric_ssrc_malformed},
    {NULL, NULL},
};

int main(void) { return tst_main("media_rtp_relay", TESTS); }
