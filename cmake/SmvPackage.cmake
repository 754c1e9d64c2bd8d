# Debian packages: `cmake --build build --target package` (CPack's DEB generator, one package per
# install component of cmake/SmvInstall.cmake) writes into build/packages/:
#   smv          the CLI, its man page smv(1) and its bash completion                  (component cli)
#   libsmv<ABI>  libsmv.so.<ABI>, named after the SONAME's number as Debian names
#                library packages (Debian Policy 8.1)                                  (component lib)
#   libsmv-dev   smv.h (and the bundled libuv's headers under smv/), libsmv.a, the
#                libsmv.so link, smv.pc and the CMake package                          (component dev)
# Versions come from the project's one version (include/smv.h, CMakeLists.txt); dependencies on the
# system's libraries are computed by dpkg-shlibdeps; libsmv<ABI> gets a shlibs file and the ldconfig
# trigger. lintian's remaining findings are listed, each with its reason, in
# cmake/debian/lintian-allowed.txt; .ci/packages.sh fails on any other, then installs the three
# packages, uses them and purges them.
if(NOT SMV_INSTALL OR NOT PROJECT_IS_TOP_LEVEL)
  return()
endif()

set(SMV_DEB_LIB_PACKAGE "libsmv${SMV_ABI_VERSION}")

# Each package carries /usr/share/doc/<package>/copyright and changelog.gz (Debian Policy 12.5, 12.7).
find_program(SMV_GZIP gzip)
string(TIMESTAMP _smv_deb_date "%a, %d %b %Y %H:%M:%S +0000" UTC)  # honours SOURCE_DATE_EPOCH
foreach(_pkg smv ${SMV_DEB_LIB_PACKAGE} libsmv-dev)
  set(_dir "${CMAKE_BINARY_DIR}/debian-doc/${_pkg}")
  file(MAKE_DIRECTORY "${_dir}")
  file(WRITE "${_dir}/changelog"
       "smv (${PROJECT_VERSION}) unstable; urgency=medium\n\n"
       "  * Built from the smv source tree with CPack (cmake/SmvPackage.cmake).\n\n"
       " -- smv maintainers <smv-maintainers@example.org>  ${_smv_deb_date}\n")
  if(SMV_GZIP)
    execute_process(COMMAND "${SMV_GZIP}" -9nf "${_dir}/changelog" RESULT_VARIABLE _rc)
  endif()
  if(_pkg STREQUAL "smv")
    set(_comp cli)
  elseif(_pkg STREQUAL "libsmv-dev")
    set(_comp dev)
  else()
    set(_comp lib)
  endif()
  install(FILES "${PROJECT_SOURCE_DIR}/cmake/debian/copyright" "${_dir}/changelog.gz"
          DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${_pkg} COMPONENT ${_comp} OPTIONAL)
endforeach()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME smv)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_VENDOR "smv")
set(CPACK_PACKAGE_CONTACT "smv maintainers <smv-maintainers@example.org>")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_OUTPUT_FILE_PREFIX "${CMAKE_BINARY_DIR}/packages")
set(CPACK_PACKAGE_DIRECTORY "${CMAKE_BINARY_DIR}/_cpack")
set(CPACK_STRIP_FILES ON)        # the packages ship stripped files (Debian Policy 10.1)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL cli lib dev)  # never the dependencies' own install rules
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${CPACK_PACKAGE_CONTACT}")
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS_POLICY ">=")

set(CPACK_DEBIAN_CLI_PACKAGE_NAME smv)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION net)
string(CONCAT CPACK_COMPONENT_CLI_DESCRIPTION
  "silent mobile verification on the cellular path: command-line tool\n"
  "smv opens a verification service's deviceRedirectUrl over the device's cellular\n"
  "data path and nothing else, follows the redirect chain over TLS, stops at the\n"
  "app's returnUrl and reports the outcome as JSON and an exit status. This\n"
  "package holds the smv program (follow, report, paths, sandbox, demo), its\n"
  "manual page and its bash completion.")

set(CPACK_DEBIAN_LIB_PACKAGE_NAME ${SMV_DEB_LIB_PACKAGE})
set(CPACK_DEBIAN_LIB_PACKAGE_SECTION libs)
# The ldconfig trigger (Debian Policy 8.1.1). CPack 3.25 also writes postinst/postrm scripts that run
# ldconfig themselves; harmless, listed in cmake/debian/lintian-allowed.txt.
set(CPACK_DEBIAN_LIB_PACKAGE_CONTROL_EXTRA "${PROJECT_SOURCE_DIR}/cmake/debian/triggers")
string(CONCAT CPACK_COMPONENT_LIB_DESCRIPTION
  "silent mobile verification on the cellular path: shared library\n"
  "libsmv opens a verification service's deviceRedirectUrl over the device's\n"
  "cellular data path only, refusing WiFi, VPN and tethered paths, binds every\n"
  "socket and DNS query to that path and follows the redirect chain over TLS.\n"
  "This package holds the shared library.")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libsmv-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DEPENDS lib)
string(CONCAT CPACK_COMPONENT_DEV_DESCRIPTION
  "silent mobile verification on the cellular path: development files\n"
  "libsmv opens a verification service's deviceRedirectUrl over the device's\n"
  "cellular data path only and follows the redirect chain over TLS. This package\n"
  "holds the header smv.h, the static library, the pkg-config file smv.pc and\n"
  "the CMake package smv::smv.")

include(CPack)
