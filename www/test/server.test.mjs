// Two pages on one ferrochat-server (started here from its binary, stopped by PID):
// changes made in one appear in the other; soft delete / restore; hard delete with
// confirmation; inline errors; filter and paging; keyboard use; phone width.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startFerrochatServer, startWww, launchBrowser, openPage, row, createUser, shot } from "./helpers.mjs";

let srv;
let www;
let browser;
let A; // { page, context, problems, failed }
let B;

// The SDK GETs a user before creating it (and Chat.init GETs the signed-in user), so a
// missing user is a 404 the browser logs as "Failed to load resource". Those are expected.
function unexpected(p) {
  const fourOhFours = p.failed.filter((f) => /^404 GET .*\/v2\/objects\/[^/]+\/uuids\/[^/?]+\?/.test(f));
  const other = p.failed.filter((f) => !fourOhFours.includes(f));
  const errors = p.problems.filter((e) => !/Failed to load resource: the server responded with a status of 404/.test(e));
  return [...other, ...errors];
}

before(async () => {
  srv = await startFerrochatServer();
  www = await startWww();
  browser = await launchBrowser();
  A = await openPage(browser, `${www.url}/?origin=${srv.origin}&user=admin-a`);
  B = await openPage(browser, `${www.url}/?origin=${srv.origin}&user=admin-b`);
});

after(async () => {
  await browser?.close();
  await www?.close();
  await srv?.stop();
});

/** Waits until `fn` (in the page) is truthy; resolves the elapsed ms. */
async function within(page, ms, fn, arg) {
  const t0 = Date.now();
  await page.waitForFunction(fn, arg, { timeout: ms, polling: 25 });
  return Date.now() - t0;
}

test("both pages talk to the server", async () => {
  for (const p of [A, B]) {
    assert.match(await p.page.locator("#backend").textContent(), new RegExp(`ferrochat-server at ${srv.origin}`));
    assert.ok(p.requests.some((u) => u.startsWith(`http://${srv.origin}/v2/`)), "requests go to ferrochat-server");
  }
  // each page sees the other's signed-in user (created by Chat.init) after a re-list
  await row(A.page, "admin-b").waitFor({ timeout: 5000 });
  await row(B.page, "admin-a").waitFor({ timeout: 5000 });
});

test("created in one page, it appears in the other; an edit shows there within a second", async () => {
  await createUser(A.page, "t-alice", { Name: "Alice Test", Email: "alice@example.com" });
  const appeared = await within(B.page, 5000, () => document.querySelector('#users li[data-id="t-alice"]'));
  console.log(`creation seen by the other page after ${appeared} ms (periodic re-list)`);

  const r = row(A.page, "t-alice");
  await r.getByRole("button", { name: "Edit Alice Test" }).click();
  const dlg = A.page.locator("#editor");
  await dlg.getByLabel("Name", { exact: true }).fill("Alice Edited");
  await dlg.getByLabel("External ID").fill("emp-42");
  await dlg.getByLabel("Profile picture URL").fill(`${www.url}/avatars/fox.svg`);
  await dlg.getByLabel("Status", { exact: true }).fill("active");
  await dlg.getByLabel("Type", { exact: true }).fill("admin");
  for (const [key, type, value] of [["team", "string", "support"], ["level", "number", "3"], ["vip", "boolean", "true"]]) {
    await dlg.getByRole("button", { name: "Add field" }).click();
    await dlg.getByLabel("Custom field key").last().fill(key);
    await dlg.getByLabel(`Type of ${key}`).selectOption(type);
    if (type === "boolean") await dlg.getByLabel(`Value of ${key}`).selectOption(value);
    else await dlg.getByLabel(`Value of ${key}`).fill(value);
  }
  await A.page.waitForFunction(() => document.querySelector("#preview img")?.naturalWidth > 0);
  await A.page.screenshot({ path: shot("server-editor.png") });
  await dlg.getByRole("button", { name: "Save changes" }).click();
  await dlg.waitFor({ state: "hidden" });
  const seen = await within(B.page, 3000, () =>
    document.querySelector('#users li[data-id="t-alice"] .name')?.textContent === "Alice Edited");
  console.log(`edit seen by the other page after ${seen} ms (streamUpdatesOn)`);
  assert.ok(seen < 1000, `the edit reached the other page within a second (${seen} ms)`);

  const rb = row(B.page, "t-alice");
  const text = await rb.textContent();
  for (const s of ["alice@example.com", "emp-42", "admin", "active", "support", "level", "vip"]) assert.ok(text.includes(s), `${s} in ${text}`);
  await B.page.waitForFunction(() => document.querySelector('#users li[data-id="t-alice"] .avatar img')?.naturalWidth > 0);
  const stored = await B.page.evaluate(async () => (await window.chat.getUser("t-alice")).toJSON());
  assert.deepEqual(stored.custom, { team: "support", level: 3, vip: true }, "custom values keep their types");
  await A.page.screenshot({ path: shot("server-page-a.png"), fullPage: true });
  await B.page.screenshot({ path: shot("server-page-b.png"), fullPage: true });
});

test("an edit in the other page updates an open editor that has no local changes", async () => {
  await row(B.page, "t-alice").getByRole("button", { name: "Edit Alice Edited" }).click();
  await A.page.evaluate(() => window.chat.updateUser("t-alice", { email: "alice@new.example.com" }));
  const dlg = B.page.locator("#editor");
  await within(B.page, 3000, () => document.querySelector("#f-email").value === "alice@new.example.com");
  assert.match(await dlg.locator("#editor-notice").textContent(), /Updated by another client/);
  await B.page.keyboard.press("Escape");
  await dlg.waitFor({ state: "hidden" });
});

test("soft delete in one page shows greyed with Restore in the other; restore there", async () => {
  await row(A.page, "t-alice").getByRole("button", { name: "Soft delete Alice Edited" }).click();
  const seen = await within(B.page, 3000, () => document.querySelector('#users li.deleted[data-id="t-alice"]'));
  console.log(`soft delete seen after ${seen} ms`);
  const rb = row(B.page, "t-alice");
  assert.match(await rb.locator(".chip.status").textContent(), /deleted/);
  const opacity = await rb.locator(".avatar").evaluate((el) => getComputedStyle(el).opacity);
  assert.ok(Number(opacity) < 1, "the soft-deleted user is greyed out");
  await B.page.screenshot({ path: shot("server-soft-deleted.png"), fullPage: true });

  await rb.getByRole("button", { name: "Restore Alice Edited" }).click();
  await within(A.page, 3000, () => {
    const li = document.querySelector('#users li[data-id="t-alice"]');
    return li && !li.classList.contains("deleted") && li.querySelector('[data-action="soft"]');
  });
  assert.equal(await row(A.page, "t-alice").locator(".chip.s-deleted").count(), 0);
});

test("invalid edits show the SDK's error inline, next to the field", async () => {
  const { page } = A;
  await row(page, "t-alice").getByRole("button", { name: "Edit Alice Edited" }).click();
  const dlg = page.locator("#editor");
  const name = dlg.getByLabel("Name", { exact: true });
  await name.fill("   ");
  await dlg.getByRole("button", { name: "Save changes" }).click();
  const err = dlg.locator("#err-name");
  await err.waitFor();
  // A person's sentence, not a raw code.
  assert.equal(await err.textContent(), "Name must not be empty or only whitespace.");
  assert.equal(await name.getAttribute("aria-invalid"), "true");
  assert.equal(await name.evaluate((el) => el === document.activeElement), true, "focus moves to the field");
  assert.ok(await dlg.isVisible(), "the editor stays open");
  await page.screenshot({ path: shot("server-error-name.png") });

  // a custom number that is not a number: the error goes to that row
  await name.fill("Alice Edited");
  await dlg.getByLabel("Value of level").fill("lots");
  await dlg.getByRole("button", { name: "Save changes" }).click();
  const rowErr = dlg.locator(".custom-row", { has: page.getByLabel("Value of level") }).locator(".field-error");
  await page.waitForFunction(() => [...document.querySelectorAll(".custom-row .field-error")].some((p) => p.textContent));
  assert.match(await rowErr.textContent(), /^Custom\.level must be a finite number/);

  // status too long
  await dlg.getByLabel("Value of level").fill("3");
  await dlg.getByLabel("Status", { exact: true }).fill("x".repeat(51));
  await dlg.getByRole("button", { name: "Save changes" }).click();
  await dlg.locator("#err-status").waitFor();
  assert.match(await dlg.locator("#err-status").textContent(), /^Status must be at most 50 characters/);
  await page.screenshot({ path: shot("server-error-status.png") });
  await dlg.getByRole("button", { name: "Cancel" }).click();
  await dlg.waitFor({ state: "hidden" });
  const stored = await page.evaluate(async () => (await window.chat.getUser("t-alice")).toJSON());
  assert.equal(stored.name, "Alice Edited", "nothing was saved");

  // create with an id that exists
  await page.getByRole("button", { name: "New user" }).click();
  await dlg.getByLabel("User ID").fill("t-alice");
  await dlg.getByLabel("Name", { exact: true }).fill("Another Alice");
  await dlg.getByRole("button", { name: "Create user" }).click();
  await dlg.locator("#err-id").waitFor();
  assert.equal(await dlg.locator("#err-id").textContent(), "A user with this ID already exists: choose another ID.");
  await dlg.getByLabel("User ID").fill("bad/id");
  await dlg.getByRole("button", { name: "Create user" }).click();
  await page.waitForFunction(() => /must not contain/.test(document.querySelector("#err-id").textContent));
  await page.keyboard.press("Escape");
  await dlg.waitFor({ state: "hidden" });

  // a malformed filter
  await page.getByLabel("Filter", { exact: true }).fill("name LIKE");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.locator("#filter-error").getByText(/Invalid filter at position 10/).waitFor();
  await page.screenshot({ path: shot("server-error-filter.png") });
  await page.getByRole("button", { name: "Clear" }).click();
  await page.waitForFunction(() => !document.querySelector("#filter-error").textContent);
});

test("filter language and paging", async () => {
  const { page } = A;
  await page.evaluate(async () => {
    for (let i = 0; i < 7; i++) {
      await window.chat.createUser(`pg-${i}`, { name: `Pat ${i}`, status: i === 3 ? "inactive" : "active", custom: { n: i } });
    }
  });
  await page.getByLabel("Filter", { exact: true }).fill("name LIKE 'Pat*' && status == 'active'");
  await page.getByLabel("Per page").selectOption("5");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("6 users match").waitFor();
  assert.equal(await page.locator("#page-info").textContent(), "1–5 of 6");
  assert.deepEqual(await page.locator("#users li").evaluateAll((lis) => lis.map((li) => li.dataset.id)),
    ["pg-0", "pg-1", "pg-2", "pg-4", "pg-5"]);
  await page.screenshot({ path: shot("server-filter-page1.png"), fullPage: true });
  await page.getByRole("button", { name: "Next →" }).click();
  await page.waitForFunction(() => document.querySelector("#page-info").textContent === "6–6 of 6");
  assert.deepEqual(await page.locator("#users li").evaluateAll((lis) => lis.map((li) => li.dataset.id)), ["pg-6"]);
  assert.ok(await page.getByRole("button", { name: "Next →" }).isDisabled());
  await page.getByRole("button", { name: "← Previous" }).click();
  await page.waitForFunction(() => document.querySelector("#page-info").textContent === "1–5 of 6");
  await page.getByLabel("Sort by").selectOption("name:desc");
  await page.waitForFunction(() => document.querySelector("#users li")?.dataset.id === "pg-6");
  await page.getByLabel("Filter", { exact: true }).fill("custom.n >= 5");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.getByText("2 users match").waitFor();
  await page.getByRole("button", { name: "Clear" }).click();
  await page.getByLabel("Per page").selectOption("20");
  await page.getByLabel("Sort by").selectOption("name:asc");
  await page.waitForFunction(() => !document.querySelector("#filter").value && document.querySelectorAll("#users li").length > 7);
});

test("hard delete asks first; Cancel keeps the user, confirming removes it everywhere", async () => {
  const { page } = A;
  await createUser(page, "t-bob", { Name: "Bob Gone" });
  await row(B.page, "t-bob").waitFor({ timeout: 5000 });
  const del = row(page, "t-bob").getByRole("button", { name: "Delete Bob Gone permanently" });
  await del.click();
  const confirm = page.getByRole("dialog", { name: "Delete user permanently?" });
  await confirm.waitFor();
  assert.match(await confirm.textContent(), /Bob Gone \(t-bob\).*cannot be undone/s);
  await page.screenshot({ path: shot("server-confirm.png") });
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await confirm.waitFor({ state: "hidden" });
  assert.equal(await row(page, "t-bob").count(), 1, "cancel keeps the user");
  await del.click();
  await confirm.getByRole("button", { name: "Delete permanently" }).click();
  await row(page, "t-bob").waitFor({ state: "detached" });
  const gone = await within(B.page, 3000, () => !document.querySelector('#users li[data-id="t-bob"]'));
  console.log(`hard delete seen by the other page after ${gone} ms`);
  assert.equal(await page.evaluate(() => window.chat.getUser("t-bob")), null);
});

test("keyboard: Enter opens the editor, Enter saves, Escape cancels, focus comes back", async () => {
  const { page } = A;
  const edit = row(page, "pg-0").getByRole("button", { name: "Edit Pat 0" });
  await edit.focus();
  await page.keyboard.press("Enter");
  const dlg = page.locator("#editor");
  await dlg.waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-name");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("Pat Zero");
  await page.keyboard.press("Enter");
  await dlg.waitFor({ state: "hidden" });
  await row(page, "pg-0").getByText("Pat Zero").waitFor();
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Edit Pat Zero");
  await page.keyboard.press("Enter");
  await dlg.waitFor();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "f-email");
  await page.keyboard.press("Escape");
  await dlg.waitFor({ state: "hidden" });
  await page.waitForFunction(() => document.activeElement?.getAttribute("aria-label") === "Edit Pat Zero");
});

test("phone width (375 px): no horizontal scrolling; list and editor fit", async () => {
  const { page } = B;
  await page.setViewportSize({ width: 375, height: 812 });
  await page.waitForTimeout(300);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok((await overflow()) <= 375, `page is ${await overflow()} px wide`);
  await page.screenshot({ path: shot("phone-list.png"), fullPage: true });
  await row(page, "t-alice").getByRole("button", { name: "Edit Alice Edited" }).click();
  const dlg = page.locator("#editor");
  await dlg.waitFor();
  const box = await dlg.boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= 375, `editor fits: ${JSON.stringify(box)}`);
  const formOverflow = await page.evaluate(() => {
    const body = document.querySelector(".dialog-body");
    return body.scrollWidth - body.clientWidth;
  });
  assert.ok(formOverflow <= 0, `the editor does not scroll sideways (${formOverflow})`);
  await page.screenshot({ path: shot("phone-editor.png") });
  await dlg.locator("fieldset.custom").scrollIntoViewIfNeeded();
  await page.screenshot({ path: shot("phone-editor-custom.png") });
  await dlg.getByLabel("Name", { exact: true }).fill("");
  await dlg.getByRole("button", { name: "Save changes" }).click();
  await dlg.locator("#err-name").waitFor();
  await page.screenshot({ path: shot("phone-editor-error.png") });
  await dlg.getByRole("button", { name: "Cancel" }).click();
  await page.setViewportSize({ width: 1200, height: 860 });
});

test("no unexpected errors in either page", () => {
  assert.deepEqual(unexpected(A), [], "page A");
  assert.deepEqual(unexpected(B), [], "page B");
});
