/* cmd_resolve.c: `sipspec resolve [--json] [--transport udp|tcp|tls] [--timeout S] URI...`:
 * the targets a call to each URI would try, in order (RFC 3263 4: NAPTR, SRV, A/AAAA, with
 * MRCP_SIP_DNS_SRV, MRCP_SIP_DNS_SERVERS and the hosts file as `sipspec call` uses them). The
 * URIs are resolved one after the other by one resolver, so a repeated name comes from its
 * cache. */
#include <stdio.h>
#include <string.h>

#include "cli_util.h"
#include "commands.h"
#include "sipspec/error.h"
#include "sipspec/msg.h"
#include "sipspec/resolver.h"

/* Exit status of a name that cannot be resolved (the DNS failed, or no such name), as for
 * `sipspec call` (docs/cli.md). */
#define RESOLVE_EXIT_DNS_FAILED 10

static void usage(FILE *out) {
  fprintf(out,
          "usage: sipspec resolve [--json] [--transport udp|tcp|tls] [--timeout SECONDS] URI...\n"
          "Prints the targets (address, port, transport, name) a call to each URI would try, in order\n"
          "(with --json one object per line):\n"
          "RFC 3263 NAPTR, SRV and A/AAAA lookups when MRCP_SIP_DNS_SRV=1, A/AAAA only otherwise;\n"
          "names in /etc/hosts first; MRCP_SIP_DNS_SERVERS=HOST[:PORT],... picks the DNS servers.\n"
          "Exit status: 0 resolved, 2 usage or a bad MRCP_SIP_* value, %d dns-failed (no such name,\n"
          "no address, or the DNS failed or did not answer).\n",
          RESOLVE_EXIT_DNS_FAILED);
}

typedef struct answer {
  int done, status;
  size_t n;
  sipspec_target t[SIPSPEC_LOCATE_MAX_TARGETS];
  char why[512];
} answer;

static void on_located(int status, const sipspec_target *t, size_t n, const char *why, void *arg) {
  answer *a = arg;
  a->done = 1;
  a->status = status;
  a->n = n;
  memcpy(a->t, t, n * sizeof *t);
  snprintf(a->why, sizeof a->why, "%s", why);
}

static int answered(void *arg) { return ((answer *)arg)->done; }

static void print_answer(const char *uri, const answer *a, const sipspec_resolver_stats *st, int json) {
  const char *result = a->status == SIPSPEC_OK ? "ok" : "dns-failed";
  if (json) {
    printf("{\"result\":\"%s\",\"uri\":", result);
    cli_json_string(stdout, uri);
    printf(",\"error\":");
    cli_json_string(stdout, a->status ? a->why : NULL);
    printf(",\"targets\":[");
    for (size_t i = 0; i < a->n; i++) {
      char addr[SIPSPEC_SOCKADDR_STRLEN];
      sipspec_sockaddr_format(&a->t[i].addr, addr, sizeof addr);
      printf("%s{\"address\":\"%s\",\"transport\":\"%s\",\"name\":", i ? "," : "", addr,
             sipspec_tp_kind_name(a->t[i].tp));
      cli_json_string(stdout, a->t[i].name);
      printf("}");
    }
    printf("],\"telemetry\":{\"sipDnsQueries\":%lu,\"sipDnsFailures\":%lu,\"sipDnsCacheHits\":%lu}}\n", st->queries,
           st->failures, st->cache_hits);
  } else if (a->status == SIPSPEC_OK) {
    for (size_t i = 0; i < a->n; i++) {
      char addr[SIPSPEC_SOCKADDR_STRLEN];
      sipspec_sockaddr_format(&a->t[i].addr, addr, sizeof addr);
      printf("%zu %s %s %s\n", i + 1, addr, sipspec_tp_kind_name(a->t[i].tp), a->t[i].name);
    }
  } else {
    fprintf(stderr, "sipspec resolve: %s: %s: %s\n", uri, sipspec_strerror(a->status), a->why);
  }
}

int sipspec_cmd_resolve(int argc, char **argv) {
  int json = 0, transport_set = 0;
  unsigned timeout_s = 30;
  sipspec_tp_kind transport = SIPSPEC_TP_UDP;
  const char *uris[16], *v;
  int nuris = 0;
  char why[256];
  for (int i = 1; i < argc; i++) {
    int m;
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--json")) {
      json = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--transport", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_transport(v, &transport, why, sizeof why)) {
        fprintf(stderr, "sipspec resolve: --transport: %s\n", why);
        return 2;
      }
      transport_set = 1;
    } else if ((m = cli_opt(argc, argv, &i, "--timeout", &v, why, sizeof why))) {
      if (m < 0 || cli_parse_uint(v, 1, 3600, &timeout_s, why, sizeof why)) {
        fprintf(stderr, "sipspec resolve: --timeout: %s\n", why);
        return 2;
      }
    } else if (argv[i][0] == '-' || nuris == (int)(sizeof uris / sizeof uris[0])) {
      fprintf(stderr, "sipspec resolve: %s '%s'\n", argv[i][0] == '-' ? "unknown option" : "at most 16 URIs, not", argv[i]);
      usage(stderr);
      return 2;
    } else {
      uris[nuris++] = argv[i];
    }
  }
  if (!nuris) {
    usage(stderr);
    return 2;
  }
  sipspec_config cfg;
  char err[SIPSPEC_ERR_LEN];
  sipspec_config_init(&cfg);
  if (cli_config_from_env(&cfg, err, sizeof err) != SIPSPEC_OK) {
    fprintf(stderr, "sipspec resolve: %s\n", err);
    return 2;
  }
  if (transport_set) {
    cfg.transport = transport;
    cfg.transport_explicit = 1;
  }
  sipspec_uri u;
  char hosts[16][SIPSPEC_LOCATE_NAME_MAX];
  sipspec_locate_req reqs[16];
  for (int k = 0; k < nuris; k++)
    if (sipspec_uri_parse(uris[k], strlen(uris[k]), &u, NULL) != SIPSPEC_OK ||
        sipspec_locate_req_of_uri(&u, &cfg, hosts[k], sizeof hosts[k], &reqs[k]) != SIPSPEC_OK) {
      fprintf(stderr, "sipspec resolve: '%s' is not a sip: or sips: URI with a host and a transport we have\n", uris[k]);
      return 2;
    }
  struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
  sipspec_clock *clock = loop ? sipspec_clock_libev_new(loop) : NULL;
  sipspec_resolver_opts ro = {0};
  ro.dns = strcmp(cfg.dns_servers, "none") != 0; /* "none": the hosts file only */
  ro.dns_servers = cfg.dns_servers[0] ? cfg.dns_servers : NULL;
  ro.clock = clock;
  sipspec_resolver *r = NULL;
  int rc = clock ? sipspec_resolver_create(loop, &ro, &r, err, sizeof err) : SIPSPEC_E_NOMEM;
  if (rc != SIPSPEC_OK) {
    fprintf(stderr, "sipspec resolve: %s\n", rc == SIPSPEC_E_NOMEM ? "out of memory" : err);
    sipspec_clock_free(clock);
    if (loop) ev_loop_destroy(loop);
    return rc == SIPSPEC_E_CONFIG ? 2 : 1;
  }
  int worst = 0;
  for (int k = 0; k < nuris; k++) {
    answer a;
    memset(&a, 0, sizeof a);
    rc = sipspec_locate(r, &reqs[k], on_located, &a, NULL);
    if (rc == SIPSPEC_OK) sipspec_clock_run(clock, (uint64_t)timeout_s * 1000, answered, &a);
    if (!a.done) {
      a.status = SIPSPEC_E_DNS;
      snprintf(a.why, sizeof a.why, "%s: no answer within %u s", hosts[k], timeout_s);
    }
    sipspec_resolver_stats st;
    sipspec_resolver_stats_get(r, &st);
    print_answer(uris[k], &a, &st, json);
    if (a.status != SIPSPEC_OK) worst = RESOLVE_EXIT_DNS_FAILED;
  }
  sipspec_resolver_destroy(r);
  sipspec_clock_free(clock);
  ev_loop_destroy(loop);
  if (fflush(stdout)) return 1;
  return worst;
}
