/* netutil.h: support for event-loop tests: bounded loop runs (a watchdog makes every run end
 * even when the behaviour under test is wrong) and a newline framer standing in for the SIP
 * stream framer in transport tests. */
#ifndef SIPSPEC_TEST_NETUTIL_H
#define SIPSPEC_TEST_NETUTIL_H

#include <ev.h>

#include "sipspec/transport.h"

/* Runs the loop until cond(arg) is true or max_s seconds passed. Returns 1 when the
 * condition became true, 0 when the watchdog ended the run. */
int tst_run_until(struct ev_loop *loop, int (*cond)(void *), void *arg, double max_s);
/* Runs the loop for s seconds (to check that something does NOT happen). */
void tst_run_for(struct ev_loop *loop, double s);

/* Messages are lines ending in '\n' (delivered without it). A NUL byte is garbage
 * (SIPSPEC_E_FRAMING), as is a line longer than TST_LINE_MAX. */
#define TST_LINE_MAX 65536
extern const sipspec_framer_type tst_line_framer;

#endif
