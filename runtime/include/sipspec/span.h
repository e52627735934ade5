/* sipspec/span.h: the one slice type of the library.
 *
 * SIP messages (sipspec/msg.h), SDP descriptions (sipspec/sdp.h) and Digest parameters
 * (sipspec/digest.h) all hand out parts of a caller's buffer as sipspec_span: a pointer and
 * a length, never NUL-terminated, valid while that buffer is unchanged.
 */
#ifndef SIPSPEC_SPAN_H
#define SIPSPEC_SPAN_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif
#pragma GCC visibility push(default) /* what this header declares is the library's API */

/* A slice of someone else's buffer; never NUL-terminated. An absent value is {NULL, 0}. */
typedef struct sipspec_span {
  const char *p;
  size_t len;
} sipspec_span;

/* Span helpers, so no layer writes its own. */
/* 1 when s is exactly lit, else 0; sipspec_span_ieq ignores ASCII case. */
int sipspec_span_eq(sipspec_span s, const char *lit);
int sipspec_span_ieq(sipspec_span s, const char *lit);
/* Copies s and a NUL into dst (cap bytes): SIPSPEC_OK, or SIPSPEC_E_RANGE when s.len >= cap
 * (dst then holds "" when cap > 0). */
int sipspec_span_copy(char *dst, size_t cap, sipspec_span s);
/* A malloc'd NUL-terminated copy of s (free() it), or NULL when out of memory. */
char *sipspec_span_dup(sipspec_span s);

#pragma GCC visibility pop
#ifdef __cplusplus
}
#endif
#endif
