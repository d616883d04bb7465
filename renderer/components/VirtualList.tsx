// A small windowing list for chat history: renders only the items near the viewport between two spacers, measures real
// heights (ResizeObserver), keeps the reading position when older items are prepended, sticks to the bottom when the
// user is at the bottom, and asks for more (onReachTop) near the top. No dependencies.
import { useCallback, useEffect, useLayoutEffect, useMemo, useReducer, useRef, useState, type ReactNode } from 'react';

export interface VirtualListProps<T> {
  items: readonly T[];
  itemKey: (item: T) => string;
  renderItem: (item: T) => ReactNode;
  label: string;
  estimateHeight?: number;
  overscanPx?: number;
  topThresholdPx?: number;
  onReachTop?: () => void;
  header?: ReactNode;
  className?: string;
}

const BOTTOM_SLACK_PX = 8;

/** Index of the first item whose bottom is below `y` (offsets has n+1 entries, ascending). */
export function firstBelow(offsets: readonly number[], y: number): number {
  let lo = 0;
  let hi = offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid + 1]! > y) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function VirtualList<T>(p: VirtualListProps<T>) {
  const { items, itemKey, renderItem, onReachTop } = p;
  const estimate = p.estimateHeight ?? 64;
  const overscan = p.overscanPx ?? 600;
  const viewport = useRef<HTMLDivElement>(null);
  const heights = useRef(new Map<string, number>());
  const [, bump] = useReducer((x: number) => x + 1, 0);
  const [scrollTop, setScrollTop] = useState(0);
  const [viewH, setViewH] = useState(0);
  const atBottom = useRef(true);
  const prevKeys = useRef<string[]>([]);

  const keys = useMemo(() => items.map(itemKey), [items, itemKey]);
  const offsets = new Array<number>(keys.length + 1);
  offsets[0] = 0;
  for (let i = 0; i < keys.length; i++) offsets[i + 1] = offsets[i]! + (heights.current.get(keys[i]!) ?? estimate);
  const total = offsets[keys.length]!;
  const h = viewH || 800;
  const start = keys.length ? firstBelow(offsets, Math.max(0, scrollTop - overscan)) : 0;
  let end = start;
  while (end < keys.length && offsets[end]! < scrollTop + h + overscan) end++;

  // Keep the index/offset view of the current render for the ResizeObserver callback.
  const live = useRef({ keys, offsets });
  live.current = { keys, offsets };

  const observer = useMemo(
    () =>
      typeof ResizeObserver === 'undefined'
        ? null
        : new ResizeObserver((entries) => {
            const el = viewport.current;
            let changed = false;
            let aboveDelta = 0;
            for (const e of entries) {
              const key = (e.target as HTMLElement).dataset.key;
              if (!key) continue;
              const hgt = e.borderBoxSize?.[0]?.blockSize ?? (e.target as HTMLElement).offsetHeight;
              const old = heights.current.get(key) ?? estimate;
              if (Math.abs(hgt - old) < 0.5) {
                heights.current.set(key, hgt);
                continue;
              }
              heights.current.set(key, hgt);
              changed = true;
              const idx = live.current.keys.indexOf(key);
              if (el && idx >= 0 && live.current.offsets[idx]! + old <= el.scrollTop) aboveDelta += hgt - old;
            }
            if (!changed) return;
            if (el && aboveDelta && !atBottom.current) el.scrollTop += aboveDelta;
            bump();
          }),
    [estimate],
  );
  useEffect(() => () => observer?.disconnect(), [observer]);

  const measure = useCallback(
    (el: HTMLDivElement | null) => {
      if (!el || !observer) return;
      observer.observe(el);
      return () => observer.unobserve(el);
    },
    [observer],
  );

  useLayoutEffect(() => {
    const el = viewport.current;
    if (!el) return;
    setViewH(el.clientHeight);
    const ro = typeof ResizeObserver === 'undefined' ? null : new ResizeObserver(() => setViewH(el.clientHeight));
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);

  // Anchor on prepend; follow the bottom when already there. Runs after every render on purpose: row heights live in a
  // ref, so `offsets` changes without a state change (setScrollTop settles: same value, no new render).
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useLayoutEffect(() => {
    const el = viewport.current;
    const prev = prevKeys.current;
    prevKeys.current = keys;
    if (!el || prev === keys) return;
    if (atBottom.current) {
      el.scrollTop = el.scrollHeight;
    } else if (prev.length && keys.length && prev[0] !== keys[0]) {
      const idx = keys.indexOf(prev[0]!);
      if (idx > 0) el.scrollTop += offsets[idx]!;
    }
    setScrollTop(el.scrollTop);
    // Short history: keep asking until the viewport is filled (the action ignores calls when complete or loading).
    if (onReachTop && el.scrollHeight <= el.clientHeight + BOTTOM_SLACK_PX) onReachTop();
  });

  useLayoutEffect(() => {
    const el = viewport.current;
    if (el && atBottom.current) el.scrollTop = el.scrollHeight;
  });

  const onScroll = () => {
    const el = viewport.current;
    if (!el) return;
    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < BOTTOM_SLACK_PX;
    setScrollTop(el.scrollTop);
    if (onReachTop && el.scrollTop < (p.topThresholdPx ?? 300)) onReachTop();
  };

  return (
    <div ref={viewport} className={`vlist ${p.className ?? ''}`} role="log" aria-label={p.label} tabIndex={0} onScroll={onScroll}>
      {p.header}
      <div style={{ height: offsets[start] }} aria-hidden="true" />
      {keys.slice(start, end).map((k, i) => (
        <div key={k} data-key={k} ref={measure} className="vlist-item">
          {renderItem(items[start + i]!)}
        </div>
      ))}
      <div style={{ height: total - offsets[end]! }} aria-hidden="true" />
    </div>
  );
}
