/* fuzz_sip_layers.c: libFuzzer target for the transaction, dialog and session layers (the
 * client user agent of sipspec/ua.h and the embedded server of sipspec/server.h) driven by a
 * script of messages, timer expiries, transport errors and API calls over an in-memory
 * transport on a virtual clock: no socket is opened, nothing waits for real time.
 *
 * How the transport is faked: the user agent and the server take their transport types from
 * sipspec_transport_type_for(); this target is linked with -Wl,--wrap of that function
 * (tests/fuzz/CMakeLists.txt), so they get the two in-memory types below (kind UDP,
 * unreliable; kind TCP, reliable). A send is recorded; a delivery calls the transport's
 * receive callback as a real socket's would; a transport error calls its error callback.
 *
 * The input is text, so that seeds are readable and SIP messages seed it directly. An
 * optional first line "!<mode>" picks the side ('u' client user agent, default; 's' server)
 * and 'T' in it the reliable transport. The rest is cut into chunks at "\n%%"; a chunk's first
 * character says what it does:
 *   r[d]<message>  deliver a message built from a template (below); d (0-7) picks the request
 *                  the placeholders refer to: the d-th most recent one the stack sent
 *   t<ms>          let the virtual clock run that long (at most 300 s)
 *   e<d>           a transport error toward the last destination (refused, reset, timeout,
 *                  closed, send failure by d)
 *   f              the next send fails synchronously (SIPSPEC_E_SEND)
 *   a<c>           an API call: client 'e' end, '+' add a recognizer, '-' remove the
 *                  synthesizer, 'k' keep-alive, 's' start another session; server 'x' shutdown
 *   anything else  delivered as it is (the RFC 4475 messages and the corpus seed this way)
 * Template placeholders, taken from the referenced request the stack sent: $v top Via value,
 * $f From, $t To, $i Call-ID, $s CSeq value, $n CSeq number, $u Request-URI; $c the URI of
 * the last Contact the stack sent, $T the To tag of the last response it sent, $b a fresh
 * branch, $a an MRCP answer that fits the referenced request's offer, $o an MRCP offer, $L the
 * length of the body after the blank line, $$ a '$'. A bare "\n" in a template becomes CRLF.
 *
 * With FUZZ_LAYERS_TRACE set in the environment, every message sent and delivered is printed.
 * At the end the clock runs five virtual minutes (every timer of the RFC runs out), the API
 * ends what is left (sipspec_session_end(), sipspec_server_shutdown()) and the clock runs
 * five more: then every session must have had its one on_terminated and the server must be
 * idle (a session or call that no timer ends is a hang in production); then everything is
 * destroyed, and LeakSanitizer sees any object left behind. */
#include <ev.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sipspec/clock.h"
#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/msg.h"
#include "sipspec/server.h"
#include "sipspec/transport.h"
#include "sipspec/ua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const sipspec_transport_type *__wrap_sipspec_transport_type_for(sipspec_tp_kind kind);
int __wrap_ev_run(struct ev_loop *loop, int flags);
int __real_ev_run(struct ev_loop *loop, int flags);

/* No socket exists here, so nothing can arrive while the loop waits: the virtual clock's
 * wait for I/O in flight (2 ms of real time before each step of virtual time) only slowed
 * every input down, ten times over. The library's calls of ev_run() come here (linked with
 * -Wl,--wrap=ev_run) and never block. */
int __wrap_ev_run(struct ev_loop *loop, int flags) { return __real_ev_run(loop, flags | EVRUN_NOWAIT); }

#define MAX_OPS 48
#define MAX_MSG 8192
#define RING 8

/* ---- the in-memory transport ---------------------------------------------------------- */

typedef struct fake_tp {
  sipspec_transport base;
  sipspec_transport_opts opts;
  int in_cb, closed;
} fake_tp;

typedef struct sent {
  char *data;
  size_t len;
  int request;
  sipspec_sockaddr to;
} sent;

static struct {
  fake_tp *tp[2];                /* by kind: UDP, TCP */
  sent ring[RING];               /* the last requests the stack sent, [0] most recent */
  char contact[256];             /* URI of the last Contact sent */
  char to_tag[128];              /* To tag of the last response sent */
  sipspec_sockaddr last_dest;
  int fail_next;
  unsigned branch_seq;
  int inv_final, inv_warning, inv_sdp; /* the last final response to an INVITE sent */
  sipspec_msg *scratch;
} G;

static sipspec_sockaddr local_addr(void) {
  sipspec_sockaddr a;
  sipspec_sockaddr_set(&a, "192.0.2.10", 5060);
  return a;
}

static void span_copy(char *dst, size_t cap, sipspec_span s) {
  size_t n = s.len < cap - 1 ? s.len : cap - 1;
  if (n) memcpy(dst, s.p, n);
  dst[n] = 0;
}

static int has_warning(const char *d, size_t n) {
  for (size_t i = 0; i + 10 <= n; i++)
    if (!strncasecmp(d + i, "\r\nWarning:", 10)) return 1;
  return 0;
}

/* Remembers what the stack sends: requests in the ring, the Contact and the To tag. */
static void record(const char *data, size_t len, const sipspec_sockaddr *to) {
  static int trace = -1;
  if (trace < 0) trace = getenv("FUZZ_LAYERS_TRACE") != NULL;
  if (trace) fprintf(stderr, "---- sent\n%.*s\n", (int)len, data);
  if (sipspec_msg_parse(G.scratch, data, len) != SIPSPEC_OK) abort(); /* we never send garbage */
  sipspec_addr a;
  if (sipspec_msg_contact(G.scratch, 0, &a) == SIPSPEC_OK) span_copy(G.contact, sizeof G.contact, a.uri);
  if (!sipspec_msg_is_request(G.scratch)) {
    if (sipspec_msg_to(G.scratch, &a) == SIPSPEC_OK) span_copy(G.to_tag, sizeof G.to_tag, a.tag);
    if (sipspec_msg_cseq_method(G.scratch) == SIPSPEC_METHOD_INVITE && sipspec_msg_status(G.scratch) >= 200) {
      G.inv_final = sipspec_msg_status(G.scratch);
      G.inv_warning = has_warning(data, len);
      G.inv_sdp = sipspec_msg_body(G.scratch).len > 0;
    }
    return;
  }
  free(G.ring[RING - 1].data);
  memmove(&G.ring[1], &G.ring[0], (RING - 1) * sizeof G.ring[0]);
  G.ring[0].data = malloc(len);
  memcpy(G.ring[0].data, data, len);
  G.ring[0].len = len;
  G.ring[0].request = 1;
  G.ring[0].to = *to;
}

static void fake_free(fake_tp *t) {
  for (int k = 0; k < 2; k++)
    if (G.tp[k] == t) G.tp[k] = NULL;
  free(t);
}

static int fake_open(const sipspec_transport_type *type, struct ev_loop *loop, const sipspec_transport_opts *o,
                     sipspec_transport **out) {
  fake_tp *t = calloc(1, sizeof *t);
  if (!t) return SIPSPEC_E_NOMEM;
  t->base.type = type;
  t->base.loop = loop;
  t->opts = *o;
  G.tp[type->kind == SIPSPEC_TP_TCP] = t;
  *out = &t->base;
  return SIPSPEC_OK;
}

static int fake_send(sipspec_transport *tp, const sipspec_sockaddr *to, const void *data, size_t len) {
  fake_tp *t = (fake_tp *)tp;
  if (t->closed || !to) return SIPSPEC_E_INVAL;
  G.last_dest = *to;
  if (G.fail_next) {
    G.fail_next = 0;
    return SIPSPEC_E_SEND;
  }
  record(data, len, to);
  return SIPSPEC_OK;
}

static void fake_close(sipspec_transport *tp) {
  fake_tp *t = (fake_tp *)tp;
  if (t->in_cb) t->closed = 1;
  else fake_free(t);
}

static int fake_bound(sipspec_transport *tp, sipspec_sockaddr *out) {
  (void)tp;
  *out = local_addr();
  return SIPSPEC_OK;
}

static int fake_local(sipspec_transport *tp, const sipspec_sockaddr *toward, sipspec_sockaddr *out) {
  (void)tp;
  (void)toward;
  *out = local_addr();
  return SIPSPEC_OK;
}

static const sipspec_transport_type fake_udp, fake_tcp;
static int open_udp(struct ev_loop *loop, const sipspec_transport_opts *o, sipspec_transport **out, char *e,
                    size_t el) {
  (void)e;
  (void)el;
  return fake_open(&fake_udp, loop, o, out);
}
static int open_tcp(struct ev_loop *loop, const sipspec_transport_opts *o, sipspec_transport **out, char *e,
                    size_t el) {
  (void)e;
  (void)el;
  return fake_open(&fake_tcp, loop, o, out);
}
static const sipspec_transport_type fake_udp = {.name = "udp", .kind = SIPSPEC_TP_UDP, .reliable = 0,
                                                .open = open_udp, .send = fake_send, .close = fake_close,
                                                .bound_addr = fake_bound, .local_addr = fake_local};
static const sipspec_transport_type fake_tcp = {.name = "tcp", .kind = SIPSPEC_TP_TCP, .reliable = 1,
                                                .open = open_tcp, .send = fake_send, .close = fake_close,
                                                .bound_addr = fake_bound, .local_addr = fake_local};

const sipspec_transport_type *__wrap_sipspec_transport_type_for(sipspec_tp_kind kind) {
  return kind == SIPSPEC_TP_UDP ? &fake_udp : kind == SIPSPEC_TP_TCP ? &fake_tcp : NULL;
}

static fake_tp *pick_tp(int tcp) {
  return G.tp[tcp] ? G.tp[tcp] : G.tp[!tcp];
}

static void deliver(int tcp, const char *msg, size_t len) {
  fake_tp *t = pick_tp(tcp);
  if (!t || t->closed) return;
  sipspec_sockaddr from;
  sipspec_sockaddr_set(&from, "192.0.2.1", 5060);
  if (getenv("FUZZ_LAYERS_TRACE")) fprintf(stderr, "---- delivered\n%.*s\n", (int)len, msg);
  char *copy = malloc(len ? len : 1); /* exact size: a read past the end is an ASan error */
  memcpy(copy, msg, len);
  t->in_cb = 1;
  t->opts.on_recv(&t->base, copy, len, &from, t->opts.user);
  t->in_cb = 0;
  free(copy);
  if (t->closed) fake_free(t);
}

static void tp_error(int tcp, unsigned d) {
  static const int codes[] = {SIPSPEC_E_CONN_REFUSED, SIPSPEC_E_CONN_RESET, SIPSPEC_E_CONN_TIMEOUT,
                              SIPSPEC_E_CONN_CLOSED, SIPSPEC_E_SEND};
  fake_tp *t = pick_tp(tcp);
  if (!t || t->closed || !t->opts.on_error) return;
  sipspec_sockaddr peer = G.last_dest;
  if (!peer.len) sipspec_sockaddr_set(&peer, "192.0.2.1", 5060);
  sipspec_tp_error e = {codes[d % 5], 0, &peer, "fuzz: transport error"};
  t->in_cb = 1;
  t->opts.on_error(&t->base, &e, t->opts.user);
  t->in_cb = 0;
  if (t->closed) fake_free(t);
}

/* ---- templates ------------------------------------------------------------------------ */

typedef struct out_buf {
  char b[MAX_MSG];
  size_t n;
} out_buf;

static void put(out_buf *o, const char *s, size_t n) {
  if (n > sizeof o->b - o->n) n = sizeof o->b - o->n;
  memcpy(o->b + o->n, s, n);
  o->n += n;
}

static void put_span(out_buf *o, sipspec_span s) {
  if (s.p) put(o, s.p, s.len);
}

static void put_answer(out_buf *o, const sent *ref) {
  sipspec_span body = sipspec_msg_body(G.scratch);
  char ans[4096];
  size_t al = 0;
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "192.0.2.1";
  c.mrcp_port = 1544;
  c.rtp_port = 4000;
  (void)ref;
  if (body.len && sipspec_mrcp_server_answer(&c, body.p, body.len, ans, sizeof ans, &al, NULL) == SIPSPEC_OK)
    put(o, ans, al);
}

static void put_offer(out_buf *o) {
  static char offer[2048];
  static size_t ol;
  if (!ol) {
    sipspec_mrcp_offer_desc d;
    sipspec_mrcp_offer_desc_init(&d);
    d.addr = "192.0.2.1";
    d.rtp_port = 4002;
    d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
    d.resources[1] = SIPSPEC_MRCP_SPEECHRECOG;
    d.nresources = 2;
    if (sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, NULL) != SIPSPEC_OK) abort();
  }
  put(o, offer, ol);
}

/* Expands the template t[0..n) into o; refers to ring entry d. */
static void expand(out_buf *o, const char *t, size_t n, unsigned d) {
  const sent *ref = &G.ring[d % RING];
  int have = ref->data && sipspec_msg_parse(G.scratch, ref->data, ref->len) == SIPSPEC_OK;
  size_t len_at[4];
  unsigned nlen = 0;
  for (size_t i = 0; i < n; i++) {
    char ch = t[i];
    if (ch == '\n' && (i == 0 || t[i - 1] != '\r')) {
      put(o, "\r\n", 2);
      continue;
    }
    if (ch != '$' || i + 1 == n) {
      put(o, &ch, 1);
      continue;
    }
    char k = t[++i];
    sipspec_span s = {0};
    char tmp[64];
    switch (k) {
    case 'v':
      if (have && sipspec_msg_value(G.scratch, SIPSPEC_H_VIA, 0, &s) == SIPSPEC_OK) put_span(o, s);
      break;
    case 'f':
      if (have && sipspec_msg_value(G.scratch, SIPSPEC_H_FROM, 0, &s) == SIPSPEC_OK) put_span(o, s);
      break;
    case 't':
      if (have && sipspec_msg_value(G.scratch, SIPSPEC_H_TO, 0, &s) == SIPSPEC_OK) put_span(o, s);
      break;
    case 'i':
      if (have && sipspec_msg_value(G.scratch, SIPSPEC_H_CALL_ID, 0, &s) == SIPSPEC_OK) put_span(o, s);
      break;
    case 's':
      if (have && sipspec_msg_value(G.scratch, SIPSPEC_H_CSEQ, 0, &s) == SIPSPEC_OK) put_span(o, s);
      break;
    case 'n':
      if (have) {
        snprintf(tmp, sizeof tmp, "%lu", (unsigned long)sipspec_msg_cseq(G.scratch));
        put(o, tmp, strlen(tmp));
      }
      break;
    case 'u':
      if (have) put_span(o, sipspec_msg_request_uri(G.scratch));
      break;
    case 'c': put(o, G.contact, strlen(G.contact)); break;
    case 'T': put(o, G.to_tag, strlen(G.to_tag)); break;
    case 'b':
      snprintf(tmp, sizeof tmp, "z9hG4bKfz%u", ++G.branch_seq);
      put(o, tmp, strlen(tmp));
      break;
    case 'a':
      if (have) put_answer(o, ref);
      break;
    case 'o': put_offer(o); break;
    case 'L':
      if (nlen < 4) len_at[nlen++] = o->n;
      put(o, "     ", 5); /* patched below */
      break;
    case '$': put(o, "$", 1); break;
    default: put(o, &t[i - 1], 2); break;
    }
  }
  const char *blank = NULL;
  for (size_t i = 0; i + 3 < o->n; i++)
    if (!memcmp(o->b + i, "\r\n\r\n", 4)) {
      blank = o->b + i + 4;
      break;
    }
  if (!blank) put(o, "\r\n", 2); /* a template that stops after its last header line */
  size_t body = blank ? (size_t)(o->b + o->n - blank) : 0;
  for (unsigned j = 0; j < nlen; j++) {
    char num[8];
    snprintf(num, sizeof num, "%-5zu", body > 99999 ? (size_t)99999 : body);
    memcpy(o->b + len_at[j], num, 5);
  }
}

/* ---- the two sides -------------------------------------------------------------------- */

static struct {
  sipspec_ua *ua;
  sipspec_session *s[2];
  int starts;
  int started, terminated; /* sessions started, on_terminated calls */
} C;

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  (void)by;
  (void)user;
  C.terminated++;
  for (int i = 0; i < 2; i++)
    if (C.s[i] == s) C.s[i] = NULL;
}

static void start_session(void) {
  int slot = C.s[0] ? 1 : 0;
  if (C.s[slot] || C.starts >= 4) return;
  C.starts++;
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.rtp_port = 4010;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  sipspec_session_opts so;
  sipspec_session_opts_init(&so);
  so.target = "sip:mresources@192.0.2.1:5060";
  so.offer = &d;
  so.keepalive_ms = 20000;
  so.cb.on_terminated = on_terminated;
  if (sipspec_session_start(C.ua, &so, &C.s[slot]) != SIPSPEC_OK) C.s[slot] = NULL;
  else C.started++;
}

static void api_client(char c) {
  sipspec_session *s = C.s[0] ? C.s[0] : C.s[1];
  switch (c) {
  case 'e':
    if (s) sipspec_session_end(s);
    break;
  case '+':
    if (s) sipspec_session_add_resource(s, SIPSPEC_MRCP_SPEECHRECOG);
    break;
  case '-':
    if (s) sipspec_session_remove_resource(s, SIPSPEC_MRCP_SPEECHSYNTH);
    break;
  case 'k':
    if (s) sipspec_session_keepalive(s);
    break;
  case 's': start_session(); break;
  default: break;
  }
}

static int digest_creds(void *user, sipspec_auth_kind kind, const char *realm, sipspec_digest_cred *out) {
  (void)user;
  (void)kind;
  (void)realm;
  snprintf(out->username, sizeof out->username, "alice");
  snprintf(out->password, sizeof out->password, "secret");
  return SIPSPEC_OK;
}

static struct ev_loop *loop;
static sipspec_clock *clk;
static sipspec_server *srv;

static void setup(int server, int tcp) {
  if (!loop && !(loop = ev_loop_new(EVFLAG_AUTO))) abort();
  if (!G.scratch && sipspec_msg_create(&G.scratch, NULL) != SIPSPEC_OK) abort();
  if (!(clk = sipspec_clock_virtual_new(loop, 1000))) abort();
  srv = NULL;
  memset(&C, 0, sizeof C);
  G.inv_final = G.inv_warning = G.inv_sdp = 0;
  sipspec_config cfg;
  sipspec_config_init(&cfg);
  cfg.transport = tcp ? SIPSPEC_TP_TCP : SIPSPEC_TP_UDP;
  if (server) {
    sipspec_server_opts so;
    sipspec_server_opts_init(&so);
    so.cfg = cfg;
    so.listen_host = "192.0.2.10";
    so.listen_port = 5060;
    so.clock = clk;
    so.hosts_path = "/dev/null";
    if (sipspec_server_create(loop, &so, &srv, NULL, 0) != SIPSPEC_OK) abort();
  } else {
    sipspec_ua_opts uo;
    sipspec_ua_opts_init(&uo);
    uo.cfg = cfg;
    uo.bind_host = "192.0.2.10";
    uo.clock = clk;
    uo.hosts_path = "/dev/null";
    uo.auth.get_credentials = digest_creds;
    if (sipspec_ua_create(loop, &uo, &C.ua, NULL, 0) != SIPSPEC_OK) abort();
    start_session();
  }
  sipspec_clock_run(clk, 0, NULL, NULL);
}

/* Every timer runs out; then what is left is ended and destroyed. */
static void teardown(void) {
  G.fail_next = 0;
  sipspec_clock_run(clk, 300000, NULL, NULL);
  if (srv) {
    sipspec_server_shutdown(srv);
    sipspec_clock_run(clk, 300000, NULL, NULL);
    if (!sipspec_server_idle(srv)) { /* a call that no timer ends */
      fprintf(stderr, "fuzz_sip_layers: the server is not idle five minutes after its shutdown\n");
      abort();
    }
    sipspec_server_destroy(srv);
    srv = NULL;
  } else {
    for (int i = 0; i < 2; i++)
      if (C.s[i]) sipspec_session_end(C.s[i]);
    sipspec_clock_run(clk, 300000, NULL, NULL);
    /* every session ends, with exactly one on_terminated (sipspec/ua.h) */
    if (sipspec_ua_live_sessions(C.ua) != 0 || C.terminated != C.started) {
      fprintf(stderr, "fuzz_sip_layers: %zu sessions live, %d started, %d terminated five minutes after their end\n",
              sipspec_ua_live_sessions(C.ua), C.started, C.terminated);
      abort();
    }
    sipspec_ua_destroy(C.ua);
    C.ua = NULL;
  }
  sipspec_clock_free(clk);
  clk = NULL;
  for (int i = 0; i < RING; i++) {
    free(G.ring[i].data);
    G.ring[i].data = NULL;
  }
  G.contact[0] = G.to_tag[0] = 0;
  G.last_dest.len = 0;
  G.branch_seq = 0;
  if (G.tp[0] || G.tp[1]) abort(); /* a transport the stack never closed */
}

#ifndef FUZZ_BODY
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  size_t n = size, pos = 0;
  int server = 0, tcp = 0;
  if (n && in[0] == '!') {
    for (pos = 1; pos < n && in[pos] != '\n'; pos++) {
      if (in[pos] == 's') server = 1;
      if (in[pos] == 'T') tcp = 1;
    }
    if (pos < n) pos++;
  }
  setup(server, tcp);
  out_buf *o = malloc(sizeof *o);
  for (int ops = 0; pos < n && ops < MAX_OPS; ops++) {
    size_t end = pos;
    while (end < n && !(end + 2 < n && in[end] == '\n' && in[end + 1] == '%' && in[end + 2] == '%')) end++;
    const char *c = in + pos;
    size_t len = end - pos;
    pos = end < n ? end + 3 : n;
    if (!len) continue;
    switch (c[0]) {
    case 'r': {
      unsigned d = 0;
      size_t k = 1;
      if (len > 1 && c[1] >= '0' && c[1] <= '7') d = (unsigned)(c[k++] - '0');
      o->n = 0;
      expand(o, c + k, len - k, d);
      deliver(tcp, o->b, o->n);
      break;
    }
    case 't': {
      uint64_t ms = 0;
      for (size_t k = 1; k < len && k < 8 && c[k] >= '0' && c[k] <= '9'; k++) ms = ms * 10 + (uint64_t)(c[k] - '0');
      sipspec_clock_run(clk, ms > 300000 ? 300000 : ms, NULL, NULL);
      break;
    }
    case 'e': tp_error(tcp, len > 1 ? (unsigned char)c[1] : 0); break;
    case 'f': G.fail_next = 1; break;
    case 'a':
      if (len > 1) {
        if (srv && c[1] == 'x') sipspec_server_shutdown(srv);
        else if (!srv) api_client(c[1]);
      }
      break;
    default: deliver(tcp, c, len); break;
    }
    sipspec_clock_run(clk, 0, NULL, NULL);
  }
  free(o);
  teardown();
  return 0;
}
#else
/* fuzz_body: the body handling of an INVITE at the embedded server. The input is header
 * lines (Content-Type, Content-Encoding, Content-Disposition, MIME-Version, ... as the
 * fuzzer writes them), a blank line, and the body; the INVITE around them is fixed and its
 * Content-Length right. The stack parses no multipart body: the server must answer any of
 * them with 200 and an SDP answer, or with a failure carrying a Warning (415 for a body that
 * is not application/sdp, 488 for an SDP it cannot answer, 400 for a malformed message), or
 * drop a message it cannot parse. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  size_t hl = size, bo = size;
  for (size_t i = 0; i + 1 < size; i++) {
    if (in[i] == '\n' && in[i + 1] == '\n') { hl = i + 1; bo = i + 2; break; }
    if (i + 3 < size && !memcmp(in + i, "\r\n\r\n", 4)) { hl = i + 2; bo = i + 4; break; }
  }
  (void)tp_error; /* the script's steps, not used here */
  (void)expand;
  (void)api_client;
  if (hl > 4096 || size - bo > 16384) return 0;
  setup(1, 0);
  static char msg[32768];
  int k = snprintf(msg, sizeof msg,
                   "INVITE sip:mresources@192.0.2.10:5060 SIP/2.0\r\n"
                   "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKbody1\r\nMax-Forwards: 70\r\n"
                   "From: <sip:c@192.0.2.1>;tag=fb1\r\nTo: <sip:mresources@192.0.2.10>\r\nCall-ID: body1@192.0.2.1\r\n"
                   "CSeq: 1 INVITE\r\nContact: <sip:c@192.0.2.1:5060>\r\n");
  size_t n = (size_t)k;
  for (size_t i = 0; i < hl && n < sizeof msg - 2; i++) { /* bare LF ends a line as CRLF */
    if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r')) msg[n++] = '\r';
    msg[n++] = in[i];
  }
  n += (size_t)snprintf(msg + n, sizeof msg - n, "Content-Length: %zu\r\n\r\n", size - bo);
  memcpy(msg + n, in + bo, size - bo);
  n += size - bo;
  deliver(0, msg, n);
  sipspec_clock_run(clk, 0, NULL, NULL);
  if (G.inv_final >= 300 && !G.inv_warning) {
    fprintf(stderr, "fuzz_body: the INVITE was refused with %d and no Warning\n", G.inv_final);
    abort();
  }
  if (G.inv_final >= 200 && G.inv_final < 300 && !G.inv_sdp) abort(); /* a 2xx without the answer */
  teardown();
  return 0;
}
#endif
