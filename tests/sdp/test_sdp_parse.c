/* test_sdp_parse.c: the SDP grammar and model (RFC 8866), against the examples of RFC 6787,
 * RFC 4317 and RFC 8866 kept in data/, round trips through the writer, and malformed or
 * hostile input rejected with the right error, line and rule. */
#include "sipspec/error.h"
#include "sipspec/sdp.h"
#include "sdp_test_util.h"

#include <CUnit/Basic.h>
#include <CUnit/CUnit.h>

static const char *const data_files[] = {
  "rfc6787_4_3_offer1.sdp", "rfc6787_4_3_answer1.sdp", "rfc6787_4_3_offer2.sdp",
  "rfc6787_4_3_answer2.sdp", "rfc6787_4_3_offer3.sdp", "rfc6787_4_3_answer3.sdp",
  "rfc4317_2_1_offer.sdp", "rfc4317_2_1_answer.sdp", "rfc4317_3_1_hold_answer.sdp",
  "rfc8866_5_example.sdp",
};

static sipspec_sdp *parse_file(const char *name, char **buf) {
  size_t len = 0;
  *buf = sdp_test_load(name, &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(*buf);
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  int rc = sipspec_sdp_parse(*buf, len, NULL, &s, &err);
  if (rc) fprintf(stderr, "%s: %s\n", name, err.reason);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  return s;
}

static void test_rfc6787_offer1(void) {
  char *buf;
  sipspec_sdp *s = parse_file("rfc6787_4_3_offer1.sdp", &buf);
  CU_ASSERT_EQUAL(s->version, 0);
  CU_ASSERT(sdp_test_str(s->origin.username, "sarvi"));
  CU_ASSERT(sdp_test_str(s->origin.sess_id, "2890844526"));
  CU_ASSERT(sdp_test_str(s->origin.address, "192.0.2.12"));
  CU_ASSERT_EQUAL(s->origin.addr_kind, SIPSPEC_SDP_ADDR_IP4);
  CU_ASSERT(sdp_test_str(s->session_name, "-"));
  CU_ASSERT_PTR_NOT_NULL_FATAL(s->conn);
  CU_ASSERT(sdp_test_str(s->conn->address, "192.0.2.12"));
  CU_ASSERT_EQUAL(s->ntimes, 1);
  CU_ASSERT_EQUAL_FATAL(s->nmedia, 2);
  const sipspec_sdp_media *m = &s->media[0];
  CU_ASSERT(sdp_test_str(m->media, "application"));
  CU_ASSERT_EQUAL(m->port, 9);
  CU_ASSERT(sdp_test_str(m->proto, "TCP/MRCPv2"));
  CU_ASSERT_EQUAL_FATAL(m->nfmts, 1);
  CU_ASSERT(sdp_test_str(m->fmts[0], "1"));
  CU_ASSERT_EQUAL(m->line, 6);
  CU_ASSERT_EQUAL_FATAL(m->nattrs, 4);
  CU_ASSERT_EQUAL(m->attrs[0].kind, SIPSPEC_SDP_ATTR_SETUP);
  CU_ASSERT_EQUAL(m->attrs[0].u.setup, SIPSPEC_SDP_SETUP_ACTIVE);
  CU_ASSERT_EQUAL(m->attrs[1].u.connection, SIPSPEC_SDP_CONN_NEW);
  CU_ASSERT(sdp_test_str(m->attrs[2].u.resource, "speechsynth"));
  CU_ASSERT_EQUAL(m->attrs[3].u.cmid, 1);
  CU_ASSERT_EQUAL(m->attrs[3].line, 10);
  m = &s->media[1];
  CU_ASSERT(sdp_test_str(m->media, "audio"));
  CU_ASSERT_EQUAL(m->port, 49170);
  const sipspec_sdp_attr *rm = sipspec_sdp_media_rtpmap(m, 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rm);
  CU_ASSERT(sdp_test_str(rm->u.rtpmap.encoding, "pcmu"));
  CU_ASSERT_EQUAL(rm->u.rtpmap.rate, 8000);
  CU_ASSERT_EQUAL(sipspec_sdp_media_dir(s, m), SIPSPEC_SDP_RECVONLY);
  CU_ASSERT(sdp_test_str(sipspec_sdp_media_attr(m, SIPSPEC_SDP_ATTR_MID)->u.mid, "1"));
  CU_ASSERT_PTR_EQUAL(sipspec_sdp_media_conn(s, m), s->conn);
  /* zero copy: slices point into the caller's buffer */
  CU_ASSERT(s->origin.username.p >= buf && s->origin.username.p < buf + 40);
  sipspec_sdp_free(s);
  free(buf);
}

static void test_rfc6787_answer2(void) {
  char *buf;
  sipspec_sdp *s = parse_file("rfc6787_4_3_answer2.sdp", &buf);
  CU_ASSERT_EQUAL_FATAL(s->nmedia, 3);
  const sipspec_sdp_attr *ch = sipspec_sdp_media_attr(&s->media[2], SIPSPEC_SDP_ATTR_CHANNEL);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ch);
  CU_ASSERT(sdp_test_str(ch->u.channel.id, "32AECB234338"));
  CU_ASSERT(sdp_test_str(ch->u.channel.resource, "speechrecog"));
  CU_ASSERT(sdp_test_str(ch->value, "32AECB234338@speechrecog"));
  const sipspec_sdp_attr *f = sipspec_sdp_media_attr(&s->media[1], SIPSPEC_SDP_ATTR_FMTP);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT(sdp_test_str(f->u.fmtp.fmt, "96"));
  CU_ASSERT(sdp_test_str(f->u.fmtp.params, "0-15"));
  CU_ASSERT_EQUAL(sipspec_sdp_media_dir(s, &s->media[1]), SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(s->media[2].port, 32416);
  sipspec_sdp_free(s);
  free(buf);
}

static void test_rfc4317_offer(void) {
  char *buf;
  sipspec_sdp *s = parse_file("rfc4317_2_1_offer.sdp", &buf);
  CU_ASSERT_PTR_NOT_NULL(s->session_name.p);
  CU_ASSERT_EQUAL(s->session_name.len, 0);
  CU_ASSERT_EQUAL(s->origin.addr_kind, SIPSPEC_SDP_ADDR_FQDN);
  CU_ASSERT_EQUAL(s->conn->addr_kind, SIPSPEC_SDP_ADDR_FQDN);
  CU_ASSERT_EQUAL_FATAL(s->nmedia, 2);
  CU_ASSERT_EQUAL(s->media[0].nfmts, 3);
  CU_ASSERT(sdp_test_str(s->media[0].fmts[2], "97"));
  const sipspec_sdp_attr *rm = sipspec_sdp_media_rtpmap(&s->media[0], 97);
  CU_ASSERT_PTR_NOT_NULL_FATAL(rm);
  CU_ASSERT(sdp_test_str(rm->u.rtpmap.encoding, "iLBC"));
  CU_ASSERT(sdp_test_str(s->media[1].media, "video"));
  CU_ASSERT_EQUAL(sipspec_sdp_media_rtpmap(&s->media[1], 31)->u.rtpmap.rate, 90000);
  CU_ASSERT_EQUAL(sipspec_sdp_media_dir(s, &s->media[0]), SIPSPEC_SDP_SENDRECV);
  sipspec_sdp_free(s);
  free(buf);
  s = parse_file("rfc4317_3_1_hold_answer.sdp", &buf);
  CU_ASSERT_EQUAL(sipspec_sdp_media_dir(s, &s->media[0]), SIPSPEC_SDP_SENDONLY);
  sipspec_sdp_free(s);
  free(buf);
}

static void test_rfc8866_example(void) {
  char *buf;
  sipspec_sdp *s = parse_file("rfc8866_5_example.sdp", &buf);
  CU_ASSERT(sdp_test_str(s->session_name, "Call to John Smith"));
  CU_ASSERT(sdp_test_str(s->info, "SDP Offer #1"));
  CU_ASSERT(sdp_test_str(s->uri, "http://www.jdoe.example.com/home.html"));
  CU_ASSERT_EQUAL_FATAL(s->nemails, 1);
  CU_ASSERT(sdp_test_str(s->emails[0], "Jane Doe <jane@jdoe.example.com>"));
  CU_ASSERT_EQUAL_FATAL(s->nphones, 1);
  CU_ASSERT(sdp_test_str(s->phones[0], "+1 617 555-6011"));
  CU_ASSERT_EQUAL_FATAL(s->nmedia, 3);
  CU_ASSERT_EQUAL_FATAL(s->media[2].nconns, 1);
  CU_ASSERT(sdp_test_str(s->media[2].conns[0].address, "2001:db8::2"));
  CU_ASSERT_EQUAL(s->media[2].conns[0].addr_kind, SIPSPEC_SDP_ADDR_IP6);
  CU_ASSERT_PTR_EQUAL(sipspec_sdp_media_conn(s, &s->media[2]), &s->media[2].conns[0]);
  CU_ASSERT(sdp_test_str(sipspec_sdp_media_rtpmap(&s->media[2], 99)->u.rtpmap.encoding, "h263-1998"));
  sipspec_sdp_free(s);
  free(buf);
}

/* ---- round trips ---- */

static int str_same(sipspec_span a, sipspec_span b) {
  if (!a.p || !b.p) return !a.p && !b.p;
  return a.len == b.len && memcmp(a.p, b.p, a.len) == 0;
}

static int conn_same(const sipspec_sdp_conn *a, const sipspec_sdp_conn *b) {
  return str_same(a->nettype, b->nettype) && str_same(a->addrtype, b->addrtype) &&
         str_same(a->address, b->address) && a->addr_kind == b->addr_kind && a->ttl == b->ttl &&
         a->num_addrs == b->num_addrs;
}

static int attrs_same(const sipspec_sdp_attr *a, size_t na, const sipspec_sdp_attr *b, size_t nb) {
  if (na != nb) return 0;
  for (size_t i = 0; i < na; i++)
    if (!str_same(a[i].name, b[i].name) || !str_same(a[i].value, b[i].value) || a[i].kind != b[i].kind) return 0;
  return 1;
}

static int model_same(const sipspec_sdp *a, const sipspec_sdp *b) {
  const sipspec_sdp_origin *x = &a->origin, *y = &b->origin;
  if (!str_same(x->username, y->username) || !str_same(x->sess_id, y->sess_id) ||
      !str_same(x->sess_version, y->sess_version) || !str_same(x->address, y->address)) return 0;
  if (!str_same(a->session_name, b->session_name) || !str_same(a->info, b->info) ||
      !str_same(a->uri, b->uri) || !str_same(a->zone, b->zone) || !str_same(a->key, b->key)) return 0;
  if (a->nemails != b->nemails || a->nphones != b->nphones || a->nbws != b->nbws ||
      a->ntimes != b->ntimes || a->nmedia != b->nmedia) return 0;
  if (!a->conn != !b->conn || (a->conn && !conn_same(a->conn, b->conn))) return 0;
  for (size_t i = 0; i < a->nbws; i++)
    if (!str_same(a->bws[i].type, b->bws[i].type) || a->bws[i].value != b->bws[i].value) return 0;
  for (size_t i = 0; i < a->ntimes; i++) {
    if (a->times[i].start != b->times[i].start || a->times[i].stop != b->times[i].stop ||
        a->times[i].nrepeats != b->times[i].nrepeats) return 0;
    for (size_t j = 0; j < a->times[i].nrepeats; j++)
      if (!str_same(a->times[i].repeats[j], b->times[i].repeats[j])) return 0;
  }
  if (!attrs_same(a->attrs, a->nattrs, b->attrs, b->nattrs)) return 0;
  for (size_t k = 0; k < a->nmedia; k++) {
    const sipspec_sdp_media *m = &a->media[k], *n = &b->media[k];
    if (!str_same(m->media, n->media) || m->port != n->port || m->nports != n->nports ||
        !str_same(m->proto, n->proto) || m->nfmts != n->nfmts || m->nconns != n->nconns ||
        m->nbws != n->nbws || !str_same(m->info, n->info) || !str_same(m->key, n->key)) return 0;
    for (size_t i = 0; i < m->nfmts; i++)
      if (!str_same(m->fmts[i], n->fmts[i])) return 0;
    for (size_t i = 0; i < m->nconns; i++)
      if (!conn_same(&m->conns[i], &n->conns[i])) return 0;
    if (!attrs_same(m->attrs, m->nattrs, n->attrs, n->nattrs)) return 0;
  }
  return 1;
}

/* Every data file is canonical: writing its model gives the file back byte for byte, and
 * parsing that gives the same model. */
static void test_round_trip_files(void) {
  for (size_t i = 0; i < sizeof data_files / sizeof data_files[0]; i++) {
    char *buf;
    size_t flen;
    free(sdp_test_load(data_files[i], &flen));
    sipspec_sdp *s = parse_file(data_files[i], &buf);
    char out[8192];
    size_t len = 0;
    CU_ASSERT_EQUAL_FATAL(sipspec_sdp_write(s, out, sizeof out, &len), SIPSPEC_OK);
    CU_ASSERT_EQUAL(len, flen);
    CU_ASSERT(len == flen && memcmp(out, buf, len) == 0);
    sipspec_sdp *t = NULL;
    CU_ASSERT_EQUAL_FATAL(sipspec_sdp_parse(out, len, NULL, &t, NULL), SIPSPEC_OK);
    CU_ASSERT(model_same(s, t));
    sipspec_sdp_free(t);
    sipspec_sdp_free(s);
    free(buf);
  }
}

/* A model built by hand with every line type, through the writer and back. */
static void test_round_trip_built(void) {
  static const sipspec_span emails[] = {{"ops@example.com", 15}};
  static const sipspec_span phones[] = {{"+1 555 0100", 11}};
  static const sipspec_span repeats[] = {{"7d 1h 0 25h", 11}};
  sipspec_sdp_conn sconn = {{"IN", 2}, {"IP4", 3}, {"233.252.0.1", 11}, SIPSPEC_SDP_ADDR_IP4, 127, 3};
  sipspec_sdp_conn mconn[2] = {
    {{"IN", 2}, {"IP6", 3}, {"ff15::101", 9}, SIPSPEC_SDP_ADDR_IP6, 0, 2},
    {{"IN", 2}, {"IP4", 3}, {"media.example.com", 17}, SIPSPEC_SDP_ADDR_FQDN, 0, 0},
  };
  sipspec_sdp_bw bws[] = {{{"CT", 2}, 128}, {{"AS", 2}, 64}};
  sipspec_sdp_time times[] = {{3724394400u, 3724398000u, repeats, 1}, {0, 0, NULL, 0}};
  sipspec_sdp_attr sattrs[] = {{.name = {"tool", 4}, .value = {"sipspec 0.1", 11}},
                               {.name = {"recvonly", 8}}};
  sipspec_sdp_attr mattrs[] = {{.name = {"rtpmap", 6}, .value = {"96 L16/16000", 12}},
                               {.name = {"x-unknown", 9}, .value = {"keep me: in order", 17}},
                               {.name = {"fingerprint", 11}, .value = {"sha-256 AB:CD:01", 16}}};
  sipspec_span fmts[] = {{"96", 2}, {"0", 1}};
  sipspec_sdp_media media[] = {{
    .media = {"audio", 5}, .port = 5004, .nports = 2, .proto = {"RTP/AVP", 7}, .fmts = fmts, .nfmts = 2,
    .info = {"speech", 6}, .conns = mconn, .nconns = 2, .bws = bws + 1, .nbws = 1, .key = {"prompt", 6},
    .attrs = mattrs, .nattrs = 3}};
  sipspec_sdp in = {
    .origin = {{"-", 1}, {"42", 2}, {"7", 1}, {"IN", 2}, {"IP6", 3}, {"2001:db8::1", 11}, SIPSPEC_SDP_ADDR_IP6},
    .session_name = {"built", 5}, .info = {"all line types", 14}, .uri = {"http://example.com/s", 20},
    .emails = emails, .nemails = 1, .phones = phones, .nphones = 1, .conn = &sconn, .bws = bws, .nbws = 2,
    .times = times, .ntimes = 2, .zone = {"2882844526 -1h 2898848070 0", 27}, .key = {"clear:secret", 12},
    .attrs = sattrs, .nattrs = 2, .media = media, .nmedia = 1};
  char out[4096];
  size_t len = 0;
  CU_ASSERT_EQUAL_FATAL(sipspec_sdp_write(&in, out, sizeof out, &len), SIPSPEC_OK);
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "c=IN IP4 233.252.0.1/127/3\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "c=IN IP6 ff15::101/2\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(out, "m=audio 5004/2 RTP/AVP 96 0\r\ni=speech\r\n"));
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  int rc = sipspec_sdp_parse(out, len, NULL, &s, &err);
  if (rc) fprintf(stderr, "built: %s\n%s", err.reason, out);
  CU_ASSERT_EQUAL_FATAL(rc, SIPSPEC_OK);
  /* the parser fills kinds the builder left OTHER; compare everything else */
  CU_ASSERT_EQUAL(s->attrs[1].kind, SIPSPEC_SDP_ATTR_RECVONLY);
  CU_ASSERT_EQUAL(s->media[0].attrs[0].kind, SIPSPEC_SDP_ATTR_RTPMAP);
  CU_ASSERT_EQUAL(s->media[0].attrs[1].kind, SIPSPEC_SDP_ATTR_OTHER);
  CU_ASSERT_EQUAL(s->media[0].attrs[2].kind, SIPSPEC_SDP_ATTR_FINGERPRINT);
  CU_ASSERT(sdp_test_str(s->media[0].attrs[2].u.fingerprint.fingerprint, "AB:CD:01"));
  sattrs[1].kind = SIPSPEC_SDP_ATTR_RECVONLY;
  mattrs[0].kind = SIPSPEC_SDP_ATTR_RTPMAP;
  mattrs[2].kind = SIPSPEC_SDP_ATTR_FINGERPRINT;
  CU_ASSERT(model_same(&in, s));
  CU_ASSERT_EQUAL(s->times[0].nrepeats, 1);
  char out2[4096];
  size_t len2 = 0;
  CU_ASSERT_EQUAL(sipspec_sdp_write(s, out2, sizeof out2, &len2), SIPSPEC_OK);
  CU_ASSERT(len == len2 && memcmp(out, out2, len) == 0);
  /* too small a buffer: an error with the size needed, nothing written past cap */
  char small[32];
  size_t need = 0;
  CU_ASSERT_EQUAL(sipspec_sdp_write(s, small, sizeof small, &need), SIPSPEC_E_SDP_NOSPACE);
  CU_ASSERT_EQUAL(need, len);
  sipspec_sdp_free(s);
}

static void test_lf_only(void) {
  const char *t = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nt=0 0\nc=IN IP4 10.0.0.1\n";
  size_t len;
  char *b = sdp_test_dup(t, &len);
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  /* c= after t= is out of order even with bare LF */
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, len, NULL, &s, &err), SIPSPEC_E_SDP_ORDER);
  CU_ASSERT_EQUAL(err.line, 5);
  free(b);
  t = "v=0\no=- 1 1 IN IP4 10.0.0.1\ns=x\nc=IN IP4 10.0.0.1\nt=0 0";
  b = sdp_test_dup(t, &len);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, len, NULL, &s, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(s->ntimes, 1);
  sipspec_sdp_free(s);
  free(b);
}

/* ---- malformed and hostile input ---- */

#define HEAD "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\n"
#define CONN "c=IN IP4 192.0.2.1\r\n"
#define TIME "t=0 0\r\n"

static const struct bad_case {
  const char *name;
  const char *sdp;
  int code;
  unsigned line;
  const char *rule; /* substring of err.rule */
} bad_cases[] = {
  {"v= not 0", "v=1\r\n", SIPSPEC_E_SDP_VERSION, 1, "proto-version"},
  {"v= not a number", "v=x\r\n", SIPSPEC_E_SDP_SYNTAX, 1, "proto-version"},
  {"o= missing field", "v=0\r\no=- 1 1 IN IP4\r\ns=-\r\n", SIPSPEC_E_SDP_SYNTAX, 2, "origin-field"},
  {"o= bad sess-id", "v=0\r\no=- x1 1 IN IP4 192.0.2.1\r\n", SIPSPEC_E_SDP_SYNTAX, 2, "origin-field"},
  {"o= bad IPv4", "v=0\r\no=- 1 1 IN IP4 999.1.1.1\r\n", SIPSPEC_E_SDP_SYNTAX, 2, "unicast-address"},
  {"o= IPv4 under IP6", "v=0\r\no=- 1 1 IN IP6 192.0.2.1\r\n", SIPSPEC_E_SDP_SYNTAX, 2, "unicast-address"},
  {"s= with a bare CR", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=a\rb\r\n", SIPSPEC_E_SDP_SYNTAX, 3, "session-name"},
  {"s= twice", HEAD "s=again\r\n", SIPSPEC_E_SDP_ORDER, 4, "session-name"},
  {"i= after c=", HEAD CONN "i=late\r\n", SIPSPEC_E_SDP_ORDER, 5, "information"},
  {"u= with a space", HEAD "u=http://a b\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "uri-field"},
  {"e= empty", HEAD "e=\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "email"},
  {"p= empty", HEAD "p=\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "phone"},
  {"c= no address", HEAD "c=IN IP4\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "connection-field"},
  {"c= TTL above 255", HEAD "c=IN IP4 233.252.0.1/300\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "connection-address"},
  {"c= IPv6 literal under IP4", HEAD "c=IN IP4 2001:db8::1\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "connection-address"},
  {"c= bad IPv6", HEAD "c=IN IP6 2001:db8:::1:2\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "connection-address"},
  {"c= twice at session level", HEAD CONN CONN, SIPSPEC_E_SDP_ORDER, 5, "connection-field"},
  {"b= without value", HEAD CONN "b=AS\r\n", SIPSPEC_E_SDP_SYNTAX, 5, "bandwidth"},
  {"t= one time", HEAD CONN "t=0\r\n", SIPSPEC_E_SDP_SYNTAX, 5, "time-fields"},
  {"r= before t=", HEAD CONN "r=7d 1h 0\r\n", SIPSPEC_E_SDP_ORDER, 5, "repeat-fields"},
  {"r= one field", HEAD CONN TIME "r=7d\r\n", SIPSPEC_E_SDP_SYNTAX, 6, "repeat-fields"},
  {"z= not times", HEAD CONN TIME "z=abc\r\n", SIPSPEC_E_SDP_SYNTAX, 6, "zone-adjustments"},
  {"k= empty", HEAD CONN TIME "k=\r\n", SIPSPEC_E_SDP_SYNTAX, 6, "key-field"},
  {"a= no name", HEAD CONN TIME "a=:x\r\n", SIPSPEC_E_SDP_SYNTAX, 6, "attribute"},
  {"a=rtpmap no rate", HEAD CONN TIME "m=audio 1 RTP/AVP 0\r\na=rtpmap:0 PCMU\r\n", SIPSPEC_E_SDP_ATTR, 7, "rtpmap"},
  {"a=rtpmap pt 200", HEAD CONN TIME "m=audio 1 RTP/AVP 0\r\na=rtpmap:200 X/8000\r\n", SIPSPEC_E_SDP_ATTR, 7, "rtpmap"},
  {"a=ptime letters", HEAD CONN TIME "m=audio 1 RTP/AVP 0\r\na=ptime:ab\r\n", SIPSPEC_E_SDP_ATTR, 7, "ptime"},
  {"a=sendrecv with value", HEAD CONN TIME "a=sendrecv:x\r\n", SIPSPEC_E_SDP_ATTR, 6, "property"},
  {"a=setup unknown", HEAD CONN TIME "a=setup:sideways\r\n", SIPSPEC_E_SDP_ATTR, 6, "setup"},
  {"a=connection unknown", HEAD CONN TIME "a=connection:old\r\n", SIPSPEC_E_SDP_ATTR, 6, "conn-value"},
  {"a=channel without @", HEAD CONN TIME "a=channel:abc\r\n", SIPSPEC_E_SDP_ATTR, 6, "channel"},
  {"a=cmid letters", HEAD CONN TIME "a=cmid:one\r\n", SIPSPEC_E_SDP_ATTR, 6, "cmid"},
  {"a=fingerprint lower hex", HEAD CONN TIME "a=fingerprint:sha-1 ab:cd\r\n", SIPSPEC_E_SDP_ATTR, 6, "fingerprint"},
  {"m= no fmt", HEAD CONN TIME "m=audio 1 RTP/AVP\r\n", SIPSPEC_E_SDP_SYNTAX, 6, "media-field"},
  {"m= port above 65535", HEAD CONN TIME "m=audio 70000 RTP/AVP 0\r\n", SIPSPEC_E_SDP_SYNTAX, 6, "port"},
  {"m= before t=", HEAD CONN "m=audio 1 RTP/AVP 0\r\n", SIPSPEC_E_SDP_MISSING, 5, "time-fields"},
  {"s= in a media section", HEAD CONN TIME "m=audio 1 RTP/AVP 0\r\ns=x\r\n", SIPSPEC_E_SDP_ORDER, 7, "session-name"},
  {"a= then c= in media", HEAD CONN TIME "m=audio 1 RTP/AVP 0\r\na=x\r\n" CONN, SIPSPEC_E_SDP_ORDER, 8, "connection"},
  {"no v=", "o=- 1 1 IN IP4 192.0.2.1\r\n", SIPSPEC_E_SDP_MISSING, 1, "proto-version"},
  {"no s=", "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\nc=IN IP4 192.0.2.1\r\n", SIPSPEC_E_SDP_MISSING, 3, "session-name"},
  {"no t=", HEAD CONN, SIPSPEC_E_SDP_MISSING, 4, "time-fields"},
  {"media without any c=", HEAD TIME "m=audio 1 RTP/AVP 0\r\n", SIPSPEC_E_SDP_MISSING, 5, "connection-field"},
  {"unknown line type", HEAD "x=1\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "session-description"},
  {"upper-case type", HEAD "C=IN IP4 192.0.2.1\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "type"},
  {"no =", HEAD "c IN IP4 192.0.2.1\r\n", SIPSPEC_E_SDP_SYNTAX, 4, "type"},
  {"empty line", HEAD "\r\n" CONN TIME, SIPSPEC_E_SDP_SYNTAX, 4, "type"},
  {"empty input", "", SIPSPEC_E_SDP_MISSING, 0, "proto-version"},
};

static void test_bad_table(void) {
  for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
    const struct bad_case *c = &bad_cases[i];
    size_t len;
    char *b = sdp_test_dup(c->sdp, &len);
    sipspec_sdp *s = (sipspec_sdp *)1;
    sipspec_sdp_error err;
    int rc = sipspec_sdp_parse(b, len, NULL, &s, &err);
    int ok = rc == c->code && err.line == c->line && err.rule && strstr(err.rule, c->rule) && s == NULL &&
             err.reason[0] != '\0';
    if (!ok)
      fprintf(stderr, "case \"%s\": got %s line %u rule %s (%s)\n", c->name, sipspec_errname(rc), err.line,
              err.rule ? err.rule : "-", err.reason);
    CU_ASSERT(ok);
    free(b);
  }
}

static void test_error_column(void) {
  const char *t = HEAD CONN TIME "a=setup:bogus\r\n";
  size_t len;
  char *b = sdp_test_dup(t, &len);
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, len, NULL, &s, &err), SIPSPEC_E_SDP_ATTR);
  CU_ASSERT_EQUAL(err.line, 6);
  CU_ASSERT_EQUAL(err.column, 9); /* the 'b' of bogus */
  free(b);
  t = "v=0\r\no=- 1 1 IN IP4 192.0.2.1 extra\r\n";
  b = sdp_test_dup(t, &len);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, len, NULL, &s, &err), SIPSPEC_E_SDP_SYNTAX);
  CU_ASSERT_EQUAL(err.column, 25); /* the space after the address */
  free(b);
}

static void test_nul_byte(void) {
  const char t[] = HEAD "i=a\0b\r\n" CONN TIME;
  char *b = malloc(sizeof t - 1);
  memcpy(b, t, sizeof t - 1);
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, sizeof t - 1, NULL, &s, &err), SIPSPEC_E_SDP_SYNTAX);
  CU_ASSERT_EQUAL(err.line, 4);
  CU_ASSERT_EQUAL(err.column, 4);
  free(b);
}

/* Every prefix of a valid description parses or fails cleanly, never reading past it. */
static void test_truncated(void) {
  size_t len;
  char *full = sdp_test_load("rfc6787_4_3_offer2.sdp", &len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(full);
  size_t ok = 0;
  for (size_t n = 0; n <= len; n++) {
    char *b = malloc(n ? n : 1);
    memcpy(b, full, n);
    sipspec_sdp *s = NULL;
    sipspec_sdp_error err;
    int rc = sipspec_sdp_parse(b, n, NULL, &s, &err);
    CU_ASSERT(rc == SIPSPEC_OK || (rc <= -600 && rc >= -699));
    if (rc == SIPSPEC_OK) { ok++; sipspec_sdp_free(s); }
    else CU_ASSERT(s == NULL);
    free(b);
  }
  CU_ASSERT(ok > 0);
  free(full);
}

static void test_limits(void) {
  sipspec_sdp_limits lim;
  sipspec_sdp_limits_init(&lim);
  sipspec_sdp *s = NULL;
  sipspec_sdp_error err;
  /* too many bytes */
  size_t big = lim.max_bytes + 1;
  char *b = malloc(big);
  memset(b, 'a', big);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, big, &lim, &s, &err), SIPSPEC_E_SDP_LIMIT);
  free(b);
  /* one line too long */
  size_t hl = strlen(HEAD);
  size_t n = hl + 2 + lim.max_line_len + 10 + 2;
  b = malloc(n);
  memcpy(b, HEAD, hl);
  memcpy(b + hl, "i=", 2);
  memset(b + hl + 2, 'x', n - hl - 4);
  memcpy(b + n - 2, "\r\n", 2);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(b, n, &lim, &s, &err), SIPSPEC_E_SDP_LIMIT);
  CU_ASSERT_EQUAL(err.line, 4);
  free(b);
  /* too many lines */
  char *many = malloc(8 * 2000 + 64);
  size_t m = 0;
  m += (size_t)sprintf(many + m, "%s", HEAD CONN TIME);
  for (int i = 0; i < 2000; i++) m += (size_t)sprintf(many + m, "a=x:%d\r\n", i % 10);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(many, m, &lim, &s, &err), SIPSPEC_E_SDP_LIMIT);
  CU_ASSERT_EQUAL(err.line, lim.max_lines + 1);
  /* more media than allowed */
  lim.max_media = 4;
  m = 0;
  m += (size_t)sprintf(many + m, "%s", HEAD CONN TIME);
  for (int i = 0; i < 5; i++) m += (size_t)sprintf(many + m, "m=audio %d RTP/AVP 0\r\n", 1000 + i);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(many, m, &lim, &s, &err), SIPSPEC_E_SDP_LIMIT);
  CU_ASSERT_EQUAL(err.line, 10);
  lim.max_media = 5;
  CU_ASSERT_EQUAL(sipspec_sdp_parse(many, m, &lim, &s, &err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(s->nmedia, 5);
  sipspec_sdp_free(s);
  free(many);
  CU_ASSERT_EQUAL(sipspec_sdp_parse(NULL, 3, NULL, &s, &err), SIPSPEC_E_INVAL);
}

static void test_error_names(void) {
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_SDP_SYNTAX), "SIPSPEC_E_SDP_SYNTAX");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_SDP_REFUSED), "SIPSPEC_E_SDP_REFUSED");
  CU_ASSERT_EQUAL(SIPSPEC_E_SDP_SYNTAX, -600);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s1 = CU_add_suite("sdp_rfc_examples", NULL, NULL);
  CU_add_test(s1, "RFC 6787 4.3 offer 1 model", test_rfc6787_offer1);
  CU_add_test(s1, "RFC 6787 4.3 answer 2 model", test_rfc6787_answer2);
  CU_add_test(s1, "RFC 4317 2.1 and 3.1 models", test_rfc4317_offer);
  CU_add_test(s1, "RFC 8866 section 5 example model", test_rfc8866_example);
  CU_pSuite s2 = CU_add_suite("sdp_round_trip", NULL, NULL);
  CU_add_test(s2, "data files are canonical and round-trip", test_round_trip_files);
  CU_add_test(s2, "built model with every line type round-trips", test_round_trip_built);
  CU_add_test(s2, "bare LF line ends", test_lf_only);
  CU_pSuite s3 = CU_add_suite("sdp_malformed", NULL, NULL);
  CU_add_test(s3, "each line type broken", test_bad_table);
  CU_add_test(s3, "error columns", test_error_column);
  CU_add_test(s3, "NUL byte inside a line", test_nul_byte);
  CU_add_test(s3, "every truncation", test_truncated);
  CU_add_test(s3, "size, line and media limits", test_limits);
  CU_add_test(s3, "error names", test_error_names);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
