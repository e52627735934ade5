# grammar/sdp.cmake: the SDP grammar (RFC 8866 section 9 and the attributes of RFC 4145,
# RFC 4572, RFC 5888 and RFC 6787) generated into the build tree and compiled into sipspec_core.
# The custom target makes the generation run before sipspec_core (defined in another folder)
# compiles the output.
sipspec_re2c(OUTPUT ${SIPSPEC_GEN_DIR}/sdp_grammar.c
             INPUT ${CMAKE_CURRENT_SOURCE_DIR}/sdp.re
             DEPENDS ${PROJECT_SOURCE_DIR}/runtime/src/sdp/sdp_grammar.h)
add_custom_target(sipspec_sdp_grammar DEPENDS ${SIPSPEC_GEN_DIR}/sdp_grammar.c)
add_dependencies(sipspec_core sipspec_sdp_grammar)
target_sources(sipspec_core PRIVATE ${SIPSPEC_GEN_DIR}/sdp_grammar.c)
