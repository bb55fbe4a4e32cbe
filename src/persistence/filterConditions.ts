import type { EventFilter } from '../protocol/eventFilter.js';

/**
 * The SQL conditions (each starting with ` AND `) for a filter's fields, pushing their values onto `params`;
 * `prefix` qualifies the columns, and `skip` leaves out the key an index lookup already matched.
 */
export function filterConditions(
  filter: EventFilter,
  prefix: string,
  params: unknown[],
  skip: 'session' | 'user' | null,
): string {
  let sql = '';
  if (filter.event_types !== undefined && filter.event_types.length > 0) {
    sql += ` AND ${prefix}event_type IN (${filter.event_types.map(() => '?').join(', ')})`;
    params.push(...filter.event_types);
  }
  if (filter.session_id !== undefined && skip !== 'session') {
    sql += ` AND ${prefix}session_id = ?`;
    params.push(filter.session_id);
  }
  if (filter.user_id !== undefined && skip !== 'user') {
    sql += ` AND ${prefix}user_id = ?`;
    params.push(filter.user_id);
  }
  if (filter.source !== undefined) {
    sql += ` AND ${prefix}source = ?`;
    params.push(filter.source);
  }
  return sql;
}
