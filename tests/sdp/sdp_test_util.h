/* sdp_test_util.h: small helpers shared by the SDP test programs. */
#ifndef SIPSPEC_SDP_TEST_UTIL_H
#define SIPSPEC_SDP_TEST_UTIL_H

#include "sipspec/sdp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads tests/sdp/data/<name> into an exact-size heap buffer (no NUL after the data, so the
 * sanitizer sees any read past its end). *len gets the size. Returns NULL when missing. */
static inline char *sdp_test_load(const char *name, size_t *len) {
  char path[512];
  *len = 0;
  snprintf(path, sizeof path, "%s/%s", SIPSPEC_SDP_DATA_DIR, name);
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  char tmp[16384];
  size_t n = fread(tmp, 1, sizeof tmp, f);
  fclose(f);
  char *buf = malloc(n ? n : 1);
  if (buf) memcpy(buf, tmp, n);
  *len = n;
  return buf;
}

/* An exact-size heap copy of a C string, without its NUL. */
static inline char *sdp_test_dup(const char *s, size_t *len) {
  *len = strlen(s);
  char *b = malloc(*len ? *len : 1);
  if (b) memcpy(b, s, *len);
  return b;
}

static inline int sdp_test_str(sipspec_span a, const char *s) {
  return sipspec_sdp_str_eq(a, s);
}

#endif
