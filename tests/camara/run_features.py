#!/usr/bin/env python3
"""Runs CAMARA's official Number Verification test plans (Gherkin .feature files, release r3.2)
against `smv sandbox`, with this project's own step definitions: CAMARA publishes the steps as prose
only, and no third-party Gherkin runner is used here.

  run_features.py --smv build/bin/smv --testdata ../shared/testdata/camara [-v]

Every scenario of every .feature file under --testdata is either run or listed with the reason it
is not (Commonalities' templates). A step that no definition matches fails its scenario: nothing is
skipped silently. The "valid access token" of the Background is obtained for real, per scenario:
the device client (`smv follow --carrier lo`) follows the authorize URL to the redirect_uri, and the
code is exchanged at the token endpoint (client_secret_basic). Tokens of the other kinds the plans
name (expired, without the scope, not obtained by network-based authentication, identifying no
phone number) come from the sandbox's /sandbox/camara/tokens. Response bodies are checked against
the OpenAPI file's schemas with a validator of the JSON Schema subset it uses ($ref resolved here).

Exit status: 0 all run scenarios passed, 1 a failure or an unmapped step, 77 (skip) without PyYAML.
"""
import argparse
import base64
import glob
import hashlib
import json
import os
import re
import secrets
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

try:
    import yaml
except ImportError:  # Debian: python3-yaml (toolchains/install-build-deps.sh)
    print("SKIP: needs PyYAML (python3-yaml) to read the OpenAPI file")
    sys.exit(77)

PHONE = "+41793026727"          # the sandbox's subscriber, reachable from 127.0.0.1
OTHER_PHONE = "+41793026728"    # a valid number that is not the token's
REDIRECT_URI = "myapp://camara/callback"
CLIENT_ID, CLIENT_SECRET = "feature-runner", "feature-runner-secret"

# Scenarios that are not run, with the reason (matched against the tag).
LISTED = [
    (re.compile(r"^@\{feature_identifier\}_C02\.01_"),
     "Commonalities template; instantiated by the Verify plan as "
     "@phone_number_verify_C02.01_phone_number_not_schema_compliant, which is run"),
    (re.compile(r"^@\{feature_identifier\}_C02\.0[2-5]_"),
     "Commonalities template, not part of the Number Verification plans: NumberVerification "
     "compares the phone number of the body with the token's, it never identifies the device by it "
     "(no IDENTIFIER_NOT_FOUND / UNNECESSARY_IDENTIFIER / MISSING_IDENTIFIER / "
     "SERVICE_NOT_APPLICABLE in its OpenAPI)"),
]


# ---------------------------------------------------------------------------------------- Gherkin

class Scenario:
    def __init__(self, feature, tag, title, line):
        self.feature, self.tag, self.title, self.line = feature, tag, title, line
        self.steps = []


class Feature:
    def __init__(self, path):
        self.path, self.title, self.background, self.scenarios = path, "", [], []


def parse_feature(path):
    """Feature / Background / Scenario blocks, tags, and Given/When/Then/And/But steps."""
    f = Feature(path)
    current, tags = None, []
    for n, raw in enumerate(open(path, encoding="utf-8"), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            tags += line.split()
            continue
        m = re.match(r"^(Feature|Background|Scenario|Scenario Outline):\s*(.*)$", line)
        if m:
            kind, title = m.groups()
            if kind == "Feature":
                f.title, current = title, None
            elif kind == "Background":
                current = f.background
            else:
                s = Scenario(f, tags[0] if tags else "(untagged)", title, n)
                f.scenarios.append(s)
                current = s.steps
            tags = []
            continue
        m = re.match(r"^(Given|When|Then|And|But)\s+(.*)$", line)
        if m and current is not None:
            current.append((m.group(1), m.group(2), n))
        # anything else is the feature's free-text description
    return f


# ------------------------------------------------------------------------------------ the OpenAPI

class Schemas:
    def __init__(self, path):
        self.doc = yaml.safe_load(open(path, encoding="utf-8"))

    def resolve(self, ref):
        if not ref.startswith("#/"):
            raise AssertionError("external $ref not supported: " + ref)
        node = self.doc
        for part in ref[2:].split("/"):
            if part not in node:
                raise KeyError(ref)
            node = node[part]
        return node

    def operation(self, op_id):
        for path, item in self.doc["paths"].items():
            for method, op in item.items():
                if isinstance(op, dict) and op.get("operationId") == op_id:
                    return method.upper(), path
        raise AssertionError("no operation " + op_id)

    def errors(self, schema, value, where="$"):
        """Violations of the JSON Schema subset the file uses; [] when value complies."""
        if "$ref" in schema:
            return self.errors(self.resolve(schema["$ref"]), value, where)
        out = []
        for sub in schema.get("allOf", []):
            out += self.errors(sub, value, where)
        t = schema.get("type")
        kinds = {"object": dict, "array": list, "string": str, "boolean": bool}
        if t in kinds and not isinstance(value, kinds[t]):
            return out + [f"{where}: not a {t}"]
        if t in ("integer", "number") and (isinstance(value, bool) or not isinstance(value, (int, float))
                                           or (t == "integer" and not float(value).is_integer())):
            return out + [f"{where}: not an {t}"]
        if "enum" in schema and value not in schema["enum"]:
            out.append(f"{where}: {value!r} not in {schema['enum']}")
        if isinstance(value, str) and "pattern" in schema and not re.search(schema["pattern"], value):
            out.append(f"{where}: {value!r} does not match {schema['pattern']}")
        if isinstance(value, dict):
            for k in schema.get("required", []):
                if k not in value:
                    out.append(f"{where}: {k} is required")
            if len(value) < schema.get("minProperties", 0):
                out.append(f"{where}: fewer than {schema['minProperties']} properties")
            if "maxProperties" in schema and len(value) > schema["maxProperties"]:
                out.append(f"{where}: more than {schema['maxProperties']} properties")
            props = schema.get("properties", {})
            for k, v in value.items():
                if k in props:
                    out += self.errors(props[k], v, f"{where}.{k}")
                elif schema.get("additionalProperties") is False:
                    out.append(f"{where}: unexpected property {k}")
        return out

    # The plans name #/components/schemas/PhoneNumber and .../HashedPhoneNumber, which this API's
    # file does not define (README quirk): both are inline properties of the request body.
    ALIASES = {
        "#/components/schemas/PhoneNumber": ("#/components/schemas/NumberVerificationRequestBody", "phoneNumber"),
        "/components/schemas/PhoneNumber": ("#/components/schemas/NumberVerificationRequestBody", "phoneNumber"),
        "#/components/schemas/HashedPhoneNumber": ("#/components/schemas/NumberVerificationRequestBody", "hashedPhoneNumber"),
    }

    def schema_at(self, ref):
        if ref in self.ALIASES:
            body, prop = self.ALIASES[ref]
            return self.resolve(body)["properties"][prop]
        return self.resolve(ref)


# ---------------------------------------------------------------------------------------- sandbox

class Sandbox:
    def __init__(self, smv, work):
        self.smv, self.work = smv, work
        cfg = {
            "subscribers": [{"msisdn": PHONE[1:], "private_ip": "127.0.0.1"}],
            "camara": {"clients": [{"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                                    "redirect_uris": [REDIRECT_URI]}]},
        }
        path = os.path.join(work, "sandbox.json")
        json.dump(cfg, open(path, "w"))
        self.proc = subprocess.Popen([smv, "sandbox", "--port", "0", "--config", path],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("the sandbox did not start")
            ready = json.loads(line)
            self.api, self.ca, self.user, self.password = ready["api"], ready["ca"], ready["user"], ready["password"]
            self.disc = ready["camara"]["discovery"]
            self.ctx = ssl.create_default_context(cafile=self.ca)
            d = self.http("GET", self.disc)[2]
            self.authorize_endpoint, self.token_endpoint = d["authorization_endpoint"], d["token_endpoint"]
        except BaseException:
            self.stop()  # nothing this runner started outlives it
            raise

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def http(self, method, url, headers=None, body=None):
        """(status, headers as a dict of lower-case names, the body as JSON or text)."""
        req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.ctx, timeout=10) as r:
                status, hdrs, data = r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            status, hdrs, data = e.code, e.headers, e.read()
        h = {k.lower(): v for k, v in hdrs.items()}
        try:
            parsed = json.loads(data) if data else None
        except ValueError:
            parsed = data.decode("utf-8", "replace")
        return status, h, parsed

    def basic(self, user, password):
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def network_token(self):
        """A token obtained as an app would: the device follows the authorize URL over its carrier
        path (loopback declared), the backend exchanges the code with PKCE."""
        verifier = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(12)
        q = urllib.parse.urlencode({
            "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
            "scope": "openid number-verification:verify number-verification:device-phone-number:read",
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256", "prompt": "none"},
            quote_via=urllib.parse.quote)
        r = subprocess.run([self.smv, "follow", self.authorize_endpoint + "?" + q, "--return-url", REDIRECT_URI,
                            "--carrier", "lo", "--cacert", self.ca, "--json", "--max-time", "15"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"device flow: exit {r.returncode}: {r.stdout} {r.stderr}")
        final = json.loads(r.stdout)["final_url"]
        params = urllib.parse.parse_qs(urllib.parse.urlsplit(final).query)
        if params.get("state") != [state] or "code" not in params:
            raise AssertionError("redirect_uri without this flow's code and state: " + final)
        form = urllib.parse.urlencode({"grant_type": "authorization_code", "code": params["code"][0],
                                       "redirect_uri": REDIRECT_URI, "code_verifier": verifier}).encode()
        st, _, body = self.http("POST", self.token_endpoint, {
            "Authorization": self.basic(CLIENT_ID, CLIENT_SECRET),
            "Content-Type": "application/x-www-form-urlencoded"}, form)
        if st != 200:
            raise AssertionError(f"token endpoint: {st} {body}")
        return body["access_token"]

    def test_token(self, **kw):
        st, _, body = self.http("POST", self.api + "/sandbox/camara/tokens", {
            "Authorization": self.basic(self.user, self.password), "Content-Type": "application/json"},
            json.dumps(kw).encode())
        if st != 200:
            raise AssertionError(f"test token {kw}: {st} {body}")
        return body["access_token"]


# ----------------------------------------------------------------------------------------- steps

class Context:
    """One scenario's request and response."""

    def __init__(self, sb, schemas, feature):
        self.sb, self.schemas = sb, schemas
        m = re.search(r"Operation (\w+)", feature.title)
        self.operation = m.group(1) if m else None
        self.base = None
        self.headers = {}
        self.body = None          # a dict, or RAW bytes, or None for no body
        self.raw = None
        self.explicit = set()     # body properties the scenario itself set
        self.token_phone = None   # whom the Authorization token identifies
        self.token_kind = None
        self.response = None

    # the body: properties a scenario sets win over the Background's default; of phoneNumber and
    # hashedPhoneNumber (one of them, the API says) a default gives way to an explicit one, while
    # two explicit ones stay together (scenario 400.4 sets both on purpose)
    def set_prop(self, name, value):
        if self.body is None or not isinstance(self.body, dict):
            self.body = {}
        pair = {"phoneNumber": "hashedPhoneNumber", "hashedPhoneNumber": "phoneNumber"}
        other = pair.get(name)
        if other and other in self.body and other not in self.explicit:
            del self.body[other]
        self.body[name] = value
        self.explicit.add(name)
        self.raw = None

    def send(self, op_id=None):
        method, path = self.schemas.operation(op_id or self.operation)
        data, headers = None, dict(self.headers)
        if self.raw is not None:
            data = self.raw
        elif self.body is not None:
            data = json.dumps(self.body).encode()
        if method == "GET" and self.raw is None:
            data = None
        self.response = self.sb.http(method, self.base + path, headers, data)

    def need_response(self):
        # The Verify plan's 400.3 has no "When the request is sent" (README quirk): a Then without a
        # When sends the feature's operation first.
        if self.response is None:
            self.send()
        return self.response

    def prop(self, path):
        body = self.need_response()[2]
        if not path.startswith("$.") or not isinstance(body, dict) or path[2:] not in body:
            raise AssertionError(f"response has no {path}: {body}")
        return body[path[2:]]


def hashed(phone):
    return hashlib.sha256(phone.encode()).hexdigest()


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def token_header(ctx, kind):
    sb = ctx.sb
    if kind == "valid":
        tok, ctx.token_phone, ctx.token_kind = sb.network_token(), PHONE, "network"
    elif kind == "expired":
        tok = sb.test_token(phoneNumber=PHONE, expired=True)
    elif kind == "invalid":
        tok = secrets.token_urlsafe(32)  # the shape of a token, known to nobody
    elif kind == "no-scope":
        # the scope of the other operation only
        other = ("number-verification:device-phone-number:read" if ctx.operation == "phoneNumberVerify"
                 else "number-verification:verify")
        tok = sb.test_token(phoneNumber=PHONE, scope="openid " + other)
    elif kind == "not-network":
        tok = sb.test_token(phoneNumber=PHONE, network_authenticated=False)
    elif kind == "no-phone":
        tok, ctx.token_phone = sb.test_token(), None
    ctx.headers["Authorization"] = "Bearer " + tok


def x_correlator(ctx, ref):
    value = str(uuid.uuid4())
    errs = ctx.schemas.errors(ctx.schemas.schema_at(ref), value)
    check(not errs, f"generated x-correlator does not comply: {errs}")
    ctx.headers["x-correlator"] = value


def default_body(ctx):
    ctx.body, ctx.explicit, ctx.raw = {"phoneNumber": PHONE}, set(), None
    errs = ctx.schemas.errors(ctx.schemas.resolve("#/components/schemas/NumberVerificationRequestBody"), ctx.body)
    check(not errs, f"default body does not comply: {errs}")


def complies(ctx, prop, ref):
    errs = ctx.schemas.errors(ctx.schemas.schema_at(ref), ctx.body[prop])
    check(not errs, f"{prop} does not comply with {ref}: {errs}")


def not_complying_phone(ctx, ref):
    value = PHONE[1:]  # E.164 without its '+'
    check(ctx.schemas.errors(ctx.schemas.schema_at(ref), value), "the value unexpectedly complies")
    ctx.set_prop("phoneNumber", value)


def status_is(ctx, code):
    st = ctx.need_response()[0]
    check(st == int(code), f"status {st}, want {code}: {ctx.response[2]}")


def prop_is(ctx, path, value):
    got = ctx.prop(path)
    want = int(value) if re.fullmatch(r"\d+", value) and not isinstance(got, str) else value
    check(got == want, f"{path} is {got!r}, want {want!r}")


def friendly(ctx, path):
    msg = ctx.prop(path)
    check(isinstance(msg, str) and len(msg) >= 10 and " " in msg and msg != ctx.prop("$.code"),
          f"{path} is not a sentence: {msg!r}")


def header_is(ctx, name, value):
    got = ctx.need_response()[1].get(name.lower())
    check(got == value, f"response header {name} is {got!r}, want {value!r}")


def same_correlator(ctx, name):
    got = ctx.need_response()[1].get(name.lower())
    check(got == ctx.headers.get(name), f"response {name} {got!r} != request's {ctx.headers.get(name)!r}")


def body_complies(ctx, ref):
    errs = ctx.schemas.errors(ctx.schemas.schema_at(ref), ctx.need_response()[2])
    check(not errs, f"response body does not comply with {ref}: {errs}")


def supported_phone(ctx):
    check(ctx.token_phone == PHONE and ctx.token_kind == "network",
          f"the token identifies {ctx.token_phone} by {ctx.token_kind}, want {PHONE} by the network")


STEPS = [
    (r'the resource "(.+)" as base url', lambda c, p: setattr(c, "base", c.sb.api + p)),
    (r'the header "Authorization" is set to a valid access token', lambda c: token_header(c, "valid")),
    (r'the header "Authorization" is set to an expired access token', lambda c: token_header(c, "expired")),
    (r'the header "Authorization" is set to an invalid access token', lambda c: token_header(c, "invalid")),
    (r'the header "Authorization" is set to an access token without the required scope',
     lambda c: token_header(c, "no-scope")),
    (r'the header "Authorization" is set to a token for which neither Network-based nor SIM-based '
     r'authentication was used', lambda c: token_header(c, "not-network")),
    (r'the header "Authorization" is set to a valid access token which does not identify a single phone number',
     lambda c: token_header(c, "no-phone")),
    (r'the header "Authorization" is removed', lambda c: c.headers.pop("Authorization", None)),
    (r'the header "x-correlator" complies with the schema at "(.+)"', x_correlator),
    (r'the header "(.+)" is set to "(.+)"', lambda c, k, v: c.headers.__setitem__(k, v)),
    (r'the request body is set by default to a request body compliant with the schema', default_body),
    (r'the request body is set to a valid request body', default_body),
    (r'the request body is not included', lambda c: (setattr(c, "body", None), setattr(c, "raw", None))),
    (r'the request body is set to "(.*)"', lambda c, raw: (setattr(c, "raw", raw.encode()), setattr(c, "body", None))),
    (r'a valid phone number identified by the token and provided in the request body',
     lambda c: (supported_phone(c), c.set_prop("phoneNumber", c.token_phone))),
    (r'a valid (?:testing )?phone ?[nN]umber supported by the service, identified by the token', supported_phone),
    (r'the token has been obtained by a supported authentication method',
     lambda c: check(c.token_kind == "network", "the token was not obtained by network-based authentication")),
    (r'the body property "\$\.phoneNumber" is set to the phone number identified by the access token',
     lambda c: c.set_prop("phoneNumber", c.token_phone)),
    (r'the body property "\$\.phoneNumber" is set to a valid phone number different from the one '
     r'identified by the access token', lambda c: c.set_prop("phoneNumber", OTHER_PHONE)),
    (r'the body property "\$\.hashedPhoneNumber" is set to the phone number identified by the access token, '
     r'hashed in SHA-256 \(in hexadecimal representation\)', lambda c: c.set_prop("hashedPhoneNumber", hashed(c.token_phone))),
    (r'the body property "\$\.hashedPhoneNumber" is set to a valid phone number different from the one '
     r'identified by the access token, hashed in SHA-256 \(in hexadecimal representation\)',
     lambda c: c.set_prop("hashedPhoneNumber", hashed(OTHER_PHONE))),
    (r'the request body property "\$\.additional_property" is set to "(.+)"',
     lambda c, v: c.set_prop("additional_property", v)),
    (r'the request body does not contain neither "\$\.phoneNumber" nor "\$\.hashedPhoneNumber"',
     lambda c: [c.body.pop(k, None) for k in ("phoneNumber", "hashedPhoneNumber")] if isinstance(c.body, dict) else None),
    (r'the request body property "\$\.phoneNumber" is set to a valid phone number',
     lambda c: c.set_prop("phoneNumber", PHONE)),
    (r'the same phone number is compliant with OAS schema at "(.+)"', lambda c, ref: complies(c, "phoneNumber", ref)),
    (r'the request body property "\$\.hashedPhoneNumber" is set to a valid phone number compliant with '
     r'OAS schema at "(.+)"', lambda c, ref: (c.set_prop("hashedPhoneNumber", hashed(PHONE)),
                                              complies(c, "hashedPhoneNumber", ref))),
    (r'the request body property "\$\.phoneNumber" does not comply with the OAS schema at "(.+)"',
     not_complying_phone),
    (r'the request "(\w+)" is sent', lambda c, op: c.send(op)),
    (r'the response status code is "?(\d+)"?', status_is),
    (r'the response header "x-correlator" has same value as the request header "(x-correlator)"', same_correlator),
    (r'the response header "(.+)" is "(.+)"', header_is),
    (r'the response body complies with the OAS schema at "(.+)"', body_complies),
    (r'the response property "(\$\.message)" contains a user friendly text', friendly),
    (r'the response property "(\$\.devicePhoneNumberVerified)" == (true|false)',
     lambda c, p, v: check(c.prop(p) is (v == "true"), f"{p} is {c.prop(p)!r}, want {v}")),
    (r'the response property "(\$\.devicePhoneNumber)" is equal to the phone number associated with the access token',
     lambda c, p: check(c.prop(p) == c.token_phone, f"{p} is {c.prop(p)!r}, want {c.token_phone}")),
    (r'the response property "(\$\.\w+)" is "?([^"]+)"?', prop_is),
]
STEPS = [(re.compile("^" + rx + "$"), fn) for rx, fn in STEPS]


def find_step(text):
    for rx, fn in STEPS:
        m = rx.match(text)
        if m:
            return fn, m.groups()
    return None, None


# ---------------------------------------------------------------------------------------- runner

def listed_reason(tag):
    for rx, why in LISTED:
        if rx.search(tag):
            return why
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--smv", required=True)
    ap.add_argument("--testdata", required=True, help="the directory of the .feature files and the OpenAPI")
    ap.add_argument("-v", action="store_true")
    a = ap.parse_args()
    openapi = os.path.join(a.testdata, "number-verification.yaml")
    files = sorted(glob.glob(os.path.join(a.testdata, "**", "*.feature"), recursive=True))
    if not files or not os.path.exists(openapi):
        print(f"no feature files or OpenAPI under {a.testdata}")
        return 1
    schemas = Schemas(openapi)
    features = [parse_feature(p) for p in files]
    with tempfile.TemporaryDirectory(prefix="smv-camara-") as work:
        return run_all(a, schemas, features, files, work)


def run_all(a, schemas, features, files, work):
    sb = Sandbox(a.smv, work)
    run = passed = 0
    failed, unmapped, listed = [], [], []
    t0 = time.time()
    try:
        for f in features:
            rel = os.path.relpath(f.path, a.testdata)
            for sc in f.scenarios:
                why = listed_reason(sc.tag)
                if why:
                    listed.append((rel, sc.tag, why))
                    print(f"LISTED {rel}:{sc.line} {sc.tag}: {why}")
                    continue
                steps = f.background + sc.steps
                missing = [s for s in steps if find_step(s[1])[0] is None]
                if missing:
                    unmapped.append((rel, sc.tag, missing))
                    print(f"UNMAPPED {rel}:{sc.tag}: " + "; ".join(f"line {n}: {t}" for _, t, n in missing))
                    continue
                run += 1
                ctx = Context(sb, schemas, f)
                try:
                    for kw, text, n in steps:
                        fn, args = find_step(text)
                        if a.v:
                            print(f"    {kw} {text}")
                        fn(ctx, *args)
                    passed += 1
                    print(f"PASS {rel} {sc.tag}")
                except Exception as e:  # a failed check, or the sandbox misbehaving
                    failed.append((rel, sc.tag, f"line {n}: {text}: {e}"))
                    print(f"FAIL {rel} {sc.tag}: line {n}: {text}: {e}")
    finally:
        sb.stop()
    total = sum(len(f.scenarios) for f in features)
    print(f"scenarios: {total} in {len(files)} files; run {run}, passed {passed}, failed {len(failed)}, "
          f"unmapped {len(unmapped)}, listed with a reason {len(listed)} ({time.time() - t0:.1f} s)")
    return 0 if not failed and not unmapped and run + len(listed) == total else 1


if __name__ == "__main__":
    sys.exit(main())
