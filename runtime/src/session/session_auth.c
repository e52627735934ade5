/* session/session_auth.c: Digest authentication of the session's requests (RFC 3261 22.2,
 * RFC 7616): credentials cached for their realms, and the answers to a 401/407 to the
 * INVITE, to our re-INVITE and to our BYE; the charts decide what a retry means. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/session_internal.h"

/* Starts the digest bookkeeping of a new request (credentials cached for its realms). */
int session_digest_begin(sipspec_session *s, const char *method, const char *uri, const char *body,
                        size_t body_len, char **lines) {
  *lines = NULL;
  if (!s->digest) return SIPSPEC_OK;
  sipspec_digest_request req = {method, uri, body, body_len};
  sipspec_digest_headers h;
  int rc = sipspec_digest_client_begin(s->digest, &req, &h);
  if (rc || !h.count) return rc;
  char *out = malloc(SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32));
  if (!out) return SIPSPEC_E_NOMEM;
  out[0] = '\0';
  rc = sipspec_digest_headers_format(&h, SIPSPEC_DIGEST_CREDENTIALS, out,
                                     SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32));
  if (rc) {
    free(out);
    return rc;
  }
  *lines = out;
  return SIPSPEC_OK;
}

/* A 401/407 to the INVITE: AUTH_RETRY with fresh credentials, or AUTH_FAILED; the chart
 * decides what either means where it is (no retry once the application ended it). */
void session_on_challenge(sipspec_session *s, const sipspec_msg *resp) {
  session_note_response(s, resp);
  char *lines = session_answer_challenge(s, resp, "INVITE", s->target, s->setup ? s->setup->offer : NULL,
                                         s->setup ? s->setup->offer_len : 0);
  if (lines) {
    free(s->auth_headers);
    s->auth_headers = lines;
    session_post(s, SIPSPEC_EV_AUTH_RETRY, resp);
  } else {
    session_post(s, SIPSPEC_EV_AUTH_FAILED, resp);
  }
}

/* The digest client's verdict on a 401/407 (RFC 3261 22.2) to request (method, uri, body):
 * the credentials lines to retry with (malloc'd), or NULL with why in s->reason. */
char *session_answer_challenge(sipspec_session *s, const sipspec_msg *resp, const char *method, const char *uri,
                              const char *body, size_t body_len) {
  if (!s->ua->have_auth) {
    session_reasonf(s, "%d challenge and no credentials configured", sipspec_msg_status(resp));
    return NULL;
  }
  int rc = SIPSPEC_OK;
  if (!s->digest) rc = sipspec_digest_client_create(&s->ua->auth, &s->digest);
  sipspec_digest_msg_scratch *scratch = rc ? NULL : malloc(sizeof *scratch);
  sipspec_digest_verdict *v = rc ? NULL : malloc(sizeof *v);
  char *lines = NULL;
  if (!scratch || !v) {
    session_set_reason(s, "cannot answer the challenge: %s", sipspec_strerror(rc ? rc : SIPSPEC_E_NOMEM));
  } else {
    sipspec_digest_request req = {method, uri, body, body_len};
    sipspec_digest_client_on_response(s->digest, resp, &req, scratch, v);
    size_t cap = SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32);
    if (v->action == SIPSPEC_DIGEST_RETRY && (lines = malloc(cap))) {
      lines[0] = '\0';
      if (sipspec_digest_headers_format(&v->headers, SIPSPEC_DIGEST_CREDENTIALS, lines, cap) != SIPSPEC_OK) {
        free(lines);
        lines = NULL;
      }
    }
    if (!lines)
      session_reasonf(s, "%s",
               v->action == SIPSPEC_DIGEST_FAIL ? v->reason : "cannot write the credentials");
  }
  free(scratch);
  free(v);
  return lines;
}

/* A 401/407 to our re-INVITE: AUTH_RETRY with the credentials (the update chart sends the
 * same offer again: 22.2, CSeq + 1 through the dialog, a new branch), or AUTH_FAILED. */
void session_reinvite_challenged(sipspec_session *s, const sipspec_msg *resp) {
  char *lines = s->dialog ? session_answer_challenge(s, resp, "INVITE", sipspec_dialog_remote_target(s->dialog),
                                             s->updx->body, s->updx->body_len)
                          : NULL;
  s->updx->cred = lines;
  session_update_post(s, lines ? SIPSPEC_EV_AUTH_RETRY : SIPSPEC_EV_AUTH_FAILED, resp);
  s->updx->cred = NULL;
  free(lines);
}

/* A 401/407 to our BYE (RFC 3261 22.2): e.g. a nonce that went stale while the session was
 * held, or a realm whose credentials the BYE did not carry. The chart decides: AUTH_RETRY
 * (Terminating__AUTH_RETRY sends the BYE again with the digest client's credentials) or
 * AUTH_FAILED (no credentials, or the client gave up: the session ends with this status all
 * the same, the reason in s->reason). */
void session_bye_challenged(sipspec_session *s, const sipspec_msg *resp) {
  char *lines = s->dialog ? session_answer_challenge(s, resp, "BYE", sipspec_dialog_remote_target(s->dialog), NULL, 0) : NULL;
  if (!lines) {
    session_post(s, SIPSPEC_EV_AUTH_FAILED, resp);
    return;
  }
  free(s->bye_auth);
  s->bye_auth = lines;
  session_post(s, SIPSPEC_EV_AUTH_RETRY, resp);
}
