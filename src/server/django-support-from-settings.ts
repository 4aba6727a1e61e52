import path from "node:path";
import { createIndexReader } from "../../runner/src/environment/create-index-reader.js";
import type { Logger } from "../domain/logger.js";
import type { Settings } from "../settings/load-settings.js";
import { createDjangoSupportSource, type DjangoSupportSource } from "../builds/versions/create-django-support-source.js";

/** The installation's Django support source: the operator's index through the host's Python, cached in the data directory. */
export function djangoSupportFromSettings(settings: Pick<Settings, "dataDir" | "hostPython" | "djangoSupport">, log?: Logger): DjangoSupportSource {
  return createDjangoSupportSource({
    cacheFile: path.join(settings.dataDir, "django-support.json"),
    refreshMs: settings.djangoSupport.refreshMs,
    overrideFile: settings.djangoSupport.file,
    reader: createIndexReader({ host: settings.hostPython, tmpDir: path.join(settings.dataDir, "tmp") }),
    log,
  });
}
