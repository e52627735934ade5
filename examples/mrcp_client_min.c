/* mrcp_client_min.c: the smallest MRCPv2 client built on the installed sipspec library.
 *
 * It uses public headers only (#include "sipspec/..."), so it compiles against an installed
 * tree exactly as an application would (see README.md for the build commands). It does what
 * a client does, on its own libev loop:
 *   1. reads the SIP stack configuration from the MRCP_SIP_* environment variables and prints
 *      the timers it will run with;
 *   2. writes the MRCPv2 SDP offer it will send (one speechsynth channel plus audio);
 *   3. places a call: a user agent (sipspec/ua.h) starts an MRCPv2 session toward an MRCP
 *      server, prints the channel the answer gives (the MRCP connection a client would open
 *      next), and ends the session with BYE. With no argument the server is the library's
 *      embedded one (sipspec/server.h) on 127.0.0.1; with a SIP URI argument, that server;
 *   4. makes one deliberately bad call and prints the error's name and sentence.
 * Every step checks its result; the program exits 1 on the first unexpected one.
 */
#include "sipspec/sipspec.h"

#include <ev.h>
#include <stdio.h>
#include <string.h>

/* The client's media address and RTP port. A real client takes them from its own socket. */
#define CLIENT_ADDR "127.0.0.1"
#define CLIENT_RTP_PORT 4000u

static int fail(const char *what, int rc, const char *detail) {
  fprintf(stderr, "mrcp_client_min: %s: %s (%s)%s%s\n", what, sipspec_errname(rc),
          sipspec_strerror(rc), detail && *detail ? ": " : "", detail ? detail : "");
  return 1;
}

/* Step 1: defaults, then MRCP_SIP_* from the process environment. */
static int load_config(sipspec_config *cfg) {
  char err[SIPSPEC_ERR_LEN] = "";
  sipspec_config_init(cfg);
  int rc = sipspec_config_from_env(cfg, NULL, NULL, err, sizeof err);
  if (rc != SIPSPEC_OK) return fail("configuration from the environment", rc, err);
  printf("config: transport=%s t1=%ums t2=%ums t4=%ums invite_max_retrans=%u udp_max_size=%u\n",
         sipspec_tp_kind_name(cfg->transport), cfg->t1_ms, cfg->t2_ms, cfg->t4_ms,
         cfg->invite_max_retrans, cfg->udp_max_size);
  return 0;
}

/* Step 2: the offer the INVITE will carry. */
static int build_offer(char *buf, size_t cap, size_t *len) {
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = CLIENT_ADDR;
  d.rtp_port = CLIENT_RTP_PORT;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  sipspec_sdp_error err;
  memset(&err, 0, sizeof err);
  int rc = sipspec_mrcp_offer_build(&d, buf, cap, len, &err);
  if (rc != SIPSPEC_OK) return fail("building the offer", rc, err.reason);
  printf("offer: %zu bytes\n%s", *len, buf);
  return 0;
}

/* Step 3: the call. */
struct call {
  struct ev_loop *loop;
  int answered, failed, done;
};

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *a, const char *sdp, size_t sdp_len,
                        void *user) {
  struct call *c = user;
  (void)sdp, (void)sdp_len;
  c->answered = 1;
  for (size_t i = 0; i < a->nchannels; i++) {
    const sipspec_mrcp_channel *ch = &a->channels[i];
    if (ch->rejected) continue;
    printf("channel: %s %s at %s:%u over %s\n", sipspec_mrcp_resource_name(ch->resource), ch->channel_id,
           ch->host, ch->port, ch->tls ? "TLS" : "TCP");
  }
  if (a->audio.present && !a->audio.rejected && a->audio.ncodecs > 0)
    printf("audio: %s/%u to %s:%u\n", a->audio.codecs[0].encoding, a->audio.codecs[0].rate, a->audio.host,
           a->audio.port);
  /* A real client now opens the MRCP connection and speaks MRCPv2; this one hangs up. */
  sipspec_session_end(s);
}

static void on_failed(sipspec_session *s, sipspec_result r, const sipspec_response_info *info, void *user) {
  struct call *c = user;
  (void)s;
  c->failed = 1;
  fprintf(stderr, "mrcp_client_min: the call failed: %s, status %d, %s\n", sipspec_result_name(r), info->status,
          info->reason ? info->reason : "");
}

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  struct call *c = user;
  printf("session: %s, status %d, ended %s\n", sipspec_result_name(sipspec_session_result(s)),
         sipspec_session_status(s), sipspec_end_reason_name(by));
  c->done = 1;
  ev_break(c->loop, EVBREAK_ALL);
}

static void on_deadline(struct ev_loop *loop, ev_timer *w, int revents) {
  (void)w, (void)revents;
  ev_break(loop, EVBREAK_ALL);
}

static int place_call(const sipspec_config *cfg, const char *target_arg) {
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  if (!loop) return fail("creating the event loop", SIPSPEC_E_NOMEM, NULL);
  char err[SIPSPEC_ERR_LEN] = "";
  char target[256];
  int rc = SIPSPEC_OK, bad = 0;
  sipspec_server *srv = NULL;
  sipspec_ua *ua = NULL;

  if (!target_arg) { /* the embedded MRCPv2 server on an ephemeral loopback port */
    sipspec_server_opts so;
    sipspec_server_opts_init(&so);
    so.cfg = *cfg;
    so.listen_host = "127.0.0.1";
    so.mrcp.session_id = "32AECB234338";
    so.mrcp.mrcp_port = 1544;
    so.mrcp.rtp_port = 5000;
    if ((rc = sipspec_server_create(loop, &so, &srv, err, sizeof err)) != SIPSPEC_OK) {
      bad = fail("starting the embedded server", rc, err);
      goto out;
    }
    sipspec_sockaddr at;
    if ((rc = sipspec_server_bound_addr(srv, cfg->transport, &at)) != SIPSPEC_OK) {
      bad = fail("reading the server's port", rc, NULL);
      goto out;
    }
    snprintf(target, sizeof target, "sip:mresources@127.0.0.1:%u", sipspec_sockaddr_port(&at));
  } else {
    snprintf(target, sizeof target, "%s", target_arg);
  }

  sipspec_ua_opts uo;
  sipspec_ua_opts_init(&uo);
  uo.cfg = *cfg;
  uo.from_user = "mrcp-client";
  if ((rc = sipspec_ua_create(loop, &uo, &ua, err, sizeof err)) != SIPSPEC_OK) {
    bad = fail("creating the user agent", rc, err);
    goto out;
  }

  struct call c = {loop, 0, 0, 0};
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = CLIENT_ADDR;
  d.rtp_port = CLIENT_RTP_PORT;
  d.resources[0] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 1;
  sipspec_session_opts so;
  sipspec_session_opts_init(&so);
  so.target = target;
  so.offer = &d;
  so.cb.on_answered = on_answered;
  so.cb.on_failed = on_failed;
  so.cb.on_terminated = on_terminated;
  so.cb.user = &c;
  printf("calling %s over %s\n", target, sipspec_tp_kind_name(cfg->transport));
  if ((rc = sipspec_session_start(ua, &so, NULL)) != SIPSPEC_OK) {
    bad = fail("starting the session", rc, target);
    goto out;
  }
  ev_timer deadline; /* a bound on the whole call: Timer B with the configured T1, plus slack */
  ev_timer_init(&deadline, on_deadline, 64.0 * cfg->t1_ms / 1000.0 + 5.0, 0.);
  ev_timer_start(loop, &deadline);
  ev_run(loop, 0);
  ev_timer_stop(loop, &deadline);
  if (!c.done) bad = fail("the call did not end in time", SIPSPEC_E_TIMEOUT, target);
  else if (!c.answered || c.failed) bad = 1;

out:
  sipspec_ua_destroy(ua);
  sipspec_server_destroy(srv);
  ev_loop_destroy(loop);
  return bad;
}

/* Step 4: a bad value for T1, given through a lookup function instead of the environment. */
static const char *bad_env(const char *name, void *arg) {
  (void)arg;
  return strcmp(name, "MRCP_SIP_RETRANS_T1_MS") == 0 ? "12x" : NULL;
}

static int show_bad_call(const sipspec_config *good) {
  sipspec_config cfg = *good;
  char err[SIPSPEC_ERR_LEN] = "";
  int rc = sipspec_config_from_env(&cfg, bad_env, NULL, err, sizeof err);
  if (rc == SIPSPEC_OK) return fail("a bad T1 value was accepted", rc, NULL);
  printf("bad call: %s (%s): %s\n", sipspec_errname(rc), sipspec_strerror(rc), err);
  if (cfg.t1_ms != good->t1_ms) return fail("a failed call changed the configuration", rc, NULL);
  return 0;
}

int main(int argc, char **argv) {
  if (argc > 2 || (argc == 2 && strncmp(argv[1], "sip:", 4) != 0)) {
    fprintf(stderr, "usage: mrcp_client_min [sip:USER@HOST:PORT]\n");
    return 2;
  }
  sipspec_config cfg;
  char offer[2048];
  size_t offer_len = 0;
  if (load_config(&cfg) || build_offer(offer, sizeof offer, &offer_len) ||
      place_call(&cfg, argc == 2 ? argv[1] : NULL) || show_bad_call(&cfg))
    return 1;
  return 0;
}
