/* transport.c: the transport-independent part of sipspec/transport.h: option defaults,
 * kind-to-implementation lookup and the RFC 3261 18.1.1 size rule. */
#include <stdio.h>

#include "sipspec/transport.h"

void sipspec_transport_opts_init(sipspec_transport_opts *o) {
  *o = (sipspec_transport_opts){0};
  o->connect_timeout_ms = 32000; /* 64 * T1 with the default T1 */
  o->max_datagram = SIPSPEC_DEFAULT_UDP_MAX_SIZE;
  o->max_queued_bytes = 1u << 20;
}

const sipspec_transport_type *sipspec_transport_type_for(sipspec_tp_kind kind) {
  switch (kind) {
  case SIPSPEC_TP_UDP: return &sipspec_transport_udp;
  case SIPSPEC_TP_TCP: return &sipspec_transport_tcp;
  case SIPSPEC_TP_TLS: return &sipspec_transport_tls;
  }
  return NULL;
}

int sipspec_transport_pick(const sipspec_config *cfg, size_t msg_len, sipspec_tp_kind *out,
                           char *err, size_t errlen) {
  if (cfg->transport == SIPSPEC_TP_UDP && msg_len > cfg->udp_max_size) {
    /* RFC 3261 18.1.1: a request within 200 bytes of the path MTU, or over 1300 bytes
     * when the MTU is unknown, MUST go over a congestion-controlled transport. */
    if (!cfg->tcp_enabled) {
      if (err && errlen)
        snprintf(err, errlen,
                 "message of %zu bytes exceeds the UDP limit of %u bytes and TCP is disabled",
                 msg_len, cfg->udp_max_size);
      return SIPSPEC_E_MSG_TOO_BIG;
    }
    *out = SIPSPEC_TP_TCP;
    return SIPSPEC_OK;
  }
  *out = cfg->transport;
  return SIPSPEC_OK;
}
