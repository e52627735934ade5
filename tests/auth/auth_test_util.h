/* auth_test_util.h: helpers for the Digest tests.
 *
 * auth_test_parse() splits a header value we produced ("Digest a=b, c=\"d\"") into the
 * name/value params the module takes, unescaping quoted-pairs, the way the SIP parser
 * will hand them over. It is deliberately small and strict: tests feed it our own output.
 */
#ifndef SIPSPEC_TESTS_AUTH_TEST_UTIL_H
#define SIPSPEC_TESTS_AUTH_TEST_UTIL_H

#include <stddef.h>

#include <CUnit/CUnit.h>

#include "sipspec/digest.h"

typedef struct auth_test_hdr {
  char scheme[32];
  size_t n;
  sipspec_digest_param p[32];
  char store[4096];                   /* unescaped values */
  char text[4096];                    /* copy of the header value */
} auth_test_hdr;

/* 0 on success, -1 on a syntax error or overflow. */
int auth_test_parse(const char *value, auth_test_hdr *out);

/* Value of param `name` as a NUL-terminated string in a static buffer, or NULL. */
const char *auth_test_get(const auth_test_hdr *h, const char *name);

/* Builds an offer from a parsed header. */
sipspec_digest_offer auth_test_offer(const auth_test_hdr *h, sipspec_auth_kind kind);

/* Runs the registered CUnit suites (basic interface, verbose) and returns the exit code:
 * 0 when every test passed. */
int auth_test_run(void);

#endif
