-- migrate:up

-- user_totp.secret holds the key sealed by the portal: "v1:" and the base64 of the
-- nonce and the AES-256-GCM ciphertext under TOTP_KEY (handlers/totp_seal.go). A key
-- stored before stays in base32 until `portal serve` seals it at its next start.
ALTER TABLE user_totp DROP CONSTRAINT user_totp_secret_check;
ALTER TABLE user_totp ADD CONSTRAINT user_totp_secret_check
    CHECK (secret ~ '^[A-Z2-7]{32}$' OR secret ~ '^v1:[A-Za-z0-9+/]{40,200}={0,2}$');

-- migrate:down

-- A sealed key cannot be turned back without TOTP_KEY: going down ends those users'
-- two-factor sign-in (they set it up again).
DELETE FROM user_totp WHERE secret ~ '^v1:';
ALTER TABLE user_totp DROP CONSTRAINT user_totp_secret_check;
ALTER TABLE user_totp ADD CONSTRAINT user_totp_secret_check
    CHECK (secret ~ '^[A-Z2-7]{32}$');
