/* coverage_writer.c: a test program that takes transitions of the nict chart and writes its
 * coverage counts at exit, the way any program linking sipspec does.
 *
 * usage: coverage_writer N [OUT]
 * Takes Idle --TU_SEND--> Trying and Trying --TIMER_E--> Trying N times each. Without OUT it
 * calls sipspec_coverage_install_atexit() (SIPSPEC_COVERAGE_FILE); with OUT it calls
 * sipspec_coverage_write_at_exit(OUT), as `--coverage-out OUT` will. It then changes to the
 * root folder, so a relative path must have been resolved when it was installed.
 *
 * usage: coverage_writer --loop OUT
 * Takes Idle --TU_SEND--> Trying and writes OUT with sipspec_coverage_write_file(), again and
 * again (at most 100000 times), so a test can stop it with SIGTERM in the middle of a write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sipspec/chart_nict.h"
#include "sipspec/coverage.h"
#include "sipspec/fsm.h"

int main(int argc, char **argv) {
  if (argc < 2 || argc > 3) {
    fprintf(stderr, "usage: coverage_writer N [OUT]\n");
    return 2;
  }
  if (argc == 3 && !strcmp(argv[1], "--loop")) {
    char err[SIPSPEC_COVERAGE_ERRLEN];
    for (int i = 0; i < 100000; i++) {
      sipspec_fsm m;
      sipspec_fsm_init(&m, &sipspec_chart_nict, NULL, NULL);
      if (sipspec_fsm_feed(&m, SIPSPEC_EV_TU_SEND)) return 3;
      if (sipspec_coverage_write_file(argv[2], err, sizeof err)) {
        fprintf(stderr, "coverage_writer: %s\n", err);
        return 1;
      }
    }
    return 0;
  }
  int n = atoi(argv[1]);
  int rc = argc == 3 ? sipspec_coverage_write_at_exit(argv[2]) : sipspec_coverage_install_atexit();
  if (rc) {
    fprintf(stderr, "coverage_writer: %s\n", sipspec_strerror(rc));
    return 2;
  }
  if (chdir("/")) return 2;
  for (int i = 0; i < n; i++) {
    sipspec_fsm m;
    sipspec_fsm_init(&m, &sipspec_chart_nict, NULL, NULL);
    if (sipspec_fsm_feed(&m, SIPSPEC_EV_TU_SEND) || sipspec_fsm_feed(&m, SIPSPEC_EV_TIMER_E)) return 3;
  }
  return 0;
}
