/* sip/framer.c: stream framing for SIP over TCP/TLS (RFC 3261 18.3, RFC 5626 3.5.1).
 *
 * Bytes are copied into one buffer sized at create time (twice the message size limit).
 * next() skips CRLF keep-alives, finds the end of the head (remembering how far it has
 * already looked, so a head arriving byte by byte is scanned once), reads Content-Length
 * from the parsed head, waits for the whole body, and completes the message parsed from its
 * head with the body (sipspec_msg_stream_complete()): each message is parsed once, and the
 * message next() hands out is that parse. Errors are sticky: a stream that failed once can never frame again.
 */
#include <stdlib.h>
#include <string.h>

#include "sip/msg_internal.h"
#include "sipspec/error.h"

struct sipspec_framer {
  sipspec_msg_limits limits;
  char *buf;
  size_t cap;
  size_t start, end;   /* pending bytes: buf[start, end) */
  size_t scanned;      /* head bytes already searched for the empty line */
  size_t need;         /* whole message length once the head is parsed, else 0 */
  size_t head;         /* length of the parsed head (need > 0) */
  const sipspec_msg *head_msg; /* the message holding the head alone, its body still to
                                * attach; NULL when the head parse was the whole message */
  size_t last;         /* length of the message returned by the last next() */
  int line_checked;    /* the start line of the pending message was valid */
  int err;
  sipspec_parse_error perr;
};

int sipspec_framer_create(sipspec_framer **out, const sipspec_msg_limits *limits) {
  sipspec_msg_limits l;
  if (!out) return SIPSPEC_E_INVAL;
  *out = NULL;
  if (limits) l = *limits;
  else sipspec_msg_limits_init(&l);
  if (!l.max_message_size || l.max_message_size > (SIZE_MAX - 4096) / 2) return SIPSPEC_E_INVAL;
  sipspec_framer *f = calloc(1, sizeof *f);
  if (!f) return SIPSPEC_E_NOMEM;
  f->limits = l;
  f->cap = l.max_message_size * 2 + 4096;
  f->buf = malloc(f->cap);
  if (!f->buf) {
    free(f);
    return SIPSPEC_E_NOMEM;
  }
  *out = f;
  return SIPSPEC_OK;
}

void sipspec_framer_destroy(sipspec_framer *f) {
  if (!f) return;
  free(f->buf);
  free(f);
}

static int fail(sipspec_framer *f, const char *at, int code, const char *rule) {
  sipspec_msg_set_error(&f->perr, f->buf + f->start, at, code, rule);
  f->err = code;
  return code;
}

int sipspec_framer_feed(sipspec_framer *f, const char *data, size_t len) {
  if (f->err) return f->err;
  if (!data && len) return SIPSPEC_E_INVAL;
  f->start += f->last;
  f->last = 0;
  if (f->start > 0) {
    memmove(f->buf, f->buf + f->start, f->end - f->start);
    f->end -= f->start;
    f->start = 0;
  }
  if (len > f->cap - f->end) return fail(f, f->buf + f->end, SIPSPEC_E_MSG_OVERSIZE, "max_message_size");
  if (len) memcpy(f->buf + f->end, data, len);
  f->end += len;
  return SIPSPEC_OK;
}

int sipspec_framer_next(sipspec_framer *f, sipspec_msg *m) {
  if (f->err) return f->err;
  f->start += f->last;
  f->last = 0;
  if (!f->need) {
    /* CRLF keep-alives between messages (RFC 5626 3.5.1). */
    if (!f->scanned)
      while (f->start < f->end && (f->buf[f->start] == '\r' || f->buf[f->start] == '\n')) f->start++;
    const char *s = f->buf + f->start, *e = f->buf + f->end;
    size_t pending = f->end - f->start;
    if (!pending) return SIPSPEC_E_AGAIN;
    /* The empty line ending the head. */
    size_t from = f->scanned > 3 ? f->scanned - 3 : 0;
    const char *h = NULL;
    for (const char *c = s + from; c + 4 <= e; c++) {
      c = memchr(c, '\r', (size_t)(e - c));
      if (!c || c + 4 > e) break;
      if (c[1] == '\n' && c[2] == '\r' && c[3] == '\n') {
        h = c;
        break;
      }
    }
    /* A start line that cannot be one fails at once, before the head is all in (a peer
     * sending garbage is not waited for). With the whole head here the parse below checks
     * it with the same scanner and reports the same error, so it is not scanned twice. */
    if (!f->line_checked && (!h || (size_t)(h + 4 - s) > f->limits.max_message_size)) {
      const char *lf = memchr(s, '\n', pending);
      if (lf) {
        sipspec_g_start st;
        const char *far = s;
        if (!sipspec_gf_start_line(s, lf + 1, &st, &far))
          return fail(f, far, SIPSPEC_E_MSG_SYNTAX, "start-line");
        f->line_checked = 1;
      } else if (pending > f->limits.max_line_length) {
        return fail(f, s, SIPSPEC_E_MSG_LINE_TOO_LONG, "max_line_length");
      }
    }
    if (!h) {
      f->scanned = pending;
      if (pending > f->limits.max_message_size) return fail(f, s, SIPSPEC_E_MSG_OVERSIZE, "max_message_size");
      return SIPSPEC_E_AGAIN;
    }
    size_t head = (size_t)(h + 4 - s);
    int rc = sipspec_msg_parse_mode(m, s, head, SIPSPEC_MODE_STREAM);
    f->head = head;
    f->head_msg = rc != SIPSPEC_OK ? m : NULL;
    if (rc == SIPSPEC_OK) {
      f->need = head;
    } else if (rc == SIPSPEC_E_MSG_INCOMPLETE && m->content_length >= 0) {
      if ((size_t)m->content_length > f->limits.max_message_size ||
          head + (size_t)m->content_length > f->limits.max_message_size)
        return fail(f, s, SIPSPEC_E_MSG_OVERSIZE, "max_message_size");
      f->need = head + (size_t)m->content_length;
    } else {
      f->perr = m->err;
      f->err = rc;
      return rc;
    }
  }
  if (f->end - f->start < f->need) return SIPSPEC_E_AGAIN;
  /* m usually holds the head parsed above (feed() may have moved the bytes since); a caller
   * that passes another message gets a whole parse. */
  int rc = SIPSPEC_OK;
  if (f->head_msg == m) rc = sipspec_msg_stream_complete(m, f->buf + f->start, f->head);
  else if (f->head_msg) rc = sipspec_msg_parse_mode(m, f->buf + f->start, f->need, SIPSPEC_MODE_STREAM);
  f->head_msg = NULL;
  if (rc != SIPSPEC_OK) {
    f->perr = m->err;
    f->err = rc;
    return rc;
  }
  f->last = f->need;
  f->need = 0;
  f->scanned = 0;
  f->line_checked = 0;
  return SIPSPEC_OK;
}

const sipspec_parse_error *sipspec_framer_error(const sipspec_framer *f) { return &f->perr; }

size_t sipspec_framer_pending(const sipspec_framer *f) { return f->end - f->start - f->last; }
