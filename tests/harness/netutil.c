/* netutil.c: bounded loop runs and the newline test framer (see netutil.h). */
#include "netutil.h"

#include <stdlib.h>
#include <string.h>

static void wake_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)loop; (void)w; (void)revents;
}

static sipspec_clock *in_use;

void tst_use_clock(sipspec_clock *c) { in_use = c; }
sipspec_clock *tst_clock(void) { return in_use; }

uint64_t tst_now_ms(struct ev_loop *loop) {
  if (in_use && sipspec_clock_loop(in_use) == loop) return sipspec_clock_now_ms(in_use);
  return (uint64_t)(ev_now(loop) * 1000.0 + 0.5);
}

int tst_run_until(struct ev_loop *loop, int (*cond)(void *), void *arg, double max_s) {
  if (in_use && sipspec_clock_loop(in_use) == loop)
    return sipspec_clock_run(in_use, max_s <= 0 ? 0 : (uint64_t)(max_s * 1000.0 + 0.5), cond, arg);
  ev_timer wake; /* bounds each blocking wait so the deadline is checked */
  double step = max_s < 0.02 ? max_s : 0.02;
  ev_timer_init(&wake, wake_cb, step, step);
  ev_timer_start(loop, &wake);
  ev_now_update(loop);
  double deadline = ev_now(loop) + max_s;
  int ok = 0;
  for (int guard = 0; guard < 1000000; guard++) {
    if (cond && cond(arg)) { ok = 1; break; }
    if (ev_now(loop) >= deadline) break;
    ev_run(loop, EVRUN_ONCE);
  }
  ev_timer_stop(loop, &wake);
  return ok;
}

void tst_run_for(struct ev_loop *loop, double s) { (void)tst_run_until(loop, NULL, NULL, s); }

typedef struct line_state {
  char *buf;
  size_t len, cap;
} line_state;

static void *line_create(void *arg) {
  (void)arg;
  return calloc(1, sizeof(line_state));
}

static void line_destroy(void *p) {
  line_state *s = p;
  free(s->buf);
  free(s);
}

static int line_feed(void *p, const char *data, size_t len, sipspec_framer_emit_fn emit,
                     void *ctx) {
  line_state *s = p;
  for (size_t i = 0; i < len; i++) {
    char ch = data[i];
    if (ch == '\0') return SIPSPEC_E_FRAMING;
    if (ch == '\n') {
      int stop = emit(ctx, s->buf ? s->buf : "", s->len);
      s->len = 0;
      if (stop) return SIPSPEC_OK;
      continue;
    }
    if (s->len >= TST_LINE_MAX) return SIPSPEC_E_FRAMING;
    if (s->len == s->cap) {
      size_t cap = s->cap ? s->cap * 2 : 256;
      char *b = realloc(s->buf, cap);
      if (!b) return SIPSPEC_E_NOMEM;
      s->buf = b;
      s->cap = cap;
    }
    s->buf[s->len++] = ch;
  }
  return SIPSPEC_OK;
}

static size_t line_pending(void *p) { return ((line_state *)p)->len; }

const sipspec_framer_type tst_line_framer = {
  .name = "line",
  .create = line_create,
  .feed = line_feed,
  .destroy = line_destroy,
  .pending = line_pending,
};
