/* mrcp_session.c: an MRCPv2 session seen from the client, across re-offers (RFC 6787
 * section 4.2, RFC 3264 section 8).
 *
 * The session keeps the m-line layout of its offers: m-lines are never removed, a removed
 * resource keeps its line with port 0, an added resource takes a port-0 line of the same
 * resource if there is one, else a new line at the end. The layout the last answer settled
 * is kept aside, so a refused re-offer can be forgotten (RFC 3261 14.1: a failed re-INVITE
 * leaves the session as it was).
 *
 * Where the offer/answer exchange stands is the chart spec/offer_answer.rl (Initial,
 * Offered, Established, Reoffered), one machine per session. The functions below feed it and
 * its actions do the work: which offer is written (a=connection:new before the first answer,
 * a=connection:existing after it), reading an answer against the offer, applying it, putting
 * the settled layout back. An operation the chart refuses in its state answers
 * SIPSPEC_E_STATE. The actions are the chart's typed callbacks (generated
 * chart_offer_answer_actions.h), implemented below as oa_act_<action>.
 */
#include "sipspec/mrcp_sdp.h"
#include "sipspec/error.h"
#include "sipspec/fsm.h"
#include "sipspec/chart_offer_answer.h"
#include "sdp/mrcp_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "chart_offer_answer_actions.h"

#define MRCP_MAX_SLOTS (SIPSPEC_MRCP_MAX_CHANNELS + 1)

/* The arguments and results of the API call that is feeding the chart, for its actions. */
typedef struct mrcp_session_call {
  char *buf;                          /* OFFER_WRITE: where the offer goes */
  size_t cap;
  size_t *len;
  unsigned char existing;             /* ... written with a=connection:existing */
  const char *answer;                 /* RX_ANSWER: the answer to read */
  size_t answer_len;
  sipspec_mrcp_answer *checked;       /* ... as read against the offer (malloc'd) */
  sipspec_sdp_error *err;
  int rc;                             /* what the action's work returned */
} mrcp_session_call;

/* What a session keeps while it lives is small (issue 16: an established session's memory):
 * no SDP text. An offer is written from the description, the layout, its version and its
 * connection mode, so those four say which offer is out (pend) and which one the session
 * has as negotiated (local): it is written again, byte for byte, when its text is needed
 * (reading an answer against it, a refresh). The answer as read (sipspec_mrcp_answer, about
 * 5 KB) is kept packed in the bytes its values take (mrcp_answer_pack()):
 * sipspec_mrcp_session_state() unpacks it the first time it is asked for, into a copy kept
 * from then on (and refreshed by each answer applied, so the pointer stays the same for the
 * session's life). */
struct sipspec_mrcp_session {
  sipspec_fsm oa;                     /* spec/offer_answer.rl */
  /* the description (sipspec_mrcp_offer_desc) in the bytes its values take; its resources
   * are the layout's (desc_of() makes the struct again) */
  uint64_t sess_id;
  char *addr;                         /* the address, NUL, the o= username, NUL */
  uint32_t rtp_port, ptime;
  unsigned char codecs[SIPSPEC_MRCP_MAX_CODECS], ncodecs;
  unsigned char pt_l16_8000, pt_l16_16000, pt_telephone_event, tls, rtcp_mux;
  mrcp_slot slots[MRCP_MAX_SLOTS];
  mrcp_slot settled[MRCP_MAX_SLOTS];  /* the layout as the last answer (or the creation) left it */
  unsigned char nslots, nsettled;
  uint64_t version;                   /* o= sess-version of the next offer */
  mrcp_written pend, local;           /* the offer out (for its answer), the negotiated one */
  unsigned char *packed;              /* the answer applied last (mrcp_answer_pack()), or NULL */
  uint32_t packed_len;
  sipspec_mrcp_answer *state;         /* unpacked on demand (sipspec_mrcp_session_state) */
  mrcp_session_call *call;            /* the API call feeding the chart (on the caller's stack) */
};

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  assert(chart == &sipspec_chart_offer_answer);
  (void)chart;
  sipspec_offer_answer_dispatch(&sipspec_offer_answer_impl, ctx, action);
}

/* One event; SIPSPEC_E_STATE when the chart refuses it in its state. */
static int feed(sipspec_mrcp_session_t *s, int event) {
  return sipspec_fsm_feed(&s->oa, event) == SIPSPEC_OK ? SIPSPEC_OK : SIPSPEC_E_STATE;
}

sipspec_mrcp_session_t *sipspec_mrcp_session_create(const sipspec_mrcp_offer_desc *d) {
  if (mrcp_offer_desc_check(d, NULL) != SIPSPEC_OK || strlen(d->username) >= 64) return NULL;
  sipspec_mrcp_session_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  size_t na = strlen(d->addr) + 1, nu = strlen(d->username) + 1;
  if (!(s->addr = malloc(na + nu))) {
    free(s);
    return NULL;
  }
  memcpy(s->addr, d->addr, na);
  memcpy(s->addr + na, d->username, nu);
  /* checked: codecs 1..5, at most 8 of them, payload types 96..127, the port 1..65535 */
  s->sess_id = d->sess_id;
  s->rtp_port = d->rtp_port;
  s->ptime = d->ptime;
  for (size_t i = 0; i < d->ncodecs; i++) s->codecs[i] = (unsigned char)d->codecs[i];
  s->ncodecs = (unsigned char)d->ncodecs;
  s->pt_l16_8000 = (unsigned char)d->pt_l16_8000;
  s->pt_l16_16000 = (unsigned char)d->pt_l16_16000;
  s->pt_telephone_event = (unsigned char)d->pt_telephone_event;
  s->tls = d->tls ? 1u : 0u;
  s->rtcp_mux = d->rtcp_mux ? 1u : 0u;
  for (size_t i = 0; i < d->nresources; i++) {
    s->slots[s->nslots].resource = d->resources[i];
    s->slots[s->nslots].active = 1;
    s->nslots++;
  }
  s->slots[s->nslots].audio = 1;
  s->slots[s->nslots].active = 1;
  s->nslots++;
  memcpy(s->settled, s->slots, sizeof s->settled);
  s->nsettled = s->nslots;
  s->version = d->sess_version;
  sipspec_fsm_init(&s->oa, &sipspec_chart_offer_answer, on_action, s);
  return s;
}

void sipspec_mrcp_session_destroy(sipspec_mrcp_session_t *s) {
  if (!s) return;
  (void)feed(s, SIPSPEC_EV_TU_END);
  free(s->packed);
  free(s->state);
  free(s->addr);
  free(s);
}

int sipspec_mrcp_session_add(sipspec_mrcp_session_t *s, sipspec_mrcp_resource r) {
  if (!s || !sipspec_mrcp_resource_name(r) || r == SIPSPEC_MRCP_RES_NONE) return SIPSPEC_E_INVAL;
  size_t reuse = s->nslots;
  for (size_t i = 0; i < s->nslots; i++) {
    if (s->slots[i].audio || s->slots[i].resource != r) continue;
    if (s->slots[i].active) return SIPSPEC_E_STATE;
    reuse = i;
  }
  if (reuse < s->nslots) {
    s->slots[reuse].active = 1;
    return SIPSPEC_OK;
  }
  if (s->nslots >= MRCP_MAX_SLOTS) return SIPSPEC_E_RANGE;
  s->slots[s->nslots].audio = 0;
  s->slots[s->nslots].resource = r;
  s->slots[s->nslots].active = 1;
  s->nslots++;
  return SIPSPEC_OK;
}

int sipspec_mrcp_session_remove(sipspec_mrcp_session_t *s, sipspec_mrcp_resource r) {
  if (!s) return SIPSPEC_E_INVAL;
  for (size_t i = 0; i < s->nslots; i++)
    if (!s->slots[i].audio && s->slots[i].resource == r && s->slots[i].active) {
      s->slots[i].active = 0;
      return SIPSPEC_OK;
    }
  return SIPSPEC_E_NOTFOUND;
}

int sipspec_mrcp_session_offer(sipspec_mrcp_session_t *s, char *buf, size_t cap, size_t *len,
                               sipspec_sdp_error *err) {
  if (!s || !buf || !len) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL argument");
  mrcp_session_call call = {.buf = buf, .cap = cap, .len = len, .err = err};
  s->call = &call;
  int rc = feed(s, SIPSPEC_EV_OFFER_WRITE); /* written, not yet kept */
  if (!rc) rc = call.rc;
  if (!rc) rc = feed(s, SIPSPEC_EV_OFFER_MADE); /* the offer is out */
  s->call = NULL;
  return rc;
}

int sipspec_mrcp_session_apply_answer(sipspec_mrcp_session_t *s, const char *answer, size_t len,
                                      sipspec_sdp_error *err) {
  if (!s || !answer) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL argument");
  mrcp_session_call call = {.answer = answer, .answer_len = len, .err = err};
  s->call = &call;
  int rc = feed(s, SIPSPEC_EV_RX_ANSWER); /* read against the offer */
  if (rc) rc = sdp_fail(err, rc, 0, 0, "session", "no offer to answer");
  else if ((rc = call.rc)) (void)feed(s, SIPSPEC_EV_ANSWER_REFUSED); /* nothing changes */
  else rc = feed(s, SIPSPEC_EV_ANSWER_FITS);
  if (!rc) rc = call.rc; /* apply_answer could not keep the texts */
  free(call.checked);
  s->call = NULL;
  return rc;
}

int sipspec_mrcp_session_offer_refused(sipspec_mrcp_session_t *s) {
  if (!s) return SIPSPEC_E_INVAL;
  return feed(s, SIPSPEC_EV_OFFER_REFUSED); /* refused before any answer was applied */
}

const sipspec_mrcp_answer *sipspec_mrcp_session_state(const sipspec_mrcp_session_t *s) {
  if (!s || !s->packed) return NULL;
  if (s->state) return s->state;
  /* the answer read and applied already, unpacked */
  sipspec_mrcp_session_t *w = (sipspec_mrcp_session_t *)s; /* a cache; s itself is not const */
  sipspec_mrcp_answer *a = malloc(sizeof *a);
  if (!a || mrcp_answer_unpack(s->packed, s->packed_len, a) != SIPSPEC_OK) {
    free(a);
    return NULL;
  }
  return w->state = a;
}

/* The description the session was made from (its resources: the layout's, which the
 * writer takes from the slots). */
static void desc_of(const sipspec_mrcp_session_t *s, const mrcp_slot *slots, size_t nslots,
                    sipspec_mrcp_offer_desc *d) {
  sipspec_mrcp_offer_desc_init(d);
  d->addr = s->addr;
  d->username = s->addr + strlen(s->addr) + 1;
  d->sess_id = s->sess_id;
  d->tls = s->tls;
  d->nresources = 0;
  for (size_t i = 0; i < nslots && d->nresources < SIPSPEC_MRCP_MAX_CHANNELS; i++)
    if (!slots[i].audio) d->resources[d->nresources++] = (sipspec_mrcp_resource)slots[i].resource;
  d->rtp_port = s->rtp_port;
  for (size_t i = 0; i < s->ncodecs; i++) d->codecs[i] = (sipspec_mrcp_codec)s->codecs[i];
  d->ncodecs = s->ncodecs;
  d->pt_l16_8000 = s->pt_l16_8000;
  d->pt_l16_16000 = s->pt_l16_16000;
  d->pt_telephone_event = s->pt_telephone_event;
  d->ptime = s->ptime;
  d->rtcp_mux = s->rtcp_mux;
}

/* Writes an offer of layout slots. */
static int write_layout(const sipspec_mrcp_session_t *s, const mrcp_slot *slots, size_t nslots, uint64_t version,
                        int existing, char *buf, size_t cap, size_t *len, sipspec_sdp_error *err) {
  sipspec_mrcp_offer_desc d;
  desc_of(s, slots, nslots, &d);
  return mrcp_offer_write(&d, slots, nslots, version, existing, buf, cap, len, err);
}

/* Writes offer o again: the same text as when it went out. */
static int write_again(const sipspec_mrcp_session_t *s, const mrcp_written *o, char *buf, size_t cap, size_t *len,
                       sipspec_sdp_error *err) {
  if (!o->valid) return sdp_fail(err, SIPSPEC_E_STATE, 0, 0, "session", "no offer");
  return write_layout(s, o->slots, o->nslots, o->version, o->existing, buf, cap, len, err);
}

int mrcp_session_local_sdp(const sipspec_mrcp_session_t *s, char *buf, size_t cap, size_t *len) {
  return s ? write_again(s, &s->local, buf, cap, len, NULL) : SIPSPEC_E_INVAL;
}

int mrcp_session_has_local(const sipspec_mrcp_session_t *s) { return s && s->local.valid; }

void mrcp_session_pending_is_local(sipspec_mrcp_session_t *s) {
  if (s && s->pend.valid) s->local = s->pend;
}

void mrcp_session_drop_state(sipspec_mrcp_session_t *s) {
  if (!s) return;
  free(s->state);
  s->state = NULL;
}

const sipspec_mrcp_channel *sipspec_mrcp_session_channel(const sipspec_mrcp_session_t *s,
                                                         sipspec_mrcp_resource r) {
  const sipspec_mrcp_answer *a = sipspec_mrcp_session_state(s);
  for (size_t i = 0; a && i < a->nchannels; i++)
    if (a->channels[i].resource == r && !a->channels[i].rejected) return &a->channels[i];
  return NULL;
}

/* ---- actions (spec/offer_answer.rl) ------------------------------------------------------ */

static void write_offer(sipspec_mrcp_session_t *s, int existing) {
  mrcp_session_call *c = s->call;
  c->existing = existing ? 1u : 0u;
  c->rc = write_layout(s, s->slots, s->nslots, s->version, existing, c->buf, c->cap, c->len, c->err);
}

/* Before any answer: every control m-line asks for a new connection (RFC 6787 4.2). */
static void oa_act_write_offer_new(sipspec_mrcp_session_t *s) { write_offer(s, 0); }

/* After an answer: the control m-lines share the connection the session has. */
static void oa_act_write_offer_existing(sipspec_mrcp_session_t *s) { write_offer(s, 1); }

/* The offer written is out: kept for its answer, and the next one is a new version (RFC
 * 3264 8: the o= version increments by one). */
static void oa_act_keep_offer(sipspec_mrcp_session_t *s) {
  memcpy(s->pend.slots, s->slots, sizeof s->pend.slots);
  s->pend.nslots = s->nslots;
  s->pend.existing = s->call->existing;
  s->pend.version = s->version;
  s->pend.valid = 1;
  s->version++;
}

static void oa_act_check_answer(sipspec_mrcp_session_t *s) {
  mrcp_session_call *c = s->call;
  if (!(c->checked = malloc(sizeof *c->checked))) {
    c->rc = sdp_fail(c->err, SIPSPEC_E_NOMEM, 0, 0, "memory", "out of memory");
    return;
  }
  /* the offer out, else (the answer to the offer answered already, read again) that one:
   * its model, as its text would read, without writing and parsing the text */
  const mrcp_written *o = s->pend.valid ? &s->pend : &s->local;
  if (!o->valid) {
    c->rc = sdp_fail(c->err, SIPSPEC_E_STATE, 0, 0, "session", "no offer");
    return;
  }
  mrcp_offer_room room; /* as large as the writer's arrays were */
  sipspec_mrcp_offer_desc d;
  desc_of(s, o->slots, o->nslots, &d);
  c->rc = mrcp_offer_model(&d, o->slots, o->nslots, o->version, o->existing, &room, c->err);
  if (!c->rc) c->rc = mrcp_answer_parse_model(&room.sdp, c->answer, c->answer_len, c->checked, c->err);
}

/* The session is the answer's; a stream the server rejected is no longer part of it. */
static void oa_act_apply_answer(sipspec_mrcp_session_t *s) {
  mrcp_session_call *c = s->call;
  const sipspec_mrcp_answer *a = c->checked;
  for (size_t i = 0; i < a->nchannels; i++)
    if (a->channels[i].rejected && a->channels[i].mline < s->nslots) s->slots[a->channels[i].mline].active = 0;
  /* the answer, packed, for sipspec_mrcp_session_state(); the offer is answered */
  size_t plen = 0;
  unsigned char *packed = mrcp_answer_pack(a, &plen);
  if (!packed) {
    c->rc = sdp_fail(c->err, SIPSPEC_E_NOMEM, 0, 0, "memory", "out of memory");
  } else {
    free(s->packed);
    s->packed = packed;
    s->packed_len = (uint32_t)plen;
    if (s->pend.valid) s->local = s->pend;
    s->pend.valid = 0;
  }
  if (c->rc) return;
  if (s->state) {
    *s->state = *a; /* read before: the same pointer, the new state */
  } else {
    s->state = c->checked; /* read already: the state until the caller drops it */
    c->checked = NULL;
  }
}

/* The layout the answer settled: what a refused re-offer goes back to. */
static void oa_act_settle_layout(sipspec_mrcp_session_t *s) {
  memcpy(s->settled, s->slots, sizeof s->settled);
  s->nsettled = s->nslots;
}

/* The additions and removals since the last answer are forgotten (RFC 3261 14.1). */
static void oa_act_restore_layout(sipspec_mrcp_session_t *s) {
  memcpy(s->slots, s->settled, sizeof s->slots);
  s->nslots = s->nsettled;
}
