/* commands.h: the subcommands of the sipspec command line. Each returns the process exit
 * status: 0 success, 1 a failure the command reports (rejected message, failed call, ...),
 * 2 usage or I/O errors. `sipspec call` adds one status per session result (3..8). */
#ifndef SIPSPEC_TOOLS_COMMANDS_H
#define SIPSPEC_TOOLS_COMMANDS_H

int sipspec_cmd_call(int argc, char **argv);
int sipspec_cmd_charts(int argc, char **argv);
int sipspec_cmd_coverage(int argc, char **argv);
int sipspec_cmd_demo(int argc, char **argv);
int sipspec_cmd_load(int argc, char **argv);
int sipspec_cmd_parse(int argc, char **argv);
int sipspec_cmd_resolve(int argc, char **argv);
int sipspec_cmd_serve(int argc, char **argv);

#endif
