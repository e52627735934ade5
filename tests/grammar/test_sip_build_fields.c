/* test_sip_build_fields.c: the builder's typed fields (sipspec/msg.h): every field kind
 * written and read back (parse(build(fields)) gives the fields), display names quoted and
 * escaped, and what is refused (CR/LF, bad tokens, bad URIs, values their header's rule
 * refuses, missing fields) with the right SIPSPEC_E_BUILD_* code and a `what` naming it.
 * Registered by test_sip_grammar.c's main (suite "fields"). */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sip/msg_internal.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "test_sip_grammar.h"

static sipspec_span S(const char *s) { return sipspec_span_z(s); }

static int span_is(sipspec_span s, const char *want) { return s.len == strlen(want) && !memcmp(s.p, want, s.len); }

/* A request with every kind of field. */
static const sipspec_span routes[] = {{"sip:p1.example.com;lr", 21}, {"sip:p2.example.com;lr", 21}};
static const sipspec_addr_fields contact = {{"Box \"7\"", 7}, {"sip:alice@192.0.2.4:5070;transport=tcp", 38},
                                            {NULL, 0}, {";expires=60", 11}};
static const sipspec_ext_header ext[] = {{{"User-Agent", 10}, {"sipspec test/1", 14}},
                                         {{"Supported", 9}, {"timer, 100rel", 13}},
                                         {{"X-Extra", 7}, {"any value; with \"quotes\"", 24}}};

static sipspec_request_fields full(void) {
  sipspec_request_fields f;
  memset(&f, 0, sizeof f);
  f.method = S("INVITE");
  f.request_uri = S("sip:bob@biloxi.example.com;transport=udp");
  f.via = (sipspec_via_fields){S("UDP"), S("pc33.atlanta.example.com"), 5062, S("z9hG4bK776asdhds"), 1, S("192.0.2.7")};
  f.max_forwards = 69;
  f.routes = routes;
  f.n_routes = 2;
  f.from = (sipspec_addr_fields){S("Al \"the\" \\ Bob"), S("sip:alice@atlanta.example.com"), S("1928301774"), {NULL, 0}};
  f.to = (sipspec_addr_fields){S("Bob"), S("sip:bob@biloxi.example.com"), {NULL, 0}, S(";x-p=1")};
  f.call_id = S("a84b4c76e66710@pc33.atlanta.example.com");
  f.cseq = 314159;
  f.contact = &contact;
  f.headers = ext;
  f.n_headers = 3;
  f.extra_lines = S("Authorization: Digest username=\"alice\", realm=\"atlanta.example.com\", nonce=\"n1\", "
                    "uri=\"sip:bob@biloxi.example.com\", response=\"0123456789abcdef0123456789abcdef\"\r\n"
                    "X-User: from the user\r\n");
  f.content_type = S("application/sdp");
  f.body = S("v=0\r\n");
  return f;
}

static void unquoted_is(sipspec_span display, const char *want) {
  char out[128];
  long n = sipspec_unquote(display, out, sizeof out);
  CU_ASSERT_FATAL(n >= 0);
  CU_ASSERT_EQUAL((size_t)n, strlen(want));
  CU_ASSERT_EQUAL(memcmp(out, want, (size_t)n), 0);
}

void test_fields_round_trip(void) {
  char buf[4096];
  sipspec_build b;
  sipspec_request_fields f = full();
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL_FATAL(sipspec_build_request(&b, &f), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(b.what, "");
  CU_ASSERT_EQUAL(sipspec_request_fields_size(&f), b.len); /* the measuring builder agrees */
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(gm, buf, b.len), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_msg_check(gm), 0); /* nothing RFC 4475 3.3/3.4 would refuse */
  CU_ASSERT_TRUE(span_is(sipspec_msg_method_text(gm), "INVITE"));
  CU_ASSERT_TRUE(span_is(sipspec_msg_request_uri(gm), "sip:bob@biloxi.example.com;transport=udp"));
  sipspec_via v;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_via_count(gm), 1);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_via(gm, 0, &v), SIPSPEC_OK);
  CU_ASSERT_TRUE(span_is(v.transport, "UDP"));
  CU_ASSERT_TRUE(span_is(v.host, "pc33.atlanta.example.com"));
  CU_ASSERT_EQUAL(v.port, 5062);
  CU_ASSERT_TRUE(span_is(v.branch, "z9hG4bK776asdhds"));
  CU_ASSERT_EQUAL(v.rport, 0);
  CU_ASSERT_TRUE(span_is(v.received, "192.0.2.7"));
  CU_ASSERT_EQUAL(sipspec_msg_max_forwards(gm), 69);
  sipspec_addr a;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value_count(gm, SIPSPEC_H_ROUTE), 2);
  for (size_t i = 0; i < 2; i++) {
    CU_ASSERT_EQUAL_FATAL(sipspec_msg_route(gm, i, &a), SIPSPEC_OK);
    CU_ASSERT_TRUE(a.uri.len == routes[i].len && !memcmp(a.uri.p, routes[i].p, a.uri.len));
  }
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_from(gm, &a), SIPSPEC_OK);
  unquoted_is(a.display, "Al \"the\" \\ Bob");
  CU_ASSERT_TRUE(span_is(a.uri, "sip:alice@atlanta.example.com"));
  CU_ASSERT_TRUE(span_is(a.tag, "1928301774"));
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_to(gm, &a), SIPSPEC_OK);
  unquoted_is(a.display, "Bob");
  CU_ASSERT_TRUE(span_is(a.uri, "sip:bob@biloxi.example.com"));
  CU_ASSERT_EQUAL(a.tag.len, 0);
  sipspec_span xp;
  CU_ASSERT_EQUAL(sipspec_param(a.params, "x-p", &xp), SIPSPEC_OK);
  CU_ASSERT_TRUE(span_is(xp, "1"));
  CU_ASSERT_TRUE(span_is(sipspec_msg_call_id(gm), "a84b4c76e66710@pc33.atlanta.example.com"));
  CU_ASSERT_EQUAL(sipspec_msg_cseq(gm), 314159);
  CU_ASSERT_EQUAL(sipspec_msg_cseq_method(gm), SIPSPEC_METHOD_INVITE);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_contact(gm, 0, &a), SIPSPEC_OK);
  unquoted_is(a.display, "Box \"7\"");
  CU_ASSERT_TRUE(span_is(a.uri, "sip:alice@192.0.2.4:5070;transport=tcp"));
  CU_ASSERT_EQUAL(a.expires, 60);
  for (size_t i = 0; i < 3; i++) {
    char name[32];
    snprintf(name, sizeof name, "%.*s", (int)ext[i].name.len, ext[i].name.p);
    long k = sipspec_msg_find(gm, name, 0);
    sipspec_header h;
    CU_ASSERT_FATAL(k >= 0);
    CU_ASSERT_EQUAL_FATAL(sipspec_msg_header(gm, (size_t)k, &h), SIPSPEC_OK);
    CU_ASSERT_TRUE(h.value.len == ext[i].value.len && !memcmp(h.value.p, ext[i].value.p, h.value.len));
  }
  CU_ASSERT_EQUAL(sipspec_msg_has_token(gm, SIPSPEC_H_SUPPORTED, "100rel"), 1);
  sipspec_auth au;
  sipspec_span nonce;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_auth(gm, SIPSPEC_H_AUTHORIZATION, 0, &au), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_auth_param(&au, "nonce", &nonce), SIPSPEC_OK);
  CU_ASSERT_TRUE(span_is(nonce, "\"n1\""));
  CU_ASSERT_TRUE(sipspec_msg_find(gm, "X-User", 0) >= 0);
  sipspec_media_type mt;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_content_type(gm, &mt), SIPSPEC_OK);
  CU_ASSERT_TRUE(span_is(mt.subtype, "sdp"));
  CU_ASSERT_EQUAL(sipspec_msg_content_length(gm), 5);
  CU_ASSERT_TRUE(span_is(sipspec_msg_body(gm), "v=0\r\n"));
  /* RFC 3261 7.3.1: what proxies read first (Via, Max-Forwards, Route), then the rest. */
  const char *via = strstr(buf, "\r\nVia:"), *mf = strstr(buf, "\r\nMax-Forwards:"), *rt = strstr(buf, "\r\nRoute:"),
             *from = strstr(buf, "\r\nFrom:"), *cseq = strstr(buf, "\r\nCSeq:"), *ct = strstr(buf, "\r\nContact:"),
             *ctype = strstr(buf, "\r\nContent-Type:"), *cl = strstr(buf, "\r\nContent-Length:");
  CU_ASSERT_TRUE(via && mf && rt && from && cseq && ct && ctype && cl);
  CU_ASSERT_TRUE(via < mf && mf < rt && rt < from && from < cseq && cseq < ct && ct < ctype && ctype < cl);
}

/* Display names: '"' and '\' become quoted-pairs, everything else is kept (UTF-8 too). */
void test_fields_display_escaping(void) {
  char buf[512];
  sipspec_build b;
  sipspec_addr_fields a = {S("Q \"x\" \\y\\ \xc3\xa9t\xc3\xa9"), S("sip:q@example.com"), S("t1"), {NULL, 0}};
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL_FATAL(sipspec_build_addr(&b, SIPSPEC_H_FROM, &a), SIPSPEC_OK);
  buf[b.len] = '\0';
  CU_ASSERT_STRING_EQUAL(buf, "From: \"Q \\\"x\\\" \\\\y\\\\ \xc3\xa9t\xc3\xa9\" <sip:q@example.com>;tag=t1\r\n");
  /* no display name: the name-addr form still, so the URI's parameters stay the URI's */
  sipspec_addr_fields r = {{NULL, 0}, S("sip:proxy.example.com;lr"), {NULL, 0}, {NULL, 0}};
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL_FATAL(sipspec_build_addr(&b, SIPSPEC_H_ROUTE, &r), SIPSPEC_OK);
  buf[b.len] = '\0';
  CU_ASSERT_STRING_EQUAL(buf, "Route: <sip:proxy.example.com;lr>\r\n");
  /* a CR or LF in a display name cannot be quoted: refused */
  a.display = S("Eve\r\nX-Injected: 1");
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL(sipspec_build_addr(&b, SIPSPEC_H_FROM, &a), SIPSPEC_E_BUILD_CRLF);
  CU_ASSERT_STRING_EQUAL(b.what, "From display name");
  CU_ASSERT_EQUAL(b.len, 0);
}

/* One refusal: a fresh builder, f changed by the caller; the code, `what`, nothing written
 * past the start line, and the error sticky. */
static void refused(const sipspec_request_fields *f, int code, const char *what) {
  char buf[4096];
  sipspec_build b;
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL(sipspec_build_request(&b, f), code);
  if (strcmp(b.what, what)) fprintf(stderr, "what: got \"%s\", want \"%s\"\n", b.what, what);
  CU_ASSERT_STRING_EQUAL(b.what, what);
  size_t len = b.len;
  CU_ASSERT_EQUAL(sipspec_build_header(&b, S("X-After"), S("1")), code); /* sticky */
  CU_ASSERT_EQUAL(sipspec_build_finish(&b, S("")), code);
  CU_ASSERT_EQUAL(b.len, len);
}

void test_fields_refusals(void) {
  sipspec_request_fields f;
  f = full(), f.method = S("IN VITE");
  refused(&f, SIPSPEC_E_BUILD_TOKEN, "method: not a token");
  f = full(), f.method = (sipspec_span){NULL, 0};
  refused(&f, SIPSPEC_E_BUILD_FIELD, "method: missing");
  f = full(), f.request_uri = S("sip:bob@biloxi.example.com\r\nX: y");
  refused(&f, SIPSPEC_E_BUILD_CRLF, "Request-URI");
  f = full(), f.request_uri = S("sip:bob smith@example.com");
  refused(&f, SIPSPEC_E_BUILD_URI, "Request-URI: not a URI");
  f = full(), f.request_uri = S("not a uri");
  refused(&f, SIPSPEC_E_BUILD_URI, "Request-URI: not a URI");
  f = full(), f.via.branch = S("z9hG4bK;x=1");
  refused(&f, SIPSPEC_E_BUILD_TOKEN, "Via branch: not a token");
  f = full(), f.via.branch = (sipspec_span){NULL, 0};
  refused(&f, SIPSPEC_E_BUILD_FIELD, "Via branch: missing");
  f = full(), f.via.transport = S("U/DP");
  refused(&f, SIPSPEC_E_BUILD_TOKEN, "Via transport: not a token");
  f = full(), f.via.host = S("bad host");
  refused(&f, SIPSPEC_E_BUILD_VALUE, "Via value: via-parm");
  f = full(), f.via.port = 70000;
  refused(&f, SIPSPEC_E_BUILD_FIELD, "Via port: out of range");
  f = full(), f.max_forwards = 300;
  refused(&f, SIPSPEC_E_BUILD_FIELD, "Max-Forwards: out of range");
  f = full(), f.from.tag = S("a b");
  refused(&f, SIPSPEC_E_BUILD_TOKEN, "From tag: not a token");
  f = full(), f.from.tag = S("a\r\nX-Injected: 1");
  refused(&f, SIPSPEC_E_BUILD_CRLF, "From tag");
  f = full(), f.to.uri = S("<sip:bob@example.com>");
  refused(&f, SIPSPEC_E_BUILD_URI, "To URI: not a URI");
  /* a URI that would close the brackets and hide the tag in a quoted parameter */
  f = full(), f.from.uri = S("sip:a@b>;p=\""), f.from.params = S("\";q=1");
  refused(&f, SIPSPEC_E_BUILD_URI, "From URI: not a URI");
  f = full(), f.to.params = S(";a=b c");
  refused(&f, SIPSPEC_E_BUILD_VALUE, "To value: To");
  f = full(), f.call_id = S("a b");
  refused(&f, SIPSPEC_E_BUILD_VALUE, "Call-ID value: callid");
  f = full(), f.call_id = (sipspec_span){NULL, 0};
  refused(&f, SIPSPEC_E_BUILD_FIELD, "Call-ID: missing");
  f = full(), f.cseq = 0;
  refused(&f, SIPSPEC_E_BUILD_FIELD, "CSeq: 0");
  sipspec_addr_fields bad_contact = contact;
  bad_contact.uri = S("sip:alice@[::1");
  f = full(), f.contact = &bad_contact;
  refused(&f, SIPSPEC_E_BUILD_URI, "Contact URI: not a URI");
  sipspec_span bad_routes[] = {{"sip:p1.example.com;lr", 21}, {"sip:p2 example.com", 18}};
  f = full(), f.routes = bad_routes;
  refused(&f, SIPSPEC_E_BUILD_URI, "Route URI: not a URI");
  sipspec_ext_header h[] = {{{"X-Evil", 6}, {"a\r\nVia: SIP/2.0/UDP evil", 24}}};
  f = full(), f.headers = h, f.n_headers = 1;
  refused(&f, SIPSPEC_E_BUILD_CRLF, "X-Evil value");
  h[0] = (sipspec_ext_header){{"X Evil", 6}, {"a", 1}};
  refused(&f, SIPSPEC_E_BUILD_TOKEN, "header name \"X Evil\"");
  h[0] = (sipspec_ext_header){{"Max-Forwards", 12}, {"ten", 3}};
  refused(&f, SIPSPEC_E_BUILD_VALUE, "Max-Forwards value: Max-Forwards");
  h[0] = (sipspec_ext_header){{"Content-Length", 14}, {"0", 1}};
  refused(&f, SIPSPEC_E_BUILD_FIELD, "Content-Length: written from the body");
  h[0] = (sipspec_ext_header){{"Require", 7}, {"a b", 3}};
  refused(&f, SIPSPEC_E_BUILD_VALUE, "Require value: token");
  h[0] = (sipspec_ext_header){{"Authorization", 13}, {"=Digest x", 9}};
  refused(&f, SIPSPEC_E_BUILD_VALUE, "Authorization value: credentials");
  f = full(), f.extra_lines = S("X-User: ok\r\nbroken line\r\n");
  refused(&f, SIPSPEC_E_BUILD_TOKEN, "header line \"broken line\": no colon");
  f = full(), f.extra_lines = S("X-User: ok\r\n\r\nINVITE sip:x SIP/2.0\r\n");
  refused(&f, SIPSPEC_E_BUILD_CRLF, "header line: an empty line");
  f = full(), f.extra_lines = S("X-User: no end");
  refused(&f, SIPSPEC_E_BUILD_FIELD, "header line: no CRLF at its end");
  f = full(), f.content_type = (sipspec_span){NULL, 0};
  refused(&f, SIPSPEC_E_BUILD_FIELD, "Content-Type: missing with a body");
  f = full(), f.content_type = S("sdp");
  refused(&f, SIPSPEC_E_BUILD_VALUE, "Content-Type value: media-type");
}

/* The single writers, a full buffer, and a measuring builder. */
void test_fields_writers(void) {
  char buf[512];
  sipspec_build b;
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL(sipspec_build_cseq(&b, 7, S("OPTIONS")), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_build_call_id(&b, S("x@y")), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_build_max_forwards(&b, 0), SIPSPEC_OK);
  sipspec_span rr[] = {{"sip:a.example.com;lr", 20}};
  CU_ASSERT_EQUAL(sipspec_build_route_set(&b, SIPSPEC_H_RECORD_ROUTE, rr, 1), SIPSPEC_OK);
  sipspec_via_fields v = {S("TLS"), S("[2001:db8::1]"), 0, S("z9hG4bKx"), 0, {NULL, 0}};
  CU_ASSERT_EQUAL(sipspec_build_via(&b, &v), SIPSPEC_OK);
  CU_ASSERT_EQUAL(sipspec_build_body(&b, S("text/plain"), S("hi")), SIPSPEC_OK);
  buf[b.len] = '\0';
  CU_ASSERT_STRING_EQUAL(buf, "CSeq: 7 OPTIONS\r\nCall-ID: x@y\r\nMax-Forwards: 0\r\nRecord-Route: <sip:a.example.com;lr>\r\n"
                              "Via: SIP/2.0/TLS [2001:db8::1];branch=z9hG4bKx\r\nContent-Type: text/plain\r\n"
                              "Content-Length: 2\r\n\r\nhi");
  /* the wrong header for an address, a bad CSeq method */
  sipspec_build_init(&b, buf, sizeof buf);
  sipspec_addr_fields a = {{NULL, 0}, S("sip:a@b"), {NULL, 0}, {NULL, 0}};
  CU_ASSERT_EQUAL(sipspec_build_addr(&b, SIPSPEC_H_CALL_ID, &a), SIPSPEC_E_INVAL);
  sipspec_build_init(&b, buf, sizeof buf);
  CU_ASSERT_EQUAL(sipspec_build_cseq(&b, 1, S("A:B")), SIPSPEC_E_BUILD_TOKEN);
  CU_ASSERT_STRING_EQUAL(b.what, "CSeq method: not a token");
  /* a full buffer: NOSPACE, sticky, named */
  sipspec_request_fields f = full();
  char small[64];
  sipspec_build_init(&b, small, sizeof small);
  CU_ASSERT_EQUAL(sipspec_build_request(&b, &f), SIPSPEC_E_MSG_NOSPACE);
  CU_ASSERT_STRING_EQUAL(b.what, "message size");
  CU_ASSERT_TRUE(b.len <= sizeof small);
  /* measuring writes nothing, counts exactly and checks nothing (the written one does) */
  sipspec_build_init_measure(&b);
  CU_ASSERT_EQUAL(sipspec_build_request(&b, &f), SIPSPEC_OK);
  CU_ASSERT_PTR_NULL(b.buf);
  char big[4096];
  sipspec_build c;
  sipspec_build_init(&c, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_request(&c, &f), SIPSPEC_OK);
  CU_ASSERT_EQUAL(b.len, c.len);
  f.from.tag = S("a b");
  CU_ASSERT_EQUAL(sipspec_request_fields_size(&f), c.len - 10 + 3);
  f = full();
  /* the upper bound the transaction layer allocates holds the request, worst cases too:
   * every display character escaped, the shortest extra lines, the largest numbers */
  CU_ASSERT_TRUE(sipspec_request_fields_cap(&f) >= c.len);
  char quotes[200];
  memset(quotes, '"', sizeof quotes - 1);
  quotes[sizeof quotes - 1] = '\0';
  f.from.display = f.to.display = S(quotes);
  f.extra_lines = S("g:\r\nh:\r\nq:\r\nw:\r\n"); /* no compact names */
  f.cseq = 4294967295u;
  f.max_forwards = 255;
  f.via.port = 65535;
  sipspec_build_init(&c, big, sizeof big);
  if (sipspec_build_request(&c, &f)) fprintf(stderr, "worst case refused: %s\n", c.what);
  CU_ASSERT_EQUAL_FATAL(c.err, SIPSPEC_OK);
  CU_ASSERT_TRUE(sipspec_request_fields_cap(&f) >= c.len);
  f = full();
  /* a long value (past the 512-byte scratch) is checked and written whole */
  char longv[3000];
  memset(longv, 'a', sizeof longv - 1);
  longv[sizeof longv - 1] = '\0';
  sipspec_build_init(&c, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_header(&c, S("X-Long"), S(longv)), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.len, 8 + strlen(longv) + 2);
  longv[2000] = '\n';
  sipspec_build_init(&c, big, sizeof big);
  CU_ASSERT_EQUAL(sipspec_build_header(&c, S("X-Long"), S(longv)), SIPSPEC_E_BUILD_CRLF);
}

/* One writer's output alone, in a fresh builder: its error, and the bytes in out. */
#define ONE(call)                      \
  (sipspec_build_init(&b, out, sizeof out), (void)(call), out[b.err ? 0 : b.len] = '\0', b.err)

/* The typed writers of numbers, Session-Expires (RFC 4028 4), Reason (RFC 3326 2) and
 * Warning (RFC 3261 20.43): exact bytes, what they refuse, and a response carrying all of
 * them read back by the parser. */
void test_fields_values(void) {
  char out[512];
  sipspec_build b;
  CU_ASSERT_EQUAL(ONE(sipspec_build_uint(&b, S("Retry-After"), 5)), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Retry-After: 5\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_uint(&b, S("Min-SE"), 4294967295u)), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Min-SE: 4294967295\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_uint(&b, S("Content-Length"), 3)), SIPSPEC_E_BUILD_FIELD);
  CU_ASSERT_EQUAL(ONE(sipspec_build_uint(&b, S("Min SE"), 3)), SIPSPEC_E_BUILD_TOKEN);
  CU_ASSERT_EQUAL(ONE(sipspec_build_uint(&b, S("CSeq"), 3)), SIPSPEC_E_BUILD_VALUE); /* 20.16 needs a method */
  CU_ASSERT_EQUAL(ONE(sipspec_build_session_expires(&b, 180, 'c')), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Session-Expires: 180;refresher=uac\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_session_expires(&b, 90, 's')), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Session-Expires: 90;refresher=uas\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_session_expires(&b, 1800, 0)), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Session-Expires: 1800\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_session_expires(&b, 0, 'c')), SIPSPEC_E_BUILD_FIELD);
  CU_ASSERT_EQUAL(ONE(sipspec_build_session_expires(&b, 180, 'x')), SIPSPEC_E_BUILD_FIELD);
  CU_ASSERT_STRING_EQUAL(b.what, "Session-Expires refresher: not uac or uas");
  CU_ASSERT_EQUAL(ONE(sipspec_build_reason(&b, S("SIP"), 408, S("Session timer expired"))), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Reason: SIP;cause=408;text=\"Session timer expired\"\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_reason(&b, S("Q.850"), 16, S(""))), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Reason: Q.850;cause=16\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_reason(&b, S("SIP"), 480, S("say \"hi\" \\ bye"))), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Reason: SIP;cause=480;text=\"say \\\"hi\\\" \\\\ bye\"\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_reason(&b, S("S P"), 1, S(""))), SIPSPEC_E_BUILD_TOKEN);
  CU_ASSERT_STRING_EQUAL(b.what, "Reason protocol: not a token");
  CU_ASSERT_EQUAL(ONE(sipspec_build_reason(&b, S("SIP"), 1, S("a\r\nX: y"))), SIPSPEC_E_BUILD_CRLF);
  CU_ASSERT_EQUAL(ONE(sipspec_build_reason(&b, S("SIP"), 1, S("bell \a"))), SIPSPEC_E_BUILD_VALUE); /* not qdtext */
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 399, S("[::1]"), S("a \"q\""))), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Warning: 399 [::1] \"a \\\"q\\\"\"\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 307, S("192.0.2.1:5060"), S("m"))), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "Warning: 307 192.0.2.1:5060 \"m\"\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 399, S("sipspec"), S(""))), SIPSPEC_OK); /* a pseudonym */
  CU_ASSERT_STRING_EQUAL(out, "Warning: 399 sipspec \"\"\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 200, S("h"), S("t"))), SIPSPEC_E_BUILD_FIELD);
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 399, S("a b"), S("t"))), SIPSPEC_E_BUILD_TOKEN);
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 399, S("sip:h"), S("t"))), SIPSPEC_E_BUILD_TOKEN);
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 399, S("h"), S("t\n"))), SIPSPEC_E_BUILD_CRLF);
  CU_ASSERT_EQUAL(ONE(sipspec_build_warning(&b, 399, S(""), S("t"))), SIPSPEC_E_BUILD_FIELD);

  /* the per-thread memo of values found good: the same value again gives the same bytes; it
   * is kept per header, so the bytes good under one rule are still checked under another,
   * and a value refused once is refused again */
  CU_ASSERT_EQUAL(ONE(sipspec_build_header(&b, S("X-A"), S("<sip:a.example.com>"))), SIPSPEC_OK);
  CU_ASSERT_EQUAL(ONE(sipspec_build_header(&b, S("X-A"), S("<sip:a.example.com>"))), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(out, "X-A: <sip:a.example.com>\r\n");
  CU_ASSERT_EQUAL(ONE(sipspec_build_header(&b, S("CSeq"), S("<sip:a.example.com>"))), SIPSPEC_E_BUILD_VALUE);
  CU_ASSERT_EQUAL(ONE(sipspec_build_header(&b, S("CSeq"), S("<sip:a.example.com>"))), SIPSPEC_E_BUILD_VALUE);
  CU_ASSERT_EQUAL(ONE(sipspec_build_header(&b, S("Contact"), S("<sip:a.example.com>"))), SIPSPEC_OK);

  /* a 200 with all of them, parsed back */
  char msg[1024];
  sipspec_build_init(&b, msg, sizeof msg);
  sipspec_build_status_line(&b, 200, S("OK"));
  sipspec_build_header(&b, S("Via"), S("SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKv1"));
  sipspec_addr_fields from = {{NULL, 0}, S("sip:a@192.0.2.9"), S("f1"), {NULL, 0}};
  sipspec_addr_fields to = {{NULL, 0}, S("sip:b@192.0.2.1"), S("t1"), {NULL, 0}};
  sipspec_build_addr(&b, SIPSPEC_H_FROM, &from);
  sipspec_build_addr(&b, SIPSPEC_H_TO, &to);
  sipspec_build_call_id(&b, S("c1@192.0.2.9"));
  sipspec_build_cseq(&b, 7, S("UPDATE"));
  sipspec_build_header(&b, S("Require"), S("timer"));
  sipspec_build_session_expires(&b, 180, 's');
  sipspec_build_uint(&b, S("Min-SE"), 90);
  sipspec_build_uint(&b, S("Retry-After"), 3);
  sipspec_build_reason(&b, S("SIP"), 408, S("Session \"timer\" expired"));
  sipspec_build_warning(&b, 399, S("[::1]"), S("x"));
  CU_ASSERT_EQUAL_FATAL(sipspec_build_finish(&b, (sipspec_span){NULL, 0}), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_parse(gm, msg, b.len), SIPSPEC_OK);
  int r = 0;
  CU_ASSERT_EQUAL(sipspec_msg_session_expires(gm, &r), 180);
  CU_ASSERT_EQUAL(r, 's');
  CU_ASSERT_EQUAL(sipspec_msg_min_se(gm), 90);
  CU_ASSERT_EQUAL(sipspec_msg_has_token(gm, SIPSPEC_H_REQUIRE, "timer"), 1);
  sipspec_span v, text;
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value_count(gm, SIPSPEC_H_REASON), 1);
  CU_ASSERT_EQUAL_FATAL(sipspec_msg_value(gm, SIPSPEC_H_REASON, 0, &v), SIPSPEC_OK);
  const char *semi = memchr(v.p, ';', v.len); /* reason-params after the protocol */
  CU_ASSERT_PTR_NOT_NULL_FATAL(semi);
  CU_ASSERT_TRUE(v.len >= 3 && !memcmp(v.p, "SIP", 3));
  sipspec_span params = {semi, v.len - (size_t)(semi - v.p)}, cause;
  CU_ASSERT_EQUAL_FATAL(sipspec_param(params, "cause", &cause), SIPSPEC_OK);
  CU_ASSERT_TRUE(span_is(cause, "408"));
  CU_ASSERT_EQUAL_FATAL(sipspec_param(params, "text", &text), SIPSPEC_OK);
  unquoted_is(text, "Session \"timer\" expired");
  CU_ASSERT_TRUE(sipspec_msg_find(gm, "Warning", 0) >= 0);
  CU_ASSERT_TRUE(sipspec_msg_find(gm, "Retry-After", 0) >= 0);
}
