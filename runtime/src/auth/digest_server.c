/* digest_server.c: the server-side Digest verifier (RFC 3261 section 22.4 from the UAS
 * side, RFC 7616 sections 3.3, 3.4 and 5.4-5.5).
 *
 * Issues challenges (one header per offered algorithm, RFC 8760 section 2.2) and checks
 * answers for one configured user. Nonces are 128 random bits kept in a ring of
 * max_nonces slots with their issue time and the highest nonce count accepted: a nonce
 * older than nonce_lifetime_ms (on the injectable clock) yields "stale" for an otherwise
 * right answer, and a nonce count that does not increase is a replay. The password is
 * hashed at creation (one H(username:realm:password) per hash family) and then wiped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "auth/digest_internal.h"
#include "sipspec/error.h"

typedef struct nonce_slot {
  bool used;
  char nonce[33];
  uint64_t issued_ms;
  uint32_t last_nc;                   /* 0: no answer accepted yet */
} nonce_slot;

enum { FAMILIES = 3 };                /* MD5, SHA-256, SHA-512-256 */

struct sipspec_digest_server {
  sipspec_digest_server_config cfg;   /* string pointers below replace the caller's */
  char realm[SIPSPEC_DIGEST_VALUE_MAX];
  char username[SIPSPEC_DIGEST_VALUE_MAX];
  char ha1[FAMILIES][SIPSPEC_DIGEST_HEX_MAX];
  char uhash[FAMILIES][SIPSPEC_DIGEST_HEX_MAX];
  nonce_slot *slots;
  size_t next;                        /* ring position of the next nonce */
};

static int family(sipspec_digest_alg alg) { return ((int)alg - 1) / 2; }

static uint64_t monotonic_ms(void *user) {
  (void)user;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void sipspec_digest_server_config_init(sipspec_digest_server_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->kind = SIPSPEC_AUTH_WWW;
  cfg->algs[0] = SIPSPEC_DIGEST_SHA512_256;
  cfg->algs[1] = SIPSPEC_DIGEST_SHA256;
  cfg->algs[2] = SIPSPEC_DIGEST_MD5;
  cfg->n_algs = 3;
  cfg->qop_mask = SIPSPEC_DIGEST_QOP_AUTH;
  cfg->nonce_lifetime_ms = 300000;
  cfg->max_nonces = 1024;
}

/* A value we put between quotes ourselves must not need escaping. */
static bool plain_quotable(const char *s) {
  return strpbrk(s, "\"\\") == NULL && !auth_has_ctl(s, strlen(s));
}

int sipspec_digest_server_create(const sipspec_digest_server_config *cfg,
                                 sipspec_digest_server_t **out, char *why, size_t why_len) {
  if (out == NULL || cfg == NULL) {
    auth_reason(why, why_len, "no configuration");
    return SIPSPEC_E_INVAL;
  }
  *out = NULL;
  if (cfg->realm == NULL || cfg->realm[0] == '\0' || !plain_quotable(cfg->realm) ||
      strlen(cfg->realm) >= SIPSPEC_DIGEST_VALUE_MAX) {
    auth_reason(why, why_len, "realm must be 1..%d bytes without quotes, backslashes or "
                "control characters", SIPSPEC_DIGEST_VALUE_MAX - 1);
    return SIPSPEC_E_INVAL;
  }
  if (cfg->username == NULL || cfg->username[0] == '\0' ||
      strlen(cfg->username) >= SIPSPEC_DIGEST_VALUE_MAX ||
      auth_has_ctl(cfg->username, strlen(cfg->username))) {
    auth_reason(why, why_len, "username must be 1..%d bytes without control characters",
                SIPSPEC_DIGEST_VALUE_MAX - 1);
    return SIPSPEC_E_INVAL;
  }
  if (cfg->password == NULL) {
    auth_reason(why, why_len, "no password given");
    return SIPSPEC_E_INVAL;
  }
  if (cfg->n_algs == 0 || cfg->n_algs > 6) {
    auth_reason(why, why_len, "between 1 and 6 algorithms must be offered");
    return SIPSPEC_E_INVAL;
  }
  for (size_t i = 0; i < cfg->n_algs; i++) {
    if (sipspec_digest_alg_name(cfg->algs[i]) == NULL) {
      auth_reason(why, why_len, "algorithm #%zu is not a digest algorithm", i + 1);
      return SIPSPEC_E_INVAL;
    }
  }
  if (cfg->qop_mask == 0 ||
      (cfg->qop_mask & ~(unsigned)(SIPSPEC_DIGEST_QOP_AUTH | SIPSPEC_DIGEST_QOP_AUTH_INT))) {
    auth_reason(why, why_len, "qop must offer auth, auth-int or both");
    return SIPSPEC_E_INVAL;
  }
  if (cfg->max_nonces == 0 || cfg->max_nonces > 1000000 || cfg->nonce_lifetime_ms == 0) {
    auth_reason(why, why_len, "max_nonces must be 1..1000000 and the nonce lifetime non-zero");
    return SIPSPEC_E_INVAL;
  }
  sipspec_digest_server_t *s = calloc(1, sizeof *s);
  if (s == NULL) return SIPSPEC_E_NOMEM;
  s->slots = calloc(cfg->max_nonces, sizeof *s->slots);
  if (s->slots == NULL) {
    free(s);
    return SIPSPEC_E_NOMEM;
  }
  s->cfg = *cfg;
  memcpy(s->realm, cfg->realm, strlen(cfg->realm) + 1);
  memcpy(s->username, cfg->username, strlen(cfg->username) + 1);
  s->cfg.realm = s->realm;
  s->cfg.username = s->username;
  s->cfg.password = NULL;
  if (s->cfg.clock == NULL) s->cfg.clock = monotonic_ms;
  static const sipspec_digest_alg base[FAMILIES] = {SIPSPEC_DIGEST_MD5, SIPSPEC_DIGEST_SHA256,
                                                    SIPSPEC_DIGEST_SHA512_256};
  for (int f = 0; f < FAMILIES; f++) {
    int rc = sipspec_digest_ha1_base(base[f], s->username, s->realm, cfg->password, s->ha1[f]);
    if (rc == SIPSPEC_OK) rc = sipspec_digest_userhash(base[f], s->username, s->realm, s->uhash[f]);
    if (rc != SIPSPEC_OK) {
      auth_reason(why, why_len, "cannot hash the credentials: %s", sipspec_strerror(rc));
      sipspec_digest_server_destroy(s);
      return rc;
    }
  }
  *out = s;
  return SIPSPEC_OK;
}

void sipspec_digest_server_destroy(sipspec_digest_server_t *s) {
  if (s == NULL) return;
  free(s->slots);
  OPENSSL_cleanse(s, sizeof *s);
  free(s);
}

int sipspec_digest_server_challenge(sipspec_digest_server_t *s, bool stale,
                                    sipspec_digest_headers *out) {
  if (s == NULL || out == NULL) return SIPSPEC_E_INVAL;
  out->count = 0;
  nonce_slot *slot = &s->slots[s->next];
  int rc = sipspec_digest_cnonce(slot->nonce); /* same generator: 128 random bits in hex */
  if (rc != SIPSPEC_OK) return rc;
  slot->used = true;
  slot->issued_ms = s->cfg.clock(s->cfg.clock_user);
  slot->last_nc = 0;
  s->next = (s->next + 1) % s->cfg.max_nonces;

  const char *qop = s->cfg.qop_mask == SIPSPEC_DIGEST_QOP_AUTH       ? "auth"
                    : s->cfg.qop_mask == SIPSPEC_DIGEST_QOP_AUTH_INT ? "auth-int"
                                                                     : "auth,auth-int";
  for (size_t i = 0; i < s->cfg.n_algs; i++) {
    sipspec_digest_header *h = &out->items[out->count];
    h->kind = s->cfg.kind;
    int n = snprintf(h->value, sizeof h->value,
                     "Digest realm=\"%s\", nonce=\"%s\", algorithm=%s, qop=\"%s\"%s%s", s->realm,
                     slot->nonce, sipspec_digest_alg_name(s->cfg.algs[i]), qop,
                     stale ? ", stale=true" : "", s->cfg.userhash ? ", userhash=true" : "");
    if (n < 0 || (size_t)n >= sizeof h->value) return SIPSPEC_E_RANGE;
    out->count++;
  }
  return SIPSPEC_OK;
}

/* Fetches param `name` as a NUL-terminated copy; *present tells whether it was there. */
static int get_param(const sipspec_digest_param *params, size_t n, const char *name, char *dst,
                     size_t cap, bool required, bool *present, char *why, size_t why_len) {
  bool dup;
  long i = auth_param_find(params, n, name, &dup);
  if (present) *present = i >= 0;
  dst[0] = '\0';
  if (dup) {
    auth_reason(why, why_len, "duplicate %s parameter", name);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (i < 0) {
    if (!required) return SIPSPEC_OK;
    auth_reason(why, why_len, "credentials have no %s parameter", name);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  const sipspec_digest_param *p = &params[i];
  if (p->value.p == NULL && p->value.len > 0) {
    auth_reason(why, why_len, "%s has no value", name);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (p->value.len >= cap) {
    auth_reason(why, why_len, "%s is too long (%zu bytes, at most %zu)", name, p->value.len,
                cap - 1);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (auth_has_ctl(p->value.p, p->value.len)) {
    auth_reason(why, why_len, "%s contains a control character", name);
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  if (p->value.len) memcpy(dst, p->value.p, p->value.len);
  dst[p->value.len] = '\0';
  return SIPSPEC_OK;
}

/* nc-value: exactly 8 hex digits (RFC 7616 section 3.4), not zero. */
static bool parse_nc(const char *s, uint32_t *out) {
  if (strlen(s) != 8) return false;
  uint32_t v = 0;
  for (int i = 0; i < 8; i++) {
    char ch = s[i];
    unsigned d;
    if (ch >= '0' && ch <= '9') d = (unsigned)(ch - '0');
    else if (ch >= 'a' && ch <= 'f') d = (unsigned)(ch - 'a' + 10);
    else if (ch >= 'A' && ch <= 'F') d = (unsigned)(ch - 'A' + 10);
    else return false;
    v = v * 16 + d;
  }
  *out = v;
  return v != 0;
}

#define GET(name, buf, req, present)                                                      \
  do {                                                                                    \
    rc = get_param(params, n_params, name, buf, sizeof buf, req, present, why, why_len);  \
    if (rc != SIPSPEC_OK) return rc;                                                      \
  } while (0)

int sipspec_digest_server_verify(sipspec_digest_server_t *s, const sipspec_digest_param *params,
                                 size_t n_params, const sipspec_digest_request *req,
                                 char *why, size_t why_len) {
  if (s == NULL || (params == NULL && n_params > 0) || req == NULL || req->method == NULL ||
      req->uri == NULL || (req->body == NULL && req->body_len > 0)) {
    auth_reason(why, why_len, "invalid arguments");
    return SIPSPEC_E_INVAL;
  }
  char username[SIPSPEC_DIGEST_VALUE_MAX], realm[SIPSPEC_DIGEST_VALUE_MAX];
  char nonce[SIPSPEC_DIGEST_VALUE_MAX], uri[SIPSPEC_DIGEST_HEADER_MAX];
  char response[SIPSPEC_DIGEST_VALUE_MAX], algorithm[32], qop[32], nc_text[16];
  char cnonce[SIPSPEC_DIGEST_VALUE_MAX], userhash[16], peer[48];
  bool has_alg, has_qop, has_uh;
  int rc;
  GET("username", username, true, NULL);
  GET("realm", realm, true, NULL);
  GET("nonce", nonce, true, NULL);
  GET("uri", uri, true, NULL);
  GET("response", response, true, NULL);
  GET("algorithm", algorithm, false, &has_alg);
  GET("qop", qop, false, &has_qop);
  GET("userhash", userhash, false, &has_uh);

  sipspec_digest_alg alg = SIPSPEC_DIGEST_MD5;
  if (has_alg && sipspec_digest_alg_parse(algorithm, strlen(algorithm), &alg) != SIPSPEC_OK) {
    auth_reason(why, why_len, "unknown digest algorithm \"%s\"",
                auth_peer_text(peer, sizeof peer, algorithm, strlen(algorithm)));
    return SIPSPEC_E_AUTH_UNSUPPORTED;
  }
  bool offered = false;
  for (size_t i = 0; i < s->cfg.n_algs; i++) offered |= s->cfg.algs[i] == alg;
  if (!offered) {
    auth_reason(why, why_len, "algorithm %s was not offered", sipspec_digest_alg_name(alg));
    return SIPSPEC_E_AUTH_UNSUPPORTED;
  }
  if (!has_qop) {
    auth_reason(why, why_len, "credentials have no qop; this server requires one");
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  sipspec_digest_qop q;
  if (auth_slice_ieq(qop, strlen(qop), "auth")) {
    q = SIPSPEC_DIGEST_QOP_AUTH;
  } else if (auth_slice_ieq(qop, strlen(qop), "auth-int")) {
    q = SIPSPEC_DIGEST_QOP_AUTH_INT;
  } else {
    auth_reason(why, why_len, "unknown qop \"%s\"",
                auth_peer_text(peer, sizeof peer, qop, strlen(qop)));
    return SIPSPEC_E_AUTH_UNSUPPORTED;
  }
  if (!(s->cfg.qop_mask & (unsigned)q)) {
    auth_reason(why, why_len, "qop %s was not offered", qop);
    return SIPSPEC_E_AUTH_UNSUPPORTED;
  }
  GET("cnonce", cnonce, true, NULL);
  GET("nc", nc_text, true, NULL);
  uint32_t nc;
  if (!parse_nc(nc_text, &nc)) {
    auth_reason(why, why_len, "bad nc \"%s\" (expected 8 hex digits, not all zero)",
                auth_peer_text(peer, sizeof peer, nc_text, strlen(nc_text)));
    return SIPSPEC_E_AUTH_MALFORMED;
  }
  bool uh = false;
  if (has_uh) {
    if (auth_slice_ieq(userhash, strlen(userhash), "true")) {
      uh = true;
    } else if (!auth_slice_ieq(userhash, strlen(userhash), "false")) {
      auth_reason(why, why_len, "bad userhash value \"%s\"",
                  auth_peer_text(peer, sizeof peer, userhash, strlen(userhash)));
      return SIPSPEC_E_AUTH_MALFORMED;
    }
  }

  /* Who and where: RFC 7616 3.4.4 (userhash), RFC 3261 22.4 (realm, digest-uri). */
  if (strcmp(realm, s->realm) != 0) {
    auth_reason(why, why_len, "realm \"%s\" is not this server's realm",
                auth_peer_text(peer, sizeof peer, realm, strlen(realm)));
    return SIPSPEC_E_AUTH_FAILED;
  }
  int f = family(alg);
  if (uh ? !auth_hex_equal(username, s->uhash[f]) : strcmp(username, s->username) != 0) {
    auth_reason(why, why_len, "unknown user \"%s\"%s",
                auth_peer_text(peer, sizeof peer, username, strlen(username)),
                uh ? " (userhash)" : "");
    return SIPSPEC_E_AUTH_FAILED;
  }
  if (strcmp(uri, req->uri) != 0) {
    auth_reason(why, why_len, "digest uri \"%s\" does not match the Request-URI",
                auth_peer_text(peer, sizeof peer, uri, strlen(uri)));
    return SIPSPEC_E_AUTH_FAILED;
  }
  nonce_slot *slot = NULL;
  for (size_t i = 0; i < s->cfg.max_nonces; i++) {
    if (s->slots[i].used && strcmp(s->slots[i].nonce, nonce) == 0) {
      slot = &s->slots[i];
      break;
    }
  }
  if (slot == NULL) {
    auth_reason(why, why_len, "nonce \"%s\" was not issued here (or was forgotten)",
                auth_peer_text(peer, sizeof peer, nonce, strlen(nonce)));
    return SIPSPEC_E_AUTH_NONCE_UNKNOWN;
  }

  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  in.alg = alg;
  in.qop = q;
  in.username = s->username;
  in.realm = s->realm;
  in.ha1 = s->ha1[f];
  in.nonce = nonce;
  in.cnonce = cnonce;
  in.nc = nc;
  in.req = *req;
  char expected[SIPSPEC_DIGEST_HEX_MAX];
  rc = sipspec_digest_response(&in, expected);
  if (rc != SIPSPEC_OK) {
    auth_reason(why, why_len, "cannot compute the expected response: %s", sipspec_strerror(rc));
    return rc;
  }
  if (!auth_hex_equal(expected, response)) {
    auth_reason(why, why_len, "response for user \"%s\" does not match (wrong password, or "
                "the request was altered)", s->username);
    return SIPSPEC_E_AUTH_FAILED;
  }
  /* RFC 7616 3.3: stale=true when the answer is right but the nonce is too old. */
  uint64_t now = s->cfg.clock(s->cfg.clock_user);
  if (now > slot->issued_ms && now - slot->issued_ms > s->cfg.nonce_lifetime_ms) {
    auth_reason(why, why_len, "nonce expired %llu ms ago; challenge again with stale=true",
                (unsigned long long)(now - slot->issued_ms - s->cfg.nonce_lifetime_ms));
    return SIPSPEC_E_AUTH_STALE;
  }
  /* RFC 7616 5.5 (replay): the nonce count must grow with every use of a nonce. */
  if (nc <= slot->last_nc) {
    auth_reason(why, why_len, "nonce count %08x is not above the last accepted %08x",
                (unsigned)nc, (unsigned)slot->last_nc);
    return SIPSPEC_E_AUTH_REPLAY;
  }
  slot->last_nc = nc;
  return SIPSPEC_OK;
}
