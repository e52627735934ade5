# Runs the chart generator on one bad chart and passes only when the generator fails with
# the message the chart's `#! expect:` line gives (chart, state and reason).
file(STRINGS ${CHART} expect_line REGEX "^#! expect: ")
string(REGEX REPLACE "^#! expect: " "" expect "${expect_line}")
if(expect STREQUAL "")
  message(FATAL_ERROR "${CHART}: no '#! expect:' line")
endif()
execute_process(
  COMMAND ${PYTHON} ${CHARTGEN} chart --events ${EVENTS} --chart ${CHART} --out ${OUT} --ragel ${RAGEL}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "the generator accepted ${CHART}; it must fail with: ${expect}")
endif()
if(NOT err MATCHES "${expect}")
  message(FATAL_ERROR "the generator failed on ${CHART}, but not with the expected message.\nexpected: ${expect}\ngot:\n${err}")
endif()
message(STATUS "refused as expected: ${err}")
