# SipspecInstall: what `cmake --install <build> --prefix <P>` puts under P, and the two ways
# other projects find it afterwards (pkg-config and a CMake package).
#
#   P/lib/libsipspec.a                    static library
#   P/lib/libsipspec.so.<version>         shared library, SONAME libsipspec.so.<soversion>,
#   P/lib/libsipspec.so.<soversion>       with the usual symlinks
#   P/lib/libsipspec.so
#   P/include/sipspec/*.h                 every public header: the hand-written ones of
#                                         runtime/include/sipspec and the generated ones
#                                         (events.h, chart_<name>.h) of the build tree
#   P/bin/sipspec                         the command line (its rule is in tools/sipspec)
#   P/lib/pkgconfig/sipspec.pc            `pkg-config --cflags --libs sipspec` links the shared
#                                         library; `--static` adds libev, libm and OpenSSL
#   P/lib/cmake/sipspec/                  sipspecConfig.cmake, sipspecConfigVersion.cmake and
#                                         the exported targets:
#                                           sipspec::sipspec         the SHARED library
#                                           sipspec::sipspec_static  the static library
#
# Note: inside this build tree the alias sipspec::sipspec (runtime/CMakeLists.txt) names the
# static library, which the tests link; installed consumers get the shared one under that
# name, the usual choice for a system library, and ask for sipspec::sipspec_static by name.
#
# Both the .pc file and the package files locate the prefix relative to themselves, so the
# prefix given to `cmake --install --prefix` (or a DESTDIR) needs no reconfigure.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(SIPSPEC_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/sipspec)
set(SIPSPEC_PC_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# --- libraries ---------------------------------------------------------------------------
set_target_properties(sipspec_shared PROPERTIES EXPORT_NAME sipspec)
set_target_properties(sipspec_static PROPERTIES EXPORT_NAME sipspec_static)

# A sanitizer build is installed as what it is: its objects need the sanitizer runtimes, so
# every consumer must compile and link with the same flags. The installed targets and the
# .pc file say so (and only they: the build tree already has these flags everywhere).
set(SIPSPEC_CONSUMER_FLAGS "")
if(SIPSPEC_SANITIZE)
  set(SIPSPEC_CONSUMER_FLAGS -fsanitize=address,undefined)
  foreach(t sipspec_static sipspec_shared)
    target_compile_options(${t} INTERFACE $<INSTALL_INTERFACE:${SIPSPEC_CONSUMER_FLAGS}>)
    target_link_options(${t} INTERFACE $<INSTALL_INTERFACE:${SIPSPEC_CONSUMER_FLAGS}>)
  endforeach()
endif()

install(TARGETS sipspec_shared sipspec_static EXPORT sipspecTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

# --- headers -----------------------------------------------------------------------------
# Whole directories, read at install time: a header added to runtime/include/sipspec or a
# new generated chart header is installed without touching this file.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/runtime/include/sipspec
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")
install(DIRECTORY ${SIPSPEC_GEN_DIR}/include/sipspec
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
  FILES_MATCHING PATTERN "*.h")

# --- pkg-config --------------------------------------------------------------------------
# prefix is found from the .pc file's own location (${pcfiledir}), so the file stays right
# whatever prefix the install uses. An absolute CMAKE_INSTALL_LIBDIR/INCLUDEDIR is kept as is.
function(sipspec_pc_dir var dir)
  if(IS_ABSOLUTE "${dir}")
    set(${var} "${dir}" PARENT_SCOPE)
  else()
    set(${var} "\${prefix}/${dir}" PARENT_SCOPE)
  endif()
endfunction()
if(IS_ABSOLUTE "${SIPSPEC_PC_INSTALL_DIR}")
  set(SIPSPEC_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH rel "/sipspec-prefix/${SIPSPEC_PC_INSTALL_DIR}" "/sipspec-prefix")
  string(REGEX REPLACE "/$" "" rel "${rel}")
  set(SIPSPEC_PC_PREFIX "\${pcfiledir}/${rel}")
endif()
sipspec_pc_dir(SIPSPEC_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
sipspec_pc_dir(SIPSPEC_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
set(SIPSPEC_PC_EXTRA_FLAGS "")
foreach(f ${SIPSPEC_CONSUMER_FLAGS})
  string(APPEND SIPSPEC_PC_EXTRA_FLAGS " ${f}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/sipspec.pc.in ${PROJECT_BINARY_DIR}/pkgconfig/sipspec.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/sipspec.pc DESTINATION ${SIPSPEC_PC_INSTALL_DIR})

# --- CMake package -----------------------------------------------------------------------
install(EXPORT sipspecTargets NAMESPACE sipspec:: DESTINATION ${SIPSPEC_CMAKE_INSTALL_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/sipspecConfig.cmake.in
  ${PROJECT_BINARY_DIR}/cmake/sipspecConfig.cmake
  INSTALL_DESTINATION ${SIPSPEC_CMAKE_INSTALL_DIR}
  PATH_VARS CMAKE_INSTALL_INCLUDEDIR)
# 0.y: the ABI may change with every minor version, so only the same major.minor matches.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/cmake/sipspecConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/cmake/sipspecConfig.cmake
              ${PROJECT_BINARY_DIR}/cmake/sipspecConfigVersion.cmake
  DESTINATION ${SIPSPEC_CMAKE_INSTALL_DIR})
