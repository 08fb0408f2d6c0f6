import assert from "node:assert/strict";
import { helpText } from "./cli_help.ts";

Deno.test("helpText: usage, summary, aligned options with defaults, --help last", () => {
  const text = helpText("demo", "Does a demo.", {
    out: { type: "string", value: "DIR", help: "where" },
    n: { type: "string", help: "how many", default: "3" },
    quiet: { type: "boolean", help: "say less", default: false },
  });
  assert.equal(
    text,
    [
      "usage: deno task demo [options]",
      "",
      "Does a demo.",
      "",
      "options:",
      "  --out DIR  where",
      "  --n VALUE  how many (default 3)",
      "  --quiet    say less",
      "  --help     show this help",
    ].join("\n"),
  );
});
