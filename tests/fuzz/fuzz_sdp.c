/* fuzz_sdp.c: libFuzzer target for the SDP grammar, writer and MRCPv2 negotiation.
 *
 * The first byte chooses the mode, the rest is the input:
 *   0: parse; when it parses, the canonical text must parse to text identical to itself;
 *   1: answer the input as an offer like a server; a produced answer must pass the client's check;
 *   2: check the input as an answer to a fixed client offer;
 *   3: parse with tight limits.
 * Every buffer is an exact-size heap copy, so the sanitizers see any read past its end.
 */
#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/sdp.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void mode_round_trip(const char *in, size_t n) {
  sipspec_sdp *s = NULL;
  if (sipspec_sdp_parse(in, n, NULL, &s, NULL) != SIPSPEC_OK) return;
  size_t cap = 2 * n + 256, len = 0, len2 = 0;
  char *out = malloc(cap), *out2 = malloc(cap);
  if (sipspec_sdp_write(s, out, cap, &len) != SIPSPEC_OK) abort();
  sipspec_sdp *t = NULL;
  char *copy = malloc(len ? len : 1);
  memcpy(copy, out, len);
  if (sipspec_sdp_parse(copy, len, NULL, &t, NULL) != SIPSPEC_OK) abort();
  if (sipspec_sdp_write(t, out2, cap, &len2) != SIPSPEC_OK || len2 != len || memcmp(out, out2, len) != 0) abort();
  sipspec_sdp_free(t);
  sipspec_sdp_free(s);
  free(copy);
  free(out);
  free(out2);
}

static void mode_server(const char *in, size_t n) {
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "192.0.2.11";
  c.mrcp_port = 1544;
  c.rtp_port = 5004;
  char ans[16384];
  size_t al = 0;
  sipspec_sdp_error err;
  if (sipspec_mrcp_server_answer(&c, in, n, ans, sizeof ans, &al, &err) != SIPSPEC_OK) return;
  sipspec_mrcp_answer a;
  char *copy = malloc(al ? al : 1);
  memcpy(copy, ans, al);
  int rc = sipspec_mrcp_answer_parse(in, n, copy, al, &a, &err);
  /* the server's own answer may only be refused for a direction the offer itself broke */
  if (rc != SIPSPEC_OK && rc != SIPSPEC_E_SDP_MISMATCH && rc != SIPSPEC_E_SDP_DIRECTION &&
      rc != SIPSPEC_E_SDP_LIMIT)
    abort();
  free(copy);
}

static void mode_answer(const char *in, size_t n) {
  static char offer[2048];
  static size_t ol;
  if (!ol) {
    sipspec_mrcp_offer_desc d;
    sipspec_mrcp_offer_desc_init(&d);
    d.addr = "192.0.2.12";
    d.rtp_port = 49170;
    d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
    d.resources[1] = SIPSPEC_MRCP_SPEECHRECOG;
    d.nresources = 2;
    if (sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, NULL) != SIPSPEC_OK) abort();
  }
  sipspec_mrcp_answer a;
  sipspec_sdp_error err;
  (void)sipspec_mrcp_answer_parse(offer, ol, in, n, &a, &err);
}

static void mode_limits(const char *in, size_t n) {
  sipspec_sdp_limits lim = {512, 64, 16, 3};
  sipspec_sdp *s = NULL;
  if (sipspec_sdp_parse(in, n, &lim, &s, NULL) == SIPSPEC_OK) {
    if (s->nmedia > 3) abort();
    sipspec_sdp_free(s);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t n = size - 1;
  char *in = malloc(n ? n : 1);
  memcpy(in, data + 1, n);
  switch (data[0] & 3) {
  case 0: mode_round_trip(in, n); break;
  case 1: mode_server(in, n); break;
  case 2: mode_answer(in, n); break;
  default: mode_limits(in, n); break;
  }
  free(in);
  return 0;
}
