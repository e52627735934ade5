/* session/dialog.c: a SIP dialog on the generated chart spec/dialog.rl (RFC 3261 section 12).
 *
 * The chart decides what happens; this file implements each of its actions as the typed
 * callback dlg_act_<action> (create_dialog, update_remote_target, refresh_remote_target, send_ack,
 * send_in_dialog_request, send_bye, check_remote_cseq, pass_to_tu, answer_200,
 * report_terminated; the generated chart_dialog_actions.h declares them, and the build fails
 * when the chart names an action that has none) and keeps the dialog state they work on. What a message contributes (a response's To tag, Contact, Record-Route) is
 * checked and copied before the event is fed, so a bad message changes nothing and the
 * actions only commit prepared values. Messages are built with sipspec/msg.h's builder
 * into malloc'd buffers handed to the owner's callbacks; nothing here touches a socket.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/dialog.h"
#include "sip/msg_internal.h"
#include "session/tsx.h"
#include "sipspec/chart_dialog.h"

/* The chart's actions as typed callbacks (generated from spec/dialog.rl). */
#include "chart_dialog_actions.h"
#include "sipspec/fsm.h"

#define DLG_MAX_ROUTES SIPSPEC_DIALOG_MAX_ROUTES

/* What the message being fed contributes, copied before the feed. */
typedef struct dlg_pending {
  char *remote_tag;
  char *target;                 /* Contact URI, or NULL */
  char *routes[DLG_MAX_ROUTES]; /* in the dialog's order */
  size_t n_routes;
  int has_routes;               /* a 2xx: the route set is (re)computed (13.2.2.4) */
} dlg_pending;

/* What a dialog keeps lives as long as the dialog (issue 16: an established session's
 * memory): the id's strings and the route set at their size; what a response being fed
 * contributes (dlg_pending) only during that feed. */
struct sipspec_dialog {
  sipspec_dialog_role role;
  sipspec_fsm fsm;
  sipspec_dialog_callbacks cb;
  sipspec_dialog_idref id;      /* malloc'd strings, or dlg_empty */
  char *local_uri, *remote_uri, *remote_target;
  char **routes;                /* n_routes of them, or NULL */
  size_t n_routes;
  uint32_t local_cseq, remote_cseq;
  uint32_t refresh_cseq;        /* CSeq of the last re-INVITE sent (target refresh), 0: none */
  int refresh_match;            /* the 2xx being fed answers that re-INVITE */
  char *via, *contact, *headers, *ack_headers;
  /* via read once with the Via rule: its transport and host (offsets in via), port, ;rport */
  uint16_t via_tp, via_tp_len, via_host, via_host_len, via_port;
  uint8_t via_rport;
  /* the event being fed */
  int cur_ev;
  const sipspec_msg *cur_msg;
  const sipspec_dialog_req *cur_req;
  uint32_t cur_cseq;
  dlg_pending *pend;            /* during a feed by sipspec_dialog_rx_invite_response(), else NULL */
  int cseq_refused;
  int act_err;
  int busy;
  int bye_sent;                 /* send_bye handed out our BYE (sipspec_dialog_bye_again) */
};

/* ---- small helpers --------------------------------------------------------------------- */

static const char dlg_empty[] = "";

/* An id string of at most max bytes, copied (dlg_empty for ""). */
static int id_set(const char **dst, sipspec_span v, size_t max) {
  if (v.len > max) return SIPSPEC_E_RANGE;
  char *c = NULL;
  if (v.len && !(c = sipspec_span_dup(v))) return SIPSPEC_E_NOMEM;
  if (*dst && *dst != dlg_empty) free((char *)*dst);
  *dst = c ? c : dlg_empty;
  return SIPSPEC_OK;
}

static void id_free(sipspec_dialog_idref *id) {
  const char **v[3] = {&id->call_id, &id->local_tag, &id->remote_tag};
  for (int i = 0; i < 3; i++)
    if (*v[i] && *v[i] != dlg_empty) free((char *)*v[i]);
}

static int set_str(char **dst, const char *src) {
  char *p = NULL;
  if (src && !(p = strdup(src))) return SIPSPEC_E_NOMEM;
  free(*dst);
  *dst = p;
  return SIPSPEC_OK;
}


static void pending_clear(dlg_pending *p) {
  free(p->remote_tag);
  free(p->target);
  for (size_t i = 0; i < p->n_routes; i++) free(p->routes[i]);
  memset(p, 0, sizeof *p);
}

static void routes_clear(sipspec_dialog *d) {
  for (size_t i = 0; i < d->n_routes; i++) free(d->routes[i]);
  free(d->routes);
  d->routes = NULL;
  d->n_routes = 0;
}

/* The route set becomes the n strings of r (taken over). */
static int routes_take(sipspec_dialog *d, char **r, size_t n) {
  char **a = n ? malloc(n * sizeof *a) : NULL;
  if (n && !a) return SIPSPEC_E_NOMEM;
  routes_clear(d);
  if (n) memcpy(a, r, n * sizeof *a);
  d->routes = a;
  d->n_routes = n;
  return SIPSPEC_OK;
}

/* The route set from msg's Record-Route values, reversed for the UAC (12.1.2), as received
 * for the UAS (12.1.1). */
static int read_routes(const sipspec_msg *m, int reverse, char **out, size_t *n) {
  size_t count = sipspec_msg_value_count(m, SIPSPEC_H_RECORD_ROUTE);
  if (count > DLG_MAX_ROUTES) return SIPSPEC_E_RANGE;
  *n = 0;
  for (size_t i = 0; i < count; i++) {
    sipspec_addr a;
    if (sipspec_msg_record_route(m, i, &a) != SIPSPEC_OK || !a.uri.len) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
    char *u = sipspec_span_dup(a.uri);
    if (!u) return SIPSPEC_E_NOMEM;
    out[reverse ? count - 1 - i : i] = u;
    (*n)++;
  }
  return SIPSPEC_OK;
}

static int contact_uri(const sipspec_msg *m, char **out) {
  sipspec_addr a;
  *out = NULL;
  if (sipspec_msg_value_count(m, SIPSPEC_H_CONTACT) == 0) return SIPSPEC_E_NOTFOUND;
  if (sipspec_msg_contact(m, 0, &a) != SIPSPEC_OK || a.star || !a.uri.len) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  return (*out = sipspec_span_dup(a.uri)) ? SIPSPEC_OK : SIPSPEC_E_NOMEM;
}

/* ---- ids -------------------------------------------------------------------------------- */

int sipspec_dialog_id_of_msg(const sipspec_msg *m, sipspec_dialog_id *out) {
  sipspec_addr from, to;
  memset(out, 0, sizeof *out);
  sipspec_span cid = sipspec_msg_call_id(m);
  if (!cid.len || sipspec_msg_from(m, &from) != SIPSPEC_OK || sipspec_msg_to(m, &to) != SIPSPEC_OK)
    return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  int req = sipspec_msg_is_request(m);
  int rc = sipspec_span_copy(out->call_id, sizeof out->call_id, cid);
  if (!rc) rc = sipspec_span_copy(out->local_tag, sizeof out->local_tag, req ? to.tag : from.tag);
  if (!rc) rc = sipspec_span_copy(out->remote_tag, sizeof out->remote_tag, req ? from.tag : to.tag);
  return rc;
}

int sipspec_dialog_has_id(const sipspec_dialog *d, const sipspec_dialog_id *id) {
  return !strcmp(d->id.call_id, id->call_id) && !strcmp(d->id.local_tag, id->local_tag) &&
         !strcmp(d->id.remote_tag, id->remote_tag);
}

int sipspec_dialog_id_equal(const sipspec_dialog_id *a, const sipspec_dialog_id *b) {
  return !strcmp(a->call_id, b->call_id) && !strcmp(a->local_tag, b->local_tag) &&
         !strcmp(a->remote_tag, b->remote_tag);
}

/* ---- creation --------------------------------------------------------------------------- */

static void on_action(void *ctx, const sipspec_chart *chart, int action);

/* A dialog from an INVITE's Call-ID, From URI and tag, To URI and CSeq number (12.1.1,
 * 12.1.2), whether read from a parsed INVITE or given by the UAC that wrote it. */
static int dlg_alloc(sipspec_span call_id, sipspec_span from_uri, sipspec_span from_tag, sipspec_span to_uri,
                     uint32_t cseq, sipspec_dialog_role role, const sipspec_dialog_local *local,
                     const sipspec_dialog_callbacks *cb, sipspec_dialog **out) {
  *out = NULL;
  if (!local || !local->via || !local->contact || !*local->via || !*local->contact) return SIPSPEC_E_INVAL;
  if (!call_id.len || !cseq || !from_tag.len || !from_uri.len || !to_uri.len) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  sipspec_dialog *d = calloc(1, sizeof *d);
  if (!d) return SIPSPEC_E_NOMEM;
  d->role = role;
  if (cb) d->cb = *cb;
  d->id = (sipspec_dialog_idref){dlg_empty, dlg_empty, dlg_empty};
  int rc = id_set(&d->id.call_id, call_id, SIPSPEC_DIALOG_CALL_ID_MAX);
  if (role == SIPSPEC_DIALOG_ROLE_UAC) {
    if (!rc) rc = id_set(&d->id.local_tag, from_tag, SIPSPEC_DIALOG_TAG_MAX);
    d->local_uri = sipspec_span_dup(from_uri);
    d->remote_uri = sipspec_span_dup(to_uri);
    d->local_cseq = cseq;
  } else {
    if (!rc) rc = id_set(&d->id.remote_tag, from_tag, SIPSPEC_DIALOG_TAG_MAX);
    d->local_uri = sipspec_span_dup(to_uri);
    d->remote_uri = sipspec_span_dup(from_uri);
    d->remote_cseq = cseq;
  }
  if (!rc && (!d->local_uri || !d->remote_uri)) rc = SIPSPEC_E_NOMEM;
  if (!rc) rc = sipspec_dialog_set_via(d, local->via);
  if (!rc) rc = set_str(&d->contact, local->contact);
  if (!rc) rc = set_str(&d->headers, local->headers);
  if (rc) {
    sipspec_dialog_destroy(d);
    return rc;
  }
  sipspec_fsm_init(&d->fsm, &sipspec_chart_dialog, on_action, d);
  *out = d;
  return SIPSPEC_OK;
}

static int dlg_new(const sipspec_msg *invite, sipspec_dialog_role role, const sipspec_dialog_local *local,
                   const sipspec_dialog_callbacks *cb, sipspec_dialog **out) {
  *out = NULL;
  if (!invite || !local || !local->via || !local->contact || !*local->via || !*local->contact)
    return SIPSPEC_E_INVAL;
  sipspec_addr from, to;
  if (!sipspec_msg_is_request(invite) || sipspec_msg_method(invite) != SIPSPEC_METHOD_INVITE ||
      sipspec_msg_from(invite, &from) != SIPSPEC_OK || sipspec_msg_to(invite, &to) != SIPSPEC_OK)
    return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  return dlg_alloc(sipspec_msg_call_id(invite), from.uri, from.tag, to.uri, sipspec_msg_cseq(invite), role, local, cb,
                   out);
}

static sipspec_span str_span(const char *s) { return (sipspec_span){s, s ? strlen(s) : 0}; }

int sipspec_dialog_create_uac_fields(const sipspec_dialog_uac_fields *f, const sipspec_dialog_local *local,
                                     const sipspec_dialog_callbacks *cb, sipspec_dialog **out) {
  if (!out || !f) return SIPSPEC_E_INVAL;
  return dlg_alloc(str_span(f->call_id), str_span(f->local_uri), str_span(f->local_tag), str_span(f->remote_uri),
                   f->cseq, SIPSPEC_DIALOG_ROLE_UAC, local, cb, out);
}

int sipspec_dialog_create_uac(const sipspec_msg *invite, const sipspec_dialog_local *local,
                              const sipspec_dialog_callbacks *cb, sipspec_dialog **out) {
  if (!out) return SIPSPEC_E_INVAL;
  return dlg_new(invite, SIPSPEC_DIALOG_ROLE_UAC, local, cb, out);
}

int sipspec_dialog_create_uas(const sipspec_msg *invite, const char *local_tag,
                              const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                              sipspec_dialog **out) {
  if (!out) return SIPSPEC_E_INVAL;
  *out = NULL;
  if (!local_tag || !*local_tag) return SIPSPEC_E_INVAL;
  if (strlen(local_tag) > SIPSPEC_DIALOG_TAG_MAX) return SIPSPEC_E_RANGE;
  sipspec_dialog *d;
  int rc = dlg_new(invite, SIPSPEC_DIALOG_ROLE_UAS, local, cb, &d);
  if (rc) return rc;
  rc = id_set(&d->id.local_tag, (sipspec_span){local_tag, strlen(local_tag)}, SIPSPEC_DIALOG_TAG_MAX);
  if (!rc) rc = contact_uri(invite, &d->remote_target);
  if (rc == SIPSPEC_E_NOTFOUND) rc = SIPSPEC_E_DIALOG_BAD_MESSAGE; /* 8.1.1.8: INVITE needs one */
  char *routes[DLG_MAX_ROUTES];
  size_t n = 0;
  if (!rc) rc = read_routes(invite, 0, routes, &n);
  if (!rc) rc = routes_take(d, routes, n);
  if (rc)
    for (size_t i = 0; i < n; i++) free(routes[i]);
  if (rc) {
    sipspec_dialog_destroy(d);
    return rc;
  }
  *out = d;
  return SIPSPEC_OK;
}

void sipspec_dialog_destroy(sipspec_dialog *d) {
  if (!d) return;
  assert(!d->busy);
  id_free(&d->id);
  routes_clear(d);
  free(d->local_uri);
  free(d->remote_uri);
  free(d->remote_target);
  free(d->via);
  free(d->contact);
  free(d->headers);
  free(d->ack_headers);
  free(d);
}

int sipspec_dialog_set_via(sipspec_dialog *d, const char *via) {
  if (!d || !via || !*via) return SIPSPEC_E_INVAL;
  sipspec_via v;
  size_t n = strlen(via);
  if (n > UINT16_MAX || sipspec_via_parse((sipspec_span){via, n}, &v) != SIPSPEC_OK || !v.transport.len || !v.host.len)
    return SIPSPEC_E_BUILD_VALUE;
  int rc = set_str(&d->via, via);
  if (rc) return rc;
  d->via_tp = (uint16_t)(v.transport.p - via), d->via_tp_len = (uint16_t)v.transport.len;
  d->via_host = (uint16_t)(v.host.p - via), d->via_host_len = (uint16_t)v.host.len;
  d->via_port = (uint16_t)(v.port > 0 ? v.port : 0);
  d->via_rport = v.rport >= 0;
  return SIPSPEC_OK;
}

int sipspec_dialog_set_contact(sipspec_dialog *d, const char *contact) {
  if (!d || !contact || !*contact) return SIPSPEC_E_INVAL;
  return set_str(&d->contact, contact);
}

int sipspec_dialog_set_ack_headers(sipspec_dialog *d, const char *headers) {
  if (!d) return SIPSPEC_E_INVAL;
  return set_str(&d->ack_headers, headers);
}

/* ---- building requests (12.2.1.1) ------------------------------------------------------- */

static int route_is_loose(const char *uri) {
  sipspec_uri u;
  if (sipspec_uri_parse(uri, strlen(uri), &u, NULL) != SIPSPEC_OK) return 1;
  return u.lr;
}

const char *sipspec_dialog_next_hop(const sipspec_dialog *d) {
  if (d->n_routes) return d->routes[0];
  return d->remote_target ? d->remote_target : "";
}

static sipspec_span zspan(const char *z) {
  sipspec_span s = {z, z ? strlen(z) : 0};
  return s;
}

void sipspec_dialog_fields_free(sipspec_dialog_fields *o) {
  if (!o) return;
  free(o->lines);
  o->lines = NULL;
}

/* Describes method with CSeq number cseq as typed fields (12.2.1.1) into o (o->lines
 * malloc'd: sipspec_dialog_fields_free()). */
static int request_fields(sipspec_dialog *d, const char *method, uint32_t cseq, const char *extra,
                          const char *ctype, const char *body, size_t body_len, sipspec_dialog_fields *o) {
  memset(o, 0, sizeof *o);
  if (!d->remote_target) return SIPSPEC_E_STATE;
  sipspec_request_fields *f = &o->f;
  int rc = sipspec_tsx_new_branch(o->branch, sizeof o->branch);
  if (rc) return rc;
  int strict = d->n_routes && !route_is_loose(d->routes[0]);
  f->method = zspan(method);
  f->request_uri = zspan(strict ? d->routes[0] : d->remote_target);
  /* The local Via as set (sent-protocol, sent-by, ;rport: read when it was set). */
  f->via = (sipspec_via_fields){{d->via + d->via_tp, d->via_tp_len}, {d->via + d->via_host, d->via_host_len},
                                d->via_port, zspan(o->branch), d->via_rport, {NULL, 0}};
  f->max_forwards = 70;
  size_t n = 0;
  for (size_t i = strict ? 1 : 0; i < d->n_routes; i++) o->routes[n++] = zspan(d->routes[i]);
  if (strict) o->routes[n++] = zspan(d->remote_target); /* 12.2.1.1: the target last */
  f->routes = o->routes;
  f->n_routes = n;
  f->from = (sipspec_addr_fields){{NULL, 0}, zspan(d->local_uri), zspan(d->id.local_tag), {NULL, 0}};
  f->to = (sipspec_addr_fields){{NULL, 0}, zspan(d->remote_uri), zspan(d->id.remote_tag), {NULL, 0}};
  f->call_id = zspan(d->id.call_id);
  f->cseq = cseq;
  if (!strcmp(method, "INVITE")) { /* 12.2.1.1: a target refresh carries our Contact */
    o->contact = (sipspec_addr_fields){{NULL, 0}, zspan(d->contact), {NULL, 0}, {NULL, 0}};
    f->contact = &o->contact;
  }
  /* The local header lines, the INVITE's credentials for an ACK (13.2.2.4), the TU's lines. */
  const char *parts[3] = {d->headers, !strcmp(method, "ACK") ? d->ack_headers : NULL, extra};
  size_t len = 1;
  for (int i = 0; i < 3; i++) len += parts[i] ? strlen(parts[i]) : 0;
  if (len > 1) {
    if (!(o->lines = malloc(len))) return SIPSPEC_E_NOMEM;
    size_t w = 0; /* the parts one after the other (len counted them) */
    for (int i = 0; i < 3; i++)
      if (parts[i]) {
        size_t k = strlen(parts[i]);
        memcpy(o->lines + w, parts[i], k);
        w += k;
      }
    o->lines[w] = '\0';
    f->extra_lines = zspan(o->lines);
  }
  if (ctype && body_len) {
    f->content_type = zspan(ctype);
    f->body = (sipspec_span){body, body_len};
  }
  return SIPSPEC_OK;
}

/* ---- actions ------------------------------------------------------------------------------ */

static void commit_target(sipspec_dialog *d) {
  if (!d->pend || !d->pend->target) return;
  free(d->remote_target);
  d->remote_target = d->pend->target;
  d->pend->target = NULL;
}

static void commit_routes(sipspec_dialog *d) {
  if (!d->pend || !d->pend->has_routes) return;
  if (routes_take(d, d->pend->routes, d->pend->n_routes) != SIPSPEC_OK) {
    d->act_err = SIPSPEC_E_NOMEM; /* the route set stays as it was */
    return;
  }
  d->pend->n_routes = 0;
}

/* Early: each 1xx/2xx with a Contact sets the remote target, and the 2xx sets the route set
 * (12.1.2, 13.2.2.4). */
static void dlg_act_update_remote_target(sipspec_dialog *d) {
  commit_target(d);
  commit_routes(d); /* only set for a 2xx */
}

/* Confirmed (a target refresh, 12.2.1.2): the 2xx to the last re-INVITE replaces the remote
 * target with its Contact before its ACK is built; copies of the 2xx to an earlier INVITE
 * change nothing, and the route set is never recomputed once confirmed. */
static void dlg_act_refresh_remote_target(sipspec_dialog *d) {
  if (d->refresh_match) commit_target(d);
}

static void dlg_act_create_dialog(sipspec_dialog *d) {
  if (d->role == SIPSPEC_DIALOG_ROLE_UAS) return; /* everything came from the INVITE */
  if (!d->pend) return;
  if (d->pend->remote_tag) {
    if (d->id.remote_tag != dlg_empty) free((char *)d->id.remote_tag);
    d->id.remote_tag = d->pend->remote_tag; /* taken over */
    d->pend->remote_tag = NULL;
  }
  commit_target(d);
  /* A 1xx creates the early dialog with the route set of the 1xx (12.1.2). */
  d->pend->has_routes = 1;
  commit_routes(d);
}

static void dlg_act_send_ack(sipspec_dialog *d) {
  sipspec_dialog_fields o;
  uint32_t cseq = d->cur_msg ? sipspec_msg_cseq(d->cur_msg) : d->local_cseq;
  int rc = request_fields(d, "ACK", cseq, NULL, NULL, NULL, 0, &o);
  /* 13.2.2.4: the ACK for a 2xx goes outside any transaction: its text, written here. */
  size_t len = 0, cap = rc ? 0 : sipspec_request_fields_cap(&o.f);
  char *ack = cap ? malloc(cap) : NULL;
  if (!rc && !ack) rc = SIPSPEC_E_NOMEM;
  if (!rc) {
    sipspec_build b;
    sipspec_build_init(&b, ack, cap);
    rc = sipspec_build_request(&b, &o.f);
    len = b.len;
  }
  sipspec_dialog_fields_free(&o);
  if (rc) {
    free(ack);
    d->act_err = rc;
    return;
  }
  if (d->cb.send_ack) d->cb.send_ack(d, ack, len, sipspec_dialog_next_hop(d), d->cb.user);
  free(ack);
}

static void send_request(sipspec_dialog *d) {
  const sipspec_dialog_req *r = d->cur_req;
  sipspec_dialog_fields o;
  if (!r) return;
  d->cur_cseq = ++d->local_cseq;
  if (!strcmp(r->method, "INVITE")) d->refresh_cseq = d->cur_cseq;
  int rc = request_fields(d, r->method, d->cur_cseq, r->headers, r->content_type, r->body, r->body_len, &o);
  if (rc) {
    sipspec_dialog_fields_free(&o);
    d->act_err = rc;
    return;
  }
  if (d->cur_ev == SIPSPEC_EV_TU_BYE) d->bye_sent = 1;
  if (d->cb.send_request) d->cb.send_request(d, &o.f, sipspec_dialog_next_hop(d), d->cb.user);
  sipspec_dialog_fields_free(&o);
}

int sipspec_dialog_rebuild_request(sipspec_dialog *d, sipspec_dialog_fields *out) {
  if (!d || !out) return SIPSPEC_E_INVAL;
  memset(out, 0, sizeof *out);
  const sipspec_dialog_req *r = d->cur_req;
  if (!d->busy || !r || !d->cur_cseq) return SIPSPEC_E_STATE;
  return request_fields(d, r->method, d->cur_cseq, r->headers, r->content_type, r->body, r->body_len, out);
}

static void dlg_act_check_remote_cseq(sipspec_dialog *d) {
  uint32_t n = d->cur_msg ? sipspec_msg_cseq(d->cur_msg) : 0;
  /* 12.2.2: lower than the remote sequence number: out of order, 500. */
  if (d->remote_cseq && n < d->remote_cseq) {
    d->cseq_refused = 1;
    if (d->cb.respond) d->cb.respond(d, d->cur_msg, 500, "CSeq Out of Order", d->cb.user);
    return;
  }
  d->remote_cseq = n;
}

static void dlg_act_pass_to_tu(sipspec_dialog *d) {
  if (d->cseq_refused || !d->cur_msg) return;
  if (d->cb.on_request) d->cb.on_request(d, d->cur_msg, d->cb.user);
}

static void dlg_act_answer_200(sipspec_dialog *d) {
  if (d->cur_msg) {
    uint32_t n = sipspec_msg_cseq(d->cur_msg);
    if (n > d->remote_cseq) d->remote_cseq = n;
  }
  if (d->cb.respond) d->cb.respond(d, d->cur_msg, 200, "OK", d->cb.user);
}

static void dlg_act_report_terminated(sipspec_dialog *d) {
  sipspec_dialog_end why;
  switch (d->cur_ev) {
  case SIPSPEC_EV_TU_BYE: why = SIPSPEC_DIALOG_END_BYE_SENT; break;
  case SIPSPEC_EV_RX_BYE: why = SIPSPEC_DIALOG_END_BYE_RECEIVED; break;
  case SIPSPEC_EV_RX_481_408: why = SIPSPEC_DIALOG_END_481_408; break;
  case SIPSPEC_EV_TXN_TIMEOUT: why = SIPSPEC_DIALOG_END_TIMEOUT; break;
  case SIPSPEC_EV_TRANSPORT_ERR: why = SIPSPEC_DIALOG_END_TRANSPORT; break;
  default: why = SIPSPEC_DIALOG_END_FAILED; break;
  }
  if (d->cb.on_terminated) d->cb.on_terminated(d, why, d->cb.user);
}

/* send_in_dialog_request and send_bye send the request the TU prepared (RFC 3261 12.2.1.1). */
static void dlg_act_send_in_dialog_request(sipspec_dialog *d) { send_request(d); }
static void dlg_act_send_bye(sipspec_dialog *d) { send_request(d); }

static void on_action(void *ctx, const sipspec_chart *chart, int action) {
  sipspec_dialog *d = ctx;
  assert(chart == &sipspec_chart_dialog);
  (void)chart;
  sipspec_dialog_dispatch(&sipspec_dialog_impl, d, action);
}

/* ---- feeding ------------------------------------------------------------------------------ */

static int feed(sipspec_dialog *d, int ev, const sipspec_msg *msg, const sipspec_dialog_req *req) {
  d->cur_ev = ev;
  d->cur_msg = msg;
  d->cur_req = req;
  d->cseq_refused = 0;
  d->act_err = 0;
  d->busy = 1;
  int rc = sipspec_fsm_feed(&d->fsm, ev);
  d->busy = 0;
  d->cur_msg = NULL;
  d->cur_req = NULL;
  if (d->pend) pending_clear(d->pend);
  d->pend = NULL;
  if (rc) return rc;
  if (d->act_err) return d->act_err;
  if (d->cseq_refused) return SIPSPEC_E_DIALOG_CSEQ_ORDER;
  return SIPSPEC_OK;
}

int sipspec_dialog_rx_invite_response(sipspec_dialog *d, const sipspec_msg *resp) {
  if (!d || !resp || sipspec_msg_is_request(resp)) return SIPSPEC_E_INVAL;
  if (d->busy) return SIPSPEC_E_STATE;
  int status = sipspec_msg_status(resp);
  /* UAS: only the 2xx to a re-INVITE it sent in the dialog (its ACK, the target refresh) */
  if (d->role != SIPSPEC_DIALOG_ROLE_UAC && (status < 200 || status >= 300)) return SIPSPEC_E_STATE;
  sipspec_addr to;
  if (sipspec_msg_cseq_method(resp) != SIPSPEC_METHOD_INVITE || sipspec_msg_to(resp, &to) != SIPSPEC_OK)
    return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  if (!sipspec_dialog_match_response(d, resp)) return SIPSPEC_E_DIALOG_MISMATCH;
  if (status >= 300) return feed(d, SIPSPEC_EV_RX_300_699, resp, NULL);
  if (status == 100 || !to.tag.len) return SIPSPEC_E_FSM_IGNORED; /* no dialog without a tag */
  if (to.tag.len > SIPSPEC_DIALOG_TAG_MAX) return SIPSPEC_E_RANGE;
  dlg_pending pend, *p = &pend;
  memset(p, 0, sizeof *p);
  int rc = SIPSPEC_OK;
  if (!(p->remote_tag = sipspec_span_dup(to.tag))) rc = SIPSPEC_E_NOMEM;
  if (!rc) {
    rc = contact_uri(resp, &p->target);
    /* 12.1.2: a 2xx must carry the remote target; a 1xx may leave it for later. */
    if (rc == SIPSPEC_E_NOTFOUND) rc = status >= 200 ? SIPSPEC_E_DIALOG_BAD_MESSAGE : SIPSPEC_OK;
  }
  /* The route set of a 2xx, or of the 1xx that creates the early dialog (create_dialog
   * commits it; a later 1xx's is not used). */
  if (!rc) rc = read_routes(resp, 1, p->routes, &p->n_routes);
  if (!rc && status >= 200) p->has_routes = 1;
  if (rc) {
    pending_clear(p);
    return rc;
  }
  /* 12.2.1.2: only the 2xx to the last re-INVITE refreshes the target (the chart's
   * Confirmed__RX_2XX runs refresh_remote_target; see dlg_act_refresh_remote_target). */
  d->refresh_match = status >= 200 && d->refresh_cseq && sipspec_msg_cseq(resp) == d->refresh_cseq;
  d->pend = p; /* feed() clears it */
  return feed(d, status >= 200 ? SIPSPEC_EV_RX_2XX : SIPSPEC_EV_RX_1XX, resp, NULL);
}

int sipspec_dialog_tu_invite_response(sipspec_dialog *d, int status) {
  if (!d || status < 101 || status > 699) return SIPSPEC_E_INVAL;
  if (d->busy || d->role != SIPSPEC_DIALOG_ROLE_UAS) return SIPSPEC_E_STATE;
  int ev = status < 200 ? SIPSPEC_EV_TU_1XX : status < 300 ? SIPSPEC_EV_TU_2XX : SIPSPEC_EV_TU_300_699;
  return feed(d, ev, NULL, NULL);
}

int sipspec_dialog_rx_request(sipspec_dialog *d, const sipspec_msg *req) {
  if (!d || !req || !sipspec_msg_is_request(req)) return SIPSPEC_E_INVAL;
  if (d->busy) return SIPSPEC_E_STATE;
  if (!sipspec_dialog_match_request(d, req)) return SIPSPEC_E_DIALOG_MISMATCH;
  if (!sipspec_msg_cseq(req)) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  switch (sipspec_msg_method(req)) {
  case SIPSPEC_METHOD_ACK: return feed(d, SIPSPEC_EV_RX_ACK, req, NULL);
  case SIPSPEC_METHOD_BYE: return feed(d, SIPSPEC_EV_RX_BYE, req, NULL);
  default: return feed(d, SIPSPEC_EV_RX_REQUEST, req, NULL);
  }
}

int sipspec_dialog_request(sipspec_dialog *d, const sipspec_dialog_req *r, uint32_t *cseq) {
  if (!d || !r || !r->method || !*r->method || !strcmp(r->method, "ACK") || !strcmp(r->method, "CANCEL"))
    return SIPSPEC_E_INVAL;
  if (strpbrk(r->method, " \t\r\n:")) return SIPSPEC_E_INVAL;
  if (d->busy) return SIPSPEC_E_STATE;
  d->cur_cseq = 0;
  int rc = feed(d, !strcmp(r->method, "BYE") ? SIPSPEC_EV_TU_BYE : SIPSPEC_EV_TU_REQUEST, NULL, r);
  if (cseq) *cseq = d->cur_cseq;
  return rc;
}

int sipspec_dialog_bye_again(sipspec_dialog *d, const char *headers, uint32_t *cseq) {
  if (cseq) *cseq = 0;
  if (!d) return SIPSPEC_E_INVAL;
  if (d->busy || !d->bye_sent) return SIPSPEC_E_STATE;
  if (headers && strstr(headers, "\r\n\r\n")) return SIPSPEC_E_INVAL;
  /* 22.2: a new request (CSeq + 1, new branch) to where the first BYE went; the dialog
   * stays Terminated (TU_BYE took it there), nothing is fed. */
  sipspec_dialog_fields o;
  uint32_t n = d->local_cseq + 1;
  int rc = request_fields(d, "BYE", n, headers, NULL, NULL, 0, &o);
  if (rc) {
    sipspec_dialog_fields_free(&o);
    return rc;
  }
  d->local_cseq = n;
  if (cseq) *cseq = n;
  d->busy = 1;
  if (d->cb.send_request) d->cb.send_request(d, &o.f, sipspec_dialog_next_hop(d), d->cb.user);
  d->busy = 0;
  sipspec_dialog_fields_free(&o);
  return SIPSPEC_OK;
}

int sipspec_dialog_rx_request_response(sipspec_dialog *d, int status) {
  if (!d) return SIPSPEC_E_INVAL;
  if (d->busy) return SIPSPEC_E_STATE;
  if (status != 481 && status != 408) return SIPSPEC_E_FSM_IGNORED;
  return feed(d, SIPSPEC_EV_RX_481_408, NULL, NULL);
}

int sipspec_dialog_txn_timeout(sipspec_dialog *d) {
  if (!d) return SIPSPEC_E_INVAL;
  if (d->busy) return SIPSPEC_E_STATE;
  return feed(d, SIPSPEC_EV_TXN_TIMEOUT, NULL, NULL);
}

int sipspec_dialog_transport_error(sipspec_dialog *d) {
  if (!d) return SIPSPEC_E_INVAL;
  if (d->busy) return SIPSPEC_E_STATE;
  return feed(d, SIPSPEC_EV_TRANSPORT_ERR, NULL, NULL);
}

/* ---- matching and inspection ----------------------------------------------------------- */

int sipspec_dialog_match_request(const sipspec_dialog *d, const sipspec_msg *req) {
  sipspec_addr from, to;
  if (!sipspec_span_eq(sipspec_msg_call_id(req), d->id.call_id) || sipspec_msg_from(req, &from) != SIPSPEC_OK ||
      sipspec_msg_to(req, &to) != SIPSPEC_OK)
    return 0;
  return sipspec_span_eq(to.tag, d->id.local_tag) && sipspec_span_eq(from.tag, d->id.remote_tag);
}

int sipspec_dialog_match_response(const sipspec_dialog *d, const sipspec_msg *resp) {
  sipspec_addr from, to;
  if (!sipspec_span_eq(sipspec_msg_call_id(resp), d->id.call_id) || sipspec_msg_from(resp, &from) != SIPSPEC_OK ||
      sipspec_msg_to(resp, &to) != SIPSPEC_OK || !sipspec_span_eq(from.tag, d->id.local_tag))
    return 0;
  return !d->id.remote_tag[0] || !to.tag.len || sipspec_span_eq(to.tag, d->id.remote_tag);
}

const sipspec_dialog_idref *sipspec_dialog_id_get(const sipspec_dialog *d) { return &d->id; }
sipspec_dialog_role sipspec_dialog_role_get(const sipspec_dialog *d) { return d->role; }
int sipspec_dialog_state(const sipspec_dialog *d) { return sipspec_fsm_state(&d->fsm); }
const char *sipspec_dialog_state_name(const sipspec_dialog *d) { return sipspec_fsm_state_name(&d->fsm); }
uint32_t sipspec_dialog_local_cseq(const sipspec_dialog *d) { return d->local_cseq; }
uint32_t sipspec_dialog_remote_cseq(const sipspec_dialog *d) { return d->remote_cseq; }
const char *sipspec_dialog_local_uri(const sipspec_dialog *d) { return d->local_uri; }
const char *sipspec_dialog_remote_uri(const sipspec_dialog *d) { return d->remote_uri; }
const char *sipspec_dialog_remote_target(const sipspec_dialog *d) {
  return d->remote_target ? d->remote_target : "";
}
size_t sipspec_dialog_route_count(const sipspec_dialog *d) { return d->n_routes; }
const char *sipspec_dialog_route(const sipspec_dialog *d, size_t i) {
  return i < d->n_routes ? d->routes[i] : NULL;
}
