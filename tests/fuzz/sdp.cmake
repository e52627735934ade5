# tests/fuzz/sdp.cmake: libFuzzer target for SDP and MRCPv2 offer/answer. Include it from
# tests/fuzz/CMakeLists.txt; it builds only with -DSIPSPEC_FUZZ=ON and clang. The SDP
# sources are compiled into the fuzzer itself so libFuzzer sees their coverage.
if(SIPSPEC_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  file(GLOB _sdp_fuzz_src ${PROJECT_SOURCE_DIR}/runtime/src/sdp/*.c)
  add_executable(fuzz_sdp ${CMAKE_CURRENT_LIST_DIR}/fuzz_sdp.c ${_sdp_fuzz_src}
                 ${SIPSPEC_GEN_DIR}/sdp_grammar.c ${PROJECT_SOURCE_DIR}/runtime/src/error.c)
  add_dependencies(fuzz_sdp sipspec_sdp_grammar)
  target_include_directories(fuzz_sdp PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include
                             ${PROJECT_SOURCE_DIR}/runtime/src)
  target_compile_options(fuzz_sdp PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(fuzz_sdp PRIVATE -fsanitize=fuzzer,address,undefined)
  sipspec_warnings(fuzz_sdp)
endif()
