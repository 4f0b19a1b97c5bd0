-- A technician's assignments and availabilities over a window, within the tenant: the
-- reads of every manual assignment's rule check and of a run scoped to a few people.
--
-- With only (tenant_id, start_at) and (technician_id, start_at) to choose from, SQLite's
-- planner (which has no statistics unless ANALYZE runs) took the tenant's start index and
-- walked every row of the tenant before the window's end: 6-20 ms per check on a year of
-- data, most of a manual assignment's time under load. Two equality columns make this
-- index the obvious choice on both backends. The (technician_id, start_at) indexes stay:
-- they serve the foreign keys' cascades from technicians.
CREATE INDEX assignments_tenant_technician_idx ON assignments (tenant_id, technician_id, start_at);
CREATE INDEX availabilities_tenant_technician_idx ON availabilities (tenant_id, technician_id, start_at);
