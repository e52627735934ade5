/* net/tls.c: the OpenSSL side of the TLS transport: its configuration from MRCP_SIP_TLS_*,
 * the SSL_CTX, and what a handshake checks beyond OpenSSL's chain verification.
 *
 * What is checked (docs/tls.md):
 *  - the chain, against the system trust store or MRCP_SIP_TLS_CA_FILE / _CA_DIR
 *    (RFC 5922 §7.1: RFC 5280 validation, done by OpenSSL);
 *  - the name asked for (the domain of the URI, RFC 5922 §7.3, never the resolved address)
 *    against the certificate's SIP domain identities (RFC 5922 §7.1): the URI:sip: SANs
 *    without a user part when there are any, else the DNS SANs; the CN only when there is no
 *    subjectAltName at all; compared whole and case-insensitively, no wildcard (§7.2). The
 *    DNS and CN part is OpenSSL's X509_check_host() with X509_CHECK_FLAG_NO_WILDCARDS; the
 *    URI:sip: part is ours (OpenSSL does not read those). An IP literal asked for is
 *    compared with the IP SANs (X509_check_ip_asc);
 *  - the pins (MRCP_SIP_TLS_PIN_SHA256): one certificate of the verified chain must have a
 *    SubjectPublicKeyInfo whose SHA-256 is a pin, also when verification is off.
 * The checks run in the verify callback at depth 0, so a failure aborts the handshake with an
 * alert, and the callback keeps the sentence that names the cause.
 */
#include "net/tls_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

/* ---- configuration ------------------------------------------------------------------------ */

void sipspec_tls_config_init(sipspec_tls_config *tls) {
  memset(tls, 0, sizeof *tls);
  tls->verify = 1;
  tls->handshake_timeout_ms = SIPSPEC_TLS_DEFAULT_HANDSHAKE_MS;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static const char *env_lookup(const char *name, void *arg) {
  (void)arg;
  return getenv(name);
}

int sipspec_tls_pin_decode(const char *b64, size_t len, unsigned char out[32]) {
  /* 32 bytes are 44 base64 characters, the last one '=' (RFC 7469 §2.4 writes pins so). */
  if (len != 44 || b64[43] != '=' || b64[42] == '=') return SIPSPEC_E_CONFIG;
  for (size_t i = 0; i < 43; i++)
    if (!isalnum((unsigned char)b64[i]) && b64[i] != '+' && b64[i] != '/') return SIPSPEC_E_CONFIG;
  unsigned char buf[48];
  if (EVP_DecodeBlock(buf, (const unsigned char *)b64, 44) != 33) return SIPSPEC_E_CONFIG;
  memcpy(out, buf, 32);
  return SIPSPEC_OK;
}

static int copy_path(sipspec_getenv_fn lookup, void *arg, const char *name, char *dst, char *err, size_t errlen) {
  const char *v = lookup(name, arg);
  if (!v) return SIPSPEC_OK;
  size_t n = strlen(v);
  if (!n) {
    set_err(err, errlen, "%s=\"\": empty value, expected a file name", name);
    return SIPSPEC_E_CONFIG;
  }
  if (n >= SIPSPEC_TLS_PATH_MAX) {
    set_err(err, errlen, "%s: the file name is longer than %d characters", name, SIPSPEC_TLS_PATH_MAX - 1);
    return SIPSPEC_E_CONFIG;
  }
  memcpy(dst, v, n + 1);
  return SIPSPEC_OK;
}

int sipspec_tls_config_from_env(sipspec_tls_config *tls, sipspec_getenv_fn lookup, void *arg, char *err,
                                size_t errlen) {
  if (!tls) return SIPSPEC_E_INVAL;
  if (!lookup) lookup = env_lookup;
  if (err && errlen) err[0] = '\0';
  sipspec_tls_config c = *tls;
  const char *v = lookup("MRCP_SIP_TLS_VERIFY", arg);
  if (v) {
    if (!strcmp(v, "0")) c.verify = 0;
    else if (!strcmp(v, "1")) c.verify = 1;
    else {
      set_err(err, errlen, "MRCP_SIP_TLS_VERIFY=\"%s\": expected 1 (verify, the default) or 0 (do not verify)", v);
      return SIPSPEC_E_CONFIG;
    }
  }
  int rc;
  if ((rc = copy_path(lookup, arg, "MRCP_SIP_TLS_CA_FILE", c.ca_file, err, errlen)) ||
      (rc = copy_path(lookup, arg, "MRCP_SIP_TLS_CA_DIR", c.ca_dir, err, errlen)) ||
      (rc = copy_path(lookup, arg, "MRCP_SIP_TLS_CERT", c.cert_file, err, errlen)) ||
      (rc = copy_path(lookup, arg, "MRCP_SIP_TLS_KEY", c.key_file, err, errlen)))
    return rc;
  if (!c.cert_file[0] != !c.key_file[0]) {
    set_err(err, errlen, "MRCP_SIP_TLS_CERT and MRCP_SIP_TLS_KEY go together: %s is set, %s is not",
            c.cert_file[0] ? "MRCP_SIP_TLS_CERT" : "MRCP_SIP_TLS_KEY", c.cert_file[0] ? "MRCP_SIP_TLS_KEY" : "MRCP_SIP_TLS_CERT");
    return SIPSPEC_E_CONFIG;
  }
  v = lookup("MRCP_SIP_TLS_PIN_SHA256", arg);
  if (v) {
    c.npins = 0;
    const char *p = v;
    for (;;) {
      while (*p == ' ') p++;
      const char *e = p;
      while (*e && *e != ',' && *e != ' ') e++;
      if (e == p) {
        set_err(err, errlen, "MRCP_SIP_TLS_PIN_SHA256=\"%s\": an empty pin (expected base64 SHA-256 values, comma-separated)", v);
        return SIPSPEC_E_CONFIG;
      }
      if (c.npins == SIPSPEC_TLS_MAX_PINS) {
        set_err(err, errlen, "MRCP_SIP_TLS_PIN_SHA256: more than %d pins", SIPSPEC_TLS_MAX_PINS);
        return SIPSPEC_E_CONFIG;
      }
      if (sipspec_tls_pin_decode(p, (size_t)(e - p), c.pins[c.npins]) != SIPSPEC_OK) {
        set_err(err, errlen, "MRCP_SIP_TLS_PIN_SHA256: '%.*s' is not a base64 SHA-256 (44 characters ending in '=')",
                (int)(e - p) > 60 ? 60 : (int)(e - p), p);
        return SIPSPEC_E_CONFIG;
      }
      c.npins++;
      while (*e == ' ') e++;
      if (!*e) break;
      if (*e != ',') {
        set_err(err, errlen, "MRCP_SIP_TLS_PIN_SHA256=\"%s\": pins are separated by commas", v);
        return SIPSPEC_E_CONFIG;
      }
      p = e + 1;
    }
  }
  v = lookup("MRCP_SIP_TLS_HANDSHAKE_MS", arg);
  if (v) {
    char *end = NULL;
    unsigned long n = (*v >= '0' && *v <= '9') ? strtoul(v, &end, 10) : 0;
    if (!end || *end || n < 1 || n > SIPSPEC_CONFIG_MAX_MS) {
      set_err(err, errlen, "MRCP_SIP_TLS_HANDSHAKE_MS=\"%s\": expected a number of milliseconds from 1 to %u", v,
              SIPSPEC_CONFIG_MAX_MS);
      return SIPSPEC_E_CONFIG;
    }
    c.handshake_timeout_ms = (unsigned)n;
  }
  *tls = c;
  return SIPSPEC_OK;
}

/* ---- the context ---------------------------------------------------------------------------- */

static const char *ssl_reason(void) {
  unsigned long e = ERR_peek_last_error();
  const char *r = e ? ERR_reason_error_string(e) : NULL;
  return r ? r : "unknown reason";
}

static int verify_cb(int ok, X509_STORE_CTX *x);

/* OpenSSL calls this only when the server asks for a client certificate and we have none
 * (MRCP_SIP_TLS_CERT unset): noted, so that a server closing the connection right after the
 * handshake (TLS 1.3 refuses only after the client's Finished, RFC 8446 §4.4.2.4) is reported
 * as what it is. No certificate is sent. */
static int client_cert_cb(SSL *ssl, X509 **x509, EVP_PKEY **pkey) {
  (void)x509, (void)pkey;
  tls_check *chk = SSL_get_app_data(ssl);
  if (chk) chk->cert_requested = 1;
  return 0;
}

int tls_ctx_new(const sipspec_tls_config *cfg, int server, SSL_CTX **out, char *err, size_t errlen) {
  *out = NULL;
  ERR_clear_error();
  SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!ctx) return SIPSPEC_E_NOMEM;
  /* TLS 1.2 at least (RFC 8996 deprecates 1.0 and 1.1), 1.3 preferred by OpenSSL's order;
   * no renegotiation: a peer asking for one gets a no_renegotiation alert. */
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  int rc = SIPSPEC_OK;
  int need_store = !server || cfg->require_client_cert;
  if (need_store) {
    if (cfg->ca_file[0] || cfg->ca_dir[0]) {
      if (!SSL_CTX_load_verify_locations(ctx, cfg->ca_file[0] ? cfg->ca_file : NULL,
                                         cfg->ca_dir[0] ? cfg->ca_dir : NULL)) {
        set_err(err, errlen, "TLS CA %s '%s' cannot be read: %s", cfg->ca_file[0] ? "file" : "directory",
                cfg->ca_file[0] ? cfg->ca_file : cfg->ca_dir, ssl_reason());
        rc = SIPSPEC_E_TLS_CERT;
      }
    } else if (!SSL_CTX_set_default_verify_paths(ctx)) {
      set_err(err, errlen, "TLS: the system trust store cannot be loaded: %s", ssl_reason());
      rc = SIPSPEC_E_TLS_CERT;
    }
  }
  if (!rc && cfg->cert_file[0]) {
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->cert_file) != 1) {
      set_err(err, errlen, "TLS certificate '%s' cannot be read: %s", cfg->cert_file, ssl_reason());
      rc = SIPSPEC_E_TLS_CERT;
    } else if (SSL_CTX_use_PrivateKey_file(ctx, cfg->key_file, SSL_FILETYPE_PEM) != 1) {
      unsigned long e = ERR_peek_last_error();
      if (ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH || ERR_GET_REASON(e) == X509_R_KEY_TYPE_MISMATCH)
        set_err(err, errlen, "TLS key '%s' does not match the certificate '%s'", cfg->key_file, cfg->cert_file);
      else
        set_err(err, errlen, "TLS key '%s' (for the certificate '%s') cannot be read: %s", cfg->key_file,
                cfg->cert_file, ssl_reason());
      rc = SIPSPEC_E_TLS_CERT;
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
      set_err(err, errlen, "TLS key '%s' does not match the certificate '%s'", cfg->key_file, cfg->cert_file);
      rc = SIPSPEC_E_TLS_CERT;
    }
  }
  if (!rc && server && !cfg->cert_file[0]) {
    set_err(err, errlen, "TLS: a server needs a certificate and a key");
    rc = SIPSPEC_E_TLS_CERT;
  }
  if (rc) {
    SSL_CTX_free(ctx);
    ERR_clear_error();
    return rc;
  }
  if (server)
    SSL_CTX_set_verify(ctx, cfg->require_client_cert ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_NONE,
                       cfg->require_client_cert ? verify_cb : NULL);
  else
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, verify_cb); /* the callback lets it pass when verify is off */
  if (!server) SSL_CTX_set_client_cert_cb(ctx, client_cert_cb);
  *out = ctx;
  return SIPSPEC_OK;
}

/* ---- names ---------------------------------------------------------------------------------- */

int tls_is_ip_literal(const char *name) {
  unsigned char buf[16];
  char tmp[64];
  size_t n = strlen(name);
  if (n >= 2 && name[0] == '[' && name[n - 1] == ']' && n - 2 < sizeof tmp) {
    memcpy(tmp, name + 1, n - 2);
    tmp[n - 2] = '\0';
    name = tmp;
  }
  return inet_pton(AF_INET, name, buf) == 1 || inet_pton(AF_INET6, name, buf) == 1;
}

/* OpenSSL's socket BIO writes with write(), which raises SIGPIPE when the peer has gone: a
 * library must not kill its process (nor change its signal handling), so our BIO is the
 * socket BIO with writes through send(MSG_NOSIGNAL), as the TCP transport writes. */
static BIO_METHOD *nosig_method;
static CRYPTO_ONCE nosig_once = CRYPTO_ONCE_STATIC_INIT;

static int nosig_write(BIO *b, const char *in, int inl) {
  int fd = -1;
  (void)BIO_get_fd(b, &fd);
  errno = 0;
  int n = (int)send(fd, in, (size_t)(inl < 0 ? 0 : inl), MSG_NOSIGNAL);
  BIO_clear_retry_flags(b);
  if (n <= 0 && BIO_sock_should_retry(n)) BIO_set_retry_write(b);
  return n;
}

static void nosig_init(void) {
  const BIO_METHOD *sock = BIO_s_socket();
  BIO_METHOD *m = BIO_meth_new(BIO_TYPE_SOCKET, "sipspec socket");
  if (!m) return;
  if (!BIO_meth_set_write(m, nosig_write) || !BIO_meth_set_read(m, BIO_meth_get_read(sock)) ||
      !BIO_meth_set_puts(m, BIO_meth_get_puts(sock)) || !BIO_meth_set_ctrl(m, BIO_meth_get_ctrl(sock)) ||
      !BIO_meth_set_create(m, BIO_meth_get_create(sock)) || !BIO_meth_set_destroy(m, BIO_meth_get_destroy(sock))) {
    BIO_meth_free(m);
    return;
  }
  nosig_method = m;
}

SSL *tls_ssl_new(SSL_CTX *ctx, int fd, int server, tls_check *chk) {
  if (!CRYPTO_THREAD_run_once(&nosig_once, nosig_init) || !nosig_method) return NULL;
  SSL *ssl = SSL_new(ctx);
  if (!ssl) return NULL;
  BIO *bio = BIO_new(nosig_method);
  if (!bio) {
    SSL_free(ssl);
    return NULL;
  }
  BIO_set_fd(bio, fd, BIO_NOCLOSE);
  SSL_set_bio(ssl, bio, bio);
  SSL_set_app_data(ssl, chk);
  if (server) {
    SSL_set_accept_state(ssl);
  } else {
    SSL_set_connect_state(ssl);
    /* SNI for names only (RFC 6066 §3: "Literal IPv4 and IPv6 addresses are not permitted"). */
    if (chk->name[0] && !tls_is_ip_literal(chk->name)) (void)SSL_set_tlsext_host_name(ssl, chk->name);
  }
  return ssl;
}

/* The host part of a SAN URI "sip:host[:port][;params]" without a user part (RFC 5922
 * §7.1: a value with '@' names a user, not a domain). 0 when it is no SIP domain identity. */
static int sip_uri_host(const char *uri, size_t len, char *host, size_t cap) {
  if (len < 5 || strncasecmp(uri, "sip:", 4)) return 0;
  const char *p = uri + 4, *e = uri + len;
  if (memchr(p, '@', (size_t)(e - p))) return 0;
  const char *h = p;
  if (*h == '[') {
    const char *close = memchr(h, ']', (size_t)(e - h));
    if (!close) return 0;
    p = close + 1;
  } else {
    while (p < e && *p != ':' && *p != ';' && *p != '?') p++;
  }
  size_t n = (size_t)(p - h);
  if (!n || n >= cap) return 0;
  memcpy(host, h, n);
  host[n] = '\0';
  return 1;
}

/* Appends ", what" to list (bounded). */
static void list_add(char *list, size_t cap, const char *kind, const char *v, size_t vlen) {
  size_t n = strlen(list);
  if (n + 8 >= cap) return;
  snprintf(list + n, cap - n, "%s%s:%.*s", n ? ", " : "", kind, (int)(vlen > 80 ? 80 : vlen), v);
}

/* RFC 5922 §7.1 / §7.2 for the name asked for; 1 when the certificate is for it. The names it
 * carries go to list for the sentence of a mismatch. */
static int name_matches(X509 *cert, const char *name, char *list, size_t cap) {
  list[0] = '\0';
  GENERAL_NAMES *sans = X509_get_ext_d2i(cert, NID_subject_alt_name, NULL, NULL);
  int have_sans = sans && sk_GENERAL_NAME_num(sans) > 0;
  int have_sip_uri = 0, sip_uri_match = 0;
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); i++) {
    const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
    if (g->type == GEN_URI) {
      const char *u = (const char *)ASN1_STRING_get0_data(g->d.uniformResourceIdentifier);
      size_t ul = (size_t)ASN1_STRING_length(g->d.uniformResourceIdentifier);
      list_add(list, cap, "URI", u, ul);
      char host[256];
      if (memchr(u, '\0', ul) || !sip_uri_host(u, ul, host, sizeof host)) continue;
      have_sip_uri = 1;
      /* §7.2: the DNS name component only, whole, case-insensitive; "*" is just a character. */
      if (!strcasecmp(host, name)) sip_uri_match = 1;
    } else if (g->type == GEN_DNS) {
      list_add(list, cap, "DNS", (const char *)ASN1_STRING_get0_data(g->d.dNSName),
               (size_t)ASN1_STRING_length(g->d.dNSName));
    } else if (g->type == GEN_IPADD) {
      char ip[64] = "?";
      int l = ASN1_STRING_length(g->d.iPAddress);
      const unsigned char *b = ASN1_STRING_get0_data(g->d.iPAddress);
      if (l == 4) inet_ntop(AF_INET, b, ip, sizeof ip);
      else if (l == 16) inet_ntop(AF_INET6, b, ip, sizeof ip);
      list_add(list, cap, "IP", ip, strlen(ip));
    }
  }
  GENERAL_NAMES_free(sans);
  if (!have_sans) {
    char cn[256];
    if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn) > 0)
      list_add(list, cap, "CN", cn, strlen(cn));
    else
      snprintf(list, cap, "no name at all");
  }
  if (tls_is_ip_literal(name)) {
    char ip[64];
    size_t n = strlen(name);
    if (name[0] == '[' && n >= 2 && n - 2 < sizeof ip) {
      memcpy(ip, name + 1, n - 2);
      ip[n - 2] = '\0';
      name = ip;
    }
    return X509_check_ip_asc(cert, name, 0) == 1;
  }
  /* §7.1: the URI:sip: identities when there are any; the DNS ones only otherwise. */
  if (have_sip_uri) return sip_uri_match;
  unsigned flags = X509_CHECK_FLAG_NO_WILDCARDS | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS;
  /* §7.1 step 2: the CN only when the certificate has no subjectAltName at all (OpenSSL
   * would also read it when the SANs hold no DNS name). */
  if (have_sans) flags |= X509_CHECK_FLAG_NEVER_CHECK_SUBJECT;
  return X509_check_host(cert, name, 0, flags, NULL) == 1;
}

static void cert_subject(X509 *cert, char *buf, size_t cap) {
  buf[0] = '\0';
  if (cert) X509_NAME_oneline(X509_get_subject_name(cert), buf, (int)cap);
}

static void asn1_time(const ASN1_TIME *t, char *buf, size_t cap) {
  snprintf(buf, cap, "?");
  BIO *b = BIO_new(BIO_s_mem());
  if (!b) return;
  if (ASN1_TIME_print(b, t) == 1) {
    int n = BIO_read(b, buf, (int)cap - 1);
    if (n > 0) buf[n] = '\0';
  }
  BIO_free(b);
}

static int fail(tls_check *chk, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(tls_check *chk, int code, const char *fmt, ...) {
  if (chk->code) return 0; /* the first cause is the one told */
  chk->code = code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(chk->why, sizeof chk->why, fmt, ap);
  va_end(ap);
  return 0;
}

static int pins_match(const tls_check *chk, STACK_OF(X509) *chain, char *leaf_pin, size_t cap) {
  leaf_pin[0] = '\0';
  for (int i = 0; chain && i < sk_X509_num(chain); i++) {
    X509 *c = sk_X509_value(chain, i);
    unsigned char *der = NULL;
    int n = i2d_PUBKEY(X509_get0_pubkey(c), &der);
    if (n <= 0) continue;
    unsigned char md[32];
    unsigned int mdlen = 0;
    int ok = EVP_Digest(der, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
    OPENSSL_free(der);
    if (!ok || mdlen != 32) continue;
    if (i == 0 && cap > 45) EVP_EncodeBlock((unsigned char *)leaf_pin, md, 32);
    for (unsigned k = 0; k < chk->cfg->npins; k++)
      if (!memcmp(md, chk->cfg->pins[k], 32)) return 1;
  }
  return 0;
}

static int verify_cb(int ok, X509_STORE_CTX *x) {
  SSL *ssl = X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx());
  tls_check *chk = ssl ? SSL_get_app_data(ssl) : NULL;
  if (!chk) return ok;
  int depth = X509_STORE_CTX_get_error_depth(x);
  X509 *cert = X509_STORE_CTX_get_current_cert(x);
  char subj[256], when[64];
  if (!ok) {
    if (!chk->verify) return 1; /* MRCP_SIP_TLS_VERIFY=0: the chain is not judged */
    int e = X509_STORE_CTX_get_error(x);
    cert_subject(cert, subj, sizeof subj);
    switch (e) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return fail(chk, SIPSPEC_E_TLS_UNTRUSTED, "unknown CA: the certificate %s is not signed by a trusted CA (%s)",
                  subj, X509_verify_cert_error_string(e));
    case X509_V_ERR_CERT_HAS_EXPIRED:
      asn1_time(X509_get0_notAfter(cert), when, sizeof when);
      return fail(chk, SIPSPEC_E_TLS_EXPIRED, "certificate expired: %s was valid until %s", subj, when);
    case X509_V_ERR_CERT_NOT_YET_VALID:
      asn1_time(X509_get0_notBefore(cert), when, sizeof when);
      return fail(chk, SIPSPEC_E_TLS_EXPIRED, "certificate not yet valid: %s is valid from %s", subj, when);
    default:
      return fail(chk, SIPSPEC_E_TLS_VERIFY, "certificate %s at depth %d refused: %s", subj, depth,
                  X509_verify_cert_error_string(e));
    }
  }
  if (depth != 0) return 1;
  if (chk->verify && chk->name[0]) {
    char names[200];
    if (!name_matches(cert, chk->name, names, sizeof names))
      return fail(chk, SIPSPEC_E_TLS_NAME, "name mismatch: asked for '%s', the certificate is for %s", chk->name,
                  names);
  }
  if (chk->cfg && chk->cfg->npins) {
    char leaf[64];
    if (!pins_match(chk, X509_STORE_CTX_get0_chain(x), leaf, sizeof leaf))
      return fail(chk, SIPSPEC_E_TLS_PIN,
                  "pin mismatch: no key of the chain is pinned (server key %s)",
                  leaf[0] ? leaf : "?");
  }
  return 1;
}

/* ---- failures --------------------------------------------------------------------------------- */

int tls_failure(tls_check *chk, SSL *ssl, int ssl_err, char *why, size_t cap) {
  (void)ssl;
  if (chk->code) {
    snprintf(why, cap, "%s", chk->why);
    ERR_clear_error();
    return chk->code;
  }
  unsigned long e = ERR_peek_error();
  int reason = e ? ERR_GET_REASON(e) : 0;
  int code = SIPSPEC_E_TLS_HANDSHAKE;
  if (reason == SSL_R_UNSUPPORTED_PROTOCOL || reason == SSL_R_TLSV1_ALERT_PROTOCOL_VERSION ||
      reason == SSL_R_NO_PROTOCOLS_AVAILABLE || reason == SSL_R_VERSION_TOO_LOW) {
    snprintf(why, cap, "protocol version: the peer offers no TLS version we accept (TLS 1.2 or later): %s",
             ERR_reason_error_string(e));
    code = SIPSPEC_E_TLS_PROTOCOL;
  } else if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE) {
    snprintf(why, cap, "the client sent no certificate, and one is required");
  } else if (reason == SSL_R_TLSV13_ALERT_CERTIFICATE_REQUIRED) {
    snprintf(why, cap, "the server requires a client certificate (set MRCP_SIP_TLS_CERT and MRCP_SIP_TLS_KEY)");
  } else if (e) {
    const char *r = ERR_reason_error_string(e);
    snprintf(why, cap, "handshake failed: %s", r ? r : "unknown reason");
  } else if (ssl_err == SSL_ERROR_SYSCALL || ssl_err == SSL_ERROR_ZERO_RETURN) {
    snprintf(why, cap, "the peer closed the connection during the TLS handshake");
  } else {
    snprintf(why, cap, "handshake failed (OpenSSL error %d)", ssl_err);
  }
  ERR_clear_error();
  return code;
}
