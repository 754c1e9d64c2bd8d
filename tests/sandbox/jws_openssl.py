#!/usr/bin/env python3
"""JWS with the openssl command line, as an implementation independent of the sandbox's mbedTLS
code: the sandbox must accept client assertions that openssl signs, and openssl must accept the ID
tokens that the sandbox signs.

  jws_openssl.py assertion KEY.pem CLIENT_ID AUDIENCE [LIFETIME]   prints a private_key_jwt
  jws_openssl.py verify JWKS.json JWS                              exit 0 when the JWS verifies
  jws_openssl.py pkce VERIFIER                                     prints the S256 challenge

ES256 signatures are R || S (RFC 7518 3.4); openssl speaks DER, so they are converted here.
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def der_len(data, i):
    n = data[i]
    if n < 0x80:
        return n, i + 1
    k = n & 0x7F
    return int.from_bytes(data[i + 1:i + 1 + k], "big"), i + 1 + k


def der_to_raw(der):
    """SEQUENCE { INTEGER r, INTEGER s } -> r || s, 32 bytes each."""
    assert der[0] == 0x30
    _, i = der_len(der, 1)
    out = b""
    for _ in range(2):
        assert der[i] == 0x02
        n, i = der_len(der, i + 1)
        out += int.from_bytes(der[i:i + n], "big").to_bytes(32, "big")
        i += n
    return out


def der_int(value):
    b = value.to_bytes((value.bit_length() + 8) // 8 or 1, "big")
    return b"\x02" + bytes([len(b)]) + b


def raw_to_der(raw):
    body = der_int(int.from_bytes(raw[:32], "big")) + der_int(int.from_bytes(raw[32:], "big"))
    return b"\x30" + bytes([len(body)]) + body


def key_is_ec(path):
    out = subprocess.run(["openssl", "pkey", "-in", path, "-noout", "-text"], check=True,
                         capture_output=True, text=True).stdout
    return "ASN1 OID" in out or "NIST CURVE" in out or "prime256v1" in out


def assertion(key, client_id, audience, lifetime=60):
    now = int(time.time())
    ec = key_is_ec(key)
    header = {"alg": "ES256" if ec else "RS256", "typ": "JWT"}
    claims = {"iss": client_id, "sub": client_id, "aud": audience, "iat": now,
              "exp": now + int(lifetime), "jti": b64u(os.urandom(16))}
    signing_input = (b64u(json.dumps(header, separators=(",", ":")).encode()) + "." +
                     b64u(json.dumps(claims, separators=(",", ":")).encode()))
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing_input.encode(),
                         check=True, capture_output=True).stdout
    if ec:
        sig = der_to_raw(sig)
    return signing_input + "." + b64u(sig)


def verify(jwks_path, jws):
    with open(jwks_path) as f:
        key = json.load(f)["keys"][0]
    assert key["kty"] == "EC" and key["crv"] == "P-256"
    point = b"\x04" + unb64u(key["x"]) + unb64u(key["y"])
    # SubjectPublicKeyInfo of a P-256 key: the fixed algorithm prefix, then the point
    spki = bytes.fromhex("3059301306072a8648ce3d020106082a8648ce3d030107034200") + point
    head, payload, sig = jws.split(".")
    if json.loads(unb64u(head))["alg"] != "ES256":
        return 1
    with tempfile.TemporaryDirectory() as d:
        pem = os.path.join(d, "pub.pem")
        with open(pem, "w") as f:
            f.write("-----BEGIN PUBLIC KEY-----\n" + base64.b64encode(spki).decode() +
                    "\n-----END PUBLIC KEY-----\n")
        sigf = os.path.join(d, "sig.der")
        with open(sigf, "wb") as f:
            f.write(raw_to_der(unb64u(sig)))
        r = subprocess.run(["openssl", "dgst", "-sha256", "-verify", pem, "-signature", sigf],
                           input=(head + "." + payload).encode(), capture_output=True)
        return 0 if r.returncode == 0 and b"Verified OK" in r.stdout else 1


def main():
    cmd = sys.argv[1]
    if cmd == "assertion":
        print(assertion(*sys.argv[2:]))
    elif cmd == "verify":
        sys.exit(verify(sys.argv[2], sys.argv[3]))
    elif cmd == "pkce":
        print(b64u(hashlib.sha256(sys.argv[2].encode()).digest()))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
