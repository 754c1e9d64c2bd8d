/* The JNI glue between dev.smv.SmvCellular (Java) and the Android platform layer: the Java side owns
 * the ConnectivityManager request and its callbacks; this file only converts their arguments. */
#include <jni.h>
#include <stdint.h>

#include "android_platform.h"

JNIEXPORT jint JNICALL Java_dev_smv_SmvCellular_nativeNetworkAvailable(JNIEnv *env, jclass cls, jlong handle,
                                                                       jint transports, jstring ifname,
                                                                       jstring dns);
JNIEXPORT void JNICALL Java_dev_smv_SmvCellular_nativeNetworkLost(JNIEnv *env, jclass cls, jlong handle);

/* The Java long is the net_handle_t bit for bit (the NDK documents the cast). transports is already
 * the SMV__TRANSPORT_* bit set (1 << NetworkCapabilities.TRANSPORT_*). Returns an smv_err. */
JNIEXPORT jint JNICALL Java_dev_smv_SmvCellular_nativeNetworkAvailable(JNIEnv *env, jclass cls, jlong handle,
                                                                       jint transports, jstring ifname,
                                                                       jstring dns) {
  (void)cls;
  if (!ifname) return SMV_ERR_INVALID_ARG;
  const char *name = (*env)->GetStringUTFChars(env, ifname, NULL);
  const char *servers = dns ? (*env)->GetStringUTFChars(env, dns, NULL) : NULL;
  int rc = name ? smv__android_network_set((uint64_t)handle, (unsigned)transports, name, servers)
                : SMV_ERR_NOMEM;
  if (servers) (*env)->ReleaseStringUTFChars(env, dns, servers);
  if (name) (*env)->ReleaseStringUTFChars(env, ifname, name);
  return rc;
}

JNIEXPORT void JNICALL Java_dev_smv_SmvCellular_nativeNetworkLost(JNIEnv *env, jclass cls, jlong handle) {
  (void)env, (void)cls;
  smv__android_network_lost((uint64_t)handle);
}
