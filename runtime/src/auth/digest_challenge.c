/* digest_challenge.c: the challenge model (RFC 3261 section 22.1 and 25.1, RFC 7616
 * section 3.3, RFC 8760 section 2).
 *
 * Turns the params of one WWW-Authenticate / Proxy-Authenticate header into a checked
 * sipspec_digest_challenge, and picks from all the challenges of a response the one to
 * answer for every (kind, realm): RFC 8760 lets a server offer one challenge per
 * algorithm in order of preference, SHA-512-256 then SHA-256 then MD5.
 */
#include <stdio.h>
#include <string.h>

#include "auth/digest_internal.h"
#include "sipspec/error.h"

/* Copies a param value into a fixed buffer, refusing over-long values and control
 * characters (they would be echoed into our own headers). */
static int copy_value(const sipspec_digest_param *p, const char *what, char *dst, size_t cap,
                      char *why, size_t why_len) {
  if (p->value.len >= cap) {
    auth_reason(why, why_len, "%s is too long (%zu bytes, at most %zu)", what, p->value.len,
                cap - 1);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (p->value.len > 0 && p->value.p == NULL) {
    auth_reason(why, why_len, "%s has no value", what);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (auth_has_ctl(p->value.p, p->value.len)) {
    auth_reason(why, why_len, "%s contains a control character", what);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (p->value.len > 0) memcpy(dst, p->value.p, p->value.len);
  dst[p->value.len] = '\0';
  return SIPSPEC_OK;
}

/* "true" / "false", case-insensitive (RFC 7616 section 3.3 stale and userhash). */
static int parse_bool(const sipspec_digest_param *p, const char *what, bool *out, char *why,
                      size_t why_len) {
  char peer[48];
  if (p->value.p != NULL && auth_slice_ieq(p->value.p, p->value.len, "true")) {
    *out = true;
  } else if (p->value.p != NULL && auth_slice_ieq(p->value.p, p->value.len, "false")) {
    *out = false;
  } else {
    auth_reason(why, why_len, "bad %s value \"%s\" (expected true or false)", what,
                auth_peer_text(peer, sizeof peer, p->value.p ? p->value.p : "", p->value.len));
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  return SIPSPEC_OK;
}

/* qop-options: a comma-separated list of tokens (RFC 3261 section 25.1 qop-value).
 * Unknown tokens (auth-conf, extensions) are ignored; none known is unsupported. */
static int parse_qop(const sipspec_digest_param *p, unsigned *mask, char *why, size_t why_len) {
  const char *s = p->value.p ? p->value.p : "";
  size_t n = p->value.len, i = 0;
  unsigned m = 0;
  while (i < n) {
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == ',')) i++;
    size_t start = i;
    while (i < n && s[i] != ',' && s[i] != ' ' && s[i] != '\t') i++;
    if (i == start) continue;
    if (auth_slice_ieq(s + start, i - start, "auth"))
      m |= SIPSPEC_DIGEST_QOP_AUTH;
    else if (auth_slice_ieq(s + start, i - start, "auth-int"))
      m |= SIPSPEC_DIGEST_QOP_AUTH_INT;
  }
  if (m == 0) {
    char peer[48];
    auth_reason(why, why_len, "qop \"%s\" offers neither auth nor auth-int",
                auth_peer_text(peer, sizeof peer, s, n));
    return SIPSPEC_E_AUTH_UNSUPPORTED;
  }
  *mask = m;
  return SIPSPEC_OK;
}

int sipspec_digest_challenge_parse(sipspec_auth_kind kind, const sipspec_digest_param *params,
                                   size_t n_params, sipspec_digest_challenge *out,
                                   char *why, size_t why_len) {
  if (out == NULL || (params == NULL && n_params > 0)) {
    auth_reason(why, why_len, "no challenge params given");
    return SIPSPEC_E_INVAL;
  }
  memset(out, 0, sizeof *out);
  out->kind = kind;
  out->alg = SIPSPEC_DIGEST_MD5; /* RFC 7616 3.3: absent algorithm means MD5 */

  static const char *const known[] = {"realm", "nonce", "opaque", "algorithm", "qop",
                                      "stale", "domain", "userhash"};
  for (size_t k = 0; k < sizeof known / sizeof known[0]; k++) {
    bool dup;
    if (auth_param_find(params, n_params, known[k], &dup) >= 0 && dup) {
      auth_reason(why, why_len, "duplicate %s parameter", known[k]);
      return SIPSPEC_E_AUTH_MALFORMED;
    }
  }
  long i;
  int rc;
  if ((i = auth_param_find(params, n_params, "realm", NULL)) < 0) {
    auth_reason(why, why_len, "challenge has no realm");
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if ((rc = copy_value(&params[i], "realm", out->realm, sizeof out->realm, why, why_len)))
    return rc;
  if ((i = auth_param_find(params, n_params, "nonce", NULL)) < 0 || params[i].value.len == 0) {
    auth_reason(why, why_len, "challenge for realm \"%s\" has no nonce",
                auth_peer_text((char[48]){0}, 48, out->realm, strlen(out->realm)));
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if ((rc = copy_value(&params[i], "nonce", out->nonce, sizeof out->nonce, why, why_len)))
    return rc;
  if ((i = auth_param_find(params, n_params, "opaque", NULL)) >= 0) {
    if ((rc = copy_value(&params[i], "opaque", out->opaque, sizeof out->opaque, why, why_len)))
      return rc;
    out->has_opaque = true;
  }
  if ((i = auth_param_find(params, n_params, "domain", NULL)) >= 0) {
    if ((rc = copy_value(&params[i], "domain", out->domain, sizeof out->domain, why, why_len)))
      return rc;
  }
  if ((i = auth_param_find(params, n_params, "stale", NULL)) >= 0) {
    if ((rc = parse_bool(&params[i], "stale", &out->stale, why, why_len))) return rc;
  }
  if ((i = auth_param_find(params, n_params, "userhash", NULL)) >= 0) {
    if ((rc = parse_bool(&params[i], "userhash", &out->userhash, why, why_len))) return rc;
  }
  if ((i = auth_param_find(params, n_params, "qop", NULL)) >= 0) {
    if ((rc = parse_qop(&params[i], &out->qop_mask, why, why_len))) return rc;
  }
  if ((i = auth_param_find(params, n_params, "algorithm", NULL)) >= 0) {
    const sipspec_digest_param *p = &params[i];
    if (sipspec_digest_alg_parse(p->value.p ? p->value.p : "", p->value.len, &out->alg) != SIPSPEC_OK) {
      char peer[48];
      auth_reason(why, why_len, "unknown digest algorithm \"%s\"",
                  auth_peer_text(peer, sizeof peer, p->value.p ? p->value.p : "", p->value.len));
      return SIPSPEC_E_AUTH_UNSUPPORTED;
    }
  }
  return SIPSPEC_OK;
}

/* Strength rank for RFC 8760's order; -sess ranks just above its base hash. */
static int alg_rank(sipspec_digest_alg alg) { return (int)alg; }

/* Appends ", text" (or "text" first) to an accumulating list in buf. */
static void list_add(char *buf, size_t cap, const char *text) {
  size_t len = strlen(buf);
  const char *parts[2] = {len ? ", " : "", text};
  for (int k = 0; k < 2; k++) {
    for (const char *q = parts[k]; *q && len + 1 < cap; q++) buf[len++] = *q;
  }
  buf[len] = '\0';
}

int sipspec_digest_choose(const sipspec_digest_offer *offers, size_t n_offers,
                          sipspec_digest_challenge *out, size_t out_cap, size_t *n_out,
                          char *why, size_t why_len) {
  if ((offers == NULL && n_offers > 0) || (out == NULL && out_cap > 0) || n_out == NULL) {
    auth_reason(why, why_len, "no challenges given");
    return SIPSPEC_E_INVAL;
  }
  *n_out = 0;
  char unsupported[160] = "";
  char first_bad[SIPSPEC_DIGEST_REASON_MAX] = "";
  bool too_many = false;
  for (size_t k = 0; k < n_offers; k++) {
    const sipspec_digest_offer *o = &offers[k];
    char peer[48];
    if (o->scheme.p == NULL || !auth_slice_ieq(o->scheme.p, o->scheme.len, "Digest")) {
      char item[64];
      snprintf(item, sizeof item, "scheme %s",
               auth_peer_text(peer, sizeof peer, o->scheme.p ? o->scheme.p : "", o->scheme.len));
      list_add(unsupported, sizeof unsupported, item);
      continue;
    }
    sipspec_digest_challenge ch;
    char reason[SIPSPEC_DIGEST_REASON_MAX];
    int rc = sipspec_digest_challenge_parse(o->kind, o->params, o->n_params, &ch, reason,
                                            sizeof reason);
    if (rc == SIPSPEC_E_AUTH_UNSUPPORTED) {
      long ai = auth_param_find(o->params, o->n_params, "algorithm", NULL);
      if (ai >= 0) {
        const sipspec_digest_param *p = &o->params[ai];
        list_add(unsupported, sizeof unsupported,
                 auth_peer_text(peer, sizeof peer, p->value.p ? p->value.p : "", p->value.len));
      } else {
        list_add(unsupported, sizeof unsupported, reason);
      }
      continue;
    }
    if (rc != SIPSPEC_OK) {
      if (first_bad[0] == '\0') snprintf(first_bad, sizeof first_bad, "%s", reason);
      continue;
    }
    size_t j;
    for (j = 0; j < *n_out; j++) {
      if (out[j].kind == ch.kind && strcmp(out[j].realm, ch.realm) == 0) break;
    }
    if (j < *n_out) {
      if (alg_rank(ch.alg) > alg_rank(out[j].alg)) out[j] = ch; /* stronger wins, tie: first */
    } else if (*n_out < out_cap) {
      out[(*n_out)++] = ch;
    } else {
      too_many = true;
    }
  }
  if (too_many) {
    auth_reason(why, why_len, "more than %zu realms challenge at once", out_cap);
    *n_out = 0;
    return SIPSPEC_E_RANGE;
  }
  if (*n_out > 0) return SIPSPEC_OK;
  if (first_bad[0] != '\0') {
    auth_reason(why, why_len, "malformed challenge: %s%s%s", first_bad,
                unsupported[0] ? "; unsupported: " : "", unsupported);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (unsupported[0] != '\0') {
    auth_reason(why, why_len, "no supported digest challenge (offered: %s)", unsupported);
    return SIPSPEC_E_AUTH_UNSUPPORTED;
  }
  auth_reason(why, why_len, "response carries no challenge");
  return SIPSPEC_E_AUTH_MALFORMED;
}
