/* session/session_tsx.c: the session's client transactions (RFC 3261 17.1): a slot per
 * transaction, and their outcomes routed to the charts that wait for them: the session's
 * (spec/uac_session.rl), the update's (spec/uac_update.rl) and the session timer's
 * (spec/session_timer.rl). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/session_internal.h"

static void slot_unlink(sipspec_session *s, session_tsx *slot) {
  for (session_tsx **p = &s->tsx; *p; p = &(*p)->next)
    if (*p == slot) {
      *p = slot->next;
      return;
    }
}

static session_tsx *slot_new(sipspec_session *s, session_tsx_role role) {
  int used = 0;
  for (session_tsx *x = s->tsx; x; x = x->next) used++;
  int free_slots = SESSION_MAX_TSX - used;
  session_tsx *slot = NULL;
  if (free_slots < 1 || (role == ST_OPTIONS && free_slots < 2)) {
    for (session_tsx *x = s->tsx; x; x = x->next)
      if (x->t && x->role == ST_OPTIONS && sipspec_tsx_last_status(x->t) >= 200) {
        sipspec_tsx_set_callbacks(x->t, NULL);
        x->t = NULL;
        slot = x; /* taken back */
        free_slots++;
        break;
      }
  }
  if (free_slots < 1 || (role == ST_OPTIONS && free_slots < 2)) return NULL;
  if (!slot) {
    if (!(slot = calloc(1, sizeof *slot))) return NULL;
    slot->next = s->tsx;
    s->tsx = slot;
  }
  slot->s = s;
  slot->role = role;
  return slot;
}

/* The slots of the session, released (their transactions' callbacks cleared) and freed. */
void session_tsx_release_all(sipspec_session *s) {
  while (s->tsx) {
    session_tsx *x = s->tsx;
    s->tsx = x->next;
    if (x->t) sipspec_tsx_set_callbacks(x->t, NULL);
    free(x);
  }
}

/* ---- transactions ------------------------------------------------------------------------ */

static void tsx_on_response(sipspec_tsx *t, const sipspec_msg *resp, void *user);
static void tsx_on_timeout(sipspec_tsx *t, void *user);
static void tsx_on_transport_error(sipspec_tsx *t, int code, void *user);
static void tsx_on_terminated(sipspec_tsx *t, void *user);

/* Starts a client transaction for f; the slot keeps it until its on_terminated. */
int session_start_tsx_len(sipspec_session *s, session_tsx_role role, const sipspec_request_fields *f,
                          const sipspec_sockaddr *dest, size_t *len) {
  session_tsx *slot = slot_new(s, role);
  if (!slot) return SIPSPEC_E_AGAIN;
  sipspec_tsx_callbacks cb = {tsx_on_response, tsx_on_timeout, tsx_on_transport_error, tsx_on_terminated, slot};
  int rc = sipspec_tsx_client_start_len(s->ua->layer, s->kind, dest, f, &cb, &slot->t, len);
  if (rc) { /* nothing started: the slot goes */
    slot->t = NULL;
    slot_unlink(s, slot);
    free(slot);
  }
  return rc;
}

int session_start_tsx(sipspec_session *s, session_tsx_role role, const sipspec_request_fields *f,
                      const sipspec_sockaddr *dest) {
  return session_start_tsx_len(s, role, f, dest, NULL);
}

int session_start_cancel(sipspec_session *s, sipspec_tsx *inv, const char *headers) {
  session_tsx *slot = slot_new(s, ST_CANCEL);
  if (!slot) return SIPSPEC_E_AGAIN;
  sipspec_tsx_callbacks cb = {tsx_on_response, tsx_on_timeout, tsx_on_transport_error, tsx_on_terminated, slot};
  int rc = sipspec_tsx_cancel_start(inv, headers, &cb, &slot->t);
  if (rc) { /* nothing started: the slot goes */
    slot->t = NULL;
    slot_unlink(s, slot);
    free(slot);
  }
  return rc;
}
static void tsx_on_response(sipspec_tsx *t, const sipspec_msg *resp, void *user) {
  session_tsx *slot = user;
  sipspec_session *s = slot->s;
  int st = sipspec_msg_status(resp);
  (void)t;
  switch (slot->role) {
  case ST_INVITE: /* once answered, the ICT passes only copies of 2xx (RFC 6026 8.4) */
    if (st < 200) session_post(s, SIPSPEC_EV_RX_1XX, resp);
    else if (st < 300) session_post(s, session_other_fork(s, resp) ? SIPSPEC_EV_RX_2XX_FORK : SIPSPEC_EV_RX_2XX, resp);
    else if (st == 401 || st == 407) session_on_challenge(s, resp);
    else if (st != 422 || !session_timer_422_usable(s, resp) || session_timer_feed(s, SIPSPEC_EV_RX_422, resp))
      session_post(s, SIPSPEC_EV_RX_300_699, resp); /* a 422 we meet: the timer chart has the INVITE sent again */
    break;
  case ST_REFRESH: /* the session timer's UPDATE or re-INVITE (RFC 4028 10) */
    if (st < 200) return;
    if (st < 300 && sipspec_msg_cseq_method(resp) == SIPSPEC_METHOD_INVITE) (void)session_ack_2xx(s, resp, 0);
    if (st < 300) session_timer_feed(s, session_timer_classify_2xx(s, resp), resp);
    else if (st == 401 || st == 407) {
      int inv = sipspec_msg_cseq_method(resp) == SIPSPEC_METHOD_INVITE;
      char sdp[SESSION_SDP_ROOM];
      size_t sdp_len = 0;
      const char *body = inv ? session_local_sdp(s, sdp, sizeof sdp, &sdp_len) : NULL;
      session_timer_challenged(s, resp,
                               s->dialog ? session_answer_challenge(s, resp, inv ? "INVITE" : "UPDATE",
                                                            sipspec_dialog_remote_target(s->dialog),
                                                            body, body ? sdp_len : 0)
                                         : NULL);
    } else if (st == 422 && session_timer_refresh_422_usable(s, resp)) session_timer_feed(s, SIPSPEC_EV_RX_422, resp);
    else if (st == 491) session_timer_feed(s, SIPSPEC_EV_RX_491, resp);
    else if (st == 503 && sipspec_msg_find(resp, "Retry-After", 0) >= 0) session_timer_feed(s, SIPSPEC_EV_RX_503, resp);
    else session_timer_feed(s, st == 481 || st == 408 ? SIPSPEC_EV_RX_481_408 : SIPSPEC_EV_RX_300_699, resp);
    break;
  case ST_BYE:
    if (st < 200) return;
    session_note_response(s, resp);
    if (st == 401 || st == 407) session_bye_challenged(s, resp);
    else session_post(s, SIPSPEC_EV_RX_BYE_RESPONSE, resp);
    break;
  case ST_REINVITE: /* the update chart, then the session for a 481/408 (12.2.1.2) */
    if (st < 200) return;
    if (st < 300) session_update_post(s, SIPSPEC_EV_RX_2XX, resp);
    else if (st == 401 || st == 407) session_reinvite_challenged(s, resp);
    else if (st == 491) session_update_post(s, SIPSPEC_EV_RX_491, resp);
    else session_update_post(s, st == 481 || st == 408 ? SIPSPEC_EV_RX_481_408 : SIPSPEC_EV_RX_300_699, resp);
    if (st == 481 || st == 408) session_post(s, SIPSPEC_EV_RX_481_408, resp);
    break;
  case ST_OPTIONS:
    if (st < 200) return;
    if (s->cbs->fn.on_keepalive) {
      char reason[128];
      session_copy_span_z(reason, sizeof reason, sipspec_msg_reason(resp));
      sipspec_response_info info = {st, reason, NULL};
      s->cbs->fn.on_keepalive(s, &info, s->user);
    }
    if (st == 481 || st == 408) session_post(s, SIPSPEC_EV_RX_481_408, resp);
    break;
  case ST_CANCEL:
  case ST_FORK_BYE: break;
  }
}

static void tsx_on_timeout(sipspec_tsx *t, void *user) {
  session_tsx *slot = user;
  sipspec_session *s = slot->s;
  (void)t;
  switch (slot->role) {
  case ST_INVITE: /* Timer B: only before an answer (an answered ICT ends on Timer M) */
    (void)session_timer_feed(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    session_post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    break;
  case ST_BYE: session_post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL); break;
  case ST_REFRESH: session_timer_feed(s, SIPSPEC_EV_TXN_TIMEOUT, NULL); break;
  case ST_OPTIONS:
  case ST_REINVITE:
    if (slot->role == ST_REINVITE) session_update_post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    if (slot->role == ST_OPTIONS && s->cbs->fn.on_keepalive) {
      sipspec_response_info info = {0, "no response to OPTIONS (Timer F)", NULL};
      s->cbs->fn.on_keepalive(s, &info, s->user);
    }
    session_post(s, SIPSPEC_EV_REQ_TIMEOUT, NULL);
    break;
  case ST_CANCEL:
  case ST_FORK_BYE: break;
  }
}

static void tsx_on_transport_error(sipspec_tsx *t, int code, void *user) {
  session_tsx *slot = user;
  sipspec_session *s = slot->s;
  (void)t;
  if (slot->role == ST_REFRESH) { /* 17.1.4: no response will come (RFC 4028 10) */
    session_timer_feed(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    return;
  }
  if (slot->role == ST_OPTIONS || slot->role == ST_REINVITE) {
    /* 17.1.4 (an ICMP port unreachable over UDP, 18.4; a refused connection over TCP): no
     * response will come, and the dialog takes it as it takes none at all (12.2.1.2). */
    char why[128];
    snprintf(why, sizeof why, "transport error: %s", sipspec_strerror(code));
    if (slot->role == ST_REINVITE) session_update_post(s, SIPSPEC_EV_TXN_TIMEOUT, NULL);
    if (slot->role == ST_OPTIONS && s->cbs->fn.on_keepalive) {
      sipspec_response_info info = {0, why, NULL};
      s->cbs->fn.on_keepalive(s, &info, s->user);
    }
    session_post(s, SIPSPEC_EV_REQ_TIMEOUT, NULL);
    return;
  }
  if (slot->role != ST_INVITE && slot->role != ST_BYE) return; /* an answered ICT sends nothing */
  s->status = 0;
  session_set_reason(s, "transport error: %s", sipspec_strerror(code));
  /* TLS says which check failed (net/tls.c): that sentence is the reason */
  s->tls_failed = code <= SIPSPEC_E_TLS_UNTRUSTED && code >= SIPSPEC_E_TLS_VERIFY;
  if (s->tls_failed) session_set_reason(s, "%s", sipspec_tsx_layer_transport_error(s->ua->layer));
  session_post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL);
}

/* The layer's last word on the transaction: its slot goes (the session's memory shrinks
 * back once its transactions are over). */
static void tsx_on_terminated(sipspec_tsx *t, void *user) {
  session_tsx *slot = user;
  (void)t;
  slot->t = NULL;
  slot_unlink(slot->s, slot);
  free(slot);
}
