# Cross build for 64-bit ARM Linux (AArch64): modem firmware. Debian's cross compiler
# (gcc-aarch64-linux-gnu); tests run under qemu-user with Debian's cross libc as the sysroot, so that
# `ctest` works on an x86-64 build machine. toolchains/install-build-deps.sh installs both.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(SMV_CROSS_TRIPLE aarch64-linux-gnu)
set(CMAKE_C_COMPILER ${SMV_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${SMV_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${SMV_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${SMV_CROSS_TRIPLE}-strip CACHE FILEPATH "")

set(SMV_CROSS_SYSROOT /usr/${SMV_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${SMV_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(SMV_QEMU qemu-aarch64)
if(SMV_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SMV_QEMU} -L ${SMV_CROSS_SYSROOT})
endif()
