/* test_config.c: MRCP_SIP_* environment overrides: every variable, every kind of bad value,
 * the exact error text, and that a failed call leaves the config untouched. The variables
 * come from a table through the lookup hook, so the process environment is never touched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "sipspec/config.h"
#include "sipspec/tls.h"
#include "sipspec/error.h"

typedef struct kv { const char *k, *v; } kv;

static const char *lookup(const char *name, void *arg) {
  for (const kv *p = arg; p->k; p++)
    if (strcmp(p->k, name) == 0) return p->v;
  return NULL;
}

static char err[SIPSPEC_ERR_LEN];

static int apply(sipspec_config *c, const kv *env) {
  sipspec_config_init(c);
  memset(err, 'x', sizeof err);
  err[sizeof err - 1] = '\0';
  return sipspec_config_from_env(c, lookup, (void *)env, err, sizeof err);
}

static void test_defaults(void) {
  sipspec_config c;
  kv env[] = {{NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, env), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.transport, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(c.t1_ms, 500);
  CU_ASSERT_EQUAL(c.t2_ms, 4000);
  CU_ASSERT_EQUAL(c.t4_ms, 5000);
  CU_ASSERT_EQUAL(c.invite_max_retrans, 7);
  CU_ASSERT_EQUAL(c.dns_srv, 0);
  CU_ASSERT_EQUAL(c.udp_max_size, 1300);
  CU_ASSERT_STRING_EQUAL(err, "");
}

static void test_every_variable(void) {
  sipspec_config c;
  kv env[] = {{"MRCP_SIP_TRANSPORT", "TCP"},          {"MRCP_SIP_RETRANS_T1_MS", "250"},
              {"MRCP_SIP_RETRANS_T2_MS", "2000"},     {"MRCP_SIP_RETRANS_T4_MS", "3000"},
              {"MRCP_SIP_INVITE_MAX_RETRANS", "5"},   {"MRCP_SIP_DNS_SRV", "1"},
              {"MRCP_SIP_UDP_MAX_SIZE", "1400"},      {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, env), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.transport, SIPSPEC_TP_TCP);
  CU_ASSERT_EQUAL(c.t1_ms, 250);
  CU_ASSERT_EQUAL(c.t2_ms, 2000);
  CU_ASSERT_EQUAL(c.t4_ms, 3000);
  CU_ASSERT_EQUAL(c.invite_max_retrans, 5);
  CU_ASSERT_EQUAL(c.dns_srv, 1);
  CU_ASSERT_EQUAL(c.udp_max_size, 1400);
  kv udp[] = {{"MRCP_SIP_TRANSPORT", "udp"}, {"MRCP_SIP_DNS_SRV", "0"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, udp), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.transport, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(c.dns_srv, 0);
  /* Edges that are valid: T2 == T1, the maxima. */
  kv edge[] = {{"MRCP_SIP_RETRANS_T1_MS", "3600000"}, {"MRCP_SIP_RETRANS_T2_MS", "3600000"},
               {"MRCP_SIP_INVITE_MAX_RETRANS", "20"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, edge), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.t1_ms, 3600000);
  CU_ASSERT_EQUAL(c.invite_max_retrans, 20);
}

/* RFC 4028: MRCP_SIP_SESSION_EXPIRES (1800, 0 asks for none) and MRCP_SIP_MIN_SE (90). */
static void test_session_timer_variables(void) {
  sipspec_config c;
  sipspec_config_init(&c);
  CU_ASSERT_EQUAL(c.session_expires_s, 1800);
  CU_ASSERT_EQUAL(c.min_se_s, 90);
  kv ok[] = {{"MRCP_SIP_SESSION_EXPIRES", "600"}, {"MRCP_SIP_MIN_SE", "120"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, ok), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.session_expires_s, 600);
  CU_ASSERT_EQUAL(c.min_se_s, 120);
  kv off[] = {{"MRCP_SIP_SESSION_EXPIRES", "0"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, off), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.session_expires_s, 0);
  kv below[] = {{"MRCP_SIP_SESSION_EXPIRES", "60"}, {"MRCP_SIP_MIN_SE", "90"}, {NULL, NULL}};
  sipspec_config before;
  sipspec_config_init(&c);
  before = c;
  char e[SIPSPEC_ERR_LEN] = "";
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, lookup, below, e, sizeof e), SIPSPEC_E_CONFIG);
  CU_ASSERT_STRING_EQUAL(e, "MRCP_SIP_SESSION_EXPIRES=60 is less than MRCP_SIP_MIN_SE=90 (RFC 4028 7.1)");
  CU_ASSERT_EQUAL(memcmp(&c, &before, sizeof c), 0);
  kv zero_min[] = {{"MRCP_SIP_MIN_SE", "0"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, lookup, zero_min, e, sizeof e), SIPSPEC_E_CONFIG);
}

typedef struct bad_case {
  const char *var, *value;
  int code;
  const char *message;
} bad_case;

static const bad_case bad[] = {
  {"MRCP_SIP_RETRANS_T1_MS", "abc", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"abc\": not a number"},
  {"MRCP_SIP_RETRANS_T1_MS", "12x", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"12x\": trailing characters after the number"},
  {"MRCP_SIP_RETRANS_T1_MS", "500 ", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"500 \": trailing characters after the number"},
  {"MRCP_SIP_RETRANS_T1_MS", " 500", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\" 500\": not a number"},
  {"MRCP_SIP_RETRANS_T1_MS", "0", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"0\": zero is not allowed, expected at least 1"},
  {"MRCP_SIP_RETRANS_T1_MS", "-5", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"-5\": negative value, expected a number from 1 to 3600000"},
  {"MRCP_SIP_RETRANS_T1_MS", "", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"\": empty value, expected a number"},
  {"MRCP_SIP_RETRANS_T1_MS", "99999999999999999999999", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"99999999999999999999999\": out of range, at most 3600000"},
  {"MRCP_SIP_RETRANS_T1_MS", "3600001", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T1_MS=\"3600001\": out of range, at most 3600000"},
  {"MRCP_SIP_RETRANS_T2_MS", "4s", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T2_MS=\"4s\": trailing characters after the number"},
  {"MRCP_SIP_RETRANS_T2_MS", "0", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T2_MS=\"0\": zero is not allowed, expected at least 1"},
  {"MRCP_SIP_RETRANS_T2_MS", "100", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T2_MS=100 is less than MRCP_SIP_RETRANS_T1_MS=500"},
  {"MRCP_SIP_RETRANS_T4_MS", "-1", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T4_MS=\"-1\": negative value, expected a number from 1 to 3600000"},
  {"MRCP_SIP_RETRANS_T4_MS", "0x10", SIPSPEC_E_CONFIG,
   "MRCP_SIP_RETRANS_T4_MS=\"0x10\": trailing characters after the number"},
  {"MRCP_SIP_INVITE_MAX_RETRANS", "0", SIPSPEC_E_CONFIG,
   "MRCP_SIP_INVITE_MAX_RETRANS=\"0\": zero is not allowed, expected at least 1"},
  {"MRCP_SIP_INVITE_MAX_RETRANS", "21", SIPSPEC_E_CONFIG,
   "MRCP_SIP_INVITE_MAX_RETRANS=\"21\": out of range, at most 20"},
  {"MRCP_SIP_INVITE_MAX_RETRANS", "seven", SIPSPEC_E_CONFIG,
   "MRCP_SIP_INVITE_MAX_RETRANS=\"seven\": not a number"},
  {"MRCP_SIP_DNS_SRV", "2", SIPSPEC_E_CONFIG, "MRCP_SIP_DNS_SRV=\"2\": out of range, at most 1"},
  {"MRCP_SIP_DNS_SRV", "yes", SIPSPEC_E_CONFIG, "MRCP_SIP_DNS_SRV=\"yes\": not a number"},
  {"MRCP_SIP_UDP_MAX_SIZE", "100", SIPSPEC_E_CONFIG,
   "MRCP_SIP_UDP_MAX_SIZE=\"100\": too small, expected at least 200"},
  {"MRCP_SIP_TRANSPORT", "sctp", SIPSPEC_E_CONFIG,
   "MRCP_SIP_TRANSPORT=\"sctp\": unknown transport, expected udp, tcp or tls"},
  {"MRCP_SIP_TRANSPORT", "", SIPSPEC_E_CONFIG,
   "MRCP_SIP_TRANSPORT=\"\": unknown transport, expected udp, tcp or tls"},
};

static void test_bad_values(void) {
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    sipspec_config c, before;
    kv env[] = {{bad[i].var, bad[i].value}, {NULL, NULL}};
    int rc = apply(&c, env);
    sipspec_config_init(&before);
    CU_ASSERT_EQUAL(rc, bad[i].code);
    CU_ASSERT_STRING_EQUAL(err, bad[i].message);
    CU_ASSERT(memcmp(&c, &before, sizeof c) == 0); /* untouched on failure */
    if (rc != bad[i].code || strcmp(err, bad[i].message) != 0)
      fprintf(stderr, "case %zu: rc=%d err=%s\n", i, rc, err);
  }
}

static void test_partial_failure_keeps_config(void) {
  sipspec_config c;
  kv env[] = {{"MRCP_SIP_TRANSPORT", "tcp"}, {"MRCP_SIP_RETRANS_T1_MS", "100"},
              {"MRCP_SIP_RETRANS_T4_MS", "junk"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, env), SIPSPEC_E_CONFIG);
  CU_ASSERT_EQUAL(c.transport, SIPSPEC_TP_UDP);
  CU_ASSERT_EQUAL(c.t1_ms, 500);
  /* T2 compared against an overridden T1. */
  kv env2[] = {{"MRCP_SIP_RETRANS_T1_MS", "5000"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, env2), SIPSPEC_E_CONFIG);
  CU_ASSERT_STRING_EQUAL(err,
      "MRCP_SIP_RETRANS_T2_MS=4000 is less than MRCP_SIP_RETRANS_T1_MS=5000");
}

static void test_small_error_buffer(void) {
  sipspec_config c;
  char small[16];
  kv env[] = {{"MRCP_SIP_RETRANS_T1_MS", "abc"}, {NULL, NULL}};
  sipspec_config_init(&c);
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, lookup, env, small, sizeof small), SIPSPEC_E_CONFIG);
  CU_ASSERT_EQUAL(strlen(small), sizeof small - 1);
  CU_ASSERT(strncmp(small, "MRCP_SIP_RETRAN", 15) == 0);
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, lookup, env, NULL, 0), SIPSPEC_E_CONFIG);
}

static void test_process_environment(void) {
  /* lookup == NULL reads getenv. Only this test process's own environment is changed. */
  static const char *names[] = {"MRCP_SIP_TRANSPORT", "MRCP_SIP_RETRANS_T1_MS",
    "MRCP_SIP_RETRANS_T2_MS", "MRCP_SIP_RETRANS_T4_MS", "MRCP_SIP_INVITE_MAX_RETRANS",
    "MRCP_SIP_DNS_SRV", "MRCP_SIP_UDP_MAX_SIZE"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) unsetenv(names[i]);
  sipspec_config c;
  sipspec_config_init(&c);
  setenv("MRCP_SIP_RETRANS_T4_MS", "4321", 1);
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, NULL, NULL, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.t4_ms, 4321);
  setenv("MRCP_SIP_TRANSPORT", "tls", 1); /* the seed roadmap's variable: tls is accepted now */
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, NULL, NULL, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.transport, SIPSPEC_TP_TLS);
  setenv("MRCP_SIP_TRANSPORT", "TLS", 1);
  c.transport = SIPSPEC_TP_UDP;
  CU_ASSERT_EQUAL(sipspec_config_from_env(&c, NULL, NULL, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.transport, SIPSPEC_TP_TLS);
  unsetenv("MRCP_SIP_TRANSPORT");
  unsetenv("MRCP_SIP_RETRANS_T4_MS");
}

static void test_error_names(void) {
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_CONFIG), "SIPSPEC_E_CONFIG");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_CONN_REFUSED), "SIPSPEC_E_CONN_REFUSED");
  CU_ASSERT_STRING_EQUAL(sipspec_strerror(SIPSPEC_E_TLS_UNAVAILABLE),
                         "TLS transport is not available (no TLS transport open)");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_TLS_NAME), "SIPSPEC_E_TLS_NAME");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_TLS_EXPIRED), "SIPSPEC_E_TLS_EXPIRED");
  CU_ASSERT_STRING_EQUAL(sipspec_tp_kind_name(SIPSPEC_TP_TLS), "tls");
  CU_ASSERT_STRING_EQUAL(sipspec_tp_kind_name(SIPSPEC_TP_TCP), "tcp");
}

/* MRCP_SIP_TLS_*: defaults, good values, and each bad value refused with its variable named
 * and the struct untouched. */
static void test_tls_env(void) {
  sipspec_tls_config t, before;
  sipspec_tls_config_init(&t);
  CU_ASSERT_EQUAL(t.verify, 1);
  CU_ASSERT_EQUAL(t.npins, 0);
  CU_ASSERT_EQUAL(t.handshake_timeout_ms, SIPSPEC_TLS_DEFAULT_HANDSHAKE_MS);
  /* SHA-256 of "abc" (FIPS 180-2 B.1) in base64, and 32 zero bytes */
  static const char pin1[] = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";
  static const char pin0[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  char pins[128];
  snprintf(pins, sizeof pins, "%s, %s", pin1, pin0);
  kv good[] = {{"MRCP_SIP_TLS_VERIFY", "0"}, {"MRCP_SIP_TLS_CA_FILE", "ca.pem"}, {"MRCP_SIP_TLS_CERT", "c.pem"},
               {"MRCP_SIP_TLS_KEY", "c.key"}, {"MRCP_SIP_TLS_PIN_SHA256", pins},
               {"MRCP_SIP_TLS_HANDSHAKE_MS", "2500"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(sipspec_tls_config_from_env(&t, lookup, good, err, sizeof err), SIPSPEC_OK);
  CU_ASSERT_EQUAL(t.verify, 0);
  CU_ASSERT_STRING_EQUAL(t.ca_file, "ca.pem");
  CU_ASSERT_STRING_EQUAL(t.cert_file, "c.pem");
  CU_ASSERT_STRING_EQUAL(t.key_file, "c.key");
  CU_ASSERT_EQUAL(t.handshake_timeout_ms, 2500);
  CU_ASSERT_EQUAL_FATAL(t.npins, 2);
  CU_ASSERT_EQUAL(t.pins[0][0], 0xba);
  CU_ASSERT_EQUAL(t.pins[0][31], 0xad);
  CU_ASSERT_EQUAL(t.pins[1][17], 0);
  static const struct { const char *var, *value, *words; } badv[] = {
    {"MRCP_SIP_TLS_VERIFY", "no", "expected 1"},
    {"MRCP_SIP_TLS_PIN_SHA256", "abc", "is not a base64 SHA-256"},
    {"MRCP_SIP_TLS_PIN_SHA256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=,", "an empty pin"},
    {"MRCP_SIP_TLS_PIN_SHA256", "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAF!0=", "is not a base64"},
    {"MRCP_SIP_TLS_CERT", "only.pem", "go together"},
    {"MRCP_SIP_TLS_CA_FILE", "", "empty value"},
    {"MRCP_SIP_TLS_HANDSHAKE_MS", "0", "from 1 to"},
  };
  for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
    sipspec_tls_config_init(&t);
    before = t;
    kv env[] = {{badv[i].var, badv[i].value}, {NULL, NULL}};
    CU_ASSERT_EQUAL(sipspec_tls_config_from_env(&t, lookup, env, err, sizeof err), SIPSPEC_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, badv[i].var));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, badv[i].words));
    CU_ASSERT(memcmp(&t, &before, sizeof t) == 0);
  }
}

/* The limits of docs/limits.md: defaults, every variable, the bounds of each, and the
 * header line that cannot be longer than the message. */
static void test_limit_variables(void) {
  sipspec_config c, before;
  kv none[] = {{NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, none), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.max_message_size, 65535);
  CU_ASSERT_EQUAL(c.max_headers, 128);
  CU_ASSERT_EQUAL(c.max_header_length, 8192);
  CU_ASSERT_EQUAL(c.max_connections, 0);
  CU_ASSERT_EQUAL(c.max_transactions, 0);
  CU_ASSERT_EQUAL(c.retry_after_s, 5);
  CU_ASSERT_EQUAL(c.idle_timeout_ms, 0);
  CU_ASSERT_EQUAL(c.message_timeout_ms, 32000);
  kv good[] = {{"MRCP_SIP_MAX_MESSAGE_SIZE", "4000"}, {"MRCP_SIP_MAX_HEADERS", "40"},
               {"MRCP_SIP_MAX_HEADER_LENGTH", "1000"}, {"MRCP_SIP_MAX_CONNECTIONS", "10"},
               {"MRCP_SIP_MAX_TRANSACTIONS", "20"}, {"MRCP_SIP_RETRY_AFTER_S", "9"},
               {"MRCP_SIP_IDLE_TIMEOUT_MS", "30000"}, {"MRCP_SIP_MESSAGE_TIMEOUT_MS", "2000"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, good), SIPSPEC_OK);
  CU_ASSERT_EQUAL(c.max_message_size, 4000);
  CU_ASSERT_EQUAL(c.max_headers, 40);
  CU_ASSERT_EQUAL(c.max_header_length, 1000);
  CU_ASSERT_EQUAL(c.max_connections, 10);
  CU_ASSERT_EQUAL(c.max_transactions, 20);
  CU_ASSERT_EQUAL(c.retry_after_s, 9);
  CU_ASSERT_EQUAL(c.idle_timeout_ms, 30000);
  CU_ASSERT_EQUAL(c.message_timeout_ms, 2000);
  static const struct { const char *var, *value, *words; } badv[] = {
    {"MRCP_SIP_MAX_MESSAGE_SIZE", "199", "too small, expected at least 200"},
    {"MRCP_SIP_MAX_MESSAGE_SIZE", "16777217", "out of range"},
    {"MRCP_SIP_MAX_HEADERS", "0", "zero is not allowed"},
    {"MRCP_SIP_MAX_HEADER_LENGTH", "63", "too small"},
    {"MRCP_SIP_MAX_CONNECTIONS", "-1", "negative value"},
    {"MRCP_SIP_MAX_TRANSACTIONS", "1e3", "trailing characters"},
    {"MRCP_SIP_RETRY_AFTER_S", "0", "zero is not allowed"},
    {"MRCP_SIP_IDLE_TIMEOUT_MS", "3600001", "out of range"},
    {"MRCP_SIP_MESSAGE_TIMEOUT_MS", "0", "zero is not allowed"},
  };
  for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
    sipspec_config_init(&c);
    before = c;
    kv env[] = {{badv[i].var, badv[i].value}, {NULL, NULL}};
    CU_ASSERT_EQUAL(sipspec_config_from_env(&c, lookup, env, err, sizeof err), SIPSPEC_E_CONFIG);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, badv[i].var));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, badv[i].words));
    CU_ASSERT(memcmp(&c, &before, sizeof c) == 0);
  }
  kv longer[] = {{"MRCP_SIP_MAX_MESSAGE_SIZE", "1000"}, {"MRCP_SIP_MAX_HEADER_LENGTH", "2000"}, {NULL, NULL}};
  CU_ASSERT_EQUAL(apply(&c, longer), SIPSPEC_E_CONFIG);
  CU_ASSERT_STRING_EQUAL(err, "MRCP_SIP_MAX_HEADER_LENGTH=2000 is more than MRCP_SIP_MAX_MESSAGE_SIZE=1000");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_MSG_TIMEOUT), "SIPSPEC_E_MSG_TIMEOUT");
}

static const tst_case cases[] = {
  {"limit variables (docs/limits.md)", test_limit_variables},
  {"MRCP_SIP_TLS_* variables", test_tls_env},
  {"defaults match RFC 3261 Table 4", test_defaults},
  {"every MRCP_SIP_ variable overrides its field", test_every_variable},
  {"MRCP_SIP_SESSION_EXPIRES and MRCP_SIP_MIN_SE (RFC 4028)", test_session_timer_variables},
  {"bad values are refused with a sentence naming variable and value", test_bad_values},
  {"a failing call leaves the config untouched", test_partial_failure_keeps_config},
  {"error text is cut safely to the caller's buffer", test_small_error_buffer},
  {"NULL lookup reads the process environment", test_process_environment},
  {"transport error codes have names", test_error_names},
  {NULL, NULL},
};

int main(void) { return tst_main("config", cases); }
