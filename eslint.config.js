import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/", "**/build/", ".stack/", "hack/bench/results/"] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/restrict-template-expressions": ["error", { allowNumber: true }],
      "@typescript-eslint/no-non-null-assertion": "off",
    },
  },
  {
    // A date written into a test meets the clock some day, and the test breaks on that day: tests
    // build their times from the clock (tests/support/clock.ts). A format case that no clock can
    // make valid or invalid may disable the rule on its line, saying why.
    files: ["tests/**/*.ts", "packages/*/test/**/*.ts", "functions/*/test/**/*.ts", "hack/bench/**/*.ts"],
    rules: {
      "no-restricted-syntax": [
        "error",
        ...["Literal[value=/\\d{4}-\\d{2}-\\d{2}/]", "TemplateElement[value.raw=/\\d{4}-\\d{2}-\\d{2}/]"].map(
          (selector) => ({
            selector,
            message:
              "an absolute date in a test meets the clock on some day: use tests/support/clock.ts (fromNow, after)",
          }),
        ),
      ],
    },
  },
  {
    files: ["**/*.js", "**/*.mjs"],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
);
