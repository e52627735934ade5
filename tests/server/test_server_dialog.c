/* test_server_dialog.c: the embedded server's dialogs, which are the dialog layer's
 * (session/dialog.h, chart spec/dialog.rl), against the scripted client of server_env.h,
 * over the transport named by argv[1] ("udp" or "tcp"):
 *   - a BYE in the early dialog gets 200 and the pending INVITE 487 (RFC 3261 15.1.1, 15.2);
 *   - an INVITE without Contact forms no dialog: 400 naming why (8.1.1.8, 12.1.1);
 *   - the server's BYE, compared whole, goes where 12.2.1.1 / 8.1.2 say: to the Contact
 *     (over the transport its parameter names), to the first Record-Route (loose and
 *     strict routing), to a name resolved from a hosts file, and back over the INVITE's
 *     flow for a client behind a NAT or a name that does not resolve (sipspec/server.h);
 *   - the 180 and 2xx carry the INVITE's Record-Route lines, exact and in order (12.1.1);
 *   - the phases of a call (spec/uas_call.rl) a shutdown or a request can meet: a shutdown
 *     before the ACK waits for it, then BYE (15); one while ringing answers 503; an
 *     in-dialog request while ringing gets 500 with Retry-After (14.2); a BYE before the ACK
 *     ends a call that was never established (15.1.2).
 * The server's own BYEs in the other cases (bye_after_ms, 64*T1 without ACK, shutdown)
 * are compared whole in test_server.c. The timers are the RFC's on a virtual clock
 * (server_env.h); every wait is bounded (in virtual seconds).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "netutil.h"
#include "server_env.h"

/* RFC 3261 15.1.1 / 15.2: a BYE in the early dialog (after the 180, before the final
 * response) gets 200, the INVITE 487, and the dialog ends; no 200 for the INVITE follows. */
static void early_bye_487(void) {
  env e;
  env_open_ringing(&e, 5000);
  call c;
  call_init(&c, "earlybye");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *ring = expect_msg(&e.p, "SIP/2.0 180", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ring, c.to_tag, sizeof c.to_tag));
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 1);
  unsigned invite_cseq = c.cseq;
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  /* two transactions: either response may come first */
  int from = e.p.cursor;
  const char *r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nCSeq: 2 BYE\r\n"));
  e.p.cursor = from;
  r = expect_msg(&e.p, "SIP/2.0 487", 2.0);
  char want[64];
  snprintf(want, sizeof want, "\r\nCSeq: %u INVITE\r\n", invite_cseq);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, want));
  c.cseq = invite_cseq;
  send_ack_failure(&e, &c, r);
  tst_run_for(e.loop, 10.0); /* past the ring interval (5 s), when a 200 would have come */
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 1); /* the BYE's only */
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 487"), 1);
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.byes_received, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(s.established, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 200);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 1);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  /* the dialog is gone: another BYE names none */
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, 3);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  env_close(&e);
}

/* An INVITE without Contact cannot form a dialog (RFC 3261 8.1.1.8, 12.1.1): 400 naming why. */
static void invite_without_contact_400(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "nocontact");
  c.contact = "";
  char offer[4096], h[512];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *r = expect_msg(&e.p, "SIP/2.0 400", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg_header(r, "Warning", h, sizeof h), "no dialog can be formed from this INVITE"));
  CU_ASSERT_PTR_NOT_NULL(strstr(h, "Contact"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(env_stats(&e).refused, 1);
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 0);
  env_close(&e);
}

/* 12.2.1.1 / 8.1.2: without a route set the BYE goes to the remote target, the Contact of
 * the INVITE (here another socket, over UDP as its transport parameter says, whatever the
 * INVITE came over), not to where the INVITE came from. */
static void bye_to_contact(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 2000;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  peer q;
  open_udp_peer(&e, &q);
  char ct[256];
  call c;
  call_init(&c, "tocontact");
  c.contact = peer_contact(&q, ct, sizeof ct);
  const char *bye = bye_of(&e, &c, &q);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &c, bye, ct, "UDP", 1, "");
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
  /* the answer comes from the socket the BYE reached */
  peer saved = e.p;
  e.p = q;
  answer_server_bye(&e, bye, 200);
  q = e.p;
  e.p = saved;
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  CU_ASSERT_EQUAL(env_stats(&e).byes_sent, 1);
  peer_close(&q);
  env_close(&e);
}

/* 12.1.1 / 12.2.1.1: the route set is the INVITE's Record-Route as received; the BYE carries
 * it as Route headers, keeps the remote target as Request-URI (loose routing) and goes to
 * the first route (the proxy socket, UDP: no transport parameter). With a strict first
 * route (no lr) the Request-URI is that route and the remote target the last Route. */
static void bye_route_set(void) {
  for (int strict = 0; strict < 2; strict++) {
    env e;
    sipspec_server_opts o;
    opts_default(&o);
    o.bye_after_ms = 2000;
    CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
    peer proxy;
    open_udp_peer(&e, &proxy);
    char first[128], rr[512], routes[512], ct[256];
    snprintf(first, sizeof first, "sip:127.0.0.1:%u%s", sipspec_sockaddr_port(&proxy.local), strict ? "" : ";lr");
    snprintf(rr, sizeof rr, "Record-Route: <%s>, <sip:edge.example.net;lr>\r\n", first);
    call c;
    call_init(&c, strict ? "strict" : "loose");
    char offer[4096];
    size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
    send_invite(&e, &c, offer, len, rr);
    const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
    send_ack_2xx(&e, &c);
    const char *bye = expect_msg(&proxy, "BYE ", 10.0);
    CU_ASSERT_EQUAL(env_at(&e, &proxy, bye), e.event_ms[SIPSPEC_SERVER_ESTABLISHED] + 2000); /* bye_after_ms */
    peer_contact(&e.p, ct, sizeof ct);
    if (strict)
      snprintf(routes, sizeof routes, "Route: <sip:edge.example.net;lr>\r\nRoute: <%s>\r\n", ct);
    else
      snprintf(routes, sizeof routes, "Route: <%s>\r\nRoute: <sip:edge.example.net;lr>\r\n", first);
    expect_bye(&e, &c, bye, strict ? first : ct, "UDP", 1, routes);
    CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
    peer_close(&proxy);
    env_close(&e);
  }
}

/* The "Record-Route: ..." lines of message msg, in order, into out ("" when none). */
static const char *record_route_lines(const char *msg, char *out, size_t cap) {
  size_t n = 0;
  out[0] = '\0';
  const char *end = strstr(msg, "\r\n\r\n");
  for (const char *p = strstr(msg, "\r\n"); p && end && p < end; p = strstr(p + 2, "\r\n")) {
    if (strncmp(p + 2, "Record-Route:", 13)) continue;
    size_t len = (size_t)(strstr(p + 2, "\r\n") - (p + 2)) + 2;
    if (n + len >= cap) break;
    memcpy(out + n, p + 2, len);
    n += len;
    out[n] = '\0';
  }
  return out;
}

/* RFC 3261 12.1.1: the responses that form or confirm the dialog (the 180 with our To tag,
 * the 2xx and its retransmissions) carry every Record-Route value of the INVITE, exact
 * (URI parameters, header parameters known or not), one line each, in their order; the 2xx to a
 * re-INVITE carries the re-INVITE's own (20.30, 16.6 step 4) and the dialog's route set
 * stays what the INVITE made it (12.2): the server's BYE goes to the first route of the
 * INVITE's Record-Route with all three as Route headers. */
static void record_route_copied(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.ring_count = 1;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  peer proxy;
  open_udp_peer(&e, &proxy);
  char first[128], rr[512], want[512], rr2[256], got[1024], routes[512];
  snprintf(first, sizeof first, "sip:127.0.0.1:%u;lr;ftag=a1b2", sipspec_sockaddr_port(&proxy.local));
  snprintf(rr, sizeof rr,
           "Record-Route: <%s>;x-hdr=1\r\n"
           "Record-Route: <sip:edge.example.net;lr;x-unknown=yes>,  <sip:core.example.net;transport=tcp;lr>\r\n",
           first);
  /* written from the parsed values, one line each (7.3.1: the same list as the comma form) */
  snprintf(want, sizeof want,
           "Record-Route: <%s>;x-hdr=1\r\n"
           "Record-Route: <sip:edge.example.net;lr;x-unknown=yes>\r\n"
           "Record-Route: <sip:core.example.net;transport=tcp;lr>\r\n",
           first);
  call c;
  call_init(&c, "rr-copy");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, rr);
  const char *ring = expect_msg(&e.p, "SIP/2.0 180", 2.0);
  CU_ASSERT_STRING_EQUAL(record_route_lines(ring, got, sizeof got), want);
  const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_STRING_EQUAL(record_route_lines(ok, got, sizeof got), want);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
  if (g_kind == SIPSPEC_TP_UDP) { /* the 2xx sent again before the ACK (13.3.1.4): the same lines */
    uint64_t first_at = env_at(&e, &e.p, ok);
    ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
    CU_ASSERT_EQUAL(env_at(&e, &e.p, ok) - first_at, T1_MS);
    CU_ASSERT_STRING_EQUAL(record_route_lines(ok, got, sizeof got), want);
  }
  send_ack_2xx(&e, &c);
  tst_run_for(e.loop, 0.05);
  CU_ASSERT_EQUAL(env_stats(&e).established, 1);

  /* a re-INVITE a proxy record-routed again: its 2xx mirrors that line only */
  snprintf(rr2, sizeof rr2, "Record-Route: <sip:mid.example.net;lr>;x-reinvite\r\n");
  e.p.cursor = e.p.n;
  send_invite(&e, &c, offer, len, rr2);
  ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "INVITE\r\n"));
  CU_ASSERT_STRING_EQUAL(record_route_lines(ok, got, sizeof got), rr2);
  send_ack_2xx(&e, &c);
  tst_run_for(e.loop, 0.05);

  /* an in-dialog OPTIONS forms nothing: its 200 carries no Record-Route */
  e.p.cursor = e.p.n;
  send_req(&e, &c, "OPTIONS", NULL, 0, rr2, NULL, ++c.cseq);
  ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_STRING_EQUAL(record_route_lines(ok, got, sizeof got), "");

  /* the route set is the INVITE's: the BYE goes to the first route, all three as Route */
  sipspec_server_shutdown(e.srv);
  const char *bye = expect_msg(&proxy, "BYE ", 3.0);
  char ct[256];
  peer_contact(&e.p, ct, sizeof ct);
  snprintf(routes, sizeof routes,
           "Route: <%s>\r\nRoute: <sip:edge.example.net;lr;x-unknown=yes>\r\n"
           "Route: <sip:core.example.net;transport=tcp;lr>\r\n",
           first);
  expect_bye(&e, &c, bye, ct, "UDP", 1, routes);
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
  peer saved = e.p;
  e.p = proxy;
  answer_server_bye(&e, bye, 200);
  proxy = e.p;
  e.p = saved;
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  peer_close(&proxy);
  env_close(&e);
}

/* A client behind a NAT: its Via and Contact name 192.0.2.7:5070 (TEST-NET, unreachable)
 * while the INVITE came from the test's socket. The BYE keeps the Contact as Request-URI
 * but goes back over the INVITE's flow (RFC 3581, RFC 5626-style; see sipspec/server.h). */
static void bye_nat_flow(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 2000;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "nat");
  const char *target = g_kind == SIPSPEC_TP_TCP ? "sip:client@192.0.2.7:5070;transport=tcp" : "sip:client@192.0.2.7:5070";
  c.contact = target;
  c.via_sent_by = "192.0.2.7:5070";
  const char *bye = bye_of(&e, &c, &e.p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &c, bye, target, g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  env_close(&e);
}

/* A name in the Contact goes through the resolver (hosts_path); a name it does not know
 * leaves the flow of the INVITE as the fallback. */
static void bye_contact_name(void) {
  char path[] = "/tmp/sipspec-server-hosts-XXXXXX";
  int fd = mkstemp(path);
  CU_ASSERT_FATAL(fd >= 0);
  const char *line = "127.0.0.1 client.example.test\n";
  CU_ASSERT_EQUAL_FATAL(write(fd, line, strlen(line)), (ssize_t)strlen(line));
  close(fd);
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 2000;
  o.hosts_path = path;
  strcpy(o.cfg.dns_servers, "none"); /* names come from this hosts file only */
  int rc = env_open(&e, &o);
  unlink(path);
  CU_ASSERT_EQUAL_FATAL(rc, 0);
  peer q;
  open_udp_peer(&e, &q);
  char ct[256];
  snprintf(ct, sizeof ct, "sip:client@client.example.test:%u;transport=udp", sipspec_sockaddr_port(&q.local));
  call c;
  call_init(&c, "named");
  c.contact = ct;
  const char *bye = bye_of(&e, &c, &q);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &c, bye, ct, "UDP", 1, "");
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);

  call d;
  call_init(&d, "unknown-name");
  d.contact = "sip:client@nowhere.example.test;transport=udp";
  bye = bye_of(&e, &d, &e.p);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye);
  expect_bye(&e, &d, bye, d.contact, g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  peer_close(&q);
  env_close(&e);
}

/* ---- the phases of a call (spec/uas_call.rl) ---------------------------------------------- */

/* RFC 3261 15: "the callee's UA MUST NOT send a BYE on a confirmed dialog until it has
 * received an ACK for its 2xx response": a shutdown between the 2xx and its ACK waits for
 * the ACK, then sends the BYE. */
static void shutdown_waits_for_the_ack(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "shutack");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
  sipspec_server_shutdown(e.srv);
  tst_run_for(e.loop, 20.0); /* well within 64*T1 (32 s) */
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 503"), 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 0);
  send_ack_2xx(&e, &c);
  const char *bye = expect_msg(&e.p, "BYE ", 2.0);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, bye), e.event_ms[SIPSPEC_SERVER_ESTABLISHED]); /* as soon as the ACK came */
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 1);
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.established, 1);
  CU_ASSERT_EQUAL(s.byes_sent, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 0);
  env_close(&e);
}

/* A shutdown while the INVITE rings: 503 with Retry-After (RFC 3261 21.5.4), which ends the
 * early dialog; no BYE (15: the callee MUST NOT send one on an early dialog). */
static void shutdown_while_ringing_503(void) {
  env e;
  env_open_ringing(&e, 5000);
  call c;
  call_init(&c, "shutring");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *ring = expect_msg(&e.p, "SIP/2.0 180", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ring, c.to_tag, sizeof c.to_tag));
  sipspec_server_shutdown(e.srv);
  const char *r = expect_msg(&e.p, "SIP/2.0 503", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nRetry-After: 5\r\n"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 0);
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.refused, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_REFUSED], 503);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 503);
  env_close(&e);
}

/* RFC 3261 14.2: a request inside the early dialog while our final response to the INVITE
 * is pending gets 500 with a Retry-After; the INVITE goes on ringing. */
static void request_while_ringing_500(void) {
  env e;
  env_open_ringing(&e, 5000);
  call c;
  call_init(&c, "optring");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *ring = expect_msg(&e.p, "SIP/2.0 180", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ring, c.to_tag, sizeof c.to_tag));
  unsigned invite_cseq = c.cseq;
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, ++c.cseq);
  const char *r = expect_msg(&e.p, "SIP/2.0 500", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, "\r\nRetry-After: 1\r\n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " OPTIONS\r\n"));
  tst_run_for(e.loop, 0.05);
  CU_ASSERT_FALSE(sipspec_server_idle(e.srv)); /* still ringing */
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 1);
  /* the caller gives up with a BYE in the early dialog: 200, and the INVITE 487 */
  int from = e.p.cursor;
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " BYE\r\n"));
  e.p.cursor = from;
  r = expect_msg(&e.p, "SIP/2.0 487", 2.0);
  c.cseq = invite_cseq;
  send_ack_failure(&e, &c, r);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(env_stats(&e).ended, 1);
  env_close(&e);
}

/* RFC 3261 15.1.2: a BYE after our 2xx but before its ACK is answered 200 and ends the call,
 * which was never established (counted as failed); the 2xx is not sent again. */
static void bye_before_the_ack(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "byenoack");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  const char *r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  for (int i = 0; i < 200 && !strstr(r, " BYE\r\n"); i++) r = expect_msg(&e.p, "SIP/2.0 200", 2.0); /* 2xx copies first */
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " BYE\r\n"));
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  int copies = peer_count(&e.p, "SIP/2.0 200");
  tst_run_for(e.loop, 2.0 * T2_MS / 1000); /* 2 * T2: a running retransmission would show */
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), copies);
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.established, 0);
  CU_ASSERT_EQUAL(s.byes_received, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 0);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 1);
  env_close(&e);
}

int main(int argc, char **argv) {
  static const env_test tests[] = {
      {"early_bye_487", early_bye_487},
      {"invite_without_contact_400", invite_without_contact_400},
      {"bye_to_contact", bye_to_contact},
      {"bye_route_set", bye_route_set},
      {"record_route_copied", record_route_copied},
      {"bye_nat_flow", bye_nat_flow},
      {"bye_contact_name", bye_contact_name},
      {"shutdown_waits_for_the_ack", shutdown_waits_for_the_ack},
      {"shutdown_while_ringing_503", shutdown_while_ringing_503},
      {"request_while_ringing_500", request_while_ringing_500},
      {"bye_before_the_ack", bye_before_the_ack},
  };
  return env_run_suite(argc, argv, "server_dialog", tests, sizeof tests / sizeof tests[0]);
}
