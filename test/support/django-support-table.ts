import type { DjangoSupportTable } from "../../src/builds/versions/django-support.js";

/**
 * A fixed Django support table for planning tests (Django's FAQ as of 6.0):
 * what the shipped snapshot says today, frozen, so a refreshed snapshot
 * changes no test. Tests of new series and Pythons build their own.
 */
export const testDjangoSupport: DjangoSupportTable = {
  source: "test",
  fetchedAt: "2026-01-01T00:00:00.000Z",
  series: {
    "3.2": { python: ["3.6", "3.7", "3.8", "3.9", "3.10"], latest: "3.2.25" },
    "4.0": { python: ["3.8", "3.9", "3.10"], latest: "4.0.10" },
    "4.1": { python: ["3.8", "3.9", "3.10", "3.11"], latest: "4.1.13" },
    "4.2": { python: ["3.8", "3.9", "3.10", "3.11", "3.12"], latest: "4.2.27" },
    "5.0": { python: ["3.10", "3.11", "3.12"], latest: "5.0.14" },
    "5.1": { python: ["3.10", "3.11", "3.12", "3.13"], latest: "5.1.15" },
    "5.2": { python: ["3.10", "3.11", "3.12", "3.13", "3.14"], latest: "5.2.9" },
    "6.0": { python: ["3.12", "3.13", "3.14"], latest: "6.0" },
  },
};

/** The images of a stock installation on the test machines, with the table above. */
export const stockPlanning = { availablePython: ["3.9", "3.11", "3.13"], djangoSupport: testDjangoSupport } as const;
