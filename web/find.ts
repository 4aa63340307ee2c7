// The search box: entities whose name holds what was typed.
import type { Entity } from '../api/graph.js';

/**
 * Up to `limit` entities whose id holds `text` (any case): those whose own name (the id's
 * last part) starts with it first, then shorter ids, then by id.
 */
export function findEntities(entities: readonly Entity[], text: string, limit = 20): Entity[] {
  const t = text.trim().toLowerCase();
  if (!t) return [];
  const rank = (e: Entity) => {
    const name = e.id.slice(e.id.lastIndexOf('/') + 1).toLowerCase();
    return name === t ? 0 : name.startsWith(t) ? 1 : 2;
  };
  return entities
    .filter((e) => e.id.toLowerCase().includes(t))
    .sort((a, b) => rank(a) - rank(b) || a.id.length - b.id.length || a.id.localeCompare(b.id))
    .slice(0, limit);
}
