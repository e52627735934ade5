/* test_sip_grammar.c: CUnit suites for the SIP parser, framer and builder.
 *
 *   test_sip_grammar cases FILE.md...   one test per "### " case of the data files: the
 *                                       message is parsed in datagram mode, then (unless the
 *                                       case says "mode: datagram") fed to the stream framer
 *                                       split at every byte position; every run must give the
 *                                       expected fields (or the expected error).
 *   test_sip_grammar corpus DIR         every message of DIR/MANIFEST.tsv: the manifest's
 *                                       fields, and parse(build(m)) == m.
 *   test_sip_grammar build              responses, ACK and CANCEL as RFC 3261 derives them.
 *   test_sip_grammar fields             the typed fields (test_sip_build_fields.c).
 *   test_sip_grammar framer             keep-alives, pipelining, garbage, oversize, limits.
 *                                       (the build and framer suites: test_sip_build.c)
 *
 * Case file format: "### name", optional "mode: datagram" line, a ```sip block (each line
 * gets CRLF; a line ending in a backslash gets none; \xHH is one octet), and an ```expect
 * block of "key: value" lines (see field() for the keys; "error: NAME" expects a rejection).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "test_sip_grammar.h"

/* ---- small utilities ------------------------------------------------------------------ */

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = malloc((size_t)n + 1);
  if (b && fread(b, 1, (size_t)n, f) != (size_t)n) {
    free(b);
    b = NULL;
  }
  fclose(f);
  if (b) {
    b[n] = 0;
    *len = (size_t)n;
  }
  return b;
}

/* Copies s as a C string; an absent span ({NULL, 0}) reads "-". */
static void span_to(char *out, size_t cap, sipspec_span s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (!s.p) {
    snprintf(out, cap, "-");
    return;
  }
  memcpy(out, s.p, n);
  out[n] = 0;
}

/* The value of one expectation key for message m, written into out ("-" when absent). */
void field(const sipspec_msg *m, const char *key, char *out, size_t cap) {
  char name[64];
  size_t idx = 0;
  sipspec_via v;
  sipspec_addr a;
  sipspec_uri u;
  const char *us = strchr(key, '_');
  snprintf(out, cap, "-");
  if (!strcmp(key, "method")) span_to(out, cap, sipspec_msg_method_text(m));
  else if (!strcmp(key, "method_id")) snprintf(out, cap, "%d", (int)sipspec_msg_method(m));
  else if (!strcmp(key, "status")) snprintf(out, cap, "%d", sipspec_msg_status(m));
  else if (!strcmp(key, "reason")) span_to(out, cap, sipspec_msg_reason(m));
  else if (!strcmp(key, "ruri")) span_to(out, cap, sipspec_msg_request_uri(m));
  else if (!strcmp(key, "version")) span_to(out, cap, sipspec_msg_version(m));
  else if (!strcmp(key, "call_id")) span_to(out, cap, sipspec_msg_call_id(m));
  else if (!strcmp(key, "cseq")) snprintf(out, cap, "%lu", (unsigned long)sipspec_msg_cseq(m));
  else if (!strcmp(key, "cseq_method")) span_to(out, cap, sipspec_msg_cseq_method_text(m));
  else if (!strcmp(key, "max_forwards")) snprintf(out, cap, "%d", sipspec_msg_max_forwards(m));
  else if (!strcmp(key, "content_length")) snprintf(out, cap, "%ld", sipspec_msg_content_length(m));
  else if (!strcmp(key, "expires")) snprintf(out, cap, "%ld", sipspec_msg_expires(m));
  else if (!strcmp(key, "retry_after")) snprintf(out, cap, "%ld", sipspec_msg_retry_after(m));
  else if (!strcmp(key, "body")) span_to(out, cap, sipspec_msg_body(m));
  else if (!strcmp(key, "body_len")) snprintf(out, cap, "%zu", sipspec_msg_body(m).len);
  else if (!strcmp(key, "raw_len")) snprintf(out, cap, "%zu", sipspec_msg_raw(m).len);
  else if (!strcmp(key, "header_count")) snprintf(out, cap, "%zu", sipspec_msg_header_count(m));
  else if (!strcmp(key, "via_count")) snprintf(out, cap, "%zu", sipspec_msg_via_count(m));
  else if (!strcmp(key, "checks")) {
    size_t n = 0;
    out[0] = 0;
    for (uint32_t bit = 1; bit; bit <<= 1)
      if (sipspec_msg_check(m) & bit)
        n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", sipspec_check_name(bit));
    if (!n) snprintf(out, cap, "none");
  } else if (!strncmp(key, "values:", 7) || !strncmp(key, "hdr:", 4) || !strncmp(key, "value:", 6)) {
    const char *hn = strchr(key, ':') + 1;
    char tmp[64];
    snprintf(tmp, sizeof tmp, "%.*s", (int)strcspn(hn, "#"), hn);
    long i = sipspec_msg_find(m, tmp, 0);
    sipspec_header h;
    if (i < 0 || sipspec_msg_header(m, (size_t)i, &h) != SIPSPEC_OK) return;
    if (key[0] == 'h') span_to(out, cap, h.value);
    else if (key[5] == 's') snprintf(out, cap, "%zu", sipspec_msg_value_count(m, h.id));
    else {
      sipspec_span s;
      const char *hash = strchr(hn, '#');
      if (sipspec_msg_value(m, h.id, hash ? (size_t)atoi(hash + 1) : 0, &s) == SIPSPEC_OK)
        span_to(out, cap, s);
    }
  } else if (!strncmp(key, "ruri_", 5)) {
    sipspec_span r = sipspec_msg_request_uri(m);
    if (sipspec_uri_parse(r.p, r.len, &u, NULL) != SIPSPEC_OK) return;
    const char *f = key + 5;
    if (!strcmp(f, "scheme")) span_to(out, cap, u.scheme);
    else if (!strcmp(f, "user")) span_to(out, cap, u.user);
    else if (!strcmp(f, "password")) span_to(out, cap, u.password);
    else if (!strcmp(f, "host")) span_to(out, cap, u.host);
    else if (!strcmp(f, "host_kind")) snprintf(out, cap, "%d", (int)u.host_kind);
    else if (!strcmp(f, "kind")) snprintf(out, cap, "%d", (int)u.kind);
    else if (!strcmp(f, "port")) snprintf(out, cap, "%d", u.port);
    else if (!strcmp(f, "params")) span_to(out, cap, u.params);
    else if (!strcmp(f, "headers")) span_to(out, cap, u.headers);
    else if (!strcmp(f, "transport")) span_to(out, cap, u.transport);
    else if (!strcmp(f, "maddr")) span_to(out, cap, u.maddr);
    else if (!strcmp(f, "ttl")) snprintf(out, cap, "%d", u.ttl);
    else if (!strcmp(f, "lr")) snprintf(out, cap, "%d", u.lr);
    else if (!strcmp(f, "opaque")) span_to(out, cap, u.opaque);
    else if (!strcmp(f, "user_unescaped")) {
      long n = sipspec_unescape(u.user, out, cap - 1);
      out[n < 0 ? 0 : n] = 0;
    }
  } else if (!strncmp(key, "via", 3) && us) {
    idx = (size_t)atol(key + 3);
    if (sipspec_msg_via(m, idx, &v) != SIPSPEC_OK) return;
    const char *f = us + 1;
    if (!strcmp(f, "transport")) span_to(out, cap, v.transport);
    else if (!strcmp(f, "protocol")) span_to(out, cap, v.protocol);
    else if (!strcmp(f, "host")) span_to(out, cap, v.host);
    else if (!strcmp(f, "port")) snprintf(out, cap, "%d", v.port);
    else if (!strcmp(f, "branch")) span_to(out, cap, v.branch);
    else if (!strcmp(f, "received")) span_to(out, cap, v.received);
    else if (!strcmp(f, "maddr")) span_to(out, cap, v.maddr);
    else if (!strcmp(f, "rport")) snprintf(out, cap, "%ld", v.rport);
    else if (!strcmp(f, "ttl")) snprintf(out, cap, "%d", v.ttl);
  } else if (!strcmp(key, "contact_count") || !strcmp(key, "route_count") ||
             !strcmp(key, "rr_count")) {
    size_t n = 0;
    int (*fn)(const sipspec_msg *, size_t, sipspec_addr *) =
      key[0] == 'c' ? sipspec_msg_contact : key[1] == 'o' ? sipspec_msg_route : sipspec_msg_record_route;
    while (fn(m, n, &a) == SIPSPEC_OK) n++;
    snprintf(out, cap, "%zu", n);
  } else if (us && (!strncmp(key, "from_", 5) || !strncmp(key, "to_", 3) ||
                    !strncmp(key, "contact", 7) || !strncmp(key, "route", 5) ||
                    !strncmp(key, "rr", 2))) {
    int rc;
    snprintf(name, sizeof name, "%.*s", (int)(us - key), key);
    if (!strcmp(name, "from")) rc = sipspec_msg_from(m, &a);
    else if (!strcmp(name, "to")) rc = sipspec_msg_to(m, &a);
    else if (!strncmp(name, "contact", 7)) rc = sipspec_msg_contact(m, (size_t)atol(name + 7), &a);
    else if (!strncmp(name, "route", 5)) rc = sipspec_msg_route(m, (size_t)atol(name + 5), &a);
    else rc = sipspec_msg_record_route(m, (size_t)atol(name + 2), &a);
    if (rc != SIPSPEC_OK) return;
    const char *f = us + 1;
    if (!strcmp(f, "display")) span_to(out, cap, a.display);
    else if (!strcmp(f, "display_unquoted")) {
      long n = sipspec_unquote(a.display, out, cap - 1);
      out[n < 0 ? 0 : n] = 0;
    } else if (!strcmp(f, "uri")) span_to(out, cap, a.uri);
    else if (!strcmp(f, "tag")) span_to(out, cap, a.tag);
    else if (!strcmp(f, "expires")) snprintf(out, cap, "%ld", a.expires);
    else if (!strcmp(f, "q")) snprintf(out, cap, "%d", a.q);
    else if (!strcmp(f, "star")) snprintf(out, cap, "%d", a.star);
    else if (!strcmp(f, "params")) span_to(out, cap, a.params);
    else if (!strcmp(f, "user")) {
      if (sipspec_uri_parse(a.uri.p, a.uri.len, &u, NULL) == SIPSPEC_OK) span_to(out, cap, u.user);
    }
  } else if (!strcmp(key, "ctype")) {
    sipspec_media_type t;
    if (sipspec_msg_content_type(m, &t) == SIPSPEC_OK)
      snprintf(out, cap, "%.*s/%.*s", (int)t.type.len, t.type.p, (int)t.subtype.len, t.subtype.p);
  } else if (!strcmp(key, "ctype_params")) {
    sipspec_media_type t;
    if (sipspec_msg_content_type(m, &t) == SIPSPEC_OK) span_to(out, cap, t.params);
  } else if (!strncmp(key, "auth", 4)) {
    /* auth<id>_<i>:scheme or auth<id>_<i>:<param> (param unquoted) */
    int id = atoi(key + 4);
    const char *colon = strchr(key, ':');
    sipspec_auth au;
    sipspec_span pv;
    if (!us || !colon) return;
    if (sipspec_msg_auth(m, (sipspec_hdr_id)id, (size_t)atol(us + 1), &au) != SIPSPEC_OK) return;
    if (!strcmp(colon + 1, "scheme")) span_to(out, cap, au.scheme);
    else if (sipspec_auth_param(&au, colon + 1, &pv) == SIPSPEC_OK) {
      long n = sipspec_unquote(pv, out, cap - 1);
      out[n < 0 ? 0 : n] = 0;
    }
  } else snprintf(out, cap, "?unknown key");
}

/* ---- cases from .md files ------------------------------------------------------------- */

typedef struct tcase {
  char name[160];
  char *msg;
  size_t len;
  char *expect; /* "key: value\n" lines */
  int datagram_only;
  const char *file;
} tcase;

static tcase *cases;
static size_t ncases, cur_case;
sipspec_msg *gm;

static int hexv(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decodes a ```sip block body (lines separated by \n) into the wire message. */
static char *decode_msg(const char *b, const char *e, size_t *len) {
  char *out = malloc((size_t)(e - b) * 2 + 2), *o = out;
  while (b < e) {
    const char *nl = memchr(b, '\n', (size_t)(e - b));
    if (!nl) nl = e;
    int join = nl > b && nl[-1] == '\\';
    const char *le = join ? nl - 1 : nl;
    for (const char *c = b; c < le; c++) {
      if (c[0] == '\\' && le - c >= 4 && c[1] == 'x' && hexv(c[2]) >= 0 && hexv(c[3]) >= 0) {
        *o++ = (char)(hexv(c[2]) * 16 + hexv(c[3]));
        c += 3;
      } else *o++ = *c;
    }
    if (!join) {
      *o++ = '\r';
      *o++ = '\n';
    }
    b = nl + 1;
  }
  *len = (size_t)(o - out);
  return out;
}

static int load_cases(const char *path) {
  size_t len;
  char *t = read_file(path, &len);
  if (!t) {
    fprintf(stderr, "cannot read %s\n", path);
    return -1;
  }
  char *p = t;
  tcase *c = NULL;
  while ((p = strstr(p, "\n### ")) != NULL || (p == NULL && 0)) {
    p += 5;
    char *eol = strchr(p, '\n');
    if (!eol) break;
    cases = realloc(cases, (ncases + 1) * sizeof *cases);
    c = &cases[ncases++];
    memset(c, 0, sizeof *c);
    c->file = path;
    snprintf(c->name, sizeof c->name, "%.*s", (int)(eol - p), p);
    char *next = strstr(eol, "\n### ");
    char *end = next ? next : t + len;
    char *sb = strstr(eol, "```sip\n"), *eb = strstr(eol, "```expect\n");
    char *mode = strstr(eol, "\nmode: datagram");
    c->datagram_only = mode && mode < end;
    if (!sb || sb > end || !eb || eb > end) {
      fprintf(stderr, "%s: case '%s' lacks a ```sip or ```expect block\n", path, c->name);
      return -1;
    }
    sb += 7;
    char *se = strstr(sb, "\n```");
    c->msg = decode_msg(sb, se + 1, &c->len);
    eb += 10;
    char *ee = strstr(eb, "```");
    c->expect = strndup(eb, (size_t)(ee - eb));
    p = end;
    if (!next) break;
  }
  free(t);
  return 0;
}

/* Compares m (or the error) with the case's expectations; returns the mismatch count. */
static int check_case(const tcase *c, const sipspec_msg *m, int rc, const sipspec_parse_error *err,
                      const char *how) {
  int bad = 0;
  char *ex = strdup(c->expect), *save = NULL;
  int expects_error = strstr(c->expect, "error:") != NULL;
  if (!expects_error && rc != SIPSPEC_OK) {
    fprintf(stderr, "[%s] %s: rejected (%s) at %u:%u rule %s\n", c->name, how, sipspec_errname(rc),
            err->line, err->column, err->rule ? err->rule : "?");
    free(ex);
    return 1;
  }
  for (char *line = strtok_r(ex, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *colon = strstr(line, ": ");
    char got[2048];
    if (!colon) {
      if (strchr(line, ':') && line[strlen(line) - 1] == ':') colon = line + strlen(line) - 1;
      else continue;
    }
    *colon = 0;
    const char *want = colon[1] ? colon + 2 : "";
    if (!strcmp(line, "error")) snprintf(got, sizeof got, "%s", rc ? sipspec_errname(rc) : "none");
    else if (!strcmp(line, "error_line")) snprintf(got, sizeof got, "%u", err->line);
    else if (!strcmp(line, "error_column")) snprintf(got, sizeof got, "%u", err->column);
    else if (!strcmp(line, "error_rule")) snprintf(got, sizeof got, "%s", err->rule ? err->rule : "");
    else if (rc != SIPSPEC_OK) continue;
    else field(m, line, got, sizeof got);
    char wantd[2048];
    size_t wl = 0;
    for (const char *w = want; *w && wl + 1 < sizeof wantd; w++) {
      if (w[0] == '\\' && w[1] == 'x' && hexv(w[2]) >= 0 && hexv(w[3]) >= 0) {
        wantd[wl++] = (char)(hexv(w[2]) * 16 + hexv(w[3]));
        w += 3;
      } else wantd[wl++] = *w;
    }
    wantd[wl] = 0;
    if (strcmp(got, wantd)) {
      fprintf(stderr, "[%s] %s: %s: got '%s', expected '%s'\n", c->name, how, line, got, wantd);
      bad++;
    }
  }
  free(ex);
  return bad;
}

static void run_case(void) {
  const tcase *c = &cases[cur_case++];
  int rc = sipspec_msg_parse(gm, c->msg, c->len);
  CU_ASSERT_EQUAL(check_case(c, gm, rc, sipspec_msg_error(gm), "datagram"), 0);
  int expects_error = strstr(c->expect, "error:") != NULL;
  if (c->datagram_only || expects_error) return;
  /* Stream mode: the same message split at every byte position. */
  int failures = 0;
  for (size_t k = 0; k <= c->len && failures == 0; k++) {
    sipspec_framer *f;
    CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
    int r1 = sipspec_framer_feed(f, c->msg, k);
    int r2 = sipspec_framer_next(f, gm);
    if (r1 != SIPSPEC_OK || (k < c->len && r2 != SIPSPEC_E_AGAIN)) {
      fprintf(stderr, "[%s] stream split %zu: first part gave %s/%s\n", c->name, k,
              sipspec_errname(r1), sipspec_errname(r2));
      failures++;
    }
    if (r2 == SIPSPEC_E_AGAIN) {
      sipspec_framer_feed(f, c->msg + k, c->len - k);
      r2 = sipspec_framer_next(f, gm);
    }
    char how[64];
    snprintf(how, sizeof how, "stream split at %zu", k);
    failures += check_case(c, gm, r2, r2 == SIPSPEC_OK ? sipspec_msg_error(gm) : sipspec_framer_error(f), how);
    if (r2 == SIPSPEC_OK && sipspec_framer_next(f, gm) != SIPSPEC_E_AGAIN) {
      fprintf(stderr, "[%s] stream split %zu: a second message appeared\n", c->name, k);
      failures++;
    }
    sipspec_framer_destroy(f);
  }
  CU_ASSERT_EQUAL(failures, 0);
}

/* ---- corpus: manifest fields and parse(build(m)) -------------------------------------- */

static const char *corpus_dir;

static void manifest_check(const char *file, char **col, char **names, int ncol, const sipspec_msg *m,
                           int *bad) {
  for (int i = 1; i < ncol; i++) {
    char got[1024] = "-";
    const char *k = names[i];
    if (!strcmp(k, "start")) {
      if (sipspec_msg_is_request(m)) span_to(got, sizeof got, sipspec_msg_method_text(m));
      else snprintf(got, sizeof got, "%d", sipspec_msg_status(m));
    } else if (!strcmp(k, "vias")) field(m, "via_count", got, sizeof got);
    else if (!strcmp(k, "from_tag")) field(m, "from_tag", got, sizeof got);
    else if (!strcmp(k, "routes")) field(m, "route_count", got, sizeof got);
    else if (!strcmp(k, "record_routes")) field(m, "rr_count", got, sizeof got);
    else if (!strcmp(k, "www_auth")) snprintf(got, sizeof got, "%zu", sipspec_msg_value_count(m, SIPSPEC_H_WWW_AUTHENTICATE));
    else if (!strcmp(k, "authz")) snprintf(got, sizeof got, "%zu", sipspec_msg_value_count(m, SIPSPEC_H_AUTHORIZATION));
    else if (!strcmp(k, "last_via_received")) {
      char key[32];
      snprintf(key, sizeof key, "via%zu_received", sipspec_msg_via_count(m) - 1);
      field(m, key, got, sizeof got);
    } else if (!strcmp(k, "www_algs")) {
      size_t n = 0;
      sipspec_auth au;
      sipspec_span alg;
      for (size_t j = 0; sipspec_msg_auth(m, SIPSPEC_H_WWW_AUTHENTICATE, j, &au) == SIPSPEC_OK; j++)
        if (sipspec_auth_param(&au, "algorithm", &alg) == SIPSPEC_OK)
          n += (size_t)snprintf(got + n, sizeof got - n, "%s%.*s", n ? "," : "", (int)alg.len, alg.p);
      if (!n) snprintf(got, sizeof got, "-");
    } else field(m, k, got, sizeof got);
    if (strcmp(got, col[i])) {
      fprintf(stderr, "%s: %s: got '%s', manifest says '%s'\n", file, k, got, col[i]);
      (*bad)++;
    }
  }
}

/* Fields compared between m and parse(build(m)). */
static const char *const roundtrip_keys[] = {
  "method", "status", "reason", "ruri", "call_id", "cseq", "cseq_method", "max_forwards",
  "content_length", "body", "header_count", "via_count", "via0_branch", "via0_host", "via0_rport",
  "via0_received", "from_display", "from_uri", "from_tag", "to_uri", "to_tag", "contact_count",
  "contact0_uri", "route_count", "rr_count", "ctype", "expires", "checks",
};

static void test_corpus(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/MANIFEST.tsv", corpus_dir);
  size_t mlen;
  char *man = read_file(path, &mlen);
  if (!man) {
    fprintf(stderr, "the corpus is missing: cannot read %s (expected tests/corpus)\n", path);
    CU_FAIL_FATAL("corpus MANIFEST.tsv not found");
  }
  char *names[32], *save = NULL;
  int ncol = 0, nmsg = 0, bad = 0;
  char *line = strtok_r(man, "\n", &save);
  for (char *t = strtok(line + 1, "\t"); t && ncol < 32; t = strtok(NULL, "\t")) names[ncol++] = t;
  sipspec_msg *m2;
  CU_ASSERT_FATAL(sipspec_msg_create(&m2, NULL) == SIPSPEC_OK);
  while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
    char *col[32], *s2 = NULL;
    int n = 0;
    for (char *t = strtok_r(line, "\t", &s2); t && n < 32; t = strtok_r(NULL, "\t", &s2)) col[n++] = t;
    if (n != ncol) continue;
    snprintf(path, sizeof path, "%s/%s", corpus_dir, col[0]);
    size_t len;
    char *msg = read_file(path, &len);
    if (!msg) {
      fprintf(stderr, "cannot read %s\n", path);
      bad++;
      continue;
    }
    nmsg++;
    if (sipspec_msg_parse(gm, msg, len) != SIPSPEC_OK) {
      fprintf(stderr, "%s: rejected: %s rule %s\n", col[0], sipspec_errname(sipspec_msg_error(gm)->code),
              sipspec_msg_error(gm)->rule);
      bad++;
      free(msg);
      continue;
    }
    manifest_check(col[0], col, names, ncol, gm, &bad);
    /* parse(build(m)) gives m's fields back. */
    char out[8192];
    sipspec_build b;
    sipspec_build_init(&b, out, sizeof out);
    sipspec_build_copy(&b, gm);
    if (sipspec_build_finish(&b, sipspec_msg_body(gm)) != SIPSPEC_OK ||
        sipspec_msg_parse(m2, out, b.len) != SIPSPEC_OK) {
      fprintf(stderr, "%s: rebuilt message does not parse\n", col[0]);
      bad++;
    } else {
      for (size_t k = 0; k < sizeof roundtrip_keys / sizeof roundtrip_keys[0]; k++) {
        char a1[2048], a2[2048];
        field(gm, roundtrip_keys[k], a1, sizeof a1);
        field(m2, roundtrip_keys[k], a2, sizeof a2);
        if (strcmp(a1, a2)) {
          fprintf(stderr, "%s: round trip changed %s: '%s' -> '%s'\n", col[0], roundtrip_keys[k], a1, a2);
          bad++;
        }
      }
      manifest_check(col[0], col, names, ncol, m2, &bad);
    }
    free(msg);
  }
  sipspec_msg_destroy(m2);
  free(man);
  if (nmsg == 0) fprintf(stderr, "no message listed in %s/MANIFEST.tsv\n", corpus_dir);
  CU_ASSERT(nmsg > 0);
  CU_ASSERT_EQUAL(bad, 0);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_sip_grammar cases FILE.md... | corpus DIR | build | fields | framer\n");
    return 2;
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  if (sipspec_msg_create(&gm, NULL) != SIPSPEC_OK) return 2;
  CU_pSuite s = CU_add_suite(argv[1], NULL, NULL);
  if (!strcmp(argv[1], "cases")) {
    for (int i = 2; i < argc; i++)
      if (load_cases(argv[i]) < 0) return 2;
    if (!ncases) {
      fprintf(stderr, "no cases found\n");
      return 2;
    }
    for (size_t i = 0; i < ncases; i++) CU_add_test(s, cases[i].name, run_case);
  } else if (!strcmp(argv[1], "corpus") && argc == 3) {
    corpus_dir = argv[2];
    CU_add_test(s, "corpus manifest fields and parse(build(m)) round trip", test_corpus);
  } else if (!strcmp(argv[1], "build")) {
    CU_add_test(s, "response, ACK and CANCEL (RFC 3261 8.2.6, 17.1.1.3, 9.1)", test_build_response_ack_cancel);
    CU_add_test(s, "builder limits and Content-Length", test_build_limits);
    CU_add_test(s, "span helpers: eq, ieq, copy, dup", test_span_helpers);
    CU_add_test(s, "a token in a list header (Allow, Supported, Require)", test_has_token);
  } else if (!strcmp(argv[1], "fields")) {
    CU_add_test(s, "typed fields: parse(build(fields)) gives them back, in RFC 3261 order", test_fields_round_trip);
    CU_add_test(s, "display names quoted and escaped", test_fields_display_escaping);
    CU_add_test(s, "refusals: CR/LF, tokens, URIs, header rules, missing fields", test_fields_refusals);
    CU_add_test(s, "single writers, full buffer, measuring", test_fields_writers);
    CU_add_test(s, "numbers, Session-Expires, Reason, Warning; the value memo", test_fields_values);
  } else if (!strcmp(argv[1], "framer")) {
    CU_add_test(s, "pipelined messages and CRLF keep-alives (RFC 5626 3.5.1)", test_framer_pipeline_keepalive);
    CU_add_test(s, "garbage, missing Content-Length, oversize", test_framer_errors);
    CU_add_test(s, "configurable limits and truncated datagrams", test_limits);
  } else {
    fprintf(stderr, "unknown suite %s\n", argv[1]);
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  sipspec_msg_destroy(gm);
  for (size_t i = 0; i < ncases; i++) {
    free(cases[i].msg);
    free(cases[i].expect);
  }
  free(cases);
  return failed || !run ? 1 : 0;
}
