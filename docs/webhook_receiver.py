"""A local receiver for the demo's webhooks: it listens on http://127.0.0.1:8765/, checks each message's
signature with the Standard Webhooks library (the one the portal signs with), prints it and answers 204.

    .venv/bin/python docs/webhook_receiver.py            # the demo garage's endpoint and secret (make run)
    .venv/bin/python docs/webhook_receiver.py --port 9000 --secret whsec_…   # another endpoint of yours

A message with a bad or missing signature, or older than five minutes, is refused with 400 (the portal then tries
again later); `--fail` answers 503 to everything, to watch the retries and « Rejouer » in the professional space.
Standard library and `standardwebhooks` only: copy it into your own software as a starting point.
"""

import argparse
import json
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

# The demo garage's secret (api/demo.py), loaded by `make run`.
DEMO_SECRET = "whsec_ZGVtby13ZWJob29rLWdhcmFnZS1wcm92ZW5jZQ=="
MAX_BODY = 1024 * 1024


def make_handler(webhook, fail=False, seen=None):
    seen = set() if seen is None else seen

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self.answer(413, "too large")
            body = self.rfile.read(length)
            try:
                message = webhook.verify(body, dict(self.headers))
            except WebhookVerificationError as refused:
                print(f"REFUSÉ ({refused}) : {body[:200]!r}", flush=True)
                return self.answer(400, "bad signature")
            message_id = self.headers["webhook-id"]
            # At least once: the same webhook-id may come twice (a retry after a lost answer); do the work once.
            copy = " (déjà reçu)" if message_id in seen else ""
            seen.add(message_id)
            data = message.get("data", {})
            print(f"{message_id}{copy} {message.get('type')} {data.get('reference')} : "
                  f"{data.get('previous_status')} → {data.get('status')}", flush=True)
            print(json.dumps(message, ensure_ascii=False, indent=2), flush=True)
            if fail:
                return self.answer(503, "failing on purpose (--fail)")
            return self.answer(204, "")

        def answer(self, code, text):
            self.send_response(code)
            self.send_header("Content-Length", str(len(text.encode())))
            self.end_headers()
            if text:
                self.wfile.write(text.encode())

        def log_message(self, format, *args):  # the prints above say what matters
            pass

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description="Reçoit et vérifie les webhooks du portail (démonstration).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--secret", default=os.environ.get("WEBHOOK_SECRET", DEMO_SECRET))
    parser.add_argument("--fail", action="store_true", help="répondre 503 à tout (voir les nouvelles tentatives)")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Webhook(args.secret), fail=args.fail))
    print(f"En écoute sur http://{args.host}:{args.port}/ — Ctrl-C pour arrêter.", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
