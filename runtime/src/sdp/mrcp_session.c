/* mrcp_session.c: an MRCPv2 session seen from the client, across re-offers (RFC 6787
 * section 4.2, RFC 3264 section 8).
 *
 * The session keeps the m-line layout of its offers: m-lines are never removed, a removed
 * resource keeps its line with port 0, an added resource takes a port-0 line of the same
 * resource if there is one, else a new line at the end. Once established, every control
 * line is offered with a=connection:existing, so the new channels share the TCP connection.
 * The layout the last answer settled is kept aside, so a refused re-offer can be forgotten
 * (RFC 3261 14.1: a failed re-INVITE leaves the session as it was).
 */
#include "sipspec/mrcp_sdp.h"
#include "sipspec/error.h"
#include "sdp/mrcp_internal.h"

#include <stdlib.h>
#include <string.h>

#define MRCP_MAX_SLOTS (SIPSPEC_MRCP_MAX_CHANNELS + 1)

struct sipspec_mrcp_session {
  sipspec_mrcp_offer_desc desc;       /* addr and username point into the copies below */
  char addr[SIPSPEC_MRCP_HOST_MAX];
  char username[64];
  mrcp_slot slots[MRCP_MAX_SLOTS];
  size_t nslots;
  mrcp_slot settled[MRCP_MAX_SLOTS];  /* the layout as the last answer (or the creation) left it */
  size_t nsettled;
  uint64_t version;                   /* o= sess-version of the last offer */
  int established;                    /* an answer has been applied */
  char *offer;                        /* the last offer, for the answer check */
  size_t offer_len;
  sipspec_mrcp_answer state;
};

sipspec_mrcp_session_t *sipspec_mrcp_session_create(const sipspec_mrcp_offer_desc *d) {
  if (mrcp_offer_desc_check(d, NULL) != SIPSPEC_OK || strlen(d->username) >= 64) return NULL;
  sipspec_mrcp_session_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->desc = *d;
  strcpy(s->addr, d->addr);
  strcpy(s->username, d->username);
  s->desc.addr = s->addr;
  s->desc.username = s->username;
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
  return s;
}

void sipspec_mrcp_session_destroy(sipspec_mrcp_session_t *s) {
  if (!s) return;
  free(s->offer);
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
  uint64_t version = s->offer ? s->version + 1 : s->version;
  int rc = mrcp_offer_write(&s->desc, s->slots, s->nslots, version, s->established, buf, cap, len, err);
  if (rc) return rc;
  char *copy = malloc(*len + 1);
  if (!copy) return sdp_fail(err, SIPSPEC_E_NOMEM, 0, 0, "memory", "out of memory");
  memcpy(copy, buf, *len + 1);
  free(s->offer);
  s->offer = copy;
  s->offer_len = *len;
  s->version = version;
  return SIPSPEC_OK;
}

int sipspec_mrcp_session_apply_answer(sipspec_mrcp_session_t *s, const char *answer, size_t len,
                                      sipspec_sdp_error *err) {
  if (!s || !answer) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL argument");
  if (!s->offer) return sdp_fail(err, SIPSPEC_E_STATE, 0, 0, "session", "no offer to answer");
  sipspec_mrcp_answer a;
  int rc = sipspec_mrcp_answer_parse(s->offer, s->offer_len, answer, len, &a, err);
  if (rc) return rc;
  /* a stream the server rejected is no longer part of the session */
  for (size_t i = 0; i < a.nchannels; i++)
    if (a.channels[i].rejected && a.channels[i].mline < s->nslots) s->slots[a.channels[i].mline].active = 0;
  s->state = a;
  s->established = 1;
  memcpy(s->settled, s->slots, sizeof s->settled);
  s->nsettled = s->nslots;
  return SIPSPEC_OK;
}

int sipspec_mrcp_session_offer_refused(sipspec_mrcp_session_t *s) {
  if (!s) return SIPSPEC_E_INVAL;
  if (!s->established) return SIPSPEC_E_STATE;
  memcpy(s->slots, s->settled, sizeof s->slots);
  s->nslots = s->nsettled;
  return SIPSPEC_OK;
}

const sipspec_mrcp_answer *sipspec_mrcp_session_state(const sipspec_mrcp_session_t *s) {
  return s && s->established ? &s->state : NULL;
}

const sipspec_mrcp_channel *sipspec_mrcp_session_channel(const sipspec_mrcp_session_t *s,
                                                         sipspec_mrcp_resource r) {
  if (!s || !s->established) return NULL;
  for (size_t i = 0; i < s->state.nchannels; i++)
    if (s->state.channels[i].resource == r && !s->state.channels[i].rejected) return &s->state.channels[i];
  return NULL;
}
