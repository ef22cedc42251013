import { ownMetrics } from "@todo/shared";

/** The value of one of our metrics in this process (unit tests), for the series with these labels. */
export async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  for (const metric of ownMetrics()) {
    const { name: metricName, values } = await metric.get();
    if (metricName !== name) continue;
    const matching = values.filter((value) =>
      Object.entries(labels).every(
        ([key, wanted]) => String((value.labels as Record<string, unknown>)[key]) === wanted,
      ),
    );
    return matching.reduce((sum, value) => sum + value.value, 0);
  }
  throw new Error(`no metric ${name}`);
}
