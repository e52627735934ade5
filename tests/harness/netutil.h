/* netutil.h: support for event-loop tests: bounded loop runs (a watchdog makes every run end
 * even when the behaviour under test is wrong) and a newline framer standing in for the SIP
 * stream framer in transport tests. */
#ifndef SIPSPEC_TEST_NETUTIL_H
#define SIPSPEC_TEST_NETUTIL_H

#include <ev.h>

#include "sipspec/clock.h"
#include "sipspec/transport.h"

/* The clock the runs below use for loop: after tst_use_clock(c) (c's loop), they run on c,
 * so with a virtual clock max_s and s are virtual seconds (a 32 s wait takes no real time);
 * tst_use_clock(NULL) goes back to real time. */
void tst_use_clock(sipspec_clock *c);
sipspec_clock *tst_clock(void);
/* The time of the clock in use, in ms (libev's ev_now() when none is). */
uint64_t tst_now_ms(struct ev_loop *loop);

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
