/* digest_grammar.h: the interface between the re2c Digest grammar (grammar/digest.re,
 * generated into the build tree) and the adapter that reads auth headers of parsed SIP
 * messages (digest_msg.c). Not public.
 *
 * The grammar is RFC 3261 section 25.1 (challenge / digest-cln, credentials / dig-resp,
 * other-challenge / other-response, auth-param) with the parameters RFC 7616 sections
 * 3.3 and 3.4 add (charset, userhash, username*) and the RFC 7235 section 4.1 rule that one
 * header line may hold several challenges. token68 (RFC 7235 section 2.1) is not part of
 * the Digest productions: it is recognised only as the whole content of a challenge of
 * another scheme, so that such a challenge ("Negotiate YIIB...") can be skipped.
 *
 * Each sipspec_dg_*() matches one element of a header value at p, never reads at or past
 * lim (bytes there read as a CR, which no rule accepts inside a value) and fills a
 * dg_match: what it found, or an error kind and the byte it applies to.
 */
#ifndef SIPSPEC_AUTH_DIGEST_GRAMMAR_H
#define SIPSPEC_AUTH_DIGEST_GRAMMAR_H

#include <stddef.h>

#include <stdbool.h>

#include "sipspec/digest_msg.h"
#include "sipspec/span.h"

/* What a scanner found (dg_match.kind). */
typedef enum dg_kind {
  DG_ERROR = 0,        /* err and at say what and where */
  DG_SCHEME_DIGEST,    /* auth-scheme "Digest" (any case) and its LWS */
  DG_SCHEME_OTHER,     /* another auth-scheme and its LWS */
  DG_PARAM,            /* an auth-param: id, name, value (raw, quotes kept) */
  DG_TOKEN68,          /* token68 (other schemes only), in value */
  DG_END,              /* separator: SWS and the end of the value */
  DG_NEXT_PARAM,       /* separator: COMMA, the next auth-param follows */
  DG_NEXT_SCHEME       /* separator: COMMA, the next challenge's auth-scheme starts at `at` */
} dg_kind;

/* The parameters the Digest productions name (RFC 3261 25.1, RFC 7616 3.3 and 3.4);
 * DG_P_EXT is any other auth-param (kept, RFC 7616 "unrecognized ... MUST be ignored"). */
typedef enum dg_param_id {
  DG_P_EXT = 0,
  DG_P_REALM,
  DG_P_DOMAIN,
  DG_P_NONCE,
  DG_P_OPAQUE,
  DG_P_STALE,
  DG_P_ALGORITHM,
  DG_P_QOP,            /* qop-options in a challenge, message-qop in credentials */
  DG_P_CHARSET,
  DG_P_USERHASH,
  DG_P_USERNAME,
  DG_P_USERNAME_EXT,   /* username* (RFC 7616 3.4, RFC 5987 ext-value) */
  DG_P_URI,
  DG_P_RESPONSE,
  DG_P_CNONCE,
  DG_P_NC,
  DG_P_COUNT
} dg_param_id;

/* Why a scanner failed (dg_match.err). */
typedef enum dg_err {
  DG_E_NONE = 0,
  DG_E_SCHEME,         /* expected an auth-scheme */
  DG_E_SCHEME_WS,      /* auth-scheme not followed by LWS */
  DG_E_NO_PARAMS,      /* auth-scheme at the end of the value */
  DG_E_NAME,           /* expected an auth-param name */
  DG_E_EQUAL,          /* name not followed by "=" */
  DG_E_VALUE,          /* neither token nor quoted-string after "=" */
  DG_E_QUOTE,          /* quoted-string not terminated */
  DG_E_SHAPE,          /* a known parameter whose value has the wrong form (id says which) */
  DG_E_COMMA           /* expected "," between auth-params */
} dg_err;

typedef struct dg_match {
  dg_kind kind;
  dg_err err;
  dg_param_id id;
  sipspec_span name;   /* auth-scheme or auth-param name */
  sipspec_span value;  /* auth-param value as written (quotes kept), or the token68 */
  const char *at;      /* DG_ERROR: the byte at fault; DG_NEXT_SCHEME: the next scheme */
  const char *end;     /* where scanning goes on */
} dg_match;

/* SWS auth-scheme LWS. */
dg_kind sipspec_dg_scheme(const char *p, const char *lim, dg_match *m);
/* One digest-cln (RFC 3261 25.1, RFC 7616 3.3) at p. */
dg_kind sipspec_dg_cln(const char *p, const char *lim, dg_match *m);
/* One dig-resp (RFC 3261 25.1, RFC 7616 3.4) at p. */
dg_kind sipspec_dg_resp(const char *p, const char *lim, dg_match *m);
/* One auth-param of another scheme, or (first != 0) its token68 at p. */
dg_kind sipspec_dg_other(const char *p, const char *lim, int first, dg_match *m);
/* After an auth-param or token68: the end, the next auth-param, or the next challenge. */
dg_kind sipspec_dg_sep(const char *p, const char *lim, dg_match *m);
/* Copies the content of the quoted-string [p, lim) (quotes included, already matched by a
 * scanner above) into dst (room for lim - p bytes) with quoted-pairs resolved and the CRLF
 * of folds removed (RFC 3261 7.3.1: the fold's white space stays). Returns the length;
 * with dst NULL it only counts. */
size_t sipspec_dg_unquote(const char *p, const char *lim, char *dst);

/* What digest_msg.c does with one header value, on its own (for the grammar tests, which
 * feed values no SIP message could carry): splits `value` into s (reset first) with the
 * grammar above as a WWW-Authenticate / Proxy-Authenticate value, or, when credentials,
 * an Authorization / Proxy-Authorization one. SIPSPEC_OK, SIPSPEC_E_AUTH_MALFORMED or
 * SIPSPEC_E_RANGE with the reason in why, exactly as sipspec_digest_offers_from_msg() and
 * sipspec_digest_credentials_from_msg() give it for header 1. */
int sipspec_digest_read_value(sipspec_digest_msg_scratch *s, sipspec_auth_kind kind,
                              bool credentials, sipspec_span value, char *why, size_t why_len);

#endif
