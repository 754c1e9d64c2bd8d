/* Names of the path classes, as the JSON result and `smv paths` print them. */
#include "smv.h"

const char *smv_path_class_name(smv_path_class c) {
  switch (c) {
  case SMV_PATH_CELLULAR: return "cellular";
  case SMV_PATH_WIFI: return "wifi";
  case SMV_PATH_ETHERNET: return "ethernet";
  case SMV_PATH_VPN: return "vpn";
  case SMV_PATH_TETHERED: return "tethered";
  case SMV_PATH_LOOPBACK: return "loopback";
  case SMV_PATH_UNKNOWN: break;
  }
  return "unknown";
}
