/* session/session_send.c: what the session sends and where: the first INVITE with the
 * roadmap's header list, its dialog (session/dialog.h) and the dialog's send callbacks, and the
 * move from UDP to TCP for a request too big for UDP (RFC 3261 18.1.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/session_internal.h"
#include "sip/msg_internal.h"

/* ---- the transport (RFC 3261 18.1.1) ------------------------------------------------------ */

/* 1 when a request of len bytes may not go over UDP (larger than cfg.udp_max_size) and the
 * session, still on UDP, can move to TCP: TCP is open and has a local address toward dest
 * (written to *tl). */
int session_needs_tcp(sipspec_session *s, size_t len, const sipspec_sockaddr *dest, sipspec_sockaddr *tl) {
  sipspec_ua *ua = s->ua;
  if (s->kind != SIPSPEC_TP_UDP) return 0;
  sipspec_config c = ua->cfg;
  c.transport = SIPSPEC_TP_UDP; /* the session's transport, whatever cfg.transport says */
  sipspec_tp_kind pick;
  sipspec_transport *tcp = sipspec_tsx_layer_transport(ua->layer, SIPSPEC_TP_TCP);
  return tcp && sipspec_transport_pick(&c, len, &pick, NULL, 0) == SIPSPEC_OK && pick == SIPSPEC_TP_TCP &&
         sipspec_transport_local_addr(tcp, dest, tl) == SIPSPEC_OK;
}

/* session_needs_tcp() for the request f describes: its size measured only when the upper
 * bound of it (no pass over the fields) would not fit. */
static int fields_need_tcp(sipspec_session *s, const sipspec_request_fields *f, const sipspec_sockaddr *dest,
                           sipspec_sockaddr *tl, size_t *len) {
  *len = sipspec_request_fields_cap(f);
  if (!session_needs_tcp(s, *len, dest, tl)) return 0;
  *len = sipspec_request_fields_size(f);
  return session_needs_tcp(s, *len, dest, tl);
}

/* RFC 3261 18.1.1: a request too big for UDP goes over TCP, to the same host and port. The
 * session then stays on TCP (RFC 3261 9.1: the CANCEL goes the INVITE's way, and so do the
 * ACK, the in-dialog requests and the BYE): its kind, Via and Contact say TCP from now on,
 * in its dialog too. */
void session_move_to_tcp(sipspec_session *s, const sipspec_sockaddr *tl) {
  s->kind = SIPSPEC_TP_TCP;
  s->local_port = sipspec_sockaddr_port(tl);
  if (s->dialog) {
    char via[SESSION_VIA_MAX], contact[SESSION_CONTACT_MAX];
    session_via(s, via, sizeof via);
    session_contact(s, contact, sizeof contact);
    (void)sipspec_dialog_set_via(s->dialog, via);
    (void)sipspec_dialog_set_contact(s->dialog, contact);
  }
}

/* ---- the INVITE -------------------------------------------------------------------------- */

/* What the INVITE's fields point to besides the session. */
typedef struct invite_parts {
  char branch[SIPSPEC_TSX_BRANCH_SIZE];
  char from_uri[SIPSPEC_SOCKADDR_STRLEN + 300];
  char st_num[2][16];
  sipspec_ext_header hdrs[5];
  sipspec_addr_fields contact;
  char contact_uri[SESSION_CONTACT_MAX];
  char *lines; /* the credentials, then the user's extra header lines: malloc'd or NULL */
} invite_parts;

/* The roadmap's INVITE (RFC 3261 8.1.1) as typed fields: Via (our sent-by, ;rport, a new
 * branch), Max-Forwards 70, From (display name, our URI, tag), To (the target), Call-ID,
 * CSeq, Contact, User-Agent, Allow, the session timer's headers (RFC 4028 7.1), the
 * credentials and the user's extra headers, the offer. */
static int invite_fields(sipspec_session *s, invite_parts *p, sipspec_request_fields *f) {
  sipspec_ua *ua = s->ua;
  memset(f, 0, sizeof *f);
  p->lines = NULL;
  int rc = sipspec_tsx_new_branch(p->branch, sizeof p->branch);
  if (rc) return rc;
  size_t n = session_join(p->from_uri, sizeof p->from_uri, (const char *const[]){"sip:", ua->from_user, "@", s->local_host}, 4);
  if (n >= sizeof p->from_uri) return SIPSPEC_E_RANGE;
  f->method = sipspec_span_z("INVITE");
  f->request_uri = sipspec_span_z(s->target);
  /* Our sent-by (18.1.1) with ;rport (RFC 3581), as session_via() says it in text for the dialog. */
  static const char *const tp_name[] = {[SIPSPEC_TP_UDP] = "UDP", [SIPSPEC_TP_TCP] = "TCP", [SIPSPEC_TP_TLS] = "TLS"};
  f->via = (sipspec_via_fields){sipspec_span_z(tp_name[s->kind]), sipspec_span_z(s->local_host), (int)s->local_port,
                                sipspec_span_z(p->branch), 1, {NULL, 0}};
  f->max_forwards = 70;
  f->from = (sipspec_addr_fields){sipspec_span_z(ua->display_name), sipspec_span_z(p->from_uri),
                                  sipspec_span_z(s->from_tag), {NULL, 0}};
  f->to = (sipspec_addr_fields){sipspec_span_z(s->to_display), sipspec_span_z(s->target), {NULL, 0}, {NULL, 0}};
  f->call_id = sipspec_span_z(s->call_id);
  f->cseq = s->cseq;
  session_contact(s, p->contact_uri, sizeof p->contact_uri);
  p->contact = (sipspec_addr_fields){{NULL, 0}, sipspec_span_z(p->contact_uri), {NULL, 0}, {NULL, 0}};
  f->contact = &p->contact;
  size_t k = 0;
  p->hdrs[k++] = (sipspec_ext_header){sipspec_span_z("User-Agent"), sipspec_span_z(ua->user_agent)};
  p->hdrs[k++] = (sipspec_ext_header){sipspec_span_z("Allow"), sipspec_span_z(SESSION_ALLOW)};
  k += session_timer_invite_headers(s, p->hdrs + k, p->st_num); /* RFC 4028 7.1 */
  f->headers = p->hdrs;
  f->n_headers = k;
  const char *auth = s->auth_headers ? s->auth_headers : "", *extra = s->extra_headers ? s->extra_headers : "";
  if (*auth && *extra) {
    size_t len = strlen(auth) + strlen(extra) + 1;
    if (!(p->lines = malloc(len))) return SIPSPEC_E_NOMEM;
    snprintf(p->lines, len, "%s%s", auth, extra);
    f->extra_lines = sipspec_span_z(p->lines);
  } else {
    f->extra_lines = sipspec_span_z(*auth ? auth : extra);
  }
  f->content_type = sipspec_span_z("application/sdp");
  if (s->setup) f->body = (sipspec_span){s->setup->offer, s->setup->offer_len};
  return SIPSPEC_OK;
}

/* 1 when the INVITE as it would be written now must go over TCP (18.1.1; *tl as
 * session_needs_tcp() gives it). */
int session_invite_needs_tcp(sipspec_session *s, sipspec_sockaddr *tl) {
  invite_parts p;
  sipspec_request_fields f;
  size_t len;
  sipspec_sockaddr dest = session_dest(s);
  int rc = invite_fields(s, &p, &f), tcp = !rc && fields_need_tcp(s, &f, &dest, tl, &len);
  free(p.lines);
  return tcp;
}

/* Sends the INVITE (its client transaction builds the text from the fields) after its
 * dialog is made; a request too big for UDP moves the session to TCP first (18.1.1). */
int session_send_invite(sipspec_session *s) {
  sipspec_sockaddr tl;
  invite_parts p;
  sipspec_request_fields f;
  int rc = invite_fields(s, &p, &f);
  sipspec_sockaddr dest = session_dest(s);
  if (!rc && !s->setup) rc = SIPSPEC_E_STATE; /* established: no INVITE of setup to send */
  if (!rc && fields_need_tcp(s, &f, &dest, &tl, &s->setup->invite_len)) { /* a retry with credentials too */
    session_move_to_tcp(s, &tl);
    free(p.lines);
    rc = invite_fields(s, &p, &f); /* the TCP Via and Contact */
  }
  /* its length as the transaction built it (no measuring pass of its own) */
  if (!rc) rc = session_new_dialog(s);
  if (!rc) rc = session_start_tsx_len(s, ST_INVITE, &f, &dest, &s->setup->invite_len);
  free(p.lines);
  return rc;
}

/* A UAC dialog for the INVITE session_send_invite() sends, from the same fields (12.1.2:
 * Call-ID, From URI and tag, To URI, CSeq), not from a parse of its text. */
int session_dialog_for_invite(sipspec_session *s, const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                              sipspec_dialog **out) {
  char local_uri[SIPSPEC_SOCKADDR_STRLEN + 300];
  size_t n = session_join(local_uri, sizeof local_uri, (const char *const[]){"sip:", s->ua->from_user, "@", s->local_host}, 4);
  if (n >= sizeof local_uri) return SIPSPEC_E_RANGE;
  sipspec_dialog_uac_fields f = {s->call_id, local_uri, s->from_tag, s->target, s->cseq};
  return sipspec_dialog_create_uac_fields(&f, local, cb, out);
}

/* A (new) UAC dialog for the INVITE just built (recreated after an auth retry). */
int session_new_dialog(sipspec_session *s) {
  char hdrs[512];
  session_join(hdrs, sizeof hdrs, (const char *const[]){"User-Agent: ", s->ua->user_agent, "\r\n"}, 3);
  char via[SESSION_VIA_MAX], contact[SESSION_CONTACT_MAX];
  session_via(s, via, sizeof via);
  session_contact(s, contact, sizeof contact);
  sipspec_dialog_local local = {via, contact, hdrs};
  sipspec_dialog_callbacks cb = {session_dlg_send_ack, session_dlg_send_request, session_dlg_respond, session_dlg_on_request, NULL, s};
  sipspec_dialog *d;
  int rc = session_dialog_for_invite(s, &local, &cb, &d);
  if (rc) return rc;
  sipspec_dialog_destroy(s->dialog);
  s->dialog = d;
  return sipspec_dialog_set_ack_headers(d, s->auth_headers);
}

/* ---- the dialog's callbacks -------------------------------------------------------------- */

void session_dlg_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a;
  (void)d;
  ua_hop_addr(s, hop, &a);
  sipspec_tsx_layer_send(s->ua->layer, s->kind, &a, ack, len);
}

/* An in-dialog request (re-INVITE, OPTIONS, BYE) described by the dialog. One too big for
 * UDP (18.1.1) moves the session to TCP and goes there, described again by the dialog with
 * the TCP Via and Contact it uses from now on. */
void session_dlg_send_request(sipspec_dialog *d, const sipspec_request_fields *req, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a, tl;
  if (!s->cur_req) return;
  ua_hop_addr(s, hop, &a);
  size_t len;
  if (!fields_need_tcp(s, req, &a, &tl, &len)) {
    s->cur_req->rc = session_start_tsx(s, s->cur_req->role, req, &a);
    return;
  }
  /* The dialog describes it again with the TCP Via and Contact (move_to_tcp gave it them). */
  session_move_to_tcp(s, &tl);
  sipspec_dialog_fields again;
  s->cur_req->rc = sipspec_dialog_rebuild_request(d, &again);
  if (!s->cur_req->rc) s->cur_req->rc = session_start_tsx(s, s->cur_req->role, &again.f, &a);
  sipspec_dialog_fields_free(&again);
}

void session_dlg_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *user) {
  sipspec_session *s = user;
  (void)d, (void)req;
  if (s->cur_srv) sipspec_tsx_respond(s->cur_srv, status, reason, NULL, NULL, 0);
}
