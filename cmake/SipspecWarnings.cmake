# Compiler flags shared by every target of the project.
add_compile_definitions(_POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)
if(SIPSPEC_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined -fno-sanitize-recover=all)
endif()

# sipspec_warnings(target): -Wall -Wextra (and -Werror when SIPSPEC_WERROR is on).
function(sipspec_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wstrict-prototypes
    $<$<BOOL:${SIPSPEC_WERROR}>:-Werror>)
endfunction()
