/* sip/build.c: writing SIP messages into caller storage.
 *
 * Appends with a sticky error, plus the messages RFC 3261 derives from others: responses
 * (8.2.6), the ACK for a non-2xx final response (17.1.1.3) and CANCEL (9.1), which copy
 * values the parser already checked. Content-Length is always written by
 * sipspec_build_finish() from the body's real length. The typed fields and the checked
 * header lines are in build_fields.c.
 */
#include <stdio.h>
#include <string.h>

#include "sip/msg_internal.h"
#include "sipspec/error.h"

void sipspec_build_init(sipspec_build *b, char *buf, size_t cap) {
  b->buf = buf;
  b->cap = cap;
  b->len = 0;
  b->err = buf || !cap || cap == SIZE_MAX ? SIPSPEC_OK : SIPSPEC_E_INVAL;
  b->what[0] = '\0';
}

void sipspec_build_init_measure(sipspec_build *b) { sipspec_build_init(b, NULL, SIZE_MAX); }

int sipspec_build_fail(sipspec_build *b, int code, const char *what, const char *detail) {
  if (b->err) return b->err;
  b->err = code;
  snprintf(b->what, sizeof b->what, "%s%s%s", what ? what : "", detail && *detail ? ": " : "", detail ? detail : "");
  return code;
}

static int put(sipspec_build *b, const char *p, size_t n) {
  if (b->err) return b->err;
  if (n > b->cap - b->len) return sipspec_build_fail(b, SIPSPEC_E_MSG_NOSPACE, "message size", NULL);
  if (n && b->buf) memcpy(b->buf + b->len, p, n);
  b->len += n;
  return SIPSPEC_OK;
}

static int puts_(sipspec_build *b, const char *s) { return put(b, s, strlen(s)); }
static int putspan(sipspec_build *b, sipspec_span s) { return put(b, s.p, s.len); }

static int has_crlf(sipspec_span s) {
  return s.len && (memchr(s.p, '\r', s.len) || memchr(s.p, '\n', s.len) || memchr(s.p, '\0', s.len));
}

/* 7.1: Method SP Request-URI SP SIP-Version CRLF; the method a token, the URI a SIP-URI,
 * SIPS-URI or absoluteURI (the grammar's rules). */
int sipspec_build_request_line(sipspec_build *b, sipspec_span method, sipspec_span uri) {
  sipspec_build_check_token(b, method, "method");
  sipspec_build_check_uri(b, uri, "Request-URI");
  putspan(b, method);
  puts_(b, " ");
  putspan(b, uri);
  return puts_(b, " SIP/2.0\r\n");
}

int sipspec_build_status_line(sipspec_build *b, int status, sipspec_span reason) {
  if (status < 100 || status > 699) return sipspec_build_fail(b, SIPSPEC_E_INVAL, "Status-Code", NULL);
  if (has_crlf(reason)) sipspec_build_fail(b, SIPSPEC_E_BUILD_CRLF, "Reason-Phrase", NULL);
  char line[13] = "SIP/2.0 000 "; /* 7.2: SIP-Version SP Status-Code SP */
  line[8] = (char)('0' + status / 100), line[9] = (char)('0' + status / 10 % 10), line[10] = (char)('0' + status % 10);
  put(b, line, 12);
  putspan(b, reason);
  return puts_(b, "\r\n");
}

int sipspec_build_line_trusted(sipspec_build *b, sipspec_span name, sipspec_span value) {
  putspan(b, name);
  puts_(b, ": ");
  putspan(b, value);
  return puts_(b, "\r\n");
}

int sipspec_build_raw(sipspec_build *b, sipspec_span bytes) { return putspan(b, bytes); }

int sipspec_build_finish(sipspec_build *b, sipspec_span body) {
  char cl[48];
  size_t k = sizeof cl - 4, n = body.len;
  memcpy(cl + k, "\r\n\r\n", 4);
  do {
    cl[--k] = (char)('0' + n % 10);
    n /= 10;
  } while (n);
  k -= 16;
  memcpy(cl + k, "Content-Length: ", 16);
  put(b, cl + k, sizeof cl - k);
  return putspan(b, body);
}

static sipspec_span lit(const char *s) { return (sipspec_span){s, strlen(s)}; }

/* Copies every header line of id from m, under its canonical name. */
static void copy_lines(sipspec_build *b, const sipspec_msg *m, sipspec_hdr_id id) {
  for (size_t i = 0; i < m->nlines; i++)
    if (m->lines[i].id == id) sipspec_build_line_trusted(b, lit(sipspec_hdr_name(id)), m->lines[i].value);
}

static void copy_first(sipspec_build *b, const sipspec_msg *m, sipspec_hdr_id id) {
  for (size_t i = 0; i < m->nlines; i++)
    if (m->lines[i].id == id) {
      sipspec_build_line_trusted(b, lit(sipspec_hdr_name(id)), m->lines[i].value);
      return;
    }
}

static void cseq_line(sipspec_build *b, const sipspec_msg *m, const char *method) {
  char v[64];
  snprintf(v, sizeof v, "%lu %s", (unsigned long)m->cseq, method);
  sipspec_build_line_trusted(b, lit("CSeq"), lit(v));
}

static void top_via(sipspec_build *b, const sipspec_msg *m) {
  sipspec_span v;
  if (sipspec_msg_value(m, SIPSPEC_H_VIA, 0, &v) == SIPSPEC_OK) sipspec_build_line_trusted(b, lit("Via"), v);
}

static void max_forwards(sipspec_build *b, const sipspec_msg *m) {
  char v[16];
  snprintf(v, sizeof v, "%d", m->max_forwards >= 0 ? m->max_forwards : 70);
  sipspec_build_line_trusted(b, lit("Max-Forwards"), lit(v));
}

int sipspec_build_copy(sipspec_build *b, const sipspec_msg *m) {
  if (m->start.is_request) {
    putspan(b, m->start.method);
    puts_(b, " ");
    putspan(b, m->start.uri);
    puts_(b, " ");
    putspan(b, m->start.version);
    puts_(b, "\r\n");
  } else {
    putspan(b, m->start.version);
    puts_(b, " ");
    putspan(b, m->start.status);
    puts_(b, " ");
    putspan(b, m->start.reason);
    puts_(b, "\r\n");
  }
  for (size_t i = 0; i < m->nlines; i++)
    if (m->lines[i].id != SIPSPEC_H_CONTENT_LENGTH)
      sipspec_build_line_trusted(b, m->lines[i].name, m->lines[i].value);
  return b->err;
}

int sipspec_build_response(sipspec_build *b, const sipspec_msg *req, int status,
                           const char *reason, const char *to_tag) {
  if (!req->start.is_request) return sipspec_build_fail(b, SIPSPEC_E_INVAL, "request", NULL);
  sipspec_build_status_line(b, status, lit(reason ? reason : ""));
  copy_lines(b, req, SIPSPEC_H_VIA);
  copy_first(b, req, SIPSPEC_H_FROM);
  sipspec_addr to;
  sipspec_span tov;
  if (sipspec_msg_value(req, SIPSPEC_H_TO, 0, &tov) == SIPSPEC_OK) {
    putspan(b, lit("To: "));
    putspan(b, tov);
    if (to_tag && sipspec_addr_parse(tov, &to) == SIPSPEC_OK && !to.tag.p) {
      puts_(b, ";tag=");
      puts_(b, to_tag);
    }
    puts_(b, "\r\n");
  }
  copy_first(b, req, SIPSPEC_H_CALL_ID);
  copy_first(b, req, SIPSPEC_H_CSEQ);
  return b->err;
}

int sipspec_build_ack(sipspec_build *b, const sipspec_msg *invite, const sipspec_msg *response) {
  if (!invite->start.is_request || invite->method != SIPSPEC_METHOD_INVITE ||
      response->start.is_request)
    return sipspec_build_fail(b, SIPSPEC_E_INVAL, "INVITE and response", NULL);
  sipspec_build_request_line(b, lit("ACK"), invite->start.uri);
  top_via(b, invite);
  max_forwards(b, invite);
  copy_lines(b, invite, SIPSPEC_H_ROUTE);
  copy_first(b, invite, SIPSPEC_H_FROM);
  copy_first(b, response, SIPSPEC_H_TO);
  copy_first(b, invite, SIPSPEC_H_CALL_ID);
  cseq_line(b, invite, "ACK");
  return b->err;
}

int sipspec_build_cancel(sipspec_build *b, const sipspec_msg *req) {
  if (!req->start.is_request || req->method == SIPSPEC_METHOD_ACK ||
      req->method == SIPSPEC_METHOD_CANCEL)
    return sipspec_build_fail(b, SIPSPEC_E_INVAL, "request", NULL);
  sipspec_build_request_line(b, lit("CANCEL"), req->start.uri);
  top_via(b, req);
  max_forwards(b, req);
  copy_lines(b, req, SIPSPEC_H_ROUTE);
  copy_first(b, req, SIPSPEC_H_FROM);
  copy_first(b, req, SIPSPEC_H_TO);
  copy_first(b, req, SIPSPEC_H_CALL_ID);
  cseq_line(b, req, "CANCEL");
  return b->err;
}
