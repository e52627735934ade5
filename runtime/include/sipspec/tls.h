/* sipspec/tls.h: the TLS transport's configuration (SIP over TLS, RFC 3261 §26.2.1,
 * RFC 5630 for sips:, RFC 5922 for what a certificate must say).
 *
 * Verification is on unless MRCP_SIP_TLS_VERIFY=0 says otherwise: the peer's chain is checked
 * against the system trust store (or MRCP_SIP_TLS_CA_FILE / MRCP_SIP_TLS_CA_DIR), and its
 * certificate against the domain of the URI the user agent was asked to reach (RFC 5922
 * §7.1, §7.2, §7.3): DNS and URI:sip: subjectAltNames, no wildcards, the CN only when the
 * certificate has no subjectAltName at all. MRCP_SIP_TLS_PIN_SHA256 adds pins (base64
 * SHA-256 of a SubjectPublicKeyInfo, as HPKP wrote them): one key of the chain must match.
 * docs/tls.md says exactly what is checked.
 *
 * The struct holds copies of the values (no pointers), so it can be filled from getenv()
 * and outlive the environment.
 */
#ifndef SIPSPEC_TLS_H
#define SIPSPEC_TLS_H

#include "sipspec/config.h"

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

#define SIPSPEC_TLS_PATH_MAX 512
#define SIPSPEC_TLS_MAX_PINS 16
#define SIPSPEC_TLS_DEFAULT_HANDSHAKE_MS 10000u

typedef struct sipspec_tls_config {
  int verify;                                /* MRCP_SIP_TLS_VERIFY: 1 (default) or 0 */
  char ca_file[SIPSPEC_TLS_PATH_MAX];        /* MRCP_SIP_TLS_CA_FILE: PEM bundle; "" none */
  char ca_dir[SIPSPEC_TLS_PATH_MAX];         /* MRCP_SIP_TLS_CA_DIR: hashed directory; "" none
                                              * (neither: the system trust store) */
  char cert_file[SIPSPEC_TLS_PATH_MAX];      /* MRCP_SIP_TLS_CERT: our certificate (PEM chain) */
  char key_file[SIPSPEC_TLS_PATH_MAX];       /* MRCP_SIP_TLS_KEY: its private key (PEM) */
  unsigned char pins[SIPSPEC_TLS_MAX_PINS][32]; /* MRCP_SIP_TLS_PIN_SHA256, decoded */
  unsigned npins;
  unsigned handshake_timeout_ms;             /* MRCP_SIP_TLS_HANDSHAKE_MS (10000) */
  int require_client_cert;                   /* a server: refuse clients without a certificate
                                              * that ca_file/ca_dir/system store verifies */
} sipspec_tls_config;

/* Verification on, no files, no pins, a 10 s handshake bound. */
void sipspec_tls_config_init(sipspec_tls_config *tls);

/* Overrides *tls from MRCP_SIP_TLS_VERIFY, _CA_FILE, _CA_DIR, _CERT, _KEY, _PIN_SHA256 and
 * _HANDSHAKE_MS (lookup as sipspec_config_from_env(); NULL: getenv). A bad value fails with
 * SIPSPEC_E_CONFIG and a sentence naming the variable; *tls is then unchanged. Files are
 * not opened here: the transport does that when it opens (SIPSPEC_E_TLS_CERT). */
int sipspec_tls_config_from_env(sipspec_tls_config *tls, sipspec_getenv_fn lookup, void *arg, char *err,
                                size_t errlen);

/* Decodes one pin (44 base64 characters for 32 bytes) into out. SIPSPEC_OK or SIPSPEC_E_CONFIG. */
int sipspec_tls_pin_decode(const char *b64, size_t len, unsigned char out[32]);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
