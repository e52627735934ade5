/* call_report.c: text and JSON output of a session attempt (call_report.h). */
#include "call_report.h"
#include "call_media.h"

#include <string.h>

#include "sipspec/error.h"

#include "cli_util.h"

void cli_call_report_init(cli_call_report *r) {
  memset(r, 0, sizeof *r);
  r->result = "error";
  r->ended_by = "none";
  sipspec_telemetry_init(&r->tel);
}

const sipspec_mrcp_codec_choice *cli_call_report_codec(const cli_call_report *r) {
  const sipspec_mrcp_audio *a = &r->answer.audio;
  for (size_t i = 0; i < a->ncodecs && i < SIPSPEC_MRCP_MAX_CODECS; i++)
    if (a->codecs[i].codec != SIPSPEC_MRCP_TELEPHONE_EVENT && strcmp(a->codecs[i].encoding, "telephone-event"))
      return &a->codecs[i];
  return NULL;
}

static const char *resource_name(sipspec_mrcp_resource res) {
  const char *n = sipspec_mrcp_resource_name(res);
  return n ? n : "?";
}

static void session_json(FILE *out, const cli_call_report *r) {
  if (!r->established || !r->has_answer) {
    fputs("null", out);
    return;
  }
  const sipspec_mrcp_answer *an = &r->answer;
  fputs("{\"channels\":[", out);
  for (size_t i = 0; i < an->nchannels && i < SIPSPEC_MRCP_MAX_CHANNELS; i++) {
    const sipspec_mrcp_channel *c = &an->channels[i];
    fputs(i ? ",{\"id\":" : "{\"id\":", out);
    cli_json_string(out, c->rejected ? NULL : c->channel_id);
    fputs(",\"resource\":", out);
    cli_json_string(out, resource_name(c->resource));
    fputs(",\"host\":", out);
    cli_json_string(out, c->host);
    fprintf(out, ",\"port\":%u,\"rejected\":%s}", c->port, c->rejected ? "true" : "false");
  }
  fputs("],\"audio\":", out);
  const sipspec_mrcp_audio *a = &an->audio;
  if (!a->present) {
    fputs("null}", out);
    return;
  }
  fputs("{\"host\":", out);
  cli_json_string(out, a->host);
  fprintf(out, ",\"port\":%u,\"codec\":", a->port);
  const sipspec_mrcp_codec_choice *c = cli_call_report_codec(r);
  if (c) {
    fputs("{\"name\":", out);
    cli_json_string(out, c->encoding);
    fprintf(out, ",\"rate\":%u,\"pt\":%u}", c->rate, c->pt);
  } else {
    fputs("null", out);
  }
  fputs(",\"direction\":{\"offered\":", out);
  cli_json_string(out, sipspec_sdp_dir_name(a->offered));
  fputs(",\"answered\":", out);
  cli_json_string(out, sipspec_sdp_dir_name(a->answered));
  fprintf(out, "},\"rejected\":%s}}", a->rejected ? "true" : "false");
}

void cli_call_report_json(FILE *out, const cli_call_report *r, void (*extra)(FILE *out, void *arg), void *arg) {
  char tel[1024];
  size_t n = sipspec_telemetry_to_json(&r->tel, tel, sizeof tel);
  fputs("{\"result\":", out);
  cli_json_string(out, r->result);
  if (r->status) fprintf(out, ",\"status\":%d", r->status);
  else fputs(",\"status\":null", out);
  fputs(",\"reason\":", out);
  cli_json_string(out, r->reason[0] ? r->reason : NULL);
  if (r->warning[0]) {
    fputs(",\"warning\":", out);
    cli_json_string(out, r->warning);
  }
  if (r->error[0]) {
    fputs(",\"error\":", out);
    cli_json_string(out, r->error);
  }
  fputs(",\"call_id\":", out);
  cli_json_string(out, r->call_id[0] ? r->call_id : NULL);
  fputs(",\"session\":", out);
  session_json(out, r);
  fputs(",\"ended_by\":", out);
  cli_json_string(out, r->ended_by);
  if (r->bye_sent && r->bye_status) fprintf(out, ",\"bye_status\":%d", r->bye_status);
  else fputs(",\"bye_status\":null", out);
  fputs(",\"bye_reason\":", out);
  cli_json_string(out, r->bye_sent ? r->bye_reason : NULL);
  if (r->session_expires) fprintf(out, ",\"session_expires\":%u", r->session_expires);
  else fputs(",\"session_expires\":null", out);
  fputs(",\"refresher\":", out);
  cli_json_string(out, r->refresher[0] ? r->refresher : NULL);
  fputs(",\"targets\":", out);
  if (!r->ntargets) fputs("null", out);
  for (unsigned i = 0; i < r->ntargets; i++) {
    fprintf(out, "%s{\"address\":", i ? "," : "[");
    cli_json_string(out, r->targets[i].address);
    fprintf(out, ",\"transport\":\"%s\",\"left\":", r->targets[i].transport);
    cli_json_string(out, r->targets[i].left[0] ? r->targets[i].left : NULL);
    fputs(i + 1 == r->ntargets ? "}]" : "}", out);
  }
  fputs(",\"media\":", out);
  cli_media_json(out, r->has_media ? &r->media : NULL);
  if (r->media_error[0]) {
    fputs(",\"media_error\":", out);
    cli_json_string(out, r->media_error);
  }
  fputs(",\"telemetry\":", out);
  fputs(n < sizeof tel ? tel : "null", out);
  if (extra) extra(out, arg);
  fputs("}", out);
}

void cli_call_report_session_text(FILE *out, const cli_call_report *r) {
  if (!r->established || !r->has_answer) return;
  const sipspec_mrcp_answer *an = &r->answer;
  for (size_t i = 0; i < an->nchannels && i < SIPSPEC_MRCP_MAX_CHANNELS; i++) {
    const sipspec_mrcp_channel *c = &an->channels[i];
    if (c->rejected) fprintf(out, "  channel %-12s rejected by the server\n", resource_name(c->resource));
    else fprintf(out, "  channel %-12s %s  MRCP %s%s%s:%u\n", resource_name(c->resource), c->channel_id,
                 strchr(c->host, ':') ? "[" : "", c->host, strchr(c->host, ':') ? "]" : "", c->port);
  }
  const sipspec_mrcp_audio *a = &an->audio;
  if (!a->present) return;
  if (a->rejected) {
    fprintf(out, "  audio rejected by the server\n");
    return;
  }
  const sipspec_mrcp_codec_choice *c = cli_call_report_codec(r);
  fprintf(out, "  audio   %s%s%s:%u  ", strchr(a->host, ':') ? "[" : "", a->host, strchr(a->host, ':') ? "]" : "",
          a->port);
  if (c) fprintf(out, "%s/%u pt %u", c->encoding, c->rate, c->pt);
  else fprintf(out, "no codec");
  fprintf(out, "  offered %s, answered %s\n", sipspec_sdp_dir_name(a->offered), sipspec_sdp_dir_name(a->answered));
}
