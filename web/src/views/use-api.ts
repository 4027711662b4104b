/** A page's data from the API: loaded on mount and when `path` changes, again every `everyMs`. */
import { useEffect, useState } from 'preact/hooks';
import { errorText, request } from '../store.js';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
  reload(): void;
}

export function useApi<T>(path: string | null, everyMs = 0): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!path) return;
    let live = true;
    const load = () => {
      setLoading(true);
      request<T>(path)
        .then((r) => {
          if (!live) return;
          setData(r);
          setError(null);
        })
        .catch((e: unknown) => live && setError(errorText(e)))
        .finally(() => live && setLoading(false));
    };
    load();
    const t = everyMs > 0 ? setInterval(load, everyMs) : undefined;
    return () => {
      live = false;
      if (t) clearInterval(t);
    };
  }, [path, n, everyMs]);
  return { data, error, loading, reload: () => setN((x) => x + 1) };
}
