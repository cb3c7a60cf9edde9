// ESLint flat config: typescript-eslint on all TypeScript, plus the architectural rule
// that only the host side (src/ outside src/core) may import `vscode` at run time, and that the
// webview imports no Node-only runtime code.
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
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      ".tools/**",
      "test-results/**",
      "**/*.mjs",
      "**/*.js",
      "src/core/formats/tflite/generated/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
      "@typescript-eslint/consistent-type-imports": "error",
      // Prettier wraps code at 110; comments are ours to wrap. Long strings stay whole (searchable).
      "max-len": [
        "error",
        {
          code: 110,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
        },
      ],
    },
  },
  {
    files: ["src/core/**/*.ts", "src/protocol/**/*.ts", "src/cli.ts"],
    rules: noRuntimeVscode,
  },
  {
    // The op table is what the analysis walks: ops/ must not import analysis/ (the receptive-field
    // algebra both use lives in fields/), so the module graph has no ops ↔ analysis cycle.
    files: ["src/core/ops/**/*.ts", "src/core/fields/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: noRuntimeVscode["no-restricted-imports"][1].paths,
          patterns: [
            {
              group: ["**/analysis/*"],
              message:
                "ops/ and fields/ must not import analysis/ (receptive-field algebra: src/core/fields/).",
            },
          ],
        },
      ],
    },
  },
  {
    // The webview runs in a browser: of src/runtime only shared/ (no Node imports) is for it.
    files: ["webview/**/*.ts"],
    rules: {
      "no-restricted-imports": [
        "error",
        {
          paths: noRuntimeVscode["no-restricted-imports"][1].paths,
          patterns: [
            {
              group: ["**/src/runtime/*", "!**/src/runtime/shared"],
              message: "src/runtime is Node-only; the webview may import src/runtime/shared/ only.",
            },
          ],
        },
      ],
    },
  },
);
