-- Counters that make a manual assignment's rule check hold at its insert.
--
-- The tenant's rules run outside the write (a plugin call takes milliseconds); the insert
-- then happens only if neither counter moved since the check, in the transaction that
-- bumps both. Every write that adds to or moves a technician's shifts, or changes what
-- their rules read (availabilities, contract, preferences, relations), bumps theirs;
-- every write that changes a mission's crew or its needs' windows bumps the mission's.
-- So no interleaving of requests yields a hard violation that none of them would have
-- been admitted with alone (docs/adr/0004-planning-consistency.md).
ALTER TABLE technicians ADD COLUMN schedule_version bigint NOT NULL DEFAULT 0;
ALTER TABLE missions ADD COLUMN crew_version bigint NOT NULL DEFAULT 0;
