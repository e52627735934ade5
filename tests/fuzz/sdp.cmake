# tests/fuzz/sdp.cmake: libFuzzer target for SDP and MRCPv2 offer/answer. Include it from
# tests/fuzz/CMakeLists.txt; it builds only with -DSIPSPEC_FUZZ=ON and clang. It links the
# library, which a fuzz build instruments for coverage (the SDP code's MRCP session runs on
# a generated chart, so its sources no longer compile on their own).
if(SIPSPEC_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_sdp ${CMAKE_CURRENT_LIST_DIR}/fuzz_sdp.c)
  target_link_libraries(fuzz_sdp PRIVATE sipspec_internal)
  target_compile_options(fuzz_sdp PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(fuzz_sdp PRIVATE -fsanitize=fuzzer,address,undefined)
  sipspec_warnings(fuzz_sdp)
endif()
