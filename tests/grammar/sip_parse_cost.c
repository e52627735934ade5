/* sip_parse_cost.c: parses every *.sip file of a folder N times, for instruction counts:
 *
 *   valgrind --tool=callgrind sip_parse_cost DIR 0     (baseline: load only)
 *   valgrind --tool=callgrind sip_parse_cost DIR 100
 *
 * instructions per message = (Ir(100) - Ir(0)) / (100 * files). Not a test: no timing. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sipspec/msg.h"

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: sip_parse_cost DIR ITERATIONS\n");
    return 2;
  }
  long iterations = atol(argv[2]);
  char *bufs[256];
  size_t lens[256];
  int n = 0;
  DIR *d = opendir(argv[1]);
  if (!d) {
    fprintf(stderr, "sip_parse_cost: cannot open %s\n", argv[1]);
    return 2;
  }
  for (struct dirent *e; (e = readdir(d)) != NULL && n < 256;) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".sip")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", argv[1], e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    bufs[n] = malloc(65536);
    lens[n] = bufs[n] ? fread(bufs[n], 1, 65536, f) : 0;
    fclose(f);
    if (bufs[n]) n++;
  }
  closedir(d);
  sipspec_msg *m;
  if (sipspec_msg_create(&m, NULL) != 0) return 2;
  unsigned long check = 0;
  for (long i = 0; i < iterations; i++)
    for (int j = 0; j < n; j++) {
      if (sipspec_msg_parse(m, bufs[j], lens[j]) != 0) {
        fprintf(stderr, "sip_parse_cost: message %d rejected\n", j);
        return 1;
      }
      check += sipspec_msg_cseq(m);
    }
  printf("%d messages x %ld iterations (checksum %lu)\n", n, iterations, check);
  sipspec_msg_destroy(m);
  for (int j = 0; j < n; j++) free(bufs[j]);
  return 0;
}
