/* mrcp_client_min.c: the smallest MRCPv2 client built on the installed sipspec library.
 *
 * It uses public headers only (#include "sipspec/..."), so it compiles against an installed
 * tree exactly as an application would (see README.md for the build commands). What it does
 * is what a client does before it places a call:
 *   1. reads the SIP stack configuration from the MRCP_SIP_* environment variables and prints
 *      the timers it will run with;
 *   2. writes the MRCPv2 SDP offer (one speechsynth channel plus the audio stream);
 *   3. until the session API places calls, has the library's own server side answer that
 *      offer, and reads the answer back as the client would: the MRCP channel to connect to;
 *   4. starts the UAC session chart that will drive the call, and shows its state;
 *   5. makes one deliberately bad call and prints the error's name and sentence.
 * Every step checks its result; the program exits 1 on the first unexpected one.
 */
#include "sipspec/chart_uac_session.h"
#include "sipspec/config.h"
#include "sipspec/error.h"
#include "sipspec/fsm.h"
#include "sipspec/mrcp_sdp.h"

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

/* Step 3: an answer as an MRCPv2 server gives it, read back against the offer. */
static int negotiate(const char *offer, size_t offer_len) {
  sipspec_mrcp_server_config srv;
  sipspec_mrcp_server_config_init(&srv);
  srv.addr = "127.0.0.1";
  srv.mrcp_port = 1544;
  srv.rtp_port = 5000;
  srv.session_id = "32AECB234338";
  char answer[2048];
  size_t answer_len = 0;
  sipspec_sdp_error err;
  memset(&err, 0, sizeof err);
  int rc = sipspec_mrcp_server_answer(&srv, offer, offer_len, answer, sizeof answer, &answer_len, &err);
  if (rc != SIPSPEC_OK) return fail("answering the offer", rc, err.reason);

  static sipspec_mrcp_answer got; /* about 4 KB: kept off the stack */
  rc = sipspec_mrcp_answer_parse(offer, offer_len, answer, answer_len, &got, &err);
  if (rc != SIPSPEC_OK) return fail("reading the answer", rc, err.reason);
  if (got.nchannels != 1 || got.channels[0].rejected) return fail("reading the answer", SIPSPEC_E_STATE, "no channel");
  const sipspec_mrcp_channel *ch = &got.channels[0];
  printf("channel: %s %s at %s:%u over %s\n", sipspec_mrcp_resource_name(ch->resource), ch->channel_id,
         ch->host, ch->port, ch->tls ? "TLS" : "TCP");
  if (got.audio.present && !got.audio.rejected && got.audio.ncodecs > 0)
    printf("audio: %s/%u to %s:%u\n", got.audio.codecs[0].encoding, got.audio.codecs[0].rate,
           got.audio.host, got.audio.port);
  return 0;
}

/* Step 4: the chart that will run the call (generated from spec/uac_session.rl). */
static int show_chart(void) {
  sipspec_fsm m;
  sipspec_fsm_init(&m, &sipspec_chart_uac_session, NULL, NULL);
  if (sipspec_fsm_state(&m) != SIPSPEC_UAC_SESSION_IDLE)
    return fail("starting the session chart", SIPSPEC_E_STATE, sipspec_fsm_state_name(&m));
  printf("chart: %s (%s), %d states, starts in %s\n", sipspec_chart_uac_session.name,
         sipspec_chart_uac_session.title, sipspec_chart_uac_session.n_states, sipspec_fsm_state_name(&m));
  return 0;
}

/* Step 5: a bad value for T1, given through a lookup function instead of the environment. */
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

int main(void) {
  sipspec_config cfg;
  char offer[2048];
  size_t offer_len = 0;
  if (load_config(&cfg) || build_offer(offer, sizeof offer, &offer_len) || negotiate(offer, offer_len) ||
      show_chart() || show_bad_call(&cfg))
    return 1;
  return 0;
}
