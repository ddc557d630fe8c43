// Bytes allocated on the V8 heap per call, from V8's sampling heap profiler with the objects since
// collected counted: what a call costs the collector, not what it keeps.
import { Session } from "node:inspector/promises";

interface SampleNode {
  readonly selfSize: number;
  readonly children: readonly SampleNode[];
}

function total(node: SampleNode): number {
  let bytes = node.selfSize;
  for (const child of node.children) bytes += total(child);
  return bytes;
}

export async function allocatedPerCall(fn: () => unknown, calls: number): Promise<number> {
  for (let i = 0; i < 20; i++) fn();
  const session = new Session();
  session.connect();
  try {
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    for (let i = 0; i < calls; i++) fn();
    const { profile } = await session.post("HeapProfiler.stopSampling");
    return total(profile.head as SampleNode) / calls;
  } finally {
    session.disconnect();
  }
}
