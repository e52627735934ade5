/* session/tsx_msg.c: the message work of the transaction layer.
 *
 * Transaction keys and the matching rules of RFC 3261 17.1.3 (client) and 17.2.3 (server),
 * branches and tags from OpenSSL's generator (8.1.1.7: "z9hG4bK" and enough randomness to
 * be unique in space and time), the top-Via rewrite of a received request (18.2.1
 * received, RFC 3581 rport) and the response address derived from it (18.2.2, RFC 3581
 * section 4), and the responses and ACKs built with sipspec/msg.h's builder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#include "random_pool.h"
#include "sip/msg_internal.h"
#include "session/tsx_internal.h"

/* ---- keys and matching --------------------------------------------------------------- */


/* Top Via branch and, for requests, the sent-by. */
static int key_via(const sipspec_msg *m, sipspec_tsx_key *out, int with_sent_by) {
  sipspec_via v;
  if (sipspec_msg_via_count(m) == 0 || sipspec_msg_via(m, 0, &v) != SIPSPEC_OK) return SIPSPEC_E_NOTFOUND;
  if (!v.branch.p || !v.branch.len) return SIPSPEC_E_NOTFOUND;
  int rc = sipspec_span_copy(out->branch, sizeof out->branch, v.branch);
  if (rc) return rc;
  if (!with_sent_by) return SIPSPEC_OK;
  rc = sipspec_span_copy(out->host, sizeof out->host, v.host);
  if (rc) return rc;
  out->port = v.port > 0 ? (unsigned)v.port : sipspec_span_ieq(v.transport, "TLS") ? 5061u : 5060u;
  return SIPSPEC_OK;
}

int sipspec_tsx_key_of_request(const sipspec_msg *req, sipspec_tsx_key *out) {
  memset(out, 0, sizeof *out);
  if (!sipspec_msg_is_request(req)) return SIPSPEC_E_INVAL;
  int rc = key_via(req, out, 1);
  if (rc) return rc;
  if (sipspec_msg_method(req) == SIPSPEC_METHOD_ACK) {
    out->is_ack = 1;
    snprintf(out->method, sizeof out->method, "INVITE");
    return SIPSPEC_OK;
  }
  return sipspec_span_copy(out->method, sizeof out->method, sipspec_msg_method_text(req));
}

int sipspec_tsx_key_of_response(const sipspec_msg *resp, sipspec_tsx_key *out) {
  memset(out, 0, sizeof *out);
  if (sipspec_msg_is_request(resp)) return SIPSPEC_E_INVAL;
  int rc = key_via(resp, out, 0);
  if (rc) return rc;
  sipspec_span cm = sipspec_msg_cseq_method_text(resp);
  if (!cm.len) return SIPSPEC_E_NOTFOUND;
  return sipspec_span_copy(out->method, sizeof out->method, cm);
}

int sipspec_tsx_match_client(const sipspec_tsx_key *tsx, const sipspec_tsx_key *resp) {
  /* Method names are case-sensitive (RFC 3261 7.1); so is the branch comparison here. */
  return !strcmp(tsx->branch, resp->branch) && !strcmp(tsx->method, resp->method);
}

int sipspec_tsx_match_server(const sipspec_tsx_key *tsx, const sipspec_tsx_key *req) {
  return !strcmp(tsx->branch, req->branch) && !strcasecmp(tsx->host, req->host) &&
         tsx->port == req->port && !strcmp(tsx->method, req->method);
}

sipspec_tsx *tsx_alloc(const sipspec_tsx_key *k, int server, int n_timers, const sipspec_sockaddr *peer) {
  /* A client transaction matches on branch and method only (17.1.3): no host kept. */
  size_t b = strlen(k->branch) + 1, m = strlen(k->method) + 1, h = server ? strlen(k->host) + 1 : 1;
  size_t at = (size_t)n_timers * sizeof(sipspec_fsm_timer_slot) + tsx_addr_size(peer);
  if (at > UINT8_MAX || b + m > UINT8_MAX || k->port > UINT16_MAX) return NULL;
  sipspec_tsx *t = calloc(1, sizeof *t + at + b + m + h);
  if (!t) return NULL;
  char *tail = (char *)t->tslot;
  tsx_addr_put(tail + (size_t)n_timers * sizeof(sipspec_fsm_timer_slot), peer);
  char *key = tail + at;
  memcpy(key, k->branch, b);
  memcpy(key + b, k->method, m);
  if (server) memcpy(key + b + m, k->host, h);
  t->key_at = (uint8_t)at;
  t->key_method = (uint8_t)b;
  t->key_host = (uint8_t)(b + m);
  t->key_port = (uint16_t)k->port;
  t->key_is_ack = k->is_ack ? 1u : 0u;
  return t;
}

/* The same rules as sipspec_tsx_match_client() and _server(), on the compact key. */
int tsx_key_match_client(const sipspec_tsx *t, const sipspec_tsx_key *resp) {
  const char *key = tsx_key(t);
  return !strcmp(key, resp->branch) && !strcmp(key + t->key_method, resp->method);
}

int tsx_key_match_server(const sipspec_tsx *t, const sipspec_tsx_key *req) {
  const char *key = tsx_key(t);
  return !strcmp(key, req->branch) && !strcasecmp(key + t->key_host, req->host) && t->key_port == req->port &&
         !strcmp(key + t->key_method, req->method);
}

/* ---- random identifiers ---------------------------------------------------------------- */

int tsx_random_hex(char *buf, size_t nbytes) { return sipspec_random_hex(buf, nbytes); }

int sipspec_tsx_new_branch(char *buf, size_t cap) {
  if (!buf || cap < SIPSPEC_TSX_BRANCH_SIZE) return SIPSPEC_E_INVAL;
  memcpy(buf, "z9hG4bK", 7);
  return tsx_random_hex(buf + 7, 16);
}

/* ---- received / rport (RFC 3261 18.2.1, RFC 3581) ---------------------------------------- */

static void trim(const char **b, const char **e) {
  while (*b < *e && (**b == ' ' || **b == '\t' || **b == '\r' || **b == '\n')) (*b)++;
  while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r' || (*e)[-1] == '\n')) (*e)--;
}

/* End of the via-param starting at p (the next ';' outside a quoted string). */
static const char *param_end(const char *p, const char *end) {
  int quoted = 0;
  for (; p < end; p++) {
    if (quoted && *p == '\\' && p + 1 < end) p++;
    else if (*p == '"') quoted = !quoted;
    else if (*p == ';' && !quoted) break;
  }
  return p;
}

/* Writes u in decimal at out (at most 10 digits, no terminator); returns the length. */
static size_t put_uint(char *out, unsigned u) {
  char d[10];
  size_t k = 0;
  do d[k++] = (char)('0' + u % 10u);
  while ((u /= 10u) != 0);
  for (size_t i = 0; i < k; i++) out[i] = d[k - 1 - i];
  return k;
}

/* Writes top Via value v (parsed as via) of a request from src with received= and rport=
 * (RFC 3261 18.2.1, RFC 3581 4): sent-protocol and sent-by as written, then every via-param
 * but received and rport, then the two. out has room for v.len + 2 * SIPSPEC_SOCKADDR_STRLEN
 * + 32 bytes; returns the length written. */
static size_t via_received(sipspec_span v, const sipspec_via *via, const sipspec_sockaddr *src, char *out) {
  char ip[SIPSPEC_SOCKADDR_STRLEN], bracketed[SIPSPEC_SOCKADDR_STRLEN + 3];
  sipspec_sockaddr_host(src, ip, sizeof ip);
  size_t iplen = strlen(ip), bl = 0;
  int v6 = sipspec_sockaddr_family(src) == AF_INET6;
  if (v6) bracketed[bl++] = '[';
  memcpy(bracketed + bl, ip, iplen);
  bl += iplen;
  if (v6) bracketed[bl++] = ']';
  bracketed[bl] = '\0';
  int want_rport = via->rport >= 0;
  int want_received = want_rport || !sipspec_span_ieq(via->host, bracketed);
  if (!want_received) {
    memcpy(out, v.p, v.len);
    return v.len;
  }
  size_t n;
  const char *vend = v.p + v.len;
  const char *pbeg = via->params.p && via->params.len ? via->params.p : vend;
  const char *pend = via->params.p && via->params.len ? via->params.p + via->params.len : vend;
  memcpy(out, v.p, (size_t)(pbeg - v.p));
  n = (size_t)(pbeg - v.p);
  for (const char *p = pbeg; p < pend;) {
    const char *start = p; /* at ';' */
    const char *e = param_end(p + 1, pend);
    const char *nb = p + 1, *ne = memchr(nb, '=', (size_t)(e - nb));
    if (!ne) ne = e;
    trim(&nb, &ne);
    sipspec_span name = {nb, (size_t)(ne - nb)};
    if (!sipspec_span_ieq(name, "received") && !sipspec_span_ieq(name, "rport")) {
      memcpy(out + n, start, (size_t)(e - start));
      n += (size_t)(e - start);
    }
    p = e;
  }
  /* written by hand: snprintf costs more than the rest of the record */
  memcpy(out + n, ";received=", 10);
  memcpy(out + n + 10, ip, iplen);
  n += 10 + iplen;
  if (want_rport) {
    memcpy(out + n, ";rport=", 7);
    n += 7 + put_uint(out + n + 7, sipspec_sockaddr_port(src));
  }
  memcpy(out + n, pend, (size_t)(vend - pend));
  return n + (size_t)(vend - pend);
}

/* The first line value of header id, or an empty span. */
static sipspec_span first_line(const sipspec_msg *m, sipspec_hdr_id id) {
  for (size_t i = 0; i < m->nlines; i++)
    if (m->lines[i].id == id) return m->lines[i].value;
  return (sipspec_span){NULL, 0};
}

int tsx_rec_new(const sipspec_msg *req, const sipspec_sockaddr *src, tsx_rec **out) {
  *out = NULL;
  sipspec_span top, from = first_line(req, SIPSPEC_H_FROM), to = first_line(req, SIPSPEC_H_TO);
  sipspec_span call_id = first_line(req, SIPSPEC_H_CALL_ID), cseq = first_line(req, SIPSPEC_H_CSEQ);
  sipspec_span uri = src ? (sipspec_span){NULL, 0} : sipspec_msg_request_uri(req);
  sipspec_via via;
  /* sipspec_msg_via(): the message's cached top Via, which the layers above ask for again */
  if (sipspec_msg_value(req, SIPSPEC_H_VIA, 0, &top) || sipspec_msg_via(req, 0, &via)) return SIPSPEC_E_NOTFOUND;
  size_t n = req->nlines, cap = top.len + 2 * SIPSPEC_SOCKADDR_STRLEN + 64 + from.len + to.len + call_id.len + cseq.len + uri.len;
  const sipspec_hline *lines = req->lines;
  for (size_t i = 0; i < n; i++)
    if ((src && lines[i].id == SIPSPEC_H_VIA) || (!src && lines[i].id == SIPSPEC_H_ROUTE)) cap += lines[i].value.len + 9;
  if (cap > UINT16_MAX) return SIPSPEC_E_RANGE;
  tsx_rec *r = malloc(sizeof *r + cap);
  if (!r) return SIPSPEC_E_NOMEM;
  char *w = r->text;
#define REC_PUT(p_, n_)         \
  do {                          \
    size_t k_ = (n_);           \
    if (k_) memcpy(w, (p_), k_); \
    w += k_;                    \
  } while (0)
  r->off[TSX_REC_VIA] = 0;
  if (src) { /* every Via line, the top value rewritten (18.2.1) */
    int first = 1;
    for (size_t i = 0; i < n; i++) {
      if (lines[i].id != SIPSPEC_H_VIA) continue;
      sipspec_span lv = lines[i].value;
      REC_PUT("Via: ", 5);
      if (first && top.p >= lv.p && top.p + top.len <= lv.p + lv.len) {
        REC_PUT(lv.p, (size_t)(top.p - lv.p));
        w += via_received(top, &via, src, w);
        REC_PUT(top.p + top.len, (size_t)(lv.p + lv.len - (top.p + top.len)));
      } else {
        REC_PUT(lv.p, lv.len);
      }
      first = 0;
      REC_PUT("\r\n", 2);
    }
  } else { /* the top Via value alone (17.1.1.3) */
    REC_PUT("Via: ", 5);
    REC_PUT(top.p, top.len);
    REC_PUT("\r\n", 2);
  }
  r->off[TSX_REC_ROUTE] = (uint16_t)(w - r->text);
  for (size_t i = 0; !src && i < n; i++)
    if (lines[i].id == SIPSPEC_H_ROUTE) {
      REC_PUT("Route: ", 7);
      REC_PUT(lines[i].value.p, lines[i].value.len);
      REC_PUT("\r\n", 2);
    }
  const sipspec_span rest[] = {from, to, call_id, cseq, uri};
  r->present = 0;
  for (int f = TSX_REC_FROM; f <= TSX_REC_URI; f++) {
    if (rest[f - TSX_REC_FROM].p) r->present |= (uint8_t)(1u << f);
    r->off[f] = (uint16_t)(w - r->text);
    REC_PUT(rest[f - TSX_REC_FROM].p, rest[f - TSX_REC_FROM].len);
  }
  r->off[TSX_REC_N] = (uint16_t)(w - r->text);
#undef REC_PUT
  sipspec_addr ta;
  r->to_tagged = to.len && sipspec_msg_to(req, &ta) == SIPSPEC_OK && ta.tag.p;
  r->cseq = sipspec_msg_cseq(req);
  int mf = sipspec_msg_max_forwards(req);
  r->max_forwards = (int16_t)(mf >= 0 && mf <= INT16_MAX ? mf : -1);
  /* Only what was written stays allocated. */
  tsx_rec *shrunk = realloc(r, sizeof *r + r->off[TSX_REC_N]);
  *out = shrunk ? shrunk : r;
  return SIPSPEC_OK;
}

/* The ICT's record of an INVITE the builder wrote (17.1.1.3, 9.1): the same parts as
 * tsx_rec_new() takes from a parsed request, found where the builder put them. */
int tsx_rec_new_built(const char *text, const sipspec_request_layout *lay, const sipspec_request_fields *f,
                      tsx_rec **out) {
  *out = NULL;
  size_t cap = lay->via_len + lay->route_len + lay->from_len + lay->to_len + lay->call_id_len + lay->cseq_len +
               lay->uri_len;
  if (cap > UINT16_MAX) return SIPSPEC_E_RANGE;
  tsx_rec *r = malloc(sizeof *r + cap);
  if (!r) return SIPSPEC_E_NOMEM;
  const size_t at[] = {lay->via, lay->route, lay->from, lay->to, lay->call_id, lay->cseq, lay->uri};
  const size_t n[] = {lay->via_len, lay->route_len, lay->from_len, lay->to_len, lay->call_id_len, lay->cseq_len,
                      lay->uri_len};
  size_t w = 0;
  r->present = 0;
  for (int i = TSX_REC_VIA; i <= TSX_REC_URI; i++) {
    r->off[i] = (uint16_t)w;
    if (i >= TSX_REC_FROM) r->present |= (uint8_t)(1u << i);
    memcpy(r->text + w, text + at[i - TSX_REC_VIA], n[i - TSX_REC_VIA]);
    w += n[i - TSX_REC_VIA];
  }
  r->off[TSX_REC_N] = (uint16_t)w;
  r->to_tagged = f->to.tag.len > 0;
  r->cseq = f->cseq;
  r->max_forwards = (int16_t)(f->max_forwards < 0 ? 70 : f->max_forwards);
  *out = r;
  return SIPSPEC_OK;
}

static sipspec_span rec_field(const tsx_rec *r, int f) {
  return (sipspec_span){r->text + r->off[f], (size_t)(r->off[f + 1] - r->off[f])};
}

/* "Name: value\r\n" for field f when the request had it (checked when it was parsed or
 * written: copied as it is). */
static void rec_header(sipspec_build *b, const tsx_rec *r, const char *name, int f) {
  if (r->present & (1u << f)) sipspec_build_line_trusted(b, (sipspec_span){name, strlen(name)}, rec_field(r, f));
}

void tsx_response_addr(const sipspec_msg *req, const sipspec_sockaddr *src, int reliable,
                       sipspec_sockaddr *out) {
  sipspec_via via;
  *out = *src;
  if (reliable) return; /* 18.2.2: the connection the request came on */
  if (sipspec_msg_via(req, 0, &via) != SIPSPEC_OK) return;
  if (via.rport >= 0) return; /* RFC 3581 section 4: source IP and port */
  /* 18.2.2: the received address (the source IP) and the sent-by port. maddr is not
   * supported: the response goes to the source address. */
  sipspec_sockaddr_set_port(out, via.port > 0 ? (unsigned)via.port : 5060u);
}

/* ---- building ---------------------------------------------------------------------------- */

static sipspec_span lit(const char *s) { return (sipspec_span){s, s ? strlen(s) : 0}; }

/* Appends "Name: value\r\n" lines from the TU, each under the rule the parser applies to
 * that header (sipspec_build_header_lines(): one rule for writing and reading). */
static int add_headers(sipspec_build *b, const char *headers) { return sipspec_build_header_lines(b, lit(headers)); }

static size_t rec_len(const tsx_rec *r) { return r->off[TSX_REC_N]; }

int tsx_build_response(const tsx_rec *r, int status, const char *reason, const char *to_tag,
                       const char *headers, const char *body, size_t body_len, char **out,
                       size_t *out_len) {
  /* Written on the stack when it fits, then one allocation of its exact size (a final
   * response may be kept for 32 s, Timer J): no realloc of an oversized buffer. */
  char stack[2048];
  size_t cap = rec_len(r) + (headers ? strlen(headers) : 0) + body_len + 512;
  char *buf = cap <= sizeof stack ? stack : malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  sipspec_build b;
  sipspec_build_init(&b, buf, cap);
  /* 8.2.6.2: Via, From, To (with our tag when it had none), Call-ID and CSeq of the request. */
  sipspec_build_status_line(&b, status, lit(reason ? reason : tsx_reason_phrase(status)));
  sipspec_build_raw(&b, rec_field(r, TSX_REC_VIA));
  rec_header(&b, r, "From", TSX_REC_FROM);
  if (r->present & (1u << TSX_REC_TO)) {
    sipspec_build_raw(&b, lit("To: "));
    sipspec_build_raw(&b, rec_field(r, TSX_REC_TO));
    if (to_tag && !r->to_tagged) {
      sipspec_build_raw(&b, lit(";tag="));
      sipspec_build_raw(&b, lit(to_tag));
    }
    sipspec_build_raw(&b, lit("\r\n"));
  }
  rec_header(&b, r, "Call-ID", TSX_REC_CALL_ID);
  rec_header(&b, r, "CSeq", TSX_REC_CSEQ);
  int rc = b.err;
  if (!rc && headers) rc = add_headers(&b, headers);
  if (!rc) rc = sipspec_build_finish(&b, (sipspec_span){body, body ? body_len : 0});
  if (rc) {
    if (buf != stack) free(buf);
    return rc;
  }
  if (buf == stack) {
    char *exact = malloc(b.len);
    if (!exact) return SIPSPEC_E_NOMEM;
    memcpy(exact, stack, b.len);
    *out = exact, *out_len = b.len;
    return SIPSPEC_OK;
  }
  char *exact = realloc(buf, b.len);
  *out = exact ? exact : buf, *out_len = b.len;
  return SIPSPEC_OK;
}

int tsx_build_ack(const tsx_rec *r, const sipspec_msg *resp, char **out, size_t *out_len) {
  if (sipspec_msg_is_request(resp)) return SIPSPEC_E_INVAL;
  sipspec_span to = first_line(resp, SIPSPEC_H_TO);
  size_t cap = rec_len(r) + to.len + 256;
  char *buf = malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  sipspec_build b;
  sipspec_build_init(&b, buf, cap);
  /* 17.1.1.3: the INVITE's Request-URI, top Via, Route set, From, Call-ID and CSeq number;
   * the response's To; CSeq method ACK. */
  sipspec_build_request_line(&b, lit("ACK"), rec_field(r, TSX_REC_URI));
  sipspec_build_raw(&b, rec_field(r, TSX_REC_VIA));
  sipspec_build_max_forwards(&b, r->max_forwards >= 0 && r->max_forwards <= 255 ? r->max_forwards : 70);
  sipspec_build_raw(&b, rec_field(r, TSX_REC_ROUTE));
  rec_header(&b, r, "From", TSX_REC_FROM);
  if (to.p) sipspec_build_line_trusted(&b, lit("To"), to); /* as parsed */
  rec_header(&b, r, "Call-ID", TSX_REC_CALL_ID);
  sipspec_build_cseq(&b, r->cseq, lit("ACK"));
  int rc = sipspec_build_finish(&b, lit(""));
  if (rc) {
    free(buf);
    return rc;
  }
  *out = buf, *out_len = b.len;
  return SIPSPEC_OK;
}

int tsx_build_cancel(const tsx_rec *r, const char *headers, char **out, size_t *out_len) {
  size_t cap = rec_len(r) + (headers ? strlen(headers) : 0) + 256;
  char *buf = malloc(cap);
  if (!buf) return SIPSPEC_E_NOMEM;
  sipspec_build b;
  sipspec_build_init(&b, buf, cap);
  /* 9.1: Request-URI, top Via (the INVITE's branch), Route set, From, To, Call-ID and the
   * CSeq number of the INVITE; CSeq method CANCEL. */
  sipspec_build_request_line(&b, lit("CANCEL"), rec_field(r, TSX_REC_URI));
  sipspec_build_raw(&b, rec_field(r, TSX_REC_VIA));
  sipspec_build_max_forwards(&b, r->max_forwards >= 0 && r->max_forwards <= 255 ? r->max_forwards : 70);
  sipspec_build_raw(&b, rec_field(r, TSX_REC_ROUTE));
  rec_header(&b, r, "From", TSX_REC_FROM);
  rec_header(&b, r, "To", TSX_REC_TO);
  rec_header(&b, r, "Call-ID", TSX_REC_CALL_ID);
  sipspec_build_cseq(&b, r->cseq, lit("CANCEL"));
  int rc = b.err;
  if (!rc && headers) rc = add_headers(&b, headers);
  if (!rc) rc = sipspec_build_finish(&b, lit(""));
  if (rc) {
    free(buf);
    return rc;
  }
  *out = buf, *out_len = b.len;
  return SIPSPEC_OK;
}

const char *tsx_reason_phrase(int status) {
  /* RFC 3261 section 21 and the codes MRCPv2 peers commonly send. */
  static const struct { int code; const char *text; } table[] = {
    {100, "Trying"}, {180, "Ringing"}, {181, "Call Is Being Forwarded"}, {182, "Queued"},
    {183, "Session Progress"}, {200, "OK"}, {202, "Accepted"}, {300, "Multiple Choices"},
    {301, "Moved Permanently"}, {302, "Moved Temporarily"}, {305, "Use Proxy"},
    {380, "Alternative Service"}, {400, "Bad Request"}, {401, "Unauthorized"},
    {402, "Payment Required"}, {403, "Forbidden"}, {404, "Not Found"},
    {405, "Method Not Allowed"}, {406, "Not Acceptable"}, {407, "Proxy Authentication Required"},
    {408, "Request Timeout"}, {410, "Gone"}, {413, "Request Entity Too Large"},
    {414, "Request-URI Too Long"}, {415, "Unsupported Media Type"},
    {416, "Unsupported URI Scheme"}, {420, "Bad Extension"}, {421, "Extension Required"},
    {423, "Interval Too Brief"}, {480, "Temporarily Unavailable"},
    {481, "Call/Transaction Does Not Exist"}, {482, "Loop Detected"}, {483, "Too Many Hops"},
    {484, "Address Incomplete"}, {485, "Ambiguous"}, {486, "Busy Here"},
    {487, "Request Terminated"}, {488, "Not Acceptable Here"}, {491, "Request Pending"},
    {493, "Undecipherable"}, {500, "Server Internal Error"}, {501, "Not Implemented"},
    {502, "Bad Gateway"}, {503, "Service Unavailable"}, {504, "Server Time-out"},
    {505, "Version Not Supported"}, {513, "Message Too Large"}, {600, "Busy Everywhere"},
    {603, "Decline"}, {604, "Does Not Exist Anywhere"}, {606, "Not Acceptable"},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
    if (table[i].code == status) return table[i].text;
  return status < 200 ? "Provisional" : status < 300 ? "Success" : status < 400 ? "Redirection"
       : status < 500 ? "Client Error" : status < 600 ? "Server Error" : "Global Failure";
}
