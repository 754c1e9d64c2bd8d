# Cross build for 32-bit ARM Linux (armv7-a, hard float): modem firmware. Debian's cross compiler
# (gcc-arm-linux-gnueabihf); tests run under qemu-user with Debian's cross libc as the sysroot, so that
# `ctest` works on an x86-64 build machine. toolchains/install-build-deps.sh installs both.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR armv7l)

set(SMV_CROSS_TRIPLE arm-linux-gnueabihf)
set(CMAKE_C_COMPILER ${SMV_CROSS_TRIPLE}-gcc)
set(CMAKE_AR ${SMV_CROSS_TRIPLE}-ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${SMV_CROSS_TRIPLE}-ranlib CACHE FILEPATH "")
set(CMAKE_STRIP ${SMV_CROSS_TRIPLE}-strip CACHE FILEPATH "")

# Debian's armhf baseline; spelled out so that a different compiler default cannot change the ABI.
# 64-bit file offsets: without them a 32-bit readdir() fails with EOVERFLOW on file systems with 64-bit
# directory cookies (qemu-user on an x86-64 host always, large flash file systems on a device).
set(CMAKE_C_FLAGS_INIT "-march=armv7-a -mfpu=vfpv3-d16 -mfloat-abi=hard -D_FILE_OFFSET_BITS=64")

set(SMV_CROSS_SYSROOT /usr/${SMV_CROSS_TRIPLE})
set(CMAKE_FIND_ROOT_PATH ${SMV_CROSS_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(SMV_QEMU qemu-arm)
if(SMV_QEMU)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${SMV_QEMU} -L ${SMV_CROSS_SYSROOT})
endif()
