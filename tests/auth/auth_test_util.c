/* auth_test_util.c: see auth_test_util.h. */
#include "auth_test_util.h"

#include <CUnit/Basic.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

int auth_test_parse(const char *value, auth_test_hdr *out) {
  memset(out, 0, sizeof *out);
  size_t vl = strlen(value);
  if (vl + 1 > sizeof out->text) return -1;
  memcpy(out->text, value, vl + 1); /* names point into this copy */
  const char *s = out->text;
  size_t used = 0, k = 0;
  while (*s && !isspace((unsigned char)*s) && k + 1 < sizeof out->scheme) out->scheme[k++] = *s++;
  while (*s) {
    while (*s == ' ' || *s == ',' || *s == '\t') s++;
    if (!*s) break;
    if (out->n == sizeof out->p / sizeof out->p[0]) return -1;
    const char *name = s;
    while (*s && *s != '=' && *s != ' ') s++;
    if (*s != '=') return -1;
    sipspec_digest_param *p = &out->p[out->n++];
    p->name.p = name;
    p->name.len = (size_t)(s - name);
    s++;
    p->value.p = out->store + used;
    if (*s == '"') {
      s++;
      while (*s && *s != '"') {
        if (*s == '\\' && s[1]) s++;
        if (used + 1 >= sizeof out->store) return -1;
        out->store[used++] = *s++;
      }
      if (*s != '"') return -1;
      s++;
    } else {
      while (*s && *s != ',' && *s != ' ') {
        if (used + 1 >= sizeof out->store) return -1;
        out->store[used++] = *s++;
      }
    }
    p->value.len = (size_t)(out->store + used - p->value.p);
  }
  return 0;
}

const char *auth_test_get(const auth_test_hdr *h, const char *name) {
  static char buf[2048];
  for (size_t i = 0; i < h->n; i++) {
    if (strlen(name) == h->p[i].name.len && strncasecmp(name, h->p[i].name.p, h->p[i].name.len) == 0) {
      size_t l = h->p[i].value.len < sizeof buf - 1 ? h->p[i].value.len : sizeof buf - 1;
      memcpy(buf, h->p[i].value.p, l);
      buf[l] = '\0';
      return buf;
    }
  }
  return NULL;
}

sipspec_digest_offer auth_test_offer(const auth_test_hdr *h, sipspec_auth_kind kind) {
  sipspec_digest_offer o = {kind, {h->scheme, strlen(h->scheme)}, h->p, h->n};
  return o;
}

int auth_test_run(void) {
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned ran = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  return (failed == 0 && ran > 0) ? 0 : 1;
}
