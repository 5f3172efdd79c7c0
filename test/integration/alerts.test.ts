// Alerts as users meet them: rules fire only once a value has stayed past a level for the rule's
// duration, escalate, are acknowledged and resolve only back past the hysteresis, and stay as
// history; the default rules watch each disk and a Pi's power supply; webhooks on a real local
// HTTP server receive each change, are retried after a failure, and every attempt is recorded.
// Samples are synthetic, fed to the real evaluator on a manual clock.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createManualClock } from "../../server/clock";
import { startTestApp, type TestApp } from "../harness/app";
import { codes, type GraphqlClient, waitUntil } from "../harness/client";
import { type SyntheticSample, syntheticSample } from "../harness/metrics-sample";

const CREATE_RULE = `mutation ($input: AlertRuleInput!) {
  createAlertRule(input: $input) { id name series comparison warning critical forSeconds hysteresis enabled }
}`;
const ALERTS = `query ($state: AlertState) {
  alerts(state: $state, first: 200) { nodes { id ruleName series severity state value threshold firedAt acknowledgedBy resolvedAt } }
}`;
const EVENTS = "subscription { alertEvents { kind alert { id series severity state value } } }";
const ACK = "mutation ($id: ID!) { acknowledgeAlert(id: $id) { id state acknowledgedBy acknowledgedAt } }";

interface Alert {
  id: string;
  ruleName: string;
  series: string;
  severity: string;
  state: string;
  value: number;
  threshold: number;
  firedAt: string;
  acknowledgedBy: string | null;
  resolvedAt: string | null;
}

const clock = createManualClock(Date.UTC(2026, 5, 1));
let server: TestApp;
let operator: GraphqlClient;
let viewer: GraphqlClient;
beforeAll(async () => {
  // Real samples only once an hour: the synthetic ones are all the rules see.
  server = await startTestApp({ clock, config: { metricsIntervalSeconds: 3600, alertsWebhookTimeoutSeconds: 1 } });
  operator = await server.userWithRole("operator");
  viewer = await server.userWithRole("viewer");
});
afterAll(() => server.stop());

/** Feeds one synthetic sample taken now to the alert rules and waits until they have judged it. */
const feed = (values: Omit<SyntheticSample, "atMs">) =>
  server.app.services.alerts.evaluate(syntheticSample({ atMs: clock.now(), ...values }));

const alertsOf = async (client: GraphqlClient, series: string, state?: string) =>
  (await client.data<{ alerts: { nodes: Alert[] } }>(ALERTS, { state })).alerts.nodes.filter((a) => a.series === series);

describe("a rule on load", () => {
  let ruleId: string;
  beforeAll(async () => {
    const created = await operator.data<{ createAlertRule: { id: string; enabled: boolean } }>(CREATE_RULE, {
      input: { name: "Load high", series: "load.1", comparison: "ABOVE", warning: 2, critical: 4, forSeconds: 60, hysteresis: 0.5 },
    });
    ruleId = created.createAlertRule.id;
    expect(created.createAlertRule.enabled).toBe(true);
  });

  test("a spike shorter than the rule's duration fires nothing", async () => {
    await feed({ load1: 3 });
    await clock.advance(50_000);
    await feed({ load1: 3 });
    await clock.advance(10_000);
    await feed({ load1: 1 });
    await clock.advance(30_000);
    await feed({ load1: 3 });
    await clock.advance(30_000);
    await feed({ load1: 3 });
    expect(await alertsOf(viewer, "load.1")).toEqual([]);
  });

  test("fires after its duration, escalates, is acknowledged, and resolves only past the hysteresis", async () => {
    const socket = viewer.socket();
    const events = await server.listening("alert.changed", () =>
      socket.subscribe<{ alertEvents: { kind: string; alert: { id: string; severity: string; state: string; value: number } } }>(EVENTS),
    );
    // Past the warning level since the last sample of the test before, 30 s ago: fires 30 s on.
    await clock.advance(29_000);
    await feed({ load1: 3 });
    expect(await alertsOf(viewer, "load.1")).toEqual([]);
    await clock.advance(1_000);
    await feed({ load1: 3.5 });
    await events.waitFor(1);
    const [fired] = await alertsOf(viewer, "load.1");
    expect(fired).toMatchObject({ ruleName: "Load high", severity: "WARNING", state: "FIRING", value: 3.5, threshold: 2 });
    expect(new Date(fired?.firedAt ?? 0).getTime()).toBe(clock.now());

    await feed({ load1: 5 });
    await clock.advance(60_000);
    await feed({ load1: 5 });
    await events.waitFor(2);

    expect(codes(await viewer.request(ACK, { id: fired?.id }))).toEqual(["FORBIDDEN"]);
    const { acknowledgeAlert } = await operator.data<{ acknowledgeAlert: { state: string; acknowledgedBy: string } }>(ACK, {
      id: fired?.id,
    });
    expect(acknowledgeAlert).toMatchObject({ state: "ACKNOWLEDGED" });
    expect(acknowledgeAlert.acknowledgedBy).toStartWith("operator");
    await events.waitFor(3);

    // Under the warning level, but not by the hysteresis: still open.
    await clock.advance(5_000);
    await feed({ load1: 1.8 });
    expect(await alertsOf(viewer, "load.1", "ACKNOWLEDGED")).toHaveLength(1);
    await clock.advance(5_000);
    await feed({ load1: 1.4 });
    await events.waitFor(4);
    expect(events.results.map((r) => [r.data?.alertEvents.kind, r.data?.alertEvents.alert.severity])).toEqual([
      ["FIRED", "WARNING"],
      ["ESCALATED", "CRITICAL"],
      ["ACKNOWLEDGED", "CRITICAL"],
      ["RESOLVED", "CRITICAL"],
    ]);
    const [resolved] = await alertsOf(viewer, "load.1", "RESOLVED");
    expect(resolved).toMatchObject({ id: fired?.id, severity: "CRITICAL", state: "RESOLVED", value: 1.4 });
    expect(resolved?.acknowledgedBy).toStartWith("operator");
    expect(new Date(resolved?.resolvedAt ?? 0).getTime()).toBe(clock.now());
    expect(codes(await operator.request(ACK, { id: fired?.id }))).toEqual(["CONFLICT"]);
    await socket.dispose();
  });

  test("disabling a rule resolves its open alert, and the audit log names who changed rules and acknowledged", async () => {
    await feed({ load1: 5 });
    await clock.advance(60_000);
    await feed({ load1: 5 });
    expect(await alertsOf(viewer, "load.1", "FIRING")).toHaveLength(1);
    const SET = "mutation ($id: ID!, $on: Boolean!) { setAlertRuleEnabled(id: $id, enabled: $on) { enabled } }";
    expect(
      (await operator.data<{ setAlertRuleEnabled: { enabled: boolean } }>(SET, { id: ruleId, on: false })).setAlertRuleEnabled.enabled,
    ).toBe(false);
    expect(await alertsOf(viewer, "load.1", "FIRING")).toEqual([]);
    await clock.advance(60_000);
    await feed({ load1: 5 });
    expect(await alertsOf(viewer, "load.1", "FIRING")).toEqual([]);

    const admin = await server.admin();
    const { auditLog } = await admin.data<{ auditLog: { nodes: { action: string; actorName: string; result: string }[] } }>(
      '{ auditLog(filter: { action: "Alert" }, first: 50) { nodes { action actorName result } } }',
    );
    const actions = auditLog.nodes.map((e) => `${e.action} ${e.result}`);
    expect(actions).toContain("mutation.createAlertRule ok");
    expect(actions).toContain("mutation.acknowledgeAlert ok");
    expect(actions).toContain("mutation.acknowledgeAlert FORBIDDEN");
    expect(actions).toContain("mutation.setAlertRuleEnabled ok");
  });
});

test("the default rules watch each disk on its own and a Raspberry Pi's power supply", async () => {
  const { alertRules } = await viewer.data<{ alertRules: { name: string; series: string; warning: number | null; critical: number }[] }>(
    "{ alertRules { name series warning critical } }",
  );
  expect(alertRules.map((r) => [r.series, r.warning, r.critical])).toEqual(
    expect.arrayContaining([
      ["cpu.percent", 80, 95],
      ["mem.percent", 85, 95],
      ["disk.*.usedPercent", 85, 95],
      ["temp.cpu", 70, 80],
      ["pi.underVoltage", null, 1],
    ]),
  );
  await feed({ disks: { "/": 90, "/data": 40 }, throttling: { underVoltage: true } });
  expect(await alertsOf(viewer, "pi.underVoltage", "FIRING")).toMatchObject([{ severity: "CRITICAL" }]);
  await clock.advance(60_000);
  await feed({ disks: { "/": 97, "/data": 40 }, throttling: { underVoltage: false } });
  expect(await alertsOf(viewer, "disk./.usedPercent", "FIRING")).toMatchObject([{ severity: "WARNING", ruleName: "Disk nearly full" }]);
  expect(await alertsOf(viewer, "disk./data.usedPercent")).toEqual([]);
  expect(await alertsOf(viewer, "pi.underVoltage", "RESOLVED")).toHaveLength(1);
  await feed({ disks: { "/": 50, "/data": 40 } });
  expect(await alertsOf(viewer, "disk./.usedPercent", "RESOLVED")).toHaveLength(1);
});

test("rules are checked, and only those who manage alerts change them", async () => {
  const bad = async (input: Record<string, unknown>) =>
    codes(await operator.request(CREATE_RULE, { input: { name: "x", series: "cpu.percent", ...input } }));
  expect(await bad({})).toEqual(["BAD_USER_INPUT"]);
  expect(await bad({ warning: 90, critical: 80 })).toEqual(["BAD_USER_INPUT"]);
  expect(await bad({ comparison: "BELOW", warning: 10, critical: 20 })).toEqual(["BAD_USER_INPUT"]);
  expect(await bad({ warning: 1, forSeconds: -1 })).toEqual(["BAD_USER_INPUT"]);
  expect(await bad({ warning: 1, name: "n".repeat(101) })).toEqual(["BAD_USER_INPUT"]);
  expect(codes(await viewer.request(CREATE_RULE, { input: { name: "x", series: "cpu.percent", warning: 1 } }))).toEqual(["FORBIDDEN"]);
  expect(codes(await operator.request('mutation { deleteAlertRule(id: "99999") }'))).toEqual(["NOT_FOUND"]);
  expect(codes(await viewer.request("{ alertWebhooks { id } }"))).toEqual(["FORBIDDEN"]);
});

test("a rule below a level fires when the value falls under it", async () => {
  const { createAlertRule } = await operator.data<{ createAlertRule: { id: string } }>(CREATE_RULE, {
    input: { name: "Memory idle?", series: "mem.percent", comparison: "BELOW", critical: 5, forSeconds: 0, hysteresis: 1 },
  });
  await feed({ mem: 4 });
  expect(await alertsOf(viewer, "mem.percent", "FIRING")).toMatchObject([{ ruleName: "Memory idle?", severity: "CRITICAL" }]);
  await feed({ mem: 5.5 });
  expect(await alertsOf(viewer, "mem.percent", "FIRING")).toHaveLength(1);
  await feed({ mem: 6.5 });
  expect(await alertsOf(viewer, "mem.percent", "FIRING")).toEqual([]);
  expect(await operator.data(`mutation { deleteAlertRule(id: "${createAlertRule.id}") }`)).toEqual({ deleteAlertRule: true });
});

describe("webhooks", () => {
  const received: { headers: Headers; body: Record<string, unknown> }[] = [];
  let failNext = 1;
  let receiver: ReturnType<typeof Bun.serve>;
  beforeAll(() => {
    receiver = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      async fetch(request) {
        received.push({ headers: request.headers, body: (await request.json()) as Record<string, unknown> });
        if (failNext > 0) {
          failNext -= 1;
          return new Response("down for maintenance", { status: 503 });
        }
        return new Response(null, { status: 204 });
      },
    });
  });
  afterAll(() => receiver.stop(true));

  const DELIVERIES = "{ alertDeliveries { id event state attempts lastStatus lastError nextAttemptAt payload } }";
  type Delivery = {
    id: string;
    event: string;
    state: string;
    attempts: number;
    lastStatus: number | null;
    lastError: string | null;
    nextAttemptAt: string | null;
    payload: string;
  };
  const deliveries = async () => (await operator.data<{ alertDeliveries: Delivery[] }>(DELIVERIES)).alertDeliveries;

  test("receives each change as JSON with its secret header, retried after a failure, every attempt recorded", async () => {
    const { createAlertWebhook } = await operator.data<{ createAlertWebhook: { id: string; hasSecret: boolean; secretHeader: string } }>(
      'mutation ($url: String!) { createAlertWebhook(name: "ops chat", url: $url, secret: "s3cret") { id hasSecret secretHeader } }',
      { url: `http://127.0.0.1:${receiver.port}/hook` },
    );
    expect(createAlertWebhook).toMatchObject({ hasSecret: true, secretHeader: "X-Outpost-Secret" });

    await operator.data(CREATE_RULE, { input: { name: "Hot", series: "temp.cpu", warning: 60, forSeconds: 0 } });
    await feed({ celsius: 65 });
    // The delivery job runs on the server's clock; a moment on lets the due delivery go.
    await clock.advance(0);
    await waitUntil(async () => (await deliveries())[0]?.attempts === 1, 5000, "the first attempt to be recorded");
    const [first] = await deliveries();
    expect(first).toMatchObject({
      event: "fired",
      state: "PENDING",
      attempts: 1,
      lastStatus: 503,
      lastError: "HTTP 503: down for maintenance",
    });
    expect(new Date(first?.nextAttemptAt ?? 0).getTime()).toBe(clock.now() + 10_000);
    expect(received).toHaveLength(1);
    expect(received[0]?.headers.get("x-outpost-secret")).toBe("s3cret");
    expect(received[0]?.headers.get("content-type")).toBe("application/json");
    expect(received[0]?.body).toMatchObject({
      event: "fired",
      alert: { series: "temp.cpu", severity: "warning", state: "firing", value: 65, threshold: 60 },
    });

    await clock.advance(9_000);
    expect(received).toHaveLength(1);
    await clock.advance(1_000);
    await waitUntil(async () => (await deliveries())[0]?.state === "DELIVERED", 5000, "the retry to be delivered");
    expect(received).toHaveLength(2);
    expect(await deliveries()).toMatchObject([{ state: "DELIVERED", attempts: 2, lastStatus: 204, lastError: null, nextAttemptAt: null }]);
    expect(JSON.parse((await deliveries())[0]?.payload ?? "{}")).toEqual(received[1]?.body);
  });

  test("a webhook that never answers in time is retried later and shows why", async () => {
    const silent = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Promise<Response>(() => {}) });
    try {
      const { createAlertWebhook } = await operator.data<{ createAlertWebhook: { id: string } }>(
        'mutation ($url: String!) { createAlertWebhook(name: "silent", url: $url) { id } }',
        { url: `http://127.0.0.1:${silent.port}/` },
      );
      const { testAlertWebhook } = await operator.data<{ testAlertWebhook: { id: string; state: string } }>(
        `mutation { testAlertWebhook(id: "${createAlertWebhook.id}") { id state } }`,
      );
      expect(testAlertWebhook.state).toBe("PENDING");
      await clock.advance(0);
      const mine = async () => (await deliveries()).find((d) => d.id === testAlertWebhook.id);
      await waitUntil(async () => (await mine())?.attempts === 1, 15_000, "the attempt to time out");
      expect(await mine()).toMatchObject({ event: "test", state: "PENDING", lastStatus: null });
      expect((await mine())?.lastError).toContain("no answer within");
      await operator.data(`mutation { deleteAlertWebhook(id: "${createAlertWebhook.id}") }`);
      expect(await mine()).toBeUndefined();
    } finally {
      silent.stop(true);
    }
  }, 20_000);

  test("a webhook answering an error without end is recorded with the start of its answer", async () => {
    const endless = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch: () =>
        new Response(
          new ReadableStream({
            pull: (controller) => controller.enqueue(new TextEncoder().encode("overloaded ".repeat(1000))),
          }),
          { status: 500 },
        ),
    });
    try {
      const { createAlertWebhook } = await operator.data<{ createAlertWebhook: { id: string } }>(
        'mutation ($url: String!) { createAlertWebhook(name: "endless", url: $url) { id } }',
        { url: `http://127.0.0.1:${endless.port}/` },
      );
      const { testAlertWebhook } = await operator.data<{ testAlertWebhook: { id: string } }>(
        `mutation { testAlertWebhook(id: "${createAlertWebhook.id}") { id } }`,
      );
      await clock.advance(0);
      const mine = async () => (await deliveries()).find((d) => d.id === testAlertWebhook.id);
      await waitUntil(async () => (await mine())?.attempts === 1, 15_000, "the attempt to be recorded");
      const error = (await mine())?.lastError ?? "";
      expect(error.startsWith("HTTP 500: overloaded overloaded")).toBe(true);
      expect(error.length).toBeLessThanOrEqual("HTTP 500: ".length + 300);
      await operator.data(`mutation { deleteAlertWebhook(id: "${createAlertWebhook.id}") }`);
    } finally {
      endless.stop(true);
    }
  }, 20_000);
});

test("the history keeps at most alerts_history_max resolved alerts and none older than alerts_history_days", async () => {
  const pruneClock = createManualClock(Date.UTC(2026, 5, 1));
  await using small = await startTestApp({
    clock: pruneClock,
    config: { metricsIntervalSeconds: 3600, alertsHistoryMax: 10, alertsHistoryDays: 1 },
  });
  const alerts = small.app.services.alerts;
  // A series real samples never carry (the clock passes many hours of them below).
  await alerts.createRule({
    name: "Flappy",
    series: "disk./flappy.usedPercent",
    comparison: "above",
    warning: 50,
    critical: null,
    forSeconds: 0,
    hysteresis: 0,
  });
  const flap = async (times: number) => {
    for (let i = 0; i < times; i++) {
      await alerts.evaluate(syntheticSample({ atMs: pruneClock.now(), disks: { "/flappy": 60 } }));
      await alerts.evaluate(syntheticSample({ atMs: pruneClock.now(), disks: { "/flappy": 10 } }));
    }
  };
  // Real samples pass too (the default rules may fire on a busy test machine): count this rule's alerts.
  const resolvedCount = () =>
    alerts.list({ state: "resolved", first: 200, after: null }).alerts.filter((a) => a.ruleName === "Flappy").length;
  await flap(12);
  expect(resolvedCount()).toBe(12);
  await alerts.prune();
  expect(resolvedCount()).toBe(10);
  await pruneClock.advance(2 * 86_400_000);
  await flap(3);
  await alerts.prune();
  expect(resolvedCount()).toBe(3);
});
