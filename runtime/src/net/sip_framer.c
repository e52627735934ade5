/* sip_framer.c: plugs the SIP stream framer of sipspec/msg.h (Content-Length framing,
 * RFC 3261 18.3; CRLF keep-alives skipped, RFC 5626 3.5.1) into the transport framer
 * interface, so TCP (and later TLS) connections deliver one whole SIP message per on_recv,
 * or the message as the framer parsed it per on_recv_msg (parsed()).
 *
 * Bytes go in slices of at most SIP_FEED_SLICE, each followed by draining every complete
 * message, so the framer's buffer (twice the message size limit) can never overflow
 * because a read happened to carry many messages at once.
 */
#include <stdlib.h>

#include "sipspec/msg.h"
#include "sipspec/transport.h"

enum { SIP_FEED_SLICE = 4096 };

typedef struct sip_framer_state {
  sipspec_framer *framer;
  sipspec_msg *msg;
} sip_framer_state;

static void sip_framer_destroy(void *p) {
  sip_framer_state *s = p;
  if (!s) return;
  sipspec_framer_destroy(s->framer);
  sipspec_msg_destroy(s->msg);
  free(s);
}

/* arg: const sipspec_msg_limits * or NULL for the defaults. */
static void *sip_framer_create(void *arg) {
  const sipspec_msg_limits *limits = arg;
  sip_framer_state *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (sipspec_framer_create(&s->framer, limits) != SIPSPEC_OK ||
      sipspec_msg_create(&s->msg, limits) != SIPSPEC_OK) {
    sip_framer_destroy(s);
    return NULL;
  }
  return s;
}

static int sip_framer_feed(void *p, const char *data, size_t len, sipspec_framer_emit_fn emit,
                           void *ctx) {
  sip_framer_state *s = p;
  while (len > 0) {
    size_t n = len < SIP_FEED_SLICE ? len : SIP_FEED_SLICE;
    int rc = sipspec_framer_feed(s->framer, data, n);
    if (rc != SIPSPEC_OK) return rc;
    data += n;
    len -= n;
    while ((rc = sipspec_framer_next(s->framer, s->msg)) == SIPSPEC_OK) {
      sipspec_span raw = sipspec_msg_raw(s->msg);
      if (emit(ctx, raw.p, raw.len)) return SIPSPEC_OK;
    }
    if (rc != SIPSPEC_E_AGAIN) return rc;
  }
  return SIPSPEC_OK;
}

static size_t sip_framer_pending(void *p) { return sipspec_framer_pending(((sip_framer_state *)p)->framer); }

/* During emit: the framer's own parse of the message (sipspec_framer_next()). */
static const sipspec_msg *sip_framer_parsed(void *p) { return ((sip_framer_state *)p)->msg; }

const sipspec_framer_type sipspec_sip_stream_framer = {
  .name = "sip",
  .create = sip_framer_create,
  .feed = sip_framer_feed,
  .destroy = sip_framer_destroy,
  .pending = sip_framer_pending,
  .parsed = sip_framer_parsed,
};
