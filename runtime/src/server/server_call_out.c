/* server/server_call_out.c: the requests a call of the embedded server sends in its dialog
 * (built by the dialog, session/dialog.h) and what comes back: our BYE (RFC 3261 15.1.1),
 * our session refresh (RFC 4028 9, 10: UPDATE or re-INVITE) and its final response, the ACK
 * of a 2xx to our re-INVITE (13.2.2.4). Where they go is server_route.c's; the call's chart
 * hears the outcome through srv_call_post_event(). */
#include <stdlib.h>
#include <string.h>

#include "server/server_internal.h"
#include "sipspec/chart_uas_call.h"

/* ---- the BYE the server sends (15.1.1) ----------------------------------------------- */

static void bye_failed(sipspec_tsx *t, void *user) {
  sipspec_server *srv = user;
  (void)t;
  srv->tel.sipByeAcksMissing++;
}

/* ---- our session refresh (RFC 4028 9, 10) ----------------------------------------------- */

/* The final response to our refresh (the first one of its CSeq) is the chart's event: a 2xx
 * by its Session-Expires (7.2, from our side as the UAC of the refresh: refresher=uac is
 * us), 408/481, another status. Every 2xx to a re-INVITE is acknowledged by the dialog
 * (RFC 3261 13.2.2.4). */
static void refresh_response(sipspec_tsx *t, const sipspec_msg *resp, void *user) {
  srv_call *c = user;
  int status = sipspec_msg_status(resp);
  (void)t;
  if (status < 200) return;
  if (status < 300 && sipspec_msg_cseq_method(resp) == SIPSPEC_METHOD_INVITE)
    (void)sipspec_dialog_rx_invite_response(c->dlg, resp); /* send_ack: srv_call_dlg_send_ack */
  srv_call_ext *x = c->ext;
  if (!x || !x->refresh_cseq || sipspec_msg_cseq(resp) != x->refresh_cseq) return;
  x->refresh_cseq = 0;
  x->refresh_status = status;
  int ev = status == 408 || status == 481 ? SIPSPEC_EV_RX_481_408 : SIPSPEC_EV_RX_300_699;
  if (status < 300) {
    int r;
    unsigned se = sipspec_msg_session_expires(resp, &r);
    if (!se) ev = SIPSPEC_EV_SE_NONE;
    else {
      x->se_uas = r != 's'; /* no parameter: as refresher=uac (7.2) */
      x->se_interval = se; /* our next 2xx's lines: srv_call_timer_lines() */
      ev = x->se_uas ? SIPSPEC_EV_SE_US : SIPSPEC_EV_SE_PEER;
    }
  }
  srv_call_post_event(c, ev);
}

static void refresh_timeout(sipspec_tsx *t, void *user) {
  srv_call *c = user;
  (void)t;
  if (!c->ext || !c->ext->refresh_cseq) return;
  c->ext->refresh_cseq = 0;
  c->ext->refresh_status = 408;
  srv_call_post_event(c, SIPSPEC_EV_TXN_TIMEOUT);
}

static void refresh_transport_error(sipspec_tsx *t, int code, void *user) {
  (void)code;
  refresh_timeout(t, user);
}

static void refresh_terminated(sipspec_tsx *t, void *user) {
  srv_call *c = user;
  if (c->ext && c->ext->refresh_tsx == t) c->ext->refresh_tsx = NULL;
}

void srv_call_detach_refresh(srv_call *c) {
  srv_call_ext *x = c->ext;
  if (!x) return;
  if (x->refresh_tsx) sipspec_tsx_set_callbacks(x->refresh_tsx, NULL);
  x->refresh_tsx = NULL;
  x->refresh_cseq = 0;
}

/* send_ack: the ACK of the client's 2xx to our re-INVITE, where the re-INVITE went. */
void srv_call_dlg_send_ack(sipspec_dialog *d, const char *ack, size_t len, const char *next_hop, void *user) {
  srv_call *c = user;
  (void)d, (void)next_hop;
  if (!c->ext) return; /* no re-INVITE of ours went out */
  sipspec_sockaddr dest = ip_addr_get(&c->ext->req_dest);
  (void)sipspec_tsx_layer_send(c->srv->layer, (sipspec_tp_kind)c->ext->req_kind, &dest, ack, len);
}

/* send_bye, send_in_dialog_request: the request the dialog built goes to the next hop
 * worked out before (our BYE: bye_dest; our refresh: req_dest). */
void srv_call_dlg_send_request(sipspec_dialog *d, const sipspec_request_fields *req, const char *next_hop, void *user) {
  srv_call *c = user;
  sipspec_server *srv = c->srv;
  srv_call_ext *x = c->ext; /* set before the dialog was asked: srv_route_refresh, srv_route_next_hop */
  (void)d, (void)next_hop;
  if (!x) return;
  if (!sipspec_span_eq(req->method, "BYE")) {
    sipspec_tsx_callbacks rcb = {0};
    rcb.on_response = refresh_response;
    rcb.on_timeout = refresh_timeout;
    rcb.on_transport_error = refresh_transport_error;
    rcb.on_terminated = refresh_terminated;
    rcb.user = c;
    sipspec_tsx *t = NULL;
    sipspec_sockaddr dest = ip_addr_get(&x->req_dest);
    if (sipspec_tsx_client_start(srv->layer, (sipspec_tp_kind)x->req_kind, &dest, req, &rcb, &t) != SIPSPEC_OK) t = NULL;
    x->refresh_tsx = t;
    return;
  }
  sipspec_tsx_callbacks cb = {0};
  cb.on_timeout = bye_failed;
  /* no on_transport_error: a BYE the transport could not deliver (a refused connection, an
   * ICMP port unreachable) is counted in sipTransportErrors by the layer, not as a BYE without
   * a response (sipByeAcksMissing), as the client counts it (docs/cli.md, bye_reason) */
  cb.user = srv;
  sipspec_sockaddr dest = ip_addr_get(&x->bye_dest);
  if (sipspec_tsx_client_start(srv->layer, (sipspec_tp_kind)x->bye_kind, &dest, req, &cb, NULL) == SIPSPEC_OK) {
    srv->st.byes_sent++;
    srv->tel.sipByeSent++;
  } else {
    srv->tel.sipByeAcksMissing++;
  }
}
