/* session/dialog.h: a SIP dialog (RFC 3261 section 12) on the generated chart spec/dialog.rl,
 * for both roles: the UAC side (the MRCP client, session*.c) and the UAS side (the embedded
 * MRCP server, runtime/src/server).
 *
 * Why it exists: the dialog state (id, route set, remote target, CSeq numbers) and the
 * in-dialog message rules are the same for a client and a server; both build on this one
 * module. It owns no socket and no transaction: it builds the messages its chart's actions
 * call for (the ACK for a 2xx, in-dialog requests, BYE) and hands them to the owner through
 * callbacks; the owner sends them (ACK outside any transaction with
 * sipspec_tsx_layer_send(), requests through sipspec_tsx_client_start()) and feeds back
 * what happens (responses, requests received, timeouts, transport errors).
 *
 * Internal header (not installed). Functions returning int return SIPSPEC_OK or a negative
 * sipspec/error.h code.
 *
 * Chart and events (spec/dialog.rl):
 *   UAC  sipspec_dialog_rx_invite_response()   1xx with To tag RX_1XX, 2xx RX_2XX, 300-699 RX_300_699
 *   UAS  sipspec_dialog_tu_invite_response()   TU_1XX, TU_2XX, TU_300_699 (responses we send)
 *   both sipspec_dialog_rx_request()           ACK RX_ACK, BYE RX_BYE, other RX_REQUEST
 *        sipspec_dialog_request()              TU_REQUEST (TU_BYE for BYE)
 *        sipspec_dialog_rx_request_response()  481/408 to an in-dialog request RX_481_408
 *        sipspec_dialog_txn_timeout()          TXN_TIMEOUT
 *        sipspec_dialog_transport_error()      TRANSPORT_ERR
 * Each returns the chart's answer: SIPSPEC_OK when a transition was taken,
 * SIPSPEC_E_FSM_IGNORED / _REFUSED when the chart does not define the event in the current
 * state (nothing happened), SIPSPEC_E_FSM_TERMINATED after the end, or an error of its own
 * listed at the function (then nothing was fed).
 *
 * Ownership: a sipspec_dialog is created by sipspec_dialog_create_uac()/_uas(), owned by the
 * caller and freed with sipspec_dialog_destroy(), never from inside one of its callbacks.
 * It copies everything it keeps from the messages it is given. Data handed to callbacks is
 * valid during the call only. Callbacks must not feed the same dialog (SIPSPEC_E_STATE);
 * they may read it with the inspection functions.
 */
#ifndef SIPSPEC_SESSION_DIALOG_H
#define SIPSPEC_SESSION_DIALOG_H

#include <stddef.h>
#include <stdint.h>

#include "sipspec/error.h"
#include "sipspec/fsm.h"
#include "sipspec/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sipspec_dialog sipspec_dialog;

typedef enum sipspec_dialog_role {
  SIPSPEC_DIALOG_ROLE_UAC = 0,
  SIPSPEC_DIALOG_ROLE_UAS = 1
} sipspec_dialog_role;

/* Longest Call-ID and tag a dialog id holds (longer: SIPSPEC_E_RANGE). */
#define SIPSPEC_DIALOG_CALL_ID_MAX 255
#define SIPSPEC_DIALOG_TAG_MAX 127

/* A dialog id (RFC 3261 12): Call-ID, local tag, remote tag. NUL-terminated; remote_tag is
 * "" while a UAC dialog has none yet. Compared exactly (Call-ID and tags are
 * case-sensitive tokens). */
typedef struct sipspec_dialog_id {
  char call_id[SIPSPEC_DIALOG_CALL_ID_MAX + 1];
  char local_tag[SIPSPEC_DIALOG_TAG_MAX + 1];
  char remote_tag[SIPSPEC_DIALOG_TAG_MAX + 1];
} sipspec_dialog_id;

/* A dialog's own id as it keeps it (each string at its size; remote_tag "" while a UAC
 * dialog has none yet). */
typedef struct sipspec_dialog_idref {
  const char *call_id, *local_tag, *remote_tag;
} sipspec_dialog_idref;

/* The id of the dialog a received message belongs to, seen from the receiver: for a
 * request local = To tag, remote = From tag (12.2.2); for a response local = From tag,
 * remote = To tag. SIPSPEC_E_DIALOG_BAD_MESSAGE without Call-ID/From/To,
 * SIPSPEC_E_RANGE when a part is too long. A missing tag gives "". */
int sipspec_dialog_id_of_msg(const sipspec_msg *m, sipspec_dialog_id *out);
/* 1 when equal (all three parts), else 0. */
int sipspec_dialog_id_equal(const sipspec_dialog_id *a, const sipspec_dialog_id *b);

/* What the local side puts in the requests the dialog builds. Strings are copied. */
typedef struct sipspec_dialog_local {
  /* Via value without branch, e.g. "SIP/2.0/UDP 127.0.0.1:5060;rport" (required): read with
   * the Via rule, its transport, sent-by and ;rport go into each request's typed Via with a
   * fresh branch (other params are not kept). */
  const char *via;
  /* Contact URI put in INVITE requests (target refresh, 12.2.1.1), e.g.
   * "sip:client@127.0.0.1:5060" (required). */
  const char *contact;
  /* Extra header lines added to every request it builds, ACK included, e.g.
   * "User-Agent: sipspec/0.1\r\n"; NULL for none. Checked by the builder when a request is
   * written (sipspec_build_header_lines()). */
  const char *headers;
} sipspec_dialog_local;

/* A request the owner asks the dialog to send (TU_REQUEST / TU_BYE). */
typedef struct sipspec_dialog_req {
  const char *method;          /* "OPTIONS", "INVITE" (re-INVITE), "BYE", "INFO", ... (not ACK/CANCEL) */
  const char *headers;         /* extra "Name: value\r\n" lines (e.g. Authorization), or NULL */
  const char *content_type;    /* with a body: "application/sdp"; NULL without */
  const char *body;
  size_t body_len;
} sipspec_dialog_req;

/* Why a dialog ended (report_terminated). */
typedef enum sipspec_dialog_end {
  SIPSPEC_DIALOG_END_FAILED = 1,   /* non-2xx final response to the INVITE (early dialog) */
  SIPSPEC_DIALOG_END_BYE_SENT = 2,
  SIPSPEC_DIALOG_END_BYE_RECEIVED = 3,
  SIPSPEC_DIALOG_END_481_408 = 4,  /* 12.2.1.2 */
  SIPSPEC_DIALOG_END_TIMEOUT = 5,  /* no response at all to a request */
  SIPSPEC_DIALOG_END_TRANSPORT = 6
} sipspec_dialog_end;

/* The chart's actions that leave the dialog. Every member may be NULL (then that output is
 * dropped). `next_hop` is the URI the message goes to (RFC 3261 12.2.1.1 / 8.1.2: the
 * first Route when there is a route set, else the remote target), NUL-terminated. */
typedef struct sipspec_dialog_callbacks {
  /* send_ack: the ACK for a 2xx (13.2.2.4). Send it as is, outside any transaction, to
   * where the INVITE went (or to next_hop). */
  void (*send_ack)(sipspec_dialog *d, const char *ack, size_t len, const char *next_hop, void *user);
  /* send_in_dialog_request / send_bye: a request with CSeq local+1 and a fresh branch, as
   * typed fields (valid during the call). Start a client transaction for it
   * (sipspec_tsx_client_start() writes the text). */
  void (*send_request)(sipspec_dialog *d, const sipspec_request_fields *req, const char *next_hop,
                       void *user);
  /* answer_200 (BYE) and a refused check_remote_cseq (500, 12.2.2): answer the request
   * being received with this status. */
  void (*respond)(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason,
                  void *user);
  /* pass_to_tu: a request for this dialog (ACK for our 2xx, or another request whose CSeq
   * passed the check). The owner answers non-ACK requests itself. */
  void (*on_request)(sipspec_dialog *d, const sipspec_msg *req, void *user);
  /* report_terminated: the dialog is over (the chart is in Terminated). */
  void (*on_terminated)(sipspec_dialog *d, sipspec_dialog_end why, void *user);
  void *user;
} sipspec_dialog_callbacks;

/* UAC: a dialog for the INVITE we sent (its bytes parsed as invite): Call-ID, local URI and
 * tag from From, remote URI from To, local CSeq from CSeq. The dialog is created by the
 * first response with a To tag (create_dialog). cb is copied.
 * SIPSPEC_E_DIALOG_BAD_MESSAGE (not an INVITE request, no From tag, no Call-ID/To/CSeq),
 * SIPSPEC_E_INVAL (local incomplete), SIPSPEC_E_RANGE, SIPSPEC_E_NOMEM. */
int sipspec_dialog_create_uac(const sipspec_msg *invite, const sipspec_dialog_local *local,
                              const sipspec_dialog_callbacks *cb, sipspec_dialog **out);
/* UAC, from the fields of the INVITE the caller wrote (no parse of it): its Call-ID, From
 * URI and tag, To URI (the Request-URI's target) and CSeq number. Strings are copied. Errors
 * as above (SIPSPEC_E_DIALOG_BAD_MESSAGE for an empty field or CSeq 0). */
typedef struct sipspec_dialog_uac_fields {
  const char *call_id;
  const char *local_uri;   /* the From URI, e.g. "sip:client@127.0.0.1" */
  const char *local_tag;   /* the From tag */
  const char *remote_uri;  /* the To URI */
  uint32_t cseq;
} sipspec_dialog_uac_fields;
int sipspec_dialog_create_uac_fields(const sipspec_dialog_uac_fields *f, const sipspec_dialog_local *local,
                                     const sipspec_dialog_callbacks *cb, sipspec_dialog **out);
/* UAS: a dialog for a received INVITE answered with To tag local_tag (the server
 * transaction's, sipspec_tsx_to_tag()): remote tag/URI from From, local URI from To, remote
 * target from Contact, the route set from Record-Route as received (12.1.1), remote CSeq
 * from CSeq. Errors as above (also: no From tag, no Contact). */
int sipspec_dialog_create_uas(const sipspec_msg *invite, const char *local_tag,
                              const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                              sipspec_dialog **out);
/* As sipspec_dialog_create_uas(), but local, its strings (via, contact, headers) and cb
 * are not copied: the dialog keeps the pointers local and cb, and what they point to must
 * stay as it is while it lives (a server's, the same for all its dialogs: issue 16, the
 * bytes a held dialog keeps); cb->user is not used: the callbacks get user.
 * sipspec_dialog_set_via() and _set_contact() copy their strings all the same. */
int sipspec_dialog_create_uas_shared(const sipspec_msg *invite, const char *local_tag,
                                     const sipspec_dialog_local *local, const sipspec_dialog_callbacks *cb,
                                     void *user, sipspec_dialog **out);
void sipspec_dialog_destroy(sipspec_dialog *d);

/* Replaces the Via (without branch) of later requests, e.g. after a transport switch.
 * SIPSPEC_E_BUILD_VALUE when the Via rule refuses it (nothing changes). This and the two
 * below move the dialog's strings (kept in one block): what the inspection functions
 * returned before is stale after, except inside a callback of d, where what the callback
 * was handed stays valid until it returns. SIPSPEC_E_RANGE when the dialog's strings would
 * pass 32 KiB. */
int sipspec_dialog_set_via(sipspec_dialog *d, const char *via);
/* Replaces the Contact URI of later INVITEs (e.g. after a transport switch). */
int sipspec_dialog_set_contact(sipspec_dialog *d, const char *contact);
/* Header lines ("Name: value\r\n", copied; NULL clears) the ACK for a 2xx carries in
 * addition to local.headers: the INVITE's credentials (13.2.2.4). */
int sipspec_dialog_set_ack_headers(sipspec_dialog *d, const char *headers);

/* ---- feeding ----------------------------------------------------------------------------- */

/* The typed fields of a request the dialog describes, with what they point to (the fields
 * borrow the dialog's strings: valid until the dialog changes). Free with
 * sipspec_dialog_fields_free(). */
#define SIPSPEC_DIALOG_MAX_ROUTES 16
typedef struct sipspec_dialog_fields {
  sipspec_request_fields f;
  char branch[40]; /* SIPSPEC_TSX_BRANCH_SIZE */
  sipspec_span routes[SIPSPEC_DIALOG_MAX_ROUTES + 1];
  sipspec_addr_fields contact;
  char *lines;
} sipspec_dialog_fields;
void sipspec_dialog_fields_free(sipspec_dialog_fields *o);

/* Inside the send_request callback of an in-dialog request: the same request (method,
 * CSeq, headers, body) described again with the Via and Contact set since
 * (sipspec_dialog_set_via/_contact) and a fresh branch, into *out (free it with
 * sipspec_dialog_fields_free()); for a request that must move to another transport before
 * it is sent (RFC 3261 18.1.1). SIPSPEC_E_STATE outside that callback. */
int sipspec_dialog_rebuild_request(sipspec_dialog *d, sipspec_dialog_fields *out);

/* UAC: a response to the INVITE (initial or re-INVITE) of this dialog. A 101-199 without a
 * To tag and 100 create nothing (SIPSPEC_E_FSM_IGNORED). Once the remote tag is known, a
 * response with another To tag is SIPSPEC_E_DIALOG_MISMATCH (another fork: a dialog of its
 * own). create_dialog takes the To tag, the Contact (remote target) and the Record-Route
 * reversed as the route set (12.1.2); a 2xx without Contact is
 * SIPSPEC_E_DIALOG_BAD_MESSAGE. send_ack runs for every 2xx, retransmissions included.
 * Target refresh (12.2.1.2): in a confirmed dialog, the 2xx to the last re-INVITE sent
 * through sipspec_dialog_request() replaces the remote target with its Contact before its
 * ACK is built; 2xx copies for earlier INVITEs leave the target as it is. The UAS side
 * feeds only the 2xx to a re-INVITE it sent (RFC 4028 session refresh); other statuses are
 * SIPSPEC_E_STATE there. */
int sipspec_dialog_rx_invite_response(sipspec_dialog *d, const sipspec_msg *resp);
/* UAS: we answered the INVITE with status (TU_1XX / TU_2XX / TU_300_699). */
int sipspec_dialog_tu_invite_response(sipspec_dialog *d, int status);
/* A request that matched this dialog (sipspec_dialog_match_request()). ACK: RX_ACK (on_request
 * in Confirmed). BYE: RX_BYE (respond 200, on_terminated). Others: RX_REQUEST: a CSeq lower
 * than the last one (12.2.2) is answered 500 through respond and the call returns
 * SIPSPEC_E_DIALOG_CSEQ_ORDER (the state stays Confirmed), else the remote CSeq is
 * remembered and on_request runs. SIPSPEC_E_DIALOG_MISMATCH for a request of another dialog. */
int sipspec_dialog_rx_request(sipspec_dialog *d, const sipspec_msg *req);
/* Builds and hands out (send_request) an in-dialog request (12.2.1.1): Request-URI the
 * remote target and Route the route set (loose routing), or, when the first route has no
 * lr parameter, Request-URI that route and Route the rest followed by the remote target
 * (strict routing); From/To with the tags, Call-ID, CSeq local+1 (written to *cseq when not
 * NULL), Max-Forwards 70, Via with a new branch, Contact for INVITE. BYE feeds TU_BYE,
 * anything else TU_REQUEST. SIPSPEC_E_INVAL for ACK, CANCEL or a missing method,
 * SIPSPEC_E_STATE when called from inside a callback of d. */
int sipspec_dialog_request(sipspec_dialog *d, const sipspec_dialog_req *r, uint32_t *cseq);
/* Our BYE was answered 401/407 (RFC 3261 22.2): the BYE again with headers (the
 * credentials lines, or NULL), CSeq local+1 (written to *cseq when not NULL) and a new
 * branch, to the same next hop, handed to send_request. The dialog ended with the first BYE
 * (TU_BYE) and stays Terminated: nothing is fed. SIPSPEC_E_STATE when no BYE of ours went
 * out through this dialog or when called from inside a callback of d; SIPSPEC_E_INVAL for
 * headers holding an empty line. */
int sipspec_dialog_bye_again(sipspec_dialog *d, const char *headers, uint32_t *cseq);
/* The final status of an in-dialog request we sent: 481 and 408 end the dialog
 * (12.2.1.2, RX_481_408); other statuses return SIPSPEC_E_FSM_IGNORED. */
int sipspec_dialog_rx_request_response(sipspec_dialog *d, int status);
int sipspec_dialog_txn_timeout(sipspec_dialog *d);
int sipspec_dialog_transport_error(sipspec_dialog *d);

/* ---- matching and inspection ------------------------------------------------------------- */

/* 12.2.2: Call-ID, To tag == local tag, From tag == remote tag. 1 or 0. */
int sipspec_dialog_match_request(const sipspec_dialog *d, const sipspec_msg *req);
/* Call-ID and From tag == local tag, and To tag == remote tag once that is known. 1 or 0. */
int sipspec_dialog_match_response(const sipspec_dialog *d, const sipspec_msg *resp);

const sipspec_dialog_idref *sipspec_dialog_id_get(const sipspec_dialog *d);
/* 1 when id (sipspec_dialog_id_of_msg()) is d's id, else 0. */
int sipspec_dialog_has_id(const sipspec_dialog *d, const sipspec_dialog_id *id);
sipspec_dialog_role sipspec_dialog_role_get(const sipspec_dialog *d);
/* SIPSPEC_DIALOG_IDLE .. SIPSPEC_DIALOG_TERMINATED (sipspec/chart_dialog.h) and its name. */
int sipspec_dialog_state(const sipspec_dialog *d);
const char *sipspec_dialog_state_name(const sipspec_dialog *d);
uint32_t sipspec_dialog_local_cseq(const sipspec_dialog *d);
/* 0 while no request has been received (UAC before the peer's first request). */
uint32_t sipspec_dialog_remote_cseq(const sipspec_dialog *d);
const char *sipspec_dialog_local_uri(const sipspec_dialog *d);
const char *sipspec_dialog_remote_uri(const sipspec_dialog *d);
/* The remote target ("" before the dialog exists). */
const char *sipspec_dialog_remote_target(const sipspec_dialog *d);
size_t sipspec_dialog_route_count(const sipspec_dialog *d);
/* The i-th URI of the route set (in the order Route headers are written), or NULL. */
const char *sipspec_dialog_route(const sipspec_dialog *d, size_t i);
/* Where in-dialog requests go: the first route, else the remote target. */
const char *sipspec_dialog_next_hop(const sipspec_dialog *d);

#ifdef __cplusplus
}
#endif
#endif
