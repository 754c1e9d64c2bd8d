# The footprint build (SMV_FOOTPRINT, cmake/SmvOptions.cmake; docs/firmware.md): the flags for small
# targets (modem firmware), read before the dependencies are configured so that they apply to the
# pinned dependencies too: the client only, our trimmed mbedTLS configuration, -Os, Thumb-2 on 32-bit
# ARM, one section per function and object so that the linker drops what no flow uses; plus the
# static program tests/bench/footprint.sh measures.

if(SMV_FOOTPRINT)
  if(NOT SMV_MBEDTLS_CONFIG)
    set(SMV_MBEDTLS_CONFIG "${PROJECT_SOURCE_DIR}/toolchains/mbedtls/smv_mbedtls_config_client.h")
  endif()
  string(APPEND CMAKE_C_FLAGS " -Os -ffunction-sections -fdata-sections")
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(arm|ARM)" AND NOT CMAKE_SYSTEM_PROCESSOR MATCHES "64")
    string(APPEND CMAKE_C_FLAGS " -mthumb")
  endif()
  string(APPEND CMAKE_EXE_LINKER_FLAGS " -Wl,--gc-sections")
  string(APPEND CMAKE_SHARED_LINKER_FLAGS " -Wl,--gc-sections")
endif()

# The static program that tests/bench/footprint.sh measures: one flow through smv_follow_sync(),
# with a linker map next to it for the per-component split. Called at the end of CMakeLists.txt, when
# the library targets exist. Its link must succeed: a program that cannot be linked is not measured
# (there is no stand-in), so a missing or broken entry point fails the footprint step.
function(smv_footprint_targets)
  if(NOT SMV_FOOTPRINT)
    return()
  endif()
  add_executable(smv_footprint EXCLUDE_FROM_ALL "${PROJECT_SOURCE_DIR}/tests/bench/footprint_main.c")
  target_link_libraries(smv_footprint PRIVATE smv smv_warnings smv_posix)
  target_link_options(smv_footprint PRIVATE -static "-Wl,-Map=$<TARGET_FILE:smv_footprint>.map")
endfunction()
