/**
 * Upper quantile of the standard normal distribution for small tail probabilities: the z with
 * P(Z > z) = p, Z ~ N(0, 1), for 0 < p <= 0.01 (thresholds of alarm rules set from a
 * false-alarm budget).
 *
 * Method: solves φ(z)/z = p, φ the normal density, by fixed-point iteration
 * z = sqrt(-2·ln(p·z·√(2π))). By the Mills-ratio inequality (Gordon 1941, "Values of Mills' ratio
 * of area to bounding ordinate", Ann. Math. Stat. 12:364-366) P(Z > z) <= φ(z)/z, so the z
 * returned is never below the exact quantile: a threshold from it keeps the budget. It is above
 * the exact one by < 0.02 for p <= 1e-4 (z >= 3.7) and < 0.05 at p = 0.01. Throws RangeError
 * outside (0, 0.01].
 */
const SQRT_2PI = 2.5066282746310002;

export function normalUpperQuantile(p: number): number {
  if (!(p > 0 && p <= 0.01)) throw new RangeError(`normal quantile: p must be in (0, 0.01], got ${p}`);
  let z = Math.sqrt(-2 * Math.log(p * SQRT_2PI));
  for (let i = 0; i < 8; i++) z = Math.sqrt(-2 * Math.log(p * z * SQRT_2PI));
  return z;
}
