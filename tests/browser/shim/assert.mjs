// node:assert/strict in the browser: the npm port of Node's assert, strict mode.
import assert from "assert";
export default assert.strict;
