# tests/fuzz/layers.cmake: the fuzz targets above the parsers (included from
# tests/fuzz/CMakeLists.txt, fuzz builds only).
#   fuzz_sip_layers  the client user agent and the embedded server (transactions, dialogs,
#                    sessions) driven by scripts of messages, timers, transport errors and
#                    API calls over an in-memory transport on a virtual clock
#   fuzz_body        INVITE bodies (multipart and others) at the embedded server
#   fuzz_digest      the Digest challenge / credentials path
#   fuzz_mrcp        MRCPv2 offer/answer over a session's life
# Each has a 30 s CTest run (label fuzz) seeded from tests/fuzz/seeds/<name>, the shared
# corpus and the RFC 4475 messages, with tests/fuzz/sip.dict; and a replay (labels fuzz and
# regress) of tests/fuzz/regress/<name>: the CVE-class inputs and every input that once
# crashed it.
set(SIPSPEC_LAYER_FUZZERS fuzz_sip_layers fuzz_body fuzz_digest fuzz_mrcp)
add_executable(fuzz_sip_layers fuzz_sip_layers.c)
add_executable(fuzz_body fuzz_sip_layers.c)
target_compile_definitions(fuzz_body PRIVATE FUZZ_BODY=1)
add_executable(fuzz_digest fuzz_digest.c)
add_executable(fuzz_mrcp fuzz_mrcp.c)
foreach(f ${SIPSPEC_LAYER_FUZZERS})
  target_link_libraries(${f} PRIVATE sipspec_internal)
  target_compile_options(${f} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
  target_link_options(${f} PRIVATE -fsanitize=fuzzer,address,undefined)
  sipspec_warnings(${f})
endforeach()
# The user agent and the server get the in-memory transports of the target instead of UDP
# and TCP sockets (fuzz_sip_layers.c says how).
foreach(f fuzz_sip_layers fuzz_body)
  target_link_options(${f} PRIVATE -Wl,--wrap=sipspec_transport_type_for)
endforeach()

foreach(f ${SIPSPEC_LAYER_FUZZERS})
  string(REGEX REPLACE "^fuzz_" "" name ${f})
  set(dir ${CMAKE_CURRENT_BINARY_DIR}/corpus_${name})
  file(MAKE_DIRECTORY ${dir})
  set(seeds ${CMAKE_CURRENT_SOURCE_DIR}/seeds/${name})
  if(NOT f STREQUAL "fuzz_mrcp")
    list(APPEND seeds ${PROJECT_SOURCE_DIR}/tests/corpus ${PROJECT_SOURCE_DIR}/tests/rfc4475/messages)
  else()
    list(APPEND seeds ${PROJECT_SOURCE_DIR}/tests/sdp/data)
  endif()
  add_test(NAME ${f}
           COMMAND ${f} -max_total_time=30 -timeout=10 -rss_limit_mb=2048 -max_len=8192
                   -dict=${CMAKE_CURRENT_SOURCE_DIR}/sip.dict
                   -artifact_prefix=${CMAKE_CURRENT_BINARY_DIR}/ ${dir} ${seeds})
  set_tests_properties(${f} PROPERTIES TIMEOUT 120 LABELS fuzz)
  # The regression corpus: the binary runs each file once (no fuzzing) and fails on a crash.
  file(GLOB regress ${CMAKE_CURRENT_SOURCE_DIR}/regress/${name}/*)
  if(regress)
    add_test(NAME ${f}_regress COMMAND ${f} -runs=1 ${regress})
    set_tests_properties(${f}_regress PROPERTIES TIMEOUT 120 LABELS "fuzz;regress")
  endif()
endforeach()
