/* call_run.c: drives one MRCP client session for `sipspec call` and `sipspec demo`
 * (call_run.h): the session callbacks record into a cli_call_report and print a line per
 * event; an embedded ev_timer holds the established session before the BYE. */
#include "call_run.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

static void say(cli_call *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(cli_call *c, const char *fmt, ...) {
  if (!c->log) return;
  va_list ap;
  va_start(ap, fmt);
  if (c->who) fprintf(c->log, "%s: ", c->who);
  vfprintf(c->log, fmt, ap);
  va_end(ap);
  fputc('\n', c->log);
  fflush(c->log);
}

static void copy(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "");
}

void cli_call_init(cli_call *c) {
  memset(c, 0, sizeof *c);
  cli_call_report_init(&c->rep);
  c->result = -1;
  c->hold_ms = 1000;
}

static void hold_cb(struct ev_loop *loop, ev_timer *w, int revents) {
  cli_call *c = (cli_call *)((char *)w - offsetof(cli_call, hold));
  (void)loop;
  (void)revents;
  say(c, "held %u ms, sending BYE", c->hold_ms);
  cli_call_hangup(c);
}

static void on_provisional(sipspec_session *s, int status, const char *reason, void *user) {
  cli_call *c = user;
  (void)s;
  say(c, "%d %s", status, reason ? reason : "");
}

static void on_answered(sipspec_session *s, const sipspec_mrcp_answer *answer, const char *sdp, size_t sdp_len,
                        void *user) {
  cli_call *c = user;
  c->rep.established = 1;
  c->rep.status = sipspec_session_status(s);
  copy(c->rep.reason, sizeof c->rep.reason, sipspec_session_reason(s));
  if (answer) {
    c->rep.answer = *answer;
    c->rep.has_answer = 1;
  }
  say(c, "%d: session established", c->rep.status);
  if (c->log) cli_call_report_session_text(c->log, &c->rep);
  if (answer && c->media.local_port && !c->media.rtp) { /* the negotiated audio: RTP and RTCP (RFC 3550) */
    char err[256] = "";
    if (!c->clock) c->clock = sipspec_clock_libev_new(c->loop);
    int rc = c->clock ? cli_media_start(&c->media, c->clock, answer, sdp, sdp_len, err, sizeof err) : SIPSPEC_E_NOMEM;
    if (rc != SIPSPEC_OK) {
      copy(c->rep.media_error, sizeof c->rep.media_error, err[0] ? err : sipspec_strerror(rc));
      say(c, "no audio: %s", c->rep.media_error);
    } else if (c->media.rtp) {
      say(c, "audio: RTP on port %u, RTCP on %u, SSRC %08x", sipspec_rtp_local_port(c->media.rtp),
          sipspec_rtp_local_rtcp_port(c->media.rtp), (unsigned)sipspec_rtp_ssrc(c->media.rtp));
    }
  }
  if (c->ending) return; /* a hang-up came while the INVITE was pending: the runtime sends BYE */
  ev_timer_set(&c->hold, c->hold_ms / 1000.0, 0.);
  ev_timer_start(c->loop, &c->hold);
}

static void on_failed(sipspec_session *s, sipspec_result result, const sipspec_response_info *info, void *user) {
  cli_call *c = user;
  (void)s;
  if (info) {
    c->rep.status = info->status;
    copy(c->rep.reason, sizeof c->rep.reason, info->reason);
    copy(c->rep.warning, sizeof c->rep.warning, info->warning);
  }
  if (info && info->status)
    say(c, "failed: %s (%d %s)%s%s", sipspec_result_name(result), info->status, info->reason ? info->reason : "",
        info->warning ? ": " : "", info->warning ? info->warning : "");
  else
    say(c, "failed: %s%s%s", sipspec_result_name(result), info && info->reason ? ": " : "",
        info && info->reason ? info->reason : "");
}

static void on_keepalive(sipspec_session *s, const sipspec_response_info *info, void *user) {
  cli_call *c = user;
  (void)s;
  if (info && info->status) say(c, "OPTIONS keep-alive: %d %s", info->status, info->reason ? info->reason : "");
  else say(c, "OPTIONS keep-alive: no response%s%s", info && info->reason ? ": " : "", info && info->reason ? info->reason : "");
}

static void on_terminated(sipspec_session *s, sipspec_end_reason by, void *user) {
  cli_call *c = user;
  sipspec_result r = sipspec_session_result(s);
  c->result = (int)r;
  c->rep.result = sipspec_result_name(r);
  /* status and reason stay the INVITE's (on_answered, on_failed); our BYE's outcome is
   * its own. */
  const char *bye_reason = NULL;
  int bye = sipspec_session_bye_status(s, &bye_reason);
  if (bye >= 0) {
    c->rep.bye_sent = 1;
    c->rep.bye_status = bye;
    copy(c->rep.bye_reason, sizeof c->rep.bye_reason, bye_reason);
  }
  c->rep.ended_by = sipspec_end_reason_name(by);
  /* a target name gets its Call-ID once it is resolved, after sipspec_session_start() */
  if (!c->rep.call_id[0]) copy(c->rep.call_id, sizeof c->rep.call_id, sipspec_session_call_id(s));
  /* RFC 3263 4.3: the targets tried, in order, and why each was left */
  c->rep.ntargets = 0;
  sipspec_sockaddr ta;
  sipspec_tp_kind tk;
  const char *left;
  while (c->rep.ntargets < sizeof c->rep.targets / sizeof c->rep.targets[0] &&
         sipspec_session_target(s, c->rep.ntargets, &ta, &tk, &left) == SIPSPEC_OK) {
    unsigned i = c->rep.ntargets++;
    sipspec_sockaddr_format(&ta, c->rep.targets[i].address, sizeof c->rep.targets[i].address);
    copy(c->rep.targets[i].transport, sizeof c->rep.targets[i].transport, sipspec_tp_kind_name(tk));
    copy(c->rep.targets[i].left, sizeof c->rep.targets[i].left, left);
    if (left && *left) say(c, "left %s over %s: %s", c->rep.targets[i].address, c->rep.targets[i].transport, left);
  }
  const char *refresher = NULL;
  c->rep.session_expires = sipspec_session_expires(s, &refresher); /* RFC 4028, as last negotiated */
  copy(c->rep.refresher, sizeof c->rep.refresher, refresher);
  if (r != SIPSPEC_RESULT_OK) c->rep.established = 0;
  if (c->rep.established) say(c, "session ended by %s", c->rep.ended_by);
  if (c->rep.bye_sent && c->rep.bye_status) say(c, "BYE: %d %s", c->rep.bye_status, c->rep.bye_reason);
  else if (c->rep.bye_sent) say(c, "BYE: %s", c->rep.bye_reason);
  ev_timer_stop(c->loop, &c->hold);
  cli_media_stop(&c->media); /* RTCP BYE (RFC 3550 §6.3.7) */
  const sipspec_rtp_stats *ms = cli_media_stats(&c->media);
  if (ms) {
    c->rep.has_media = 1;
    c->rep.media = *ms;
    say(c, "audio: sent %llu packets, received %llu, lost %lld, jitter %.2f ms%s", (unsigned long long)ms->packets_sent,
        (unsigned long long)ms->packets_received, (long long)ms->lost, ms->jitter_ms, ms->rtt_known ? "" : ", no RTT");
  }
  c->s = NULL;
  c->done = 1;
  if (c->on_done) c->on_done(c);
}

int cli_call_start(cli_call *c, sipspec_ua *ua, sipspec_session_opts *o) {
  c->loop = sipspec_ua_loop(ua);
  ev_timer_init(&c->hold, hold_cb, 0., 0.);
  o->cb.on_provisional = on_provisional;
  o->cb.on_answered = on_answered;
  o->cb.on_failed = on_failed;
  o->cb.on_updated = NULL;
  o->cb.on_keepalive = on_keepalive;
  o->cb.on_terminated = on_terminated;
  o->cb.user = c;
  int rc = sipspec_session_start(ua, o, &c->s);
  if (rc != SIPSPEC_OK) {
    c->s = NULL;
    snprintf(c->rep.error, sizeof c->rep.error, "cannot start the session: %s (%s)", sipspec_strerror(rc),
             sipspec_errname(rc));
    return rc;
  }
  copy(c->rep.call_id, sizeof c->rep.call_id, sipspec_session_call_id(c->s));
  say(c, "INVITE %s", o->target);
  return SIPSPEC_OK;
}

void cli_call_hangup(cli_call *c) {
  if (!c->s || c->ending) return;
  c->ending = 1;
  ev_timer_stop(c->loop, &c->hold);
  int rc = sipspec_session_end(c->s);
  if (rc != SIPSPEC_OK && rc != SIPSPEC_E_STATE) say(c, "cannot end the session: %s", sipspec_strerror(rc));
}

void cli_call_finish(cli_call *c, sipspec_ua *ua) {
  if (c->loop) ev_timer_stop(c->loop, &c->hold);
  if (ua) c->rep.tel = *sipspec_ua_telemetry(ua);
  const sipspec_rtp_stats *ms = cli_media_stats(&c->media);
  if (ms) { /* the media counters of telemetry.h, from the endpoint's figures */
    c->rep.has_media = 1;
    c->rep.media = *ms;
    c->rep.tel.rtcpPacketsLost = ms->lost > 0 ? (uint64_t)ms->lost : 0;
    c->rep.tel.rtcpFractionLost = ms->fraction_lost;
    c->rep.tel.rtcpJitterMs = (uint64_t)(ms->jitter_ms + 0.5);
    c->rep.tel.rtcpRttMs = ms->rtt_known ? (uint64_t)(ms->rtt_ms + 0.5) : 0;
    c->rep.tel.rtpPacketsSent = ms->packets_sent;
    c->rep.tel.rtpPacketsReceived = ms->packets_received;
  }
  cli_media_close(&c->media);
  if (c->clock) sipspec_clock_free(c->clock);
  c->clock = NULL;
}
