/* session/session_send.c: what the session sends and where: the first INVITE with the
 * roadmap's header list, its dialog (session/dialog.h) and the dialog's send callbacks, and the
 * move from UDP to TCP for a request too big for UDP (RFC 3261 18.1.1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "session/session_internal.h"

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

/* RFC 3261 18.1.1: a request too big for UDP goes over TCP, to the same host and port. The
 * session then stays on TCP (RFC 3261 9.1: the CANCEL goes the INVITE's way, and so do the
 * ACK, the in-dialog requests and the BYE): its kind, Via and Contact say TCP from now on,
 * in its dialog too. */
void session_move_to_tcp(sipspec_session *s, const sipspec_sockaddr *tl) {
  s->kind = SIPSPEC_TP_TCP;
  s->local_port = sipspec_sockaddr_port(tl);
  char hostport[SIPSPEC_SOCKADDR_STRLEN + 16], via[SIPSPEC_SOCKADDR_STRLEN + 48],
      contact[SIPSPEC_SOCKADDR_STRLEN + 300];
  snprintf(hostport, sizeof hostport, "%s:%u", s->local_host, s->local_port);
  snprintf(via, sizeof via, "SIP/2.0/TCP %s;rport", hostport);
  snprintf(contact, sizeof contact, "sip:%.200s@%s;transport=tcp", s->ua->from_user, hostport);
  if (session_set_addressing(s, NULL, NULL, via, contact) != SIPSPEC_OK) return; /* stays as it was */
  if (s->dialog) {
    (void)sipspec_dialog_set_via(s->dialog, s->via);
    (void)sipspec_dialog_set_contact(s->dialog, s->contact);
  }
}

/* ---- the INVITE -------------------------------------------------------------------------- */

int session_build_invite(sipspec_session *s) {
  sipspec_ua *ua = s->ua;
  char branch[SIPSPEC_TSX_BRANCH_SIZE];
  int rc = sipspec_tsx_new_branch(branch, sizeof branch);
  if (rc) return rc;
  size_t cap = 2048 + strlen(s->target) * 2 + (s->to_display ? strlen(s->to_display) : 0) +
               (s->extra_headers ? strlen(s->extra_headers) : 0) +
               (s->auth_headers ? strlen(s->auth_headers) : 0) + strlen(ua->user_agent) +
               (ua->display_name ? strlen(ua->display_name) : 0) + s->offer_len;
  char *buf = malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  char disp[300] = "", todisp[300] = "", st_lines[160];
  session_timer_invite_headers(s, st_lines, sizeof st_lines); /* RFC 4028 7.1 */
  if (ua->display_name) snprintf(disp, sizeof disp, "\"%s\" ", ua->display_name);
  if (s->to_display) snprintf(todisp, sizeof todisp, "\"%s\" ", s->to_display);
  int n = snprintf(buf, cap,
                   "INVITE %s SIP/2.0\r\n"
                   "Via: %s;branch=%s\r\n"
                   "Max-Forwards: 70\r\n"
                   "From: %s<sip:%s@%s>;tag=%s\r\n"
                   "To: %s<%s>\r\n"
                   "Call-ID: %s\r\n"
                   "CSeq: %u INVITE\r\n"
                   "Contact: <%s>\r\n"
                   "User-Agent: %s\r\n"
                   "Allow: " SESSION_ALLOW "\r\n"
                   "%s%s%s"
                   "Content-Type: application/sdp\r\n"
                   "Content-Length: %zu\r\n"
                   "\r\n",
                   s->target, s->via, branch, disp, ua->from_user, s->local_host, s->from_tag, todisp, s->target,
                   s->call_id, (unsigned)s->cseq, s->contact, ua->user_agent, st_lines, s->auth_headers ? s->auth_headers : "",
                   s->extra_headers ? s->extra_headers : "", s->offer_len);
  if (n < 0 || (size_t)n + s->offer_len >= cap) {
    free(buf);
    return SIPSPEC_E_MSG_NOSPACE;
  }
  memcpy(buf + n, s->offer, s->offer_len);
  free(s->invite);
  s->invite = buf;
  s->invite_len = (size_t)n + s->offer_len;
  return SIPSPEC_OK;
}
/* A UAC dialog for the INVITE session_build_invite() wrote, from the same fields (12.1.2:
 * Call-ID, From URI and tag, To URI, CSeq), not from a parse of its text. */
int session_dialog_for_invite(sipspec_session *s, const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                              sipspec_dialog **out) {
  char local_uri[SIPSPEC_SOCKADDR_STRLEN + 300];
  int n = snprintf(local_uri, sizeof local_uri, "sip:%s@%s", s->ua->from_user, s->local_host);
  if (n < 0 || (size_t)n >= sizeof local_uri) return SIPSPEC_E_RANGE;
  sipspec_dialog_uac_fields f = {s->call_id, local_uri, s->from_tag, s->target, s->cseq};
  return sipspec_dialog_create_uac_fields(&f, local, cb, out);
}

/* A (new) UAC dialog for the INVITE just built (recreated after an auth retry). */
int session_new_dialog(sipspec_session *s) {
  char hdrs[512];
  snprintf(hdrs, sizeof hdrs, "User-Agent: %s\r\n", s->ua->user_agent);
  sipspec_dialog_local local = {s->via, s->contact, hdrs};
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

/* An in-dialog request (re-INVITE, OPTIONS, BYE) built by the dialog. One too big for UDP
 * (18.1.1) moves the session to TCP and goes there, built again by the dialog with the TCP
 * Via and Contact it builds with from now on. */
void session_dlg_send_request(sipspec_dialog *d, const char *req, size_t len, const char *hop, void *user) {
  sipspec_session *s = user;
  sipspec_sockaddr a, tl;
  if (!s->cur_req) return;
  ua_hop_addr(s, hop, &a);
  if (!session_needs_tcp(s, len, &a, &tl)) {
    s->cur_req->rc = session_start_tsx(s, s->cur_req->role, req, len, &a);
    return;
  }
  /* The dialog builds it again with the TCP Via and Contact (move_to_tcp gave it them). */
  session_move_to_tcp(s, &tl);
  char *again = NULL;
  size_t again_len = 0;
  s->cur_req->rc = sipspec_dialog_rebuild_request(d, &again, &again_len);
  if (!s->cur_req->rc) s->cur_req->rc = session_start_tsx(s, s->cur_req->role, again, again_len, &a);
  free(again);
}

void session_dlg_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *user) {
  sipspec_session *s = user;
  (void)d, (void)req;
  if (s->cur_srv) sipspec_tsx_respond(s->cur_srv, status, reason, NULL, NULL, 0);
}
