/* session/dialog.c: a SIP dialog on the generated chart spec/dialog.rl (RFC 3261 section 12).
 *
 * The chart decides what happens; this file implements each of its actions as the typed
 * callback dlg_act_<action> (create_dialog, update_remote_target, refresh_remote_target, send_ack,
 * send_in_dialog_request, send_bye, check_remote_cseq, pass_to_tu, answer_200,
 * report_terminated; the generated chart_dialog_actions.h declares them, and the build fails
 * when the chart names an action that has none) and keeps the dialog state they work on.
 * What a message contributes (a response's To tag, Contact, Record-Route) is checked and
 * read before the event is fed, so a bad message changes nothing and the actions only
 * commit prepared values; the strings a dialog keeps are in one block (dialog_str.c). Messages are built with sipspec/msg.h's builder
 * into malloc'd buffers handed to the owner's callbacks; nothing here touches a socket.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/dialog_internal.h"
#include "sip/msg_internal.h"
#include "session/tsx.h"
#include "sipspec/chart_dialog.h"

/* The chart's actions as typed callbacks (generated from spec/dialog.rl). */
#include "chart_dialog_actions.h"
#include "sipspec/fsm.h"

/* The route set from msg's Record-Route values (spans into msg), reversed for the UAC
 * (12.1.2), as received for the UAS (12.1.1). */
static int read_routes(const sipspec_msg *m, int reverse, sipspec_span *out, size_t *n) {
  size_t count = sipspec_msg_value_count(m, SIPSPEC_H_RECORD_ROUTE);
  if (count > DLG_MAX_ROUTES) return SIPSPEC_E_RANGE;
  *n = 0;
  for (size_t i = 0; i < count; i++) {
    sipspec_addr a;
    if (sipspec_msg_record_route(m, i, &a) != SIPSPEC_OK || !a.uri.len) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
    out[reverse ? count - 1 - i : i] = a.uri;
    (*n)++;
  }
  return SIPSPEC_OK;
}

/* The first Contact's URI (a span into m). */
static int contact_uri(const sipspec_msg *m, sipspec_span *out) {
  sipspec_addr a;
  *out = (sipspec_span){NULL, 0};
  if (sipspec_msg_value_count(m, SIPSPEC_H_CONTACT) == 0) return SIPSPEC_E_NOTFOUND;
  if (sipspec_msg_contact(m, 0, &a) != SIPSPEC_OK || a.star || !a.uri.len) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  *out = a.uri;
  return SIPSPEC_OK;
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

/* What a dialog cannot be created without (12.1.1, 12.1.2), in the order they are checked. */
static int dlg_check(sipspec_span call_id, sipspec_span from_uri, sipspec_span from_tag, sipspec_span to_uri,
                     uint32_t cseq, const sipspec_dialog_local *local) {
  if (!local || !local->via || !local->contact || !*local->via || !*local->contact) return SIPSPEC_E_INVAL;
  if (!call_id.len || !cseq || !from_tag.len || !from_uri.len || !to_uri.len) return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  if (call_id.len > SIPSPEC_DIALOG_CALL_ID_MAX || from_tag.len > SIPSPEC_DIALOG_TAG_MAX) return SIPSPEC_E_RANGE;
  sipspec_via via;
  return dlg_via_read(local->via, strlen(local->via), &via);
}

/* A dialog from an INVITE's Call-ID, From URI and tag, To URI and CSeq number (12.1.1,
 * 12.1.2), whether read from a parsed INVITE or given by the UAC that wrote it; for the UAS
 * also our tag, the remote target and the route set (v[S_LOCAL_TAG], v[S_TARGET], routes).
 * All its strings go into the block at once. */
static int dlg_alloc(sipspec_span call_id, sipspec_span from_uri, sipspec_span from_tag, sipspec_span to_uri,
                     uint32_t cseq, sipspec_dialog_role role, const sipspec_dialog_local *local, int borrow,
                     const sipspec_dialog_callbacks *cb, void *user, sipspec_span *v, const sipspec_span *routes,
                     size_t n_routes, sipspec_dialog **out) {
  static const sipspec_dialog_callbacks none;
  *out = NULL;
  int rc = dlg_check(call_id, from_uri, from_tag, to_uri, cseq, local);
  if (rc) return rc;
  /* shared: the owner's callbacks, the user pointer after the struct; else their copy */
  sipspec_dialog *d = calloc(1, sizeof *d + (borrow ? sizeof(void *) : sizeof *cb));
  if (!d) return SIPSPEC_E_NOMEM;
  d->flags = (uint8_t)((role == SIPSPEC_DIALOG_ROLE_UAS ? DLG_UAS : 0) | (borrow ? DLG_SHARED : 0));
  if (borrow) {
    d->cb = cb ? cb : &none;
    d->tail[0] = user;
  } else {
    sipspec_dialog_callbacks *copy = (sipspec_dialog_callbacks *)(void *)d->tail;
    if (cb) *copy = *cb;
    d->cb = copy;
  }
  v[S_CALL_ID] = call_id;
  if (role == SIPSPEC_DIALOG_ROLE_UAC) {
    v[S_LOCAL_TAG] = from_tag;
    v[S_LOCAL_URI] = from_uri;
    v[S_REMOTE_URI] = to_uri;
    d->local_cseq = cseq;
  } else {
    v[S_REMOTE_TAG] = from_tag;
    v[S_LOCAL_URI] = to_uri;
    v[S_REMOTE_URI] = from_uri;
    d->remote_cseq = cseq;
  }
  v[S_VIA] = dlg_zspan(local->via);
  v[S_CONTACT] = dlg_zspan(local->contact);
  v[S_HEADERS] = dlg_zspan(local->headers);
  rc = dlg_strs_set(d, v, borrow ? 1u << S_VIA | 1u << S_CONTACT | 1u << S_HEADERS : 0, local, routes, n_routes);
  if (rc) {
    free(d);
    return rc;
  }
  sipspec_fsm_init(&d->fsm, &sipspec_chart_dialog, on_action, d);
  *out = d;
  return SIPSPEC_OK;
}

/* The INVITE's From and To, or SIPSPEC_E_DIALOG_BAD_MESSAGE / SIPSPEC_E_INVAL. */
static int invite_parts(const sipspec_msg *invite, const sipspec_dialog_local *local, sipspec_addr *from,
                        sipspec_addr *to) {
  if (!invite || !local || !local->via || !local->contact || !*local->via || !*local->contact)
    return SIPSPEC_E_INVAL;
  if (!sipspec_msg_is_request(invite) || sipspec_msg_method(invite) != SIPSPEC_METHOD_INVITE ||
      sipspec_msg_from(invite, from) != SIPSPEC_OK || sipspec_msg_to(invite, to) != SIPSPEC_OK)
    return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  return SIPSPEC_OK;
}

int sipspec_dialog_create_uac_fields(const sipspec_dialog_uac_fields *f, const sipspec_dialog_local *local,
                                     const sipspec_dialog_callbacks *cb, sipspec_dialog **out) {
  if (!out || !f) return SIPSPEC_E_INVAL;
  sipspec_span v[S_ROUTES] = {{NULL, 0}};
  return dlg_alloc(dlg_zspan(f->call_id), dlg_zspan(f->local_uri), dlg_zspan(f->local_tag), dlg_zspan(f->remote_uri), f->cseq,
                   SIPSPEC_DIALOG_ROLE_UAC, local, 0, cb, NULL, v, NULL, 0, out);
}

int sipspec_dialog_create_uac(const sipspec_msg *invite, const sipspec_dialog_local *local,
                              const sipspec_dialog_callbacks *cb, sipspec_dialog **out) {
  if (!out) return SIPSPEC_E_INVAL;
  *out = NULL;
  sipspec_addr from, to;
  int rc = invite_parts(invite, local, &from, &to);
  if (rc) return rc;
  sipspec_span v[S_ROUTES] = {{NULL, 0}};
  return dlg_alloc(sipspec_msg_call_id(invite), from.uri, from.tag, to.uri, sipspec_msg_cseq(invite),
                   SIPSPEC_DIALOG_ROLE_UAC, local, 0, cb, NULL, v, NULL, 0, out);
}

static int create_uas(const sipspec_msg *invite, const char *local_tag, const sipspec_dialog_local *local,
                      int borrow, const sipspec_dialog_callbacks *cb, void *user, sipspec_dialog **out) {
  if (!out) return SIPSPEC_E_INVAL;
  *out = NULL;
  if (!local_tag || !*local_tag) return SIPSPEC_E_INVAL;
  if (strlen(local_tag) > SIPSPEC_DIALOG_TAG_MAX) return SIPSPEC_E_RANGE;
  sipspec_addr from, to;
  int rc = invite_parts(invite, local, &from, &to);
  if (rc) return rc;
  sipspec_span v[S_ROUTES] = {{NULL, 0}}, routes[DLG_MAX_ROUTES];
  size_t n = 0;
  v[S_LOCAL_TAG] = dlg_zspan(local_tag);
  rc = contact_uri(invite, &v[S_TARGET]);
  if (rc == SIPSPEC_E_NOTFOUND) rc = SIPSPEC_E_DIALOG_BAD_MESSAGE; /* 8.1.1.8: INVITE needs one */
  if (!rc) rc = read_routes(invite, 0, routes, &n);
  if (rc) { /* the checks of the INVITE's other parts come first */
    int first = dlg_check(sipspec_msg_call_id(invite), from.uri, from.tag, to.uri, sipspec_msg_cseq(invite), local);
    return first ? first : rc;
  }
  return dlg_alloc(sipspec_msg_call_id(invite), from.uri, from.tag, to.uri, sipspec_msg_cseq(invite),
                   SIPSPEC_DIALOG_ROLE_UAS, local, borrow, cb, user, v, routes, n, out);
}

int sipspec_dialog_create_uas(const sipspec_msg *invite, const char *local_tag,
                              const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                              sipspec_dialog **out) {
  return create_uas(invite, local_tag, local, 0, cb, NULL, out);
}

int sipspec_dialog_create_uas_shared(const sipspec_msg *invite, const char *local_tag,
                                     const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                                     void *user, sipspec_dialog **out) {
  return create_uas(invite, local_tag, local, 1, cb, user, out);
}

void sipspec_dialog_destroy(sipspec_dialog *d) {
  if (!d) return;
  assert(!dlg_cur_of(d));
  free(d->str);
  free(d);
}

int sipspec_dialog_set_via(sipspec_dialog *d, const char *via) {
  if (!d || !via || !*via) return SIPSPEC_E_INVAL;
  sipspec_via v;
  size_t n = strlen(via);
  if (dlg_via_read(via, n, &v)) return SIPSPEC_E_BUILD_VALUE;
  return dlg_str_set(d, S_VIA, (sipspec_span){via, n});
}

int sipspec_dialog_set_contact(sipspec_dialog *d, const char *contact) {
  if (!d || !contact || !*contact) return SIPSPEC_E_INVAL;
  return dlg_str_set(d, S_CONTACT, dlg_zspan(contact));
}

int sipspec_dialog_set_ack_headers(sipspec_dialog *d, const char *headers) {
  if (!d) return SIPSPEC_E_INVAL;
  return dlg_str_set(d, S_ACK_HEADERS, dlg_zspan(headers));
}

/* ---- building requests (12.2.1.1) ------------------------------------------------------- */

static int route_is_loose(const char *uri) {
  sipspec_uri u;
  if (sipspec_uri_parse(uri, strlen(uri), &u, NULL) != SIPSPEC_OK) return 1;
  return u.lr;
}

const char *sipspec_dialog_next_hop(const sipspec_dialog *d) {
  if (d->n_routes) return dlg_routes_at(d);
  return sipspec_dialog_remote_target(d);
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
  const char *target = dlg_str_at(d, S_TARGET), *via = dlg_str_at(d, S_VIA);
  if (!target) return SIPSPEC_E_STATE;
  sipspec_via v; /* the local Via as set (checked then): sent-protocol, sent-by, ;rport */
  if (dlg_via_read(via, strlen(via), &v)) return SIPSPEC_E_BUILD_VALUE;
  sipspec_request_fields *f = &o->f;
  int rc = sipspec_tsx_new_branch(o->branch, sizeof o->branch);
  if (rc) return rc;
  sipspec_span routes[DLG_MAX_ROUTES];
  size_t nr = dlg_routes_get(d, routes);
  int strict = nr && !route_is_loose(routes[0].p);
  f->method = dlg_zspan(method);
  f->request_uri = strict ? routes[0] : dlg_zspan(target);
  f->via = (sipspec_via_fields){v.transport, v.host, v.port > 0 ? v.port : 0, dlg_zspan(o->branch), v.rport >= 0, {NULL, 0}};
  f->max_forwards = 70;
  size_t n = 0;
  for (size_t i = strict ? 1 : 0; i < nr; i++) o->routes[n++] = routes[i];
  if (strict) o->routes[n++] = dlg_zspan(target); /* 12.2.1.1: the target last */
  f->routes = o->routes;
  f->n_routes = n;
  f->from = (sipspec_addr_fields){{NULL, 0}, dlg_zspan(dlg_str_at(d, S_LOCAL_URI)), dlg_zspan(d->id.local_tag), {NULL, 0}};
  f->to = (sipspec_addr_fields){{NULL, 0}, dlg_zspan(dlg_str_at(d, S_REMOTE_URI)), dlg_zspan(d->id.remote_tag), {NULL, 0}};
  f->call_id = dlg_zspan(d->id.call_id);
  f->cseq = cseq;
  if (!strcmp(method, "INVITE")) { /* 12.2.1.1: a target refresh carries our Contact */
    o->contact = (sipspec_addr_fields){{NULL, 0}, dlg_zspan(dlg_str_at(d, S_CONTACT)), {NULL, 0}, {NULL, 0}};
    f->contact = &o->contact;
  }
  /* The local header lines, the INVITE's credentials for an ACK (13.2.2.4), the TU's lines. */
  const char *parts[3] = {dlg_str_at(d, S_HEADERS), !strcmp(method, "ACK") ? dlg_str_at(d, S_ACK_HEADERS) : NULL, extra};
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
    f->extra_lines = dlg_zspan(o->lines);
  }
  if (ctype && body_len) {
    f->content_type = dlg_zspan(ctype);
    f->body = (sipspec_span){body, body_len};
  }
  return SIPSPEC_OK;
}

/* ---- actions ------------------------------------------------------------------------------ */

/* The remote target and the route set a response being fed brought (each when it brought
 * one; routes: only when has_routes), committed in one step. */
static void commit(sipspec_dialog *d, int target, int routes) {
  dlg_pending *p = dlg_cur_of(d) ? dlg_cur_of(d)->pend : NULL;
  if (!p) return;
  target = target && p->target.p;
  routes = routes && p->has_routes;
  if (!target && !routes) return;
  sipspec_span v[S_ROUTES], r[DLG_MAX_ROUTES];
  unsigned lent = dlg_strs_get(d, v);
  size_t n = dlg_routes_get(d, r);
  if (target) v[S_TARGET] = p->target;
  if (routes) memcpy(r, p->routes, (n = p->n_routes) * sizeof *r);
  int rc = dlg_strs_set(d, v, lent, dlg_lent_local(d), r, n);
  if (rc) dlg_cur_of(d)->act_err = rc; /* the target and the route set stay as they were */
}

/* Early: each 1xx/2xx with a Contact sets the remote target, and the 2xx sets the route set
 * (12.1.2, 13.2.2.4). */
static void dlg_act_update_remote_target(sipspec_dialog *d) { commit(d, 1, 1); }

/* Confirmed (a target refresh, 12.2.1.2): the 2xx to the last re-INVITE replaces the remote
 * target with its Contact before its ACK is built; copies of the 2xx to an earlier INVITE
 * change nothing, and the route set is never recomputed once confirmed. */
static void dlg_act_refresh_remote_target(sipspec_dialog *d) {
  if (dlg_cur_of(d) && dlg_cur_of(d)->refresh_match) commit(d, 1, 0);
}

/* UAC: the remote tag, the remote target and the route set of the response that creates the
 * dialog; a 1xx creates the early dialog with the route set of the 1xx (12.1.2). */
static void dlg_act_create_dialog(sipspec_dialog *d) {
  if (dlg_is_uas(d)) return; /* everything came from the INVITE */
  dlg_pending *p = dlg_cur_of(d) ? dlg_cur_of(d)->pend : NULL;
  if (!p) return;
  sipspec_span v[S_ROUTES];
  unsigned lent = dlg_strs_get(d, v);
  if (p->remote_tag.len) v[S_REMOTE_TAG] = p->remote_tag;
  if (p->target.p) v[S_TARGET] = p->target;
  int rc = dlg_strs_set(d, v, lent, dlg_lent_local(d), p->routes, p->n_routes);
  if (rc) dlg_cur_of(d)->act_err = rc;
}

static void dlg_act_send_ack(sipspec_dialog *d) {
  sipspec_dialog_fields o;
  uint32_t cseq = dlg_cur_of(d)->msg ? sipspec_msg_cseq(dlg_cur_of(d)->msg) : d->local_cseq;
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
    dlg_cur_of(d)->act_err = rc;
    return;
  }
  if (d->cb->send_ack) d->cb->send_ack(d, ack, len, sipspec_dialog_next_hop(d), dlg_user_of(d));
  free(ack);
}

static void send_request(sipspec_dialog *d) {
  const sipspec_dialog_req *r = dlg_cur_of(d)->req;
  sipspec_dialog_fields o;
  if (!r) return;
  dlg_cur_of(d)->cseq = ++d->local_cseq;
  if (!strcmp(r->method, "INVITE")) d->refresh_cseq = dlg_cur_of(d)->cseq;
  int rc = request_fields(d, r->method, dlg_cur_of(d)->cseq, r->headers, r->content_type, r->body, r->body_len, &o);
  if (rc) {
    sipspec_dialog_fields_free(&o);
    dlg_cur_of(d)->act_err = rc;
    return;
  }
  if (dlg_cur_of(d)->ev == SIPSPEC_EV_TU_BYE) d->flags |= DLG_BYE_SENT;
  if (d->cb->send_request) d->cb->send_request(d, &o.f, sipspec_dialog_next_hop(d), dlg_user_of(d));
  sipspec_dialog_fields_free(&o);
}

int sipspec_dialog_rebuild_request(sipspec_dialog *d, sipspec_dialog_fields *out) {
  if (!d || !out) return SIPSPEC_E_INVAL;
  memset(out, 0, sizeof *out);
  if (!dlg_cur_of(d)) return SIPSPEC_E_STATE;
  const sipspec_dialog_req *r = dlg_cur_of(d)->req;
  if (!r || !dlg_cur_of(d)->cseq) return SIPSPEC_E_STATE;
  return request_fields(d, r->method, dlg_cur_of(d)->cseq, r->headers, r->content_type, r->body, r->body_len, out);
}

static void dlg_act_check_remote_cseq(sipspec_dialog *d) {
  uint32_t n = dlg_cur_of(d)->msg ? sipspec_msg_cseq(dlg_cur_of(d)->msg) : 0;
  /* 12.2.2: lower than the remote sequence number: out of order, 500. */
  if (d->remote_cseq && n < d->remote_cseq) {
    dlg_cur_of(d)->cseq_refused = 1;
    if (d->cb->respond) d->cb->respond(d, dlg_cur_of(d)->msg, 500, "CSeq Out of Order", dlg_user_of(d));
    return;
  }
  d->remote_cseq = n;
}

static void dlg_act_pass_to_tu(sipspec_dialog *d) {
  if (dlg_cur_of(d)->cseq_refused || !dlg_cur_of(d)->msg) return;
  if (d->cb->on_request) d->cb->on_request(d, dlg_cur_of(d)->msg, dlg_user_of(d));
}

static void dlg_act_answer_200(sipspec_dialog *d) {
  if (dlg_cur_of(d)->msg) {
    uint32_t n = sipspec_msg_cseq(dlg_cur_of(d)->msg);
    if (n > d->remote_cseq) d->remote_cseq = n;
  }
  if (d->cb->respond) d->cb->respond(d, dlg_cur_of(d)->msg, 200, "OK", dlg_user_of(d));
}

static void dlg_act_report_terminated(sipspec_dialog *d) {
  sipspec_dialog_end why;
  switch (dlg_cur_of(d)->ev) {
  case SIPSPEC_EV_TU_BYE: why = SIPSPEC_DIALOG_END_BYE_SENT; break;
  case SIPSPEC_EV_RX_BYE: why = SIPSPEC_DIALOG_END_BYE_RECEIVED; break;
  case SIPSPEC_EV_RX_481_408: why = SIPSPEC_DIALOG_END_481_408; break;
  case SIPSPEC_EV_TXN_TIMEOUT: why = SIPSPEC_DIALOG_END_TIMEOUT; break;
  case SIPSPEC_EV_TRANSPORT_ERR: why = SIPSPEC_DIALOG_END_TRANSPORT; break;
  default: why = SIPSPEC_DIALOG_END_FAILED; break;
  }
  if (d->cb->on_terminated) d->cb->on_terminated(d, why, dlg_user_of(d));
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

/* Feeds f->ev with f (the event's message, request, pending parts: the caller's) as d's
 * feed in progress (dlg_cur_of()). */
static int feed_ctx(sipspec_dialog *d, dlg_feed *f) {
  dlg_feed_push(d, f);
  int rc = sipspec_fsm_feed(&d->fsm, f->ev);
  dlg_feed_pop(f);
  free(f->old);
  if (rc) return rc;
  if (f->act_err) return f->act_err;
  if (f->cseq_refused) return SIPSPEC_E_DIALOG_CSEQ_ORDER;
  return SIPSPEC_OK;
}

static int feed(sipspec_dialog *d, int ev, const sipspec_msg *msg, const sipspec_dialog_req *req) {
  dlg_feed f = {0};
  f.ev = ev, f.msg = msg, f.req = req;
  return feed_ctx(d, &f);
}

int sipspec_dialog_rx_invite_response(sipspec_dialog *d, const sipspec_msg *resp) {
  if (!d || !resp || sipspec_msg_is_request(resp)) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d)) return SIPSPEC_E_STATE;
  int status = sipspec_msg_status(resp);
  /* UAS: only the 2xx to a re-INVITE it sent in the dialog (its ACK, the target refresh) */
  if (dlg_is_uas(d) && (status < 200 || status >= 300)) return SIPSPEC_E_STATE;
  sipspec_addr to;
  if (sipspec_msg_cseq_method(resp) != SIPSPEC_METHOD_INVITE || sipspec_msg_to(resp, &to) != SIPSPEC_OK)
    return SIPSPEC_E_DIALOG_BAD_MESSAGE;
  if (!sipspec_dialog_match_response(d, resp)) return SIPSPEC_E_DIALOG_MISMATCH;
  if (status >= 300) return feed(d, SIPSPEC_EV_RX_300_699, resp, NULL);
  if (status == 100 || !to.tag.len) return SIPSPEC_E_FSM_IGNORED; /* no dialog without a tag */
  if (to.tag.len > SIPSPEC_DIALOG_TAG_MAX) return SIPSPEC_E_RANGE;
  dlg_pending pend, *p = &pend;
  memset(p, 0, sizeof *p);
  p->remote_tag = to.tag;
  int rc = contact_uri(resp, &p->target);
  /* 12.1.2: a 2xx must carry the remote target; a 1xx may leave it for later. */
  if (rc == SIPSPEC_E_NOTFOUND) rc = status >= 200 ? SIPSPEC_E_DIALOG_BAD_MESSAGE : SIPSPEC_OK;
  /* The route set of a 2xx, or of the 1xx that creates the early dialog (create_dialog
   * commits it; a later 1xx's is not used). */
  if (!rc) rc = read_routes(resp, 1, p->routes, &p->n_routes);
  if (!rc && status >= 200) p->has_routes = 1;
  if (rc) return rc;
  dlg_feed f = {0};
  f.ev = status >= 200 ? SIPSPEC_EV_RX_2XX : SIPSPEC_EV_RX_1XX, f.msg = resp, f.pend = p;
  /* 12.2.1.2: only the 2xx to the last re-INVITE refreshes the target (the chart's
   * Confirmed__RX_2XX runs refresh_remote_target; see dlg_act_refresh_remote_target). */
  f.refresh_match = status >= 200 && d->refresh_cseq && sipspec_msg_cseq(resp) == d->refresh_cseq;
  return feed_ctx(d, &f);
}

int sipspec_dialog_tu_invite_response(sipspec_dialog *d, int status) {
  if (!d || status < 101 || status > 699) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d) || !dlg_is_uas(d)) return SIPSPEC_E_STATE;
  int ev = status < 200 ? SIPSPEC_EV_TU_1XX : status < 300 ? SIPSPEC_EV_TU_2XX : SIPSPEC_EV_TU_300_699;
  return feed(d, ev, NULL, NULL);
}

int sipspec_dialog_rx_request(sipspec_dialog *d, const sipspec_msg *req) {
  if (!d || !req || !sipspec_msg_is_request(req)) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d)) return SIPSPEC_E_STATE;
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
  if (dlg_cur_of(d)) return SIPSPEC_E_STATE;
  dlg_feed f = {0};
  f.ev = !strcmp(r->method, "BYE") ? SIPSPEC_EV_TU_BYE : SIPSPEC_EV_TU_REQUEST, f.req = r;
  int rc = feed_ctx(d, &f);
  if (cseq) *cseq = f.cseq;
  return rc;
}

int sipspec_dialog_bye_again(sipspec_dialog *d, const char *headers, uint32_t *cseq) {
  if (cseq) *cseq = 0;
  if (!d) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d) || !(d->flags & DLG_BYE_SENT)) return SIPSPEC_E_STATE;
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
  dlg_feed f = {0}; /* nothing is fed: the callback sees a dialog that is busy */
  dlg_feed_push(d, &f);
  if (d->cb->send_request) d->cb->send_request(d, &o.f, sipspec_dialog_next_hop(d), dlg_user_of(d));
  dlg_feed_pop(&f);
  free(f.old);
  sipspec_dialog_fields_free(&o);
  return SIPSPEC_OK;
}

int sipspec_dialog_rx_request_response(sipspec_dialog *d, int status) {
  if (!d) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d)) return SIPSPEC_E_STATE;
  if (status != 481 && status != 408) return SIPSPEC_E_FSM_IGNORED;
  return feed(d, SIPSPEC_EV_RX_481_408, NULL, NULL);
}

int sipspec_dialog_txn_timeout(sipspec_dialog *d) {
  if (!d) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d)) return SIPSPEC_E_STATE;
  return feed(d, SIPSPEC_EV_TXN_TIMEOUT, NULL, NULL);
}

int sipspec_dialog_transport_error(sipspec_dialog *d) {
  if (!d) return SIPSPEC_E_INVAL;
  if (dlg_cur_of(d)) return SIPSPEC_E_STATE;
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
sipspec_dialog_role sipspec_dialog_role_get(const sipspec_dialog *d) {
  return dlg_is_uas(d) ? SIPSPEC_DIALOG_ROLE_UAS : SIPSPEC_DIALOG_ROLE_UAC;
}
int sipspec_dialog_state(const sipspec_dialog *d) { return sipspec_fsm_state(&d->fsm); }
const char *sipspec_dialog_state_name(const sipspec_dialog *d) { return sipspec_fsm_state_name(&d->fsm); }
uint32_t sipspec_dialog_local_cseq(const sipspec_dialog *d) { return d->local_cseq; }
uint32_t sipspec_dialog_remote_cseq(const sipspec_dialog *d) { return d->remote_cseq; }
const char *sipspec_dialog_local_uri(const sipspec_dialog *d) { return dlg_str_at(d, S_LOCAL_URI); }
const char *sipspec_dialog_remote_uri(const sipspec_dialog *d) { return dlg_str_at(d, S_REMOTE_URI); }
const char *sipspec_dialog_remote_target(const sipspec_dialog *d) {
  const char *t = dlg_str_at(d, S_TARGET);
  return t ? t : "";
}
size_t sipspec_dialog_route_count(const sipspec_dialog *d) { return d->n_routes; }
const char *sipspec_dialog_route(const sipspec_dialog *d, size_t i) {
  if (i >= d->n_routes) return NULL;
  const char *p = dlg_routes_at(d);
  while (i--) p += strlen(p) + 1;
  return p;
}
