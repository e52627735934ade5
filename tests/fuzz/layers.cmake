# tests/fuzz/layers.cmake: the fuzz targets above the parsers (included from
# tests/fuzz/CMakeLists.txt in every build).
#   fuzz_sip_layers  the client user agent and the embedded server (transactions, dialogs,
#                    sessions) driven by scripts of messages, timers, transport errors and
#                    API calls over an in-memory transport on a virtual clock
#   fuzz_body        INVITE bodies (multipart and others) at the embedded server
#   fuzz_digest      the Digest challenge / credentials path
#   fuzz_mrcp        MRCPv2 offer/answer over a session's life
# Each has a 30 s CTest run (label fuzz) seeded from tests/fuzz/seeds/<name>, tests/corpus
# and the RFC 4475 messages, with tests/fuzz/sip.dict; and a replay (labels fuzz and
# regress) of tests/fuzz/regress/<name>: the CVE-class inputs and every input that once
# crashed it.
# In a build without SIPSPEC_FUZZ (the ordinary one and the sanitizer one), each target is
# linked with replay_main.c instead of libFuzzer as replay_<name>, and the test
# fuzz_<name>_replay runs it once over its regression corpus and its seeds.
set(_layer_sources sip_layers:fuzz_sip_layers.c body:fuzz_sip_layers.c digest:fuzz_digest.c mrcp:fuzz_mrcp.c)
if(NOT SIPSPEC_FUZZ)
  foreach(pair ${_layer_sources})
    string(REPLACE ":" ";" pair ${pair})
    list(GET pair 0 name)
    list(GET pair 1 src)
    add_executable(replay_${name} ${CMAKE_CURRENT_SOURCE_DIR}/${src} ${CMAKE_CURRENT_SOURCE_DIR}/replay_main.c)
    target_link_libraries(replay_${name} PRIVATE sipspec_internal)
    sipspec_warnings(replay_${name})
    if(name STREQUAL "body")
      target_compile_definitions(replay_${name} PRIVATE FUZZ_BODY=1)
    endif()
    if(name STREQUAL "body" OR name STREQUAL "sip_layers")
      target_link_options(replay_${name} PRIVATE -Wl,--wrap=sipspec_transport_type_for -Wl,--wrap=ev_run)
    endif()
    add_test(NAME fuzz_${name}_replay
             COMMAND replay_${name} ${CMAKE_CURRENT_SOURCE_DIR}/regress/${name} ${CMAKE_CURRENT_SOURCE_DIR}/seeds/${name})
    set_tests_properties(fuzz_${name}_replay PROPERTIES TIMEOUT 300 LABELS "regress;hostile")
  endforeach()
  return()
endif()

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
# and TCP sockets, and an ev_run() that never blocks (fuzz_sip_layers.c says why).
foreach(f fuzz_sip_layers fuzz_body)
  target_link_options(${f} PRIVATE -Wl,--wrap=sipspec_transport_type_for -Wl,--wrap=ev_run)
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
