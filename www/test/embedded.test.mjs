// The page on the embedded store: no ferrochat-server anywhere, everything in one tab.
// Also checks the static server (MIME types, no path traversal).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { startWww, launchBrowser, openPage, row, createUser, shot } from "./helpers.mjs";

let www;
let browser;

before(async () => {
  www = await startWww();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await www?.close();
});

test("serve.mjs: index, .wasm as application/wasm, JS and CSS types, 404, no traversal", async () => {
  const types = {
    "/": "text/html",
    "/app.js": "text/javascript",
    "/style.css": "text/css",
    "/vendor/ferrochat/browser.js": "text/javascript",
    "/vendor/ferrochat/ferrochat_bg.wasm": "application/wasm",
    "/avatars/fox.svg": "image/svg+xml",
  };
  for (const [p, type] of Object.entries(types)) {
    const res = await fetch(www.url + p);
    assert.equal(res.status, 200, p);
    assert.ok(res.headers.get("content-type").startsWith(type), `${p}: ${res.headers.get("content-type")}`);
    await res.arrayBuffer();
  }
  assert.equal((await fetch(www.url + "/nope.js")).status, 404);
  const raw = (p) => new Promise((resolve, reject) =>
    http.get({ host: "127.0.0.1", port: www.port, path: p }, (res) => { res.resume(); resolve(res.statusCode); }).on("error", reject));
  assert.equal(await raw("/..%2fpackage.json"), 403, "no way out of dist/");
  assert.equal(await raw("/../package.json"), 404, "dot segments are resolved inside dist/");
});

test("embedded store: create, edit, soft delete, restore, hard delete, in one tab with no server", async () => {
  const { page, context, problems, requests } = await openPage(browser, `${www.url}/?user=admin-solo`);
  try {
    await assert.doesNotReject(page.getByText("Embedded store in this tab").waitFor());
    assert.equal(await page.locator("#me").textContent(), "admin-solo");
    await row(page, "admin-solo").waitFor(); // Chat.init created the signed-in user

    await createUser(page, "emb-1", { Name: "Embedded One", Email: "one@example.com" });
    const r = row(page, "emb-1");
    assert.match(await r.textContent(), /Embedded One.*one@example\.com/s);

    // edit: type, status and a custom field
    await r.getByRole("button", { name: "Edit Embedded One" }).click();
    const dlg = page.locator("#editor");
    await dlg.getByLabel("Name", { exact: true }).fill("Embedded Uno");
    await dlg.getByLabel("Type", { exact: true }).fill("moderator");
    await dlg.getByRole("button", { name: "Add field" }).click();
    await dlg.getByLabel("Custom field key").last().fill("floor");
    await dlg.getByLabel("Type of floor").selectOption("number");
    await dlg.getByLabel("Value of floor").fill("4");
    await dlg.getByRole("button", { name: "Save changes" }).click();
    await dlg.waitFor({ state: "hidden" });
    await r.getByText("Embedded Uno").waitFor();
    assert.match(await r.textContent(), /moderator/);
    assert.match(await r.locator(".line3").textContent(), /floor\s*4/);
    const stored = await page.evaluate(async () => (await window.chat.getUser("emb-1")).toJSON());
    assert.deepEqual(stored.custom, { floor: 4 }, "a number custom value is stored as a number");
    assert.equal(stored.type, "moderator");

    // soft delete, restore
    await r.getByRole("button", { name: "Soft delete Embedded Uno" }).click();
    await page.locator('#users li.deleted[data-id="emb-1"]').waitFor();
    await page.screenshot({ path: shot("embedded-soft-deleted.png"), fullPage: true });
    await r.getByRole("button", { name: "Restore Embedded Uno" }).click();
    await page.locator('#users li[data-id="emb-1"]:not(.deleted)').waitFor();

    // hard delete (confirmed)
    await r.getByRole("button", { name: "Delete Embedded Uno permanently" }).click();
    await page.getByRole("button", { name: "Delete permanently" }).click();
    await r.waitFor({ state: "detached" });
    assert.equal(await page.evaluate(async () => await window.chat.getUser("emb-1")), null);
    await page.screenshot({ path: shot("embedded.png"), fullPage: true });

    const foreign = requests.filter((u) => !u.startsWith(www.url) && !u.startsWith("data:"));
    assert.deepEqual(foreign, [], "the embedded page talks to no server");
    assert.deepEqual(problems, [], "no page or console errors");
  } finally {
    await context.close();
  }
});
