/* config.c: defaults for sipspec_config and the MRCP_SIP_* environment overrides.
 *
 * Every variable is parsed strictly: digits only (no sign, no spaces, no trailing junk),
 * no zero, no overflow, and T2 >= T1. A bad value fails the call with a sentence naming
 * the variable and the value; nothing is silently defaulted. All variables are parsed into
 * a copy first so a failing call leaves the caller's struct untouched.
 */
#include "sipspec/config.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipspec/error.h"

const char *sipspec_tp_kind_name(sipspec_tp_kind kind) {
  switch (kind) {
  case SIPSPEC_TP_UDP: return "udp";
  case SIPSPEC_TP_TCP: return "tcp";
  case SIPSPEC_TP_TLS: return "tls";
  }
  return "?";
}

void sipspec_config_init(sipspec_config *cfg) {
  memset(cfg, 0, sizeof *cfg);
  cfg->transport = SIPSPEC_TP_UDP;
  cfg->t1_ms = SIPSPEC_DEFAULT_T1_MS;
  cfg->t2_ms = SIPSPEC_DEFAULT_T2_MS;
  cfg->t4_ms = SIPSPEC_DEFAULT_T4_MS;
  cfg->invite_max_retrans = SIPSPEC_DEFAULT_INVITE_MAX_RETRANS;
  cfg->transport_explicit = 0;
  cfg->dns_srv = 0;
  cfg->dns_servers[0] = '\0';
  cfg->udp_max_size = SIPSPEC_DEFAULT_UDP_MAX_SIZE;
  cfg->tcp_enabled = 1;
  cfg->session_expires_s = SIPSPEC_DEFAULT_SESSION_EXPIRES;
  cfg->min_se_s = SIPSPEC_DEFAULT_MIN_SE;
  cfg->keepalive_ms = 0; /* RFC 5626 4.4.1 pings off unless MRCP_SIP_KEEPALIVE_MS says */
  cfg->max_message_size = SIPSPEC_DEFAULT_MAX_MESSAGE_SIZE;
  cfg->max_headers = SIPSPEC_DEFAULT_MAX_HEADERS;
  cfg->max_header_length = SIPSPEC_DEFAULT_MAX_HEADER_LENGTH;
  cfg->max_connections = SIPSPEC_DEFAULT_MAX_CONNECTIONS;
  cfg->max_transactions = SIPSPEC_DEFAULT_MAX_TRANSACTIONS;
  cfg->retry_after_s = SIPSPEC_DEFAULT_RETRY_AFTER_S;
  cfg->idle_timeout_ms = SIPSPEC_DEFAULT_IDLE_TIMEOUT_MS;
  cfg->message_timeout_ms = SIPSPEC_DEFAULT_MESSAGE_TIMEOUT_MS;
}

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || errlen == 0) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static const char *env_lookup(const char *name, void *arg) {
  (void)arg;
  return getenv(name);
}

/* Parses a strictly decimal value in [min, max]. Returns SIPSPEC_OK, SIPSPEC_OK with
 * *out untouched when the variable is unset, or SIPSPEC_E_CONFIG with err filled. */
static int parse_uint(sipspec_getenv_fn lookup, void *arg, const char *name,
                      unsigned long min, unsigned long max, unsigned *out,
                      char *err, size_t errlen) {
  const char *v = lookup(name, arg);
  if (!v) return SIPSPEC_OK;
  if (*v == '\0') {
    set_err(err, errlen, "%s=\"\": empty value, expected a number", name);
    return SIPSPEC_E_CONFIG;
  }
  if (*v == '-') {
    set_err(err, errlen, "%s=\"%s\": negative value, expected a number from %lu to %lu",
            name, v, min, max);
    return SIPSPEC_E_CONFIG;
  }
  if (*v < '0' || *v > '9') {
    set_err(err, errlen, "%s=\"%s\": not a number", name, v);
    return SIPSPEC_E_CONFIG;
  }
  errno = 0;
  char *end = NULL;
  unsigned long n = strtoul(v, &end, 10);
  if (*end != '\0') {
    set_err(err, errlen, "%s=\"%s\": trailing characters after the number", name, v);
    return SIPSPEC_E_CONFIG;
  }
  if (errno == ERANGE || n > max) {
    set_err(err, errlen, "%s=\"%s\": out of range, at most %lu", name, v, max);
    return SIPSPEC_E_CONFIG;
  }
  if (n < min) {
    if (n == 0)
      set_err(err, errlen, "%s=\"%s\": zero is not allowed, expected at least %lu", name, v, min);
    else
      set_err(err, errlen, "%s=\"%s\": too small, expected at least %lu", name, v, min);
    return SIPSPEC_E_CONFIG;
  }
  *out = (unsigned)n;
  return SIPSPEC_OK;
}

static int parse_transport(sipspec_getenv_fn lookup, void *arg, sipspec_config *c,
                           char *err, size_t errlen) {
  static const char name[] = "MRCP_SIP_TRANSPORT";
  const char *v = lookup(name, arg);
  if (!v) return SIPSPEC_OK;
  c->transport_explicit = 1;
  if (strcasecmp(v, "udp") == 0) {
    c->transport = SIPSPEC_TP_UDP;
  } else if (strcasecmp(v, "tcp") == 0) {
    c->transport = SIPSPEC_TP_TCP;
  } else if (strcasecmp(v, "tls") == 0) {
    c->transport = SIPSPEC_TP_TLS; /* RFC 3261 26.2.1; MRCP_SIP_TLS_* in sipspec/tls.h */
  } else {
    set_err(err, errlen, "%s=\"%s\": unknown transport, expected udp, tcp or tls", name, v);
    return SIPSPEC_E_CONFIG;
  }
  return SIPSPEC_OK;
}

int sipspec_config_from_env(sipspec_config *cfg, sipspec_getenv_fn lookup, void *arg,
                            char *err, size_t errlen) {
  if (!cfg) return SIPSPEC_E_INVAL;
  if (!lookup) lookup = env_lookup;
  if (err && errlen) err[0] = '\0';
  sipspec_config c = *cfg;
  unsigned srv = (unsigned)c.dns_srv;
  int rc;
  if ((rc = parse_transport(lookup, arg, &c, err, errlen)) != SIPSPEC_OK) return rc;
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_RETRANS_T1_MS", 1, SIPSPEC_CONFIG_MAX_MS,
                       &c.t1_ms, err, errlen)) != SIPSPEC_OK) return rc;
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_RETRANS_T2_MS", 1, SIPSPEC_CONFIG_MAX_MS,
                       &c.t2_ms, err, errlen)) != SIPSPEC_OK) return rc;
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_RETRANS_T4_MS", 1, SIPSPEC_CONFIG_MAX_MS,
                       &c.t4_ms, err, errlen)) != SIPSPEC_OK) return rc;
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_INVITE_MAX_RETRANS", 1, SIPSPEC_CONFIG_MAX_RETRANS,
                       &c.invite_max_retrans, err, errlen)) != SIPSPEC_OK) return rc;
  /* A boolean: 0 is the legitimate "off", so the range starts at 0 here. */
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_DNS_SRV", 0, 1, &srv, err, errlen)) != SIPSPEC_OK)
    return rc;
  /* 200 bytes is below any real SIP request; 65507 is the IPv4 UDP payload maximum. */
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_UDP_MAX_SIZE", 200, 65507, &c.udp_max_size,
                       err, errlen)) != SIPSPEC_OK) return rc;
  /* RFC 4028: 0 asks for no session timer; one day bounds both */
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_SESSION_EXPIRES", 0, 86400, &c.session_expires_s,
                       err, errlen)) != SIPSPEC_OK) return rc;
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_MIN_SE", 1, 86400, &c.min_se_s, err, errlen)) != SIPSPEC_OK)
    return rc;
  if (c.session_expires_s && c.session_expires_s < c.min_se_s) {
    set_err(err, errlen, "MRCP_SIP_SESSION_EXPIRES=%u is less than MRCP_SIP_MIN_SE=%u (RFC 4028 7.1)",
            c.session_expires_s, c.min_se_s);
    return SIPSPEC_E_CONFIG;
  }
  if ((rc = parse_uint(lookup, arg, "MRCP_SIP_KEEPALIVE_MS", 0, SIPSPEC_CONFIG_MAX_MS, &c.keepalive_ms,
                       err, errlen)) != SIPSPEC_OK) return rc; /* RFC 5626 4.4.1; 0: off */
  /* The limits (docs/limits.md). 200 bytes and 8 headers are below any real request (RFC 3261
   * 8.1.1 names six mandatory header fields); 16 MiB bounds the framer's buffer (twice it). */
  static const struct { const char *name; unsigned long min, max; size_t off; } lims[] = {
    {"MRCP_SIP_MAX_MESSAGE_SIZE", 200, 16777216, offsetof(sipspec_config, max_message_size)},
    {"MRCP_SIP_MAX_HEADERS", 8, 65535, offsetof(sipspec_config, max_headers)},
    {"MRCP_SIP_MAX_HEADER_LENGTH", 64, 16777216, offsetof(sipspec_config, max_header_length)},
    {"MRCP_SIP_MAX_CONNECTIONS", 0, 1000000, offsetof(sipspec_config, max_connections)},
    {"MRCP_SIP_MAX_TRANSACTIONS", 0, 10000000, offsetof(sipspec_config, max_transactions)},
    {"MRCP_SIP_RETRY_AFTER_S", 1, 86400, offsetof(sipspec_config, retry_after_s)},
    {"MRCP_SIP_IDLE_TIMEOUT_MS", 0, SIPSPEC_CONFIG_MAX_MS, offsetof(sipspec_config, idle_timeout_ms)},
    {"MRCP_SIP_MESSAGE_TIMEOUT_MS", 1, SIPSPEC_CONFIG_MAX_MS, offsetof(sipspec_config, message_timeout_ms)},
  };
  for (size_t i = 0; i < sizeof lims / sizeof lims[0]; i++)
    if ((rc = parse_uint(lookup, arg, lims[i].name, lims[i].min, lims[i].max, (unsigned *)((char *)&c + lims[i].off),
                         err, errlen)) != SIPSPEC_OK)
      return rc;
  if (c.max_header_length > c.max_message_size) {
    set_err(err, errlen, "MRCP_SIP_MAX_HEADER_LENGTH=%u is more than MRCP_SIP_MAX_MESSAGE_SIZE=%u",
            c.max_header_length, c.max_message_size);
    return SIPSPEC_E_CONFIG;
  }
  c.dns_srv = (int)srv;
  const char *dns = lookup("MRCP_SIP_DNS_SERVERS", arg);
  if (dns) {
    /* the list itself is checked when the resolver is made (sipspec_resolver_create) */
    if (!*dns || strlen(dns) >= sizeof c.dns_servers || strpbrk(dns, " \t\r\n")) {
      set_err(err, errlen, "MRCP_SIP_DNS_SERVERS=\"%.200s\": expected HOST[:PORT],... (IP addresses, at most %zu characters)",
              dns, sizeof c.dns_servers - 1);
      return SIPSPEC_E_CONFIG;
    }
    memcpy(c.dns_servers, dns, strlen(dns) + 1);
  }
  if (c.t2_ms < c.t1_ms) {
    set_err(err, errlen, "MRCP_SIP_RETRANS_T2_MS=%u is less than MRCP_SIP_RETRANS_T1_MS=%u",
            c.t2_ms, c.t1_ms);
    return SIPSPEC_E_CONFIG;
  }
  *cfg = c;
  return SIPSPEC_OK;
}
