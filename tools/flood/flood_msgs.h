/* flood_msgs.h: the traffic kinds of sipspec-flood and the octets each one sends (flood.c
 * has the list and what each kind means). Pure functions of a seeded generator, so a run can
 * be repeated with --seed. */
#ifndef SIPSPEC_TOOLS_FLOOD_MSGS_H
#define SIPSPEC_TOOLS_FLOOD_MSGS_H

#include <stddef.h>
#include <stdint.h>

enum {
  FLOOD_RANDOM,
  FLOOD_TRUNCATED,
  FLOOD_OVERSIZED,
  FLOOD_BAD_VIA,
  FLOOD_BAD_CSEQ,
  FLOOD_STORM,
  FLOOD_HALF_OPEN,
  FLOOD_KINDS
};

/* The largest UDP payload IPv4 carries (65,535 - 8 - 20). */
#define FLOOD_MAX_DATAGRAM 65507u

/* xorshift64*: fast, not cryptographic (the octets only need to be varied). */
typedef struct flood_rng {
  uint64_t s;
} flood_rng;

void flood_rng_seed(flood_rng *r, uint64_t seed);
uint64_t flood_rand(flood_rng *r);

const char *flood_kind_name(int kind);
int flood_kind_from_name(const char *name); /* -1: unknown */
int flood_kind_is_tcp(int kind);

/* One datagram of a UDP kind into buf (cap >= FLOOD_MAX_DATAGRAM); returns its length (0 is
 * a valid length: an empty datagram). my_port goes into the Via of requests whose Via is
 * meant to be usable, so their answers come back to the flood's socket. */
size_t flood_udp_payload(flood_rng *r, int kind, unsigned char *buf, size_t cap, unsigned my_port);

/* What a TCP connection sends once connected: storm: a bad request, random octets or nothing;
 * half-open: nothing, a request cut inside its headers, or a complete header section whose
 * body is shorter than its Content-Length. Returns the length (0: send nothing). */
size_t flood_tcp_payload(flood_rng *r, int storm, unsigned char *buf, size_t cap);

#endif
