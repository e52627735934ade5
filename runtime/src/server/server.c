/* server/server.c: the embedded MRCP server (sipspec/server.h): its options, its life,
 * and the dispatcher every new request goes through.
 *
 * The server is a user agent server on its own transaction layer (session/tsx.h), which
 * listens on UDP and TCP (through the shared tracing decorator net/transport_trace.c when a
 * trace callback is set). Every request that creates a server transaction arrives in
 * on_request() and is checked in the order of RFC 3261 8.2: method (405), header
 * inspection (420 for Require), then the dialog it names (481, 12.2.2), credentials
 * (server_auth.c) and finally the method's own work:
 * OPTIONS is answered here, CANCEL finds its INVITE (9.2), INVITE, BYE and in-dialog
 * requests go to the call module (server_call.c), whose dialogs (session/dialog.h) say
 * which request belongs to which dialog. The ACK of a 2xx arrives outside any
 * transaction (on_ack) and goes to the call module too.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "net/transport_trace.h"
#include "server/server_internal.h"

#ifndef SIPSPEC_VERSION
#error "SIPSPEC_VERSION (the project version) comes from CMake, see the top-level CMakeLists.txt"
#endif

/* ---- small helpers ---------------------------------------------------------------------- */

char *srv_strndup(const char *p, size_t n) {
  char *s = malloc(n + 1);
  if (!s) return NULL;
  if (n) memcpy(s, p, n);
  s[n] = '\0';
  return s;
}

static char *dup_or_null(const char *s, int *oom) {
  if (!s) return NULL;
  char *d = srv_strndup(s, strlen(s));
  if (!d) *oom = 1;
  return d;
}

void srv_event(sipspec_server *srv, sipspec_server_event ev, const char *call_id, int status) {
  if (srv->o.on_event) srv->o.on_event(srv, ev, call_id ? call_id : "", status, srv->o.user);
}

void srv_refused(sipspec_server *srv, const sipspec_msg *req, int status) {
  char id[256];
  sipspec_span cid = sipspec_msg_call_id(req);
  size_t n = cid.len < sizeof id - 1 ? cid.len : sizeof id - 1;
  if (n) memcpy(id, cid.p, n);
  id[n] = '\0';
  srv->st.refused++;
  srv_event(srv, SIPSPEC_SERVER_REFUSED, id, status);
}

int srv_respond(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason, const char *extra,
                const char *body, size_t body_len) {
  size_t sl = strlen(srv->server_line), ex = extra ? strlen(extra) : 0;
  char stack[SRV_HEADERS_MAX];
  char *h = sl + ex + 1 <= sizeof stack ? stack : malloc(sl + ex + 1);
  if (!h) return SIPSPEC_E_NOMEM;
  /* our Server line (written by the builder once, srv_header_lines()), then the extra lines */
  memcpy(h, srv->server_line, sl);
  if (ex) memcpy(h + sl, extra, ex);
  h[sl + ex] = '\0';
  int rc = sipspec_tsx_respond(t, status, reason, h, body, body_len);
  if (h != stack) free(h);
  return rc;
}

/* The Server (responses, RFC 3261 20.35) and User-Agent (requests, 20.41) lines, written
 * with the builder once, under the rule the parser reads them with (their value raw: no
 * CR, LF or NUL); a user agent it refuses is a bad option, named in err. */
static int srv_header_lines(sipspec_server *srv, char *err, size_t errlen) {
  static const char *const names[2] = {"Server", "User-Agent"};
  char **lines[2] = {&srv->server_line, &srv->ua_line};
  for (int i = 0; i < 2; i++) {
    sipspec_build b;
    sipspec_span name = sipspec_span_z(names[i]), ua = sipspec_span_z(srv->user_agent);
    size_t cap = name.len + ua.len + 5;
    char *line = malloc(cap);
    if (!line) return SIPSPEC_E_NOMEM;
    sipspec_build_init(&b, line, cap - 1);
    if (sipspec_build_header(&b, name, ua)) {
      int rc = b.err;
      if (err && errlen) snprintf(err, errlen, "user agent \"%s\": %s (%s)", srv->user_agent, sipspec_strerror(rc), b.what);
      free(line);
      return rc;
    }
    line[b.len] = '\0';
    *lines[i] = line;
  }
  return SIPSPEC_OK;
}

/* Sends the header block b wrote into buf (stack, or allocated) as t's response with
 * status and reason; buf is freed when it is not stack. */
static int respond_block(sipspec_tsx *t, int status, const char *reason, sipspec_build *b, char *buf,
                         const char *stack) {
  int rc = b->err;
  if (!rc) {
    buf[b->len] = '\0';
    rc = sipspec_tsx_respond(t, status, reason, buf, NULL, 0);
  }
  if (buf != stack) free(buf);
  return rc;
}

int srv_respond_h(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason, const sipspec_ext_header *h,
                  size_t n, const char *extra) {
  char stack[SRV_HEADERS_MAX];
  size_t cap = SRV_HEADERS_MAX + (extra ? strlen(extra) : 0);
  char *buf = cap <= sizeof stack ? stack : malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  sipspec_build b;
  sipspec_build_init(&b, buf, cap - 1);
  sipspec_build_header_lines(&b, sipspec_span_z(srv->server_line));
  for (size_t i = 0; i < n; i++) sipspec_build_header(&b, h[i].name, h[i].value);
  if (extra) sipspec_build_header_lines(&b, sipspec_span_z(extra));
  return respond_block(t, status, reason, &b, buf, stack);
}

int srv_respond_retry(sipspec_server *srv, sipspec_tsx *t, int status, uint32_t seconds) {
  char buf[SRV_HEADERS_MAX];
  sipspec_build b; /* RFC 3261 20.33: Retry-After: delta-seconds */
  sipspec_build_init(&b, buf, sizeof buf - 1);
  sipspec_build_header_lines(&b, sipspec_span_z(srv->server_line));
  sipspec_build_uint(&b, sipspec_span_z("Retry-After"), seconds);
  if (b.err) return b.err;
  buf[b.len] = '\0';
  return sipspec_tsx_respond(t, status, NULL, buf, NULL, 0);
}

int srv_respond_warning(sipspec_server *srv, sipspec_tsx *t, int status, const char *extra, const char *text) {
  return srv_respond_warning_reason(srv, t, status, NULL, extra, text);
}

int srv_respond_warning_reason(sipspec_server *srv, sipspec_tsx *t, int status, const char *reason, const char *extra,
                               const char *text) {
  /* RFC 3261 20.43: warn-text is a quoted-string, written (and its '"' and '\\' escaped)
   * by the builder; control characters, which qdtext does not take, become '?'. */
  char clean[300];
  size_t n = 0;
  for (const char *p = text; *p && n < sizeof clean - 1; p++) clean[n++] = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
  clean[n] = '\0';
  char stack[SRV_HEADERS_MAX];
  size_t cap = SRV_HEADERS_MAX + (extra ? strlen(extra) : 0);
  char *buf = cap <= sizeof stack ? stack : malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  sipspec_build b; /* the Server line, the extra lines (a challenge), then the Warning */
  sipspec_build_init(&b, buf, cap - 1);
  sipspec_build_header_lines(&b, sipspec_span_z(srv->server_line));
  if (extra) sipspec_build_header_lines(&b, sipspec_span_z(extra));
  sipspec_build_warning(&b, 399, sipspec_span_z(srv->warn_host), (sipspec_span){clean, n});
  return respond_block(t, status, reason, &b, buf, stack);
}

/* ---- calls that are over: buried, freed by the clock after the callbacks --------------- */

static void call_grave_free(sipspec_clock_grave *g) {
  srv_call_free((srv_call *)((char *)g - offsetof(srv_call, grave)));
}

/* The ports of rtp_ports a server hands out (the bits of rtp_used). */
static unsigned rtp_count(const sipspec_server *srv) {
  unsigned base = srv->o.mrcp.rtp_port, n = srv->o.rtp_ports;
  if (n <= 1 || base > 65534u) return 0;
  unsigned fit = (65534u - base) / 2u + 1u;
  return n < fit ? n : fit;
}

unsigned srv_rtp_port(sipspec_server *srv, srv_call *c) {
  unsigned base = srv->o.mrcp.rtp_port, n = rtp_count(srv);
  if (!n || !srv->rtp_used) return base;
  if (c->rtp_port) return c->rtp_port;
  for (unsigned k = 0; k < n; k++) /* RTP even, RTCP the next odd (RFC 3550 §11) */
    if (!(srv->rtp_used[k / 8] & (1u << k % 8))) {
      srv->rtp_used[k / 8] |= (uint8_t)(1u << k % 8);
      return c->rtp_port = (uint16_t)(base + 2u * k);
    }
  return base; /* every port taken: the first again (the application's endpoint will say so) */
}

void srv_rtp_release(sipspec_server *srv, srv_call *c) {
  unsigned base = srv->o.mrcp.rtp_port, n = rtp_count(srv);
  if (!c->rtp_port || !srv->rtp_used || c->rtp_port < base) return;
  unsigned k = (c->rtp_port - base) / 2u;
  if (k < n) srv->rtp_used[k / 8] &= (uint8_t)~(1u << k % 8);
  c->rtp_port = 0;
}

srv_call *srv_calls_next(const sipspec_server *srv, const srv_call *c) {
  if (c && c->hnext) return c->hnext;
  for (uint32_t i = c ? c->hash % SRV_CALL_BUCKETS + 1 : 0; i < SRV_CALL_BUCKETS; i++)
    if (srv->by_call_id[i]) return srv->by_call_id[i];
  return NULL;
}

int sipspec_server_call_sdp(const sipspec_server *srv, const char *call_id, const char **offer, size_t *offer_len,
                            const char **answer, size_t *answer_len) {
  if (!srv || !call_id) return SIPSPEC_E_INVAL;
  size_t n = strlen(call_id);
  for (srv_call *c = srv->by_call_id[srv_call_id_hash(call_id, n) % SRV_CALL_BUCKETS]; c; c = c->hnext) {
    size_t olen = 0;
    const char *o = srv_call_offer(c, &olen);
    if (!o || strcmp(sipspec_dialog_id_get(c->dlg)->call_id, call_id)) continue;
    /* the answer lent is kept until the call is answered again or ends, as promised: the
     * setup's (taken over), or, a held call keeping its offer only, written again */
    srv_call_ext *x = srv_call_ext_get(c);
    if (!x) return SIPSPEC_E_NOMEM;
    if (!x->answer && c->setup && c->setup->answer) {
      x->answer = c->setup->answer, x->answer_len = c->setup->answer_len;
      c->setup->answer = NULL;
    } else if (!x->answer) {
      size_t len = 0;
      if (!(x->answer = srv_call_answer_again(c, &len))) return SIPSPEC_E_NOMEM;
      x->answer_len = (uint32_t)len;
    }
    if (offer) *offer = o;
    if (offer_len) *offer_len = olen;
    if (answer) *answer = x->answer;
    if (answer_len) *answer_len = x->answer_len;
    return SIPSPEC_OK;
  }
  return SIPSPEC_E_NOTFOUND;
}

uint32_t srv_call_id_hash(const char *p, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)p[i]) * 16777619u;
  return h;
}

void srv_call_bury(srv_call *c) {
  sipspec_server *srv = c->srv;
  if (sipspec_clock_buried(&c->grave)) return;
  srv_rtp_release(srv, c);
  int linked = 0;
  for (srv_call **pp = &srv->by_call_id[c->hash % SRV_CALL_BUCKETS]; *pp; pp = &(*pp)->hnext)
    if (*pp == c) {
      *pp = c->hnext;
      linked = 1;
      break;
    }
  if (linked && srv->n_calls) srv->n_calls--;
  c->hnext = NULL;
  sipspec_clock_bury(srv->clock, &c->grave, srv, call_grave_free);
}

/* ---- requests ---------------------------------------------------------------------------- */

static int has_to_tag(const sipspec_msg *req) {
  sipspec_addr to;
  return sipspec_msg_to(req, &to) == SIPSPEC_OK && to.tag.len > 0;
}

/* 8.2.2.3: we support no extension, so any Require gets 420 listing them all. */
static int require_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  size_t n = sipspec_msg_value_count(req, SIPSPEC_H_REQUIRE);
  if (!n) return 0;
  char line[SRV_HEADERS_MAX];
  size_t len = 0;
  line[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    sipspec_span v;
    if (sipspec_msg_value(req, SIPSPEC_H_REQUIRE, i, &v) || !v.len) continue;
    if (len + v.len + 8 >= sizeof line) break;
    len += (size_t)snprintf(line + len, sizeof line - len, "%s%.*s", len ? ", " : "", (int)v.len, v.p);
  }
  sipspec_ext_header h = {sipspec_span_z("Unsupported"), sipspec_span_z(line)};
  (void)srv_respond_h(srv, t, 420, NULL, &h, 1, NULL);
  return 420;
}

void srv_answer_options(sipspec_server *srv, sipspec_tsx *t) {
  /* 11.2: what we allow, accept and support (no extension). */
  static const sipspec_ext_header h[] = {{{"Allow", 5}, {SRV_ALLOW, sizeof SRV_ALLOW - 1}},
                                         {{"Accept", 6}, {"application/sdp", 15}},
                                         {{"Supported", 9}, {"", 0}}};
  srv->st.options++;
  (void)srv_respond_h(srv, t, 200, NULL, h, 3, NULL);
}

/* The call whose INVITE transaction a CANCEL matched: among the calls of the CANCEL's Call-ID
 * (RFC 3261 9.1: a CANCEL has its INVITE's), else among all of them (the transaction layer
 * matched the branch, 9.2: a peer that broke 9.1 still gets its call cancelled). */
static srv_call *call_of_cancelled(sipspec_server *srv, const sipspec_tsx *ist, const sipspec_msg *cancel) {
  sipspec_span cid = sipspec_msg_call_id(cancel);
  uint32_t h = srv_call_id_hash(cid.p, cid.len);
  for (srv_call *c = srv->by_call_id[h % SRV_CALL_BUCKETS]; c; c = c->hnext)
    if (c->ist == ist) return c;
  return srv_call_of_ist(srv, ist);
}

/* RFC 3261 9.2. */
static void on_cancel(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_tsx *ist = sipspec_tsx_layer_find_cancelled(srv->layer, req);
  if (!ist) {
    srv->st.no_dialog++;
    (void)srv_respond(srv, t, 481, NULL, NULL, NULL, 0);
    return;
  }
  (void)srv_respond(srv, t, 200, NULL, NULL, NULL, 0);
  srv_call *c = call_of_cancelled(srv, ist, req);
  if (c && srv->o.answer_cancel) srv_call_cancel(c);
}

static void on_request(sipspec_tsx *t, const sipspec_msg *req, void *user) {
  sipspec_server *srv = user;
  sipspec_method m = sipspec_msg_method(req);
  if (m != SIPSPEC_METHOD_INVITE && m != SIPSPEC_METHOD_BYE && m != SIPSPEC_METHOD_CANCEL &&
      m != SIPSPEC_METHOD_OPTIONS && !(m == SIPSPEC_METHOD_UPDATE && has_to_tag(req))) { /* RFC 3311: in a dialog */
    sipspec_ext_header allow = {sipspec_span_z("Allow"), sipspec_span_z(SRV_ALLOW)}; /* 8.2.1 */
    (void)srv_respond_h(srv, t, 405, NULL, &allow, 1, NULL);
    return;
  }
  if (m == SIPSPEC_METHOD_CANCEL) { /* 9.2: no Require check, no challenge (22.1) */
    on_cancel(srv, t, req);
    return;
  }
  int status = require_check(srv, t, req);
  if (status) {
    if (m == SIPSPEC_METHOD_INVITE && !has_to_tag(req)) srv_refused(srv, req, status);
    return;
  }
  if (has_to_tag(req)) { /* 12.2.2 */
    srv_call *c = srv_call_find(srv, req);
    if (!c) {
      srv->st.no_dialog++;
      (void)srv_respond(srv, t, 481, NULL, NULL, NULL, 0);
      return;
    }
    if ((m == SIPSPEC_METHOD_INVITE || m == SIPSPEC_METHOD_BYE) && srv_auth_check(srv, t, req)) return;
    srv_call_request(c, t, req);
    return;
  }
  if (m == SIPSPEC_METHOD_BYE) { /* a BYE outside a dialog names none we know */
    srv->st.no_dialog++;
    (void)srv_respond(srv, t, 481, NULL, NULL, NULL, 0);
    return;
  }
  if (m == SIPSPEC_METHOD_OPTIONS) {
    srv_answer_options(srv, t);
    return;
  }
  srv->st.invites++;
  if (srv_call_find_merged(srv, req)) { /* 8.2.2.2 */
    (void)srv_respond_warning(srv, t, 482, NULL, "merged request: this INVITE was already received");
    srv_refused(srv, req, 482);
    return;
  }
  if (srv->shutting_down) {
    (void)srv_respond_retry(srv, t, 503, 5); /* 21.5.4 */
    srv_refused(srv, req, 503);
    return;
  }
  status = srv_auth_check(srv, t, req);
  if (status) {
    srv_refused(srv, req, status);
    return;
  }
  srv_call_invite(srv, t, req);
}

static void on_ack(sipspec_tsx_layer *l, const sipspec_msg *ack, sipspec_transport *tp,
                   const sipspec_sockaddr *from, void *user) {
  (void)l, (void)tp, (void)from;
  srv_call_ack(user, ack);
}

/* Opens the layer's transport of kind on listen_host:port; with a trace, the traced twin of
 * it (net/transport_trace.h, the decorator the UA uses too), so that every byte the server
 * sends (retransmissions, 100 Trying, stateless 400s) and receives (before parsing,
 * malformed messages too) reaches the trace. */
static int open_transport(sipspec_server *srv, sipspec_tp_kind kind, unsigned port, char *err, size_t errlen) {
  sipspec_transport_opts o;
  sipspec_transport_opts_init(&o);
  o.bind_host = srv->listen_host;
  o.bind_port = port;
  o.listen = kind != SIPSPEC_TP_UDP;
  o.tls = &srv->o.tls; /* TLS: our certificate, and the client's check with require_client_cert */
  o.tel = &srv->tel;
  /* Responses go back over the transport the request came on (18.2.2) whatever their size;
   * the server's only requests are BYEs. */
  o.max_datagram = 65000;
  o.clock = srv->clock;
  const sipspec_transport_type *type = srv->o.trace ? sipspec_tp_trace_type(kind) : sipspec_transport_type_for(kind);
  sipspec_transport *tp = NULL;
  int rc = sipspec_tsx_layer_open_transport(srv->layer, type, &o, &tp, err, errlen);
  if (!rc && srv->o.trace) rc = sipspec_tp_trace_set(tp, srv->o.trace, srv->o.trace_user);
  return rc;
}

/* ---- life --------------------------------------------------------------------------------- */

const char *sipspec_server_event_name(sipspec_server_event ev) {
  switch (ev) {
  case SIPSPEC_SERVER_INVITED: return "invited";
  case SIPSPEC_SERVER_ESTABLISHED: return "established";
  case SIPSPEC_SERVER_UPDATED: return "updated";
  case SIPSPEC_SERVER_ENDED: return "ended";
  case SIPSPEC_SERVER_REFUSED: return "refused";
  }
  return "?";
}

void sipspec_server_opts_init(sipspec_server_opts *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  sipspec_config_init(&o->cfg);
  sipspec_tls_config_init(&o->tls);
  o->both_transports = 1;
  sipspec_mrcp_server_config_init(&o->mrcp);
  o->mrcp.mrcp_port = 1544;
  o->mrcp.rtp_port = 4000;
  o->mrcp.session_id = NULL;
  o->ring_count = 1;
  o->bye_status = 200;
  o->answer_cancel = 1;
}

static int fail(char *err, size_t errlen, int rc, const char *text) {
  if (err && errlen) snprintf(err, errlen, "%s", text);
  return rc;
}

static int check_opts(const sipspec_server_opts *o, char *err, size_t errlen) {
  sipspec_sockaddr a;
  if (!o->listen_host || sipspec_sockaddr_set(&a, o->listen_host, 0) != SIPSPEC_OK)
    return fail(err, errlen, SIPSPEC_E_INVAL, "listen_host must be an IP literal such as 127.0.0.1 or ::1");
  if (o->listen_port > 65535) return fail(err, errlen, SIPSPEC_E_INVAL, "listen_port must be 0..65535");
  if (o->cfg.transport == SIPSPEC_TP_TLS)
    return fail(err, errlen, SIPSPEC_E_INVAL, "cfg.transport must be udp or tcp; TLS listens beside them (tls.cert_file)");
  if (o->cfg.transport != SIPSPEC_TP_UDP && o->cfg.transport != SIPSPEC_TP_TCP)
    return fail(err, errlen, SIPSPEC_E_INVAL, "cfg.transport must be udp or tcp");
  if (!o->tls.cert_file[0] != !o->tls.key_file[0])
    return fail(err, errlen, SIPSPEC_E_INVAL, "tls.cert_file and tls.key_file go together");
  if (o->tls_port > 65535) return fail(err, errlen, SIPSPEC_E_INVAL, "tls_port must be 0..65535");
  if (!o->cfg.t1_ms || !o->cfg.t2_ms || !o->cfg.t4_ms || o->cfg.t2_ms < o->cfg.t1_ms)
    return fail(err, errlen, SIPSPEC_E_INVAL, "timers: T1, T2 and T4 must be non-zero and T2 >= T1");
  if (o->reject_status && (o->reject_status < 300 || o->reject_status > 699))
    return fail(err, errlen, SIPSPEC_E_INVAL, "reject_status must be 0 or 300..699");
  if (o->reject_every && !o->reject_status)
    return fail(err, errlen, SIPSPEC_E_INVAL, "reject_every needs reject_status");
  if (o->bye_status < 200 || o->bye_status > 699)
    return fail(err, errlen, SIPSPEC_E_INVAL, "bye_status must be a final status, 200..699");
  if (o->ring_count > 1000) return fail(err, errlen, SIPSPEC_E_INVAL, "ring_count must be at most 1000");
  if (o->ring_interval_ms > SIPSPEC_CONFIG_MAX_MS || o->bye_after_ms > SIPSPEC_CONFIG_MAX_MS)
    return fail(err, errlen, SIPSPEC_E_INVAL, "ring_interval_ms and bye_after_ms must be at most one hour");
  if (o->session_expires_s > 86400 || o->min_se_s > 86400)
    return fail(err, errlen, SIPSPEC_E_INVAL, "session_expires_s and min_se_s must be at most 86400");
  if (o->session_expires_s && o->session_expires_s < (o->min_se_s ? o->min_se_s : 90))
    return fail(err, errlen, SIPSPEC_E_INVAL,
                "session_expires_s is below min_se_s (90 when 0): the server would refuse its own interval (RFC 4028 9)");
  if (!o->mrcp.mrcp_port || o->mrcp.mrcp_port > 65535 || !o->mrcp.rtp_port || o->mrcp.rtp_port > 65535)
    return fail(err, errlen, SIPSPEC_E_INVAL, "mrcp.mrcp_port and mrcp.rtp_port must be 1..65535");
  if (o->contact_host) {
    size_t n = strlen(o->contact_host);
    if (!n || n > 64 || strspn(o->contact_host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:_") != n)
      return fail(err, errlen, SIPSPEC_E_INVAL,
                  "contact_host must be an IP literal or a host name (1..64 letters, digits, '-', '.', ':', '_')");
    if (strchr(o->contact_host, ':') && sipspec_sockaddr_set(&a, o->contact_host, 0) != SIPSPEC_OK)
      return fail(err, errlen, SIPSPEC_E_INVAL,
                  "contact_host has a ':' but is no IPv6 literal (the port goes in contact_port)");
  }
  if (o->contact_port > 65535) return fail(err, errlen, SIPSPEC_E_INVAL, "contact_port must be 0..65535");
  if (o->auth_user && !o->auth_user[0]) return fail(err, errlen, SIPSPEC_E_INVAL, "auth_user is empty");
  if (o->auth_user && !o->auth_password)
    return fail(err, errlen, SIPSPEC_E_INVAL, "auth_user is set but auth_password is not");
  return SIPSPEC_OK;
}

static int server_create_once(struct ev_loop *loop, const sipspec_server_opts *o, sipspec_server **out, char *err,
                              size_t errlen);

/* RFC 3261 18.1.1/18.2.1: a server listens on UDP and TCP on the same port. An ephemeral UDP
 * port's TCP twin may be held by someone else: then the pair is drawn again (bounded). */
#define SERVER_EPHEMERAL_TRIES 16

int sipspec_server_create(struct ev_loop *loop, const sipspec_server_opts *o, sipspec_server **out, char *err,
                          size_t errlen) {
  if (err && errlen) err[0] = '\0';
  if (!out) return fail(err, errlen, SIPSPEC_E_INVAL, "no place for the server handle");
  *out = NULL;
  if (!loop || !o) return fail(err, errlen, SIPSPEC_E_INVAL, "no loop or no options");
  int rc = check_opts(o, err, errlen);
  if (rc) return rc;
  rc = server_create_once(loop, o, out, err, errlen);
  for (int i = 1; i < SERVER_EPHEMERAL_TRIES && rc == SIPSPEC_E_BIND && o->listen_port == 0 && o->both_transports; i++)
    rc = server_create_once(loop, o, out, err, errlen);
  return rc;
}

static int server_create_once(struct ev_loop *loop, const sipspec_server_opts *o, sipspec_server **out, char *err,
                              size_t errlen) {
  int rc;
  sipspec_server *srv = calloc(1, sizeof *srv);
  if (!srv) return SIPSPEC_E_NOMEM;
  srv->loop = loop;
  srv->o = *o;
  srv->clock = o->clock;
  if (srv->clock && sipspec_clock_loop(srv->clock) != loop) {
    free(srv);
    return fail(err, errlen, SIPSPEC_E_INVAL, "the clock runs on another loop");
  }
  int oom = 0;
  if (!srv->clock && !(srv->clock = srv->own_clock = sipspec_clock_libev_new(loop))) oom = 1;
  srv->listen_host = dup_or_null(o->listen_host, &oom);
  srv->user_agent = dup_or_null(o->user_agent ? o->user_agent : "sipspec/" SIPSPEC_VERSION, &oom);
  srv->auth_user = dup_or_null(o->auth_user, &oom);
  srv->auth_password = dup_or_null(o->auth_password, &oom);
  srv->auth_realm = dup_or_null(o->auth_realm ? o->auth_realm : "sipspec", &oom);
  srv->mrcp_addr = dup_or_null(o->mrcp.addr ? o->mrcp.addr : o->listen_host, &oom);
  srv->mrcp_session_id = dup_or_null(o->mrcp.session_id, &oom);
  unsigned rtp_n = rtp_count(srv); /* the ports live calls hold, a bit each */
  if (rtp_n && !(srv->rtp_used = calloc((rtp_n + 7) / 8, 1))) oom = 1;
  if (oom) {
    sipspec_server_destroy(srv);
    return SIPSPEC_E_NOMEM;
  }
  /* The copies replace the caller's strings; nothing of the caller's is kept. */
  srv->o.listen_host = srv->listen_host;
  srv->o.user_agent = srv->user_agent;
  srv->o.auth_user = srv->auth_user;
  srv->o.auth_password = NULL;
  srv->o.auth_realm = srv->auth_realm;
  srv->o.mrcp.addr = srv->mrcp_addr;
  srv->o.mrcp.session_id = srv->mrcp_session_id;
  snprintf(srv->warn_host, sizeof srv->warn_host, strchr(srv->listen_host, ':') && srv->listen_host[0] != '[' ? "[%s]" : "%s",
           srv->listen_host);
  if (o->contact_host) /* an IPv6 literal goes in brackets (RFC 3261 25.1 IPv6reference) */
    snprintf(srv->contact_host, sizeof srv->contact_host, strchr(o->contact_host, ':') ? "[%s]" : "%s", o->contact_host);
  else
    snprintf(srv->contact_host, sizeof srv->contact_host, "%s", srv->warn_host);
  srv->o.contact_host = NULL; /* the caller's string is not kept */
  rc = srv_header_lines(srv, err, errlen);
  if (rc) {
    sipspec_server_destroy(srv);
    return rc;
  }
  sipspec_telemetry_init(&srv->tel);

  sipspec_tsx_layer_callbacks cb = {0};
  cb.on_request = on_request;
  cb.on_ack = on_ack;
  cb.user = srv;
  rc = sipspec_tsx_layer_create(loop, &srv->o.cfg, &srv->tel, &cb, &srv->layer);
  if (!rc) rc = sipspec_tsx_layer_use_clock(srv->layer, srv->clock);
  if (rc) {
    sipspec_server_destroy(srv);
    return fail(err, errlen, rc, "cannot create the transaction layer");
  }
  /* The first transport takes listen_port (0: an ephemeral one); the second the same port. */
  sipspec_tp_kind first = srv->o.cfg.transport;
  rc = open_transport(srv, first, srv->o.listen_port, err, errlen);
  if (!rc && srv->o.both_transports) {
    sipspec_sockaddr a;
    rc = sipspec_transport_bound_addr(sipspec_tsx_layer_transport(srv->layer, first), &a);
    if (!rc)
      rc = open_transport(srv, first == SIPSPEC_TP_UDP ? SIPSPEC_TP_TCP : SIPSPEC_TP_UDP, sipspec_sockaddr_port(&a),
                          err, errlen);
  }
  if (!rc && srv->o.tls.cert_file[0]) /* RFC 3261 26.2.1: TLS beside UDP and TCP, on its own port */
    rc = open_transport(srv, SIPSPEC_TP_TLS, srv->o.tls_port, err, errlen);
  if (!rc) {
    sipspec_resolver_opts ro = {0};
    ro.hosts_path = o->hosts_path;
    ro.dns = strcmp(srv->o.cfg.dns_servers, "none") != 0; /* "none": the hosts file only */
    ro.dns_servers = srv->o.cfg.dns_servers[0] ? srv->o.cfg.dns_servers : NULL;
    ro.clock = srv->clock;
    rc = sipspec_resolver_create(loop, &ro, &srv->resolver, err, errlen);
  }
  srv->o.hosts_path = NULL; /* read by the resolver; not kept */
  if (!rc && srv->auth_user) rc = srv_auth_create(srv, err, errlen);
  if (srv->auth_password) { /* hashed by the verifier; not kept */
    memset(srv->auth_password, 0, strlen(srv->auth_password));
    free(srv->auth_password);
    srv->auth_password = NULL;
  }
  if (rc) {
    sipspec_server_destroy(srv);
    return rc;
  }
  *out = srv;
  return SIPSPEC_OK;
}

void sipspec_server_destroy(sipspec_server *srv) {
  if (!srv) return;
  if (srv->clock) sipspec_clock_reap_owner(srv->clock, srv);
  for (uint32_t i = 0; i < SRV_CALL_BUCKETS; i++)
    while (srv->by_call_id[i]) {
      srv_call *c = srv->by_call_id[i];
      srv->by_call_id[i] = c->hnext;
      srv_call_free(c);
    }
  free(srv->rtp_used);
  sipspec_tsx_layer_destroy(srv->layer);
  sipspec_resolver_destroy(srv->resolver);
  sipspec_digest_server_destroy(srv->auth);
  free(srv->auth_scratch);
  free(srv->listen_host);
  free(srv->user_agent);
  free(srv->server_line);
  free(srv->ua_line);
  free(srv->auth_user);
  if (srv->auth_password) {
    memset(srv->auth_password, 0, strlen(srv->auth_password));
    free(srv->auth_password);
  }
  free(srv->auth_realm);
  free(srv->mrcp_addr);
  free(srv->mrcp_session_id);
  sipspec_clock_free(srv->own_clock);
  free(srv);
}

void sipspec_server_shutdown(sipspec_server *srv) {
  if (!srv) return;
  srv->shutting_down = 1;
  /* the next call is taken before: a call that ends at once leaves its bucket */
  for (srv_call *c = srv_calls_next(srv, NULL), *next; c; c = next) {
    next = srv_calls_next(srv, c);
    srv_call_shutdown(c);
  }
}

int sipspec_server_idle(const sipspec_server *srv) {
  if (!srv) return 1;
  if (srv->n_calls) return 0;
  sipspec_tsx_stats ts;
  sipspec_tsx_layer_stats(srv->layer, &ts);
  return ts.live <= srv->dropped_live;
}

int sipspec_server_bound_addr(const sipspec_server *srv, sipspec_tp_kind kind, sipspec_sockaddr *out) {
  if (!srv || !out) return SIPSPEC_E_INVAL;
  sipspec_transport *tp = sipspec_tsx_layer_transport(srv->layer, kind);
  if (!tp) return SIPSPEC_E_NOTFOUND;
  return sipspec_transport_bound_addr(tp, out);
}

void sipspec_server_stats_get(const sipspec_server *srv, sipspec_server_stats *out) {
  if (!out) return;
  if (!srv) {
    memset(out, 0, sizeof *out);
    return;
  }
  *out = srv->st;
}

const sipspec_telemetry *sipspec_server_telemetry(const sipspec_server *srv) { return srv ? &srv->tel : NULL; }
