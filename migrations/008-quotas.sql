-- Berth schema, migration 8: registry quotas and retention (issue 15). Never edit once shipped.

-- An optional cap, in bytes, on what the registry stores for a namespace: the sum of the sizes
-- of the distinct blobs its repositories link (`store::usage`). NULL: no quota.
ALTER TABLE accounts ADD COLUMN quota_bytes INTEGER CHECK (quota_bytes IS NULL OR quota_bytes >= 0);

-- Optional retention of a repository's pushed tags, applied by garbage collection: keep the
-- newest `retain_tags` tags and/or the tags pushed in the last `retain_days` days (a tag either
-- keeps is kept); the others are untagged and their manifests collected. NULL: keep all.
ALTER TABLE repositories ADD COLUMN retain_tags INTEGER CHECK (retain_tags IS NULL OR retain_tags > 0);
ALTER TABLE repositories ADD COLUMN retain_days INTEGER CHECK (retain_days IS NULL OR retain_days > 0);
