"""Write a source distribution or a wheel for the test package index.

Usage: make_distribution.py sdist|wheel OUTDIR NAME VERSION FILES_JSON

FILES_JSON maps paths inside the project (sdist) or the wheel to their text.
Prints the file name written.
"""
import io
import json
import os
import sys
import tarfile
import zipfile


def main() -> None:
    kind, outdir, name, version, files = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
    if kind == "sdist":
        filename = f"{name}-{version}.tar.gz"
        top = f"{name}-{version}"
        files.setdefault("PKG-INFO", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        with tarfile.open(os.path.join(outdir, filename), "w:gz") as archive:
            for path, text in files.items():
                data = text.encode()
                info = tarfile.TarInfo(f"{top}/{path}")
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    else:
        dist = name.replace("-", "_")
        filename = f"{dist}-{version}-py3-none-any.whl"
        info = f"{dist}-{version}.dist-info"
        files.setdefault(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        files.setdefault(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: ponyci-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        record = "".join(f"{path},,\n" for path in files) + f"{info}/RECORD,,\n"
        files[f"{info}/RECORD"] = record
        with zipfile.ZipFile(os.path.join(outdir, filename), "w") as archive:
            for path, text in files.items():
                archive.writestr(path, text)
    print(filename)


if __name__ == "__main__":
    main()
