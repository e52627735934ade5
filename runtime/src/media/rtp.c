/* rtp.c: the RTP endpoint of sipspec/rtp.h: UDP sockets on the caller's libev loop, audio
 * paced on the stack's clock, RTCP compounds at the RFC 3550 §6.3 interval and the receiver
 * statistics of Appendix A (rtp_stats.c). */
#include "media_internal.h"
#include "rtp_internal.h"
#include "sipspec/error.h"
#include "sipspec/rtp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t errlen, int rc, const char *fmt, ...) {
  if (err && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
  }
  return rc;
}

/* xorshift64*: the SSRC, first sequence number and timestamp (§5.1 asks them random) and the
 * interval randomisation; a seed makes a test reproducible. */
static uint64_t rnd(sipspec_rtp *r) {
  uint64_t x = r->rng;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->rng = x;
  return x * 0x2545F4914F6CDD1DULL;
}
static double rnd_unit(sipspec_rtp *r) { return (double)(rnd(r) >> 11) / 9007199254740992.0; }

void sipspec_rtp_opts_init(sipspec_rtp_opts *o) {
  memset(o, 0, sizeof *o);
  o->clock_rate = 8000;
  o->ptime_ms = 20;
  o->rtcp_min_interval_ms = SIPSPEC_RTCP_MIN_INTERVAL_MS;
  o->session_bw_bps = 80000; /* 64 kbit/s G.711 plus RTP/UDP/IP headers at 50 packets/s */
  o->dtmf_pt = -1;
}

int sipspec_rtp_opts_from_env(sipspec_rtp_opts *o, char *err, size_t errlen) {
  const char *v = getenv("MRCP_SIP_RTCP_INTERVAL_MS");
  if (!v) return SIPSPEC_OK;
  char *end = NULL;
  errno = 0;
  unsigned long n = strtoul(v, &end, 10);
  if (!*v || *end || errno || n < 100 || n > 3600000ul || v[0] == '-' || v[0] == '+')
    return fail(err, errlen, SIPSPEC_E_CONFIG, "MRCP_SIP_RTCP_INTERVAL_MS=\"%.64s\": expected milliseconds, 100..3600000",
                v);
  o->rtcp_min_interval_ms = (unsigned)n;
  return SIPSPEC_OK;
}

/* ---- sockets ------------------------------------------------------------------------------ */

static int udp_bind(const sipspec_sockaddr *a, char *err, size_t errlen, int *fd_out) {
  int fd = socket(a->u.sa.sa_family, SOCK_DGRAM, 0);
  if (fd < 0) return fail(err, errlen, SIPSPEC_E_IO, "socket: %s", strerror(errno));
  int fl = fcntl(fd, F_GETFL, 0);
  if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
    close(fd);
    return fail(err, errlen, SIPSPEC_E_IO, "fcntl: %s", strerror(errno));
  }
  if (bind(fd, &a->u.sa, a->len) < 0) {
    char b[SIPSPEC_SOCKADDR_STRLEN];
    int e = errno;
    close(fd);
    return fail(err, errlen, SIPSPEC_E_BIND, "bind %s/udp: %s", sipspec_sockaddr_format(a, b, sizeof b), strerror(e));
  }
  *fd_out = fd;
  return SIPSPEC_OK;
}

static unsigned bound_port(int fd) {
  sipspec_sockaddr a;
  a.len = sizeof a.u.ss;
  if (getsockname(fd, &a.u.sa, &a.len) < 0) return 0;
  return sipspec_sockaddr_port(&a);
}

/* Binds the RTP socket (and RTCP on port + 1 or its own port unless muxed). Port 0: an
 * ephemeral even port whose successor is free too (§11: RTP even, RTCP the next odd),
 * tried a bounded number of times. */
static int bind_pair(sipspec_rtp *r, char *err, size_t errlen) {
  const char *host = r->o.bind_host;
  if (!host) host = sipspec_sockaddr_family(&r->remote_rtp) == AF_INET6 ? "::" : "0.0.0.0";
  sipspec_sockaddr a;
  if (sipspec_sockaddr_set(&a, host, r->o.local_port) != SIPSPEC_OK)
    return fail(err, errlen, SIPSPEC_E_INVAL, "bind_host \"%s\" is not an IP literal", host);
  for (int attempt = 0; attempt < 64; attempt++) {
    int rc = udp_bind(&a, err, errlen, &r->fd_rtp);
    if (rc != SIPSPEC_OK) return rc;
    r->lport = bound_port(r->fd_rtp);
    if (r->o.rtcp_mux) {
      r->fd_rtcp = r->fd_rtp;
      r->lrtcp = r->lport;
      return SIPSPEC_OK;
    }
    if (!r->o.local_port && (r->lport & 1u)) { /* odd ephemeral port: try again */
      close(r->fd_rtp);
      r->fd_rtp = -1;
      continue;
    }
    sipspec_sockaddr b = a;
    unsigned rp = r->o.local_rtcp_port ? r->o.local_rtcp_port : r->lport + 1;
    sipspec_sockaddr_set_port(&b, rp);
    rc = udp_bind(&b, err, errlen, &r->fd_rtcp);
    if (rc == SIPSPEC_OK) {
      r->lrtcp = bound_port(r->fd_rtcp);
      return SIPSPEC_OK;
    }
    close(r->fd_rtp);
    r->fd_rtp = -1;
    if (r->o.local_port) return rc;
  }
  return fail(err, errlen, SIPSPEC_E_BIND, "no free even/odd UDP port pair on %s after 64 attempts", host);
}

/* ---- time ------------------------------------------------------------------------------------ */

/* The time of the RTCP timestamps (SR, LSR/DLSR, RTT) in µs since the Unix epoch: the virtual
 * clock's with a virtual clock (ms exactly, as the tests expect); with a real clock the time
 * now (ev_time(), not the loop's time, which is that of the start of the iteration), so that
 * a loop held up by another process's turn on the CPU does not count as round trip. */
static uint64_t now_us(const sipspec_rtp *r) {
  if (sipspec_clock_is_virtual(r->clock)) return sipspec_clock_now_ms(r->clock) * 1000u;
  return (uint64_t)(ev_time() * 1e6);
}
static uint64_t timespec_us(const struct timespec *t) {
  return (uint64_t)t->tv_sec * 1000000u + (uint64_t)t->tv_nsec / 1000u;
}

/* §4: NTP timestamp of a time in µs since the Unix epoch. */
static void ntp_of(uint64_t us, uint32_t *sec, uint32_t *frac) {
  *sec = (uint32_t)(us / 1000000u + NTP_UNIX_OFFSET);
  *frac = (uint32_t)(((us % 1000000u) << 32) / 1000000u);
}
static uint32_t ntp_mid(uint64_t us) { /* the middle 32 bits (§6.4.1 LSR, 1/65536 s units) */
  uint32_t s, f;
  ntp_of(us, &s, &f);
  return (s << 16) | (f >> 16);
}

/* ---- sending RTP ---------------------------------------------------------------------------- */

/* One RTP packet (§5.1: V=2, no padding, extension or CSRC) with this payload type, marker
 * and timestamp; the sequence number moves on even when the kernel drops it (a loss). */
int rtp_send_raw(sipspec_rtp *r, unsigned pt, int marker, uint32_t ts, const uint8_t *payload, size_t len) {
  if (!r->open) return SIPSPEC_E_STATE;
  if (len > RTP_MAX_PAYLOAD) return SIPSPEC_E_INVAL;
  uint8_t pkt[RTP_HDR + RTP_MAX_PAYLOAD];
  pkt[0] = 0x80;
  pkt[1] = (uint8_t)((marker ? 0x80u : 0u) | (pt & 0x7fu));
  pkt[2] = (uint8_t)(r->seq >> 8);
  pkt[3] = (uint8_t)r->seq;
  pkt[4] = (uint8_t)(ts >> 24);
  pkt[5] = (uint8_t)(ts >> 16);
  pkt[6] = (uint8_t)(ts >> 8);
  pkt[7] = (uint8_t)ts;
  pkt[8] = (uint8_t)(r->ssrc >> 24);
  pkt[9] = (uint8_t)(r->ssrc >> 16);
  pkt[10] = (uint8_t)(r->ssrc >> 8);
  pkt[11] = (uint8_t)r->ssrc;
  if (len) memcpy(pkt + RTP_HDR, payload, len);
  ssize_t n = sendto(r->fd_rtp, pkt, RTP_HDR + len, 0, &r->remote_rtp.u.sa, r->remote_rtp.len);
  r->seq++;
  if (n < 0) return SIPSPEC_E_IO;
  r->st.packets_sent++;
  r->st.octets_sent += len;
  return SIPSPEC_OK;
}

/* Audio at the running timestamp, the marker on the first packet (RFC 3551 §4.1). */
static int send_audio(sipspec_rtp *r, const uint8_t *payload, size_t len) {
  int rc = rtp_send_raw(r, r->o.payload_type, r->marker, r->ts, payload, len);
  if (rc != SIPSPEC_E_STATE && rc != SIPSPEC_E_INVAL) r->marker = 0;
  return rc;
}

int sipspec_rtp_send(sipspec_rtp *r, const uint8_t *payload, size_t len, uint32_t samples) {
  if (!r) return SIPSPEC_E_INVAL;
  int rc = send_audio(r, payload, len);
  if (rc == SIPSPEC_OK || rc == SIPSPEC_E_IO) r->ts += samples ? samples : (uint32_t)len;
  return rc;
}

uint32_t sipspec_rtp_media_ts(const sipspec_rtp *r) {
  if (!r) return 0;
  return (uint32_t)((sipspec_clock_now_ms(r->clock) - r->start_ms) * r->o.clock_rate / 1000u);
}

int sipspec_rtp_send_at(sipspec_rtp *r, uint32_t media_ts, const uint8_t *payload, size_t len) {
  if (!r) return SIPSPEC_E_INVAL;
  uint32_t keep = r->ts;
  r->ts = r->ts_base + media_ts;
  int rc = send_audio(r, payload, len);
  if (rc == SIPSPEC_OK || rc == SIPSPEC_E_IO) r->ts += (uint32_t)len; /* G.711: one octet a sample */
  else r->ts = keep;
  return rc;
}

static void media_cb(sipspec_clock_timer *t, void *arg) {
  sipspec_rtp *r = arg;
  (void)t;
  r->media_running = 0;
  if (!r->open) return;
  uint32_t samples = r->o.clock_rate * r->o.ptime_ms / 1000u;
  if (!rtp_dtmf_tick(r, samples) && r->source_open) {
    uint8_t buf[RTP_MAX_PAYLOAD];
    size_t cap = samples < sizeof buf ? samples : sizeof buf;
    int n = r->o.source(r->o.user, buf, cap);
    if (n < 0) r->source_open = 0;
    else if (n > 0) send_audio(r, buf, (size_t)n);
  }
  /* the timestamp advances by one ptime whether or not anything went (§5.1) */
  r->ts += samples;
  /* absolute due times: packets every ptime with no drift */
  r->next_media_ms += r->o.ptime_ms;
  if (r->open && (r->source_open || sipspec_rtp_dtmf_busy(r)) &&
      sipspec_clock_timer_at(r->clock, &r->media_timer, r->next_media_ms) == SIPSPEC_OK)
    r->media_running = 1;
}

/* ---- RTCP ----------------------------------------------------------------------------------- */

static int members(const sipspec_rtp *r) { return r->src_seen ? 2 : 1; }
static int we_sent(const sipspec_rtp *r) { return r->st.packets_sent > r->sent_at_report[1]; }
static int peer_sent(const sipspec_rtp *r) { return r->st.packets_received > r->recv_at_report[1]; }

static uint64_t interval_ms(sipspec_rtp *r) {
  double rtcp_bw = r->o.session_bw_bps / 8.0 * 0.05; /* §6.2: 5% of the session bandwidth, octets/s */
  int senders = (we_sent(r) ? 1 : 0) + (peer_sent(r) ? 1 : 0);
  double t = sipspec_rtcp_interval(members(r), senders, rtcp_bw, we_sent(r), r->avg_rtcp_size, r->initial,
                                   r->o.rtcp_min_interval_ms / 1000.0, rnd_unit(r));
  uint64_t ms = (uint64_t)(t * 1000.0 + 0.5);
  return ms ? ms : 1;
}

/* §6.4: a report block on the remote source, moving the A.3 interval on. */
static unsigned report_block(sipspec_rtp *r, rtcp_report_block *b, uint64_t now) {
  if (!r->st.remote_known) return 0;
  int32_t li;
  uint8_t frac;
  sipspec_rtp_source_interval(&r->src, &li, &frac);
  r->st.lost_interval = li;
  r->st.fraction_lost = frac;
  b->ssrc = r->st.remote_ssrc;
  b->fraction = frac;
  b->lost = sipspec_rtp_source_lost(&r->src);
  b->ext_max = sipspec_rtp_source_ext_max(&r->src);
  b->jitter = (uint32_t)(r->src.jitter + 0.5);
  b->lsr = r->last_sr_us ? r->last_sr_mid : 0; /* §6.4.1: 0 when no SR came yet */
  b->dlsr = r->last_sr_us && now > r->last_sr_us ? (uint32_t)(((now - r->last_sr_us) * 65536u) / 1000000u) : 0;
  /* jitter figures at each report (docs/media.md) */
  double jms = r->src.jitter * 1000.0 / r->o.clock_rate;
  r->st.jitter_ms = jms;
  if (!r->st.jitter_samples || jms < r->st.jitter_min_ms) r->st.jitter_min_ms = jms;
  if (!r->st.jitter_samples || jms > r->st.jitter_max_ms) r->st.jitter_max_ms = jms;
  r->jitter_sum += jms;
  r->st.jitter_samples++;
  r->st.jitter_mean_ms = r->jitter_sum / r->st.jitter_samples;
  return 1;
}

/* RFC 3611 §4.7 on the remote source: the loss rate since the start (§4.7.1), A.2's burst
 * figures, the RTT once known (0 before, as §4.7.3 permits), R and MOS-CQ only with the RTT
 * (§4.7.5, 127 otherwise). No jitter buffer and no level measurement here: discard rate 0,
 * end system delay 0 (§4.7.3's "unable to provide"), signal, noise and RERL 127, RX config
 * 0 (PLC and JBA unspecified), the jitter buffer delays 0. */
static void xr_block(sipspec_rtp *r, rtcp_voip *v) {
  memset(v, 0, sizeof *v);
  v->ssrc = r->st.remote_ssrc;
  uint32_t expected = sipspec_rtp_source_expected(&r->src);
  int32_t lost = sipspec_rtp_source_lost(&r->src);
  if (expected > 0 && lost > 0) {
    uint64_t lr = ((uint64_t)lost << 8) / expected;
    v->loss_rate = (uint8_t)(lr > 255 ? 255 : lr);
  }
  sipspec_rtp_burst_metrics(&r->burst, r->o.ptime_ms, &v->burst_density, &v->gap_density, &v->burst_ms, &v->gap_ms);
  r->st.xr_burst_density = v->burst_density;
  r->st.xr_gap_density = v->gap_density;
  r->st.xr_burst_ms = v->burst_ms;
  r->st.xr_gap_ms = v->gap_ms;
  if (r->st.rtt_known) v->rtt_ms = (uint16_t)(r->st.rtt_ms > 65535 ? 65535 : r->st.rtt_ms + 0.5);
  v->signal_level = v->noise_level = v->rerl = XR_UNAVAILABLE;
  v->gmin = XR_GMIN;
  sipspec_rtp_xr_quality(&r->st, &v->r_factor, &v->mos_cq);
  v->ext_r_factor = v->mos_lq = XR_UNAVAILABLE;
}

static void send_rtcp(sipspec_rtp *r, int bye, const char *reason) {
  uint64_t now = now_us(r);
  uint8_t buf[1024];
  rtcp_writer w;
  rtcp_writer_init(&w, buf, sizeof buf);
  rtcp_report_block b;
  unsigned nb = report_block(r, &b, now);
  int sr = we_sent(r); /* §6.4: SR when we sent data since the report before last */
  uint32_t s = 0, f = 0, ts = 0;
  if (sr) {
    ntp_of(now, &s, &f);
    /* the RTP timestamp of the same instant (§6.4.1), from the first packet's timestamp */
    uint64_t ms = now / 1000u;
    ts = r->ts_base + (uint32_t)((ms > r->start_ms ? ms - r->start_ms : 0) * r->o.clock_rate / 1000u);
  }
  rtcp_write_report(&w, r->ssrc, sr, s, f, ts, (uint32_t)r->st.packets_sent, (uint32_t)r->st.octets_sent, &b, nb);
  rtcp_write_sdes_cname(&w, r->ssrc, r->cname);
  int xr = nb && !r->o.no_xr;
  if (xr) {
    rtcp_voip v;
    xr_block(r, &v);
    rtcp_write_xr_voip(&w, r->ssrc, &v);
  }
  if (bye) rtcp_write_bye(&w, r->ssrc, reason);
  if (!w.ok) return;
  if (sendto(r->fd_rtcp, buf, w.len, 0, &r->remote_rtcp.u.sa, r->remote_rtcp.len) >= 0) {
    r->st.rtcp_sent++;
    if (bye) r->st.rtcp_bye_sent++;
    if (xr) r->st.xr_sent++;
  }
  /* §6.3.3: avg_rtcp_size = 1/16 * packet_size + 15/16 * avg_rtcp_size */
  r->avg_rtcp_size = (w.len + UDP_IP_OVERHEAD) / 16.0 + r->avg_rtcp_size * 15.0 / 16.0;
  r->sent_at_report[1] = r->sent_at_report[0];
  r->sent_at_report[0] = r->st.packets_sent;
  r->recv_at_report[1] = r->recv_at_report[0];
  r->recv_at_report[0] = r->st.packets_received;
}

/* §6.3.6: on expiry, recompute the interval from tp; send only when tp + T has passed,
 * otherwise wait until then (timer reconsideration). */
static void rtcp_cb(sipspec_clock_timer *t, void *arg) {
  sipspec_rtp *r = arg;
  (void)t;
  uint64_t now = sipspec_clock_now_ms(r->clock);
  uint64_t T = interval_ms(r);
  if (r->tp + T <= now) {
    send_rtcp(r, 0, NULL);
    r->tp = now;
    r->initial = 0;
    r->tn = now + interval_ms(r);
  } else {
    r->tn = r->tp + T;
  }
  if (r->open) sipspec_clock_timer_at(r->clock, &r->rtcp_timer, r->tn);
}

static void take_rtcp(sipspec_rtp *r, const uint8_t *buf, size_t len, const struct timespec *kt) {
  rtcp_parsed p;
  if (sipspec_rtcp_parse(buf, len, &p, NULL) != 0) {
    r->st.rtcp_malformed++; /* counted and dropped */
    return;
  }
  uint64_t now = kt ? timespec_us(kt) : now_us(r); /* A of §6.4.1: the arrival */
  r->st.rtcp_received++;
  r->avg_rtcp_size = (len + UDP_IP_OVERHEAD) / 16.0 + r->avg_rtcp_size * 15.0 / 16.0; /* §6.3.3 */
  if (p.has_sr) { /* §6.4.1: LSR is the middle 32 bits of its NTP timestamp */
    r->last_sr_mid = (p.ntp_sec << 16) | (p.ntp_frac >> 16);
    r->last_sr_us = now;
  }
  for (unsigned i = 0; i < p.nblocks; i++) {
    const rtcp_report_block *b = &p.blocks[i];
    if (b->ssrc != r->ssrc) continue;
    r->st.peer_report = 1;
    r->st.peer_fraction_lost = b->fraction;
    r->st.peer_lost = b->lost;
    r->st.peer_jitter_ts = b->jitter;
    if (b->lsr) { /* §6.4.1: RTT = A - LSR - DLSR, in 1/65536 s */
      int32_t rtt = (int32_t)(ntp_mid(now) - b->lsr - b->dlsr);
      if (rtt >= 0) {
        double ms = rtt * 1000.0 / 65536.0;
        r->st.rtt_ms = ms;
        if (!r->rtt_samples || ms < r->st.rtt_min_ms) r->st.rtt_min_ms = ms;
        if (!r->rtt_samples || ms > r->st.rtt_max_ms) r->st.rtt_max_ms = ms;
        r->rtt_samples++;
        r->st.rtt_known = 1;
      }
    }
  }
  if (p.has_voip && p.voip.ssrc == r->ssrc) { /* RFC 3611 §4.7: the peer's view of our stream */
    r->st.peer_xr = 1;
    r->st.peer_xr_loss_rate = p.voip.loss_rate;
    r->st.peer_xr_rtt_ms = p.voip.rtt_ms;
    r->st.peer_xr_r_factor = p.voip.r_factor;
    r->st.peer_xr_mos_lq = p.voip.mos_lq;
    r->st.peer_xr_mos_cq = p.voip.mos_cq;
  }
  if (p.bye) r->st.rtcp_bye_received++;
  if (r->o.on_rtcp) r->o.on_rtcp(r, r->o.user);
}

static void take_rtp(sipspec_rtp *r, const uint8_t *buf, size_t len, const struct timespec *kt) {
  /* §5.1 and A.1's header checks: version 2, a payload type that is not RTCP's, the CSRC
   * list, extension and padding inside the packet */
  if (len < RTP_HDR || (buf[0] >> 6) != 2) {
    r->st.rtp_invalid++;
    return;
  }
  size_t hl = RTP_HDR + 4u * (buf[0] & 15u);
  if (hl > len) {
    r->st.rtp_invalid++;
    return;
  }
  if (buf[0] & 0x10) { /* header extension */
    if (len - hl < 4) {
      r->st.rtp_invalid++;
      return;
    }
    size_t xl = 4u + 4u * (((size_t)buf[hl + 2] << 8) | buf[hl + 3]);
    if (len - hl < xl) {
      r->st.rtp_invalid++;
      return;
    }
    hl += xl;
  }
  size_t pl = len - hl;
  if (buf[0] & 0x20) { /* padding: the last octet counts it */
    size_t pad = buf[len - 1];
    if (pad == 0 || pad > pl) {
      r->st.rtp_invalid++;
      return;
    }
    pl -= pad;
  }
  uint16_t seq = (uint16_t)(((unsigned)buf[2] << 8) | buf[3]);
  uint32_t ts = ((uint32_t)buf[4] << 24) | ((uint32_t)buf[5] << 16) | ((uint32_t)buf[6] << 8) | buf[7];
  uint32_t ssrc = ((uint32_t)buf[8] << 24) | ((uint32_t)buf[9] << 16) | ((uint32_t)buf[10] << 8) | buf[11];
  if (!r->src_seen || ssrc != r->st.remote_ssrc) { /* a new source (or the SSRC changed): probation again */
    if (r->src_seen) r->st.ssrc_changes++;
    sipspec_rtp_source_init(&r->src, seq);
    r->st.remote_ssrc = ssrc;
    r->st.remote_known = 0;
    r->src_seen = 1;
    r->burst_started = 0;
    r->dtmf_have_last = 0;
  }
  if (!sipspec_rtp_source_update(&r->src, seq)) {
    if (r->src.probation) r->st.rtp_probation++;
    else r->st.rtp_bad_seq++;
    return;
  }
  r->st.remote_known = 1;
  /* RFC 3611 A.2: the packets the highest sequence number skipped are losses, then this
   * one is received; a late or duplicate packet leaves the burst figures alone */
  uint32_t ext = sipspec_rtp_source_ext_max(&r->src);
  if (!r->burst_started || ext < r->burst_ext) {
    sipspec_rtp_burst_init(&r->burst, XR_GMIN);
    r->burst_started = 1;
    sipspec_rtp_burst_event(&r->burst, 0);
  } else if (ext > r->burst_ext) {
    for (uint32_t k = r->burst_ext + 1; k < ext && k - r->burst_ext <= SIPSPEC_RTP_MAX_DROPOUT; k++)
      sipspec_rtp_burst_event(&r->burst, 1);
    sipspec_rtp_burst_event(&r->burst, 0);
  }
  r->burst_ext = ext;
  unsigned pt = buf[1] & 0x7fu;
  int event = r->o.dtmf_pt >= 0 && pt == (unsigned)r->o.dtmf_pt;
  /* A.8: the arrival time in timestamp units of this stream's clock. RFC 4733 events carry
   * their start timestamp in every packet, not the instant of their sampling, so they are
   * left out of the jitter (which the audio packets around them measure). */
  uint32_t arrival;
  if (kt) /* the kernel's arrival time: what a capture sees, not when the loop got round to it */
    arrival = (uint32_t)((uint64_t)kt->tv_sec * r->o.clock_rate + (uint64_t)kt->tv_nsec * r->o.clock_rate / 1000000000u);
  else
    arrival = (uint32_t)(sipspec_clock_now_ms(r->clock) * r->o.clock_rate / 1000u);
  if (!event) {
    sipspec_rtp_source_jitter(&r->src, arrival, ts);
    double jms = r->src.jitter * 1000.0 / r->o.clock_rate;
    if (jms > r->st.jitter_peak_ms) r->st.jitter_peak_ms = jms;
  }
  if (event) rtp_dtmf_take(r, ts, buf + hl, pl);
  r->st.packets_received++;
  r->st.octets_received += pl;
  r->st.ext_max_seq = sipspec_rtp_source_ext_max(&r->src);
  r->st.expected = sipspec_rtp_source_expected(&r->src);
  r->st.lost = sipspec_rtp_source_lost(&r->src);
  r->st.jitter_ts = (uint32_t)(r->src.jitter + 0.5);
  if (r->o.on_audio && !event) r->o.on_audio(r, pt, ts, buf + hl, pl, r->o.user);
}

/* RFC 5761 §4: with rtcp-mux, second octets 192..223 (PT 64..95 with the marker) are RTCP. */
static int looks_rtcp(const uint8_t *buf, size_t len) { return len >= 2 && buf[1] >= 192 && buf[1] <= 223; }

static void read_socket(sipspec_rtp *r, int fd, int rtcp_socket) {
  for (int i = 0; i < 64 && r->open; i++) { /* bounded: the loop comes back for the rest */
    uint8_t buf[2048];
    sipspec_sockaddr from;
    union {
      struct cmsghdr h;
      char b[CMSG_SPACE(sizeof(struct timespec))];
    } ctl;
    struct iovec iov = {buf, sizeof buf};
    struct msghdr mh;
    memset(&mh, 0, sizeof mh);
    mh.msg_name = &from.u.sa;
    mh.msg_namelen = sizeof from.u.ss;
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctl.b;
    mh.msg_controllen = sizeof ctl.b;
    ssize_t n = recvmsg(fd, &mh, 0);
    if (n < 0) return;
    from.len = mh.msg_namelen;
    /* the kernel's arrival time (SO_TIMESTAMPNS, set with a real clock) */
    struct timespec kt;
    int have_kt = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof kt)) {
        memcpy(&kt, CMSG_DATA(c), sizeof kt);
        have_kt = 1;
      }
    int is_rtcp = rtcp_socket && (!r->o.rtcp_mux || looks_rtcp(buf, (size_t)n));
    /* symmetric RTP (RFC 4961): only the negotiated address is the peer */
    const sipspec_sockaddr *want = is_rtcp ? &r->remote_rtcp : &r->remote_rtp;
    if (!sipspec_sockaddr_equal(&from, want)) {
      if (is_rtcp) r->st.rtcp_foreign++;
      else r->st.rtp_foreign++;
      continue;
    }
    if (is_rtcp) take_rtcp(r, buf, (size_t)n, have_kt ? &kt : NULL);
    else take_rtp(r, buf, (size_t)n, have_kt ? &kt : NULL);
  }
}

static void io_rtp_cb(struct ev_loop *loop, ev_io *w, int revents) {
  sipspec_rtp *r = w->data;
  (void)loop;
  (void)revents;
  read_socket(r, r->fd_rtp, r->o.rtcp_mux);
}
static void io_rtcp_cb(struct ev_loop *loop, ev_io *w, int revents) {
  sipspec_rtp *r = w->data;
  (void)loop;
  (void)revents;
  read_socket(r, r->fd_rtcp, 1);
}

/* ---- life ----------------------------------------------------------------------------------- */

int sipspec_rtp_create(const sipspec_rtp_opts *o, sipspec_rtp **out, char *err, size_t errlen) {
  if (!o || !out || !o->clock || !o->remote_host || !o->remote_port || o->remote_port > 65535 ||
      o->local_port > 65535 || o->remote_rtcp_port > 65535 || o->payload_type > 127 || o->dtmf_pt > 127 || !o->clock_rate ||
      !o->ptime_ms || o->ptime_ms > 150)
    return fail(err, errlen, SIPSPEC_E_INVAL, "RTP options: clock, remote_host, remote_port (1..65535), "
                                             "payload_type (0..127), clock_rate and ptime_ms (1..150) are required");
  *out = NULL;
  sipspec_rtp *r = calloc(1, sizeof *r);
  if (!r) return fail(err, errlen, SIPSPEC_E_NOMEM, "out of memory");
  r->o = *o;
  if (!r->o.rtcp_min_interval_ms) r->o.rtcp_min_interval_ms = SIPSPEC_RTCP_MIN_INTERVAL_MS;
  if (!r->o.session_bw_bps) r->o.session_bw_bps = 80000;
  r->clock = o->clock;
  r->loop = sipspec_clock_loop(o->clock);
  r->fd_rtp = r->fd_rtcp = -1;
  if (sipspec_sockaddr_set(&r->remote_rtp, o->remote_host, o->remote_port) != SIPSPEC_OK) {
    free(r);
    return fail(err, errlen, SIPSPEC_E_INVAL, "remote_host \"%s\" is not an IP literal", o->remote_host);
  }
  r->remote_rtcp = r->remote_rtp;
  if (!o->rtcp_mux) sipspec_sockaddr_set_port(&r->remote_rtcp, o->remote_rtcp_port ? o->remote_rtcp_port : o->remote_port + 1);
  int rc = bind_pair(r, err, errlen);
  if (rc != SIPSPEC_OK) {
    free(r);
    return rc;
  }
  r->rng = o->seed ? o->seed : ((uint64_t)time(NULL) << 20) ^ ((uint64_t)r->lport << 4) ^ (uint64_t)getpid();
  if (!r->rng) r->rng = 0x9E3779B97F4A7C15ULL;
  for (int i = 0; i < 4; i++) rnd(r);
  r->ssrc = o->ssrc ? o->ssrc : (uint32_t)rnd(r);
  r->seq = (uint16_t)rnd(r);
  r->ts_base = r->ts = (uint32_t)rnd(r);
  r->marker = 1;
  r->open = 1;
  if (o->cname) snprintf(r->cname, sizeof r->cname, "%s", o->cname);
  else snprintf(r->cname, sizeof r->cname, "sipspec@%s", o->bind_host ? o->bind_host : "0.0.0.0");
  r->start_ms = r->next_media_ms = sipspec_clock_now_ms(r->clock);
  /* §6.3.2: tp = 0 (now), initial = true, avg_rtcp_size the size of the first packet we
   * are going to build (RR, SDES CNAME, headers) */
  r->tp = r->start_ms;
  r->initial = 1;
  r->avg_rtcp_size = 8 + 24 + 4 + ((4 + 2 + strlen(r->cname) + 1 + 3) & ~(size_t)3) + UDP_IP_OVERHEAD;
  if (!sipspec_clock_is_virtual(r->clock)) { /* A.8 and the RTT on the kernel's arrival times */
    int on = 1;
    (void)setsockopt(r->fd_rtp, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
    if (r->fd_rtcp != r->fd_rtp) (void)setsockopt(r->fd_rtcp, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on);
  }
  ev_io_init(&r->w_rtp, io_rtp_cb, r->fd_rtp, EV_READ);
  r->w_rtp.data = r;
  ev_io_start(r->loop, &r->w_rtp);
  if (!o->rtcp_mux) {
    ev_io_init(&r->w_rtcp, io_rtcp_cb, r->fd_rtcp, EV_READ);
    r->w_rtcp.data = r;
    ev_io_start(r->loop, &r->w_rtcp);
  }
  sipspec_clock_timer_init(&r->media_timer, media_cb, r);
  sipspec_clock_timer_init(&r->rtcp_timer, rtcp_cb, r);
  r->tn = r->tp + interval_ms(r);
  if (sipspec_clock_timer_at(r->clock, &r->rtcp_timer, r->tn) != SIPSPEC_OK ||
      (o->source && sipspec_clock_timer_at(r->clock, &r->media_timer, r->next_media_ms) != SIPSPEC_OK)) {
    sipspec_rtp_free(r);
    return fail(err, errlen, SIPSPEC_E_NOMEM, "out of memory");
  }
  r->source_open = r->media_running = o->source != NULL;
  r->st.rtcp_mux = o->rtcp_mux != 0;
  *out = r;
  return SIPSPEC_OK;
}

void sipspec_rtp_stop(sipspec_rtp *r, const char *reason) {
  if (!r || !r->open) return;
  sipspec_clock_timer_stop(r->clock, &r->media_timer);
  sipspec_clock_timer_stop(r->clock, &r->rtcp_timer);
  /* §6.3.7: with fewer than 50 members the BYE may go at once (no BYE reconsideration) */
  send_rtcp(r, 1, reason);
  ev_io_stop(r->loop, &r->w_rtp);
  if (!r->o.rtcp_mux) ev_io_stop(r->loop, &r->w_rtcp);
  close(r->fd_rtp);
  if (r->fd_rtcp != r->fd_rtp) close(r->fd_rtcp);
  r->fd_rtp = r->fd_rtcp = -1;
  r->open = 0;
  r->source_open = 0;
}

void sipspec_rtp_free(sipspec_rtp *r) {
  if (!r) return;
  sipspec_rtp_stop(r, NULL);
  free(r);
}

unsigned sipspec_rtp_local_port(const sipspec_rtp *r) { return r ? r->lport : 0; }
unsigned sipspec_rtp_local_rtcp_port(const sipspec_rtp *r) { return r ? r->lrtcp : 0; }
uint32_t sipspec_rtp_ssrc(const sipspec_rtp *r) { return r ? r->ssrc : 0; }
const sipspec_rtp_stats *sipspec_rtp_get_stats(const sipspec_rtp *r) { return r ? &r->st : NULL; }
