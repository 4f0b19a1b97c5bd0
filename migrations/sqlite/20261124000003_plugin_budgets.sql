-- Tenant plugins, second part: budgets kept with each activation, an explicit order of a
-- slot's activations, and a summary of each automatic run for the audit listings.
--
-- Budgets: NULL means "the runtime's default" (so an operator's new default reaches every
-- tenant that set none). They live on the activation, so a rollback restores the budget
-- that went with the plugin and its parameters, and the history shows every change.
ALTER TABLE plugin_activations ADD COLUMN fuel INTEGER CHECK (fuel IS NULL OR fuel > 0);
ALTER TABLE plugin_activations ADD COLUMN timeout_ms INTEGER CHECK (timeout_ms IS NULL OR timeout_ms > 0);

-- Position of the activation in its (tenant, slot) history, from 1. Instants are truncated
-- to the second, so two changes in one second cannot be ordered by time; the unique key
-- also makes concurrent changes of one slot collide instead of interleaving (the loser
-- retries on the new state).
ALTER TABLE plugin_activations ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
-- For a rollback: the position whose plugin, parameters and budget it re-applies, so a
-- second rollback goes one step further back instead of undoing the first.
ALTER TABLE plugin_activations ADD COLUMN restores_seq INTEGER;
UPDATE plugin_activations SET seq = (
    SELECT COUNT(*) FROM plugin_activations AS b
    WHERE b.tenant_id = plugin_activations.tenant_id
      AND b.slot = plugin_activations.slot
      AND (b.activated_at < plugin_activations.activated_at
           OR (b.activated_at = plugin_activations.activated_at AND b.id <= plugin_activations.id))
);
CREATE UNIQUE INDEX plugin_activations_seq_key ON plugin_activations (tenant_id, slot, seq);

-- An automatic run's figures (window, score, counts, plugins, fuel, digests) as JSON,
-- derived from its payload when it is appended, so listing runs does not read whole
-- problems. Not part of the entry's hash: `GET /audit/verify` recomputes it from the
-- payload and names an entry whose summary was edited.
ALTER TABLE audit_entries ADD COLUMN summary TEXT;
