// ESLint flat config: typescript-eslint on all TypeScript, plus the architectural rule
// that only the host side (src/ outside src/core) may import `vscode` at run time.
import tseslint from "typescript-eslint";

const noRuntimeVscode = {
  "no-restricted-imports": [
    "error",
    {
      paths: [
        {
          name: "vscode",
          message:
            "src/core and webview must stay free of the vscode API (they run in Node, the browser and tests).",
          allowTypeImports: true,
        },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**", ".tools/**", "test-results/**", "**/*.mjs", "**/*.js"] },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
  {
    files: ["src/core/**/*.ts", "webview/**/*.ts", "src/protocol/**/*.ts", "src/cli.ts"],
    rules: noRuntimeVscode,
  },
);
