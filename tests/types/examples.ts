// Every sample of the two documented pages (seeds 000 "Delete users" and 004 "Manage user
// updates"), as written, type-checked against ferrochat's .d.ts (tsconfig.examples.json).
//
// Declared here because the pages use them without declaring them: `chat` (the page's Chat
// object) and `incidentChannel` (the page's streamUpdatesOn samples pass it next to
// agentUser). Each sample is in its own block so its `const user` does not clash with the
// next one. The `/* handle update callback */` placeholders of the "stop listening" samples
// are filled with a callback (the signature requires one); the comment is kept.

import { Chat, User } from "ferrochat";

declare const chat: Chat;
declare const incidentChannel: User;

// ---- 000: Delete users --------------------------------------------------------------------

// Method signature
async function signatures000(user: User) {
  const a: Promise<true | User> = user.delete({
    soft: true
  })
  const b: Promise<true | User> = chat.deleteUser(
    "support_agent_15",
    {
      soft: true
    }
  )
  return [a, b]
}

// Sample code: delete()
{
  // reference the "user" object
  const user = await chat.getUser("support_agent_15")
  // invoke the "delete()" method. By default, the "soft" parameter is set to "false" and can be skipped.
  await user.delete()
}

// Sample code: deleteUser()
{
  // reference the "chat" object and invoke the "deleteUser()" method. By default, the "soft" parameter is set to "false" and can be skipped.
  const user = await chat.deleteUser(
   "support_agent_15"
  )
}

// Other examples: delete({ soft: true })
{
  const user = await chat.getUser("support_agent_15")
  await user.delete(
   {
    soft: true
   }
  )
}

// Other examples: deleteUser(id, { soft: true })
{
  await chat.deleteUser(
   "support_agent_15",
   {
    soft: true
   }
  )
}

// ---- 004: Manage user updates -----------------------------------------------------------

// Method signature: update() / updateUser()
async function signatures004(user: User) {
  const a: Promise<User> = user.update({
    name: "name",
    externalId: "externalId",
    profileUrl: "profileUrl",
    email: "email",
    custom: { key: "value", n: 1, b: true },
    status: "status",
    type: "type"
  })
  const b: Promise<User> = chat.updateUser(
    "id",
    {
      name: "name",
      externalId: "externalId",
      profileUrl: "profileUrl",
      email: "email",
      custom: { key: "value" },
      status: "status",
      type: "type"
    })
  return [a, b]
}

// Basic usage: update()
{
  // reference the "user" object
  const user = await chat.getUser("support_agent_15")
  // invoke the "update()" method on the "user" object
  await user.update(
  {
  custom: {
  linkedInUrl: "https://www.linkedin.com/mkelly_vp2"
  }
  }
  )
}

// Basic usage: updateUser()
{
  // reference the "chat" object and invoke the "updateUser()" method
  const user = await chat.updateUser(
  "support_agent_15",
  {
  custom: {
  linkedInUrl: "https://www.linkedin.com/mkelly_vp2"
  }
  }
  )
}

// Method signature: streamUpdates() / streamUpdatesOn()
function signaturesStream(user: User, users: User[]) {
  const stop1: () => void = user.streamUpdates(
    (user: User) => { return user.id }
  )
  const stop2: () => void = User.streamUpdatesOn(
    users,
    (users: User[]) => { return users.length }
  )
  return [stop1, stop2]
}

// Basic usage: streamUpdates()
{
  const user = await chat.getUser("support_agent_15")
  user.streamUpdates((user) => {
  console.log("Updated user: ", user)
  })
}

// Basic usage: streamUpdatesOn()
{
  const agentUser = await chat.getUser("support_agent_15")
  const managerUser = await chat.getUser("support-manager")
  User.streamUpdatesOn([agentUser, incidentChannel], (users) => {
  console.log("Updated users: ", users)
  })
}

// Other examples: stop listening, streamUpdates()
{
  const user = await chat.getUser("support_agent_15")
  const stopUpdates = user.streamUpdates((user) => { void user.name } /* handle update callback */)
  // after some time...
  stopUpdates()
}

// Other examples: stop listening, streamUpdatesOn()
{
  const agentUser = await chat.getUser("support_agent_15")
  const managerUser = await chat.getUser("support-manager")
  const stopUpdates = User.streamUpdatesOn([agentUser, incidentChannel], (users) => { void users.length } /* handle update callback */)
  // after some time...
  stopUpdates()
}

export { signatures000, signatures004, signaturesStream };
