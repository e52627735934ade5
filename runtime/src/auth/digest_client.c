/* digest_client.c: the client's retry bookkeeping (RFC 3261 sections 22.2-22.4).
 *
 * One sipspec_digest_client_t per dialog (or per standalone request) remembers, for every
 * (kind, realm) that challenged, the username, H(username:realm:password) (never the
 * password), the nonce being answered with its cnonce and nonce count. The session layer
 * calls sipspec_digest_client_begin() for every new request and
 * sipspec_digest_client_on_challenge() for every 401/407, and follows the verdict.
 *
 * Loop safety: a realm that challenges again without stale=true right after credentials
 * fresh from the source has rejected them (auth-failed, RFC 3261 22.2 "SHOULD NOT
 * re-attempt"); every challenge of a request counts toward max_challenges, stale or not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "auth/digest_internal.h"
#include "sipspec/error.h"

typedef struct realm_entry {
  sipspec_auth_kind kind;
  char realm[SIPSPEC_DIGEST_VALUE_MAX];
  char username[SIPSPEC_DIGEST_VALUE_MAX];
  char ha1[SIPSPEC_DIGEST_HEX_MAX];   /* H(username:realm:password) in ha1_alg's hash */
  sipspec_digest_alg ha1_alg;
  sipspec_digest_challenge ch;        /* the challenge being answered */
  char cnonce[33];
  uint32_t nc;                        /* last nonce count sent for ch.nonce */
  bool fresh;                         /* from the source during the current request */
  bool sent;                          /* answered in the last attempt of this request */
} realm_entry;

struct sipspec_digest_client {
  sipspec_digest_client_config cfg;
  unsigned challenges;                /* challenges answered for the current request */
  size_t n_entries;
  realm_entry entries[SIPSPEC_DIGEST_MAX_HEADERS];
};

void sipspec_digest_client_config_init(sipspec_digest_client_config *cfg) {
  if (cfg == NULL) return;
  memset(cfg, 0, sizeof *cfg);
  cfg->max_challenges = 2;
}

int sipspec_digest_client_create(const sipspec_digest_client_config *cfg,
                                 sipspec_digest_client_t **out) {
  if (out == NULL) return SIPSPEC_E_INVAL;
  *out = NULL;
  if (cfg == NULL || (cfg->get_credentials == NULL && cfg->table == NULL) ||
      (cfg->table == NULL && cfg->table_len > 0))
    return SIPSPEC_E_INVAL;
  sipspec_digest_client_t *c = calloc(1, sizeof *c);
  if (c == NULL) return SIPSPEC_E_NOMEM;
  c->cfg = *cfg;
  *out = c;
  return SIPSPEC_OK;
}

void sipspec_digest_client_destroy(sipspec_digest_client_t *c) {
  if (c == NULL) return;
  OPENSSL_cleanse(c, sizeof *c);
  free(c);
}

unsigned sipspec_digest_client_challenges(const sipspec_digest_client_t *c) {
  return c ? c->challenges : 0;
}

size_t sipspec_digest_client_realms(const sipspec_digest_client_t *c) {
  return c ? c->n_entries : 0;
}

/* MD5 and MD5-sess share H(username:realm:password); so do the SHA-256 and SHA-512-256
 * pairs. */
static int hash_family(sipspec_digest_alg alg) { return ((int)alg + 1) / 2; }

/* Asks the application for (kind, realm) credentials and keeps only their hash. */
static int fetch_credentials(sipspec_digest_client_t *c, realm_entry *e,
                             sipspec_digest_alg alg, char *why, size_t why_len) {
  sipspec_digest_cred cred;
  memset(&cred, 0, sizeof cred);
  int rc = SIPSPEC_E_NOTFOUND;
  char peer[48];
  if (c->cfg.get_credentials != NULL) {
    rc = c->cfg.get_credentials(c->cfg.user, e->kind, e->realm, &cred);
  } else {
    for (size_t i = 0; i < c->cfg.table_len; i++) {
      const sipspec_digest_cred_entry *t = &c->cfg.table[i];
      if (t->realm != NULL && strcmp(t->realm, e->realm) != 0) continue;
      if (t->username == NULL || t->password == NULL) continue;
      if (strlen(t->username) >= sizeof cred.username ||
          strlen(t->password) >= sizeof cred.password) {
        rc = SIPSPEC_E_RANGE;
        break;
      }
      memcpy(cred.username, t->username, strlen(t->username) + 1);
      memcpy(cred.password, t->password, strlen(t->password) + 1);
      rc = SIPSPEC_OK;
      break;
    }
  }
  cred.username[sizeof cred.username - 1] = '\0';
  cred.password[sizeof cred.password - 1] = '\0';
  if (rc == SIPSPEC_OK && auth_has_ctl(cred.username, strlen(cred.username))) {
    auth_reason(why, why_len, "the username for realm \"%s\" contains a control character",
                auth_peer_text(peer, sizeof peer, e->realm, strlen(e->realm)));
    rc = SIPSPEC_E_AUTH_MALFORMED;
  } else if (rc == SIPSPEC_E_RANGE) {
    auth_reason(why, why_len, "the credentials for realm \"%s\" are too long",
                auth_peer_text(peer, sizeof peer, e->realm, strlen(e->realm)));
  } else if (rc != SIPSPEC_OK) {
    auth_reason(why, why_len, "no credentials for %s realm \"%s\"",
                e->kind == SIPSPEC_AUTH_PROXY ? "proxy" : "server",
                auth_peer_text(peer, sizeof peer, e->realm, strlen(e->realm)));
    rc = SIPSPEC_E_AUTH_NO_CREDENTIALS;
  } else {
    rc = sipspec_digest_ha1_base(alg, cred.username, e->realm, cred.password, e->ha1);
    if (rc == SIPSPEC_OK) {
      memcpy(e->username, cred.username, sizeof e->username);
      e->ha1_alg = alg;
    } else {
      auth_reason(why, why_len, "cannot hash the credentials: %s", sipspec_strerror(rc));
    }
  }
  OPENSSL_cleanse(&cred, sizeof cred);
  return rc;
}

/* Writes the header answering e's challenge with the next nonce count. */
static int answer(realm_entry *e, const sipspec_digest_request *req, sipspec_digest_header *h,
                  char *why, size_t why_len) {
  sipspec_digest_input in;
  memset(&in, 0, sizeof in);
  sipspec_digest_input_from_challenge(&e->ch, &in);
  in.username = e->username;
  in.ha1 = e->ha1;
  in.cnonce = e->cnonce;
  in.nc = ++e->nc;
  in.req = *req;
  h->kind = e->kind;
  int rc = sipspec_digest_authorization(&in, h->value, sizeof h->value, why, why_len);
  if (rc == SIPSPEC_OK) e->sent = true;
  return rc;
}

static int answer_all(sipspec_digest_client_t *c, const sipspec_digest_request *req,
                      sipspec_digest_headers *out, char *why, size_t why_len) {
  out->count = 0;
  for (size_t i = 0; i < c->n_entries; i++) {
    int rc = answer(&c->entries[i], req, &out->items[out->count], why, why_len);
    if (rc != SIPSPEC_OK) {
      out->count = 0;
      return rc;
    }
    out->count++;
  }
  return SIPSPEC_OK;
}

static bool request_ok(const sipspec_digest_request *req) {
  return req != NULL && req->method != NULL && req->uri != NULL &&
         (req->body != NULL || req->body_len == 0);
}

int sipspec_digest_client_begin(sipspec_digest_client_t *c, const sipspec_digest_request *req,
                                sipspec_digest_headers *out) {
  if (c == NULL || out == NULL || !request_ok(req)) return SIPSPEC_E_INVAL;
  c->challenges = 0;
  for (size_t i = 0; i < c->n_entries; i++) {
    c->entries[i].fresh = false;
    c->entries[i].sent = false;
  }
  return answer_all(c, req, out, NULL, 0);
}

static int fail(sipspec_digest_verdict *v, int error) {
  v->action = SIPSPEC_DIGEST_FAIL;
  v->error = error;
  v->headers.count = 0;
  return error;
}

/* Takes a new challenge into entry e: a new nonce gets a new cnonce and nc restarts. */
static int adopt(realm_entry *e, const sipspec_digest_challenge *ch) {
  if (strcmp(e->ch.nonce, ch->nonce) != 0 || e->cnonce[0] == '\0') {
    int rc = sipspec_digest_cnonce(e->cnonce);
    if (rc != SIPSPEC_OK) return rc;
    e->nc = 0;
  }
  e->ch = *ch;
  return SIPSPEC_OK;
}

int sipspec_digest_client_on_challenge(sipspec_digest_client_t *c,
                                       const sipspec_digest_offer *offers, size_t n_offers,
                                       const sipspec_digest_request *req,
                                       sipspec_digest_verdict *v) {
  if (v == NULL) return SIPSPEC_E_INVAL;
  memset(v, 0, sizeof *v);
  if (c == NULL || !request_ok(req) || (offers == NULL && n_offers > 0)) {
    auth_reason(v->reason, sizeof v->reason, "invalid arguments");
    return fail(v, SIPSPEC_E_INVAL);
  }
  c->challenges++;
  if (c->challenges > c->cfg.max_challenges) {
    auth_reason(v->reason, sizeof v->reason,
                "challenged %u times for this request; at most %u are answered",
                c->challenges, c->cfg.max_challenges);
    return fail(v, SIPSPEC_E_AUTH_LIMIT);
  }
  sipspec_digest_challenge chs[SIPSPEC_DIGEST_MAX_HEADERS];
  size_t n = 0;
  int rc = sipspec_digest_choose(offers, n_offers, chs, SIPSPEC_DIGEST_MAX_HEADERS, &n,
                                 v->reason, sizeof v->reason);
  if (rc != SIPSPEC_OK) return fail(v, rc);

  for (size_t k = 0; k < n; k++) {
    const sipspec_digest_challenge *ch = &chs[k];
    char peer[48];
    realm_entry *e = NULL;
    for (size_t i = 0; i < c->n_entries; i++) {
      if (c->entries[i].kind == ch->kind && strcmp(c->entries[i].realm, ch->realm) == 0)
        e = &c->entries[i];
    }
    bool need_fetch;
    if (e == NULL) {
      if (c->n_entries == SIPSPEC_DIGEST_MAX_HEADERS) {
        auth_reason(v->reason, sizeof v->reason, "more than %d realms to answer",
                    SIPSPEC_DIGEST_MAX_HEADERS);
        return fail(v, SIPSPEC_E_RANGE);
      }
      e = &c->entries[c->n_entries];
      memset(e, 0, sizeof *e);
      e->kind = ch->kind;
      memcpy(e->realm, ch->realm, sizeof e->realm);
      need_fetch = true;
    } else if (e->sent && ch->stale) {
      /* RFC 7616 3.3: stale=true, the credentials were right, only the nonce expired. */
      need_fetch = hash_family(e->ha1_alg) != hash_family(ch->alg);
    } else if (e->sent && e->fresh) {
      auth_reason(v->reason, sizeof v->reason,
                  "%s realm \"%s\" rejected the credentials of user \"%s\"",
                  ch->kind == SIPSPEC_AUTH_PROXY ? "proxy" : "server",
                  auth_peer_text(peer, sizeof peer, ch->realm, strlen(ch->realm)),
                  e->username);
      return fail(v, SIPSPEC_E_AUTH_FAILED);
    } else {
      /* Cached credentials from an earlier request were refused: ask the source once. */
      need_fetch = e->sent || hash_family(e->ha1_alg) != hash_family(ch->alg);
    }
    if (need_fetch) {
      rc = fetch_credentials(c, e, ch->alg, v->reason, sizeof v->reason);
      if (rc != SIPSPEC_OK) return fail(v, rc);
      e->fresh = true;
      if (e == &c->entries[c->n_entries]) c->n_entries++;
    }
    rc = adopt(e, ch);
    if (rc != SIPSPEC_OK) {
      auth_reason(v->reason, sizeof v->reason, "cannot make a client nonce");
      return fail(v, rc);
    }
  }
  rc = answer_all(c, req, &v->headers, v->reason, sizeof v->reason);
  if (rc != SIPSPEC_OK) return fail(v, rc);
  v->action = SIPSPEC_DIGEST_RETRY;
  v->error = SIPSPEC_OK;
  v->reason[0] = '\0';
  return SIPSPEC_OK;
}
