/* call_media.h: the audio of `sipspec call`: an RTP endpoint (sipspec/rtp.h) created from
 * the negotiated answer, fed from --play (a WAV file of 16-bit PCM at 8 kHz mono, a raw
 * mu-law/A-law file, or tone:HZ) and written to --record (the received payloads as raw
 * G.711 octets). */
#ifndef SIPSPEC_TOOLS_CALL_MEDIA_H
#define SIPSPEC_TOOLS_CALL_MEDIA_H

#include <stdio.h>

#include "sipspec/mrcp_sdp.h"
#include "sipspec/rtp.h"

typedef struct cli_media {
  /* rw */
  const char *play;          /* NULL: send nothing */
  const char *record;        /* NULL: keep nothing */
  unsigned local_port;       /* the RTP port of our offer */
  /* private */
  sipspec_rtp *rtp;
  FILE *in, *out;
  int wav;                   /* in is 16-bit PCM to encode */
  double tone_hz, phase;
  unsigned pt;
} cli_media;

/* Opens --play (checking the file) before the call; a sentence in err on failure. */
int cli_media_open(cli_media *m, char *err, size_t errlen);
/* Starts the endpoint from the answer (its SDP text for a=rtcp); nothing when the audio was
 * rejected or its codec is neither PCMU nor PCMA. */
int cli_media_start(cli_media *m, sipspec_clock *clock, const sipspec_mrcp_answer *an, const char *sdp,
                    size_t sdp_len, char *err, size_t errlen);
/* Sends the RTCP BYE and closes the sockets; the statistics stay. */
void cli_media_stop(cli_media *m);
const sipspec_rtp_stats *cli_media_stats(const cli_media *m); /* NULL when none ran */
void cli_media_close(cli_media *m);

/* RFC 3551 / ITU-T G.711 encoders of one 16-bit sample. */
unsigned char cli_g711_ulaw(int pcm);
unsigned char cli_g711_alaw(int pcm);

#endif
