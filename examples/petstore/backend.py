#!/usr/bin/python3
"""Sample petstore backend for the quick start: a tiny in-memory pet store on 127.0.0.1.

GET /pet/{id}            -> the pet, or 404
GET /pet/findByStatus    -> pets with ?status=
POST /pet                -> stores the JSON body, 200 with it
GET /store/inventory     -> counts by status
anything else            -> 200 echo of method, path and headers
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

PETS = {
    1: {"id": 1, "name": "doggie", "status": "available", "photoUrls": []},
    2: {"id": 2, "name": "kitty", "status": "pending", "photoUrls": []},
    3: {"id": 3, "name": "nemo", "status": "sold", "photoUrls": []},
}
LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _send(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _echo(self):
        self._send(200, {"method": self.command, "path": self.path,
                         "headers": {k: v for k, v in self.headers.items()}})

    def do_GET(self):
        url = urlsplit(self.path)
        parts = [p for p in url.path.split("/") if p]
        if parts[-2:-1] == ["pet"] and parts[-1] == "findByStatus":
            wanted = parse_qs(url.query).get("status", ["available"])
            with LOCK:
                self._send(200, [p for p in PETS.values() if p["status"] in wanted])
            return
        if len(parts) >= 2 and parts[-2] == "pet":
            try:
                pet_id = int(parts[-1])
            except ValueError:
                self._send(400, {"code": 400, "message": "Invalid ID supplied"})
                return
            with LOCK:
                pet = PETS.get(pet_id)
            if pet is None:
                self._send(404, {"code": 404, "message": "Pet not found"})
            else:
                self._send(200, pet)
            return
        if parts[-2:] == ["store", "inventory"]:
            counts = {}
            with LOCK:
                for p in PETS.values():
                    counts[p["status"]] = counts.get(p["status"], 0) + 1
            self._send(200, counts)
            return
        self._echo()

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path.rstrip("/").endswith("/pet"):
            try:
                pet = json.loads(raw or b"{}")
                pet_id = int(pet.get("id", 0)) or max(PETS) + 1
            except (ValueError, TypeError, AttributeError):
                self._send(405, {"code": 405, "message": "Invalid input"})
                return
            pet["id"] = pet_id
            with LOCK:
                PETS[pet_id] = pet
            self._send(200, pet)
            return
        self._echo()

    do_PUT = do_POST
    do_DELETE = do_GET

    def log_message(self, fmt, *args):  # quiet: the gateway logs requests
        pass


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--port", type=int, default=8081)
    args = ap.parse_args()
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
