/* test_session_footprint.c: the memory an established MRCP client session and a held server
 * dialog keep (issue 16: at most 1 KiB each beyond the socket buffers), measured from the
 * allocator, not from the size of one struct.
 *
 * Two processes on 127.0.0.1 over UDP: this one runs a user agent (sipspec/ua.h), a forked
 * child runs the embedded server (sipspec/server.h), so that each side's allocator holds
 * only its own side. The parent starts N sessions, waits until all are established (the
 * server's 2xx ACKed) and until both sides' transactions are over (the timers are small:
 * T1 10 ms, so that the INVITE transactions' Accepted wait, 64*T1, RFC 6026, ends within the
 * test), and reads the bytes each allocator holds; then N more sessions, held beside the
 * first, the same way. The difference divided by N is what one established session (one
 * held dialog) costs: what was allocated once on the first calls (hash tables, buffers, the
 * clock's heap growing) is not counted. The sessions are then ended with BYE and every one
 * must end cleanly (the measurement does not hide broken sessions).
 *
 * Allocator figures: glibc's mallinfo2(), or AddressSanitizer's allocated bytes in the ASan
 * build (where malloc is ASan's). The child answers the parent's questions over a pipe:
 * 'm' (its heap bytes, its live transactions and dialogs), 'q' (stop); the parent stops it
 * by PID.
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CUnit/Basic.h>
#include <ev.h>

#if defined(__SANITIZE_ADDRESS__)
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#include "server/server_internal.h"
#include "session/session_internal.h"
#include "sipspec/server.h"
#include "sipspec/ua.h"

#define N 200
/* Issue 16 asks for an established client session and a held server dialog of at most
 * ISSUE_MAX bytes each. The bounds below are what they weigh today plus about 3% (so that
 * they cannot grow back unnoticed; they were 26.7 KB and 23.1 KB before the answer as read,
 * the writer's room, the setup state and the fixed-size strings were dropped, then 3.7 KB
 * and 2.5 KB before the charts' timer sets shared their options per user agent / server
 * (host_timer_kind), the addresses were kept in 28 bytes and the update chart was allocated
 * on first use, then 3.1 KB and 2.0 KB before the dialog kept its strings in one block, the
 * server's call kept only the offer, in its own allocation, and lent its dialog the server's
 * Via, Contact, header lines and callbacks, and the client session's SDP texts gave way to
 * the MRCP session's description and the packed answer, the MRCP layout and the session
 * struct were compacted and the callbacks shared). What is left, by size: for the client the
 * session (two chart timer sets of 112 bytes), the dialog and its strings, the MRCP session
 * and its packed answer; for the server the call with the offer (about 690 B), the dialog's
 * strings (about 170 B) and the dialog (128 B); see docs/limits.md. */
#define ISSUE_MAX 1024
#define SESSION_MAX 1860
#define DIALOG_MAX 1045

static size_t heap_bytes(void) {
#if defined(__SANITIZE_ADDRESS__)
  return __sanitizer_get_current_allocated_bytes();
#else
  struct mallinfo2 mi = mallinfo2();
  return mi.uordblks + mi.hblkhd;
#endif
}

static void small_timers(sipspec_config *c) {
  c->transport = SIPSPEC_TP_UDP;
  c->t1_ms = 10;
  c->t2_ms = 40;
  c->t4_ms = 50;
}

/* ---- the child: the embedded server -------------------------------------------------------- */

typedef struct srv_report {
  size_t heap;
  uint64_t live_tsx, live_dialogs;
} srv_report;

typedef struct child {
  sipspec_server *srv;
  int out;
  ev_io cmd;
} child;

static void child_cmd(struct ev_loop *loop, ev_io *w, int revents) {
  child *c = w->data;
  char op = 0;
  (void)revents;
  if (read(w->fd, &op, 1) != 1 || op == 'q') {
    ev_break(loop, EVBREAK_ALL);
    return;
  }
  srv_report r = {heap_bytes(), 0, 0};
  sipspec_server_stats st;
  sipspec_server_stats_get(c->srv, &st);
  r.live_dialogs = st.live_dialogs;
  sipspec_tsx_stats ts;
  sipspec_tsx_layer_stats(c->srv->layer, &ts);
  r.live_tsx = ts.live;
  if (write(c->out, &r, sizeof r) != (ssize_t)sizeof r) ev_break(loop, EVBREAK_ALL);
}

/* Runs the server until 'q' or the pipe closes; writes its port first. */
static int run_child(int in, int out) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_server_opts o;
  sipspec_server_opts_init(&o);
  small_timers(&o.cfg);
  o.listen_host = "127.0.0.1";
  o.both_transports = 0;
  child c = {0};
  char err[256];
  unsigned port = 0;
  if (!loop || sipspec_server_create(loop, &o, &c.srv, err, sizeof err) != SIPSPEC_OK) {
    (void)!write(out, &port, sizeof port);
    return 1;
  }
  sipspec_sockaddr a;
  if (sipspec_server_bound_addr(c.srv, SIPSPEC_TP_UDP, &a) == SIPSPEC_OK) port = sipspec_sockaddr_port(&a);
  if (write(out, &port, sizeof port) != (ssize_t)sizeof port) return 1;
  c.out = out;
  ev_io_init(&c.cmd, child_cmd, in, EV_READ);
  c.cmd.data = &c;
  ev_io_start(loop, &c.cmd);
  ev_run(loop, 0);
  ev_io_stop(loop, &c.cmd);
  sipspec_server_destroy(c.srv);
  ev_loop_destroy(loop);
  return 0;
}

/* ---- the parent: the user agent ------------------------------------------------------------ */

typedef struct fp {
  struct ev_loop *loop;
  sipspec_ua *ua;
  sipspec_session *s[2 * N];
  int answered, failed, terminated, ended_clean;
  pid_t pid;
  int to_child, from_child;
} fp;

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *a, const char *sdp, size_t len, void *u) {
  fp *f = u;
  (void)s, (void)sdp, (void)len;
  CU_ASSERT_PTR_NOT_NULL(a);
  f->answered++;
}
static void on_failed(sipspec_session *s, sipspec_result r, const sipspec_response_info *info, void *u) {
  fp *f = u;
  (void)s, (void)info;
  fprintf(stderr, "session failed: %s\n", sipspec_result_name(r));
  f->failed++;
}
static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *u) {
  fp *f = u;
  const char *why = NULL;
  f->terminated++;
  if (by == SIPSPEC_END_LOCAL && sipspec_session_bye_status(s, &why) == 200) f->ended_clean++;
  for (int i = 0; i < 2 * N; i++)
    if (f->s[i] == s) f->s[i] = NULL;
}

static int ask_child(fp *f, srv_report *r) {
  char op = 'm';
  if (write(f->to_child, &op, 1) != 1) return -1;
  size_t got = 0;
  while (got < sizeof *r) {
    ssize_t n = read(f->from_child, (char *)r + got, sizeof *r - got);
    if (n <= 0 && errno != EINTR) return -1;
    if (n > 0) got += (size_t)n;
  }
  return 0;
}

static uint64_t ua_live_tsx(const fp *f) {
  sipspec_tsx_stats st;
  sipspec_tsx_layer_stats(f->ua->layer, &st);
  return st.live;
}

/* Runs the loop for ms (real time). */
static void run_for(fp *f, double ms) {
  ev_now_update(f->loop);
  ev_tstamp end = ev_now(f->loop) + ms / 1000.0;
  while (ev_now(f->loop) < end) {
    ev_run(f->loop, EVRUN_NOWAIT);
    usleep(1000);
    ev_now_update(f->loop);
  }
}

/* Starts sessions [from, from+N), waits until they are established and both sides have no
 * transaction left; the server's report into *r. 0 on success. */
static int round_of(fp *f, const sipspec_session_opts *so, int from, srv_report *r) {
  for (int i = from; i < from + N; i++) {
    if (sipspec_session_start(f->ua, so, &f->s[i]) != SIPSPEC_OK) return -1;
    if (i % 20 == 19) run_for(f, 2); /* a few at a time: the socket buffers stay small */
  }
  for (int k = 0; k < 10000 && f->answered < from + N && !f->failed; k++) run_for(f, 1);
  if (f->answered != from + N) return -1;
  for (int k = 0; k < 100; k++) {
    run_for(f, 50);
    if (ask_child(f, r)) return -1;
    if (!r->live_tsx && !ua_live_tsx(f)) return 0;
  }
  return -1;
}

static void test_footprint(void) {
  int p2c[2], c2p[2];
  CU_ASSERT_FATAL(pipe(p2c) == 0 && pipe(c2p) == 0);
  pid_t pid = fork();
  CU_ASSERT_FATAL(pid >= 0);
  if (pid == 0) {
    close(p2c[1]);
    close(c2p[0]);
    _exit(run_child(p2c[0], c2p[1]));
  }
  close(p2c[0]);
  close(c2p[1]);
  fp *f = calloc(1, sizeof *f);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  f->pid = pid;
  f->to_child = p2c[1];
  f->from_child = c2p[0];
  unsigned port = 0;
  CU_ASSERT_EQUAL(read(f->from_child, &port, sizeof port), (ssize_t)sizeof port);
  CU_ASSERT(port > 0);

  f->loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_ua_opts uo;
  sipspec_ua_opts_init(&uo);
  small_timers(&uo.cfg);
  uo.bind_host = "127.0.0.1";
  uo.from_user = "client";
  char err[256] = "";
  CU_ASSERT_EQUAL_FATAL(sipspec_ua_create(f->loop, &uo, &f->ua, err, sizeof err), SIPSPEC_OK);

  char target[64];
  snprintf(target, sizeof target, "sip:mresources@127.0.0.1:%u", port);
  sipspec_mrcp_offer_desc offer;
  sipspec_mrcp_offer_desc_init(&offer);
  offer.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  offer.nresources = 1;
  offer.rtp_port = 5004;
  sipspec_session_opts so;
  sipspec_session_opts_init(&so);
  so.target = target;
  so.offer = &offer;
  so.cb.on_answered = on_answered;
  so.cb.on_failed = on_failed;
  so.cb.on_terminated = on_terminated;
  so.cb.user = f;

  srv_report r1 = {0}, r2 = {0};
  int ok = port > 0 && round_of(f, &so, 0, &r1) == 0;
  size_t c1 = heap_bytes();
  ok = ok && round_of(f, &so, N, &r2) == 0;
  size_t c2 = heap_bytes();
  CU_ASSERT_TRUE(ok);
  CU_ASSERT_EQUAL(f->failed, 0);
  CU_ASSERT_EQUAL(f->answered, 2 * N);
  CU_ASSERT_EQUAL(r2.live_dialogs, 2 * N);
  long per_session = ((long)c2 - (long)c1) / N, per_dialog = ((long)r2.heap - (long)r1.heap) / N;
  printf("\n  %d established client sessions: %ld bytes of heap each (bound %d, issue 16: %d)\n", N, per_session,
         SESSION_MAX, ISSUE_MAX);
  printf("  %d held server dialogs: %ld bytes of heap each (bound %d, issue 16: %d)\n", N, per_dialog, DIALOG_MAX,
         ISSUE_MAX);
  CU_ASSERT(ok && per_session > 0 && per_session <= SESSION_MAX);
  CU_ASSERT(ok && per_dialog > 0 && per_dialog <= DIALOG_MAX);

  /* every session ends with BYE, answered 200 */
  for (int i = 0; i < 2 * N; i++)
    if (f->s[i]) CU_ASSERT_EQUAL(sipspec_session_end(f->s[i]), SIPSPEC_OK);
  for (int k = 0; k < 10000 && f->terminated < f->answered; k++) run_for(f, 1);
  CU_ASSERT_EQUAL(f->terminated, 2 * N);
  CU_ASSERT_EQUAL(f->ended_clean, 2 * N);
  srv_report r3 = {0};
  for (int k = 0; k < 100 && !ask_child(f, &r3) && r3.live_dialogs; k++) run_for(f, 20);
  CU_ASSERT_EQUAL(r3.live_dialogs, 0);

  sipspec_ua_destroy(f->ua);
  ev_loop_destroy(f->loop);
  char q = 'q';
  (void)!write(f->to_child, &q, 1);
  int status = 0;
  pid_t w = 0;
  for (int k = 0; k < 500 && (w = waitpid(pid, &status, WNOHANG)) == 0; k++) usleep(10000);
  if (w == 0) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  close(f->to_child);
  close(f->from_child);
  free(f);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("session_footprint", NULL, NULL);
  CU_add_test(s, "established session and held dialog heap", test_footprint);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
