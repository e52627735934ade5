/* serve_media.c: serve's RTP endpoints, one per answered call (serve_media.h). */
#include "serve_media.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_media.h"
#include "sipspec/error.h"

struct serve_call_media {
  serve_call_media *next;
  serve_media *sm;
  char *call_id;
  sipspec_rtp *rtp;
  unsigned pt;
  int echoing;               /* the first packet fixed the mapping below */
  uint32_t in_ts0, out_ts0;  /* its RTP timestamp, our media time when it came */
  double phase;
};

int serve_media_parse(serve_media *sm, const char *arg, char *err, size_t errlen) {
  if (!strcmp(arg, "echo")) {
    sm->tone = 0;
    return SIPSPEC_OK;
  }
  if (!strncmp(arg, "tone:", 5)) {
    char *end = NULL;
    double hz = strtod(arg + 5, &end);
    if (end != arg + 5 && !*end && hz > 0 && hz < 4000) {
      sm->tone = 1;
      sm->tone_hz = hz;
      return SIPSPEC_OK;
    }
  }
  snprintf(err, errlen, "'%s': expected echo or tone:HZ with 0 < HZ < 4000", arg);
  return SIPSPEC_E_INVAL;
}

int serve_media_init(serve_media *sm, struct ev_loop *loop, char *err, size_t errlen) {
  sipspec_rtp_opts_init(&sm->base);
  int rc = sipspec_rtp_opts_from_env(&sm->base, err, errlen);
  if (rc != SIPSPEC_OK) return rc;
  sm->clock = sipspec_clock_libev_new(loop);
  if (!sm->clock) {
    snprintf(err, errlen, "out of memory");
    return SIPSPEC_E_NOMEM;
  }
  return SIPSPEC_OK;
}

/* Echo: each packet goes back at once, its timestamp as far from the first echoed one as
 * the received timestamps are apart, so the echo keeps the sender's pacing and gaps. */
static void on_audio(sipspec_rtp *r, unsigned pt, uint32_t ts, const uint8_t *payload, size_t len, void *user) {
  serve_call_media *c = user;
  if (c->sm->tone || pt != c->pt || !len) return;
  if (!c->echoing) {
    c->echoing = 1;
    c->in_ts0 = ts;
    c->out_ts0 = sipspec_rtp_media_ts(r);
  }
  (void)sipspec_rtp_send_at(r, c->out_ts0 + (ts - c->in_ts0), payload, len);
}

static int tone_source(void *user, uint8_t *buf, size_t cap) {
  serve_call_media *c = user;
  for (size_t i = 0; i < cap; i++) {
    int s = (int)(8000.0 * sin(c->phase));
    c->phase += 2 * M_PI * c->sm->tone_hz / 8000.0;
    if (c->phase > 2 * M_PI) c->phase -= 2 * M_PI;
    buf[i] = c->pt == 8 ? cli_g711_alaw(s) : cli_g711_ulaw(s);
  }
  return (int)cap;
}

int serve_media_start(serve_media *sm, sipspec_server *srv, const char *call_id, char *err, size_t errlen) {
  const char *offer = NULL, *answer = NULL;
  size_t olen = 0, alen = 0;
  if (sipspec_server_call_sdp(srv, call_id, &offer, &olen, &answer, &alen) != SIPSPEC_OK) {
    snprintf(err, errlen, "no offer and answer for this call");
    return SIPSPEC_E_NOTFOUND;
  }
  sipspec_rtp_sdp_audio an;
  if (sipspec_rtp_sdp_audio_read(answer, alen, &an) != SIPSPEC_OK || an.pt < 0) {
    snprintf(err, errlen, "the answer has no PCMU or PCMA audio stream");
    return SIPSPEC_E_INVAL;
  }
  serve_call_media *c = calloc(1, sizeof *c);
  if (!c || !(c->call_id = strdup(call_id))) {
    free(c);
    snprintf(err, errlen, "out of memory");
    return SIPSPEC_E_NOMEM;
  }
  c->sm = sm;
  c->pt = (unsigned)an.pt;
  sipspec_rtp_opts o = sm->base;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  int peer_mux = 0;
  if (sipspec_rtp_remote_from_sdp(&o, offer, olen, host, sizeof host, &peer_mux) != SIPSPEC_OK) {
    free(c->call_id);
    free(c);
    snprintf(err, errlen, "the offer has no audio stream with an IP address");
    return SIPSPEC_E_INVAL;
  }
  o.clock = sm->clock;
  o.bind_host = sm->bind_host;
  o.local_port = an.port;
  o.rtcp_mux = an.rtcp_mux && peer_mux; /* RFC 5761: our answer says it only when offered */
  o.payload_type = c->pt;
  o.dtmf_pt = an.dtmf_pt;
  o.ptime_ms = an.ptime_ms ? an.ptime_ms : 20;
  o.source = sm->tone ? tone_source : NULL;
  o.on_audio = on_audio;
  o.user = c;
  int rc = sipspec_rtp_create(&o, &c->rtp, err, errlen);
  if (rc != SIPSPEC_OK) {
    free(c->call_id);
    free(c);
    return rc;
  }
  c->next = sm->calls;
  sm->calls = c;
  return SIPSPEC_OK;
}

static void call_free(serve_call_media *c) {
  sipspec_rtp_free(c->rtp);
  free(c->call_id);
  free(c);
}

void serve_media_stop(serve_media *sm, const char *call_id,
                      void (*report)(void *user, const char *call_id, const sipspec_rtp_stats *st), void *user) {
  for (serve_call_media **pp = &sm->calls; *pp; pp = &(*pp)->next) {
    serve_call_media *c = *pp;
    if (strcmp(c->call_id, call_id)) continue;
    *pp = c->next;
    sipspec_rtp_stop(c->rtp, "session ended"); /* RTCP BYE (RFC 3550 §6.3.7) */
    if (report) report(user, c->call_id, sipspec_rtp_get_stats(c->rtp));
    call_free(c);
    return;
  }
}

void serve_media_free(serve_media *sm) {
  while (sm->calls) {
    serve_call_media *c = sm->calls;
    sm->calls = c->next;
    call_free(c);
  }
  if (sm->clock) sipspec_clock_free(sm->clock);
  sm->clock = NULL;
}
