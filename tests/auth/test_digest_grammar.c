/* test_digest_grammar.c: the Digest grammar (grammar/digest.re) on the cases of
 * digest_grammar.md, run through the adapter of runtime/src/auth/digest_msg.c.
 *
 * Case file format (one case per "### name"):
 *   header: www | proxy | authorization | proxy-authorization   (default www)
 *   ```value   the header value; lines are joined with CRLF (so a line starting with white
 *              space is a fold), the last line gets none. \xHH is one octet, \\ a
 *              backslash, <repeat count=N>TEXT</repeat> TEXT N times (RFC 4475 section 2.3).
 *   ```expect  the log the value must give, line for line:
 *                offer <www|proxy> <scheme>      one per challenge / credentials
 *                  <name>=<value>                its params, values unquoted, non-printable
 *                                                octets and backslash as \xHH and \\, names and
 *                                                values over 64 octets as [N octets of 'c'] or
 *                                                [N octets]
 *                error <SIPSPEC_E_NAME>: <reason>
 *
 * Each value is read from an exact-size heap copy (so the sanitizers see any read past its
 * end). When the value can travel in a SIP message (no NUL, no bare CR or LF), it is also
 * put into a 401 / 407 or an INVITE, parsed, and read back through
 * sipspec_digest_offers_from_msg() / sipspec_digest_credentials_from_msg(): the log must be
 * the same.
 *
 * Usage: test_digest_grammar <case.md>...
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/digest_grammar.h"
#include "sipspec/digest_msg.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"

typedef struct dcase {
  char name[160];
  sipspec_auth_kind kind;
  bool credentials;
  char *value;
  size_t value_len;
  char *expect;
} dcase;

static unsigned g_cases, g_failed, g_via_msg;

/* Expands <repeat>, then \xHH and \\ escapes, then joins lines with CRLF. */
static char *decode_value(const char *src, size_t n, size_t *out_len) {
  /* expand repeats */
  size_t cap = n + 1, len = 0;
  char *exp = malloc(cap);
  for (size_t i = 0; i < n;) {
    unsigned count;
    int used = 0;
    if (sscanf(src + i, "<repeat count=%u>%n", &count, &used) == 1 && used > 0) {
      const char *body = src + i + used, *close = strstr(body, "</repeat>");
      if (!close) abort();
      size_t bl = (size_t)(close - body);
      if (len + bl * count + 1 > cap) {
        cap = len + bl * count + n + 1;
        exp = realloc(exp, cap);
      }
      for (unsigned k = 0; k < count; k++, len += bl) memcpy(exp + len, body, bl);
      i = (size_t)(close - src) + strlen("</repeat>");
      continue;
    }
    if (len + 2 > cap) exp = realloc(exp, cap *= 2);
    exp[len++] = src[i++];
  }
  /* escapes and line ends */
  char *out = malloc(len * 2 + 1);
  size_t o = 0;
  for (size_t i = 0; i < len; i++) {
    if (exp[i] == '\\' && i + 1 < len && exp[i + 1] == '\\') {
      out[o++] = '\\';
      i++;
    } else if (exp[i] == '\\' && i + 3 < len && exp[i + 1] == 'x') {
      char hex[3] = {exp[i + 2], exp[i + 3], 0};
      out[o++] = (char)strtoul(hex, NULL, 16);
      i += 3;
    } else if (exp[i] == '\n') {
      if (i + 1 < len) {
        out[o++] = '\r';
        out[o++] = '\n';
      }
    } else {
      out[o++] = exp[i];
    }
  }
  free(exp);
  *out_len = o;
  return out;
}

static size_t load_cases(const char *path, dcase **out) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  static char text[1 << 20];
  size_t n = fread(text, 1, sizeof text - 1, f);
  fclose(f);
  text[n] = 0;
  size_t count = 0;
  dcase *cases = NULL;
  for (char *h = strstr(text, "\n### "); h; h = strstr(h + 1, "\n### ")) {
    char *eol = strchr(h + 1, '\n'), *next = strstr(h + 1, "\n### ");
    if (!eol) break;
    cases = realloc(cases, (count + 1) * sizeof *cases);
    dcase *c = &cases[count++];
    memset(c, 0, sizeof *c);
    snprintf(c->name, sizeof c->name, "%.*s", (int)(eol - h - 5), h + 5);
    char *hdr = strstr(eol, "\nheader: ");
    if (hdr && (!next || hdr < next)) {
      hdr += 9;
      if (!strncmp(hdr, "proxy-authorization", 19)) c->kind = SIPSPEC_AUTH_PROXY, c->credentials = true;
      else if (!strncmp(hdr, "authorization", 13)) c->credentials = true;
      else if (!strncmp(hdr, "proxy", 5)) c->kind = SIPSPEC_AUTH_PROXY;
    }
    char *vb = strstr(eol, "```value\n"), *eb = strstr(eol, "```expect\n");
    if (!vb || !eb || (next && (vb > next || eb > next))) {
      fprintf(stderr, "%s: case '%s' lacks a ```value or ```expect block\n", path, c->name);
      exit(1);
    }
    vb += 9;
    eb += 10;
    char *ve = strstr(vb, "\n```"), *ee = strstr(eb, "```");
    c->value = decode_value(vb, (size_t)(ve - vb) + 1, &c->value_len);
    c->expect = strndup(eb, (size_t)(ee - eb));
  }
  *out = cases;
  return count;
}

static void put_value(char *log, size_t cap, sipspec_span v) {
  size_t len = strlen(log);
  if (v.len > 64) {
    bool same = true;
    for (size_t i = 1; i < v.len; i++) same &= v.p[i] == v.p[0];
    if (same) snprintf(log + len, cap - len, "[%zu octets of '%c']", v.len, v.p[0]);
    else snprintf(log + len, cap - len, "[%zu octets]", v.len);
    return;
  }
  for (size_t i = 0; i < v.len && len + 5 < cap; i++) {
    unsigned char ch = (unsigned char)v.p[i];
    if (ch == '\\') len += (size_t)snprintf(log + len, cap - len, "\\\\");
    else if (ch < 0x20 || ch >= 0x7f) len += (size_t)snprintf(log + len, cap - len, "\\x%02x", ch);
    else log[len++] = (char)ch;
  }
  log[len] = 0;
}

static void log_result(char *log, size_t cap, int rc, const char *why, const sipspec_digest_offer *o,
                       size_t n) {
  log[0] = 0;
  if (rc != SIPSPEC_OK) {
    snprintf(log, cap, "error %s: %s\n", sipspec_errname(rc), why);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(log);
    snprintf(log + len, cap - len, "offer %s %.*s\n", o[i].kind == SIPSPEC_AUTH_PROXY ? "proxy" : "www",
             (int)o[i].scheme.len, o[i].scheme.p);
    for (size_t k = 0; k < o[i].n_params; k++) {
      len = strlen(log);
      snprintf(log + len, cap - len, "  ");
      put_value(log, cap, o[i].params[k].name);
      len = strlen(log);
      snprintf(log + len, cap - len, "=");
      put_value(log, cap, o[i].params[k].value);
      len = strlen(log);
      snprintf(log + len, cap - len, "\n");
    }
  }
}

/* Through a whole SIP message; returns false when the message cannot carry the value. */
static bool via_message(const dcase *c, char *log, size_t cap) {
  for (size_t i = 0; i < c->value_len; i++) {
    char ch = c->value[i];
    if (ch == 0) return false;
    if (ch == '\r' && !(i + 2 < c->value_len && c->value[i + 1] == '\n' &&
                        (c->value[i + 2] == ' ' || c->value[i + 2] == '\t')))
      return false;
    if (ch == '\n' && !(i > 0 && c->value[i - 1] == '\r')) return false;
  }
  if (c->value_len == 0 || c->value[c->value_len - 1] == ' ' || c->value[c->value_len - 1] == '\t')
    return false; /* the SIP parser trims trailing white space */
  const char *hname = c->credentials ? sipspec_auth_credentials_header(c->kind)
                                     : sipspec_auth_challenge_header(c->kind);
  const char *head = c->credentials
      ? "INVITE sip:b@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKg1\r\n"
        "Max-Forwards: 70\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\nTo: <sip:b@192.0.2.2>\r\n"
        "Call-ID: g1\r\nCSeq: 1 INVITE\r\n"
      : (c->kind == SIPSPEC_AUTH_PROXY
             ? "SIP/2.0 407 Proxy Authentication Required\r\n"
             : "SIP/2.0 401 Unauthorized\r\n");
  const char *rest = c->credentials ? ""
                                    : "Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKg1\r\nFrom: <sip:a@192.0.2.1>;tag=1\r\n"
                                      "To: <sip:b@192.0.2.2>;tag=2\r\nCall-ID: g1\r\nCSeq: 1 INVITE\r\n";
  size_t n = strlen(head) + strlen(rest) + strlen(hname) + 2 + c->value_len + 32;
  char *text = malloc(n);
  size_t len = (size_t)snprintf(text, n, "%s%s%s: ", head, rest, hname);
  memcpy(text + len, c->value, c->value_len);
  len += c->value_len;
  len += (size_t)snprintf(text + len, n - len, "\r\nContent-Length: 0\r\n\r\n");
  sipspec_msg_limits lim;
  sipspec_msg_limits_init(&lim);
  lim.max_message_size = 65535;
  sipspec_msg *m;
  if (sipspec_msg_create(&m, &lim) != SIPSPEC_OK) abort();
  bool carried = sipspec_msg_parse(m, text, len) == SIPSPEC_OK;
  if (carried) {
    static sipspec_digest_msg_scratch s;
    char why[256] = "";
    const sipspec_digest_offer *o = NULL;
    size_t no = 0;
    int rc;
    if (c->credentials) {
      sipspec_span scheme;
      const sipspec_digest_param *p;
      size_t np = 0;
      rc = sipspec_digest_credentials_from_msg(m, c->kind, 0, &s, &scheme, &p, &np, why, sizeof why);
      static sipspec_digest_offer one;
      one = (sipspec_digest_offer){c->kind, scheme, p, np};
      o = &one;
      no = rc == SIPSPEC_OK ? 1 : 0;
    } else {
      rc = sipspec_digest_offers_from_msg(m, &s, &o, &no, why, sizeof why);
    }
    log_result(log, cap, rc, why, o, no);
  }
  sipspec_msg_destroy(m);
  free(text);
  return carried;
}

static void run_case(const char *file, const dcase *c) {
  static char log[1 << 16], log2[1 << 16];
  static sipspec_digest_msg_scratch s;
  char *copy = malloc(c->value_len ? c->value_len : 1);
  memcpy(copy, c->value, c->value_len);
  char why[256] = "";
  int rc = sipspec_digest_read_value(&s, c->kind, c->credentials, (sipspec_span){copy, c->value_len}, why,
                                     sizeof why);
  log_result(log, sizeof log, rc, why, s.offers, rc == SIPSPEC_OK ? s.n_offers : 0);
  g_cases++;
  bool bad = strcmp(log, c->expect) != 0;
  if (bad) fprintf(stderr, "FAIL %s: %s\n  expected:\n%s  got:\n%s", file, c->name, c->expect, log);
  if (!bad && via_message(c, log2, sizeof log2)) {
    g_via_msg++;
    if (strcmp(log, log2) != 0) {
      fprintf(stderr, "FAIL %s: %s: read from a SIP message it gives\n%s", file, c->name, log2);
      bad = true;
    }
  }
  g_failed += bad;
  free(copy);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s <case.md>...\n", argv[0]);
    return 2;
  }
  for (int a = 1; a < argc; a++) {
    dcase *cases;
    size_t n = load_cases(argv[a], &cases);
    if (n == 0) {
      fprintf(stderr, "%s: no cases\n", argv[a]);
      return 1;
    }
    for (size_t i = 0; i < n; i++) {
      run_case(argv[a], &cases[i]);
      free(cases[i].value);
      free(cases[i].expect);
    }
    free(cases);
  }
  printf("digest grammar: %u cases, %u failed; %u also read from a SIP message\n", g_cases, g_failed,
         g_via_msg);
  return g_failed == 0 && g_cases > 0 ? 0 : 1;
}
