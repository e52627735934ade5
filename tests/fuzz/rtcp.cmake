# tests/fuzz/rtcp.cmake: libFuzzer target for the RTCP parser (runtime/src/media/rtcp.c,
# compiled into the fuzzer so libFuzzer sees its coverage). Included from
# tests/fuzz/CMakeLists.txt after the `fuzzers` target; seeded with tests/fuzz/rtcp_seeds.
if(SIPSPEC_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_rtcp ${CMAKE_CURRENT_LIST_DIR}/fuzz_rtcp.c ${PROJECT_SOURCE_DIR}/runtime/src/media/rtcp.c)
  target_include_directories(fuzz_rtcp PRIVATE ${PROJECT_SOURCE_DIR}/runtime/include ${PROJECT_SOURCE_DIR}/runtime/src)
  target_compile_options(fuzz_rtcp PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(fuzz_rtcp PRIVATE -fsanitize=fuzzer,address,undefined)
  sipspec_warnings(fuzz_rtcp)
  file(MAKE_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR}/corpus_rtcp)
  add_test(NAME fuzz_rtcp
           COMMAND fuzz_rtcp -max_total_time=30 -timeout=10 -rss_limit_mb=2048 -max_len=2048
                   -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/ ${CMAKE_CURRENT_BINARY_DIR}/corpus_rtcp
                   ${CMAKE_CURRENT_LIST_DIR}/rtcp_seeds)
  set_tests_properties(fuzz_rtcp PROPERTIES TIMEOUT 120 LABELS fuzz)
  add_dependencies(fuzzers fuzz_rtcp)
endif()
