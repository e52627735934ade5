/* session/tsx.c: the transaction layer: transports in, transactions out.
 *
 * Everything that arrives from a transport lands in on_recv_msg(), parsed once: by the
 * stream framer (TCP, TLS), or by on_recv() for a datagram (a message that does not parse
 * is dropped and counted); responses are matched to client
 * transactions (RFC 3261 17.1.3) or handed to the stray-response callback, requests are
 * matched to server transactions (17.2.3) or create one, and ACKs that no INVITE server
 * transaction takes go to the on-ACK callback (the ACK for a 2xx). A request that parses
 * but is semantically wrong (sipspec_msg_check()) is answered statelessly, as RFC 3261
 * 8.2 asks, with a Warning naming every problem found.
 *
 * Transport errors (on_error) become TRANSPORT_ERR for the transactions toward that peer.
 * Terminated transactions are unlinked at once (nothing matches them any more) and freed
 * on a zero-delay timer, after the callbacks that saw them have returned.
 *
 * Live transactions are in a fixed table of chains by branch hash (for matching, and walked
 * for transport errors and destroy), so matching stays cheap while thousands of
 * transactions wait out Timers K, J or I.
 */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/tsx_internal.h"
#include "sipspec/chart_ist.h"
#include "sipspec/chart_nist.h"

uint64_t tsx_now_ms(const sipspec_tsx_layer *l) { return sipspec_clock_now_ms(l->clock); }

/* ---- lifetime --------------------------------------------------------------------------- */

/* Buried transactions wait in l->reap_list (through hnext) for the clock's next step, after the
 * callbacks that saw them have returned: one deferred call for all of them, instead of a
 * grave in each. */
static void free_buried(sipspec_tsx_layer *l) {
  while (l->reap_list) {
    sipspec_tsx *t = l->reap_list;
    l->reap_list = t->hnext;
    tsx_free(t);
  }
}

static void reap(void *arg) {
  sipspec_tsx_layer *l = arg;
  l->reap_queued = 0;
  free_buried(l);
}

/* Frees the buried ones now, and forgets the deferred call on the layer's clock. */
static void reap_now(sipspec_tsx_layer *l) {
  if (l->reap_queued) sipspec_clock_undefer(l->clock, reap, l);
  l->reap_queued = 0;
  free_buried(l);
}

void tsx_layer_each(sipspec_tsx_layer *l, void (*fn)(sipspec_tsx *t, void *arg), void *arg) {
  for (unsigned b = 0; b < TSX_BUCKETS; b++)
    for (sipspec_tsx *t = l->bucket[b], *next; t; t = next) {
      next = t->hnext;
      fn(t, arg);
    }
}

int sipspec_tsx_layer_create(struct ev_loop *loop, const sipspec_config *cfg,
                             sipspec_telemetry *telemetry, const sipspec_tsx_layer_callbacks *cb,
                             sipspec_tsx_layer **out) {
  if (!loop || !out) return SIPSPEC_E_INVAL;
  *out = NULL;
  sipspec_config defaults;
  if (!cfg) {
    sipspec_config_init(&defaults);
    cfg = &defaults;
  }
  if (!cfg->t1_ms || !cfg->t2_ms || !cfg->t4_ms || cfg->t2_ms < cfg->t1_ms) return SIPSPEC_E_INVAL;
  if (!cfg->invite_max_retrans) return SIPSPEC_E_INVAL;
  sipspec_tsx_layer *l = calloc(1, sizeof *l);
  if (!l) return SIPSPEC_E_NOMEM;
  l->loop = loop;
  l->values.t1_ms = cfg->t1_ms;
  l->values.t2_ms = cfg->t2_ms;
  l->values.t4_ms = cfg->t4_ms;
  l->invite_max_retrans = cfg->invite_max_retrans;
  l->tel = telemetry;
  if (cb) l->cb = *cb;
  int rc = (l->clock = l->own_clock = sipspec_clock_libev_new(loop)) ? SIPSPEC_OK : SIPSPEC_E_NOMEM;
  if (!rc) rc = tsx_layer_init_charts(l);
  tsx_limits_init(l, cfg);
  if (!rc) rc = sipspec_msg_create(&l->rx, &l->msg_limits);
  sipspec_msg_limits sl;
  if (!rc) rc = sipspec_msg_create(&l->scratch, tsx_limits_scratch(l, &sl));
  if (rc) {
    sipspec_tsx_layer_destroy(l);
    return rc;
  }
  *out = l;
  return SIPSPEC_OK;
}

void sipspec_tsx_layer_destroy(sipspec_tsx_layer *l) {
  if (!l) return;
  for (unsigned b = 0; b < TSX_BUCKETS; b++)
    while (l->bucket[b]) {
      sipspec_tsx *t = l->bucket[b];
      l->bucket[b] = t->hnext;
      tsx_free(t);
    }
  if (l->clock) reap_now(l);
  for (int k = 0; k < 3; k++) sipspec_transport_close(l->tp[k]);
  sipspec_msg_destroy(l->rx);
  sipspec_msg_destroy(l->scratch);
  sipspec_msg_destroy(l->lenient);
  sipspec_clock_free(l->own_clock);
  free(l->cbs);
  free(l);
}

static unsigned branch_hash(const char *b) {
  uint32_t h = 2166136261u; /* FNV-1a */
  for (; *b; b++) h = (h ^ (unsigned char)*b) * 16777619u;
  return h & (TSX_BUCKETS - 1);
}

void tsx_layer_link(sipspec_tsx_layer *l, sipspec_tsx *t) {
  unsigned h = branch_hash(tsx_key(t));
  t->hnext = l->bucket[h];
  l->bucket[h] = t;
  l->stats.live++;
}

void tsx_layer_bury(sipspec_tsx_layer *l, sipspec_tsx *t) {
  if (t->buried) return;
  for (sipspec_tsx **pp = &l->bucket[branch_hash(tsx_key(t))]; *pp; pp = &(*pp)->hnext)
    if (*pp == t) {
      *pp = t->hnext;
      break;
    }
  l->stats.live--;
  sipspec_fsm_timer_run_stop(&t->trun);
  sipspec_clock_timer_stop(l->clock, &t->timer);
  t->buried = 1;
  t->hnext = l->reap_list;
  l->reap_list = t;
  /* When the call cannot be queued (out of memory), the next burial tries again; the layer's
   * destruction frees them in any case. */
  if (!l->reap_queued && sipspec_clock_defer(l->clock, reap, l) == SIPSPEC_OK) l->reap_queued = 1;
}

int sipspec_tsx_layer_use_clock(sipspec_tsx_layer *l, sipspec_clock *c) {
  if (!l) return SIPSPEC_E_INVAL;
  if (!c) c = l->own_clock;
  if (sipspec_clock_loop(c) != l->loop) return SIPSPEC_E_INVAL;
  if (l->stats.live) return SIPSPEC_E_STATE;
  reap_now(l); /* the buried ones go with the old clock */
  l->clock = c;
  return SIPSPEC_OK;
}

sipspec_clock *sipspec_tsx_layer_clock(const sipspec_tsx_layer *l) { return l->clock; }

void sipspec_tsx_layer_stats(const sipspec_tsx_layer *l, sipspec_tsx_stats *out) { *out = l->stats; }

/* ---- stateless rejection (RFC 3261 8.2) ------------------------------------------------- */

static void reject(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_sockaddr *from,
                   const sipspec_msg *req, uint32_t flags, int key_rc) {
  /* 8.2.2.1: 416 for an unsupported URI scheme; 505 for another SIP version (21.5.20);
   * everything else is a 400. */
  int status = flags & SIPSPEC_CHECK_BAD_VERSION ? 505 : flags & SIPSPEC_CHECK_UNKNOWN_URI_SCHEME ? 416 : 400;
  char warning[1024];
  size_t n = (size_t)snprintf(warning, sizeof warning, "Warning: 399 sipspec \"");
  const char *sep = "";
  for (uint32_t bit = 1; bit && bit <= flags; bit <<= 1) {
    if (!(flags & bit) || n >= sizeof warning) continue;
    n += (size_t)snprintf(warning + n, sizeof warning - n, "%s%s: %s", sep, sipspec_check_name(bit),
                          sipspec_check_text(bit));
    sep = "; ";
  }
  if (key_rc && n < sizeof warning)
    n += (size_t)snprintf(warning + n, sizeof warning - n, "%s%s", sep,
                          key_rc == SIPSPEC_E_RANGE ? "top Via branch or sent-by too long"
                                                    : "top Via has no branch parameter");
  if (n < sizeof warning) snprintf(warning + n, sizeof warning - n, "\"\r\n");
  else memcpy(warning + sizeof warning - 4, "\"\r\n", 4);

  char *resp = NULL;
  size_t resp_len;
  char tag[TSX_TAG_SIZE];
  tsx_rec *r = NULL;
  sipspec_sockaddr to;
  tsx_response_addr(req, from, sipspec_transport_reliable(tp), &to);
  if (tsx_rec_new(req, from, &r) == SIPSPEC_OK && tsx_random_hex(tag, 8) == SIPSPEC_OK &&
      tsx_build_response(r, status, NULL, tag, warning, NULL, 0, &resp, &resp_len) == SIPSPEC_OK) {
    l->stats.rx_rejected++;
    (void)sipspec_transport_send(tp, &to, resp, resp_len);
  } else {
    l->stats.rx_dropped++;
  }
  free(r);
  free(resp);
}

/* ---- receiving ------------------------------------------------------------------------- */

static void recv_response(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_msg *m,
                          const sipspec_sockaddr *from) {
  const uint32_t fatal = SIPSPEC_CHECK_MISSING_VIA | SIPSPEC_CHECK_MISSING_FROM | SIPSPEC_CHECK_MISSING_TO |
                         SIPSPEC_CHECK_MISSING_CALL_ID | SIPSPEC_CHECK_MISSING_CSEQ | SIPSPEC_CHECK_BAD_VERSION;
  sipspec_tsx_key k;
  /* 8.1.3.3: more than one Via value in a response means it was misrouted or corrupted. */
  if ((sipspec_msg_check(m) & fatal) || sipspec_msg_via_count(m) != 1 || sipspec_tsx_key_of_response(m, &k) != SIPSPEC_OK) {
    l->stats.rx_dropped++;
    return;
  }
  sipspec_tsx *t = tsx_layer_find_client(l, &k);
  if (t) {
    int status = sipspec_msg_status(m);
    tsx_post(t, status < 200 ? SIPSPEC_EV_RX_1XX : status < 300 ? SIPSPEC_EV_RX_2XX : SIPSPEC_EV_RX_300_699, m);
    return;
  }
  l->stats.rx_stray++;
  if (l->cb.on_stray_response) l->cb.on_stray_response(l, m, tp, from, l->cb.user);
}

sipspec_tsx *tsx_layer_find_client(sipspec_tsx_layer *l, const sipspec_tsx_key *k) {
  for (sipspec_tsx *t = l->bucket[branch_hash(k->branch)]; t; t = t->hnext)
    if (!t->server && tsx_key_match_client(t, k)) return t;
  return NULL;
}

static sipspec_tsx *find_server(sipspec_tsx_layer *l, const sipspec_tsx_key *k) {
  for (sipspec_tsx *t = l->bucket[branch_hash(k->branch)]; t; t = t->hnext)
    if (t->server && tsx_key_match_server(t, k)) return t;
  return NULL;
}

static void new_server(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_msg *m,
                       const sipspec_sockaddr *from, const sipspec_tsx_key *k, int invite) {
  sipspec_tsx *t;
  sipspec_sockaddr to;
  tsx_response_addr(m, from, sipspec_transport_reliable(tp), &to);
  if (tsx_new(l, invite ? &sipspec_chart_ist : &sipspec_chart_nist, 1, tp, k, &to, &t) != SIPSPEC_OK) {
    l->stats.rx_dropped++;
    return;
  }
  /* The response address differs from the source in the port at most (18.2.2). */
  t->src_port = (uint16_t)sipspec_sockaddr_port(from);
  if (tsx_rec_new(m, from, &t->rec) != SIPSPEC_OK || tsx_random_hex(t->rec->to_tag, 8) != SIPSPEC_OK) {
    tsx_free(t);
    l->stats.rx_dropped++;
    return;
  }
  tsx_layer_link(l, t);
  l->stats.server_started++;
  tsx_post(t, invite ? SIPSPEC_EV_RX_INVITE : SIPSPEC_EV_RX_REQUEST, m);
}

static void recv_request(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_msg *m,
                         const sipspec_sockaddr *from) {
  /* Max-Forwards 0 stops forwarding (RFC 3261 16.3), but a user agent is the request's
   * destination: it answers the request as usual. */
  uint32_t flags = sipspec_msg_check(m) & ~(uint32_t)SIPSPEC_CHECK_MAX_FORWARDS_ZERO;
  sipspec_tsx_key k;
  int key_rc = sipspec_tsx_key_of_request(m, &k);
  if (flags & SIPSPEC_CHECK_MISSING_VIA) { /* no way to send a response back */
    l->stats.rx_dropped++;
    return;
  }
  if (sipspec_msg_method(m) == SIPSPEC_METHOD_ACK) {
    if (flags || key_rc) { /* 17.1.1.3: an ACK gets no response */
      l->stats.rx_dropped++;
      return;
    }
    sipspec_tsx *t = find_server(l, &k);
    if (t) tsx_post(t, SIPSPEC_EV_RX_ACK, m);
    else if (l->cb.on_ack) l->cb.on_ack(l, m, tp, from, l->cb.user);
    return;
  }
  if (flags || key_rc) {
    reject(l, tp, from, m, flags, key_rc);
    return;
  }
  int invite = sipspec_msg_method(m) == SIPSPEC_METHOD_INVITE;
  sipspec_tsx *t = find_server(l, &k);
  if (t) tsx_post(t, invite ? SIPSPEC_EV_RX_INVITE : SIPSPEC_EV_RX_REQUEST, m);
  else if (!tsx_limits_full(l, tp, m, from)) new_server(l, tp, m, from, &k, invite);
}

/* A message parsed once on its way in: by the stream framer (on_recv_msg) or here. */
static void on_recv_msg(sipspec_transport *tp, const sipspec_msg *m, const sipspec_sockaddr *from, void *user) {
  sipspec_tsx_layer *l = user;
  if (sipspec_msg_is_request(m)) recv_request(l, tp, m, from);
  else recv_response(l, tp, m, from);
}

/* The datagram entry point: one parse per datagram. */
static void on_recv(sipspec_transport *tp, const char *data, size_t len, const sipspec_sockaddr *from,
                    void *user) {
  sipspec_tsx_layer *l = user;
  int rc = sipspec_msg_parse(l->rx, data, len);
  if (rc != SIPSPEC_OK) {
    if (tsx_limits_is_limit(rc)) tsx_limits_oversize(l, tp, data, len, from, rc);
    else l->stats.rx_malformed++;
    return;
  }
  on_recv_msg(tp, l->rx, from, user);
}

/* The transactions toward a peer a transport reported an error for. */
typedef struct tp_hits {
  const sipspec_transport *tp;
  const sipspec_sockaddr *peer;
  sipspec_tsx **hit;
  size_t n, cap;
} tp_hits;

static void collect(sipspec_tsx *t, void *arg) {
  tp_hits *h = arg;
  if (tsx_tp(t) != h->tp || h->n == h->cap) return;
  sipspec_sockaddr peer = tsx_peer(t), src = tsx_src(t);
  if (!h->peer || sipspec_sockaddr_equal(&peer, h->peer) || (t->server && sipspec_sockaddr_equal(&src, h->peer)))
    h->hit[h->n++] = t;
}

/* 17.1.4 / 17.2.4: a transport failure toward a peer ends the transactions that use it. */
static void on_error(sipspec_transport *tp, const sipspec_tp_error *e, void *user) {
  sipspec_tsx_layer *l = user;
  snprintf(l->tp_error, sizeof l->tp_error, "%s", e->message ? e->message : sipspec_strerror(e->code));
  tp_hits h = {tp, e->peer, NULL, 0, (size_t)l->stats.live};
  if (!h.cap) return;
  h.hit = calloc(h.cap, sizeof *h.hit);
  if (!h.hit) return;
  tsx_layer_each(l, collect, &h);
  /* Callbacks may end other transactions meanwhile; those stay allocated until the clock
   * runs, and post() refuses them. */
  for (size_t i = 0; i < h.n; i++) tsx_transport_error(h.hit[i], e->code);
  free(h.hit);
}

/* ---- transports and sending ------------------------------------------------------------- */

int sipspec_tsx_layer_open_transport(sipspec_tsx_layer *l, const sipspec_transport_type *type,
                                     const sipspec_transport_opts *opts, sipspec_transport **out,
                                     char *err, size_t errlen) {
  if (out) *out = NULL;
  if (!l || !type || !opts || (unsigned)type->kind > SIPSPEC_TP_TLS) return SIPSPEC_E_INVAL;
  if (l->tp[type->kind]) {
    if (err && errlen) snprintf(err, errlen, "a %s transport is already open in this layer", type->name);
    return SIPSPEC_E_STATE;
  }
  sipspec_transport_opts o = *opts;
  o.on_recv = on_recv;
  o.on_recv_msg = on_recv_msg;
  o.on_error = on_error;
  o.user = l;
  if (type->reliable) o.framer = &sipspec_sip_stream_framer;
  tsx_limits_transport_opts(l, &o);
  sipspec_transport *tp = NULL;
  int rc = sipspec_transport_open(type, l->loop, &o, &tp, err, errlen);
  if (rc) return rc;
  l->tp[type->kind] = tp;
  if (out) *out = tp;
  return SIPSPEC_OK;
}

sipspec_transport *sipspec_tsx_layer_transport(sipspec_tsx_layer *l, sipspec_tp_kind kind) {
  return l && (unsigned)kind <= SIPSPEC_TP_TLS ? l->tp[kind] : NULL;
}

int sipspec_tsx_layer_send(sipspec_tsx_layer *l, sipspec_tp_kind kind, const sipspec_sockaddr *dest,
                           const void *data, size_t len) {
  if (!l || !dest || !data) return SIPSPEC_E_INVAL;
  sipspec_transport *tp = sipspec_tsx_layer_transport(l, kind);
  if (!tp) return SIPSPEC_E_TSX_NO_TRANSPORT;
  return sipspec_transport_send(tp, dest, data, len);
}

sipspec_tsx *sipspec_tsx_layer_find_cancelled(sipspec_tsx_layer *l, const sipspec_msg *cancel) {
  sipspec_tsx_key k;
  if (!l || !cancel || sipspec_msg_method(cancel) != SIPSPEC_METHOD_CANCEL ||
      sipspec_tsx_key_of_request(cancel, &k) != SIPSPEC_OK)
    return NULL;
  snprintf(k.method, sizeof k.method, "INVITE");
  sipspec_tsx *t = find_server(l, &k);
  return t && t->kind == TSX_IST ? t : NULL;
}

const char *sipspec_tsx_layer_transport_error(const sipspec_tsx_layer *l) { return l->tp_error; }
