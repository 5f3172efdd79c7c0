// How far this process's memory grows while something runs: the tests that start the server in
// process measure the server's memory under an attack this way.
const MiB = 1 << 20;
const rssMiB = () => process.memoryUsage().rss / MiB;

/** Runs `attack`, sampling RSS every 100 ms meanwhile, and reports how far it grew (MiB): at peak, and kept after a full GC. */
export async function rssGrowth(name: string, attack: () => Promise<void>): Promise<{ peak: number; kept: number }> {
  Bun.gc(true);
  const before = rssMiB();
  let peak = before;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssMiB());
  }, 100);
  try {
    await attack();
  } finally {
    clearInterval(sampler);
  }
  peak = Math.max(peak, rssMiB());
  Bun.gc(true);
  const growth = { peak: Math.round(peak - before), kept: Math.round(rssMiB() - before) };
  console.log(`${name}: RSS +${growth.peak} MiB at peak, +${growth.kept} MiB kept`);
  return growth;
}
