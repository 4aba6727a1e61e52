import { describe, expect, it } from "@jest/globals";
import { ESLint } from "eslint";
import madge from "madge";
import { readdirSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const root = path.resolve(import.meta.dirname, "../..");

function tsFilesUnder(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Every project file the compiler pulls in when it compiles `roots` (folders or files) alone. */
function importClosure(roots: string[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(root, "tsconfig.json"), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (!config) throw new Error("tsconfig.json did not parse");
  const rootNames = roots.flatMap((r) => (r.endsWith(".ts") ? [path.join(root, r)] : tsFilesUnder(r)));
  const program = ts.createProgram({ rootNames, options: config.options });
  return program
    .getSourceFiles()
    .map((file) => path.relative(root, file.fileName))
    .filter((file) => !file.startsWith("node_modules") && !file.startsWith(".."));
}

/**
 * The files that compose the process: the only app files that may import
 * runner/, directly (eslint.config.js lists them) or through each other
 * (start-server.ts starts what create-ponyci.ts composes).
 */
const COMPOSERS = (file: string) =>
  file.startsWith("src/cli/") || ["src/server/create-ponyci.ts", "src/server/start-server.ts", "src/server/django-support-from-settings.ts", "src/server/list-planning-pythons.ts"].includes(file);

describe("the runner stands alone", () => {
  it("compiles from runner/, src/domain/ and src/util/ only, importing nothing else of the app", () => {
    const files = importClosure(["runner/src"]);
    expect(files.length).toBeGreaterThan(20);
    const outside = files.filter((file) => !file.startsWith("runner/") && !file.startsWith("src/domain/") && !file.startsWith("src/util/"));
    expect(outside).toEqual([]);
  });

  it("keeps the domain free of app and runner imports, and the shared helpers free of everything", () => {
    expect(importClosure(["src/domain"]).filter((file) => !file.startsWith("src/domain/"))).toEqual([]);
    expect(importClosure(["src/util"]).filter((file) => !file.startsWith("src/util/"))).toEqual([]);
  });
});

describe("the app reaches the runner only where it composes the process", () => {
  it("compiles every app file but the CLI and the server's wiring without any of runner/", () => {
    const roots = tsFilesUnder("src")
      .map((file) => path.relative(root, file))
      .filter((file) => !COMPOSERS(file));
    const files = importClosure(roots);
    expect(files.length).toBeGreaterThan(200);
    expect(files.filter((file) => file.startsWith("runner/"))).toEqual([]);
  });

  it("lint says so too, and names the ports to use instead", async () => {
    const eslint = new ESLint({ cwd: root });
    const importing = 'import type { CellRunner } from "../../runner/src/cell/run-cell.js";\nexport type X = CellRunner;\n';
    const [inBuilds] = await eslint.lintText(importing, { filePath: path.join(root, "src/builds/lint-probe.ts") });
    expect(inBuilds?.messages.map((m) => [m.ruleId, m.message.includes("src/domain/")])).toContainEqual(["no-restricted-imports", true]);
    const [inCli] = await eslint.lintText(importing, { filePath: path.join(root, "src/cli/lint-probe.ts") });
    expect(inCli?.messages.filter((m) => m.ruleId === "no-restricted-imports")).toEqual([]);
    const [inRunner] = await eslint.lintText('export { openStore } from "../../../src/store/open-store.js";\n', { filePath: path.join(root, "runner/src/cell/lint-probe.ts") });
    expect(inRunner?.messages.map((m) => m.ruleId)).toContain("no-restricted-imports");
  });
});

describe("no import cycles", () => {
  const graph = madge(["src", "runner/src"], { baseDir: root, fileExtensions: ["ts"], tsConfig: path.join(root, "tsconfig.json"), detectiveOptions: { ts: { skipTypeImports: false } } });

  it("between files (type-only imports included)", async () => {
    const result = await graph;
    expect(Object.keys(result.obj()).length).toBeGreaterThan(300);
    expect(result.circular()).toEqual([]);
  });

  it("between folders: each of src/<folder> and runner/ depends on the others one way only", async () => {
    const folderOf = (file: string) => (file.startsWith("src/") ? file.split("/").slice(0, 2).join("/") : "runner");
    const folders: Record<string, string[]> = {};
    for (const [file, deps] of Object.entries((await graph).obj())) {
      const from = folderOf(file);
      const to = (folders[from] ??= []);
      for (const dep of deps) if (folderOf(dep) !== from && !to.includes(folderOf(dep))) to.push(folderOf(dep));
    }
    expect(Object.keys(folders).length).toBeGreaterThan(15);
    expect((await madge(folders)).circular()).toEqual([]);
  });

  it("lint finds a file cycle", async () => {
    const eslint = new ESLint({ cwd: root });
    // src/domain/requirements-error.ts imports environment-error.ts; importing back closes a cycle.
    const [result] = await eslint.lintText('import { RequirementsError } from "./requirements-error.js";\nexport const probe = RequirementsError;\n', { filePath: path.join(root, "src/domain/environment-error.ts") });
    expect(result?.messages.map((m) => m.ruleId)).toContain("import-x/no-cycle");
  });
});
