/* bench_parse.c: parses the message corpus many times with sipspec, libosip2 and Sofia-SIP.
 *
 * Why: the parser's speed claim must be measured against the two C stacks people would
 * otherwise use, on the same messages, with every parse checked for correctness (a fast
 * wrong parse is worthless). libosip2 and Sofia-SIP are benchmark peers only: this program
 * links them, the library never does.
 *
 * For every message of the corpus (MANIFEST.tsv lists the files with their expected
 * Call-ID, CSeq number and body length) each parser must return those three values; a
 * mismatch is reported and makes the program exit 1.
 *
 * Modes:
 *   bench-parse [--corpus DIR] [--repeat R] [--iterations N]
 *       timed: R repetitions of N passes over the corpus per parser, median reported
 *   bench-parse --corpus DIR --iterations N --only sipspec|osip|sofia|none
 *       untimed, fixed work, for `valgrind --tool=callgrind` ("none" loads the corpus and
 *       parses nothing: the baseline to subtract)
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <osipparser2/osip_parser.h>
#include <sofia-sip/msg.h>
#include <sofia-sip/sip.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_protos.h>

#if BENCH_WITH_SIPSPEC
#include "sipspec/error.h"
#include "sipspec/msg.h"
#endif

#define MAX_MSGS 256
#define MAX_MSG_SIZE (64 * 1024)
#define MAX_REPEAT 99

typedef struct corpus_msg {
  char name[128];
  char *data;
  size_t len;
  char call_id[256];
  unsigned long cseq;
  size_t body_len;
} corpus_msg;

static corpus_msg corpus[MAX_MSGS];
static size_t ncorpus;
static size_t corpus_bytes;

/* ---- corpus --------------------------------------------------------------------------- */

static int load_corpus(const char *dir) {
  char path[1024];
  snprintf(path, sizeof path, "%s/MANIFEST.tsv", dir);
  FILE *f = fopen(path, "r");
  if (!f) {
    fprintf(stderr, "bench-parse: cannot open %s: %s\n", path, strerror(errno));
    return -1;
  }
  char line[4096];
  unsigned lineno = 0;
  while (fgets(line, sizeof line, f)) {
    lineno++;
    if (line[0] == '#' || line[0] == '\n') continue;
    if (ncorpus == MAX_MSGS) {
      fprintf(stderr, "bench-parse: %s: more than %d messages\n", path, MAX_MSGS);
      fclose(f);
      return -1;
    }
    /* file start call_id cseq cseq_method body_len ... */
    char *col[6];
    char *save = NULL, *p = line;
    int n = 0;
    for (; n < 6; n++) {
      col[n] = strtok_r(p, "\t\n", &save);
      p = NULL;
      if (!col[n]) break;
    }
    if (n < 6) {
      fprintf(stderr, "bench-parse: %s:%u: expected at least 6 columns\n", path, lineno);
      fclose(f);
      return -1;
    }
    corpus_msg *m = &corpus[ncorpus];
    snprintf(m->name, sizeof m->name, "%s", col[0]);
    snprintf(m->call_id, sizeof m->call_id, "%s", col[2]);
    char *end;
    m->cseq = strtoul(col[3], &end, 10);
    if (*end) {
      fprintf(stderr, "bench-parse: %s:%u: bad CSeq number %s\n", path, lineno, col[3]);
      fclose(f);
      return -1;
    }
    m->body_len = strtoul(col[5], &end, 10);
    if (*end) {
      fprintf(stderr, "bench-parse: %s:%u: bad body length %s\n", path, lineno, col[5]);
      fclose(f);
      return -1;
    }
    char mpath[1200];
    snprintf(mpath, sizeof mpath, "%s/%s", dir, m->name);
    FILE *mf = fopen(mpath, "rb");
    if (!mf) {
      fprintf(stderr, "bench-parse: cannot open %s: %s\n", mpath, strerror(errno));
      fclose(f);
      return -1;
    }
    m->data = malloc(MAX_MSG_SIZE + 1);
    if (!m->data) {
      fclose(mf);
      fclose(f);
      return -1;
    }
    m->len = fread(m->data, 1, MAX_MSG_SIZE + 1, mf);
    fclose(mf);
    if (m->len == 0 || m->len > MAX_MSG_SIZE) {
      fprintf(stderr, "bench-parse: %s: empty or larger than %d bytes\n", mpath, MAX_MSG_SIZE);
      fclose(f);
      return -1;
    }
    m->data[m->len] = '\0';
    corpus_bytes += m->len;
    ncorpus++;
  }
  fclose(f);
  if (!ncorpus) {
    fprintf(stderr, "bench-parse: %s lists no message\n", path);
    return -1;
  }
  return 0;
}

/* ---- the three parsers ---------------------------------------------------------------- */

/* Each parse function parses msg and, when check is set, verifies Call-ID, CSeq number and
 * body length against the manifest (printing what differs). Returns 0 when right. */
typedef int (*parse_fn)(const corpus_msg *msg, int check);

static int report(const char *who, const corpus_msg *msg, const char *what) {
  fprintf(stderr, "bench-parse: %s: %s: %s\n", who, msg->name, what);
  return -1;
}

static int compare(const char *who, const corpus_msg *msg, const char *cid, size_t cid_len,
                   unsigned long cseq, size_t body_len) {
  if (cid_len != strlen(msg->call_id) || memcmp(cid, msg->call_id, cid_len) != 0) {
    fprintf(stderr, "bench-parse: %s: %s: Call-ID is \"%.*s\", expected \"%s\"\n", who, msg->name,
            (int)cid_len, cid, msg->call_id);
    return -1;
  }
  if (cseq != msg->cseq) {
    fprintf(stderr, "bench-parse: %s: %s: CSeq is %lu, expected %lu\n", who, msg->name, cseq, msg->cseq);
    return -1;
  }
  if (body_len != msg->body_len) {
    fprintf(stderr, "bench-parse: %s: %s: body is %zu bytes, expected %zu\n", who, msg->name, body_len,
            msg->body_len);
    return -1;
  }
  return 0;
}

#if BENCH_WITH_SIPSPEC
static sipspec_msg *ss_msg;

static int parse_sipspec(const corpus_msg *msg, int check) {
  int rc = sipspec_msg_parse(ss_msg, msg->data, msg->len);
  if (rc != SIPSPEC_OK) {
    const sipspec_parse_error *e = sipspec_msg_error(ss_msg);
    fprintf(stderr, "bench-parse: sipspec: %s: %s at line %u column %u (%s)\n", msg->name, sipspec_errname(rc),
            e->line, e->column, e->rule ? e->rule : "?");
    return -1;
  }
  if (!check) return 0;
  sipspec_span cid = sipspec_msg_call_id(ss_msg);
  return compare("sipspec", msg, cid.p ? cid.p : "", cid.len, sipspec_msg_cseq(ss_msg), sipspec_msg_body(ss_msg).len);
}
#endif

static int parse_osip(const corpus_msg *msg, int check) {
  osip_message_t *sip = NULL;
  if (osip_message_init(&sip) != 0) return report("osip", msg, "osip_message_init failed");
  int rc = 0;
  if (osip_message_parse(sip, msg->data, msg->len) != 0) {
    rc = report("osip", msg, "osip_message_parse failed");
  } else if (check) {
    osip_call_id_t *cid = osip_message_get_call_id(sip);
    osip_cseq_t *cs = osip_message_get_cseq(sip);
    char idbuf[512];
    if (!cid || !cid->number || !cs || !cs->number) {
      rc = report("osip", msg, "no Call-ID or CSeq");
    } else {
      int n = cid->host ? snprintf(idbuf, sizeof idbuf, "%s@%s", cid->number, cid->host)
                        : snprintf(idbuf, sizeof idbuf, "%s", cid->number);
      size_t body = 0;
      osip_body_t *b = NULL;
      for (int i = 0; osip_message_get_body(sip, i, &b) >= 0 && b; i++, b = NULL) body += b->length;
      rc = compare("osip", msg, idbuf, n < 0 ? 0 : (size_t)n, strtoul(cs->number, NULL, 10), body);
    }
  }
  osip_message_free(sip);
  return rc;
}

static int parse_sofia(const corpus_msg *msg, int check) {
  msg_t *m = msg_make(sip_default_mclass(), 0, msg->data, (ssize_t)msg->len);
  if (!m) return report("sofia", msg, "msg_make failed");
  int rc = 0;
  sip_t *sip = sip_object(m);
  if (!sip || sip->sip_error) {
    rc = report("sofia", msg, "parse error");
  } else if (check) {
    if (!sip->sip_call_id || !sip->sip_cseq) {
      rc = report("sofia", msg, "no Call-ID or CSeq");
    } else {
      const char *cid = sip->sip_call_id->i_id;
      size_t body = sip->sip_payload ? sip->sip_payload->pl_len : 0;
      rc = compare("sofia", msg, cid, strlen(cid), sip->sip_cseq->cs_seq, body);
    }
  }
  msg_destroy(m);
  return rc;
}

typedef struct parser {
  const char *name;
  parse_fn fn;
} parser;

static const parser parsers[] = {
#if BENCH_WITH_SIPSPEC
    {"sipspec", parse_sipspec},
#endif
    {"osip", parse_osip},
    {"sofia", parse_sofia},
};
#define NPARSERS (sizeof parsers / sizeof parsers[0])

/* ---- timing --------------------------------------------------------------------------- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static int verify_all(const parser *p) {
  int bad = 0;
  for (size_t i = 0; i < ncorpus; i++)
    if (p->fn(&corpus[i], 1) != 0) bad++;
  return bad;
}

static int run_passes(const parser *p, unsigned long passes) {
  for (unsigned long k = 0; k < passes; k++)
    for (size_t i = 0; i < ncorpus; i++)
      if (p->fn(&corpus[i], 0) != 0) return -1;
  return 0;
}

static void usage(FILE *out) {
  fprintf(out,
          "usage: bench-parse [--corpus DIR] [--iterations N] [--repeat R] [--only NAME]\n"
          "  --corpus DIR     folder with MANIFEST.tsv and the messages (default: %s)\n"
          "  --iterations N   passes over the corpus per repetition (default 2000)\n"
          "  --repeat R       timed repetitions, median reported (default 5, max %d)\n"
          "  --only NAME      sipspec|osip|sofia|none: N untimed passes with one parser\n",
          BENCH_DEFAULT_CORPUS, MAX_REPEAT);
}

int main(int argc, char **argv) {
  const char *dir = BENCH_DEFAULT_CORPUS, *only = NULL;
  unsigned long iterations = 2000, repeat = 5;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      return 0;
    }
    if (i + 1 >= argc) {
      fprintf(stderr, "bench-parse: %s needs a value\n", a);
      usage(stderr);
      return 2;
    }
    const char *v = argv[++i];
    char *end;
    if (!strcmp(a, "--corpus")) {
      dir = v;
    } else if (!strcmp(a, "--only")) {
      only = v;
    } else if (!strcmp(a, "--iterations") || !strcmp(a, "--repeat")) {
      errno = 0;
      unsigned long n = strtoul(v, &end, 10);
      if (errno || *end || !n || v[0] == '-' || (!strcmp(a, "--repeat") && n > MAX_REPEAT)) {
        fprintf(stderr, "bench-parse: %s: bad value \"%s\"\n", a, v);
        return 2;
      }
      if (!strcmp(a, "--iterations")) iterations = n;
      else repeat = n;
    } else {
      fprintf(stderr, "bench-parse: unknown option %s\n", a);
      usage(stderr);
      return 2;
    }
  }

  if (load_corpus(dir) != 0) return 2;
  parser_init(); /* libosip2 needs its tables before the first parse */
#if BENCH_WITH_SIPSPEC
  if (sipspec_msg_create(&ss_msg, NULL) != SIPSPEC_OK) {
    fprintf(stderr, "bench-parse: sipspec_msg_create failed\n");
    return 2;
  }
#endif

  int status = 0;
  if (only) {
    const parser *p = NULL;
    for (size_t i = 0; i < NPARSERS; i++)
      if (!strcmp(parsers[i].name, only)) p = &parsers[i];
    if (!p && strcmp(only, "none")) {
      fprintf(stderr, "bench-parse: --only: unknown parser \"%s\"\n", only);
      return 2;
    }
    if (p && (verify_all(p) != 0 || run_passes(p, iterations - 1) != 0)) status = 1;
    printf("%s: %lu passes over %zu messages (%zu bytes)\n", only, iterations, ncorpus, corpus_bytes);
  } else {
    double median[NPARSERS] = {0};
    for (size_t i = 0; i < NPARSERS; i++) {
      if (verify_all(&parsers[i]) != 0) {
        status = 1;
        continue;
      }
      double t[MAX_REPEAT];
      for (unsigned long r = 0; r < repeat; r++) {
        double t0 = now_s();
        if (run_passes(&parsers[i], iterations) != 0) status = 1;
        t[r] = now_s() - t0;
      }
      qsort(t, repeat, sizeof t[0], cmp_double);
      median[i] = t[repeat / 2];
    }
    double msgs = (double)iterations * (double)ncorpus, bytes = (double)iterations * (double)corpus_bytes;
    printf("corpus: %zu messages, %zu bytes; %lu passes x %lu repetitions (median)\n", ncorpus, corpus_bytes,
           iterations, repeat);
    printf("%-8s %14s %10s %12s %14s\n", "parser", "messages/s", "MB/s", "ns/message", "vs sipspec");
    for (size_t i = 0; i < NPARSERS; i++) {
      if (median[i] <= 0) {
        printf("%-8s %14s %10s %12s %14s\n", parsers[i].name, "wrong", "-", "-", "-");
        continue;
      }
      char ratio[32] = "-";
#if BENCH_WITH_SIPSPEC
      if (median[0] > 0) snprintf(ratio, sizeof ratio, "%.2fx slower", median[i] / median[0]);
      if (i == 0) snprintf(ratio, sizeof ratio, "1.00x");
#endif
      printf("%-8s %14.0f %10.1f %12.1f %14s\n", parsers[i].name, msgs / median[i], bytes / median[i] / 1e6,
             median[i] * 1e9 / msgs, ratio);
    }
  }
#if BENCH_WITH_SIPSPEC
  sipspec_msg_destroy(ss_msg);
#endif
  for (size_t i = 0; i < ncorpus; i++) free(corpus[i].data);
  return status;
}
