"""Print the top-level pyproject.toml of a source distribution, without extracting it.

Usage: read_sdist_pyproject.py ARCHIVE MAX_BYTES

The archive is untrusted: only a regular member named <top>/pyproject.toml is
read, at most MAX_BYTES of it, and nothing is written to disk. Prints one JSON
line: {"pyproject": "..."} or {"pyproject": null}; {"error": "..."} when the
archive cannot be read.
"""
import json
import sys
import tarfile
import zipfile


def main() -> int:
    path, max_bytes = sys.argv[1], int(sys.argv[2])
    text = None
    try:
        if path.endswith(".zip"):
            with zipfile.ZipFile(path) as archive:
                for info in archive.infolist():
                    if info.filename.count("/") == 1 and info.filename.endswith("/pyproject.toml") and not info.is_dir():
                        if info.file_size > max_bytes:
                            raise ValueError("pyproject.toml is too large")
                        text = archive.read(info).decode("utf-8")
                        break
        else:
            with tarfile.open(path) as archive:
                for member in archive:
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
