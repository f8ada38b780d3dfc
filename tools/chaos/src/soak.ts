export async function runSoak(_o: unknown): Promise<{ ok: boolean }> {
  throw new Error('not yet');
}
export function formatSoakReport(_r: unknown): string {
  return '';
}
