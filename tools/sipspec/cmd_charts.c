/* cmd_charts.c: `sipspec charts` (placeholder until the chart generator lands). */
#include <stdio.h>
#include "commands.h"
int sipspec_cmd_charts(int argc, char **argv) {
  (void)argc; (void)argv;
  printf("no charts built yet\n");
  return 0;
}
