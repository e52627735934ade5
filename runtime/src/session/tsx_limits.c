/* session/tsx_limits.c: the transaction layer's limits on what peers send (docs/limits.md).
 *
 * Why here: the layer is where every received message is parsed and every server
 * transaction is made, for the UA and the embedded server alike, so the limits of
 * sipspec_config (MRCP_SIP_MAX_*) apply to both from one place:
 *   - the message limits (size, header lines, header line length) are the parser's
 *     sipspec_msg_limits, for the layer's message and for the stream framer of its TCP/TLS
 *     transports; a datagram over one of them that is a request whose headers can still be
 *     read (parsed again with the lenient limits below) is answered 513 Message Too Large
 *     (RFC 3261 21.5.14: "the message length exceeded its capabilities") with a Warning
 *     naming the limit; anything else over a limit is dropped. Both are counted in
 *     sipMessagesTooLarge. On a stream the framer closes the connection instead (the
 *     transport counts it): the rest of the stream cannot be trusted to frame.
 *   - the transaction limit: a request that would create a server transaction beyond
 *     max_transactions is answered 503 Service Unavailable with Retry-After statelessly
 *     (RFC 3261 21.5.4: "temporarily unable to process the request due to a temporary
 *     overloading"; RFC 3261 8.2.6.1 allows a stateless answer), counted in
 *     sipTransactionsRefused; an ACK needs no transaction and is never refused.
 *   - the stream transports' connection limit, idle timeout and message timeout are
 *     handed to the transports, with in_use(): an idle accepted connection stays open
 *     while a live transaction sends or receives through it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session/tsx_internal.h"

/* The lenient limits that read the headers of a message over the configured ones: the
 * largest UDP payload, and generous header counts. */
enum { LENIENT_SIZE = 65536, LENIENT_HEADERS = 1024 };

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

void tsx_limits_init(sipspec_tsx_layer *l, const sipspec_config *cfg) {
  sipspec_msg_limits_init(&l->msg_limits); /* a 0 (a config not made by sipspec_config_init) keeps these */
  if (cfg->max_message_size) l->msg_limits.max_message_size = cfg->max_message_size;
  if (cfg->max_headers) l->msg_limits.max_headers = cfg->max_headers;
  if (cfg->max_header_length) l->msg_limits.max_line_length = cfg->max_header_length;
  /* values: never fewer than the default, at least two per header line */
  l->msg_limits.max_values = max_sz(l->msg_limits.max_values, 2 * l->msg_limits.max_headers);
  l->max_transactions = cfg->max_transactions;
  l->retry_after_s = cfg->retry_after_s ? cfg->retry_after_s : SIPSPEC_DEFAULT_RETRY_AFTER_S;
  l->max_connections = cfg->max_connections;
  l->idle_timeout_ms = cfg->idle_timeout_ms;
  l->message_timeout_ms = cfg->message_timeout_ms;
}

const sipspec_msg_limits *tsx_limits_scratch(const sipspec_tsx_layer *l, sipspec_msg_limits *out) {
  *out = l->msg_limits;
  out->max_message_size += 256; /* a stored request gained received= and rport= (18.2.1) */
  out->max_line_length += 256;
  return out;
}

static int in_use(sipspec_transport *tp, const sipspec_sockaddr *peer, void *user) {
  sipspec_tsx_layer *l = user;
  for (unsigned b = 0; b < TSX_BUCKETS; b++)
    for (const sipspec_tsx *t = l->bucket[b]; t; t = t->hnext) {
      if (tsx_tp(t) != tp) continue;
      sipspec_sockaddr a = tsx_peer(t), s = tsx_src(t);
      if (sipspec_sockaddr_equal(&a, peer) || (t->server && sipspec_sockaddr_equal(&s, peer))) return 1;
    }
  return 0;
}

void tsx_limits_transport_opts(sipspec_tsx_layer *l, sipspec_transport_opts *o) {
  if (o->framer == &sipspec_sip_stream_framer) o->framer_arg = &l->msg_limits;
  o->in_use = in_use;
  if (!o->max_connections) o->max_connections = l->max_connections;
  if (!o->idle_timeout_ms) o->idle_timeout_ms = l->idle_timeout_ms;
  if (!o->message_timeout_ms) o->message_timeout_ms = l->message_timeout_ms;
}

int tsx_limits_is_limit(int rc) {
  return rc == SIPSPEC_E_MSG_OVERSIZE || rc == SIPSPEC_E_MSG_TOO_MANY_HEADERS || rc == SIPSPEC_E_MSG_LINE_TOO_LONG;
}

/* Answers the parsed request m statelessly with status and header lines from src over tp,
 * built from its fields (the top Via with received/rport) without parsing it again. */
static int respond_stateless(sipspec_transport *tp, const sipspec_sockaddr *from, const sipspec_msg *m, int status,
                             const char *headers) {
  char *resp = NULL;
  size_t resp_len;
  char tag[TSX_TAG_SIZE];
  tsx_rec *r = NULL;
  sipspec_sockaddr to;
  int rc;
  tsx_response_addr(m, from, sipspec_transport_reliable(tp), &to);
  if ((rc = tsx_rec_new(m, from, &r)) == SIPSPEC_OK && (rc = tsx_random_hex(tag, 8)) == SIPSPEC_OK &&
      (rc = tsx_build_response(r, status, NULL, tag, headers, NULL, 0, &resp, &resp_len)) == SIPSPEC_OK)
    rc = sipspec_transport_send(tp, &to, resp, resp_len);
  free(r);
  free(resp);
  return rc;
}

/* The layer's message with the lenient limits, made the first time it is needed; NULL when
 * out of memory. */
static sipspec_msg *lenient_msg(sipspec_tsx_layer *l) {
  if (!l->lenient) {
    sipspec_msg_limits ll = l->msg_limits;
    ll.max_message_size = max_sz(ll.max_message_size, LENIENT_SIZE);
    ll.max_line_length = ll.max_message_size;
    ll.max_headers = max_sz(ll.max_headers, LENIENT_HEADERS);
    ll.max_values = max_sz(ll.max_values, 4 * ll.max_headers);
    if (sipspec_msg_create(&l->lenient, &ll) != SIPSPEC_OK) l->lenient = NULL;
  }
  return l->lenient;
}

void tsx_limits_oversize(sipspec_tsx_layer *l, sipspec_transport *tp, const char *data, size_t len,
                         const sipspec_sockaddr *from, int parse_rc) {
  if (l->tel) l->tel->sipMessagesTooLarge++;
  sipspec_msg *m = lenient_msg(l);
  const uint32_t fatal = SIPSPEC_CHECK_MISSING_VIA | SIPSPEC_CHECK_MISSING_FROM | SIPSPEC_CHECK_MISSING_TO |
                         SIPSPEC_CHECK_MISSING_CALL_ID | SIPSPEC_CHECK_MISSING_CSEQ | SIPSPEC_CHECK_BAD_VERSION;
  /* A response, an ACK (17.1.1.3: never answered) or a request without what a response
   * copies: dropped. Over a stream the framer has already closed the connection. */
  if (!m || sipspec_transport_reliable(tp) || sipspec_msg_parse(m, data, len) != SIPSPEC_OK ||
      !sipspec_msg_is_request(m) || sipspec_msg_method(m) == SIPSPEC_METHOD_ACK || (sipspec_msg_check(m) & fatal)) {
    l->stats.rx_dropped++;
    return;
  }
  const char *what = parse_rc == SIPSPEC_E_MSG_OVERSIZE        ? "message size"
                     : parse_rc == SIPSPEC_E_MSG_LINE_TOO_LONG ? "header line length"
                                                               : "header count";
  size_t limit = parse_rc == SIPSPEC_E_MSG_OVERSIZE        ? l->msg_limits.max_message_size
                 : parse_rc == SIPSPEC_E_MSG_LINE_TOO_LONG ? l->msg_limits.max_line_length
                                                           : l->msg_limits.max_headers;
  char warning[160];
  snprintf(warning, sizeof warning, "Warning: 399 sipspec \"%s over the limit of %zu\"\r\n", what, limit);
  if (respond_stateless(tp, from, m, 513, warning) == SIPSPEC_OK) l->stats.rx_rejected++;
  else l->stats.rx_dropped++;
}

int tsx_limits_full(sipspec_tsx_layer *l, sipspec_transport *tp, const sipspec_msg *req, const sipspec_sockaddr *from) {
  if (!l->max_transactions || l->stats.live < l->max_transactions) return 0;
  if (l->tel) l->tel->sipTransactionsRefused++;
  char hdr[64];
  snprintf(hdr, sizeof hdr, "Retry-After: %u\r\n", l->retry_after_s);
  if (respond_stateless(tp, from, req, 503, hdr) == SIPSPEC_OK) l->stats.rx_rejected++;
  else l->stats.rx_dropped++;
  return 1;
}
