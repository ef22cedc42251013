export * from "./contracts/task.ts";
export * from "./contracts/events.ts";
export * from "./cloudevent.ts";
export * from "./dapr.ts";
export * from "./logger.ts";
export * from "./problem.ts";
export * from "./publishing.ts";
export * from "./lifecycle.ts";
