/* test_mrcp_model.c: what an MRCP client session keeps instead of SDP texts (issue 16).
 *
 * - The offer's model (mrcp_offer_model(), attributes typed): the answer is read against it
 *   instead of the written text parsed again, so it must read exactly as the parse of that
 *   text: every m-line, format and attribute with its kind and typed value, the origin, the
 *   direction; and an answer read against either gives the same result or the same error.
 * - The packed answer (mrcp_answer_pack()): unpacked, it is the answer as read, field for
 *   field; bytes cut short or too many are refused.
 */
#include "sdp/mrcp_internal.h"
#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/sdp.h"

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>

static int span_eq(sipspec_span a, sipspec_span b) {
  return a.len == b.len && (!a.len || !memcmp(a.p, b.p, a.len)) && (!a.p) == (!b.p);
}

/* The model against the parse of the text, on what a reader uses. */
static void compare(const sipspec_sdp *m, const sipspec_sdp *p) {
  CU_ASSERT(span_eq(m->origin.username, p->origin.username));
  CU_ASSERT(span_eq(m->origin.sess_id, p->origin.sess_id));
  CU_ASSERT(span_eq(m->origin.sess_version, p->origin.sess_version));
  CU_ASSERT(span_eq(m->origin.address, p->origin.address));
  CU_ASSERT(m->conn && p->conn && span_eq(m->conn->address, p->conn->address));
  CU_ASSERT_EQUAL_FATAL(m->nmedia, p->nmedia);
  CU_ASSERT_EQUAL(m->nattrs, p->nattrs);
  for (size_t i = 0; i < m->nmedia; i++) {
    const sipspec_sdp_media *a = &m->media[i], *b = &p->media[i];
    CU_ASSERT(span_eq(a->media, b->media));
    CU_ASSERT(span_eq(a->proto, b->proto));
    CU_ASSERT_EQUAL(a->port, b->port);
    CU_ASSERT_EQUAL(sipspec_sdp_media_dir(m, a), sipspec_sdp_media_dir(p, b));
    CU_ASSERT_EQUAL_FATAL(a->nfmts, b->nfmts);
    for (size_t k = 0; k < a->nfmts; k++) CU_ASSERT(span_eq(a->fmts[k], b->fmts[k]));
    CU_ASSERT_EQUAL_FATAL(a->nattrs, b->nattrs);
    for (size_t k = 0; k < a->nattrs; k++) {
      const sipspec_sdp_attr *x = &a->attrs[k], *y = &b->attrs[k];
      CU_ASSERT(span_eq(x->name, y->name));
      CU_ASSERT(span_eq(x->value, y->value));
      CU_ASSERT_EQUAL_FATAL(x->kind, y->kind);
      switch (x->kind) {
      case SIPSPEC_SDP_ATTR_RTPMAP:
        CU_ASSERT_EQUAL(x->u.rtpmap.pt, y->u.rtpmap.pt);
        CU_ASSERT(span_eq(x->u.rtpmap.encoding, y->u.rtpmap.encoding));
        CU_ASSERT_EQUAL(x->u.rtpmap.rate, y->u.rtpmap.rate);
        CU_ASSERT(span_eq(x->u.rtpmap.params, y->u.rtpmap.params));
        break;
      case SIPSPEC_SDP_ATTR_FMTP:
        CU_ASSERT(span_eq(x->u.fmtp.fmt, y->u.fmtp.fmt));
        CU_ASSERT(span_eq(x->u.fmtp.params, y->u.fmtp.params));
        break;
      case SIPSPEC_SDP_ATTR_PTIME: CU_ASSERT_EQUAL(x->u.ptime_ms, y->u.ptime_ms); break;
      case SIPSPEC_SDP_ATTR_SETUP: CU_ASSERT_EQUAL(x->u.setup, y->u.setup); break;
      case SIPSPEC_SDP_ATTR_CONNECTION: CU_ASSERT_EQUAL(x->u.connection, y->u.connection); break;
      case SIPSPEC_SDP_ATTR_RESOURCE: CU_ASSERT(span_eq(x->u.resource, y->u.resource)); break;
      case SIPSPEC_SDP_ATTR_CMID: CU_ASSERT_EQUAL(x->u.cmid, y->u.cmid); break;
      case SIPSPEC_SDP_ATTR_MID: CU_ASSERT(span_eq(x->u.mid, y->u.mid)); break;
      default: break;
      }
    }
  }
}

/* Answers to read against an offer: the server's answers to it (several configurations),
 * and broken ones. Returns how many were written into a[] (each malloc'd). */
static size_t answers_for(const char *offer, size_t olen, char **a, size_t *alen, size_t max) {
  size_t n = 0;
  for (int v = 0; v < 4 && n < max; v++) {
    sipspec_mrcp_server_config c;
    sipspec_mrcp_server_config_init(&c);
    c.addr = v == 3 ? "2001:db8::5" : "192.0.2.11";
    c.mrcp_port = 1544;
    c.rtp_port = 5004 + (unsigned)v;
    c.session_id = "32AECB234338";
    if (v == 1) c.supported = 1u << SIPSPEC_MRCP_SPEECHSYNTH; /* others rejected */
    if (v == 2) {
      c.prefs[0] = SIPSPEC_MRCP_L16_16000;
      c.prefs[1] = SIPSPEC_MRCP_TELEPHONE_EVENT;
      c.nprefs = 2;
    }
    char buf[4096];
    size_t len = 0;
    if (sipspec_mrcp_server_answer(&c, offer, olen, buf, sizeof buf, &len, NULL) != SIPSPEC_OK) continue;
    a[n] = malloc(len + 1);
    memcpy(a[n], buf, len + 1);
    alen[n++] = len;
    /* broken: the last m-line cut off, then the first a=channel taken out */
    if (n < max) {
      const char *last = NULL;
      for (const char *p = strstr(buf, "\nm="); p; p = strstr(p + 1, "\nm=")) last = p;
      a[n] = malloc(len + 1);
      memcpy(a[n], buf, len + 1);
      alen[n] = last ? (size_t)(last - buf) + 1 : len;
      a[n][alen[n]] = '\0';
      n++;
    }
    const char *ch = strstr(buf, "a=channel:");
    if (ch && n < max) {
      const char *end = strstr(ch, "\r\n") + 2;
      a[n] = malloc(len + 1);
      size_t head = (size_t)(ch - buf);
      memcpy(a[n], buf, head);
      memcpy(a[n] + head, end, len - (size_t)(end - buf) + 1);
      alen[n] = len - (size_t)(end - ch);
      n++;
    }
  }
  return n;
}

typedef struct layout_case {
  sipspec_mrcp_resource res[3];
  size_t nres;
  int tls, existing, ptime, rtcp_mux, l16, removed; /* removed: the first control line at port 0 */
} layout_case;

static const layout_case cases[] = {
  {{SIPSPEC_MRCP_SPEECHSYNTH}, 1, 0, 0, 20, 0, 0, 0},
  {{SIPSPEC_MRCP_SPEECHRECOG}, 1, 0, 1, 0, 1, 1, 0},
  {{SIPSPEC_MRCP_SPEECHSYNTH, SIPSPEC_MRCP_SPEECHRECOG}, 2, 1, 0, 30, 0, 1, 0},
  {{SIPSPEC_MRCP_RECORDER, SIPSPEC_MRCP_DTMFRECOG, SIPSPEC_MRCP_BASICSYNTH}, 3, 0, 1, 20, 1, 0, 1},
};

static void test_model_reads_as_text(void) {
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++) {
    const layout_case *lc = &cases[ci];
    sipspec_mrcp_offer_desc d;
    sipspec_mrcp_offer_desc_init(&d);
    d.addr = ci == 2 ? "2001:db8::12" : "192.0.2.12";
    d.username = "client";
    d.sess_id = 77;
    d.rtp_port = 49170;
    d.tls = lc->tls;
    d.ptime = (unsigned)lc->ptime;
    d.rtcp_mux = lc->rtcp_mux;
    for (size_t i = 0; i < lc->nres; i++) d.resources[i] = lc->res[i];
    d.nresources = lc->nres;
    if (lc->l16) {
      d.codecs[0] = SIPSPEC_MRCP_L16_16000;
      d.codecs[1] = SIPSPEC_MRCP_PCMU;
      d.codecs[2] = SIPSPEC_MRCP_L16_8000;
      d.codecs[3] = SIPSPEC_MRCP_TELEPHONE_EVENT;
      d.ncodecs = 4;
    }
    mrcp_slot slots[SIPSPEC_MRCP_MAX_CHANNELS + 1];
    memset(slots, 0, sizeof slots);
    for (size_t i = 0; i < lc->nres; i++) {
      slots[i].resource = lc->res[i];
      slots[i].active = !(lc->removed && i == 0);
    }
    slots[lc->nres].audio = 1;
    slots[lc->nres].active = 1;
    size_t nslots = lc->nres + 1;

    static mrcp_offer_room room;
    sipspec_sdp_error err;
    CU_ASSERT_EQUAL_FATAL(mrcp_offer_model(&d, slots, nslots, 5, lc->existing, &room, &err), SIPSPEC_OK);
    char text[4096];
    size_t tlen = 0;
    CU_ASSERT_EQUAL_FATAL(mrcp_offer_write(&d, slots, nslots, 5, lc->existing, text, sizeof text, &tlen, &err),
                          SIPSPEC_OK);
    sipspec_sdp *parsed = NULL;
    CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(text, tlen, NULL, &parsed, &err), SIPSPEC_OK);
    compare(&room.sdp, parsed);
    sipspec_sdp_free(parsed);

    /* answers read against the model and against the text: the same outcome */
    char *ans[16];
    size_t alen[16];
    size_t n = answers_for(text, tlen, ans, alen, 16);
    CU_ASSERT(n >= 2);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
      sipspec_mrcp_answer *x = calloc(1, sizeof *x), *y = calloc(1, sizeof *y);
      sipspec_sdp_error ex, ey;
      memset(&ex, 0, sizeof ex);
      memset(&ey, 0, sizeof ey);
      int rx = mrcp_answer_parse_model(&room.sdp, ans[i], alen[i], x, &ex);
      int ry = sipspec_mrcp_answer_parse(text, tlen, ans[i], alen[i], y, &ey);
      CU_ASSERT_EQUAL(rx, ry);
      CU_ASSERT_EQUAL(ex.line, ey.line);
      if (!rx && !ry) {
        ok++;
        CU_ASSERT(!memcmp(x, y, sizeof *x));
        /* packed and unpacked: the same answer; cut short or too long: refused */
        size_t plen = 0;
        unsigned char *p = mrcp_answer_pack(x, &plen);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT(plen < 400); /* the point: a few hundred bytes at most, not 5 KB */
        sipspec_mrcp_answer *z = malloc(sizeof *z);
        memset(z, 0x5a, sizeof *z);
        CU_ASSERT_EQUAL(mrcp_answer_unpack(p, plen, z), SIPSPEC_OK);
        CU_ASSERT(!memcmp(x, z, sizeof *x));
        CU_ASSERT_EQUAL(mrcp_answer_unpack(p, plen - 1, z), SIPSPEC_E_INVAL);
        unsigned char *q = malloc(plen + 1);
        memcpy(q, p, plen);
        q[plen] = 0;
        CU_ASSERT_EQUAL(mrcp_answer_unpack(q, plen + 1, z), SIPSPEC_E_INVAL);
        free(q);
        free(z);
        free(p);
      }
      free(x);
      free(y);
      free(ans[i]);
    }
    CU_ASSERT(ok >= 1);
  }
}

/* A session's state and its offers stay what they were with the texts kept: the state read
 * after an answer is that answer read against the offer sent, the offer written again for a
 * refresh is the text sent. */
static void test_session_state(void) {
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "192.0.2.12";
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  d.rtp_port = 4000;
  sipspec_mrcp_session_t *s = sipspec_mrcp_session_create(&d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  char offer[4096], local[4096], answer[4096];
  size_t olen = 0, llen = 0, alen = 0;
  CU_ASSERT_EQUAL(mrcp_session_local_sdp(s, local, sizeof local, &llen), SIPSPEC_E_STATE);
  CU_ASSERT_FALSE(mrcp_session_has_local(s));
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(s, offer, sizeof offer, &olen, NULL), SIPSPEC_OK);
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "192.0.2.11";
  c.mrcp_port = 1544;
  c.rtp_port = 5004;
  c.session_id = "AB12";
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(&c, offer, olen, answer, sizeof answer, &alen, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(s, answer, alen, NULL), SIPSPEC_OK);
  mrcp_session_drop_state(s); /* read again from what is kept */
  const sipspec_mrcp_answer *st = sipspec_mrcp_session_state(s);
  CU_ASSERT_PTR_NOT_NULL_FATAL(st);
  sipspec_mrcp_answer *want = calloc(1, sizeof *want);
  CU_ASSERT_EQUAL(sipspec_mrcp_answer_parse(offer, olen, answer, alen, want, NULL), SIPSPEC_OK);
  CU_ASSERT(!memcmp(st, want, sizeof *want));
  CU_ASSERT_STRING_EQUAL(st->channels[0].channel_id, "AB12@speechsynth");
  CU_ASSERT_TRUE(mrcp_session_has_local(s));
  CU_ASSERT_EQUAL(mrcp_session_local_sdp(s, local, sizeof local, &llen), SIPSPEC_OK);
  CU_ASSERT_EQUAL(llen, olen);
  CU_ASSERT(!memcmp(local, offer, olen));
  /* the same answer applied again is read against the offer it answered */
  CU_ASSERT_EQUAL(sipspec_mrcp_session_apply_answer(s, answer, alen, NULL), SIPSPEC_OK);
  /* a re-offer made the negotiated one (a refresh's answer): written again as it was */
  char re[4096];
  size_t rlen = 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(s, re, sizeof re, &rlen, NULL), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(re, "a=connection:existing"));
  CU_ASSERT_EQUAL(mrcp_session_local_sdp(s, local, sizeof local, &llen), SIPSPEC_OK);
  CU_ASSERT(llen == olen && !memcmp(local, offer, olen)); /* not yet */
  mrcp_session_pending_is_local(s);
  CU_ASSERT_EQUAL(mrcp_session_local_sdp(s, local, sizeof local, &llen), SIPSPEC_OK);
  CU_ASSERT(llen == rlen && !memcmp(local, re, rlen));
  free(want);
  sipspec_mrcp_session_destroy(s);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 1;
  CU_pSuite s = CU_add_suite("mrcp_model", NULL, NULL);
  CU_add_test(s, "the offer's model reads as its text; answers read the same", test_model_reads_as_text);
  CU_add_test(s, "a session's state and negotiated offer without texts", test_session_state);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
