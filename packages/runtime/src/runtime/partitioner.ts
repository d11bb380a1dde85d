/**
 * Maps an address id to a partition. Like StateFun (which keys by id only),
 * every function type's instance with the same id lands in the same partition.
 * FNV-1a is stable across processes, which the Kafka mode will rely on.
 */
export function partitionOf(id: string, partitions: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % partitions;
}
