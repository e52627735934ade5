/* rtp_dtmf.c: DTMF digits as RFC 4733 telephone-events on the RTP endpoint (sipspec/rtp.h):
 * queued digits sent in place of audio, one ptime slot at a time (rtp.c's media timer calls
 * rtp_dtmf_tick()), and the events of the remote source reported once each. */
#include "rtp_internal.h"
#include "sipspec/error.h"

#include <string.h>

/* ---- DTMF as RFC 4733 telephone-events --------------------------------------------------- */

static int dtmf_code(char c) { /* RFC 4733 §3.2: 0-9, * 10, # 11, A-D 12-15 */
  if (c >= '0' && c <= '9') return c - '0';
  if (c == '*') return 10;
  if (c == '#') return 11;
  if (c >= 'A' && c <= 'D') return 12 + (c - 'A');
  if (c >= 'a' && c <= 'd') return 12 + (c - 'a');
  return -1;
}
static char dtmf_char(unsigned code) { return "0123456789*#ABCD"[code & 15u]; }

int sipspec_rtp_dtmf_busy(const sipspec_rtp *r) { return r && (r->dq_len > 0 || r->ev_state != DTMF_IDLE); }

static void media_schedule(sipspec_rtp *r) {
  if (r->media_running || !r->open) return;
  uint64_t now = sipspec_clock_now_ms(r->clock);
  if (r->next_media_ms < now) { /* idle since: the timestamp follows the clock (§5.1) */
    r->ts += (uint32_t)((now - r->next_media_ms) * r->o.clock_rate / 1000u);
    r->next_media_ms = now;
  }
  if (sipspec_clock_timer_at(r->clock, &r->media_timer, r->next_media_ms) == SIPSPEC_OK) r->media_running = 1;
}

int sipspec_rtp_send_dtmf(sipspec_rtp *r, const char *digits, unsigned tone_ms, unsigned gap_ms) {
  if (!r || !digits) return SIPSPEC_E_INVAL;
  if (!r->open || r->o.dtmf_pt < 0) return SIPSPEC_E_STATE;
  size_t n = strlen(digits);
  for (size_t i = 0; i < n; i++)
    if (dtmf_code(digits[i]) < 0) return SIPSPEC_E_INVAL;
  if (n > DTMF_QUEUE_MAX - r->dq_len) return SIPSPEC_E_RANGE;
  for (size_t i = 0; i < n; i++) r->dq[(r->dq_head + r->dq_len++) % DTMF_QUEUE_MAX] = digits[i];
  r->dtmf_tone_ms = tone_ms ? tone_ms : 100;
  r->dtmf_gap_ms = gap_ms ? gap_ms : 60;
  media_schedule(r);
  return SIPSPEC_OK;
}

/* RFC 4733 §2.3: event, E|R|volume, duration (timestamp units, from the event's start). */
static int send_event(sipspec_rtp *r, int marker, int end, uint32_t duration) {
  uint8_t p[4];
  p[0] = r->ev_code;
  p[1] = (uint8_t)((end ? 0x80u : 0u) | DTMF_VOLUME);
  if (duration > 0xffffu) duration = 0xffffu;
  p[2] = (uint8_t)(duration >> 8);
  p[3] = (uint8_t)duration;
  return rtp_send_raw(r, (unsigned)r->o.dtmf_pt, marker, r->ev_ts, p, sizeof p);
}

/* One ptime of DTMF; 1 when the slot went to an event packet (no audio in it). RFC 4733
 * §2.5.1: every packet of an event carries the timestamp of its start and the duration so
 * far; the first has the marker bit; the end packet goes three times (§2.5.1.4), each a new
 * RTP packet with its own sequence number; then gap_ms of audio before the next digit. */
int rtp_dtmf_tick(sipspec_rtp *r, uint32_t samples) {
  if (r->ev_state == DTMF_GAP) {
    if (r->gap_left) {
      r->gap_left--;
      return 0;
    }
    r->ev_state = DTMF_IDLE;
  }
  if (r->ev_state == DTMF_IDLE) {
    if (!r->dq_len) return 0;
    r->ev_code = (uint8_t)dtmf_code(r->dq[r->dq_head]);
    r->dq_head = (r->dq_head + 1) % DTMF_QUEUE_MAX;
    r->dq_len--;
    r->ev_ts = r->ts;
    r->ev_ticks = 0;
    r->ev_ends = 0;
    r->ev_state = DTMF_TONE;
  }
  if (r->ev_state == DTMF_TONE) {
    r->ev_ticks++;
    send_event(r, r->ev_ticks == 1, 0, r->ev_ticks * samples);
    if (r->ev_ticks * r->o.ptime_ms >= r->dtmf_tone_ms) r->ev_state = DTMF_END;
    return 1;
  }
  send_event(r, 0, 1, r->ev_ticks * samples); /* DTMF_END: the final duration, three times */
  if (++r->ev_ends == 3) {
    r->st.dtmf_sent++;
    r->ev_state = DTMF_GAP;
    r->gap_left = (r->dtmf_gap_ms + r->o.ptime_ms - 1) / r->o.ptime_ms;
  }
  return 1;
}

/* A telephone-event packet of the remote source (RFC 4733 §2.3). */
void rtp_dtmf_take(sipspec_rtp *r, uint32_t ts, const uint8_t *p, size_t len) {
  /* RFC 4733 §2.5.2: the end of an event (E bit); its repeats share the timestamp */
  if (len < 4 || !(p[1] & 0x80u) || (r->dtmf_have_last && ts == r->dtmf_last_ts)) return;
  r->dtmf_have_last = 1;
  r->dtmf_last_ts = ts;
  if (p[0] > 15) return; /* not a DTMF event (§3.2) */
  char d = dtmf_char(p[0]);
  if (r->st.dtmf_received < sizeof r->st.dtmf_digits - 1) r->st.dtmf_digits[r->st.dtmf_received] = d;
  r->st.dtmf_received++;
  if (r->o.on_dtmf) r->o.on_dtmf(r, d, ((unsigned)p[2] << 8) | p[3], r->o.user);
}
