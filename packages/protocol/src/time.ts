/** AWS JSON timestamps: epoch seconds as a JSON number with a millisecond fraction. */
export function epochSeconds(ms: number): number {
  return Math.round(ms) / 1000;
}

const DAY_MS = 86_400_000;

/** LastAccessedDate has day resolution: midnight UTC of the access, in ms. */
export function startOfUtcDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}
