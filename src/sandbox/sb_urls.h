/* The URLs the sandbox accepts from an app's backend: callbackUrl, returnUrl and the redirect_uris
 * of CAMARA clients. They are checked with the device client's own parser (src/core/url.h), so that
 * the sandbox never accepts a URL that the device would refuse to follow or to stop at: a faithful
 * stand-in must fail where the real chain would fail, at the request that carries the URL. */
#ifndef SMV_SANDBOX_SB_URLS_H
#define SMV_SANDBOX_SB_URLS_H

#include <stddef.h>

#define SMV__SB_URL_MAX 2048        /* callbackUrl, returnUrl, redirect_uri */

/* 0 ok, SMV__SB_EC_INVALID_CALLBACK_URL or SMV__SB_EC_CALLBACK_PLACEHOLDERS. An http(s) URL without
 * credentials whose query carries {result} and {token} (the only braces allowed: they are replaced
 * before the URL is used). */
int smv__sb_check_callback_url(const char *s);
/* 1 when s is an absolute URL the device can stop at: any scheme, an http(s) one with a host. */
int smv__sb_valid_return_url(const char *s);
/* 1 when s can be registered as an OAuth redirect_uri: an absolute URL as for returnUrl, without a
 * fragment (RFC 6749 3.1.2) and without credentials. */
int smv__sb_valid_redirect_uri(const char *s);

#endif
