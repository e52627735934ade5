/* server/server_auth.c: Digest authentication of INVITE and BYE (RFC 3261 section 22).
 *
 * The verifier is the digest module's (sipspec_digest_server_*: nonces, expiry, replay);
 * this file reads the request's Authorization (or Proxy-Authorization, with auth_proxy)
 * headers into the module's name/value params and turns its verdict into a response:
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
#include <string.h>
#include <strings.h>

#include "server/server_internal.h"

int srv_auth_create(sipspec_server *srv, char *err, size_t errlen) {
  sipspec_digest_server_config c;
  sipspec_digest_server_config_init(&c);
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
  char why[SIPSPEC_DIGEST_REASON_MAX] = "";
  int rc = sipspec_digest_server_create(&c, &srv->auth, why, sizeof why);
  if (rc && err && errlen) snprintf(err, errlen, "digest authentication: %s", why[0] ? why : sipspec_strerror(rc));
  return rc;
}

/* The auth-params of one credentials header, unquoted into text. */
#define AUTH_MAX_PARAMS 32
typedef struct cred_params {
  sipspec_digest_param p[AUTH_MAX_PARAMS];
  size_t n;
  char text[4096];
  size_t used;
} cred_params;

/* Reads a's params; SIPSPEC_E_AUTH_MALFORMED with a reason when they cannot be read. */
static int read_params(const sipspec_auth *a, cred_params *out, char *why, size_t why_len) {
  sipspec_span cur = a->params, name, value;
  out->n = out->used = 0;
  for (;;) {
    int rc = sipspec_auth_param_next(&cur, &name, &value);
    if (rc == SIPSPEC_E_NOTFOUND) return SIPSPEC_OK;
    if (rc) {
      snprintf(why, why_len, "credentials: malformed auth-param list");
      return SIPSPEC_E_AUTH_MALFORMED;
    }
    if (out->n == AUTH_MAX_PARAMS) {
      snprintf(why, why_len, "credentials: more than %d auth-params", AUTH_MAX_PARAMS);
      return SIPSPEC_E_AUTH_MALFORMED;
    }
    long len = sipspec_unquote(value, out->text + out->used, sizeof out->text - out->used);
    if (len < 0) {
      snprintf(why, why_len, "credentials: auth-param values too long");
      return SIPSPEC_E_AUTH_MALFORMED;
    }
    sipspec_digest_param *p = &out->p[out->n++];
    p->name = name.p;
    p->name_len = name.len;
    p->value = out->text + out->used;
    p->value_len = (size_t)len;
    out->used += (size_t)len;
  }
}

static int realm_is(const cred_params *c, const char *realm) {
  for (size_t i = 0; i < c->n; i++)
    if (c->p[i].name_len == 5 && !strncasecmp(c->p[i].name, "realm", 5))
      return c->p[i].value_len == strlen(realm) && !memcmp(c->p[i].value, realm, c->p[i].value_len);
  return 0;
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
  extra[0] = '\0';
  for (size_t i = 0; i < h.count && n < sizeof extra; i++)
    n += (size_t)snprintf(extra + n, sizeof extra - n, "%s: %s\r\n", sipspec_auth_challenge_header(h.items[i].kind),
                          h.items[i].value);
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
  sipspec_hdr_id id = srv->o.auth_proxy ? SIPSPEC_H_PROXY_AUTHORIZATION : SIPSPEC_H_AUTHORIZATION;
  const char *hname = srv->o.auth_proxy ? "Proxy-Authorization" : "Authorization";
  char why[SIPSPEC_DIGEST_REASON_MAX + 64];
  cred_params c;
  int found = 0;
  for (size_t i = 0;; i++) {
    sipspec_auth a;
    int rc = sipspec_msg_auth(req, id, i, &a);
    if (rc == SIPSPEC_E_NOTFOUND) break;
    if (rc) {
      snprintf(why, sizeof why, "%s header #%zu is malformed", hname, i + 1);
      (void)srv_respond_warning(srv, t, 400, NULL, why);
      return 400;
    }
    if (a.scheme.len != 6 || strncasecmp(a.scheme.p, "Digest", 6)) continue;
    if (read_params(&a, &c, why, sizeof why)) {
      (void)srv_respond_warning(srv, t, 400, NULL, why);
      return 400;
    }
    if (realm_is(&c, srv->auth_realm)) {
      found = 1;
      break;
    }
  }
  if (!found) return challenge(srv, t, 0, NULL);
  char method[SIPSPEC_TSX_KEY_METHOD_MAX + 1], uri[2048];
  sipspec_span m = sipspec_msg_method_text(req), u = sipspec_msg_request_uri(req);
  if (m.len >= sizeof method || u.len >= sizeof uri) {
    (void)srv_respond_warning(srv, t, 400, NULL, "Request-URI too long to authenticate");
    return 400;
  }
  memcpy(method, m.p, m.len);
  method[m.len] = '\0';
  memcpy(uri, u.p, u.len);
  uri[u.len] = '\0';
  sipspec_span body = sipspec_msg_body(req);
  sipspec_digest_request dr = {method, uri, body.p, body.len};
  char vwhy[SIPSPEC_DIGEST_REASON_MAX] = "";
  int rc = sipspec_digest_server_verify(srv->auth, c.p, c.n, &dr, vwhy, sizeof vwhy);
  if (rc == SIPSPEC_OK) return 0;
  if (rc == SIPSPEC_E_AUTH_STALE) return challenge(srv, t, 1, NULL);
  if (rc == SIPSPEC_E_AUTH_MALFORMED) {
    snprintf(why, sizeof why, "%s: %s", hname, vwhy[0] ? vwhy : sipspec_strerror(rc));
    (void)srv_respond_warning(srv, t, 400, NULL, why);
    return 400;
  }
  snprintf(why, sizeof why, "credentials refused: %s", vwhy[0] ? vwhy : sipspec_strerror(rc));
  return challenge(srv, t, 0, why);
}
