/* session/uas_2xx.h: a UAS core's 2xx to an INVITE, sent again until its ACK arrives
 * (RFC 3261 13.3.1.4).
 *
 * Why it exists: the INVITE server transaction sends a 2xx once and then waits in Accepted
 * (RFC 6026 8.7); retransmitting that 2xx is the TU's job, whatever the transport ("This is
 * independent of whatever transport protocols are used to send the response"). The copies
 * leave T1, 2*T1, 4*T1 ... apart, the interval capped at T2, until the ACK for that 2xx
 * arrives; after 64*T1 without one the dialog is confirmed but the session should end with
 * a BYE, which the owner sends from the give_up callback. Any UAS core that answers an
 * INVITE with 2xx can use it (the MRCP client's sessions for a server's re-INVITE; the
 * embedded server's calls could too).
 *
 * The schedule is the chart spec/uas_2xx.rl (Idle -> Sending -> Terminated: TU_2XX sends the
 * first copy and starts the RESEND and GIVEUP timers, TIMER_RESEND sends the next copy,
 * RX_ACK or TIMER_GIVEUP or the owner's stop() end it), run by the chart timer layer
 * (fsm/fsm_timers.h) with one ev_timer. Each copy goes through sipspec_tsx_respond() on the
 * INVITE server transaction, which counts it in sipRetransmissions and sends it where the
 * INVITE came from. Every copy is due a fixed time after the first (T1, 3*T1, 7*T1, ...),
 * never later than the one before plus its interval, so a loaded loop delays copies but
 * never drops one before 64*T1.
 *
 * Ownership: the owner embeds a sipspec_uas_2xx by value (fields private), calls
 * sipspec_uas_2xx_init() once, and sipspec_uas_2xx_stop() before freeing it. While a 2xx is
 * pending the helper owns the server transaction's callbacks (it needs on_terminated to
 * forget the handle); stop() clears them. Functions returning int return SIPSPEC_OK or a
 * negative sipspec/error.h code. Not for use from other threads than the loop's.
 */
#ifndef SIPSPEC_SESSION_UAS_2XX_H
#define SIPSPEC_SESSION_UAS_2XX_H

#include <ev.h>
#include <stdint.h>

#include "fsm/host_timers.h"
#include "session/tsx.h"
#include "sipspec/fsm.h"

typedef struct sipspec_uas_2xx sipspec_uas_2xx;

/* 64*T1 passed without the ACK; the helper has stopped. The owner may call any function
 * of the helper from here, and should end the dialog with BYE (13.3.1.4). */
typedef void (*sipspec_uas_2xx_give_up_fn)(sipspec_uas_2xx *r, void *user);

/* What one 2xx needs while it waits for its ACK (uas_2xx.c): allocated by send(), freed
 * once the ACK came, 64*T1 ran out or stop(); an owner that keeps a dialog for a long time
 * only embeds the small part below. */
struct uas_2xx_run;

struct sipspec_uas_2xx {
  sipspec_clock *clock;            /* private, as every field below */
  sipspec_uas_2xx_give_up_fn give_up;
  void *user;
  struct uas_2xx_run *run;         /* the pending 2xx, or NULL */
  uint32_t cseq;                   /* of the INVITE: the ACK carries the same number */
  unsigned copies;                 /* copies sent after the first */
};

/* Prepares r (nothing pending); its timers run on clock. give_up may be NULL. */
void sipspec_uas_2xx_init(sipspec_uas_2xx *r, sipspec_clock *clock, sipspec_uas_2xx_give_up_fn give_up,
                          void *user);

/* Answers INVITE server transaction ist (its request carries CSeq cseq) with status
 * (200..299), headers (NULL or "Name: value\r\n" lines) and body (copied), and sends it
 * again on the schedule above until sipspec_uas_2xx_ack() takes its ACK, stop() is called
 * or 64*T1 pass (give_up). t1_ms/t2_ms: the configured T1 and T2. A 2xx still pending is
 * forgotten first (stop()). Returns what sipspec_tsx_respond() returned for the first
 * copy (then nothing is pending on failure), SIPSPEC_E_INVAL for a bad argument,
 * SIPSPEC_E_NOMEM. */
int sipspec_uas_2xx_send(sipspec_uas_2xx *r, sipspec_tsx *ist, uint32_t cseq, unsigned t1_ms, unsigned t2_ms,
                         int status, const char *headers, const char *body, size_t body_len);

/* An ACK that matched the owner's dialog: 1 when it acknowledges the pending 2xx (same
 * CSeq number; 13.2.2.4), which then stops; 0 otherwise (nothing pending, another CSeq, not
 * an ACK). */
int sipspec_uas_2xx_ack(sipspec_uas_2xx *r, const sipspec_msg *ack);

/* 1 while a 2xx waits for its ACK. */
int sipspec_uas_2xx_pending(const sipspec_uas_2xx *r);
/* Copies sent after the first one for the current (or last) 2xx. */
unsigned sipspec_uas_2xx_copies(const sipspec_uas_2xx *r);

/* Stops the timer, forgets the 2xx and releases the transaction's callbacks. Safe to call
 * at any time, more than once. */
void sipspec_uas_2xx_stop(sipspec_uas_2xx *r);

#endif
