"""Print the top-level pyproject.toml of a source distribution, without extracting it.

Usage: read_sdist_pyproject.py ARCHIVE MAX_BYTES

The archive is untrusted: only a regular member named <top>/pyproject.toml is
read, at most MAX_BYTES of it, and nothing is written to disk. Prints one JSON
line: {"pyproject": "..."} or {"pyproject": null}; {"error": "..."} when the
archive cannot be read.
"""
import json
import resource
import sys
import tarfile
import zipfile

# Headers of an untrusted archive must not take the host's memory: a .tar.gz of
# tiny members compresses millions of headers into a few MB. Tar members are
# read one at a time and forgotten (tarfile keeps every header it has seen);
# a zip's central directory is read whole by zipfile, so the address space is
# capped as well, and at most MAX_MEMBERS entries are looked at.
MAX_MEMBERS = 200_000
MEMORY_BYTES = 1024 * 1024 * 1024


def main() -> int:
    path, max_bytes = sys.argv[1], int(sys.argv[2])
    text = None
    try:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    except (ValueError, OSError):
        pass  # a lower limit is already set
    try:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                if len(archive.infolist()) > MAX_MEMBERS:
                    raise ValueError(f"the archive has more than {MAX_MEMBERS} members")
                for info in archive.infolist():
                    if info.filename.count("/") == 1 and info.filename.endswith("/pyproject.toml") and not info.is_dir():
                        if info.file_size > max_bytes:
                            raise ValueError("pyproject.toml is too large")
                        text = archive.read(info).decode("utf-8")
                        break
        else:
            with tarfile.open(path) as archive:
                for count in range(MAX_MEMBERS + 1):
                    member = archive.next()
                    if member is None:
                        break
                    if count == MAX_MEMBERS:
                        raise ValueError(f"the archive has more than {MAX_MEMBERS} members")
                    archive.members = []  # forget the headers seen: memory stays flat
                    if member.name.count("/") == 1 and member.name.endswith("/pyproject.toml"):
                        if not member.isreg():
                            break
                        if member.size > max_bytes:
                            raise ValueError("pyproject.toml is too large")
                        text = archive.extractfile(member).read(max_bytes + 1).decode("utf-8")
                        break
    except Exception as error:  # noqa: BLE001 - any failure is reported, never raised
        print(json.dumps({"error": f"{type(error).__name__}: {error}"}))
        return 1
    print(json.dumps({"pyproject": text}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
