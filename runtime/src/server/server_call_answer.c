/* server/server_call_answer.c: what a call of the embedded server answers with: its Contact,
 * the checks of the INVITE's offer and the MRCPv2 answer (RFC 6787 4.2, RFC 3264), the
 * Record-Route copied into the dialog's responses (RFC 3261 12.1.1), and the session timer
 * it grants (RFC 4028 9: 422 below our Min-SE, Session-Expires and the refresher in the
 * 2xx). The call's phases and actions are server_call.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/server_internal.h"

/* Appends s (n bytes) at *w, keeping one byte of out[cap] for the NUL: snprintf's
 * truncation, without its format parsing (these lines are written for every call). */
static void put(char *out, size_t cap, size_t *w, const char *s, size_t n) {
  if (*w + 1 >= cap) return;
  if (n > cap - 1 - *w) n = cap - 1 - *w;
  memcpy(out + *w, s, n);
  *w += n;
  out[*w] = '\0';
}

static void put_str(char *out, size_t cap, size_t *w, const char *s) { put(out, cap, w, s, strlen(s)); }

static void put_uint(char *out, size_t cap, size_t *w, unsigned v) {
  char d[10];
  size_t n = 0;
  do {
    d[sizeof d - 1 - n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  put(out, cap, w, d + sizeof d - n, n);
}

/* Our Contact URI on the transport of c's flow: "sip:127.0.0.1:5060;transport=udp", the
 * host and port being contact_host / contact_port when set (sipspec/server.h). */
const char *srv_call_our_contact(const srv_call *c, char *out, size_t cap) {
  sipspec_server *srv = c->srv;
  sipspec_sockaddr a;
  unsigned port = srv->o.contact_port;
  if (!port && sipspec_transport_bound_addr(sipspec_tsx_layer_transport(srv->layer, c->kind), &a) == SIPSPEC_OK)
    port = sipspec_sockaddr_port(&a);
  size_t w = 0;
  if (cap) out[0] = '\0';
  /* RFC 5630 §3.1.3: over TLS our Contact is a sips: URI */
  put_str(out, cap, &w, c->kind == SIPSPEC_TP_TLS ? "sips:" : "sip:");
  put_str(out, cap, &w, srv->contact_host);
  put(out, cap, &w, ":", 1);
  put_uint(out, cap, &w, port);
  if (c->kind != SIPSPEC_TP_TLS) put_str(out, cap, &w, c->kind == SIPSPEC_TP_TCP ? ";transport=tcp" : ";transport=udp");
  return out;
}

const char *srv_call_shared_contact(srv_call *c) {
  char *uri = c->srv->contact_uri[c->kind < 3 ? c->kind : 0]; /* the bound ports do not change */
  if (!uri[0]) srv_call_our_contact(c, uri, SRV_CONTACT_MAX);
  return uri;
}

/* ---- the answer ------------------------------------------------------------------------ */

/* 415 (21.4.13, 8.2.3): what we accept, Accept and (for a content encoding) Accept-Encoding,
 * written with the builder, then the Warning saying why. */
static void refuse_415(sipspec_server *srv, sipspec_tsx *t, int encoding, const char *why) {
  char h[96];
  sipspec_build b;
  sipspec_build_init(&b, h, sizeof h - 1);
  if (encoding) sipspec_build_header(&b, sipspec_span_z("Accept-Encoding"), sipspec_span_z("identity"));
  sipspec_build_header(&b, sipspec_span_z("Accept"), sipspec_span_z("application/sdp"));
  h[b.err ? 0 : b.len] = '\0';
  (void)srv_respond_warning(srv, t, 415, h, why);
}

/* 8.2.3 and 13.3.1: the body must be an SDP offer we can read. Returns 0, or the status
 * answered (415, 488). */
int srv_call_offer_check(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  sipspec_span enc;
  if (sipspec_msg_value(req, SIPSPEC_H_CONTENT_ENCODING, 0, &enc) == SIPSPEC_OK &&
      !(enc.len == 8 && !strncasecmp(enc.p, "identity", 8))) {
    refuse_415(srv, t, 1, "content encodings are not supported");
    return 415;
  }
  if (sipspec_msg_body(req).len == 0) {
    (void)srv_respond_warning(srv, t, 488, NULL, "the INVITE carries no SDP offer (offerless INVITE is not supported)");
    return 488;
  }
  sipspec_media_type mt;
  if (sipspec_msg_content_type(req, &mt) != SIPSPEC_OK) {
    refuse_415(srv, t, 0, "the body has no Content-Type");
    return 415;
  }
  if (!(mt.type.len == 11 && !strncasecmp(mt.type.p, "application", 11) && mt.subtype.len == 3 &&
        !strncasecmp(mt.subtype.p, "sdp", 3))) {
    char why[160];
    snprintf(why, sizeof why, "body type %.*s/%.*s is not application/sdp", (int)(mt.type.len > 60 ? 60 : mt.type.len),
             mt.type.p, (int)(mt.subtype.len > 60 ? 60 : mt.subtype.len), mt.subtype.p);
    refuse_415(srv, t, 0, why);
    return 415;
  }
  return 0;
}

void srv_strf(char **dst, const char *fmt, ...) {
  char buf[256], *c = NULL;
  if (fmt) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    c = strdup(buf); /* without memory: none */
  }
  free(*dst);
  *dst = c;
}

void srv_call_drop_setup(srv_call *c) {
  if (!c->setup) return;
  free(c->setup->answer); /* written again when asked for (srv_call_answer_again) */
  free(c->setup);
  c->setup = NULL;
}

srv_call_ext *srv_call_ext_get(srv_call *c) {
  if (!c->ext) c->ext = calloc(1, sizeof *c->ext);
  return c->ext;
}

const char *srv_call_session_id(const srv_call *c, char out[33]) {
  if (c->srv->mrcp_session_id) return c->srv->mrcp_session_id;
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    out[2 * i] = hex[c->session_id[i] >> 4];
    out[2 * i + 1] = hex[c->session_id[i] & 15];
  }
  out[32] = '\0';
  return out;
}

/* Answers offer as call c does with the o= version configured + answers and m=audio port
 * rtp_port: a malloc'd text at its size into *out, *len. As sipspec_mrcp_server_answer()
 * (err filled). */
static int answer_text(srv_call *c, const char *offer, size_t offer_len, uint32_t answers, unsigned rtp_port, char **out,
                       size_t *len, sipspec_sdp_error *err) {
  sipspec_server *srv = c->srv;
  char sid[33];
  sipspec_mrcp_server_config m = srv->o.mrcp;
  m.session_id = srv_call_session_id(c, sid);
  m.sess_version = srv->o.mrcp.sess_version + answers;
  m.rtp_port = rtp_port;
  size_t cap = 16384 + 4 * offer_len;
  char *buf = malloc(cap);
  *out = NULL;
  *len = 0;
  memset(err, 0, sizeof *err);
  int rc = buf ? sipspec_mrcp_server_answer(&m, offer, offer_len, buf, cap, len, err) : SIPSPEC_E_NOMEM;
  if (rc) {
    free(buf);
    return rc;
  }
  /* only the bytes written, not the room the writer was given */
  char *fit = realloc(buf, *len + 1);
  if (fit) buf = fit;
  buf[*len] = '\0';
  *out = buf;
  return SIPSPEC_OK;
}

int srv_call_make_answer(srv_call *c, sipspec_tsx *t, const sipspec_msg *req, char **answer, size_t *answer_len) {
  sipspec_server *srv = c->srv;
  sipspec_span offer = sipspec_msg_body(req);
  char *buf = NULL;
  size_t len = 0;
  sipspec_sdp_error err;
  int rc = offer.len > UINT32_MAX / 2 ? SIPSPEC_E_RANGE : answer_text(c, offer.p, offer.len, c->answers, srv_rtp_port(srv, c), &buf, &len, &err);
  if (rc) {
    char why[300];
    if (rc == SIPSPEC_E_SDP_REFUSED) snprintf(why, sizeof why, "%s", err.reason[0] ? err.reason : "the offer cannot be served");
    else if (rc == SIPSPEC_E_RANGE) snprintf(why, sizeof why, "the SDP offer is too long");
    else snprintf(why, sizeof why, "SDP offer line %u: %s", err.line, err.reason[0] ? err.reason : sipspec_strerror(rc));
    (void)srv_respond_warning(srv, t, 488, NULL, why);
    return 488;
  }
  /* the offer is kept while the call lives (sipspec_server_call_sdp, the answer again): in
   * the call's own room when it fits; the answer by the caller until its 2xx is out
   * (srv_call_drop_setup, reinvite) */
  int fits = offer.len < c->offer_room;
  srv_call_ext *x = fits ? c->ext : srv_call_ext_get(c);
  char *o = fits ? c->offer_buf : x ? srv_strndup(offer.p, offer.len) : NULL;
  if (!o) {
    free(buf);
    (void)srv_respond_warning(srv, t, 500, NULL, "out of memory");
    return 500;
  }
  if (x) { /* the larger offer kept before, if any, is no more */
    free(x->offer);
    x->offer = fits ? NULL : o;
  }
  if (fits) {
    memcpy(o, offer.p, offer.len);
    o[offer.len] = '\0';
  }
  c->offer_len = (uint32_t)offer.len;
  if (c->ext) { /* the one lent was valid until now */
    free(c->ext->answer);
    c->ext->answer = NULL;
    c->ext->answer_len = 0;
  }
  c->answers++;
  *answer = buf;
  *answer_len = len;
  return 0;
}

const char *srv_call_offer(const srv_call *c, size_t *len) {
  *len = 0;
  if (!c->answers) return NULL; /* no offer answered yet */
  *len = c->offer_len;
  return c->ext && c->ext->offer ? c->ext->offer : c->offer_buf;
}

char *srv_call_answer_again(srv_call *c, size_t *len) {
  char *text = NULL;
  sipspec_sdp_error err;
  *len = 0;
  size_t olen = 0;
  const char *offer = srv_call_offer(c, &olen);
  if (!offer) return NULL;
  /* the answer made last: its o= version and port (the call's, else the first of the
   * server's: srv_rtp_port), from the offer it answered (kept) */
  unsigned port = c->rtp_port ? c->rtp_port : c->srv->o.mrcp.rtp_port;
  if (answer_text(c, offer, olen, c->answers - 1, port, &text, len, &err) != SIPSPEC_OK) return NULL;
  return text;
}

/* Writes every Record-Route value of req, in order, one line each (12.1.1: "copy all
 * Record-Route header field values from the request into the response ... and MUST
 * maintain the order"; 7.3.1: one value per line is the same list), each from its parsed
 * parts: display name, URI and header params. */
static int record_route_set(sipspec_build *b, const sipspec_msg *req) {
  size_t n = sipspec_msg_value_count(req, SIPSPEC_H_RECORD_ROUTE);
  for (size_t i = 0; i < n && !b->err; i++) {
    sipspec_addr a;
    if (sipspec_msg_record_route(req, i, &a) != SIPSPEC_OK) continue;
    char display[256];
    long dn = a.display.len ? sipspec_unquote(a.display, display, sizeof display) : 0;
    if (dn < 0) return SIPSPEC_E_BUILD_FIELD; /* a display name past 255 bytes: not ours to shorten */
    sipspec_addr_fields f = {{display, (size_t)dn}, a.uri, {NULL, 0}, a.params};
    sipspec_build_addr(b, SIPSPEC_H_RECORD_ROUTE, &f);
  }
  return b->err;
}

/* The room the response headers for req need. */
static size_t response_headers_cap(const sipspec_msg *req) {
  sipspec_header hd;
  size_t cap = SRV_HEADERS_MAX, nh = sipspec_msg_header_count(req);
  for (size_t i = 0; i < nh; i++) /* a value's display name grows by its quotes and escapes at most */
    if (sipspec_msg_header(req, i, &hd) == SIPSPEC_OK && hd.id == SIPSPEC_H_RECORD_ROUTE) cap += 2 * hd.value.len + 32;
  return cap;
}

/* The extra header lines of a response to INVITE req that forms or confirms the dialog (a
 * 1xx with our To tag, the 2xx; with_sdp: the 2xx, which carries the answer): our Contact
 * (12.1.1) and req's Record-Route set, copied as 12.1.1 demands of a response that
 * establishes a dialog; with the answer, the session timer's lines (RFC 4028 9), Allow and
 * Content-Type. For the 2xx to a re-INVITE the re-INVITE's own Record-Route values are
 * copied: RFC 3261 20.30 lists Record-Route in 2xx and 18x responses, 16.6 step 4 lets a
 * proxy record-route a request inside a dialog and 12.2 has the endpoints keep their route
 * sets all the same, so the copy is what a proxy expects and changes nothing for the
 * client. All written with the builder's typed writers. NULL without memory or when a
 * value cannot be written. */
/* Writes the lines into h[cap] (NUL-terminated); *ring_len (when not NULL) the length of
 * the Contact and Record-Route lines, before those of the answer. The builder's error. */
static int response_headers(srv_call *c, const sipspec_msg *req, int with_sdp, char *h, size_t cap, size_t *ring_len) {
  char contact[SRV_CONTACT_MAX];
  sipspec_build b;
  sipspec_build_init(&b, h, cap - 1);
  sipspec_addr_fields us = {{NULL, 0}, sipspec_span_z(srv_call_our_contact(c, contact, sizeof contact)), {NULL, 0},
                            {NULL, 0}};
  sipspec_build_addr(&b, SIPSPEC_H_CONTACT, &us);
  if (record_route_set(&b, req) && !b.err) b.err = SIPSPEC_E_BUILD_FIELD;
  if (ring_len) *ring_len = b.len;
  if (with_sdp) {
    srv_call_timer_lines(&b, c);
    sipspec_build_header(&b, sipspec_span_z("Allow"), sipspec_span_z(SRV_ALLOW));
    sipspec_build_header(&b, sipspec_span_z("Content-Type"), sipspec_span_z("application/sdp"));
  }
  if (!b.err) h[b.len] = '\0';
  return b.err;
}

char *srv_call_response_headers(srv_call *c, const sipspec_msg *req, int with_sdp) {
  size_t cap = response_headers_cap(req);
  char *h = malloc(cap);
  if (h && response_headers(c, req, with_sdp, h, cap, NULL)) {
    free(h);
    return NULL;
  }
  return h;
}

srv_call_setup *srv_call_setup_new(srv_call *c, const sipspec_msg *req) {
  size_t cap = response_headers_cap(req), ring_len = 0;
  srv_call_setup *s = calloc(1, sizeof *s + cap);
  if (s && response_headers(c, req, 1, s->headers, cap, &ring_len)) {
    free(s);
    return NULL;
  }
  if (s) s->ring_len = (uint32_t)ring_len;
  return s;
}

/* ---- the session timer (RFC 4028 9) ------------------------------------------------------ */


unsigned srv_call_min_se(const sipspec_server *srv) { return srv->o.min_se_s ? srv->o.min_se_s : 90; }

/* 1 when a Supported header of req lists the option tag 'timer' (RFC 4028 7.1). */
int srv_call_supports_timer(const sipspec_msg *req) { return sipspec_msg_has_token(req, SIPSPEC_H_SUPPORTED, "timer") == 1; }

/* 1 when an Allow header of m lists UPDATE, 0 when its Allow does not, -1 without Allow. */
int srv_call_lists_update(const sipspec_msg *m) { return sipspec_msg_has_token(m, SIPSPEC_H_ALLOW, "UPDATE"); }


/* 9: a request that supports 'timer' and asks for a Session-Expires below our Min-SE is
 * answered 422 with our Min-SE (never below 90 s in a real deployment; smaller values are
 * for tests). Returns 1 when it was; 0 when the request may go on (also: no session timer
 * of ours, none asked for). */
int srv_call_interval_too_small(sipspec_server *srv, sipspec_tsx *t, const sipspec_msg *req) {
  if (!srv->o.session_expires_s || !srv_call_supports_timer(req)) return 0;
  unsigned asked = sipspec_msg_session_expires(req, NULL);
  if (!asked || asked >= srv_call_min_se(srv)) return 0;
  char v[16];
  snprintf(v, sizeof v, "%u", srv_call_min_se(srv));
  sipspec_ext_header h = {sipspec_span_z("Min-SE"), sipspec_span_z(v)}; /* RFC 4028 6 */
  (void)srv_respond_h(srv, t, 422, "Session Interval Too Small", &h, 1, NULL);
  return 1;
}

/* 9: what our 2xx to session refresh request req (the INVITE when initial, else a client's
 * UPDATE or re-INVITE) says: Session-Expires the client's when not larger than ours (ours
 * when it asks for none; the interval we have for a refresh without one), never below the
 * largest Min-SE the client said (remembered, 7.4); the refresher its parameter says, else
 * (Table 2) --refresher for the INVITE and the role we have for a refresh. Sets c->se_*
 * (the 2xx's lines: srv_call_timer_lines()); returns 1 when our 2xx grants a session timer. No session timer of ours,
 * or an INVITE without 'timer': none (lines ""). */
int srv_call_timer_grant(srv_call *c, const sipspec_msg *req, int initial) {
  sipspec_server *srv = c->srv;
  if (initial && (!srv->o.session_expires_s || !srv_call_supports_timer(req))) {
    if (c->ext) c->ext->se_interval = 0;
    return 0;
  }
  if (!initial && (!c->ext || !c->ext->se_interval)) return 0; /* the INVITE's 2xx set no timer: none */
  srv_call_ext *x = srv_call_ext_get(c);
  if (!x) return 0; /* without memory: no session timer */
  int up = srv_call_lists_update(req);
  if (up >= 0) x->peer_update = (uint8_t)up;
  int r;
  unsigned asked = sipspec_msg_session_expires(req, &r);
  unsigned min_se = sipspec_msg_min_se(req);
  if (min_se > x->se_min) x->se_min = min_se;
  unsigned se = asked && asked < srv->o.session_expires_s ? asked
                : !asked && !initial                     ? x->se_interval
                                                         : srv->o.session_expires_s;
  if (se < x->se_min) se = x->se_min;
  x->se_uas = r == 's' ? 1 : r == 'c' ? 0 : initial ? srv->o.refresher_uas != 0 : x->se_uas;
  x->se_interval = se;
  return 1;
}

/* 9: what our 2xx says of the session timer it granted: "Require: timer" and the
 * Session-Expires with the interval and who refreshes, from c->ext's se_interval and se_uas;
 * nothing when none is granted (no ext, or se_interval 0). */
int srv_call_timer_lines(sipspec_build *b, const srv_call *c) {
  if (!c->ext || !c->ext->se_interval) return b->err;
  sipspec_build_header(b, sipspec_span_z("Require"), sipspec_span_z("timer"));
  return sipspec_build_session_expires(b, c->ext->se_interval, c->ext->se_uas ? 's' : 'c');
}

/* Our BYE's Reason (RFC 3326 2): "SIP;cause=<cause>;text=\"<text>\"", written with the
 * builder, kept in c->ext->bye_extra (NULL when it cannot be: the BYE goes without). */
void srv_call_bye_reason(srv_call *c, unsigned cause, const char *text) {
  char line[160];
  sipspec_build b;
  sipspec_build_init(&b, line, sizeof line - 1);
  sipspec_build_reason(&b, sipspec_span_z("SIP"), cause, sipspec_span_z(text));
  line[b.err ? 0 : b.len] = '\0';
  srv_call_ext *x = srv_call_ext_get(c);
  if (x) srv_strf(&x->bye_extra, b.err ? NULL : "%s", line);
}
