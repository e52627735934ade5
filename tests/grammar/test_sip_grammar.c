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
 *   test_sip_grammar framer             keep-alives, pipelining, garbage, oversize, limits.
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
static void field(const sipspec_msg *m, const char *key, char *out, size_t cap) {
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
static sipspec_msg *gm;

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

/* ---- builder -------------------------------------------------------------------------- */

static const char invite_txt[] =
  "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n"
  "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds\r\n"
  "Via: SIP/2.0/TCP proxy.example.com;branch=z9hG4bK1;received=192.0.2.7\r\n"
  "Max-Forwards: 70\r\n"
  "Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
  "To: Bob <sip:bob@biloxi.example.com>\r\n"
  "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n"
  "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n"
  "CSeq: 314159 INVITE\r\n"
  "Contact: <sip:alice@pc33.atlanta.example.com>\r\n"
  "Content-Type: application/sdp\r\n"
  "Content-Length: 4\r\n"
  "\r\n"
  "v=0\n";

static void test_build_response_ack_cancel(void) {
  sipspec_msg *inv, *resp, *out;
  CU_ASSERT_FATAL(sipspec_msg_create(&inv, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_create(&resp, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_create(&out, NULL) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(inv, invite_txt, sizeof invite_txt - 1) == SIPSPEC_OK);

  /* 486 response with a To tag (RFC 3261 8.2.6). */
  char rb[2048], ab[2048], cb[2048], f1[512], f2[512];
  sipspec_build b;
  sipspec_build_init(&b, rb, sizeof rb);
  CU_ASSERT(sipspec_build_response(&b, inv, 486, "Busy Here", "xyz") == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(resp, rb, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_status(resp), 486);
  CU_ASSERT_EQUAL(sipspec_msg_via_count(resp), 2);
  field(resp, "via1_received", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "192.0.2.7");
  field(resp, "to_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "xyz");
  field(resp, "from_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "1928301774");
  field(resp, "cseq_method", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "INVITE");
  CU_ASSERT_EQUAL(sipspec_msg_content_length(resp), 0);
  CU_ASSERT_EQUAL(sipspec_msg_check(resp), 0);

  /* ACK for that non-2xx response (RFC 3261 17.1.1.3). */
  sipspec_build_init(&b, ab, sizeof ab);
  CU_ASSERT(sipspec_build_ack(&b, inv, resp) == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(out, ab, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_method(out), SIPSPEC_METHOD_ACK);
  field(out, "ruri", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "sip:bob@biloxi.example.com");
  CU_ASSERT_EQUAL(sipspec_msg_via_count(out), 1);
  field(out, "via0_branch", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "z9hG4bK776asdhds");
  field(out, "to_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "xyz");
  CU_ASSERT_EQUAL(sipspec_msg_cseq(out), 314159);
  field(out, "cseq_method", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "ACK");
  field(out, "route_count", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "2");
  field(out, "call_id", f1, sizeof f1);
  field(inv, "call_id", f2, sizeof f2);
  CU_ASSERT_STRING_EQUAL(f1, f2);
  CU_ASSERT_EQUAL(sipspec_msg_check(out), 0);

  /* CANCEL (RFC 3261 9.1). */
  sipspec_build_init(&b, cb, sizeof cb);
  CU_ASSERT(sipspec_build_cancel(&b, inv) == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_finish(&b, (sipspec_span){NULL, 0}) == SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(out, cb, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_method(out), SIPSPEC_METHOD_CANCEL);
  CU_ASSERT_EQUAL(sipspec_msg_via_count(out), 1);
  field(out, "to_tag", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "-");
  field(out, "cseq", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "314159");
  field(out, "cseq_method", f1, sizeof f1);
  CU_ASSERT_STRING_EQUAL(f1, "CANCEL");
  CU_ASSERT_EQUAL(sipspec_msg_check(out), 0);

  /* An ACK needs an INVITE; CANCEL of an ACK is refused. */
  sipspec_build_init(&b, cb, sizeof cb);
  CU_ASSERT(sipspec_build_ack(&b, out, resp) == SIPSPEC_E_INVAL);
  sipspec_build_init(&b, cb, sizeof cb);
  CU_ASSERT_FATAL(sipspec_msg_parse(out, ab, strlen(ab)) == SIPSPEC_OK);
  CU_ASSERT(sipspec_build_cancel(&b, out) == SIPSPEC_E_INVAL);

  sipspec_msg_destroy(inv);
  sipspec_msg_destroy(resp);
  sipspec_msg_destroy(out);
}

static void test_build_limits(void) {
  char small[40];
  sipspec_build b;
  sipspec_build_init(&b, small, sizeof small);
  sipspec_build_request_line(&b, (sipspec_span){"OPTIONS", 7}, (sipspec_span){"sip:a@b", 7});
  sipspec_build_header(&b, (sipspec_span){"Call-ID", 7}, (sipspec_span){"0123456789abcdef", 16});
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, (sipspec_span){NULL, 0}), SIPSPEC_E_MSG_NOSPACE);
  CU_ASSERT(b.len <= sizeof small);
  char big[256];
  sipspec_build_init(&b, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_header(&b, (sipspec_span){"X\r\nY", 4}, (sipspec_span){"v", 1}),
                  SIPSPEC_E_INVAL);
  sipspec_build_init(&b, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_status_line(&b, 99, (sipspec_span){"x", 1}), SIPSPEC_E_INVAL);
  /* Content-Length is the body's real length. */
  sipspec_build_init(&b, big, sizeof big);
  sipspec_build_status_line(&b, 200, (sipspec_span){"OK", 2});
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, (sipspec_span){"hello", 5}), SIPSPEC_OK);
  CU_ASSERT_FATAL(sipspec_msg_parse(gm, big, b.len) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_content_length(gm), 5);
  CU_ASSERT_EQUAL(sipspec_msg_body(gm).len, 5);
}

/* ---- framer --------------------------------------------------------------------------- */

static const char small_req[] =
  "OPTIONS sip:a@example.com SIP/2.0\r\n"
  "Via: SIP/2.0/TCP h.example.com;branch=z9hG4bK1\r\n"
  "From: <sip:b@example.com>;tag=1\r\n"
  "To: <sip:a@example.com>\r\n"
  "Call-ID: c1\r\n"
  "CSeq: 1 OPTIONS\r\n"
  "Max-Forwards: 70\r\n"
  "Content-Length: 3\r\n"
  "\r\n"
  "abc";

static void test_framer_pipeline_keepalive(void) {
  sipspec_framer *f;
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  char buf[1024];
  int n = snprintf(buf, sizeof buf, "\r\n\r\n%s\r\n%s\r\n\r\n", small_req, small_req);
  /* Feed in 7-byte chunks; collect every message. */
  int got = 0;
  for (int off = 0; off < n; off += 7) {
    CU_ASSERT_EQUAL_FATAL(sipspec_framer_feed(f, buf + off, (size_t)(n - off < 7 ? n - off : 7)), SIPSPEC_OK);
    int rc;
    while ((rc = sipspec_framer_next(f, gm)) == SIPSPEC_OK) {
      got++;
      CU_ASSERT_EQUAL(sipspec_msg_body(gm).len, 3);
      CU_ASSERT(!memcmp(sipspec_msg_body(gm).p, "abc", 3));
      CU_ASSERT_EQUAL(sipspec_msg_cseq(gm), 1);
      /* The head was parsed once, before the framer moved the bytes to take more in: every
       * span follows them (sipspec_msg_stream_complete()). */
      sipspec_span v, raw = sipspec_msg_raw(gm);
      CU_ASSERT_EQUAL(raw.len, sizeof small_req - 1);
      CU_ASSERT(!memcmp(raw.p, small_req, raw.len));
      CU_ASSERT(sipspec_span_eq(sipspec_msg_call_id(gm), "c1"));
      CU_ASSERT(sipspec_span_eq(sipspec_msg_method_text(gm), "OPTIONS"));
      CU_ASSERT(sipspec_span_eq(sipspec_msg_request_uri(gm), "sip:a@example.com"));
      CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_VIA, 0, &v), SIPSPEC_OK);
      CU_ASSERT(sipspec_span_eq(v, "SIP/2.0/TCP h.example.com;branch=z9hG4bK1"));
      CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_TO, 0, &v), SIPSPEC_OK);
      CU_ASSERT(sipspec_span_eq(v, "<sip:a@example.com>"));
      CU_ASSERT(v.p >= raw.p && v.p + v.len <= raw.p + raw.len);
      CU_ASSERT_EQUAL(sipspec_msg_check(gm), 0);
    }
    CU_ASSERT_EQUAL(rc, SIPSPEC_E_AGAIN);
  }
  CU_ASSERT_EQUAL(got, 2);
  CU_ASSERT_EQUAL(sipspec_framer_pending(f), 0);
  sipspec_framer_destroy(f);
  /* One read with a whole message and the head of the next, its body cut short: the second
   * head is parsed where it lies, then feed() moves it to the front of the buffer to take the
   * rest in; the message next() returns is that parse, completed, its spans moved along. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  size_t one = sizeof small_req - 1;
  memcpy(buf, small_req, one);
  memcpy(buf + one, small_req, one);
  CU_ASSERT_EQUAL_FATAL(sipspec_framer_feed(f, buf, 2 * one - 2), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_AGAIN);
  CU_ASSERT_EQUAL_FATAL(sipspec_framer_feed(f, buf + 2 * one - 2, 2), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_framer_next(f, gm), SIPSPEC_OK);
  sipspec_span v, raw = sipspec_msg_raw(gm);
  CU_ASSERT_EQUAL(raw.len, one);
  CU_ASSERT(!memcmp(raw.p, small_req, one));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_call_id(gm), "c1"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_method_text(gm), "OPTIONS"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_request_uri(gm), "sip:a@example.com"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_cseq_method_text(gm), "OPTIONS"));
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_VIA, 0, &v), SIPSPEC_OK);
  CU_ASSERT(sipspec_span_eq(v, "SIP/2.0/TCP h.example.com;branch=z9hG4bK1"));
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_TO, 0, &v), SIPSPEC_OK);
  CU_ASSERT(sipspec_span_eq(v, "<sip:a@example.com>"));
  CU_ASSERT(sipspec_span_eq(sipspec_msg_body(gm), "abc"));
  CU_ASSERT_EQUAL(sipspec_msg_check(gm), 0);
  /* every span inside the message as it now lies (the old bytes may still be readable) */
  sipspec_span spans[] = {sipspec_msg_call_id(gm), sipspec_msg_method_text(gm), sipspec_msg_request_uri(gm),
                          sipspec_msg_cseq_method_text(gm), v};
  for (size_t i = 0; i < sizeof spans / sizeof spans[0]; i++)
    CU_ASSERT(spans[i].p >= raw.p && spans[i].p + spans[i].len <= raw.p + raw.len);
  sipspec_header h;
  for (size_t i = 0; i < sipspec_msg_header_count(gm); i++) {
    CU_ASSERT_EQUAL_FATAL(sipspec_msg_header(gm, i, &h), SIPSPEC_OK);
    CU_ASSERT(h.name.p >= raw.p && h.value.p + h.value.len <= raw.p + raw.len);
  }
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_AGAIN);
  sipspec_framer_destroy(f);
}

static void test_framer_errors(void) {
  sipspec_framer *f;
  /* Garbage: reported as soon as the first line is complete, and sticky. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  sipspec_framer_feed(f, "GET / HTTP/1.1\r\n", 16);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_SYNTAX);
  CU_ASSERT_STRING_EQUAL(sipspec_framer_error(f)->rule, "start-line");
  CU_ASSERT_EQUAL(sipspec_framer_feed(f, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_SYNTAX);
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_SYNTAX);
  sipspec_framer_destroy(f);

  /* No Content-Length on a stream. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, NULL) == SIPSPEC_OK);
  const char *nocl = "OPTIONS sip:a@example.com SIP/2.0\r\nCall-ID: x\r\n\r\n";
  sipspec_framer_feed(f, nocl, strlen(nocl));
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_NO_CONTENT_LENGTH);
  sipspec_framer_destroy(f);

  /* A head that never ends: oversize once the limit is passed. */
  sipspec_msg_limits lim;
  sipspec_msg_limits_init(&lim);
  lim.max_message_size = 512;
  CU_ASSERT_FATAL(sipspec_framer_create(&f, &lim) == SIPSPEC_OK);
  sipspec_framer_feed(f, "OPTIONS sip:a@example.com SIP/2.0\r\n", 35);
  int rc = SIPSPEC_E_AGAIN;
  for (int i = 0; i < 100 && rc == SIPSPEC_E_AGAIN; i++) {
    rc = sipspec_framer_feed(f, "X-Pad: 0123456789\r\n", 19);
    if (rc == SIPSPEC_OK) rc = sipspec_framer_next(f, gm);
  }
  CU_ASSERT_EQUAL(rc, SIPSPEC_E_MSG_OVERSIZE);
  sipspec_framer_destroy(f);

  /* Content-Length larger than the limit: refused before the body arrives. */
  CU_ASSERT_FATAL(sipspec_framer_create(&f, &lim) == SIPSPEC_OK);
  const char *huge = "OPTIONS sip:a@example.com SIP/2.0\r\nContent-Length: 100000\r\n\r\n";
  sipspec_framer_feed(f, huge, strlen(huge));
  CU_ASSERT_EQUAL(sipspec_framer_next(f, gm), SIPSPEC_E_MSG_OVERSIZE);
  sipspec_framer_destroy(f);
}

static void test_limits(void) {
  sipspec_msg *m;
  sipspec_msg_limits lim;
  sipspec_msg_limits_init(&lim);
  lim.max_headers = 4;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_TOO_MANY_HEADERS);
  CU_ASSERT_EQUAL(sipspec_msg_error(m)->line, 6); /* the fifth header line */
  CU_ASSERT_STRING_EQUAL(sipspec_msg_error(m)->rule, "max_headers");
  sipspec_msg_destroy(m);

  sipspec_msg_limits_init(&lim);
  lim.max_line_length = 30;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_LINE_TOO_LONG);
  sipspec_msg_destroy(m);

  sipspec_msg_limits_init(&lim);
  lim.max_message_size = 100;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_OVERSIZE);
  sipspec_msg_destroy(m);

  sipspec_msg_limits_init(&lim);
  lim.max_values = 2;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, &lim) == SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_parse(m, small_req, sizeof small_req - 1), SIPSPEC_E_MSG_TOO_MANY_HEADERS);
  CU_ASSERT_STRING_EQUAL(sipspec_msg_error(m)->rule, "max_values");
  sipspec_msg_destroy(m);

  /* Every prefix of a valid message is rejected cleanly in datagram mode, never read past. */
  for (size_t k = 0; k + 3 < sizeof small_req - 1; k++) {
    char *copy = malloc(k ? k : 1);
    memcpy(copy, small_req, k);
    int rc = sipspec_msg_parse(gm, copy, k);
    CU_ASSERT(rc != SIPSPEC_OK);
    free(copy);
  }
}

/* ---- main ----------------------------------------------------------------------------- */

/* The span helpers every layer uses instead of its own. */
static void test_span_helpers(void) {
  const char text[] = "Branch-Z9";
  sipspec_span s = {text, 6}; /* "Branch" */
  sipspec_span empty = {NULL, 0};
  CU_ASSERT_TRUE(sipspec_span_eq(s, "Branch"));
  CU_ASSERT_FALSE(sipspec_span_eq(s, "branch"));
  CU_ASSERT_FALSE(sipspec_span_eq(s, "Branch-"));
  CU_ASSERT_FALSE(sipspec_span_eq(s, "Branc"));
  CU_ASSERT_TRUE(sipspec_span_ieq(s, "bRANCH"));
  CU_ASSERT_FALSE(sipspec_span_ieq(s, "branches"));
  CU_ASSERT_TRUE(sipspec_span_eq(empty, ""));
  CU_ASSERT_TRUE(sipspec_span_ieq(empty, ""));
  CU_ASSERT_FALSE(sipspec_span_eq(empty, "x"));
  char buf[7];
  memset(buf, 'x', sizeof buf);
  CU_ASSERT_EQUAL(sipspec_span_copy(buf, sizeof buf, s), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(buf, "Branch");
  CU_ASSERT_EQUAL(sipspec_span_copy(buf, 6, s), SIPSPEC_E_RANGE); /* no room for the NUL */
  CU_ASSERT_STRING_EQUAL(buf, "");
  CU_ASSERT_EQUAL(sipspec_span_copy(buf, sizeof buf, empty), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(buf, "");
  char *d = sipspec_span_dup(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_STRING_EQUAL(d, "Branch");
  free(d);
  d = sipspec_span_dup(empty);
  CU_ASSERT_PTR_NOT_NULL_FATAL(d);
  CU_ASSERT_STRING_EQUAL(d, "");
  free(d);
}


/* sipspec_msg_has_token: a value of a comma-separated list, case-insensitive, blanks and
 * ;params around it ignored, over every header of that name; -1 without the header. */
static void test_has_token(void) {
  static const char msg[] =
      "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\n"
      "To: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\n"
      "Allow: INVITE, ACK,UPDATES , Cancel\r\nAllow:\tbye ,  update ;x=1\r\nSupported: notimer, 100rel\r\n"
      "Require: timer;q=1\r\nContent-Length: 0\r\n\r\n";
  sipspec_msg *m;
  CU_ASSERT_FATAL(sipspec_msg_create(&m, NULL) == SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(m, msg, sizeof msg - 1), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDATE"), 1);  /* in the second Allow */
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "CANCEL"), 1);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "OPTIONS"), 0);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDATES"), 1);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDAT"), 0);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_SUPPORTED, "timer"), 0); /* "notimer" is another tag */
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_REQUIRE, "timer"), 1);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(m, SIPSPEC_H_UNSUPPORTED, "timer"), -1);
  sipspec_msg_destroy(m);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_sip_grammar cases FILE.md... | corpus DIR | build | framer\n");
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
