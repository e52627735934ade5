/* cmd_parse.c: `sipspec parse [--json] [--stream] FILE`: parses a SIP message file and
 * prints its structure, or why it was rejected (line, column, ABNF rule).
 * Exit status: 0 parsed, 1 rejected, 2 usage or I/O error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"

static void usage(FILE *out) {
  fprintf(out, "usage: sipspec parse [--json] [--stream] FILE\n"
               "  Parses FILE (\"-\" for standard input) as one SIP datagram, or with --stream as a\n"
               "  TCP byte stream of messages, and prints each message's fields.\n"
               "  Exit status: 0 parsed, 1 rejected message, 2 usage or I/O error.\n");
}

static char *read_all(const char *path, size_t *len) {
  FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!f) return NULL;
  size_t cap = 4096, n = 0;
  char *buf = malloc(cap);
  while (buf) {
    if (n == cap) {
      char *nb = cap < ((size_t)64 << 20) ? realloc(buf, cap * 2) : NULL;
      if (!nb) {
        free(buf);
        buf = NULL;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) {
      if (ferror(f)) {
        free(buf);
        buf = NULL;
      }
      break;
    }
  }
  if (f != stdin) fclose(f);
  *len = n;
  return buf;
}

/* ---- printing ------------------------------------------------------------------------- */

static int json;

static void str(sipspec_span s) {
  if (!json) {
    fwrite(s.p ? s.p : "", 1, s.len, stdout);
    return;
  }
  putchar('"');
  for (size_t i = 0; i < s.len; i++) {
    unsigned char c = (unsigned char)s.p[i];
    if (c == '"' || c == '\\') printf("\\%c", c);
    else if (c < 0x20 || c == 0x7f) printf("\\u%04x", c);
    else putchar(c);
  }
  putchar('"');
}

static sipspec_span cs(const char *s) { return (sipspec_span){s, strlen(s)}; }

static int nfield;
static void key(const char *k) {
  if (json) printf("%s\"%s\": ", nfield++ ? ", " : "", k);
  else printf("%s%s=", nfield++ ? " " : "", k);
}
static void kspan(const char *k, sipspec_span s) {
  if (!s.p) return;
  key(k);
  str(s);
}
static void klong(const char *k, long v) {
  if (v < 0) return;
  key(k);
  printf("%ld", v);
}
static void open_obj(const char *label) {
  nfield = 0;
  if (json) printf("%s{", label);
  else printf("%s", label);
}
static void close_obj(void) { printf(json ? "}" : "\n"); }

static void print_addr(const char *label, const sipspec_addr *a) {
  open_obj(label);
  if (a->star) {
    key("star");
    printf("1");
  }
  kspan("display", a->display);
  kspan("uri", a->uri);
  kspan("tag", a->tag);
  klong("expires", a->expires);
  klong("q", a->q);
  if (a->params.len) kspan("params", a->params);
  close_obj();
}

typedef int (*addr_fn)(const sipspec_msg *, size_t, sipspec_addr *);

static void print_addrs(const sipspec_msg *m, const char *name, addr_fn fn) {
  sipspec_addr a;
  char label[64];
  int any = 0;
  for (size_t i = 0; fn(m, i, &a) == SIPSPEC_OK; i++) {
    if (json) {
      printf(i ? ", " : ", \"%s\": [", name);
      print_addr("", &a);
    } else {
      snprintf(label, sizeof label, "%s[%zu]: ", name, i);
      print_addr(label, &a);
    }
    any = 1;
  }
  if (json && any) printf("]");
}

static void print_msg(const sipspec_msg *m) {
  uint32_t checks = sipspec_msg_check(m);
  if (json) printf("{");
  open_obj(json ? "\"start\": " : "");
  if (sipspec_msg_is_request(m)) {
    kspan("method", sipspec_msg_method_text(m));
    kspan("uri", sipspec_msg_request_uri(m));
  } else {
    klong("status", sipspec_msg_status(m));
    kspan("reason", sipspec_msg_reason(m));
  }
  kspan("version", sipspec_msg_version(m));
  close_obj();

  open_obj(json ? ", \"fields\": " : "");
  kspan("call_id", sipspec_msg_call_id(m));
  if (sipspec_msg_cseq_method_text(m).p) {
    klong("cseq", (long)sipspec_msg_cseq(m));
    kspan("cseq_method", sipspec_msg_cseq_method_text(m));
  }
  klong("max_forwards", sipspec_msg_max_forwards(m));
  klong("content_length", sipspec_msg_content_length(m));
  klong("expires", sipspec_msg_expires(m));
  klong("body_len", (long)sipspec_msg_body(m).len);
  close_obj();

  sipspec_via v;
  for (size_t i = 0; sipspec_msg_via(m, i, &v) == SIPSPEC_OK; i++) {
    char label[32];
    if (json) printf(i ? ", " : ", \"via\": [");
    snprintf(label, sizeof label, "via[%zu]: ", i);
    open_obj(json ? "" : label);
    kspan("transport", v.transport);
    kspan("host", v.host);
    klong("port", v.port);
    kspan("branch", v.branch);
    kspan("received", v.received);
    if (v.rport >= 0) {
      key("rport");
      printf("%ld", v.rport);
    }
    kspan("maddr", v.maddr);
    klong("ttl", v.ttl);
    close_obj();
    if (json && i + 1 == sipspec_msg_via_count(m)) printf("]");
  }
  sipspec_addr a;
  if (sipspec_msg_from(m, &a) == SIPSPEC_OK) print_addr(json ? ", \"from\": " : "from: ", &a);
  if (sipspec_msg_to(m, &a) == SIPSPEC_OK) print_addr(json ? ", \"to\": " : "to: ", &a);
  print_addrs(m, "contact", sipspec_msg_contact);
  print_addrs(m, "route", sipspec_msg_route);
  print_addrs(m, "record_route", sipspec_msg_record_route);

  sipspec_header h;
  for (size_t i = 0; sipspec_msg_header(m, i, &h) == SIPSPEC_OK; i++) {
    if (json) {
      printf(i ? ", [" : ", \"headers\": [[");
      str(h.name);
      printf(", ");
      str(h.value);
      printf("]");
      if (i + 1 == sipspec_msg_header_count(m)) printf("]");
    } else {
      printf("header[%zu]: ", i);
      str(h.name);
      printf(": ");
      str(h.value);
      printf("\n");
    }
  }
  printf(json ? ", \"checks\": [" : "checks:");
  int n = 0;
  for (uint32_t bit = 1; bit; bit <<= 1)
    if (checks & bit) {
      if (json) {
        printf(n++ ? ", " : "");
        str(cs(sipspec_check_name(bit)));
      } else {
        printf(" %s", sipspec_check_name(bit));
        n++;
      }
    }
  if (!json && !n) printf(" none");
  printf(json ? "]}\n" : "\n");
}

static void print_error(const char *path, const sipspec_parse_error *e) {
  fprintf(stderr, "sipspec parse: %s: rejected at line %u, column %u (offset %zu): %s (%s) in rule %s\n",
          path, e->line, e->column, e->offset, sipspec_strerror(e->code), sipspec_errname(e->code),
          e->rule ? e->rule : "?");
}

int sipspec_cmd_parse(int argc, char **argv) {
  const char *path = NULL;
  int stream = 0;
  json = 0;
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--json")) json = 1;
    else if (!strcmp(argv[i], "--stream")) stream = 1;
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] == '-' && argv[i][1]) {
      fprintf(stderr, "sipspec parse: unknown option '%s'\n", argv[i]);
      usage(stderr);
      return 2;
    } else if (path) {
      fprintf(stderr, "sipspec parse: only one FILE may be given\n");
      return 2;
    } else path = argv[i];
  }
  if (!path) {
    usage(stderr);
    return 2;
  }
  size_t len;
  char *buf = read_all(path, &len);
  if (!buf) {
    fprintf(stderr, "sipspec parse: cannot read %s\n", path);
    return 2;
  }
  sipspec_msg_limits lim;
  sipspec_msg_limits_init(&lim);
  sipspec_msg *m;
  if (sipspec_msg_create(&m, &lim) != SIPSPEC_OK) {
    free(buf);
    fprintf(stderr, "sipspec parse: out of memory\n");
    return 2;
  }
  int status = 0;
  if (!stream) {
    if (sipspec_msg_parse(m, buf, len) == SIPSPEC_OK) print_msg(m);
    else {
      print_error(path, sipspec_msg_error(m));
      status = 1;
    }
  } else {
    sipspec_framer *f;
    int rc = sipspec_framer_create(&f, &lim);
    if (rc != SIPSPEC_OK) {
      sipspec_msg_destroy(m);
      free(buf);
      fprintf(stderr, "sipspec parse: %s\n", sipspec_strerror(rc));
      return 2;
    }
    size_t off = 0, chunk = 4096;
    while (status == 0) {
      rc = sipspec_framer_next(f, m);
      if (rc == SIPSPEC_OK) {
        print_msg(m);
        continue;
      }
      if (rc != SIPSPEC_E_AGAIN) {
        print_error(path, sipspec_framer_error(f));
        status = 1;
        break;
      }
      if (off == len) break;
      size_t n = len - off < chunk ? len - off : chunk;
      if ((rc = sipspec_framer_feed(f, buf + off, n)) != SIPSPEC_OK) {
        print_error(path, sipspec_framer_error(f));
        status = 1;
      }
      off += n;
    }
    if (status == 0 && sipspec_framer_pending(f)) {
      fprintf(stderr, "sipspec parse: %s: stream ends inside a message (%zu bytes pending)\n", path,
              sipspec_framer_pending(f));
      status = 1;
    }
    sipspec_framer_destroy(f);
  }
  sipspec_msg_destroy(m);
  free(buf);
  return status;
}
