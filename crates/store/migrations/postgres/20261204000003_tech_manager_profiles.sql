-- 技术经理人 profiles (art. 20, issue 19): beside an account flagged as technology manager,
-- the certificate (level and number, unique), the 技术领域 (a JSON list of codes), an
-- introduction, and whether the person agreed to be listed in the public directory.
CREATE TABLE tech_manager_profiles (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    certificate_level TEXT NOT NULL,
    certificate_number TEXT NOT NULL UNIQUE,
    fields TEXT NOT NULL,
    introduction TEXT NOT NULL DEFAULT '',
    listed BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
