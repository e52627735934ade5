/* session/session_api.c: the public session API (sipspec/session.h): starting a session
 * (the target located per RFC 3263, the local address, identifiers and offer), ending it,
 * in-dialog requests and resource changes, and API calls made from inside callbacks, which
 * wait until the callbacks return. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/session_internal.h"
#include "random_pool.h"
#include "sdp/mrcp_internal.h"
#include "sipspec/chart_uac_session.h"
#include "sipspec/chart_uac_update.h"

int sipspec_session_target(const sipspec_session *s, unsigned i, sipspec_sockaddr *addr, sipspec_tp_kind *tp,
                           const char **left) {
  if (!s || i >= s->ntargets || i > s->target_i) return SIPSPEC_E_RANGE;
  if (addr) *addr = s->targets[i].addr;
  if (tp) *tp = s->targets[i].tp;
  if (left) *left = s->targets[i].left;
  return SIPSPEC_OK;
}
/* ---- the API ------------------------------------------------------------------------------ */

static void run_calls(void *obj);

void sipspec_session_opts_init(sipspec_session_opts *o) { memset(o, 0, sizeof *o); }

static int random_hex(char *out, size_t nbytes) {
  return sipspec_random_hex(out, nbytes) == SIPSPEC_OK ? SIPSPEC_OK : SIPSPEC_E_IO;
}

static int target_avoided(const sipspec_ua *ua, const sipspec_target *t) {
  uint64_t now = sipspec_clock_now_ms(ua->clock);
  for (size_t i = 0; i < sizeof ua->avoided / sizeof ua->avoided[0]; i++)
    if (ua->avoided[i].until > now && ua->avoided[i].tp == t->tp && sipspec_sockaddr_equal(&ua->avoided[i].addr, &t->addr))
      return 1;
  return 0;
}

const session_cbs session_cbs_none;

void session_setup_free(sipspec_session *s) {
  session_setup *su = s->setup;
  if (!su) return;
  if (su->query) sipspec_resolve_cancel(s->ua->resolver, su->query);
  free(su->offer);
  free(su->desc);
  free(su);
  s->setup = NULL;
}

const session_cbs *session_cbs_get(sipspec_ua *ua, const sipspec_session_callbacks *cb) {
  sipspec_session_callbacks fn = *cb;
  fn.user = NULL;
  session_cbs *c = ua->cbs;
  while (c && memcmp(&c->fn, &fn, sizeof fn)) c = c->next;
  if (!c) {
    if (!(c = calloc(1, sizeof *c))) return NULL;
    c->fn = fn;
    c->next = ua->cbs;
    ua->cbs = c;
  }
  c->refs++;
  return c;
}

void session_cbs_put(sipspec_ua *ua, const session_cbs *c) {
  if (!c || c == &session_cbs_none) return;
  session_cbs *w = (session_cbs *)c; /* the user agent's own */
  if (--w->refs) return;
  for (session_cbs **p = &ua->cbs; *p; p = &(*p)->next)
    if (*p == w) {
      *p = w->next;
      break;
    }
  free(w);
}

void session_free(sipspec_session *s) {
  if (!s) return;
  session_cbs_put(s->ua, s->cbs);
  if (s->calls_deferred) sipspec_clock_undefer(s->ua->clock, run_calls, s);
  host_timers_release(&s->timers);
  session_upd_free(s);
  host_timers_release(&s->st_timers);
  sipspec_dialog_destroy(s->dialog);
  free(s->targets);
  sipspec_digest_client_destroy(s->digest);
  sipspec_mrcp_session_destroy(s->mrcp);
  session_setup_free(s);
  free(s->call_id); /* the addressing block */
  free(s->reason);
  free(s->warning);
  free(s->bye_reason);
  free(s->st_hdrs);
  free(s->bye_extra);
  free(s->target);
  free(s->to_display);
  free(s->extra_headers);
  free(s->auth_headers);
  free(s->bye_auth);
  free(s->st_cred);
  free(s->local_sdp);
  free(s->remote_o);
  for (int i = 0; s->forks && i < SESSION_MAX_FORKS; i++) free(s->forks[i].ack);
  free(s->forks);
  session_tsx_release_all(s);
  free(s);
}

/* The user's extra header lines and To display name, checked now with the builder's rules
 * (the ones the INVITE is written with): 0 or the builder's SIPSPEC_E_BUILD_* code. */
static int user_fields_check(const sipspec_session_opts *o) {
  size_t cap = 2 * (strlen(o->target) + (o->extra_headers ? strlen(o->extra_headers) : 0) +
                    (o->to_display ? strlen(o->to_display) : 0)) + 64;
  char *buf = malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  sipspec_build b;
  sipspec_build_init(&b, buf, cap);
  if (o->extra_headers) sipspec_build_header_lines(&b, sipspec_span_z(o->extra_headers));
  if (o->to_display) {
    sipspec_addr_fields a = {sipspec_span_z(o->to_display), sipspec_span_z(o->target), {NULL, 0}, {NULL, 0}};
    sipspec_build_addr(&b, SIPSPEC_H_TO, &a);
  }
  free(buf);
  return b.err;
}

/* Addressing, identifiers and the offer, once the destination is known. */
/* The local address toward s->dest over s->kind: Via and Contact (RFC 3261 18.1.1, 8.1.1.8);
 * ip[] gets the address without brackets. */
size_t session_join(char *dst, size_t cap, const char *const *parts, size_t n) {
  size_t w = 0, total = 0;
  for (size_t i = 0; i < n; i++) {
    size_t k = strlen(parts[i]);
    total += k;
    if (w + 1 >= cap) continue;
    if (k > cap - 1 - w) k = cap - 1 - w;
    memcpy(dst + w, parts[i], k);
    w += k;
  }
  if (cap) dst[w] = '\0';
  return total;
}

#define join session_join

int session_address(sipspec_session *s, char *ip, size_t iplen) {
  sipspec_ua *ua = s->ua;
  sipspec_transport *tp = sipspec_tsx_layer_transport(ua->layer, s->kind);
  if (!tp) return SIPSPEC_E_TSX_NO_TRANSPORT;
  sipspec_sockaddr local;
  sipspec_sockaddr dest = session_dest(s);
  int rc = sipspec_transport_local_addr(tp, &dest, &local);
  if (rc) return rc;
  sipspec_sockaddr_host(&local, ip, iplen);
  int v6 = sipspec_sockaddr_family(&local) == AF_INET6;
  char host[SIPSPEC_SOCKADDR_STRLEN + 2];
  join(host, sizeof host, (const char *const[]){v6 ? "[" : "", ip, v6 ? "]" : ""}, 3);
  s->local_port = sipspec_sockaddr_port(&local);
  if ((rc = session_set_addressing(s, NULL, host))) return rc;
  if (s->kind == SIPSPEC_TP_TLS) { /* RFC 5922 §7.3: the domain of the URI is what the server proves */
    sipspec_uri u;
    char name[256];
    if (sipspec_uri_parse(s->target, strlen(s->target), &u, NULL) != SIPSPEC_OK || u.host.len >= sizeof name)
      return SIPSPEC_E_INVAL;
    memcpy(name, u.host.p, u.host.len);
    name[u.host.len] = '\0';
    if ((rc = sipspec_transport_set_peer_name(tp, &dest, name))) return rc;
  }
  return SIPSPEC_OK;
}

/* host:port of our address into buf (cap bytes). */
static void local_hostport(const sipspec_session *s, char *buf, size_t cap) {
  char port[12], *d = port + sizeof port;
  unsigned pn = s->local_port;
  *--d = '\0';
  do *--d = (char)('0' + pn % 10u);
  while ((pn /= 10u) != 0);
  join(buf, cap, (const char *const[]){s->local_host ? s->local_host : "", ":", d}, 3);
}

void session_via(const sipspec_session *s, char *buf, size_t cap) {
  static const char *const via_tp[] = {"UDP", "TCP", "TLS"};
  char hostport[SIPSPEC_SOCKADDR_STRLEN + 16];
  local_hostport(s, hostport, sizeof hostport);
  join(buf, cap, (const char *const[]){"SIP/2.0/", via_tp[s->kind], " ", hostport, ";rport"}, 5);
}

void session_contact(const sipspec_session *s, char *buf, size_t cap) {
  static const char *const contact_tp[] = {"", ";transport=tcp", ""};
  char hostport[SIPSPEC_SOCKADDR_STRLEN + 16];
  local_hostport(s, hostport, sizeof hostport);
  /* RFC 5630 §3.1.3 / RFC 3261 §8.1.1.8: over TLS the Contact is a sips: URI */
  join(buf, cap,
       (const char *const[]){s->kind == SIPSPEC_TP_TLS ? "sips:" : "sip:", s->ua->from_user, "@", hostport,
                             contact_tp[s->kind]},
       5);
}

int session_set_addressing(sipspec_session *s, const char *call_id, const char *local_host) {
  const char *v[2] = {call_id ? call_id : s->call_id, local_host ? local_host : s->local_host};
  size_t n[2], total = 0;
  for (int i = 0; i < 2; i++) total += (n[i] = v[i] ? strlen(v[i]) + 1 : 1);
  char *b = malloc(total), *p = b, **dst[2] = {&s->call_id, &s->local_host};
  if (!b) return SIPSPEC_E_NOMEM;
  char *at[2];
  for (int i = 0; i < 2; i++) {
    at[i] = p;
    if (v[i]) memcpy(p, v[i], n[i]);
    else *p = '\0';
    p += n[i];
  }
  free(s->call_id); /* the old block (the values were copied out of it above) */
  for (int i = 0; i < 2; i++) *dst[i] = at[i];
  return SIPSPEC_OK;
}

static int session_prepare(sipspec_session *s) {
  sipspec_ua *ua = s->ua;
  char ip[SIPSPEC_SOCKADDR_STRLEN];
  int rc = session_address(s, ip, sizeof ip);
  if (rc) return rc;
  char rnd[40], call_id[128];
  rc = random_hex(rnd, 16);
  if (!rc) {
    join(call_id, sizeof call_id, (const char *const[]){rnd, "@", s->local_host}, 3);
    rc = session_set_addressing(s, call_id, NULL);
  }
  if (!rc) rc = random_hex(s->from_tag, 8);
  session_setup *su = s->setup;
  if (!rc && su->desc) {
    /* the offer's address defaults to the local address toward the target */
    sipspec_mrcp_offer_desc d = *su->desc;
    if (!d.addr) d.addr = ip;
    char tmp[8192];
    size_t len = 0;
    sipspec_sdp_error e;
    memset(&e, 0, sizeof e);
    if (!(s->mrcp = sipspec_mrcp_session_create(&d))) rc = SIPSPEC_E_NOMEM;
    if (!rc) rc = sipspec_mrcp_session_offer(s->mrcp, tmp, sizeof tmp, &len, &e);
    if (!rc && !(su->offer = malloc(len ? len : 1))) rc = SIPSPEC_E_NOMEM;
    if (!rc) {
      memcpy(su->offer, tmp, len);
      su->offer_len = len;
    }
  }
  if (rc) return rc;
  /* RFC 3261 18.1.1: an INVITE too big for UDP goes over TCP (when TCP is open); the
   * credentials added below are still to come, so session_act_send_invite checks again. */
  sipspec_sockaddr tl;
  if (session_invite_needs_tcp(s, &tl)) session_move_to_tcp(s, &tl);
  if (ua->have_auth && !s->digest) {
    rc = sipspec_digest_client_create(&ua->auth, &s->digest);
    char *cred = NULL;
    if (!rc) rc = session_digest_begin(s, "INVITE", s->target, su->offer, su->offer_len, &cred);
    if (rc) return rc;
    s->auth_headers = cred;
  }
  return SIPSPEC_OK;
}

/* The targets for the URI's host (RFC 3263 4): the first one over a transport we have open
 * (the failover to the next ones is RFC 3263 4.3's, not done yet). */
static void located_cb(int status, const sipspec_target *t, size_t n, const char *why, void *arg) {
  sipspec_session *s = arg;
  s->setup->query = NULL;
  int rc = status;
  sipspec_resolver_stats st;
  sipspec_resolver_stats_get(s->ua->resolver, &st);
  s->ua->tel.sipDnsQueries = st.queries;
  s->ua->tel.sipDnsFailures = st.failures;
  /* the targets over a transport we have open, in order (RFC 3263 4.3), the ones that
   * failed lately last */
  if (!rc && n && !(s->targets = calloc(n, sizeof *s->targets))) rc = SIPSPEC_E_NOMEM;
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; !rc && i < n; i++)
      if (sipspec_tsx_layer_transport(s->ua->layer, t[i].tp) && target_avoided(s->ua, &t[i]) == pass) {
        s->targets[s->ntargets].addr = t[i].addr;
        s->targets[s->ntargets++].tp = t[i].tp;
      }
  if (!rc && !s->ntargets) rc = SIPSPEC_E_TSX_NO_TRANSPORT;
  if (!rc) {
    s->kind = s->targets[0].tp;
    s->dest = ip_addr_put(&s->targets[0].addr);
    rc = session_prepare(s);
  }
  if (!rc) {
    session_post(s, SIPSPEC_EV_TU_START, NULL);
    return;
  }
  s->status = 0;
  s->dns_failed = status == SIPSPEC_E_RESOLVE || status == SIPSPEC_E_DNS;
  if (s->dns_failed)
    session_reasonf(s, "cannot resolve the target: %s", why);
  else if (status == SIPSPEC_E_TSX_NO_TRANSPORT || rc == SIPSPEC_E_TSX_NO_TRANSPORT)
    session_reasonf(s, "no usable transport for the target%s%s", *why ? ": " : "", why);
  else
    session_reasonf(s, "cannot send: %s", sipspec_strerror(rc));
  session_post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL); /* Idle__TRANSPORT_ERR: nothing was sent */
}

int sipspec_session_start(sipspec_ua *ua, const sipspec_session_opts *o, sipspec_session **out) {
  if (out) *out = NULL;
  if (!ua || !o || !o->target || (!o->offer && (!o->sdp || !o->sdp_len))) return SIPSPEC_E_INVAL;
  sipspec_uri u;
  if (sipspec_uri_parse(o->target, strlen(o->target), &u, NULL) != SIPSPEC_OK ||
      (u.kind != SIPSPEC_URI_SIP && u.kind != SIPSPEC_URI_SIPS) ||
      !u.host.len || strpbrk(o->target, "\r\n<>\" "))
    return SIPSPEC_E_INVAL;
  int checked = user_fields_check(o);
  if (checked) return checked;
  /* The transport: cfg.transport, or the target's ;transport= (RFC 3261 19.1.1). */
  sipspec_tp_kind kind = ua->cfg.transport;
  if (u.transport.len == 3 && !strncasecmp(u.transport.p, "tcp", 3)) kind = SIPSPEC_TP_TCP;
  if (u.transport.len == 3 && !strncasecmp(u.transport.p, "udp", 3)) kind = SIPSPEC_TP_UDP;
  if (u.transport.len == 3 && !strncasecmp(u.transport.p, "tls", 3)) kind = SIPSPEC_TP_TLS;
  if (u.kind == SIPSPEC_URI_SIPS) kind = SIPSPEC_TP_TLS; /* RFC 5630 §3.1.1: sips: is TLS on every hop */
  if (!sipspec_tsx_layer_transport(ua->layer, kind)) return SIPSPEC_E_TSX_NO_TRANSPORT;
  char host[SIPSPEC_SOCKADDR_STRLEN];
  if (u.host.len >= sizeof host) return SIPSPEC_E_INVAL;
  memcpy(host, u.host.p, u.host.len);
  host[u.host.len] = '\0';
  unsigned port = u.port > 0 ? (unsigned)u.port : kind == SIPSPEC_TP_TLS ? 5061u : 5060u; /* RFC 3261 19.1.2 */
  /* The offer description is checked now (its address may still be unknown). */
  if (o->offer) {
    sipspec_mrcp_offer_desc d = *o->offer;
    if (!d.addr) d.addr = "0.0.0.0";
    sipspec_sdp_error e;
    memset(&e, 0, sizeof e);
    int rc = mrcp_offer_desc_check(&d, &e);
    /* The check is what writing the offer would refuse; only a very long user name could
     * still make the offer too big for the 8 KB it is written into: that one is written. */
    if (!rc && strlen(d.username) > 1024) {
      char tmp[8192];
      size_t len = 0;
      rc = sipspec_mrcp_offer_build(&d, tmp, sizeof tmp, &len, &e);
    }
    if (rc) return rc;
  }

  sipspec_session *s = calloc(1, sizeof *s);
  if (!s) return SIPSPEC_E_NOMEM;
  s->ua = ua;
  s->kind = kind;
  s->user = o->cb.user;
  s->keepalive_ms = o->keepalive_ms;
  s->cseq = 1;
  sipspec_timer_values tv = {ua->cfg.t1_ms, ua->cfg.t2_ms, ua->cfg.t4_ms};
  /* the application's timer options: the answer timeout, the keep-alive interval (none: the
   * KEEPALIVE timer is not used) */
  /* The charts' timer options shared by the user agent's sessions: the charts' values, no
   * keep-alive (a session's own options below copy the conf only when they differ). */
  if (!ua->kinds_ready) {
    if (host_timer_kind_init(&ua->k_session, ua->clock, &sipspec_chart_uac_session, &tv, 0, session_fire) ||
        sipspec_fsm_timer_conf_off(&ua->k_session.conf, SIPSPEC_EV_TIMER_KEEPALIVE, 1) ||
        host_timer_kind_init(&ua->k_update, ua->clock, &sipspec_chart_uac_update, &tv, 0, session_fire_update) ||
        session_timer_kind_init(ua)) {
      free(s);
      return SIPSPEC_E_INVAL;
    }
    ua->kinds_ready = 1;
  }
  host_timers_init(&s->timers, &ua->k_session, s);
  session_timer_init(s);
  int trc = SIPSPEC_OK;
  if (o->answer_timeout_ms) trc = host_timers_set(&s->timers, SIPSPEC_EV_TIMER_ANSWER, o->answer_timeout_ms);
  if (!trc) trc = host_timers_set(&s->timers, SIPSPEC_EV_TIMER_KEEPALIVE, s->keepalive_ms);
  if (!trc) trc = host_timers_off(&s->timers, SIPSPEC_EV_TIMER_KEEPALIVE, s->keepalive_ms == 0);
  if (!trc && !(s->setup = calloc(1, sizeof *s->setup))) trc = SIPSPEC_E_NOMEM;
  if (trc || !(s->cbs = session_cbs_get(ua, &o->cb))) {
    host_timers_release(&s->timers);
    free(s->setup);
    free(s);
    return trc ? trc : SIPSPEC_E_NOMEM;
  }
  sipspec_fsm_init(&s->fsm, &sipspec_chart_uac_session, session_on_action, s);
  int rc = SIPSPEC_OK;
  if (!(s->target = strdup(o->target))) rc = SIPSPEC_E_NOMEM;
  if (!rc && o->to_display && !(s->to_display = strdup(o->to_display))) rc = SIPSPEC_E_NOMEM;
  if (!rc && o->extra_headers && *o->extra_headers && !(s->extra_headers = strdup(o->extra_headers)))
    rc = SIPSPEC_E_NOMEM;
  if (!rc && o->offer) {
    /* the description and its strings in one block, until the MRCP session is made */
    size_t na = o->offer->addr ? strlen(o->offer->addr) + 1 : 0, nu = o->offer->username ? strlen(o->offer->username) + 1 : 0;
    session_setup *su = s->setup;
    if (!(su->desc = malloc(sizeof *su->desc + na + nu))) {
      rc = SIPSPEC_E_NOMEM;
    } else {
      *su->desc = *o->offer;
      char *p = (char *)(su->desc + 1);
      if (na) su->desc->addr = memcpy(p, o->offer->addr, na);
      if (nu) su->desc->username = memcpy(p + na, o->offer->username, nu);
    }
  } else if (!rc) {
    session_setup *su = s->setup;
    if (!(su->offer = malloc(o->sdp_len))) rc = SIPSPEC_E_NOMEM;
    else {
      memcpy(su->offer, o->sdp, o->sdp_len);
      su->offer_len = o->sdp_len;
    }
  }
  if (!rc && u.host_kind == SIPSPEC_HOST_NAME) {
    /* Never blocking: the INVITE goes out from the resolver's callback. */
    sipspec_locate_req req;
    char target[SIPSPEC_LOCATE_NAME_MAX];
    rc = sipspec_locate_req_of_uri(&u, &ua->cfg, target, sizeof target, &req);
    if (!rc) rc = sipspec_locate(ua->resolver, &req, located_cb, s, &s->setup->query);
    if (rc) {
      session_free(s);
      return rc;
    }
    ua_session_link(ua, s);
    ua->tel.sessionsStarted++;
    if (out) *out = s;
    return SIPSPEC_OK;
  }
  sipspec_sockaddr dest;
  if (!rc && sipspec_sockaddr_set(&dest, host, port) != SIPSPEC_OK) rc = SIPSPEC_E_BAD_ADDRESS;
  if (!rc) s->dest = ip_addr_put(&dest);
  if (!rc) rc = session_prepare(s);
  if (rc) {
    session_free(s);
    return rc;
  }
  ua_session_link(ua, s);
  ua->tel.sessionsStarted++;
  /* TU_START: send_invite. A send failure inside it ends the session through TRANSPORT_ERR;
   * here it is returned instead, without callbacks. */
  const session_cbs *saved = s->cbs;
  s->cbs = &session_cbs_none;
  rc = session_post(s, SIPSPEC_EV_TU_START, NULL);
  if (!rc && sipspec_fsm_terminated(&s->fsm)) rc = s->setup && s->setup->start_err ? s->setup->start_err : SIPSPEC_E_SEND;
  if (rc && !sipspec_fsm_terminated(&s->fsm)) session_post(s, SIPSPEC_EV_TRANSPORT_ERR, NULL); /* to Terminated, then buried */
  s->cbs = saved;
  if (rc) {
    ua->tel.sessionsStarted--;
    if (s->result != SIPSPEC_RESULT_OK) ua->tel.sessionsFailed--; /* the failure reported above */
    return rc;
  }
  if (out) *out = s;
  return SIPSPEC_OK;
}

/* What a refused or ignored event means to the application: the call does not fit the
 * session's state. */
static int api_rc(int rc) {
  return rc == SIPSPEC_E_FSM_IGNORED || rc == SIPSPEC_E_FSM_REFUSED || rc == SIPSPEC_E_FSM_TERMINATED ? SIPSPEC_E_STATE
                                                                                                       : rc;
}

/* The chart decides: TU_END is taken in Idle (still resolving), Inviting, Proceeding and
 * Established, refused once the session is ending or over. An end asked for from inside a
 * callback waits in the queue; a second one is refused there. */
static int in_callback(const sipspec_session *s);
static int queue_call(sipspec_session *s, int op, sipspec_mrcp_resource r);
enum { CALL_KEEPALIVE = 1, CALL_ADD, CALL_REMOVE, CALL_END };

int sipspec_session_end(sipspec_session *s) {
  if (!s) return SIPSPEC_E_STATE;
  for (int i = 0; s->busy && i < s->q_len; i++)
    if (s->q[(s->q_head + i) % SESSION_QUEUE_MAX] == SIPSPEC_EV_TU_END) return SIPSPEC_E_STATE;
  for (int i = 0; i < s->n_calls; i++)
    if (s->calls[i].op == CALL_END) return SIPSPEC_E_STATE;
  /* Inside the session chart's own callbacks the chart's queue takes TU_END; inside the
   * update chart's (on_updated) the dialog is still busy with the response: queued. */
  if (!s->busy && in_callback(s)) return queue_call(s, CALL_END, (sipspec_mrcp_resource)0);
  return api_rc(session_post(s, SIPSPEC_EV_TU_END, NULL));
}

/* TU_REQUEST: the session chart sends it in Established, refuses it elsewhere. While the
 * chart runs (an action sends it) it is not fed again: the caller queues the API call. */
int session_in_dialog_cred(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                          size_t body_len, const char *cred) {
  if (!s || s->busy) return SIPSPEC_E_STATE;
  session_req p = {role, method, body, body_len, SIPSPEC_OK, cred, NULL};
  s->next_req = &p;
  int rc = api_rc(session_post(s, SIPSPEC_EV_TU_REQUEST, NULL));
  s->next_req = NULL;
  return rc ? rc : p.rc;
}

static int in_dialog(sipspec_session *s, session_tsx_role role, const char *method, const char *body,
                     size_t body_len) {
  return session_in_dialog_cred(s, role, method, body, body_len, NULL);
}

/* ---- API calls from inside callbacks -------------------------------------------------- */

static int call_now(sipspec_session *s, int op, sipspec_mrcp_resource r);

/* 1 while one of the session's charts runs: the application is inside one of its callbacks
 * (or a callback of the user agent the session's events pass through). */
static int in_callback(const sipspec_session *s) { return s->busy || (s->updx && sipspec_fsm_busy(&s->updx->fsm)); }

/* Runs the API calls queued from inside callbacks, in order, once those have returned. One
 * that the session refuses by then is reported through its callback (on_keepalive /
 * on_updated with status 0 and the reason); none once the session is over (on_terminated
 * said so). */
static void run_calls(void *obj) {
  sipspec_session *s = obj;
  s->calls_deferred = 0;
  int n = s->n_calls;
  s->n_calls = 0;
  for (int i = 0; i < n; i++) {
    int op = s->calls[i].op;
    if (sipspec_fsm_terminated(&s->fsm)) return;
    int rc = call_now(s, op, s->calls[i].res);
    if (!rc || sipspec_fsm_terminated(&s->fsm)) continue;
    if (op == CALL_END) continue; /* refused: the session is ending already */
    char why[160];
    snprintf(why, sizeof why, "%s not sent: %s", op == CALL_KEEPALIVE ? "keep-alive" : "re-INVITE",
             sipspec_strerror(rc));
    sipspec_response_info info = {0, why, NULL};
    if (op == CALL_KEEPALIVE && s->cbs->fn.on_keepalive) s->cbs->fn.on_keepalive(s, &info, s->user);
    if (op != CALL_KEEPALIVE && s->cbs->fn.on_updated) s->cbs->fn.on_updated(s, &info, NULL, s->user);
  }
}

/* Called from inside a callback: the call waits for the callbacks to return (the clock's
 * deferred work). SIPSPEC_E_AGAIN when SESSION_CALLS_MAX calls already wait. */
static int queue_call(sipspec_session *s, int op, sipspec_mrcp_resource r) {
  if (sipspec_fsm_terminated(&s->fsm)) return SIPSPEC_E_STATE;
  if (s->n_calls == SESSION_CALLS_MAX) return SIPSPEC_E_AGAIN;
  if (!s->calls_deferred) {
    int rc = sipspec_clock_defer(s->ua->clock, run_calls, s);
    if (rc) return rc;
    s->calls_deferred = 1;
  }
  s->calls[s->n_calls].op = (unsigned char)op;
  s->calls[s->n_calls].res = (unsigned char)r;
  s->n_calls++;
  return SIPSPEC_OK;
}

static int change_resource(sipspec_session *s, sipspec_mrcp_resource r, int add);

static int call_now(sipspec_session *s, int op, sipspec_mrcp_resource r) {
  if (op == CALL_END) return api_rc(session_post(s, SIPSPEC_EV_TU_END, NULL));
  if (op == CALL_KEEPALIVE) return in_dialog(s, ST_OPTIONS, "OPTIONS", NULL, 0);
  return change_resource(s, r, op == CALL_ADD);
}

int sipspec_session_keepalive(sipspec_session *s) {
  if (!s) return SIPSPEC_E_INVAL;
  if (in_callback(s)) return queue_call(s, CALL_KEEPALIVE, (sipspec_mrcp_resource)0);
  return call_now(s, CALL_KEEPALIVE, (sipspec_mrcp_resource)0);
}

/* The update chart decides (TU_REQUEST: Ready sends the offer; refused before the session
 * is established, while an offer of ours runs, while our 2xx to the server's re-INVITE
 * waits for its ACK (14.1: not while an INVITE exchange runs in either direction), once it
 * has ended). */
static int change_resource(sipspec_session *s, sipspec_mrcp_resource r, int add) {
  if (!s) return SIPSPEC_E_INVAL;
  int rc = session_upd_ensure(s);
  if (rc) return rc;
  s->updx->change_res = r;
  s->updx->change_add = (unsigned char)(add != 0);
  rc = api_rc(session_update_post(s, SIPSPEC_EV_TU_REQUEST, NULL));
  return rc ? rc : s->updx->rc;
}

int sipspec_session_add_resource(sipspec_session *s, sipspec_mrcp_resource r) {
  if (s && in_callback(s)) return queue_call(s, CALL_ADD, r);
  return change_resource(s, r, 1);
}
int sipspec_session_remove_resource(sipspec_session *s, sipspec_mrcp_resource r) {
  if (s && in_callback(s)) return queue_call(s, CALL_REMOVE, r);
  return change_resource(s, r, 0);
}

sipspec_result sipspec_session_result(const sipspec_session *s) { return s->result; }
int sipspec_session_status(const sipspec_session *s) { return s->status; }
const char *sipspec_session_reason(const sipspec_session *s) { return session_reason_str(s); }
int sipspec_session_bye_status(const sipspec_session *s, const char **reason) {
  int over = sipspec_fsm_terminated(&s->fsm);
  if (reason) *reason = over && s->bye_reason ? s->bye_reason : "";
  return over ? s->bye_status : -1;
}
/* Read from the negotiated texts on the first call and kept from then on. */
const sipspec_mrcp_answer *sipspec_session_answer(const sipspec_session *s) {
  if (!s->mrcp) return NULL;
  ((sipspec_session *)s)->answer_asked = 1; /* kept: a heap object, const for the caller only */
  return sipspec_mrcp_session_state(s->mrcp);
}
const char *sipspec_session_state_name(const sipspec_session *s) { return sipspec_fsm_state_name(&s->fsm); }
const char *sipspec_session_call_id(const sipspec_session *s) { return s->call_id ? s->call_id : ""; }
unsigned sipspec_session_expires(const sipspec_session *s, const char **refresher) {
  if (refresher) *refresher = s->st_refresher;
  return s->st_interval;
}
sipspec_ua *sipspec_session_ua(const sipspec_session *s) { return s->ua; }
