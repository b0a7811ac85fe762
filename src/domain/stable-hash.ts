/**
 * A small stable hash for keys built in workflow code (no Node crypto there): FNV-1a, 64-bit, hex.
 * Not for security; for short, stable, collision-unlikely keys from long ids.
 */
export function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n;
  const mask = 0xffffffffffffffffn;
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i));
    h = (h * prime) & mask;
  }
  return h.toString(16).padStart(16, '0');
}

/** `key` itself when it fits `max`, else a prefix plus the hash of the whole key (still unique per key). */
export function fitKey(key: string, max: number): string {
  if (key.length <= max) return key;
  const h = fnv1a64(key);
  return `${key.slice(0, max - h.length - 1)}#${h}`;
}
