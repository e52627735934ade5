/* call_media.h: the audio of `sipspec call`: an RTP endpoint (sipspec/rtp.h) created from
 * the negotiated answer, fed from --play (a WAV file of 16-bit PCM at 8 kHz mono, a raw
 * mu-law/A-law file, or tone:HZ), with --dtmf digits as RFC 4733 events, and written to
 * --record (the received payloads as raw G.711 octets, or a RIFF/WAVE file of G.711 when
 * the name ends in .wav). Also the media object of the JSON reports, which serve's event
 * lines share. */
#ifndef SIPSPEC_TOOLS_CALL_MEDIA_H
#define SIPSPEC_TOOLS_CALL_MEDIA_H

#include <stdint.h>
#include <stdio.h>

#include "sipspec/mrcp_sdp.h"
#include "sipspec/rtp.h"

typedef struct cli_media {
  /* rw */
  const char *play;          /* NULL: send nothing */
  const char *record;        /* NULL: keep nothing */
  unsigned local_port;       /* the RTP port of our offer */
  const char *dtmf;          /* digits to send as telephone-events (NULL: none) */
  int mux;                   /* our offer carries a=rtcp-mux (RFC 5761) */
  /* private */
  sipspec_rtp *rtp;
  FILE *in, *out;
  int wav;                   /* in is 16-bit PCM to encode */
  int out_wav;               /* out is a RIFF/WAVE file whose sizes are written at the end */
  uint64_t out_bytes;
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

/* The RIFF/WAVE header of n octets of G.711 at 8 kHz mono: format tag 7 (mu-law, pt 0) or 6
 * (A-law, pt 8), 8 bits a sample, fmt chunk of 18 bytes (cbSize 0), a fact chunk (sample
 * count, required for a format other than PCM), then the data chunk header. Writes
 * CLI_WAV_G711_HEADER bytes into h. */
#define CLI_WAV_G711_HEADER 58
void cli_wav_g711_header(unsigned char *h, unsigned pt, uint32_t n);

/* The media object of --json (docs/media.md): "null" without st. */
void cli_media_json(FILE *out, const sipspec_rtp_stats *st);

/* RFC 3551 / ITU-T G.711 encoders of one 16-bit sample. */
unsigned char cli_g711_ulaw(int pcm);
unsigned char cli_g711_alaw(int pcm);

#endif
