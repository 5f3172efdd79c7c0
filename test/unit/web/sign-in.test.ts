// Where sign-in sends the user: back to the page that asked for it, and never off-site.
import { describe, expect, test } from "bun:test";
import { HOME_PATH, pathAfterSignIn, signInPath } from "../../../web/src/pages/SignIn/signInPath";

describe("the way to sign-in", () => {
  test("remembers the page to return to", () => {
    expect(signInPath("/audit?actor=alice")).toBe(`/login?next=${encodeURIComponent("/audit?actor=alice")}`);
  });

  test("leaves out the home page, where sign-in goes anyway", () => {
    expect(signInPath(HOME_PATH)).toBe("/login");
    expect(signInPath("/")).toBe("/login");
  });
});

describe("the way back", () => {
  test("returns to a page of this app", () => {
    expect(pathAfterSignIn("/users")).toBe("/users");
    expect(pathAfterSignIn("/data?prefix=a")).toBe("/data?prefix=a");
  });

  test("goes home instead of off-site or nowhere", () => {
    for (const next of [undefined, "", "https://evil.example", "//evil.example", "/\\evil.example", "data"]) {
      expect(pathAfterSignIn(next)).toBe(HOME_PATH);
    }
  });
});
