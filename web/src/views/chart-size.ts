/**
 * Charts are drawn in CSS pixels: the SVG's viewBox is its measured width, so one user unit is
 * one pixel at every width and the labels keep the body font size (set in app.css on
 * `svg.px-text text`). With a fixed viewBox scaled to the container, 11-unit labels became about
 * 20 px at 1280 px and 7 px on a phone. The layout (how many bars fit, where labels go) adapts to
 * the width instead.
 */
import type { RefObject } from 'preact';
import { useLayoutEffect, useRef, useState } from 'preact/hooks';

/**
 * A ref for the chart's container and its width in CSS pixels (`fallback` until measured, and
 * where ResizeObserver is missing). The width is rounded and floored at `min`.
 */
export function useMeasuredWidth<T extends HTMLElement = HTMLDivElement>(fallback: number, min = 200): [RefObject<T | null>, number] {
  const ref = useRef<T | null>(null);
  const [width, setWidth] = useState(fallback);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const measure = () => {
      const w = Math.max(min, Math.round(el.clientWidth));
      if (el.clientWidth > 0) setWidth((old) => (old === w ? old : w));
    };
    measure();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, [min]);
  return [ref, width];
}

/** The body font size in CSS pixels (the root's), for placing labels: 14 unless restyled. */
export function bodyFontPx(): number {
  const v = Number.parseFloat(getComputedStyle(document.documentElement).fontSize);
  return Number.isFinite(v) && v > 0 ? v : 14;
}

/** The approximate width of `text` at the body size (system-ui averages about 0.56 em per character). */
export function textWidth(text: string, fontPx = bodyFontPx()): number {
  return text.length * fontPx * 0.56;
}
