# cli_parse.cmake: runs the built `sipspec parse` on a good and a bad message and checks the
# exit codes (0 parsed, 1 rejected, 2 usage or I/O) and what it prints.
# Usage: cmake -DSIPSPEC=<path to sipspec> -DDIR=<tests/grammar/cli> -P cli_parse.cmake
function(run expect_rc expect_regex)
  execute_process(COMMAND ${SIPSPEC} parse ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
                  ERROR_VARIABLE err TIMEOUT 20)
  if(NOT rc EQUAL expect_rc)
    message(FATAL_ERROR "sipspec parse ${ARGN}: exit ${rc}, expected ${expect_rc}\n${out}${err}")
  endif()
  if(NOT "${out}${err}" MATCHES "${expect_regex}")
    message(FATAL_ERROR "sipspec parse ${ARGN}: output does not match '${expect_regex}':\n${out}${err}")
  endif()
endfunction()

run(0 "call_id=cli-good-1 cseq=5 cseq_method=OPTIONS" ${DIR}/good.sip)
run(0 "branch=z9hG4bKcli" ${DIR}/good.sip)
run(0 "\"call_id\": \"cli-good-1\"" --json ${DIR}/good.sip)
run(0 "display=\"Cli\"" --stream ${DIR}/good.sip)
run(1 "line 2, column 18 .*in rule via-parm" ${DIR}/bad.sip)
run(1 "SIPSPEC_E_MSG_SYNTAX" --stream ${DIR}/bad.sip)
run(2 "cannot read" ${DIR}/does-not-exist.sip)
run(2 "usage: sipspec parse")
run(2 "unknown option" --bogus ${DIR}/good.sip)
