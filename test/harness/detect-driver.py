"""Test driver: runs ponyci_detect.detect_command on in-memory repositories.

stdin: JSON list of {"files": {path: text}, "pytest": bool, "command": str?,
"only": [ids]?, "settings": str?, "posargs": str? (PONYCI_POSARGS' text)};
stdout: JSON list of detections (or {"error": message} for a refused PONYCI_POSARGS).
argv[1]: the harness directory.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from ponyci_detect import detect_command, parse_posargs  # noqa: E402

results = []
for case in json.load(sys.stdin):
    files = case["files"]
    try:
        posargs = parse_posargs(case.get("posargs"))
    except ValueError as exc:
        results.append({"error": str(exc)})
        continue
    detection = detect_command(sorted(files), files.get, "python", case.get("pytest", True),
                               test_command=case.get("command"), only_tests=case.get("only", []),
                               environ_settings=case.get("settings"), posargs=posargs)
    results.append(detection._asdict())
json.dump(results, sys.stdout)
