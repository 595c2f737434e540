-- Contracts brokered by a 技术经理人 (an account flagged as technology manager): linked, not
-- typed, so the broker award of the example supplement (1% of the 技术交易额, at most 50,000
-- yuan per person a year) can be drafted per person from the registry.
ALTER TABLE tech_contracts ADD COLUMN broker_user_id BIGINT REFERENCES users (id);
CREATE INDEX tech_contracts_broker_user ON tech_contracts (broker_user_id, stat_year);

-- An application whose beneficiary is a person (a 技术经理人), not the institution that files
-- or confirms it: the ledger's caps then hold per person.
ALTER TABLE applications ADD COLUMN beneficiary_user_id BIGINT REFERENCES users (id);
