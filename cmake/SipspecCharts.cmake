# sipspec_add_chart(NAME <name> CHART <file.rl> EVENTS <events.def>)
# Runs the chart generator at build time; see gen/chartgen.py for what it writes.
function(sipspec_add_chart)
  cmake_parse_arguments(A "" "NAME;CHART;EVENTS" "" ${ARGN})
  set(g ${SIPSPEC_GEN_DIR})
  set(outputs ${g}/charts/${A_NAME}.c ${g}/charts/${A_NAME}_svg.c ${g}/charts/${A_NAME}.rl ${g}/charts/${A_NAME}.dot
              ${g}/charts/${A_NAME}.table.json ${g}/include/sipspec/chart_${A_NAME}.h
              ${g}/actions/chart_${A_NAME}_actions.h
              ${g}/tests/test_${A_NAME}_gen.c)
  set(dot_arg)
  if(DOT_EXECUTABLE)
    list(APPEND outputs ${g}/charts/${A_NAME}.svg)
    set(dot_arg --dot ${DOT_EXECUTABLE})
  endif()
  add_custom_command(OUTPUT ${outputs}
    COMMAND ${Python3_EXECUTABLE} ${SIPSPEC_CHARTGEN} chart --events ${A_EVENTS} --chart ${A_CHART}
            --out ${g} --ragel ${RAGEL_EXECUTABLE} ${dot_arg}
    DEPENDS ${A_CHART} ${A_EVENTS} ${SIPSPEC_CHARTGEN_DEPS}
    COMMENT "chartgen ${A_CHART}"
    VERBATIM)
  target_sources(sipspec_core PRIVATE ${g}/charts/${A_NAME}.c)
  set_property(GLOBAL APPEND PROPERTY SIPSPEC_CHARTS ${A_NAME})
  set_property(GLOBAL APPEND PROPERTY SIPSPEC_CHART_OUTPUTS ${outputs})
endfunction()
