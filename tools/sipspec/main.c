/* main.c: the sipspec command line; dispatches to one function per subcommand. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "sipspec/coverage.h"

struct command {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *summary;
};

static const struct command commands[] = {
  {"call", sipspec_cmd_call, "start an MRCPv2 session, hold it, end it with BYE and report what happened"},
  {"charts", sipspec_cmd_charts, "list the built state charts: states, transitions, timers"},
  {"coverage", sipspec_cmd_coverage, "merge coverage files and report the states and transitions visited"},
  {"demo", sipspec_cmd_demo, "a server and a client in this process on 127.0.0.1: one MRCPv2 call"},
  {"load", sipspec_cmd_load, "many MRCPv2 sessions at a rate from one process: results, latency, CPU, memory"},
  {"parse", sipspec_cmd_parse, "parse a SIP message file and print its fields or why it is rejected"},
  {"resolve", sipspec_cmd_resolve, "the targets a call to a URI would try: RFC 3263 NAPTR, SRV, A/AAAA lookups"},
  {"serve", sipspec_cmd_serve, "run an MRCPv2 server (SIP side) until SIGINT/SIGTERM, one line per event"},
};

static void usage(FILE *out) {
  fprintf(out, "usage: sipspec COMMAND [ARGS...]\n\ncommands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf(out, "\n'sipspec COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv) {
  /* SIPSPEC_COVERAGE_FILE: the state-chart coverage of this run is merged into it at exit. */
  if (sipspec_coverage_install_atexit() != SIPSPEC_OK)
    fprintf(stderr, "sipspec: cannot arrange to write SIPSPEC_COVERAGE_FILE at exit\n");
  if (argc < 2) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
    usage(stdout);
    return 0;
  }
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
  fprintf(stderr, "sipspec: unknown command '%s'\n", argv[1]);
  usage(stderr);
  return 2;
}
