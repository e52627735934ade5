/* test_mrcp_sdp.c: MRCPv2 offer/answer (RFC 6787 section 4.2, RFC 3264, RFC 4145): the
 * client's offer, the answer check against the examples of RFC 6787 section 4.3 and broken
 * answers, the server's answer across a table of offered codecs and server preferences, and
 * adding and removing resources by re-offer. */
#include "sipspec/error.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/sdp.h"
#include "sdp_test_util.h"

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

static sipspec_mrcp_offer_desc desc_for(const sipspec_mrcp_resource *r, size_t n) {
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "192.0.2.12";
  d.username = "sarvi";
  d.sess_id = 2890844526u;
  d.sess_version = 2890844526u;
  d.rtp_port = 49170;
  for (size_t i = 0; i < n; i++) d.resources[i] = r[i];
  d.nresources = n;
  return d;
}

static void test_offer_exact(void) {
  sipspec_mrcp_resource r[] = {SIPSPEC_MRCP_SPEECHSYNTH};
  sipspec_mrcp_offer_desc d = desc_for(r, 1);
  char buf[2048];
  size_t len = 0;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, &err), SIPSPEC_OK);
  const char *want =
    "v=0\r\no=sarvi 2890844526 2890844526 IN IP4 192.0.2.12\r\ns=-\r\nc=IN IP4 192.0.2.12\r\nt=0 0\r\n"
    "m=application 9 TCP/MRCPv2 1\r\na=setup:active\r\na=connection:new\r\na=resource:speechsynth\r\na=cmid:1\r\n"
    "m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=recvonly\r\na=mid:1\r\n";
  CU_ASSERT_STRING_EQUAL(buf, want);
  CU_ASSERT_EQUAL(len, strlen(want));
  /* too small a buffer */
  CU_ASSERT_EQUAL(sipspec_mrcp_offer_build(&d, buf, 100, &len, &err), SIPSPEC_E_SDP_NOSPACE);
}

static void test_offer_directions(void) {
  static const struct {
    sipspec_mrcp_resource r[3];
    size_t n;
    sipspec_sdp_dir dir;
  } rows[] = {
    {{SIPSPEC_MRCP_SPEECHRECOG}, 1, SIPSPEC_SDP_SENDONLY},
    {{SIPSPEC_MRCP_DTMFRECOG}, 1, SIPSPEC_SDP_SENDONLY},
    {{SIPSPEC_MRCP_SPEAKVERIFY}, 1, SIPSPEC_SDP_SENDONLY},
    {{SIPSPEC_MRCP_RECORDER}, 1, SIPSPEC_SDP_SENDONLY},
    {{SIPSPEC_MRCP_SPEECHSYNTH}, 1, SIPSPEC_SDP_RECVONLY},
    {{SIPSPEC_MRCP_BASICSYNTH}, 1, SIPSPEC_SDP_RECVONLY},
    {{SIPSPEC_MRCP_SPEECHSYNTH, SIPSPEC_MRCP_SPEECHRECOG}, 2, SIPSPEC_SDP_SENDRECV},
    {{SIPSPEC_MRCP_RECORDER, SIPSPEC_MRCP_BASICSYNTH, SIPSPEC_MRCP_DTMFRECOG}, 3, SIPSPEC_SDP_SENDRECV},
  };
  for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
    sipspec_mrcp_offer_desc d = desc_for(rows[i].r, rows[i].n);
    d.tls = (int)(i & 1);
    d.codecs[0] = SIPSPEC_MRCP_L16_16000;
    d.codecs[1] = SIPSPEC_MRCP_L16_8000;
    d.codecs[2] = SIPSPEC_MRCP_TELEPHONE_EVENT;
    d.ncodecs = 3;
    char buf[2048];
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, NULL), SIPSPEC_OK);
    sipspec_sdp *s = NULL;
    CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(buf, len, NULL, &s, NULL), SIPSPEC_OK);
    CU_ASSERT_EQUAL_FATAL(s->nmedia, rows[i].n + 1);
    for (size_t k = 0; k < rows[i].n; k++) {
      const sipspec_sdp_media *m = &s->media[k];
      CU_ASSERT(sdp_test_str(m->proto, (i & 1) ? "TCP/TLS/MRCPv2" : "TCP/MRCPv2"));
      CU_ASSERT(sdp_test_str(sipspec_sdp_media_attr(m, SIPSPEC_SDP_ATTR_RESOURCE)->u.resource,
                             sipspec_mrcp_resource_name(rows[i].r[k])));
    }
    const sipspec_sdp_media *a = &s->media[rows[i].n];
    CU_ASSERT_EQUAL(sipspec_sdp_media_dir(s, a), rows[i].dir);
    CU_ASSERT_EQUAL(sipspec_mrcp_client_direction(rows[i].r, rows[i].n), rows[i].dir);
    CU_ASSERT(sdp_test_str(a->fmts[0], "97"));
    CU_ASSERT(sdp_test_str(sipspec_sdp_media_rtpmap(a, 97)->u.rtpmap.encoding, "L16"));
    CU_ASSERT_EQUAL(sipspec_sdp_media_rtpmap(a, 97)->u.rtpmap.rate, 16000);
    CU_ASSERT_EQUAL(sipspec_sdp_media_rtpmap(a, 96)->u.rtpmap.rate, 8000);
    CU_ASSERT(sdp_test_str(sipspec_sdp_media_attr(a, SIPSPEC_SDP_ATTR_FMTP)->u.fmtp.fmt, "101"));
    sipspec_sdp_free(s);
  }
}

static void test_offer_invalid(void) {
  sipspec_mrcp_resource r[] = {SIPSPEC_MRCP_SPEECHSYNTH};
  char buf[2048];
  size_t len;
  sipspec_sdp_error err;
  sipspec_mrcp_offer_desc d = desc_for(r, 1);
  d.addr = NULL;
  CU_ASSERT_EQUAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, &err), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(err.rule, "offer.addr");
  d = desc_for(r, 0);
  CU_ASSERT_EQUAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, &err), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(err.rule, "offer.resources");
  d = desc_for(r, 1);
  d.rtp_port = 0;
  CU_ASSERT_EQUAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, &err), SIPSPEC_E_INVAL);
  d = desc_for(r, 1);
  d.codecs[0] = SIPSPEC_MRCP_TELEPHONE_EVENT;
  d.ncodecs = 1;
  CU_ASSERT_EQUAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, &err), SIPSPEC_E_INVAL);
  d = desc_for(r, 1);
  d.pt_l16_8000 = 101;
  CU_ASSERT_EQUAL(sipspec_mrcp_offer_build(&d, buf, sizeof buf, &len, &err), SIPSPEC_E_INVAL);
}

/* ---- the client reading answers ---- */

static int answer_files(const char *offer, const char *answer, sipspec_mrcp_answer *a, sipspec_sdp_error *err) {
  size_t ol, al;
  char *o = sdp_test_load(offer, &ol), *n = sdp_test_load(answer, &al);
  CU_ASSERT_PTR_NOT_NULL_FATAL(o);
  CU_ASSERT_PTR_NOT_NULL_FATAL(n);
  int rc = sipspec_mrcp_answer_parse(o, ol, n, al, a, err);
  free(o);
  free(n);
  return rc;
}

static void test_answer_rfc6787(void) {
  sipspec_mrcp_answer a;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(answer_files("rfc6787_4_3_offer1.sdp", "rfc6787_4_3_answer1.sdp", &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(a.nchannels, 1);
  CU_ASSERT_STRING_EQUAL(a.channels[0].channel_id, "32AECB234338@speechsynth");
  CU_ASSERT_EQUAL(a.channels[0].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  CU_ASSERT_STRING_EQUAL(a.channels[0].host, "192.0.2.11");
  CU_ASSERT_EQUAL(a.channels[0].port, 32416);
  CU_ASSERT_EQUAL(a.channels[0].setup, SIPSPEC_SDP_SETUP_PASSIVE);
  CU_ASSERT_EQUAL(a.channels[0].connection, SIPSPEC_SDP_CONN_NEW);
  CU_ASSERT_EQUAL(a.channels[0].cmid, 1);
  CU_ASSERT(a.audio.present && !a.audio.rejected);
  CU_ASSERT_STRING_EQUAL(a.audio.host, "192.0.2.11");
  CU_ASSERT_EQUAL(a.audio.port, 48260);
  CU_ASSERT_EQUAL(a.audio.offered, SIPSPEC_SDP_RECVONLY);
  CU_ASSERT_EQUAL(a.audio.answered, SIPSPEC_SDP_SENDONLY);
  CU_ASSERT_EQUAL_FATAL(a.audio.ncodecs, 1);
  CU_ASSERT_EQUAL(a.audio.codecs[0].codec, SIPSPEC_MRCP_PCMU);
  CU_ASSERT_EQUAL(a.audio.codecs[0].pt, 0);
  CU_ASSERT_EQUAL(a.audio.telephone_event_pt, -1);
  CU_ASSERT_EQUAL(a.nrejected, 0);

  CU_ASSERT_EQUAL_FATAL(answer_files("rfc6787_4_3_offer2.sdp", "rfc6787_4_3_answer2.sdp", &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(a.nchannels, 2);
  CU_ASSERT_STRING_EQUAL(a.channels[1].channel_id, "32AECB234338@speechrecog");
  CU_ASSERT_EQUAL(a.channels[1].mline, 2);
  CU_ASSERT_EQUAL(a.channels[1].connection, SIPSPEC_SDP_CONN_EXISTING);
  CU_ASSERT_EQUAL(a.audio.answered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(a.audio.telephone_event_pt, 96);

  CU_ASSERT_EQUAL_FATAL(answer_files("rfc6787_4_3_offer3.sdp", "rfc6787_4_3_answer3.sdp", &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(a.nchannels, 2);
  CU_ASSERT(!a.channels[0].rejected);
  CU_ASSERT(a.channels[1].rejected);
  CU_ASSERT_EQUAL(a.channels[1].resource, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_EQUAL(a.nrejected, 1);
  /* the values the RFC's "Deallocate Recognizer" answer states (no a=setup/a=connection
   * there: the synthesizer's channel goes on over the existing connection) */
  CU_ASSERT_STRING_EQUAL(a.channels[0].channel_id, "32AECB234338@speechsynth");
  CU_ASSERT_STRING_EQUAL(a.channels[0].host, "192.0.2.11");
  CU_ASSERT_EQUAL(a.channels[0].port, 32416);
  CU_ASSERT_EQUAL(a.audio.port, 48260);
  CU_ASSERT_EQUAL(a.audio.offered, SIPSPEC_SDP_RECVONLY);
  CU_ASSERT_EQUAL(a.audio.answered, SIPSPEC_SDP_SENDONLY);

  /* RFC 4317 2.1: plain audio and video, no MRCP; the audio reading still applies */
  CU_ASSERT_EQUAL_FATAL(answer_files("rfc4317_2_1_offer.sdp", "rfc4317_2_1_answer.sdp", &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(a.nchannels, 0);
  CU_ASSERT_EQUAL(a.audio.port, 49174);
  CU_ASSERT_STRING_EQUAL(a.audio.host, "host.biloxi.example.com");
}

#define OFFER1                                                                                     \
  "v=0\r\no=sarvi 1 1 IN IP4 192.0.2.12\r\ns=-\r\nc=IN IP4 192.0.2.12\r\nt=0 0\r\n"                 \
  "m=application 9 TCP/MRCPv2 1\r\na=setup:active\r\na=connection:new\r\na=resource:speechsynth\r\n" \
  "a=cmid:1\r\nm=audio 49170 RTP/AVP 0 97 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:97 L16/16000\r\n"  \
  "a=rtpmap:101 telephone-event/8000\r\na=recvonly\r\na=mid:1\r\n"
#define AHEAD "v=0\r\no=- 2 2 IN IP4 192.0.2.11\r\ns=-\r\nc=IN IP4 192.0.2.11\r\nt=0 0\r\n"
#define AAPP "m=application 32416 TCP/MRCPv2 1\r\na=setup:passive\r\na=connection:new\r\n"
#define ACHAN "a=channel:ABC1@speechsynth\r\na=cmid:1\r\n"

static const struct bad_answer {
  const char *name;
  const char *answer;
  int code;
  unsigned line;
} bad_answers[] = {
  {"extra m-line", AHEAD AAPP ACHAN "m=audio 1 RTP/AVP 0\r\na=sendonly\r\nm=audio 2 RTP/AVP 0\r\n",
   SIPSPEC_E_SDP_MISMATCH, 13},
  {"missing m-line", AHEAD AAPP ACHAN, SIPSPEC_E_SDP_MISMATCH, 6},
  {"m-lines swapped", AHEAD "m=audio 1 RTP/AVP 0\r\na=sendonly\r\n" AAPP ACHAN, SIPSPEC_E_SDP_MISMATCH, 6},
  {"unknown payload type", AHEAD AAPP ACHAN "m=audio 1 RTP/AVP 18\r\na=sendonly\r\n", SIPSPEC_E_SDP_MISMATCH, 11},
  {"dynamic type of another rate", AHEAD AAPP ACHAN "m=audio 1 RTP/AVP 98\r\na=rtpmap:98 L16/22050\r\na=sendonly\r\n",
   SIPSPEC_E_SDP_MISMATCH, 12},
  {"missing channel", AHEAD AAPP "a=cmid:1\r\nm=audio 1 RTP/AVP 0\r\na=sendonly\r\n", SIPSPEC_E_SDP_NO_CHANNEL, 6},
  {"channel of another resource", AHEAD AAPP "a=channel:ABC1@speechrecog\r\na=cmid:1\r\nm=audio 1 RTP/AVP 0\r\n",
   SIPSPEC_E_SDP_MISMATCH, 9},
  {"recvonly answers recvonly", AHEAD AAPP ACHAN "m=audio 1 RTP/AVP 0\r\na=recvonly\r\n", SIPSPEC_E_SDP_DIRECTION, 12},
  {"sendrecv answers recvonly", AHEAD AAPP ACHAN "m=audio 1 RTP/AVP 0\r\n", SIPSPEC_E_SDP_DIRECTION, 11},
  {"setup active answers active", AHEAD "m=application 32416 TCP/MRCPv2 1\r\na=setup:active\r\n" ACHAN
   "m=audio 1 RTP/AVP 0\r\na=sendonly\r\n", SIPSPEC_E_SDP_MISMATCH, 7},
  {"answer is not SDP", "hello", SIPSPEC_E_SDP_SYNTAX, 1},
};

static void test_answer_bad(void) {
  for (size_t i = 0; i < sizeof bad_answers / sizeof bad_answers[0]; i++) {
    size_t ol, al;
    char *o = sdp_test_dup(OFFER1, &ol), *n = sdp_test_dup(bad_answers[i].answer, &al);
    sipspec_mrcp_answer a;
    sipspec_sdp_error err;
    int rc = sipspec_mrcp_answer_parse(o, ol, n, al, &a, &err);
    int ok = rc == bad_answers[i].code && err.line == bad_answers[i].line && err.reason[0];
    if (!ok)
      fprintf(stderr, "case \"%s\": got %s line %u (%s)\n", bad_answers[i].name, sipspec_errname(rc), err.line,
              err.reason);
    CU_ASSERT(ok);
    free(o);
    free(n);
  }
}

static void test_answer_dynamic_renumbered(void) {
  /* the answer uses 98 for the L16/16000 the offer called 97: matched by name and rate */
  size_t ol, al;
  char *o = sdp_test_dup(OFFER1, &ol);
  char *n = sdp_test_dup(AHEAD AAPP ACHAN "m=audio 1 RTP/AVP 98 100\r\na=rtpmap:98 l16/16000\r\n"
                         "a=rtpmap:100 telephone-event/8000\r\na=ptime:30\r\na=inactive\r\n", &al);
  sipspec_mrcp_answer a;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_answer_parse(o, ol, n, al, &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(a.audio.ncodecs, 2);
  CU_ASSERT_EQUAL(a.audio.codecs[0].pt, 98);
  CU_ASSERT_EQUAL(a.audio.codecs[0].codec, SIPSPEC_MRCP_L16_16000);
  CU_ASSERT_EQUAL(a.audio.telephone_event_pt, 100);
  CU_ASSERT_EQUAL(a.audio.ptime, 30);
  CU_ASSERT_EQUAL(a.audio.answered, SIPSPEC_SDP_INACTIVE);
  free(o);
  free(n);
  /* a rejected audio stream (port 0) is reported, not checked */
  n = sdp_test_dup(AHEAD AAPP ACHAN "m=audio 0 RTP/AVP 0\r\n", &al);
  o = sdp_test_dup(OFFER1, &ol);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_answer_parse(o, ol, n, al, &a, &err), SIPSPEC_OK);
  CU_ASSERT(a.audio.rejected);
  CU_ASSERT_EQUAL(a.nrejected, 1);
  free(o);
  free(n);
}

/* ---- the server ---- */

static sipspec_mrcp_server_config server(void) {
  sipspec_mrcp_server_config c;
  sipspec_mrcp_server_config_init(&c);
  c.addr = "192.0.2.11";
  c.mrcp_port = 1544;
  c.rtp_port = 5004;
  c.session_id = "32AECB234338";
  return c;
}

/* Each offered codec set against each server preference: the codec the server must pick
 * (NONE: it must refuse with SIPSPEC_E_SDP_NO_CODEC). */
static void test_negotiation_table(void) {
#define U SIPSPEC_MRCP_PCMU
#define A SIPSPEC_MRCP_PCMA
#define L8 SIPSPEC_MRCP_L16_8000
#define L16 SIPSPEC_MRCP_L16_16000
#define TE SIPSPEC_MRCP_TELEPHONE_EVENT
#define X SIPSPEC_MRCP_CODEC_NONE
  static const sipspec_mrcp_codec offers[][4] = {
    {U, X}, {A, X}, {U, A, X}, {A, U, TE, X}, {L16, X}, {L8, A, X}, {A, L16, TE, X},
  };
  static const sipspec_mrcp_codec prefs[][4] = {
    {U, A, X}, {A, U, X}, {L16, U, TE, X}, {L8, X}, {TE, A, X},
  };
  /* expected[offer][pref] */
  static const sipspec_mrcp_codec expected[7][5] = {
    /* {U}        */ {U, U, U, X, X},
    /* {A}        */ {A, A, X, X, A},
    /* {U,A}      */ {U, A, U, X, A},
    /* {A,U,TE}   */ {U, A, U, X, A},
    /* {L16}      */ {X, X, L16, X, X},
    /* {L8,A}     */ {A, A, X, L8, A},
    /* {A,L16,TE} */ {A, A, L16, X, A},
  };
  for (size_t i = 0; i < 7; i++) {
    for (size_t j = 0; j < 5; j++) {
      sipspec_mrcp_resource r[] = {SIPSPEC_MRCP_SPEECHRECOG};
      sipspec_mrcp_offer_desc d = desc_for(r, 1);
      d.ncodecs = 0;
      for (size_t k = 0; offers[i][k] != X; k++) d.codecs[d.ncodecs++] = offers[i][k];
      int offer_te = 0;
      for (size_t k = 0; k < d.ncodecs; k++) offer_te |= d.codecs[k] == TE;
      sipspec_mrcp_server_config c = server();
      c.nprefs = 0;
      int pref_te = 0;
      for (size_t k = 0; prefs[j][k] != X; k++) {
        c.prefs[c.nprefs++] = prefs[j][k];
        pref_te |= prefs[j][k] == TE;
      }
      char offer[2048], ans[2048];
      size_t ol, al;
      sipspec_sdp_error err;
      CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
      int rc = sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err);
      if (expected[i][j] == X) {
        CU_ASSERT_EQUAL(rc, SIPSPEC_E_SDP_NO_CODEC);
        CU_ASSERT_EQUAL(err.line, 11);
        continue;
      }
      CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
      sipspec_mrcp_answer a;
      rc = sipspec_mrcp_answer_parse(offer, ol, ans, al, &a, &err);
      if (rc) fprintf(stderr, "offer %zu pref %zu: %s\n", i, j, err.reason);
      CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
      CU_ASSERT_EQUAL(a.audio.codecs[0].codec, expected[i][j]);
      CU_ASSERT_EQUAL(a.audio.ncodecs, (size_t)(1 + (offer_te && pref_te)));
      CU_ASSERT_EQUAL(a.audio.telephone_event_pt, offer_te && pref_te ? 101 : -1);
      CU_ASSERT_EQUAL(a.audio.ptime, 20);
    }
  }
#undef U
#undef A
#undef L8
#undef L16
#undef TE
#undef X
}

static void test_server_answer(void) {
  sipspec_mrcp_resource r[] = {SIPSPEC_MRCP_SPEECHSYNTH, SIPSPEC_MRCP_SPEECHRECOG, SIPSPEC_MRCP_RECORDER};
  sipspec_mrcp_offer_desc d = desc_for(r, 3);
  char offer[2048], ans[2048];
  size_t ol, al;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  sipspec_mrcp_server_config c = server();
  c.supported = (1u << SIPSPEC_MRCP_SPEECHSYNTH) | (1u << SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_OK);
  sipspec_mrcp_answer a;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_answer_parse(offer, ol, ans, al, &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(a.nchannels, 3);
  CU_ASSERT_STRING_EQUAL(a.channels[0].channel_id, "32AECB234338@speechsynth");
  CU_ASSERT_STRING_EQUAL(a.channels[1].channel_id, "32AECB234338@speechrecog");
  CU_ASSERT(a.channels[2].rejected); /* recorder is not served */
  CU_ASSERT_EQUAL(a.channels[0].port, 1544);
  CU_ASSERT_STRING_EQUAL(a.channels[0].host, "192.0.2.11");
  CU_ASSERT_EQUAL(a.channels[0].setup, SIPSPEC_SDP_SETUP_PASSIVE);
  CU_ASSERT_EQUAL(a.audio.offered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(a.audio.answered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(a.audio.port, 5004);
  CU_ASSERT_STRING_EQUAL(a.audio.mid, "1");
  CU_ASSERT_EQUAL(a.nrejected, 1);

  /* direction complement: a synthesizer only (client recvonly) is answered sendonly */
  d = desc_for(r, 1);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_answer_parse(offer, ol, ans, al, &a, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(a.audio.answered, SIPSPEC_SDP_SENDONLY);

  /* nothing served: a refusal that names the resource */
  d = desc_for(r + 2, 1);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_E_SDP_REFUSED);
  CU_ASSERT_PTR_NOT_NULL(strstr(err.reason, "recorder"));

  /* TLS not allowed: refused */
  d = desc_for(r, 1);
  d.tls = 1;
  c.allow_tls = 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_E_SDP_REFUSED);
  c.allow_tls = 1;
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_OK);

  /* an offer with setup:passive cannot be served by a listening server */
  size_t pl;
  char *p = sdp_test_dup("v=0\r\no=- 1 1 IN IP4 192.0.2.12\r\ns=-\r\nc=IN IP4 192.0.2.12\r\nt=0 0\r\n"
                         "m=application 9 TCP/MRCPv2 1\r\na=setup:passive\r\na=resource:speechsynth\r\n", &pl);
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, p, pl, ans, sizeof ans, &al, &err), SIPSPEC_E_SDP_REFUSED);
  CU_ASSERT_EQUAL(err.line, 6);
  free(p);
  /* no MRCP at all; and a malformed offer keeps its parse error */
  size_t fl = 0;
  char *f = NULL;
  f = sdp_test_load("rfc4317_2_1_offer.sdp", &fl);
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, f, fl, ans, sizeof ans, &al, &err), SIPSPEC_E_SDP_REFUSED);
  free(f);
  f = sdp_test_dup("v=0\r\no=broken\r\n", &fl);
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, f, fl, ans, sizeof ans, &al, &err), SIPSPEC_E_SDP_SYNTAX);
  CU_ASSERT_EQUAL(err.line, 2);
  free(f);
  /* bad configuration */
  c.session_id = "not alnum!";
  CU_ASSERT_EQUAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_E_INVAL);
}

/* ---- re-offers ---- */

static void round_trip(sipspec_mrcp_session_t *s, const sipspec_mrcp_server_config *c, sipspec_sdp **offer_model,
                       char *offer, size_t cap) {
  char ans[4096];
  size_t ol, al;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(s, offer, cap, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_OK);
  int rc = sipspec_mrcp_session_apply_answer(s, ans, al, &err);
  if (rc) fprintf(stderr, "apply: %s\n", err.reason);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(offer, ol, NULL, offer_model, NULL), SIPSPEC_OK);
}

static void test_session_add_remove(void) {
  sipspec_mrcp_resource r[] = {SIPSPEC_MRCP_SPEECHSYNTH};
  sipspec_mrcp_offer_desc d = desc_for(r, 1);
  sipspec_mrcp_session_t *s = sipspec_mrcp_session_create(&d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_state(s));
  sipspec_mrcp_server_config c = server();
  char offer[4096];
  sipspec_sdp *m = NULL;

  round_trip(s, &c, &m, offer, sizeof offer);
  CU_ASSERT_EQUAL(m->nmedia, 2);
  CU_ASSERT(sdp_test_str(m->origin.sess_version, "2890844526"));
  sipspec_sdp_free(m);
  const sipspec_mrcp_channel *ch = sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHSYNTH);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
  CU_ASSERT_STRING_EQUAL(ch->channel_id, "32AECB234338@speechsynth");
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHRECOG));

  /* add a recognizer: a third m-line, every control line on the existing connection */
  CU_ASSERT_EQUAL(sipspec_mrcp_session_add(s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_add(s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_E_STATE);
  round_trip(s, &c, &m, offer, sizeof offer);
  CU_ASSERT_EQUAL_FATAL(m->nmedia, 3);
  CU_ASSERT(sdp_test_str(m->origin.sess_version, "2890844527"));
  CU_ASSERT(sdp_test_str(sipspec_sdp_media_attr(&m->media[2], SIPSPEC_SDP_ATTR_RESOURCE)->u.resource, "speechrecog"));
  CU_ASSERT_EQUAL(sipspec_sdp_media_attr(&m->media[2], SIPSPEC_SDP_ATTR_CONNECTION)->u.connection,
                  SIPSPEC_SDP_CONN_EXISTING);
  CU_ASSERT_EQUAL(sipspec_sdp_media_attr(&m->media[0], SIPSPEC_SDP_ATTR_CONNECTION)->u.connection,
                  SIPSPEC_SDP_CONN_EXISTING);
  CU_ASSERT_EQUAL(sipspec_sdp_media_dir(m, &m->media[1]), SIPSPEC_SDP_SENDRECV);
  sipspec_sdp_free(m);
  ch = sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
  CU_ASSERT_STRING_EQUAL(ch->channel_id, "32AECB234338@speechrecog");
  CU_ASSERT_EQUAL(ch->connection, SIPSPEC_SDP_CONN_EXISTING);

  /* remove it: the m-line stays with port 0, the audio goes back to recvonly */
  CU_ASSERT_EQUAL(sipspec_mrcp_session_remove(s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_remove(s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_E_NOTFOUND);
  round_trip(s, &c, &m, offer, sizeof offer);
  CU_ASSERT_EQUAL_FATAL(m->nmedia, 3);
  CU_ASSERT_EQUAL(m->media[2].port, 0);
  CU_ASSERT_EQUAL(sipspec_sdp_media_dir(m, &m->media[1]), SIPSPEC_SDP_RECVONLY);
  sipspec_sdp_free(m);
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHRECOG));
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHSYNTH));
  CU_ASSERT_EQUAL(sipspec_mrcp_session_state(s)->nrejected, 1);

  /* add it again: the port-0 line is reused, no fourth m-line */
  CU_ASSERT_EQUAL(sipspec_mrcp_session_add(s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  round_trip(s, &c, &m, offer, sizeof offer);
  CU_ASSERT_EQUAL(m->nmedia, 3);
  CU_ASSERT_EQUAL(m->media[2].port, 9);
  sipspec_sdp_free(m);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHRECOG));

  /* an answer that does not fit leaves the state as it was */
  size_t ol;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL(sipspec_mrcp_session_offer(s, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  size_t bl = 0;
  char *bad = sdp_test_load("rfc6787_4_3_answer1.sdp", &bl);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_apply_answer(s, bad, bl, &err), SIPSPEC_E_SDP_MISMATCH);
  free(bad);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHRECOG));
  sipspec_mrcp_session_destroy(s);
}

/* The offer/answer order (spec/offer_answer.rl): what each call does before the first offer,
 * with the first offer out, once answered and with a re-offer out. */
static void test_session_order(void) {
  sipspec_mrcp_resource r[] = {SIPSPEC_MRCP_SPEECHSYNTH};
  sipspec_mrcp_offer_desc d = desc_for(r, 1);
  sipspec_mrcp_session_t *s = sipspec_mrcp_session_create(&d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(s);
  sipspec_mrcp_server_config c = server();
  char offer[4096], ans[4096];
  size_t ol = 0, al = 0;
  sipspec_sdp_error err;
  sipspec_sdp *m = NULL;

  /* no offer yet: nothing to answer, no re-offer to refuse */
  CU_ASSERT_EQUAL(sipspec_mrcp_session_apply_answer(s, "v=0\r\n", 5, &err), SIPSPEC_E_STATE);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_offer_refused(s), SIPSPEC_E_STATE);
  /* an offer that does not fit the buffer is not made */
  CU_ASSERT_NOT_EQUAL(sipspec_mrcp_session_offer(s, offer, 16, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_apply_answer(s, "v=0\r\n", 5, &err), SIPSPEC_E_STATE);

  /* the first offer asks for a new connection; until its answer there is no re-offer */
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(s, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(offer, ol, NULL, &m, NULL), SIPSPEC_OK);
  CU_ASSERT(sdp_test_str(m->origin.sess_version, "2890844526"));
  CU_ASSERT_EQUAL(sipspec_sdp_media_attr(&m->media[0], SIPSPEC_SDP_ATTR_CONNECTION)->u.connection, SIPSPEC_SDP_CONN_NEW);
  sipspec_sdp_free(m);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_offer_refused(s), SIPSPEC_E_STATE);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_OK);
  /* an answer that does not fit changes nothing; the one that fits establishes the session */
  CU_ASSERT_NOT_EQUAL(sipspec_mrcp_session_apply_answer(s, ans, al / 2, &err), SIPSPEC_OK);
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_state(s));
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(s, ans, al, &err), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_state(s));

  /* a re-offer adding a recognizer, refused: the next offer is the settled layout again, a
   * new version, on the existing connection */
  CU_ASSERT_EQUAL(sipspec_mrcp_session_add(s, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(s, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(offer, ol, NULL, &m, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL(m->nmedia, 3);
  sipspec_sdp_free(m);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_offer_refused(s), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHSYNTH));
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHRECOG));
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(s, offer, sizeof offer, &ol, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(offer, ol, NULL, &m, NULL), SIPSPEC_OK);
  CU_ASSERT_EQUAL(m->nmedia, 2);
  CU_ASSERT(sdp_test_str(m->origin.sess_version, "2890844528"));
  CU_ASSERT_EQUAL(sipspec_sdp_media_attr(&m->media[0], SIPSPEC_SDP_ATTR_CONNECTION)->u.connection,
                  SIPSPEC_SDP_CONN_EXISTING);
  sipspec_sdp_free(m);
  /* its answer settles the session again */
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(&c, offer, ol, ans, sizeof ans, &al, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_mrcp_session_apply_answer(s, ans, al, &err), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(s, SIPSPEC_MRCP_SPEECHSYNTH));
  sipspec_mrcp_session_destroy(s);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s1 = CU_add_suite("mrcp_offer", NULL, NULL);
  CU_add_test(s1, "offer bytes for one synthesizer", test_offer_exact);
  CU_add_test(s1, "direction per resource set, TLS, L16 codecs", test_offer_directions);
  CU_add_test(s1, "invalid descriptions", test_offer_invalid);
  CU_pSuite s2 = CU_add_suite("mrcp_answer", NULL, NULL);
  CU_add_test(s2, "RFC 6787 4.3 and RFC 4317 2.1 answers", test_answer_rfc6787);
  CU_add_test(s2, "answers that do not fit the offer", test_answer_bad);
  CU_add_test(s2, "renumbered dynamic types, ptime, rejected audio", test_answer_dynamic_renumbered);
  CU_pSuite s3 = CU_add_suite("mrcp_server", NULL, NULL);
  CU_add_test(s3, "codec table: offered sets x server preferences", test_negotiation_table);
  CU_add_test(s3, "channels, unsupported resources, refusals", test_server_answer);
  CU_pSuite s4 = CU_add_suite("mrcp_session", NULL, NULL);
  CU_add_test(s4, "add and remove a resource by re-offer", test_session_add_remove);
  CU_add_test(s4, "offer/answer order: refusals, a refused re-offer", test_session_order);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
