/* session/ua.c: the user agent of sipspec/ua.h: its transports and transaction layer, and
 * everything that arrives outside a transaction of ours.
 *
 * The layer gives us three kinds of input besides our own client transactions' responses:
 * new requests (a server transaction each), ACKs that no INVITE server transaction took,
 * and stray responses. Requests are routed to the session whose dialog they match (RFC
 * 3261 12.2.2); a request naming a dialog we do not know gets 481 (12.2.2), an OPTIONS
 * outside any dialog 200 with our Allow list (11.2), a new INVITE 603 (this user agent
 * does not take calls). A stray 2xx to one of our INVITEs (its transaction already gone
 * after Timer M) is ACKed again (13.2.2.4), also when it comes from another fork. The ACK
 * for a 2xx of ours (to a server's re-INVITE) goes to its session, which stops sending that
 * 2xx again (13.3.1.4). Terminated sessions are unlinked at once and
 * freed on a zero-delay timer, after the callbacks that saw them have returned.
 */
#include <stddef.h>
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/transport_trace.h"
#include "session/session_internal.h"
#include "sipspec/chart_dialog.h"
#include "sipspec/chart_uac_session.h"

#ifndef SIPSPEC_VERSION
#error "SIPSPEC_VERSION (the project version) comes from CMake, see the top-level CMakeLists.txt"
#endif


void sipspec_ua_opts_init(sipspec_ua_opts *o) {
  memset(o, 0, sizeof *o);
  sipspec_config_init(&o->cfg);
  sipspec_tls_config_init(&o->tls);
  sipspec_digest_client_config_init(&o->auth);
}

const char *sipspec_result_name(sipspec_result r) {
  switch (r) {
  case SIPSPEC_RESULT_OK: return "ok";
  case SIPSPEC_RESULT_REJECTED: return "rejected";
  case SIPSPEC_RESULT_TIMEOUT: return "timeout";
  case SIPSPEC_RESULT_TRANSPORT_ERROR: return "transport-error";
  case SIPSPEC_RESULT_AUTH_FAILED: return "auth-failed";
  case SIPSPEC_RESULT_CANCELLED: return "cancelled";
  case SIPSPEC_RESULT_BAD_ANSWER: return "bad-answer";
  case SIPSPEC_RESULT_DNS_FAILED: return "dns-failed";
  case SIPSPEC_RESULT_TLS_FAILED: return "tls-failed";
  }
  return "?";
}

const char *sipspec_end_reason_name(sipspec_end_reason r) {
  switch (r) {
  case SIPSPEC_END_NONE: return "none";
  case SIPSPEC_END_LOCAL: return "local";
  case SIPSPEC_END_PEER: return "peer";
  case SIPSPEC_END_ERROR: return "error";
  }
  return "?";
}

/* ---- addresses ----------------------------------------------------------------------------- */

void ua_hop_addr(sipspec_session *s, const char *uri, sipspec_sockaddr *out) {
  sipspec_uri u;
  *out = session_dest(s);
  if (!uri || sipspec_uri_parse(uri, strlen(uri), &u, NULL) != SIPSPEC_OK) return;
  if (u.host_kind != SIPSPEC_HOST_IPV4 && u.host_kind != SIPSPEC_HOST_IPV6) return;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  if (u.host.len >= sizeof host) return;
  memcpy(host, u.host.p, u.host.len);
  host[u.host.len] = '\0';
  sipspec_sockaddr a;
  unsigned dflt = u.kind == SIPSPEC_URI_SIPS ? 5061u : 5060u; /* RFC 3261 19.1.2 */
  if (sipspec_sockaddr_set(&a, host, u.port > 0 ? (unsigned)u.port : dflt) != SIPSPEC_OK) return;
  *out = a;
  /* TLS: a hop at another address (the remote target, a Record-Route) must prove the domain
   * the session was asked for (RFC 5922 §7.3), not the IP literal of the Contact: the same
   * name is set for that address, so a connection there is checked, and kept, for it. */
  sipspec_uri t;
  char name[256];
  sipspec_transport *tp = s->kind == SIPSPEC_TP_TLS ? sipspec_tsx_layer_transport(s->ua->layer, s->kind) : NULL;
  sipspec_sockaddr dest = session_dest(s);
  if (tp && !sipspec_sockaddr_equal(&a, &dest) &&
      sipspec_uri_parse(s->target, strlen(s->target), &t, NULL) == SIPSPEC_OK && t.host.len < sizeof name) {
    memcpy(name, t.host.p, t.host.len);
    name[t.host.len] = '\0';
    (void)sipspec_transport_set_peer_name(tp, &a, name);
  }
}

/* ---- session list ------------------------------------------------------------------------ */

void ua_session_link(sipspec_ua *ua, sipspec_session *s) {
  s->prev = NULL;
  s->next = ua->live;
  if (ua->live) ua->live->prev = s;
  ua->live = s;
  ua->n_live++;
}

/* A buried session is freed by the clock once the callbacks on the stack have returned. */
static void session_grave_free(sipspec_clock_grave *g) {
  session_free((sipspec_session *)((char *)g - offsetof(sipspec_session, grave)));
}

void ua_session_bury(sipspec_ua *ua, sipspec_session *s) {
  if (s->prev) s->prev->next = s->next;
  else ua->live = s->next;
  if (s->next) s->next->prev = s->prev;
  ua->n_live--;
  s->prev = s->next = NULL;
  sipspec_clock_bury(ua->clock, &s->grave, ua, session_grave_free);
}

/* Responds to t with status and our Allow (RFC 3261 20.5), with accept: and Accept (11.2:
 * what an OPTIONS answer lists), written with the builder. */
void session_respond_allow(sipspec_tsx *t, int status, int accept) {
  char h[160];
  sipspec_build b;
  sipspec_build_init(&b, h, sizeof h - 1);
  sipspec_build_header(&b, sipspec_span_z("Allow"), sipspec_span_z(SESSION_ALLOW));
  if (accept) sipspec_build_header(&b, sipspec_span_z("Accept"), sipspec_span_z("application/sdp"));
  h[b.err ? 0 : b.len] = '\0';
  sipspec_tsx_respond(t, status, NULL, h, NULL, 0);
}

/* ---- the layer's callbacks -------------------------------------------------------------- */

static sipspec_session *find_session(sipspec_ua *ua, const sipspec_msg *m, int is_request) {
  for (sipspec_session *s = ua->live; s; s = s->next)
    if (session_matches(s, m, is_request)) return s;
  return NULL;
}

static void on_request(sipspec_tsx *t, const sipspec_msg *req, void *user) {
  sipspec_ua *ua = user;
  sipspec_addr to;
  int has_to_tag = sipspec_msg_to(req, &to) == SIPSPEC_OK && to.tag.len > 0;
  sipspec_session *s = has_to_tag ? find_session(ua, req, 1) : NULL;
  if (s) {
    session_rx_request(s, t, req);
    return;
  }
  sipspec_method m = sipspec_msg_method(req);
  if (has_to_tag || m == SIPSPEC_METHOD_BYE || m == SIPSPEC_METHOD_CANCEL) {
    sipspec_tsx_respond(t, 481, "Call/Transaction Does Not Exist", NULL, NULL, 0);
  } else if (m == SIPSPEC_METHOD_OPTIONS) {
    session_respond_allow(t, 200, 1);
  } else if (m == SIPSPEC_METHOD_INVITE) {
    sipspec_tsx_respond(t, 603, "Decline", NULL, NULL, 0);
  } else {
    session_respond_allow(t, 405, 0);
  }
}

/* An ACK no server transaction took: the ACK for a 2xx of ours (RFC 3261 17.2.3, RFC 6026
 * 8.7), for the session whose dialog it names; any other is dropped (ACKs get no answer). */
static void on_ack(sipspec_tsx_layer *l, const sipspec_msg *ack, sipspec_transport *tp, const sipspec_sockaddr *from,
                   void *user) {
  sipspec_ua *ua = user;
  (void)l, (void)tp, (void)from;
  sipspec_session *s = find_session(ua, ack, 1);
  if (s) session_rx_ack(s, ack);
}

static void on_stray_response(sipspec_tsx_layer *l, const sipspec_msg *resp, sipspec_transport *tp,
                              const sipspec_sockaddr *from, void *user) {
  sipspec_ua *ua = user;
  (void)l, (void)tp, (void)from;
  int st = sipspec_msg_status(resp);
  if (st < 200 || st >= 300 || sipspec_msg_cseq_method(resp) != SIPSPEC_METHOD_INVITE) return;
  sipspec_session *s = find_session(ua, resp, 0);
  for (sipspec_session *o = ua->live; !s && o; o = o->next) /* another fork's 2xx */
    if (session_matches_call(o, resp)) s = o;
  if (s) session_stray_2xx(s, resp);
}

/* ---- creation ----------------------------------------------------------------------------- */

static int dup_opt(char **dst, const char *src, const char *dflt) {
  const char *v = src && *src ? src : dflt;
  *dst = NULL;
  if (!v) return SIPSPEC_OK;
  return (*dst = strdup(v)) ? SIPSPEC_OK : SIPSPEC_E_NOMEM;
}

static int token_ok(const char *s) {
  if (!s) return 1;
  for (; *s; s++)
    if ((unsigned char)*s < 0x21 || *s == '@' || *s == ':' || *s == '<' || *s == '>' || *s == ';' || *s == '"')
      return 0;
  return 1;
}

static int text_ok(const char *s) {
  if (!s) return 1;
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == '"' || *s == '\\') return 0;
  return 1;
}

static void set_err(char *err, size_t errlen, const char *msg) {
  if (err && errlen) snprintf(err, errlen, "%s", msg);
}

/* Opens the layer's transport of kind; with a trace, the traced twin of it
 * (net/transport_trace.h), so that every message sent or received reaches the trace:
 * retransmissions, the ACKs and responses the transaction layer sends by itself, and what
 * it absorbs. */
static int open_transport(sipspec_ua *ua, sipspec_tp_kind kind, const sipspec_transport_opts *to, char *err,
                          size_t errlen) {
  const sipspec_transport_type *type = ua->trace ? sipspec_tp_trace_type(kind) : sipspec_transport_type_for(kind);
  sipspec_transport *tp = NULL;
  int rc = sipspec_tsx_layer_open_transport(ua->layer, type, to, &tp, err, errlen);
  if (!rc && ua->trace) rc = sipspec_tp_trace_set(tp, ua->trace, ua->trace_user);
  return rc;
}

int sipspec_ua_create(struct ev_loop *loop, const sipspec_ua_opts *o, sipspec_ua **out, char *err,
                      size_t errlen) {
  if (out) *out = NULL;
  if (!loop || !o || !out) {
    set_err(err, errlen, "sipspec_ua_create: loop, options and out are required");
    return SIPSPEC_E_INVAL;
  }
  if (!token_ok(o->from_user) || (o->from_user && !*o->from_user)) {
    set_err(err, errlen, "from_user: must be a non-empty SIP user token (no spaces, '@', ':', '<', '>', ';')");
    return SIPSPEC_E_INVAL;
  }
  if (!text_ok(o->display_name) || !text_ok(o->user_agent)) {
    set_err(err, errlen, "display_name / user_agent: control characters, quotes and backslashes are not allowed");
    return SIPSPEC_E_INVAL;
  }
  if (o->cfg.transport != SIPSPEC_TP_UDP && o->cfg.transport != SIPSPEC_TP_TCP && o->cfg.transport != SIPSPEC_TP_TLS) {
    set_err(err, errlen, "transport: must be udp, tcp or tls");
    return SIPSPEC_E_CONFIG;
  }
  if (!o->cfg.t1_ms || !o->cfg.t2_ms || !o->cfg.t4_ms || o->cfg.t2_ms < o->cfg.t1_ms) {
    set_err(err, errlen, "timers: T1, T2 and T4 must be nonzero and T2 >= T1");
    return SIPSPEC_E_CONFIG;
  }
  sipspec_ua *ua = calloc(1, sizeof *ua);
  if (!ua) return SIPSPEC_E_NOMEM;
  ua->loop = loop;
  ua->cfg = o->cfg;
  ua->bind_port = o->bind_port;
  ua->auth = o->auth;
  ua->have_auth = o->auth.get_credentials || (o->auth.table && o->auth.table_len);
  ua->trace = o->trace;
  ua->trace_user = o->trace_user;
  const char *dflt_ua = "sipspec/" SIPSPEC_VERSION;
  ua->clock = o->clock;
  int rc = SIPSPEC_OK;
  if (ua->clock && sipspec_clock_loop(ua->clock) != loop) {
    set_err(err, errlen, "clock: runs on another loop");
    free(ua);
    return SIPSPEC_E_INVAL;
  }
  if (!ua->clock && !(ua->clock = ua->own_clock = sipspec_clock_libev_new(loop))) rc = SIPSPEC_E_NOMEM;
  if (!rc) rc = dup_opt(&ua->bind_host, o->bind_host, "0.0.0.0");
  if (!rc) rc = dup_opt(&ua->from_user, o->from_user, "sipspec");
  if (!rc) rc = dup_opt(&ua->display_name, o->display_name, NULL);
  if (!rc) rc = dup_opt(&ua->user_agent, o->user_agent, dflt_ua);
  if (!rc) rc = sipspec_msg_create(&ua->scratch, NULL);
  sipspec_tsx_layer_callbacks lcb = {on_request, on_ack, on_stray_response, ua};
  if (!rc) rc = sipspec_tsx_layer_create(loop, &ua->cfg, &ua->tel, &lcb, &ua->layer);
  if (!rc) rc = sipspec_tsx_layer_use_clock(ua->layer, ua->clock);
  sipspec_resolver_opts ro = {0};
  ro.hosts_path = o->hosts_path;
  ro.dns = strcmp(ua->cfg.dns_servers, "none") != 0; /* "none": the hosts file only */
  ro.dns_servers = ua->cfg.dns_servers[0] ? ua->cfg.dns_servers : NULL;
  ro.clock = ua->clock;
  ro.tls = 1; /* SIPS+D2T and _sips._tcp may be chosen; a target over a transport not open is skipped */
  if (!rc) rc = sipspec_resolver_create(loop, &ro, &ua->resolver, err, errlen);
  if (rc) {
    if (rc == SIPSPEC_E_NOMEM) set_err(err, errlen, "out of memory");
    sipspec_ua_destroy(ua);
    return rc;
  }
  sipspec_transport_opts to;
  sipspec_transport_opts_init(&to);
  to.bind_host = ua->bind_host;
  to.bind_port = ua->bind_port;
  to.clock = ua->clock;
  to.max_datagram = ua->cfg.udp_max_size ? ua->cfg.udp_max_size : SIPSPEC_DEFAULT_UDP_MAX_SIZE;
  to.keepalive_ms = ua->cfg.keepalive_ms; /* TCP and TLS (RFC 5626 4.4.1) */
  to.tel = &ua->tel;
  if (ua->cfg.transport == SIPSPEC_TP_UDP)
    rc = open_transport(ua, SIPSPEC_TP_UDP, &to, err, errlen);
  if (!rc && (ua->cfg.transport == SIPSPEC_TP_TCP || ua->cfg.tcp_enabled)) {
    /* Listening gives TCP a fixed local port for Via and Contact, and lets the peer open
     * a connection back for its requests (RFC 3261 18.1.1, 18.2.2). With UDP too, the
     * ephemeral UDP port is reused when free. */
    sipspec_transport_opts tt = to;
    tt.listen = 1;
    if (ua->cfg.transport == SIPSPEC_TP_UDP && !ua->bind_port) {
      sipspec_sockaddr ba;
      sipspec_transport *udp = sipspec_tsx_layer_transport(ua->layer, SIPSPEC_TP_UDP);
      if (udp && sipspec_transport_bound_addr(udp, &ba) == SIPSPEC_OK) tt.bind_port = sipspec_sockaddr_port(&ba);
      rc = open_transport(ua, SIPSPEC_TP_TCP, &tt, err, errlen);
      if (rc) { /* that port is taken for TCP: any port */
        tt.bind_port = 0;
        rc = open_transport(ua, SIPSPEC_TP_TCP, &tt, err, errlen);
      }
    } else {
      rc = open_transport(ua, SIPSPEC_TP_TCP, &tt, err, errlen);
    }
    if (rc && ua->cfg.transport == SIPSPEC_TP_UDP) rc = SIPSPEC_OK; /* UDP still works */
  }
  if (!rc && ua->cfg.transport == SIPSPEC_TP_TLS) {
    /* TLS listens too (a fixed port for Via and Contact; it accepts handshakes only with
     * MRCP_SIP_TLS_CERT); a bad certificate, key or CA file fails here, naming the files. */
    sipspec_transport_opts tt = to;
    tt.listen = 1;
    tt.tls = &o->tls;
    tt.tel = &ua->tel;
    rc = open_transport(ua, SIPSPEC_TP_TLS, &tt, err, errlen);
  }
  if (rc) {
    sipspec_ua_destroy(ua);
    return rc;
  }
  *out = ua;
  return SIPSPEC_OK;
}

void sipspec_ua_destroy(sipspec_ua *ua) {
  if (!ua) return;
  while (ua->live) {
    sipspec_session *s = ua->live;
    ua->live = s->next;
    session_free(s);
  }
  if (ua->clock) sipspec_clock_reap_owner(ua->clock, ua);
  sipspec_tsx_layer_destroy(ua->layer);
  sipspec_resolver_destroy(ua->resolver);
  sipspec_msg_destroy(ua->scratch);
  free(ua->bind_host);
  free(ua->from_user);
  free(ua->display_name);
  free(ua->user_agent);
  sipspec_clock_free(ua->own_clock);
  free(ua);
}

const sipspec_telemetry *sipspec_ua_telemetry(const sipspec_ua *ua) { return &ua->tel; }

int sipspec_ua_bound_addr(const sipspec_ua *ua, sipspec_tp_kind kind, sipspec_sockaddr *out) {
  if (!ua || !out || (unsigned)kind > SIPSPEC_TP_TLS) return SIPSPEC_E_INVAL;
  sipspec_transport *tp = sipspec_tsx_layer_transport(ua->layer, kind);
  if (!tp) return SIPSPEC_E_TSX_NO_TRANSPORT;
  return sipspec_transport_bound_addr(tp, out);
}

struct ev_loop *sipspec_ua_loop(const sipspec_ua *ua) { return ua->loop; }
size_t sipspec_ua_live_sessions(const sipspec_ua *ua) { return ua->n_live; }
