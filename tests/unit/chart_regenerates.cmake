# Renames a state and adds a transition in a copy of a chart, regenerates, and checks that the
# machine, the diagram, the table and the tests all follow with no other edit.
file(REMOVE_RECURSE ${OUT})
file(MAKE_DIRECTORY ${OUT}/spec)
file(READ ${CHART} text)
string(REPLACE "Proceeding" "Ringing" text "${text}")
string(REPLACE "        TIMER_E @send_request @restart_timer_E -> Trying"
               "        TU_END @stop_timer_E @stop_timer_F -> Terminated   # RFC 3261 §9.1 (test edit)\n      | TIMER_E @send_request @restart_timer_E -> Trying" text "${text}")
if(NOT text MATCHES "TU_END @stop_timer_E")
  message(FATAL_ERROR "the test could not edit the chart copy (has spec/nict.rl changed shape?)")
endif()
file(WRITE ${OUT}/spec/nict.rl "${text}")
execute_process(COMMAND ${PYTHON} ${CHARTGEN} chart --events ${EVENTS} --chart ${OUT}/spec/nict.rl --out ${OUT}/gen --ragel ${RAGEL}
                RESULT_VARIABLE rc ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the edited chart did not generate: ${err}")
endif()
foreach(pair "charts/nict.c;\"Ringing\"" "charts/nict.c;Trying__TU_END" "charts/nict.dot;Ringing"
             "charts/nict.dot;t_Trying__TU_END" "charts/nict.table.json;\"Ringing\""
             "include/sipspec/chart_nict.h;SIPSPEC_NICT_RINGING" "include/sipspec/chart_nict.h;SIPSPEC_NICT_T_TRYING__TU_END"
             "tests/test_nict_gen.c;Trying --TU_END--> Terminated")
  list(GET pair 0 file)
  list(GET pair 1 needle)
  file(READ ${OUT}/gen/${file} got)
  string(FIND "${got}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "${file} does not contain '${needle}' after the edit")
  endif()
  string(FIND "${got}" "Proceeding" old)
  if(NOT old EQUAL -1)
    message(FATAL_ERROR "${file} still names the old state 'Proceeding'")
  endif()
endforeach()
message(STATUS "renamed state and new transition reached the machine, table, diagram, header and tests")
