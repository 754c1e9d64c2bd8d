/* What the Android platform takes from the app's Java side (through the JNI glue, or a test): the
 * networks ConnectivityManager granted, and their loss. Internal to the library. */
#ifndef SMV_PLATFORM_ANDROID_H
#define SMV_PLATFORM_ANDROID_H

#include <stdint.h>

#include "platform.h"

#ifdef SMV_ANDROID_SHIM
#include "android_multinetwork_shim.h"
#else
#include <android/multinetwork.h>
#endif

#define SMV__ANDROID_NETWORKS_MAX 4

/* Records (or updates) a network: its handle (Network.getNetworkHandle()), SMV__TRANSPORT_* bits,
 * interface name (LinkProperties.getInterfaceName()) and DNS servers ("IP[,IP]", may be NULL).
 * Thread-safe: Java calls it from its callback thread. SMV_OK or SMV_ERR_INVALID_ARG. */
int smv__android_network_set(uint64_t handle, unsigned transports, const char *ifname, const char *dns_csv);
/* NetworkCallback.onLost: forgets the network and wakes every watch on it. Thread-safe. */
void smv__android_network_lost(uint64_t handle);
/* Forgets every network (tests, and the app's shutdown). */
void smv__android_networks_clear(void);

#endif
