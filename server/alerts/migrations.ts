// Tables of alerting: rules (seeded with defaults from common practice), alerts kept as history,
// webhooks and each delivery to them.
import type { Migration } from "../db";

// Defaults most monitoring setups start from (Netdata's and node_exporter's usual alert levels): busy
// CPU or full memory for five minutes, each disk filling, a hot CPU, and a Pi's power supply sagging.
const DEFAULT_RULES = `
  INSERT INTO alert_rules (name, series, comparison, warning, critical, for_seconds, hysteresis, enabled, created_at, updated_at) VALUES
    ('CPU busy', 'cpu.percent', 'above', 80, 95, 300, 5, 1, 0, 0),
    ('Memory nearly full', 'mem.percent', 'above', 85, 95, 300, 3, 1, 0, 0),
    ('Disk nearly full', 'disk.*.usedPercent', 'above', 85, 95, 60, 1, 1, 0, 0),
    ('CPU hot', 'temp.cpu', 'above', 70, 80, 60, 3, 1, 0, 0),
    ('Under-voltage (Raspberry Pi)', 'pi.underVoltage', 'above', NULL, 1, 0, 0, 1, 0, 0);
`;

export const alertsMigrations: Migration[] = [
  {
    id: "alerts-001-rules-alerts-webhooks",
    sql: `
      CREATE TABLE alert_rules (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        series TEXT NOT NULL,
        comparison TEXT NOT NULL CHECK (comparison IN ('above', 'below')),
        warning REAL,
        critical REAL,
        for_seconds INTEGER NOT NULL,
        hysteresis REAL NOT NULL,
        enabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        rule_id INTEGER,
        rule_name TEXT NOT NULL,
        series TEXT NOT NULL,
        severity TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('firing', 'acknowledged', 'resolved')),
        value REAL NOT NULL,
        threshold REAL NOT NULL,
        fired_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by TEXT,
        resolved_at INTEGER
      );
      CREATE INDEX alerts_open ON alerts (state) WHERE state != 'resolved';
      CREATE INDEX alerts_resolved ON alerts (resolved_at) WHERE resolved_at IS NOT NULL;
      CREATE TABLE alert_webhooks (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL,
        url TEXT NOT NULL,
        secret_header TEXT NOT NULL,
        secret TEXT,
        enabled INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE alert_deliveries (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES alert_webhooks (id) ON DELETE CASCADE,
        alert_id INTEGER NOT NULL,
        event TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER,
        last_status INTEGER,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE state = 'pending';
      CREATE INDEX alert_deliveries_webhook ON alert_deliveries (webhook_id, id);
      ${DEFAULT_RULES}
    `,
  },
  {
    // Webhook secrets are sealed from here on (store.ts). A secret is any text a user chose and may
    // itself start like a sealed value (`v1:`), so whether a row's secret is sealed is recorded, not
    // guessed from its text: the secrets of earlier versions are in clear (0) and are sealed at start.
    id: "alerts-002-sealed-webhook-secrets",
    sql: "ALTER TABLE alert_webhooks ADD COLUMN secret_sealed INTEGER NOT NULL DEFAULT 0",
  },
];
