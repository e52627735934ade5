/* mrcp_server.c: answering an MRCPv2 offer the way a server does (RFC 6787 section 4.2,
 * RFC 3264 section 6). Used by `sipspec serve`; also the peer of the client tests.
 *
 * Each m=application TCP/MRCPv2 line with a served resource gets the server's MRCP port,
 * a=setup:passive, the offered a=connection, a=channel:<session_id>@<resource> and the
 * offered a=cmid. The m=audio line gets the first codec of the server's preference list
 * that the offer carries (plus telephone-event when both sides list it), the offer's
 * payload type numbers, the complementary direction, and a=rtcp-mux when offered and
 * rtcp_mux is set (RFC 5761). Anything not served is answered
 * with port 0. When nothing can be served, the answer is a refusal with a reason.
 */
#include "sipspec/mrcp_sdp.h"
#include "sipspec/error.h"
#include "sdp/mrcp_internal.h"

#include <stdio.h>
#include <string.h>

void sipspec_mrcp_server_config_init(sipspec_mrcp_server_config *c) {
  memset(c, 0, sizeof *c);
  c->session_id = "1";
  c->sess_id = 1;
  c->sess_version = 1;
  c->supported = 0x7eu; /* every resource of RFC 6787 section 3.1 */
  c->prefs[0] = SIPSPEC_MRCP_PCMU;
  c->prefs[1] = SIPSPEC_MRCP_PCMA;
  c->prefs[2] = SIPSPEC_MRCP_L16_8000;
  c->prefs[3] = SIPSPEC_MRCP_L16_16000;
  c->prefs[4] = SIPSPEC_MRCP_TELEPHONE_EVENT;
  c->nprefs = 5;
  c->allow_tls = 1;
}

/* The offered payload type carrying codec c in m, or -1. */
static int offered_pt(const sipspec_sdp_media *m, sipspec_mrcp_codec c) {
  for (size_t k = 0; k < m->nfmts; k++) {
    int pt = mrcp_fmt_pt(m->fmts[k]);
    sipspec_span enc;
    unsigned rate;
    if (pt >= 0 && mrcp_pt_mapping(m, (unsigned)pt, &enc, &rate) && mrcp_codec_from(enc, rate) == c) return pt;
  }
  return -1;
}

static sipspec_sdp_dir complement(sipspec_sdp_dir d) {
  switch (d) {
  case SIPSPEC_SDP_SENDONLY: return SIPSPEC_SDP_RECVONLY;
  case SIPSPEC_SDP_RECVONLY: return SIPSPEC_SDP_SENDONLY;
  default: return d;
  }
}

static int config_check(const sipspec_mrcp_server_config *cfg, sipspec_sdp_error *err) {
  if (!cfg || !cfg->addr || !*cfg->addr || strpbrk(cfg->addr, " \t\r\n"))
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "server.addr", "server needs its address (no spaces)");
  if (cfg->mrcp_port == 0 || cfg->mrcp_port > 65535 || cfg->rtp_port == 0 || cfg->rtp_port > 65535)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "server.port", "server MRCP and RTP ports must be 1..65535");
  if (!cfg->session_id || !*cfg->session_id || strlen(cfg->session_id) > 32)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "server.session_id", "session id must be 1..32 characters");
  for (const char *p = cfg->session_id; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
      return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "server.session_id", "session id must be alphanumeric");
  if (cfg->nprefs > SIPSPEC_MRCP_MAX_CODECS)
    return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "server.prefs", "too many codec preferences");
  return SIPSPEC_OK;
}

int sipspec_mrcp_server_answer(const sipspec_mrcp_server_config *cfg, const char *offer, size_t offer_len,
                               char *buf, size_t cap, size_t *len, sipspec_sdp_error *err) {
  int rc = config_check(cfg, err);
  if (rc) return rc;
  if (!offer || !len) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL argument");
  sipspec_sdp *O = NULL;
  sdp_scratch scratch; /* the offer's model on the stack when it fits */
  rc = sdp_parse_scratch(offer, offer_len, NULL, &scratch, sizeof scratch, &O, err);
  if (rc) return rc;
  if (O->nmedia > SIPSPEC_MRCP_MAX_CHANNELS * 2 + 1) {
    rc = sdp_fail(err, SIPSPEC_E_SDP_REFUSED, O->media[0].line, 1, "limits",
                  "offer has %zu m-lines, this server answers at most %d", O->nmedia,
                  SIPSPEC_MRCP_MAX_CHANNELS * 2 + 1);
    sdp_scratch_free(O, &scratch);
    return rc;
  }
  mrcp_pool pool;
  mrcp_pool_init(&pool);
  sipspec_sdp_media media[SIPSPEC_MRCP_MAX_CHANNELS * 2 + 1];
  sipspec_sdp_attr attrs[(SIPSPEC_MRCP_MAX_CHANNELS * 2 + 1) * 6];
  sipspec_span fmts[2];
  sipspec_sdp_time t = {0, 0, NULL, 0};
  const char *at = mrcp_addrtype(cfg->addr);
  sipspec_sdp_conn conn = {sdp_cstr("IN"), sdp_cstr(at), sdp_cstr(cfg->addr), SIPSPEC_SDP_ADDR_NONE, 0, 0};
  sipspec_sdp A;
  memset(&A, 0, sizeof A);
  /* only what is used is cleared: the arrays are sized for the largest offer (14 KB) */
  memset(media, 0, O->nmedia * sizeof media[0]);
  A.origin.username = sdp_cstr("-");
  A.origin.sess_id = mrcp_pool_num(&pool, (unsigned long long)cfg->sess_id);
  A.origin.sess_version = mrcp_pool_num(&pool, (unsigned long long)cfg->sess_version);
  A.origin.nettype = sdp_cstr("IN");
  A.origin.addrtype = sdp_cstr(at);
  A.origin.address = sdp_cstr(cfg->addr);
  A.session_name = sdp_cstr("-");
  A.conn = &conn;
  A.times = &t;
  A.ntimes = 1;
  A.media = media;
  A.nmedia = O->nmedia;

  size_t na = 0, served = 0, offered_mrcp = 0;
  int audio_done = 0;
  char why[120] = "the offer has no MRCPv2 control stream";
#define ATTR(n_, v_) do { attrs[na] = (sipspec_sdp_attr){.name = sdp_cstr(n_), .value = (v_)}; na++; } while (0)
  for (size_t i = 0; i < O->nmedia; i++) {
    const sipspec_sdp_media *om = &O->media[i];
    sipspec_sdp_media *m = &media[i];
    m->media = om->media;
    m->proto = om->proto;
    m->fmts = om->fmts;
    m->nfmts = om->nfmts;
    m->attrs = &attrs[na];
    size_t first = na;
    int mrcp = sipspec_sdp_str_eq(om->media, "application") &&
               (sipspec_sdp_str_eq(om->proto, "TCP/MRCPv2") ||
                (sipspec_sdp_str_eq(om->proto, "TCP/TLS/MRCPv2") && cfg->allow_tls));
    if (mrcp && om->port != 0) {
      offered_mrcp++;
      const sipspec_sdp_attr *res = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_RESOURCE);
      const sipspec_sdp_attr *su = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_SETUP);
      const sipspec_sdp_attr *cn = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_CONNECTION);
      const sipspec_sdp_attr *cm = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_CMID);
      sipspec_mrcp_resource r = res ? sipspec_mrcp_resource_from_name(res->u.resource.p, res->u.resource.len)
                                    : SIPSPEC_MRCP_RES_NONE;
      if (r == SIPSPEC_MRCP_RES_NONE || !(cfg->supported & (1u << r))) {
        snprintf(why, sizeof why, "resource %.*s at line %u is not served",
                 res ? (int)(res->u.resource.len > 40 ? 40 : res->u.resource.len) : 6,
                 res ? res->u.resource.p : "(none)", om->line);
      } else if (su && su->u.setup == SIPSPEC_SDP_SETUP_PASSIVE) {
        snprintf(why, sizeof why, "line %u: a=setup:passive, but this server only listens", su->line);
      } else {
        m->port = cfg->mrcp_port;
        ATTR("setup", sdp_cstr("passive"));
        ATTR("connection", sdp_cstr(cn && cn->u.connection == SIPSPEC_SDP_CONN_EXISTING ? "existing" : "new"));
        size_t k0 = mrcp_pool_mark(&pool); /* "<session id>@<resource>" */
        mrcp_pool_str(&pool, cfg->session_id);
        mrcp_pool_str(&pool, "@");
        mrcp_pool_str(&pool, sipspec_mrcp_resource_name(r));
        ATTR("channel", mrcp_pool_done(&pool, k0));
        ATTR("cmid", mrcp_pool_num(&pool, cm ? cm->u.cmid : 1));
        served++;
      }
    } else if (sipspec_sdp_str_eq(om->media, "audio") && sipspec_sdp_str_eq(om->proto, "RTP/AVP") &&
               om->port != 0 && !audio_done) {
      audio_done = 1;
      int chosen = -1, te = -1;
      sipspec_mrcp_codec cc = SIPSPEC_MRCP_CODEC_NONE;
      for (size_t k = 0; k < cfg->nprefs && chosen < 0; k++)
        if (cfg->prefs[k] != SIPSPEC_MRCP_TELEPHONE_EVENT && (chosen = offered_pt(om, cfg->prefs[k])) >= 0)
          cc = cfg->prefs[k];
      for (size_t k = 0; k < cfg->nprefs; k++)
        if (cfg->prefs[k] == SIPSPEC_MRCP_TELEPHONE_EVENT) te = offered_pt(om, SIPSPEC_MRCP_TELEPHONE_EVENT);
      if (chosen < 0) {
        rc = sdp_fail(err, SIPSPEC_E_SDP_NO_CODEC, om->line, 1, "RFC 3264 section 6.1",
                      "line %u: no offered codec is served (server prefers %s)", om->line,
                      cfg->nprefs ? sipspec_mrcp_codec_encoding(cfg->prefs[0]) : "nothing");
        goto out;
      }
      m->port = cfg->rtp_port;
      fmts[0] = mrcp_pool_num(&pool, (unsigned)chosen);
      m->fmts = fmts;
      m->nfmts = 1;
      size_t k0 = mrcp_pool_mark(&pool); /* "<pt> <encoding>/<rate>" */
      mrcp_pool_u64(&pool, (unsigned)chosen);
      mrcp_pool_str(&pool, " ");
      mrcp_pool_str(&pool, sipspec_mrcp_codec_encoding(cc));
      mrcp_pool_str(&pool, "/");
      mrcp_pool_u64(&pool, sipspec_mrcp_codec_rate(cc));
      ATTR("rtpmap", mrcp_pool_done(&pool, k0));
      if (te >= 0) {
        fmts[1] = mrcp_pool_num(&pool, (unsigned)te);
        m->nfmts = 2;
        k0 = mrcp_pool_mark(&pool);
        mrcp_pool_u64(&pool, (unsigned)te);
        mrcp_pool_str(&pool, " telephone-event/8000");
        ATTR("rtpmap", mrcp_pool_done(&pool, k0));
        k0 = mrcp_pool_mark(&pool);
        mrcp_pool_u64(&pool, (unsigned)te);
        mrcp_pool_str(&pool, " 0-15");
        ATTR("fmtp", mrcp_pool_done(&pool, k0));
      }
      const sipspec_sdp_attr *pt = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_PTIME);
      if (pt) ATTR("ptime", mrcp_pool_num(&pool, pt->u.ptime_ms));
      /* RFC 5761 §5.1.1: the answer carries a=rtcp-mux only when the offer did and the
       * answerer multiplexes too */
      if (cfg->rtcp_mux && sipspec_sdp_media_attr_named(om, "rtcp-mux"))
        ATTR("rtcp-mux", ((sipspec_span){NULL, 0}));
      ATTR(sipspec_sdp_dir_name(complement(sipspec_sdp_media_dir(O, om))), ((sipspec_span){NULL, 0}));
      const sipspec_sdp_attr *mid = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_MID);
      if (mid) ATTR("mid", mid->u.mid);
    }
    m->nattrs = na - first;
  }
#undef ATTR
  if (served == 0) {
    rc = sdp_fail(err, SIPSPEC_E_SDP_REFUSED, O->nmedia ? O->media[0].line : 0, 1, "RFC 6787 section 4.2",
                  "%s", offered_mrcp ? why : "the offer has no MRCPv2 control stream this server accepts");
    goto out;
  }
  rc = sipspec_sdp_write(&A, buf, cap, len);
  if (rc == SIPSPEC_E_SDP_NOSPACE)
    sdp_fail(err, rc, 0, 0, "answer", "answer needs %zu bytes, buffer has %zu", *len + 1, cap);
  else if (rc)
    sdp_fail(err, rc, 0, 0, "answer", "answer could not be written");
out:
  sdp_scratch_free(O, &scratch);
  return rc;
}
