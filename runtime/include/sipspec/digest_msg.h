/* sipspec/digest_msg.h: Digest authentication on parsed SIP messages.
 *
 * The bridge between the SIP parser (sipspec/msg.h) and the Digest module
 * (sipspec/digest.h): it reads the challenges of a 401/407 response and the credentials
 * of a request into the name/value params the Digest module takes, and writes the
 * module's header values back into a message being built or into "Name: value\r\n"
 * lines for the extra-headers strings of the session layers.
 *
 * Header syntax (RFC 3261 section 25.1 challenge / credentials, RFC 7235 section 4.1):
 * one WWW-Authenticate / Proxy-Authenticate line may hold several challenges separated
 * by commas ("Digest realm=..., nonce=..., Digest realm=..., algorithm=SHA-256, ..."),
 * and a response may carry several such lines; every challenge is returned, in message
 * order. Quoted values are unquoted, with quoted-pairs resolved. A challenge of another
 * scheme is returned too (sipspec_digest_choose() skips it); its token68 form
 * ("Negotiate YIIB...") is accepted and gives an offer without params. An Authorization /
 * Proxy-Authorization line holds exactly one credentials.
 *
 * Nothing here allocates: every result lives in a caller-owned scratch struct and in the
 * message's buffer. Results stay valid while both the scratch (until its next use) and
 * the message's buffer are unchanged. A malformed header is an error with a sentence
 * saying which header, which byte and what was expected; values quoted from the peer are
 * truncated and made printable.
 */
#ifndef SIPSPEC_DIGEST_MSG_H
#define SIPSPEC_DIGEST_MSG_H

#include <stdbool.h>
#include <stddef.h>

#include "sipspec/digest.h"
#include "sipspec/msg.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* Limits of one scratch struct: exceeding any of them is SIPSPEC_E_RANGE (with a reason),
 * never a truncated result. */
#define SIPSPEC_DIGEST_MSG_MAX_OFFERS 16   /* challenges in one response */
#define SIPSPEC_DIGEST_MSG_MAX_PARAMS 96   /* auth-params over all of them */
#define SIPSPEC_DIGEST_MSG_TEXT_MAX   8192 /* unescaped values, method and Request-URI */

/* Caller-owned working storage (about 12 KB: keep one per layer, or put it on the
 * stack). Every function below that takes it starts by forgetting its previous content.
 * All fields are private. */
typedef struct sipspec_digest_msg_scratch {
  sipspec_digest_offer offers[SIPSPEC_DIGEST_MSG_MAX_OFFERS];
  sipspec_digest_param params[SIPSPEC_DIGEST_MSG_MAX_PARAMS];
  char text[SIPSPEC_DIGEST_MSG_TEXT_MAX];
  size_t n_offers;
  size_t n_params;
  size_t text_len;
} sipspec_digest_msg_scratch;

/* ---- client side: the challenges of a response ---------------------------------------- */

/* Collects every challenge of every WWW-Authenticate and Proxy-Authenticate header of
 * resp, in message order, into s; *offers points into s, *n is their count.
 * SIPSPEC_OK (n may be 0 for a response other than 401/407);
 * SIPSPEC_E_INVAL           resp is a request, or an argument is NULL;
 * SIPSPEC_E_AUTH_MALFORMED  a challenge header is malformed, or a 401/407 carries none
 *                           (RFC 3261 sections 21.4.2 and 21.4.8 require one);
 * SIPSPEC_E_RANGE           more challenges, params or unescaped text than s holds.
 * On failure `why` (may be NULL) names the header, the byte and the problem. */
int sipspec_digest_offers_from_msg(const sipspec_msg *resp, sipspec_digest_msg_scratch *s,
                                   const sipspec_digest_offer **offers, size_t *n,
                                   char *why, size_t why_len);

/* sipspec_digest_offers_from_msg() then sipspec_digest_client_on_challenge(): the whole
 * client reaction to a 401/407. When the headers cannot be read, the verdict is FAIL with
 * that error and reason (the client's state is untouched). Returns verdict->error. */
int sipspec_digest_client_on_response(sipspec_digest_client_t *c, const sipspec_msg *resp,
                                      const sipspec_digest_request *req,
                                      sipspec_digest_msg_scratch *s,
                                      sipspec_digest_verdict *verdict);

/* ---- server side: the credentials of a request ---------------------------------------- */

/* Number of Authorization (SIPSPEC_AUTH_WWW) or Proxy-Authorization (SIPSPEC_AUTH_PROXY)
 * header lines of req; 0 for a response. */
size_t sipspec_digest_credentials_count(const sipspec_msg *req, sipspec_auth_kind kind);

/* Reads credentials header number i (0-based, among those of kind) of req into s.
 * *scheme is the auth-scheme as written (a slice of the message, not NUL-terminated);
 * *params / *n the auth-params (pointing into s and the message).
 * SIPSPEC_OK; SIPSPEC_E_NOTFOUND (no header i); SIPSPEC_E_INVAL; SIPSPEC_E_AUTH_MALFORMED
 * (bad syntax, or more than one credentials on the line); SIPSPEC_E_RANGE; reason in why. */
int sipspec_digest_credentials_from_msg(const sipspec_msg *req, sipspec_auth_kind kind,
                                        size_t i, sipspec_digest_msg_scratch *s,
                                        sipspec_span *scheme,
                                        const sipspec_digest_param **params, size_t *n,
                                        char *why, size_t why_len);

/* The sipspec_digest_request of a parsed request: method and Request-URI copied into s
 * (NUL-terminated), body pointing into the message. SIPSPEC_OK, SIPSPEC_E_INVAL (not a
 * request) or SIPSPEC_E_RANGE (no room in s). */
int sipspec_digest_request_from_msg(const sipspec_msg *req, sipspec_digest_msg_scratch *s,
                                    sipspec_digest_request *out);

/* Verifies a request at a verifier: among the credentials headers of kind, the first with
 * the Digest scheme whose realm equals `realm` (any realm when NULL) is checked with
 * sipspec_digest_server_verify() against the request's method, Request-URI and body.
 * Returns that result (SIPSPEC_OK: authenticated; SIPSPEC_E_AUTH_STALE: challenge again
 * with stale=true; other SIPSPEC_E_AUTH_*: challenge again), or SIPSPEC_E_NOTFOUND when no
 * such header is present (challenge), SIPSPEC_E_AUTH_MALFORMED / _RANGE when a header of
 * kind cannot be read. Reason in why. */
int sipspec_digest_verify_msg(sipspec_digest_server_t *srv, sipspec_auth_kind kind,
                              const char *realm, const sipspec_msg *req,
                              sipspec_digest_msg_scratch *s, char *why, size_t why_len);

/* ---- writing the headers -------------------------------------------------------------- */

/* What a sipspec_digest_headers holds, which names its headers: CREDENTIALS
 * (Authorization / Proxy-Authorization, from the client: verdicts and _client_begin) or
 * CHALLENGES (WWW-Authenticate / Proxy-Authenticate, from sipspec_digest_server_challenge). */
typedef enum sipspec_digest_role {
  SIPSPEC_DIGEST_CREDENTIALS = 0,
  SIPSPEC_DIGEST_CHALLENGES = 1
} sipspec_digest_role;

/* Appends every header of h to a message being built, in order, with
 * sipspec_build_header(). SIPSPEC_OK; SIPSPEC_E_INVAL (a value with CR, LF or another
 * control character: nothing is appended); or the builder's sticky error. */
int sipspec_digest_headers_build(sipspec_build *b, const sipspec_digest_headers *h,
                                 sipspec_digest_role role);

/* Appends every header of h as "Name: value\r\n" lines to the NUL-terminated string in
 * out (cap bytes in all; set out[0] = '\0' to start empty), for the extra_headers strings
 * of the session layers. SIPSPEC_OK; SIPSPEC_E_RANGE when the lines do not fit, or
 * SIPSPEC_E_INVAL (bad value, or out not NUL-terminated within cap): out is then left as
 * it was. */
int sipspec_digest_headers_format(const sipspec_digest_headers *h, sipspec_digest_role role,
                                  char *out, size_t cap);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
