/* session/uas_2xx.c: the 2xx to an INVITE sent again until its ACK (RFC 3261 13.3.1.4);
 * see uas_2xx.h for the schedule and the ownership rules.
 *
 * One ev_timer per helper, armed at the next copy's due time or at 64*T1, whichever comes
 * first. Due times are fixed from the first copy (T1, T1+2*T1, ... with the interval capped
 * at T2), and a late firing sends every copy due by then, so the number of copies before
 * 64*T1 does not depend on how busy the loop was.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "session/uas_2xx.h"

#define UAS_2XX_EPS 1e-6 /* loop times are doubles: a due time "reached" within a microsecond */

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

void sipspec_uas_2xx_init(sipspec_uas_2xx *r, struct ev_loop *loop, sipspec_uas_2xx_give_up_fn give_up,
                          void *user) {
  memset(r, 0, sizeof *r);
  r->loop = loop;
  r->give_up = give_up;
  r->user = user;
  ev_timer_init(&r->timer, timer_cb, 0., 0.);
  r->timer.data = r;
}

static void ist_terminated(sipspec_tsx *t, void *user) {
  sipspec_uas_2xx *r = user;
  if (r->ist == t) r->ist = NULL; /* Timer L: later copies have no transaction to go through */
}

static void release(sipspec_uas_2xx *r) {
  ev_timer_stop(r->loop, &r->timer);
  if (r->ist) sipspec_tsx_set_callbacks(r->ist, NULL);
  r->ist = NULL;
  r->pending = 0;
  free(r->headers);
  free(r->body);
  r->headers = r->body = NULL;
  r->body_len = 0;
}

void sipspec_uas_2xx_stop(sipspec_uas_2xx *r) {
  if (r && r->loop) release(r);
}

static char *dup_bytes(const char *p, size_t n) {
  char *c = malloc(n + 1);
  if (!c) return NULL;
  if (n) memcpy(c, p, n);
  c[n] = '\0';
  return c;
}

static void arm(sipspec_uas_2xx *r, double now) {
  double at = r->next_due < r->deadline ? r->next_due : r->deadline;
  ev_timer_stop(r->loop, &r->timer);
  ev_timer_set(&r->timer, at > now ? at - now : 0., 0.);
  ev_timer_start(r->loop, &r->timer);
}

int sipspec_uas_2xx_send(sipspec_uas_2xx *r, sipspec_tsx *ist, uint32_t cseq, unsigned t1_ms, unsigned t2_ms,
                         int status, const char *headers, const char *body, size_t body_len) {
  if (!r || !r->loop || !ist || status < 200 || status > 299 || !t1_ms || t2_ms < t1_ms || (body_len && !body))
    return SIPSPEC_E_INVAL;
  release(r);
  char *h = headers ? dup_bytes(headers, strlen(headers)) : NULL;
  char *b = body_len ? dup_bytes(body, body_len) : NULL;
  if ((headers && !h) || (body_len && !b)) {
    free(h);
    free(b);
    return SIPSPEC_E_NOMEM;
  }
  int rc = sipspec_tsx_respond(ist, status, NULL, h, b, body_len);
  if (rc) {
    free(h);
    free(b);
    return rc;
  }
  sipspec_tsx_callbacks cb = {NULL, NULL, NULL, ist_terminated, r};
  sipspec_tsx_set_callbacks(ist, &cb);
  r->ist = ist;
  r->pending = 1;
  r->status = status;
  r->cseq = cseq;
  r->headers = h;
  r->body = b;
  r->body_len = body_len;
  r->t1 = t1_ms / 1000.0;
  r->t2 = t2_ms / 1000.0;
  r->copies = 0;
  r->first = ev_now(r->loop);
  r->interval = r->t1;
  r->next_due = r->first + r->t1;
  r->deadline = r->first + 64 * r->t1;
  arm(r, r->first);
  return SIPSPEC_OK;
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  sipspec_uas_2xx *r = w->data;
  (void)revents;
  assert(w == &r->timer && r->loop == loop);
  if (!r->pending) return;
  double now = ev_now(loop);
  /* every copy due by now and before 64*T1 (bounded: at most 64 copies fit before it) */
  for (int guard = 0; guard < 64 && r->next_due < r->deadline - UAS_2XX_EPS && now + UAS_2XX_EPS >= r->next_due;
       guard++) {
    if (r->ist) (void)sipspec_tsx_respond(r->ist, r->status, NULL, r->headers, r->body, r->body_len);
    r->copies++;
    r->interval = r->interval * 2 > r->t2 ? r->t2 : r->interval * 2;
    r->next_due += r->interval;
  }
  if (now + UAS_2XX_EPS >= r->deadline) {
    release(r);
    if (r->give_up) r->give_up(r, r->user);
    return;
  }
  arm(r, now);
}

int sipspec_uas_2xx_ack(sipspec_uas_2xx *r, const sipspec_msg *ack) {
  if (!r || !r->pending || !ack || sipspec_msg_method(ack) != SIPSPEC_METHOD_ACK || sipspec_msg_cseq(ack) != r->cseq)
    return 0;
  release(r);
  return 1;
}

int sipspec_uas_2xx_pending(const sipspec_uas_2xx *r) { return r && r->pending; }
unsigned sipspec_uas_2xx_copies(const sipspec_uas_2xx *r) { return r ? r->copies : 0; }
