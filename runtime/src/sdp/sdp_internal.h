/* sdp_internal.h: helpers shared by the SDP parser, writer and the MRCPv2 negotiation. */
#ifndef SIPSPEC_SDP_INTERNAL_H
#define SIPSPEC_SDP_INTERNAL_H

#include "sipspec/sdp.h"

#include <stddef.h>

/* Fills err (when not NULL) and returns code. */
int sdp_fail(sipspec_sdp_error *err, int code, unsigned line, unsigned col, const char *rule,
             const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* An output buffer that remembers whether it ran out of room; len keeps counting. */
typedef struct sdp_out {
  char *buf;
  size_t cap;
  size_t len;
} sdp_out;

void sdp_out_put(sdp_out *o, const char *s, size_t n);
void sdp_out_str(sdp_out *o, sipspec_span s);
/* v in decimal (no printf: the writer runs once per offer and answer). */
void sdp_out_u64(sdp_out *o, unsigned long long v);
/* Writes v in decimal into d (room for 20 digits) and returns the digit count. */
size_t sdp_u64_digits(char *d, unsigned long long v);

/* sipspec_sdp_parse() into the caller's scratch memory when the model fits in scratch_cap
 * bytes (aligned for any object; a calloc otherwise): for a description read and dropped
 * within one call. Release it with sdp_scratch_free(), which frees only a calloc. */
int sdp_parse_scratch(const char *buf, size_t len, const sipspec_sdp_limits *lim, void *scratch,
                      size_t scratch_cap, sipspec_sdp **out, sipspec_sdp_error *err);
void sdp_scratch_free(sipspec_sdp *sdp, const void *scratch);
/* Scratch memory for sdp_parse_scratch(): room for the model of a usual MRCPv2 offer. */
typedef union sdp_scratch {
  max_align_t align;
  unsigned char bytes[6144];
} sdp_scratch;

/* A NUL-terminated string as a slice (NULL or "" gives an absent slice). */
sipspec_span sdp_cstr(const char *s);
/* Case-insensitive comparison of a slice with s (encoding names, RFC 4855 section 3). */
int sdp_str_ieq(sipspec_span a, const char *s);
/* Slice against slice: exact, and ASCII case-insensitive. Absent equals absent only. */
int sdp_slice_eq(sipspec_span a, sipspec_span b);
int sdp_slice_ieq(sipspec_span a, sipspec_span b);
/* Copies a slice into dst (cap bytes, always NUL-terminated, truncating). */
void sdp_str_copy(char *dst, size_t cap, sipspec_span s);

#endif
