/* server_env.h: what the server tests share: a server on 127.0.0.1 with the RFC's timers
 * on a virtual clock (sipspec/clock.h) and a scripted client (server_peer.h) over the
 * transport under test (g_kind), the calls that client makes, and the checks of the
 * requests the server sends (its BYE, compared whole). Every wait (tst_run_until / peer_find)
 * is in virtual seconds and bounded; the loopback I/O runs for real. Assertions are CUnit's. */
#ifndef SIPSPEC_TEST_SERVER_ENV_H
#define SIPSPEC_TEST_SERVER_ENV_H

#include <stddef.h>

#include "server_peer.h"
#include "sipspec/clock.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/server.h"

/* The transport the tests run over (argv[1] of the test programs). */
extern sipspec_tp_kind g_kind;
/* speechsynth and speechrecog, the resources most offers carry. */
extern const sipspec_mrcp_resource synth_recog[2];

typedef struct env {
  struct ev_loop *loop;
  sipspec_clock *clock;   /* virtual, on loop; the tests' runs use it (tst_use_clock) */
  sipspec_server *srv;
  peer p;
  int events[8];          /* by sipspec_server_event */
  int last_status[8];
  uint64_t event_ms[8];   /* the virtual time of the last one (env_ms()) */
  unsigned bye_after_ms;  /* the server's option, for bye_of() */
  int trace_send, trace_recv;
  char first_recv[16];
} env;

/* RFC 3261's timers, which the server uses (sipspec_config_init()). */
#define T1_MS 500u
#define T2_MS 4000u
#define T4_MS 5000u
/* The virtual time at which each environment starts, in ms. */
#define ENV_T0_MS 1000000u
/* A watchdog for a server to become idle: its transactions linger 64*T1 = 32 s over UDP
 * (Timers H, J, L), T4 = 5 s (Timers I, K); virtual seconds cost nothing. */
#define IDLE_MAX_S 60.0

/* Options for a server on 127.0.0.1:0 over g_kind with the RFC's timers (T1 500 ms, T2 4 s,
 * T4 5 s) and User-Agent "test-server/1". */
void opts_default(sipspec_server_opts *o);
/* Creates the loop, its virtual clock (at ENV_T0_MS, made the tests' clock with
 * tst_use_clock()), the server on it (its events and trace counted in e) and the client
 * socket. 0 or an error code (printed). */
int env_open(env *e, sipspec_server_opts *o);
/* Closes the client, the server, then the clock and the loop. */
void env_close(env *e);
/* The virtual time since the environment opened, in ms. */
uint64_t env_ms(const env *e);
/* When message m (received by p) arrived, in ms since the environment opened. */
uint64_t env_at(const env *e, const peer *p, const char *m);
sipspec_server_stats env_stats(env *e);
/* env_open() with opts_default() and one 180 every ring_interval_ms before the answer; the
 * test ends when the server cannot be created. */
void env_open_ringing(env *e, unsigned ring_interval_ms);
/* For tst_run_until(): sipspec_server_idle(arg). */
int idle_cond(void *arg);

typedef struct call {
  char call_id[64];
  char from_tag[16];
  char to_tag[64];
  char branch[64];     /* of the last INVITE */
  unsigned cseq;
  const char *contact; /* NULL: the peer's own address (see req_spec) */
  const char *via_sent_by;
} call;

/* A fresh Call-ID and From tag named after name; no To tag yet. */
void call_init(call *c, const char *name);
/* An MRCP offer for n resources from 127.0.0.1 into buf; its length. */
size_t make_offer(char *buf, size_t cap, const sipspec_mrcp_resource *res, size_t n);
/* Sends a request of call c (method, body, extra headers); in-dialog when c->to_tag is set. */
void send_req(env *e, call *c, const char *method, const char *body, size_t body_len, const char *extra,
              const char *branch, unsigned cseq);
void send_invite(env *e, call *c, const char *body, size_t len, const char *extra);
/* The ACK of a 2xx: its own transaction (new branch), the To tag of the dialog. */
void send_ack_2xx(env *e, call *c);
/* The ACK of a non-2xx final response resp: the INVITE's branch (17.1.1.3). */
void send_ack_failure(env *e, call *c, const char *resp);
/* INVITE -> 100 -> 180 -> 200 -> ACK with the given offer; returns the 200's text. */
const char *establish(env *e, call *c, const sipspec_mrcp_resource *res, size_t n);

/* The Contact URI peer p writes by default. */
const char *peer_contact(const peer *p, char *out, size_t cap);
/* Asserts the whole BYE the server sent in call c, byte for byte but for its branch; see
 * server_env.c. */
void expect_bye(const env *e, const call *c, const char *bye, const char *ruri, const char *proto, unsigned cseq,
                const char *routes);
/* Answers a BYE the server sent with status, from e->p. */
void answer_server_bye(env *e, const char *bye, int status);
/* peer_find() that ends the test when no message starting with prefix arrives in max_s. */
const char *expect_msg(peer *p, const char *prefix, double max_s);
/* A test of a suite: its CUnit name and function. */
typedef struct env_test {
  const char *name;
  void (*fn)(void);
} env_test;
/* The main() of the server test programs: argv[1] "tcp" selects TCP (g_kind); runs the n
 * tests in the suite <suite>_udp or <suite>_tcp, verbose. 0 when all ran and passed. */
int env_run_suite(int argc, char **argv, const char *suite, const env_test *tests, size_t n);
/* A second UDP socket of the client toward the server's UDP port. */
void open_udp_peer(env *e, peer *q);
/* Establishes call c (one resource) and returns the BYE the server then sends (bye_after_ms
 * set) as received by where, or NULL after 40 s; asserts it came exactly bye_after_ms
 * after the server had the ACK. */
const char *bye_of(env *e, call *c, peer *where);

#endif
