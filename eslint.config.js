import js from "@eslint/js";
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "runner/harness/", "examples/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      // pino serializes `err` with its stack and cause only when it is the error itself.
      "no-restricted-syntax": [
        "error",
        { selector: "Property[key.name='err'] > CallExpression[callee.name=/^(String|describeError)$/]", message: "log the error itself: { err: error } keeps its stack (pino's err serializer)" },
        { selector: "Property[key.name='err'] > MemberExpression[property.name=/^(message|stack)$/]", message: "log the error itself: { err: error } keeps its stack (pino's err serializer)" },
      ],
    },
  },
  {
    // Every setting is read in src/settings/load-settings.ts (and listed in .env.example).
    files: ["src/**/*.ts"],
    ignores: ["src/settings/load-settings.ts", "src/cli/ponyci.ts"],
    rules: {
      "no-restricted-properties": ["error", { object: "process", property: "env", message: "read settings in src/settings/load-settings.ts (and list them in .env.example)" }],
    },
  },
  {
    // The app speaks to the runner through the ports in src/domain/ (cell-runner.ts,
    // environment.ts): only the places that compose the process (the CLI and the
    // server's wiring) import runner/ (test/runner/runner-imports.test.ts checks
    // the import graph too).
    files: ["src/**/*.ts"],
    ignores: ["src/cli/**", "src/server/create-ponyci.ts", "src/server/django-support-from-settings.ts", "src/server/list-planning-pythons.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(\\.\\./)+runner/", message: "only src/cli/ and the server's wiring import runner/: speak the ports in src/domain/ (cell-runner.ts, environment.ts)" }] }],
    },
  },
  {
    // The runner ships alone to Docker hosts: it may import the shared domain,
    // the shared helpers and its own code, nothing else of the app.
    files: ["runner/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(\\.\\./)+src/(?!domain/|util/)", message: "runner/ imports only src/domain/ and src/util/ of the app: pass what it needs as plain options" }] }],
    },
  },
  {
    // The domain is the vocabulary both sides speak; it depends on nothing of either.
    files: ["src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.\\./", message: "src/domain/ imports nothing outside itself" }] }],
    },
  },
  {
    // Helpers both sides use (files, Redis, channels): they know no domain, app or runner.
    files: ["src/util/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.\\./", message: "src/util/ imports nothing outside itself" }] }],
    },
  },
  {
    // No import cycles between files. import-x skips `import type`; the test
    // (test/runner/runner-imports.test.ts) counts those too, and folder cycles.
    files: ["src/**/*.ts", "runner/**/*.ts"],
    plugins: { "import-x": importX },
    settings: {
      "import-x/extensions": [".ts", ".js"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [createTypeScriptImportResolver({ project: "tsconfig.json" })],
    },
    rules: { "import-x/no-cycle": ["error", { ignoreExternal: true }] },
  },
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } } },
);
