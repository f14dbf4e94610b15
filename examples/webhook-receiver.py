#!/usr/bin/env python3
# Receives the events `octopods listen --forward-to http://localhost:3000/` sends, and checks
# each signature (Standard Webhooks). WEBHOOK_SECRET: what `octopods listen --print-secret` prints.
import base64, hashlib, hmac, http.server, os, time
KEY = base64.b64decode(os.environ["WEBHOOK_SECRET"].removeprefix("whsec_"))

class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        msg_id, ts = self.headers["webhook-id"], self.headers["webhook-timestamp"]
        mac = hmac.new(KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
        ok = abs(time.time() - int(ts)) < 300 and "v1," + base64.b64encode(mac).decode() in self.headers["webhook-signature"].split()
        self.send_response(200 if ok else 400)
        self.end_headers()
        if ok: print(body.decode(), flush=True)  # act on the event here; a repeat has the same webhook-id

http.server.HTTPServer(("127.0.0.1", int(os.environ.get("PORT", "3000"))), Hook).serve_forever()
