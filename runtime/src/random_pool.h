/* random_pool.h: random bytes for tags, branches, nonces and session ids, drawn from a pool
 * that OpenSSL's RAND_bytes refills 512 bytes at a time. Each RAND_bytes call costs a getpid()
 * system call (OpenSSL's fork check) and a DRBG step; a call set up by sipspec needs several
 * identifiers, so drawing them from one refill saves most of that. The pool is per thread
 * (C11 _Thread_local) and emptied in the child after fork(), so two processes never hand out
 * the same bytes. Internal to the library. */
#ifndef SIPSPEC_RANDOM_POOL_H
#define SIPSPEC_RANDOM_POOL_H

#include <stddef.h>

/* n bytes (at most 64) of cryptographic quality. SIPSPEC_OK, SIPSPEC_E_INVAL for n > 64,
 * SIPSPEC_E_IO when RAND_bytes fails (nothing is written then). */
int sipspec_random_bytes(unsigned char *out, size_t n);

/* 2*n lower-case hex digits and a NUL into out (n at most 32). Same errors. */
int sipspec_random_hex(char *out, size_t n);

#endif
