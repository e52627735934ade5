/* call_report.h: what one MRCP session attempt came to, as `sipspec call` and `sipspec demo`
 * print it: a plain struct filled while the session runs, written either as text lines or as
 * the one JSON object of `--json` (docs/cli.md lists its fields).
 *
 * The struct holds copies only (no pointers into the user agent), so it stays valid after the
 * user agent is destroyed. */
#ifndef SIPSPEC_TOOLS_CALL_REPORT_H
#define SIPSPEC_TOOLS_CALL_REPORT_H

#include <stdio.h>

#include "sipspec/mrcp_sdp.h"
#include "sipspec/rtp.h"
#include "sipspec/telemetry.h"

typedef struct cli_call_report {
  const char *result;        /* sipspec_result_name(), or "error" when the call could not start */
  int status;                /* final status of the INVITE; 0: none (written as null) */
  char reason[160];          /* its reason phrase, or a sentence saying what happened; "" none */
  int bye_sent;              /* a BYE of ours ended the session: bye_status and bye_reason */
  int bye_status;            /* the final status of our BYE; 0: none (written as null) */
  char bye_reason[160];      /* its reason phrase, or a sentence saying why there was none */
  unsigned session_expires;  /* the session interval negotiated (RFC 4028), 0: none (null) */
  char refresher[4];         /* who refreshed last: "uac", "uas", "" (null) */
  char warning[160];         /* the Warning text of a refusal; "" none */
  unsigned ntargets;         /* the DNS targets the INVITE went to (RFC 3263 4.3); 0: null */
  struct {
    char address[64], transport[4];
    char left[96];           /* why the INVITE left it; "": the one in use (null) */
  } targets[8];
  const char *ended_by;      /* sipspec_end_reason_name(): "none", "local", "peer", "error" */
  char call_id[128];
  char error[256];           /* why the call could not start (result "error"); "" none */
  int established;           /* the 2xx arrived and fit the offer */
  int has_answer;            /* answer below is filled */
  sipspec_mrcp_answer answer;
  int has_media;             /* an RTP endpoint ran: media below is its last figures */
  sipspec_rtp_stats media;
  char media_error[160];     /* why no RTP endpoint ran although asked; "" none */
  sipspec_telemetry tel;
} cli_call_report;

/* An empty report: result "error", no status, ended_by "none", zero counters. */
void cli_call_report_init(cli_call_report *r);

/* The codec the answer chose: its first audio codec that is not telephone-event (NULL when
 * the answer has none). */
const sipspec_mrcp_codec_choice *cli_call_report_codec(const cli_call_report *r);

/* One JSON object, no trailing newline:
 *   {"result":..,"status":..,"reason":..,"call_id":..,"session":{..}|null,"ended_by":..,
 *    "bye_status":..,"bye_reason":..,"session_expires":..,"refresher":..,"targets":[..]|null,
 *    "media":{..}|null,"telemetry":{..}}  (+ "warning", "error", "media_error" when set;
 *    docs/media.md says what each media figure is).
 * extra (may be NULL) writes more members (",\"name\":value...") before the closing brace. */
void cli_call_report_json(FILE *out, const cli_call_report *r, void (*extra)(FILE *out, void *arg), void *arg);

/* The negotiated session as indented text lines (nothing when not established). */
void cli_call_report_session_text(FILE *out, const cli_call_report *r);

#endif
