// The documented TypeScript signatures of ferrochat (design.md "JS API"), checked under full
// `strict`: exact type equality for the signatures the pages document, assignability for the
// rest, `@ts-expect-error` for misuse, and the pages' samples with the null checks that
// `Promise<User | null>` requires under strictNullChecks.

import { Chat, User } from "ferrochat";

// ---- tools ---------------------------------------------------------------------------------
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type Assignable<From, To> = [From] extends [To] ? true : false;

declare const chat: Chat;
declare const user: User;
declare const incidentChannel: User;

// ---- exact documented signatures -------------------------------------------------------------
export type Checks = [
  Expect<Equal<ReturnType<typeof Chat.init>, Promise<Chat>>>,
  Expect<Equal<ReturnType<Chat["getUser"]>, Promise<User | null>>>,
  Expect<Equal<Parameters<Chat["getUser"]>, [id: string]>>,
  Expect<Equal<ReturnType<Chat["createUser"]>, Promise<User>>>,
  Expect<Equal<ReturnType<Chat["updateUser"]>, Promise<User>>>,
  Expect<Equal<ReturnType<Chat["deleteUser"]>, Promise<true | User>>>,
  Expect<Equal<ReturnType<User["update"]>, Promise<User>>>,
  Expect<Equal<ReturnType<User["delete"]>, Promise<true | User>>>,
  Expect<Equal<Parameters<User["streamUpdates"]>, [callback: (user: User) => unknown]>>,
  Expect<Equal<ReturnType<User["streamUpdates"]>, () => void>>,
  Expect<Equal<Parameters<typeof User.streamUpdatesOn>, [users: User[], callback: (users: User[]) => unknown]>>,
  Expect<Equal<ReturnType<typeof User.streamUpdatesOn>, () => void>>,
  // readonly getters
  Expect<Equal<User["id"], string>>,
  Expect<Equal<User["name"], string | undefined>>,
  Expect<Equal<User["externalId"], string | undefined>>,
  Expect<Equal<User["profileUrl"], string | undefined>>,
  Expect<Equal<User["email"], string | undefined>>,
  Expect<Equal<User["status"], string | undefined>>,
  Expect<Equal<User["type"], string | undefined>>,
  Expect<Equal<User["updated"], string | undefined>>,
  Expect<Equal<User["lastActiveTimestamp"], number | undefined>>,
  Expect<Equal<User["active"], boolean>>,
  Expect<Assignable<User["custom"], { [key: string]: string | number | boolean } | undefined>>,
  Expect<Assignable<{ [key: string]: string | number | boolean } | undefined, User["custom"]>>,
  Expect<Equal<Chat["currentUser"], User>>,
];

// ---- deleteUser / delete options -----------------------------------------------------------
export type OptionChecks = [
  Expect<Assignable<[string], Parameters<Chat["deleteUser"]>>>,
  Expect<Assignable<[string, { soft: true }], Parameters<Chat["deleteUser"]>>>,
  Expect<Assignable<[string, {}], Parameters<Chat["deleteUser"]>>>,
  Expect<Assignable<[], Parameters<User["delete"]>>>,
  Expect<Assignable<[{ soft?: boolean }], Parameters<User["delete"]>>>,
];

// ---- getUsers result shape ------------------------------------------------------------------
type GetUsersResult = Awaited<ReturnType<Chat["getUsers"]>>;
export type GetUsersChecks = [
  Expect<Equal<GetUsersResult["users"], User[]>>,
  Expect<Assignable<GetUsersResult["page"], { next?: string; prev?: string }>>,
  Expect<Assignable<GetUsersResult["page"]["next"], string | undefined>>,
  Expect<Assignable<GetUsersResult["page"]["prev"], string | undefined>>,
  Expect<Assignable<GetUsersResult["total"], number | undefined>>,
  Expect<Assignable<[], Parameters<Chat["getUsers"]>>>,
  Expect<
    Assignable<
      [{ filter: string; sort: { name: "asc"; updated: null; id: "desc" }; limit: number; page: { next: string } }],
      Parameters<Chat["getUsers"]>
    >
  >,
  Expect<Assignable<[{ page: { prev: string } }], Parameters<Chat["getUsers"]>>>,
];

// ---- usage under strict ---------------------------------------------------------------------
export async function usage(): Promise<void> {
  const c: Chat = await Chat.init({ userId: "me" });
  await Chat.init({
    userId: "me",
    publishKey: "demo",
    subscribeKey: "demo",
    origin: "127.0.0.1:8090",
    ssl: false,
  });
  const me: User = c.currentUser;
  const maybe: User | null = await c.getUser("support_agent_15");
  const created: User = await c.createUser("support_agent_15", {
    name: "Mike",
    externalId: "e",
    profileUrl: "p",
    email: "m@example.com",
    custom: { a: "b", n: 1, f: false },
    status: "active",
    type: "support-agent",
  });
  const updated: User = await created.update({ name: "Mike Kelly" });
  const r: true | User = await c.deleteUser(updated.id, { soft: true });
  if (r !== true) {
    const s: string | undefined = r.status;
    void s;
  }
  const page = await c.getUsers({ filter: "name LIKE 'M*'", sort: { name: "desc", updated: null }, limit: 10 });
  for (const u of page.users) void u.name;
  if (page.page.next) await c.getUsers({ page: { next: page.page.next } });
  if (page.page.prev) await c.getUsers({ page: { prev: page.page.prev } });
  const n: number | undefined = page.total;
  const stop: () => void = me.streamUpdates((u) => {
    const id: string = u.id;
    return id;
  });
  stop();
  const stopAll = User.streamUpdatesOn([me, created], (users) => {
    const first: User | undefined = users[0];
    return first;
  });
  stopAll();
  const plain = JSON.stringify(me);
  void [maybe, n, plain];
}

// The samples of seed 004 / 000 under strict: the same code with the null checks added.
export async function samplesStrict(): Promise<void> {
  {
    const user = await chat.getUser("support_agent_15");
    if (user) await user.delete();
  }
  {
    const user = await chat.getUser("support_agent_15");
    await user?.delete({ soft: true });
  }
  {
    const user = await chat.getUser("support_agent_15");
    await user!.update({ custom: { linkedInUrl: "https://www.linkedin.com/mkelly_vp2" } });
  }
  {
    const user = await chat.getUser("support_agent_15");
    user?.streamUpdates((user) => {
      console.log("Updated user: ", user);
    });
  }
  {
    const agentUser = await chat.getUser("support_agent_15");
    const managerUser = await chat.getUser("support-manager");
    if (agentUser && managerUser) {
      const stopUpdates = User.streamUpdatesOn([agentUser, incidentChannel, managerUser], (users) => {
        console.log("Updated users: ", users);
      });
      stopUpdates();
    }
  }
}

// ---- misuse must not compile ---------------------------------------------------------------
export async function misuse(): Promise<void> {
  // @ts-expect-error an id is a string
  await chat.getUser(42);
  // @ts-expect-error the callback is required
  user.streamUpdates();
  // @ts-expect-error streamUpdatesOn takes an array of User
  User.streamUpdatesOn("support_agent_15", () => {});
  // @ts-expect-error a list of ids is not a list of Users
  User.streamUpdatesOn(["support_agent_15"], () => {});
  // @ts-expect-error name is a string
  await chat.updateUser("support_agent_15", { name: 5 });
  // @ts-expect-error soft is a boolean
  await chat.deleteUser("support_agent_15", { soft: "yes" });
  // @ts-expect-error custom values are scalars only
  await chat.updateUser("support_agent_15", { custom: { nested: { a: 1 } } });
  // @ts-expect-error data does not take an id
  await chat.createUser("support_agent_15", { id: "other" });
  // @ts-expect-error userId is required
  await Chat.init({});
  // @ts-expect-error getUser may resolve null: strict code must check before use
  (await chat.getUser("support_agent_15")).delete();
  // @ts-expect-error sort directions are "asc" | "desc" | null
  await chat.getUsers({ sort: { name: "up" } });
  // @ts-expect-error limit is a number
  await chat.getUsers({ limit: "10" });
  // @ts-expect-error the fields are readonly
  user.name = "x";
  // @ts-expect-error static method, not an instance method
  user.streamUpdatesOn([user], () => {});
}
