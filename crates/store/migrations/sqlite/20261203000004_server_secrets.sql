-- Secrets every server process must share (the key that signs flash messages, for one), kept
-- in the database so processes behind one PostgreSQL agree. Created once by whichever process
-- needs it first (INSERT … ON CONFLICT DO NOTHING), never rewritten.
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL
);
