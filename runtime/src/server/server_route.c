/* server/server_route.c: where the requests the embedded server sends in a dialog (its BYE)
 * go, and the Via they carry.
 *
 * The dialog layer (session/dialog.h) builds the request and names its next hop, the URI
 * RFC 3261 12.2.1.1 and 8.1.2 send it to: the first route of the route set, else the
 * remote target (the client's Contact). This file turns that URI into a transport and an
 * address as RFC 3263 4 does for a SIP URI without NAPTR/SRV records: the transport
 * parameter (udp or tcp), else UDP; the port, else 5060; an IP literal as it is, a name
 * through the resolver (sipspec/resolver.h, never blocking the loop).
 *
 * A client behind a NAT writes an address into Contact (and Via) that the server cannot
 * reach. When the INVITE's top Via names another address than the one it came from, which
 * is when a server adds received/rport (RFC 3261 18.2.1, RFC 3581 4), and no proxy
 * Record-Routed the dialog, the request goes back over the flow the INVITE came in on:
 * same transport, same source address and port, the connection itself for TCP, as
 * responses do (18.2.2, RFC 3581) and as RFC 5626 does for requests toward a registered
 * flow. The flow is also the fallback when the next hop cannot be used (a name that does
 * not resolve, a sips: or unparsable URI, a transport the server does not listen on).
 * A session refresh (RFC 4028) goes at once: to the next hop when it is the flow or an IP
 * literal, else over the flow.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "server/server_internal.h"
#include "sipspec/chart_uas_call.h"

/* The host of a span (IP literal or name) as a NUL-terminated string; 0 when too long. */
static int host_copy(sipspec_span h, char *out, size_t cap) {
  if (!h.len || h.len >= cap) return 0;
  memcpy(out, h.p, h.len);
  out[h.len] = '\0';
  return 1;
}

int srv_route_behind_nat(const sipspec_msg *invite, const sipspec_sockaddr *src) {
  sipspec_via v;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  sipspec_sockaddr sent_by;
  if (sipspec_msg_via(invite, 0, &v) != SIPSPEC_OK) return 1;
  /* A name in sent-by is not the source either (18.2.1 adds received for it). */
  if (!host_copy(v.host, host, sizeof host) ||
      sipspec_sockaddr_set(&sent_by, host, v.port > 0 ? (unsigned)v.port : 5060) != SIPSPEC_OK)
    return 1;
  return !sipspec_sockaddr_equal(&sent_by, src);
}

static void use_flow(srv_call *c) {
  c->ext->bye_kind = c->kind;
  c->ext->bye_dest = c->peer;
}

static void resolved_cb(int status, const sipspec_sockaddr *addrs, size_t n, void *arg) {
  srv_call *c = arg;
  c->ext->query = NULL;
  if (status == SIPSPEC_OK && n >= 1) c->ext->bye_dest = ip_addr_put(&addrs[0]);
  else use_flow(c); /* a name that does not resolve: the flow (see the file comment) */
  srv_call_route_ready(c);
}

/* The next hop of c's dialog into *kind / *dest (the flow when it cannot be used, see the
 * file comment). Returns 1 when it is a name to resolve (host, port and *kind set; *dest
 * the flow meanwhile), else 0. */
static int next_hop(srv_call *c, uint8_t *kind, ip_addr *dest, char *host, size_t cap, unsigned *port) {
  sipspec_server *srv = c->srv;
  *kind = c->kind;
  *dest = c->peer;
  if (c->behind_nat && sipspec_dialog_route_count(c->dlg) == 0) return 0;
  const char *hop = sipspec_dialog_next_hop(c->dlg);
  sipspec_uri u;
  if (!hop || sipspec_uri_parse(hop, strlen(hop), &u, NULL) != SIPSPEC_OK || u.kind != SIPSPEC_URI_SIP ||
      !host_copy(u.host, host, cap))
    return 0; /* sips: (no TLS here), tel:, unparsable: the flow */
  sipspec_tp_kind k = SIPSPEC_TP_UDP; /* RFC 3263 4.1: no transport parameter: UDP */
  if (u.transport.len) {
    if (sipspec_span_ieq(u.transport, "udp")) k = SIPSPEC_TP_UDP;
    else if (sipspec_span_ieq(u.transport, "tcp")) k = SIPSPEC_TP_TCP;
    else k = SIPSPEC_TP_TLS; /* tls, sctp, ws...: not served here */
  }
  if (k == SIPSPEC_TP_TLS || !sipspec_tsx_layer_transport(srv->layer, k)) return 0;
  *port = u.port > 0 ? (unsigned)u.port : 5060;
  if (u.host_kind != SIPSPEC_HOST_NAME) {
    sipspec_sockaddr a;
    if (sipspec_sockaddr_set(&a, host, *port) == SIPSPEC_OK) *kind = (uint8_t)k, *dest = ip_addr_put(&a);
    return 0;
  }
  *kind = (uint8_t)k;
  return 1;
}

int srv_call_kind_init(sipspec_server *srv, host_timers_fire_fn fire) {
  if (srv->call_kind_ready) return SIPSPEC_OK;
  /* RING is ring_interval_ms (0: the chart's 0ms), BYE bye_after_ms (0: never); values the
   * options already checked (at most an hour) */
  sipspec_timer_values tv = {srv->o.cfg.t1_ms, srv->o.cfg.t2_ms, srv->o.cfg.t4_ms};
  host_timer_kind *k = &srv->call_kind;
  int rc = host_timer_kind_init(k, srv->clock, &sipspec_chart_uas_call, &tv, 0, fire);
  if (!rc) rc = sipspec_fsm_timer_conf_set(&k->conf, SIPSPEC_EV_TIMER_RING, srv->o.ring_interval_ms);
  if (!rc) rc = sipspec_fsm_timer_conf_set(&k->conf, SIPSPEC_EV_TIMER_BYE, srv->o.bye_after_ms);
  if (!rc) rc = sipspec_fsm_timer_conf_off(&k->conf, SIPSPEC_EV_TIMER_BYE, srv->o.bye_after_ms == 0);
  /* REFRESH and EXPIRE are set before each start (call_act_take_interval); shared: those of
   * the interval the server's configuration names, the one most clients ask for (RFC 4028
   * 9, 10), so that most calls need no conf of their own */
  unsigned se = srv->o.cfg.session_expires_s, before = se / 3 < 32 ? se / 3 : 32;
  if (!rc && se) rc = sipspec_fsm_timer_conf_set(&k->conf, SIPSPEC_EV_TIMER_REFRESH, se * 500u);
  if (!rc && se) rc = sipspec_fsm_timer_conf_set(&k->conf, SIPSPEC_EV_TIMER_EXPIRE, (se - before) * 1000u);
  if (!rc) srv->call_kind_ready = 1;
  return rc;
}

void srv_route_next_hop(srv_call *c) {
  sipspec_server *srv = c->srv;
  srv_call_ext *x = srv_call_ext_get(c);
  if (!x) { /* without memory: the BYE cannot be sent (call_act_send_bye says so) */
    srv_call_route_ready(c);
    return;
  }
  if (x->query) return; /* already on its way */
  char host[256];
  unsigned port = 5060;
  int name = next_hop(c, &x->bye_kind, &x->bye_dest, host, sizeof host, &port);
  if (name && srv->resolver &&
      sipspec_resolve(srv->resolver, host, port, (sipspec_tp_kind)x->bye_kind, resolved_cb, c, &x->query) == SIPSPEC_OK)
    return;
  if (name) {
    x->query = NULL;
    use_flow(c);
  }
  srv_call_route_ready(c);
}

void srv_route_refresh(srv_call *c) {
  char host[256];
  unsigned port = 5060;
  srv_call_ext *x = srv_call_ext_get(c);
  if (x && next_hop(c, &x->req_kind, &x->req_dest, host, sizeof host, &port)) {
    x->req_kind = c->kind; /* a name: the flow (the resolver answers later; a refresh goes now) */
    x->req_dest = c->peer;
  }
}

void srv_route_cancel(srv_call *c) {
  if (!c->ext || !c->ext->query) return;
  sipspec_resolve_cancel(c->srv->resolver, c->ext->query);
  c->ext->query = NULL;
}

int srv_route_via(sipspec_server *srv, sipspec_tp_kind kind, const sipspec_sockaddr *dest, char *out, size_t cap) {
  sipspec_transport *tp = sipspec_tsx_layer_transport(srv->layer, kind);
  sipspec_sockaddr local;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  if (!tp) return SIPSPEC_E_NOTFOUND;
  int rc = sipspec_transport_local_addr(tp, dest, &local);
  if (rc) return rc;
  sipspec_sockaddr_host(&local, host, sizeof host);
  int v6 = sipspec_sockaddr_family(&local) == AF_INET6;
  /* "SIP/2.0/UDP host:port;rport", without snprintf (one per request the server sends) */
  char port[8];
  size_t np = 0;
  for (unsigned v = sipspec_sockaddr_port(&local); np == 0 || v; v /= 10) port[sizeof port - 1 - np++] = (char)('0' + v % 10);
  size_t nh = strlen(host), n = 12 + (size_t)v6 * 2 + nh + 1 + np + 6;
  if (n >= cap) return SIPSPEC_E_RANGE;
  char *w = out;
  memcpy(w, "SIP/2.0/", 8);
  memcpy(w + 8, kind == SIPSPEC_TP_TLS ? "TLS " : kind == SIPSPEC_TP_TCP ? "TCP " : "UDP ", 4);
  w += 12;
  if (v6) *w++ = '[';
  memcpy(w, host, nh);
  w += nh;
  if (v6) *w++ = ']';
  *w++ = ':';
  memcpy(w, port + sizeof port - np, np);
  w += np;
  memcpy(w, ";rport", 7);
  return SIPSPEC_OK;
}
