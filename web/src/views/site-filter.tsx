/** The site picker of the list pages (queue, notifications, guards, weekly report): "every site" or one site by name. */
import type { SiteItem } from '../model.js';

export function SiteFilter({ id, value, sites, onChange, allLabel = 'every site', bare = false }: { id?: string; value: string; sites: Iterable<SiteItem>; onChange: (site: string) => void; allLabel?: string; bare?: boolean }) {
  const select = (
    <select id={id} value={value} onChange={(e) => onChange(e.currentTarget.value)}>
      <option value="">{allLabel}</option>
      {[...sites].map((x) => (
        <option key={x.id} value={x.id}>
          {x.name}
        </option>
      ))}
    </select>
  );
  if (bare) return select;
  return (
    <label class="small">
      Site {select}
    </label>
  );
}
