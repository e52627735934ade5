/* sipspec/sipspec.h: the whole public API of libsipspec in one include.
 *
 *   #include <sipspec/sipspec.h>
 *
 * What it declares is exactly what libsipspec.so exports (the library is built with hidden
 * visibility; each public header declares its part visible). By subject:
 *   error.h      error codes and sipspec_errname() / sipspec_strerror()
 *   span.h       sipspec_span, the one slice type of SIP, SDP and Digest values
 *   config.h     the configuration and MRCP_SIP_* environment variables
 *   clock.h      the clock the machines run on (libev's, or a virtual one for tests)
 *   transport.h  UDP, TCP and TLS transports and socket addresses; tls.h TLS settings
 *   resolver.h   RFC 3263 server location (NAPTR, SRV, A/AAAA)
 *   msg.h        parsed SIP messages, URIs and header values
 *   sdp.h        SDP (RFC 4566); mrcp_sdp.h MRCPv2 offers and answers (RFC 6787)
 *   digest.h     Digest authentication (RFC 3261 22, RFC 7616); digest_msg.h its headers
 *   ua.h         the user agent and the MRCPv2 client session
 *   server.h     the embedded UAS that answers MRCPv2 sessions
 *   rtp.h        RTP and RTCP for the session's audio (RFC 3550)
 *   telemetry.h  the counters (sipProvisional, sipInviteTimeouts, ...)
 *   fsm.h        the generated state machines; charts.h every chart built in; coverage.h
 *                the transitions they took
 * tests/install checks that this header includes every public header.
 */
#ifndef SIPSPEC_SIPSPEC_H
#define SIPSPEC_SIPSPEC_H

#include "sipspec/error.h"
#include "sipspec/span.h"
#include "sipspec/config.h"
#include "sipspec/clock.h"
#include "sipspec/transport.h"
#include "sipspec/tls.h"
#include "sipspec/resolver.h"
#include "sipspec/msg.h"
#include "sipspec/sdp.h"
#include "sipspec/mrcp_sdp.h"
#include "sipspec/digest.h"
#include "sipspec/digest_msg.h"
#include "sipspec/ua.h"
#include "sipspec/server.h"
#include "sipspec/rtp.h"
#include "sipspec/telemetry.h"
#include "sipspec/events.h"
#include "sipspec/fsm.h"
#include "sipspec/charts.h"
#include "sipspec/coverage.h"

#endif
