/* impl_ict.c: a stand-in implementation of chart ict's actions, compiled by
 * check_actions.py against the generated chart_ict_actions.h (the header tsx_run.c uses).
 * Built whole it links and runs: every action reaches its implementation through the
 * generated dispatcher once, timer actions are left to the timer layer. Built with -DDROP_<action>
 * it lacks that implementation, with -DEXTRA it has one the chart does not name: both must
 * fail to compile, naming the action and the chart line. */
#include <stdio.h>

#include "chart_ict_actions.h"

struct sipspec_tsx {
  int calls[SIPSPEC_ICT__ACTION_COUNT];
};

#define IMPL(a) \
  static void tsx_act_##a(struct sipspec_tsx *t) { t->calls[SIPSPEC_ICT_A_##a]++; }
#define SIPSPEC_ICT_A_send_request SIPSPEC_ICT_A_SEND_REQUEST
#define SIPSPEC_ICT_A_send_ack SIPSPEC_ICT_A_SEND_ACK
#define SIPSPEC_ICT_A_pass_to_tu SIPSPEC_ICT_A_PASS_TO_TU
#define SIPSPEC_ICT_A_report_timeout SIPSPEC_ICT_A_REPORT_TIMEOUT
#define SIPSPEC_ICT_A_report_transport_error SIPSPEC_ICT_A_REPORT_TRANSPORT_ERROR

#ifndef DROP_send_request
IMPL(send_request)
#endif
#ifndef DROP_send_ack
IMPL(send_ack)
#endif
#ifndef DROP_pass_to_tu
IMPL(pass_to_tu)
#endif
#ifndef DROP_report_timeout
IMPL(report_timeout)
#endif
#ifndef DROP_report_transport_error
IMPL(report_transport_error)
#endif
#ifdef EXTRA
static void tsx_act_send_prack(struct sipspec_tsx *t) { (void)t; }
#endif

/* Prints, for each action number, whether the dispatcher ran an implementation and how
 * many times each implementation ran; check_actions.py compares with the chart. */
int main(void) {
  struct sipspec_tsx t = {{0}};
  for (int a = 0; a <= SIPSPEC_ICT__ACTION_COUNT; a++) {
    int ran = sipspec_ict_dispatch(&sipspec_ict_impl, &t, a);
    printf("%d %d %d\n", a, ran, a < SIPSPEC_ICT__ACTION_COUNT ? t.calls[a] : 0);
  }
  return 0;
}
