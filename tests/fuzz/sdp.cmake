# tests/fuzz/sdp.cmake: libFuzzer target for SDP and MRCPv2 offer/answer. Include it from
# tests/fuzz/CMakeLists.txt; it builds only with -DSIPSPEC_FUZZ=ON and clang. It links the
# library, whose objects are built with -fsanitize=fuzzer-no-link in a fuzz build, so
# libFuzzer sees the SDP code's coverage (and the offer/answer chart the MRCP session runs on).
if(SIPSPEC_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_sdp ${CMAKE_CURRENT_LIST_DIR}/fuzz_sdp.c)
  target_link_libraries(fuzz_sdp PRIVATE sipspec_internal)
  target_compile_options(fuzz_sdp PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(fuzz_sdp PRIVATE -fsanitize=fuzzer,address,undefined)
  sipspec_warnings(fuzz_sdp)
endif()
