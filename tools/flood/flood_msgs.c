/* flood_msgs.c: the octets of each sipspec-flood kind (flood_msgs.h). */
#define _GNU_SOURCE
#include "flood_msgs.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_names[FLOOD_KINDS] = {
  [FLOOD_RANDOM] = "random",   [FLOOD_TRUNCATED] = "truncated", [FLOOD_OVERSIZED] = "oversized",
  [FLOOD_BAD_VIA] = "bad-via", [FLOOD_BAD_CSEQ] = "bad-cseq",   [FLOOD_STORM] = "storm",
  [FLOOD_HALF_OPEN] = "half-open",
};

void flood_rng_seed(flood_rng *r, uint64_t seed) {
  r->s = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
  if (!r->s) r->s = 1;
}

uint64_t flood_rand(flood_rng *r) {
  uint64_t x = r->s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  r->s = x;
  return x * 0x2545F4914F6CDD1Dull;
}

const char *flood_kind_name(int kind) {
  return kind >= 0 && kind < FLOOD_KINDS ? kind_names[kind] : "?";
}

int flood_kind_from_name(const char *name) {
  for (int k = 0; k < FLOOD_KINDS; k++)
    if (!strcmp(name, kind_names[k])) return k;
  return -1;
}

int flood_kind_is_tcp(int kind) {
  return kind == FLOOD_STORM || kind == FLOOD_HALF_OPEN;
}

static void fill_random(flood_rng *r, unsigned char *buf, size_t len) {
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t x = flood_rand(r);
    memcpy(buf + i, &x, 8);
  }
  if (i < len) {
    uint64_t x = flood_rand(r);
    memcpy(buf + i, &x, len - i);
  }
}

/* An MRCPv2 offer as `sipspec call` sends one (RFC 6787 4.2). */
static const char SDP[] = "v=0\r\n"
                          "o=flood 1 1 IN IP4 127.0.0.1\r\n"
                          "s=-\r\n"
                          "c=IN IP4 127.0.0.1\r\n"
                          "t=0 0\r\n"
                          "m=application 9 TCP/MRCPv2 1\r\n"
                          "a=setup:active\r\n"
                          "a=connection:new\r\n"
                          "a=resource:speechsynth\r\n"
                          "a=cmid:1\r\n"
                          "m=audio 5004 RTP/AVP 0\r\n"
                          "a=rtpmap:0 PCMU/8000\r\n"
                          "a=recvonly\r\n"
                          "a=mid:1\r\n";

static const char *const METHODS[] = {"OPTIONS", "INVITE", "BYE", "REGISTER", "CANCEL", "INFO"};

/* A request: via and cseq are whole header lines ("Via: ...\r\n", "" for none); pad adds a
 * header of that many octets; with_body puts the SDP in (Content-Length right). Returns the
 * length, never past cap (the padding is cut to fit). */
static size_t request(unsigned char *buf, size_t cap, const char *method, const char *via, const char *cseq,
                      uint64_t id, size_t pad, int with_body) {
  size_t body = with_body ? sizeof SDP - 1 : 0;
  int n = snprintf((char *)buf, cap,
                   "%s sip:mresources@127.0.0.1 SIP/2.0\r\n"
                   "%s"
                   "Max-Forwards: 70\r\n"
                   "From: <sip:flood@127.0.0.1>;tag=f%llx\r\n"
                   "To: <sip:mresources@127.0.0.1>\r\n"
                   "Call-ID: flood%llx@127.0.0.1\r\n"
                   "%s"
                   "Contact: <sip:flood@127.0.0.1>\r\n"
                   "%s"
                   "Content-Length: %zu\r\n",
                   method, via, (unsigned long long)id, (unsigned long long)id, cseq,
                   with_body ? "Content-Type: application/sdp\r\n" : "", body);
  if (n < 0 || (size_t)n >= cap) return 0;
  size_t len = (size_t)n;
  if (pad) {
    size_t room = cap - len - 2 - body - 16;
    if (pad > room) pad = room;
    memcpy(buf + len, "X-Pad: ", 7);
    memset(buf + len + 7, 'a', pad);
    memcpy(buf + len + 7 + pad, "\r\n", 2);
    len += 9 + pad;
  }
  memcpy(buf + len, "\r\n", 2);
  len += 2;
  memcpy(buf + len, SDP, body);
  return len + body;
}

/* Where a Via names a host, its port is the flood's own (%u): whatever the server makes of
 * it, an answer comes back to the flood, never to a port someone else may listen on. */
static size_t bad_via(flood_rng *r, unsigned char *buf, size_t cap, unsigned my_port) {
  static const char *const vias[] = {
    "",                                                        /* no Via */
    "Via: SIP/2.0/UDP :]\r\n",                                 /* CVE-2018-16657's shape */
    "Via: \r\n",                                               /* empty */
    "Via: SIP/2.0/UDP 127.0.0.1:99999;branch=z9hG4bKfl\r\n",   /* port out of range */
    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=\r\n",               /* empty branch */
    "Via: SIP/2.0 127.0.0.1:%u;branch=z9hG4bKfl\r\n",          /* no transport */
    "Via: SIP/2.0/UDP [::1;branch=z9hG4bKfl\r\n",              /* unclosed bracket */
    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKfl, \x01\x02garbage\r\n",
    "Via: SIP/2.0/UDP 127.0.0.1:%u;rport=abc;received=::::;branch=z9hG4bKfl\r\n",
    "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKfl;;;=\r\n",
  };
  char via[400];
  uint64_t x = flood_rand(r);
  unsigned v = (unsigned)(x % (sizeof vias / sizeof vias[0] + 1));
  if (v == sizeof vias / sizeof vias[0]) { /* an overlong host */
    char host[300];
    memset(host, 'h', sizeof host - 1);
    host[sizeof host - 1] = 0;
    snprintf(via, sizeof via, "Via: SIP/2.0/UDP %s:%u;branch=z9hG4bKfl\r\n", host, my_port);
  } else {
    snprintf(via, sizeof via, vias[v], my_port);
  }
  const char *m = METHODS[(x >> 8) % (sizeof METHODS / sizeof METHODS[0])];
  char cseq[64];
  snprintf(cseq, sizeof cseq, "CSeq: 1 %s\r\n", m);
  return request(buf, cap, m, via, cseq, x, 0, !strcmp(m, "INVITE"));
}

/* tp: "UDP" or "TCP", the Via's transport. */
static size_t bad_cseq(flood_rng *r, unsigned char *buf, size_t cap, const char *tp, unsigned my_port) {
  static const char *const cseqs[] = {
    "",                                             /* no CSeq */
    "CSeq: %s\r\n",                                 /* no number */
    "CSeq: 4294967296 %s\r\n",                      /* past 32 bits (RFC 3261 8.1.1.5: < 2^31) */
    "CSeq: 99999999999999999999999 %s\r\n",
    "CSeq: -1 %s\r\n",
    "CSeq: 0x10 %s\r\n",
    "CSeq: 1\r\n",                                  /* no method */
    "CSeq: 1 %s extra\r\n",
    "CSeq: 1 %s\r\nCSeq: 2 %s\r\n",                 /* twice */
    "CSeq: 1 NOTIFY\r\n",                           /* not the request's method */
  };
  uint64_t x = flood_rand(r);
  const char *m = METHODS[(x >> 8) % (sizeof METHODS / sizeof METHODS[0])];
  char cseq[128], via[128];
  snprintf(cseq, sizeof cseq, cseqs[x % (sizeof cseqs / sizeof cseqs[0])], m, m);
  snprintf(via, sizeof via, "Via: SIP/2.0/%s 127.0.0.1:%u;rport;branch=z9hG4bKc%llx\r\n", tp, my_port,
           (unsigned long long)x);
  return request(buf, cap, m, via, cseq, x, 0, !strcmp(m, "INVITE"));
}

/* A well-formed INVITE with its offer, from the flood's own port. */
static size_t good_invite(flood_rng *r, unsigned char *buf, size_t cap, const char *tp, unsigned my_port,
                          uint64_t *id) {
  char via[128];
  *id = flood_rand(r);
  snprintf(via, sizeof via, "Via: SIP/2.0/%s 127.0.0.1:%u;branch=z9hG4bKt%llx\r\n", tp, my_port,
           (unsigned long long)*id);
  return request(buf, cap, "INVITE", via, "CSeq: 1 INVITE\r\n", *id, 0, 1);
}

size_t flood_udp_payload(flood_rng *r, int kind, unsigned char *buf, size_t cap, unsigned my_port) {
  uint64_t id;
  size_t len;
  switch (kind) {
  case FLOOD_RANDOM:
    len = (size_t)(flood_rand(r) % 1401);
    fill_random(r, buf, len);
    return len;
  case FLOOD_TRUNCATED:
    len = good_invite(r, buf, cap, "UDP", my_port, &id);
    return len > 1 ? 1 + (size_t)(id % (len - 1)) : len; /* 1 .. len-1 octets */
  case FLOOD_OVERSIZED: {
    uint64_t x = flood_rand(r);
    size_t size = 1500 + (size_t)(x % (FLOOD_MAX_DATAGRAM - 1500 + 1));
    if (size > cap) size = cap;
    if (x & (1ull << 40)) {
      fill_random(r, buf, size);
      return size;
    }
    char via[128];
    snprintf(via, sizeof via, "Via: SIP/2.0/UDP 127.0.0.1:%u;branch=z9hG4bKo%llx\r\n", my_port,
             (unsigned long long)x);
    return request(buf, cap, "OPTIONS", via, "CSeq: 1 OPTIONS\r\n", x, size, 0);
  }
  case FLOOD_BAD_VIA: return bad_via(r, buf, cap, my_port);
  case FLOOD_BAD_CSEQ: return bad_cseq(r, buf, cap, "UDP", my_port);
  default: return 0;
  }
}

/* The Via of TCP requests names port 9 (discard; a port below 1024 no unprivileged process
 * listens on): a server that answers over a new connection once ours is gone (RFC 3261
 * 18.2.2) reaches nobody. */
#define TCP_VIA_PORT 9

size_t flood_tcp_payload(flood_rng *r, int storm, unsigned char *buf, size_t cap) {
  uint64_t x = flood_rand(r), id;
  unsigned what = (unsigned)(x % 3);
  if (what == 0) return 0; /* nothing at all */
  if (cap > 4096) cap = 4096;
  size_t len = good_invite(r, buf, cap, "TCP", TCP_VIA_PORT, &id);
  if (storm) {
    if (what == 1) return bad_cseq(r, buf, cap, "TCP", TCP_VIA_PORT);
    len = 1 + (size_t)((x >> 8) % 1400);
    fill_random(r, buf, len);
    return len;
  }
  const unsigned char *eoh = memmem(buf, len, "\r\n\r\n", 4);
  size_t head = eoh ? (size_t)(eoh - buf) + 4 : len;
  if (what == 1) return 1 + (size_t)((x >> 8) % (head - 1)); /* cut inside the headers */
  return head + (size_t)((x >> 8) % (len - head));            /* the body cut short */
}
