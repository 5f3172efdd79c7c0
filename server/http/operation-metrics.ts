// The envelop plugin that times every GraphQL operation into the application metrics (HTTP, the
// fast path and sockets alike: all run the pipeline's execute and subscribe hooks), and counts the
// subscriptions open (the gauge subscriptions_open).
import type { Plugin } from "@envelop/core";
import { type DocumentNode, getOperationAST } from "graphql";
import type { AppMetrics } from "../app-metrics";

const describe = (document: DocumentNode, operationName: string | null | undefined) => {
  const operation = getOperationAST(document, operationName);
  return { name: operation?.name?.value ?? null, type: operation?.operation ?? "query" };
};

export function useOperationMetrics(metrics: AppMetrics): Plugin {
  let subscriptionsOpen = 0;
  metrics.gauge("subscriptions_open", "GraphQL subscriptions running.", () => subscriptionsOpen);
  return {
    onExecute({ args }) {
      const startedAt = performance.now();
      const { name, type } = describe(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const failed = "errors" in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.recordOperation(name, type, performance.now() - startedAt, failed);
        },
      };
    },
    onSubscribe({ args }) {
      const startedAt = performance.now();
      const { name } = describe(args.document, args.operationName);
      return {
        onSubscribeResult({ result }) {
          const failed = "errors" in result && Array.isArray(result.errors) && result.errors.length > 0;
          metrics.recordOperation(name, "subscription", performance.now() - startedAt, failed);
          if (!(Symbol.asyncIterator in result)) return;
          subscriptionsOpen += 1;
          // Called once when the stream ends, however it ends (completed, failed, or the client stopped it).
          return {
            onEnd: () => {
              subscriptionsOpen -= 1;
            },
          };
        },
      };
    },
  };
}
