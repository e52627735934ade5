/* sipspec/digest.h: SIP Digest authentication (RFC 3261 section 22, RFC 7616, RFC 8760).
 *
 * Four parts, from the bottom up:
 *   1. the challenge model: the params of WWW-Authenticate / Proxy-Authenticate headers,
 *      given as name/value spans, become checked sipspec_digest_challenge values, and
 *      sipspec_digest_choose() picks the strongest usable challenge for every realm;
 *   2. the credentials: HA1 / HA2 / response with OpenSSL EVP digests, and the text of an
 *      Authorization / Proxy-Authorization header value;
 *   3. the retry bookkeeping (sipspec_digest_client_t, one per dialog or per standalone
 *      request): credentials cached per realm, nonce counts, stale handling, a bound on the
 *      challenges answered per request, and an explicit verdict for the session layer;
 *   4. the server-side verifier (sipspec_digest_server_t): issues challenges and checks
 *      answers, with expiring nonces (injectable clock) and replay detection.
 *
 * Values are exchanged as text the message builder inserts as is; params come in as
 * name/value spans with quoted values already unescaped (the parser's job). Passwords
 * never appear in any header, reason or log text this module produces; the client keeps
 * only H(username:realm:password), never the password itself.
 */
#ifndef SIPSPEC_DIGEST_H
#define SIPSPEC_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sipspec/span.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* Sizes of the fixed buffers used throughout. */
#define SIPSPEC_DIGEST_VALUE_MAX   256   /* realm, nonce, opaque, username: at most 255 bytes */
#define SIPSPEC_DIGEST_DOMAIN_MAX  512   /* domain: at most 511 bytes */
#define SIPSPEC_DIGEST_HEX_MAX     65    /* 64 hex digits (SHA-256, SHA-512/256) + NUL */
#define SIPSPEC_DIGEST_HEADER_MAX  2048  /* one header value */
#define SIPSPEC_DIGEST_MAX_HEADERS 6     /* header values in one sipspec_digest_headers */
#define SIPSPEC_DIGEST_REASON_MAX  256   /* reason text in verdicts and results */

/* Which header pair a challenge came in: 401 WWW-Authenticate -> Authorization, or
 * 407 Proxy-Authenticate -> Proxy-Authorization. */
typedef enum sipspec_auth_kind {
  SIPSPEC_AUTH_WWW = 0,
  SIPSPEC_AUTH_PROXY = 1
} sipspec_auth_kind;

/* "WWW-Authenticate" or "Proxy-Authenticate". */
const char *sipspec_auth_challenge_header(sipspec_auth_kind kind);
/* "Authorization" or "Proxy-Authorization". */
const char *sipspec_auth_credentials_header(sipspec_auth_kind kind);

/* Digest algorithms (RFC 7616 section 3.3, RFC 8760 section 2.1). The numeric order is the
 * RFC 8760 order of preference for the base hash: a larger value is stronger. */
typedef enum sipspec_digest_alg {
  SIPSPEC_DIGEST_MD5 = 1,
  SIPSPEC_DIGEST_MD5_SESS = 2,
  SIPSPEC_DIGEST_SHA256 = 3,
  SIPSPEC_DIGEST_SHA256_SESS = 4,
  SIPSPEC_DIGEST_SHA512_256 = 5,
  SIPSPEC_DIGEST_SHA512_256_SESS = 6
} sipspec_digest_alg;

/* The token used on the wire ("SHA-512-256-sess"); NULL for a value not in the enum. */
const char *sipspec_digest_alg_name(sipspec_digest_alg alg);
/* Case-insensitive lookup of a wire token. SIPSPEC_OK, or SIPSPEC_E_AUTH_UNSUPPORTED. */
int sipspec_digest_alg_parse(const char *name, size_t len, sipspec_digest_alg *out);
/* true for the -sess variants. */
bool sipspec_digest_alg_is_sess(sipspec_digest_alg alg);

/* Quality of protection. As a mask (SIPSPEC_DIGEST_QOP_AUTH | ..._AUTH_INT) it says what a
 * challenge offers; as a single value what an answer uses. NONE is the RFC 2069 form
 * that RFC 3261 still allows when a challenge carries no qop. */
typedef enum sipspec_digest_qop {
  SIPSPEC_DIGEST_QOP_NONE = 0,
  SIPSPEC_DIGEST_QOP_AUTH = 1,
  SIPSPEC_DIGEST_QOP_AUTH_INT = 2
} sipspec_digest_qop;

/* One auth-param: two spans (sipspec/span.h), not NUL-terminated, quoted values already
 * unescaped. Borrowed: the caller keeps them alive for the duration of the call only. */
typedef struct sipspec_digest_param {
  sipspec_span name;
  sipspec_span value;
} sipspec_digest_param;

/* ---------------------------------------------------------------------------------------
 * 1. Challenge model
 * ------------------------------------------------------------------------------------- */

/* One checked Digest challenge. A plain value (no lifetime): copy it freely. */
typedef struct sipspec_digest_challenge {
  sipspec_auth_kind kind;
  sipspec_digest_alg alg;              /* MD5 when the challenge names none */
  unsigned qop_mask;                   /* SIPSPEC_DIGEST_QOP_* bits offered; 0 = no qop */
  bool stale;
  bool userhash;
  bool has_opaque;
  char realm[SIPSPEC_DIGEST_VALUE_MAX];
  char nonce[SIPSPEC_DIGEST_VALUE_MAX];
  char opaque[SIPSPEC_DIGEST_VALUE_MAX];
  char domain[SIPSPEC_DIGEST_DOMAIN_MAX]; /* space-separated URI list; "" when absent */
} sipspec_digest_challenge;

/* Checks the params of one Digest challenge and fills *out.
 * Returns SIPSPEC_OK; SIPSPEC_E_AUTH_MALFORMED (missing realm or nonce, bad stale or
 * userhash value, duplicate or over-long param, control characters);
 * SIPSPEC_E_AUTH_UNSUPPORTED (unknown algorithm, or a qop list with no known option).
 * On failure `why` (may be NULL) receives a sentence naming what was wrong. */
int sipspec_digest_challenge_parse(sipspec_auth_kind kind, const sipspec_digest_param *params,
                                   size_t n_params, sipspec_digest_challenge *out,
                                   char *why, size_t why_len);

/* One challenge header as the parser exposes it: its auth-scheme plus its params. */
typedef struct sipspec_digest_offer {
  sipspec_auth_kind kind;
  sipspec_span scheme;                 /* "Digest" (case-insensitive); others are skipped */
  const sipspec_digest_param *params;
  size_t n_params;
} sipspec_digest_offer;

/* Picks, for every distinct (kind, realm) among the offers, the strongest challenge
 * (RFC 8760 order SHA-512-256, SHA-256, MD5; -sess ranks just above its base; on a tie
 * the first wins, which is RFC 8760's "topmost"). Challenges of other schemes, unknown
 * algorithms and malformed ones are skipped. Writes at most out_cap challenges in order
 * of first appearance and their count to *n_out.
 * Fails only when nothing is usable: SIPSPEC_E_AUTH_UNSUPPORTED with a reason naming the
 * unknown algorithms/schemes, or SIPSPEC_E_AUTH_MALFORMED with the first problem found;
 * SIPSPEC_E_RANGE when more than out_cap realms challenge. */
int sipspec_digest_choose(const sipspec_digest_offer *offers, size_t n_offers,
                          sipspec_digest_challenge *out, size_t out_cap, size_t *n_out,
                          char *why, size_t why_len);

/* ---------------------------------------------------------------------------------------
 * 2. Credentials
 * ------------------------------------------------------------------------------------- */

/* The request an answer is computed for. Borrowed for the call. */
typedef struct sipspec_digest_request {
  const char *method;                  /* "INVITE", "REGISTER", ... */
  const char *uri;                     /* digest-uri: the Request-URI as sent */
  const void *body;                    /* message body, hashed for auth-int; may be NULL */
  size_t body_len;
} sipspec_digest_request;

/* Everything one answer depends on. Borrowed strings, NUL-terminated. */
typedef struct sipspec_digest_input {
  sipspec_digest_alg alg;
  sipspec_digest_qop qop;              /* the single qop used: NONE, AUTH or AUTH_INT */
  const char *username;                /* the real name, also when userhash is set */
  const char *realm;
  const char *password;                /* or NULL, then ha1 is used */
  const char *ha1;                     /* hex H(username:realm:password) in alg's hash */
  const char *nonce;
  const char *cnonce;                  /* required when qop != NONE or alg is -sess */
  uint32_t nc;                         /* nonce count, sent as 8 hex digits */
  const char *opaque;                  /* echoed when not NULL */
  bool userhash;                       /* send H(username:realm) instead of username */
  sipspec_digest_request req;
} sipspec_digest_input;

/* hex H(username ":" realm ":" password) in alg's hash (the -sess variants use their base
 * hash). out receives up to 64 hex digits and a NUL. SIPSPEC_OK, SIPSPEC_E_INVAL or
 * SIPSPEC_E_AUTH_CRYPTO. */
int sipspec_digest_ha1_base(sipspec_digest_alg alg, const char *username, const char *realm,
                            const char *password, char out[SIPSPEC_DIGEST_HEX_MAX]);
/* hex H(username ":" realm), RFC 7616 section 3.4.4. */
int sipspec_digest_userhash(sipspec_digest_alg alg, const char *username, const char *realm,
                            char out[SIPSPEC_DIGEST_HEX_MAX]);
/* The request-digest ("response" param), RFC 7616 section 3.4.1 / RFC 2617 3.2.2.1. */
int sipspec_digest_response(const sipspec_digest_input *in, char out[SIPSPEC_DIGEST_HEX_MAX]);

/* Fills *in from a challenge: alg, realm, nonce, opaque, userhash and the qop (auth when
 * offered, else auth-int, else none). Pointers refer into *ch, which must outlive *in.
 * Leaves username/password/ha1/cnonce/nc/req for the caller. */
void sipspec_digest_input_from_challenge(const sipspec_digest_challenge *ch,
                                         sipspec_digest_input *in);

/* Writes a fresh client nonce: 32 hex digits from RAND_bytes, NUL-terminated. */
int sipspec_digest_cnonce(char out[33]);

/* Builds the Authorization / Proxy-Authorization header value ("Digest username=...")
 * for *in into out (out_cap bytes, NUL-terminated). Refuses values with control
 * characters, which could split the header. SIPSPEC_OK, SIPSPEC_E_INVAL,
 * SIPSPEC_E_AUTH_MALFORMED, SIPSPEC_E_RANGE (does not fit) or SIPSPEC_E_AUTH_CRYPTO, with
 * a reason in `why` (never containing the password). */
int sipspec_digest_authorization(const sipspec_digest_input *in, char *out, size_t out_cap,
                                 char *why, size_t why_len);

/* ---------------------------------------------------------------------------------------
 * 3. Retry bookkeeping (client side)
 * ------------------------------------------------------------------------------------- */

/* Header values to add to a request (or a response, for the verifier). */
typedef struct sipspec_digest_header {
  sipspec_auth_kind kind;              /* names the header: see sipspec_auth_*_header() */
  char value[SIPSPEC_DIGEST_HEADER_MAX];
} sipspec_digest_header;

typedef struct sipspec_digest_headers {
  size_t count;
  sipspec_digest_header items[SIPSPEC_DIGEST_MAX_HEADERS];
} sipspec_digest_headers;

/* What the credentials source fills. username and password are NUL-terminated; the
 * library wipes password right after hashing it. */
typedef struct sipspec_digest_cred {
  char username[SIPSPEC_DIGEST_VALUE_MAX];
  char password[SIPSPEC_DIGEST_VALUE_MAX];
} sipspec_digest_cred;

/* Credentials callback: fill *out for (kind, realm) and return SIPSPEC_OK, or return
 * SIPSPEC_E_NOTFOUND when there are none for that realm. */
typedef int (*sipspec_digest_cred_fn)(void *user, sipspec_auth_kind kind, const char *realm,
                                      sipspec_digest_cred *out);

/* Credentials table row, for applications without a callback. realm NULL matches any
 * realm (the first matching row wins). Borrowed: must outlive the client. */
typedef struct sipspec_digest_cred_entry {
  const char *realm;
  const char *username;
  const char *password;
} sipspec_digest_cred_entry;

typedef struct sipspec_digest_client_config {
  unsigned max_challenges;             /* challenges answered per request; default 2 */
  sipspec_digest_cred_fn get_credentials; /* used when not NULL ... */
  void *user;
  const sipspec_digest_cred_entry *table; /* ... else this table */
  size_t table_len;
} sipspec_digest_client_config;

/* Fills defaults: max_challenges 2, no credentials source. */
void sipspec_digest_client_config_init(sipspec_digest_client_config *cfg);

typedef struct sipspec_digest_client sipspec_digest_client_t;

/* Creates the bookkeeping for one dialog (or one standalone request). *cfg is copied;
 * the table and the callback's user data are borrowed and must outlive the client.
 * SIPSPEC_OK, SIPSPEC_E_INVAL (no credentials source) or SIPSPEC_E_NOMEM. */
int sipspec_digest_client_create(const sipspec_digest_client_config *cfg,
                                 sipspec_digest_client_t **out);
/* Destroys the client and wipes its cached hashes. NULL is allowed. */
void sipspec_digest_client_destroy(sipspec_digest_client_t *c);

/* Starts a new request in the dialog: resets the per-request challenge count and writes
 * to *out the header values for every realm cached so far (each with its next nonce
 * count), so later requests carry credentials up front. *out may end up empty. */
int sipspec_digest_client_begin(sipspec_digest_client_t *c, const sipspec_digest_request *req,
                                sipspec_digest_headers *out);

typedef enum sipspec_digest_action {
  SIPSPEC_DIGEST_RETRY = 1,            /* resend the request with `headers` (new CSeq) */
  SIPSPEC_DIGEST_FAIL = 2              /* give up: `error` and `reason` say why */
} sipspec_digest_action;

typedef struct sipspec_digest_verdict {
  sipspec_digest_action action;
  int error;                           /* SIPSPEC_OK when action is RETRY */
  char reason[SIPSPEC_DIGEST_REASON_MAX];
  sipspec_digest_headers headers;      /* RETRY: every credential header to send */
} sipspec_digest_verdict;

/* Decides what to do with a 401/407 response to the current request, given all its
 * challenge headers (WWW- and Proxy-Authenticate together). RETRY when every challenged
 * realm can be answered. FAIL with:
 *   SIPSPEC_E_AUTH_LIMIT      more than max_challenges challenges for this request;
 *   SIPSPEC_E_AUTH_FAILED     a realm challenged again (not stale) right after fresh
 *                             credentials from the source;
 *   SIPSPEC_E_AUTH_NO_CREDENTIALS  the source has nothing for a realm;
 *   SIPSPEC_E_AUTH_UNSUPPORTED / _MALFORMED  nothing usable was offered.
 * A stale=true challenge re-answers with the new nonce and the cached credentials and is
 * not a failure (it still counts toward max_challenges). Returns verdict->error. */
int sipspec_digest_client_on_challenge(sipspec_digest_client_t *c,
                                       const sipspec_digest_offer *offers, size_t n_offers,
                                       const sipspec_digest_request *req,
                                       sipspec_digest_verdict *verdict);

/* Challenges answered so far for the current request. */
unsigned sipspec_digest_client_challenges(const sipspec_digest_client_t *c);
/* Realms with cached credentials. */
size_t sipspec_digest_client_realms(const sipspec_digest_client_t *c);

/* ---------------------------------------------------------------------------------------
 * 4. Server-side verifier
 * ------------------------------------------------------------------------------------- */

/* Milliseconds on a monotonic clock. */
typedef uint64_t (*sipspec_digest_clock_fn)(void *user);

typedef struct sipspec_digest_server_config {
  sipspec_auth_kind kind;              /* WWW (401, registrar/UAS) or PROXY (407) */
  const char *realm;                   /* required */
  const char *username;                /* required */
  const char *password;                /* required; hashed at create, then not kept */
  sipspec_digest_alg algs[6];          /* offered, in order; default SHA-512-256, SHA-256, MD5 */
  size_t n_algs;
  unsigned qop_mask;                   /* offered qop; default AUTH; never 0 */
  bool userhash;                       /* ask for userhash=true */
  uint64_t nonce_lifetime_ms;          /* default 300000 */
  size_t max_nonces;                   /* nonces tracked at once; default 1024 */
  sipspec_digest_clock_fn clock;       /* default CLOCK_MONOTONIC */
  void *clock_user;
} sipspec_digest_server_config;

void sipspec_digest_server_config_init(sipspec_digest_server_config *cfg);

typedef struct sipspec_digest_server sipspec_digest_server_t;

/* Creates a verifier. Strings in *cfg are copied or hashed; nothing is borrowed except
 * clock_user. SIPSPEC_OK, SIPSPEC_E_INVAL (with a reason in why), SIPSPEC_E_NOMEM or
 * SIPSPEC_E_AUTH_CRYPTO. */
int sipspec_digest_server_create(const sipspec_digest_server_config *cfg,
                                 sipspec_digest_server_t **out, char *why, size_t why_len);
void sipspec_digest_server_destroy(sipspec_digest_server_t *s);

/* Issues a fresh nonce and writes one challenge header value per offered algorithm (in
 * the configured order) to *out, all with kind cfg.kind. stale marks them stale=true. */
int sipspec_digest_server_challenge(sipspec_digest_server_t *s, bool stale,
                                    sipspec_digest_headers *out);

/* Checks the params of one Authorization / Proxy-Authorization header against *req.
 * SIPSPEC_OK: authenticated. Otherwise, with a reason in why (never the password):
 *   SIPSPEC_E_AUTH_MALFORMED      missing or bad params;
 *   SIPSPEC_E_AUTH_UNSUPPORTED    algorithm or qop not offered;
 *   SIPSPEC_E_AUTH_FAILED         wrong user, realm, uri or response;
 *   SIPSPEC_E_AUTH_NONCE_UNKNOWN  nonce not issued here (or forgotten): challenge anew;
 *   SIPSPEC_E_AUTH_STALE          right response, expired nonce: challenge with stale=true;
 *   SIPSPEC_E_AUTH_REPLAY         nc not above the last accepted one for this nonce. */
int sipspec_digest_server_verify(sipspec_digest_server_t *s, const sipspec_digest_param *params,
                                 size_t n_params, const sipspec_digest_request *req,
                                 char *why, size_t why_len);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
