/** Time for a bubble or a list row: HH:MM today, else a short date (locale-aware). */
export function formatTime(at: number, now: number = Date.now()): string {
  const d = new Date(at);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

export function fullTime(at: number): string {
  return new Date(at).toLocaleString();
}
