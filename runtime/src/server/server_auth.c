/* server/server_auth.c: Digest authentication of INVITE and BYE (RFC 3261 section 22).
 *
 * The verifier is the digest module's (sipspec_digest_server_*: nonces, expiry, replay);
 * sipspec/digest_msg.h reads the request's Authorization (or Proxy-Authorization, with
 * auth_proxy) headers for it; this file turns the verdict into a response:
 *   - no credentials for our realm                 -> challenge (401 / 407)
 *   - right answer, expired nonce                  -> challenge with stale=true (22.4)
 *   - wrong answer, unknown or replayed nonce,
 *     algorithm or qop we did not offer            -> a fresh challenge with a Warning that
 *                                                     says why (22.1/22.3: the server
 *                                                     challenges again, the client does not
 *                                                     retry rejected credentials)
 *   - credentials that cannot be read              -> 400 with a Warning naming the problem
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/server_internal.h"
#include "sipspec/clock.h"
#include "sipspec/digest_msg.h"

/* Nonces age on the server's clock, as its timers do (a virtual one in tests). */
static uint64_t srv_now_ms(void *user) { return sipspec_clock_now_ms(((sipspec_server *)user)->clock); }

int srv_auth_create(sipspec_server *srv, char *err, size_t errlen) {
  sipspec_digest_server_config c;
  sipspec_digest_server_config_init(&c);
  c.clock = srv_now_ms;
  c.clock_user = srv;
  c.kind = srv->o.auth_proxy ? SIPSPEC_AUTH_PROXY : SIPSPEC_AUTH_WWW;
  c.realm = srv->auth_realm;
  c.username = srv->auth_user;
  c.password = srv->auth_password ? srv->auth_password : "";
  if (srv->o.auth_nalgs) {
    if (srv->o.auth_nalgs > sizeof c.algs / sizeof c.algs[0]) {
      if (err && errlen) snprintf(err, errlen, "auth_nalgs is %zu; at most 6 algorithms can be offered", srv->o.auth_nalgs);
      return SIPSPEC_E_INVAL;
    }
    memcpy(c.algs, srv->o.auth_algs, srv->o.auth_nalgs * sizeof c.algs[0]);
    c.n_algs = srv->o.auth_nalgs;
  }
  if (srv->o.auth_qop_mask) c.qop_mask = srv->o.auth_qop_mask;
  if (srv->o.auth_nonce_lifetime_ms) c.nonce_lifetime_ms = srv->o.auth_nonce_lifetime_ms;
  srv->auth_scratch = malloc(sizeof *srv->auth_scratch);
  if (!srv->auth_scratch) return SIPSPEC_E_NOMEM;
  char why[SIPSPEC_DIGEST_REASON_MAX] = "";
  int rc = sipspec_digest_server_create(&c, &srv->auth, why, sizeof why);
  if (rc && err && errlen) snprintf(err, errlen, "digest authentication: %s", why[0] ? why : sipspec_strerror(rc));
  return rc;
}

/* Sends the challenge (stale or not), with a Warning when `warning` is not NULL. */
static int challenge(sipspec_server *srv, sipspec_tsx *t, int stale, const char *warning) {
  sipspec_digest_headers h;
  char extra[SIPSPEC_DIGEST_MAX_HEADERS * (SIPSPEC_DIGEST_HEADER_MAX + 32)];
  size_t n = 0;
  int status = srv->o.auth_proxy ? 407 : 401;
  if (sipspec_digest_server_challenge(srv->auth, stale, &h) != SIPSPEC_OK) {
    (void)srv_respond_warning(srv, t, 500, NULL, "cannot issue a digest challenge");
    return 500;
  }
  /* The challenge headers from the digest structures, with the builder's rules (RFC 3261
   * 25.1 challenge); a NUL ends them for srv_respond(). */
  sipspec_build b;
  sipspec_build_init(&b, extra, sizeof extra - 1);
  if (sipspec_digest_headers_build(&b, &h, SIPSPEC_DIGEST_CHALLENGES) == SIPSPEC_OK) n = b.len;
  else n = sizeof extra;
  extra[n < sizeof extra ? n : 0] = '\0';
  if (n >= sizeof extra) {
    (void)srv_respond_warning(srv, t, 500, NULL, "digest challenge too long");
    return 500;
  }
  srv->st.challenges++;
  if (warning) (void)srv_respond_warning(srv, t, status, extra, warning);
  else (void)srv_respond(srv, t, status, NULL, extra, NULL, 0);
  return status;
}

int srv_auth_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  if (!srv->auth) return 0;
  sipspec_auth_kind kind = srv->o.auth_proxy ? SIPSPEC_AUTH_PROXY : SIPSPEC_AUTH_WWW;
  char vwhy[SIPSPEC_DIGEST_REASON_MAX] = "", why[SIPSPEC_DIGEST_REASON_MAX + 64];
  int rc = sipspec_digest_verify_msg(srv->auth, kind, srv->auth_realm, req, srv->auth_scratch, vwhy, sizeof vwhy);
  if (rc == SIPSPEC_OK) return 0;
  if (rc == SIPSPEC_E_NOTFOUND) return challenge(srv, t, 0, NULL);
  if (rc == SIPSPEC_E_AUTH_STALE) return challenge(srv, t, 1, NULL);
  if (rc == SIPSPEC_E_AUTH_MALFORMED || rc == SIPSPEC_E_RANGE) {
    snprintf(why, sizeof why, "%s", vwhy[0] ? vwhy : sipspec_strerror(rc));
    (void)srv_respond_warning(srv, t, 400, NULL, why);
    return 400;
  }
  snprintf(why, sizeof why, "credentials refused: %s", vwhy[0] ? vwhy : sipspec_strerror(rc));
  return challenge(srv, t, 0, why);
}
