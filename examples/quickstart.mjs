// ferrochat quickstart: two Chat instances on the embedded store (no server needed).
// Run from the repo root with `npm run demo`, or `node examples/quickstart.mjs` after a build.
import { Chat, User } from "ferrochat";

const log = (...args) => console.log(...args);
const step = (title) => log(`\n── ${title}`);
const nextTick = () => new Promise((resolve) => setTimeout(resolve, 0));

step("Two clients sign in (Chat.init creates each signed-in user)");
const admin = await Chat.init({ userId: "admin" });
const viewer = await Chat.init({ userId: "viewer" });
log("admin.currentUser  =", admin.currentUser);
log("viewer.currentUser =", viewer.currentUser);

step("admin creates support_agent_15");
await admin.deleteUser("support_agent_15"); // start clean: hard delete is idempotent
const agent = await admin.createUser("support_agent_15", {
  name: "Mike Kelly",
  email: "mike@example.com",
  custom: { team: "support" },
});
log("created:", agent);

step("viewer streams updates of that user, and of a list with it");
const seen = await viewer.getUser("support_agent_15");
const stopOne = seen.streamUpdates((user) =>
  log(`  [viewer] streamUpdates → name=${user.name} status=${user.status ?? "-"} custom=${JSON.stringify(user.custom)}`),
);
const stopList = User.streamUpdatesOn([seen, viewer.currentUser], (users) =>
  log(`  [viewer] streamUpdatesOn → [${users.map((u) => u.id).join(", ")}]`),
);

step("admin updates the user (custom is replaced as a whole)");
const updated = await agent.update({ custom: { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" } });
await nextTick();
log("update resolved:", JSON.stringify(updated));
log("the old snapshot is unchanged: agent.custom =", agent.custom);

step("admin soft-deletes the user (status becomes \"deleted\", data kept)");
const soft = await admin.deleteUser("support_agent_15", { soft: true });
await nextTick();
log("soft delete resolved a User with status:", soft.status, "and email:", soft.email);

step("admin hard-deletes the user");
log("hard delete resolved:", await soft.delete());
await nextTick();
log("viewer.getUser now resolves:", await viewer.getUser("support_agent_15"));
stopOne();
stopList();
stopOne(); // unsubscribing twice is harmless

step("Documented errors are Error objects with a code");
for (const attempt of [
  () => admin.updateUser("support_agent_15", { name: "Ghost" }),
  () => admin.deleteUser(""),
  () => admin.createUser("admin", { name: "Again" }),
]) {
  try {
    await attempt();
  } catch (e) {
    log(`  ${e.code}: ${e.message}`);
  }
}
try {
  User.streamUpdatesOn([], () => {});
} catch (e) {
  log(`  ${e.code}: ${e.message}`);
}

step("Listing with the filter language");
for (const [id, name] of [["ann", "Ann"], ["bob", "Bob"], ["bea", "Bea"]]) {
  await admin.deleteUser(id);
  await admin.createUser(id, { name, type: "demo" });
}
const { users, total } = await admin.getUsers({ filter: "type == 'demo' && name LIKE 'B*'", sort: { name: "asc" } });
log(`  ${total} match: ${users.map((u) => u.name).join(", ")}`);
log("\nDone.");
