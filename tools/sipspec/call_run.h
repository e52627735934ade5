/* call_run.h: one MRCP session driven the way `sipspec call` and `sipspec demo` drive it:
 * start it, print what happens (provisional responses, the answer, keep-alives), hold it for
 * hold_ms once established, end it with BYE, and fill a cli_call_report when it is over.
 *
 * Ownership: the cli_call is the caller's (usually on the stack) and must stay in place from
 * cli_call_start() until cli_call_finish(); it embeds its hold timer (libev's composite
 * watcher pattern), which cli_call_finish() stops. */
#ifndef SIPSPEC_TOOLS_CALL_RUN_H
#define SIPSPEC_TOOLS_CALL_RUN_H

#include <ev.h>
#include <stdio.h>

#include "call_media.h"
#include "call_report.h"
#include "sipspec/ua.h"

typedef struct cli_call {
  /* rw: set before cli_call_start() */
  FILE *log;                 /* a line per event as it happens (NULL: silent) */
  const char *who;           /* prefix of those lines, e.g. "client" (NULL: none) */
  unsigned hold_ms;          /* how long an established session is kept before BYE */
  void (*on_done)(struct cli_call *c); /* after on_terminated filled the report (may be NULL) */
  void *user;
  cli_media media;           /* --play, --record, local_port (0: no RTP endpoint) */
  /* ro */
  cli_call_report rep;
  int done;                  /* on_terminated came */
  int result;                /* sipspec_result once done, -1 before */
  /* private */
  struct ev_loop *loop;
  sipspec_session *s;        /* NULL before start and once terminated */
  ev_timer hold;
  int ending;
  sipspec_clock *clock;      /* libev's clock of the loop, for the RTP endpoint */
} cli_call;

void cli_call_init(cli_call *c);

/* Starts the session on ua with o (its callbacks are replaced by the runner's). On failure
 * the report says why (result "error") and nothing else will happen. */
int cli_call_start(cli_call *c, sipspec_ua *ua, sipspec_session_opts *o);

/* Ends the session now (CANCEL while early, BYE once established), e.g. on SIGINT. Does
 * nothing when it is already ending or over. */
void cli_call_hangup(cli_call *c);

/* Stops the hold timer and copies the user agent's counters into the report. Call after the
 * loop run, before destroying ua. */
void cli_call_finish(cli_call *c, sipspec_ua *ua);

#endif
