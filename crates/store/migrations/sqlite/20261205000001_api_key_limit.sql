-- Each API key has its own per-minute limit (issue 20): a district system that pulls the lists
-- once an hour needs little, a province platform's synchroniser or a contract test much more.
-- Keys issued before keep the former fixed limit of 120.
ALTER TABLE api_keys ADD COLUMN per_minute INTEGER NOT NULL DEFAULT 120;
