/* test_scenarios_auth.c: scenarios of test_scenarios.c: re-INVITE adding and removing a
 * resource, 488 with a Warning, and Digest through the whole stack (suite auth). */
#include "sc_fixture.h"

/* ---- re-INVITE: add a synthesizer to a recognizer session and remove it again ------------ */

size_t active_channels(const sipspec_mrcp_answer *a) {
  size_t n = 0;
  for (size_t i = 0; i < a->nchannels; i++) n += !a->channels[i].rejected;
  return n;
}

/* The client's parsed answer and the server's answer as sent say the same thing. */
void check_same_view(const sipspec_mrcp_answer *cl, const sipspec_mrcp_answer *sv) {
  CU_ASSERT_EQUAL_FATAL(cl->nchannels, sv->nchannels);
  for (size_t i = 0; i < cl->nchannels; i++) {
    CU_ASSERT_EQUAL(cl->channels[i].resource, sv->channels[i].resource);
    CU_ASSERT_EQUAL(cl->channels[i].rejected, sv->channels[i].rejected);
    CU_ASSERT_EQUAL(cl->channels[i].port, sv->channels[i].port);
    CU_ASSERT_STRING_EQUAL(cl->channels[i].channel_id, sv->channels[i].channel_id);
    CU_ASSERT_STRING_EQUAL(cl->channels[i].host, sv->channels[i].host);
  }
  CU_ASSERT_EQUAL(cl->audio.offered, sv->audio.offered);
  CU_ASSERT_EQUAL(cl->audio.answered, sv->audio.answered);
  CU_ASSERT_EQUAL(cl->audio.port, sv->audio.port);
}

void test_reinvite_add_remove(void) {
  static const sipspec_mrcp_resource recog[] = {SIPSPEC_MRCP_SPEECHRECOG};
  static const sc_step script[] = {
    {STEP_ADD, SIPSPEC_MRCP_SPEECHSYNTH}, {STEP_REMOVE, SIPSPEC_MRCP_SPEECHSYNTH}, {STEP_END, SIPSPEC_MRCP_RES_NONE}};
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  sc_server(&c, &so);
  sc_ua(&c);
  c.hold_ms = 0; /* the script ends it */
  c.steps = script;
  c.nsteps = 3;
  sc_call_server_res(&c, recog, 1);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.next_step, 3);
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL_FATAL(c.n_updated, 2);

  /* speechrecog alone: the client sends audio only */
  const sipspec_mrcp_answer *a0 = &c.answer;
  CU_ASSERT_EQUAL_FATAL(a0->nchannels, 1);
  CU_ASSERT_EQUAL(a0->channels[0].resource, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_PTR_NOT_NULL(strstr(a0->channels[0].channel_id, "@speechrecog"));
  CU_ASSERT_EQUAL(a0->audio.offered, SIPSPEC_SDP_SENDONLY);
  CU_ASSERT_EQUAL(a0->audio.answered, SIPSPEC_SDP_RECVONLY);
  char session_id[SIPSPEC_MRCP_ID_MAX];
  snprintf(session_id, sizeof session_id, "%.*s", (int)strcspn(a0->channels[0].channel_id, "@"),
           a0->channels[0].channel_id);
  CU_ASSERT(strlen(session_id) > 0);

  /* + speechsynth: 200, two channels of the same server session, audio both ways */
  CU_ASSERT_EQUAL(c.upd_status[0], 200);
  CU_ASSERT_FATAL(c.upd_has_answer[0]);
  const sipspec_mrcp_answer *a1 = &c.upd_answer[0];
  CU_ASSERT_EQUAL_FATAL(a1->nchannels, 2);
  CU_ASSERT_EQUAL(active_channels(a1), 2);
  CU_ASSERT_STRING_EQUAL(a1->channels[0].channel_id, a0->channels[0].channel_id); /* kept */
  CU_ASSERT_EQUAL(a1->channels[1].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  CU_ASSERT_EQUAL(a1->channels[1].port, 1544);
  CU_ASSERT_EQUAL(a1->channels[1].connection, SIPSPEC_SDP_CONN_EXISTING);
  char want[2 * SIPSPEC_MRCP_ID_MAX];
  snprintf(want, sizeof want, "%s@speechsynth", session_id);
  CU_ASSERT_STRING_EQUAL(a1->channels[1].channel_id, want);
  CU_ASSERT_EQUAL(a1->audio.offered, SIPSPEC_SDP_SENDRECV);
  CU_ASSERT_EQUAL(a1->audio.answered, SIPSPEC_SDP_SENDRECV);

  /* - speechsynth: 200, its m-line stays with port 0, one channel left, audio back to sendonly */
  CU_ASSERT_EQUAL(c.upd_status[1], 200);
  CU_ASSERT_FATAL(c.upd_has_answer[1]);
  const sipspec_mrcp_answer *a2 = &c.upd_answer[1];
  CU_ASSERT_EQUAL_FATAL(a2->nchannels, 2);
  CU_ASSERT_EQUAL(active_channels(a2), 1);
  CU_ASSERT_STRING_EQUAL(a2->channels[0].channel_id, a0->channels[0].channel_id);
  CU_ASSERT_EQUAL(a2->channels[1].resource, SIPSPEC_MRCP_SPEECHSYNTH);
  CU_ASSERT_EQUAL(a2->channels[1].rejected, 1);
  CU_ASSERT_EQUAL(a2->channels[1].port, 0);
  CU_ASSERT_EQUAL(a2->audio.offered, SIPSPEC_SDP_SENDONLY);
  CU_ASSERT_EQUAL(a2->audio.answered, SIPSPEC_SDP_RECVONLY);

  /* the server's side: what it sent each time is what the client read */
  const sipspec_mrcp_answer *cl[3] = {a0, a1, a2};
  for (int k = 0; k < 3; k++) {
    CU_ASSERT_FATAL(c.srv_view_ok[k]);
    check_same_view(cl[k], &c.srv_view[k]);
  }
  CU_ASSERT_PTR_NOT_NULL(strstr(c.srv_last_answer, "m=application 0 "));
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_UPDATED), 2);
  for (int i = 0; i < c.n_srv_ev && i < EV_MAX; i++)
    if (c.srv_ev[i] == SIPSPEC_SERVER_UPDATED) CU_ASSERT_EQUAL(c.srv_ev_status[i], 200);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ESTABLISHED), 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_ENDED), 1);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.established, 1);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(st.refused, 0);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  CU_ASSERT_EQUAL(st.live_dialogs, 0);
  CU_ASSERT_EQUAL(tel(&c)->sipByeSent, 1);
  CU_ASSERT_EQUAL(c.n_invite_cseq, 3); /* the INVITE and two re-INVITEs */
  sc_close(&c);
}

/* ---- 488 with a Warning ------------------------------------------------------------------- */

void test_488_warning(void) {
  static const sipspec_mrcp_resource rec[] = {SIPSPEC_MRCP_RECORDER};
  sc c;
  sc_open(&c);
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.mrcp.supported = (1u << SIPSPEC_MRCP_SPEECHRECOG) | (1u << SIPSPEC_MRCP_SPEECHSYNTH);
  sc_server(&c, &so);
  sc_ua(&c);
  sc_call_server_res(&c, rec, 1);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_terminated, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 0);
  CU_ASSERT_EQUAL(c.failed, 1);
  CU_ASSERT_EQUAL(c.fail_result, SIPSPEC_RESULT_REJECTED);
  CU_ASSERT_EQUAL(c.fail_status, 488);
  CU_ASSERT_EQUAL(c.status, 488);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.fail_warning, "recorder"));
  CU_ASSERT_EQUAL(tel(&c)->sipError4xx, 1);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.invites, 1);
  CU_ASSERT_EQUAL(st.refused, 1);
  CU_ASSERT_EQUAL(st.established, 0);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_REFUSED), 1);
  sc_close(&c);
}

/* ---- Digest through the whole stack ------------------------------------------------------- */

#define AUTH_USER "alice"
#define AUTH_PASS "s3cret-pw"
#define AUTH_REALM "mrcp.example"

/* The value of param name in a credentials line ("Digest username=\"a\", qop=auth, ..."). */
int auth_param(const char *line, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  for (const char *p = line; (p = strstr(p, name)) != NULL; p += nl) {
    if (p != line && p[-1] != ' ' && p[-1] != ',') continue;
    if (p[nl] != '=') continue;
    const char *v = p + nl + 1;
    size_t vl = *v == '"' ? strcspn(++v, "\"") : strcspn(v, ", ");
    if (vl >= cap) vl = cap - 1;
    memcpy(out, v, vl);
    out[vl] = '\0';
    return 1;
  }
  return 0;
}

void sc_auth_server(sc *c, int proxy, sipspec_digest_alg alg, unsigned qop, unsigned lifetime_ms) {
  sipspec_server_opts so;
  sipspec_server_opts_init(&so);
  so.auth_user = AUTH_USER;
  so.auth_password = AUTH_PASS;
  so.auth_realm = AUTH_REALM;
  so.auth_proxy = proxy;
  if (alg) {
    so.auth_algs[0] = alg;
    so.auth_nalgs = 1;
  }
  so.auth_qop_mask = qop;
  so.auth_nonce_lifetime_ms = lifetime_ms;
  sc_server(c, &so);
}

/* Says which combination failed: CUnit only names the line. */
#define CHECK_FOR(label, cond)                                                 \
  do {                                                                         \
    int ok_ = (cond);                                                          \
    if (!ok_) fprintf(stderr, "\n    [%s] failed: %s\n", (label), #cond);      \
    CU_ASSERT(ok_);                                                            \
  } while (0)

void digest_call(sipspec_digest_alg alg, sipspec_digest_qop qop, int proxy) {
  static const sipspec_digest_cred_entry cred = {NULL, AUTH_USER, AUTH_PASS};
  const char *qop_name = qop == SIPSPEC_DIGEST_QOP_AUTH ? "auth" : "auth-int";
  char label[96], v[128];
  snprintf(label, sizeof label, "%s qop=%s %d", sipspec_digest_alg_name(alg), qop_name, proxy ? 407 : 401);
  sc c;
  sc_open(&c);
  sc_auth_server(&c, proxy, alg, (unsigned)qop, 0);
  sc_ua_auth(&c, &cred, 2);
  sc_call_server(&c);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CHECK_FOR(label, c.result == SIPSPEC_RESULT_OK);
  CHECK_FOR(label, c.status == 200);
  CHECK_FOR(label, c.ended_by == SIPSPEC_END_LOCAL);
  CHECK_FOR(label, tel(&c)->sipAuthChallenges == 1);
  CHECK_FOR(label, tel(&c)->sessionsEstablished == 1);
  /* the INVITE went out exactly twice (two CSeq numbers, one apart), the second with
   * credentials of the offered algorithm and qop in the header the challenge asked for */
  CHECK_FOR(label, c.n_invite_cseq == 2);
  CHECK_FOR(label, c.n_invite_cseq == 2 && c.invite_cseq[1] == c.invite_cseq[0] + 1);
  CHECK_FOR(label, c.last_invite_auth_proxy == proxy);
  CHECK_FOR(label, auth_param(c.last_invite_auth, "algorithm", v, sizeof v) && !strcmp(v, sipspec_digest_alg_name(alg)));
  CHECK_FOR(label, auth_param(c.last_invite_auth, "qop", v, sizeof v) && !strcmp(v, qop_name));
  CHECK_FOR(label, auth_param(c.last_invite_auth, "realm", v, sizeof v) && !strcmp(v, AUTH_REALM));
  CHECK_FOR(label, strstr(c.last_invite_auth, AUTH_PASS) == NULL);
  /* the BYE carried the cached credentials and was accepted without a challenge */
  CHECK_FOR(label, c.n_bye_sent >= 1 && c.n_bye_with_auth == c.n_bye_sent);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CHECK_FOR(label, st.challenges == 1);
  CHECK_FOR(label, st.established == 1);
  CHECK_FOR(label, st.ended == 1);
  CHECK_FOR(label, st.byes_received == 1);
  CHECK_FOR(label, srv_saw(&c, SIPSPEC_SERVER_REFUSED) == 1);
  for (int i = 0; i < c.n_srv_ev && i < EV_MAX; i++)
    if (c.srv_ev[i] == SIPSPEC_SERVER_REFUSED) CHECK_FOR(label, c.srv_ev_status[i] == (proxy ? 407 : 401));
  sc_close(&c);
}

void test_digest_matrix(void) {
  static const sipspec_digest_alg algs[] = {SIPSPEC_DIGEST_MD5,        SIPSPEC_DIGEST_MD5_SESS,
                                            SIPSPEC_DIGEST_SHA256,     SIPSPEC_DIGEST_SHA256_SESS,
                                            SIPSPEC_DIGEST_SHA512_256, SIPSPEC_DIGEST_SHA512_256_SESS};
  for (size_t a = 0; a < sizeof algs / sizeof algs[0]; a++)
    for (int q = 0; q < 2; q++)
      for (int proxy = 0; proxy < 2; proxy++)
        digest_call(algs[a], q ? SIPSPEC_DIGEST_QOP_AUTH_INT : SIPSPEC_DIGEST_QOP_AUTH, proxy);
}

/* A wrong password: the second challenge (RFC 3261 22.2: do not re-try credentials just
 * refused) or max_challenges ends it, whichever comes first. */
void test_digest_wrong_password(void) {
  static const sipspec_digest_cred_entry bad = {NULL, AUTH_USER, "not-the-password"};
  for (unsigned maxc = 0; maxc <= 3; maxc++) {
    char label[64];
    snprintf(label, sizeof label, "wrong password, max_challenges %u", maxc);
    int want = maxc == 0 ? 1 : 2; /* INVITEs sent, and challenges received */
    sc c;
    sc_open(&c);
    sc_auth_server(&c, 0, 0, 0, 0);
    sc_ua_auth(&c, &bad, maxc);
    c.hold_ms = 0;
    sc_call_server(&c);
    CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
    CHECK_FOR(label, c.answered == 0);
    CHECK_FOR(label, c.failed == 1);
    CHECK_FOR(label, c.result == SIPSPEC_RESULT_AUTH_FAILED);
    CHECK_FOR(label, c.fail_status == 401);
    CHECK_FOR(label, c.n_invite_cseq == want);
    CHECK_FOR(label, tel(&c)->sipAuthChallenges == (uint64_t)want);
    CHECK_FOR(label, tel(&c)->sessionsFailed == 1);
    /* why: the limit, or the realm refusing fresh credentials */
    if (maxc < 2) CHECK_FOR(label, strstr(c.fail_reason, "at most") != NULL);
    else CHECK_FOR(label, strstr(c.fail_reason, "rejected the credentials") != NULL);
    CHECK_FOR(label, strstr(c.fail_reason, "not-the-password") == NULL);
    sipspec_server_stats st;
    sipspec_server_stats_get(c.srv, &st);
    CHECK_FOR(label, st.challenges == (uint64_t)want);
    CHECK_FOR(label, st.invites == (uint64_t)want);
    CHECK_FOR(label, st.established == 0);
    CHECK_FOR(label, st.live_dialogs == 0);
    sc_close(&c);
  }
}

/* The nonce expires while the session is held: the re-INVITE's cached credentials get a
 * stale=true challenge (RFC 7616 3.3), answered at once with the new nonce and the same
 * credentials; the re-INVITE succeeds and the BYE right after it is accepted. */
void test_digest_stale_reinvite(void) {
  static const sipspec_digest_cred_entry cred = {NULL, AUTH_USER, AUTH_PASS};
  static const sc_step script[] = {{STEP_ADD, SIPSPEC_MRCP_SPEECHSYNTH}, {STEP_END, SIPSPEC_MRCP_RES_NONE}};
  static const sipspec_mrcp_resource recog[] = {SIPSPEC_MRCP_SPEECHRECOG};
  sc c;
  sc_open(&c);
  /* the nonce's lifetime: the digest module's default, 300 s (of the server's clock) */
  sc_auth_server(&c, 0, SIPSPEC_DIGEST_SHA256, SIPSPEC_DIGEST_QOP_AUTH, 0);
  sc_ua_auth(&c, &cred, 2);
  c.hold_ms = 0;
  c.steps = script;
  c.nsteps = 2;
  c.first_step_delay_ms = 310000; /* past the nonce's 300 s */
  sc_call_server_res(&c, recog, 1);
  CU_ASSERT_FATAL(tst_run_until(c.loop, cond_done, &c, RUN_MAX_S));
  CU_ASSERT_EQUAL(c.answered, 1);
  CU_ASSERT_EQUAL(c.failed, 0);
  CU_ASSERT_EQUAL(c.result, SIPSPEC_RESULT_OK);
  CU_ASSERT_EQUAL(c.ended_by, SIPSPEC_END_LOCAL);
  CU_ASSERT_EQUAL_FATAL(c.n_updated, 1);
  CU_ASSERT_EQUAL(c.upd_status[0], 200);
  CU_ASSERT(c.upd_has_answer[0] && active_channels(&c.upd_answer[0]) == 2);
  CU_ASSERT_EQUAL(c.terminated_at, c.answered_at + 310000); /* re-INVITE, BYE: no timer between */
  /* INVITE, INVITE with credentials, re-INVITE (stale), re-INVITE with the new nonce */
  CU_ASSERT_EQUAL(c.n_invite_cseq, 4);
  CU_ASSERT_EQUAL(tel(&c)->sipAuthChallenges, 2);
  CU_ASSERT_EQUAL(c.n_bye_with_auth, c.n_bye_sent);
  sipspec_server_stats st;
  sipspec_server_stats_get(c.srv, &st);
  CU_ASSERT_EQUAL(st.challenges, 2);
  CU_ASSERT_EQUAL(st.established, 1);
  CU_ASSERT_EQUAL(st.byes_received, 1);
  CU_ASSERT_EQUAL(st.ended, 1);
  CU_ASSERT_EQUAL(srv_saw(&c, SIPSPEC_SERVER_UPDATED), 1);
  sc_close(&c);
}

