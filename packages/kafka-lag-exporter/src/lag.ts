/** Where one consumer group stands on one partition. */
export interface PartitionLag {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset: the next record it will read; absent when it never committed. */
  readonly committed: bigint | undefined;
  /** The offset after the partition's last record. */
  readonly end: bigint;
  /** Records on the partition the group has not processed yet. */
  readonly lag: bigint;
}

/** A topic's offsets: the first record still kept (earliest) and the one after the last (end). */
export interface PartitionOffsets {
  readonly earliest: bigint;
  readonly end: bigint;
}

/**
 * Pure: the lag of a group on each partition of a topic. A partition the group never committed
 * counts from its earliest record (the backbone's consumers start at the oldest record), and
 * a committed offset older than what the broker still keeps counts from there too.
 */
export function lagOf(
  group: string,
  topic: string,
  offsets: readonly PartitionOffsets[],
  committed: ReadonlyMap<number, bigint>,
): PartitionLag[] {
  return offsets.map(({ earliest, end }, partition) => {
    const at = committed.get(partition);
    const from = at === undefined || at < earliest ? earliest : at;
    return { group, topic, partition, committed: at, end, lag: end > from ? end - from : 0n };
  });
}
