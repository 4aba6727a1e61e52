"""Test driver: runs ponyci_detect.detect_command on in-memory repositories.

stdin: JSON list of {"files": {path: text}, "pytest": bool, "command": str?,
"only": [ids]?, "settings": str?}; stdout: JSON list of detections.
argv[1]: the harness directory.
"""
import json
import sys

sys.path.insert(0, sys.argv[1])
from ponyci_detect import detect_command  # noqa: E402

results = []
for case in json.load(sys.stdin):
    files = case["files"]
    detection = detect_command(sorted(files), files.get, "python", case.get("pytest", True),
                               test_command=case.get("command"), only_tests=case.get("only", []),
                               environ_settings=case.get("settings"))
    results.append(detection._asdict())
json.dump(results, sys.stdout)
