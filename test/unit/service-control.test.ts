// How `outpost install` reads systemd's word on whether the service it started has ended, so that a
// build that crashes is rolled back at once instead of after the ready timeout.
import { describe, expect, test } from "bun:test";
import { systemdStateMeansExited } from "../../server/install/service-control";

describe("systemctl show, read for an ended service", () => {
  test.each([
    ["ActiveState=active\nSubState=running\n", false],
    ["ActiveState=activating\nSubState=start\n", false],
    // Restart=on-failure: a crash waits to be restarted, which systemd calls activating.
    ["ActiveState=activating\nSubState=auto-restart\n", true],
    ["ActiveState=failed\nSubState=failed\n", true],
    ["ActiveState=inactive\nSubState=dead\n", true],
    // The order of the properties is systemd's, not the command's.
    ["SubState=auto-restart\nActiveState=activating\n", true],
    // systemctl answered nothing: not taken as an end; the wait lasts until its timeout.
    ["", false],
  ])("%j ended: %p", (show, ended) => {
    expect(systemdStateMeansExited(show)).toBe(ended);
  });
});
