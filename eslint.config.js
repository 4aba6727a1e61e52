import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "coverage/", "runner/harness/", "examples/", "test/fixtures/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", URL: "readonly", setTimeout: "readonly", clearTimeout: "readonly", Buffer: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // The runner ships alone to Docker hosts: it may import the shared domain
    // and its own code, nothing else of the app (test/runner/runner-imports.test.ts
    // checks the whole import graph too).
    files: ["runner/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^(\\.\\./)+src/(?!domain/)", message: "runner/ imports only src/domain/ of the app: pass what it needs as plain options" }] }],
    },
  },
  {
    // The domain is the vocabulary both sides speak; it depends on nothing of either.
    files: ["src/domain/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", { patterns: [{ regex: "^\\.\\./", message: "src/domain/ imports nothing outside itself" }] }],
    },
  },
  { files: ["**/*.cjs"], languageOptions: { sourceType: "commonjs", globals: { module: "writable", require: "readonly" } } },
);
