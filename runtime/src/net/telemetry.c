/* telemetry.c: status-code classification and JSON output for sipspec_telemetry.
 * The JSON keys come from the same X-macro table as the struct fields, so they cannot drift.
 */
#include "sipspec/telemetry.h"

#include <inttypes.h>
#include <string.h>

#include "sipspec/error.h"

void sipspec_telemetry_init(sipspec_telemetry *t) { memset(t, 0, sizeof *t); }

const char *sipspec_telemetry_count_status(sipspec_telemetry *t, int status) {
  if (status >= 100 && status <= 199) { t->sipProvisional++; return "sipProvisional"; }
  if (status == 401 || status == 407) { t->sipAuthChallenges++; return "sipAuthChallenges"; }
  if (status >= 400 && status <= 499) { t->sipError4xx++; return "sipError4xx"; }
  if (status >= 500 && status <= 599) { t->sipError5xx++; return "sipError5xx"; }
  if (status >= 600 && status <= 699) { t->sipError6xx++; return "sipError6xx"; }
  return NULL;
}

/* Appends like snprintf into buf[0..buflen), tracking the full length in *need. */
static void put(char *buf, size_t buflen, size_t *need, const char *key, uint64_t v, int first) {
  char tmp[96];
  int n = snprintf(tmp, sizeof tmp, "%s\"%s\":%" PRIu64, first ? "{" : ",", key, v);
  if (n <= 0) return;
  for (int i = 0; i < n; i++, (*need)++)
    if (*need + 1 < buflen) buf[*need] = tmp[i];
}

size_t sipspec_telemetry_to_json(const sipspec_telemetry *t, char *buf, size_t buflen) {
  size_t need = 0;
  int first = 1;
#define SIPSPEC_TELEMETRY_JSON_(f) put(buf, buflen, &need, #f, t->f, first); first = 0;
  SIPSPEC_TELEMETRY_FIELDS(SIPSPEC_TELEMETRY_JSON_)
#undef SIPSPEC_TELEMETRY_JSON_
  if (need + 1 < buflen) buf[need] = '}';
  need++;
  if (buflen > 0) buf[need < buflen ? need : buflen - 1] = '\0';
  return need;
}

int sipspec_telemetry_write_json(const sipspec_telemetry *t, FILE *out) {
  char buf[2048];
  size_t n = sipspec_telemetry_to_json(t, buf, sizeof buf);
  if (n >= sizeof buf) return SIPSPEC_E_RANGE;
  if (fwrite(buf, 1, n, out) != n) return SIPSPEC_E_IO;
  return SIPSPEC_OK;
}
