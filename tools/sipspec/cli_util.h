/* cli_util.h: what the call, serve and demo commands share and what can be tested without a
 * network: strict parsing of option values (numbers, HOST:PORT, USER:PASSWORD, transports,
 * MRCP resources, the target SIP URI), the configuration from the MRCP_SIP_* variables, and
 * JSON string output.
 *
 * Every parser writes nothing to the output arguments on failure and fills a sentence saying
 * what is wrong with the value (never echoing a password) into the caller's buffer. */
#ifndef SIPSPEC_TOOLS_CLI_UTIL_H
#define SIPSPEC_TOOLS_CLI_UTIL_H

#include <stddef.h>
#include <stdio.h>

#include "sipspec/config.h"
#include "sipspec/mrcp_sdp.h"

#define CLI_HOST_MAX 64
#define CLI_CRED_MAX 128

/* Exit statuses shared by the commands (commands.h): 0 ok, 1 a failure the command reports,
 * 2 usage. `sipspec call` adds one status per session result, see cmd_call.c. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

/* Matches argv[*i] against the option `name` ("--hold"), in either form "--hold VALUE" or
 * "--hold=VALUE". Returns 1 and sets *val (advancing *i past a separate value) when it matches,
 * 0 when argv[*i] is another argument, -1 when the value is missing (then *why is set). */
int cli_opt(int argc, char **argv, int *i, const char *name, const char **val, char *why, size_t whylen);

/* A decimal number from min to max, digits only (no sign, no blanks, no 0x). */
int cli_parse_uint(const char *s, unsigned min, unsigned max, unsigned *out, char *why, size_t whylen);

/* "udp" or "tcp" (the transports sipspec runs today). */
int cli_parse_transport(const char *s, sipspec_tp_kind *out, char *why, size_t whylen);

/* "HOST:PORT" with an IPv4 literal or a bracketed IPv6 literal ("[::1]:5060"); the port may be
 * 0 (ephemeral). host receives the literal without brackets. */
int cli_parse_hostport(const char *s, char *host, size_t hostcap, unsigned *port, char *why,
                       size_t whylen);

/* "USER:PASSWORD", split at the first ':'; both parts non-empty and free of control
 * characters. The sentence in why never contains the password. */
int cli_parse_userpass(const char *s, char *user, size_t usercap, char *pass, size_t passcap,
                       char *why, size_t whylen);

/* An MRCP resource name of RFC 6787 section 3.1. */
int cli_parse_resource(const char *s, sipspec_mrcp_resource *out, char *why, size_t whylen);

/* A comma-separated list of MRCP resource names ("speechrecog,speechsynth"), each once, as
 * a mask of (1 << resource) bits (sipspec_mrcp_server_config.supported). */
int cli_parse_resource_list(const char *s, unsigned *mask, char *why, size_t whylen);

/* The target of `sipspec call`: a sip: URI with a host (a name, an IPv4 or a bracketed IPv6
 * literal) and a port that, when present, is 1..65535. *ipv6 is set to 1 for an IPv6 literal.
 * sips: is accepted (it asks for TLS, cli_target_transport()). */
int cli_check_target(const char *uri, int *ipv6, char *why, size_t whylen);
/* 1 and *kind = SIPSPEC_TP_TLS when the target asks for TLS by itself (a sips: URI, RFC 5630
 * §3.1.1, or ;transport=tls); 0 otherwise. */
int cli_target_transport(const char *uri, sipspec_tp_kind *kind);

/* sipspec_config_init() then sipspec_config_from_env() on the process environment; on a bad
 * value returns its error code with a sentence naming the variable in err. */
int cli_config_from_env(sipspec_config *cfg, char *err, size_t errlen);

/* Writes s as a JSON string (quotes, escapes); NULL is written as null. */
void cli_json_string(FILE *out, const char *s);

#endif
