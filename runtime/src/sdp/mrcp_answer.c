/* mrcp_answer.c: reading an MRCPv2 answer against its offer (client side, RFC 3264
 * section 5 and 6, RFC 6787 section 4.2) and answering an offer (server side).
 */
#include "sipspec/mrcp_sdp.h"
#include "sipspec/error.h"
#include "sdp/mrcp_internal.h"

#include <string.h>

static int is_mrcp(const sipspec_sdp_media *m) {
  return sipspec_sdp_str_eq(m->media, "application") &&
         (sipspec_sdp_str_eq(m->proto, "TCP/MRCPv2") || sipspec_sdp_str_eq(m->proto, "TCP/TLS/MRCPv2"));
}

static int is_rtp_audio(const sipspec_sdp_media *m) {
  return sipspec_sdp_str_eq(m->media, "audio") && sipspec_sdp_str_eq(m->proto, "RTP/AVP");
}

/* RFC 3264 section 6.1: what each offered direction may be answered with. */
static int dir_answers(sipspec_sdp_dir offered, sipspec_sdp_dir answered) {
  switch (offered) {
  case SIPSPEC_SDP_SENDRECV: return 1;
  case SIPSPEC_SDP_SENDONLY: return answered == SIPSPEC_SDP_RECVONLY || answered == SIPSPEC_SDP_INACTIVE;
  case SIPSPEC_SDP_RECVONLY: return answered == SIPSPEC_SDP_SENDONLY || answered == SIPSPEC_SDP_INACTIVE;
  default: return answered == SIPSPEC_SDP_INACTIVE;
  }
}

static unsigned dir_line(const sipspec_sdp_media *m) {
  for (size_t i = 0; i < m->nattrs; i++) {
    sipspec_sdp_attr_kind k = m->attrs[i].kind;
    if (k == SIPSPEC_SDP_ATTR_SENDRECV || k == SIPSPEC_SDP_ATTR_SENDONLY ||
        k == SIPSPEC_SDP_ATTR_RECVONLY || k == SIPSPEC_SDP_ATTR_INACTIVE)
      return m->attrs[i].line;
  }
  return m->line;
}

static int answer_channel(const sipspec_sdp *A, const sipspec_sdp_media *om, const sipspec_sdp_media *am,
                          size_t idx, sipspec_mrcp_channel *ch, sipspec_sdp_error *err) {
  const sipspec_sdp_attr *res = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_RESOURCE);
  memset(ch, 0, sizeof *ch);
  ch->mline = (unsigned)idx;
  ch->tls = sipspec_sdp_str_eq(om->proto, "TCP/TLS/MRCPv2");
  if (res) ch->resource = sipspec_mrcp_resource_from_name(res->u.resource.p, res->u.resource.len);
  if (am->port == 0) {
    ch->rejected = 1;
    return SIPSPEC_OK;
  }
  if (om->port == 0)
    return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, am->line, 1, "RFC 3264 section 6",
                    "line %u: answer accepts m-line %zu that the offer disabled (port 0)", am->line, idx + 1);
  const sipspec_sdp_attr *chan = sipspec_sdp_media_attr(am, SIPSPEC_SDP_ATTR_CHANNEL);
  if (!chan)
    return sdp_fail(err, SIPSPEC_E_SDP_NO_CHANNEL, am->line, 1, "channel (RFC 6787 section 4.2)",
                    "line %u: accepted resource %.*s has no a=channel", am->line,
                    res ? (int)res->u.resource.len : 6, res ? res->u.resource.p : "(none)");
  if (res && !sdp_slice_ieq(chan->u.channel.resource, res->u.resource))
    return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, chan->line, 3, "channel (RFC 6787 section 4.2)",
                    "line %u: a=channel names resource %.*s, the offer asked for %.*s", chan->line,
                    (int)chan->u.channel.resource.len, chan->u.channel.resource.p,
                    (int)res->u.resource.len, res->u.resource.p);
  sdp_str_copy(ch->channel_id, sizeof ch->channel_id, chan->value);
  const sipspec_sdp_conn *c = sipspec_sdp_media_conn(A, am);
  if (c) sdp_str_copy(ch->host, sizeof ch->host, c->address);
  ch->port = am->port;
  const sipspec_sdp_attr *su = sipspec_sdp_media_attr(am, SIPSPEC_SDP_ATTR_SETUP);
  const sipspec_sdp_attr *osu = sipspec_sdp_media_attr(om, SIPSPEC_SDP_ATTR_SETUP);
  ch->setup = su ? su->u.setup : SIPSPEC_SDP_SETUP_NONE;
  /* RFC 4145 section 4.1: an active offer is answered passive, a passive one active */
  if (su && osu && ((osu->u.setup == SIPSPEC_SDP_SETUP_ACTIVE && su->u.setup != SIPSPEC_SDP_SETUP_PASSIVE) ||
                    (osu->u.setup == SIPSPEC_SDP_SETUP_PASSIVE && su->u.setup != SIPSPEC_SDP_SETUP_ACTIVE)))
    return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, su->line, 3, "setup (RFC 4145 section 4.1)",
                    "line %u: a=setup:%.*s cannot answer a=setup:%.*s", su->line, (int)su->value.len,
                    su->value.p, (int)osu->value.len, osu->value.p);
  const sipspec_sdp_attr *cn = sipspec_sdp_media_attr(am, SIPSPEC_SDP_ATTR_CONNECTION);
  ch->connection = cn ? cn->u.connection : SIPSPEC_SDP_CONN_NONE;
  const sipspec_sdp_attr *cm = sipspec_sdp_media_attr(am, SIPSPEC_SDP_ATTR_CMID);
  ch->cmid = cm ? cm->u.cmid : 0;
  return SIPSPEC_OK;
}

static int answer_audio(const sipspec_sdp *O, const sipspec_sdp *A, const sipspec_sdp_media *om,
                        const sipspec_sdp_media *am, size_t idx, sipspec_mrcp_audio *au,
                        sipspec_sdp_error *err) {
  memset(au, 0, sizeof *au);
  au->present = 1;
  au->mline = (unsigned)idx;
  au->telephone_event_pt = -1;
  au->offered = sipspec_sdp_media_dir(O, om);
  au->port = am->port;
  const sipspec_sdp_attr *mid = sipspec_sdp_media_attr(am, SIPSPEC_SDP_ATTR_MID);
  if (mid) sdp_str_copy(au->mid, sizeof au->mid, mid->u.mid);
  if (am->port == 0) {
    au->rejected = 1;
    au->answered = SIPSPEC_SDP_INACTIVE;
    return SIPSPEC_OK;
  }
  const sipspec_sdp_conn *c = sipspec_sdp_media_conn(A, am);
  if (c) sdp_str_copy(au->host, sizeof au->host, c->address);
  au->answered = sipspec_sdp_media_dir(A, am);
  if (!dir_answers(au->offered, au->answered)) {
    unsigned ln = dir_line(am);
    return sdp_fail(err, SIPSPEC_E_SDP_DIRECTION, ln, 1, "RFC 3264 section 6.1",
                    "line %u: %s cannot answer an offered %s stream", ln, sipspec_sdp_dir_name(au->answered),
                    sipspec_sdp_dir_name(au->offered));
  }
  for (size_t i = 0; i < am->nfmts; i++) {
    int pt = mrcp_fmt_pt(am->fmts[i]);
    if (pt < 0)
      return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, am->line, 1, "RTP/AVP fmt",
                      "line %u: format \"%.*s\" is not an RTP payload type", am->line,
                      (int)am->fmts[i].len, am->fmts[i].p);
    sipspec_span enc = {NULL, 0};
    unsigned rate = 0;
    int found = 0;
    const sipspec_sdp_attr *rm = sipspec_sdp_media_rtpmap(am, (unsigned)pt);
    if (rm) {
      /* dynamic types are matched by encoding name and rate, whatever number each side uses */
      enc = rm->u.rtpmap.encoding;
      rate = rm->u.rtpmap.rate;
      for (size_t k = 0; k < om->nfmts && !found; k++) {
        int opt = mrcp_fmt_pt(om->fmts[k]);
        sipspec_span oenc;
        unsigned orate;
        if (opt >= 0 && mrcp_pt_mapping(om, (unsigned)opt, &oenc, &orate) && orate == rate &&
            sdp_slice_ieq(oenc, enc))
          found = 1;
      }
    } else {
      for (size_t k = 0; k < om->nfmts && !found; k++)
        if (mrcp_fmt_pt(om->fmts[k]) == pt) found = mrcp_pt_mapping(om, (unsigned)pt, &enc, &rate);
    }
    if (!found) {
      unsigned ln = rm ? rm->line : am->line;
      return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, ln, 1, "RFC 3264 section 6.1",
                      "line %u: payload type %d%s%.*s was not offered", ln, pt, enc.p ? " " : "",
                      enc.p ? (int)enc.len : 0, enc.p ? enc.p : "");
    }
    sipspec_mrcp_codec codec = mrcp_codec_from(enc, rate);
    if (codec == SIPSPEC_MRCP_TELEPHONE_EVENT) au->telephone_event_pt = pt;
    if (au->ncodecs < SIPSPEC_MRCP_MAX_CODECS) {
      sipspec_mrcp_codec_choice *cc = &au->codecs[au->ncodecs++];
      cc->pt = (unsigned)pt;
      cc->codec = codec;
      cc->rate = rate;
      sdp_str_copy(cc->encoding, sizeof cc->encoding, enc);
    }
  }
  const sipspec_sdp_attr *pt = sipspec_sdp_media_attr(am, SIPSPEC_SDP_ATTR_PTIME);
  au->ptime = pt ? pt->u.ptime_ms : 0;
  return SIPSPEC_OK;
}

static int answer_check(const sipspec_sdp *O, const sipspec_sdp *A, sipspec_mrcp_answer *out,
                        sipspec_sdp_error *err) {
  memset(out, 0, sizeof *out);
  out->audio.telephone_event_pt = -1;
  if (A->nmedia != O->nmedia) {
    unsigned ln = A->nmedia > O->nmedia ? A->media[O->nmedia].line
                                        : (A->nmedia ? A->media[A->nmedia - 1].line : 1);
    return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, ln, 1, "RFC 3264 section 6",
                    "line %u: answer has %zu m-lines, the offer has %zu", ln, A->nmedia, O->nmedia);
  }
  for (size_t i = 0; i < O->nmedia; i++) {
    const sipspec_sdp_media *om = &O->media[i], *am = &A->media[i];
    if (!sdp_slice_eq(am->media, om->media) || !sdp_slice_eq(am->proto, om->proto))
      return sdp_fail(err, SIPSPEC_E_SDP_MISMATCH, am->line, 3, "RFC 3264 section 6",
                      "line %u: m-line %zu is %.*s %.*s, the offer has %.*s %.*s", am->line, i + 1,
                      (int)am->media.len, am->media.p, (int)am->proto.len, am->proto.p,
                      (int)om->media.len, om->media.p, (int)om->proto.len, om->proto.p);
    int rc = SIPSPEC_OK;
    if (is_mrcp(om)) {
      if (out->nchannels >= SIPSPEC_MRCP_MAX_CHANNELS)
        return sdp_fail(err, SIPSPEC_E_SDP_LIMIT, om->line, 1, "limits", "more than %d MRCP channels",
                        SIPSPEC_MRCP_MAX_CHANNELS);
      sipspec_mrcp_channel *ch = &out->channels[out->nchannels++];
      rc = answer_channel(A, om, am, i, ch, err);
      if (!rc && ch->rejected) out->nrejected++;
    } else if (is_rtp_audio(om) && !out->audio.present) {
      rc = answer_audio(O, A, om, am, i, &out->audio, err);
      if (!rc && out->audio.rejected) out->nrejected++;
    } else if (am->port == 0) {
      out->nrejected++;
    }
    if (rc) return rc;
  }
  return SIPSPEC_OK;
}

static int parse_side(const char *txt, size_t len, const char *side, sdp_scratch *scratch, sipspec_sdp **out,
                      sipspec_sdp_error *err) {
  int rc = sdp_parse_scratch(txt, len, NULL, scratch, sizeof *scratch, out, err);
  if (rc && err) {
    char tmp[sizeof err->reason];
    memcpy(tmp, err->reason, sizeof tmp);
    sdp_fail(err, rc, err->line, err->column, err->rule, "%s: %s", side, tmp);
  }
  return rc;
}

int sipspec_mrcp_answer_parse(const char *offer, size_t offer_len, const char *answer,
                              size_t answer_len, sipspec_mrcp_answer *out, sipspec_sdp_error *err) {
  if (!offer || !answer || !out) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL argument");
  sipspec_sdp *O = NULL, *A = NULL;
  sdp_scratch so, sa; /* both models on the stack when they fit */
  int rc = parse_side(offer, offer_len, "offer", &so, &O, err);
  if (!rc) rc = parse_side(answer, answer_len, "answer", &sa, &A, err);
  if (!rc) rc = answer_check(O, A, out, err);
  if (O) sdp_scratch_free(O, &so);
  if (A) sdp_scratch_free(A, &sa);
  return rc;
}

int mrcp_answer_parse_model(const sipspec_sdp *offer, const char *answer, size_t answer_len,
                            sipspec_mrcp_answer *out, sipspec_sdp_error *err) {
  if (!offer || !answer || !out) return sdp_fail(err, SIPSPEC_E_INVAL, 0, 0, "arguments", "NULL argument");
  sipspec_sdp *A = NULL;
  sdp_scratch sa;
  int rc = parse_side(answer, answer_len, "answer", &sa, &A, err);
  if (!rc) rc = answer_check(offer, A, out, err);
  if (A) sdp_scratch_free(A, &sa);
  return rc;
}
