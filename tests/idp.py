#!/usr/bin/env python3
"""A small OAuth2 identity provider for the tests, standard library only.

It speaks the parts of OAuth2 that foid uses, as Microsoft and Google do:
  POST /device_authorization   RFC 8628 device authorization
  POST /token                  grant_type device_code, refresh_token,
                               authorization_code (PKCE S256 checked)
  GET  /authorize              the loopback flow: redirects to redirect_uri
                               with a code (playing Google's consent page)
and a control interface for the test, standing in for a person's browser:
  POST /control/approve        user_code=...   approves a device code
  POST /control/deny           user_code=...   denies it (access_denied)
  POST /control/expire         user_code=...   expires it (expired_token)
  POST /control/revoke         revokes every refresh token (invalid_grant)
  POST /control/slow_down      the next device poll answers slow_down
  POST /control/lifetime       seconds=N: lifetime of tokens issued from now
                               on; negative: already expired (Dovecot refuses
                               them) while expires_in says 3600, as a revoked
                               access token or a skewed clock look to a client
  GET  /control/mint?user=U    a valid access token for U (for token_command)
  GET  /control/stats          JSON counters (tokens issued, refreshes, ...)

Access tokens are HS256 JWTs that the sandbox Dovecot validates itself
(header typ JWT; claims iss, sub, email, exp, iat).  Refresh tokens rotate:
each use returns a new one and the old one is invalid_grant from then on.

Usage: idp.py --key BASE64 --issuer URL --port-file FILE [--lifetime S]
       [--interval S]
It listens on 127.0.0.1 on a free port, writes the port to FILE once it
accepts connections, and serves until killed.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class State:
    def __init__(self, key, issuer, lifetime, interval):
        self.key = key
        self.issuer = issuer
        self.lifetime = lifetime
        self.interval = interval
        self.lock = threading.Lock()
        self.devices = {}    # device_code -> dict(user_code, state, expires, user, scope)
        self.codes = {}      # authorization code -> dict(challenge, redirect_uri, user, scope)
        self.refresh = {}    # refresh token -> dict(user, scope)
        self.slow_down = False
        self.stats = {"access_tokens": 0, "refreshes": 0, "device_polls": 0,
                      "invalid_grant": 0, "authorization_codes": 0}

    def jwt(self, user):
        header = {"alg": "HS256", "typ": "JWT"}
        now = int(time.time())
        claims = {"iss": self.issuer, "sub": user, "email": user, "iat": now,
                  "exp": now + self.lifetime, "jti": secrets.token_hex(8)}
        signing = (b64url(json.dumps(header).encode()) + "." +
                   b64url(json.dumps(claims).encode()))
        sig = hmac.new(self.key, signing.encode(), hashlib.sha256).digest()
        return signing + "." + b64url(sig)

    def tokens(self, user, scope):
        rt = "rt-" + secrets.token_urlsafe(24)
        self.refresh[rt] = {"user": user, "scope": scope}
        self.stats["access_tokens"] += 1
        return {"access_token": self.jwt(user), "token_type": "Bearer",
                "expires_in": self.lifetime if self.lifetime > 0 else 3600,
                "scope": scope, "refresh_token": rt}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("idp: " + (fmt % args) + "\n")

    def reply(self, code, obj, headers=None):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, err, desc=""):
        self.reply(400, {"error": err, "error_description": desc})

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}

    def do_GET(self):
        st = self.server.state
        url = urllib.parse.urlsplit(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if url.path == "/control/stats":
            with st.lock:
                return self.reply(200, dict(st.stats))
        if url.path == "/control/mint":
            with st.lock:
                st.stats["access_tokens"] += 1
                body = st.jwt(q.get("user", "user@test.invalid")).encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if url.path != "/authorize":
            return self.reply(404, {"error": "not_found"})
        redirect = q.get("redirect_uri", "")
        parts = urllib.parse.urlsplit(redirect)
        # Google allows a loopback redirect on any port, over plain http.
        if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "::1", "localhost"):
            return self.error("invalid_request", "redirect_uri must be loopback")
        if q.get("response_type") != "code" or q.get("code_challenge_method") != "S256" \
                or not q.get("code_challenge") or not q.get("client_id"):
            return self.error("invalid_request", "code flow with PKCE S256 required")
        code = "code-" + secrets.token_urlsafe(16)
        with st.lock:
            st.codes[code] = {"challenge": q["code_challenge"], "redirect_uri": redirect,
                              "user": q.get("login_hint", "user@test.invalid"),
                              "scope": q.get("scope", "")}
        sep = "&" if "?" in redirect else "?"
        loc = redirect + sep + urllib.parse.urlencode({"code": code, "state": q.get("state", "")})
        self.send_response(302)
        self.send_header("Location", loc)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        st = self.server.state
        path = urllib.parse.urlsplit(self.path).path
        f = self.form()
        with st.lock:
            if path == "/device_authorization":
                return self.device_authorization(st, f)
            if path == "/token":
                return self.token(st, f)
            if path.startswith("/control/"):
                return self.control(st, path[len("/control/"):], f)
        return self.reply(404, {"error": "not_found"})

    def device_authorization(self, st, f):
        if not f.get("client_id"):
            return self.error("invalid_client", "client_id missing")
        dc = "dc-" + secrets.token_urlsafe(16)
        uc = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
        st.devices[dc] = {"user_code": uc, "state": "pending",
                          "expires": time.time() + 900, "user": None,
                          "scope": f.get("scope", "")}
        host = self.headers.get("Host", "127.0.0.1")
        self.reply(200, {"device_code": dc, "user_code": uc,
                         "verification_uri": "http://%s/device" % host,
                         "expires_in": 900, "interval": st.interval,
                         "message": "To sign in, use a web browser to open the page "
                                    "http://%s/device and enter the code %s." % (host, uc)})

    def token(self, st, f):
        grant = f.get("grant_type", "")
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            st.stats["device_polls"] += 1
            d = st.devices.get(f.get("device_code", ""))
            if not d:
                return self.error("invalid_grant", "unknown device code")
            if st.slow_down:
                st.slow_down = False
                return self.error("slow_down")
            if d["state"] == "expired" or time.time() > d["expires"]:
                return self.error("expired_token")
            if d["state"] == "denied":
                return self.error("access_denied")
            if d["state"] == "pending":
                return self.error("authorization_pending")
            del st.devices[f["device_code"]]
            return self.reply(200, st.tokens(d["user"], d["scope"]))
        if grant == "refresh_token":
            rt = f.get("refresh_token", "")
            r = st.refresh.pop(rt, None)
            if not r:
                st.stats["invalid_grant"] += 1
                return self.error("invalid_grant",
                                  "AADSTS70008: the refresh token has expired or been revoked")
            st.stats["refreshes"] += 1
            return self.reply(200, st.tokens(r["user"], r["scope"]))
        if grant == "authorization_code":
            c = st.codes.pop(f.get("code", ""), None)
            if not c or c["redirect_uri"] != f.get("redirect_uri"):
                return self.error("invalid_grant", "bad code or redirect_uri")
            verifier = f.get("code_verifier", "")
            if b64url(hashlib.sha256(verifier.encode()).digest()) != c["challenge"]:
                return self.error("invalid_grant", "PKCE verification failed")
            st.stats["authorization_codes"] += 1
            return self.reply(200, st.tokens(c["user"], c["scope"]))
        return self.error("unsupported_grant_type", grant)

    def control(self, st, what, f):
        if what == "revoke":
            st.refresh.clear()
            return self.reply(200, {"ok": True})
        if what == "slow_down":
            st.slow_down = True
            return self.reply(200, {"ok": True})
        if what == "lifetime":
            st.lifetime = int(f.get("seconds", "3600"))
            return self.reply(200, {"ok": True})
        for d in st.devices.values():
            if d["user_code"] == f.get("user_code"):
                if what == "approve":
                    d["state"] = "approved"
                    d["user"] = f.get("user", "user@test.invalid")
                elif what == "deny":
                    d["state"] = "denied"
                elif what == "expire":
                    d["state"] = "expired"
                else:
                    break
                return self.reply(200, {"ok": True})
        return self.reply(404, {"error": "no such user code or action"})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--key", required=True, help="HS256 key, standard base64")
    ap.add_argument("--issuer", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--lifetime", type=int, default=3600)
    ap.add_argument("--interval", type=int, default=1)
    a = ap.parse_args()
    st = State(base64.b64decode(a.key), a.issuer, a.lifetime, a.interval)
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.state = st
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as fh:
        fh.write("%d\n" % srv.server_address[1])
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
