# sipspec_re2c(OUTPUT <file.c> INPUT <file.re> [OPTIONS ...] [DEPENDS ...])
# Generates C from a re2c grammar into the build tree. Grammar holes are build errors
# (-W -Werror) and the output is reproducible (--no-generation-date). List every included
# .re file in DEPENDS so an edit to it regenerates.
function(sipspec_re2c)
  cmake_parse_arguments(A "" "OUTPUT;INPUT" "OPTIONS;DEPENDS" ${ARGN})
  get_filename_component(dir ${A_OUTPUT} DIRECTORY)
  file(MAKE_DIRECTORY ${dir})
  add_custom_command(OUTPUT ${A_OUTPUT}
    COMMAND ${RE2C_EXECUTABLE} -W -Werror --no-generation-date ${A_OPTIONS} -o ${A_OUTPUT} ${A_INPUT}
    DEPENDS ${A_INPUT} ${A_DEPENDS}
    COMMENT "re2c ${A_INPUT}"
    VERBATIM)
endfunction()
