/* digest_hash.c: the credentials part of Digest authentication.
 *
 * Algorithm names, the OpenSSL EVP hashing behind H() and KD(), HA1 / HA2 / response
 * (RFC 7616 section 3.4.1-3.4.4, RFC 2617 3.2.2 for the qop-less form RFC 3261 keeps),
 * and the text of an Authorization / Proxy-Authorization header value. Also the small
 * text helpers the other files of this folder share (digest_internal.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "auth/digest_internal.h"
#include "random_pool.h"
#include "sipspec/error.h"

/* ---- shared text helpers ------------------------------------------------------------- */

void auth_reason(char *why, size_t why_len, const char *fmt, ...) {
  if (why == NULL || why_len == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, why_len, fmt, ap);
  va_end(ap);
}

const char *auth_peer_text(char *dst, size_t dst_cap, const char *s, size_t n) {
  size_t limit = 40, o = 0;
  if (dst_cap == 0) return dst;
  for (size_t i = 0; i < n && i < limit && o + 1 < dst_cap; i++) {
    unsigned char ch = (unsigned char)s[i];
    dst[o++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
  }
  if (n > limit) {
    for (int k = 0; k < 3 && o + 1 < dst_cap; k++) dst[o++] = '.';
  }
  dst[o] = '\0';
  return dst;
}

bool auth_slice_ieq(const char *s, size_t n, const char *word) {
  size_t wl = strlen(word);
  if (wl != n) return false;
  for (size_t i = 0; i < n; i++) {
    if (tolower((unsigned char)s[i]) != tolower((unsigned char)word[i])) return false;
  }
  return true;
}

bool auth_has_ctl(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch < 0x20 || ch == 0x7f) return true;
  }
  return false;
}

long auth_param_find(const sipspec_digest_param *params, size_t n, const char *name, bool *dup) {
  long found = -1;
  if (dup) *dup = false;
  for (size_t i = 0; i < n; i++) {
    if (params[i].name.p == NULL || !auth_slice_ieq(params[i].name.p, params[i].name.len, name))
      continue;
    if (found >= 0) {
      if (dup) *dup = true;
    } else {
      found = (long)i;
    }
  }
  return found;
}

bool auth_hex_equal(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  if (la != lb) return false;
  return CRYPTO_memcmp(a, b, la) == 0;
}

/* ---- algorithms ---------------------------------------------------------------------- */

const char *sipspec_auth_challenge_header(sipspec_auth_kind kind) {
  return kind == SIPSPEC_AUTH_PROXY ? "Proxy-Authenticate" : "WWW-Authenticate";
}

const char *sipspec_auth_credentials_header(sipspec_auth_kind kind) {
  return kind == SIPSPEC_AUTH_PROXY ? "Proxy-Authorization" : "Authorization";
}

static const struct {
  sipspec_digest_alg alg;
  const char *name;     /* wire token, RFC 7616 section 6.1 registry */
  const char *evp_name; /* OpenSSL 3 digest name */
} k_algs[] = {
  {SIPSPEC_DIGEST_MD5, "MD5", "MD5"},
  {SIPSPEC_DIGEST_MD5_SESS, "MD5-sess", "MD5"},
  {SIPSPEC_DIGEST_SHA256, "SHA-256", "SHA2-256"},
  {SIPSPEC_DIGEST_SHA256_SESS, "SHA-256-sess", "SHA2-256"},
  {SIPSPEC_DIGEST_SHA512_256, "SHA-512-256", "SHA2-512/256"},
  {SIPSPEC_DIGEST_SHA512_256_SESS, "SHA-512-256-sess", "SHA2-512/256"},
};

const char *sipspec_digest_alg_name(sipspec_digest_alg alg) {
  for (size_t i = 0; i < sizeof k_algs / sizeof k_algs[0]; i++) {
    if (k_algs[i].alg == alg) return k_algs[i].name;
  }
  return NULL;
}

static const char *alg_evp_name(sipspec_digest_alg alg) {
  for (size_t i = 0; i < sizeof k_algs / sizeof k_algs[0]; i++) {
    if (k_algs[i].alg == alg) return k_algs[i].evp_name;
  }
  return NULL;
}

int sipspec_digest_alg_parse(const char *name, size_t len, sipspec_digest_alg *out) {
  if (name == NULL || out == NULL) return SIPSPEC_E_INVAL;
  for (size_t i = 0; i < sizeof k_algs / sizeof k_algs[0]; i++) {
    if (auth_slice_ieq(name, len, k_algs[i].name)) {
      *out = k_algs[i].alg;
      return SIPSPEC_OK;
    }
  }
  return SIPSPEC_E_AUTH_UNSUPPORTED;
}

bool sipspec_digest_alg_is_sess(sipspec_digest_alg alg) {
  return alg == SIPSPEC_DIGEST_MD5_SESS || alg == SIPSPEC_DIGEST_SHA256_SESS ||
         alg == SIPSPEC_DIGEST_SHA512_256_SESS;
}

/* ---- hashing ------------------------------------------------------------------------- */

int auth_hash_join(sipspec_digest_alg alg, const char *const *parts, const size_t *lens,
                   size_t n_parts, char out[SIPSPEC_DIGEST_HEX_MAX]) {
  const char *evp_name = alg_evp_name(alg);
  if (evp_name == NULL) return SIPSPEC_E_INVAL;
  int rc = SIPSPEC_E_AUTH_CRYPTO;
  EVP_MD *md = EVP_MD_fetch(NULL, evp_name, NULL);
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char bin[EVP_MAX_MD_SIZE];
  unsigned int bin_len = 0;
  if (md == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, md, NULL) != 1) goto done;
  for (size_t i = 0; i < n_parts; i++) {
    if (i > 0 && EVP_DigestUpdate(ctx, ":", 1) != 1) goto done;
    if (lens[i] > 0 && EVP_DigestUpdate(ctx, parts[i], lens[i]) != 1) goto done;
  }
  if (EVP_DigestFinal_ex(ctx, bin, &bin_len) != 1) goto done;
  if (bin_len * 2 + 1 > SIPSPEC_DIGEST_HEX_MAX) goto done;
  static const char hex[] = "0123456789abcdef";
  for (unsigned int i = 0; i < bin_len; i++) {
    out[2 * i] = hex[bin[i] >> 4];
    out[2 * i + 1] = hex[bin[i] & 15];
  }
  out[2 * bin_len] = '\0';
  rc = SIPSPEC_OK;
done:
  OPENSSL_cleanse(bin, sizeof bin);
  EVP_MD_CTX_free(ctx);
  EVP_MD_free(md);
  return rc;
}

/* Hex length of alg's digest: 32 for MD5, 64 for the SHA-2 ones. */
static size_t alg_hex_len(sipspec_digest_alg alg) {
  switch (alg) {
  case SIPSPEC_DIGEST_MD5:
  case SIPSPEC_DIGEST_MD5_SESS: return 32;
  default: return 64;
  }
}

int sipspec_digest_ha1_base(sipspec_digest_alg alg, const char *username, const char *realm,
                            const char *password, char out[SIPSPEC_DIGEST_HEX_MAX]) {
  if (username == NULL || realm == NULL || password == NULL || out == NULL)
    return SIPSPEC_E_INVAL;
  const char *parts[3] = {username, realm, password};
  size_t lens[3] = {strlen(username), strlen(realm), strlen(password)};
  return auth_hash_join(alg, parts, lens, 3, out);
}

int sipspec_digest_userhash(sipspec_digest_alg alg, const char *username, const char *realm,
                            char out[SIPSPEC_DIGEST_HEX_MAX]) {
  if (username == NULL || realm == NULL || out == NULL) return SIPSPEC_E_INVAL;
  const char *parts[2] = {username, realm};
  size_t lens[2] = {strlen(username), strlen(realm)};
  return auth_hash_join(alg, parts, lens, 2, out);
}

static const char *qop_token(sipspec_digest_qop qop) {
  return qop == SIPSPEC_DIGEST_QOP_AUTH_INT ? "auth-int" : "auth";
}

int sipspec_digest_response(const sipspec_digest_input *in, char out[SIPSPEC_DIGEST_HEX_MAX]) {
  if (in == NULL || out == NULL || in->username == NULL || in->realm == NULL ||
      in->nonce == NULL || in->req.method == NULL || in->req.uri == NULL ||
      alg_evp_name(in->alg) == NULL)
    return SIPSPEC_E_INVAL;
  if (in->password == NULL && in->ha1 == NULL) return SIPSPEC_E_INVAL;
  if (in->qop != SIPSPEC_DIGEST_QOP_NONE && in->qop != SIPSPEC_DIGEST_QOP_AUTH &&
      in->qop != SIPSPEC_DIGEST_QOP_AUTH_INT)
    return SIPSPEC_E_INVAL;
  bool sess = sipspec_digest_alg_is_sess(in->alg);
  if ((in->qop != SIPSPEC_DIGEST_QOP_NONE || sess) && in->cnonce == NULL) return SIPSPEC_E_INVAL;
  if (in->req.body_len > 0 && in->req.body == NULL) return SIPSPEC_E_INVAL;

  char base[SIPSPEC_DIGEST_HEX_MAX], ha1[SIPSPEC_DIGEST_HEX_MAX], ha2[SIPSPEC_DIGEST_HEX_MAX];
  char hbody[SIPSPEC_DIGEST_HEX_MAX];
  int rc;
  if (in->password != NULL) {
    rc = sipspec_digest_ha1_base(in->alg, in->username, in->realm, in->password, base);
    if (rc != SIPSPEC_OK) goto done;
  } else {
    size_t l = strlen(in->ha1);
    if (l != alg_hex_len(in->alg)) { rc = SIPSPEC_E_INVAL; goto done; }
    memcpy(base, in->ha1, l + 1);
  }
  /* RFC 7616 3.4.2: for -sess, A1 = H(user:realm:pass) ":" nonce ":" cnonce. */
  if (sess) {
    const char *p[3] = {base, in->nonce, in->cnonce};
    size_t l[3] = {strlen(base), strlen(in->nonce), strlen(in->cnonce)};
    rc = auth_hash_join(in->alg, p, l, 3, ha1);
    if (rc != SIPSPEC_OK) goto done;
  } else {
    memcpy(ha1, base, strlen(base) + 1);
  }
  /* RFC 7616 3.4.3: A2 = method ":" uri [ ":" H(body) ] for auth-int. */
  if (in->qop == SIPSPEC_DIGEST_QOP_AUTH_INT) {
    const char *pb[1] = {in->req.body ? (const char *)in->req.body : ""};
    size_t lb[1] = {in->req.body_len};
    rc = auth_hash_join(in->alg, pb, lb, 1, hbody);
    if (rc != SIPSPEC_OK) goto done;
    const char *p[3] = {in->req.method, in->req.uri, hbody};
    size_t l[3] = {strlen(in->req.method), strlen(in->req.uri), strlen(hbody)};
    rc = auth_hash_join(in->alg, p, l, 3, ha2);
  } else {
    const char *p[2] = {in->req.method, in->req.uri};
    size_t l[2] = {strlen(in->req.method), strlen(in->req.uri)};
    rc = auth_hash_join(in->alg, p, l, 2, ha2);
  }
  if (rc != SIPSPEC_OK) goto done;
  /* RFC 7616 3.4.1: KD(HA1, nonce:nc:cnonce:qop:HA2); RFC 2617 3.2.2.1 without qop. */
  if (in->qop != SIPSPEC_DIGEST_QOP_NONE) {
    char nc[9];
    snprintf(nc, sizeof nc, "%08x", (unsigned)in->nc);
    const char *q = qop_token(in->qop);
    const char *p[6] = {ha1, in->nonce, nc, in->cnonce, q, ha2};
    size_t l[6] = {strlen(ha1), strlen(in->nonce), 8, strlen(in->cnonce), strlen(q), strlen(ha2)};
    rc = auth_hash_join(in->alg, p, l, 6, out);
  } else {
    const char *p[3] = {ha1, in->nonce, ha2};
    size_t l[3] = {strlen(ha1), strlen(in->nonce), strlen(ha2)};
    rc = auth_hash_join(in->alg, p, l, 3, out);
  }
done:
  OPENSSL_cleanse(base, sizeof base);
  OPENSSL_cleanse(ha1, sizeof ha1);
  return rc;
}

void sipspec_digest_input_from_challenge(const sipspec_digest_challenge *ch,
                                         sipspec_digest_input *in) {
  in->alg = ch->alg;
  in->realm = ch->realm;
  in->nonce = ch->nonce;
  in->opaque = ch->has_opaque ? ch->opaque : NULL;
  in->userhash = ch->userhash;
  if (ch->qop_mask & SIPSPEC_DIGEST_QOP_AUTH)
    in->qop = SIPSPEC_DIGEST_QOP_AUTH;
  else if (ch->qop_mask & SIPSPEC_DIGEST_QOP_AUTH_INT)
    in->qop = SIPSPEC_DIGEST_QOP_AUTH_INT;
  else
    in->qop = SIPSPEC_DIGEST_QOP_NONE;
}

int sipspec_digest_cnonce(char out[33]) {
  return sipspec_random_hex(out, 16) == SIPSPEC_OK ? SIPSPEC_OK : SIPSPEC_E_AUTH_CRYPTO;
}

/* ---- header text --------------------------------------------------------------------- */

typedef struct text_buf {
  char *p;
  size_t cap, len;
  bool overflow;
} text_buf;

static void tb_put(text_buf *b, const char *s, size_t n) {
  if (b->overflow || b->len + n + 1 > b->cap) {
    b->overflow = true;
    return;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = '\0';
}

static void tb_str(text_buf *b, const char *s) { tb_put(b, s, strlen(s)); }

/* sep name="value" with '"' and '\' escaped as quoted-pairs (RFC 3261 section 25.1). */
static void tb_quoted(text_buf *b, const char *sep, const char *name, const char *v) {
  tb_str(b, sep);
  tb_str(b, name);
  tb_str(b, "=\"");
  for (const char *q = v; *q; q++) {
    if (*q == '"' || *q == '\\') tb_put(b, "\\", 1);
    tb_put(b, q, 1);
  }
  tb_put(b, "\"", 1);
}

static void tb_token(text_buf *b, const char *name, const char *v) {
  tb_str(b, ", ");
  tb_str(b, name);
  tb_put(b, "=", 1);
  tb_str(b, v);
}

int sipspec_digest_authorization(const sipspec_digest_input *in, char *out, size_t out_cap,
                                 char *why, size_t why_len) {
  if (in == NULL || out == NULL || out_cap == 0) {
    auth_reason(why, why_len, "no input or output buffer");
    return SIPSPEC_E_INVAL;
  }
  out[0] = '\0';
  const struct { const char *name, *v; } checked[] = {
    {"username", in->username}, {"realm", in->realm},   {"nonce", in->nonce},
    {"uri", in->req.uri},       {"method", in->req.method}, {"cnonce", in->cnonce},
    {"opaque", in->opaque},
  };
  for (size_t i = 0; i < sizeof checked / sizeof checked[0]; i++) {
    if (checked[i].v != NULL && auth_has_ctl(checked[i].v, strlen(checked[i].v))) {
      auth_reason(why, why_len, "%s contains a control character", checked[i].name);
      return SIPSPEC_E_AUTH_MALFORMED;
    }
  }
  char response[SIPSPEC_DIGEST_HEX_MAX];
  int rc = sipspec_digest_response(in, response);
  if (rc != SIPSPEC_OK) {
    auth_reason(why, why_len, "cannot compute the %s response: %s",
                sipspec_digest_alg_name(in->alg) ? sipspec_digest_alg_name(in->alg) : "digest",
                sipspec_strerror(rc));
    return rc;
  }
  char uhash[SIPSPEC_DIGEST_HEX_MAX];
  if (in->userhash) {
    rc = sipspec_digest_userhash(in->alg, in->username, in->realm, uhash);
    if (rc != SIPSPEC_OK) {
      auth_reason(why, why_len, "cannot compute the userhash: %s", sipspec_strerror(rc));
      return rc;
    }
  }
  text_buf b = {out, out_cap, 0, false};
  tb_str(&b, "Digest");
  tb_quoted(&b, " ", "username", in->userhash ? uhash : in->username);
  tb_quoted(&b, ", ", "realm", in->realm);
  tb_quoted(&b, ", ", "nonce", in->nonce);
  tb_quoted(&b, ", ", "uri", in->req.uri);
  tb_quoted(&b, ", ", "response", response);
  tb_token(&b, "algorithm", sipspec_digest_alg_name(in->alg));
  if (in->qop != SIPSPEC_DIGEST_QOP_NONE || sipspec_digest_alg_is_sess(in->alg))
    tb_quoted(&b, ", ", "cnonce", in->cnonce);
  if (in->opaque != NULL) tb_quoted(&b, ", ", "opaque", in->opaque);
  if (in->qop != SIPSPEC_DIGEST_QOP_NONE) {
    char nc[9];
    snprintf(nc, sizeof nc, "%08x", (unsigned)in->nc);
    tb_token(&b, "qop", qop_token(in->qop));
    tb_token(&b, "nc", nc);
  }
  if (in->userhash) tb_token(&b, "userhash", "true");
  if (b.overflow) {
    out[0] = '\0';
    auth_reason(why, why_len, "%s header value does not fit in %zu bytes", "Authorization",
                out_cap);
    return SIPSPEC_E_RANGE;
  }
  return SIPSPEC_OK;
}
