/* test_dialog.c: the dialog module (runtime/src/session/dialog.c) without sockets: each test
 * feeds parsed messages and asserts the exact messages the dialog hands to its callbacks
 * (RFC 3261 sections 12, 13.2.2.4, 15). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/dialog.h"
#include "session/session_internal.h"
#include "sipspec/chart_dialog.h"
#include "sipspec/chart_uac_session.h"
#include "sipspec/coverage.h"

/* ---- what the callbacks saw --------------------------------------------------------------- */

typedef struct rec {
  int n_ack, n_req, n_respond, n_on_request, n_term;
  char ack[4096], req[4096];
  char ack_hop[256], req_hop[256];
  int respond_status[8];
  int last_end;
  char on_request_method[16];
  int state_in_term;
} rec;

static void cb_ack(sipspec_dialog *d, const char *ack, size_t len, const char *hop, void *u) {
  rec *r = u;
  (void)d;
  r->n_ack++;
  snprintf(r->ack, sizeof r->ack, "%.*s", (int)len, ack);
  snprintf(r->ack_hop, sizeof r->ack_hop, "%s", hop);
}
/* The dialog hands out typed fields; the text is what the transaction would write. */
static void cb_req(sipspec_dialog *d, const sipspec_request_fields *f, const char *hop, void *u) {
  rec *r = u;
  (void)d;
  r->n_req++;
  sipspec_build b;
  sipspec_build_init(&b, r->req, sizeof r->req - 1);
  CU_ASSERT_EQUAL(sipspec_build_request(&b, f), SIPSPEC_OK);
  r->req[b.err ? 0 : b.len] = '\0';
  snprintf(r->req_hop, sizeof r->req_hop, "%s", hop);
}
static void cb_respond(sipspec_dialog *d, const sipspec_msg *req, int status, const char *reason, void *u) {
  rec *r = u;
  (void)d;
  (void)req;
  (void)reason;
  if (r->n_respond < 8) r->respond_status[r->n_respond] = status;
  r->n_respond++;
}
static void cb_on_request(sipspec_dialog *d, const sipspec_msg *req, void *u) {
  rec *r = u;
  (void)d;
  sipspec_span m = sipspec_msg_method_text(req);
  snprintf(r->on_request_method, sizeof r->on_request_method, "%.*s", (int)m.len, m.p);
  r->n_on_request++;
}
static void cb_term(sipspec_dialog *d, sipspec_dialog_end why, void *u) {
  rec *r = u;
  r->n_term++;
  r->last_end = (int)why;
  r->state_in_term = sipspec_dialog_state(d);
}

static sipspec_dialog_callbacks callbacks(rec *r) {
  sipspec_dialog_callbacks cb = {cb_ack, cb_req, cb_respond, cb_on_request, cb_term, r};
  return cb;
}

static const sipspec_dialog_local LOCAL = {"SIP/2.0/UDP 127.0.0.1:5062;rport", "sip:client@127.0.0.1:5062",
                                            "User-Agent: test\r\n"};

/* ---- messages ------------------------------------------------------------------------------ */

static sipspec_msg *msg;  /* one parse target per buffer below */
static sipspec_msg *msg2;
static char buf1[4096], buf2[4096];

static sipspec_msg *parse_into(sipspec_msg *m, char *buf, const char *text) {
  snprintf(buf, 4096, "%s", text);
  int rc = sipspec_msg_parse(m, buf, strlen(buf));
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  return m;
}

#define INVITE_UAC                                                                         \
  "INVITE sip:mresources@127.0.0.1:5070 SIP/2.0\r\n"                                       \
  "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport\r\n"                          \
  "Max-Forwards: 70\r\n"                                                                   \
  "From: <sip:client@127.0.0.1>;tag=ltag1\r\n"                                            \
  "To: <sip:mresources@127.0.0.1:5070>\r\n"                                               \
  "Call-ID: call-1@127.0.0.1\r\n"                                                          \
  "CSeq: 7 INVITE\r\n"                                                                     \
  "Contact: <sip:client@127.0.0.1:5062>\r\n"                                              \
  "Content-Length: 0\r\n\r\n"

static const char *resp(int status, const char *to_tag, const char *contact, const char *rr) {
  static char out[2048];
  snprintf(out, sizeof out,
           "SIP/2.0 %d X\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport=5062\r\n"
           "From: <sip:client@127.0.0.1>;tag=ltag1\r\n"
           "To: <sip:mresources@127.0.0.1:5070>%s%s\r\n"
           "Call-ID: call-1@127.0.0.1\r\n"
           "CSeq: 7 INVITE\r\n"
           "%s%s%s%s%s"
           "Content-Length: 0\r\n\r\n",
           status, to_tag ? ";tag=" : "", to_tag ? to_tag : "", contact ? "Contact: " : "",
           contact ? contact : "", contact ? "\r\n" : "", rr ? rr : "", "");
  return out;
}

static sipspec_dialog *new_uac(rec *r) {
  sipspec_dialog *d = NULL;
  sipspec_dialog_callbacks cb = callbacks(r);
  parse_into(msg, buf1, INVITE_UAC);
  CU_ASSERT_EQUAL_FATAL(sipspec_dialog_create_uac(msg, &LOCAL, &cb, &d), SIPSPEC_OK);
  return d;
}

static int has_line(const char *text, const char *line) {
  char want[512];
  snprintf(want, sizeof want, "\r\n%s\r\n", line);
  return strstr(text, want) != NULL;
}

static int starts(const char *text, const char *prefix) { return !strncmp(text, prefix, strlen(prefix)); }

/* ---- tests ----------------------------------------------------------------------------------- */

/* 12.1.2 + 13.2.2.4: 180 with a tag creates the early dialog, 200 confirms it and is ACKed
 * with the INVITE's CSeq number, a new branch, Request-URI the Contact, Route the
 * Record-Route reversed; a retransmitted 200 is ACKed again. */
static void test_uac_early_confirmed_ack(void) {
  rec r = {0};
  sipspec_dialog *d = new_uac(&r);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_IDLE);
  /* 100 and a tagless 180 create nothing */
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(d, parse_into(msg2, buf2, resp(100, NULL, NULL, NULL))),
                  SIPSPEC_E_FSM_IGNORED);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(d, parse_into(msg2, buf2, resp(180, NULL, NULL, NULL))),
                  SIPSPEC_E_FSM_IGNORED);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_IDLE);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, resp(180, "rtag", "<sip:srv@127.0.0.1:5070>", NULL))),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_EARLY);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_id_get(d)->remote_tag, "rtag");
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_id_get(d)->local_tag, "ltag1");
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_remote_target(d), "sip:srv@127.0.0.1:5070");
  const char *rr = "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n";
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, resp(200, "rtag", "<sip:srv@127.0.0.1:5072>", rr))),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_CONFIRMED);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_remote_target(d), "sip:srv@127.0.0.1:5072");
  CU_ASSERT_EQUAL(sipspec_dialog_route_count(d), 2);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_route(d, 0), "sip:p2.example.com;lr");
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_route(d, 1), "sip:p1.example.com;lr");
  CU_ASSERT_EQUAL(r.n_ack, 1);
  CU_ASSERT_TRUE(starts(r.ack, "ACK sip:srv@127.0.0.1:5072 SIP/2.0\r\n"));
  CU_ASSERT_TRUE(has_line(r.ack, "CSeq: 7 ACK"));
  CU_ASSERT_TRUE(has_line(r.ack, "Route: <sip:p2.example.com;lr>"));
  CU_ASSERT_TRUE(has_line(r.ack, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_TRUE(strstr(r.ack, "Route: <sip:p2.example.com;lr>") < strstr(r.ack, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_TRUE(has_line(r.ack, "From: <sip:client@127.0.0.1>;tag=ltag1"));
  CU_ASSERT_TRUE(has_line(r.ack, "To: <sip:mresources@127.0.0.1:5070>;tag=rtag"));
  CU_ASSERT_TRUE(has_line(r.ack, "Call-ID: call-1@127.0.0.1"));
  CU_ASSERT_TRUE(has_line(r.ack, "Max-Forwards: 70"));
  CU_ASSERT_TRUE(has_line(r.ack, "User-Agent: test"));
  CU_ASSERT_TRUE(has_line(r.ack, "Content-Length: 0"));
  CU_ASSERT_PTR_NULL(strstr(r.ack, "branch=z9hG4bKinv1")); /* a new branch (17.1.1.3 is for non-2xx) */
  CU_ASSERT_PTR_NOT_NULL(strstr(r.ack, "Via: SIP/2.0/UDP 127.0.0.1:5062;rport;branch=z9hG4bK"));
  CU_ASSERT_STRING_EQUAL(r.ack_hop, "sip:p2.example.com;lr");
  char first[4096];
  snprintf(first, sizeof first, "%s", r.ack);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, resp(200, "rtag", "<sip:srv@127.0.0.1:5072>", rr))),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.n_ack, 2);
  CU_ASSERT_TRUE(has_line(r.ack, "CSeq: 7 ACK"));
  CU_ASSERT_STRING_NOT_EQUAL(first, r.ack); /* its own branch again */
  CU_ASSERT_EQUAL(r.n_term, 0);
  sipspec_dialog_destroy(d);
}

/* A 2xx without Contact cannot create a dialog; another fork's tag is another dialog. */
static void test_uac_bad_2xx_and_fork(void) {
  rec r = {0};
  sipspec_dialog *d = new_uac(&r);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(d, parse_into(msg2, buf2, resp(200, "rtag", NULL, NULL))),
                  SIPSPEC_E_DIALOG_BAD_MESSAGE);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_IDLE);
  CU_ASSERT_EQUAL(r.n_ack, 0);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, resp(183, "a", "<sip:srv@127.0.0.1:5070>", NULL))),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, resp(200, "b", "<sip:srv@127.0.0.1:5070>", NULL))),
                  SIPSPEC_E_DIALOG_MISMATCH);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_EARLY);
  /* 12.3: a non-2xx final response ends the early dialog */
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(d, parse_into(msg2, buf2, resp(486, "a", NULL, NULL))),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_TERMINATED);
  CU_ASSERT_EQUAL(r.n_term, 1);
  CU_ASSERT_EQUAL(r.last_end, SIPSPEC_DIALOG_END_FAILED);
  CU_ASSERT_EQUAL(r.state_in_term, SIPSPEC_DIALOG_TERMINATED);
  sipspec_dialog_destroy(d);
}

static sipspec_dialog *confirmed_uac(rec *r, const char *rr) {
  sipspec_dialog *d = new_uac(r);
  CU_ASSERT_EQUAL_FATAL(sipspec_dialog_rx_invite_response(
                            d, parse_into(msg2, buf2, resp(200, "rtag", "<sip:srv@127.0.0.1:5072>", rr))),
                        SIPSPEC_OK);
  return d;
}

/* 12.2.1.1: in-dialog requests take CSeq local+1; loose routing; BYE ends the dialog. */
static void test_uac_requests_and_bye(void) {
  rec r = {0};
  sipspec_dialog *d = confirmed_uac(&r, "Record-Route: <sip:p1.example.com;lr>\r\n");
  sipspec_dialog_req q = {"OPTIONS", "Accept: application/sdp\r\n", NULL, NULL, 0};
  uint32_t cseq = 0;
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &q, &cseq), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cseq, 8);
  CU_ASSERT_EQUAL(r.n_req, 1);
  CU_ASSERT_TRUE(starts(r.req, "OPTIONS sip:srv@127.0.0.1:5072 SIP/2.0\r\n"));
  CU_ASSERT_TRUE(has_line(r.req, "CSeq: 8 OPTIONS"));
  CU_ASSERT_TRUE(has_line(r.req, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_TRUE(has_line(r.req, "Accept: application/sdp"));
  CU_ASSERT_PTR_NULL(strstr(r.req, "Contact:"));
  CU_ASSERT_STRING_EQUAL(r.req_hop, "sip:p1.example.com;lr");
  const char *sdp = "v=0\r\n";
  sipspec_dialog_req inv = {"INVITE", NULL, "application/sdp", sdp, strlen(sdp)};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &inv, &cseq), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cseq, 9);
  CU_ASSERT_TRUE(has_line(r.req, "CSeq: 9 INVITE"));
  CU_ASSERT_TRUE(has_line(r.req, "Contact: <sip:client@127.0.0.1:5062>"));
  CU_ASSERT_TRUE(has_line(r.req, "Content-Type: application/sdp"));
  CU_ASSERT_TRUE(has_line(r.req, "Content-Length: 5"));
  CU_ASSERT_EQUAL(sipspec_dialog_local_cseq(d), 9);
  /* ACK and CANCEL are not in-dialog requests the dialog builds */
  sipspec_dialog_req ack = {"ACK", NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &ack, NULL), SIPSPEC_E_INVAL);
  sipspec_dialog_req bye = {"BYE", NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &bye, &cseq), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cseq, 10);
  CU_ASSERT_TRUE(starts(r.req, "BYE sip:srv@127.0.0.1:5072 SIP/2.0\r\n"));
  CU_ASSERT_TRUE(has_line(r.req, "CSeq: 10 BYE"));
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_TERMINATED);
  CU_ASSERT_EQUAL(r.last_end, SIPSPEC_DIALOG_END_BYE_SENT);
  /* nothing more after the end */
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &q, NULL), SIPSPEC_E_FSM_TERMINATED);
  CU_ASSERT_EQUAL(r.n_req, 3);
  /* the BYE challenged (22.2): sent again with the credentials, CSeq + 1, a new branch, the
   * same Request-URI, Route and next hop; the dialog stays Terminated */
  char first[4096];
  snprintf(first, sizeof first, "%s", r.req);
  CU_ASSERT_EQUAL(sipspec_dialog_bye_again(d, "Authorization: Digest x\r\n\r\nX: y\r\n", NULL), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(r.n_req, 3);
  CU_ASSERT_EQUAL(sipspec_dialog_bye_again(d, "Authorization: Digest username=\"a\"\r\n", &cseq), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cseq, 11);
  CU_ASSERT_EQUAL(r.n_req, 4);
  CU_ASSERT_TRUE(starts(r.req, "BYE sip:srv@127.0.0.1:5072 SIP/2.0\r\n"));
  CU_ASSERT_TRUE(has_line(r.req, "CSeq: 11 BYE"));
  CU_ASSERT_TRUE(has_line(r.req, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_TRUE(has_line(r.req, "Authorization: Digest username=\"a\""));
  CU_ASSERT_TRUE(has_line(r.req, "User-Agent: test"));
  CU_ASSERT_STRING_EQUAL(r.req_hop, "sip:p1.example.com;lr");
  const char *v1 = strstr(first, "\r\nVia: "), *v2 = strstr(r.req, "\r\nVia: ");
  CU_ASSERT_FATAL(v1 && v2);
  CU_ASSERT_NOT_EQUAL(strncmp(v1, v2, (size_t)(strstr(v1 + 2, "\r\n") - v1)), 0);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_TERMINATED);
  CU_ASSERT_EQUAL(r.n_term, 1);
  CU_ASSERT_EQUAL(sipspec_dialog_local_cseq(d), 11);
  sipspec_dialog_destroy(d);
  /* no BYE of ours went out: nothing to send again */
  rec r2 = {0};
  d = confirmed_uac(&r2, NULL);
  CU_ASSERT_EQUAL(sipspec_dialog_bye_again(d, NULL, NULL), SIPSPEC_E_STATE);
  CU_ASSERT_EQUAL(sipspec_dialog_bye_again(NULL, NULL, NULL), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(r2.n_req, 0);
  sipspec_dialog_destroy(d);
}

/* The response text of resp() with its CSeq number replaced ("CSeq: 7 INVITE" -> n). */
static const char *with_cseq(const char *text, unsigned n) {
  static char out[2048];
  const char *at = strstr(text, "CSeq: 7 INVITE");
  CU_ASSERT_PTR_NOT_NULL_FATAL(at);
  snprintf(out, sizeof out, "%.*sCSeq: %u INVITE%s", (int)(at - text), text, n, at + strlen("CSeq: 7 INVITE"));
  return out;
}

/* 12.2.1.2 target refresh: the 2xx to a re-INVITE replaces the remote target with its
 * Contact, and its ACK already goes there; a late copy of the first 2xx (old Contact) is
 * ACKed but changes nothing; the route set stays. */
static void test_uac_target_refresh(void) {
  rec r = {0};
  sipspec_dialog *d = confirmed_uac(&r, "Record-Route: <sip:p1.example.com;lr>\r\n");
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_remote_target(d), "sip:srv@127.0.0.1:5072");
  const char *sdp = "v=0\r\n";
  sipspec_dialog_req inv = {"INVITE", NULL, "application/sdp", sdp, strlen(sdp)};
  uint32_t cseq = 0;
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &inv, &cseq), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cseq, 8);
  /* a 2xx to the re-INVITE, new Contact, and a Record-Route that must be ignored */
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2,
                                    with_cseq(resp(200, "rtag", "<sip:moved@127.0.0.1:5080>",
                                                   "Record-Route: <sip:other.example.com;lr>\r\n"),
                                              8))),
                  SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_remote_target(d), "sip:moved@127.0.0.1:5080");
  CU_ASSERT_EQUAL(r.n_ack, 2);
  CU_ASSERT_TRUE(starts(r.ack, "ACK sip:moved@127.0.0.1:5080 SIP/2.0\r\n"));
  CU_ASSERT_TRUE(has_line(r.ack, "CSeq: 8 ACK"));
  CU_ASSERT_TRUE(has_line(r.ack, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_EQUAL(sipspec_dialog_route_count(d), 1);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_route(d, 0), "sip:p1.example.com;lr");
  /* a late copy of the 2xx to the first INVITE: ACKed (CSeq 7), the target stays */
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, resp(200, "rtag", "<sip:srv@127.0.0.1:5072>", NULL))),
                  SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.n_ack, 3);
  CU_ASSERT_TRUE(has_line(r.ack, "CSeq: 7 ACK"));
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_remote_target(d), "sip:moved@127.0.0.1:5080");
  /* later requests go to the new target */
  sipspec_dialog_req q = {"OPTIONS", NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &q, &cseq), SIPSPEC_OK);
  CU_ASSERT_TRUE(starts(r.req, "OPTIONS sip:moved@127.0.0.1:5080 SIP/2.0\r\n"));
  /* the 2xx to a re-INVITE whose CSeq is not the last re-INVITE's refreshes nothing */
  CU_ASSERT_EQUAL(sipspec_dialog_rx_invite_response(
                      d, parse_into(msg2, buf2, with_cseq(resp(200, "rtag", "<sip:x@127.0.0.1:5090>", NULL), 9))),
                  SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_remote_target(d), "sip:moved@127.0.0.1:5080");
  sipspec_dialog_destroy(d);
}

/* 12.2.1.1: a first route without lr is a strict router: it becomes the Request-URI and the
 * remote target goes last in Route. */
static void test_uac_strict_route(void) {
  rec r = {0};
  sipspec_dialog *d = confirmed_uac(&r, "Record-Route: <sip:p1.example.com;lr>, <sip:strict.example.com>\r\n");
  sipspec_dialog_req q = {"OPTIONS", NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &q, NULL), SIPSPEC_OK);
  CU_ASSERT_TRUE(starts(r.req, "OPTIONS sip:strict.example.com SIP/2.0\r\n"));
  const char *a = strstr(r.req, "Route: <sip:p1.example.com;lr>\r\n");
  const char *b = strstr(r.req, "Route: <sip:srv@127.0.0.1:5072>\r\n");
  CU_ASSERT_PTR_NOT_NULL(a);
  CU_ASSERT_PTR_NOT_NULL(b);
  CU_ASSERT_TRUE(a && b && a < b);
  CU_ASSERT_PTR_NULL(strstr(r.req, "Route: <sip:strict.example.com>"));
  CU_ASSERT_STRING_EQUAL(r.req_hop, "sip:strict.example.com");
  sipspec_dialog_destroy(d);
}

static const char *peer_req(const char *method, unsigned cseq, const char *from_tag) {
  static char out[1024];
  snprintf(out, sizeof out,
           "%s sip:client@127.0.0.1:5062 SIP/2.0\r\n"
           "Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKpeer%u\r\n"
           "Max-Forwards: 70\r\n"
           "From: <sip:mresources@127.0.0.1:5070>;tag=%s\r\n"
           "To: <sip:client@127.0.0.1>;tag=ltag1\r\n"
           "Call-ID: call-1@127.0.0.1\r\n"
           "CSeq: %u %s\r\n"
           "Content-Length: 0\r\n\r\n",
           method, cseq, from_tag, cseq, method);
  return out;
}

/* 12.2.2: a peer request with a lower CSeq than the last gets 500; BYE gets 200 and ends
 * the dialog; requests of another dialog do not match. */
static void test_uac_incoming_requests(void) {
  rec r = {0};
  sipspec_dialog *d = confirmed_uac(&r, NULL);
  CU_ASSERT_EQUAL(sipspec_dialog_remote_cseq(d), 0);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request(d, parse_into(msg2, buf2, peer_req("INFO", 5, "other"))),
                  SIPSPEC_E_DIALOG_MISMATCH);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request(d, parse_into(msg2, buf2, peer_req("INFO", 5, "rtag"))), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.n_on_request, 1);
  CU_ASSERT_STRING_EQUAL(r.on_request_method, "INFO");
  CU_ASSERT_EQUAL(sipspec_dialog_remote_cseq(d), 5);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request(d, parse_into(msg2, buf2, peer_req("INFO", 4, "rtag"))),
                  SIPSPEC_E_DIALOG_CSEQ_ORDER);
  CU_ASSERT_EQUAL(r.n_respond, 1);
  CU_ASSERT_EQUAL(r.respond_status[0], 500);
  CU_ASSERT_EQUAL(r.n_on_request, 1);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_CONFIRMED);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request(d, parse_into(msg2, buf2, peer_req("BYE", 6, "rtag"))), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.n_respond, 2);
  CU_ASSERT_EQUAL(r.respond_status[1], 200);
  CU_ASSERT_EQUAL(r.last_end, SIPSPEC_DIALOG_END_BYE_RECEIVED);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_TERMINATED);
  sipspec_dialog_destroy(d);
}

/* 12.2.1.2: 481 or 408 to an in-dialog request ends the dialog; other statuses do not. */
static void test_uac_481_and_timeout(void) {
  rec r = {0};
  sipspec_dialog *d = confirmed_uac(&r, NULL);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request_response(d, 200), SIPSPEC_E_FSM_IGNORED);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request_response(d, 486), SIPSPEC_E_FSM_IGNORED);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_CONFIRMED);
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request_response(d, 481), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.last_end, SIPSPEC_DIALOG_END_481_408);
  sipspec_dialog_destroy(d);
  rec r2 = {0};
  d = confirmed_uac(&r2, NULL);
  CU_ASSERT_EQUAL(sipspec_dialog_txn_timeout(d), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r2.last_end, SIPSPEC_DIALOG_END_TIMEOUT);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_TERMINATED);
  sipspec_dialog_destroy(d);
}

/* 12.1.1: the UAS dialog: remote tag/target from the INVITE, the route set as received,
 * local tag given; the ACK for our 2xx is passed on; our BYE goes to the Contact. */
static void test_uas(void) {
  rec r = {0};
  sipspec_dialog_callbacks cb = callbacks(&r);
  const char *inv = "INVITE sip:mresources@127.0.0.1:5070 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv1;rport\r\n"
                    "Max-Forwards: 70\r\n"
                    "Record-Route: <sip:p1.example.com;lr>, <sip:p2.example.com;lr>\r\n"
                    "From: <sip:client@127.0.0.1>;tag=ctag\r\n"
                    "To: <sip:mresources@127.0.0.1:5070>\r\n"
                    "Call-ID: call-9@127.0.0.1\r\n"
                    "CSeq: 3 INVITE\r\n"
                    "Contact: <sip:client@127.0.0.1:5062>\r\n"
                    "Content-Length: 0\r\n\r\n";
  parse_into(msg, buf1, inv);
  sipspec_dialog *d = NULL;
  const sipspec_dialog_local local = {"SIP/2.0/UDP 127.0.0.1:5070", "sip:mresources@127.0.0.1:5070", NULL};
  CU_ASSERT_EQUAL(sipspec_dialog_create_uas(msg, "", &local, &cb, &d), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL_FATAL(sipspec_dialog_create_uas(msg, "stag", &local, &cb, &d), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_id_get(d)->local_tag, "stag");
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_id_get(d)->remote_tag, "ctag");
  CU_ASSERT_EQUAL(sipspec_dialog_remote_cseq(d), 3);
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_route(d, 0), "sip:p1.example.com;lr");
  CU_ASSERT_EQUAL(sipspec_dialog_tu_invite_response(d, 180), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_EARLY);
  CU_ASSERT_EQUAL(sipspec_dialog_tu_invite_response(d, 200), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_state(d), SIPSPEC_DIALOG_CONFIRMED);
  /* the id computed from a request of this dialog finds it */
  const char *ack = "ACK sip:mresources@127.0.0.1:5070 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKack1\r\n"
                    "Max-Forwards: 70\r\n"
                    "From: <sip:client@127.0.0.1>;tag=ctag\r\n"
                    "To: <sip:mresources@127.0.0.1:5070>;tag=stag\r\n"
                    "Call-ID: call-9@127.0.0.1\r\n"
                    "CSeq: 3 ACK\r\n"
                    "Content-Length: 0\r\n\r\n";
  parse_into(msg2, buf2, ack);
  sipspec_dialog_id id;
  CU_ASSERT_EQUAL(sipspec_dialog_id_of_msg(msg2, &id), SIPSPEC_OK);
  CU_ASSERT_TRUE(sipspec_dialog_has_id(d, &id));
  CU_ASSERT_EQUAL(sipspec_dialog_rx_request(d, msg2), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.n_on_request, 1);
  CU_ASSERT_STRING_EQUAL(r.on_request_method, "ACK");
  sipspec_dialog_req bye = {"BYE", NULL, NULL, NULL, 0};
  uint32_t cseq = 0;
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &bye, &cseq), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cseq, 1);
  CU_ASSERT_TRUE(starts(r.req, "BYE sip:client@127.0.0.1:5062 SIP/2.0\r\n"));
  CU_ASSERT_TRUE(has_line(r.req, "From: <sip:mresources@127.0.0.1:5070>;tag=stag"));
  CU_ASSERT_TRUE(has_line(r.req, "To: <sip:client@127.0.0.1>;tag=ctag"));
  CU_ASSERT_TRUE(has_line(r.req, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_TRUE(strstr(r.req, "<sip:p1.example.com;lr>") < strstr(r.req, "<sip:p2.example.com;lr>"));
  CU_ASSERT_EQUAL(r.last_end, SIPSPEC_DIALOG_END_BYE_SENT);
  sipspec_dialog_destroy(d);
}

/* sipspec_dialog_create_uas_shared(): the Via, Contact, header lines and callbacks are the
 * owner's (a server's, shared by all its dialogs), the user pointer given beside them; the
 * requests carry the strings as they are at the time, also after the strings block was
 * rebuilt (set_via copies its Via; the route set kept); set_contact copies its string. */
static void test_uas_borrow(void) {
  rec r = {0};
  sipspec_dialog_callbacks cb = callbacks(&r);
  const char *inv = "INVITE sip:mresources@127.0.0.1:5070 SIP/2.0\r\n"
                    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKinv2\r\n"
                    "Max-Forwards: 70\r\n"
                    "Record-Route: <sip:p1.example.com;lr>\r\n"
                    "From: <sip:client@127.0.0.1>;tag=ctag\r\n"
                    "To: <sip:mresources@127.0.0.1:5070>\r\n"
                    "Call-ID: call-10@127.0.0.1\r\n"
                    "CSeq: 1 INVITE\r\n"
                    "Contact: <sip:client@127.0.0.1:5062>\r\n"
                    "Content-Length: 0\r\n\r\n";
  parse_into(msg, buf1, inv);
  char contact[64] = "sip:mresources@127.0.0.1:5070", lines[64] = "User-Agent: shared/1\r\n";
  sipspec_dialog_local local = {"SIP/2.0/UDP 127.0.0.1:5070", contact, lines};
  sipspec_dialog *d = NULL;
  cb.user = NULL; /* the callbacks get the user given beside them */
  CU_ASSERT_EQUAL_FATAL(sipspec_dialog_create_uas_shared(msg, "stag", &local, &cb, &r, &d), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_tu_invite_response(d, 200), SIPSPEC_OK);
  const char *sdp = "v=0\r\n";
  sipspec_dialog_req reinv = {"INVITE", NULL, "application/sdp", sdp, strlen(sdp)};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &reinv, NULL), SIPSPEC_OK);
  CU_ASSERT_TRUE(has_line(r.req, "Contact: <sip:mresources@127.0.0.1:5070>"));
  CU_ASSERT_TRUE(has_line(r.req, "User-Agent: shared/1"));
  CU_ASSERT_TRUE(starts(r.req, "INVITE sip:client@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch="));
  /* the owner's strings, not copies: what they say when the request is built */
  snprintf(lines, sizeof lines, "User-Agent: shared/2\r\n");
  CU_ASSERT_EQUAL(sipspec_dialog_set_via(d, "SIP/2.0/TCP 127.0.0.1:5071"), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &reinv, NULL), SIPSPEC_OK);
  CU_ASSERT_TRUE(has_line(r.req, "User-Agent: shared/2"));
  CU_ASSERT_TRUE(has_line(r.req, "Contact: <sip:mresources@127.0.0.1:5070>"));
  CU_ASSERT_TRUE(starts(r.req, "INVITE sip:client@127.0.0.1:5062 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:5071;branch="));
  CU_ASSERT_TRUE(has_line(r.req, "Route: <sip:p1.example.com;lr>"));
  CU_ASSERT_STRING_EQUAL(sipspec_dialog_id_get(d)->call_id, "call-10@127.0.0.1");
  /* set_contact copies: the owner's buffer changing later changes nothing */
  char other[64] = "sip:other@127.0.0.1:5072;transport=tcp";
  CU_ASSERT_EQUAL(sipspec_dialog_set_contact(d, other), SIPSPEC_OK);
  snprintf(other, sizeof other, "sip:changed@127.0.0.1");
  snprintf(contact, sizeof contact, "sip:changed@127.0.0.1");
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &reinv, NULL), SIPSPEC_OK);
  CU_ASSERT_TRUE(has_line(r.req, "Contact: <sip:other@127.0.0.1:5072;transport=tcp>"));
  CU_ASSERT_TRUE(has_line(r.req, "User-Agent: shared/2"));
  CU_ASSERT_EQUAL(r.n_req, 3);
  sipspec_dialog_destroy(d);
}

/* Bad input is refused with a named error and creates nothing. */
static void test_bad_input(void) {
  rec r = {0};
  sipspec_dialog_callbacks cb = callbacks(&r);
  sipspec_dialog *d = NULL;
  const char *no_tag = "INVITE sip:a@127.0.0.1 SIP/2.0\r\n"
                       "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx\r\n"
                       "From: <sip:client@127.0.0.1>\r\n"
                       "To: <sip:a@127.0.0.1>\r\n"
                       "Call-ID: c\r\n"
                       "CSeq: 1 INVITE\r\n"
                       "Content-Length: 0\r\n\r\n";
  CU_ASSERT_EQUAL(sipspec_dialog_create_uac(parse_into(msg, buf1, no_tag), &LOCAL, &cb, &d),
                  SIPSPEC_E_DIALOG_BAD_MESSAGE);
  CU_ASSERT_PTR_NULL(d);
  /* the UAS needs the INVITE's Contact (the remote target) */
  const char *no_contact = "INVITE sip:a@127.0.0.1 SIP/2.0\r\n"
                           "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bKx\r\n"
                           "From: <sip:client@127.0.0.1>;tag=t\r\n"
                           "To: <sip:a@127.0.0.1>\r\n"
                           "Call-ID: c\r\n"
                           "CSeq: 1 INVITE\r\n"
                           "Content-Length: 0\r\n\r\n";
  CU_ASSERT_EQUAL(sipspec_dialog_create_uas(parse_into(msg, buf1, no_contact), "s", &LOCAL, &cb, &d),
                  SIPSPEC_E_DIALOG_BAD_MESSAGE);
  sipspec_dialog_local bad = {NULL, "sip:x@127.0.0.1", NULL};
  CU_ASSERT_EQUAL(sipspec_dialog_create_uac(parse_into(msg, buf1, INVITE_UAC), &bad, &cb, &d), SIPSPEC_E_INVAL);
  /* a request before the dialog exists cannot be built */
  d = new_uac(&r);
  sipspec_dialog_req q = {"OPTIONS", NULL, NULL, NULL, 0};
  CU_ASSERT_NOT_EQUAL(sipspec_dialog_request(d, &q, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r.n_req, 0);
  sipspec_dialog_req crlf = {"OPT\r\nIONS", NULL, NULL, NULL, 0};
  CU_ASSERT_EQUAL(sipspec_dialog_request(d, &crlf, NULL), SIPSPEC_E_INVAL);
  sipspec_dialog_destroy(d);
}

int main(void) {
  /* With SIPSPEC_COVERAGE_FILE set (CTest sets it), the dialog chart's counts go there. */
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK) return 1;
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  if (sipspec_msg_create(&msg, NULL) || sipspec_msg_create(&msg2, NULL)) return 1;
  CU_pSuite s = CU_add_suite("dialog", NULL, NULL);
  CU_add_test(s, "UAC: early, confirmed, ACK for each 2xx", test_uac_early_confirmed_ack);
  CU_add_test(s, "UAC: 2xx without Contact, forked tag, 486 ends early", test_uac_bad_2xx_and_fork);
  CU_add_test(s, "UAC: in-dialog requests, CSeq+1, BYE, BYE again", test_uac_requests_and_bye);
  CU_add_test(s, "UAC: strict routing", test_uac_strict_route);
  CU_add_test(s, "UAC: target refresh by the 2xx to a re-INVITE", test_uac_target_refresh);
  CU_add_test(s, "UAC: incoming requests, CSeq order, BYE", test_uac_incoming_requests);
  CU_add_test(s, "UAC: 481/408 and timeout end the dialog", test_uac_481_and_timeout);
  CU_add_test(s, "UAS: dialog from the INVITE, ACK, BYE", test_uas);
  CU_add_test(s, "UAS: Contact and header lines borrowed", test_uas_borrow);
  CU_add_test(s, "bad input", test_bad_input);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  sipspec_msg_destroy(msg);
  sipspec_msg_destroy(msg2);
  return failed ? 1 : 0;
}
