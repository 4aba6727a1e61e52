import { describe, expect, it } from "@jest/globals";
import { readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "../..");

function tsFilesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every project file the compiler pulls in when it compiles `dirs` alone. */
function importClosure(dirs: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error("tsconfig.json did not parse");
  const program = ts.createProgram({ rootNames: dirs.flatMap(tsFilesUnder), options: config.options });
  return program
    .getSourceFiles()
    .map((file) => path.relative(root, file.fileName))
    .filter((file) => !file.startsWith("node_modules") && !file.startsWith(".."));
}

describe("the runner stands alone", () => {
  it("compiles from runner/ and src/domain/ only, importing nothing else of the app", () => {
    const files = importClosure(["runner/src"]);
    expect(files.length).toBeGreaterThan(20);
    const outside = files.filter((file) => !file.startsWith("runner/") && !file.startsWith("src/domain/"));
    expect(outside).toEqual([]);
  });

  it("keeps the domain free of app and runner imports", () => {
    const files = importClosure(["src/domain"]);
    expect(files.filter((file) => !file.startsWith("src/domain/"))).toEqual([]);
  });
});
