# Android build through the NDK: wraps the NDK's own toolchain file, so the NDK's compiler, sysroot and
# flags are used as Android Studio would use them, and pins what smv needs on top of it.
#
#   cmake -S . -B build-android -G Ninja -DCMAKE_TOOLCHAIN_FILE=toolchains/android.cmake \
#         -DANDROID_ABI=arm64-v8a            (or armeabi-v7a, x86_64; default arm64-v8a)
#         [-DANDROID_PLATFORM=android-29]    (default and minimum: API 29, Android 10, the first with
#                                             android_res_nquery & co. beside android_setsocknetwork)
# The NDK is found through ANDROID_NDK (a CMake or environment variable), or ANDROID_NDK_ROOT /
# ANDROID_NDK_HOME in the environment.

if(NOT ANDROID_NDK)
  foreach(_smv_var ANDROID_NDK ANDROID_NDK_ROOT ANDROID_NDK_HOME)
    if(DEFINED ENV{${_smv_var}} AND NOT "$ENV{${_smv_var}}" STREQUAL "")
      set(ANDROID_NDK "$ENV{${_smv_var}}")
      break()
    endif()
  endforeach()
endif()
if(NOT ANDROID_NDK)
  message(FATAL_ERROR "toolchains/android.cmake: ANDROID_NDK is not set. Point it at an NDK (r23 or "
                      "newer), e.g. export ANDROID_NDK=$HOME/Android/Sdk/ndk/27.0.12077973")
endif()
set(_smv_ndk_toolchain "${ANDROID_NDK}/build/cmake/android.toolchain.cmake")
if(NOT EXISTS "${_smv_ndk_toolchain}")
  message(FATAL_ERROR "toolchains/android.cmake: ${_smv_ndk_toolchain} does not exist: "
                      "ANDROID_NDK=${ANDROID_NDK} is not an NDK")
endif()
# Try-compile projects re-read this file without the cache: hand them the NDK and the choices below.
set(ANDROID_NDK "${ANDROID_NDK}" CACHE PATH "The Android NDK" FORCE)
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES ANDROID_NDK ANDROID_ABI ANDROID_PLATFORM)

if(NOT ANDROID_ABI)
  set(ANDROID_ABI arm64-v8a)
endif()
if(NOT ANDROID_ABI MATCHES "^(arm64-v8a|armeabi-v7a|x86_64)$")
  message(FATAL_ERROR "toolchains/android.cmake: ANDROID_ABI=${ANDROID_ABI}; smv supports arm64-v8a, "
                      "armeabi-v7a and x86_64")
endif()

if(NOT ANDROID_PLATFORM)
  set(ANDROID_PLATFORM android-29)
endif()
string(REGEX REPLACE "^android-" "" _smv_api "${ANDROID_PLATFORM}")
if(NOT _smv_api MATCHES "^[0-9]+$" OR _smv_api LESS 29)
  message(FATAL_ERROR "toolchains/android.cmake: ANDROID_PLATFORM=${ANDROID_PLATFORM}; smv needs API "
                      "level 29 or higher (android_res_nquery, android_setsocknetwork)")
endif()
set(ANDROID_PLATFORM "android-${_smv_api}")

# smv is C only and uses no C++ runtime; armeabi-v7a in Thumb-2, the NDK's default.
set(ANDROID_STL none)
if(ANDROID_ABI STREQUAL armeabi-v7a AND NOT ANDROID_ARM_MODE)
  set(ANDROID_ARM_MODE thumb)
endif()

include("${_smv_ndk_toolchain}")

set(SMV_PLATFORM android CACHE STRING "Platform layer" FORCE)
