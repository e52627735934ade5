/* test_server.c: the embedded MRCP server (sipspec/server.h) against a scripted client on
 * 127.0.0.1, over the transport named by argv[1] ("udp" or "tcp"). The client is a raw
 * socket in this process (server_peer.c); it writes its own requests and asserts the
 * server's exact responses: ringing, the SDP answer (a=channel per resource), 488 with a
 * Warning, 415, 481, 405, OPTIONS, CANCEL/487, re-INVITE adding and removing a resource,
 * the 2xx sent again until the ACK and the BYE after 64*T1 without one, bye_after_ms,
 * bye_status, drop_bye, reject_status, shutdown and the trace (Digest: test_server_auth.c).
 * The BYEs the server sends here are compared whole; where they go, early BYE and the
 * other dialog rules are in test_server_dialog.c. The environment is server_env.h.
 * The timers are the RFC's (T1 500 ms, T2 4 s) on a virtual clock, so the schedule of the
 * 2xx copies, the BYE after 64*T1 and bye_after_ms are asserted to the millisecond; every
 * wait is bounded by the loop watchdog (in virtual seconds).
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netutil.h"
#include "server_env.h"
#include "sipspec/digest.h"

/* ---- tests ------------------------------------------------------------------------------- */

/* 100, one 180, 200 with Contact, application/sdp and a=channel per resource; ACK; BYE. */
static void invite_answer_ack_bye(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "basic");
  const char *ok = establish(&e, &c, synth_recog, 2);
  char h[512];
  CU_ASSERT_EQUAL(peer_index(&e.p, "SIP/2.0 100") >= 0, 1);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 1);
  CU_ASSERT_TRUE(peer_index(&e.p, "SIP/2.0 180") < peer_index(&e.p, "SIP/2.0 200"));
  CU_ASSERT_STRING_EQUAL(msg_header(ok, "Content-Type", h, sizeof h), "application/sdp");
  CU_ASSERT_PTR_NOT_NULL(msg_header(ok, "Contact", h, sizeof h));
  CU_ASSERT_PTR_NOT_NULL(strstr(h, g_kind == SIPSPEC_TP_TCP ? "transport=tcp" : "transport=udp"));
  CU_ASSERT_EQUAL(msg_count(ok, "a=channel:"), 2);
  CU_ASSERT_EQUAL(msg_count(ok, "@speechsynth"), 1);
  CU_ASSERT_EQUAL(msg_count(ok, "@speechrecog"), 1);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "a=setup:passive"));
  CU_ASSERT_PTR_NOT_NULL(strstr(ok, "m=application 1544 "));
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.invites, 1);
  CU_ASSERT_EQUAL(s.established, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 1);
  CU_ASSERT_EQUAL(sipspec_server_idle(e.srv), 0);
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  const char *bye_ok = peer_find_with(&e.p, "SIP/2.0 200", " BYE\r\n", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(bye_ok);
  s = env_stats(&e);
  CU_ASSERT_EQUAL(s.byes_received, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_INVITED], 1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  /* idle when the last transaction ends: the INVITE's Timer L (64*T1 after its 2xx, RFC
   * 6026) or the BYE's Timer J (64*T1 over UDP, 0 over TCP) */
  uint64_t timer_l = env_at(&e, &e.p, ok) + 64 * T1_MS;
  uint64_t timer_j = env_at(&e, &e.p, bye_ok) + (g_kind == SIPSPEC_TP_UDP ? 64 * T1_MS : 0);
  CU_ASSERT_EQUAL(env_ms(&e), timer_l > timer_j ? timer_l : timer_j);
  const sipspec_telemetry *t = sipspec_server_telemetry(e.srv);
  CU_ASSERT_EQUAL(t->sessionsStarted, 1);
  CU_ASSERT_EQUAL(t->sessionsEstablished, 1);
  /* the trace saw both directions, the INVITE first */
  CU_ASSERT_TRUE(e.trace_send >= 4);
  CU_ASSERT_TRUE(e.trace_recv >= 3);
  CU_ASSERT_STRING_EQUAL(e.first_recv, "INVITE sip:mres");
  env_close(&e);
}

/* ring_count 180s, ring_interval_ms apart, all before the final response. */
static void ring_count_180s(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.ring_count = 3;
  o.ring_interval_ms = 1000;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "ring");
  uint64_t t0 = env_ms(&e);
  establish(&e, &c, synth_recog, 1);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 3);
  int last180 = -1, k = 0;
  for (int i = 0; i < e.p.n; i++)
    if (!strncmp(e.p.msgs[i], "SIP/2.0 180", 11)) {
      last180 = i;
      CU_ASSERT_EQUAL(env_at(&e, &e.p, e.p.msgs[i]) - t0, 1000u * (unsigned)k++); /* 0, 1 s, 2 s */
    }
  int i200 = peer_index(&e.p, "SIP/2.0 200");
  CU_ASSERT_TRUE(last180 < i200);
  CU_ASSERT_FATAL(i200 >= 0);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, e.p.msgs[i200]) - t0, 3000); /* one interval after the last 180 */
  env_close(&e);
}

/* reject_status: the 180 and then the rejection; the ACK of it is absorbed. */
static void reject_status_after_ringing(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.reject_status = 486;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "reject");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL);
  const char *busy = expect_msg(&e.p, "SIP/2.0 486", 2.0);
  send_ack_failure(&e, &c, busy);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 180"), 1);
  CU_ASSERT_EQUAL(env_stats(&e).refused, 1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_REFUSED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_REFUSED], 486);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 0);
  env_close(&e);
}

/* An offer it cannot serve: 488 with a Warning 399 naming why; no body: 488; text/plain: 415. */
static void refusals_488_415(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.mrcp.supported = 1u << SIPSPEC_MRCP_SPEECHSYNTH;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "refuse");
  char offer[4096], h[512];
  const sipspec_mrcp_resource recog[] = {SIPSPEC_MRCP_SPEECHRECOG};
  size_t len = make_offer(offer, sizeof offer, recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *r = expect_msg(&e.p, "SIP/2.0 488", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_header(r, "Warning", h, sizeof h));
  CU_ASSERT_EQUAL(strncmp(h, "399 127.0.0.1 \"", 15), 0);
  CU_ASSERT_TRUE(strlen(h) > 20 && h[strlen(h) - 1] == '"');
  send_ack_failure(&e, &c, r);

  call_init(&c, "nobody");
  send_invite(&e, &c, NULL, 0, NULL);
  r = expect_msg(&e.p, "SIP/2.0 488", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg_header(r, "Warning", h, sizeof h), "no SDP offer"));
  send_ack_failure(&e, &c, r);

  call_init(&c, "text");
  send_invite(&e, &c, "hello", 5, "Content-Type: text/plain\r\n");
  r = expect_msg(&e.p, "SIP/2.0 415", 2.0);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Accept", h, sizeof h), "application/sdp");
  send_ack_failure(&e, &c, r);

  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.invites, 3);
  CU_ASSERT_EQUAL(s.refused, 3);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_INVITED], 0);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  env_close(&e);
}

/* 481 for in-dialog requests of unknown dialogs; OPTIONS 200; 405 with Allow; 420. */
static void no_dialog_options_405(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "ghost");
  snprintf(c.to_tag, sizeof c.to_tag, "nosuchtag");
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, 5);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 6);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  send_req(&e, &c, "INVITE", NULL, 0, NULL, NULL, 7);
  const char *r = expect_msg(&e.p, "SIP/2.0 481", 2.0);
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(env_stats(&e).no_dialog, 3);

  char h[512];
  call_init(&c, "opt");
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 1);
  r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Allow", h, sizeof h), "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE");
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Accept", h, sizeof h), "application/sdp");
  CU_ASSERT_PTR_NOT_NULL(msg_header(r, "Supported", h, sizeof h));
  CU_ASSERT_EQUAL(env_stats(&e).options, 1);

  send_req(&e, &c, "PUBLISH", NULL, 0, NULL, NULL, 2);
  r = expect_msg(&e.p, "SIP/2.0 405", 2.0);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Allow", h, sizeof h), "INVITE, ACK, BYE, CANCEL, OPTIONS, UPDATE");
  send_req(&e, &c, "FOO", NULL, 0, NULL, NULL, 3);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 405", 2.0));

  send_req(&e, &c, "OPTIONS", NULL, 0, "Require: 100rel, timer\r\n", NULL, 4);
  r = expect_msg(&e.p, "SIP/2.0 420", 2.0);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Unsupported", h, sizeof h), "100rel, timer");
  env_close(&e);
}

/* CANCEL while ringing: 200 for the CANCEL, 487 for the INVITE; a CANCEL for nothing: 481. */
static void cancel_487(void) {
  env e;
  env_open_ringing(&e, 5000);
  call c;
  call_init(&c, "cancel");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL);
  expect_msg(&e.p, "SIP/2.0 180", 2.0);
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 1);
  send_req(&e, &c, "CANCEL", NULL, 0, NULL, c.branch, c.cseq);
  const char *r = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " CANCEL\r\n"));
  r = expect_msg(&e.p, "SIP/2.0 487", 2.0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r, " INVITE\r\n"));
  send_ack_failure(&e, &c, r);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 487);
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 1); /* no 200 for the INVITE */
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));

  call_init(&c, "cancel-none");
  send_req(&e, &c, "CANCEL", NULL, 0, NULL, NULL, 1);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  env_close(&e);
}

/* The body of message m (after its empty line), copied into out. */
static const char *body_of(const char *m, char *out, size_t cap) {
  const char *b = m ? strstr(m, "\r\n\r\n") : NULL;
  snprintf(out, cap, "%s", b ? b + 4 : "");
  return out;
}

/* sipspec_server_call_sdp() of a held call: the offer as sent and the answer as the 200
 * carried it, byte for byte, although a held call does not keep its answer (it is written
 * again from the offer, issue 16); the same texts again on a second ask; after a re-INVITE
 * the new offer and its answer (a smaller offer, then a larger one); each call of a server
 * with an RTP port per call its own port, free again once the call ended; NOTFOUND for a
 * Call-ID of no call. */
static void call_sdp_held(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.rtp_ports = 4; /* each call its own m=audio port */
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c[2];
  char sent[2][4096], got[2][4096];
  for (int i = 0; i < 2; i++) {
    call_init(&c[i], i ? "sdp-held-2" : "sdp-held-1");
    make_offer(sent[i], sizeof sent[i], synth_recog, 2 - (size_t)i);
    body_of(establish(&e, &c[i], synth_recog, 2 - (size_t)i), got[i], sizeof got[i]);
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(got[0], "m=audio 4000 "));
  CU_ASSERT_PTR_NOT_NULL(strstr(got[1], "m=audio 4002 "));
  const char *offer = NULL, *answer = NULL, *again = NULL;
  size_t olen = 0, alen = 0;
  for (int i = 0; i < 2; i++) {
    CU_ASSERT_EQUAL_FATAL(sipspec_server_call_sdp(e.srv, c[i].call_id, &offer, &olen, &answer, &alen), SIPSPEC_OK);
    CU_ASSERT_EQUAL(olen, strlen(sent[i]));
    CU_ASSERT_EQUAL(memcmp(offer, sent[i], olen), 0);
    CU_ASSERT_EQUAL(alen, strlen(got[i]));
    CU_ASSERT_EQUAL(memcmp(answer, got[i], alen), 0);
    /* asked again: the same text, where it was (valid until answered again or the end) */
    CU_ASSERT_EQUAL(sipspec_server_call_sdp(e.srv, c[i].call_id, NULL, NULL, &again, NULL), SIPSPEC_OK);
    CU_ASSERT_PTR_EQUAL(again, answer);
  }
  /* a re-INVITE with another offer: that offer and the answer its 200 carried */
  char offer2[4096], ok2[4096];
  size_t len2 = make_offer(offer2, sizeof offer2, synth_recog + 1, 1);
  send_invite(&e, &c[0], offer2, len2, NULL);
  body_of(peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 2 INVITE", 2.0), ok2, sizeof ok2);
  CU_ASSERT_FATAL(ok2[0] != '\0');
  send_ack_2xx(&e, &c[0]);
  tst_run_for(e.loop, 0.05);
  CU_ASSERT_EQUAL_FATAL(sipspec_server_call_sdp(e.srv, c[0].call_id, &offer, &olen, &answer, &alen), SIPSPEC_OK);
  CU_ASSERT_EQUAL(olen, len2);
  CU_ASSERT_EQUAL(memcmp(offer, offer2, len2), 0);
  CU_ASSERT_EQUAL(alen, strlen(ok2));
  CU_ASSERT_EQUAL(memcmp(answer, ok2, alen), 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(ok2, "m=audio 4000 ")); /* the call's port kept */
  /* a re-offer larger than the INVITE's (kept apart from the call): the same */
  char offer3[4096];
  size_t len3 = make_offer(offer3, sizeof offer3, synth_recog, 2);
  len3 += (size_t)snprintf(offer3 + len3, sizeof offer3 - len3, "a=x-pad:%0120d\r\n", 0);
  send_invite(&e, &c[0], offer3, len3, NULL);
  body_of(peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 3 INVITE", 2.0), ok2, sizeof ok2);
  CU_ASSERT_FATAL(ok2[0] != '\0');
  send_ack_2xx(&e, &c[0]);
  tst_run_for(e.loop, 0.05);
  CU_ASSERT_EQUAL_FATAL(sipspec_server_call_sdp(e.srv, c[0].call_id, &offer, &olen, &answer, &alen), SIPSPEC_OK);
  CU_ASSERT_EQUAL(olen, len3);
  CU_ASSERT_EQUAL(memcmp(offer, offer3, len3), 0);
  CU_ASSERT_EQUAL(alen, strlen(ok2));
  CU_ASSERT_EQUAL(memcmp(answer, ok2, alen), 0);
  CU_ASSERT_EQUAL(sipspec_server_call_sdp(e.srv, "no-such-call", &offer, &olen, &answer, &alen), SIPSPEC_E_NOTFOUND);
  /* the first call ends: its port is the next call's, its Call-ID no call's */
  send_req(&e, &c[0], "BYE", NULL, 0, NULL, NULL, 4);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 4 BYE", 2.0));
  tst_run_for(e.loop, 0.05);
  CU_ASSERT_EQUAL(sipspec_server_call_sdp(e.srv, c[0].call_id, &offer, &olen, &answer, &alen), SIPSPEC_E_NOTFOUND);
  call third;
  call_init(&third, "sdp-held-3");
  body_of(establish(&e, &third, synth_recog, 1), got[0], sizeof got[0]);
  CU_ASSERT_PTR_NOT_NULL(strstr(got[0], "m=audio 4000 "));
  CU_ASSERT_EQUAL(sipspec_server_call_sdp(e.srv, third.call_id, NULL, NULL, &answer, &alen), SIPSPEC_OK);
  CU_ASSERT_EQUAL(alen, strlen(got[0]));
  CU_ASSERT_EQUAL(memcmp(answer, got[0], alen), 0);
  env_close(&e);
}

/* re-INVITE adds a resource (channel ids kept) and then removes one (port 0). */
static void reinvite_add_remove(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "127.0.0.1";
  d.rtp_port = 5004;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  sipspec_mrcp_session_t *ms = sipspec_mrcp_session_create(&d);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ms);
  char offer[4096];
  size_t len;
  call c;
  call_init(&c, "reinvite");
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(ms, offer, sizeof offer, &len, NULL), SIPSPEC_OK);
  send_invite(&e, &c, offer, len, NULL);
  const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  msg_to_tag(ok, c.to_tag, sizeof c.to_tag);
  const char *body = strstr(ok, "\r\n\r\n") + 4;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(ms, body, strlen(body), NULL), SIPSPEC_OK);
  send_ack_2xx(&e, &c);
  char synth_id[SIPSPEC_MRCP_ID_MAX];
  snprintf(synth_id, sizeof synth_id, "%s", sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHSYNTH)->channel_id);

  CU_ASSERT_EQUAL(sipspec_mrcp_session_add(ms, SIPSPEC_MRCP_SPEECHRECOG), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(ms, offer, sizeof offer, &len, NULL), SIPSPEC_OK);
  send_invite(&e, &c, offer, len, NULL);
  ok = peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 2 INVITE", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  body = strstr(ok, "\r\n\r\n") + 4;
  sipspec_sdp_error err;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(ms, body, strlen(body), &err), SIPSPEC_OK);
  send_ack_2xx(&e, &c);
  CU_ASSERT_EQUAL(msg_count(ok, "a=channel:"), 2);
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHRECOG));
  CU_ASSERT_STRING_EQUAL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHSYNTH)->channel_id, synth_id);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_UPDATED], 1);

  CU_ASSERT_EQUAL(sipspec_mrcp_session_remove(ms, SIPSPEC_MRCP_SPEECHSYNTH), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_offer(ms, offer, sizeof offer, &len, NULL), SIPSPEC_OK);
  send_invite(&e, &c, offer, len, NULL);
  ok = peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 3 INVITE", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(ok);
  body = strstr(ok, "\r\n\r\n") + 4;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_session_apply_answer(ms, body, strlen(body), &err), SIPSPEC_OK);
  send_ack_2xx(&e, &c);
  CU_ASSERT_PTR_NULL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHSYNTH));
  CU_ASSERT_PTR_NOT_NULL(sipspec_mrcp_session_channel(ms, SIPSPEC_MRCP_SPEECHRECOG));
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_UPDATED], 2);

  /* an older CSeq in the dialog: 500 (12.2.2) */
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 2);
  const char *r = peer_find_with(&e.p, "SIP/2.0 500", "CSeq: 2 OPTIONS", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  char h[512];
  CU_ASSERT_EQUAL(strncmp(r, "SIP/2.0 500 CSeq Out of Order\r\n", 31), 0);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Warning", h, sizeof h),
                         "399 127.0.0.1 \"CSeq 2 is lower than 3, the last one in this dialog\"");
  /* in-dialog OPTIONS: 200 */
  send_req(&e, &c, "OPTIONS", NULL, 0, NULL, NULL, 4);
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 4 OPTIONS", 2.0));
  CU_ASSERT_EQUAL(env_stats(&e).established, 1);
  sipspec_mrcp_session_destroy(ms);
  env_close(&e);
}

/* 13.3.1.4: the 2xx again (T1, 2T1, ... T2) until the ACK; nothing after it. */
static void retransmit_2xx_until_ack(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "retx");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL);
  const char *ok = expect_msg(&e.p, "SIP/2.0 200", 2.0);
  msg_to_tag(ok, c.to_tag, sizeof c.to_tag);
  /* the copies T1, 2*T1 and 4*T1 apart: 500, 1500 and 3500 ms after the 2xx */
  static const uint64_t due[] = {T1_MS, 3 * T1_MS, 7 * T1_MS};
  for (int k = 0; k < 3; k++) {
    const char *copy = peer_find(&e.p, "SIP/2.0 200", 5.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    CU_ASSERT_EQUAL(env_at(&e, &e.p, copy) - env_at(&e, &e.p, ok), due[k]);
  }
  /* the copies are the same response */
  int first = peer_index(&e.p, "SIP/2.0 200");
  CU_ASSERT_STRING_EQUAL(e.p.msgs[first], e.p.msgs[e.p.cursor - 1]);
  CU_ASSERT_TRUE(sipspec_server_telemetry(e.srv)->sipRetransmissions >= 3);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 0);
  send_ack_2xx(&e, &c);
  for (int i = 0; i < 100 && !e.events[SIPSPEC_SERVER_ESTABLISHED]; i++) tst_run_for(e.loop, 0.01);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 1);
  int n200 = peer_count(&e.p, "SIP/2.0 200");
  tst_run_for(e.loop, 3.0 * T2_MS / 1000); /* 3 * T2: a running retransmission would show */
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), n200);
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 1);
  env_close(&e);
}

static int copies_before_64t1(unsigned t1, unsigned t2);

/* No ACK within 64*T1: the server ends the dialog with a BYE. */
static void no_ack_bye(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "noack");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &c, offer, len, NULL);
  const char *bye = expect_msg(&e.p, "BYE ", 40.0);
  const char *ok = peer_find(&e.p, "SIP/2.0 200", 2.0 * T2_MS / 1000);
  CU_ASSERT_PTR_NULL(ok); /* the 2xx stopped with the BYE: none in the next 2 * T2 */
  ok = e.p.msgs[peer_index(&e.p, "SIP/2.0 200")];
  CU_ASSERT_PTR_NOT_NULL_FATAL(msg_to_tag(ok, c.to_tag, sizeof c.to_tag));
  CU_ASSERT_EQUAL(env_at(&e, &e.p, bye) - env_at(&e, &e.p, ok), 64 * T1_MS); /* exactly 64*T1 after the 2xx */
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  CU_ASSERT_TRUE(peer_count(&e.p, "SIP/2.0 200") >= 5);
  CU_ASSERT_EQUAL(peer_count(&e.p, "SIP/2.0 200"), 1 + copies_before_64t1(T1_MS, T2_MS)); /* 11 */
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.byes_sent, 1);
  CU_ASSERT_EQUAL(s.established, 0);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 1);
  env_close(&e);
}

/* The 200s to INVITE CSeq cseq received so far, and the index of the first and last. */
static int count_2xx(const env *e, unsigned cseq, int *first, int *last) {
  char needle[32];
  snprintf(needle, sizeof needle, "CSeq: %u INVITE", cseq);
  int n = 0;
  *first = *last = -1;
  for (int i = 0; i < e->p.n; i++)
    if (!strncmp(e->p.msgs[i], "SIP/2.0 200", 11) && strstr(e->p.msgs[i], needle)) {
      if (*first < 0) *first = i;
      *last = i;
      n++;
    }
  return n;
}

/* 13.3.1.4: the copies of a 2xx due before 64*T1 (T1, then each interval doubled up to T2). */
static int copies_before_64t1(unsigned t1, unsigned t2) {
  unsigned due = t1, iv = t1;
  int n = 0;
  for (; due < 64 * t1; n++) {
    iv = iv * 2 > t2 ? t2 : iv * 2;
    due += iv;
  }
  return n;
}

/* The 200 to a re-INVITE is sent again until the ACK with its CSeq (13.3.1.4, 13.2.2.4):
 * an ACK with the INVITE's older CSeq does not stop it, another re-INVITE meanwhile gets
 * 500 with Retry-After (14.2), the right ACK stops it and the call goes on. */
static void reinvite_2xx_until_ack(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "reinvretx");
  establish(&e, &c, synth_recog, 1);
  uint64_t retx0 = sipspec_server_telemetry(e.srv)->sipRetransmissions;
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL); /* CSeq 2 */
  const char *got[4];
  for (int i = 0; i < 4; i++) {
    got[i] = peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 2 INVITE", 5.0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got[i]);
  }
  /* the copies 500, 1500 and 3500 ms after the 2xx (T1, then doubled) */
  CU_ASSERT_EQUAL(env_at(&e, &e.p, got[1]) - env_at(&e, &e.p, got[0]), T1_MS);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, got[2]) - env_at(&e, &e.p, got[0]), 3 * T1_MS);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, got[3]) - env_at(&e, &e.p, got[0]), 7 * T1_MS);
  CU_ASSERT_TRUE(sipspec_server_telemetry(e.srv)->sipRetransmissions >= retx0 + 3);
  int first, last;
  CU_ASSERT_TRUE(count_2xx(&e, 2, &first, &last) >= 4);
  CU_ASSERT_STRING_EQUAL(e.p.msgs[first], e.p.msgs[last]); /* the same response each time */
  char h[128];
  CU_ASSERT_STRING_EQUAL(msg_header(e.p.msgs[last], "Server", h, sizeof h), "test-server/1");
  CU_ASSERT_EQUAL(msg_count(e.p.msgs[last], "a=channel:"), 2);
  send_req(&e, &c, "ACK", NULL, 0, NULL, NULL, 1); /* the first INVITE's CSeq: not this 2xx's ACK */
  int before = count_2xx(&e, 2, &first, &last);
  const char *next = peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 2 INVITE", 5.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(next);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, next) - env_at(&e, &e.p, got[0]), 15 * T1_MS); /* 4 s after the last */
  CU_ASSERT_TRUE(count_2xx(&e, 2, &first, &last) > before);
  send_invite(&e, &c, offer, len, NULL); /* CSeq 3 while the 2xx of CSeq 2 waits */
  const char *r = peer_find_with(&e.p, "SIP/2.0 500", "CSeq: 3 INVITE", 2.0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(r);
  CU_ASSERT_STRING_EQUAL(msg_header(r, "Retry-After", h, sizeof h), "1");
  send_req(&e, &c, "ACK", NULL, 0, NULL, NULL, 2);
  tst_run_for(e.loop, 0.1); /* the ACK arrives */
  int n = count_2xx(&e, 2, &first, &last);
  tst_run_for(e.loop, 3.0 * T2_MS / 1000); /* 3 * T2: a running retransmission would show */
  CU_ASSERT_EQUAL(count_2xx(&e, 2, &first, &last), n);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_UPDATED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_UPDATED], 200);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ESTABLISHED], 1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 0);
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 0);
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.live_dialogs, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 0);
  /* the session goes on: a later re-INVITE is answered */
  send_invite(&e, &c, offer, len, NULL); /* CSeq 4 */
  CU_ASSERT_PTR_NOT_NULL(peer_find_with(&e.p, "SIP/2.0 200", "CSeq: 4 INVITE", 2.0));
  send_ack_2xx(&e, &c);
  tst_run_for(e.loop, 0.1);
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_UPDATED], 2);
  env_close(&e);
}

/* No ACK for the 200 to a re-INVITE within 64*T1: the server ends the established dialog
 * with a BYE (13.3.1.4); no copy is sent beyond the schedule; the session had been
 * established, so it does not count as failed. */
static void reinvite_no_ack_bye(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "reinvnoack");
  establish(&e, &c, synth_recog, 1);
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 2);
  send_invite(&e, &c, offer, len, NULL); /* CSeq 2, never acknowledged */
  const char *bye = expect_msg(&e.p, "BYE ", 40.0);
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  int first, last;
  int n = count_2xx(&e, 2, &first, &last);
  CU_ASSERT_TRUE(n >= 5);
  CU_ASSERT_TRUE(n <= 1 + copies_before_64t1(o.cfg.t1_ms, o.cfg.t2_ms));
  CU_ASSERT_EQUAL(n, 1 + copies_before_64t1(T1_MS, T2_MS)); /* the whole schedule, 11 */
  CU_ASSERT_FATAL(first >= 0 && last >= 0);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, e.p.msgs[last]) - env_at(&e, &e.p, e.p.msgs[first]), 63 * T1_MS); /* 31.5 s */
  CU_ASSERT_EQUAL(env_at(&e, &e.p, bye) - env_at(&e, &e.p, e.p.msgs[first]), 64 * T1_MS);
  tst_run_for(e.loop, 2.0 * T2_MS / 1000);
  CU_ASSERT_EQUAL(count_2xx(&e, 2, &first, &last), n); /* the 2xx stopped with the BYE */
  CU_ASSERT_EQUAL(e.events[SIPSPEC_SERVER_ENDED], 1);
  CU_ASSERT_EQUAL(e.last_status[SIPSPEC_SERVER_ENDED], 408);
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.byes_sent, 1);
  CU_ASSERT_EQUAL(s.established, 1);
  CU_ASSERT_EQUAL(s.live_dialogs, 0);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sessionsFailed, 0);
  env_close(&e);
}

/* bye_after_ms: the server sends BYE after the ACK (From: our To tag, CSeq BYE). */
static void bye_after(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_after_ms = 5000;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "byeafter");
  establish(&e, &c, synth_recog, 2);
  const char *bye = expect_msg(&e.p, "BYE sip:client@", 10.0);
  CU_ASSERT_EQUAL(env_at(&e, &e.p, bye), e.event_ms[SIPSPEC_SERVER_ESTABLISHED] + 5000); /* 5 s after the ACK */
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  sipspec_server_stats s = env_stats(&e);
  CU_ASSERT_EQUAL(s.byes_sent, 1);
  CU_ASSERT_EQUAL(s.ended, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeSent, 1);
  CU_ASSERT_EQUAL(sipspec_server_telemetry(e.srv)->sipByeAcksMissing, 0);
  env_close(&e);
}

/* bye_status 481 and drop_bye. */
static void bye_knobs(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  o.bye_status = 481;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c;
  call_init(&c, "bye481");
  establish(&e, &c, synth_recog, 1);
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  CU_ASSERT_PTR_NOT_NULL(peer_find(&e.p, "SIP/2.0 481", 2.0));
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 0);
  env_close(&e);

  opts_default(&o);
  o.drop_bye = 1;
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call_init(&c, "dropbye");
  establish(&e, &c, synth_recog, 1);
  int before = e.p.n;
  send_req(&e, &c, "BYE", NULL, 0, NULL, NULL, ++c.cseq);
  tst_run_for(e.loop, 2.0 * T2_MS / 1000);
  CU_ASSERT_EQUAL(e.p.n, before); /* no answer at all */
  CU_ASSERT_EQUAL(env_stats(&e).byes_received, 1);
  CU_ASSERT_EQUAL(env_stats(&e).live_dialogs, 0);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  env_close(&e);
}

/* ---- shutdown and options ----------------------------------------------------------------- */

static void shutdown_byes_and_503(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c, d;
  call_init(&c, "shut");
  establish(&e, &c, synth_recog, 1);
  sipspec_server_shutdown(e.srv);
  const char *bye = expect_msg(&e.p, "BYE ", 2.0);
  char ct[256];
  expect_bye(&e, &c, bye, peer_contact(&e.p, ct, sizeof ct), g_kind == SIPSPEC_TP_TCP ? "TCP" : "UDP", 1, "");
  answer_server_bye(&e, bye, 200);
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  call_init(&d, "late");
  char offer[4096];
  size_t len = make_offer(offer, sizeof offer, synth_recog, 1);
  send_invite(&e, &d, offer, len, NULL);
  const char *r = expect_msg(&e.p, "SIP/2.0 503", 2.0);
  send_ack_failure(&e, &d, r);
  CU_ASSERT_EQUAL(env_stats(&e).byes_sent, 1);
  CU_ASSERT_EQUAL(env_stats(&e).ended, 1);
  env_close(&e);
}

/* Shutdown with several established calls: each gets its BYE (a call that ends at once
 * while the server walks its calls leaves the walk going on). */
static void shutdown_byes_every_call(void) {
  env e;
  sipspec_server_opts o;
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(env_open(&e, &o), 0);
  call c[3];
  char name[32];
  for (int i = 0; i < 3; i++) {
    snprintf(name, sizeof name, "shut-all-%d", i);
    call_init(&c[i], name);
    establish(&e, &c[i], synth_recog, 1);
  }
  sipspec_server_shutdown(e.srv);
  for (int k = 0; k < 100 && peer_count(&e.p, "BYE ") < 3; k++) tst_run_for(e.loop, 0.02);
  CU_ASSERT_EQUAL(peer_count(&e.p, "BYE "), 3);
  for (int i = 0; i < 3; i++) { /* in any order */
    const char *bye = NULL;
    for (int j = 0; j < e.p.n && !bye; j++)
      if (!strncmp(e.p.msgs[j], "BYE ", 4) && strstr(e.p.msgs[j], c[i].call_id)) bye = e.p.msgs[j];
    CU_ASSERT_PTR_NOT_NULL(bye);
    if (bye) answer_server_bye(&e, bye, 200);
  }
  CU_ASSERT_TRUE(tst_run_until(e.loop, idle_cond, e.srv, IDLE_MAX_S));
  CU_ASSERT_EQUAL(env_stats(&e).byes_sent, 3);
  CU_ASSERT_EQUAL(env_stats(&e).ended, 3);
  env_close(&e);
}

static void event_names(void) {
  CU_ASSERT_STRING_EQUAL(sipspec_server_event_name(SIPSPEC_SERVER_INVITED), "invited");
  CU_ASSERT_STRING_EQUAL(sipspec_server_event_name(SIPSPEC_SERVER_ESTABLISHED), "established");
  CU_ASSERT_STRING_EQUAL(sipspec_server_event_name(SIPSPEC_SERVER_UPDATED), "updated");
  CU_ASSERT_STRING_EQUAL(sipspec_server_event_name(SIPSPEC_SERVER_ENDED), "ended");
  CU_ASSERT_STRING_EQUAL(sipspec_server_event_name(SIPSPEC_SERVER_REFUSED), "refused");
  CU_ASSERT_STRING_EQUAL(sipspec_server_event_name((sipspec_server_event)99), "?");
}

static void bad_options(void) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_server_opts o;
  sipspec_server *srv = NULL;
  char err[SIPSPEC_ERR_LEN];
  opts_default(&o);
  o.listen_host = "localhost";
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "listen_host"));
  opts_default(&o);
  o.reject_status = 200;
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "reject_status"));
  opts_default(&o);
  o.auth_user = "alice";
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "auth_password"));
  opts_default(&o);
  o.cfg.transport = SIPSPEC_TP_TLS; /* TLS listens beside UDP or TCP, with a certificate */
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "tls.cert_file"));
  CU_ASSERT_PTR_NULL(srv);
  opts_default(&o);
  snprintf(o.tls.cert_file, sizeof o.tls.cert_file, "cert.pem"); /* without its key */
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "go together"));
  CU_ASSERT_PTR_NULL(srv);
  /* a user agent the Server / User-Agent lines cannot carry (the parser reads them raw:
   * CR, LF or NUL would end the line early) */
  opts_default(&o);
  o.user_agent = "sipspec/1\r\nVia: forged";
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_E_BUILD_CRLF);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "user agent \"sipspec/1"));
  CU_ASSERT_PTR_NULL(srv);
  /* the port is taken: a bind error naming the address */
  opts_default(&o);
  CU_ASSERT_EQUAL_FATAL(sipspec_server_create(loop, &o, &srv, err, sizeof err), SIPSPEC_OK);
  sipspec_sockaddr a;
  sipspec_server_bound_addr(srv, g_kind, &a);
  sipspec_server *second = NULL;
  o.listen_port = sipspec_sockaddr_port(&a);
  CU_ASSERT_EQUAL(sipspec_server_create(loop, &o, &second, err, sizeof err), SIPSPEC_E_BIND);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "127.0.0.1"));
  CU_ASSERT_PTR_NULL(second);
  sipspec_server_destroy(srv);
  ev_loop_destroy(loop);
}

int main(int argc, char **argv) {
  static const env_test tests[] = {
      {"invite_answer_ack_bye", invite_answer_ack_bye},
      {"ring_count_180s", ring_count_180s},
      {"reject_status_after_ringing", reject_status_after_ringing},
      {"refusals_488_415", refusals_488_415},
      {"no_dialog_options_405", no_dialog_options_405},
      {"cancel_487", cancel_487},
      {"reinvite_add_remove", reinvite_add_remove},
      {"call_sdp_held", call_sdp_held},
      {"retransmit_2xx_until_ack", retransmit_2xx_until_ack},
      {"no_ack_bye", no_ack_bye},
      {"reinvite_2xx_until_ack", reinvite_2xx_until_ack},
      {"reinvite_no_ack_bye", reinvite_no_ack_bye},
      {"bye_after", bye_after},
      {"bye_knobs", bye_knobs},
      {"shutdown_byes_and_503", shutdown_byes_and_503},
      {"shutdown_byes_every_call", shutdown_byes_every_call},
      {"bad_options", bad_options},
      {"event_names", event_names},
  };
  return env_run_suite(argc, argv, "server", tests, sizeof tests / sizeof tests[0]);
}
