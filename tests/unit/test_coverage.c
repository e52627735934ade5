/* test_coverage.c: the per-process transition counters and their JSON dump. */
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "sipspec/chart_nict.h"
#include "sipspec/chart_stream_conn.h"
#include "sipspec/fsm.h"

/* The JSON dump into *buf (the caller's variables: open_memstream writes them at fclose;
 * a local here would make gcc -O3 -Wdangling-pointer see the result as pointing into it). */
static void dump(char **buf, size_t *len) {
  *buf = NULL, *len = 0;
  FILE *f = open_memstream(buf, len);
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  CU_ASSERT_EQUAL(sipspec_coverage_write_json(f), SIPSPEC_OK);
  fclose(f);
}

/* The count of transition `name` of chart nict in the dump, or -1 when absent. */
static long count_in(const char *json, const char *name) {
  const char *chart = strstr(json, "{\"chart\":\"nict\"");
  if (!chart) return -1;
  char key[128];
  snprintf(key, sizeof key, "{\"name\":\"%s\"", name);
  const char *t = strstr(chart, key);
  if (!t) return -1;
  const char *c = strstr(t, "\"count\":");
  return c ? strtol(c + 8, NULL, 10) : -1;
}

static void counts_follow_the_transitions_taken(void) {
  sipspec_coverage_reset();
  for (int round = 0; round < 3; round++) {
    sipspec_fsm m;
    sipspec_fsm_init(&m, &sipspec_chart_nict, NULL, NULL);
    CU_ASSERT_EQUAL(sipspec_fsm_feed(&m, SIPSPEC_EV_TU_SEND), SIPSPEC_OK);
    CU_ASSERT_EQUAL(sipspec_fsm_feed(&m, SIPSPEC_EV_TIMER_E), SIPSPEC_OK);
    CU_ASSERT_EQUAL(sipspec_fsm_feed(&m, SIPSPEC_EV_TIMER_E), SIPSPEC_OK);
    CU_ASSERT_EQUAL(sipspec_fsm_feed(&m, SIPSPEC_EV_TIMER_K), SIPSPEC_E_FSM_REFUSED); /* not counted */
  }
  CU_ASSERT_EQUAL(sipspec_chart_nict.counts[SIPSPEC_NICT_T_IDLE__TU_SEND], 3);
  CU_ASSERT_EQUAL(sipspec_chart_nict.counts[SIPSPEC_NICT_T_TRYING__TIMER_E], 6);
  char *json;
  size_t json_len;
  dump(&json, &json_len);
  CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"format\":\"sipspec-coverage/1\""));
  CU_ASSERT_PTR_NOT_NULL(strstr(json, sipspec_chart_nict.hash));
  CU_ASSERT_EQUAL(count_in(json, "Idle__TU_SEND"), 3);
  CU_ASSERT_EQUAL(count_in(json, "Trying__TIMER_E"), 6);
  CU_ASSERT_EQUAL(count_in(json, "Completed__TIMER_K"), 0); /* never taken, still listed */
  CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"rfc\":\"RFC 3261 §17.1.2.2 para 2\""));
  free(json);
  int n;
  const sipspec_chart *const *all = sipspec_charts(&n);
  CU_ASSERT_EQUAL(n, SIPSPEC_TEST_N_CHARTS); /* every chart of spec/CMakeLists.txt, no other */
  CU_ASSERT_PTR_EQUAL(sipspec_chart_find("stream_conn"), &sipspec_chart_stream_conn);
  for (int i = 0; i < n; i++) CU_ASSERT_PTR_EQUAL(sipspec_chart_find(all[i]->name), all[i]);
  CU_ASSERT_PTR_NULL(sipspec_chart_find("no_such_chart"));
  sipspec_coverage_reset();
  CU_ASSERT_EQUAL(sipspec_chart_nict.counts[SIPSPEC_NICT_T_TRYING__TIMER_E], 0);
}

/* A callback that feeds its own machine is told to queue instead (no re-entrancy). */
static sipspec_fsm reentrant;
static int reentry_result = 1;
static void feed_again(void *ctx, const sipspec_chart *chart, int action) {
  (void)ctx, (void)chart, (void)action;
  reentry_result = sipspec_fsm_feed(&reentrant, SIPSPEC_EV_TIMER_E);
}

static void reentrant_feed_is_refused(void) {
  sipspec_fsm_init(&reentrant, &sipspec_chart_nict, feed_again, NULL);
  CU_ASSERT_EQUAL(sipspec_fsm_feed(&reentrant, SIPSPEC_EV_TU_SEND), SIPSPEC_OK);
  CU_ASSERT_EQUAL(reentry_result, SIPSPEC_E_STATE);
  CU_ASSERT_STRING_EQUAL(sipspec_fsm_state_name(&reentrant), "Trying");
}

static void error_names(void) {
  CU_ASSERT_STRING_EQUAL(sipspec_errname(SIPSPEC_E_FSM_REFUSED), "SIPSPEC_E_FSM_REFUSED");
  CU_ASSERT_STRING_EQUAL(sipspec_errname(-98765), "SIPSPEC_E_UNKNOWN");
  CU_ASSERT_STRING_EQUAL(sipspec_strerror(-98765), "unknown error");
  CU_ASSERT_STRING_EQUAL(sipspec_event_name(SIPSPEC_EV_TIMER_A), "TIMER_A");
  CU_ASSERT_EQUAL(sipspec_event_by_name("TRANSPORT_ERR"), SIPSPEC_EV_TRANSPORT_ERR);
  CU_ASSERT_EQUAL(sipspec_event_class(SIPSPEC_EV_TIMER_B), SIPSPEC_EVC_TIMER);
  CU_ASSERT_PTR_NULL(sipspec_event_name(-1));
}

int main(void) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite("coverage counters and machine interface", NULL, NULL);
  CU_add_test(s, "counters follow the transitions taken; JSON lists every transition", counts_follow_the_transitions_taken);
  CU_add_test(s, "feeding a machine from its own callback is refused", reentrant_feed_is_refused);
  CU_add_test(s, "error and event names come from their tables", error_names);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  CU_cleanup_registry();
  return failures ? 1 : 0;
}
