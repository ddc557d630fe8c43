/** Run length of each load measurement; short runs are noisier, so figures are always ratios taken side by side. */
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
