#!/usr/bin/env python3
"""Bookinfo's productpage: a Python service with no mesh or discovery library.

It knows one thing about the mesh: its sidecar's outbound port (env MESH_OUTBOUND_PORT). It calls reviews as
http://127.0.0.1:$MESH_OUTBOUND_PORT/reviews/0 with "Host: reviews", and the sidecar finds an instance, applies the
routing rules, adds mTLS and trace headers. It forwards the trace headers it received, as Bookinfo's productpage does,
so that one trace runs through every hop.

    python3 productpage.py [PORT]        (or env PORT; default 9080)
"""
import html
import json
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TRACE_HEADERS = ("traceparent", "tracestate", "x-request-id", "x-b3-traceid", "x-b3-spanid",
                 "x-b3-parentspanid", "x-b3-sampled", "x-b3-flags", "b3")
PRODUCT = {"id": 0, "title": "The Comedy of Errors",
           "descriptionHtml": "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia Summary</a>: "
                              "The Comedy of Errors is one of William Shakespeare's early plays."}
PORT = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "9080"))
OUTBOUND = os.environ.get("MESH_OUTBOUND_PORT")
TIMEOUT_SECONDS = float(os.environ.get("REVIEWS_TIMEOUT_SECONDS", "10"))


def trace_headers(inbound):
    return {h: inbound[h] for h in TRACE_HEADERS if inbound.get(h)}


def call_reviews(product_id, inbound):
    """Returns (status, body or None, error or None); never raises: a failing reviews call is shown, not fatal."""
    if not OUTBOUND:
        return 0, None, "MESH_OUTBOUND_PORT is not set (start productpage behind its sidecar)"
    request = urllib.request.Request(f"http://127.0.0.1:{OUTBOUND}/reviews/{product_id}",
                                     headers={"Host": "reviews", **trace_headers(inbound)})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, json.loads(response.read().decode("utf-8")), None
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")[:200]
        return e.code, None, f"reviews answered {e.code}: {text}".strip()
    except (urllib.error.URLError, OSError, ValueError) as e:
        return 0, None, f"reviews unavailable: {getattr(e, 'reason', e)}"


def product_json(product_id, inbound):
    status, reviews, error = call_reviews(product_id, inbound)
    body = {**PRODUCT, "id": product_id, "instance": f"productpage@127.0.0.1:{PORT}",
            "headers": trace_headers(inbound), "reviewsStatus": status}
    if reviews is not None:
        body["reviews"] = reviews
    if error is not None:
        body["reviewsError"] = error
    return body


def stars(count, color):
    return f"<span style=\"color:{color}\">{'&#9733;' * count}{'&#9734;' * (5 - count)}</span>"


def product_html(product):
    rows = []
    reviews = product.get("reviews")
    if reviews is None:
        rows.append(f"<p class=\"error\">Error fetching product reviews: {html.escape(product['reviewsError'])}</p>")
    else:
        for review in reviews.get("reviews", []):
            rating = review.get("rating")
            shown = stars(rating["stars"], rating.get("color", "black")) if rating and "stars" in rating else (
                html.escape(rating["error"]) if rating and "error" in rating else "")
            rows.append(f"<blockquote><p>{html.escape(review['text'])}</p><small>{html.escape(review['reviewer'])}</small>"
                        f" {shown}</blockquote>")
        rows.append(f"<p>Reviews served by: <b>reviews-{html.escape(reviews.get('version', '?'))}</b>"
                    f" ({html.escape(reviews.get('instance', ''))})</p>")
    return ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Simple Bookstore App</title></head><body>"
            f"<h1>{html.escape(product['title'])}</h1><p>{product['descriptionHtml']}</p>"
            f"<h2>Book Reviews</h2>{''.join(rows)}</body></html>")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def send(self, status, content_type, text):
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        inbound = {k.lower(): v for k, v in self.headers.items()}
        if path == "/health":
            self.send(200, "application/json", json.dumps({"status": "UP"}))
        elif path in ("/", "/productpage"):
            self.send(200, "text/html; charset=utf-8", product_html(product_json(0, inbound)))
        elif path.startswith("/api/v1/products/") and path.count("/") == 4 and path.rsplit("/", 1)[1].isdigit():
            self.send(200, "application/json", json.dumps(product_json(int(path.rsplit("/", 1)[1]), inbound)))
        else:
            self.send(404, "application/json", json.dumps({"error": "not found", "path": path}))

    def log_message(self, fmt, *args):
        sys.stdout.write("productpage: %s %s\n" % (self.address_string(), fmt % args))
        sys.stdout.flush()


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    server.daemon_threads = True
    print(f"productpage listening on http://127.0.0.1:{PORT} (reviews through 127.0.0.1:{OUTBOUND})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
