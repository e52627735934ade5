/* test_telemetry.c: status classification into the roadmap counters, and the JSON text:
 * parsed back key by key (a small JSON object reader below), exact camelCase names, values,
 * truncation like snprintf, and the FILE variant. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "sipspec/error.h"
#include "sipspec/telemetry.h"

static const char *expected_keys[] = {
  "sipProvisional", "sipInviteTimeouts", "sipError4xx", "sipError5xx", "sipError6xx",
  "sipAuthChallenges", "sipByeSent", "sipByeAcksMissing", "sipRetransmissions",
  "sipTransportErrors", "sessionsStarted", "sessionsEstablished", "sessionsFailed", "sipSessionRefreshes",
  "sipSessionExpired", "sipDnsQueries", "sipDnsFailures", "sipFailovers", "sipTlsHandshakes",
  "sipTlsFailures", "sipKeepaliveTimeouts", "rtcpPacketsLost", "rtcpFractionLost", "rtcpJitterMs", "rtcpRttMs",
  "rtpPacketsSent", "rtpPacketsReceived", "sipMessagesTooLarge", "sipConnectionsRefused", "sipTransactionsRefused",
  "sipIdleClosed", "sipSlowClosed"};
enum { NKEYS = sizeof expected_keys / sizeof expected_keys[0] };

/* Parses {"k":n,...} with unsigned integer values. Returns the number of pairs, -1 on any
 * syntax error. */
static int parse_json(const char *s, char keys[][32], unsigned long long *vals, int max) {
  int n = 0;
  if (*s++ != '{') return -1;
  if (*s == '}') return s[1] == '\0' ? 0 : -1;
  for (;;) {
    if (n == max || *s++ != '"') return -1;
    size_t k = 0;
    while (*s && *s != '"' && k < 31) keys[n][k++] = *s++;
    keys[n][k] = '\0';
    if (*s++ != '"' || *s++ != ':' || !isdigit((unsigned char)*s)) return -1;
    char *end;
    vals[n++] = strtoull(s, &end, 10);
    s = end;
    if (*s == ',') { s++; continue; }
    if (*s == '}' && s[1] == '\0') return n;
    return -1;
  }
}

static void test_classify(void) {
  sipspec_telemetry t;
  sipspec_telemetry_init(&t);
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 100), "sipProvisional");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 183), "sipProvisional");
  CU_ASSERT_PTR_NULL(sipspec_telemetry_count_status(&t, 200));
  CU_ASSERT_PTR_NULL(sipspec_telemetry_count_status(&t, 302));
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 401), "sipAuthChallenges");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 407), "sipAuthChallenges");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 400), "sipError4xx");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 486), "sipError4xx");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 499), "sipError4xx");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 503), "sipError5xx");
  CU_ASSERT_STRING_EQUAL(sipspec_telemetry_count_status(&t, 603), "sipError6xx");
  CU_ASSERT_PTR_NULL(sipspec_telemetry_count_status(&t, 99));
  CU_ASSERT_PTR_NULL(sipspec_telemetry_count_status(&t, 700));
  CU_ASSERT_PTR_NULL(sipspec_telemetry_count_status(&t, -1));
  CU_ASSERT_EQUAL(t.sipProvisional, 2);
  CU_ASSERT_EQUAL(t.sipAuthChallenges, 2);
  CU_ASSERT_EQUAL(t.sipError4xx, 3);
  CU_ASSERT_EQUAL(t.sipError5xx, 1);
  CU_ASSERT_EQUAL(t.sipError6xx, 1);
  CU_ASSERT_EQUAL(t.sipInviteTimeouts, 0);
}

static void test_json_keys_and_values(void) {
  sipspec_telemetry t;
  sipspec_telemetry_init(&t);
  t.sipProvisional = 1;
  t.sipInviteTimeouts = 2;
  t.sipError4xx = 3;
  t.sipError5xx = 4;
  t.sipError6xx = 5;
  t.sipAuthChallenges = 6;
  t.sipByeSent = 7;
  t.sipByeAcksMissing = 8;
  t.sipRetransmissions = 9;
  t.sipTransportErrors = 10;
  t.sessionsStarted = 11;
  t.sessionsEstablished = 12;
  t.sessionsFailed = 13;
  t.sipSessionRefreshes = 14;
  t.sipSessionExpired = 15;
  t.sipDnsQueries = 16;
  t.sipDnsFailures = 17;
  t.sipFailovers = 18;
  t.sipTlsHandshakes = 19;
  t.sipTlsFailures = 20;
  t.sipKeepaliveTimeouts = 21;
  t.rtcpPacketsLost = 22;
  t.rtcpFractionLost = 23;
  t.rtcpJitterMs = 24;
  t.rtcpRttMs = 25;
  t.rtpPacketsSent = 26;
  t.rtpPacketsReceived = 27;
  t.sipMessagesTooLarge = 28;
  t.sipConnectionsRefused = 29;
  t.sipTransactionsRefused = 30;
  t.sipIdleClosed = 31;
  t.sipSlowClosed = 18446744073709551615ull;
  char buf[2048];
  size_t n = sipspec_telemetry_to_json(&t, buf, sizeof buf);
  CU_ASSERT_EQUAL(n, strlen(buf));
  char keys[48][32];
  unsigned long long vals[48];
  int got = parse_json(buf, keys, vals, 48);
  CU_ASSERT_EQUAL_FATAL(got, NKEYS);
  for (int i = 0; i < NKEYS; i++) {
    CU_ASSERT_STRING_EQUAL(keys[i], expected_keys[i]);
    if (i < NKEYS - 1) CU_ASSERT_EQUAL(vals[i], (unsigned long long)(i + 1));
  }
  CU_ASSERT_EQUAL(vals[NKEYS - 1], 18446744073709551615ull);
}

static void test_json_truncation(void) {
  sipspec_telemetry t;
  sipspec_telemetry_init(&t);
  char full[2048], small[20];
  size_t n = sipspec_telemetry_to_json(&t, full, sizeof full);
  memset(small, 'Z', sizeof small);
  size_t m = sipspec_telemetry_to_json(&t, small, sizeof small);
  CU_ASSERT_EQUAL(m, n);
  CU_ASSERT_EQUAL(strlen(small), sizeof small - 1);
  CU_ASSERT(strncmp(small, full, sizeof small - 1) == 0);
  CU_ASSERT_EQUAL(sipspec_telemetry_to_json(&t, NULL, 0), n);
  char one[1] = {'Z'};
  CU_ASSERT_EQUAL(sipspec_telemetry_to_json(&t, one, 1), n);
  CU_ASSERT_EQUAL(one[0], '\0');
}

static void test_json_file(void) {
  sipspec_telemetry t;
  sipspec_telemetry_init(&t);
  t.sipByeSent = 42;
  char expect[1024], got[1024] = {0};
  sipspec_telemetry_to_json(&t, expect, sizeof expect);
  FILE *f = tmpfile();
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(sipspec_telemetry_write_json(&t, f), SIPSPEC_OK);
  rewind(f);
  size_t n = fread(got, 1, sizeof got - 1, f);
  fclose(f);
  CU_ASSERT_EQUAL(n, strlen(expect));
  CU_ASSERT_STRING_EQUAL(got, expect);
  CU_ASSERT_PTR_NOT_NULL(strstr(got, "\"sipByeSent\":42"));
}

static const tst_case cases[] = {
  {"final and provisional statuses land in the right counter", test_classify},
  {"JSON parses back with the exact camelCase keys and values", test_json_keys_and_values},
  {"JSON output is cut like snprintf and reports the full length", test_json_truncation},
  {"JSON written to a FILE matches the buffer form", test_json_file},
  {NULL, NULL},
};

int main(void) { return tst_main("telemetry", cases); }
