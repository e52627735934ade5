# Finds the project's dependencies (all Debian 12 packages; tools/setup installs them).
find_package(Python3 3.9 REQUIRED COMPONENTS Interpreter)
find_program(RAGEL_EXECUTABLE ragel REQUIRED)
find_program(RE2C_EXECUTABLE re2c REQUIRED)
find_program(DOT_EXECUTABLE dot)            # optional: SVG diagrams
find_package(OpenSSL 3 REQUIRED)
find_package(PkgConfig REQUIRED)
pkg_check_modules(CUNIT REQUIRED IMPORTED_TARGET cunit)

# libev ships no pkg-config or CMake file on Debian.
find_path(EV_INCLUDE_DIR ev.h REQUIRED)
find_library(EV_LIBRARY ev REQUIRED)
add_library(sipspec::ev UNKNOWN IMPORTED)
set_target_properties(sipspec::ev PROPERTIES
  IMPORTED_LOCATION ${EV_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${EV_INCLUDE_DIR})

# c-ares: asynchronous DNS (NAPTR, SRV, A/AAAA) on the caller's loop; found by header and
# library name like libev, so the installed package config can do the same.
find_path(CARES_INCLUDE_DIR ares.h REQUIRED)
find_library(CARES_LIBRARY cares REQUIRED)
add_library(sipspec::cares UNKNOWN IMPORTED)
set_target_properties(sipspec::cares PROPERTIES
  IMPORTED_LOCATION ${CARES_LIBRARY}
  INTERFACE_INCLUDE_DIRECTORIES ${CARES_INCLUDE_DIR})
