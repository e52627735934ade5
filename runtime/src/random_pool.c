/* random_pool.c: see random_pool.h. */
#include "random_pool.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <string.h>

#include "sipspec/error.h"

#define POOL_SIZE 512

static _Thread_local unsigned char pool[POOL_SIZE];
static _Thread_local size_t pool_left; /* the unused bytes are the last pool_left of pool */
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* In the child only the forking thread lives on: its pool must not repeat the parent's. */
static void child_after_fork(void) {
  memset(pool, 0, sizeof pool);
  pool_left = 0;
}

static void install_atfork(void) { (void)pthread_atfork(NULL, NULL, child_after_fork); }

int sipspec_random_bytes(unsigned char *out, size_t n) {
  if (n > 64) return SIPSPEC_E_INVAL;
  pthread_once(&atfork_once, install_atfork);
  if (pool_left < n) {
    if (RAND_bytes(pool, POOL_SIZE) != 1) {
      pool_left = 0;
      return SIPSPEC_E_IO;
    }
    pool_left = POOL_SIZE;
  }
  unsigned char *p = pool + POOL_SIZE - pool_left;
  memcpy(out, p, n);
  memset(p, 0, n); /* bytes handed out do not stay in memory */
  pool_left -= n;
  return SIPSPEC_OK;
}

int sipspec_random_hex(char *out, size_t n) {
  static const char hex[] = "0123456789abcdef";
  unsigned char raw[32];
  if (n > sizeof raw) return SIPSPEC_E_INVAL;
  int rc = sipspec_random_bytes(raw, n);
  if (rc != SIPSPEC_OK) return rc;
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[2 * n] = '\0';
  return SIPSPEC_OK;
}
