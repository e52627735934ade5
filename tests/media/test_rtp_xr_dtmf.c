/* test_rtp_xr_dtmf.c: RFC 3611 §4.7 VoIP metrics (the block parsed from bytes laid out as the
 * RFC's figure draws them, written and read back, the burst/gap figures of its Appendix A.2
 * and the E-model estimate against values computed by hand), RFC 4733 telephone-events as
 * they go on the wire (marker, timestamps, durations, end packets) and as a second endpoint
 * reports them, RFC 5761 rtcp-mux between two endpoints, and the SDP audio reader. */
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
#include "media/media_internal.h"
#include "sipspec/clock.h"
#include "sipspec/error.h"
#include "sipspec/rtp.h"

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

/* ---- RFC 3611 §4.7 -------------------------------------------------------------------------- */

/* An RR with no block, then an XR with one VoIP metrics block whose every field has its own
 * value, placed byte by byte as in the figure of §4.7. */
static void test_xr_parse_rfc_layout(void) {
  uint8_t pkt[8 + 8 + 36] = {
      0x80, 201, 0, 1, 0x11, 0x22, 0x33, 0x44,               /* RR, SSRC 0x11223344 */
      0x80, 207, 0, 10, 0x11, 0x22, 0x33, 0x44,              /* XR, length 10 words, SSRC */
      7, 0, 0, 8,                                            /* BT=7, reserved, block length 8 */
      0xAA, 0xBB, 0xCC, 0xDD,                                /* SSRC of source */
      12, 3, 40, 5,                                          /* loss, discard, burst density, gap density */
      0x01, 0x2C, 0x13, 0x88,                                /* burst 300 ms, gap 5000 ms */
      0x00, 0x64, 0x00, 0x28,                                /* round trip 100 ms, end system 40 ms */
      0xEC, 0xB5, 127, 16,                                   /* signal -20, noise -75 dBm, RERL, Gmin */
      87, 127, 41, 39,                                       /* R, ext R, MOS-LQ, MOS-CQ */
      0xF4, 0, 0x00, 0x3C,                                   /* RX config 11 11 0100, JB nominal 60 */
      0x00, 0x78, 0x00, 0xF0,                                /* JB max 120, JB abs max 240 */
  };
  rtcp_parsed p;
  const char *why = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_rtcp_parse(pkt, sizeof pkt, &p, &why), 0);
  CU_ASSERT_EQUAL(p.npackets, 2);
  CU_ASSERT_TRUE(p.has_voip);
  CU_ASSERT_EQUAL(p.xr_ssrc, 0x11223344u);
  const rtcp_voip *v = &p.voip;
  CU_ASSERT_EQUAL(v->ssrc, 0xAABBCCDDu);
  CU_ASSERT_EQUAL(v->loss_rate, 12);
  CU_ASSERT_EQUAL(v->discard_rate, 3);
  CU_ASSERT_EQUAL(v->burst_density, 40);
  CU_ASSERT_EQUAL(v->gap_density, 5);
  CU_ASSERT_EQUAL(v->burst_ms, 300);
  CU_ASSERT_EQUAL(v->gap_ms, 5000);
  CU_ASSERT_EQUAL(v->rtt_ms, 100);
  CU_ASSERT_EQUAL(v->end_system_delay_ms, 40);
  CU_ASSERT_EQUAL((int8_t)v->signal_level, -20);
  CU_ASSERT_EQUAL((int8_t)v->noise_level, -75);
  CU_ASSERT_EQUAL(v->rerl, 127);
  CU_ASSERT_EQUAL(v->gmin, 16);
  CU_ASSERT_EQUAL(v->r_factor, 87);
  CU_ASSERT_EQUAL(v->ext_r_factor, 127);
  CU_ASSERT_EQUAL(v->mos_lq, 41);
  CU_ASSERT_EQUAL(v->mos_cq, 39);
  CU_ASSERT_EQUAL(v->rx_config, 0xF4);
  CU_ASSERT_EQUAL(v->jb_nominal_ms, 60);
  CU_ASSERT_EQUAL(v->jb_max_ms, 120);
  CU_ASSERT_EQUAL(v->jb_abs_max_ms, 240);
  /* a block length other than 8 for BT 7 is malformed; one that runs past the packet too */
  pkt[16 + 3] = 7;
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(pkt, sizeof pkt, &p, &why), -1);
  pkt[16 + 3] = 9;
  CU_ASSERT_EQUAL(sipspec_rtcp_parse(pkt, sizeof pkt, &p, &why), -1);
  CU_ASSERT_PTR_NOT_NULL(why);
}

static void test_xr_write_read(void) {
  rtcp_voip v;
  memset(&v, 0, sizeof v);
  v.ssrc = 0x01020304;
  v.loss_rate = 9;
  v.burst_density = 153;
  v.gap_density = 4;
  v.burst_ms = 100;
  v.gap_ms = 1240;
  v.rtt_ms = 52;
  v.signal_level = v.noise_level = v.rerl = 127;
  v.gmin = 16;
  v.r_factor = 92;
  v.ext_r_factor = 127;
  v.mos_lq = 127;
  v.mos_cq = 44;
  v.jb_abs_max_ms = 0xFFFF;
  uint8_t buf[256];
  rtcp_writer w;
  rtcp_writer_init(&w, buf, sizeof buf);
  rtcp_write_report(&w, 0x55, 0, 0, 0, 0, 0, 0, NULL, 0);
  rtcp_write_xr_voip(&w, 0x55, &v);
  CU_ASSERT_TRUE_FATAL(w.ok);
  CU_ASSERT_EQUAL(w.len, 8 + 44);
  CU_ASSERT_EQUAL(buf[8], 0x80); /* V=2, P=0, reserved 0 */
  CU_ASSERT_EQUAL(buf[9], 207);
  CU_ASSERT_EQUAL(buf[11], 10);
  rtcp_parsed p;
  CU_ASSERT_EQUAL_FATAL(sipspec_rtcp_parse(buf, w.len, &p, NULL), 0);
  CU_ASSERT_TRUE(p.has_voip);
  CU_ASSERT_EQUAL(memcmp(&p.voip, &v, sizeof v), 0);
  /* no room: nothing written */
  rtcp_writer_init(&w, buf, 40);
  rtcp_write_xr_voip(&w, 1, &v);
  CU_ASSERT_FALSE(w.ok);
  CU_ASSERT_EQUAL(w.len, 0);
}

/* RFC 3611 A.2 by hand over: 20 received, 1 lost, 20 received, 2 lost, 2 received, 1 lost,
 * 20 received (Gmin 16, 20 ms packets). Following A.2: the first loss after 20 received:
 * c13 = 1 (lost was 0), c11 = 20; the second after 20 more: lost == 1, c14 = 1, c11 = 40;
 * the third right after it: c33 = 1; after 2 received the fourth: c23 = 1, c22 = 1; the 20
 * received at the end are a gap (>= Gmin): c11 = 60. Then c31 = c13 = 1, c32 = c23 = 1,
 * ctotal = 60 + 1 + 1 + 1 + 1 + 1 + 1 + 1 = 67, p32 = 1/3, p23 = 1 - 1/2 = 1/2,
 * burst density = 256 * 0.5 / (0.5 + 1/3) = 153.6 -> 153, gap density = 256 * 1 / 61 = 4.2
 * -> 4, gap length = 62 * 20 / 1 = 1240 ms, burst length = 67 * 20 / 1 - 1240 = 100 ms. */
static void test_burst_gap_by_hand(void) {
  sipspec_rtp_burst b;
  sipspec_rtp_burst_init(&b, 16);
  static const int runs[][2] = {{0, 20}, {1, 1}, {0, 20}, {1, 2}, {0, 2}, {1, 1}, {0, 20}};
  for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
    for (int k = 0; k < runs[i][1]; k++) sipspec_rtp_burst_event(&b, runs[i][0]);
  CU_ASSERT_EQUAL(b.c11, 40); /* the last 20 are not in c11 until the next loss */
  CU_ASSERT_EQUAL(b.c13, 1);
  CU_ASSERT_EQUAL(b.c14, 1);
  CU_ASSERT_EQUAL(b.c22, 1);
  CU_ASSERT_EQUAL(b.c23, 1);
  CU_ASSERT_EQUAL(b.c33, 1);
  CU_ASSERT_EQUAL(b.loss_count, 4);
  uint8_t bd, gd;
  uint16_t bms, gms;
  sipspec_rtp_burst_metrics(&b, 20, &bd, &gd, &bms, &gms);
  CU_ASSERT_EQUAL(bd, 153);
  CU_ASSERT_EQUAL(gd, 4);
  CU_ASSERT_EQUAL(bms, 100);
  CU_ASSERT_EQUAL(gms, 1240);
  /* no loss at all: one gap as long as the stream, no burst */
  sipspec_rtp_burst_init(&b, 16);
  for (int k = 0; k < 50; k++) sipspec_rtp_burst_event(&b, 0);
  sipspec_rtp_burst_metrics(&b, 20, &bd, &gd, &bms, &gms);
  CU_ASSERT_EQUAL(bd, 0);
  CU_ASSERT_EQUAL(gd, 0);
  CU_ASSERT_EQUAL(bms, 0);
  CU_ASSERT_EQUAL(gms, 1000);
}

/* The E-model of sipspec_rtp_mos() (ITU-T G.107 simplified for G.711, docs/media.md), by
 * hand:
 *  1. RTT 100 ms, jitter 0, no loss: d = 50, Id = 0.024 * 50 = 1.2, Ie,eff = 0, R = 92.0,
 *     MOS = 1 + 0.035 * 92 + 7e-6 * 92 * 32 * 8 = 4.384864 (XR: R 92, MOS-CQ 44).
 *  2. RTT 400 ms, jitter 10 ms, 5 of 100 lost: d = 210, Id = 5.04 + 0.11 * 32.7 = 8.637,
 *     Ppl = 5, Ie,eff = 95 * 5 / 9.3 = 51.07527, R = 33.48773, MOS = 1 + 1.17207 + 7e-6 *
 *     33.48773 * (-26.51227) * 66.51227 = 1.75871 (XR: 33, 18).
 *  3. RTT 20 ms, jitter 2.5 ms, 1 of 50 lost: d = 12.5, Id = 0.3, Ppl = 2, Ie,eff = 190 /
 *     6.3 = 30.15873, R = 62.74127, MOS = 3.24080 (XR: 63, 32).
 *  4. RTT unknown: no estimate, the XR fields 127 (RFC 3611 §4.7.5 "unavailable"). */
static void test_emodel_by_hand(void) {
  static const struct { double rtt, jit; int64_t lost; uint32_t expected; double r, mos; int xr_r, xr_cq; } C[] = {
      {100, 0, 0, 100, 92.0, 4.384864, 92, 44},
      {400, 10, 5, 100, 33.48773, 1.75871, 33, 18},
      {20, 2.5, 1, 50, 62.74127, 3.24080, 63, 32},
  };
  for (size_t i = 0; i < sizeof C / sizeof C[0]; i++) {
    sipspec_rtp_stats st;
    memset(&st, 0, sizeof st);
    st.rtt_known = 1;
    st.rtt_ms = C[i].rtt;
    st.jitter_ms = C[i].jit;
    st.lost = C[i].lost;
    st.expected = C[i].expected;
    double r = 0, m = 0;
    CU_ASSERT_EQUAL(sipspec_rtp_mos(&st, &r, &m), SIPSPEC_OK);
    CU_ASSERT_DOUBLE_EQUAL(r, C[i].r, 1e-4);
    CU_ASSERT_DOUBLE_EQUAL(m, C[i].mos, 1e-4);
    uint8_t xr, cq;
    sipspec_rtp_xr_quality(&st, &xr, &cq);
    CU_ASSERT_EQUAL(xr, C[i].xr_r);
    CU_ASSERT_EQUAL(cq, C[i].xr_cq);
  }
  sipspec_rtp_stats st;
  memset(&st, 0, sizeof st);
  st.jitter_ms = 3;
  double r, m;
  CU_ASSERT_EQUAL(sipspec_rtp_mos(&st, &r, &m), SIPSPEC_E_STATE);
  uint8_t xr = 0, cq = 0;
  sipspec_rtp_xr_quality(&st, &xr, &cq);
  CU_ASSERT_EQUAL(xr, 127);
  CU_ASSERT_EQUAL(cq, 127);
}

/* ---- RFC 4733 on the wire ------------------------------------------------------------------ */

static int silence(void *user, uint8_t *buf, size_t cap) {
  (void)user;
  memset(buf, 0xFF, cap);
  return (int)cap;
}

typedef struct rx_pkt {
  int marker;
  unsigned pt;
  uint16_t seq;
  uint32_t ts;
  uint8_t p[4];
  size_t len;
} rx_pkt;

/* An endpoint with a silent source sends "1#" to a raw socket; what arrives, in order. */
static void test_dtmf_on_the_wire(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *clock = sipspec_clock_virtual_new(loop, 5000000);
  unsigned pport, pcport;
  int peer = udp_socket(&pport), peer_rtcp = udp_socket(&pcport);
  CU_ASSERT_FATAL(peer >= 0 && peer_rtcp >= 0);
  sipspec_rtp_opts o;
  sipspec_rtp_opts_init(&o);
  o.clock = clock;
  o.bind_host = "127.0.0.1";
  o.remote_host = "127.0.0.1";
  o.remote_port = pport;
  o.remote_rtcp_port = pcport;
  o.seed = 7;
  o.source = silence;
  sipspec_rtp *e = NULL;
  char err[256];
  CU_ASSERT_EQUAL(sipspec_rtp_send_dtmf(NULL, "1", 0, 0), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&o, &e, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_rtp_send_dtmf(e, "1", 0, 0), SIPSPEC_E_STATE); /* no telephone-event negotiated */
  sipspec_rtp_free(e);
  o.dtmf_pt = 101;
  CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&o, &e, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_rtp_send_dtmf(e, "1x", 0, 0), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(sipspec_rtp_send_dtmf(e, "012345678901234567890123456789012", 0, 0), SIPSPEC_E_RANGE);
  sipspec_clock_run(clock, 100, NULL, NULL); /* 6 audio packets first (0 .. 100 ms) */
  CU_ASSERT_EQUAL(sipspec_rtp_send_dtmf(e, "1#", 100, 60), SIPSPEC_OK);
  CU_ASSERT_TRUE(sipspec_rtp_dtmf_busy(e));
  sipspec_clock_run(clock, 600, NULL, NULL);
  CU_ASSERT_FALSE(sipspec_rtp_dtmf_busy(e));
  rx_pkt got[64];
  size_t n = 0;
  for (;;) {
    uint8_t b[256];
    ssize_t k = recv(peer, b, sizeof b, MSG_DONTWAIT);
    if (k < 12 || n == 64) break;
    rx_pkt *g = &got[n++];
    g->marker = b[1] >> 7;
    g->pt = b[1] & 0x7fu;
    g->seq = (uint16_t)(b[2] << 8 | b[3]);
    g->ts = (uint32_t)b[4] << 24 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 8 | b[7];
    g->len = (size_t)k - 12;
    memcpy(g->p, b + 12, g->len < 4 ? g->len : 4);
  }
  /* slots at 0, 20 .. 700 ms (a virtual run includes its end): 36; the events take 2 x
   * (5 + 3) of them, the rest is audio */
  CU_ASSERT_EQUAL_FATAL(n, 36);
  for (size_t i = 1; i < n; i++) CU_ASSERT_EQUAL((uint16_t)(got[i].seq - got[i - 1].seq), 1);
  CU_ASSERT_EQUAL(got[0].marker, 1); /* the first audio packet */
  CU_ASSERT_EQUAL(got[0].pt, 0);
  size_t first = 6; /* the first digit starts in the slot after the 6 audio packets */
  static const uint8_t codes[2] = {1, 11};
  for (int d = 0; d < 2; d++) {
    size_t s = first + (size_t)d * (8 + 3); /* 8 event packets, then 60 ms = 3 audio slots */
    uint32_t start_ts = got[s].ts;
    /* its timestamp is that of the slot it starts in: 160 per slot from the first packet */
    CU_ASSERT_EQUAL(start_ts - got[0].ts, 160u * (unsigned)s);
    for (int k = 0; k < 8; k++) {
      const rx_pkt *g = &got[s + (size_t)k];
      CU_ASSERT_EQUAL(g->pt, 101);
      CU_ASSERT_EQUAL(g->len, 4);
      CU_ASSERT_EQUAL(g->marker, k == 0);
      CU_ASSERT_EQUAL(g->ts, start_ts);
      CU_ASSERT_EQUAL(g->p[0], codes[d]);
      CU_ASSERT_EQUAL(g->p[1] & 0x3f, 10);              /* volume */
      CU_ASSERT_EQUAL((g->p[1] & 0x80) != 0, k >= 5);   /* E on the three end packets */
      CU_ASSERT_EQUAL(g->p[1] & 0x40, 0);               /* R */
      unsigned dur = (unsigned)g->p[2] << 8 | g->p[3];
      CU_ASSERT_EQUAL(dur, k < 5 ? 160u * (unsigned)(k + 1) : 800u);
    }
    for (int k = 0; k < 3; k++) CU_ASSERT_EQUAL(got[s + 8 + (size_t)k].pt, 0); /* the gap: audio */
    /* audio after the event goes on at its slot's timestamp */
    CU_ASSERT_EQUAL(got[s + 8].ts - got[0].ts, 160u * (unsigned)(s + 8));
  }
  CU_ASSERT_EQUAL(sipspec_rtp_get_stats(e)->dtmf_sent, 2);
  sipspec_rtp_free(e);
  close(peer);
  close(peer_rtcp);
  sipspec_clock_free(clock);
  ev_loop_destroy(loop);
}

/* ---- two endpoints: DTMF received, rtcp-mux, XR both ways ------------------------------------ */

typedef struct dt_rx {
  char digits[16];
  unsigned n, durations[16];
  unsigned audio;
} dt_rx;

static void on_dtmf(sipspec_rtp *r, char digit, unsigned duration, void *user) {
  dt_rx *x = user;
  (void)r;
  if (x->n < 15) {
    x->durations[x->n] = duration;
    x->digits[x->n++] = digit;
  }
}
static void on_audio(sipspec_rtp *r, unsigned pt, uint32_t ts, const uint8_t *p, size_t len, void *user) {
  dt_rx *x = user;
  (void)r, (void)ts, (void)p, (void)len;
  if (pt == 0) x->audio++;
}

static void pair_run(int mux) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *clock = sipspec_clock_virtual_new(loop, 9000000);
  unsigned pa, pb;
  int fa = udp_socket(&pa), fb = udp_socket(&pb); /* two ports known free a moment ago */
  close(fa);
  close(fb);
  sipspec_rtp_opts oa, ob;
  sipspec_rtp_opts_init(&oa);
  oa.clock = clock;
  oa.bind_host = "127.0.0.1";
  oa.remote_host = "127.0.0.1";
  oa.rtcp_mux = mux;
  oa.dtmf_pt = 101;
  oa.rtcp_min_interval_ms = 500;
  oa.source = silence;
  ob = oa;
  dt_rx xa, xb;
  memset(&xa, 0, sizeof xa);
  memset(&xb, 0, sizeof xb);
  oa.user = &xa;
  ob.user = &xb;
  ob.on_dtmf = on_dtmf;
  ob.on_audio = on_audio;
  sipspec_rtp *a = NULL, *b = NULL;
  char err[256];
  oa.seed = 11;
  ob.seed = 12;
  if (mux) { /* one port each: RTP and RTCP told apart by their second octet (RFC 5761 §4) */
    oa.local_port = pa;
    oa.remote_port = pb;
    ob.local_port = pb;
    ob.remote_port = pa;
    CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&oa, &a, err, sizeof err), SIPSPEC_OK);
    CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&ob, &b, err, sizeof err), SIPSPEC_OK);
    CU_ASSERT_EQUAL(sipspec_rtp_local_rtcp_port(a), pa);
  } else { /* ephemeral even/odd pairs: B first to learn its pair, A towards it, B again on it */
    ob.remote_port = 9;
    CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&ob, &b, err, sizeof err), SIPSPEC_OK);
    oa.remote_port = sipspec_rtp_local_port(b);
    sipspec_rtp_free(b);
    CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&oa, &a, err, sizeof err), SIPSPEC_OK);
    ob.local_port = oa.remote_port;
    ob.remote_port = sipspec_rtp_local_port(a);
    CU_ASSERT_EQUAL_FATAL(sipspec_rtp_create(&ob, &b, err, sizeof err), SIPSPEC_OK);
    CU_ASSERT_EQUAL(sipspec_rtp_local_rtcp_port(b), sipspec_rtp_local_port(b) + 1);
  }
  CU_ASSERT_EQUAL(sipspec_rtp_send_dtmf(a, "9*D0", 0, 0), SIPSPEC_OK);
  sipspec_clock_run(clock, 4000, NULL, NULL);
  const sipspec_rtp_stats *sa = sipspec_rtp_get_stats(a), *sb = sipspec_rtp_get_stats(b);
  CU_ASSERT_STRING_EQUAL(xb.digits, "9*D0");
  CU_ASSERT_STRING_EQUAL(sb->dtmf_digits, "9*D0");
  CU_ASSERT_EQUAL(sb->dtmf_received, 4);
  for (unsigned i = 0; i < xb.n; i++) CU_ASSERT_EQUAL(xb.durations[i], 800);
  CU_ASSERT_EQUAL(sa->dtmf_sent, 4);
  /* events are not audio: on_audio saw only PCMU, and the jitter stayed that of the audio */
  /* the first packet, A's first event packet, was the probation one (A.1) */
  CU_ASSERT_EQUAL(xb.audio + 4 * 8 - 1, sb->packets_received);
  CU_ASSERT_TRUE(sb->jitter_ts <= 1);
  CU_ASSERT_EQUAL(sb->lost, 0);
  CU_ASSERT_EQUAL(sa->rtcp_mux, mux);
  CU_ASSERT_EQUAL(sa->rtcp_malformed + sb->rtcp_malformed + sa->rtp_invalid + sb->rtp_invalid, 0);
  CU_ASSERT_EQUAL(sa->rtp_foreign + sb->rtp_foreign + sa->rtcp_foreign + sb->rtcp_foreign, 0);
  CU_ASSERT_TRUE(sa->rtcp_received >= 3 && sb->rtcp_received >= 3);
  /* RTT on both sides; each got the other's VoIP metrics block on its own SSRC */
  CU_ASSERT_TRUE(sa->rtt_known && sb->rtt_known);
  CU_ASSERT_TRUE(sa->xr_sent > 0 && sb->xr_sent > 0);
  CU_ASSERT_TRUE(sa->peer_xr && sb->peer_xr);
  CU_ASSERT_EQUAL(sa->peer_xr_loss_rate, 0);
  CU_ASSERT_TRUE(sa->peer_xr_r_factor <= 100); /* B knew its RTT when it sent the last one */
  CU_ASSERT_TRUE(sa->peer_xr_mos_cq >= 10 && sa->peer_xr_mos_cq <= 50);
  CU_ASSERT_EQUAL(sa->peer_xr_mos_lq, 127);
  CU_ASSERT_EQUAL(sb->xr_burst_density, 0);
  CU_ASSERT_TRUE(sb->xr_gap_ms > 3000);
  sipspec_rtp_free(a);
  sipspec_rtp_free(b);
  CU_ASSERT_EQUAL(sipspec_clock_timers_armed(clock), 0);
  sipspec_clock_free(clock);
  ev_loop_destroy(loop);
}

static void test_pair_mux(void) { pair_run(1); }
static void test_pair_no_mux(void) { pair_run(0); }

/* ---- SDP ------------------------------------------------------------------------------------ */

static void test_sdp_audio_read(void) {
  static const char ans[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                            "m=application 1544 TCP/MRCPv2 1\r\na=setup:passive\r\n"
                            "m=audio 4002 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\n"
                            "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:30\r\n"
                            "a=rtcp-mux\r\na=sendrecv\r\n";
  sipspec_rtp_sdp_audio a;
  CU_ASSERT_EQUAL_FATAL(sipspec_rtp_sdp_audio_read(ans, sizeof ans - 1, &a), SIPSPEC_OK);
  CU_ASSERT_EQUAL(a.port, 4002);
  CU_ASSERT_EQUAL(a.pt, 8);
  CU_ASSERT_EQUAL(a.dtmf_pt, 101);
  CU_ASSERT_EQUAL(a.ptime_ms, 30);
  CU_ASSERT_EQUAL(a.rtcp_mux, 1);
  static const char noaudio[] = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
                                "m=audio 0 RTP/AVP 0\r\n";
  CU_ASSERT_EQUAL(sipspec_rtp_sdp_audio_read(noaudio, sizeof noaudio - 1, &a), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(sipspec_rtp_sdp_audio_read("garbage", 7, &a), SIPSPEC_E_INVAL);
}

static const tst_case TESTS[] = {
    {"xr_parse_rfc_layout", test_xr_parse_rfc_layout},
    {"xr_write_read", test_xr_write_read},
    {"burst_gap_by_hand", test_burst_gap_by_hand},
    {"emodel_by_hand", test_emodel_by_hand},
    {"dtmf_on_the_wire", test_dtmf_on_the_wire},
    {"pair_rtcp_mux_dtmf_xr", test_pair_mux},
    {"pair_no_mux_dtmf_xr", test_pair_no_mux},
    {"sdp_audio_read", test_sdp_audio_read},
    {NULL, NULL},
};

int main(void) { return tst_main("media_rtp_xr_dtmf", TESTS); }
