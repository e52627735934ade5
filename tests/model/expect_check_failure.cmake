# Runs the model check of one chart alone (promelagen.py openchecks) on a broken chart and
# passes only when the check fails with the message the chart's `#! expect:` line gives: the
# chart and the property violated.
file(STRINGS ${CHART} expect_line REGEX "^#! expect: ")
string(REGEX REPLACE "^#! expect: " "" expect "${expect_line}")
if(expect STREQUAL "")
  message(FATAL_ERROR "${CHART}: no '#! expect:' line")
endif()
execute_process(
  COMMAND ${PYTHON} ${PROMELAGEN} openchecks --events ${EVENTS} --workdir ${WORKDIR} ${CHART}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0)
  message(FATAL_ERROR "the model check accepted ${CHART}; it must fail with: ${expect}\n${out}")
endif()
if(NOT out MATCHES "${expect}")
  message(FATAL_ERROR "the model check failed on ${CHART}, but not with the expected message.\nexpected: ${expect}\ngot:\n${out}${err}")
endif()
message(STATUS "rejected as expected:\n${out}")
