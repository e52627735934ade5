/* test_rfc4475.c: the RFC 4475 torture messages against the SIP parser.
 *
 * Each line of expectations.tsv becomes one CUnit test named after the RFC section, the
 * message file and the RFC's reason ("3.1.2.2 clerr: Content Length Larger Than Message"),
 * so a failure names what the RFC expected. Valid messages must parse and give the field
 * values the RFC calls out; invalid ones must be rejected with a SIPSPEC_E_MSG_* code;
 * well-formed but semantically wrong ones must parse and carry the listed check flags.
 *
 * The messages are reconstructed from the RFC's printed text, not taken from its bit-exact
 * archive: README.md names the files whose octets may differ (mpart01.dat's binary part is
 * a stand-in).
 *
 * Usage: test_rfc4475 <expectations.tsv> <messages dir>
 */
#include <CUnit/Basic.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/error.h"
#include "sipspec/msg.h"

#define MAX_CASES 64
#define MAX_FILE (256 * 1024)
#define MAX_VALUE 1024

typedef struct rfc_case {
  char file[64];
  char section[16];
  char verdict[160];
  char reason[128];
  char *fields; /* owned */
  char name[256];
} rfc_case;

static rfc_case cases[MAX_CASES];
static size_t ncases;
static const char *msg_dir;

/* ---- small helpers -------------------------------------------------------------------- */

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Decodes the expectation escapes (\\, \;, \xNN) of src[0..len) into out; returns length. */
static size_t unescape_field(const char *src, size_t len, char *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 0; i < len && o < cap; i++) {
    if (src[i] == '\\' && i + 1 < len) {
      if (src[i + 1] == 'x' && i + 3 < len && hexval(src[i + 2]) >= 0 && hexval(src[i + 3]) >= 0) {
        out[o++] = (char)(hexval(src[i + 2]) * 16 + hexval(src[i + 3]));
        i += 3;
        continue;
      }
      out[o++] = src[i + 1];
      i++;
      continue;
    }
    out[o++] = src[i];
  }
  return o;
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char *buf = malloc(MAX_FILE);
  if (!buf) {
    fclose(f);
    return NULL;
  }
  *len = fread(buf, 1, MAX_FILE, f);
  fclose(f);
  return buf;
}

/* Prints a value with non-printable octets as \xNN, for failure messages. */
static void show(const char *label, const char *p, size_t len) {
  fprintf(stderr, "      %s \"", label);
  for (size_t i = 0; i < len && i < 200; i++) {
    unsigned char c = (unsigned char)p[i];
    if (c >= 0x20 && c < 0x7f) fputc(c, stderr);
    else fprintf(stderr, "\\x%02x", c);
  }
  fprintf(stderr, "\"%s\n", len > 200 ? "..." : "");
}

static uint32_t flag_by_name(const char *name, size_t len) {
  for (unsigned i = 0; i < 32; i++) {
    uint32_t bit = (uint32_t)1 << i;
    const char *n = sipspec_check_name(bit);
    if (n[0] && strlen(n) == len && memcmp(n, name, len) == 0) return bit;
  }
  return 0;
}

/* "A+B+C" -> bit set; an unknown name gives UINT32_MAX so the test fails loudly. */
static uint32_t parse_flags(const char *s) {
  uint32_t set = 0;
  while (*s) {
    const char *e = strchr(s, '+');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    uint32_t b = flag_by_name(s, n);
    if (!b) {
      fprintf(stderr, "      unknown check flag in expectations: %.*s\n", (int)n, s);
      return UINT32_MAX;
    }
    set |= b;
    s += n;
    if (*s == '+') s++;
  }
  return set;
}

static void print_flags(const char *label, uint32_t set) {
  fprintf(stderr, "      %s", label);
  if (!set) fprintf(stderr, " (none)");
  for (unsigned i = 0; i < 32; i++) {
    uint32_t bit = (uint32_t)1 << i;
    if (set & bit) fprintf(stderr, " %s", sipspec_check_name(bit)[0] ? sipspec_check_name(bit) : "?");
  }
  fputc('\n', stderr);
}

/* ---- field extraction ----------------------------------------------------------------- */

/* Formats a number into buf as the actual value. */
static void num(char *buf, size_t cap, size_t *len, long v) {
  int n = snprintf(buf, cap, "%ld", v);
  *len = n < 0 ? 0 : (size_t)n;
}

static void put(char *buf, size_t cap, size_t *len, sipspec_span s) {
  size_t n = s.len < cap ? s.len : cap;
  if (n) memcpy(buf, s.p, n);
  *len = n;
}

static int uri_user(sipspec_span uri, char *buf, size_t cap, size_t *len) {
  sipspec_uri u;
  if (sipspec_uri_parse(uri.p, uri.len, &u, NULL) != SIPSPEC_OK) return -1;
  long n = sipspec_unescape(u.user, buf, cap);
  if (n < 0) return -1;
  *len = (size_t)n;
  return 0;
}

/* Fills buf with the actual value of key; 0 on success, -1 when it cannot be obtained. */
static int actual(const sipspec_msg *m, const char *key, char *buf, size_t cap, size_t *len) {
  *len = 0;
  if (!strcmp(key, "method")) { put(buf, cap, len, sipspec_msg_method_text(m)); return 0; }
  if (!strcmp(key, "status")) { num(buf, cap, len, sipspec_msg_status(m)); return 0; }
  if (!strcmp(key, "reason")) { put(buf, cap, len, sipspec_msg_reason(m)); return 0; }
  if (!strcmp(key, "ruri")) { put(buf, cap, len, sipspec_msg_request_uri(m)); return 0; }
  if (!strcmp(key, "version")) { put(buf, cap, len, sipspec_msg_version(m)); return 0; }
  if (!strcmp(key, "call_id")) { put(buf, cap, len, sipspec_msg_call_id(m)); return 0; }
  if (!strcmp(key, "cseq")) { num(buf, cap, len, (long)sipspec_msg_cseq(m)); return 0; }
  if (!strcmp(key, "cseq_method")) { put(buf, cap, len, sipspec_msg_cseq_method_text(m)); return 0; }
  if (!strcmp(key, "max_forwards")) { num(buf, cap, len, sipspec_msg_max_forwards(m)); return 0; }
  if (!strcmp(key, "content_length")) { num(buf, cap, len, sipspec_msg_content_length(m)); return 0; }
  if (!strcmp(key, "body_len")) { num(buf, cap, len, (long)sipspec_msg_body(m).len); return 0; }
  if (!strcmp(key, "raw_len")) { num(buf, cap, len, (long)sipspec_msg_raw(m).len); return 0; }
  if (!strcmp(key, "header_count")) { num(buf, cap, len, (long)sipspec_msg_header_count(m)); return 0; }
  if (!strcmp(key, "via_count")) { num(buf, cap, len, (long)sipspec_msg_via_count(m)); return 0; }
  if (!strcmp(key, "flags")) { return -1; } /* handled by the caller */
  if (!strcmp(key, "ruri_scheme")) {
    sipspec_uri u;
    sipspec_span r = sipspec_msg_request_uri(m);
    if (sipspec_uri_parse(r.p, r.len, &u, NULL) != SIPSPEC_OK) return -1;
    put(buf, cap, len, u.scheme);
    return 0;
  }
  if (!strcmp(key, "ruri_user")) return uri_user(sipspec_msg_request_uri(m), buf, cap, len);
  if (!strcmp(key, "ctype")) {
    sipspec_media_type t;
    if (sipspec_msg_content_type(m, &t) != SIPSPEC_OK) return -1;
    int n = snprintf(buf, cap, "%.*s/%.*s", (int)t.type.len, t.type.p ? t.type.p : "",
                     (int)t.subtype.len, t.subtype.p ? t.subtype.p : "");
    *len = n < 0 ? 0 : (size_t)n;
    return 0;
  }
  if (!strcmp(key, "auth_scheme")) {
    sipspec_auth a;
    if (sipspec_msg_auth(m, SIPSPEC_H_AUTHORIZATION, 0, &a) != SIPSPEC_OK) return -1;
    put(buf, cap, len, a.scheme);
    return 0;
  }
  if (!strncmp(key, "values:", 7)) {
    long i = sipspec_msg_find(m, key + 7, 0);
    sipspec_header h;
    if (i < 0 || sipspec_msg_header(m, (size_t)i, &h) != SIPSPEC_OK) return -1;
    num(buf, cap, len, (long)sipspec_msg_value_count(m, h.id));
    return 0;
  }
  if (!strncmp(key, "hdr:", 4)) {
    long i = sipspec_msg_find(m, key + 4, 0);
    sipspec_header h;
    if (i < 0 || sipspec_msg_header(m, (size_t)i, &h) != SIPSPEC_OK) return -1;
    put(buf, cap, len, h.value);
    return 0;
  }
  if (!strncmp(key, "via", 3) && key[3] >= '0' && key[3] <= '9') {
    char *end;
    unsigned long i = strtoul(key + 3, &end, 10);
    sipspec_via v;
    if (*end != '_' || sipspec_msg_via(m, i, &v) != SIPSPEC_OK) return -1;
    const char *f = end + 1;
    if (!strcmp(f, "transport")) put(buf, cap, len, v.transport);
    else if (!strcmp(f, "host")) put(buf, cap, len, v.host);
    else if (!strcmp(f, "port")) num(buf, cap, len, v.port);
    else if (!strcmp(f, "branch")) put(buf, cap, len, v.branch);
    else if (!strcmp(f, "received")) put(buf, cap, len, v.received);
    else if (!strcmp(f, "rport")) num(buf, cap, len, v.rport);
    else return -1;
    return 0;
  }
  /* from_* to_* contactN_* */
  sipspec_addr a;
  const char *f;
  if (!strncmp(key, "from_", 5)) {
    if (sipspec_msg_from(m, &a) != SIPSPEC_OK) return -1;
    f = key + 5;
  } else if (!strncmp(key, "to_", 3)) {
    if (sipspec_msg_to(m, &a) != SIPSPEC_OK) return -1;
    f = key + 3;
  } else if (!strcmp(key, "contact_count")) {
    num(buf, cap, len, (long)sipspec_msg_value_count(m, SIPSPEC_H_CONTACT));
    return 0;
  } else if (!strncmp(key, "contact", 7) && key[7] >= '0' && key[7] <= '9') {
    char *end;
    unsigned long i = strtoul(key + 7, &end, 10);
    if (*end != '_' || sipspec_msg_contact(m, i, &a) != SIPSPEC_OK) return -1;
    f = end + 1;
  } else {
    return -1;
  }
  if (!strcmp(f, "display")) {
    long n = sipspec_unquote(a.display, buf, cap);
    if (n < 0) return -1;
    *len = (size_t)n;
  } else if (!strcmp(f, "tag")) put(buf, cap, len, a.tag);
  else if (!strcmp(f, "uri")) put(buf, cap, len, a.uri);
  else if (!strcmp(f, "q")) num(buf, cap, len, a.q);
  else if (!strcmp(f, "expires")) num(buf, cap, len, a.expires);
  else if (!strcmp(f, "user")) return uri_user(a.uri, buf, cap, len);
  else return -1;
  return 0;
}

/* Checks every key=value of fields against m; returns the number of mismatches. */
static int check_fields(const sipspec_msg *m, const char *fields) {
  int bad = 0;
  const char *p = fields;
  while (*p) {
    /* one item runs to the next unescaped ';' */
    const char *q = p;
    while (*q && *q != ';') q += (*q == '\\' && q[1]) ? 2 : 1;
    const char *eq = memchr(p, '=', (size_t)(q - p));
    /* header names may contain '=' only after "hdr:"; the first '=' ends the key */
    if (!eq) {
      fprintf(stderr, "      malformed field check: %.*s\n", (int)(q - p), p);
      bad++;
    } else {
      char key[128];
      size_t klen = (size_t)(eq - p) < sizeof key - 1 ? (size_t)(eq - p) : sizeof key - 1;
      memcpy(key, p, klen);
      key[klen] = '\0';
      char want[MAX_VALUE], got[MAX_VALUE];
      size_t wlen = unescape_field(eq + 1, (size_t)(q - eq - 1), want, sizeof want), glen;
      if (!strcmp(key, "flags")) {
        want[wlen] = '\0';
        uint32_t w = parse_flags(want), g = sipspec_msg_check(m);
        if (w != g) {
          fprintf(stderr, "    %s differs\n", key);
          print_flags("expected:", w);
          print_flags("actual:  ", g);
          bad++;
        }
      } else if (actual(m, key, got, sizeof got, &glen) != 0) {
        fprintf(stderr, "    %s: value not available from the parser\n", key);
        show("expected:", want, wlen);
        bad++;
      } else if (glen != wlen || memcmp(got, want, wlen) != 0) {
        fprintf(stderr, "    %s differs\n", key);
        show("expected:", want, wlen);
        show("actual:  ", got, glen);
        bad++;
      }
    }
    p = *q ? q + 1 : q;
  }
  return bad;
}

/* ---- one test per message ------------------------------------------------------------- */

static void run_case(size_t idx) {
  const rfc_case *c = &cases[idx];
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", msg_dir, c->file);
  size_t len = 0;
  char *buf = read_file(path, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
  sipspec_msg *m = NULL;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_create(&m, NULL), SIPSPEC_OK);

  int rc = sipspec_msg_parse(m, buf, len);
  const sipspec_parse_error *pe = sipspec_msg_error(m);
  const char *v = c->verdict;
  int is_reject = !strcmp(v, "reject");
  int is_either = !strncmp(v, "reject-or-flag:", 15);
  int is_flag = !strncmp(v, "flag:", 5);

  if (is_reject || (is_either && rc != SIPSPEC_OK)) {
    if (rc == SIPSPEC_OK) {
      fprintf(stderr, "\n    %s %s: parsed, but RFC 4475 says it is invalid\n", c->section, c->file);
      print_flags("check flags:", sipspec_msg_check(m));
    }
    CU_ASSERT_NOT_EQUAL(rc, SIPSPEC_OK);
    /* a rejection must carry a parse error code in the message range, with its rule */
    if (rc != SIPSPEC_OK) {
      CU_ASSERT(rc <= -200 && rc >= -299);
      CU_ASSERT_EQUAL(pe->code, rc);
      CU_ASSERT(pe->offset <= len);
      CU_ASSERT_PTR_NOT_NULL(pe->rule);
    }
  } else {
    if (rc != SIPSPEC_OK)
      fprintf(stderr, "\n    %s %s: rejected (%s at offset %zu, line %u, rule %s), but RFC 4475 says it is well-formed\n",
              c->section, c->file, sipspec_errname(rc), pe->offset, pe->line, pe->rule ? pe->rule : "?");
    CU_ASSERT_EQUAL(rc, SIPSPEC_OK);
    if (rc == SIPSPEC_OK) {
      if (is_flag || is_either) {
        uint32_t want = parse_flags(v + (is_flag ? 5 : 15));
        uint32_t got = sipspec_msg_check(m);
        if (want != got) {
          fprintf(stderr, "\n    %s %s: check flags differ\n", c->section, c->file);
          print_flags("expected:", want);
          print_flags("actual:  ", got);
        }
        CU_ASSERT_EQUAL(got, want);
      }
      int bad = check_fields(m, c->fields);
      if (bad) fprintf(stderr, "    (%s %s: %d field(s) differ)\n", c->section, c->file, bad);
      CU_ASSERT_EQUAL(bad, 0);
    }
  }
  sipspec_msg_destroy(m);
  free(buf);
}

/* CUnit tests take no argument: one thunk per slot; slot 8*a+b runs case 8*a+b. */
#define T(a, b) static void case_##a##_##b(void) { run_case(8 * a + b); }
#define T8(a) T(a, 0) T(a, 1) T(a, 2) T(a, 3) T(a, 4) T(a, 5) T(a, 6) T(a, 7)
T8(0) T8(1) T8(2) T8(3) T8(4) T8(5) T8(6) T8(7)
#define P(a, b) case_##a##_##b
#define P8(a) P(a, 0), P(a, 1), P(a, 2), P(a, 3), P(a, 4), P(a, 5), P(a, 6), P(a, 7)
static void (*const thunks[MAX_CASES])(void) = {P8(0), P8(1), P8(2), P8(3), P8(4), P8(5), P8(6), P8(7)};

/* ---- loading the expectations --------------------------------------------------------- */

static int load(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "test_rfc4475: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[8192];
  unsigned lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    if (!n || line[0] == '#') continue;
    if (ncases == MAX_CASES) {
      fprintf(stderr, "test_rfc4475: %s:%u: more than %d cases\n", path, lineno, MAX_CASES);
      fclose(f);
      return -1;
    }
    char *col[5] = {0};
    char *p = line;
    for (int i = 0; i < 5; i++) {
      col[i] = p;
      char *tab = i < 4 ? strchr(p, '\t') : NULL;
      if (i < 4 && !tab) {
        fprintf(stderr, "test_rfc4475: %s:%u: expected 5 tab-separated columns\n", path, lineno);
        fclose(f);
        return -1;
      }
      if (tab) {
        *tab = '\0';
        p = tab + 1;
      }
    }
    rfc_case *c = &cases[ncases++];
    snprintf(c->file, sizeof c->file, "%s", col[0]);
    snprintf(c->section, sizeof c->section, "%s", col[1]);
    snprintf(c->verdict, sizeof c->verdict, "%s", col[2]);
    snprintf(c->reason, sizeof c->reason, "%s", col[3]);
    c->fields = strdup(col[4]);
    char stem[64];
    snprintf(stem, sizeof stem, "%s", c->file);
    char *dot = strrchr(stem, '.');
    if (dot) *dot = '\0';
    /* Built from the table's columns (not from *c itself, which snprintf may not read while
     * writing into it). */
    snprintf(c->name, sizeof c->name, "%s %s: %s", col[1], stem, col[3]);
    if (!c->fields) {
      fclose(f);
      return -1;
    }
    if (strcmp(c->verdict, "parse") && strcmp(c->verdict, "reject") && strncmp(c->verdict, "flag:", 5) &&
        strncmp(c->verdict, "reject-or-flag:", 15)) {
      fprintf(stderr, "test_rfc4475: %s:%u: unknown verdict %s\n", path, lineno, c->verdict);
      fclose(f);
      return -1;
    }
  }
  fclose(f);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s <expectations.tsv> <messages dir>\n", argv[0]);
    return 2;
  }
  msg_dir = argv[2];
  if (load(argv[1]) != 0) return 2;
  /* RFC 4475 section 3 has 49 messages; a shorter table is a broken table. */
  if (ncases != 49) {
    fprintf(stderr, "test_rfc4475: %s lists %zu messages, RFC 4475 has 49\n", argv[1], ncases);
    return 2;
  }
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("RFC 4475 torture messages", NULL, NULL);
  for (size_t i = 0; s && i < ncases; i++)
    if (!CU_add_test(s, cases[i].name, thunks[i])) s = NULL;
  if (!s) {
    CU_cleanup_registry();
    return 2;
  }
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  for (size_t i = 0; i < ncases; i++) free(cases[i].fields);
  return failed ? 1 : 0;
}
