-- API tokens may expire, and a name names one live token (revoke it to reuse the name). Older
-- duplicates of a live name are renamed "<name> (<id>)" first; they keep working.
ALTER TABLE api_tokens ADD COLUMN expires_at timestamptz;
UPDATE api_tokens t SET name = t.name || ' (' || t.id || ')'
 WHERE t.revoked_at IS NULL
   AND EXISTS (SELECT 1 FROM api_tokens o WHERE o.name = t.name AND o.revoked_at IS NULL AND (o.created_at, o.id) > (t.created_at, t.id));
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
