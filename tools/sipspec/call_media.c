/* call_media.c: the audio of `sipspec call` (call_media.h). */
#include "call_media.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli_util.h"
#include "sipspec/error.h"

/* ITU-T G.711 mu-law: bias 0x84, segment search, inverted bits. */
unsigned char cli_g711_ulaw(int pcm) {
  int sign = pcm < 0 ? 0x80 : 0;
  if (pcm < 0) pcm = -pcm;
  if (pcm > 32635) pcm = 32635;
  pcm += 0x84;
  int seg = 7;
  for (int mask = 0x4000; seg > 0 && !(pcm & mask); mask >>= 1) seg--;
  int mant = (pcm >> (seg + 3)) & 0x0f;
  return (unsigned char)~(sign | (seg << 4) | mant);
}

/* ITU-T G.711 A-law: even bits inverted (0x55). */
unsigned char cli_g711_alaw(int pcm) {
  int sign = pcm >= 0 ? 0x80 : 0;
  if (pcm < 0) pcm = -pcm - 1;
  if (pcm > 32767) pcm = 32767;
  int seg = 0;
  for (int v = pcm >> 8; v && seg < 7; v >>= 1) seg++;
  int mant = seg ? (pcm >> (seg + 3)) & 0x0f : (pcm >> 4) & 0x0f;
  return (unsigned char)((sign | (seg << 4) | mant) ^ 0x55);
}

static int fail(char *err, size_t errlen, const char *what, const char *why) {
  snprintf(err, errlen, "%s: %s", what, why);
  return SIPSPEC_E_INVAL;
}

/* A canonical WAV header: RIFF/WAVE, fmt PCM (1) mono 8000 Hz 16-bit, then the data chunk. */
static int read_wav_header(FILE *f, char *err, size_t errlen, const char *name) {
  unsigned char h[12];
  if (fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) return fail(err, errlen, name, "not a RIFF/WAVE file");
  int fmt_ok = 0;
  for (int i = 0; i < 16; i++) { /* bounded chunk walk */
    unsigned char c[8];
    if (fread(c, 1, 8, f) != 8) break;
    unsigned long sz = c[4] | ((unsigned long)c[5] << 8) | ((unsigned long)c[6] << 16) | ((unsigned long)c[7] << 24);
    if (!memcmp(c, "fmt ", 4)) {
      unsigned char fm[16];
      if (sz < 16 || fread(fm, 1, 16, f) != 16) return fail(err, errlen, name, "short fmt chunk");
      unsigned fmt = fm[0] | (fm[1] << 8), ch = fm[2] | (fm[3] << 8), bits = fm[14] | (fm[15] << 8);
      unsigned long rate = fm[4] | ((unsigned long)fm[5] << 8) | ((unsigned long)fm[6] << 16);
      if (fmt != 1 || ch != 1 || rate != 8000 || bits != 16) return fail(err, errlen, name, "expected PCM 16-bit 8000 Hz mono");
      if (sz > 16 && fseek(f, (long)(sz - 16 + (sz & 1)), SEEK_CUR)) return fail(err, errlen, name, "bad fmt chunk");
      fmt_ok = 1;
    } else if (!memcmp(c, "data", 4)) {
      return fmt_ok ? SIPSPEC_OK : fail(err, errlen, name, "data before fmt");
    } else if (fseek(f, (long)(sz + (sz & 1)), SEEK_CUR)) {
      break;
    }
  }
  return fail(err, errlen, name, "no data chunk");
}

int cli_media_open(cli_media *m, char *err, size_t errlen) {
  if (!m->play) return SIPSPEC_OK;
  if (!strncmp(m->play, "tone:", 5)) {
    char *end;
    m->tone_hz = strtod(m->play + 5, &end);
    if (*end || !(m->tone_hz > 0 && m->tone_hz < 4000)) return fail(err, errlen, m->play, "expected tone:HZ with 0 < HZ < 4000");
    return SIPSPEC_OK;
  }
  m->in = fopen(m->play, "rb");
  if (!m->in) return fail(err, errlen, m->play, "cannot open");
  size_t n = strlen(m->play);
  if (n > 4 && !strcmp(m->play + n - 4, ".wav")) {
    m->wav = 1;
    int rc = read_wav_header(m->in, err, errlen, m->play);
    if (rc != SIPSPEC_OK) {
      fclose(m->in);
      m->in = NULL;
    }
    return rc;
  }
  return SIPSPEC_OK; /* raw G.711 octets, sent as they are */
}

static int source(void *user, uint8_t *buf, size_t cap) {
  cli_media *m = user;
  if (m->tone_hz > 0) {
    for (size_t i = 0; i < cap; i++) {
      int s = (int)(8000.0 * sin(m->phase));
      m->phase += 2 * M_PI * m->tone_hz / 8000.0;
      if (m->phase > 2 * M_PI) m->phase -= 2 * M_PI;
      buf[i] = m->pt == 8 ? cli_g711_alaw(s) : cli_g711_ulaw(s);
    }
    return (int)cap;
  }
  if (!m->in) return -1;
  if (m->wav) {
    size_t i = 0;
    for (; i < cap; i++) {
      unsigned char b[2];
      if (fread(b, 1, 2, m->in) != 2) break;
      int s = (int16_t)(b[0] | (b[1] << 8));
      buf[i] = m->pt == 8 ? cli_g711_alaw(s) : cli_g711_ulaw(s);
    }
    return i ? (int)i : -1;
  }
  size_t n = fread(buf, 1, cap, m->in);
  return n ? (int)n : -1;
}

static void put_le32(unsigned char *p, uint32_t v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
  p[2] = (unsigned char)(v >> 16);
  p[3] = (unsigned char)(v >> 24);
}
static void put_le16(unsigned char *p, unsigned v) {
  p[0] = (unsigned char)v;
  p[1] = (unsigned char)(v >> 8);
}

/* RIFF/WAVE (Microsoft's multimedia format, RFC 2361 registers the tags): WAVE_FORMAT_MULAW
 * 7 and WAVE_FORMAT_ALAW 6 keep the octets as they came, without decoding. */
void cli_wav_g711_header(unsigned char *h, unsigned pt, uint32_t n) {
  uint32_t pad = n & 1u; /* chunks are padded to an even length */
  memcpy(h, "RIFF", 4);
  put_le32(h + 4, 4u + (8u + 18u) + (8u + 4u) + 8u + n + pad);
  memcpy(h + 8, "WAVE", 4);
  memcpy(h + 12, "fmt ", 4);
  put_le32(h + 16, 18);
  put_le16(h + 20, pt == 8 ? 6 : 7); /* format tag */
  put_le16(h + 22, 1);                /* channels */
  put_le32(h + 24, 8000);             /* samples a second */
  put_le32(h + 28, 8000);             /* bytes a second */
  put_le16(h + 32, 1);                /* block align */
  put_le16(h + 34, 8);                /* bits a sample */
  put_le16(h + 36, 0);                /* cbSize: no extra format bytes */
  memcpy(h + 38, "fact", 4);
  put_le32(h + 42, 4);
  put_le32(h + 46, n);                /* samples: one octet each */
  memcpy(h + 50, "data", 4);
  put_le32(h + 54, n);
}

static void on_audio(sipspec_rtp *r, unsigned pt, uint32_t ts, const uint8_t *payload, size_t len, void *user) {
  cli_media *m = user;
  (void)r;
  (void)ts;
  /* only the negotiated codec (the endpoint passes no telephone-events here) */
  if (m->out && len && pt == m->pt && fwrite(payload, 1, len, m->out) == len) m->out_bytes += len;
}

int cli_media_start(cli_media *m, sipspec_clock *clock, const sipspec_mrcp_answer *an, const char *sdp,
                    size_t sdp_len, char *err, size_t errlen) {
  const sipspec_mrcp_audio *a = &an->audio;
  if (!a->present || a->rejected || !a->port) return SIPSPEC_OK;
  int pt = -1;
  for (size_t i = 0; i < a->ncodecs && i < SIPSPEC_MRCP_MAX_CODECS; i++)
    if (a->codecs[i].codec == SIPSPEC_MRCP_PCMU || a->codecs[i].codec == SIPSPEC_MRCP_PCMA) {
      pt = (int)a->codecs[i].pt;
      break;
    }
  if (pt < 0) return fail(err, errlen, "audio", "the answer chose no PCMU or PCMA");
  sipspec_rtp_opts o;
  sipspec_rtp_opts_init(&o);
  int rc = sipspec_rtp_opts_from_env(&o, err, errlen);
  if (rc != SIPSPEC_OK) return rc;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  int mux = 0;
  if (!sdp || sipspec_rtp_remote_from_sdp(&o, sdp, sdp_len, host, sizeof host, &mux) != SIPSPEC_OK) {
    size_t hl = strlen(a->host);
    if (hl >= sizeof host) return fail(err, errlen, "audio", "the answer's address is too long");
    memcpy(host, a->host, hl + 1);
    o.remote_host = host;
    o.remote_port = a->port;
  }
  o.rtcp_mux = m->mux && mux; /* RFC 5761 §5.1.1: both sides said a=rtcp-mux */
  o.dtmf_pt = a->telephone_event_pt; /* RFC 4733 §7.1.1: only when the answer kept it */
  if (m->dtmf && o.dtmf_pt < 0) return fail(err, errlen, "--dtmf", "the answer did not accept telephone-event");
  o.clock = clock;
  o.local_port = m->local_port;
  o.payload_type = (unsigned)pt;
  o.ptime_ms = a->ptime ? a->ptime : 20;
  m->pt = (unsigned)pt;
  o.source = m->play ? source : NULL;
  o.on_audio = on_audio;
  o.user = m;
  if (m->record) {
    size_t rl = strlen(m->record);
    m->out_wav = rl > 4 && !strcasecmp(m->record + rl - 4, ".wav");
    if (!(m->out = fopen(m->record, "wb"))) return fail(err, errlen, m->record, "cannot create");
    unsigned char h[CLI_WAV_G711_HEADER];
    cli_wav_g711_header(h, m->pt, 0); /* sizes written again at the end */
    if (m->out_wav && fwrite(h, 1, sizeof h, m->out) != sizeof h) return fail(err, errlen, m->record, "cannot write");
  }
  rc = sipspec_rtp_create(&o, &m->rtp, err, errlen);
  if (rc == SIPSPEC_OK && m->dtmf && *m->dtmf) {
    rc = sipspec_rtp_send_dtmf(m->rtp, m->dtmf, 0, 0);
    if (rc != SIPSPEC_OK) snprintf(err, errlen, "--dtmf %s: %s", m->dtmf, sipspec_strerror(rc));
  }
  return rc;
}

static void num_or_null(FILE *out, const char *name, int known, double v) {
  if (known) fprintf(out, ",\"%s\":%.3f", name, v);
  else fprintf(out, ",\"%s\":null", name);
}

/* docs/media.md: RFC 3550 §6.4 and Appendix A figures of the session's audio. */
void cli_media_json(FILE *out, const sipspec_rtp_stats *m) {
  if (!m) {
    fputs("null", out);
    return;
  }
  fprintf(out, "{\"packets_sent\":%llu,\"octets_sent\":%llu,\"packets_received\":%llu,\"octets_received\":%llu",
          (unsigned long long)m->packets_sent, (unsigned long long)m->octets_sent, (unsigned long long)m->packets_received,
          (unsigned long long)m->octets_received);
  fprintf(out, ",\"lost\":%lld,\"lost_last_interval\":%lld,\"fraction_lost\":%.4f", (long long)m->lost,
          (long long)m->lost_interval, m->fraction_lost / 256.0);
  int j = m->jitter_samples > 0;
  fputs(",\"jitter_ms\":{", out);
  if (j) fprintf(out, "\"last\":%.3f,\"min\":%.3f,\"mean\":%.3f,\"max\":%.3f,\"peak\":%.3f}", m->jitter_ms,
                 m->jitter_min_ms, m->jitter_mean_ms, m->jitter_max_ms, m->jitter_peak_ms);
  else fputs("\"last\":null,\"min\":null,\"mean\":null,\"max\":null,\"peak\":null}", out);
  num_or_null(out, "rtt_ms", m->rtt_known, m->rtt_ms);
  double rf = 0, mos = 0;
  int has_mos = sipspec_rtp_mos(m, &rf, &mos) == SIPSPEC_OK;
  num_or_null(out, "r_factor", has_mos, rf);
  num_or_null(out, "mos", has_mos, mos);
  fprintf(out, ",\"rtcp_sent\":%llu,\"rtcp_received\":%llu,\"rtcp_malformed\":%llu,\"rtp_foreign\":%llu,"
               "\"ssrc_changes\":%u",
          (unsigned long long)m->rtcp_sent, (unsigned long long)m->rtcp_received, (unsigned long long)m->rtcp_malformed,
          (unsigned long long)m->rtp_foreign, (unsigned)m->ssrc_changes);
  fprintf(out, ",\"rtcp_mux\":%s,\"dtmf_sent\":%llu,\"dtmf_received\":%llu,\"dtmf_digits\":", m->rtcp_mux ? "true" : "false",
          (unsigned long long)m->dtmf_sent, (unsigned long long)m->dtmf_received);
  cli_json_string(out, m->dtmf_digits);
  /* RFC 3611 §4.7: what we sent on the peer's stream, and the peer's block on ours */
  uint8_t xrf, xcq;
  sipspec_rtp_xr_quality(m, &xrf, &xcq);
  fprintf(out, ",\"xr\":{\"sent\":%llu,\"burst_density\":%.4f,\"gap_density\":%.4f,\"burst_ms\":%u,\"gap_ms\":%u,"
               "\"r_factor\":%u,\"mos_cq\":%u,\"peer\":",
          (unsigned long long)m->xr_sent, m->xr_burst_density / 256.0, m->xr_gap_density / 256.0, (unsigned)m->xr_burst_ms,
          (unsigned)m->xr_gap_ms, (unsigned)xrf, (unsigned)xcq);
  if (m->peer_xr)
    fprintf(out, "{\"loss_rate\":%.4f,\"rtt_ms\":%u,\"r_factor\":%u,\"mos_lq\":%u,\"mos_cq\":%u}}}",
            m->peer_xr_loss_rate / 256.0, (unsigned)m->peer_xr_rtt_ms, (unsigned)m->peer_xr_r_factor,
            (unsigned)m->peer_xr_mos_lq, (unsigned)m->peer_xr_mos_cq);
  else
    fputs("null}}", out);
}

void cli_media_stop(cli_media *m) {
  if (m->rtp) sipspec_rtp_stop(m->rtp, "session ended");
  if (m->out && m->out_wav) { /* the sizes of a RIFF/WAVE file, now that they are known */
    uint32_t n = m->out_bytes > 0xfffffff0u ? 0xfffffff0u : (uint32_t)m->out_bytes;
    unsigned char h[CLI_WAV_G711_HEADER];
    cli_wav_g711_header(h, m->pt, n);
    if (n & 1u) fputc(0, m->out);
    if (fseek(m->out, 0, SEEK_SET) == 0) fwrite(h, 1, sizeof h, m->out);
  }
  if (m->out) fclose(m->out);
  m->out = NULL;
}

const sipspec_rtp_stats *cli_media_stats(const cli_media *m) { return m->rtp ? sipspec_rtp_get_stats(m->rtp) : NULL; }

void cli_media_close(cli_media *m) {
  cli_media_stop(m);
  sipspec_rtp_free(m->rtp);
  m->rtp = NULL;
  if (m->in) fclose(m->in);
  m->in = NULL;
}
