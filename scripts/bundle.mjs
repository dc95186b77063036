// One wasm-bindgen glue directory (target/bindgen/{web,nodejs}) bundled into the single JS
// file a package entry loads: the glue, its snippets (js/user.js, js/transport.js), the
// classes finished (finishClasses) and, for Node, the node:http transport installed.
// scripts/build.mjs bundles pkg/'s files with it (minified, wasm names shortened);
// bench/lib/named.mjs a profiling build (names kept), so both run the same code.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(fileURLToPath(import.meta.url), "..", "..");

/** The one file called `name` under `dir`/snippets; throws when there is not exactly one. */
function snippet(dir, name) {
  const found = readdirSync(join(dir, "snippets"), { recursive: true }).filter((f) => f === name || f.endsWith(`/${name}`));
  if (found.length !== 1) throw new Error(`bundle: expected one snippets/**/${name} in ${dir}, found ${found.length}`);
  return join(dir, "snippets", found[0]);
}

/**
 * Bundles `dir`'s glue (`ferrochat.js`, first passed through `rewrite`) into `outfile`.
 * `format` "esm" (web: also re-exports the default init function) or "cjs" (Node: also
 * installs js/node-http.cjs as the transport; the web file never imports node:*).
 * `minify` shortens identifiers (property names and exports are kept; finishClasses names
 * `Chat` and `User` back).
 */
export function bundleGlue({ dir, outfile, format, minify, rewrite = (t) => t }) {
  const user = JSON.stringify(snippet(dir, "user.js"));
  // The Node glue is CommonJS (.cjs, as this repo's package.json says "module") and loads
  // its snippets with require(String.raw`…`), which esbuild does not follow: plain strings.
  let text = rewrite(readFileSync(join(dir, "ferrochat.js"), "utf8"));
  if (format === "cjs") text = text.replace(/require\(String\.raw`([^`]+)`\)/g, (_, p) => `require(${JSON.stringify(p)})`);
  const glue = format === "cjs" ? "./glue.cjs" : "./glue.js";
  writeFileSync(join(dir, glue), text);
  const lines = [
    // finishClasses (js/user.js): class names, `free()` / `[Symbol.dispose]` mean
    // `destroy()`, Node inspect.
    `import { Chat } from "${glue}";`,
    `import { finishClasses } from ${user};`,
    "finishClasses(Chat);",
    `export * from "${glue}";`,
    `export { User, ChatError } from ${user};`,
  ];
  if (format === "esm") lines.push(`export { default } from "${glue}";`);
  else {
    // Requests go over node:http (js/transport.js says why).
    lines.push(
      `import { setTransport } from ${JSON.stringify(snippet(dir, "transport.js"))};`,
      `import { nodeHttp } from ${JSON.stringify(join(root, "js", "node-http.cjs"))};`,
      "setTransport(nodeHttp);",
    );
  }
  const { buildSync } = createRequire(join(root, "package.json"))("esbuild");
  buildSync({
    stdin: { contents: lines.join("\n") + "\n", resolveDir: dir, sourcefile: "entry.js" },
    outfile,
    bundle: true,
    format,
    platform: format === "cjs" ? "node" : "neutral",
    minify,
    legalComments: "none",
    target: "es2022",
    logLevel: "warning",
  });
}
