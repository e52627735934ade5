/* digest_internal.h: helpers shared by the files of runtime/src/auth (not public).
 *
 * Reason texts: every failure writes one sentence into a caller buffer. Text that came
 * from a peer is quoted through auth_peer_text(), which truncates it and replaces
 * control and non-ASCII bytes, so a hostile value cannot forge log lines. No helper here
 * ever receives a password.
 */
#ifndef SIPSPEC_AUTH_DIGEST_INTERNAL_H
#define SIPSPEC_AUTH_DIGEST_INTERNAL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "sipspec/digest.h"

/* printf into why (NULL or why_len 0: nothing); always NUL-terminated. */
void auth_reason(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies at most 40 bytes of s[0..n) into dst as printable ASCII ('?' for others, "..."
 * when truncated). dst_cap >= 48 recommended. Returns dst. */
const char *auth_peer_text(char *dst, size_t dst_cap, const char *s, size_t n);

/* Case-insensitive comparison of a slice with a NUL-terminated ASCII word. */
bool auth_slice_ieq(const char *s, size_t n, const char *word);

/* true if s[0..n) has a byte below 0x20 or 0x7f (CR, LF, NUL, ...). */
bool auth_has_ctl(const char *s, size_t n);

/* Finds the param named `name` (case-insensitive). Returns its index or -1; *dup is set
 * when it occurs more than once. */
long auth_param_find(const sipspec_digest_param *params, size_t n, const char *name, bool *dup);

/* Generic hex digest of the ':'-joined parts with alg's base hash. out gets 2*size hex
 * digits + NUL. SIPSPEC_OK or SIPSPEC_E_AUTH_CRYPTO. */
int auth_hash_join(sipspec_digest_alg alg, const char *const *parts, const size_t *lens,
                   size_t n_parts, char out[SIPSPEC_DIGEST_HEX_MAX]);

/* Constant-time equality of two NUL-terminated hex strings of the same length. */
bool auth_hex_equal(const char *a, const char *b);

#endif
