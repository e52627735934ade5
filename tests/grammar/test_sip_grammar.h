/* test_sip_grammar.h: what test_sip_grammar.c (cases, corpus, main) and test_sip_build.c
 * (the builder, framer and span suites) share. */
#ifndef SIPSPEC_TEST_SIP_GRAMMAR_H
#define SIPSPEC_TEST_SIP_GRAMMAR_H

#include <stddef.h>

#include "sipspec/msg.h"

/* The one parsed message the suites reuse. */
extern sipspec_msg *gm;
/* The value of field `key` of m as text (the keys of the case files' expect blocks). */
void field(const sipspec_msg *m, const char *key, char *out, size_t cap);

void test_build_response_ack_cancel(void);
void test_build_limits(void);
void test_framer_pipeline_keepalive(void);
void test_framer_errors(void);
void test_limits(void);
void test_span_helpers(void);
void test_has_token(void);
void test_fields_round_trip(void);
void test_fields_display_escaping(void);
void test_fields_refusals(void);
void test_fields_writers(void);
void test_fields_values(void);

#endif
