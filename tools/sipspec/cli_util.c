/* cli_util.c: option-value parsing and small output helpers for the call, serve and demo
 * commands (cli_util.h). Nothing here touches the network, so tests/scenarios checks it
 * directly. */
#include "cli_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "sipspec/transport.h"

static int fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t whylen, const char *fmt, ...) {
  if (why && whylen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
  }
  return SIPSPEC_E_INVAL;
}

int cli_opt(int argc, char **argv, int *i, const char *name, const char **val, char *why, size_t whylen) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n)) return 0;
  if (a[n] == '=') {
    *val = a + n + 1;
    return 1;
  }
  if (a[n]) return 0;
  if (*i + 1 >= argc) {
    fail(why, whylen, "%s needs a value", name);
    return -1;
  }
  *val = argv[++*i];
  return 1;
}

int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out, char *why, size_t whylen) {
  unsigned long v = 0;
  if (!*s) return fail(why, whylen, "an empty value is not a number");
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return fail(why, whylen, "'%s' is not a decimal number", s);
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > max) return fail(why, whylen, "'%s' is out of range %u..%u", s, min, max);
  }
  if (v < min) return fail(why, whylen, "'%s' is out of range %u..%u", s, min, max);
  *out = (unsigned)v;
  return SIPSPEC_OK;
}

int cli_parse_transport(const char *s, sipspec_tp_kind *out, char *why, size_t whylen) {
  if (!strcmp(s, "udp")) *out = SIPSPEC_TP_UDP;
  else if (!strcmp(s, "tcp")) *out = SIPSPEC_TP_TCP;
  else if (!strcmp(s, "tls")) *out = SIPSPEC_TP_TLS;
  else return fail(why, whylen, "'%s' is not a transport (udp, tcp or tls)", s);
  return SIPSPEC_OK;
}

int cli_parse_hostport(const char *s, char *host, size_t hostcap, unsigned *port, char *why,
                       size_t whylen) {
  const char *colon, *h = s;
  size_t hlen;
  if (s[0] == '[') {
    const char *close = strchr(s, ']');
    if (!close || close[1] != ':') return fail(why, whylen, "'%s' is not [IPV6]:PORT", s);
    h = s + 1;
    hlen = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (!colon) return fail(why, whylen, "'%s' has no :PORT", s);
    if (memchr(s, ':', (size_t)(colon - s))) return fail(why, whylen, "'%s': write an IPv6 address as [ADDR]:PORT", s);
    hlen = (size_t)(colon - s);
  }
  if (!hlen) return fail(why, whylen, "'%s' has no host", s);
  if (hlen >= hostcap || hlen >= CLI_HOST_MAX) return fail(why, whylen, "'%s': host too long", s);
  char tmp[CLI_HOST_MAX];
  memcpy(tmp, h, hlen);
  tmp[hlen] = '\0';
  sipspec_sockaddr sa;
  if (sipspec_sockaddr_set(&sa, tmp, 0) != SIPSPEC_OK)
    return fail(why, whylen, "'%s' is not an IP address (IPv4 or IPv6 literal)", tmp);
  unsigned p;
  char pwhy[96];
  if (cli_parse_uint(colon + 1, 0, 65535, &p, pwhy, sizeof pwhy)) return fail(why, whylen, "port: %s", pwhy);
  memcpy(host, tmp, hlen + 1);
  *port = p;
  return SIPSPEC_OK;
}

static int has_ctl(const char *s, size_t n) {
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) return 1;
  return 0;
}

int cli_parse_userpass(const char *s, char *user, size_t usercap, char *pass, size_t passcap,
                       char *why, size_t whylen) {
  const char *colon = strchr(s, ':');
  if (!colon) return fail(why, whylen, "credentials must be USER:PASSWORD");
  size_t ulen = (size_t)(colon - s), plen = strlen(colon + 1);
  if (!ulen) return fail(why, whylen, "the user name is empty");
  if (!plen) return fail(why, whylen, "the password is empty");
  if (ulen >= usercap) return fail(why, whylen, "the user name is too long");
  if (plen >= passcap) return fail(why, whylen, "the password is too long");
  if (has_ctl(s, ulen)) return fail(why, whylen, "the user name contains a control character");
  if (has_ctl(colon + 1, plen)) return fail(why, whylen, "the password contains a control character");
  memcpy(user, s, ulen);
  user[ulen] = '\0';
  memcpy(pass, colon + 1, plen + 1);
  return SIPSPEC_OK;
}

int cli_parse_resource(const char *s, sipspec_mrcp_resource *out, char *why, size_t whylen) {
  sipspec_mrcp_resource r = sipspec_mrcp_resource_from_name(s, strlen(s));
  if (r == SIPSPEC_MRCP_RES_NONE)
    return fail(why, whylen, "'%s' is not an MRCP resource (speechrecog, speechsynth, dtmfrecog, basicsynth, "
                "speakverify, recorder)", s);
  *out = r;
  return SIPSPEC_OK;
}

int cli_parse_resource_list(const char *s, unsigned *mask, char *why, size_t whylen) {
  unsigned m = 0;
  const char *p = s;
  for (;;) {
    size_t n = strcspn(p, ",");
    char name[32];
    if (!n) return fail(why, whylen, "'%s': an empty name in the list", s);
    if (n >= sizeof name) return fail(why, whylen, "'%.*s' is not an MRCP resource", (int)n, p);
    memcpy(name, p, n);
    name[n] = '\0';
    sipspec_mrcp_resource r = SIPSPEC_MRCP_RES_NONE;
    if (cli_parse_resource(name, &r, why, whylen)) return SIPSPEC_E_INVAL;
    if (m & (1u << r)) return fail(why, whylen, "'%s' is listed twice", name);
    m |= 1u << r;
    if (!p[n]) break;
    p += n + 1;
  }
  *mask = m;
  return SIPSPEC_OK;
}

int cli_check_target(const char *uri, int *ipv6, char *why, size_t whylen) {
  sipspec_uri u;
  sipspec_parse_error pe;
  size_t len = strlen(uri);
  if (!len) return fail(why, whylen, "the target URI is empty");
  if (sipspec_uri_parse(uri, len, &u, &pe) != SIPSPEC_OK)
    return fail(why, whylen, "'%s' is not a SIP URI (at offset %zu: %s)", uri, pe.offset, pe.rule ? pe.rule : "syntax");
  if (u.kind != SIPSPEC_URI_SIP && u.kind != SIPSPEC_URI_SIPS) return fail(why, whylen, "'%s' is not a sip: URI", uri);
  if (!u.host.len) return fail(why, whylen, "'%s' has no host", uri);
  if (u.port == 0 || u.port > 65535) return fail(why, whylen, "'%s': port %d is out of range 1..65535", uri, u.port);
  *ipv6 = u.host_kind == SIPSPEC_HOST_IPV6;
  return SIPSPEC_OK;
}

int cli_config_from_env(sipspec_config *cfg, char *err, size_t errlen) {
  sipspec_config_init(cfg);
  return sipspec_config_from_env(cfg, NULL, NULL, err, errlen);
}

void cli_json_string(FILE *out, const char *s) {
  if (!s) {
    fputs("null", out);
    return;
  }
  putc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
    else if (*p == '\n') fputs("\\n", out);
    else if (*p == '\r') fputs("\\r", out);
    else if (*p == '\t') fputs("\\t", out);
    else if (*p < 0x20 || *p == 0x7f) fprintf(out, "\\u%04x", *p);
    else putc(*p, out);
  }
  putc('"', out);
}

int cli_target_transport(const char *uri, sipspec_tp_kind *kind) {
  sipspec_uri u;
  if (sipspec_uri_parse(uri, strlen(uri), &u, NULL) != SIPSPEC_OK) return 0;
  if (u.kind == SIPSPEC_URI_SIPS) *kind = SIPSPEC_TP_TLS;
  else if (u.transport.len == 3 && !strncasecmp(u.transport.p, "tls", 3)) *kind = SIPSPEC_TP_TLS;
  else return 0;
  return 1;
}
