"""Fetch one URL into a file, for Pony CI's host side (standard library only).

Usage: http_get.py URL ACCEPT DEST MAX_BYTES TIMEOUT_SEC [CAFILE]

Node's fetch does not use the system trust store an intercepting proxy's CA
is installed in; Python's ssl module does, which is why this runs in Python.
Prints one JSON line: {"status": 200, "bytes": N, "sha256": "...",
"content_type": "..."}; a body over MAX_BYTES is cut off with {"error":
"too-large"}; DEST is written only when the whole body arrived.
"""
import hashlib
import json
import os
import ssl
import sys
import urllib.error
import urllib.request


def main() -> int:
    url, accept, dest, max_bytes, timeout = sys.argv[1:6]
    cafile = sys.argv[6] if len(sys.argv) > 6 and sys.argv[6] else None
    max_bytes = int(max_bytes)
    if not (url.startswith("https://") or url.startswith("http://")):
        print(json.dumps({"error": "only http(s) URLs are fetched"}))
        return 1
    context = ssl.create_default_context(cafile=cafile)
    request = urllib.request.Request(url, headers={"Accept": accept, "User-Agent": "ponyci"})
    try:
        response = urllib.request.urlopen(request, timeout=float(timeout), context=context)
    except urllib.error.HTTPError as error:
        print(json.dumps({"status": error.code}))
        return 0
    digest = hashlib.sha256()
    size = 0
    part = dest + ".part"
    with response, open(part, "wb") as out:
        while True:
            chunk = response.read(65536)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                out.close()
                os.unlink(part)
                print(json.dumps({"error": "too-large"}))
                return 1
            digest.update(chunk)
            out.write(chunk)
        status = response.status
        content_type = response.headers.get("Content-Type", "")
    os.replace(part, dest)
    print(json.dumps({"status": status, "bytes": size, "sha256": digest.hexdigest(), "content_type": content_type}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
