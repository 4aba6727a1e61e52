/**
 * Maintainers' script: `npm run snapshot:django` reads Django's support table
 * from the package index (the operator's, as in .env.example; else PyPI) afresh, every series'
 * newest release read again, and writes the snapshot shipped with Pony CI
 * (the offline fallback). Commit the JSON it writes.
 */
import os from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../util/write-file-atomic.js";
import { createIndexReader } from "../../runner/src/environment/create-index-reader.js";
import { loadSettings } from "../settings/load-settings.js";
import { serializeDjangoSupport, SNAPSHOT_FILE } from "../builds/versions/django-support.js";
import { readDjangoSupportFromIndex } from "../builds/versions/read-django-support-from-index.js";

const settings = loadSettings();
const reader = createIndexReader({ host: settings.hostPython, tmpDir: path.join(os.tmpdir(), "ponyci-django-snapshot") });
const table = await readDjangoSupportFromIndex(reader, { now: new Date() });
await writeFileAtomic(SNAPSHOT_FILE, serializeDjangoSupport({ ...table, source: table.source }));
for (const [series, row] of Object.entries(table.series)) process.stdout.write(`Django ${series} (${row.latest}${row.prerelease ? ", pre-release" : ""}): Python ${row.python.join(", ")}\n`);
process.stdout.write(`wrote ${SNAPSHOT_FILE}\n`);
