# Dependencies: the pinned upstream tarballs of toolchains/deps.lock, fetched from Debian's archive by
# toolchains/fetch-deps.sh (at configure time, only when missing), extracted into the build tree and
# compiled here with our configuration. The same path serves native, cross and Android builds.
# SMV_USE_SYSTEM_DEPS (cmake/SmvOptions.cmake) takes all or some of them from the system instead, for
# distribution packagers: each at the version of the project's contract or newer on the same line
# (an older or newer-line one stops the configuration; it is never used silently).
#
# Whichever way a dependency comes, it is the INTERFACE target smv_dep_<name> that smv links, and
# SmvInstall.cmake learns from these variables what libsmv holds and what it needs:
#   SMV_BUNDLED_TARGETS       pinned static libraries whose objects go into libsmv.a / libsmv.so
#   SMV_SYSTEM_LINK_NAMES     -l names of the system's libraries (for libsmv.so, smv.pc, smv::smv_static)
#   SMV_SYSTEM_PC_MODULES     their pkg-config modules (smv.pc's Requires.private)
set(SMV_BUNDLED_TARGETS "")
set(SMV_SYSTEM_LINK_NAMES "")
set(SMV_SYSTEM_PC_MODULES "")
set(_smv_need_pinned "")
foreach(_d IN LISTS SMV_DEP_NAMES)
  if(NOT SMV_SYSTEM_DEP_${_d} AND NOT (_d STREQUAL "cmocka" AND NOT SMV_BUILD_TESTS))
    list(APPEND _smv_need_pinned ${_d})
  endif()
endforeach()

# smv_dep_check_line(NAME FOUND MIN): FOUND must be MIN or newer, on MIN's major line (the project's
# contract, docs/building.md: "these versions or newer on the same line").
function(smv_dep_check_line name found min)
  string(REGEX MATCH "^[0-9]+" _found_major "${found}")
  string(REGEX MATCH "^[0-9]+" _min_major "${min}")
  if(found VERSION_LESS min OR NOT _found_major EQUAL _min_major)
    message(FATAL_ERROR "smv: the system's ${name} is ${found}; smv needs ${min} or newer on the "
                        "${_min_major}.x line (take it pinned: leave ${name} out of SMV_USE_SYSTEM_DEPS)")
  endif()
  message(STATUS "smv: ${name} ${found} from the system")
endfunction()

if(SMV_SYSTEM_DEP_LIST)
  find_package(PkgConfig REQUIRED)
endif()
# smv_dep_system_pc(NAME MODULE MIN LINKNAME...): a system dependency found through pkg-config.
macro(smv_dep_system_pc name module min)
  pkg_check_modules(SMVDEP_${module} REQUIRED IMPORTED_TARGET ${module})
  smv_dep_check_line(${name} "${SMVDEP_${module}_VERSION}" ${min})
  list(APPEND SMV_SYSTEM_PC_MODULES ${module})
  list(APPEND SMV_SYSTEM_LINK_NAMES ${ARGN})
endmacro()

if(SMV_SYSTEM_DEP_mbedtls)
  find_package(MbedTLS QUIET)  # mbedTLS 3 installs a CMake package; 2.28 (Debian 12's) has none
  if(NOT MbedTLS_FOUND)
    message(FATAL_ERROR "smv: SMV_USE_SYSTEM_DEPS: no mbedTLS 3.6 CMake package (MbedTLSConfig.cmake) "
                        "on this system; take mbedTLS pinned: leave mbedtls out of SMV_USE_SYSTEM_DEPS")
  endif()
  smv_dep_check_line(mbedtls "${MbedTLS_VERSION}" 3.6)
  add_library(smv_dep_mbedtls INTERFACE)
  target_link_libraries(smv_dep_mbedtls INTERFACE MbedTLS::mbedtls MbedTLS::mbedx509 MbedTLS::mbedcrypto)
  list(APPEND SMV_SYSTEM_LINK_NAMES mbedtls mbedx509 mbedcrypto)
endif()
if(SMV_SYSTEM_DEP_libuv)
  smv_dep_system_pc(libuv libuv 1.50 uv)
  add_library(smv_dep_uv INTERFACE)
  target_link_libraries(smv_dep_uv INTERFACE PkgConfig::SMVDEP_libuv)
endif()
if(SMV_SYSTEM_DEP_c-ares)
  smv_dep_system_pc(c-ares libcares 1.34 cares)
  add_library(smv_dep_cares INTERFACE)
  target_link_libraries(smv_dep_cares INTERFACE PkgConfig::SMVDEP_libcares)
endif()
if(SMV_SYSTEM_DEP_cjson)
  smv_dep_system_pc(cjson libcjson 1.7 cjson)
  add_library(smv_dep_cjson INTERFACE)
  target_link_libraries(smv_dep_cjson INTERFACE PkgConfig::SMVDEP_libcjson)
endif()
if(SMV_SYSTEM_DEP_http-parser)
  # No pkg-config module: the header's version macros say which one it is.
  find_path(SMVDEP_HTTP_PARSER_INCLUDE http_parser.h REQUIRED)
  find_library(SMVDEP_HTTP_PARSER http_parser REQUIRED)
  file(STRINGS "${SMVDEP_HTTP_PARSER_INCLUDE}/http_parser.h" _hp REGEX "#define HTTP_PARSER_VERSION_")
  string(REGEX REPLACE ".*MAJOR ([0-9]+).*MINOR ([0-9]+).*PATCH ([0-9]+).*" "\\1.\\2.\\3" _hp_version "${_hp}")
  smv_dep_check_line(http-parser "${_hp_version}" 2.9.4)
  add_library(smv_dep_http_parser INTERFACE)
  target_include_directories(smv_dep_http_parser SYSTEM INTERFACE "${SMVDEP_HTTP_PARSER_INCLUDE}")
  target_link_libraries(smv_dep_http_parser INTERFACE "${SMVDEP_HTTP_PARSER}")
  list(APPEND SMV_SYSTEM_LINK_NAMES http_parser)
endif()
if(SMV_SYSTEM_DEP_cmocka AND SMV_BUILD_TESTS)
  pkg_check_modules(SMVDEP_cmocka REQUIRED IMPORTED_TARGET cmocka)
  smv_dep_check_line(cmocka "${SMVDEP_cmocka_VERSION}" 1.1)
  add_library(smv_dep_cmocka INTERFACE)
  target_link_libraries(smv_dep_cmocka INTERFACE PkgConfig::SMVDEP_cmocka)
endif()
if(NOT _smv_need_pinned)
  return()
endif()

# Read the lock: name -> tarball file name.
file(STRINGS "${PROJECT_SOURCE_DIR}/toolchains/deps.lock" _smv_lock REGEX "^[a-z]")
set(_smv_missing FALSE)
foreach(_line IN LISTS _smv_lock)
  string(REGEX REPLACE "[ \t]+" ";" _f "${_line}")
  list(GET _f 0 _name)
  list(GET _f 1 _pool)
  list(GET _f 2 _sha)
  get_filename_component(_file "${_pool}" NAME)
  set(SMV_DEP_${_name}_FILE "${SMV_DEPS_CACHE}/${_file}")
  set(SMV_DEP_${_name}_SHA "${_sha}")
  if(_name IN_LIST _smv_need_pinned AND NOT EXISTS "${SMV_DEPS_CACHE}/${_file}")
    set(_smv_missing TRUE)
  endif()
endforeach()
if(_smv_missing)
  message(STATUS "smv: fetching dependency sources into ${SMV_DEPS_CACHE}")
  execute_process(COMMAND "${PROJECT_SOURCE_DIR}/toolchains/fetch-deps.sh" "${SMV_DEPS_CACHE}"
                  RESULT_VARIABLE _rc)
  if(NOT _rc EQUAL 0)
    message(FATAL_ERROR "smv: toolchains/fetch-deps.sh failed")
  endif()
endif()

# Extract one tarball (checked again against its pin) into _deps/NAME; sets SMV_DEP_<name>_DIR.
function(smv_dep_extract name)
  set(_file "${SMV_DEP_${name}_FILE}")
  set(_dest "${CMAKE_BINARY_DIR}/_deps/${name}")
  set(_stamp "${_dest}/.smv-extracted-${SMV_DEP_${name}_SHA}")
  if(NOT EXISTS "${_stamp}")
    file(SHA256 "${_file}" _got)
    if(NOT _got STREQUAL SMV_DEP_${name}_SHA)
      message(FATAL_ERROR "smv: ${_file}: SHA-256 ${_got}, want ${SMV_DEP_${name}_SHA}")
    endif()
    file(REMOVE_RECURSE "${_dest}")
    file(ARCHIVE_EXTRACT INPUT "${_file}" DESTINATION "${_dest}")
    file(TOUCH "${_stamp}")
  endif()
  file(GLOB _top LIST_DIRECTORIES true "${_dest}/*")
  list(FILTER _top EXCLUDE REGEX "/\\.smv-extracted")
  set(SMV_DEP_${name}_DIR "${_top}" PARENT_SCOPE)
endfunction()

foreach(_d IN LISTS _smv_need_pinned)
  smv_dep_extract(${_d})
endforeach()

# Fixes we apply to the pinned sources, each one reasoned here and checked to apply exactly: a fix
# whose anchor text is gone (a new upstream version) stops the configuration rather than vanish.
# smv_dep_fix(FILE WHAT OLD NEW): replaces OLD, which must occur exactly once, by NEW in FILE (nothing
# when NEW is already there).
function(smv_dep_fix file what old new)
  file(READ "${file}" _src)
  string(FIND "${_src}" "${new}" _done)
  if(NOT _done EQUAL -1)
    return()
  endif()
  string(FIND "${_src}" "${old}" _at)
  string(FIND "${_src}" "${old}" _last REVERSE)
  if(_at EQUAL -1 OR NOT _at EQUAL _last)
    message(FATAL_ERROR "smv: the dependency fix '${what}' no longer applies to ${file} (its anchor is not there exactly once)")
  endif()
  string(REPLACE "${old}" "${new}" _src "${_src}")
  file(WRITE "${file}" "${_src}")
endfunction()

if(NOT SMV_SYSTEM_DEP_mbedtls)
  # mbedTLS 3.6.6, ssl_tls13_keys.c: when populating a TLS 1.3 transform fails half-way (an allocation
  # fails after the first cipher context or PSA key was set up), the transform is released with
  # mbedtls_free() alone and what it already holds leaks. Our allocation-failure tests (every allocation
  # of a whole flow) find it. The fix releases the transform's contents first.
  foreach(_t transform_earlydata transform_handshake transform_application)
    smv_dep_fix("${SMV_DEP_mbedtls_DIR}/library/ssl_tls13_keys.c" "transform leak (${_t})"
      "    if (ret != 0) {\n        mbedtls_free(${_t});"
      "    if (ret != 0) {\n        mbedtls_ssl_transform_free(${_t}); /* smv: release what it holds */\n        mbedtls_free(${_t});")
  endforeach()

  # mbedTLS 3.6.6, ssl_client.c: the client puts whatever mbedtls_ssl_set_hostname() got into the
  # server_name extension, IP literals included, which RFC 6066 section 3 forbids (some servers refuse
  # the hello). The name is still what the certificate is checked against (its iPAddress SANs); only
  # the extension is left out for an address. The address test is mbedTLS's own, from x509_crt.c.
  smv_dep_fix("${SMV_DEP_mbedtls_DIR}/library/ssl_client.c" "no IP literal in server_name"
    "    if (hostname == NULL) {\n        return 0;\n    }\n\n    MBEDTLS_SSL_DEBUG_MSG(3,\n                          (\"client hello, adding server name extension"
    "    if (hostname == NULL) {\n        return 0;\n    }\n    { /* smv: RFC 6066 3, no IP literal in server_name */\n        extern size_t mbedtls_x509_crt_parse_cn_inet_pton(const char *cn, void *dst);\n        unsigned char smv_ip[16];\n        if (mbedtls_x509_crt_parse_cn_inet_pton(hostname, smv_ip) != 0) {\n            return 0;\n        }\n    }\n\n    MBEDTLS_SSL_DEBUG_MSG(3,\n                          (\"client hello, adding server name extension")


# mbedTLS 3.6.6, ssl_misc.h: its TLS 1.2 client offers rsa_pss_rsae_sha256/384/512 (the list it
# sends serves TLS 1.3 too) and then refuses a ServerKeyExchange signed with one of them, with an
# illegal_parameter alert; OpenSSL, GnuTLS and Python's ssl sign with RSA-PSS whenever the client
# offers it, so no TLS 1.2 server with an RSA certificate built on them can be reached. RFC 8446
# 4.2.3: a client that offers rsa_pss_rsae_* must accept it in TLS 1.2 as well. Upstream: Mbed-TLS
# issue 10668, fixed by PR 10672 (4.x) and its 3.6 backport PR 10674 (after 3.6.6): the TLS 1.2
# "is this algorithm supported" test accepts the three rsa_pss_rsae values when PSS and the hash are
# built in. The verification itself was already there (ssl_tls12_client.c, RSASSA-PSS with a salt
# as long as the hash). Our test: tests/interop, TLS 1.2 with RSA certificates against OpenSSL.
smv_dep_fix("${SMV_DEP_mbedtls_DIR}/library/ssl_misc.h" "TLS 1.2 accepts rsa_pss_rsae (Mbed-TLS PR 10674)"
  "static inline int mbedtls_ssl_tls12_sig_alg_is_supported(\n    const uint16_t sig_alg)\n{\n    /* High byte is hash */"
  "static inline int mbedtls_ssl_tls12_sig_alg_is_supported(\n    const uint16_t sig_alg)\n{\n    /* smv: RSA-PSS in TLS 1.2 (RFC 8446 4.2.3; Mbed-TLS issue 10668, PR 10674) */\n#if defined(PSA_WANT_ALG_RSA_PSS)\n#if defined(PSA_WANT_ALG_SHA_256)\n    if (sig_alg == MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA256) {\n        return 1;\n    }\n#endif\n#if defined(PSA_WANT_ALG_SHA_384)\n    if (sig_alg == MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA384) {\n        return 1;\n    }\n#endif\n#if defined(PSA_WANT_ALG_SHA_512)\n    if (sig_alg == MBEDTLS_TLS1_3_SIG_RSA_PSS_RSAE_SHA512) {\n        return 1;\n    }\n#endif\n#endif\n    /* High byte is hash */")

# mbedTLS 3.6.6, x509_crt.c: to build the path from the leaf to a trusted root, mbedTLS looks for each
# certificate's issuer only among the certificates the server sent after it. A server that sends
# leaf, root-side intermediate, leaf's issuer is refused as untrusted (curl, OpenSSL and browsers
# accept it). RFC 8446 4.4.2 (and RFC 5246 7.4.2 in practice): a client SHOULD accept certificates
# after the leaf in any order, and extraneous ones. No upstream fix exists in 3.6; ours: the search
# covers the whole received chain after the leaf, in the order received, skipping the certificates
# already on the path being built (so a certificate is used at most once: the path grows by a new one
# at each step and ends within the chain's length, and mbedTLS's own depth limit,
# MBEDTLS_X509_MAX_INTERMEDIATE_CA, still applies). A chain sent in order gives the same path as
# before: everything before a certificate is then already on the path. Our test: tests/interop's
# out-of-order chain case, and tests/unit/test_tls.c.
set(_smv_x509 "${SMV_DEP_mbedtls_DIR}/library/x509_crt.c")
smv_dep_fix("${_smv_x509}" "chain order: on-path test"
  "/*\n * Find a suitable parent for child in candidates, or return NULL.\n"
  "/* smv: 1 when c is already on the path being built (see cmake/SmvDeps.cmake) */\nstatic int smv_x509_on_path(const mbedtls_x509_crt_verify_chain *path,\n                            const mbedtls_x509_crt *c)\n{\n    for (unsigned i = 0; i < path->len; i++) {\n        if (path->items[i].crt == c) {\n            return 1;\n        }\n    }\n    return 0;\n}\n\n/*\n * Find a suitable parent for child in candidates, or return NULL.\n")
smv_dep_fix("${_smv_x509}" "chain order: find_parent_in knows the path"
  "    unsigned self_cnt,\n    mbedtls_x509_crt_restart_ctx *rs_ctx,\n    const mbedtls_x509_time *now)\n{\n    int ret = MBEDTLS_ERR_ERROR_CORRUPTION_DETECTED;\n    mbedtls_x509_crt *parent, *fallback_parent;"
  "    unsigned self_cnt,\n    mbedtls_x509_crt_restart_ctx *rs_ctx,\n    const mbedtls_x509_time *now,\n    const mbedtls_x509_crt_verify_chain *smv_path)\n{\n    int ret = MBEDTLS_ERR_ERROR_CORRUPTION_DETECTED;\n    mbedtls_x509_crt *parent, *fallback_parent;")
smv_dep_fix("${_smv_x509}" "chain order: skip what is on the path"
  "        /* basic parenting skills (name, CA bit, key usage) */\n"
  "        if (smv_path != NULL && smv_x509_on_path(smv_path, parent)) {\n            continue; /* smv: each certificate at most once on the path */\n        }\n        /* basic parenting skills (name, CA bit, key usage) */\n")
smv_dep_fix("${_smv_x509}" "chain order: find_parent knows the path"
  "    unsigned self_cnt,\n    mbedtls_x509_crt_restart_ctx *rs_ctx,\n    const mbedtls_x509_time *now)\n{\n    int ret = MBEDTLS_ERR_ERROR_CORRUPTION_DETECTED;\n    mbedtls_x509_crt *search_list;"
  "    unsigned self_cnt,\n    mbedtls_x509_crt_restart_ctx *rs_ctx,\n    const mbedtls_x509_time *now,\n    const mbedtls_x509_crt_verify_chain *smv_path)\n{\n    int ret = MBEDTLS_ERR_ERROR_CORRUPTION_DETECTED;\n    mbedtls_x509_crt *search_list;")
smv_dep_fix("${_smv_x509}" "chain order: search the whole received chain"
  "        search_list = *parent_is_trusted ? trust_ca : child->next;\n\n        ret = x509_crt_find_parent_in(child, search_list,\n                                      parent, signature_is_good,\n                                      *parent_is_trusted,\n                                      path_cnt, self_cnt, rs_ctx, now);"
  "        /* smv: all that was received after the leaf, not only what follows child */\n        search_list = *parent_is_trusted ? trust_ca : smv_path->items[0].crt->next;\n\n        ret = x509_crt_find_parent_in(child, search_list,\n                                      parent, signature_is_good,\n                                      *parent_is_trusted,\n                                      path_cnt, self_cnt, rs_ctx, now,\n                                      *parent_is_trusted ? NULL : smv_path);")
smv_dep_fix("${_smv_x509}" "chain order: pass the path"
  "                                   ver_chain->len - 1, self_cnt, rs_ctx,\n                                   &now);"
  "                                   ver_chain->len - 1, self_cnt, rs_ctx,\n                                   &now, ver_chain);")

endif()

if(NOT SMV_SYSTEM_DEP_c-ares)
  # c-ares 1.34.5, ares_process.c: every read of a DNS socket makes room for 65,535 bytes in the
  # connection's buffer, also for UDP, and a flow holds one per server socket: a name lookup added
  # about 130 KB to a flow's heap peak (two sockets), three times the rest of the flow. A UDP answer
  # is one datagram no larger than the EDNS payload size c-ares advertises (1,232 by default, RFC 6891
  # 6.2.3 and the 2020 DNS flag day; 512 without EDNS, RFC 1035 4.2.1): room for that is enough, and a
  # larger datagram, which a compliant server never sends, is cut and then refused as malformed (fail
  # closed). TCP keeps its full buffer.
  smv_dep_fix("${SMV_DEP_c-ares_DIR}/src/lib/ares_process.c" "UDP reads sized to the EDNS payload"
    "    size_t         len = 65535;\n    unsigned char *ptr;"
    "    size_t         len = (conn->flags & ARES_CONN_FLAG_TCP) ? 65535 : /* smv: one datagram */\n                         (channel->ednspsz > 512 ? channel->ednspsz : 512);\n    unsigned char *ptr;")
endif()

# Third-party code is compiled without our warning flags.
set(_smv_saved_flags "${CMAKE_C_FLAGS}")
set(BUILD_SHARED_LIBS OFF)
set(CMAKE_POLICY_DEFAULT_CMP0077 NEW)  # let our settings win over the dependencies option() defaults
set(CMAKE_POSITION_INDEPENDENT_CODE ON)

# mbedTLS, with our configuration.
if(NOT SMV_SYSTEM_DEP_mbedtls)
  if(NOT SMV_MBEDTLS_CONFIG)
    set(SMV_MBEDTLS_CONFIG "${PROJECT_SOURCE_DIR}/toolchains/mbedtls/smv_mbedtls_config.h")
  endif()
  set(MBEDTLS_CONFIG_FILE "${SMV_MBEDTLS_CONFIG}" CACHE FILEPATH "" FORCE)
  set(ENABLE_PROGRAMS OFF CACHE BOOL "" FORCE)
  set(ENABLE_TESTING OFF CACHE BOOL "" FORCE)
  set(MBEDTLS_FATAL_WARNINGS OFF CACHE BOOL "" FORCE)
  set(USE_SHARED_MBEDTLS_LIBRARY OFF CACHE BOOL "" FORCE)
  set(USE_STATIC_MBEDTLS_LIBRARY ON CACHE BOOL "" FORCE)
  set(DISABLE_PACKAGE_CONFIG_AND_INSTALL ON CACHE BOOL "" FORCE)
  add_subdirectory("${SMV_DEP_mbedtls_DIR}" "${CMAKE_BINARY_DIR}/_deps/build/mbedtls" EXCLUDE_FROM_ALL SYSTEM)
  add_library(smv_dep_mbedtls INTERFACE)
  target_link_libraries(smv_dep_mbedtls INTERFACE mbedtls mbedx509 mbedcrypto)
  list(APPEND SMV_BUNDLED_TARGETS mbedtls mbedx509 mbedcrypto)
endif()

# libuv
if(NOT SMV_SYSTEM_DEP_libuv)
  set(LIBUV_BUILD_SHARED OFF CACHE BOOL "" FORCE)
  set(LIBUV_BUILD_TESTS OFF CACHE BOOL "" FORCE)
  set(LIBUV_BUILD_BENCH OFF CACHE BOOL "" FORCE)
  add_subdirectory("${SMV_DEP_libuv_DIR}" "${CMAKE_BINARY_DIR}/_deps/build/libuv" EXCLUDE_FROM_ALL SYSTEM)
  add_library(smv_dep_uv INTERFACE)
  target_link_libraries(smv_dep_uv INTERFACE uv_a)
  list(APPEND SMV_BUNDLED_TARGETS uv_a)
endif()

# c-ares
if(NOT SMV_SYSTEM_DEP_c-ares)
  set(CARES_STATIC ON CACHE BOOL "" FORCE)
  set(CARES_SHARED OFF CACHE BOOL "" FORCE)
  set(CARES_INSTALL OFF CACHE BOOL "" FORCE)
  set(CARES_BUILD_TOOLS OFF CACHE BOOL "" FORCE)
  set(CARES_BUILD_TESTS OFF CACHE BOOL "" FORCE)
  set(CARES_STATIC_PIC ON CACHE BOOL "" FORCE)
  add_subdirectory("${SMV_DEP_c-ares_DIR}" "${CMAKE_BINARY_DIR}/_deps/build/c-ares" EXCLUDE_FROM_ALL SYSTEM)
  add_library(smv_dep_cares INTERFACE)
  target_link_libraries(smv_dep_cares INTERFACE c-ares::cares)
  list(APPEND SMV_BUNDLED_TARGETS c-ares)
endif()

# http-parser: one file; strict mode, so that the parser itself refuses what the RFC forbids.
if(NOT SMV_SYSTEM_DEP_http-parser)
  add_library(smv_http_parser STATIC "${SMV_DEP_http-parser_DIR}/http_parser.c")
  target_include_directories(smv_http_parser SYSTEM PUBLIC "${SMV_DEP_http-parser_DIR}")
  target_compile_definitions(smv_http_parser PUBLIC HTTP_PARSER_STRICT=1)
  add_library(smv_dep_http_parser INTERFACE)
  target_link_libraries(smv_dep_http_parser INTERFACE smv_http_parser)
  list(APPEND SMV_BUNDLED_TARGETS smv_http_parser)
endif()

# cJSON: one file. Its allocator is set through cJSON_InitHooks by smv.
if(NOT SMV_SYSTEM_DEP_cjson)
  add_library(smv_cjson STATIC "${SMV_DEP_cjson_DIR}/cJSON.c")
  target_include_directories(smv_cjson SYSTEM PUBLIC "${SMV_DEP_cjson_DIR}")
  add_library(smv_dep_cjson INTERFACE)
  target_link_libraries(smv_dep_cjson INTERFACE smv_cjson)
  list(APPEND SMV_BUNDLED_TARGETS smv_cjson)
endif()

# cmocka (tests only)
if(SMV_BUILD_TESTS AND NOT SMV_SYSTEM_DEP_cmocka)
  set(WITH_EXAMPLES OFF CACHE BOOL "" FORCE)
  set(UNIT_TESTING OFF CACHE BOOL "" FORCE)
  add_subdirectory("${SMV_DEP_cmocka_DIR}" "${CMAKE_BINARY_DIR}/_deps/build/cmocka" EXCLUDE_FROM_ALL SYSTEM)
  # cmocka needs POSIX (sigjmp_buf, strsignal) that strict -std=c11 hides.
  set_target_properties(cmocka PROPERTIES C_EXTENSIONS ON)
  target_compile_definitions(cmocka PRIVATE _GNU_SOURCE)
  add_library(smv_dep_cmocka INTERFACE)
  target_link_libraries(smv_dep_cmocka INTERFACE cmocka::cmocka)
  target_include_directories(smv_dep_cmocka SYSTEM INTERFACE "${SMV_DEP_cmocka_DIR}/include")
endif()

set(CMAKE_C_FLAGS "${_smv_saved_flags}")
