# grammar/digest.cmake: the Digest authentication grammar (RFC 3261 section 25.1, RFC 7616
# sections 3.3 and 3.4) generated into the build tree and compiled into sipspec_core, where
# runtime/src/auth/digest_msg.c drives it. A 0 byte is legal inside a quoted-pair (RFC 3261
# 25.1) while the end of the input is a fake CR returned by a bounds-checked YYPEEK, so
# "sentinel in mid-rule" cannot read past the value: that warning is not an error here;
# every other re2c warning is.
sipspec_re2c(OUTPUT ${SIPSPEC_GEN_DIR}/digest_grammar.c
             INPUT ${CMAKE_CURRENT_SOURCE_DIR}/digest.re
             OPTIONS -Wno-sentinel-in-midrule
             DEPENDS ${PROJECT_SOURCE_DIR}/runtime/src/auth/digest_grammar.h)
add_custom_target(sipspec_digest_grammar DEPENDS ${SIPSPEC_GEN_DIR}/digest_grammar.c)
add_dependencies(sipspec_core sipspec_digest_grammar)
target_sources(sipspec_core PRIVATE ${SIPSPEC_GEN_DIR}/digest_grammar.c)
