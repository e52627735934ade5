/* serve_media.h: the audio of `sipspec serve --media`: one RTP endpoint (sipspec/rtp.h) per
 * answered call, on the m=audio port of the server's answer towards the offer's address,
 * that echoes what it receives (symmetric RTP, the received timestamps' gaps kept) or sends
 * a tone, sends RTCP (SR/RR, SDES, RFC 3611 VoIP metrics, BYE at the end), takes RFC 4733
 * digits, and hands its figures over when the call ends. */
#ifndef SIPSPEC_TOOLS_SERVE_MEDIA_H
#define SIPSPEC_TOOLS_SERVE_MEDIA_H

#include <ev.h>

#include "sipspec/rtp.h"
#include "sipspec/server.h"

typedef struct serve_call_media serve_call_media;

typedef struct serve_media {
  /* rw, before serve_media_init() */
  int tone;                  /* 0: echo; 1: a tone of tone_hz */
  double tone_hz;
  const char *bind_host;     /* the endpoints' local address (serve's listening host) */
  /* private */
  sipspec_rtp_opts base;     /* MRCP_SIP_RTCP_INTERVAL_MS and the defaults */
  sipspec_clock *clock;
  serve_call_media *calls;
} serve_media;

/* Parses "echo" or "tone:HZ" (0 < HZ < 4000) into sm; a sentence in err otherwise. */
int serve_media_parse(serve_media *sm, const char *arg, char *err, size_t errlen);
/* The clock and MRCP_SIP_RTCP_INTERVAL_MS (SIPSPEC_E_CONFIG with a sentence for a bad one). */
int serve_media_init(serve_media *sm, struct ev_loop *loop, char *err, size_t errlen);
/* Starts the endpoint of the call with this Call-ID from the server's offer and answer. */
int serve_media_start(serve_media *sm, sipspec_server *srv, const char *call_id, char *err, size_t errlen);
/* Stops it (RTCP BYE) and calls report with its figures; nothing when it has none. */
void serve_media_stop(serve_media *sm, const char *call_id,
                      void (*report)(void *user, const char *call_id, const sipspec_rtp_stats *st), void *user);
/* Stops and frees every endpoint left, then the clock. */
void serve_media_free(serve_media *sm);

#endif
