/* cunit_main.h: the one main() every runtime test file shares: registers the file's
 * TESTS table as one CUnit suite, runs it verbosely, and fails the process if any assertion
 * failed (so CTest sees it). Include once, after defining TESTS and SUITE_NAME. */
#ifndef SIPSPEC_TEST_CUNIT_MAIN_H
#define SIPSPEC_TEST_CUNIT_MAIN_H
#include <CUnit/Basic.h>
#include <signal.h>

typedef struct tst_case {
  const char *name;
  void (*fn)(void);
} tst_case;

static int tst_main(const char *suite_name, const tst_case *cases) {
  signal(SIGPIPE, SIG_IGN);
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite s = CU_add_suite(suite_name, NULL, NULL);
  for (const tst_case *c = cases; c->name; c++) CU_add_test(s, c->name, c->fn);
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return failed || run == 0 ? 1 : 0;
}
#endif
