/* fuzz_mrcp.c: libFuzzer target for MRCPv2 offer/answer negotiation over a session's life
 * (sipspec/mrcp_sdp.h: sipspec_mrcp_session_*, the server's answer, the client's check).
 *
 * The input is a script, then SDP texts: "<ops>|<sdp 1>\n%%<sdp 2>\n%%...". Ops, one
 * character each (at most 32), run on one client session of a synthesizer:
 *   a<r> / d<r>  add / remove resource r (a digit: the sipspec_mrcp_resource value)
 *   o<m>         write the next offer and let a server that serves the resources of mask
 *                digit m (0: all) answer it; when the server answers, the session must
 *                accept that answer (a server of ours answering our offer always fits)
 *   f            apply the next SDP text as the answer to the last offer (refused: the
 *                re-offer is forgotten, as a failed re-INVITE does)
 *   x            the last re-offer was refused
 *   s            answer the next SDP text as an offer, like a server, and check the answer
 *                against it as a client would
 * After each step the negotiated state must be consistent: every channel the state lists is
 * found by its resource unless rejected. Every SDP text is an exact-size heap copy. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/sdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char offer[16384], ans[65536];

static void check_state(const sipspec_mrcp_session_t *s) {
  const sipspec_mrcp_answer *a = sipspec_mrcp_session_state(s);
  if (!a) return;
  if (a->nchannels > SIPSPEC_MRCP_MAX_CHANNELS) abort();
  for (size_t i = 0; i < a->nchannels; i++) {
    const sipspec_mrcp_channel *c = &a->channels[i];
    if (c->rejected) continue;
    const sipspec_mrcp_channel *f = sipspec_mrcp_session_channel(s, c->resource);
    if (!f || f->resource != c->resource) abort();
    if (!memchr(c->channel_id, 0, sizeof c->channel_id) || !memchr(c->host, 0, sizeof c->host)) abort();
  }
}

static void server_answer(const char *o, size_t ol, unsigned mask, int must_fit, sipspec_mrcp_session_t *s) {
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "192.0.2.11";
  c.mrcp_port = 1544;
  c.rtp_port = 5004;
  c.session_id = "fz1";
  if (mask) c.supported = mask << 1;
  size_t al = 0;
  sipspec_sdp_error err;
  if (sipspec_mrcp_server_answer(&c, o, ol, ans, sizeof ans, &al, &err) != SIPSPEC_OK) {
    if (s) sipspec_mrcp_session_offer_refused(s);
    return;
  }
  char *copy = malloc(al ? al : 1);
  memcpy(copy, ans, al);
  if (s) {
    int rc = sipspec_mrcp_session_apply_answer(s, copy, al, &err);
    if (rc != SIPSPEC_OK && must_fit) {
      fprintf(stderr, "fuzz_mrcp: our server's answer to our offer was refused (%s): line %u: %s\n",
              sipspec_errname(rc), err.line, err.reason);
      abort();
    }
    if (rc != SIPSPEC_OK) sipspec_mrcp_session_offer_refused(s);
  } else {
    sipspec_mrcp_answer a;
    (void)sipspec_mrcp_answer_parse(o, ol, copy, al, &a, &err);
  }
  free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  const char *bar = memchr(in, '|', size < 64 ? size : 64);
  size_t nops = bar ? (size_t)(bar - in) : 0;
  size_t pos = bar ? nops + 1 : 0;
  if (nops > 32) nops = 32;

  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "192.0.2.12";
  d.rtp_port = 49170;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  sipspec_mrcp_session_t *s = sipspec_mrcp_session_create(&d);
  if (!s) abort();
  size_t ol = 0;
  int offered = 0;
  if (!nops) { /* no script: the input is an answer to the first offer, then an offer */
    static const char dflt[] = "of";
    in = dflt;
    nops = 2;
  }
  for (size_t i = 0; i < nops; i++) {
    char op = in[i];
    char arg = i + 1 < nops ? in[i + 1] : '0';
    int isdig = arg >= '0' && arg <= '9';
    unsigned digit = isdig ? (unsigned)(arg - '0') : 0;
    sipspec_sdp_error err;
    switch (op) {
    case 'a':
      sipspec_mrcp_session_add(s, (sipspec_mrcp_resource)digit);
      i += isdig;
      break;
    case 'd':
      sipspec_mrcp_session_remove(s, (sipspec_mrcp_resource)digit);
      i += isdig;
      break;
    case 'o':
      if (sipspec_mrcp_session_offer(s, offer, sizeof offer, &ol, &err) == SIPSPEC_OK) {
        offered = 1;
        server_answer(offer, ol, digit, digit == 0, s);
      }
      i += isdig;
      break;
    case 'f':
    case 's': {
      if (pos >= size) break;
      size_t end = pos;
      while (end < size && !(end + 2 < size && data[end] == '\n' && data[end + 1] == '%' && data[end + 2] == '%'))
        end++;
      size_t n = end - pos;
      char *t = malloc(n ? n : 1);
      memcpy(t, data + pos, n);
      pos = end < size ? end + 3 : size;
      if (op == 's') {
        server_answer(t, n, 0, 0, NULL);
      } else {
        if (!offered && sipspec_mrcp_session_offer(s, offer, sizeof offer, &ol, &err) == SIPSPEC_OK) offered = 1;
        if (offered && sipspec_mrcp_session_apply_answer(s, t, n, &err) != SIPSPEC_OK)
          sipspec_mrcp_session_offer_refused(s);
      }
      free(t);
      break;
    }
    case 'x': sipspec_mrcp_session_offer_refused(s); break;
    default: break;
    }
    check_state(s);
  }
  sipspec_mrcp_session_destroy(s);
  return 0;
}
