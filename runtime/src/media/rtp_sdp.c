/* rtp_sdp.c: the remote side of an RTP endpoint read from an SDP text (sipspec/rtp.h):
 * the first m=audio's address and port, RFC 3605 a=rtcp and RFC 5761 a=rtcp-mux. */
#include "sipspec/error.h"
#include "sipspec/rtp.h"
#include "sipspec/sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sipspec_rtp_remote_from_sdp(sipspec_rtp_opts *o, const char *text, size_t len, char *host_buf,
                                size_t host_cap, int *peer_mux) {
  if (!o || !text || !host_buf || host_cap < 2) return SIPSPEC_E_INVAL;
  sipspec_sdp *sdp = NULL;
  if (sipspec_sdp_parse(text, len, NULL, &sdp, NULL) != SIPSPEC_OK) return SIPSPEC_E_INVAL;
  int rc = SIPSPEC_E_INVAL;
  for (size_t i = 0; i < sdp->nmedia; i++) {
    const sipspec_sdp_media *m = &sdp->media[i];
    if (!sipspec_sdp_str_eq(m->media, "audio") || m->port == 0) continue;
    const sipspec_sdp_conn *c = sipspec_sdp_media_conn(sdp, m);
    if (!c || (c->addr_kind != SIPSPEC_SDP_ADDR_IP4 && c->addr_kind != SIPSPEC_SDP_ADDR_IP6) ||
        c->address.len >= host_cap)
      break;
    memcpy(host_buf, c->address.p, c->address.len);
    host_buf[c->address.len] = 0;
    o->remote_host = host_buf;
    o->remote_port = m->port;
    o->remote_rtcp_port = 0;
    /* RFC 3605 §2.1: a=rtcp:<port> [nettype addrtype address]; only the port is used */
    const sipspec_sdp_attr *a = sipspec_sdp_media_attr_named(m, "rtcp");
    if (a && a->value.p) {
      char num[8] = {0};
      size_t n = 0;
      while (n < a->value.len && n < sizeof num - 1 && a->value.p[n] >= '0' && a->value.p[n] <= '9') {
        num[n] = a->value.p[n];
        n++;
      }
      unsigned long p = n ? strtoul(num, NULL, 10) : 0;
      if (p > 0 && p <= 65535) o->remote_rtcp_port = (unsigned)p;
    }
    if (peer_mux) *peer_mux = sipspec_sdp_media_attr_named(m, "rtcp-mux") != NULL;
    rc = SIPSPEC_OK;
    break;
  }
  sipspec_sdp_free(sdp);
  return rc;
}
