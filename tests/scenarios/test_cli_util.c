/* test_cli_util.c: the option-value parsers behind `sipspec call/serve/demo` (tools/sipspec/
 * cli_util.c) and the call report's JSON (call_report.c), without a network: each parser on
 * good values, on the bad values a user types (signs, blanks, overflow, missing parts), and the
 * JSON of a real negotiated MRCP answer read back field by field. */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call_report.h"
#include "cli_util.h"
#include "sipspec/error.h"

static void test_opt_forms(void) {
  char *argv[] = {"call", "--hold", "250", "--hold=7", "--holdx", "--hold"};
  int argc = 6, i = 1;
  const char *v = NULL;
  char why[64];
  CU_ASSERT_EQUAL(cli_opt(argc, argv, &i, "--hold", &v, why, sizeof why), 1);
  CU_ASSERT_EQUAL(i, 2);
  CU_ASSERT_STRING_EQUAL(v, "250");
  i = 3;
  CU_ASSERT_EQUAL(cli_opt(argc, argv, &i, "--hold", &v, why, sizeof why), 1);
  CU_ASSERT_EQUAL(i, 3);
  CU_ASSERT_STRING_EQUAL(v, "7");
  i = 4; /* a longer option that starts with the same letters is another option */
  CU_ASSERT_EQUAL(cli_opt(argc, argv, &i, "--hold", &v, why, sizeof why), 0);
  i = 5; /* the value is missing */
  CU_ASSERT_EQUAL(cli_opt(argc, argv, &i, "--hold", &v, why, sizeof why), -1);
  CU_ASSERT_STRING_EQUAL(why, "--hold needs a value");
}

static void test_uint(void) {
  unsigned v = 77;
  char why[96];
  CU_ASSERT_EQUAL(cli_parse_uint("0", 0, 10, &v, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(v, 0);
  CU_ASSERT_EQUAL(cli_parse_uint("65535", 1, 65535, &v, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(v, 65535);
  static const char *bad[] = {"", "-1", "+1", " 1", "1 ", "0x10", "1e3", "12x", "65536", "99999999999999999999"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    v = 77;
    CU_ASSERT_EQUAL(cli_parse_uint(bad[i], 1, 65535, &v, why, sizeof why), SIPSPEC_E_INVAL);
    CU_ASSERT_EQUAL(v, 77); /* untouched on failure */
  }
  CU_ASSERT_EQUAL(cli_parse_uint("65536", 1, 65535, &v, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(why, "'65536' is out of range 1..65535");
  CU_ASSERT_EQUAL(cli_parse_uint("299", 300, 699, &v, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(why, "'299' is out of range 300..699");
  CU_ASSERT_EQUAL(cli_parse_uint("12x", 0, 100, &v, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(why, "'12x' is not a decimal number");
}

static void test_resource_list(void) {
  unsigned m = 0xdead;
  char why[160];
  CU_ASSERT_EQUAL(cli_parse_resource_list("speechrecog,speechsynth", &m, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(m, (1u << SIPSPEC_MRCP_SPEECHRECOG) | (1u << SIPSPEC_MRCP_SPEECHSYNTH));
  CU_ASSERT_EQUAL(cli_parse_resource_list("recorder", &m, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(m, 1u << SIPSPEC_MRCP_RECORDER);
  static const struct {
    const char *in, *why;
  } bad[] = {{"", "empty name"},
             {"speechrecog,", "empty name"},
             {",speechrecog", "empty name"},
             {"speechrecog,,recorder", "empty name"},
             {"speechrecog,speech", "'speech' is not an MRCP resource"},
             {"recorder,recorder", "'recorder' is listed twice"},
             {"speechrecog speechsynth", "not an MRCP resource"},
             {"averyveryveryveryverylongresourcename", "not an MRCP resource"}};
  for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
    m = 0xdead;
    why[0] = '\0';
    CU_ASSERT_EQUAL(cli_parse_resource_list(bad[k].in, &m, why, sizeof why), SIPSPEC_E_INVAL);
    CU_ASSERT_EQUAL(m, 0xdead); /* untouched on failure */
    CU_ASSERT_PTR_NOT_NULL(strstr(why, bad[k].why));
  }
}

static void test_transport_resource(void) {
  sipspec_tp_kind k = SIPSPEC_TP_TLS;
  char why[160];
  CU_ASSERT_EQUAL(cli_parse_transport("tcp", &k, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TCP);
  CU_ASSERT_EQUAL(cli_parse_transport("udp", &k, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(cli_parse_transport("UDP", &k, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(cli_parse_transport("tls", &k, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TLS);
  CU_ASSERT_EQUAL(cli_parse_transport("sctp", &k, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "udp, tcp or tls"));
  sipspec_mrcp_resource r = SIPSPEC_MRCP_RES_NONE;
  CU_ASSERT_EQUAL(cli_parse_resource("speechrecog", &r, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r, SIPSPEC_MRCP_SPEECHRECOG);
  CU_ASSERT_EQUAL(cli_parse_resource("recorder", &r, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(r, SIPSPEC_MRCP_RECORDER);
  CU_ASSERT_EQUAL(cli_parse_resource("speech", &r, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(r, SIPSPEC_MRCP_RECORDER);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "'speech' is not an MRCP resource"));
}

static void test_hostport(void) {
  char host[CLI_HOST_MAX] = "unchanged", why[160];
  unsigned port = 9;
  CU_ASSERT_EQUAL(cli_parse_hostport("127.0.0.1:0", host, sizeof host, &port, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(host, "127.0.0.1");
  CU_ASSERT_EQUAL(port, 0);
  CU_ASSERT_EQUAL(cli_parse_hostport("[::1]:5060", host, sizeof host, &port, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(host, "::1");
  CU_ASSERT_EQUAL(port, 5060);
  static const char *bad[] = {"127.0.0.1", ":5060", "127.0.0.1:", "127.0.0.1:70000", "::1:5060", "[::1]5060",
                              "[::1", "localhost:5060", "300.1.1.1:5060", "127.0.0.1:-1", "[]:5060"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    strcpy(host, "unchanged");
    port = 9;
    CU_ASSERT_EQUAL(cli_parse_hostport(bad[i], host, sizeof host, &port, why, sizeof why), SIPSPEC_E_INVAL);
    CU_ASSERT_STRING_EQUAL(host, "unchanged");
    CU_ASSERT_EQUAL(port, 9);
  }
  cli_parse_hostport("::1:5060", host, sizeof host, &port, why, sizeof why);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "[ADDR]:PORT"));
  cli_parse_hostport("localhost:5060", host, sizeof host, &port, why, sizeof why);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "'localhost' is not an IP address"));
}

static void test_userpass(void) {
  char u[CLI_CRED_MAX], p[CLI_CRED_MAX], why[128];
  CU_ASSERT_EQUAL(cli_parse_userpass("alice:s3:cret", u, sizeof u, p, sizeof p, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_STRING_EQUAL(u, "alice");
  CU_ASSERT_STRING_EQUAL(p, "s3:cret"); /* split at the first colon only */
  static const char *bad[] = {"alice", ":pw", "alice:", "al\x01ice:pw", "alice:p\nw"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CU_ASSERT_EQUAL(cli_parse_userpass(bad[i], u, sizeof u, p, sizeof p, why, sizeof why), SIPSPEC_E_INVAL);
    CU_ASSERT_PTR_NULL(strstr(why, "pw")); /* the password is never echoed */
  }
  char small[4];
  CU_ASSERT_EQUAL(cli_parse_userpass("alice:pw", small, sizeof small, p, sizeof p, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_STRING_EQUAL(why, "the user name is too long");
}

static void test_target(void) {
  int v6 = -1;
  char why[200];
  CU_ASSERT_EQUAL(cli_check_target("sip:mresources@127.0.0.1:5060", &v6, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(v6, 0);
  CU_ASSERT_EQUAL(cli_check_target("sip:mresources@[::1]:5060", &v6, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(v6, 1);
  CU_ASSERT_EQUAL(cli_check_target("sip:server.example.com", &v6, why, sizeof why), SIPSPEC_OK);
  CU_ASSERT_EQUAL(v6, 0);
  CU_ASSERT_EQUAL(cli_check_target("", &v6, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(cli_check_target("mresources@127.0.0.1", &v6, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(cli_check_target("sip:", &v6, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(cli_check_target("sip:a@127.0.0.1:0", &v6, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(cli_check_target("sip:a@127.0.0.1:99999", &v6, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_EQUAL(cli_check_target("tel:+15551234", &v6, why, sizeof why), SIPSPEC_E_INVAL);
  CU_ASSERT_PTR_NOT_NULL(strstr(why, "is not a sip: URI"));
  CU_ASSERT_EQUAL(cli_check_target("sips:a@127.0.0.1", &v6, why, sizeof why), SIPSPEC_OK);
  sipspec_tp_kind k = SIPSPEC_TP_UDP;
  CU_ASSERT_EQUAL(cli_target_transport("sips:a@127.0.0.1", &k), 1);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TLS);
  k = SIPSPEC_TP_UDP;
  CU_ASSERT_EQUAL(cli_target_transport("sip:a@127.0.0.1;transport=tls", &k), 1);
  CU_ASSERT_EQUAL(k, SIPSPEC_TP_TLS);
  CU_ASSERT_EQUAL(cli_target_transport("sip:a@127.0.0.1;transport=tcp", &k), 0);
}

static void test_config_env(void) {
  sipspec_config cfg;
  char err[SIPSPEC_ERR_LEN];
  unsetenv("MRCP_SIP_TRANSPORT");
  setenv("MRCP_SIP_RETRANS_T1_MS", "50", 1);
  CU_ASSERT_EQUAL(cli_config_from_env(&cfg, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cfg.t1_ms, 50);
  CU_ASSERT_EQUAL(cfg.transport, SIPSPEC_TP_UDP);
  setenv("MRCP_SIP_RETRANS_T1_MS", "12x", 1);
  CU_ASSERT_EQUAL(cli_config_from_env(&cfg, err, sizeof err), SIPSPEC_E_CONFIG);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "MRCP_SIP_RETRANS_T1_MS"));
  unsetenv("MRCP_SIP_RETRANS_T1_MS");
  setenv("MRCP_SIP_TRANSPORT", "tcp", 1);
  CU_ASSERT_EQUAL(cli_config_from_env(&cfg, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(cfg.transport, SIPSPEC_TP_TCP);
  CU_ASSERT_EQUAL(cfg.t1_ms, SIPSPEC_DEFAULT_T1_MS);
  unsetenv("MRCP_SIP_TRANSPORT");
}

/* Writes f's contents into a string (caller frees). */
static char *slurp(FILE *f) {
  long n = ftell(f);
  char *s = malloc((size_t)n + 1);
  rewind(f);
  size_t got = fread(s, 1, (size_t)n, f);
  s[got] = '\0';
  return s;
}

/* The JSON report of r (caller frees). */
static char *report_json(const cli_call_report *r, void (*extra)(FILE *out, void *arg), void *arg) {
  FILE *f = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  cli_call_report_json(f, r, extra, arg);
  char *s = slurp(f);
  fclose(f);
  return s;
}

static void test_json_string(void) {
  FILE *f = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  cli_json_string(f, "a\"b\\c\r\n\t\x01");
  fputc(' ', f);
  cli_json_string(f, NULL);
  char *s = slurp(f);
  CU_ASSERT_STRING_EQUAL(s, "\"a\\\"b\\\\c\\r\\n\\t\\u0001\" null");
  free(s);
  fclose(f);
}

/* A real negotiation: the client's offer, the embedded server's answer, parsed back. */
static void negotiate(sipspec_mrcp_answer *out) {
  sipspec_mrcp_offer_desc d;
  sipspec_mrcp_offer_desc_init(&d);
  d.addr = "127.0.0.1";
  d.rtp_port = 5004;
  d.resources[0] = SIPSPEC_MRCP_SPEECHRECOG;
  d.resources[1] = SIPSPEC_MRCP_SPEECHSYNTH;
  d.nresources = 2;
  char offer[2048], answer[2048];
  size_t olen, alen;
  sipspec_sdp_error e;
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_offer_build(&d, offer, sizeof offer, &olen, &e), SIPSPEC_OK);
  sipspec_mrcp_server_config sc;
  sipspec_mrcp_server_config_init(&sc);
  sc.addr = "127.0.0.1";
  sc.mrcp_port = 1544;
  sc.rtp_port = 4000;
  sc.session_id = "32AECB234338";
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_server_answer(&sc, offer, olen, answer, sizeof answer, &alen, &e), SIPSPEC_OK);
  CU_ASSERT_EQUAL_FATAL(sipspec_mrcp_answer_parse(offer, olen, answer, alen, out, &e), SIPSPEC_OK);
}

static void test_report_json(void) {
  cli_call_report r;
  cli_call_report_init(&r);
  r.result = "ok";
  r.status = 200;
  strcpy(r.reason, "OK");
  strcpy(r.call_id, "abc@127.0.0.1");
  r.ended_by = "local";
  r.established = 1;
  r.has_answer = 1;
  negotiate(&r.answer);
  r.tel.sessionsStarted = 1;
  r.tel.sessionsEstablished = 1;
  r.tel.sipByeSent = 1;
  r.bye_sent = 1; /* the server lost the dialog: the INVITE's status stays */
  r.bye_status = 481;
  strcpy(r.bye_reason, "Call/Transaction Does Not Exist");
  r.session_expires = 600; /* RFC 4028, as negotiated */
  r.ntargets = 2; /* RFC 3263 4.3: the first target answered 503, the second took the call */
  strcpy(r.targets[0].address, "127.0.0.9:5060");
  strcpy(r.targets[0].transport, "udp");
  strcpy(r.targets[0].left, "503 Service Unavailable");
  strcpy(r.targets[1].address, "127.0.0.1:5070");
  strcpy(r.targets[1].transport, "tcp");
  snprintf(r.refresher, sizeof r.refresher, "uac");
  char *s = report_json(&r, NULL, NULL);
  const char *want =
    "{\"result\":\"ok\",\"status\":200,\"reason\":\"OK\",\"call_id\":\"abc@127.0.0.1\",\"session\":{\"channels\":["
    "{\"id\":\"32AECB234338@speechrecog\",\"resource\":\"speechrecog\",\"host\":\"127.0.0.1\",\"port\":1544,"
    "\"rejected\":false},"
    "{\"id\":\"32AECB234338@speechsynth\",\"resource\":\"speechsynth\",\"host\":\"127.0.0.1\",\"port\":1544,"
    "\"rejected\":false}],"
    "\"audio\":{\"host\":\"127.0.0.1\",\"port\":4000,\"codec\":{\"name\":\"PCMU\",\"rate\":8000,\"pt\":0},"
    "\"direction\":{\"offered\":\"sendrecv\",\"answered\":\"sendrecv\"},\"rejected\":false}},\"ended_by\":\"local\","
    "\"bye_status\":481,\"bye_reason\":\"Call/Transaction Does Not Exist\",\"session_expires\":600,"
    "\"refresher\":\"uac\",\"targets\":[{\"address\":\"127.0.0.9:5060\",\"transport\":\"udp\",\"left\":\"503 Service Unavailable\"},{\"address\":\"127.0.0.1:5070\",\"transport\":\"tcp\",\"left\":null}],\"media\":null,\"telemetry\":{";
  CU_ASSERT_EQUAL(strncmp(s, want, strlen(want)), 0);
  if (strncmp(s, want, strlen(want))) fprintf(stderr, "\ngot:  %s\nwant: %s...\n", s, want);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"sessionsEstablished\":1"));
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"sipByeSent\":1"));
  CU_ASSERT_EQUAL(strcmp(s + strlen(s) - 2, "}}"), 0);
  free(s);
}

static void extra(FILE *out, void *arg) { fprintf(out, ",\"server\":%d", *(int *)arg); }

static void test_report_failed_json(void) {
  cli_call_report r;
  cli_call_report_init(&r);
  r.result = "rejected";
  r.status = 486;
  strcpy(r.reason, "Busy Here");
  r.has_answer = 1; /* never established: the session is null whatever the answer holds */
  int seven = 7;
  char *s = report_json(&r, extra, &seven);
  const char *want = "{\"result\":\"rejected\",\"status\":486,\"reason\":\"Busy Here\",\"call_id\":null,"
                     "\"session\":null,\"ended_by\":\"none\",\"bye_status\":null,\"bye_reason\":null,"
                     "\"session_expires\":null,\"refresher\":null,\"targets\":null,\"media\":null,\"telemetry\":{\"sipProvisional\":0,";
  CU_ASSERT_EQUAL(strncmp(s, want, strlen(want)), 0);
  CU_ASSERT_EQUAL(strcmp(s + strlen(s) - 13, "},\"server\":7}"), 0);
  free(s);
  /* could not start: status null, the error is reported */
  cli_call_report_init(&r);
  strcpy(r.error, "bind 0.0.0.0:1/udp: Permission denied");
  s = report_json(&r, NULL, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "{\"result\":\"error\",\"status\":null,\"reason\":null,\"error\":\"bind 0.0.0.0:1/udp"));
  free(s);
  /* a BYE that got no response: bye_status null, the reason says why */
  cli_call_report_init(&r);
  r.result = "ok";
  r.status = 200;
  r.bye_sent = 1;
  strcpy(r.bye_reason, "no response to BYE (Timer F)");
  s = report_json(&r, NULL, NULL);
  CU_ASSERT_PTR_NOT_NULL(strstr(s, "\"bye_status\":null,\"bye_reason\":\"no response to BYE (Timer F)\""));
  free(s);
}

static void test_report_codec(void) {
  cli_call_report r;
  cli_call_report_init(&r);
  CU_ASSERT_PTR_NULL(cli_call_report_codec(&r));
  r.answer.audio.ncodecs = 2;
  r.answer.audio.codecs[0].codec = SIPSPEC_MRCP_TELEPHONE_EVENT;
  strcpy(r.answer.audio.codecs[0].encoding, "telephone-event");
  r.answer.audio.codecs[1].codec = SIPSPEC_MRCP_PCMA;
  strcpy(r.answer.audio.codecs[1].encoding, "PCMA");
  CU_ASSERT_PTR_EQUAL(cli_call_report_codec(&r), &r.answer.audio.codecs[1]);
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s1 = CU_add_suite("cli_options", NULL, NULL);
  CU_add_test(s1, "--opt VALUE and --opt=VALUE, missing value", test_opt_forms);
  CU_add_test(s1, "numbers: digits only, ranges, untouched on error", test_uint);
  CU_add_test(s1, "transports and MRCP resource names", test_transport_resource);
  CU_add_test(s1, "MRCP resource lists (serve --resources)", test_resource_list);
  CU_add_test(s1, "HOST:PORT with IPv4 and [IPv6]", test_hostport);
  CU_add_test(s1, "USER:PASSWORD, password never echoed", test_userpass);
  CU_add_test(s1, "the call target must be a sip: URI with a valid port", test_target);
  CU_add_test(s1, "MRCP_SIP_* configuration, bad value names the variable", test_config_env);
  CU_pSuite s2 = CU_add_suite("cli_report", NULL, NULL);
  CU_add_test(s2, "JSON string escapes and null", test_json_string);
  CU_add_test(s2, "JSON of an established session from a real negotiation", test_report_json);
  CU_add_test(s2, "JSON of a rejected call and of a call that could not start", test_report_failed_json);
  CU_add_test(s2, "the chosen codec skips telephone-event", test_report_codec);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned fails = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return fails ? 1 : 0;
}
