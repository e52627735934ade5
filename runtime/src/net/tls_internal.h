/* net/tls_internal.h: the OpenSSL side of the TLS transport (net/tls.c), used by the stream
 * connections of transport_tcp.c. Not installed. */
#ifndef SIPSPEC_TLS_INTERNAL_H
#define SIPSPEC_TLS_INTERNAL_H

#include <openssl/ssl.h>

#include "sipspec/error.h"
#include "sipspec/tls.h"

/* What one connection's handshake checks and what it found. */
typedef struct tls_check {
  char name[256];        /* the name asked for (RFC 5922 §7.3: the domain of the URI); "" none */
  int verify;            /* chain and name checked (MRCP_SIP_TLS_VERIFY) */
  const sipspec_tls_config *cfg; /* the transport's copy: pins */
  int code;              /* SIPSPEC_E_TLS_* once a check failed; 0 none */
  int cert_requested;    /* a client: the server asked for a certificate we do not have */
  char why[SIPSPEC_ERR_LEN];
} tls_check;

/* An SSL_CTX for a client (server 0) or a server: TLS 1.2 at least, renegotiation refused,
 * partial writes, the trust store, our certificate and key (a key that does not match its
 * certificate fails naming both files). SIPSPEC_E_TLS_CERT / _E_NOMEM with a sentence. */
int tls_ctx_new(const sipspec_tls_config *cfg, int server, SSL_CTX **out, char *err, size_t errlen);

/* A new SSL on fd for one connection: the check as its ex_data, SNI (a client asking for a
 * name that is no IP literal), the host to check. NULL when out of memory. */
SSL *tls_ssl_new(SSL_CTX *ctx, int fd, int server, tls_check *chk);

/* After SSL_do_handshake() failed with SSL_ERROR_SSL or _SYSCALL: the code and a sentence
 * (what the verify callback found, else the protocol version, else OpenSSL's reason). */
int tls_failure(tls_check *chk, SSL *ssl, int ssl_err, char *why, size_t cap);

/* 1 when the name is an IPv4 or IPv6 literal (no SNI for those, RFC 6066 §3). */
int tls_is_ip_literal(const char *name);

#endif
