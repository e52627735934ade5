/* sipspec/clock.h: where the stack takes its time and its timers from.
 *
 * Every timer of every machine object (transactions, dialogs, sessions, server calls,
 * connections) runs on one clock: a min-heap of due times behind a single libev timer in
 * production, or a virtual clock in tests. With a virtual clock, time stands still until the
 * test advances it (sipspec_clock_run()): the loop's I/O still runs for real (loopback
 * sockets), and every timer fires exactly at its due time in virtual milliseconds, in due
 * order, however loaded the machine is. A test can therefore use the RFC's timer values
 * (T1 = 500 ms, Timer B = 32 s) and assert exact times, and run in far less wall time.
 *
 * The clock also carries the one deferred-destroy mechanism of the stack: an object that ends
 * is buried (sipspec_clock_bury()) and freed once the callbacks on the stack have returned;
 * other work that must wait for them goes through sipspec_clock_defer().
 *
 * Ownership: the caller creates a clock, passes it in the options of sipspec_ua_create() /
 * sipspec_server_create() (NULL: each of them uses libev's clock of its loop), and frees it
 * after every object that uses it is destroyed.
 */
#ifndef SIPSPEC_CLOCK_H
#define SIPSPEC_CLOCK_H

#include <ev.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

typedef struct sipspec_clock sipspec_clock;

/* libev's clock of loop (ev_now, in ms). NULL when out of memory. */
sipspec_clock *sipspec_clock_libev_new(struct ev_loop *loop);
/* A virtual clock starting at start_ms, whose I/O runs on loop. NULL when out of memory. */
sipspec_clock *sipspec_clock_virtual_new(struct ev_loop *loop, uint64_t start_ms);
/* Frees the clock. Every timer still armed on it is dropped (not fired); buried objects not
 * freed yet are freed. Called from inside the clock's own step (an object that owns its
 * clock freed by the clock), the free happens when the step ends. */
void sipspec_clock_free(sipspec_clock *c);

int sipspec_clock_is_virtual(const sipspec_clock *c);
struct ev_loop *sipspec_clock_loop(const sipspec_clock *c);
/* The time now, in ms: ev_now() of the loop, or the virtual time. */
uint64_t sipspec_clock_now_ms(const sipspec_clock *c);

/* Runs the loop for up to ms of the clock's time, or until cond(arg) returns nonzero
 * (checked before the first step and after each one; cond may be NULL). Returns 1 when cond
 * became true, 0 when the time ran out. With libev's clock this is real time. With a virtual
 * clock it alternates the loop's pending I/O (without blocking, a bounded number of
 * rounds) and the earliest due timer, moving the time to that timer's due time; when nothing
 * is due within the window the time moves to its end. Deferred frees run in both. */
int sipspec_clock_run(sipspec_clock *c, uint64_t ms, int (*cond)(void *), void *arg);

/* ---- timers (for the stack's objects; the fields are private) --------------------------- */

typedef struct sipspec_clock_timer sipspec_clock_timer;
typedef void (*sipspec_clock_timer_cb)(sipspec_clock_timer *t, void *arg);
struct sipspec_clock_timer {
  uint64_t due;                 /* private */
  uint32_t heap_i;              /* private: index in the heap + 1, 0 when not armed */
  uint32_t seq;                 /* private: arming order, for equal due times */
  sipspec_clock_timer_cb cb;    /* private */
  void *arg;                    /* private */
};

void sipspec_clock_timer_init(sipspec_clock_timer *t, sipspec_clock_timer_cb cb, void *arg);
/* Arms t at the absolute time due_ms (re-arms it when armed). A due time in the past fires
 * at the next step. SIPSPEC_E_NOMEM when the heap could not grow (t is then not armed). */
int sipspec_clock_timer_at(sipspec_clock *c, sipspec_clock_timer *t, uint64_t due_ms);
int sipspec_clock_timer_after(sipspec_clock *c, sipspec_clock_timer *t, uint64_t after_ms);
void sipspec_clock_timer_stop(sipspec_clock *c, sipspec_clock_timer *t);
int sipspec_clock_timer_armed(const sipspec_clock_timer *t);
/* Armed timers on the clock (for tests and leak checks). */
unsigned sipspec_clock_timers_armed(const sipspec_clock *c);

/* ---- deferred work ---------------------------------------------------------------------- */

/* Runs fn(obj) once the callbacks on the stack have returned: at the clock's next step, in
 * the order given, without moving the time. For freeing an object that ended inside a
 * callback. SIPSPEC_E_NOMEM when it could not be queued (fn is then not run). */
int sipspec_clock_defer(sipspec_clock *c, void (*fn)(void *obj), void *obj);
/* Removes every deferred call of fn on obj that has not run yet (an owner freed it first). */
void sipspec_clock_undefer(sipspec_clock *c, void (*fn)(void *obj), void *obj);

/* ---- object lifetime: the one deferred-destroy mechanism -------------------------------- */

/* An object of the stack (a transaction, a session, a server call, a connection, a
 * transport) embeds a grave. When the object ends, inside a callback or not, its owner unlinks
 * it from its live set and buries it: the clock frees it (free_fn) once the callbacks on the
 * stack have returned, at its next step, in burial order, without moving the time. Burying
 * cannot fail (the list is intrusive) and is done once: a second burial of the same object
 * is ignored. Objects buried while buried ones are being freed wait for the next step. */
typedef struct sipspec_clock_grave sipspec_clock_grave;
typedef void (*sipspec_clock_free_fn)(sipspec_clock_grave *g);
struct sipspec_clock_grave {
  sipspec_clock_grave *next;    /* private */
  sipspec_clock_free_fn free_fn; /* private */
  const void *owner;            /* private */
  int buried;                   /* private */
};

void sipspec_clock_bury(sipspec_clock *c, sipspec_clock_grave *g, const void *owner,
                        sipspec_clock_free_fn free_fn);
/* 1 once the object is buried: it is over, and is freed at the clock's next step. */
int sipspec_clock_buried(const sipspec_clock_grave *g);
/* Frees now every object owner buried that the clock has not freed yet: for an owner that is
 * destroyed, or that moves to another clock. Not from inside such an object's callbacks. */
void sipspec_clock_reap_owner(sipspec_clock *c, const void *owner);
/* Buried objects not freed yet (for tests and leak checks). */
unsigned sipspec_clock_graves(const sipspec_clock *c);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif

#endif
