# `cmake --install`: include/smv.h, libsmv.a and libsmv.so, smv.pc and the CMake package smv::smv;
# the CLI with its man page and bash completion. Each file belongs to one install component, and the
# components are the Debian packages (cmake/SmvPackage.cmake): `cli` (smv), `lib` (libsmv<ABI>),
# `dev` (libsmv-dev).
#
# What is installed, and why this way: the pinned dependencies are compiled from their sources with
# our own configuration (mbedTLS above all), so they are not the system's libraries and must not be
# installed where the system's would go (a libuv.a or libmbedtls.a in /usr/local/lib would shadow or
# clash with the distribution's). So libsmv carries its pinned dependencies inside:
# - libsmv.a holds smv's objects and those of the pinned libuv, mbedTLS, c-ares, http-parser and
#   cJSON; a program links -lsmv plus the C library's -lpthread -ldl -lrt (and the system's libraries
#   of SMV_USE_SYSTEM_DEPS, which smv.pc and smv::smv_static name). A program that also links its own
#   mbedTLS or c-ares should use the shared library.
# - libsmv.so is linked from the same objects. Its exports follow one rule, written into its version
#   script below: exactly the functions include/smv.h declares, plus libuv's API (uv_*) when libuv is
#   bundled, all at the version node SMV_<ABI>; everything else (smv__ internals, the bundled mbedTLS,
#   c-ares, http-parser, cJSON) is local. Its SONAME is libsmv.so.<ABI> (SMV_ABI_VERSION,
#   CMakeLists.txt), which changes only when the ABI breaks.
# libuv's API is exported because it is part of smv's: smv_client_new() takes the application's
# uv_loop_t, and that loop must be driven (uv_loop_init, uv_run, uv_close) by the very libuv smv runs
# on, whose struct layouts the bundled code was compiled with. An application that hid it would have to
# link a second libuv (Debian 12's is 1.44, smv's 1.50) and hand smv a loop of the wrong layout. So its
# headers are installed under PREFIX/include/smv/ (uv.h, uv/*.h, never where the system's uv.h
# goes), smv.pc and the CMake package put that directory on the include path, and a program linking
# libsmv.so must not link another libuv. With libuv taken from the system (SMV_USE_SYSTEM_DEPS) libsmv.so exports
# smv_* only and depends on the system's libuv.so.1.
#
# Exported targets: smv::smv (shared), smv::smv_static (static).

include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

if(NOT SMV_INSTALL)  # cmake/SmvOptions.cmake
  return()
endif()

# What the C library must provide to the bundled objects.
if(SMV_PLATFORM STREQUAL "android" AND CMAKE_SYSTEM_NAME STREQUAL "Android")
  set(SMV_SYSTEM_LIBS dl m log android)
else()
  set(SMV_SYSTEM_LIBS pthread dl rt m)
endif()

set(_smv_objects $<TARGET_OBJECTS:smv> $<TARGET_OBJECTS:smv_core> $<TARGET_OBJECTS:smv_platform>)
foreach(_t IN LISTS SMV_BUNDLED_TARGETS)
  list(APPEND _smv_objects $<TARGET_OBJECTS:${_t}>)
endforeach()
set(_smv_dep_libs ${SMV_SYSTEM_LINK_NAMES})
list(JOIN SMV_SYSTEM_PC_MODULES " " SMV_PC_REQUIRES_PRIVATE)
set(SMV_PC_LIBS_PRIVATE "")
foreach(_l IN LISTS SMV_SYSTEM_LINK_NAMES)
  # Those with a pkg-config module come through Requires.private; the others are named here.
  if(_l MATCHES "^(http_parser|mbedtls|mbedx509|mbedcrypto)$")
    string(APPEND SMV_PC_LIBS_PRIVATE " -l${_l}")
  endif()
endforeach()
foreach(_l IN LISTS SMV_SYSTEM_LIBS)
  string(APPEND SMV_PC_LIBS_PRIVATE " -l${_l}")
endforeach()
string(STRIP "${SMV_PC_LIBS_PRIVATE}" SMV_PC_LIBS_PRIVATE)
set(_smv_uv_bundled OFF)
if("uv_a" IN_LIST SMV_BUNDLED_TARGETS)
  set(_smv_uv_bundled ON)
endif()

set(_smv_includes "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>")
if(_smv_uv_bundled)
  list(APPEND _smv_includes "$<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/smv>")
endif()

add_library(smv_static STATIC ${_smv_objects})
add_library(smv_shared SHARED ${_smv_objects})
foreach(_t smv_static smv_shared)
  set_target_properties(${_t} PROPERTIES OUTPUT_NAME smv LINKER_LANGUAGE C
    ARCHIVE_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/lib" LIBRARY_OUTPUT_DIRECTORY "${CMAKE_BINARY_DIR}/lib")
  target_include_directories(${_t} INTERFACE "$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>"
                                             ${_smv_includes})
endforeach()
set_target_properties(smv_static PROPERTIES EXPORT_NAME smv_static)
target_link_libraries(smv_static INTERFACE ${_smv_dep_libs} ${SMV_SYSTEM_LIBS})
set_target_properties(smv_shared PROPERTIES EXPORT_NAME smv VERSION ${PROJECT_VERSION}
                      SOVERSION ${SMV_ABI_VERSION})
target_link_libraries(smv_shared PRIVATE ${_smv_dep_libs} ${SMV_SYSTEM_LIBS})

# The shared library's exports (the rule above): each function include/smv.h declares, by name (so
# that the internal smv__ names stay local), and libuv's uv_* when it is bundled, at node SMV_<ABI>.
file(STRINGS "${PROJECT_SOURCE_DIR}/include/smv.h" _smv_decls REGEX "smv_[a-z0-9_]+\\(")
set(_smv_exports "")
foreach(_d IN LISTS _smv_decls)
  if(_d MATCHES "[ *](smv_[a-z0-9_]+)\\(")
    list(APPEND _smv_exports "${CMAKE_MATCH_1}")
  endif()
endforeach()
list(REMOVE_DUPLICATES _smv_exports)
list(JOIN _smv_exports ";\n    " _smv_exports_text)
set(_smv_uv_export "")
if(_smv_uv_bundled)
  set(_smv_uv_export "\n    uv_*;")
endif()
set(_smv_map "${CMAKE_BINARY_DIR}/smv.map")
file(CONFIGURE OUTPUT "${_smv_map}" CONTENT
     "/* generated by cmake/SmvInstall.cmake from include/smv.h */\nSMV_${SMV_ABI_VERSION} {\n  global:\n    ${_smv_exports_text};${_smv_uv_export}\n  local: *;\n};\n")
target_link_options(smv_shared PRIVATE "LINKER:--version-script=${_smv_map}")
set_property(TARGET smv_shared APPEND PROPERTY LINK_DEPENDS "${_smv_map}")

# libsmv.so.<ABI> and its versioned name go to the library package; the libsmv.so link, with the
# headers, the static library and the build metadata, to the development package.
install(TARGETS smv_shared EXPORT smvTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT lib NAMELINK_COMPONENT dev
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT lib)
install(TARGETS smv_static EXPORT smvTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(FILES "${PROJECT_SOURCE_DIR}/include/smv.h" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
if(_smv_uv_bundled)
  install(FILES "${SMV_DEP_libuv_DIR}/include/uv.h" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/smv COMPONENT dev)
  install(DIRECTORY "${SMV_DEP_libuv_DIR}/include/uv" DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/smv COMPONENT dev)
endif()
install(EXPORT smvTargets NAMESPACE smv:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/smv COMPONENT dev)

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/smvConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/smvConfig.cmake" INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/smv)
write_basic_package_version_file("${CMAKE_BINARY_DIR}/smvConfigVersion.cmake"
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/smvConfig.cmake" "${CMAKE_BINARY_DIR}/smvConfigVersion.cmake"
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/smv COMPONENT dev)

# pkg-config: the prefix is the one installed to (/usr for the packages), written at install time, so
# that pkg-config gives -I/usr/include/smv -lsmv as for any library of the system (and leaves the
# system's own directories out).
if(_smv_uv_bundled)
  set(SMV_PC_CFLAGS "-I\${includedir} -I\${includedir}/smv")
else()
  set(SMV_PC_CFLAGS "-I\${includedir}")
endif()
set(SMV_PC_PREFIX "@SMV_PC_INSTALL_PREFIX@")  # substituted by the install step below
configure_file("${PROJECT_SOURCE_DIR}/cmake/smv.pc.in" "${CMAKE_BINARY_DIR}/smv.pc.in" @ONLY)
install(CODE "
  set(SMV_PC_INSTALL_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${CMAKE_BINARY_DIR}/smv.pc.in\" \"${CMAKE_BINARY_DIR}/install/smv.pc\" @ONLY)
  file(INSTALL \"${CMAKE_BINARY_DIR}/install/smv.pc\"
       DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_LIBDIR}/pkgconfig\")" COMPONENT dev)

# The command-line tool, its manual page (gzip -9n, as Debian ships man pages) and its bash completion.
if(TARGET smv_cli)
  install(TARGETS smv_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)
  find_program(SMV_GZIP gzip)
  if(SMV_GZIP)
    add_custom_command(OUTPUT "${CMAKE_BINARY_DIR}/man/smv.1.gz"
      COMMAND "${CMAKE_COMMAND}" -E make_directory "${CMAKE_BINARY_DIR}/man"
      COMMAND "${SMV_GZIP}" -9n -c "${PROJECT_SOURCE_DIR}/docs/smv.1" > "${CMAKE_BINARY_DIR}/man/smv.1.gz"
      DEPENDS "${PROJECT_SOURCE_DIR}/docs/smv.1" VERBATIM)
    add_custom_target(smv_man ALL DEPENDS "${CMAKE_BINARY_DIR}/man/smv.1.gz")
    install(FILES "${CMAKE_BINARY_DIR}/man/smv.1.gz" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
  else()
    install(FILES "${PROJECT_SOURCE_DIR}/docs/smv.1" DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT cli)
  endif()
  install(FILES "${PROJECT_SOURCE_DIR}/src/cli/smv.bash" RENAME smv
          DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT cli)
endif()
