/* The Linux stand-in for the NDK's multinetwork API, so that the Android platform layer builds and
 * its tests run on machines without the NDK. The API's declarations are AOSP's own
 * <android/multinetwork.h> (Debian: android-platform-frameworks-native-headers, under
 * /usr/include/android), so the layer's calls and the shim's definitions are checked against
 * Android's real prototypes; what still needs an NDK is in docs/android.md. A network handle is the
 * interface index in the high 32 bits and Android's 0xfacade tag in the low ones, as the platform
 * encodes netIds; binding is SO_BINDTODEVICE. Only the shim's own knobs (android_shim_*) are not NDK
 * API. */
#ifndef SMV_ANDROID_MULTINETWORK_SHIM_H
#define SMV_ANDROID_MULTINETWORK_SHIM_H

#include <netdb.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* What bionic's <sys/cdefs.h> gives the header and glibc's does not: the API level compiled for
 * (CMakeLists.txt sets SMV_ANDROID_SHIM_API) and the availability annotation, which has no meaning
 * off Android. The header's `enum ResNsendFlags : uint32_t` is C with clang's extension, as the NDK
 * compiles it, so this build needs clang. */
#ifndef __ANDROID_API__
#define __ANDROID_API__ SMV_ANDROID_SHIM_API
#endif
#ifndef __INTRODUCED_IN
#define __INTRODUCED_IN(api_level)
#endif
#include <android/multinetwork.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Shim only ---- */
/* The handle the shim gives an interface (0 when it does not exist). */
net_handle_t android_shim_handle_for(const char *ifname);
/* The DNS server netd would use for a network: "IP" or "IP:port"; NULL restores the default (the
 * first nameserver of /etc/resolv.conf). */
void android_shim_set_dns(const char *server);

#ifdef __cplusplus
}
#endif
#endif
