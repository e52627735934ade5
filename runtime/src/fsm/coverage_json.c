/* coverage_json.c: a small, strict JSON reader (RFC 8259) for the coverage files.
 *
 * Coverage files are written by programs but also copied, concatenated and edited by people, so
 * the reader must say exactly where a file goes wrong and must never read past its buffer. It
 * builds a tree (the documents are small: one object per transition) and refuses anything the
 * RFC does not allow, plus duplicate keys and NUL characters, which the coverage format never
 * needs. Nesting is bounded so a hostile file cannot exhaust the stack. The project needs no
 * other JSON, so this is deliberately not a general library: no writer beyond strings, no
 * number conversion (the caller converts the number text it expects). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "fsm/coverage_internal.h"

typedef struct reader {
  const char *p, *end, *line_start;
  int line;
  char *err;
  size_t errlen;
  int failed;
} reader;

void sipspec_cov_error(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

static int col_of(const reader *r) { return (int)(r->p - r->line_start) + 1; }

static int fail(reader *r, const char *what) {
  if (!r->failed) {
    r->failed = 1;
    if (r->p >= r->end)
      sipspec_cov_error(r->err, r->errlen, "line %d, column %d: %s (the document ends here)", r->line,
                        col_of(r), what);
    else
      sipspec_cov_error(r->err, r->errlen, "line %d, column %d: %s", r->line, col_of(r), what);
  }
  return SIPSPEC_E_INVAL;
}

static void skip_ws(reader *r) {
  while (r->p < r->end) {
    char c = *r->p;
    if (c == '\n') {
      r->line++;
      r->line_start = r->p + 1;
    } else if (c != ' ' && c != '\t' && c != '\r') {
      return;
    }
    r->p++;
  }
}

static int literal(reader *r, const char *word) {
  size_t n = strlen(word);
  if ((size_t)(r->end - r->p) < n || memcmp(r->p, word, n)) return fail(r, "expected a value");
  r->p += n;
  return SIPSPEC_OK;
}

/* Appends the UTF-8 encoding of code point cp. buf has room (the caller sized it). */
static size_t put_utf8(char *buf, unsigned long cp) {
  if (cp < 0x80) {
    buf[0] = (char)cp;
    return 1;
  }
  if (cp < 0x800) {
    buf[0] = (char)(0xc0 | (cp >> 6));
    buf[1] = (char)(0x80 | (cp & 0x3f));
    return 2;
  }
  if (cp < 0x10000) {
    buf[0] = (char)(0xe0 | (cp >> 12));
    buf[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    buf[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  buf[0] = (char)(0xf0 | (cp >> 18));
  buf[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
  buf[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
  buf[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

static int hex4(reader *r, unsigned long *cp) {
  if (r->end - r->p < 4) return fail(r, "\\u needs four hex digits");
  unsigned long v = 0;
  for (int i = 0; i < 4; i++) {
    char c = r->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned long)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned long)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned long)(c - 'A' + 10);
    else return fail(r, "\\u needs four hex digits");
  }
  r->p += 4;
  *cp = v;
  return SIPSPEC_OK;
}

/* r->p is at the opening quote. A decoded string is never longer than its source. */
static int string(reader *r, char **out) {
  r->p++;
  const char *q = r->p;
  while (q < r->end && *q != '"') q += (*q == '\\' && q + 1 < r->end) ? 2 : 1;
  if (q >= r->end) {
    r->p = r->end;
    return fail(r, "unterminated string");
  }
  char *s = malloc((size_t)(q - r->p) + 1), *w = s;
  if (!s) return SIPSPEC_E_NOMEM;
  while (*r->p != '"') {
    unsigned char c = (unsigned char)*r->p;
    if (c < 0x20) {
      free(s);
      return fail(r, "control character in a string");
    }
    if (c != '\\') {
      *w++ = (char)c;
      r->p++;
      continue;
    }
    r->p++;
    char e = *r->p++;
    unsigned long cp;
    switch (e) {
    case '"': *w++ = '"'; break;
    case '\\': *w++ = '\\'; break;
    case '/': *w++ = '/'; break;
    case 'b': *w++ = '\b'; break;
    case 'f': *w++ = '\f'; break;
    case 'n': *w++ = '\n'; break;
    case 'r': *w++ = '\r'; break;
    case 't': *w++ = '\t'; break;
    case 'u':
      if (hex4(r, &cp)) break;
      if (cp >= 0xd800 && cp <= 0xdbff) { /* a surrogate pair: 12 source bytes, 4 output */
        unsigned long lo;
        if (r->end - r->p < 2 || r->p[0] != '\\' || r->p[1] != 'u') {
          fail(r, "lone UTF-16 surrogate in \\u escape");
          break;
        }
        r->p += 2;
        if (hex4(r, &lo)) break;
        if (lo < 0xdc00 || lo > 0xdfff) {
          fail(r, "lone UTF-16 surrogate in \\u escape");
          break;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        fail(r, "lone UTF-16 surrogate in \\u escape");
        break;
      } else if (cp == 0) {
        fail(r, "\\u0000 (NUL) in a string");
        break;
      }
      w += put_utf8(w, cp); /* at most 4 bytes for 6 or 12 source bytes */
      break;
    default:
      r->p--;
      fail(r, "unknown escape in a string");
    }
    if (r->failed) {
      free(s);
      return SIPSPEC_E_INVAL;
    }
  }
  *w = '\0';
  r->p++;
  *out = s;
  return SIPSPEC_OK;
}

static int number(reader *r, sipspec_json *v) {
  const char *s = r->p;
  if (r->p < r->end && *r->p == '-') r->p++;
  if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, r->p == s ? "expected a value" : "expected a digit");
  if (*r->p == '0') r->p++;
  else while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  if (r->p < r->end && *r->p == '.') {
    r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, "expected a digit after '.'");
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E')) {
    r->p++;
    if (r->p < r->end && (*r->p == '+' || *r->p == '-')) r->p++;
    if (r->p >= r->end || *r->p < '0' || *r->p > '9') return fail(r, "expected a digit in the exponent");
    while (r->p < r->end && *r->p >= '0' && *r->p <= '9') r->p++;
  }
  v->text = strndup(s, (size_t)(r->p - s));
  return v->text ? SIPSPEC_OK : SIPSPEC_E_NOMEM;
}

static int value(reader *r, sipspec_json *v, int depth);

static int append(sipspec_json *v, size_t *cap, sipspec_json *item, char *key) {
  if (v->n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    sipspec_json *items = realloc(v->items, nc * sizeof *items);
    if (!items) return SIPSPEC_E_NOMEM;
    v->items = items;
    if (v->type == SIPSPEC_JSON_OBJECT) {
      char **keys = realloc(v->keys, nc * sizeof *keys);
      if (!keys) return SIPSPEC_E_NOMEM;
      v->keys = keys;
    }
    *cap = nc;
  }
  v->items[v->n] = *item;
  if (key) v->keys[v->n] = key;
  v->n++;
  return SIPSPEC_OK;
}

static void free_tree(sipspec_json *v) {
  for (size_t i = 0; i < v->n; i++) {
    free_tree(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  free(v->text);
}

/* Arrays and objects: r->p is at '[' or '{'. */
static int container(reader *r, sipspec_json *v, int depth) {
  int obj = *r->p == '{';
  char close = obj ? '}' : ']';
  size_t cap = 0;
  v->type = obj ? SIPSPEC_JSON_OBJECT : SIPSPEC_JSON_ARRAY;
  r->p++;
  skip_ws(r);
  if (r->p < r->end && *r->p == close) {
    r->p++;
    return SIPSPEC_OK;
  }
  for (;;) {
    char *key = NULL;
    int rc;
    if (obj) {
      skip_ws(r);
      if (r->p >= r->end || *r->p != '"') return fail(r, "expected a member name in quotes");
      int kline = r->line, kcol = col_of(r);
      if ((rc = string(r, &key))) return rc;
      if (sipspec_json_get(v, key)) {
        free(key);
        sipspec_cov_error(r->err, r->errlen, "line %d, column %d: member name given twice in one object",
                          kline, kcol);
        r->failed = 1;
        return SIPSPEC_E_INVAL;
      }
      skip_ws(r);
      if (r->p >= r->end || *r->p != ':') {
        free(key);
        return fail(r, "expected ':' after the member name");
      }
      r->p++;
    }
    sipspec_json item = {0};
    rc = value(r, &item, depth + 1);
    if (!rc) rc = append(v, &cap, &item, key);
    if (rc) {
      free_tree(&item);
      free(key);
      return rc;
    }
    skip_ws(r);
    if (r->p < r->end && *r->p == ',') {
      r->p++;
      continue;
    }
    if (r->p < r->end && *r->p == close) {
      r->p++;
      return SIPSPEC_OK;
    }
    return fail(r, obj ? "expected ',' or '}'" : "expected ',' or ']'");
  }
}

static int value(reader *r, sipspec_json *v, int depth) {
  skip_ws(r);
  v->line = r->line;
  v->col = col_of(r);
  if (depth > SIPSPEC_JSON_MAX_DEPTH) return fail(r, "nested too deeply");
  if (r->p >= r->end) return fail(r, "expected a value");
  switch (*r->p) {
  case '{':
  case '[':
    return container(r, v, depth);
  case '"':
    v->type = SIPSPEC_JSON_STRING;
    return string(r, &v->text);
  case 't':
    v->type = SIPSPEC_JSON_BOOL;
    v->boolean = 1;
    return literal(r, "true");
  case 'f':
    v->type = SIPSPEC_JSON_BOOL;
    return literal(r, "false");
  case 'n':
    v->type = SIPSPEC_JSON_NULL;
    return literal(r, "null");
  default:
    v->type = SIPSPEC_JSON_NUMBER;
    return number(r, v);
  }
}

int sipspec_json_parse(const char *data, size_t len, sipspec_json **out, char *err, size_t errlen) {
  reader r = {.p = data, .end = data + len, .line_start = data, .line = 1, .err = err, .errlen = errlen};
  *out = NULL;
  sipspec_json *v = calloc(1, sizeof *v);
  if (!v) return SIPSPEC_E_NOMEM;
  int rc = value(&r, v, 0);
  if (!rc) {
    skip_ws(&r);
    if (r.p < r.end) rc = fail(&r, "unexpected text after the document");
  }
  if (rc) {
    if (rc == SIPSPEC_E_NOMEM) sipspec_cov_error(err, errlen, "out of memory");
    sipspec_json_free(v);
    return rc;
  }
  *out = v;
  return SIPSPEC_OK;
}

void sipspec_json_free(sipspec_json *v) {
  if (!v) return;
  free_tree(v);
  free(v);
}

const sipspec_json *sipspec_json_get(const sipspec_json *v, const char *key) {
  if (!v || v->type != SIPSPEC_JSON_OBJECT) return NULL;
  for (size_t i = 0; i < v->n; i++)
    if (!strcmp(v->keys[i], key)) return &v->items[i];
  return NULL;
}

const char *sipspec_json_type_name(int type) {
  static const char *const names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
  return type >= 0 && type <= SIPSPEC_JSON_OBJECT ? names[type] : "unknown";
}

void sipspec_json_write_string(FILE *out, const char *s) {
  fputc('"', out);
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') fprintf(out, "\\%c", ch);
    else if (ch < 0x20) fprintf(out, "\\u%04x", ch);
    else fputc(ch, out);
  }
  fputc('"', out);
}
