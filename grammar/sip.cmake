# grammar/sip.cmake: the SIP message grammar (RFC 3261 section 25) generated into the build
# tree and compiled into sipspec_core. Tag nondeterminism (host alternatives that share
# prefixes, optional ports) is expected in this grammar and only costs tag copies; and a 0
# byte is legal inside a quoted-pair (RFC 3261 25.1) while our end-of-input 0 is a fake
# sentinel returned by a bounds-checked YYPEEK, so "sentinel in mid-rule" cannot read past
# the input. Those two warnings are not errors here; every other re2c warning is.
sipspec_re2c(OUTPUT ${SIPSPEC_GEN_DIR}/sip/sip_message.c
             INPUT ${CMAKE_CURRENT_SOURCE_DIR}/sip_message.re
             OPTIONS -b -Wno-nondeterministic-tags -Wno-sentinel-in-midrule
             DEPENDS ${PROJECT_SOURCE_DIR}/runtime/src/sip/sip_grammar.h)
# The generated C is not compiled on its own: runtime/src/sip/msg.c includes it (the fast
# scanners, inlined into the parser) and grammar_far.c includes it again (the
# bounds-checked twins).
# The custom command lives in this directory while sipspec_core lives in the top one: a
# target here runs it, and sipspec_core waits for that target.
add_custom_target(sipspec_gen_sip DEPENDS ${SIPSPEC_GEN_DIR}/sip/sip_message.c)
add_dependencies(sipspec_core sipspec_gen_sip)
