"""Read the Python support of wheels on an index, for Pony CI's host side (standard library only).

Usage: read_wheel_metadata.py TIMEOUT_SEC [CAFILE] < [{"url": ..., "core": true|false}, ...]

For each wheel: its METADATA from the index's PEP 658 file (<url>.metadata)
when "core" is true, else from the wheel itself with HTTP range requests
(the zip's central directory, then the one member: tens of kilobytes of a
multi-megabyte wheel, as pip's lazy wheel does), else, from a server that
ignores ranges, the whole wheel up to MAX_WHEEL_BYTES.
Prints one JSON line: {"results": {url: {"requires_python": str|null,
"classifiers": [str]} | {"error": str}}}. Only http(s) URLs are fetched.
"""
import concurrent.futures
import email.parser
import io
import json
import ssl
import sys
import urllib.request
import zipfile

MAX_METADATA_BYTES = 1024 * 1024
MAX_WHEEL_BYTES = 64 * 1024 * 1024
MAX_WHEELS = 200
TAIL_BYTES = 64 * 1024


class RangeFile(io.RawIOBase):
    """A seekable read-only view of a remote file, fetched by ranges on demand (blocks cached)."""

    def __init__(self, url, size, fetch):
        self.url, self.size, self.fetch, self.pos, self.blocks = url, size, fetch, 0, {}

    def readable(self):
        return True

    def seekable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=0):
        self.pos = offset if whence == 0 else self.pos + offset if whence == 1 else self.size + offset
        return self.pos

    def read(self, n=-1):
        end = self.size if n is None or n < 0 else min(self.size, self.pos + n)
        if end <= self.pos:
            return b""
        key = (self.pos, end)
        if key not in self.blocks:
            self.blocks[key] = self.fetch(self.url, self.pos, end - 1)
        data = self.blocks[key]
        self.pos += len(data)
        return data

    def readinto(self, buffer):
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def main() -> int:
    timeout = float(sys.argv[1])
    cafile = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
    context = ssl.create_default_context(cafile=cafile)
    wanted = json.loads(sys.stdin.read(1024 * 1024))[:MAX_WHEELS]

    def open_url(url, headers):
        if not (url.startswith("https://") or url.startswith("http://")):
            raise ValueError("only http(s) URLs are fetched")
        request = urllib.request.Request(url, headers={"User-Agent": "ponyci", **headers})
        return urllib.request.urlopen(request, timeout=timeout, context=context)

    def read_bounded(response, limit):
        body = response.read(limit + 1)
        if len(body) > limit:
            raise ValueError("too large")
        return body

    def fetch_range(url, start, end):
        if end - start + 1 > MAX_METADATA_BYTES * 4:
            raise ValueError("range too large")
        with open_url(url, {"Range": "bytes=%d-%d" % (start, end)}) as response:
            if response.status != 206:
                raise ValueError("no range support")
            return read_bounded(response, end - start + 1)

    def metadata_from_wheel(url):
        with open_url(url, {"Range": "bytes=-%d" % TAIL_BYTES}) as response:
            if response.status == 206:
                total = int(response.headers.get("Content-Range", "").rpartition("/")[2])
                tail = read_bounded(response, TAIL_BYTES)
                view = RangeFile(url, total, fetch_range)
                view.blocks[(max(0, total - len(tail)), total)] = tail
                archive = zipfile.ZipFile(io.BufferedReader(view, buffer_size=TAIL_BYTES))
            else:
                archive = zipfile.ZipFile(io.BytesIO(read_bounded(response, MAX_WHEEL_BYTES)))
        with archive:
            names = [n for n in archive.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                raise ValueError("no single .dist-info/METADATA")
            info = archive.getinfo(names[0])
            if info.file_size > MAX_METADATA_BYTES:
                raise ValueError("METADATA too large")
            return archive.read(info)

    def read_one(item):
        url = item["url"]
        if item.get("core"):
            with open_url(url + ".metadata", {}) as response:
                text = read_bounded(response, MAX_METADATA_BYTES)
        else:
            text = metadata_from_wheel(url)
        message = email.parser.Parser().parsestr(text.decode("utf-8", "replace"), headersonly=True)
        return {"requires_python": message.get("Requires-Python"), "classifiers": message.get_all("Classifier") or []}

    results = {}
    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        futures = {pool.submit(read_one, item): item["url"] for item in wanted if isinstance(item, dict) and isinstance(item.get("url"), str)}
        for future, url in futures.items():
            try:
                results[url] = future.result()
            except Exception as error:  # one wheel's trouble is reported for it, the others still count
                results[url] = {"error": "%s: %s" % (type(error).__name__, error)}
    print(json.dumps({"results": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
