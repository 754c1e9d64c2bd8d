/* The sandbox's error ids: the vendor's (the seed's 201 and 202; 305, 306 and 400, which the vendor
 * documents since) and the sandbox's own, from 1001 up, for everything the vendor leaves unspecified. One macro list makes the enum, the name/description table
 * and the HTTP status, so docs/sandbox.md, the service and the tests cannot drift apart.
 *
 * XX(NAME, id, HTTP status of the response that carries it, description). */
#ifndef SMV_SANDBOX_SB_ERRORS_H
#define SMV_SANDBOX_SB_ERRORS_H

#define SMV__SB_ERROR_MAP(XX)                                                                      \
  XX(EC_INVALID_TOKEN,            201, 400, "Token is invalid or does not exist")                  \
  XX(EC_CONSENT_NOT_GRANTED,      202, 200, "User consent not granted")                            \
  XX(EC_MOBILE_DEVICE_TIMEOUT,    305, 200, "The device did not open deviceRedirectUrl in time")   \
  XX(EC_REJECTED_INVALID_IP_ADDRESS, 306, 200, "The device came from outside the operator's network") \
  XX(EC_UNPROCESSABLE_CONTENT,    400, 422, "The JSON body does not have the request's shape")     \
  XX(EC_UNAUTHORIZED,            1001, 401, "Missing or wrong credentials")                        \
  XX(EC_UNSUPPORTED_MEDIA_TYPE,  1002, 415, "Content-Type must be application/json")               \
  XX(EC_BODY_TOO_LARGE,          1003, 413, "Request body too large")                              \
  XX(EC_MALFORMED_JSON,          1004, 400, "Request body is not valid JSON")                      \
  XX(EC_METHOD_NOT_ALLOWED,      1005, 405, "Method not allowed on this resource")                 \
  XX(EC_NOT_FOUND,               1006, 404, "No such resource")                                    \
  XX(EC_MISSING_FIELD,           1008, 400, "A required field is missing")                         \
  XX(EC_INVALID_PHONE_NUMBER,    1010, 400, "phoneNumber must be 7 to 15 digits, without '+'")    \
  XX(EC_INVALID_CALLBACK_URL,    1011, 400, "callbackUrl must be an http or https URL")            \
  XX(EC_CALLBACK_PLACEHOLDERS,   1012, 400, "callbackUrl must carry {result} and {token} in its query") \
  XX(EC_INVALID_RETURN_URL,      1014, 400, "returnUrl is not a valid absolute URL")               \
  XX(EC_INVALID_DEVICE_IP,       1015, 400, "deviceIp is not an IPv4 or IPv6 address")             \
  XX(EC_INVALID_DEVICE_PORT,     1016, 400, "devicePort must be an integer from 1 to 65535")       \
  XX(EC_DEVICE_PORT_WITHOUT_IP,  1017, 400, "devicePort given without deviceIp")                   \
  XX(EC_UNKNOWN_SUBSCRIBER,      1020, 200, "No operator serves this phone number")                \
  XX(EC_TOKEN_EXPIRED,           1021, 200, "The device did not come back from the operator in time") \
  XX(EC_DEVICE_NOT_SEEN,         1022, 409, "The device has not opened deviceRedirectUrl yet")    \
  XX(EC_OPERATOR_UNREACHABLE,    1030, 200, "The operator did not answer")                         \
  XX(EC_ASSERTION_INVALID,       1032, 400, "The operator assertion is missing, forged or stale")  \
  XX(EC_SERVICE_BUSY,            1041, 503, "Too many verifications pending")                      \
  XX(EC_INTERNAL,                1042, 500, "Internal error")

typedef enum smv__sb_error {
  SMV__SB_OK = 0,
#define SMV__SB_ERR_ENUM(name, id, status, desc) SMV__SB_##name = id,
  SMV__SB_ERROR_MAP(SMV__SB_ERR_ENUM)
#undef SMV__SB_ERR_ENUM
} smv__sb_error;

/* "EC_INVALID_TOKEN"; NULL for an id not in the table. */
const char *smv__sb_error_name(int id);
const char *smv__sb_error_description(int id);
/* The HTTP status of a response carrying this error (500 for an unknown id). */
int smv__sb_error_http_status(int id);

#endif
