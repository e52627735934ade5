/* rtp_sdp.c: the remote side of an RTP endpoint read from an SDP text (sipspec/rtp.h):
 * the first m=audio's address and port, RFC 3605 a=rtcp and RFC 5761 a=rtcp-mux. */
#include "sipspec/error.h"
#include "sipspec/rtp.h"
#include "sipspec/sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* The first m=audio with a port: the payload types of RFC 3551 (PCMU 0, PCMA 8, or a dynamic
 * number mapped to them), telephone-event/8000 (RFC 4733 §7.1.1), ptime, rtcp-mux. */
int sipspec_rtp_sdp_audio_read(const char *text, size_t len, sipspec_rtp_sdp_audio *out) {
  if (!text || !out) return SIPSPEC_E_INVAL;
  memset(out, 0, sizeof *out);
  out->pt = out->dtmf_pt = -1;
  sipspec_sdp *sdp = NULL;
  if (sipspec_sdp_parse(text, len, NULL, &sdp, NULL) != SIPSPEC_OK) return SIPSPEC_E_INVAL;
  int rc = SIPSPEC_E_INVAL;
  for (size_t i = 0; i < sdp->nmedia; i++) {
    const sipspec_sdp_media *m = &sdp->media[i];
    if (!sipspec_sdp_str_eq(m->media, "audio") || m->port == 0) continue;
    out->port = m->port;
    for (size_t k = 0; k < m->nfmts; k++) {
      char num[4] = {0};
      if (m->fmts[k].len == 0 || m->fmts[k].len > 3) continue;
      memcpy(num, m->fmts[k].p, m->fmts[k].len);
      char *end = NULL;
      unsigned long pt = strtoul(num, &end, 10);
      if (*end || pt > 127) continue;
      const sipspec_sdp_attr *a = sipspec_sdp_media_rtpmap(m, (unsigned)pt);
      int pcm = pt == 0 || pt == 8;
      if (a) {
        const sipspec_span *e = &a->u.rtpmap.encoding;
        if (e->len == 15 && !strncasecmp(e->p, "telephone-event", 15) && a->u.rtpmap.rate == 8000) {
          if (out->dtmf_pt < 0) out->dtmf_pt = (int)pt;
          continue;
        }
        pcm = e->len == 4 && (!strncasecmp(e->p, "PCMU", 4) || !strncasecmp(e->p, "PCMA", 4)) &&
              a->u.rtpmap.rate == 8000;
      }
      if (pcm && out->pt < 0) out->pt = (int)pt;
    }
    const sipspec_sdp_attr *pa = sipspec_sdp_media_attr(m, SIPSPEC_SDP_ATTR_PTIME);
    if (pa) out->ptime_ms = pa->u.ptime_ms;
    out->rtcp_mux = sipspec_sdp_media_attr_named(m, "rtcp-mux") != NULL;
    rc = SIPSPEC_OK;
    break;
  }
  sipspec_sdp_free(sdp);
  return rc;
}
