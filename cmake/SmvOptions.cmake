# Every build option of smv, in one place (docs/building.md lists them with what they do). Included by
# CMakeLists.txt right after project(), before anything reads an option.
#
# What is built by default depends on how smv is reached: as the top-level project (a checkout, a
# distribution's package build) everything is; through add_subdirectory() from an application's
# build (an Android app, a firmware tree) only the libraries are, so that the application's build
# gets no tests, no sandbox, no CLI and no install rules of ours unless it asks for them.

# ---- what is built ---------------------------------------------------------------------------------
option(SMV_BUILD_CLI "Build the smv command-line tool" ${PROJECT_IS_TOP_LEVEL})
option(SMV_BUILD_SANDBOX "Build the server side (sandbox, demo, test server) into the CLI" ${PROJECT_IS_TOP_LEVEL})
option(SMV_BUILD_TESTS "Build and register the tests (needs the CLI and the sandbox)" ${PROJECT_IS_TOP_LEVEL})
option(SMV_BUILD_FUZZ "Build the libFuzzer targets (clang)" OFF)
option(SMV_INSTALL "The installable libsmv.a / libsmv.so, the install rules and the packages" ${PROJECT_IS_TOP_LEVEL})

# ---- what the library is made of -------------------------------------------------------------------
set(SMV_PLATFORM "linux" CACHE STRING "Platform layer: linux, android (NDK, or the Linux shim), modem")
set_property(CACHE SMV_PLATFORM PROPERTY STRINGS linux android modem)
if(NOT SMV_PLATFORM MATCHES "^(linux|android|modem)$")
  message(FATAL_ERROR "smv: SMV_PLATFORM must be linux, android or modem, not '${SMV_PLATFORM}'")
endif()
# SMV_PLATFORM=android off Android (the Linux shim): the API level AOSP's <android/multinetwork.h> is
# read at. 29: the layer calls android_res_nquery & co., which the header declares from API 29 on, and
# 29 is the minimum API of a device build (toolchains/android.cmake, docs/android.md).
set(SMV_ANDROID_SHIM_API 29 CACHE STRING "API level of the Android headers in the Linux shim build")
# getaddrinfo in libuv's threadpool (src/io/dns_system.c) instead of c-ares (src/io/dns.c): for
# firmware whose single WAN interface is the carrier path (docs/firmware.md). CMake picks the file.
option(SMV_SYSTEM_RESOLVER "Resolve names with getaddrinfo (threadpool) instead of c-ares" OFF)
# The modem footprint build (docs/firmware.md): client only, trimmed mbedTLS, -Os, gc-sections.
option(SMV_FOOTPRINT "Footprint build: client only, trimmed mbedTLS, -Os, gc-sections" OFF)
set(SMV_MBEDTLS_CONFIG "" CACHE FILEPATH
    "mbedTLS configuration header (empty: toolchains/mbedtls/smv_mbedtls_config.h, or _client.h for SMV_FOOTPRINT)")
# Test builds run under qemu-user only (.ci/cross.sh): qemu 7.2 passes setsockopt(SO_BINDTODEVICE)
# to the kernel but cannot read the binding back, and smv refuses a binding it cannot confirm. With
# this option the read-back may be missing (EINVAL/ENOPROTOOPT from getsockopt); the bind itself,
# and the post-connect check of the local address, still apply. Never ship a build made with it.
option(SMV_EMULATION_UNCONFIRMED_BIND "qemu-user test builds only: accept a SO_BINDTODEVICE that cannot be read back" OFF)

# ---- where the dependencies come from (cmake/SmvDeps.cmake) ----------------------------------------
set(SMV_DEPS_CACHE "${PROJECT_SOURCE_DIR}/.deps-cache" CACHE PATH "Where the pinned dependency tarballs are kept")
# OFF: every dependency from its pinned source (toolchains/deps.lock). ON: every one from the system
# (pkg-config / CMake packages), at the versions of the project's contract or newer on the same line.
# Or a list of the names that come from the system, the rest pinned, e.g. "cjson;http-parser;cmocka"
# (what Debian 12 has at those versions: docs/building.md).
set(SMV_USE_SYSTEM_DEPS OFF CACHE STRING
    "Dependencies from the system: OFF, ON (all) or a list of mbedtls;libuv;c-ares;cjson;http-parser;cmocka")
set(SMV_DEP_NAMES mbedtls libuv c-ares cjson http-parser cmocka)
set(SMV_SYSTEM_DEP_LIST "")
if(SMV_USE_SYSTEM_DEPS STREQUAL "" OR SMV_USE_SYSTEM_DEPS MATCHES "^(OFF|off|Off|0|NO|no|FALSE|false)$")
  set(SMV_SYSTEM_DEP_LIST "")
elseif(SMV_USE_SYSTEM_DEPS MATCHES "^(ON|on|On|1|YES|yes|TRUE|true)$")
  set(SMV_SYSTEM_DEP_LIST ${SMV_DEP_NAMES})
else()
  foreach(_d IN LISTS SMV_USE_SYSTEM_DEPS)
    if(NOT _d IN_LIST SMV_DEP_NAMES)
      message(FATAL_ERROR "smv: SMV_USE_SYSTEM_DEPS: unknown dependency '${_d}' (known: ${SMV_DEP_NAMES})")
    endif()
    list(APPEND SMV_SYSTEM_DEP_LIST ${_d})
  endforeach()
endif()
foreach(_d IN LISTS SMV_DEP_NAMES)
  if(_d IN_LIST SMV_SYSTEM_DEP_LIST)
    set(SMV_SYSTEM_DEP_${_d} ON)
  else()
    set(SMV_SYSTEM_DEP_${_d} OFF)
  endif()
endforeach()

# ---- installing (cmake/SmvInstall.cmake, cmake/SmvPackage.cmake) ------------------------------------
# Install layout. On Debian and its derivatives libraries go to the multiarch directory (lib/x86_64-linux-gnu) under
# any prefix, as Debian's own packages do (/usr/local/lib/<triplet> is on the loader's, pkg-config's and
# CMake's search paths too); GNUInstallDirs does it for /usr only. -DCMAKE_INSTALL_LIBDIR=lib undoes it.
# Set before the dependencies are configured: their CMake files include GNUInstallDirs, which caches
# its default.
if(PROJECT_IS_TOP_LEVEL AND NOT DEFINED CMAKE_INSTALL_LIBDIR AND CMAKE_LIBRARY_ARCHITECTURE
   AND EXISTS /etc/debian_version AND CMAKE_SYSTEM_NAME STREQUAL "Linux")
  set(CMAKE_INSTALL_LIBDIR "lib/${CMAKE_LIBRARY_ARCHITECTURE}" CACHE PATH "Object code libraries (LIBDIR)")
endif()

# ---- tests ------------------------------------------------------------------------------------------
set(SMV_TESTDATA "${PROJECT_SOURCE_DIR}/../shared/testdata" CACHE PATH "The external test suites")

# ---- consistency ------------------------------------------------------------------------------------
if(SMV_FOOTPRINT)
  # Normal variables shadow the cache, so a footprint tree never builds these whatever its cache says.
  set(SMV_BUILD_TESTS OFF)
  set(SMV_BUILD_SANDBOX OFF)
  set(SMV_BUILD_FUZZ OFF)
  set(SMV_BUILD_CLI OFF)
endif()
if(SMV_BUILD_TESTS AND NOT (SMV_BUILD_CLI AND SMV_BUILD_SANDBOX))
  message(FATAL_ERROR "smv: SMV_BUILD_TESTS needs SMV_BUILD_CLI and SMV_BUILD_SANDBOX (the tests drive the CLI, the test server and the sandbox)")
endif()
