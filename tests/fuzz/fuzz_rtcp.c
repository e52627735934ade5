/* fuzz_rtcp.c: libFuzzer target for the RTCP compound parser (RFC 3550 §6.1, §6.4-§6.6,
 * RFC 3611 §4.7): every input must parse or be refused without reading outside it; what
 * parses is written back (SR/RR, SDES CNAME, the first XR VoIP metrics block, BYE) and must
 * parse again to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "media/media_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* an exact-size copy, so any read past the end is a heap overflow ASan sees */
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) return 0;
  if (size) memcpy(buf, data, size);
  rtcp_parsed p;
  const char *why = NULL;
  if (sipspec_rtcp_parse(buf, size, &p, &why) == 0) {
    if (p.nblocks > RTCP_MAX_BLOCKS) abort();
    uint8_t out[2048];
    rtcp_writer w;
    rtcp_writer_init(&w, out, sizeof out);
    rtcp_write_report(&w, p.ssrc, p.has_sr, p.ntp_sec, p.ntp_frac, p.rtp_ts, p.sender_packets, p.sender_octets,
                      p.blocks, p.nblocks);
    rtcp_write_sdes_cname(&w, p.ssrc, p.has_cname ? p.cname : "");
    if (p.has_voip) rtcp_write_xr_voip(&w, p.xr_ssrc, &p.voip);
    if (p.bye) rtcp_write_bye(&w, p.ssrc, NULL);
    if (!w.ok) abort();
    rtcp_parsed q;
    if (sipspec_rtcp_parse(out, w.len, &q, NULL) != 0) abort();
    if (q.ssrc != p.ssrc || q.nblocks != p.nblocks || q.has_sr != p.has_sr || q.bye != p.bye) abort();
    for (unsigned i = 0; i < p.nblocks; i++)
      if (memcmp(&q.blocks[i], &p.blocks[i], sizeof q.blocks[i]) != 0) abort();
    if (q.has_voip != p.has_voip || (p.has_voip && (q.xr_ssrc != p.xr_ssrc || memcmp(&q.voip, &p.voip, sizeof q.voip))))
      abort();
  } else if (!why) {
    abort(); /* a refusal always says why */
  }
  free(buf);
  return 0;
}
